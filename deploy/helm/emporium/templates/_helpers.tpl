{{/* The release's base name. */}}
{{- define "emporium.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "emporium.labels" -}}
app.kubernetes.io/name: emporium
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: emporium
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The labels that select one component's pods: (dict "root" $ "component" NAME). */}}
{{- define "emporium.selector" -}}
app.kubernetes.io/name: emporium
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image reference: (dict "root" $ "tag" TAG-or-empty). */}}
{{- define "emporium.image" -}}
{{- $image := .root.Values.image -}}
{{- if and $image.digest (not .tag) -}}
{{ $image.repository }}@{{ $image.digest }}
{{- else -}}
{{ $image.repository }}:{{ .tag | default $image.tag | default .root.Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The enabled services, in a stable order, as a list. */}}
{{- define "emporium.enabled" -}}
{{- $names := list -}}
{{- range $name, $s := .Values.services -}}
{{- if $s.enabled -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* The enabled services that keep data, comma-separated. */}}
{{- define "emporium.dataServices" -}}
{{- $names := list -}}
{{- range $name, $s := .Values.services -}}
{{- if and $s.enabled $s.keepsData -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}

{{/* Whether any enabled service keeps personal data. */}}
{{- define "emporium.anyPersonalData" -}}
{{- range $name, $s := .Values.services -}}
{{- if and $s.enabled $s.personalData -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* An environment variable from the release's Secret: (dict "root" $ "name" VAR "key" KEY). */}}
{{- define "emporium.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secret.name }}
      key: {{ .key }}
{{- end -}}

{{/* The database variables of the given services (a list): (dict "root" $ "services" LIST). */}}
{{- define "emporium.databaseEnv" -}}
{{- if .root.Values.databases.shared -}}
{{ include "emporium.secretEnv" (dict "root" .root "name" "EMPORIUM_DATABASE_URL" "key" "database-url") }}
{{- else -}}
{{- range $i, $service := .services -}}
{{- if $i }}{{ "\n" }}{{ end -}}
{{ include "emporium.secretEnv" (dict "root" $.root "name" (printf "EMPORIUM_%s_DATABASE_URL" (upper $service)) "key" (printf "%s-database-url" $service)) }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The data keys, for processes whose services keep personal data. */}}
{{- define "emporium.keysEnv" -}}
{{ include "emporium.secretEnv" (dict "root" . "name" "EMPORIUM_SECURITY_DATA_KEYS" "key" "security-data-keys") }}
{{ include "emporium.secretEnv" (dict "root" . "name" "EMPORIUM_SECURITY_INDEX_KEY" "key" "security-index-key") }}
{{- end -}}

{{/* The base URL of a service's Kubernetes Service: (dict "root" $ "service" NAME). */}}
{{- define "emporium.serviceURL" -}}
http://{{ include "emporium.fullname" .root }}-{{ .service }}.{{ .root.Release.Namespace }}.svc.cluster.local:8080
{{- end -}}

{{/* The volumes of every Emporium pod: the data folder and /tmp in memory (read-only root). */}}
{{- define "emporium.volumes" -}}
- name: data
  emptyDir: {sizeLimit: 256Mi}
- name: tmp
  emptyDir: {sizeLimit: 64Mi}
{{- end -}}
{{- define "emporium.volumeMounts" -}}
- name: data
  mountPath: /var/lib/emporium
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* The probes: liveness and start-up on /health/live, readiness on /health/ready. */}}
{{- define "emporium.probes" -}}
startupProbe:
  httpGet: {path: /health/live, port: http}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /health/live, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /health/ready, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/* checkov findings that are decisions, with the reason (metadata.annotations). */}}
{{- define "emporium.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_35=Emporium reads its settings from environment variables, flags or a JSON file only; the secrets come from secretKeyRef, never from values
checkov.io/skip2: CKV_K8S_43=The image is pulled by digest when image.digest is set (values-production.yaml); a tag is the default for trials
checkov.io/skip3: CKV_K8S_15=IfNotPresent is right for immutable tags and digests; Always adds a registry round trip to every start
{{- end -}}
