{{- define "impulator.image" -}}
{{ .Values.image.name }}:{{ .Values.image.tag }}
{{- end }}

{{- define "impulator.labels" -}}
app.kubernetes.io/name: impulator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* The Secret holding the database admin URL (key admin-url). */}}
{{- define "impulator.dbSecret" -}}
{{- if eq .Values.database.mode "bundled" -}}
{{ .Release.Name }}-database
{{- else -}}
{{ .Values.database.external.existingSecret }}
{{- end }}
{{- end }}

{{- define "impulator.podSecurity" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "impulator.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{- define "impulator.dataEnv" -}}
- name: IMPULATOR_DATA_DIR
  value: /data/chembl
- name: HOME
  value: /tmp
{{- end }}

{{/* How the runner and the API log: JSON lines (or text) at a level. */}}
{{- define "impulator.logEnv" -}}
- name: IMPULATOR_LOG_FORMAT
  value: {{ .Values.logging.format | quote }}
- name: IMPULATOR_LOG_LEVEL
  value: {{ .Values.logging.level | quote }}
{{- end }}
