import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectBytes, FileHistoryStore, LOAD_CHUNK_BYTES, readAll } from './history-store';

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
    expect((await readAll((await sut.load('usage'))!)).toString()).toBe('header\nfirst chunk;second chunk;last');
    // no temporary file left beside it
    expect(fs.readdirSync(dir)).toEqual(['usage-history']);
  });

  it('loads a file a chunk at a time as the chunks are asked for, never whole; nothing saved is undefined', async () => {
    const sut = new FileHistoryStore(path.join(dir, 'usage-history'));
    expect(await sut.load('usage')).toBeUndefined();
    const bytes = Buffer.alloc(2 * LOAD_CHUNK_BYTES + 12_345);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    fs.writeFileSync(path.join(dir, 'usage-history'), bytes);
    const loaded = await sut.load('usage');
    expect(loaded).not.toBeInstanceOf(Uint8Array);
    const sizes: number[] = [];
    const copies: Buffer[] = [];
    for await (const chunk of loaded as AsyncIterable<Uint8Array>) {
      sizes.push(chunk.length);
      copies.push(Buffer.from(chunk));
    }
    expect(sizes).toEqual([LOAD_CHUNK_BYTES, LOAD_CHUNK_BYTES, 12_345]);
    expect(Buffer.concat(copies).equals(bytes)).toBe(true);
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
