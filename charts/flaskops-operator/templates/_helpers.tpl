{{- define "flaskops-operator.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flaskops-operator.labels" -}}
app.kubernetes.io/name: flaskops-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "flaskops-operator.selectorLabels" -}}
app.kubernetes.io/name: flaskops-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
