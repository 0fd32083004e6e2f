{{/*
Blue/green by hand or by the operator: `preview.enabled` adds a full-size preview track
`<fullname>-preview` (Deployment + Service of the same name) next to the stable one. The main
Service `<fullname>` then selects one track by label: stable, or the preview once
`preview.active` is true (the switch: one selector change, so every Ingress, HTTPRoute and
in-cluster caller moves at once). Nothing else changes with the switch, so switching back is
the same one change while the old pods still run.
*/}}

{{- define "flask-lib.preview.enabled" -}}
{{- if .Values.preview.enabled }}true{{ end }}
{{- end }}

{{/* The track the main Service selects while a preview exists. */}}
{{- define "flask-lib.preview.activeTrack" -}}
{{- ternary "preview" "stable" (and .Values.preview.enabled .Values.preview.active) }}
{{- end }}

{{/* Preview pods: preview.replicaCount, else as many as stable (the HPA's minReplicas when it owns stable). */}}
{{- define "flask-lib.preview.replicas" -}}
{{- $p := .Values.preview }}
{{- if gt (int $p.replicaCount) 0 }}
{{- $p.replicaCount | int }}
{{- else if .Values.autoscaling.enabled }}
{{- .Values.autoscaling.minReplicas | int }}
{{- else }}
{{- .Values.replicaCount | int }}
{{- end }}
{{- end }}

{{- define "flask-lib.preview.validate" -}}
{{- if and .Values.preview.enabled .Values.canary.enabled }}
{{- fail "canary.enabled and preview.enabled are exclusive: a release is either a canary (weighted split) or blue/green (preview + switch); disable one" }}
{{- end }}
{{- if and .Values.preview.active (not .Values.preview.enabled) }}
{{- fail "preview.active=true needs preview.enabled=true (there is no preview track to switch to)" }}
{{- end }}
{{- end }}
