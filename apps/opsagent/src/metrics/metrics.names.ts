/** Metric names from the architecture document (first four) and the service issue; they are an interface. */
export const METRIC = {
  runs: 'opsagent_detection_runs_total',
  issuesFound: 'opsagent_issues_found_total',
  duration: 'opsagent_detection_duration_seconds',
  bySeverity: 'opsagent_issues_by_severity',
  lastSuccess: 'opsagent_last_successful_scan_timestamp_seconds',
  skipped: 'opsagent_scans_skipped_total',
  kubeRequests: 'opsagent_kubernetes_requests_total',
  buildInfo: 'opsagent_build_info',
  leader: 'opsagent_leader',
  wasteCpu: 'opsagent_waste_cpu_cores',
  wasteMemory: 'opsagent_waste_memory_bytes',
  wasteCost: 'opsagent_waste_monthly_cost',
} as const;
