import { formatMoney, monthlyCost, roundMoney, summarizeWaste } from './cost';
import type { Issue, OverProvisioning } from './issue';

const USD = { cpuCoreHourly: 0.031611, memoryGiBHourly: 0.004237, currency: 'USD' };
const GI = 1024 ** 3;

function issue(namespace: string, figures: Partial<OverProvisioning> & Pick<OverProvisioning, 'resource'>): Issue {
  return {
    id: `${namespace}-${Math.random()}`,
    rule: `${figures.resource}-overprovisioned`,
    severity: 'medium',
    namespace,
    kind: 'Deployment',
    name: 'web',
    container: 'app',
    message: '',
    remediation: '',
    overProvisioning: {
      unit: figures.resource === 'cpu' ? 'millicores' : 'bytes',
      samples: 12,
      usage: 0,
      request: 0,
      recommended: 0,
      wastePerPod: 0,
      ...figures,
    },
  };
}

describe('monthlyCost', () => {
  it('is waste (cores or GiB) × the hourly price × 730 h, at the currency minor unit', () => {
    expect(monthlyCost('cpu', 1000, USD)).toBe(23.08); // 0.031611 × 730 = 23.076…
    expect(monthlyCost('memory', GI, USD)).toBe(3.09); // 0.004237 × 730 = 3.093…
    expect(monthlyCost('cpu', 10, { ...USD, currency: 'KWD' })).toBe(0.231); // 3 decimals
    expect(monthlyCost('cpu', 100_000, { ...USD, currency: 'JPY' })).toBe(2308);
  });

  it('formats money with the code first', () => {
    expect(formatMoney(1234.5, 'USD')).toBe('USD 1,234.50');
    expect(formatMoney(2308, 'JPY')).toBe('JPY 2,308');
    expect(roundMoney(0.125, 'XYZ')).toBe(0.13); // a code Intl does not know: 2 decimals
  });
});

describe('summarizeWaste', () => {
  it('sums the waste per namespace and in total: cores, bytes and money; other findings count nothing', () => {
    const missing: Issue = { ...issue('shop', { resource: 'cpu' }), overProvisioning: undefined };
    const sut = summarizeWaste(
      [
        issue('shop', { resource: 'cpu', wastePerPod: 250, wasteTotal: 750, wasteMonthlyCost: 17.31, currency: 'USD' }),
        issue('shop', { resource: 'memory', wastePerPod: GI, wasteMonthlyCost: 3.09, currency: 'USD' }),
        issue('batch', { resource: 'cpu', wastePerPod: 100, wasteMonthlyCost: 2.31, currency: 'USD' }),
        missing,
      ],
      USD,
    );
    expect(sut).toEqual({
      currency: 'USD',
      total: { cpuCores: 0.85, memoryBytes: GI, monthlyCost: 22.71 },
      byNamespace: {
        batch: { cpuCores: 0.1, memoryBytes: 0, monthlyCost: 2.31 },
        shop: { cpuCores: 0.75, memoryBytes: GI, monthlyCost: 20.4 },
      },
    });
    expect(Object.keys(sut.byNamespace)).toEqual(['batch', 'shop']);
  });

  it('prices a finding without a cost, or in another currency, with the prices given', () => {
    const sut = summarizeWaste(
      [
        issue('a', { resource: 'cpu', wastePerPod: 1000 }),
        issue('a', { resource: 'cpu', wastePerPod: 1000, wasteMonthlyCost: 99, currency: 'EUR' }),
      ],
      USD,
    );
    expect(sut.total.monthlyCost).toBe(46.16);
  });

  it('is zero and empty without findings', () => {
    expect(summarizeWaste([], USD)).toEqual({
      currency: 'USD',
      total: { cpuCores: 0, memoryBytes: 0, monthlyCost: 0 },
      byNamespace: {},
    });
  });
});
