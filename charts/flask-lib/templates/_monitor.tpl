{{/*
ServiceMonitor or PodMonitor. Rendered only where the cluster serves monitoring.coreos.com/v1
(helm install asks the cluster; `helm template` needs `--api-versions monitoring.coreos.com/v1`).
The relabelings give every series the shared target labels: `service` (flaskops.io/service,
the same for both tracks, whatever Service the pod sits behind), `track` and `revision` (the
operator's flaskops.io/revision pod label: analysis reads only the analysed revision's series,
not a previous canary's still in the rate() window; absent, so dropped, for helm-only installs).
*/}}

{{- define "flask-lib.monitor.relabelings" -}}
- sourceLabels: [__meta_kubernetes_pod_label_flaskops_io_service]
  targetLabel: service
- sourceLabels: [__meta_kubernetes_pod_label_flaskops_io_track]
  targetLabel: track
- sourceLabels: [__meta_kubernetes_pod_label_flaskops_io_revision]
  targetLabel: revision
{{- with .Values.metrics.monitor.relabelings }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "flask-lib.monitor.endpoint" -}}
{{- $m := .Values.metrics.monitor }}
port: {{ include "flask-lib.metricsPortName" . }}
path: {{ .Values.metrics.path }}
interval: {{ $m.interval }}
scrapeTimeout: {{ $m.scrapeTimeout }}
honorLabels: {{ $m.honorLabels }}
relabelings:
  {{- include "flask-lib.monitor.relabelings" . | trim | nindent 2 }}
{{- with $m.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "flask-lib.monitor" -}}
{{- $m := .Values.metrics.monitor }}
{{- if and .Values.metrics.enabled $m.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}
apiVersion: monitoring.coreos.com/v1
kind: {{ $m.kind }}
metadata:
  name: {{ include "flask-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" . | nindent 4 }}
    {{- with $m.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "flask-lib.selectorLabels" . | nindent 6 }}
  {{- if eq $m.kind "PodMonitor" }}
  podMetricsEndpoints:
  {{- else }}
  endpoints:
  {{- end }}
    - {{- include "flask-lib.monitor.endpoint" . | trim | nindent 6 }}
{{- end }}
{{- end }}
