{{/* PodDisruptionBudget for the stable pods; the canary is short-lived and sized from the weight. */}}
{{- define "flask-lib.pdb" -}}
{{- $p := .Values.podDisruptionBudget }}
{{- if $p.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "flask-lib.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "flask-lib.labels" . | nindent 4 }}
spec:
  {{- if not (eq (toString $p.minAvailable) "") }}
  minAvailable: {{ $p.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $p.maxUnavailable }}
  {{- end }}
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- include "flask-lib.trackSelectorLabels" (dict "root" . "track" "stable") | nindent 6 }}
{{- end }}
{{- end }}
