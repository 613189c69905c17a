// A minimal live-shop backend written from openapi.yaml alone, in Node 20 with no packages: the
// starting point for a shop's own. One process, everything in memory. It drives the widget's
// overlay (state, live events with resume, a producer's changes, flash deals timed by the server),
// its cart (per page session, idempotent, priced and stocked as the show says), the replay's
// hotspots (manifests saved with a creator token) and the catalog. It has no upcoming shows and
// no visual search, and answers them 404 as the spec allows, so the widget hides those parts.
//
//   node examples/node-backend/server.mjs [--port 8090] [--token T] [--catalog products.json]
//     [--dist DIR] [--media DIR]
//
// --dist and --media serve the widget's files and the demo media too, for a demo or a test; a
// shop serves them from its CDN instead. Where this file says "the spec", read openapi.yaml.
import { createServer } from 'node:http';
import { readFileSync, statSync, createReadStream } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { randomUUID } from 'node:crypto';

// --- configuration ------------------------------------------------------------------------

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const PORT = Number(option('--port', process.env.PORT ?? 8090));
const TOKEN = option('--token', 'example-token');
const DIST = option('--dist');
const MEDIA = option('--media');
const CATALOG = option('--catalog');

/** The shop's products, schema.org-shaped as the spec's `Product`. */
const products = CATALOG ? JSON.parse(readFileSync(CATALOG, 'utf8')) : [
  { id: 'jacket', title: 'Harbor Wool Jacket', brand: 'Nordwind', images: ['/media/photos/p01.jpg'],
    url: '/products/jacket', offers: [{ price: 129, priceCurrency: 'EUR', availability: 'InStock', inventoryLevel: 40 }] },
  { id: 'scarf', title: 'Merino Scarf', brand: 'Nordwind', images: ['/media/photos/p02.jpg'],
    url: '/products/scarf', offers: [{ price: 24.9, priceCurrency: 'EUR', availability: 'InStock', inventoryLevel: 80 }] },
  { id: 'boots', title: 'Trail Boots', brand: 'Fjell', images: ['/media/photos/p03.jpg'],
    url: '/products/boots', offers: [{ price: 89.5, priceCurrency: 'EUR', availability: 'LimitedAvailability', inventoryLevel: 6 }] },
];
const product = (id) => products.find((p) => p.id === id);

// --- HTTP helpers ---------------------------------------------------------------------------

// Everything the widget sends and reads across origins (the spec's CORS convention).
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
  'access-control-allow-headers': 'Content-Type, If-None-Match, If-Match, Authorization, Idempotency-Key, Cart-Token, Last-Event-ID',
  'access-control-expose-headers': 'ETag, X-Server-Time, Idempotent-Replayed, Retry-After',
  'access-control-max-age': '600',
};

function send(res, status, body, headers = {}) {
  const json = body === undefined ? undefined : JSON.stringify(body);
  res.writeHead(status, { ...CORS, 'x-server-time': String(Date.now()),
    ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
  res.end(json);
}

/** An `ErrorBody` with one of the spec's codes. */
const fail = (res, status, code, message, extra = {}) => send(res, status, { error: { code, message }, ...extra });

async function readJson(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) return { tooLarge: true };
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { invalid: true };
  }
}

/** Prices travel as numbers or decimal strings; compare them as decimals, in cents. */
const cents = (price) => {
  const n = typeof price === 'string' ? Number(price.trim()) : price;
  return typeof n === 'number' && Number.isFinite(n) ? Math.round(n * 100) : NaN;
};

// --- the live show --------------------------------------------------------------------------

/** One stream: its state, the events after it (for resume), and the open event streams. */
class Stream {
  constructor(id) {
    this.id = id;
    this.epoch = randomUUID().slice(0, 8); // a new sequence every start
    this.seq = 0;
    this.state = { live: true, pinned: undefined, products: structuredClone(products), banner: undefined, flashDeals: [] };
    this.history = []; // the latest events, for clients that resume
    this.viewers = new Set();
  }

  snapshot() {
    return { streamId: this.id, epoch: this.epoch, seq: this.seq, serverTime: Date.now(), ...this.state };
  }

  /** Folds `change` into the state and sends it to every viewer as the next event. */
  publish(change) {
    this.fold(change);
    this.seq += 1;
    const event = { epoch: this.epoch, seq: this.seq, serverTime: Date.now(), ...change };
    this.history.push(event);
    if (this.history.length > 1000) this.history.shift();
    for (const viewer of this.viewers) viewer(event);
    return event;
  }

  runningDeal(productId, now = Date.now()) {
    return this.state.flashDeals.find((d) => d.productId === productId && d.status === 'running' && now < d.endsAt);
  }

  fold(change) {
    const s = this.state;
    const inShow = (id) => s.products.find((p) => p.id === id);
    switch (change.type) {
      case 'offerPinned': {
        const known = inShow(change.product.id);
        if (!known) s.products.push(change.product);
        s.pinned = change.product.id;
        break;
      }
      case 'offerUnpinned': s.pinned = undefined; break;
      case 'priceChanged': {
        const offer = inShow(change.productId)?.offers?.[0];
        if (offer) Object.assign(offer, { price: change.price }, change.originalPrice ? { originalPrice: change.originalPrice } : {});
        break;
      }
      case 'stockChanged': {
        // While a deal runs, the count is the deal's (the spec's FlashDeal.offer).
        const offer = this.runningDeal(change.productId)?.offer ?? inShow(change.productId)?.offers?.[0];
        if (offer) Object.assign(offer, { inventoryLevel: change.inventoryLevel, availability: change.availability });
        break;
      }
      case 'bannerChanged': s.banner = change.banner ?? undefined; break;
      case 'showStarted': s.live = true; break;
      case 'showEnded': s.live = false; break;
      case 'flashDealScheduled':
        s.flashDeals = s.flashDeals.filter((d) => d.id !== change.deal.id);
        s.flashDeals.push(change.deal);
        break;
      case 'flashDealStarted': {
        const deal = s.flashDeals.find((d) => d.id === change.dealId);
        if (deal) deal.status = 'running';
        break;
      }
      case 'flashDealEnded': {
        const deal = s.flashDeals.find((d) => d.id === change.dealId);
        if (deal) Object.assign(deal, { status: 'ended', endReason: change.reason });
        break;
      }
      default: break;
    }
  }

  /** The server starts and ends a scheduled deal at its times (the spec: "started and ended by the server"). */
  time(deal) {
    const at = (ms, fn) => setTimeout(fn, Math.max(0, ms - Date.now()));
    at(deal.startsAt, () => {
      const d = this.state.flashDeals.find((x) => x.id === deal.id);
      if (d && d.status === 'scheduled') this.publish({ type: 'flashDealStarted', dealId: deal.id });
    });
    at(deal.endsAt, () => this.end(deal.id, 'expired'));
  }

  end(dealId, reason) {
    const d = this.state.flashDeals.find((x) => x.id === dealId);
    if (d && d.status !== 'ended') this.publish({ type: 'flashDealEnded', dealId, reason });
  }
}

const streams = new Map([['demo', new Stream('demo')]]);

// --- carts ----------------------------------------------------------------------------------

/** Carts by token: lines by product, the answers of each idempotency key, deal units held. */
const carts = new Map();
/** A first add retried without its token finds the cart it opened, by its key. */
const cartsByFirstKey = new Map();

function addToCart(req, body, res) {
  const key = req.headers['idempotency-key'];
  if (!key) return fail(res, 400, 'missing_header', 'missing header Idempotency-Key');
  const { productId, quantity, offer } = body ?? {};
  if (typeof productId !== 'string' || !Number.isInteger(quantity) || quantity < 1 || quantity > 99) {
    return fail(res, 400, 'bad_request', 'productId and a quantity from 1 to 99 are required');
  }
  let token = req.headers['cart-token'];
  let cart = carts.get(token) ?? cartsByFirstKey.get(key);
  if (!cart) {
    token = randomUUID().replaceAll('-', '');
    cart = { token, lines: new Map(), keys: new Map(), dealUnits: new Map() };
    carts.set(token, cart);
  }
  const fingerprint = JSON.stringify([productId, quantity, offer ?? null]);
  const earlier = cart.keys.get(key);
  if (earlier) {
    if (earlier.fingerprint !== fingerprint) return fail(res, 422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request');
    return send(res, earlier.status, earlier.body, { 'idempotent-replayed': 'true' });
  }
  const stream = streams.get('demo');
  const item = stream.state.products.find((p) => p.id === productId) ?? product(productId);
  if (!item) return fail(res, 404, 'not_found', `product ${productId} not found`);
  // The price now: a running deal's, else the product's. The shopper's must be it, as decimals.
  const deal = stream.runningDeal(productId);
  const live = deal?.offer ?? item.offers?.[0];
  const refuse = (code, message, now) => {
    const answer = { status: 409, body: { error: { code, message }, ...(now ? { offer: now } : {}) } };
    cart.keys.set(key, { fingerprint, ...answer });
    return send(res, answer.status, answer.body);
  };
  if (offer && (cents(offer.price) !== cents(live.price) || offer.priceCurrency !== live.priceCurrency)) {
    const endedDeal = stream.state.flashDeals.find((d) => d.productId === productId && d.status === 'ended'
      && cents(d.offer.price) === cents(offer.price));
    return endedDeal?.endReason === 'soldOut'
      ? refuse('sold_out', 'the deal sold out')
      // The offer that applies now travels with the refusal: the widget shows it and adds at it.
      : refuse('price_changed', `the price is now ${live.price} ${live.priceCurrency}`, live);
  }
  let heldUntil;
  if (deal) {
    // One process: this block runs to its end before another add is read, so no deal oversells.
    const mine = cart.dealUnits.get(deal.id) ?? 0;
    if (deal.limitPerShopper && mine + quantity > deal.limitPerShopper) return refuse('limit_reached', 'the deal\'s limit per shopper');
    const left = deal.offer.inventoryLevel ?? 0;
    if (left < quantity) return refuse('sold_out', 'the deal is sold out');
    cart.dealUnits.set(deal.id, mine + quantity);
    const now = left - quantity;
    stream.publish({ type: 'stockChanged', productId, inventoryLevel: now, availability: now > 0 ? 'InStock' : 'SoldOut' });
    if (now === 0) stream.end(deal.id, 'soldOut');
    heldUntil = Date.now() + 10 * 60_000;
  }
  const line = cart.lines.get(productId) ?? { lineId: randomUUID().slice(0, 8), quantity: 0 };
  line.quantity += quantity;
  cart.lines.set(productId, line);
  cartsByFirstKey.set(key, cart);
  const itemCount = [...cart.lines.values()].reduce((n, l) => n + l.quantity, 0);
  const answer = { status: 201, body: { cartToken: cart.token, lineId: line.lineId, itemCount, heldUntil, serverTime: Date.now() } };
  cart.keys.set(key, { fingerprint, ...answer });
  return send(res, answer.status, answer.body);
}

// --- hotspot manifests ----------------------------------------------------------------------

const manifests = new Map(); // videoId -> { etag, manifest }

async function putManifest(req, res, videoId) {
  if (!authorized(req)) return fail(res, 401, 'unauthorized', 'a valid bearer token is required', {});
  const stored = manifests.get(videoId);
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  if (stored && !ifMatch && ifNoneMatch !== '*') return fail(res, 428, 'precondition_required', 'send If-Match with the ETag you edited');
  if (stored && ifNoneMatch === '*') return fail(res, 412, 'edit_conflict', 'the overlay changed since you loaded it', { etag: stored.etag, current: stored.manifest });
  if (stored && ifMatch && ifMatch !== stored.etag) return fail(res, 412, 'edit_conflict', 'the overlay changed since you loaded it', { etag: stored.etag, current: stored.manifest });
  const { value, invalid, tooLarge } = await readJson(req, 2 * 1024 * 1024);
  if (tooLarge) return fail(res, 413, 'too_large', 'a manifest is at most 2 MiB');
  if (invalid || value?.version !== 1 || !Array.isArray(value.hotspots) || value.videoId !== videoId) {
    return fail(res, 422, 'invalid_manifest', 'a manifest of version 1 for this video, with its hotspots', { problems: [] });
  }
  const etag = `"${randomUUID().slice(0, 12)}"`;
  manifests.set(videoId, { etag, manifest: value });
  return send(res, stored ? 200 : 201, value, { etag });
}

const authorized = (req) => req.headers.authorization === `Bearer ${TOKEN}`;

// --- files ----------------------------------------------------------------------------------

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.jpg': 'image/jpeg', '.png': 'image/png', '.mp4': 'video/mp4', '.webp': 'image/webp' };

/** Serves `name` under `root`, never outside it; byte ranges for video. */
function serveFile(req, res, root, name) {
  const path = normalize(join(root, decodeURIComponent(name)));
  if (!path.startsWith(normalize(root) + sep)) return false;
  let stat;
  try { stat = statSync(path); } catch { return false; }
  if (!stat.isFile()) return false;
  const headers = { ...CORS, 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'accept-ranges': 'bytes',
    'cache-control': 'no-cache', 'x-server-time': String(Date.now()) };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    const start = range[1] ? Number(range[1]) : Math.max(0, stat.size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), stat.size - 1) : stat.size - 1;
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${stat.size}`, 'content-length': end - start + 1 });
    createReadStream(path, { start, end }).pipe(res);
  } else {
    res.writeHead(200, { ...headers, 'content-length': stat.size });
    createReadStream(path).pipe(res);
  }
  return true;
}

// --- routes ---------------------------------------------------------------------------------

async function route(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;
  if (req.method === 'OPTIONS') return send(res, 204);
  let m;

  if ((m = /^\/v1\/streams\/([^/]+)\/state$/.exec(path)) && req.method === 'GET') {
    const stream = streams.get(decodeURIComponent(m[1]));
    if (!stream) return fail(res, 404, 'not_found', `stream ${m[1]} not found`);
    const etag = `"${stream.epoch}-${stream.seq}"`;
    if (req.headers['if-none-match'] === etag) return send(res, 304, undefined, { etag });
    return send(res, 200, stream.snapshot(), { etag, 'cache-control': 'no-cache' });
  }

  if ((m = /^\/v1\/streams\/([^/]+)\/events$/.exec(path)) && req.method === 'GET') {
    const stream = streams.get(decodeURIComponent(m[1]));
    if (!stream) return fail(res, 404, 'not_found', `stream ${m[1]} not found`);
    res.writeHead(200, { ...CORS, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-server-time': String(Date.now()) });
    // Open now: Node holds the headers until the first write, and a client that resumes with
    // nothing to replay would otherwise wait, unopened, for the next event.
    res.flushHeaders();
    const message = (e) => res.write(`id: ${e.epoch}.${e.seq}\nretry: 1000\ndata: ${JSON.stringify(e)}\n\n`);
    // Resume from the last id when this epoch's history still holds what came after it;
    // otherwise (a new client, another epoch, too far behind) the state first.
    const last = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? '';
    const [epoch, seq] = [last.slice(0, last.lastIndexOf('.')), Number(last.slice(last.lastIndexOf('.') + 1))];
    const oldest = stream.history[0]?.seq ?? stream.seq + 1;
    if (epoch === stream.epoch && Number.isInteger(seq) && seq <= stream.seq && seq + 1 >= oldest) {
      for (const e of stream.history) if (e.seq > seq) message(e);
    } else {
      const state = stream.snapshot();
      res.write(`event: snapshot\nid: ${state.epoch}.${state.seq}\ndata: ${JSON.stringify(state)}\n\n`);
    }
    stream.viewers.add(message);
    const alive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => { clearInterval(alive); stream.viewers.delete(message); });
    return undefined;
  }

  if ((m = /^\/v1\/streams\/([^/]+)\/changes$/.exec(path)) && req.method === 'POST') {
    if (!authorized(req)) return fail(res, 401, 'unauthorized', 'a valid bearer token is required', {});
    const stream = streams.get(decodeURIComponent(m[1]));
    if (!stream) return fail(res, 404, 'not_found', `stream ${m[1]} not found`);
    const { value: change, invalid, tooLarge } = await readJson(req);
    if (tooLarge) return fail(res, 413, 'too_large', 'a change is at most 64 KiB');
    if (invalid || typeof change?.type !== 'string') return fail(res, 400, 'bad_request', 'a JSON change with its type');
    if (change.type === 'offerPinned') {
      // A pinned product's data comes from the shop, not the request.
      const known = product(change.product?.id);
      if (!known) return fail(res, 422, 'unprocessable', `no product ${change.product?.id}`);
      change.product = stream.state.products.find((p) => p.id === known.id) ?? structuredClone(known);
    }
    if (change.type === 'flashDealScheduled') {
      const deal = change.deal;
      if (!deal?.id || !product(deal.productId) || !(deal.endsAt > deal.startsAt)) return fail(res, 422, 'unprocessable', 'a deal with its id, product and times');
      deal.status = 'scheduled';
      const event = stream.publish(change);
      stream.time(deal);
      return send(res, 202, event);
    }
    return send(res, 202, stream.publish(change));
  }

  // A product answered anywhere carries the offer that applies now: a running deal's (the
  // spec), so a hotspot's card or a search result shows the price the cart will take.
  const priced = (p) => {
    const deal = streams.get('demo').runningDeal(p.id);
    return deal ? { ...p, offers: [deal.offer, ...(p.offers ?? []).slice(1)] } : p;
  };

  if (path === '/v1/catalog' && req.method === 'GET') {
    const words = (url.searchParams.get('query') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const limit = Number(url.searchParams.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(res, 400, 'bad_request', 'limit is from 1 to 100');
    const from = Number(url.searchParams.get('cursor') ?? 0) || 0;
    const found = products.filter((p) => words.every((w) => `${p.title} ${p.brand ?? ''}`.toLowerCase().includes(w)));
    const page = found.slice(from, from + limit).map(priced);
    return send(res, 200, { products: page, nextCursor: from + limit < found.length ? String(from + limit) : undefined, serverTime: Date.now() });
  }

  if ((m = /^\/v1\/catalog\/([^/]+)$/.exec(path)) && req.method === 'GET') {
    const found = product(decodeURIComponent(m[1]));
    return found ? send(res, 200, priced(found)) : fail(res, 404, 'not_found', `product ${m[1]} not found`);
  }

  if (path === '/v1/cart/items' && req.method === 'POST') {
    const { value, invalid, tooLarge } = await readJson(req);
    if (tooLarge) return fail(res, 413, 'too_large', 'an add is at most 64 KiB');
    if (invalid) return fail(res, 400, 'bad_request', 'a JSON body');
    return addToCart(req, value, res);
  }

  if ((m = /^\/v1\/videos\/([^/]+)\/overlay$/.exec(path))) {
    const videoId = decodeURIComponent(m[1]);
    if (req.method === 'PUT') return putManifest(req, res, videoId);
    if (req.method === 'GET') {
      const stored = manifests.get(videoId);
      if (!stored) return send(res, 204);
      if (req.headers['if-none-match'] === stored.etag) return send(res, 304, undefined, { etag: stored.etag });
      return send(res, 200, stored.manifest, { etag: stored.etag });
    }
  }

  // Optional parts this backend lacks: the spec lets it answer 404, and the widget hides them.
  if (path === '/v1/events' || path.startsWith('/v1/events/') || path === '/v1/search/image') {
    return fail(res, 404, 'not_found', 'this backend has no upcoming shows and no visual search');
  }
  if (path.startsWith('/v1/')) return fail(res, 404, 'not_found', 'route not found');

  if (MEDIA && path.startsWith('/media/') && serveFile(req, res, MEDIA, path.slice('/media/'.length))) return undefined;
  if (DIST) {
    const page = { '/': 'index.html', '/replay': 'replay.html', '/studio': 'studio.html' }[path];
    if (serveFile(req, res, DIST, page ?? path.slice(1))) return undefined;
  }
  return fail(res, 404, 'not_found', 'not found');
}

const server = createServer((req, res) => {
  route(req, res).catch((error) => {
    console.error(error);
    if (!res.headersSent) fail(res, 500, 'store', 'the backend failed');
    else res.end();
  });
});
server.listen(PORT, '127.0.0.1', () => {
  console.log(`example backend listening on http://127.0.0.1:${server.address().port}/ (stream "demo", creator token ${TOKEN})`);
});
