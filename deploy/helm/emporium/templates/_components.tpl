{{/*
The components of the release, as JSON: one per enabled service (mode services) or one
"monolith" running them all. Each: name, services (what `serve --services` gets), callees (the
services it calls over HTTP), public (the gateway or the monolith: what the ingress reaches),
keepsData, personalData, settings (replicas, resources, autoscaling, podDisruptionBudget), env.
*/}}
{{- define "emporium.components" -}}
{{- $root := . -}}
{{- $enabled := include "emporium.enabled" . | fromJsonArray -}}
{{- $components := list -}}
{{- if eq .Values.mode "monolith" -}}
  {{- $keeps := false -}}{{- $personal := false -}}{{- $env := dict -}}
  {{- range $enabled -}}
    {{- $s := index $root.Values.services . -}}
    {{- if $s.keepsData }}{{ $keeps = true }}{{ end -}}
    {{- if $s.personalData }}{{ $personal = true }}{{ end -}}
    {{- $env = merge $env ($s.env | default dict) -}}
  {{- end -}}
  {{- $selection := join "," $enabled -}}
  {{- if eq (len $enabled) (len (keys .Values.services)) }}{{ $selection = "all" }}{{ end -}}
  {{- $components = append $components (dict "name" "monolith" "services" $selection "serviceList" $enabled "callees" (list) "public" true "keepsData" $keeps "personalData" $personal "settings" .Values.monolith "env" $env) -}}
{{- else if eq .Values.mode "services" -}}
  {{- range $enabled -}}
    {{- $s := index $root.Values.services . -}}
    {{- $callees := list -}}
    {{- if eq . "gateway" -}}
      {{- range $enabled }}{{ if ne . "gateway" }}{{ $callees = append $callees . }}{{ end }}{{ end -}}
    {{- else -}}
      {{- range $s.calls }}{{ if has . $enabled }}{{ $callees = append $callees . }}{{ end }}{{ end -}}
    {{- end -}}
    {{- $settings := mergeOverwrite (deepCopy $root.Values.defaults) (pick $s "replicas" "resources" "autoscaling" "podDisruptionBudget" "terminationGracePeriodSeconds") -}}
    {{- $components = append $components (dict "name" . "services" . "serviceList" (list .) "callees" $callees "public" (eq . "gateway") "keepsData" $s.keepsData "personalData" $s.personalData "settings" $settings "env" ($s.env | default dict)) -}}
  {{- end -}}
{{- else -}}
  {{- fail (printf "mode must be services or monolith, not %q" .Values.mode) -}}
{{- end -}}
{{- toJson $components -}}
{{- end -}}

{{/* The services that call a component (services mode): the gateway, those whose calls name it,
and every service for auth (its key set). As JSON. (dict "root" $ "component" NAME) */}}
{{- define "emporium.callers" -}}
{{- $root := .root -}}{{- $name := .component -}}
{{- $callers := list -}}
{{- range (include "emporium.components" $root | fromJsonArray) -}}
  {{- if and (ne .name $name) (or (has $name .callees) (and (eq $name "auth") (ne .name "gateway"))) -}}
    {{- $callers = append $callers .name -}}
  {{- end -}}
{{- end -}}
{{- toJson ($callers | uniq) -}}
{{- end -}}
