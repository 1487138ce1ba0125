/**
 * `npm run demo`: the Kubernetes API simulator with the bundled demo cluster, and the agent reading it on a
 * short schedule, so over-provisioning findings appear after a few scans. Ctrl-C stops both.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { buildDemoCluster } from '../k8s-simulator/demo-cluster';
import { startSimulator } from '../k8s-simulator/simulator';

const ROOT = path.join(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'opsagent', 'src', 'main.js');
const API_PORT = Number(process.env.OPSAGENT_DEMO_API_PORT ?? 18080);
const METRICS_PORT = Number(process.env.OPSAGENT_DEMO_METRICS_PORT ?? 9090);

const PORT_ENV = { api: 'OPSAGENT_DEMO_API_PORT', metrics: 'OPSAGENT_DEMO_METRICS_PORT' } as const;

async function main(): Promise<void> {
  // A second demo would otherwise print URLs that reach the first one.
  const taken = await takenPorts();
  if (taken.length > 0) {
    console.error(portsTakenMessage(taken));
    process.exit(1);
  }
  const demo = buildDemoCluster();
  const sim = await startSimulator({
    token: 'demo-token',
    objects: demo.objects,
    metricsProvider: demo.metricsProvider,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-demo-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig, { context: 'opsagent-demo' });
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    stringify({
      schedule: '*/10 * * * * *', // every 10 seconds (six fields: seconds first)
      runOnStartup: true,
      overProvisioning: { minSamples: 3 },
      server: { port: API_PORT },
      metrics: { port: METRICS_PORT },
    }),
  );
  const logFile = path.join(dir, 'opsagent.log');
  const log = fs.createWriteStream(logFile);

  const agent = spawn(process.execPath, [MAIN, 'serve', '--config', configFile], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The agent's stderr is JSON lines: a port taken since the check above is said as the check says it.
  let failed: { key?: string; msg?: string } | undefined;
  agent.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      const entry = parseJson(line) as { event?: string; key?: string; msg?: string } | undefined;
      if (entry?.event === 'startup-failed') failed = entry;
      else process.stderr.write(`${line}\n`);
    }
  });
  let buffered = '';
  agent.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    log.write(chunk);
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      summarise(line);
    }
  });

  const exited = new Promise<number | null>((resolve) => agent.on('exit', (c) => resolve(c)));
  const up = await Promise.race([waitForHealth(), exited.then(() => false)]);
  if (!up) {
    const code = await exited;
    await sim.close();
    const port = failed?.key === 'server.port' ? 'api' : failed?.key === 'metrics.port' ? 'metrics' : undefined;
    console.error(port ? portsTakenMessage([port]) : `the agent did not start: ${failed?.msg ?? `exit code ${code}`}`);
    process.exit(1);
  }

  const api = `http://localhost:${API_PORT}`;
  console.log(`
Kubernetes API simulator: ${sim.url}  (${demo.workloads.length} workloads; kubeconfig ${kubeconfig})
OpsAgent API:             ${api}       (OpenAPI page: ${api}/api/docs)
OpsAgent dashboard:       ${api}/
OpsAgent metrics:         http://localhost:${METRICS_PORT}/metrics
Agent log (JSON lines):   ${logFile}

Scans run every 10 seconds; over-provisioning findings appear after 3 scans. Try:
  curl -s ${api}/api/v1/summary
  curl -s '${api}/api/v1/issues?minSeverity=high&limit=5'
  curl -s '${api}/api/v1/issues?rule=cpu-overprovisioned'
  curl -s ${api}/api/v1/scans/latest
  curl -s -X POST ${api}/api/v1/scans
  curl -s http://localhost:${METRICS_PORT}/metrics | grep ^opsagent_
  bin/opsagent scan examples/          # the offline audit of manifest files

Ctrl-C stops both.
`);

  const stop = () => agent.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await exited;
  await sim.close();
  log.end();
  console.log(`\nstopped (agent exit code ${code})`);
  process.exit(code ?? 1);
}

type DemoPort = keyof typeof PORT_ENV;

function portNumber(port: DemoPort): number {
  return port === 'api' ? API_PORT : METRICS_PORT;
}

/** The demo's ports that something already listens on (another demo, most likely). */
async function takenPorts(): Promise<DemoPort[]> {
  const taken: DemoPort[] = [];
  for (const port of ['api', 'metrics'] as const) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      // No host: the agent listens on every interface, so the probe does too.
      probe.listen(portNumber(port), () => probe.close(() => resolve(true)));
    });
    if (!free) taken.push(port);
  }
  return taken;
}

function portsTakenMessage(taken: DemoPort[]): string {
  const names = taken.map((p) => `${portNumber(p)} (${p === 'api' ? 'API' : 'metrics'})`).join(' and ');
  const alternatives = taken.map((p) => `${PORT_ENV[p]}=${portNumber(p) + 1}`).join(' ');
  return (
    `demo: port${taken.length > 1 ? 's' : ''} ${names} ${taken.length > 1 ? 'are' : 'is'} taken: is another ` +
    `\`npm run demo\` running? Stop it, or choose other ports with ${PORT_ENV.api} / ${PORT_ENV.metrics}, e.g.\n` +
    `  ${alternatives} npm run demo`
  );
}

/** Resolves true once the agent's API answers /health. */
async function waitForHealth(): Promise<boolean> {
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${API_PORT}/health`)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** One human line per scan; the full JSON is in the log file. */
function summarise(line: string): void {
  try {
    const entry = JSON.parse(line) as {
      event?: string;
      status?: string;
      durationMs?: number;
      counts?: { issues: number; new: number; resolved: number };
      msg?: string;
      level?: string;
    };
    if (entry.event === 'scan') {
      const c = entry.counts;
      console.log(
        `scan ${entry.status} in ${entry.durationMs} ms` +
          (c ? `: ${c.issues} issues (${c.new} new, ${c.resolved} resolved)` : ''),
      );
    } else if (entry.level === 'error' || entry.level === 'fatal') {
      console.error(entry.msg);
    }
  } catch {
    console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
