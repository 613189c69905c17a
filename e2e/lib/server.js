// Starts the real reference backend for a journey, on 127.0.0.1 and a free port, serving the
// built widget (dist/) and the sample media.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = process.env.LIVE_SHOP_CACHE || join(homedir(), '.cache', 'live-shop');
const TARGET = process.env.CARGO_TARGET_DIR || join(CACHE, 'target');
export const SERVER_BIN = process.env.LIVE_SHOP_SERVER || join(TARGET, 'debug', 'live-shop-server');
export const TOKEN = 'journey-token';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** What a producer or a shopper talks to: one backend, or a cluster's proxy or instance. */
export class Endpoint {
  constructor(url) { this.address = url; }

  get url() { return this.address; }

  /** Posts a change to a stream as a producer would. */
  async change(change, stream = 'demo') {
    const response = await fetch(`${this.url}/v1/streams/${stream}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(change),
    });
    if (!response.ok) throw new Error(`change refused: ${response.status} ${await response.text()}`);
    return response.status === 202 && response.headers.get('content-type')?.includes('json')
      ? response.json() : null;
  }

  async state(stream = 'demo') {
    return (await fetch(`${this.url}/v1/streams/${stream}/state`)).json();
  }
}

/**
 * A running backend; `stop()` and `start()` again keep the same port. `args`: more flags.
 * With LIVE_SHOP_JOURNEYS=cluster, [`backend`] gives a cluster that runs the same flags.
 */
export class Backend extends Endpoint {
  constructor({ demoShow = false, port, demoPace, search = false, args = [] } = {}) {
    super(null);
    this.args = args;
    this.demoShow = demoShow;
    this.search = search;
    this.demoPace = demoPace;
    this.port = port;
    this.child = null;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  /** The flags this backend runs with besides its port, widget, media and token. */
  flags() {
    const args = [];
    if (!this.demoShow) args.push('--no-demo-show');
    if (this.demoPace) args.push('--demo-pace', String(this.demoPace));
    // Visual search with the real model; the index is built once and reused from the cache.
    if (this.search) {
      args.push('--model', join(CACHE, 'models', 'efficientnet-lite0.safetensors'),
        '--search-index', join(CACHE, 'search-index.json'));
      // A file's journeys are one shopper searching far more often than any shopper would.
      if (!this.args.includes('--search-pace')) args.push('--search-pace', '0');
    }
    return [...args, ...this.args];
  }

  async start() {
    this.port ??= await freePort();
    const args = ['--port', String(this.port), '--dist', join(ROOT, 'dist'),
      '--media', join(CACHE, 'media'), '--creator-token', TOKEN, ...this.flags()];
    this.child = spawn(SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      const limit = this.search ? 180_000 : 10_000;
      const timer = setTimeout(() => reject(new Error(`backend did not start in ${limit / 1000} s`)), limit);
      this.child.once('exit', (code) => reject(new Error(`backend exited with ${code}`)));
      this.child.stdout.on('data', (chunk) => {
        if (String(chunk).includes('listening')) { clearTimeout(timer); resolve(); }
      });
    });
    return this;
  }

  /** Stops it for good. */
  close() { return this.stop(); }

  async stop() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
