// Starts scripts/cluster.sh for a journey: PostgreSQL, Redis, three instances of the reference
// backend built for the journeys, and haproxy in front, all on 127.0.0.1 under a temp dir.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Endpoint, SERVER_BIN, TOKEN, freePort } from './server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class Cluster {
  async start() {
    this.info = join(tmpdir(), `live-shop-cluster-${process.pid}-${Date.now()}.info`);
    const port = await freePort();
    this.child = spawn('bash', [join(ROOT, 'scripts', 'cluster.sh')], {
      env: { ...process.env, LIVE_SHOP_SERVER: SERVER_BIN, CLUSTER_INFO: this.info, PORT: String(port),
        DEMO: '0', LIVE_SHOP_TOKEN: TOKEN },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    const deadline = Date.now() + 120_000;
    while (!existsSync(this.info)) {
      if (this.child.exitCode !== null) throw new Error(`cluster.sh exited with ${this.child.exitCode}`);
      if (Date.now() > deadline) throw new Error('the cluster did not start in 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const lines = readFileSync(this.info, 'utf8').trim().split('\n').map((l) => l.split(' '));
    this.proxy = new Endpoint(lines.find((l) => l[0] === 'proxy')[1]);
    this.instances = lines.filter((l) => l[0] === 'instance')
      .map(([, url, pid]) => Object.assign(new Endpoint(url), { pid: Number(pid) }));
    return this;
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

/** Runs `body` with a fresh cluster, stopping it whatever happens. */
export async function withCluster(body) {
  const cluster = await new Cluster().start();
  try {
    return await body(cluster);
  } finally {
    await cluster.stop();
  }
}
