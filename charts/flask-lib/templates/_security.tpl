{{/*
Security contexts. With restrictedPodSecurity (the default) the fields the `restricted` Pod
Security Standard checks are forced on top of whatever the values say, so a pod the chart
renders is always admitted by a namespace enforcing `restricted`; what the standard does not
check (UIDs, fsGroup, readOnlyRootFilesystem) stays the user's choice.
*/}}

{{- define "flask-lib.seccompForced" -}}
{{- $type := dig "seccompProfile" "type" "" . }}
{{- if not (has $type (list "RuntimeDefault" "Localhost")) }}
{{- dict "seccompProfile" (dict "type" "RuntimeDefault") | toYaml }}
{{- end }}
{{- end }}

{{- define "flask-lib.podSecurityContext" -}}
{{- $ctx := deepCopy (.Values.podSecurityContext | default dict) }}
{{- if .Values.restrictedPodSecurity }}
{{- if eq (int (dig "runAsUser" 1 $ctx)) 0 }}
{{- fail "podSecurityContext.runAsUser: 0 (root) is not allowed while restrictedPodSecurity is true" }}
{{- end }}
{{- $_ := set $ctx "runAsNonRoot" true }}
{{- $ctx = mustMergeOverwrite $ctx (include "flask-lib.seccompForced" $ctx | fromYaml) }}
{{- end }}
{{- toYaml $ctx }}
{{- end }}

{{- define "flask-lib.containerSecurityContext" -}}
{{- $ctx := deepCopy (.Values.securityContext | default dict) }}
{{- if .Values.restrictedPodSecurity }}
{{- if eq (int (dig "runAsUser" 1 $ctx)) 0 }}
{{- fail "securityContext.runAsUser: 0 (root) is not allowed while restrictedPodSecurity is true" }}
{{- end }}
{{- /* restricted allows adding back only NET_BIND_SERVICE */}}
{{- $add := list }}
{{- if has "NET_BIND_SERVICE" (dig "capabilities" "add" (list) $ctx) }}{{ $add = list "NET_BIND_SERVICE" }}{{ end }}
{{- $caps := dict "drop" (list "ALL") }}
{{- if $add }}{{ $_ := set $caps "add" $add }}{{ end }}
{{- $_ := set $ctx "capabilities" $caps }}
{{- $_ = set $ctx "allowPrivilegeEscalation" false }}
{{- $_ = set $ctx "privileged" false }}
{{- $_ = set $ctx "runAsNonRoot" true }}
{{- $ctx = mustMergeOverwrite $ctx (include "flask-lib.seccompForced" $ctx | fromYaml) }}
{{- end }}
{{- toYaml $ctx }}
{{- end }}

{{/* restricted forbids every volume type but these (no hostPath, no NFS...). */}}
{{- define "flask-lib.validateVolumes" -}}
{{- if .Values.restrictedPodSecurity }}
{{- $allowed := list "name" "configMap" "csi" "downwardAPI" "emptyDir" "ephemeral" "persistentVolumeClaim" "projected" "secret" }}
{{- range $i, $vol := .Values.volumes }}
{{- range $key, $_ := $vol }}
{{- if not (has $key $allowed) }}
{{- fail (printf "volumes[%d].%s is not allowed by the restricted Pod Security Standard (set restrictedPodSecurity=false to opt out)" $i $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
