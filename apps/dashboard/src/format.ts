/** Display of the API's units: CPU in millicores, memory in bytes, times in RFC 3339. */
const MI = 2 ** 20;
const GI = 2 ** 30;

export function cpu(millicores: number | undefined): string {
  if (millicores === undefined) return '—';
  return millicores >= 1000 ? `${+(millicores / 1000).toFixed(2)} cores` : `${Math.round(millicores)}m`;
}

export function memory(bytes: number | undefined): string {
  if (bytes === undefined) return '—';
  return bytes >= GI ? `${+(bytes / GI).toFixed(2)} GiB` : `${Math.round(bytes / MI)} MiB`;
}

export function value(resource: 'cpu' | 'memory', v: number | undefined): string {
  return resource === 'cpu' ? cpu(v) : memory(v);
}

export function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** "3 min ago" from an RFC 3339 time. */
export function age(time: string | undefined, now = Date.now()): string {
  if (!time) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(time)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function day(time: string): string {
  const d = new Date(time);
  return `${d.toISOString().slice(5, 10)} ${d.toISOString().slice(11, 16)}`;
}

/** The label of a history slot: its day when slots are days (the default 14d window), else its start time. */
export function slotLabel(from: string, to: string): string {
  return Date.parse(to) - Date.parse(from) >= 86_400_000 ? new Date(from).toISOString().slice(5, 10) : day(from);
}
