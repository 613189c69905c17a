// Starts scripts/cluster.sh for a journey: PostgreSQL, Redis, three instances of the reference
// backend built for the journeys, and haproxy in front, all on 127.0.0.1 under a temp dir.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Backend, Endpoint, SERVER_BIN, TOKEN, freePort } from './server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class Cluster {
  /** `args`: more flags for every instance; `demo`: instance 1 runs the demo show. */
  constructor({ args = [], demo = false, startSecs = 60 } = {}) {
    this.args = args;
    this.demo = demo;
    this.startSecs = startSecs;
  }

  async start() {
    if (this.args.some((a) => a.includes(' '))) throw new Error('cluster flags cannot hold spaces');
    this.info = join(tmpdir(), `live-shop-cluster-${process.pid}-${Date.now()}.info`);
    const port = await freePort();
    this.child = spawn('bash', [join(ROOT, 'scripts', 'cluster.sh')], {
      env: { ...process.env, LIVE_SHOP_SERVER: SERVER_BIN, CLUSTER_INFO: this.info, PORT: String(port),
        DEMO: this.demo ? '1' : '0', LIVE_SHOP_TOKEN: TOKEN, SERVER_ARGS: this.args.join(' '),
        START_SECS: String(this.startSecs) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    const deadline = Date.now() + 120_000 + this.startSecs * 3000;
    while (!existsSync(this.info)) {
      if (this.child.exitCode !== null) throw new Error(`cluster.sh exited with ${this.child.exitCode}`);
      if (Date.now() > deadline) throw new Error('the cluster did not start in time');
      await new Promise((r) => setTimeout(r, 200));
    }
    const lines = readFileSync(this.info, 'utf8').trim().split('\n').map((l) => l.split(' '));
    this.proxy = new Endpoint(lines.find((l) => l[0] === 'proxy')[1]);
    this.instances = lines.filter((l) => l[0] === 'instance')
      .map(([, url, pid, name]) => Object.assign(new Endpoint(url), { pid: Number(pid), name }));
    return this;
  }

  /** The index of the instance that answered `response` (a Playwright response through the proxy). */
  async servedBy(response) {
    const name = await response.headerValue('x-served-by');
    const i = this.instances.findIndex((instance) => instance.name === name);
    if (i < 0) throw new Error(`the proxy named no instance of this cluster: ${name}`);
    return i;
  }

  /** Kills instance `i` as a crash would: no goodbye to anyone. */
  kill(i) { process.kill(this.instances[i].pid, 'SIGKILL'); }

  async stop() {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    rmSync(this.info, { force: true });
  }
}

/**
 * The backend a journey asked for, run as a cluster behind its proxy: the same flags on every
 * instance, the demo show on the first. `stop()` and `start()` stop and start every instance
 * (PostgreSQL, Redis and the proxy stay); `close()` removes the cluster.
 */
export class ClusterBackend extends Endpoint {
  constructor(options = {}) {
    super(null);
    const like = new Backend(options);
    this.cluster = new Cluster({ args: like.flags(), demo: like.demoShow, startSecs: like.search ? 180 : 60 });
    this.running = false;
  }

  get url() { return this.cluster.proxy.url; }

  async start() {
    if (!this.cluster.child) {
      await this.cluster.start();
    } else if (!this.running) {
      this.cluster.child.kill('SIGUSR2');
      await this.until((status) => status === 200);
    }
    this.running = true;
    return this;
  }

  async stop() {
    if (!this.running) return;
    this.running = false;
    this.cluster.child.kill('SIGUSR1');
    await this.until((status) => status !== 200);
  }

  close() { return this.cluster.child ? this.cluster.stop() : undefined; }

  /** Waits until the proxy answers the catalog with a status that `ok` accepts. */
  async until(ok) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await fetch(`${this.url}/v1/catalog?limit=1`).then((r) => r.status, () => 0);
      if (ok(status)) return;
      if (Date.now() > deadline) throw new Error(`the cluster still answers ${status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Runs `body` with a fresh cluster, stopping it whatever happens. */
export async function withCluster(body) {
  const cluster = await new Cluster().start();
  try {
    return await body(cluster);
  } finally {
    await cluster.stop();
  }
}
