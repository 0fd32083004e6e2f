{{/*
Ingress, called with (dict "root" $ "track" "stable"|"canary"). The canary Ingress exists in
`nginx` mode: the same hosts and paths, pointing at `<fullname>-canary`, with the
ingress-nginx canary annotations (weight, optional header / cookie routing).
*/}}

{{- define "flask-lib.ingress.canaryAnnotations" -}}
{{- $c := .Values.canary }}
nginx.ingress.kubernetes.io/canary: "true"
nginx.ingress.kubernetes.io/canary-weight: {{ $c.weight | int | toString | quote }}
nginx.ingress.kubernetes.io/canary-weight-total: "100"
{{- with $c.nginx.header }}
nginx.ingress.kubernetes.io/canary-by-header: {{ . | quote }}
{{- end }}
{{- with $c.nginx.headerValue }}
nginx.ingress.kubernetes.io/canary-by-header-value: {{ . | quote }}
{{- end }}
{{- with $c.nginx.cookie }}
nginx.ingress.kubernetes.io/canary-by-cookie: {{ . | quote }}
{{- end }}
{{- end }}

{{- define "flask-lib.ingress" -}}
{{- $root := .root }}{{ $v := $root.Values }}{{ $ing := $v.ingress }}
{{- $canary := eq .track "canary" }}
{{- if and $ing.enabled (or (not $canary) (and $v.canary.enabled (eq $v.canary.traffic "nginx"))) }}
{{- $name := include "flask-lib.trackName" . }}
{{- $annotations := deepCopy ($ing.annotations | default dict) }}
{{- if $canary }}{{ $annotations = mustMergeOverwrite $annotations (include "flask-lib.ingress.canaryAnnotations" $root | fromYaml) }}{{ end }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" $root | nindent 4 }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $ing.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if and $ing.tls (not $canary) }}
  tls:
    {{- range $ing.tls }}
    - hosts:
        {{- range .hosts }}
        - {{ . | quote }}
        {{- end }}
      secretName: {{ .secretName }}
    {{- end }}
  {{- end }}
  rules:
    {{- range $ing.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType }}
            backend:
              service:
                name: {{ $name }}
                port:
                  name: http
          {{- end }}
    {{- end }}
{{- end }}
{{- end }}
