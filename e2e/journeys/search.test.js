// Visual search from the shopper's side, in real Chromium against the reference backend with the
// real model: sources (file, camera, the video's frame), the crop box by keyboard, progress,
// what goes over the wire, results with add-to-cart, retries, cancellation and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, openPlayerPage, useBackend, useBrowser, withBackend } from '../lib/harness.js';
import { Backend } from '../lib/server.js';

const CACHE = process.env.LIVE_SHOP_CACHE || join(homedir(), '.cache', 'live-shop');
const JACKET = join(CACHE, 'media', 'stamps', 'clothes', 't_jacket.png');
const PHOTO = join(CACHE, 'pillow', 'pillow-13.0.0', 'Tests', 'images', 'xmp_test.jpg');
// A bull mastiff (foolbox's ImageNet sample photos): nothing the shop sells looks like it.
const DOG = join(CACHE, 'foolbox', 'data', 'imagenet_00_243.jpg');
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

// Chromium's fake camera stands in for a phone's: a real getUserMedia stream.
const browser = useBrowser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
const backend = useBackend({ search: true });

async function open(query = '', init) {
  const page = await browser().newPage({ viewport: { width: 1100, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(recordForms);
  if (init) await page.addInitScript(init);
  const requests = [];
  page.on('request', (r) => requests.push(r));
  await page.goto(`${backend().url}/${query}`);
  await page.locator('live-shop button.search-open').waitFor();
  return { page, errors, requests };
}

// Records every multipart form the page sends with XMLHttpRequest, part by part, and counts
// the ones the page aborts while in flight.
function recordForms() {
  const send = XMLHttpRequest.prototype.send;
  const abort = XMLHttpRequest.prototype.abort;
  window.sentForms = [];
  window.abortedForms = 0;
  XMLHttpRequest.prototype.abort = function () {
    if (this.sentForm && this.readyState !== XMLHttpRequest.DONE) window.abortedForms += 1;
    return abort.call(this);
  };
  XMLHttpRequest.prototype.send = function (body) {
    if (body instanceof FormData) {
      this.sentForm = true;
      const record = {};
      const done = Promise.all([...body.entries()].map(async ([name, value]) => {
        record[name] = value instanceof Blob ? Array.from(new Uint8Array(await value.arrayBuffer())) : value;
      }));
      window.sentForms.push({ record, done });
    }
    return send.call(this, body);
  };
}

/** The forms sent so far: `{image?: Buffer, query: object}` each. */
async function sentForms(page) {
  const forms = await page.evaluate(async () => {
    await Promise.all(window.sentForms.map((f) => f.done));
    return window.sentForms.map((f) => f.record);
  });
  return forms.map((f) => ({
    image: f.image && Buffer.from(f.image),
    query: JSON.parse(Buffer.from(f.query).toString()),
  }));
}

const searches = (requests) => requests.filter((r) => r.url().endsWith('/v1/search/image') && r.method() === 'POST');
const askedProfile = (requests) => requests.filter((r) => r.url().endsWith('/v1/search/image') && r.method() === 'GET');

/** Width and height from a baseline or progressive JPEG's frame header. */
function jpegSize(bytes) {
  for (let i = 2; i + 9 < bytes.length;) {
    const marker = bytes[i + 1];
    if (marker === 0xc0 || marker === 0xc2) return [bytes.readUInt16BE(i + 7), bytes.readUInt16BE(i + 5)];
    i += 2 + bytes.readUInt16BE(i + 2);
  }
  return null;
}

/**
 * The crop step as the shopper sees it: the whole photo (none of it cut off), the crop box over
 * all of it, and the Search button right under the hint, inside the panel.
 */
async function assertCropLayout(page) {
  await page.locator('live-shop .crop-photo').evaluate((img) => img.decode());
  const seen = await page.locator('live-shop .search-panel').evaluate((panel) => {
    const rect = (selector) => panel.querySelector(selector).getBoundingClientRect().toJSON();
    const img = panel.querySelector('.crop-photo');
    return {
      panel: panel.getBoundingClientRect().toJSON(), stage: rect('.crop-stage'), photo: rect('.crop-photo'), box: rect('.crop-box'),
      hint: rect('.crop .hint'), button: rect('.search-now'), aspect: img.naturalWidth / img.naturalHeight,
    };
  });
  const { panel, stage, photo, box, hint, button } = seen;
  const detail = JSON.stringify(seen);
  assert.ok(photo.height > 100, `the photo is too small to crop: ${detail}`);
  assert.ok(Math.abs(photo.width / photo.height - seen.aspect) < 0.02, `the photo is distorted: ${detail}`);
  assert.ok(stage.height >= photo.height - 1 && stage.width >= photo.width - 1, `the photo is cut off: ${detail}`);
  // The panel opens with the photo's centre 60 % drawn: the shopper corrects it rather than draws.
  const suggested = { x: photo.x + 0.2 * photo.width, y: photo.y + 0.2 * photo.height, width: 0.6 * photo.width, height: 0.6 * photo.height };
  for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(box[k] - suggested[k]) < 2, `crop box ${k}: ${detail}`);
  assert.ok(button.top >= hint.bottom && button.top - hint.bottom < 24, `the Search button is not under the hint: ${detail}`);
  assert.ok(button.bottom <= panel.bottom, `the Search button is outside the panel: ${detail}`);
}

test('the overlay loads no search code; a photo finds its product, and it goes in the bag', async () => {
  const { page, errors, requests } = await open();
  const lazy = () => requests.map((r) => r.url()).filter((u) => /live-shop-parts|prep-worker/.test(u));
  await page.waitForTimeout(300);
  assert.deepEqual(lazy(), [], 'first load fetched search code');
  // Nor its styles: they come with the panel, beside the overlay's.
  const rules = (selector) => page.evaluate((selector) => document.querySelector('live-shop').shadowRoot.adoptedStyleSheets
    .flatMap((sheet) => [...sheet.cssRules]).filter((rule) => (rule.selectorText || '').includes(selector)).length, selector);
  assert.equal(await rules('.search-panel'), 0);
  assert.ok(await rules('.pinned') > 0);

  await page.locator('live-shop button.search-open').click();
  const panel = page.locator('live-shop .search-panel');
  await panel.waitFor();
  assert.ok(await rules('.search-panel') > 0);
  // One dialog, named by the panel's heading: the slot that holds the panel.
  const slot = page.locator('live-shop .part-mount.search-slot');
  assert.equal(await slot.getAttribute('role'), 'dialog');
  assert.equal(await slot.getAttribute('aria-labelledby'), 'live-shop-search-title');
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(JACKET);
  await page.locator('live-shop .crop-photo').waitFor();
  await assertCropLayout(page);
  await page.locator('live-shop .search-now').click();
  // Progress is shown while the query runs.
  await page.locator('live-shop .steps .step.current').first().waitFor();
  const first = page.locator('live-shop .results li').first();
  await first.waitFor({ timeout: 30_000 });
  assert.equal(await first.locator('.title').textContent(), 'Harbor Wool Jacket');
  assert.match(await first.locator('.match').textContent(), /^\d+% match$/);
  // The backend is sure of its first result: the panel says so, on that result alone.
  const shown = await page.locator('live-shop .results li').count();
  assert.equal(await page.locator('live-shop .search-status').textContent(), `This one matches your photo. ${shown} results:`);
  assert.equal(await first.locator('.this-one').textContent(), 'This one');
  assert.equal(await page.locator('live-shop .results li .this-one').count(), 1);
  assert.ok(lazy().some((u) => u.endsWith('live-shop-prep-worker_bg.wasm')));
  // The shoppers' parts and the worker; the studio's module is never fetched here.
  assert.ok(lazy().some((u) => u.endsWith('live-shop-parts_bg.wasm')));
  assert.ok(!requests.some((r) => r.url().includes('live-shop-studio')), 'the studio module was fetched');

  // On the wire: a small metadata-free JPEG and the query part.
  const [{ image, query: q }] = await sentForms(page);
  assert.deepEqual([...image.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  assert.ok(image.length <= 64 * 1024, `${image.length} bytes`);
  assert.ok(!image.includes('Exif'));
  // Prepared as the backend asked when the panel opened: its model reads 224 × 224 squares.
  assert.equal(askedProfile(requests).length, 1);
  assert.equal(q.profile, 'square-224');
  assert.deepEqual(jpegSize(image), [224, 224]);
  assert.equal(q.locale, 'en');
  assert.deepEqual(q.box, { x: 0, y: 0, width: 1, height: 1 });

  // Add to cart from a result goes through the same bridge as the overlay.
  await page.evaluate(() => {
    window.added = [];
    document.getElementById('shop').addEventListener('live-shop:add-to-cart',
      (e) => window.added.push(e.detail.product.id));
  });
  await first.locator('button.buy').click();
  await first.locator('button.buy.added').waitFor();
  assert.deepEqual(await page.evaluate(() => window.added), ['p01']);
  // Escape closes the panel and gives focus back to the camera button.
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.querySelector('live-shop').shadowRoot.activeElement?.className), 'search-open');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a photo of nothing the shop sells says there is no close match, above the nearest products', async () => {
  const { page, errors } = await open();
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(DOG);
  await page.locator('live-shop .crop-photo').waitFor();
  await page.locator('live-shop .search-now').click();
  await page.locator('live-shop .results li').first().waitFor({ timeout: 30_000 });
  const shown = await page.locator('live-shop .results li').count();
  assert.ok(shown > 0);
  assert.equal(await page.locator('live-shop .search-status').textContent(), `No close match. The ${shown} nearest products:`);
  assert.equal(await page.locator('live-shop .results li .this-one').count(), 0);
  // The same panel, a photo of a product it sells: this one.
  await page.locator('live-shop .search-panel button.back').click();
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(JACKET);
  await page.locator('live-shop .crop-photo').waitFor();
  await page.locator('live-shop .search-now').click();
  await page.locator('live-shop .search-status').filter({ hasText: /^This one matches your photo\. \d+ results:$/ }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('live-shop .results li .title').first().textContent(), 'Harbor Wool Jacket');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the crop box moves by keyboard; a box inside the upload re-queries without re-uploading', async () => {
  const { page, requests } = await open();
  // The page's own profile wins over the backend's, which is then not asked.
  await page.evaluate(() => document.querySelector('live-shop').setAttribute('search-profile', 'max-1024'));
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(PHOTO);
  const box = page.locator('live-shop .crop-box');
  await page.locator('live-shop .crop-photo').waitFor();
  await box.focus();
  // Shift+arrows shrink the box from its far corner; arrows move it.
  for (let i = 0; i < 10; i += 1) await page.keyboard.press('Shift+ArrowLeft');
  for (let i = 0; i < 5; i += 1) await page.keyboard.press('Shift+ArrowUp');
  await page.keyboard.press('ArrowRight');
  assert.match(await box.getAttribute('aria-label'), /^Search area: 40% × 50%$/);
  assert.equal(await box.evaluate((b) => [b.style.left, b.style.top, b.style.width, b.style.height].join(';')), '22%;20%;40%;50%');
  await page.keyboard.press('Enter');
  await page.locator('live-shop .results li').first().waitFor({ timeout: 30_000 });
  const [first] = await sentForms(page);
  assert.ok(first.image, 'the first query uploads');
  assert.equal(first.query.profile, 'max-1024');
  assert.ok(Math.max(...jpegSize(first.image)) > 224, `${jpegSize(first.image)}`);
  assert.deepEqual(askedProfile(requests), []);
  assert.deepEqual(first.query.box, { x: 0, y: 0, width: 1, height: 1 }, 'the region itself was uploaded');

  // A smaller box inside the uploaded region: same upload, new box, no image bytes.
  await box.focus();
  for (let i = 0; i < 10; i += 1) await page.keyboard.press('Shift+ArrowLeft');
  const answered = page.waitForResponse((r) => r.url().endsWith('/v1/search/image') && r.request().method() === 'POST');
  await page.keyboard.press('Enter');
  await answered;
  const [, again] = await sentForms(page);
  assert.equal(again.image, undefined, 'no re-upload');
  const q = again.query;
  assert.ok(q.queryId);
  assert.equal(q.box.x, 0);
  assert.equal(q.box.width, 0.5);
  await page.locator('live-shop .results li').first().waitFor();
  await page.close();
});

test('a shopper who searches too often is asked again once, then told to wait', async () => {
  // One search a minute for each shopper: the refinement that follows is refused with 429.
  await withBackend({ search: true, args: ['--search-pace', '1'] }, async (paced) => {
    const page = await browser().newPage({ viewport: { width: 1100, height: 800 } });
    const posts = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/v1/search/image') && r.request().method() === 'POST') posts.push(r.status());
    });
    await page.goto(`${paced.url}/`);
    await page.locator('live-shop button.search-open').click();
    await page.locator('live-shop .search-panel input[type=file]').setInputFiles(JACKET);
    await page.locator('live-shop .search-now').click();
    await page.locator('live-shop .results li').first().waitFor({ timeout: 30_000 });
    const box = page.locator('live-shop .crop-box');
    await box.focus();
    for (let i = 0; i < 10; i += 1) await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('Enter');
    const status = page.locator('live-shop .search-status.error');
    await status.waitFor({ timeout: 10_000 });
    assert.equal(await status.textContent(), 'Many searches right now. Try again in a moment.');
    assert.deepEqual(posts, [200, 429, 429]);
    await page.close();
  });
});

test('a network failure is retried once; a new query cancels the one in flight', async () => {
  const { page, requests } = await open();
  let calls = 0;
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/v1/search/image', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    calls += 1;
    if (calls === 1) return route.abort('connectionreset');
    if (calls === 2) {
      // The second query hangs until the shopper has searched again.
      await held;
      return route.continue().catch(() => {});
    }
    return route.continue();
  });
  const failed = [];
  page.on('requestfailed', (r) => failed.push(r.failure()?.errorText));
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(JACKET);
  await page.locator('live-shop .crop-photo').waitFor();
  await page.locator('live-shop .search-now').click();
  // Attempt 1 fails on the network, attempt 2 (after the backoff) hangs while sending: the
  // request is held before it reaches the server.
  await page.locator('live-shop .steps .step.current').filter({ hasText: 'Sending' }).waitFor({ timeout: 10_000 });
  await eventually(() => assert.equal(calls, 2));
  assert.equal(await page.evaluate(() => window.abortedForms), 0);
  await page.locator('live-shop .search-now').click();
  release();
  await page.locator('live-shop .results li').first().waitFor({ timeout: 30_000 });
  assert.equal(calls, 3);
  // The new query aborted the one in flight. (The browser's own failure report for it comes
  // only when the held request is let go, sometimes not at all, so the page's abort is what
  // is checked.)
  assert.equal(await page.evaluate(() => window.abortedForms), 1);
  assert.ok(failed.includes('net::ERR_CONNECTION_RESET'), `failures: ${failed}`);
  assert.equal(searches(requests).length, 3);
  await page.unroute('**/v1/search/image');

  // Offline for good: two attempts, then the shopper reads why.
  let attempts = 0;
  await page.route('**/v1/search/image', (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    attempts += 1;
    return route.abort('internetdisconnected');
  });
  await page.locator('live-shop .search-panel button.back').click();
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(PHOTO);
  await page.locator('live-shop .crop-photo').waitFor();
  await page.locator('live-shop .search-now').click();
  await page.locator('live-shop .search-status.error').waitFor({ timeout: 10_000 });
  assert.equal(attempts, 2);
  assert.equal(await page.locator('live-shop .search-status.error').textContent(),
    "We couldn't reach the shop. Check your connection and try again.");
  await page.close();
});

test('camera: the preview takes a photo; a refusal is explained in the shopper\'s language', async () => {
  const { page } = await open();
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .source.camera').click();
  const preview = page.locator('live-shop video.preview');
  await preview.waitFor();
  await page.waitForFunction(() => document.querySelector('live-shop').shadowRoot
    .querySelector('video.preview')?.readyState >= 2);
  await page.locator('live-shop .shutter').click();
  await page.locator('live-shop .crop-photo').waitFor();
  const size = await page.locator('live-shop .crop-photo').evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  assert.ok(size[0] > 0 && size[1] > 0);
  // The camera is released after the shot.
  assert.equal(await preview.count(), 0);
  await page.close();

  const denied = await open('?locale=fa', () => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
  });
  await denied.page.locator('live-shop button.search-open').click();
  await denied.page.locator('live-shop .source.camera').click();
  const status = denied.page.locator('live-shop .search-status.error');
  await status.waitFor();
  assert.match(await status.textContent(), /دسترسی به دوربین مسدود است/);
  // The file picker is right there as the way forward.
  await denied.page.locator('live-shop .source.file input[type=file]').waitFor({ state: 'attached' });
  // The panel and its message read right to left, the message starting at the right edge.
  assert.equal(await denied.page.locator('live-shop .search-panel').evaluate((p) => getComputedStyle(p).direction), 'rtl');
  const edges = await status.evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const text = range.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    return { right: box.right - text.right, left: text.left - box.left };
  });
  assert.ok(edges.right < edges.left, `message not aligned right: ${JSON.stringify(edges)}`);
  await denied.page.close();
});

test('the camera preview keeps running while the panel moves into a sheet and back', async () => {
  const page = await browser().newPage({ viewport: { width: 900, height: 800 } });
  await openPlayerPage(page, backend(), { width: 640, height: 360 });
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .source.camera').click();
  const preview = () => page.evaluate(() => {
    const v = document.querySelector('live-shop').shadowRoot.querySelector('video.preview');
    return v && v.readyState >= 2 ? { playing: !v.paused, time: v.currentTime, sheet: !!v.closest('dialog') } : null;
  });
  await page.waitForFunction(() => document.querySelector('live-shop').shadowRoot.querySelector('video.preview')?.readyState >= 2);
  const before = await preview();
  const player = page.locator('live-shop video').first();
  await player.evaluate((v) => { v.width = 390; v.height = 219; });
  await page.locator('live-shop dialog.search-slot video.preview').waitFor();
  const inSheet = await eventually(async () => {
    const seen = await preview();
    assert.ok(seen && seen.sheet && seen.playing && seen.time > before.time, JSON.stringify([before, seen]));
    return seen;
  });
  await player.evaluate((v) => { v.width = 640; v.height = 360; });
  await page.locator('live-shop dialog.search-slot').waitFor({ state: 'detached' });
  await eventually(async () => {
    const back = await preview();
    assert.ok(back && !back.sheet && back.playing && back.time > inSheet.time, JSON.stringify([inSheet, back]));
  });
  await page.locator('live-shop .shutter').click();
  await page.locator('live-shop .crop-photo').waitFor();
  await page.close();
});

test('search whose code cannot be fetched says so, and its button tries again', async () => {
  const page = await browser().newPage({ viewport: { width: 900, height: 700 } });
  let refused = 0;
  await page.route(/live-shop-parts\.js/, (route) => {
    if (refused > 0) return route.continue();
    refused += 1;
    return route.fulfill({ status: 503, body: '' });
  });
  await openPlayerPage(page, backend(), { width: 640, height: 360 });
  const open = page.locator('live-shop button.search-open');
  await open.click();
  const status = page.locator('live-shop .part-status.error');
  await status.waitFor();
  assert.equal(await status.textContent(), "Couldn't load this. Check your connection and try again.");
  // Nothing else where the panel would be: no loading note, no empty dialog.
  assert.equal(await page.locator('live-shop .part-mount.search-slot').count(), 0);
  await open.click();
  await page.locator('live-shop .search-panel').waitFor();
  assert.equal(await status.count(), 0);
  await page.close();
});

test('search this frame: the playing video becomes the photo; a cross-origin video is explained', async () => {
  const { page } = await open();
  await page.waitForFunction(() => document.getElementById('video').readyState >= 2, null, { timeout: 15_000 });
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .source.frame').click();
  const photo = page.locator('live-shop .crop-photo');
  await photo.waitFor();
  const size = await photo.evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  const video = await page.evaluate(() => [document.getElementById('video').videoWidth, document.getElementById('video').videoHeight]);
  assert.deepEqual(size, video);
  await page.close();

  // The same video from another origin, without CORS: its pixels cannot be read.
  const other = await new Backend().start();
  try {
    const cross = await open();
    await cross.page.evaluate((src) => {
      const v = document.getElementById('video');
      v.removeAttribute('crossorigin');
      v.src = src;
    }, `${other.url}/media/video/bigbuckbunny.mp4`);
    await cross.page.waitForFunction(() => document.getElementById('video').readyState >= 2, null, { timeout: 15_000 });
    await cross.page.locator('live-shop button.search-open').click();
    await cross.page.locator('live-shop .source.frame').click();
    const status = cross.page.locator('live-shop .search-status.error');
    await status.waitFor();
    assert.match(await status.textContent(), /can't be captured here/);
    await cross.page.close();
  } finally {
    await other.stop();
  }
});

test('a pasted or dropped image becomes the photo', async () => {
  const { page } = await open();
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .search-panel').waitFor();
  const b64 = (await import('node:fs')).readFileSync(JACKET).toString('base64');
  const withFile = (how) => page.evaluate(({ b64, how }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'jacket.png', { type: 'image/png' }));
    if (how === 'paste') {
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
    } else {
      const panel = document.querySelector('live-shop').shadowRoot.querySelector('.search-panel');
      panel.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true, composed: true }));
    }
  }, { b64, how });
  await withFile('paste');
  const photo = page.locator('live-shop .crop-photo');
  await photo.waitFor();
  const png = Buffer.from(b64, 'base64');
  assert.deepEqual(await photo.evaluate((i) => [i.naturalWidth, i.naturalHeight]),
    [png.readUInt32BE(16), png.readUInt32BE(20)]);
  await page.locator('live-shop .search-panel button.back').click();
  await photo.waitFor({ state: 'detached' });
  // A file dragged over the panel marks it as a drop target, until it leaves or lands.
  const panel = page.locator('live-shop .search-panel');
  const zone = page.locator('live-shop .search-panel .sources');
  const drag = (type, onto) => page.evaluate(({ type, onto }) => {
    const root = document.querySelector('live-shop').shadowRoot;
    const related = onto ? root.querySelector(onto) : null;
    root.querySelector('.search-panel').dispatchEvent(new DragEvent(type, {
      dataTransfer: new DataTransfer(), relatedTarget: related, bubbles: true, cancelable: true, composed: true,
    }));
  }, { type, onto });
  assert.equal(await panel.evaluate((p) => p.classList.contains('dropping')), false);
  const calm = await zone.evaluate((z) => getComputedStyle(z).borderTopColor);
  await drag('dragover');
  await page.locator('live-shop .search-panel.dropping').waitFor();
  assert.notEqual(await zone.evaluate((z) => getComputedStyle(z).borderTopColor), calm);
  // Onto one of its own buttons is still over the panel; out of it is not.
  await drag('dragleave', '.source.camera');
  await page.waitForTimeout(200);
  assert.equal(await panel.evaluate((p) => p.classList.contains('dropping')), true);
  await drag('dragleave');
  await page.locator('live-shop .search-panel:not(.dropping)').waitFor();
  await drag('dragover');
  await page.locator('live-shop .search-panel.dropping').waitFor();
  await withFile('drop');
  await photo.waitFor();
  assert.equal(await panel.evaluate((p) => p.classList.contains('dropping')), false);
  await page.close();
});

test('a box drawn and moved with the pointer; results right to left in Arabic', async () => {
  const { page } = await open('?locale=ar');
  await page.locator('live-shop button.search-open').click();
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(JACKET);
  const stage = page.locator('live-shop .crop-stage');
  await page.locator('live-shop .crop-photo').waitFor();
  const r = await stage.boundingBox();
  // Draw from 20 %,20 % to 70 %,80 % of the photo.
  await page.mouse.move(r.x + 0.2 * r.width, r.y + 0.2 * r.height);
  await page.mouse.down();
  await page.mouse.move(r.x + 0.7 * r.width, r.y + 0.8 * r.height, { steps: 5 });
  await page.mouse.up();
  const style = () => page.locator('live-shop .crop-box').getAttribute('style');
  const pct = async () => (await style()).match(/[\d.]+/g).map(Number);
  let [x, y, w, h] = await pct();
  assert.ok(Math.abs(x - 20) < 1.5 && Math.abs(y - 20) < 1.5 && Math.abs(w - 50) < 1.5 && Math.abs(h - 60) < 1.5, await style());
  // Drag from inside the box: it moves, same size.
  await page.mouse.move(r.x + 0.4 * r.width, r.y + 0.5 * r.height);
  await page.mouse.down();
  await page.mouse.move(r.x + 0.3 * r.width, r.y + 0.4 * r.height, { steps: 5 });
  await page.mouse.up();
  [x, y, w, h] = await pct();
  assert.ok(Math.abs(x - 10) < 1.5 && Math.abs(y - 10) < 1.5 && Math.abs(w - 50) < 1.5 && Math.abs(h - 60) < 1.5, await style());
  await page.locator('live-shop .search-now').click();
  const first = page.locator('live-shop .results li').first();
  await first.waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('live-shop .search-panel').evaluate((p) => getComputedStyle(p).direction), 'rtl');
  assert.match(await first.locator('.match').textContent(), /^تطابق [٠-٩]+٪$/);
  assert.equal(await first.locator('button.buy').textContent(), 'أضف إلى السلة');
  // Each match line ends its own result's box, level with the others in its row.
  const rows = await page.locator('live-shop .results').evaluate((list) => [...list.children].map((li) => {
    const [box, match] = [li, li.querySelector('.match')].map((e) => e.getBoundingClientRect());
    return { top: Math.round(box.top), inside: match.top >= box.top && match.bottom <= box.bottom, line: Math.round(match.top) };
  }));
  assert.ok(rows.every((r) => r.inside), JSON.stringify(rows));
  for (const r of rows) assert.equal(r.line, rows.find((o) => o.top === r.top).line, JSON.stringify(rows));
  assert.ok(rows.some((r, i) => i > 0 && r.top === rows[0].top), `one result per row: ${JSON.stringify(rows)}`);
  await first.scrollIntoViewIfNeeded();
  await page.locator('live-shop .player, .player').first().screenshot({ path: join(ARTIFACTS, 'search-ar.png') });
  await page.close();
});

test('on a phone with a short player, the search panel is a sheet over the page with room for the photo, and moves with the player\'s size', async () => {
  const page = await browser().newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A 16:9 player across the phone: 219 px tall.
  await openPlayerPage(page, backend(), { width: 390, height: 219 });
  const open = page.locator('live-shop button.search-open');
  const box = await open.boundingBox();
  await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  const sheet = page.locator('live-shop dialog.search-slot');
  await sheet.locator('.search-panel').waitFor();
  const seen = await sheet.evaluate((dialog) => ({
    modal: dialog.matches(':modal'),
    panel: dialog.querySelector('.search-panel').getBoundingClientRect().toJSON(),
    name: dialog.getRootNode().getElementById(dialog.getAttribute('aria-labelledby'))?.textContent,
    roles: [...dialog.querySelectorAll('*')].map((e) => e.getAttribute('role')).filter((r) => r === 'dialog'),
  }));
  const detail = JSON.stringify(seen);
  assert.ok(seen.modal, detail);
  assert.equal(seen.name, 'Find similar products');
  assert.deepEqual(seen.roles, [], 'one dialog, not a dialog in a dialog');
  // The whole screen but a margin, not the 219 px player.
  assert.ok(seen.panel.height >= 844 - 20 && seen.panel.width >= 390 - 20, detail);

  await sheet.locator('input[type=file]').setInputFiles(JACKET);
  await assertCropLayout(page);
  const photo = await sheet.locator('.crop-photo').boundingBox();
  assert.ok(photo.height > 219, `the photo is no bigger than the player: ${JSON.stringify(photo)}`);
  // The player growing (the phone turned) takes the panel into it, with the photo; shrinking it
  // again makes it a sheet again, the photo still there.
  const src = await sheet.locator('.crop-photo').getAttribute('src');
  await page.locator('live-shop video').evaluate((v) => { v.width = 640; v.height = 360; });
  await sheet.waitFor({ state: 'detached' });
  const inPlayer = page.locator('live-shop .part-mount.search-slot');
  assert.equal(await inPlayer.getAttribute('role'), 'dialog');
  assert.equal(await inPlayer.locator('.crop-photo').getAttribute('src'), src);
  const focusIn = () => page.evaluate(() => {
    const root = document.querySelector('live-shop').shadowRoot;
    return root.activeElement ? root.querySelector('.part-mount.search-slot').contains(root.activeElement) : false;
  });
  // A keyboard user's focus moved with the panel.
  assert.ok(await focusIn(), 'focus left the panel as it moved into the player');
  const [panelBox, videoBox] = await Promise.all([inPlayer.locator('.search-panel').boundingBox(), page.locator('live-shop video').boundingBox()]);
  assert.ok(panelBox.x >= videoBox.x && panelBox.y >= videoBox.y && panelBox.x + panelBox.width <= videoBox.x + videoBox.width + 0.5
    && panelBox.y + panelBox.height <= videoBox.y + videoBox.height + 0.5, `panel ${JSON.stringify(panelBox)} outside the player ${JSON.stringify(videoBox)}`);
  await page.locator('live-shop video').evaluate((v) => { v.width = 390; v.height = 219; });
  await sheet.locator('.crop-photo').waitFor();
  assert.equal(await sheet.locator('.crop-photo').getAttribute('src'), src);
  assert.ok(await sheet.evaluate((d) => d.matches(':modal')), 'the sheet is not modal');
  assert.ok(await focusIn(), 'focus left the panel as it became a sheet');
  assert.equal(await page.locator('live-shop .part-mount.search-slot').count(), 1);
  const search = await sheet.locator('.search-now').boundingBox();
  await page.touchscreen.tap(search.x + search.width / 2, search.y + search.height / 2);
  const first = sheet.locator('.results li').first();
  await first.waitFor({ timeout: 30_000 });
  assert.equal(await first.locator('.title').textContent(), 'Harbor Wool Jacket');
  // Escape closes it, and focus is back on the search button.
  await page.keyboard.press('Escape');
  await sheet.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.querySelector('live-shop').shadowRoot.activeElement?.className), 'search-open');
  assert.deepEqual(errors, []);
  await page.close();
});

test('under a strict Content-Security-Policy the overlay keeps its look and visual search works', async () => {
  // What a careful shop sends: no inline styles or scripts, no blob: workers or scripts.
  const policy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "
    + "style-src 'self'; img-src 'self' data: blob:; media-src 'self'; connect-src 'self'";
  const page = await browser().newPage({ viewport: { width: 1000, height: 700 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await openPlayerPage(page, backend(), { headers: { 'Content-Security-Policy': policy } });
  await page.locator('live-shop .pinned .title').waitFor();
  // The stylesheet applies (the stage is positioned) and the stage, placed by inline style,
  // covers the video's picture.
  const stage = await page.locator('live-shop .stage').boundingBox();
  const video = await page.locator('live-shop video').boundingBox();
  for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(stage[k] - video[k]) < 2, `${k}: ${stage[k]} vs ${video[k]}`);
  assert.equal(await page.locator('live-shop .stage').evaluate((s) => getComputedStyle(s).position), 'absolute');

  await page.locator('live-shop button.search-open').click();
  // The panel covers the player, not the page beside it (the element is as wide as the page).
  const panel = await page.locator('live-shop .search-panel').boundingBox();
  assert.ok(panel.x >= video.x && panel.x + panel.width <= video.x + video.width + 0.5
    && panel.y >= video.y && panel.y + panel.height <= video.y + video.height + 0.5,
  `panel ${JSON.stringify(panel)} outside the player ${JSON.stringify(video)}`);
  await page.locator('live-shop .search-panel input[type=file]').setInputFiles(JACKET);
  await assertCropLayout(page);
  await page.locator('live-shop .search-now').click();
  const first = page.locator('live-shop .results li').first();
  await first.waitFor({ timeout: 30_000 });
  assert.equal(await first.locator('.title').textContent(), 'Harbor Wool Jacket');
  // In this short panel the results were scrolled into it (the page itself did not move).
  await eventually(async () => {
    const [shown, card, header] = await Promise.all(['live-shop .search-panel', 'live-shop .results li', 'live-shop .search-panel > header']
      .map((s) => page.locator(s).first().boundingBox()));
    // Under the panel's header, which stays at its top as it scrolls, the close button at hand.
    assert.ok(card.y >= header.y + header.height - 0.5 && card.y + Math.min(card.height, 60) <= shown.y + shown.height,
      `first result ${JSON.stringify(card)} not in the panel ${JSON.stringify(shown)} under its header ${JSON.stringify(header)}`);
    const scrolled = await page.evaluate(() => {
      const root = document.querySelector('live-shop').shadowRoot;
      const close = root.querySelector('.search-panel .close');
      const r = close.getBoundingClientRect();
      return { top: root.querySelector('.search-panel').scrollTop, reached: root.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === close };
    });
    assert.ok(scrolled.top > 0 && scrolled.reached, JSON.stringify(scrolled));
  });
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  // Nothing the page did was refused: the worker started from its own URL.
  assert.deepEqual(await page.evaluate(() => window.violations), []);
  assert.deepEqual(errors, []);
  await page.close();
});
