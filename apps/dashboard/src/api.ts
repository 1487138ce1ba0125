/**
 * The dashboard's REST client: the same API as any other client (README: REST API). With `server.auth.mode:
 * kubernetes` the API answers 401 to a request without a token; the page then asks for a bearer token, keeps it in
 * sessionStorage (gone with the tab) and sends it with every request.
 */
const TOKEN_KEY = 'opsagent.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** GETs `path` (below the page's origin) as JSON; a non-2xx answer is an ApiError with the body's message. */
export async function getJson<T>(path: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  return (await response.json()) as T;
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'Pod',
] as const;

export interface Waste {
  cpuCores: number;
  memoryBytes: number;
  monthlyCost: number;
}

export interface ScanRecord {
  id: string;
  trigger: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  status: string;
  errors: { kind: string; resource?: string; code?: number; reason: string }[];
  warnings: { code: string; message: string }[];
}

export interface Summary {
  total: number;
  bySeverity: Record<string, number>;
  byRule: Record<string, number>;
  byNamespace: Record<string, number>;
  waste: { currency: string; total: Waste; byNamespace: Record<string, Waste> };
  lastScan: ScanRecord | null;
}

export interface Health {
  status: string;
  info?: { scanner?: { role?: 'leader' | 'follower'; leader?: string | null } };
}

export interface Recommendation {
  rule: string;
  resource: 'cpu' | 'memory';
  unit: 'millicores' | 'bytes';
  samples: number;
  usage: number;
  request: number;
  recommended: number;
  wastePerPod: number;
  wasteMonthlyCost?: number;
  currency?: string;
  coverage?: { from: string; to: string };
  confidence?: 'low' | 'medium' | 'high';
  hpa?: { name: string; target: string; averageUtilization?: number; averageValue?: number };
  requestDefaultedBy?: string;
  cappedBy?: { limitRange: string; max: number };
}

export interface Issue {
  id: string;
  rule: string;
  severity: string;
  namespace: string;
  kind: string;
  name: string;
  container: string;
  message: string;
  remediation: string;
  overProvisioning?: Recommendation;
  /** Issue 15 §2: a strategic-merge patch of the workload and the `kubectl patch` command that applies it. */
  fix?: { patch: object; command: string };
  firstSeen: string;
  lastSeen: string;
}

export interface IssuePage {
  items: Issue[];
  total: number;
  continue?: string;
}

interface LimitRangeValue {
  limitRange: string;
  field: string;
  value: number;
}

interface HpaTarget {
  hpa: string;
  type: string;
  resource: string;
  target: string;
  averageUtilization?: number;
  averageValue?: number;
}

export interface HistorySlot {
  from: string;
  to: string;
  samples: number;
  cpuP50: number;
  cpuP95: number;
  cpuMax: number;
  memoryMax: number;
}

export interface ContainerView {
  name: string;
  role: string;
  requests: { cpu?: number; memory?: number };
  limits: { cpu?: number; memory?: number };
  usage?: { samples: number; cpuP95: number; memoryMax: number; from?: string; to?: string };
  history: HistorySlot[];
  context: {
    requestDefault: Partial<Record<'cpu' | 'memory', LimitRangeValue>>;
    limitDefault: Partial<Record<'cpu' | 'memory', LimitRangeValue>>;
    max: Partial<Record<'cpu' | 'memory', LimitRangeValue>>;
    hpa: Partial<Record<'cpu' | 'memory', HpaTarget>>;
  };
  oomKill?: { pod: string; at: string; restartCount: number; exitCode?: number };
  recommendation: Partial<Record<'cpu' | 'memory', Recommendation>>;
  issues: Issue[];
}

export interface WorkloadView {
  kind: string;
  namespace: string;
  name: string;
  replicas?: number;
  hpa?: { name: string; metrics: { type: string; resource: string; target: string; averageUtilization?: number }[] };
  containers: ContainerView[];
  otherIssues: Issue[];
}
