{{/*
The container environment of a track: what the chart generates (service identity,
PROMETHEUS_MULTIPROC_DIR, OpenTelemetry), then the user's env. A variable the user sets
replaces the generated one of that name. OTEL_RESOURCE_ATTRIBUTES comes last so its
$(VAR) references to the Downward API variables resolve.
*/}}

{{/* The user's env for a track: `env`, with `canary.env` / `preview.env` replacing same-named entries on that track. */}}
{{- define "flask-lib.userEnv" -}}
{{- $v := .root.Values }}
{{- $override := (include "flask-lib.trackValues" . | fromYaml).env | default (list) }}
{{- $names := list }}
{{- range $override }}{{ $names = append $names .name }}{{ end }}
{{- $out := list }}
{{- range $v.env }}{{ if not (has .name $names) }}{{ $out = append $out . }}{{ end }}{{ end }}
{{- toYaml (dict "env" (concat $out $override)) }}
{{- end }}

{{- define "flask-lib.otel.serviceName" -}}
{{- default (include "flask-lib.fullname" .) .Values.opentelemetry.serviceName }}
{{- end }}

{{- define "flask-lib.otel.resourceAttributes" -}}
{{- $v := .root.Values }}
{{- $attrs := list
  "k8s.namespace.name=$(K8S_NAMESPACE_NAME)"
  "k8s.pod.name=$(K8S_POD_NAME)"
  "k8s.node.name=$(K8S_NODE_NAME)"
  "k8s.container.name=app"
  (printf "k8s.deployment.name=%s" (include "flask-lib.trackName" .))
  "service.instance.id=$(K8S_NAMESPACE_NAME).$(K8S_POD_NAME).app"
  (printf "service.version=%s" (include "flask-lib.version" .))
  (printf "flaskops.track=%s" .track) }}
{{- range $k, $val := $v.opentelemetry.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k (toString $val)) }}
{{- end }}
{{- join "," $attrs }}
{{- end }}

{{- define "flask-lib.fieldEnv" -}}
{{- dict "name" (index . 0) "valueFrom" (dict "fieldRef" (dict "fieldPath" (index . 1))) | toYaml }}
{{- end }}

{{- define "flask-lib.env" -}}
{{- $root := .root }}{{ $v := $root.Values }}{{ $otel := $v.opentelemetry }}
{{- $user := (include "flask-lib.userEnv" . | fromYaml).env | default (list) }}
{{- $taken := list }}
{{- range $user }}{{ $taken = append $taken .name }}{{ end }}
{{- $gen := list
  (dict "name" "FLASKOPS_SERVICE" "value" (include "flask-lib.fullname" $root))
  (dict "name" "FLASKOPS_TRACK" "value" .track)
  (dict "name" "FLASKOPS_VERSION" "value" (include "flask-lib.version" .)) }}
{{- if and $v.metrics.enabled $v.metrics.multiproc.enabled }}
{{- $gen = append $gen (dict "name" "PROMETHEUS_MULTIPROC_DIR" "value" $v.metrics.multiproc.dir) }}
{{- end }}
{{- if ne $otel.mode "off" }}
{{- $gen = append $gen (dict "name" "OTEL_SERVICE_NAME" "value" (include "flask-lib.otel.serviceName" $root)) }}
{{- end }}
{{- if eq $otel.mode "env" }}
{{- $gen = concat $gen (list
  (include "flask-lib.fieldEnv" (list "K8S_NAMESPACE_NAME" "metadata.namespace") | fromYaml)
  (include "flask-lib.fieldEnv" (list "K8S_POD_NAME" "metadata.name") | fromYaml)
  (include "flask-lib.fieldEnv" (list "K8S_NODE_NAME" "spec.nodeName") | fromYaml)
  (dict "name" "OTEL_EXPORTER_OTLP_ENDPOINT" "value" $otel.endpoint)
  (dict "name" "OTEL_EXPORTER_OTLP_PROTOCOL" "value" $otel.protocol)
  (dict "name" "OTEL_PROPAGATORS" "value" $otel.propagators)
  (dict "name" "OTEL_TRACES_SAMPLER" "value" $otel.sampler)
  (dict "name" "OTEL_TRACES_SAMPLER_ARG" "value" (toString $otel.samplerArg))
  (dict "name" "OTEL_TRACES_EXPORTER" "value" $otel.tracesExporter)
  (dict "name" "OTEL_METRICS_EXPORTER" "value" $otel.metricsExporter)
  (dict "name" "OTEL_LOGS_EXPORTER" "value" $otel.logsExporter)) }}
{{- end }}
{{- $out := list }}
{{- range $gen }}{{ if not (has .name $taken) }}{{ $out = append $out . }}{{ end }}{{ end }}
{{- $out = concat $out $user }}
{{- if and (eq $otel.mode "env") (not (has "OTEL_RESOURCE_ATTRIBUTES" $taken)) }}
{{- $out = append $out (dict "name" "OTEL_RESOURCE_ATTRIBUTES" "value" (include "flask-lib.otel.resourceAttributes" .)) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Pod annotations for the OpenTelemetry Operator's auto-instrumentation (operator mode). */}}
{{- define "flask-lib.otel.podAnnotations" -}}
{{- if eq .root.Values.opentelemetry.mode "operator" }}
instrumentation.opentelemetry.io/inject-python: {{ .root.Values.opentelemetry.instrumentation | quote }}
resource.opentelemetry.io/flaskops.track: {{ .track | quote }}
{{- end }}
{{- end }}
