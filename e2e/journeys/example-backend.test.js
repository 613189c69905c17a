// The widget against examples/node-backend, a backend written from openapi.yaml alone (Node, no
// packages), on a shop's page of another origin: the conformance kit passes on it, and the
// overlay, its cart and a replay's hotspots work as on the reference backend. Upcoming shows and
// visual search it lacks (404), and the widget hides them without an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ON_CLUSTER, SOON, useBrowser } from '../lib/harness.js';
import { freePort } from '../lib/server.js';
import { run } from '../../conformance/check.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = process.env.LIVE_SHOP_CACHE || join(homedir(), '.cache', 'live-shop');
const TOKEN = 'example-journey-token';
// It is one process of its own: the run against one backend has it once.
const once = { skip: ON_CLUSTER && 'run with the journeys against one backend' };

const browser = useBrowser();
let backend;
let child;
let site;

before(async () => {
  if (ON_CLUSTER) return;
  const port = await freePort();
  child = spawn(process.execPath, [join(ROOT, 'examples', 'node-backend', 'server.mjs'), '--port', String(port),
    '--token', TOKEN, '--dist', join(ROOT, 'dist'), '--media', join(CACHE, 'media')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the example backend did not start in 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`the example backend exited with ${code}`)));
    child.stdout.on('data', (chunk) => { if (String(chunk).includes('listening')) { clearTimeout(timer); resolve(); } });
  });
  backend = `http://127.0.0.1:${port}`;
  site = createServer((req, res) => {
    const html = shopPages.get(req.url);
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  shop = `http://127.0.0.1:${site.address().port}`;
});
after(() => {
  child?.kill();
  site?.close();
});

async function change(body) {
  const answer = await fetch(`${backend}/v1/streams/demo/changes`, { method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
  assert.equal(answer.status, 202, await answer.text());
}

/** The shop's own site: pages served on another loopback port than the backend's. */
const shopPages = new Map();
let shop;

/**
 * A shop's page on another origin embedding the widget from the backend, so the widget's files
 * and calls cross origins. (Served by a real server: Chromium lets only a page in the loopback
 * address space reach a loopback backend, and a page fulfilled by the test would not count.)
 */
async function shopPage(body, { lang = 'en' } = {}) {
  const page = await browser().newPage({ viewport: { width: 1100, height: 760 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const path = `/shop-${shopPages.size}`;
  shopPages.set(path, `<!doctype html><html lang="${lang}"><body>${body}<script type="module" src="${backend}/embed.js"></script></body></html>`);
  await page.goto(`${shop}${path}`);
  return { page, errors };
}

test('the conformance kit passes on the example backend', once, async () => {
  const results = await run(backend, { token: TOKEN });
  assert.deepEqual(results.filter((r) => r.outcome !== 'pass').map((r) => `${r.id}: ${r.note}`), []);
});

test('on a shop page of another origin, the example backend drives the overlay: a pinned deal, its countdown and stock, adds to its cart, the products without upcoming shows', once, async () => {
  const { page, errors } = await shopPage(`<live-shop backend="${backend}" stream="demo" style="display:block;width:960px">
    <video src="${backend}/media/video/bigbuckbunny.mp4" muted width="960" height="540"></video></live-shop>`);
  await change({ type: 'offerPinned', product: { id: 'scarf', title: 'x' } });
  const card = page.locator('live-shop .pinned .card');
  await card.locator('.title').filter({ hasText: 'Merino Scarf' }).waitFor({ timeout: SOON });
  await change({ type: 'priceChanged', productId: 'scarf', price: 22.5, originalPrice: 24.9 });
  await card.locator('.price').filter({ hasText: '22.50' }).waitFor({ timeout: SOON });
  const now = Date.now();
  await change({ type: 'flashDealScheduled', deal: { id: 'example-deal', productId: 'scarf', startsAt: now - 1000, endsAt: now + 120_000,
    offer: { price: 15, priceCurrency: 'EUR', originalPrice: 24.9, availability: 'InStock', inventoryLevel: 3 }, stockLimit: 3, limitPerShopper: 1 } });
  await card.locator('.countdown .time').filter({ hasText: /Ends in/ }).waitFor({ timeout: SOON });
  await card.locator('.stock .left').filter({ hasText: '3 left' }).waitFor({ timeout: SOON });
  assert.match(await card.locator('.price').textContent(), /15\.00/);
  // No handler on the page: the backend's cart takes the add, at the deal's price.
  const adds = [];
  page.on('request', (r) => { if (r.url().endsWith('/v1/cart/items') && r.method() === 'POST') adds.push(r); });
  const buy = card.locator('button.buy');
  await buy.click();
  await buy.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
  await card.locator('.stock .left').filter({ hasText: '2 left' }).waitFor({ timeout: SOON });
  assert.equal(JSON.parse(adds[0].postData()).offer.price, '15');
  // Again: this shopper's limit is one.
  await buy.filter({ hasText: 'Add to cart' }).waitFor({ timeout: SOON });
  await buy.click();
  await card.locator('.cart-note').filter({ hasText: 'Deal limit reached.' }).waitFor({ timeout: SOON });
  // The products open; this backend has no upcoming shows, and that is no error.
  await page.locator('live-shop .shelf-toggle').click();
  const panel = page.locator('live-shop .shelf-panel');
  await panel.locator('.shelf-list li').first().waitFor({ timeout: SOON });
  assert.equal(await panel.locator('.shelf-list li').count(), 3);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await panel.locator('.upcoming-error').count(), 0);
  assert.equal(await page.locator('live-shop .reconnecting').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a replay\'s hotspots saved on the example backend show on a shop page and open their product at the running deal\'s price', once, async () => {
  const put = await fetch(`${backend}/v1/videos/bunny/overlay`, { method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'if-none-match': '*' },
    body: JSON.stringify({ version: 1, videoId: 'bunny', hotspots: [
      { id: 'h1', productId: 'boots', start: 0, end: 5, keyframes: [{ t: 0, x: 0.4, y: 0.5 }], cta: 'Walk the trail' }] }) });
  assert.equal(put.status, 201, await put.text());
  // A deal runs on the hotspot's product: its card shows the deal's price, which the cart takes.
  const now = Date.now();
  await change({ type: 'flashDealScheduled', deal: { id: 'boots-deal', productId: 'boots', startsAt: now - 1000, endsAt: now + 120_000,
    offer: { price: 59, priceCurrency: 'EUR', originalPrice: 89.5, availability: 'InStock', inventoryLevel: 5 }, stockLimit: 5 } });
  const { page, errors } = await shopPage(`<live-shop backend="${backend}" stream="demo" video-id="bunny" style="display:block;width:960px">
    <video id="video" src="${backend}/media/video/bigbuckbunny.mp4" muted width="960" height="540"></video></live-shop>`);
  await page.waitForFunction(() => document.getElementById('video').readyState >= 1, null, { timeout: SOON });
  await page.evaluate(() => { const v = document.getElementById('video'); v.pause(); v.currentTime = 1; });
  const spot = page.locator('live-shop button.hotspot').filter({ hasText: 'Trail Boots' });
  await spot.waitFor({ timeout: SOON });
  await spot.click();
  const card = page.locator('live-shop .hotspot-card');
  await card.locator('button.buy').waitFor({ timeout: SOON });
  assert.equal(await card.locator('.cta').textContent(), 'Walk the trail');
  assert.match(await card.locator('.price').textContent(), /59\.00/);
  await card.locator('button.buy').click();
  await card.locator('button.buy').filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
  assert.deepEqual(errors, []);
  await page.close();
});
