{{/*
PrometheusRule with RED alerts for the service, on the prometheus_flask_exporter metric names
and the shared `namespace` / `service` target labels. Thresholds are values; extra rules are
appended with metrics.prometheusRule.additionalRules.
*/}}

{{- define "flask-lib.prometheusRule.selector" -}}
namespace="{{ .Release.Namespace }}",service="{{ include "flask-lib.fullname" . }}"
{{- end }}

{{- define "flask-lib.prometheusRule" -}}
{{- $r := .Values.metrics.prometheusRule }}
{{- if and .Values.metrics.enabled $r.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}
{{- $sel := include "flask-lib.prometheusRule.selector" . }}
{{- $svc := include "flask-lib.fullname" . }}
{{- $labels := mustMerge (dict "namespace" .Release.Namespace "service" $svc) ($r.alertLabels | default dict) }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ $svc }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" . | nindent 4 }}
    {{- with $r.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  groups:
    - name: {{ $svc }}.red
      rules:
        {{- if $r.errorRatio.enabled }}
        - alert: FlaskServiceHighErrorRatio
          expr: |-
            sum(rate(flask_http_request_total{ {{- $sel }},status=~"5.."}[{{ $r.window }}]))
              / sum(rate(flask_http_request_total{ {{- $sel -}} }[{{ $r.window }}]))
              > {{ $r.errorRatio.threshold }}
          for: {{ $r.errorRatio.for }}
          labels:
            {{- toYaml $labels | nindent 12 }}
          annotations:
            summary: {{ printf "%s returns too many 5xx responses" $svc | quote }}
            description: {{ printf "{{ $value | humanizePercentage }} of the requests to %s in %s failed over %s (threshold %v)." $svc .Release.Namespace $r.window $r.errorRatio.threshold | quote }}
        {{- end }}
        {{- if $r.latency.enabled }}
        - alert: FlaskServiceHighLatencyP99
          expr: |-
            histogram_quantile(0.99, sum by (le) (rate(flask_http_request_duration_seconds_bucket{ {{- $sel -}} }[{{ $r.window }}])))
              > {{ $r.latency.thresholdSeconds }}
          for: {{ $r.latency.for }}
          labels:
            {{- toYaml $labels | nindent 12 }}
          annotations:
            summary: {{ printf "%s p99 latency is high" $svc | quote }}
            description: {{ printf "p99 latency of %s in %s is {{ $value | humanizeDuration }} (threshold %vs)." $svc .Release.Namespace $r.latency.thresholdSeconds | quote }}
        {{- end }}
        {{- if $r.noTraffic.enabled }}
        - alert: FlaskServiceNoTraffic
          expr: |-
            (sum(rate(flask_http_request_total{ {{- $sel -}} }[{{ $r.window }}])) or vector(0)) == 0
          for: {{ $r.noTraffic.for }}
          labels:
            {{- toYaml $labels | nindent 12 }}
          annotations:
            summary: {{ printf "%s receives no requests" $svc | quote }}
            description: {{ printf "No request reached %s in %s for %s: is it scraped, and is traffic routed to it?" $svc .Release.Namespace $r.noTraffic.for | quote }}
        {{- end }}
        {{- with $r.additionalRules }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}
{{- end }}
