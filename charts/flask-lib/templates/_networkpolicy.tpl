{{/*
NetworkPolicy for both tracks: the HTTP port is open to this release's pods, optionally to
the whole namespace and to configured peers; the metrics port to the monitoring namespace.
Egress is left open unless networkPolicy.egress.restrict, which allows DNS plus egress.to.
*/}}
{{- define "flask-lib.networkPolicy" -}}
{{- $n := .Values.networkPolicy }}
{{- if $n.enabled }}
{{- $metricsPort := include "flask-lib.metricsPortName" . }}
{{- $peers := list }}
{{- if $n.ingress.fromSameApp }}
{{- $peers = append $peers (dict "podSelector" (dict "matchLabels" (dict "app.kubernetes.io/instance" .Release.Name))) }}
{{- end }}
{{- if $n.ingress.fromSameNamespace }}
{{- $peers = append $peers (dict "podSelector" dict) }}
{{- end }}
{{- $peers = concat $peers ($n.ingress.from | default (list)) }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "flask-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "flask-lib.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    {{- if $n.egress.restrict }}
    - Egress
    {{- end }}
  ingress:
    {{- if $peers }}
    - from:
        {{- toYaml $peers | nindent 8 }}
      ports:
        - port: http
          protocol: TCP
        {{- if eq $metricsPort "metrics" }}
        - port: metrics
          protocol: TCP
        {{- end }}
    {{- end }}
    {{- if and .Values.metrics.enabled $n.ingress.monitoringNamespaceSelector }}
    - from:
        - namespaceSelector:
            matchLabels:
              {{- toYaml $n.ingress.monitoringNamespaceSelector | nindent 14 }}
      ports:
        - port: {{ $metricsPort }}
          protocol: TCP
    {{- end }}
  {{- if $n.egress.restrict }}
  egress:
    - to:
        - namespaceSelector: {}
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    {{- with $n.egress.to }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end }}
{{- end }}
