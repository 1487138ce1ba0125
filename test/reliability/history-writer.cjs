/**
 * A child process for history-kill.e2e.spec.ts: saves a usage history with the agent's own code (dist/), again
 * and again, each generation one reading more, until it is killed. Prints `saving <generation>` before a save
 * starts and `saved <generation> <ms the save took>` after it has returned. Starts from the file when one loads (so a run goes on where the killed one stopped).
 */
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const ROOT = path.join(__dirname, '..', '..');
const { UsageHistory } = require(path.join(ROOT, 'dist/libs/core/src/audit/usage-history.js'));
const { UsagePeaks } = require(path.join(ROOT, 'dist/libs/core/src/audit/usage-peaks.js'));
const { FileHistoryStore } = require(path.join(ROOT, 'dist/apps/opsagent/src/usage/history-store.js'));

const [file, cluster, count] = process.argv.slice(2);
const WINDOW = 14 * 86_400_000;
const T0 = Date.parse('2026-11-20T00:00:00Z');
const workloads = [];
for (let i = 0; i < Number(count); i++) {
  workloads.push({
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespace: `ns-${i % 50}`,
    name: `app-${i}`,
    annotations: {},
    templateAnnotations: {},
    selector: { matchLabels: { app: `app-${i}` } },
    containers: [{ name: 'app', role: 'container', path: 'x', requests: {}, limits: {} }],
  });
}

async function main() {
  const store = new FileHistoryStore(file);
  let history = new UsageHistory(WINDOW);
  const bytes = await store.load('usage');
  if (bytes) history = UsageHistory.decode(bytes, { windowMs: WINDOW, cluster });
  let generation = history.sampleCount / workloads.length;
  for (;;) {
    generation++;
    const peaks = new UsagePeaks(workloads);
    for (const w of workloads) {
      peaks.add({
        namespace: w.namespace,
        pod: `${w.name}-0`,
        labels: { app: w.name },
        containers: [{ name: 'app', cpu: 1 + ((generation * 37 + w.name.length) % 900), memory: generation * 1024 }],
      });
    }
    // 20 minutes apart: a generation is one reading of every workload.
    history.recordPeaks(workloads, peaks, T0 + generation * 1_200_000);
    process.stdout.write(`saving ${generation}\n`);
    const started = performance.now();
    // As the agent saves: the file made chunk by chunk while it is written.
    await store.save('usage', history.encodeChunks(cluster, Date.now()));
    // The save's own duration: the parent's clock would also count its pipe and event-loop delays.
    process.stdout.write(`saved ${generation} ${(performance.now() - started).toFixed(1)}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
