{{- define "flaskops-observability.collector.name" -}}
{{- printf "%s-collector" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "flaskops-observability.collector.serviceAccount" -}}
{{- .Values.collector.serviceAccount.name | default (include "flaskops-observability.collector.name" .) -}}
{{- end -}}

{{- define "flaskops-observability.collector.labels" -}}
app.kubernetes.io/name: flaskops-collector-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{/* The settings the values name, then the user's overrides on top. */}}
{{- define "flaskops-observability.collector.overrides" -}}
{{- $c := .Values.collector -}}
{{- $exporters := dict "otlp_grpc/traces" (dict "endpoint" $c.traces.endpoint "tls" (dict "insecure" $c.traces.insecure)) -}}
{{- if $c.spanMetrics.enabled -}}
{{- $_ := set $exporters "otlp_http/spanmetrics" (dict "metrics_endpoint" $c.spanMetrics.endpoint) -}}
{{- end -}}
{{- $base := dict "exporters" $exporters -}}
{{- toYaml (mergeOverwrite $base (deepCopy ($c.overrides | default dict))) -}}
{{- end -}}
