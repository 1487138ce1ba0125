{{/*
Expand the name of the chart.
*/}}
{{- define "opsagent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "opsagent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "opsagent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "opsagent.labels" -}}
helm.sh/chart: {{ include "opsagent.chart" . }}
{{ include "opsagent.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "opsagent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opsagent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Create the name of the service account to use
*/}}
{{- define "opsagent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "opsagent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Names of the resources the architecture document fixes (with release name "opsagent": opsagent-reader,
opsagent-reader-binding, opsagent-config, opsagent-secrets).
*/}}
{{- define "opsagent.clusterRoleName" -}}
{{- printf "%s-reader" (include "opsagent.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "opsagent.reportsWriterRoleName" -}}
{{- printf "%s-reports-writer" (include "opsagent.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "opsagent.configMapName" -}}
{{- printf "%s-config" (include "opsagent.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The Secret whose keys become the container's environment: the user's own (secrets.existingSecret) or the one the
chart creates (secrets.create). Empty when there is none.
*/}}
{{- define "opsagent.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else if .Values.secrets.create }}
{{- printf "%s-secrets" (include "opsagent.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
The data of the chart's Secret (secrets.data, base64), as secret.yaml renders it and checksum/secrets hashes it.
*/}}
{{- define "opsagent.secretData" -}}
{{- range $key, $value := .Values.secrets.data }}
{{ $key }}: {{ $value | toString | b64enc | quote }}
{{- end }}
{{- end }}

{{/*
The key of the pod's checksum/secrets annotation, which must reveal nothing about the Secret to whoever can read the
Deployment (an unsalted hash of a weak password is found by trying guesses offline). In order:
- secrets.checksumSalt, when set (for `helm template` / GitOps, which have no cluster to look the Secret up in);
- the salt the release's Secret already carries (annotation opsagent.io/checksum-salt, read with `lookup` during
  `helm install/upgrade`), so an upgrade that changes nothing renders the same annotation and does not roll the pod;
- else a new random one (first install; and every `helm template`, whose lookup finds nothing).
Made once per render and kept in .Values.secrets, which every template shares, so that the Secret stores the salt the
Deployment's annotation was computed with.
*/}}
{{- define "opsagent.secretsSalt" -}}
{{- if not (hasKey .Values.secrets "_checksumSalt") }}
{{- $salt := .Values.secrets.checksumSalt | default "" }}
{{- if not $salt }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "opsagent.secretName" .) }}
{{- $salt = dig "metadata" "annotations" "opsagent.io/checksum-salt" "" $existing }}
{{- end }}
{{- $_ := set .Values.secrets "_checksumSalt" ($salt | default (randAlphaNum 43)) }}
{{- end }}
{{- .Values.secrets._checksumSalt }}
{{- end }}

{{/*
checksum/secrets: sha256 of the salt and the Secret's data. Sprig has no HMAC; a hash of a secret prefix and the
message serves the same end here: without the salt (about 256 random bits) no guess can be checked, and the value
still changes with any key or value of the Secret.
*/}}
{{- define "opsagent.secretsChecksum" -}}
{{- printf "%s\n%s" (include "opsagent.secretsSalt" .) (include "opsagent.secretData" .) | sha256sum }}
{{- end }}

{{/*
The ports the agent listens on, read from its own config so the container ports, probes, Service and
NetworkPolicy can never disagree with what the process binds.
*/}}
{{- define "opsagent.apiPort" -}}
{{- required "config.server.port is required: the container port is taken from it" .Values.config.server.port | int }}
{{- end }}

{{- define "opsagent.metricsPort" -}}
{{- $port := required "config.metrics.port is required: the container port is taken from it" .Values.config.metrics.port | int }}
{{- if eq $port (include "opsagent.apiPort" . | int) }}
{{- fail (printf "config.metrics.port: must differ from config.server.port (both are %d)" $port) }}
{{- end }}
{{- $port }}
{{- end }}

{{/*
Where the ConfigMap is mounted and the config file the agent is started with.
*/}}
{{- define "opsagent.configDir" -}}
/app/config
{{- end }}

{{- define "opsagent.configFile" -}}
{{ include "opsagent.configDir" . }}/config.yaml
{{- end }}

{{- define "opsagent.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The label matcher PromQL expressions use to select this release's metrics. A ServiceMonitor sets `job` to the
Service name and `namespace` to the Service's namespace.
*/}}
{{- define "opsagent.metricSelector" -}}
job="{{ include "opsagent.fullname" . }}", namespace="{{ .Release.Namespace }}"
{{- end }}

{{/*
The scan interval in seconds, for the "no successful scan for 3 intervals" alert: prometheusRule.scanIntervalSeconds
when set, else derived from config.schedule for the common shapes (a step of N minutes, of N seconds or of N hours,
a fixed minute of every hour, every minute, @hourly, @daily, @weekly). Fails for any other schedule, asking for the
value.
*/}}
{{- define "opsagent.scanIntervalSeconds" -}}
{{- $explicit := .Values.prometheusRule.scanIntervalSeconds | int }}
{{- $schedule := regexReplaceAll "\\s+" (.Values.config.schedule | trim) " " }}
{{- $fields := splitList " " $schedule }}
{{- if gt $explicit 0 }}
{{- $explicit }}
{{- else if or (eq $schedule "@hourly") (regexMatch "^[0-9]+ \\* \\* \\* \\*$" $schedule) }}
{{- 3600 }}
{{- else if or (eq $schedule "@daily") (eq $schedule "@midnight") }}
{{- 86400 }}
{{- else if eq $schedule "@weekly" }}
{{- 604800 }}
{{- else if regexMatch "^\\*/[0-9]+ \\* \\* \\* \\*$" $schedule }}
{{- mul 60 (trimPrefix "*/" (first $fields) | int) }}
{{- else if regexMatch "^\\*/[0-9]+ \\* \\* \\* \\* \\*$" $schedule }}
{{- trimPrefix "*/" (first $fields) | int }}
{{- else if regexMatch "^[0-9]+ \\*/[0-9]+ \\* \\* \\*$" $schedule }}
{{- mul 3600 (trimPrefix "*/" (index $fields 1) | int) }}
{{- else if eq $schedule "* * * * *" }}
{{- 60 }}
{{- else }}
{{- fail (printf "prometheusRule.scanIntervalSeconds: cannot derive the scan interval from config.schedule %q; set it (seconds between scans)" $schedule) }}
{{- end }}
{{- end }}

{{/*
config.yaml: .Values.config as YAML, with the ratios as numbers. `helm --set config.overProvisioning.cpu.ratio=1.5`
passes the string "1.5" (helm types only integers and booleans), which the schema accepts as a decimal number and the
agent, reading YAML, would refuse as a string.
*/}}
{{- define "opsagent.config" -}}
{{- $config := deepCopy .Values.config }}
{{- range $resource := list "cpu" "memory" }}
{{- $section := dig "overProvisioning" $resource (dict) $config }}
{{- if kindIs "string" (get $section "ratio") }}
{{- $_ := set $section "ratio" (float64 (get $section "ratio")) }}
{{- end }}
{{- end }}
{{- $underMemory := dig "underProvisioning" "memory" (dict) $config }}
{{- if kindIs "string" (get $underMemory "ratio") }}
{{- $_ := set $underMemory "ratio" (float64 (get $underMemory "ratio")) }}
{{- end }}
{{- $underCpu := dig "underProvisioning" "cpu" (dict) $config }}
{{- if kindIs "string" (get $underCpu "throttledRatio") }}
{{- $_ := set $underCpu "throttledRatio" (float64 (get $underCpu "throttledRatio")) }}
{{- end }}
{{- /* cost.*Hourly: the same, for prices given with --set */}}
{{- $cost := dig "cost" (dict) $config }}
{{- range $price := list "cpuCoreHourly" "memoryGiBHourly" }}
{{- if kindIs "string" (get $cost $price) }}
{{- $_ := set $cost $price (float64 (get $cost $price)) }}
{{- end }}
{{- end }}
{{- /* usage.historyFile: '' = memory only (the agent takes no key rather than an empty path) */}}
{{- $usage := dig "usage" (dict) $config }}
{{- if eq (toString (get $usage "historyFile")) "" }}
{{- $_ := unset $usage "historyFile" }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/*
A memory quantity (resources.limits.memory: 512Mi, 1G, 1e9, 2147483648) in MiB, as a float. Fails naming the value
when it cannot read it (the schema lets only Kubernetes quantities through).
*/}}
{{- define "opsagent.memoryMi" -}}
{{- $value := . }}
{{- $bytes := 0.0 }}
{{- if kindIs "string" $value }}
{{- $pattern := "^[+]?([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$" }}
{{- if not (regexMatch $pattern $value) }}
{{- fail (printf "resources.limits.memory: cannot read %q as a memory quantity (such as 512Mi or 1G)" $value) }}
{{- end }}
{{- $number := regexReplaceAll $pattern $value "${1}" | float64 }}
{{- $suffix := regexReplaceAll $pattern $value "${2}" }}
{{- $factors := dict "" 1.0 "n" 0.000000001 "u" 0.000001 "m" 0.001 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 "P" 1000000000000000.0 "E" 1000000000000000000.0 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 }}
{{- if hasKey $factors $suffix }}
{{- $bytes = mulf $number (get $factors $suffix) }}
{{- else }}
{{- $exponent := substr 1 (len $suffix) $suffix | trimPrefix "+" | atoi }}
{{- $bytes = $number }}
{{- range until (ternary $exponent (mul -1 $exponent) (gt $exponent 0) | int) }}
{{- $bytes = ternary (mulf $bytes 10) (divf $bytes 10) (gt $exponent 0) }}
{{- end }}
{{- end }}
{{- else }}
{{- $bytes = float64 $value }}
{{- end }}
{{- divf $bytes 1048576 }}
{{- end }}

{{/*
Fails when the V8 heap (maxOldSpaceSizeMi) does not fit below the container's memory limit: the kernel would OOM-kill
the agent before V8 collects garbage.
*/}}
{{- define "opsagent.checkHeap" -}}
{{- $limit := dig "limits" "memory" "" .Values.resources }}
{{- if $limit }}
{{- $limitMi := include "opsagent.memoryMi" $limit | float64 }}
{{- if ge (float64 .Values.maxOldSpaceSizeMi) $limitMi }}
{{- $shown := ternary $limit (printf "%.0f" (float64 $limit)) (kindIs "string" $limit) }}
{{- fail (printf "maxOldSpaceSizeMi (%d) must be below resources.limits.memory (%s = %.0f MiB): the V8 heap and the agent's code, buffers and native memory must fit in the limit; keep the heap at about 3/4 of it (%.0f), or raise the limit" (int .Values.maxOldSpaceSizeMi) $shown $limitMi (mulf $limitMi 0.75)) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Labels that tell the `helm test` pod, which the NetworkPolicy always lets reach the API port.
*/}}
{{- define "opsagent.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "opsagent.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The claim mounted at /app/.cache when persistence.enabled: the existing one, or <fullname>-cache.
*/}}
{{- define "opsagent.cacheClaimName" -}}
{{- default (printf "%s-cache" (include "opsagent.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}
