{{/*
High availability: leader election on a Lease (config.leaderElection), more than one replica only with it.
*/}}

{{/* "true" when config.leaderElection.enabled is set. */}}
{{- define "opsagent.leaderElection" -}}
{{- if ((.Values.config).leaderElection).enabled }}true{{ end }}
{{- end }}

{{/* Namespace of the Lease: config.leaderElection.namespace, else the Pod's, the release namespace. */}}
{{- define "opsagent.leaseNamespace" -}}
{{- ((.Values.config).leaderElection).namespace | default .Release.Namespace }}
{{- end }}

{{/* More than one replica would scan, count and alert once each unless one of them leads. */}}
{{- define "opsagent.checkReplicas" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "opsagent.leaderElection" .)) }}
{{- fail (printf "replicaCount %d needs config.leaderElection.enabled: true (and config.reports.policyReports: true): without leader election every replica would scan and alert" (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
