{{/*
ConfigMap and Secret loaded as environment variables. The pod template carries a checksum
of what the chart created, so a changed value rolls the pods; referenced (existing) objects
are not checksummed because the chart cannot see their content at render time.
*/}}

{{/* The ConfigMap data of a track: config.data, with canary.config / preview.config on top for that track. */}}
{{- define "flask-lib.configData" -}}
{{- $v := .root.Values }}
{{- $data := deepCopy ($v.config.data | default dict) }}
{{- if ne .track "stable" }}{{ $data = mustMergeOverwrite $data (deepCopy ((index $v .track).config | default dict)) }}{{ end }}
{{- toYaml $data }}
{{- end }}

{{/* Name of the created ConfigMap a track reads ("" when none): a canary / preview has its own only when it overrides keys. */}}
{{- define "flask-lib.configMapName" -}}
{{- $v := .root.Values }}
{{- if and (ne .track "stable") (index $v .track).config }}
{{- include "flask-lib.trackName" . }}
{{- else if $v.config.data }}
{{- include "flask-lib.fullname" .root }}
{{- end }}
{{- end }}

{{- define "flask-lib.configmap" -}}
{{- $name := include "flask-lib.configMapName" . }}
{{- if and $name (or (eq .track "stable") (index .root.Values .track).config) }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" .root | nindent 4 }}
data:
  {{- range $k, $val := (include "flask-lib.configData" . | fromYaml) }}
  {{ $k }}: {{ toString $val | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "flask-lib.secret" -}}
{{- with .Values.secret.data }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "flask-lib.fullname" $ }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" $ | nindent 4 }}
type: Opaque
stringData:
  {{- range $k, $val := . }}
  {{ $k }}: {{ toString $val | quote }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "flask-lib.envFrom" -}}
{{- $v := .root.Values }}
{{- $out := list }}
{{- with include "flask-lib.configMapName" . }}{{ $out = append $out (dict "configMapRef" (dict "name" .)) }}{{ end }}
{{- with $v.config.existingConfigMap }}{{ $out = append $out (dict "configMapRef" (dict "name" .)) }}{{ end }}
{{- if $v.secret.data }}{{ $out = append $out (dict "secretRef" (dict "name" (include "flask-lib.fullname" .root))) }}{{ end }}
{{- with $v.secret.existingSecret }}{{ $out = append $out (dict "secretRef" (dict "name" .)) }}{{ end }}
{{- toYaml (concat $out ($v.envFrom | default (list))) }}
{{- end }}

{{/* Pod-template annotations that change whenever created config or secret values change. */}}
{{- define "flask-lib.checksums" -}}
{{- if include "flask-lib.configMapName" . }}
checksum/config: {{ include "flask-lib.configData" . | sha256sum }}
{{- end }}
{{- with .root.Values.secret.data }}
checksum/secret: {{ toYaml . | sha256sum }}
{{- end }}
{{- end }}
