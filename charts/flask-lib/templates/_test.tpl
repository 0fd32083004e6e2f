{{/*
`helm test` hook: a restricted-compliant pod that fetches /readyz through the Service. It
carries the release's instance label (so the NetworkPolicy lets it in) but not the app
name, so no Service selects it as an endpoint.
*/}}
{{- define "flask-lib.testPod" -}}
{{- if .Values.tests.enabled }}
{{- $full := include "flask-lib.fullname" . }}
apiVersion: v1
kind: Pod
metadata:
  name: {{ printf "%s-test-readyz" ($full | trunc 50 | trimSuffix "-") }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/component: test
    app.kubernetes.io/managed-by: {{ .Release.Service }}
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    # A one-shot client: probes and a NetworkPolicy of its own would protect nothing.
    checkov.io/skip1: CKV_K8S_8=one-shot helm test pod, nothing to probe
    checkov.io/skip2: CKV_K8S_9=one-shot helm test pod, nothing to probe
    checkov.io/skip3: CKV2_K8S_6=one-shot helm test client; it serves nothing, so no ingress policy
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: readyz
      image: {{ printf "%s:%s" .Values.tests.image.repository .Values.tests.image.tag | quote }}
      imagePullPolicy: IfNotPresent
      command: ["wget", "-q", "-O", "-", "-T", "5"]
      args: [{{ printf "http://%s:%v/readyz" $full .Values.service.port | quote }}]
      resources:
        requests:
          cpu: 10m
          memory: 16Mi
        limits:
          cpu: 100m
          memory: 32Mi
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        capabilities:
          drop: ["ALL"]
        seccompProfile:
          type: RuntimeDefault
{{- end }}
{{- end }}
