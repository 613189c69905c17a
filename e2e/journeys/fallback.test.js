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
