{{/*
Services, called with (dict "root" $ "track" "stable"|"canary").
`<fullname>` spans both tracks in `replicas` mode (the pod ratio is the traffic split) and
selects only stable pods when a router splits traffic (`gatewayAPI`, `nginx`); those modes
add `<fullname>-canary` for the canary pods.
*/}}

{{- define "flask-lib.service" -}}
{{- $root := .root }}{{ $v := $root.Values }}
{{- $routed := include "flask-lib.canary.routed" $root }}
{{- if or (eq .track "stable") (and $v.canary.enabled $routed) }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "flask-lib.trackName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" $root | nindent 4 }}
    {{- if $routed }}
    flaskops.io/track: {{ .track }}
    {{- end }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- if $routed }}
    {{- include "flask-lib.trackSelectorLabels" . | nindent 4 }}
    {{- else }}
    {{- include "flask-lib.selectorLabels" $root | nindent 4 }}
    {{- end }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
    {{- if and $v.metrics.enabled (gt (int $v.metrics.port) 0) }}
    - name: metrics
      port: {{ $v.metrics.port }}
      targetPort: metrics
      protocol: TCP
    {{- end }}
{{- end }}
{{- end }}
