{{/* ClusterRoleBinding of a component's ClusterRole to its own ServiceAccount.
Call: include "ssm.clusterRoleBinding" (dict "root" $ "component" "pvc-reconciler") */}}
{{- define "ssm.clusterRoleBinding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ include "ssm.componentName" . }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ include "ssm.componentName" . }}
subjects:
  - kind: ServiceAccount
    name: {{ include "ssm.componentName" . }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}
