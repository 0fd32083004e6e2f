{{/*
Gateway API HTTPRoute. Every rule sends to `<fullname>`; in `gatewayAPI` canary mode it also
sends to `<fullname>-canary`, with backendRef weights 100-w and w.
*/}}
{{- define "flask-lib.httpRoute" -}}
{{- $r := .Values.httpRoute }}
{{- if $r.enabled }}
{{- $full := include "flask-lib.fullname" . }}
{{- $port := .Values.service.port }}
{{- $w := int .Values.canary.weight }}
{{- $backends := list (dict "name" $full "port" $port "weight" 1) }}
{{- if and .Values.canary.enabled (eq .Values.canary.traffic "gatewayAPI") }}
{{- $backends = list
  (dict "name" $full "port" $port "weight" (sub 100 $w))
  (dict "name" (include "flask-lib.trackName" (dict "root" . "track" "canary")) "port" $port "weight" $w) }}
{{- end }}
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{ $full }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" . | nindent 4 }}
  {{- with $r.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  parentRefs:
    {{- toYaml $r.parentRefs | nindent 4 }}
  {{- with $r.hostnames }}
  hostnames:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    {{- range $r.rules }}
    - {{- with .matches }}
      matches:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .filters }}
      filters:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      backendRefs:
        {{- toYaml $backends | nindent 8 }}
    {{- end }}
{{- end }}
{{- end }}
