// The live link when Server-Sent Events cannot get through: polling with ETags, and catching up
// when the tab becomes visible again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SOON, eventually, useBackend, useBrowser } from '../lib/harness.js';

const browser = useBrowser();
const backend = useBackend();

test('with the event stream blocked, updates arrive by polling with ETags', async () => {
  const page = await browser().newPage();
  // A proxy that refuses event streams.
  await page.route('**/v1/streams/demo/events*', (route) => route.fulfill({ status: 502, body: 'no streams here' }));
  const polls = [];
  page.on('request', (r) => { if (r.url().endsWith('/v1/streams/demo/state')) polls.push(r); });
  const answers = [];
  page.on('response', (r) => { if (r.url().endsWith('/v1/streams/demo/state')) answers.push(r.status()); });
  await page.goto(`${backend().url}/`);
  await page.locator('live-shop .pinned .card').waitFor();
  await backend().change({ type: 'priceChanged', productId: 'p05', price: 3.21 });
  await page.locator('live-shop .pinned .price').filter({ hasText: '3.21' }).waitFor({ timeout: SOON });
  // Polls that find nothing new cost a 304 and no body.
  await eventually(() => assert.ok(answers.includes(304), `answers: ${answers}`));
  const conditional = await Promise.all(polls.map((r) => r.headerValue('if-none-match')));
  assert.ok(conditional.some((etag) => etag && /^"[0-9a-f]+-\d+"$/.test(etag)), `${conditional}`);
  // Polling works, so the shopper is not told the link is down.
  assert.equal(await page.locator('live-shop .reconnecting').count(), 0);
});

test('a tab that becomes visible again catches up at once', async () => {
  const page = await browser().newPage();
  await page.goto(`${backend().url}/`);
  await page.locator('live-shop .pinned .card').waitFor();
  const fetched = [];
  page.on('request', (r) => { if (r.url().endsWith('/v1/streams/demo/state')) fetched.push(Date.now()); });
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForTimeout(300);
  assert.equal(fetched.length, 0, 'hidden: no catch-up');
  // Its event stream is up, so the only read of the state is the catch-up, and just one.
  const caughtUp = page.waitForRequest((r) => r.url().endsWith('/v1/streams/demo/state'), { timeout: SOON });
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await caughtUp;
  await page.waitForTimeout(500);
  assert.equal(fetched.length, 1);
});

test('a backend without visual search says so as the panel opens, before any photo', async () => {
  const page = await browser().newPage();
  await page.goto(`${backend().url}/`);
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .search-status.error')
    .filter({ hasText: "Photo search isn't available right now." }).waitFor({ timeout: SOON });
  // The photo inputs stay: a backend that comes back is tried when the shopper takes a photo.
  assert.equal(await page.locator('live-shop .search-panel input[type=file]').count(), 1);
  await page.close();
});

test('events that arrive while the widget fetches the state after a gap are applied, not lost', async () => {
  const page = await browser().newPage();
  const shelf = await backend().state();
  const at = (seq, title) => ({ ...shelf, streamId: 'resync', epoch: 'e1', seq, serverTime: Date.now(), pinned: 'p05',
    banner: { title } });
  const event = (seq) => `id: e1.${seq}\ndata: ${JSON.stringify({ epoch: 'e1', seq, serverTime: Date.now(),
    type: 'bannerChanged', banner: { title: `Round ${seq}` } })}\n\n`;
  // The stream opens at 1, then 3 arrives (2 was lost), then 4 and 5 at once. The state the gap
  // asks for is slow, and is at 2: what came after it must be applied from what arrived.
  let streams = 0;
  await page.route('**/v1/streams/resync/events*', (route) => {
    streams += 1;
    if (streams > 1) return undefined; // a reconnection waits: only the state can tell the page
    return route.fulfill({ status: 200, contentType: 'text/event-stream',
      body: `event: snapshot\nid: e1.1\ndata: ${JSON.stringify(at(1, 'Round 1'))}\n\n${[3, 4, 5].map(event).join('')}` });
  });
  await page.route('**/v1/streams/resync/state', async (route) => {
    await new Promise((r) => setTimeout(r, 800));
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(at(2, 'Round 2')) });
  });
  await page.goto(`${backend().url}/static-does-not-matter`);
  await page.setContent(`<!doctype html><html lang="en"><body>
    <live-shop backend="${backend().url}" stream="resync" style="display:block;width:640px;height:360px"></live-shop>
    <script type="module" src="${backend().url}/embed.js"></script></body></html>`);
  const banner = page.locator('live-shop .banner strong');
  await banner.filter({ hasText: 'Round 5' }).waitFor({ timeout: SOON });
  // And it stays: no later state or event takes it back.
  await page.waitForTimeout(2000);
  assert.equal(await banner.textContent(), 'Round 5');
  await page.close();
});

test('a stream the backend does not have says so, in the page\'s language, instead of reconnecting', async () => {
  const page = await browser().newPage();
  await page.goto(`${backend().url}/static-does-not-matter`);
  await page.setContent(`<!doctype html><html lang="ar"><body>
    <live-shop backend="${backend().url}" stream="no-such-show" style="display:block;width:640px;height:360px"></live-shop>
    <script type="module" src="${backend().url}/embed.js"></script></body></html>`);
  const status = page.locator('live-shop .unavailable');
  await status.waitFor({ timeout: SOON });
  assert.equal(await status.textContent(), 'هذا البث المباشر غير متاح.');
  assert.equal(await status.getAttribute('role'), 'status');
  // Polls and reconnections go on meanwhile: it still does not claim to be reconnecting.
  await page.waitForTimeout(3000);
  assert.equal(await page.locator('live-shop .reconnecting').count(), 0);
  assert.equal(await status.count(), 1);
  await page.close();
});
