{{/*
The components of the release, as JSON: one per enabled service (mode services) or one
"monolith" running them all. Each: name, services (what `serve --services` gets), callees (the
services it calls over HTTP), public (the gateway or the monolith: what the ingress reaches),
apiClient (it calls the public API through the gateway, not the services, and needs no auth key
set: the storefront), keepsData, personalData, redis, settings (replicas, resources, autoscaling,
podDisruptionBudget), env.
*/}}
{{- define "emporium.components" -}}
{{- $root := . -}}
{{- $enabled := include "emporium.enabled" . | fromJsonArray -}}
{{- $components := list -}}
{{- if eq .Values.mode "monolith" -}}
  {{- $keeps := false -}}{{- $personal := false -}}{{- $redis := false -}}{{- $env := dict -}}
  {{- range $enabled -}}
    {{- $s := index $root.Values.services . -}}
    {{- if $s.keepsData }}{{ $keeps = true }}{{ end -}}
    {{- if $s.personalData }}{{ $personal = true }}{{ end -}}
    {{- if or (not (hasKey $s "redis")) $s.redis }}{{ $redis = true }}{{ end -}}
    {{- $env = merge $env ($s.env | default dict) -}}
  {{- end -}}
  {{- $selection := join "," $enabled -}}
  {{- if eq (len $enabled) (len (keys .Values.services)) }}{{ $selection = "all" }}{{ end -}}
  {{- $components = append $components (dict "name" "monolith" "services" $selection "serviceList" $enabled "callees" (list) "public" true "apiClient" false "keepsData" $keeps "personalData" $personal "redis" $redis "settings" .Values.monolith "env" $env) -}}
{{- else if eq .Values.mode "services" -}}
  {{- range $enabled -}}
    {{- $s := index $root.Values.services . -}}
    {{- $callees := list -}}
    {{- if eq . "gateway" -}}
      {{- range $enabled }}{{ if ne . "gateway" }}{{ $callees = append $callees . }}{{ end }}{{ end -}}
    {{- else -}}
      {{- range $s.calls }}{{ if has . $enabled }}{{ $callees = append $callees . }}{{ end }}{{ end -}}
    {{- end -}}
    {{- $apiClient := and (ne . "gateway") ($s.apiClient | default false) -}}
    {{- if and $apiClient (not (has "gateway" $enabled)) -}}
      {{- fail (printf "services.%s is a client of the public API (apiClient), which it reaches through the gateway: enable services.gateway" .) -}}
    {{- end -}}
    {{- $redis := or (not (hasKey $s "redis")) $s.redis -}}
    {{- $settings := mergeOverwrite (deepCopy $root.Values.defaults) (pick $s "replicas" "resources" "autoscaling" "podDisruptionBudget" "terminationGracePeriodSeconds") -}}
    {{- $components = append $components (dict "name" . "services" . "serviceList" (list .) "callees" $callees "public" (eq . "gateway") "apiClient" $apiClient "keepsData" $s.keepsData "personalData" $s.personalData "redis" $redis "settings" $settings "env" ($s.env | default dict)) -}}
  {{- end -}}
{{- else -}}
  {{- fail (printf "mode must be services or monolith, not %q" .Values.mode) -}}
{{- end -}}
{{- toJson $components -}}
{{- end -}}

{{/* The services that call a component (services mode): the gateway, those whose calls name it,
every service but the API clients for auth (its key set), and the API clients for the gateway.
As JSON. (dict "root" $ "component" NAME) */}}
{{- define "emporium.callers" -}}
{{- $root := .root -}}{{- $name := .component -}}
{{- $callers := list -}}
{{- range (include "emporium.components" $root | fromJsonArray) -}}
  {{- if and (ne .name $name) (has $name (include "emporium.reaches" (dict "root" $root "component" .) | fromJsonArray)) -}}
    {{- $callers = append $callers .name -}}
  {{- end -}}
{{- end -}}
{{- toJson ($callers | uniq) -}}
{{- end -}}

{{/* The components a component calls (its NetworkPolicy's egress to the release): its callees,
auth (its key set) for every service of services mode but auth and the API clients, and the
gateway for an API client. As JSON. (dict "root" $ "component" COMPONENT) */}}
{{- define "emporium.reaches" -}}
{{- $root := .root -}}{{- $c := .component -}}
{{- $reaches := $c.callees -}}
{{- if $c.apiClient }}{{ $reaches = append $reaches "gateway" }}{{ end -}}
{{- if and (eq $root.Values.mode "services") (ne $c.name "auth") (not $c.apiClient) (has "auth" (include "emporium.enabled" $root | fromJsonArray)) -}}
  {{- $reaches = append $reaches "auth" -}}
{{- end -}}
{{- toJson ($reaches | uniq) -}}
{{- end -}}
