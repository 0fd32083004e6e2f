{{/*
The Deployment of one track, called with (dict "root" $ "track" "stable"|"canary"|"preview").
The stable Deployment is `<fullname>`, the canary `<fullname>-canary`, the blue/green preview
`<fullname>-preview`; their selectors
differ only in flaskops.io/track, so each owns its pods and one Service can span both.
*/}}

{{- define "flask-lib.args" -}}
{{- $v := .Values }}{{ $g := $v.gunicorn }}
{{- if $v.args }}
{{- toYaml $v.args }}
{{- else if not $v.command }}
{{- $args := list
  (printf "--bind=0.0.0.0:%d" (int $v.containerPort))
  (printf "--workers=%d" (int $g.workers))
  (printf "--threads=%d" (int $g.threads))
  (printf "--timeout=%d" (int $g.timeout))
  (printf "--graceful-timeout=%d" (int $g.gracefulTimeout))
  "--access-logfile=-" }}
{{- toYaml (concat $args ($g.extraArgs | default (list)) (compact (list $g.app))) }}
{{- end }}
{{- end }}

{{- define "flask-lib.volumes" -}}
{{- $v := .Values }}
- name: tmp
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
{{- if and $v.metrics.enabled $v.metrics.multiproc.enabled }}
- name: prometheus-multiproc
  # tmpfs: on a disk-backed volume every counter update dirties an mmap'd page the kernel
  # writes back, which costs ~100 us per request (docs/benchmarks.md).
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end }}
{{- with $v.volumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "flask-lib.volumeMounts" -}}
{{- $v := .Values }}
- name: tmp
  mountPath: /tmp
{{- if and $v.metrics.enabled $v.metrics.multiproc.enabled }}
- name: prometheus-multiproc
  mountPath: {{ $v.metrics.multiproc.dir }}
{{- end }}
{{- with $v.volumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* topologySpreadConstraints; an entry without labelSelector spreads the track's own pods. */}}
{{- define "flask-lib.topologySpread" -}}
{{- $selector := dict "matchLabels" (include "flask-lib.trackSelectorLabels" . | fromYaml) }}
{{- $out := list }}
{{- range .root.Values.topologySpreadConstraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}{{ $_ := set $c "labelSelector" $selector }}{{ end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{- define "flask-lib.deployment" -}}
{{- $root := .root }}{{ $v := $root.Values }}
{{- $plan := include "flask-lib.canary.plan" $root | fromYaml }}
{{- $replicas := "" }}
{{- if eq .track "preview" }}
{{- $replicas = include "flask-lib.preview.replicas" $root | int }}
{{- else }}
{{- $replicas = index $plan .track }}
{{- end }}
{{- include "flask-lib.validateVolumes" $root }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "flask-lib.trackName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "flask-lib.trackLabels" . | nindent 4 }}
  {{- with include "flask-lib.canary.annotations" $root }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
spec:
  {{- if not (kindIs "invalid" $replicas) }}
  replicas: {{ $replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "flask-lib.trackSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      {{- /* a canary's / preview's own annotations win on its pods (e.g. the operator's revision id) */ -}}
      {{- $trackAnnotations := (include "flask-lib.trackValues" . | fromYaml).podAnnotations | default dict }}
      {{- $annotations := mustMerge $trackAnnotations (include "flask-lib.checksums" . | fromYaml) (include "flask-lib.otel.podAnnotations" . | fromYaml) ($v.podAnnotations | default dict) }}
      {{- with $annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- /* a canary's / preview's own labels win over podLabels (e.g. the operator's
        flaskops.io/revision, which the monitors relabel to `revision`); the track labels win
        over both. The Deployment selector stays trackSelectorLabels: it is immutable. */ -}}
      {{- $trackPodLabels := (include "flask-lib.trackValues" . | fromYaml).podLabels | default dict }}
      {{- $ownLabels := include "flask-lib.trackLabels" . | fromYaml }}
      {{- $extraLabels := dict }}
      {{- range $key, $value := mustMerge $trackPodLabels ($v.podLabels | default dict) }}
      {{- if not (hasKey $ownLabels $key) }}{{ $_ := set $extraLabels $key $value }}{{ end }}
      {{- end }}
      labels:
        {{- include "flask-lib.trackLabels" . | nindent 8 }}
        {{- with $extraLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "flask-lib.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $v.serviceAccount.automount }}
      enableServiceLinks: false
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- include "flask-lib.podSecurityContext" $root | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      containers:
        - name: app
          image: {{ include "flask-lib.image" . | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command:
            {{- toYaml (default (list "gunicorn") $v.command) | nindent 12 }}
          {{- with include "flask-lib.args" $root }}
          args:
            {{- . | nindent 12 }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ $v.containerPort }}
              protocol: TCP
            {{- if and $v.metrics.enabled (gt (int $v.metrics.port) 0) }}
            - name: metrics
              containerPort: {{ $v.metrics.port }}
              protocol: TCP
            {{- end }}
          env:
            {{- include "flask-lib.env" . | nindent 12 }}
          {{- with include "flask-lib.envFrom" . | fromYamlArray }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.livenessProbe }}
          livenessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.readinessProbe }}
          readinessProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.startupProbe }}
          startupProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- if gt (int $v.preStopSleepSeconds) 0 }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $v.preStopSleepSeconds }}
          {{- end }}
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- include "flask-lib.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            {{- include "flask-lib.volumeMounts" $root | trim | nindent 12 }}
      volumes:
        {{- include "flask-lib.volumes" $root | trim | nindent 8 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with include "flask-lib.topologySpread" . | fromYamlArray }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
