{{/*
Names, labels and images. Templates that differ per track take a context
`(dict "root" $ "track" "stable"|"canary")`; the others take the root context.
*/}}

{{- define "flask-lib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Same rules as `helm create`: fullnameOverride, else release name (+ chart name unless already in it). */}}
{{- define "flask-lib.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of a per-track object: the fullname for stable, `<fullname>-canary` / `<fullname>-preview` (still <= 63) for the others. */}}
{{- define "flask-lib.trackName" -}}
{{- $full := include "flask-lib.fullname" .root }}
{{- if ne .track "stable" }}
{{- printf "%s-%s" ($full | trunc 55 | trimSuffix "-") .track }}
{{- else }}
{{- $full }}
{{- end }}
{{- end }}

{{- define "flask-lib.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flask-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flask-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of one track's pods. */}}
{{- define "flask-lib.trackSelectorLabels" -}}
{{ include "flask-lib.selectorLabels" .root }}
flaskops.io/track: {{ .track }}
{{- end }}

{{/* Labels of objects that belong to the whole service. */}}
{{- define "flask-lib.labels" -}}
helm.sh/chart: {{ include "flask-lib.chart" . }}
{{ include "flask-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ include "flask-lib.version" (dict "root" . "track" "stable") | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
flaskops.io/service: {{ include "flask-lib.fullname" . }}
{{- end }}

{{/* Labels of one track's objects and pods: the shared contract (name, instance, service, track). */}}
{{- define "flask-lib.trackLabels" -}}
helm.sh/chart: {{ include "flask-lib.chart" .root }}
{{ include "flask-lib.trackSelectorLabels" . }}
app.kubernetes.io/version: {{ include "flask-lib.version" . | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
flaskops.io/service: {{ include "flask-lib.fullname" .root }}
{{- end }}

{{/* The values of a second track (`canary` or `preview`): image, env, config, podAnnotations, podLabels; empty for stable. */}}
{{- define "flask-lib.trackValues" -}}
{{- if ne .track "stable" }}{{ toYaml (index .root.Values .track) }}{{ end }}
{{- end }}

{{/* The image values of a track: canary / preview fields fall back to the stable repository. */}}
{{- define "flask-lib.imageValues" -}}
{{- $img := .root.Values.image }}
{{- if ne .track "stable" }}
{{- $c := (index .root.Values .track).image }}
{{- if not (or $c.tag $c.digest) }}
{{- fail (printf "%s.image.tag or %s.image.digest is required when %s.enabled is true" .track .track .track) }}
{{- end }}
{{- dict "repository" (default $img.repository $c.repository) "tag" $c.tag "digest" $c.digest | toYaml }}
{{- else }}
{{- dict "repository" $img.repository "tag" (ternary (default .root.Chart.AppVersion $img.tag) $img.tag (empty $img.digest)) "digest" $img.digest | toYaml }}
{{- end }}
{{- end }}

{{/* repository[:tag][@digest] */}}
{{- define "flask-lib.image" -}}
{{- $i := include "flask-lib.imageValues" . | fromYaml }}
{{- $ref := $i.repository }}
{{- if $i.tag }}{{ $ref = printf "%s:%s" $ref (toString $i.tag) }}{{ end }}
{{- if $i.digest }}{{ $ref = printf "%s@%s" $ref $i.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{/* Version of a track (label and service.version): the tag, else the digest's first 12 hex digits. */}}
{{- define "flask-lib.version" -}}
{{- $i := include "flask-lib.imageValues" . | fromYaml }}
{{- if $i.tag }}
{{- toString $i.tag | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- regexReplaceAll "^[a-z0-9]+:" (toString $i.digest) "" | trunc 12 }}
{{- end }}
{{- end }}

{{- define "flask-lib.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flask-lib.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the port Prometheus scrapes. */}}
{{- define "flask-lib.metricsPortName" -}}
{{- ternary "metrics" "http" (gt (int .Values.metrics.port) 0) }}
{{- end }}
