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
{{- /* One ReadWriteOnce claim cannot be mounted by replicas on different nodes, and two agents must not write one file. */}}
{{- if and (gt (int .Values.replicaCount) 1) .Values.persistence.enabled }}
{{- fail (printf "persistence.enabled needs replicaCount 1 (it is %d): the ReadWriteOnce claim at /app/.cache holds one agent's usage history; with more replicas keep the emptyDir (each replica its own history) or use config.usage.source: prometheus" (int .Values.replicaCount)) }}
{{- end }}
{{- end }}
