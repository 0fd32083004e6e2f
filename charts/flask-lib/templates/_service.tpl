{{/*
Services, called with (dict "root" $ "track" "stable"|"canary"|"preview").
With a blue/green preview (`preview.enabled`), `<fullname>` is the active Service: it selects
the stable pods, or the preview pods once `preview.active` is true; `<fullname>-preview`
always selects the preview pods.
`<fullname>` spans both tracks while a `replicas`-mode canary runs (the pod ratio is the
traffic split) and otherwise selects only stable pods: when a router splits traffic
(`gatewayAPI`, `nginx`; those modes add `<fullname>-canary` for the canary pods), and without
any second track, so that pods of a track being removed stop getting traffic at once.
*/}}

{{- define "flask-lib.service" -}}
{{- $root := .root }}{{ $v := $root.Values }}
{{- $routed := include "flask-lib.canary.routed" $root }}
{{- $preview := include "flask-lib.preview.enabled" $root }}
{{- if or (eq .track "stable") (and $v.canary.enabled $routed (eq .track "canary")) (and $preview (eq .track "preview")) }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "flask-lib.trackName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" $root | nindent 4 }}
    {{- if or $routed $preview }}
    flaskops.io/track: {{ .track }}
    {{- end }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- if and $preview (eq .track "stable") }}
    {{- /* the active Service: the switch of blue/green */ -}}
    {{- include "flask-lib.trackSelectorLabels" (dict "root" $root "track" (include "flask-lib.preview.activeTrack" $root)) | nindent 4 }}
    {{- else if and (eq .track "stable") $v.canary.enabled (not $routed) }}
    {{- /* a replicas-mode canary: the pod ratio behind one Service is the split */ -}}
    {{- include "flask-lib.selectorLabels" $root | nindent 4 }}
    {{- else }}
    {{- include "flask-lib.trackSelectorLabels" . | nindent 4 }}
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
