{{/*
The entry point: every object of a Flask service, for the chart's values. A chart that
depends on flask-lib renders everything with one line, `{{ include "flask-lib.all" . }}`,
or picks single templates (flask-lib.deployment, flask-lib.service, ...) instead.
*/}}

{{- define "flask-lib.validate" -}}
{{- range list "image" "canary" "preview" "metrics" "opentelemetry" "autoscaling" "networkPolicy" "serviceAccount" }}
{{- if not (hasKey $.Values .) }}
{{- fail (printf "flask-lib: value %q is missing; start your values from charts/flask-service/values.yaml" .) }}
{{- end }}
{{- end }}
{{- include "flask-lib.canary.validate" . }}
{{- include "flask-lib.preview.validate" . }}
{{- end }}

{{- define "flask-lib.all" -}}
{{- include "flask-lib.validate" . }}
{{- $stable := dict "root" . "track" "stable" }}
{{- $canary := dict "root" . "track" "canary" }}
{{- $preview := dict "root" . "track" "preview" }}
{{- $docs := list
  (include "flask-lib.serviceAccount" .)
  (include "flask-lib.configmap" $stable)
  (include "flask-lib.secret" .)
  (include "flask-lib.service" $stable)
  (include "flask-lib.deployment" $stable)
  (include "flask-lib.hpa" .)
  (include "flask-lib.pdb" .)
  (include "flask-lib.networkPolicy" .)
  (include "flask-lib.ingress" $stable)
  (include "flask-lib.httpRoute" .)
  (include "flask-lib.monitor" .)
  (include "flask-lib.prometheusRule" .) }}
{{- if .Values.canary.enabled }}
{{- $docs = concat $docs (list
  (include "flask-lib.configmap" $canary)
  (include "flask-lib.service" $canary)
  (include "flask-lib.deployment" $canary)
  (include "flask-lib.ingress" $canary)) }}
{{- end }}
{{- if .Values.preview.enabled }}
{{- $docs = concat $docs (list
  (include "flask-lib.configmap" $preview)
  (include "flask-lib.service" $preview)
  (include "flask-lib.deployment" $preview)) }}
{{- end }}
{{- range $docs }}
{{- if trim . }}
---
{{ trim . }}
{{- end }}
{{- end }}
{{- end }}
