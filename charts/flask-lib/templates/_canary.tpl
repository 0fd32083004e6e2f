{{/*
Canary sizing. `flask-lib.canary.plan` returns YAML:
  stable:  replicas of the stable Deployment (null when the HPA owns it)
  canary:  replicas of the canary Deployment
  effectiveWeight: the canary's share of traffic the split really gives, as a string
  basis:   what the effective weight was computed from
All arithmetic is integer, so the operator and the tests can reproduce it exactly.

replicas mode (the canary's share of ready pods is its share of traffic):
  HPA off: N = replicaCount pods in total; canary = round(N * w / 100), stable = N - canary.
  HPA on:  the HPA owns stable; taking its minReplicas S as the basis, canary = round(S * w / (100 - w))
           (w = 100: maxReplicas), capped at maxReplicas; effective = canary / (S + canary).
           When the HPA adds stable pods the canary's real share drops below this.
gatewayAPI / nginx modes (the router splits by weight, pods only need capacity):
  stable keeps replicaCount (or the HPA); canary = canary.replicaCount, or ceil(S * w / 100) and at least 1.
*/}}

{{- define "flask-lib.canary.enabled" -}}
{{- if .Values.canary.enabled }}true{{ end }}
{{- end }}

{{/* True when Services, Ingress or HTTPRoute split traffic, rather than the pod ratio. */}}
{{- define "flask-lib.canary.routed" -}}
{{- if ne .Values.canary.traffic "replicas" }}true{{ end }}
{{- end }}

{{/* percentage c/total with at most two decimals, rounded half up: 1/3 -> "33.33", 1/2 -> "50" */}}
{{- define "flask-lib.canary.percent" -}}
{{- $c := int (index . 0) }}{{ $total := int (index . 1) }}
{{- if le $total 0 }}0{{ else }}
{{- $h := div (add (mul 20000 $c) $total) (mul 2 $total) }}
{{- $frac := mod $h 100 }}
{{- if eq $frac 0 }}{{ div $h 100 }}{{ else }}{{ printf "%d.%02d" (div $h 100) $frac | trimSuffix "0" }}{{ end }}
{{- end }}
{{- end }}

{{- define "flask-lib.canary.plan" -}}
{{- $v := .Values }}
{{- $w := int $v.canary.weight }}
{{- $hpa := $v.autoscaling.enabled }}
{{- $stable := int $v.replicaCount }}
{{- $base := ternary (int $v.autoscaling.minReplicas) $stable $hpa }}
{{- $max := int $v.autoscaling.maxReplicas }}
{{- $canary := 0 }}
{{- $effective := "0" }}
{{- $basis := "" }}
{{- if not $v.canary.enabled }}
{{- $effective = "0" }}
{{- $basis = "canary disabled" }}
{{- else if include "flask-lib.canary.routed" . }}
{{- $canary = int $v.canary.replicaCount }}
{{- if le $canary 0 }}
{{- $canary = max 1 (div (add (mul $base $w) 99) 100) }}
{{- end }}
{{- $effective = toString $w }}
{{- $basis = printf "%s routes by weight" $v.canary.traffic }}
{{- else if not $hpa }}
{{- $canary = div (add (mul $stable $w) 50) 100 }}
{{- $effective = include "flask-lib.canary.percent" (list $canary $stable) }}
{{- $basis = printf "%d of %d pods" $canary $stable }}
{{- $stable = sub $stable $canary }}
{{- else }}
{{- if eq $w 100 }}
{{- $canary = $max }}
{{- else }}
{{- $canary = min $max (div (add (mul 2 $base $w) (sub 100 $w)) (mul 2 (sub 100 $w))) }}
{{- end }}
{{- $effective = include "flask-lib.canary.percent" (list $canary (add $base $canary)) }}
{{- $basis = printf "%d canary pods next to autoscaling.minReplicas=%d stable pods" $canary $base }}
{{- end }}
stable: {{ if $hpa }}null{{ else }}{{ $stable }}{{ end }}
canary: {{ $canary }}
effectiveWeight: {{ $effective | quote }}
basis: {{ $basis | quote }}
{{- end }}

{{/* Annotations that tell people and the operator what split the chart achieved. */}}
{{- define "flask-lib.canary.annotations" -}}
{{- if .Values.canary.enabled }}
{{- $plan := include "flask-lib.canary.plan" . | fromYaml }}
flaskops.io/traffic: {{ .Values.canary.traffic | quote }}
flaskops.io/weight: {{ .Values.canary.weight | int | toString | quote }}
flaskops.io/effective-weight: {{ $plan.effectiveWeight | quote }}
flaskops.io/effective-weight-basis: {{ $plan.basis | quote }}
{{- end }}
{{- end }}

{{/* Fail early on combinations that cannot work, naming the values to change. */}}
{{- define "flask-lib.canary.validate" -}}
{{- $c := .Values.canary }}
{{- if $c.enabled }}
{{- if and (eq $c.traffic "gatewayAPI") (not .Values.httpRoute.enabled) }}
{{- fail "canary.traffic=gatewayAPI needs httpRoute.enabled=true (the HTTPRoute carries the weights)" }}
{{- end }}
{{- if and (eq $c.traffic "nginx") (not .Values.ingress.enabled) }}
{{- fail "canary.traffic=nginx needs ingress.enabled=true (the canary Ingress mirrors it)" }}
{{- end }}
{{- end }}
{{- end }}
