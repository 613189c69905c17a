// The load benchmark's client (scripts/load.sh starts the cluster and passes its info file).
// Traffic goes to 127.0.0.1 only and every loop is bounded. Three parts, each printing figures
// and a verdict against the targets; the exit status is 1 when a target is missed.
//  1. VIEWERS SSE viewers spread over the instances (opened by child processes, as one process
//     may hold only so many sockets), a change posted on one instance: delivery p50/p99/max to
//     all, and the instances' memory per viewer.
//  2. BUYERS buyers racing for UNITS units of one flash deal across the instances.
//  3. RESUMERS viewers through the proxy while a producer posts; one instance is killed -9
//     mid-show; every viewer must end with every event once.
import http from 'node:http';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TOKEN = 'bench';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/** An SSE viewer of `url` that reconnects with Last-Event-ID when its connection ends. */
class Viewer {
  constructor(url, { resume = false, onEvent = () => {} } = {}) {
    Object.assign(this, { url, resume, onEvent, last: null, seqs: [], snapshots: 0, drops: 0, closed: false });
  }

  open() {
    return new Promise((resolve, reject) => {
      const headers = this.last ? { 'last-event-id': this.last } : {};
      let buffer = '';
      // Once per connection, however it ends.
      let ended = false;
      const again = (error) => { if (!ended) { ended = true; this.reopen(resolve, reject, error); } };
      this.request = http.get(`${this.url}/v1/streams/demo/events`, { agent, headers }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          again(new Error(`status ${response.statusCode}`));
          return;
        }
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (.*)$/m.exec(block)?.[1];
            if (!id) continue;
            const snapshot = /^event: snapshot$/m.test(block);
            if (snapshot) this.snapshots += 1;
            this.last = id;
            this.seqs.push(Number(id.split('.').pop()));
            this.onEvent(id, snapshot);
            resolve(this);
          }
        });
        // 'close' comes whether the stream ended or broke off ('error', then 'close').
        response.on('error', () => {});
        response.on('close', () => again());
      });
      this.request.on('error', (e) => again(e));
    });
  }

  reopen(resolve, reject, error) {
    if (this.closed) return;
    if (!this.resume) { reject(error ?? new Error('stream ended')); return; }
    this.drops += 1;
    if (this.drops > 20) { reject(error ?? new Error('dropped 20 times')); return; }
    // As EventSource does, after its retry time (here with jitter: the whole crowd at once).
    setTimeout(() => this.open().then(resolve, reject), 200 + Math.random() * 800);
  }

  close() { this.closed = true; this.request?.destroy(); }
}

// A child process: opens its share of viewers, reports when ready and when each sees `awaited`.
if (process.argv[2] === '--viewers') {
  const [count, list] = [Number(process.argv[3]), process.argv[4].split(',')];
  let awaited = null;
  const arrivals = [];
  const viewers = [];
  process.on('message', (message) => {
    if (message.awaited) awaited = message.awaited;
    if (message.close) { for (const v of viewers) v.close(); process.exit(0); }
  });
  const onEvent = (id) => {
    if (id === awaited) {
      arrivals.push(Date.now());
      if (arrivals.length === count) process.send({ arrivals });
    }
  };
  for (let i = 0; i < count; i += 250) {
    const batch = Array.from({ length: Math.min(250, count - i) }, (_, j) => new Viewer(list[(i + j) % list.length], { onEvent }));
    viewers.push(...batch);
    await Promise.all(batch.map((v) => v.open()));
  }
  process.send({ ready: viewers.length });
  await new Promise(() => {});
}

const info = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => l.split(' '));
const proxy = info.find((l) => l[0] === 'proxy')[1];
const instances = info.filter((l) => l[0] === 'instance').map(([, url, pid]) => ({ url, pid: Number(pid) }));
const VIEWERS = Number(process.env.VIEWERS || 20000);
const BUYERS = Number(process.env.BUYERS || 5000);
const UNITS = Number(process.env.UNITS || 100);
const RESUMERS = Number(process.env.RESUMERS || 1500);
const verdicts = [];
const verdict = (what, met) => { verdicts.push(met); console.log(`  target ${what}: ${met ? 'met' : 'MISSED'}`); };
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const totalRss = () => instances.reduce((sum, i) => sum + rssKb(i.pid), 0);

async function post(url, path, body, headers = {}) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}
const change = (url, body) => post(url, '/v1/streams/demo/changes', body, { authorization: `Bearer ${TOKEN}` });
const state = async (url) => (await fetch(`${url}/v1/streams/demo/state`)).json();

// --- 1. viewers over the instances, one change to all of them ----------------------------
{
  const urls = instances.map((i) => i.url).join(',');
  const perChild = 8000;
  const children = [];
  const before = totalRss();
  const opened = performance.now();
  for (let left = VIEWERS; left > 0; left -= perChild) {
    const count = Math.min(perChild, left);
    const child = fork(fileURLToPath(import.meta.url), ['--viewers', String(count), urls]);
    children.push({ child, count, ready: new Promise((r, j) => { child.on('message', (m) => m.ready && r()); child.on('exit', (c) => j(new Error(`viewers exited ${c}`))); }) });
  }
  await Promise.all(children.map((c) => c.ready));
  const took = (performance.now() - opened) / 1000;
  await sleep(2000);
  const after = totalRss();
  const perViewer = (after - before) / VIEWERS;
  console.log(`== ${VIEWERS} SSE viewers over ${instances.length} instances (connected in ${took.toFixed(1)} s)`);
  console.log(`  instances' memory: ${(before / 1024).toFixed(0)} MiB idle, ${(after / 1024).toFixed(0)} MiB with the viewers: ${perViewer.toFixed(1)} KB per viewer`);
  verdict('≤ 32 KB per idle viewer', perViewer <= 32);

  const latest = await state(instances[0].url);
  const awaited = `${latest.epoch}.${latest.seq + 1}`;
  const arrivals = children.map(({ child }) => new Promise((r) => child.on('message', (m) => m.arrivals && r(m.arrivals))));
  for (const { child } of children) child.send({ awaited });
  await sleep(200);
  const posted = Date.now();
  const answer = await change(instances[0].url, { type: 'showStarted' });
  if (`${answer.body?.epoch}.${answer.body?.seq}` !== awaited) throw new Error(`another event came first: ${JSON.stringify(answer.body)}`);
  const all = await Promise.race([Promise.all(arrivals), sleep(60_000).then(() => null)]);
  if (!all) throw new Error('the change did not reach every viewer in 60 s');
  const delays = all.flat().map((t) => t - posted).sort((a, b) => a - b);
  console.log(`  a change posted on instance 1 reached all ${delays.length}: p50 ${pct(delays, 0.5)} ms, p99 ${pct(delays, 0.99)} ms, max ${delays.at(-1)} ms`);
  verdict('p99 ≤ 500 ms', pct(delays, 0.99) <= 500);
  for (const { child } of children) child.send({ close: true });
  await sleep(1000);
}

// --- 2. buyers racing for a deal's units ---------------------------------------------------
{
  const shelf = await state(instances[0].url);
  const product = shelf.products[0];
  const offer = product.offers[0];
  const price = Math.round(offer.price * 50) / 100;
  const now = Date.now();
  const id = `bench-${now}`;
  const deal = {
    id, productId: product.id, startsAt: now - 1000, endsAt: now + 300_000, status: 'scheduled',
    offer: { price, priceCurrency: offer.priceCurrency, originalPrice: offer.price, availability: 'InStock', inventoryLevel: UNITS },
    stockLimit: UNITS, limitPerShopper: 1,
  };
  // Posted once, on one instance; the bus takes it to the others.
  await change(instances[0].url, { type: 'flashDealScheduled', deal });
  for (const { url } of instances) {
    for (let i = 0; i < 100 && (await state(url)).flashDeals.find((d) => d.id === id)?.status !== 'running'; i++) await sleep(50);
  }
  const outcome = { sold: 0, soldOut: 0, other: 0, retries: 0, lost: 0 };
  let next = 0;
  const raced = performance.now();
  const buyer = async () => {
    while (next < BUYERS) {
      const n = next++;
      const url = instances[n % instances.length].url;
      const body = { productId: product.id, quantity: 1, offer: { price: String(price), priceCurrency: offer.priceCurrency } };
      let done = false;
      for (let attempt = 0; attempt < 5 && !done; attempt++) {
        if (attempt > 0) { outcome.retries++; await sleep(100 * attempt); }
        try {
          const { status, body: answer } = await post(url, '/v1/cart/items', body, { 'idempotency-key': `${id}-buyer-${n}` });
          if (status === 201) { outcome.sold++; done = true; }
          else if (status === 409 && answer?.error?.code === 'sold_out') { outcome.soldOut++; done = true; }
          else if (status < 500) { outcome.other++; done = true; console.log(`  answer ${status}: ${JSON.stringify(answer)}`); }
        } catch { /* tried again with the same key */ }
      }
      if (!done) outcome.lost++;
    }
  };
  await Promise.all(Array.from({ length: 200 }, buyer));
  const took = (performance.now() - raced) / 1000;
  const shown = (await state(instances.at(-1).url)).flashDeals.find((d) => d.id === id);
  console.log(`== ${BUYERS} buyers racing for ${UNITS} units across ${instances.length} instances (200 at a time, ${took.toFixed(1)} s, ${(BUYERS / took).toFixed(0)} adds/s)`);
  console.log(`  sold ${outcome.sold}, oversold ${Math.max(0, outcome.sold - UNITS)}, refused sold out ${outcome.soldOut}, other answers ${outcome.other}, lost after retries ${outcome.lost} (${outcome.retries} retries); viewers see the deal ${shown?.status}${shown?.endReason ? ` (${shown.endReason})` : ''}`);
  verdict(`exactly ${UNITS} sold, 0 lost`, outcome.sold === UNITS && outcome.lost === 0 && outcome.other === 0);
}

// --- 3. an instance killed mid-show ---------------------------------------------------------
{
  const producer = instances.at(-1).url;
  const viewers = Array.from({ length: RESUMERS }, () => new Viewer(proxy, { resume: true }));
  for (let i = 0; i < viewers.length; i += 250) await Promise.all(viewers.slice(i, i + 250).map((v) => v.open()));
  const first = new Map(viewers.map((v) => [v, v.seqs[0]]));
  const victim = instances[1];
  const changes = 40;
  for (let n = 1; n <= changes; n++) {
    await change(producer, { type: 'bannerChanged', banner: { title: `Round ${n}` } });
    if (n === 10) process.kill(victim.pid, 'SIGKILL');
    await sleep(50);
  }
  const end = (await state(producer)).seq;
  const deadline = Date.now() + 20_000;
  while (viewers.some((v) => v.seqs.at(-1) !== end) && Date.now() < deadline) await sleep(100);
  let missed = 0, twice = 0, bySnapshot = 0, resumed = 0;
  for (const v of viewers) {
    if (v.drops > 0) resumed++;
    bySnapshot += v.snapshots - 1;
    const seen = new Set();
    for (const s of v.seqs) { if (seen.has(s)) twice++; seen.add(s); }
    for (let s = first.get(v); s <= end; s++) if (!seen.has(s)) missed++;
  }
  for (const v of viewers) v.close();
  console.log(`== ${RESUMERS} viewers through the proxy, ${changes} changes, instance 2 killed -9 after the 10th`);
  console.log(`  ${resumed} viewers lost their instance and resumed; events missed ${missed}, received twice ${twice}, resumes that needed a whole new state ${bySnapshot}`);
  verdict('0 missed, 0 twice', resumed > 0 && missed === 0 && twice === 0 && bySnapshot === 0);
}

process.exit(verdicts.every(Boolean) ? 0 : 1);
