import { ListItemSplitter, ListTextError, withoutManagedFields } from './list-text';

const managedFields = [
  {
    manager: 'kube-controller-manager',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-11-20T08:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:args': { 'v:"--x=]\\"["': {} } } } },
    },
  },
  { manager: 'kubelet', operation: 'Update', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: {} },
];

function pod(name: string, extra: Record<string, unknown> = {}) {
  return {
    metadata: {
      name,
      namespace: 'shop',
      annotations: { note: 'has "managedFields":[ inside a string ] and a \\ backslash\\' },
      managedFields,
    },
    spec: { containers: [{ name: 'app', args: ['a]', '"b"'] }] },
    ...extra,
  };
}

const list = (items: unknown[]) => JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items });

describe('withoutManagedFields', () => {
  it('empties every managedFields array and leaves everything else as it was', () => {
    const text = list([pod('a'), pod('b', { status: { phase: 'Running' } })]);
    const cut = withoutManagedFields(text)!;
    expect(cut.length).toBeLessThan(text.length / 2);
    const expected = JSON.parse(text) as { items: { metadata: Record<string, unknown> }[] };
    for (const item of expected.items) item.metadata.managedFields = [];
    expect(JSON.parse(cut)).toEqual(expected);
  });

  it('leaves a list without managedFields alone', () => {
    expect(withoutManagedFields(list([{ metadata: { name: 'a' } }]))).toBeUndefined();
  });

  it('gives up on text that ends inside managedFields (the caller parses it whole and reports it)', () => {
    const text = list([pod('a')]);
    expect(withoutManagedFields(text.slice(0, text.indexOf('kubelet')))).toBeUndefined();
  });

  it('keeps an empty managedFields as it is', () => {
    const text = list([{ metadata: { name: 'a', managedFields: [] }, spec: {} }]);
    expect(withoutManagedFields(text)).toBe(text);
  });
});

describe('ListItemSplitter', () => {
  const items = [
    { metadata: { name: 'a', labels: { app: 'x"}]{[' } }, containers: [{ name: 'c', usage: { cpu: '1n' } }] },
    { metadata: { name: 'b', items: ['not', { the: 'list' }] }, containers: [] },
    { metadata: { name: 'c\\', annotations: { q: '\\"', items: '[' } }, containers: [{ name: '\u00e9\u4e2d' }] },
  ];
  const body = JSON.stringify({ kind: 'PodMetricsList', apiVersion: 'v1', metadata: { items: 'x' }, items });

  function split(chunks: string[]): unknown[] {
    const sut = new ListItemSplitter();
    const out: unknown[] = [];
    for (const chunk of chunks) sut.push(chunk, (json) => out.push(JSON.parse(json)));
    sut.end();
    return out;
  }

  it('gives the text of each item, wherever the chunks are cut', () => {
    expect(split([body])).toEqual(items);
    for (let at = 0; at <= body.length; at++) expect(split([body.slice(0, at), body.slice(at)])).toEqual(items);
    expect(split(body.split(''))).toEqual(items);
  });

  it('accepts a list with no items', () => {
    expect(split(['{"kind":"PodMetricsList","items":[]}'])).toEqual([]);
    expect(split(['{"kind":"PodMetricsList","items":null}'])).toEqual([]);
  });

  it('rejects a body cut short, or one that is not an object', () => {
    expect(() => split([body.slice(0, -3)])).toThrow(ListTextError);
    expect(() => split(['[{"a":1}]'])).toThrow(ListTextError);
    expect(() => split([''])).toThrow(ListTextError);
  });
});
