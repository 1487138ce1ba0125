import type { Issue, OverProvisioning } from './issue';
import type { ResourceName } from './quantity';

/**
 * Prices of requested resources (config `cost`), per hour: a core of CPU and a GiB of memory. The defaults are
 * OpenCost's default price list (`CPU: 0.031611`, `RAM: 0.004237` per GiB-hour).
 */
export interface Prices {
  cpuCoreHourly: number;
  memoryGiBHourly: number;
  /** ISO 4217 code (`USD`, `EUR`): the money figures are in this currency. */
  currency: string;
}

/** Hours in a month as cloud price lists count them (365 × 24 ÷ 12). */
export const HOURS_PER_MONTH = 730;

const GI = 1024 ** 3;

/**
 * One formatter per currency: building an Intl.NumberFormat costs tens of microseconds, and every over-provisioning
 * finding of a scan is priced and formatted (tens of thousands at the bench's `large`).
 */
const FORMATS = new Map<string, { format: Intl.NumberFormat; minorUnitDigits: number }>();

function moneyFormat(currency: string): { format: Intl.NumberFormat; minorUnitDigits: number } {
  let entry = FORMATS.get(currency);
  if (entry === undefined) {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'code' });
    entry = { format, minorUnitDigits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    FORMATS.set(currency, entry);
  }
  return entry;
}

/** The number of decimals of the currency's minor unit (USD 2, JPY 0, KWD 3; 2 for a code Intl does not know). */
export function minorUnitDigits(currency: string): number {
  return moneyFormat(currency).minorUnitDigits;
}

/** `amount` rounded to the currency's minor unit (cents for USD). */
export function roundMoney(amount: number, currency: string): number {
  const factor = 10 ** minorUnitDigits(currency);
  return Math.round(amount * factor) / factor;
}

/**
 * What `waste` (millicores of CPU or bytes of memory) costs a month: waste × the hourly price × 730 h, rounded to
 * the currency's minor unit.
 */
export function monthlyCost(resource: ResourceName, waste: number, prices: Prices): number {
  const hourly = resource === 'cpu' ? (waste / 1000) * prices.cpuCoreHourly : (waste / GI) * prices.memoryGiBHourly;
  return roundMoney(hourly * HOURS_PER_MONTH, prices.currency);
}

/** `USD 6.92`, `JPY 1,234`, `EUR 0.05`: the code, then the amount at the currency's minor unit. */
export function formatMoney(amount: number, currency: string): string {
  return moneyFormat(currency)
    .format.format(amount)
    .replace(/\u00a0/g, ' ');
}

/**
 * The waste of one over-provisioning finding, in its unit: `wasteTotal` where it is known (the replicas of the
 * kind, or the Pods observed for a DaemonSet), else `wastePerPod`.
 */
export function wasteOf(figures: OverProvisioning): number {
  return figures.wasteTotal ?? figures.wastePerPod;
}

/** Waste of a set of findings: CPU in cores, memory in bytes, and what both cost a month. */
export interface Waste {
  cpuCores: number;
  memoryBytes: number;
  monthlyCost: number;
}

export interface WasteSummary {
  currency: string;
  total: Waste;
  /** Only namespaces with over-provisioning findings, sorted by name. */
  byNamespace: Record<string, Waste>;
}

/**
 * The waste of the over-provisioning findings among `issues`, per namespace and in total. The money is the sum of
 * the findings' `wasteMonthlyCost` (computed with `prices` for a finding that has none), rounded to the currency's
 * minor unit; a finding in another currency than `prices.currency` is priced again with `prices`.
 */
export function summarizeWaste(issues: Iterable<Issue>, prices: Prices): WasteSummary {
  const byNamespace = new Map<string, { millicores: number; bytes: number; money: number }>();
  const total = { millicores: 0, bytes: 0, money: 0 };
  for (const issue of issues) {
    const op = issue.overProvisioning;
    if (!op) continue;
    const waste = wasteOf(op);
    const money =
      op.wasteMonthlyCost !== undefined && op.currency === prices.currency
        ? op.wasteMonthlyCost
        : monthlyCost(op.resource, waste, prices);
    let ns = byNamespace.get(issue.namespace);
    if (!ns) byNamespace.set(issue.namespace, (ns = { millicores: 0, bytes: 0, money: 0 }));
    for (const sums of [ns, total]) {
      if (op.resource === 'cpu') sums.millicores += waste;
      else sums.bytes += waste;
      sums.money += money;
    }
  }
  const view = (s: { millicores: number; bytes: number; money: number }): Waste => ({
    cpuCores: Math.round(s.millicores) / 1000,
    memoryBytes: s.bytes,
    monthlyCost: roundMoney(s.money, prices.currency),
  });
  return {
    currency: prices.currency,
    total: view(total),
    byNamespace: Object.fromEntries(
      [...byNamespace.keys()].sort().map((namespace) => [namespace, view(byNamespace.get(namespace)!)]),
    ),
  };
}
