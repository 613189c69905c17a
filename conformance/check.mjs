// The backend conformance kit: exercises a backend against `openapi.yaml`, one requirement at a
// time, and prints each with the spec's own words and what the backend did. Node 20, no
// packages. `scripts/conformance.sh URL [--token T] [--stream ID]`; a module for the journeys
// (`run(url, options)` gives the results).
//
// What needs a producer (changes, live events) is checked only with a creator token; optional
// parts a backend may lack (upcoming shows, the cart, visual search) pass when answered 404,
// 405 or 501, as the spec allows, and say so.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SPEC = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'openapi.yaml'), 'utf8');

/** The error codes `ErrorBody.code` lists. */
const CODES = (SPEC.split('    ErrorBody:')[1] ?? '').split('\n')
  .map((l) => l.trim()).find((l) => l.startsWith('enum: ['))
  ?.slice('enum: ['.length, -1).split(',').map((c) => c.trim()) ?? [];

/** The request headers the spec says the widget sends across origins, and those it reads. */
const SENT = ['Content-Type', 'If-None-Match', 'If-Match', 'Authorization', 'Idempotency-Key', 'Cart-Token', 'Last-Event-ID'];
const READ = ['ETag', 'X-Server-Time', 'Idempotent-Replayed', 'Retry-After'];
const ABSENT = [404, 405, 501];
const TIMEOUT_MS = 10_000;

class Unmet extends Error {}

/** Throws, with what the backend did, unless `ok`. */
function expect(ok, did) {
  if (!ok) throw new Unmet(did);
}

async function call(base, path, { method = 'GET', headers = {}, body } = {}) {
  const response = await fetch(`${base}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual',
  });
  const text = await response.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: response.status, headers: response.headers, text, json };
}

/** An answer that is an `ErrorBody` with a listed code (and, when given, this one). */
function errorBody(answer, code) {
  const got = answer.json?.error;
  expect(got && typeof got.code === 'string' && typeof got.message === 'string',
    `${answer.status} without an ErrorBody: ${answer.text.slice(0, 120)}`);
  expect(CODES.includes(got.code), `code "${got.code}" is not one the spec lists`);
  if (code) expect(got.code === code, `code "${got.code}", not "${code}"`);
}

/**
 * Reads Server-Sent Events from `path` until `enough(messages)` holds or time runs out; each
 * message is `{ event, id, data }`.
 */
async function readEvents(base, path, enough, { headers = {}, ms = TIMEOUT_MS, onOpen } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const messages = [];
  let response;
  try {
    response = await fetch(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    if (!response.ok) return { status: response.status, type: response.headers.get('content-type'), messages };
    await onOpen?.();
    const decoder = new TextDecoder();
    let buffer = '';
    let message = { event: 'message', id: '', data: [] };
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line === '') {
          if (message.data.length) messages.push({ ...message, data: message.data.join('\n') });
          message = { event: 'message', id: '', data: [] };
          if (enough(messages)) return { status: response.status, type: response.headers.get('content-type'), messages };
        } else if (!line.startsWith(':')) {
          const at = line.indexOf(':');
          const field = at < 0 ? line : line.slice(0, at);
          const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
          if (field === 'event') message.event = value;
          else if (field === 'id') message.id = value;
          else if (field === 'data') message.data.push(value);
        }
      }
    }
  } catch (error) {
    if (error.name !== 'AbortError') throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { status: response?.status, type: response?.headers.get('content-type'), messages };
}

/** A product of the show to add, with the offer a viewer sees now: a running deal's, else its own. */
function offerNow(state) {
  const now = state.serverTime;
  for (const product of state.products ?? []) {
    const own = product.offers?.[0];
    if (!own) continue;
    const deal = (state.flashDeals ?? []).find((d) => d.productId === product.id
      && (d.status === 'running' || (d.status !== 'ended' && d.startsAt <= now)) && now < d.endsAt);
    if (deal) continue; // a deal's units are the deal's business, not this kit's
    if (own.availability === 'OutOfStock' || own.availability === 'SoldOut') continue;
    return { product, offer: own };
  }
  return null;
}

const uuid = () => crypto.randomUUID();

/**
 * Posts an add to the cart as the widget does: JSON, with its `Idempotency-Key` (none when `key`
 * is null) and the cart's token when it has one.
 */
function postAdd(ctx, body, { key = uuid(), token } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (key) headers['idempotency-key'] = key;
  if (token) headers['cart-token'] = token;
  return call(ctx.base, '/v1/cart/items', { method: 'POST', headers, body });
}

/** The requirements, in the spec's words. */
function requirements({ stream, token }) {
  const statePath = `/v1/streams/${encodeURIComponent(stream)}/state`;
  const eventsPath = `/v1/streams/${encodeURIComponent(stream)}/events`;
  const changesPath = `/v1/streams/${encodeURIComponent(stream)}/changes`;
  const producer = token && { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return [
    {
      id: 'state',
      spec: 'GET /v1/streams/{streamId}/state: "Everything a viewer needs to draw the overlay now", with streamId, epoch, seq and serverTime',
      async run(ctx) {
        const answer = await call(ctx.base, statePath);
        expect(answer.status === 200, `answered ${answer.status}`);
        const s = answer.json;
        expect(s && s.streamId === stream && typeof s.epoch === 'string' && Number.isInteger(s.seq) && Number.isFinite(s.serverTime),
          `the state lacks streamId, epoch, seq or serverTime: ${answer.text.slice(0, 160)}`);
        ctx.state = s;
        ctx.etag = answer.headers.get('etag');
      },
    },
    {
      id: 'server-time',
      spec: '"Every response carries `X-Server-Time`", milliseconds on the server\'s clock',
      async run(ctx) {
        for (const path of [statePath, '/v1/catalog?limit=1', '/v1/no-such-route']) {
          const answer = await call(ctx.base, path);
          const time = Number(answer.headers.get('x-server-time'));
          expect(Number.isFinite(time) && Math.abs(time - Date.now()) < 24 * 3600_000,
            `${path} (${answer.status}) carries X-Server-Time "${answer.headers.get('x-server-time')}"`);
        }
      },
    },
    {
      id: 'state-etag',
      spec: 'the state has an `ETag` "{epoch}-{seq}", and `If-None-Match` with it is "answered with 304 if unchanged"',
      async run(ctx) {
        expect(ctx.etag, 'no ETag');
        const answer = await call(ctx.base, statePath, { headers: { 'if-none-match': ctx.etag } });
        expect(answer.status === 304 || answer.status === 200, `answered ${answer.status}`);
        if (answer.status === 200) {
          expect(answer.json.seq !== ctx.state.seq || answer.json.epoch !== ctx.state.epoch,
            'answered 200 with the same epoch and seq: an unchanged state is 304');
        }
      },
    },
    {
      id: 'unknown-stream',
      spec: 'a stream that does not exist answers 404 with `ErrorBody` (`not_found`): the widget says the show is not available',
      async run(ctx) {
        const answer = await call(ctx.base, `/v1/streams/no-such-stream-${uuid()}/state`);
        expect(answer.status === 404, `answered ${answer.status}`);
        errorBody(answer, 'not_found');
      },
    },
    {
      id: 'events-snapshot',
      spec: '"When it cannot resume (… or a new client), the first message is `event: snapshot` with a `StreamState`"',
      async run(ctx) {
        const read = await readEvents(ctx.base, eventsPath, (m) => m.length >= 1);
        expect(read.status === 200, `answered ${read.status}`);
        expect(read.type?.startsWith('text/event-stream'), `Content-Type ${read.type}`);
        const [first] = read.messages;
        expect(first, 'no message within 10 s');
        expect(first.event === 'snapshot', `the first message is "${first.event}"`);
        const state = JSON.parse(first.data);
        expect(first.id === `${state.epoch}.${state.seq}`, `its id "${first.id}" is not "{epoch}.{seq}"`);
      },
    },
    {
      id: 'events-resume',
      spec: '"A client that reconnects sends the last id as `Last-Event-ID` … and receives the events it missed"; "`seq` rises by exactly one per event"',
      needs: 'a creator token (--token), to post the events it resumes over',
      async run(ctx) {
        const { epoch, seq } = (await call(ctx.base, statePath)).json;
        const titles = ['conformance one', 'conformance two'].map((t) => `${t} ${uuid().slice(0, 8)}`);
        for (const title of titles) {
          const posted = await call(ctx.base, changesPath, { method: 'POST', headers: producer, body: { type: 'bannerChanged', banner: { title } } });
          expect(posted.status === 202, `posting a change answered ${posted.status}`);
        }
        // A show may be running: its own events may come between these two.
        const both = (messages) => titles.every((t) => messages.some((m) => m.data.includes(t)));
        for (const how of ['Last-Event-ID', 'lastEventId']) {
          const resume = `${epoch}.${seq}`;
          const read = how === 'lastEventId'
            ? await readEvents(ctx.base, `${eventsPath}?lastEventId=${encodeURIComponent(resume)}`, both)
            : await readEvents(ctx.base, eventsPath, both, { headers: { 'last-event-id': resume } });
          const ids = read.messages.map((m) => (m.event === 'snapshot' ? `snapshot ${m.id}` : m.id));
          expect(both(read.messages) && read.messages.every((m) => m.event === 'message'),
            `resumed with ${how} from ${resume}, got ${ids.join(', ') || 'nothing'}`);
          const events = read.messages.map((m) => JSON.parse(m.data));
          expect(events.every((e, i) => e.epoch === epoch && e.seq === seq + 1 + i && read.messages[i].id === `${epoch}.${e.seq}`
            && Number.isFinite(e.serverTime)), `resumed with ${how} from ${resume}: ids ${ids.join(', ')}`);
          const mine = events.filter((e) => e.type === 'bannerChanged' && titles.includes(e.banner?.title)).map((e) => e.banner.title);
          expect(mine.join() === titles.join(), `the changes arrived as ${mine.join(', ')}`);
        }
      },
    },
    {
      id: 'live-event',
      spec: 'a producer\'s change "is recorded and broadcast to every viewer as the next `StreamEvent`"',
      needs: 'a creator token (--token)',
      async run(ctx) {
        const { epoch, seq } = (await call(ctx.base, statePath)).json;
        const title = `conformance live ${uuid().slice(0, 8)}`;
        const read = await readEvents(ctx.base, eventsPath, (m) => m.some((x) => x.data.includes(title)), {
          headers: { 'last-event-id': `${epoch}.${seq}` },
          onOpen: () => call(ctx.base, changesPath, { method: 'POST', headers: producer, body: { type: 'bannerChanged', banner: { title } } }),
        });
        const events = read.messages.filter((m) => m.event === 'message').map((m) => JSON.parse(m.data));
        const mine = events.find((e) => e.banner?.title === title);
        expect(mine, `the change did not arrive on an open stream: ${read.messages.map((m) => m.id).join(', ') || 'nothing'}`);
        expect(events.every((e, i) => e.seq === seq + 1 + i), `seqs ${events.map((e) => e.seq).join(', ')} after ${seq}`);
        const state = (await call(ctx.base, statePath)).json;
        expect(state.seq >= mine.seq, `the state after it is at seq ${state.seq}, before the change's ${mine.seq}`);
      },
    },
    {
      id: 'changes-need-a-token',
      spec: 'POST …/changes "Needs a creator\'s bearer token": 401 `unauthorized` without one',
      async run(ctx) {
        const answer = await call(ctx.base, changesPath, { method: 'POST', headers: { 'content-type': 'application/json' },
          body: { type: 'bannerChanged', banner: { title: 'not a producer' } } });
        expect(answer.status === 401 || answer.status === 403, `answered ${answer.status}`);
        errorBody(answer);
      },
    },
    {
      id: 'catalog',
      spec: 'GET /v1/catalog gives a `CatalogPage` (products, serverTime) of at most `limit` products, and `nextCursor` for the next page',
      async run(ctx) {
        const first = await call(ctx.base, '/v1/catalog?limit=2');
        expect(first.status === 200 && Array.isArray(first.json?.products), `answered ${first.status}: ${first.text.slice(0, 120)}`);
        expect(first.json.products.length <= 2, `limit=2 gave ${first.json.products.length}`);
        expect(first.json.products.every((p) => typeof p.id === 'string' && typeof p.title === 'string'), 'a product without id or title');
        ctx.catalog = first.json.products;
        if (first.json.nextCursor) {
          const next = await call(ctx.base, `/v1/catalog?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`);
          expect(next.status === 200, `the next page answered ${next.status}`);
          const seen = new Set(first.json.products.map((p) => p.id));
          expect(next.json.products.every((p) => !seen.has(p.id)), 'the next page repeats products');
        }
      },
    },
    {
      id: 'catalog-product',
      spec: 'GET /v1/catalog/{productId}: "One product"; 404 "means the product is not in the catalog" (the replay\'s hotspots look products up here)',
      async run(ctx) {
        const product = ctx.catalog?.[0];
        expect(product, 'the catalog listed nothing to look up');
        const found = await call(ctx.base, `/v1/catalog/${encodeURIComponent(product.id)}`);
        expect(found.status === 200 && found.json?.id === product.id, `${product.id} answered ${found.status}`);
        const missing = await call(ctx.base, `/v1/catalog/no-such-product-${uuid()}`);
        expect(missing.status === 404, `an unknown product answered ${missing.status}`);
        errorBody(missing, 'not_found');
      },
    },
    {
      id: 'upcoming',
      spec: 'GET /v1/events is optional: the events, soonest first, or "404, 405 or 501" from "a backend without upcoming shows"',
      async run(ctx) {
        const answer = await call(ctx.base, '/v1/events');
        if (ABSENT.includes(answer.status)) return `optional, answered ${answer.status}`;
        expect(answer.status === 200 && Array.isArray(answer.json?.events), `answered ${answer.status}: ${answer.text.slice(0, 120)}`);
        const starts = answer.json.events.map((e) => e.startsAt);
        expect(starts.every((t, i) => i === 0 || starts[i - 1] <= t), 'not soonest first');
        return null;
      },
    },
    {
      id: 'no-manifest',
      spec: 'GET /v1/videos/{videoId}/overlay: a video with nothing saved answers 204 (1.1; a 1.0 backend\'s 404 reads the same)',
      async run(ctx) {
        const answer = await call(ctx.base, `/v1/videos/conformance-${uuid()}/overlay`);
        expect(answer.status === 204 || answer.status === 404, `answered ${answer.status}`);
      },
    },
    {
      id: 'cart-add',
      spec: 'POST /v1/cart/items "at the price that applies now": 201 with cartToken, lineId and itemCount; prices "compare as decimals" ("24.90" and 24.9 are the same price); a backend without a cart answers 404, 405 or 501',
      async run(ctx) {
        // A running show may move the price between the read and the add: a shopper's widget
        // sees the new price and adds at it, and so does this, once.
        let answer;
        let price;
        let product;
        let offer;
        for (let attempt = 0; attempt < 2; attempt++) {
          const chosen = offerNow((await call(ctx.base, statePath)).json);
          expect(chosen, 'the show has no product with an offer and no running deal to add');
          ({ product, offer } = chosen);
          // The price as a decimal string with both decimals: a backend comparing strings refuses it.
          price = Number(offer.price).toFixed(2);
          ctx.add = { productId: product.id, quantity: 1, offer: { price, priceCurrency: offer.priceCurrency } };
          ctx.key = uuid();
          answer = await postAdd(ctx, ctx.add, { key: ctx.key });
          if (answer.json?.error?.code !== 'price_changed') break;
        }
        if (ABSENT.includes(answer.status)) {
          ctx.noCart = true;
          return `optional, answered ${answer.status}`;
        }
        expect(answer.status === 201, `adding ${product.id} at "${price}" ${offer.priceCurrency} answered ${answer.status}: ${answer.text.slice(0, 160)}`);
        const body = answer.json;
        expect(typeof body?.cartToken === 'string' && typeof body.lineId === 'string' && Number.isInteger(body.itemCount),
          `the answer lacks cartToken, lineId or itemCount: ${answer.text.slice(0, 160)}`);
        ctx.first = body;
        return null;
      },
    },
    {
      id: 'cart-idempotent',
      spec: '"The same `Idempotency-Key` with the same body answers the first result again with `Idempotent-Replayed: true`; with another body it is refused (422 `idempotency_key_reused`)"',
      async run(ctx) {
        if (ctx.noCart) return 'optional: no cart';
        expect(ctx.first, 'the first add failed');
        const again = await postAdd(ctx, ctx.add, { key: ctx.key, token: ctx.first.cartToken });
        expect(again.status === 201, `the same add again answered ${again.status}`);
        expect(again.headers.get('idempotent-replayed') === 'true', 'no Idempotent-Replayed: true');
        expect(again.json?.lineId === ctx.first.lineId && again.json.itemCount === ctx.first.itemCount,
          `not the first result: ${again.text.slice(0, 160)}`);
        const other = await postAdd(ctx, { ...ctx.add, quantity: 2 }, { key: ctx.key, token: ctx.first.cartToken });
        expect(other.status === 422, `the key with another body answered ${other.status}`);
        errorBody(other, 'idempotency_key_reused');
        return null;
      },
    },
    {
      id: 'cart-price-changed',
      spec: '"the `offer` the shopper saw must be the price now, in the same currency … Otherwise 409 `price_changed`", whose body "also carries `offer`, the offer that applies now"',
      async run(ctx) {
        if (ctx.noCart) return 'optional: no cart';
        expect(ctx.add, 'no add to vary');
        const stale = (Number(ctx.add.offer.price) + 1).toFixed(2);
        const answer = await postAdd(ctx, { ...ctx.add, offer: { ...ctx.add.offer, price: stale } });
        expect(answer.status === 409, `an add at "${stale}" answered ${answer.status}`);
        errorBody(answer, 'price_changed');
        const now = answer.json.offer;
        expect(now && Math.round(Number(now.price) * 100) === Math.round(Number(ctx.add.offer.price) * 100)
          && now.priceCurrency === ctx.add.offer.priceCurrency,
        `the refusal carries no offer at the price now (${ctx.add.offer.price} ${ctx.add.offer.priceCurrency}): ${JSON.stringify(now)}`);
        return null;
      },
    },
    {
      id: 'cart-key-required',
      spec: 'an add without its required `Idempotency-Key` header is refused (400 `missing_header`)',
      async run(ctx) {
        if (ctx.noCart) return 'optional: no cart';
        const answer = await postAdd(ctx, ctx.add, { key: null });
        expect(answer.status === 400, `answered ${answer.status}`);
        errorBody(answer);
        return null;
      },
    },
    {
      id: 'cors',
      spec: 'across origins: preflights allow "every request header the widget sends" and the methods GET, POST, PUT; responses expose ETag, X-Server-Time, Idempotent-Replayed and Retry-After; the widget\'s own files carry Access-Control-Allow-Origin',
      async run(ctx) {
        const origin = 'https://shop.conformance.invalid';
        for (const [path, method] of [['/v1/cart/items', 'POST'], [statePath, 'GET'], ['/v1/videos/clip/overlay', 'PUT']]) {
          const answer = await call(ctx.base, path, { method: 'OPTIONS', headers: { origin,
            'access-control-request-method': method, 'access-control-request-headers': SENT.join(',').toLowerCase() } });
          const allowOrigin = answer.headers.get('access-control-allow-origin');
          expect(answer.status < 300 && (allowOrigin === '*' || allowOrigin === origin), `the preflight of ${method} ${path} answered ${answer.status}, allowing origin ${allowOrigin}`);
          const methods = (answer.headers.get('access-control-allow-methods') ?? '').toUpperCase();
          expect(methods === '*' || methods.includes(method), `${method} not among the allowed methods "${methods}"`);
          const allowed = (answer.headers.get('access-control-allow-headers') ?? '').toLowerCase();
          const refused = SENT.filter((h) => allowed !== '*' && !allowed.includes(h.toLowerCase()));
          expect(refused.length === 0, `request headers not allowed for ${method} ${path}: ${refused.join(', ')}`);
        }
        const answer = await call(ctx.base, statePath, { headers: { origin } });
        const exposed = (answer.headers.get('access-control-expose-headers') ?? '').toLowerCase();
        const hidden = READ.filter((h) => exposed !== '*' && !exposed.includes(h.toLowerCase()));
        expect(hidden.length === 0, `response headers not exposed: ${hidden.join(', ')}`);
        const embed = await fetch(`${ctx.base}/embed.js`, { headers: { origin }, signal: AbortSignal.timeout(TIMEOUT_MS) });
        await embed.arrayBuffer();
        if (embed.status === 404) return 'the widget\'s files are served elsewhere: only the API was checked';
        const fileOrigin = embed.headers.get('access-control-allow-origin');
        expect(fileOrigin === '*' || fileOrigin === origin, `/embed.js answered without Access-Control-Allow-Origin (${embed.status})`);
        return null;
      },
    },
    {
      id: 'errors',
      spec: '"Errors are JSON `ErrorBody` with a stable `code`", one of those `ErrorBody.code` lists',
      async run(ctx) {
        for (const [path, options] of [['/v1/no-such-route', {}], [`/v1/catalog?limit=${'x'}`, {}],
          ['/v1/cart/items', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': uuid() }, body: { quantity: 'many' } }]]) {
          const answer = await call(ctx.base, path, options);
          expect(answer.status >= 400, `${path} answered ${answer.status}`);
          if (path === '/v1/cart/items' && ABSENT.includes(answer.status) && ctx.noCart) continue;
          errorBody(answer);
        }
      },
    },
  ];
}

/**
 * Runs every requirement against the backend at `url`. Returns one result per requirement:
 * `{ id, spec, outcome: 'pass' | 'fail' | 'skip', note }`.
 */
export async function run(url, { stream = 'demo', token } = {}) {
  const ctx = { base: url.replace(/\/$/, '') };
  const results = [];
  for (const requirement of requirements({ stream, token })) {
    const { id, spec } = requirement;
    if (requirement.needs && !token) {
      results.push({ id, spec, outcome: 'skip', note: `needs ${requirement.needs}` });
      continue;
    }
    try {
      const note = await requirement.run(ctx);
      results.push({ id, spec, outcome: 'pass', note: note ?? '' });
    } catch (error) {
      results.push({ id, spec, outcome: 'fail', note: error instanceof Unmet ? error.message : `${error.name}: ${error.message}` });
    }
  }
  return results;
}

/** The command: prints each requirement and exits 1 when one is not met. */
async function main(argv) {
  const args = [...argv];
  const option = (name) => {
    const at = args.indexOf(name);
    return at < 0 ? undefined : args.splice(at, 2)[1];
  };
  const token = option('--token');
  const stream = option('--stream') ?? 'demo';
  const [url] = args;
  if (!url) {
    console.error('usage: conformance URL [--token CREATOR_TOKEN] [--stream ID]');
    process.exit(2);
  }
  const results = await run(url, { stream, token });
  for (const r of results) {
    const mark = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' }[r.outcome];
    console.log(`${mark} ${r.id.padEnd(20)} ${r.spec}`);
    if (r.note) console.log(`     ${''.padEnd(20)} ${r.outcome === 'fail' ? 'but: ' : ''}${r.note}`);
  }
  const count = (o) => results.filter((r) => r.outcome === o).length;
  console.log(`${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`);
  process.exit(count('fail') ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
