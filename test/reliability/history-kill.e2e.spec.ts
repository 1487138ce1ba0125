import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { UsageHistory } from '@opsagent/core/audit/usage-history';

/**
 * kill -9 at random moments (even rounds) or inside a save (odd rounds) of a real process saving the usage history with the agent's FileHistoryStore
 * (tempfile, fsync, rename, fsync dir): the file always loads, and holds the last save that returned or the one
 * in progress, never a torn one. Run after `npm run build` (the writer uses dist/).
 */
const WRITER = path.join(__dirname, 'history-writer.cjs');
const CLUSTER = 'https://kill-test:6443';
const WORKLOADS = 16_000; // about 8 MB a save: long enough that a kill aimed inside one lands there
const ROUNDS = 10;

/** A seeded PRNG, so a failing round can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('leaves the previous or the new history after a kill -9 at any moment, never a torn file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-kill-'));
  const file = path.join(dir, 'usage-history');
  const rng = random(Number(process.env.KILL_SEED ?? 20261202));
  let lastSaved = 0;
  let saveMs = 5;
  let killedInSave = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const child = spawn(process.execPath, [WRITER, file, CLUSTER, String(WORKLOADS)], { stdio: 'pipe' });
    let saved = 0;
    let saving = 0;
    let savingAt = 0;
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const saves = 1 + Math.floor(rng() * 3);
    // Even rounds: 1–3 saves, then a kill 0–60 ms later, wherever the writer is. Odd rounds: after 1–3 saves, a
    // kill at a random point of the next save (from its start to as long as a save took), i.e. inside the write.
    const inSave = round % 2 === 1;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer made no progress: ${err}`)), 60_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        for (const m of chunk.matchAll(/(saving|saved) (\d+)(?: ([\d.]+))?/g)) {
          if (m[1] === 'saving') {
            saving = Number(m[2]);
            savingAt = performance.now();
            // Aim in the first half of a save as long as the last one: this line crossed the pipe late already.
            if (inSave && saved >= lastSaved + saves) {
              clearTimeout(timer);
              setTimeout(resolve, Math.floor((rng() * saveMs) / 2));
            }
          } else {
            saved = Number(m[2]);
            saveMs = Math.max(1, Number(m[3] ?? performance.now() - savingAt));
            if (!inSave && saved >= lastSaved + saves) {
              clearTimeout(timer);
              setTimeout(resolve, Math.floor(rng() * 60));
            }
          }
        }
      });
      child.on('exit', () => reject(new Error(`writer exited: ${err}`)));
    });
    child.kill('SIGKILL');
    await exited;
    if (saving > saved) killedInSave++;
    // Whatever the moment, the file loads: the last save reported, or the one in progress (renamed, not reported).
    const history = UsageHistory.decode(fs.readFileSync(file), { windowMs: 14 * 86_400_000, cluster: CLUSTER });
    const generation = history.sampleCount / WORKLOADS;
    expect([saved, saved + 1]).toContain(generation);
    lastSaved = generation;
  }
  // The writer's next start removed the temporary files earlier kills left behind (the last kill's may remain).
  expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')).length).toBeLessThanOrEqual(1);
  // The test means something only if kills landed inside saves.
  console.log(
    `history-kill: ${killedInSave} of ${ROUNDS} kills landed inside a save (last save ${saveMs.toFixed(0)} ms)`,
  );
  expect(killedInSave).toBeGreaterThanOrEqual(ROUNDS / 4);
}, 300_000);
