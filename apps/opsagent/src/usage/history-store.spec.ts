import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectBytes, FileHistoryStore } from './history-store';

/** Chunks in one reused buffer, as UsageHistory.encodeChunks hands them out: each valid until the next. */
function* reused(parts: readonly string[]): Generator<Buffer> {
  const buf = Buffer.alloc(64);
  for (const part of parts) {
    const n = buf.write(part);
    yield buf.subarray(0, n);
    buf.fill(0x2a); // what a consumer still holding the previous chunk would now read
  }
}

describe('FileHistoryStore', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-history-store-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes chunks one after the other as they come (a reused chunk buffer is safe)', async () => {
    const sut = new FileHistoryStore(path.join(dir, 'usage-history'));
    await sut.save('usage', reused(['header\n', 'first chunk;', 'second chunk;', 'last']));
    expect(fs.readFileSync(path.join(dir, 'usage-history'), 'utf8')).toBe('header\nfirst chunk;second chunk;last');
    expect((await sut.load('usage'))!.toString()).toBe('header\nfirst chunk;second chunk;last');
    // no temporary file left beside it
    expect(fs.readdirSync(dir)).toEqual(['usage-history']);
  });

  it('still takes the bytes whole', async () => {
    const sut = new FileHistoryStore(path.join(dir, 'usage-history'));
    await sut.save('issues', Buffer.from('{"issues":[]}\n'));
    expect(fs.readFileSync(path.join(dir, 'usage-history.issues'), 'utf8')).toBe('{"issues":[]}\n');
  });
});

describe('collectBytes', () => {
  it('copies each chunk as it comes', () => {
    expect(collectBytes(reused(['a', 'bc', 'def'])).toString()).toBe('abcdef');
    expect(collectBytes(Buffer.from('whole')).toString()).toBe('whole');
  });
});
