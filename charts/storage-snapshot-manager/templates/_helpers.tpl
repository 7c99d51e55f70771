{{/*
Names, labels and the pod pieces every component shares. Component-specific wiring lives in
the component's own folder; nothing here knows about a single component.
*/}}

{{/* Name prefix of every object, at most 35 characters so "-snapshot-reconciler-metrics"
still fits in a Service name (63). */}}
{{- define "ssm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 35 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 35 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 35 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ssm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name of a component: ssm.componentName (dict "root" $ "component" "ecs-gateway") */}}
{{- define "ssm.componentName" -}}
{{- printf "%s-%s" (include "ssm.fullname" .root) .component -}}
{{- end -}}

{{/* Caller identity in a controller's client certificate (DNS subject alternative name; the
gateway matches URI SANs, DNS SANs, then the common name against its allow-list). */}}
{{- define "ssm.certIdentity" -}}
{{- $account := include "ssm.componentName" . -}}
{{- printf "%s.%s.serviceaccount.%s" $account .root.Release.Namespace .root.Values.clusterDomain -}}
{{- end -}}

{{/* Caller identity of a controller's ServiceAccount token (the TokenReview user name). */}}
{{- define "ssm.tokenIdentity" -}}
{{- printf "system:serviceaccount:%s:%s" .root.Release.Namespace (include "ssm.componentName" .) -}}
{{- end -}}

{{- define "ssm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ssm.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels of every object: ssm.labels (dict "root" $ "component" "ecs-gateway"); component may
be empty for objects shared by all components. */}}
{{- define "ssm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "ssm.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/part-of: storage-snapshot-manager
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "ssm.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Gateway address the controllers dial; matches a DNS name in the gateway certificate. */}}
{{- define "ssm.gatewayEndpoint" -}}
{{- $gateway := include "ssm.componentName" (dict "root" . "component" "ecs-gateway") -}}
{{- printf "https://%s.%s.svc:%d" $gateway .Release.Namespace (int .Values.ecsGateway.port) -}}
{{- end -}}

{{/* Secret holding a component's TLS material (ca.crt, tls.crt, tls.key). */}}
{{- define "ssm.tlsSecretName" -}}
{{- printf "%s-tls" (include "ssm.componentName" .) -}}
{{- end -}}

{{- define "ssm.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "ssm.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Scheduling of a component: ssm.scheduling (dict "root" $ "component" "x" "values" $vals).
Without an explicit affinity, replicas prefer different nodes. */}}
{{- define "ssm.scheduling" -}}
{{- $v := .values -}}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $v.affinity }}
affinity:
  {{- toYaml $v.affinity | nindent 2 }}
{{- else if gt (int $v.replicas) 1 }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "ssm.selectorLabels" . | nindent 14 }}
{{- end }}
{{- end -}}

{{/* Admin port probes; every service serves /healthz and /readyz there. */}}
{{- define "ssm.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: admin}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz, port: admin}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: admin}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}

{{- define "ssm.logArgs" -}}
- --admin-addr=0.0.0.0:9090
- --log-format={{ .root.Values.logging.format }}
- --log-level={{ default .root.Values.logging.level .values.logLevel }}
{{- end -}}

{{/* API server addresses for NetworkPolicy: the values, else the endpoints of the kubernetes
Service's EndpointSlices found at install time. Empty when neither is known (offline
rendering). */}}
{{- define "ssm.apiServerCidrs" -}}
{{- $cidrs := list -}}
{{- range .Values.networkPolicy.apiServer.cidrs -}}
{{- $cidrs = append $cidrs . -}}
{{- end -}}
{{- if and (not $cidrs) (.Capabilities.APIVersions.Has "discovery.k8s.io/v1/EndpointSlice") -}}
{{- $slices := lookup "discovery.k8s.io/v1" "EndpointSlice" "default" "" -}}
{{- range ($slices.items | default list) -}}
{{- $service := index (.metadata.labels | default dict) "kubernetes.io/service-name" -}}
{{- if eq ($service | default "") "kubernetes" -}}
{{- range (.endpoints | default list) -}}
{{- range (.addresses | default list) -}}
{{- if contains ":" . -}}
{{- $cidrs = append $cidrs (printf "%s/128" .) -}}
{{- else -}}
{{- $cidrs = append $cidrs (printf "%s/32" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $cidrs -}}
{{- end -}}

{{/* NetworkPolicy egress rules every component needs: DNS, and (when talksToApi) the API
server. */}}
{{- define "ssm.egressBase" -}}
{{- $np := .root.Values.networkPolicy -}}
{{- $dns := list -}}
{{- range $np.dns.to -}}
{{- $dns = append $dns . -}}
{{- end -}}
{{- range $np.dns.extraCidrs -}}
{{- $dns = append $dns (dict "ipBlock" (dict "cidr" .)) -}}
{{- end -}}
{{- if not $dns -}}
{{- fail "networkPolicy.dns: set `to` or `extraCidrs`; without a DNS peer nothing resolves" -}}
{{- end }}
- to:
    {{- toYaml $dns | nindent 4 }}
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- if .talksToApi }}
{{- $cidrs := include "ssm.apiServerCidrs" .root | fromJsonArray }}
- ports:
    {{- range $np.apiServer.ports }}
    - {protocol: TCP, port: {{ . }}}
    {{- end }}
  {{- if $cidrs }}
  to:
    {{- range $cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Ingress rule for the admin port (metrics scraping); none when metricsFrom is empty. */}}
{{- define "ssm.ingressAdmin" -}}
{{- with .Values.networkPolicy.metricsFrom }}
- from:
    {{- toYaml . | nindent 4 }}
  ports:
    - {protocol: TCP, port: 9090}
{{- end }}
{{- end -}}
