{{/*
The parts the three controllers share: ServiceAccount, Deployment, metrics Service,
PodDisruptionBudget, NetworkPolicy and the Role for their leader-election Lease.
Call: include "ssm.controller" (dict "root" $ "component" "pvc-reconciler"
  "values" .Values.pvcReconciler "extraArgs" (list "--flag=value"))
Each controller's ClusterRole stays in its own file so every rule sits next to its reason.
*/}}
{{- define "ssm.controller" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $name := include "ssm.componentName" . -}}
{{- $ctx := dict "root" $root "component" .component "values" $v -}}
{{- $tokenReview := $root.Values.ecsGateway.auth.tokenReview -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
# Pods opt in to a token explicitly; nothing else running as this account gets one.
automountServiceAccountToken: false
---
# Leader election (service-runtime's leader module on kube-lease-manager): one Lease per
# controller in the release namespace, so a second replica is a hot standby.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ $name }}-leader-election
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
rules:
  # Creates the Lease on first start; create cannot be limited to a name.
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["create"]
  # Reads the holder, then acquires, renews and releases it with patches, on this Lease only.
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    resourceNames: [{{ $name | quote }}]
    verbs: ["get", "patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $name }}-leader-election
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $name }}-leader-election
subjects:
  - kind: ServiceAccount
    name: {{ $name }}
    namespace: {{ $root.Release.Namespace }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "ssm.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        {{- include "ssm.labels" . | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        kubectl.kubernetes.io/default-container: {{ .component }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ $name }}
      # Controllers watch and write Kubernetes objects, so they need their token.
      automountServiceAccountToken: true
      enableServiceLinks: false
      hostNetwork: false
      hostPID: false
      hostIPC: false
      securityContext:
        {{- include "ssm.podSecurityContext" $root | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "ssm.scheduling" $ctx | trim | nindent 6 }}
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .component }}
          image: {{ include "ssm.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["/usr/local/bin/{{ .component }}"]
          args:
            {{- include "ssm.logArgs" $ctx | nindent 12 }}
            - --cluster-id={{ $root.Values.clusterId }}
            - --region={{ $root.Values.region }}
            - --gateway-endpoint={{ include "ssm.gatewayEndpoint" $root }}
            - --gateway-ca-file=/etc/storage-snapshot-manager/tls/ca.crt
            - --gateway-cert-file=/etc/storage-snapshot-manager/tls/tls.crt
            - --gateway-key-file=/etc/storage-snapshot-manager/tls/tls.key
            {{- if $tokenReview.enabled }}
            - --gateway-token-file=/var/run/secrets/storage-snapshot-manager/gateway-token/token
            {{- end }}
            - --lease-namespace={{ $root.Release.Namespace }}
            - --lease-name={{ $name }}
            - --default-time-zone={{ $root.Values.defaultTimeZone }}
            {{- range $root.Values.csiDrivers }}
            - --csi-driver={{ . }}
            {{- end }}
            {{- range .extraArgs }}
            - {{ . | quote }}
            {{- end }}
            {{- range $v.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          env:
            # Leader-election identity: unique per pod, stable for the pod's life.
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - name: admin
              containerPort: 9090
              protocol: TCP
          {{- include "ssm.probes" $root | nindent 10 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "ssm.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tls
              mountPath: /etc/storage-snapshot-manager/tls
              readOnly: true
            {{- if $tokenReview.enabled }}
            - name: gateway-token
              mountPath: /var/run/secrets/storage-snapshot-manager/gateway-token
              readOnly: true
            {{- end }}
            - name: tmp
              mountPath: /tmp
      volumes:
        # Client certificate naming this controller to the gateway, and the CA that signed
        # the gateway's server certificate.
        - name: tls
          secret:
            secretName: {{ include "ssm.tlsSecretName" . }}
            defaultMode: 0440
            items:
              - {key: ca.crt, path: ca.crt}
              - {key: tls.crt, path: tls.crt}
              - {key: tls.key, path: tls.key}
        {{- if $tokenReview.enabled }}
        # A token only the gateway accepts (its own audience), rotated by the kubelet.
        - name: gateway-token
          projected:
            defaultMode: 0440
            sources:
              - serviceAccountToken:
                  audience: {{ $tokenReview.audience }}
                  expirationSeconds: 3600
                  path: token
        {{- end }}
        - name: tmp
          emptyDir:
            sizeLimit: 16Mi
---
{{ include "ssm.metricsService" $ctx }}
{{- if $v.podDisruptionBudget.enabled }}
---
{{ include "ssm.pdb" $ctx }}
{{- end }}
{{- if $root.Values.networkPolicy.enabled }}
---
# {{ .component }} talks only to DNS, the API server and the gateway; only scrapers reach it.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "ssm.selectorLabels" . | nindent 6 }}
  policyTypes: ["Ingress", "Egress"]
  {{- with include "ssm.ingressAdmin" $root }}
  ingress:
    {{- . | trim | nindent 4 }}
  {{- else }}
  ingress: []
  {{- end }}
  egress:
    {{- include "ssm.egressBase" (dict "root" $root "talksToApi" true) | trim | nindent 4 }}
    - to:
        - podSelector:
            matchLabels:
              {{- $gateway := dict "root" $root "component" "ecs-gateway" }}
              {{- include "ssm.selectorLabels" $gateway | nindent 14 }}
      ports:
        - {protocol: TCP, port: {{ $root.Values.ecsGateway.port }}}
{{- end }}
{{- end -}}

{{/* Service exposing a component's admin port for Prometheus. */}}
{{- define "ssm.metricsService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "ssm.componentName" . }}-metrics
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
    storage-snapshot-manager.alibabacloud.com/metrics: "true"
spec:
  type: ClusterIP
  selector:
    {{- include "ssm.selectorLabels" . | nindent 4 }}
  ports:
    - name: metrics
      port: 9090
      targetPort: admin
      protocol: TCP
{{- end -}}

{{- define "ssm.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "ssm.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "ssm.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "ssm.selectorLabels" . | nindent 6 }}
{{- end -}}
