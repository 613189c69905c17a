// The creator studio against the reference backend: a hotspot made, saved and seen by viewers at
// the right moment and spot; two studios saving the same video; writes without a token refused;
// a producer's flash deal reaching an open viewer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOON, eventually, useBrowser, withBackend } from '../lib/harness.js';
import { TOKEN } from '../lib/server.js';

const browser = useBrowser();
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

async function studio(backend, video = 'bunny') {
  const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${backend.url}/studio`);
  await page.evaluate((video) => document.getElementById('studio').setAttribute('video-id', video), video);
  await page.locator('live-shop video.studio-video').waitFor();
  await page.waitForFunction(() => document.querySelector('live-shop').shadowRoot
    .querySelector('video.studio-video')?.readyState >= 1);
  return { page, errors };
}

/** The on-demand part modules the page fetched. */
const partModules = (page) => page.evaluate(() => performance.getEntriesByType('resource')
  .map((e) => e.name.split('/').pop()).filter((name) => /^live-shop-(parts|studio)_bg\.wasm$/.test(name)).sort());

async function seek(page, seconds) {
  await page.locator('live-shop input.timeline').fill(String(seconds));
  // The clock reads in the studio's digits: Latin, Arabic-Indic or Persian.
  const digit = (d) => `[${d}${String.fromCharCode(0x660 + d)}${String.fromCharCode(0x6f0 + d)}]`;
  const reading = new RegExp(`^\u2066${digit(0)}:${digit(0)}${digit(Math.floor(seconds))}`);
  await page.locator('live-shop output.time').filter({ hasText: reading }).waitFor();
}

/** Clicks the picture at fractions (x, y) and attaches the first product matching `query`. */
async function addHotspot(page, x, y, query) {
  const picture = await page.locator('live-shop .studio-picture').boundingBox();
  await page.mouse.click(picture.x + x * picture.width, picture.y + y * picture.height);
  const editor = page.locator('live-shop .hotspot-editor');
  await editor.waitFor();
  await editor.locator('input.product-search').fill(query);
  await editor.locator('.product-results button').first().click();
  await editor.locator('.product').filter({ hasNotText: /No product yet|هنوز محصولی نیست/ }).waitFor();
}

async function save(page) {
  await page.locator('live-shop .token input').fill(TOKEN);
  await page.locator('live-shop button.save').click();
}

/** The replay video's picture on the page, inside its letterboxed element. */
async function pictureBox(page) {
  const video = await page.locator('#video').boundingBox();
  const size = await page.evaluate(() => [document.getElementById('video').videoWidth, document.getElementById('video').videoHeight]);
  const scale = Math.min(video.width / size[0], video.height / size[1]);
  const w = size[0] * scale;
  const h = size[1] * scale;
  return { x: video.x + (video.width - w) / 2, y: video.y + (video.height - h) / 2, w, h };
}

/** Saves `hotspots` as the demo video's manifest, through the API with the creator token. */
async function putHotspots(backend, hotspots) {
  const put = await fetch(`${backend.url}/v1/videos/bunny/overlay`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'if-none-match': '*' },
    body: JSON.stringify({ version: 1, videoId: 'bunny', hotspots }),
  });
  assert.equal(put.status, 201);
}

async function viewerHotspot(backend, width, seconds) {
  const page = await browser().newPage({ viewport: { width, height: 800 } });
  await page.goto(`${backend.url}/replay`);
  await page.waitForFunction(() => document.getElementById('video').readyState >= 1);
  await page.evaluate((t) => { const v = document.getElementById('video'); v.pause(); v.currentTime = t; }, seconds);
  return page;
}

test('a video without hotspots yet costs the page no console error', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage();
    const logged = [];
    page.on('console', (m) => { if (m.type() === 'error') logged.push(m.text()); });
    const answered = page.waitForResponse((r) => r.url().endsWith('/v1/videos/bunny/overlay'));
    await page.goto(`${backend.url}/replay`);
    assert.equal((await answered).status(), 204);
    await page.locator('live-shop .hotspots-slot').waitFor({ state: 'attached' });
    await page.waitForTimeout(300);
    assert.deepEqual(logged, []);
    await page.close();
  });
});

test('a hotspot made in the studio shows on the viewer at its moment and spot, at two player sizes', async () => {
  await withBackend({}, async (backend) => {
    const { page, errors } = await studio(backend);
    // A new video says how to begin; the hint goes with the first hotspot.
    const empty = page.locator('live-shop .studio-side .studio-empty');
    assert.match(await empty.textContent(), /^No hotspots yet\. .*click it in the picture\.$/);
    await seek(page, 1);
    await addHotspot(page, 0.3, 0.4, 'jacket');
    await empty.waitFor({ state: 'detached' });
    // Later, the item has moved: a second keyframe.
    await seek(page, 3);
    const picture = await page.locator('live-shop .studio-picture').boundingBox();
    const dot = page.locator('live-shop .studio-dot').first();
    const d = await dot.boundingBox();
    await page.mouse.move(d.x + d.width / 2, d.y + d.height / 2);
    await page.mouse.down();
    await page.mouse.move(picture.x + 0.7 * picture.width, picture.y + 0.4 * picture.height, { steps: 4 });
    await page.mouse.up();
    await page.locator('live-shop .hotspot-editor .keyframes').filter({ hasText: /^2 position/ }).waitFor();
    // Undo and redo the move.
    await page.locator('live-shop button.undo').click();
    await page.locator('live-shop .hotspot-editor .keyframes').filter({ hasText: /^1 position/ }).waitFor();
    await page.locator('live-shop button.redo').click();
    await page.locator('live-shop .hotspot-editor .keyframes').filter({ hasText: /^2 position/ }).waitFor();
    await save(page);
    await page.locator('live-shop .studio-status').filter({ hasText: /^Saved/ }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'studio.png') });
    const saved = await (await fetch(`${backend.url}/v1/videos/bunny/overlay`)).json();
    assert.equal(saved.hotspots.length, 1);
    assert.equal(saved.hotspots[0].productId, 'p01');
    assert.equal(saved.hotspots[0].keyframes.length, 2);
    // A reload shows the saved work.
    await page.reload();
    // The list names the product once the catalog has answered (its id until then).
    await page.locator('live-shop .hotspot-list li').first().filter({ hasText: /Harbor Wool Jacket/ })
      .waitFor({ timeout: SOON });
    assert.deepEqual(errors, []);
    // The studio is its own module; viewers fetch the shoppers' parts, never it.
    assert.ok((await partModules(page)).includes('live-shop-studio_bg.wasm'));

    for (const width of [1280, 700]) {
      // At 2 s the hotspot is halfway between 30 % and 70 % of the picture's width.
      const viewer = await viewerHotspot(backend, width, 2);
      const spot = viewer.locator('live-shop button.hotspot');
      await spot.waitFor({ timeout: 10_000 });
      assert.equal(await spot.locator('.hotspot-label').textContent(), 'Harbor Wool Jacket');
      const pic = await pictureBox(viewer);
      const b = await spot.locator('.dot').boundingBox();
      const fx = (b.x + b.width / 2 - pic.x) / pic.w;
      const fy = (b.y + b.height / 2 - pic.y) / pic.h;
      assert.ok(Math.abs(fy - 0.4) < 0.03, `y ${fy} at ${width}px`);
      assert.ok(fx > 0.35 && fx < 0.65, `x ${fx} at ${width}px`);
      // Before the hotspot's start, nothing.
      await viewer.evaluate(() => { document.getElementById('video').currentTime = 0.2; });
      await spot.waitFor({ state: 'detached' });
      // A real button that opens the product's card with add-to-cart.
      await viewer.evaluate(() => { document.getElementById('video').currentTime = 1.5; });
      await spot.click();
      await viewer.locator('live-shop .hotspot-card button.buy').waitFor();
      assert.deepEqual(await partModules(viewer), ['live-shop-parts_bg.wasm']);
      await viewer.close();
    }
  });
});

test('on a phone, a hotspot\'s product card fits a 16:9 picture, Add to cart and all', async () => {
  // With a product pinned: the card takes its place.
  await withBackend({}, async (backend) => {
    await backend.change({ type: 'offerPinned', product: { id: 'p05', title: 'x' } });
    await putHotspots(backend, [
      { id: 'h1', productId: 'p01', start: 0, end: 5, keyframes: [{ t: 0, x: 0.5, y: 0.4 }], cta: 'Shop the look' },
    ]);
    const page = await browser().newPage({ viewport: { width: 390, height: 844 }, hasTouch: true });
    await page.goto(`${backend.url}/replay`);
    // The player as tall as its picture: 342 × 192.
    await page.addStyleTag({ content: '.player video { block-size: auto !important; }' });
    await page.waitForFunction(() => document.getElementById('video').readyState >= 1);
    await page.evaluate(() => { const v = document.getElementById('video'); v.pause(); v.currentTime = 1; });
    const pinned = page.locator('live-shop .pinned .card');
    await pinned.waitFor();
    await page.locator('live-shop button.hotspot').tap();
    const card = page.locator('live-shop .hotspot-card');
    await card.locator('button.buy').waitFor();
    const picture = await page.locator('#video').boundingBox();
    assert.ok(picture.height < 200, `picture ${picture.height} px tall`);
    for (const part of ['', ' button.buy', ' .cta', ' button.close']) {
      const box = await page.locator(`live-shop .hotspot-card${part}`).boundingBox();
      assert.ok(box.y >= picture.y && box.y + box.height <= picture.y + picture.height + 0.5
        && box.x >= picture.x && box.x + box.width <= picture.x + picture.width + 0.5,
      `.hotspot-card${part} ${JSON.stringify(box)} outside the picture ${JSON.stringify(picture)}`);
    }
    // Nothing of it is hidden behind a scroll.
    assert.ok(await card.evaluate((c) => c.scrollHeight <= c.clientHeight));
    // It takes the pinned card's place, and the top row's (it would cover the search button
    // half): both come back when it closes.
    const search = page.locator('live-shop button.search-open');
    assert.equal(await pinned.isVisible(), false);
    assert.equal(await search.isVisible(), false);
    await card.locator('button.close').tap();
    await card.waitFor({ state: 'detached' });
    assert.equal(await pinned.isVisible(), true);
    assert.equal(await search.isVisible(), true);
    await page.close();
  });
});

test('a hotspot placed where the browser\'s controls are is drawn just above them', async () => {
  await withBackend({}, async (backend) => {
    // Near the bottom edge, where Chromium's timeline is while the video shows its controls.
    await putHotspots(backend, [{ id: 'h1', productId: 'p01', start: 0, end: 5, keyframes: [{ t: 0, x: 0.5, y: 0.97 }] }]);
    const page = await viewerHotspot(backend, 1280, 1);
    // The player as tall as its picture, so the controls are over the picture itself.
    await page.addStyleTag({ content: '.player video { block-size: auto !important; }' });
    const spot = page.locator('live-shop button.hotspot');
    await spot.waitFor({ timeout: 10_000 });
    const video = await page.locator('#video').boundingBox();
    const controlsTop = video.y + video.height - 64;
    // The layer follows the player's new size within moments; the assertion says where it ended.
    await page.waitForFunction(() => document.querySelector('live-shop').shadowRoot
      .querySelector('button.hotspot').getBoundingClientRect().bottom <= document.getElementById('video')
      .getBoundingClientRect().bottom - 64 + 0.5, null, { timeout: SOON }).catch(() => {});
    const button = await spot.boundingBox();
    assert.ok(button.y + button.height <= controlsTop + 0.5, `hotspot ${JSON.stringify(button)}, controls from ${controlsTop}`);
    // It still opens its product.
    await spot.click();
    await page.locator('live-shop .hotspot-card button.buy').waitFor();
    // Without the browser's controls, it is where the creator put it.
    await page.evaluate(() => document.getElementById('video').removeAttribute('controls'));
    const pic = await pictureBox(page);
    await page.waitForFunction((want) => {
      const dot = document.querySelector('live-shop').shadowRoot.querySelector('button.hotspot .dot').getBoundingClientRect();
      return Math.abs(dot.y + dot.height / 2 - want) < 2;
    }, pic.y + 0.97 * pic.h);
    await page.close();
  });
});

test('a video whose saved hotspots cannot be read is not shown as new', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    let answer = 'abort';
    await page.route('**/v1/videos/*/overlay', (route) => (route.request().method() !== 'GET'
      ? route.continue()
      : answer === 'abort' ? route.abort('connectionfailed') : route.fulfill({ status: 503, body: '{}' })));
    await page.goto(`${backend.url}/studio`);
    const status = page.locator('live-shop .studio-status');
    for (const next of ['abort', 'unavailable']) {
      answer = next;
      await page.evaluate((id) => document.getElementById('studio').setAttribute('video-id', id), `unread-${next}`);
      await status.filter({ hasText: "Couldn't load this video's saved hotspots." }).waitFor();
      assert.equal(await page.locator('live-shop .studio-empty').count(), 0, next);
    }
    // Read, a video with nothing saved says how to begin.
    await page.unrouteAll();
    await page.evaluate(() => document.getElementById('studio').setAttribute('video-id', 'new-video'));
    await page.locator('live-shop .studio-empty').waitFor();
    assert.equal(await status.textContent(), '');
    await page.close();
  });
});

test('two studios save the same video: the second sees the conflict and keeps both edits', async () => {
  await withBackend({}, async (backend) => {
    const a = await studio(backend, 'clip');
    const b = await studio(backend, 'clip');
    await seek(a.page, 1);
    await addHotspot(a.page, 0.2, 0.2, 'jacket');
    await seek(b.page, 2);
    await addHotspot(b.page, 0.8, 0.8, 'scarf');
    await save(a.page);
    await a.page.locator('live-shop .studio-status').filter({ hasText: /^Saved/ }).waitFor();
    await save(b.page);
    const status = b.page.locator('live-shop .studio-status');
    await status.filter({ hasText: /Someone saved first/ }).waitFor();
    // Both added a hotspot named h1: the same id, two different edits.
    await b.page.locator('live-shop button.keep-both').click();
    await save(b.page);
    await status.filter({ hasText: /^Saved/ }).waitFor();
    const saved = await (await fetch(`${backend.url}/v1/videos/clip/overlay`)).json();
    assert.deepEqual(saved.hotspots.map((h) => h.productId).sort(), ['p01', 'p04'].sort());
    const versions = await (await fetch(`${backend.url}/v1/videos/clip/overlay/versions`)).json();
    assert.equal(versions.versions.length, 2);
  });
});

test('a save without a creator token is refused and nothing is written (studio in Persian)', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await studio(backend, 'locked');
    await page.evaluate(() => document.getElementById('studio').setAttribute('locale', 'fa'));
    await page.locator('live-shop .studio[dir=rtl]').waitFor();
    assert.equal(await page.locator('live-shop button.save').textContent(), 'ذخیره');
    assert.match(await page.locator('live-shop .studio-empty').textContent(), /^هنوز نقطه خریدی نیست/);
    await page.waitForFunction(() => document.querySelector('live-shop').shadowRoot
      .querySelector('video.studio-video')?.readyState >= 1);
    await seek(page, 1);
    await addHotspot(page, 0.5, 0.5, 'film camera');
    // The product's Latin title keeps its order in the Persian list and editor: laid out right
    // to left, "35 mm Film Camera" would read "mm Film Camera 35".
    for (const selector of ['.hotspot-list li', '.hotspot-editor .product']) {
      const order = await page.locator(`live-shop ${selector}`).first().evaluate((element) => {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        const at = (needle) => {
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const i = node.data.indexOf(needle);
            if (i >= 0) {
              const range = document.createRange();
              range.setStart(node, i);
              range.setEnd(node, i + 1);
              return range.getBoundingClientRect().left;
            }
          }
          return NaN;
        };
        const three = at('35 mm');
        walker.currentNode = element;
        return { three, film: at('Film'), text: element.textContent };
      });
      assert.ok(order.three < order.film, `${selector}: ${JSON.stringify(order)}`);
    }
    // Addresses, the token and times are typed left to right in the Persian studio too.
    for (const input of ['input[type=url]', 'input[type=password]', '.hotspot-editor input.start']) {
      assert.equal(await page.locator(`live-shop ${input}`).evaluate((e) => getComputedStyle(e).direction), 'ltr', input);
    }
    // Times and counts in Persian digits, each time kept left to right.
    const time = await page.locator('live-shop output.time').textContent();
    assert.match(time, /^\u2066۰:۰۱\.۰\u2069 \/ \u2066[۰-۹]+:[۰-۹]{2}\.[۰-۹]\u2069$/, time);
    const item = await page.locator('live-shop .hotspot-list li').first().textContent();
    assert.ok(item.includes('\u2066۰:۰۱.۰\u2069–'), item);
    assert.match(await page.locator('live-shop .hotspot-editor .keyframes').textContent(), /[۰-۹]/);
    await page.locator('live-shop button.save').click();
    await page.locator('live-shop .studio-status').filter({ hasText: 'برای ذخیره توکن سازنده لازم است' }).waitFor();
    assert.equal((await fetch(`${backend.url}/v1/videos/locked/overlay`)).status, 204);
    const put = await fetch(`${backend.url}/v1/videos/locked/overlay`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(put.status, 401);
  });
});

test('a producer starts a flash deal and an open viewer shows it counting down', async () => {
  await withBackend({}, async (backend) => {
    const viewer = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    await viewer.goto(`${backend.url}/`);
    await viewer.locator('live-shop button.search-open').waitFor();
    const { page } = await studio(backend);
    await page.locator('live-shop [role=tab]', { hasText: 'Live' }).click();
    await page.locator('live-shop .token input').fill(TOKEN);
    const panel = page.locator('live-shop .live-panel');
    await panel.locator('input.product-search').fill('jacket');
    await panel.locator('.product-results button').first().click();
    await panel.locator('button.pin').click();
    await viewer.locator('live-shop .pinned .title').filter({ hasText: 'Harbor Wool Jacket' }).waitFor({ timeout: SOON });
    await panel.locator('.live-status').filter({ hasText: /^Sent/ }).waitFor();
    await panel.locator('input.deal-price').fill('99');
    await panel.locator('input.deal-seconds').fill('90');
    await panel.locator('input.deal-stock').fill('15');
    const started = Date.now();
    await panel.locator('button.start-deal').click();
    const time = viewer.locator('live-shop .pinned .countdown .time');
    await time.filter({ hasText: /Ends in/ }).waitFor({ timeout: SOON });
    // A 90-second deal from the click, however long the viewer took to be told.
    const [, m, s] = (await time.textContent()).match(/(\d+):(\d\d)/);
    const left = Number(m) * 60 + Number(s);
    const most = 90 - (Date.now() - started) / 1000;
    assert.ok(left <= 90 && left >= most - 2, `${left} s left, at most ${most.toFixed(1)} s by this clock`);
    assert.match(await viewer.locator('live-shop .pinned .price').textContent(), /99/);
  });
});

test('the draft survives a reload, shortcuts edit it, and an offline save goes out when back', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await studio(backend, 'draft');
    await seek(page, 1);
    await addHotspot(page, 0.5, 0.5, 'jacket');
    // The time range: drag its end on the timeline, then nudge it with the keyboard.
    const duration = await page.evaluate(() => document.querySelector('live-shop').shadowRoot
      .querySelector('video.studio-video').duration);
    const rows = await page.locator('live-shop .ranges').boundingBox();
    const end = page.locator('live-shop .range-end').first();
    const e = await end.boundingBox();
    await page.mouse.move(e.x + e.width / 2, e.y + e.height / 2);
    await page.mouse.down();
    await page.mouse.move(rows.x + 0.8 * rows.width, e.y + e.height / 2, { steps: 4 });
    await page.mouse.up();
    const endValue = () => page.locator('live-shop .hotspot-editor input.end').inputValue();
    assert.ok(Math.abs(Number(await endValue()) - 0.8 * duration) < 0.1, `${await endValue()} of ${duration}`);
    const dragged = Number(await endValue());
    await end.focus();
    await page.keyboard.press('ArrowLeft');
    assert.ok(Math.abs(Number(await endValue()) - (dragged - 0.1)) < 0.011);
    // Keyboard: arrows nudge the selected hotspot, Delete removes it, Ctrl+Z brings it back.
    await page.locator('live-shop .studio-dot').first().focus();
    const x = () => page.locator('live-shop .studio-dot').first().evaluate((d) => parseFloat(d.style.left));
    const before = await x();
    await page.keyboard.press('Shift+ArrowRight');
    await page.waitForFunction((b) => parseFloat(document.querySelector('live-shop').shadowRoot
      .querySelector('.studio-dot').style.left) > b + 5, before);
    await page.keyboard.press('Delete');
    await page.locator('live-shop .studio-dot').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+z');
    await page.locator('live-shop .studio-dot').waitFor();
    assert.ok(Math.abs((await x()) - before - 10) < 0.5);

    // Reload before saving: the draft comes back.
    await page.reload();
    await page.evaluate(() => document.getElementById('studio').setAttribute('video-id', 'draft'));
    await page.locator('live-shop .studio-status').filter({ hasText: 'Your unsaved draft was restored.' }).waitFor();
    assert.equal(await page.locator('live-shop .hotspot-list li').count(), 1);

    // Offline: the save waits in the browser, then goes out on its own.
    await page.route('**/v1/videos/draft/overlay', (route) => (route.request().method() === 'PUT'
      ? route.abort('internetdisconnected') : route.continue()));
    await save(page);
    await page.locator('live-shop .studio-status').filter({ hasText: /^Offline/ }).waitFor();
    assert.equal((await fetch(`${backend.url}/v1/videos/draft/overlay`)).status, 204);
    await page.unroute('**/v1/videos/draft/overlay');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.locator('live-shop .studio-status').filter({ hasText: /^Saved/ }).waitFor({ timeout: 12_000 });
    const saved = await (await fetch(`${backend.url}/v1/videos/draft/overlay`)).json();
    assert.equal(saved.hotspots[0].productId, 'p01');
  });
});

test('export as JSON and WebVTT, and import either back', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await studio(backend, 'io');
    await seek(page, 1);
    await addHotspot(page, 0.25, 0.75, 'jacket');
    const exported = async (cls) => {
      const href = await page.locator(`live-shop a.${cls}`).getAttribute('href');
      return decodeURIComponent(href.slice(href.indexOf(',') + 1));
    };
    const json = await exported('export-json');
    const manifest = JSON.parse(json);
    assert.equal(manifest.videoId, 'io');
    assert.equal(manifest.hotspots[0].productId, 'p01');
    assert.equal(await page.locator('live-shop a.export-json').getAttribute('download'), 'io.overlay.json');
    const vtt = await exported('export-vtt');
    assert.match(vtt, /^WEBVTT/);
    assert.match(vtt, /\nh1\n00:00:0\d\.\d{3} --> 00:00:0\d\.\d{3}\n\{"id":"h1","productId":"p01"/);

    const importFile = (name, mimeType, text) => page.locator('live-shop label.import input[type=file]')
      .setInputFiles({ name, mimeType, buffer: Buffer.from(text) });
    for (const [name, type, text] of [['h.vtt', 'text/vtt', vtt], ['h.json', 'application/json', json]]) {
      await page.locator('live-shop .studio-dot').first().focus();
      await page.keyboard.press('Delete');
      await page.locator('live-shop .hotspot-list li').waitFor({ state: 'detached' });
      await importFile(name, type, text);
      await page.locator('live-shop .studio-status').filter({ hasText: 'Imported.' }).waitFor();
      assert.match(await page.locator('live-shop .hotspot-list li').first().textContent(), /Harbor Wool Jacket/);
    }
    await importFile('bad.txt', 'text/plain', 'hello');
    await page.locator('live-shop .studio-status').filter({ hasText: 'not a live-shop manifest' }).waitFor();
  });
});

test('a call to action with "-->" survives the WebVTT export in the browser\'s own track parser', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await studio(backend, 'vtt');
    await seek(page, 1);
    await addHotspot(page, 0.3, 0.35, 'jacket');
    const cta = page.locator('live-shop .hotspot-editor input.cta');
    await cta.fill('Shop the look --> <now> & save');
    await cta.press('Tab');
    const href = await page.locator('live-shop a.export-vtt').getAttribute('href');
    const vtt = decodeURIComponent(href.slice(href.indexOf(',') + 1));
    // Chromium reads the exported file as a metadata track, as a player would.
    const cues = await page.evaluate(async (text) => {
      const video = document.createElement('video');
      const track = document.createElement('track');
      track.kind = 'metadata';
      track.src = URL.createObjectURL(new Blob([text], { type: 'text/vtt' }));
      video.append(track);
      document.body.append(video);
      track.track.mode = 'hidden';
      await new Promise((resolve, reject) => {
        track.addEventListener('load', resolve);
        track.addEventListener('error', () => reject(new Error('the track did not load')));
      });
      return [...track.track.cues].map((c) => ({ id: c.id, start: c.startTime, text: c.text }));
    }, vtt);
    assert.equal(cues.length, 1);
    assert.equal(cues[0].id, 'h1');
    const hotspot = JSON.parse(cues[0].text);
    assert.equal(hotspot.cta, 'Shop the look --> <now> & save');
    assert.equal(hotspot.productId, 'p01');
    assert.equal(Math.round(cues[0].start), Math.round(hotspot.start));
  });
});

test('a manifest past the limits is imported and its problem named, not refused as unreadable', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await studio(backend, 'many');
    const hotspot = (n) => ({ id: `h${n}`, productId: 'p01', start: 1, end: 5,
      keyframes: [{ t: 1, x: 0.5, y: 0.5 }] });
    const many = { version: 1, videoId: 'many', hotspots: Array.from({ length: 501 }, (_, n) => hotspot(n)) };
    await page.locator('live-shop label.import input[type=file]')
      .setInputFiles({ name: 'many.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(many)) });
    await page.locator('live-shop .studio-status').filter({ hasText: 'Imported.' }).waitFor({ timeout: 10_000 });
    const problems = page.locator('live-shop ul.problems li');
    await problems.first().waitFor();
    // The imported hotspots' product is looked up, then only the count is a problem.
    await page.waitForFunction(() => document.querySelector('live-shop').shadowRoot
      .querySelectorAll('ul.problems li').length === 1, null, { timeout: 10_000 });
    assert.deepEqual(await problems.allTextContents(), ['Too many hotspots in one video. Remove some.']);
    // Saved as it is, the server names the same problem (422 invalid_manifest).
    const response = await fetch(`${backend.url}/v1/videos/many/overlay`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'if-none-match': '*' },
      body: JSON.stringify(many),
    });
    assert.equal(response.status, 422);
    const answer = await response.json();
    assert.equal(answer.error.code, 'invalid_manifest');
    assert.deepEqual(answer.problems.map((p) => p.code), ['too_many']);
  });
});

test('after someone saved first and the edits merged cleanly, Save saves the merge', async () => {
  await withBackend({}, async (backend) => {
    const a = await studio(backend, 'merge');
    await seek(a.page, 1);
    await addHotspot(a.page, 0.2, 0.2, 'jacket');
    await save(a.page);
    await a.page.locator('live-shop .studio-status').filter({ hasText: /^Saved/ }).waitFor();
    // The second studio opens the saved version; then the first adds a hotspot and saves again.
    const b = await studio(backend, 'merge');
    await b.page.locator('live-shop .hotspot-list li').first().waitFor();
    await seek(a.page, 2);
    await addHotspot(a.page, 0.8, 0.8, 'scarf');
    await save(a.page);
    await a.page.locator('live-shop .studio-status').filter({ hasText: /^Saved/ }).waitFor();
    // The second deletes the first hotspot, which the first studio did not touch: a clean merge.
    await seek(b.page, 1);
    await b.page.locator('live-shop .studio-dot').first().focus();
    await b.page.keyboard.press('Delete');
    await b.page.locator('live-shop .hotspot-list li').waitFor({ state: 'detached' });
    await save(b.page);
    const status = b.page.locator('live-shop .studio-status');
    await status.filter({ hasText: /merged cleanly: review, then save again/ }).waitFor();
    assert.equal(await b.page.locator('live-shop .hotspot-list li').count(), 1);
    await b.page.locator('live-shop button.save').click();
    await status.filter({ hasText: /^Saved/ }).waitFor({ timeout: SOON });
    const saved = await (await fetch(`${backend.url}/v1/videos/merge/overlay`)).json();
    // The first studio's second hotspot, without the one the second studio deleted.
    assert.deepEqual(saved.hotspots.map((h) => h.id), ['h2']);
    assert.ok(Math.abs(saved.hotspots[0].keyframes[0].x - 0.8) < 0.01);
    const versions = await (await fetch(`${backend.url}/v1/videos/merge/overlay/versions`)).json();
    assert.equal(versions.versions.length, 3);
  });
});

test('on the replay the hotspot\'s dot is on its saved point, left to right and right to left', async () => {
  await withBackend({}, async (backend) => {
    await putHotspots(backend, [{ id: 'h1', productId: 'p01', start: 0.5, end: 8,
      keyframes: [{ t: 0.5, x: 0.3, y: 0.35 }] }]);
    for (const locale of ['en', 'ar']) {
      const viewer = await viewerHotspot(backend, 1280, 2);
      await viewer.evaluate((l) => document.getElementById('shop').setAttribute('locale', l), locale);
      const spot = viewer.locator('live-shop button.hotspot');
      await spot.waitFor({ timeout: 10_000 });
      await viewer.locator(`live-shop .hotspots-stage[dir="${locale === 'ar' ? 'rtl' : 'ltr'}"]`).waitFor();
      const pic = await pictureBox(viewer);
      const dot = await spot.locator('.dot').boundingBox();
      const dx = dot.x + dot.width / 2 - (pic.x + 0.3 * pic.w);
      const dy = dot.y + dot.height / 2 - (pic.y + 0.35 * pic.h);
      assert.ok(Math.abs(dx) <= 2 && Math.abs(dy) <= 2, `${locale}: the dot is ${dx.toFixed(1)}, ${dy.toFixed(1)} px off`);
      await viewer.close();
    }
  });
});

/** Where fractions (x, y) of the whole picture are on screen, for a video with `object-fit: cover`. */
const coverPoint = (video, size, x, y) => {
  const scale = Math.max(video.width / size[0], video.height / size[1]);
  const [w, h] = [size[0] * scale, size[1] * scale];
  return { x: video.x + (video.width - w) / 2 + x * w, y: video.y + (video.height - h) / 2 + y * h };
};

test('with object-fit: cover, hotspots sit on their point of the whole picture, in the studio and on the replay', async () => {
  await withBackend({}, async (backend) => {
    // The studio's own player crops its picture too: a click lands on the picture's point.
    const { page, errors } = await studio(backend, 'square');
    const video = page.locator('live-shop video.studio-video');
    await video.evaluate((v) => { v.style.objectFit = 'cover'; v.style.inlineSize = '420px'; v.style.blockSize = '420px'; });
    await seek(page, 1);
    const box = await video.boundingBox();
    const size = await video.evaluate((v) => [v.videoWidth, v.videoHeight]);
    // The layer follows the player's new shape within moments.
    await page.waitForFunction((h) => Math.abs(document.querySelector('live-shop').shadowRoot
      .querySelector('.studio-picture').getBoundingClientRect().height - h) < 1, box.height);
    const at = coverPoint(box, size, 0.4, 0.35);
    await page.mouse.click(at.x, at.y);
    const editor = page.locator('live-shop .hotspot-editor');
    await editor.locator('input.product-search').fill('jacket');
    await editor.locator('.product-results button').first().click();
    const dot = await page.locator('live-shop .studio-dot').boundingBox();
    assert.ok(Math.abs(dot.x + dot.width / 2 - at.x) <= 2 && Math.abs(dot.y + dot.height / 2 - at.y) <= 2,
      `studio dot at ${dot.x + dot.width / 2}, ${dot.y + dot.height / 2}, clicked ${at.x}, ${at.y}`);
    await save(page);
    await page.locator('live-shop .studio-status').filter({ hasText: /^Saved/ }).waitFor();
    const saved = await (await fetch(`${backend.url}/v1/videos/square/overlay`)).json();
    const [{ x, y }] = saved.hotspots[0].keyframes;
    assert.ok(Math.abs(x - 0.4) < 0.01 && Math.abs(y - 0.35) < 0.01, `saved at ${x}, ${y}`);
    assert.deepEqual(errors, []);
    await page.close();

    // On a square replay player, a point of the whole picture, and one the crop cuts away.
    await putHotspots(backend, [
      { id: 'h1', productId: 'p01', start: 0.5, end: 8, keyframes: [{ t: 0.5, x: 0.3, y: 0.35 }] },
      { id: 'h2', productId: 'p02', start: 0.5, end: 8, keyframes: [{ t: 0.5, x: 0.1, y: 0.5 }] },
    ]);
    for (const locale of ['en', 'ar']) {
      const viewer = await viewerHotspot(backend, 1280, 2);
      await viewer.addStyleTag({ content: '.player { inline-size: 640px; } .player video { block-size: 640px !important; object-fit: cover; }' });
      await viewer.evaluate((l) => document.getElementById('shop').setAttribute('locale', l), locale);
      const spot = viewer.locator('live-shop button.hotspot[data-hotspot="h1"]');
      await spot.waitFor({ timeout: 10_000 });
      await viewer.locator(`live-shop .hotspots-stage[dir="${locale === 'ar' ? 'rtl' : 'ltr'}"]`).waitFor();
      const player = await viewer.locator('#video').boundingBox();
      assert.equal(Math.round(player.width), 640);
      const videoSize = await viewer.evaluate(() => [document.getElementById('video').videoWidth, document.getElementById('video').videoHeight]);
      const want = coverPoint(player, videoSize, 0.3, 0.35);
      await viewer.waitForFunction(({ x, y }) => {
        const d = document.querySelector('live-shop').shadowRoot.querySelector('button.hotspot[data-hotspot="h1"] .dot').getBoundingClientRect();
        return Math.abs(d.x + d.width / 2 - x) <= 2 && Math.abs(d.y + d.height / 2 - y) <= 2;
      }, want, { timeout: SOON }).catch(() => {});
      const d = await spot.locator('.dot').boundingBox();
      const dx = d.x + d.width / 2 - want.x;
      const dy = d.y + d.height / 2 - want.y;
      assert.ok(Math.abs(dx) <= 2 && Math.abs(dy) <= 2, `${locale}: the dot is ${dx.toFixed(1)}, ${dy.toFixed(1)} px off`);
      // The hotspot at 10 % of the width is outside the crop: not drawn.
      assert.equal(await viewer.locator('live-shop button.hotspot').count(), 1);
      await viewer.close();
    }
  });
});

test('a labelled hotspot shows while its product cannot be looked up, and every hotspot comes once the catalog answers', async () => {
  await withBackend({}, async (backend) => {
    await putHotspots(backend, [
      { id: 'h1', productId: 'p01', start: 0, end: 5, keyframes: [{ t: 0, x: 0.3, y: 0.4 }], label: 'The jacket' },
      { id: 'h2', productId: 'p05', start: 0, end: 5, keyframes: [{ t: 0, x: 0.7, y: 0.4 }] },
    ]);
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    // The catalog fails for both products until told otherwise.
    let down = true;
    const lookups = [];
    await page.route('**/v1/catalog/*', (route) => {
      const id = new URL(route.request().url()).pathname.split('/').pop();
      if (!['p01', 'p05'].includes(id)) return route.continue();
      lookups.push(id);
      return down
        ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"down"}}' })
        : route.continue();
    });
    await page.goto(`${backend.url}/replay`);
    await page.waitForFunction(() => document.getElementById('video').readyState >= 1);
    await page.evaluate(() => { const v = document.getElementById('video'); v.pause(); v.currentTime = 1; });
    const spots = page.locator('live-shop button.hotspot');
    await spots.filter({ hasText: 'The jacket' }).waitFor({ timeout: SOON });
    await eventually(() => assert.deepEqual([...new Set(lookups)].sort(), ['p01', 'p05']));
    assert.equal(await spots.count(), 1, 'the unlabelled hotspot has nothing to be named by yet');
    // The catalog answers again: the next lookups find both, the second named by its title.
    down = false;
    const title = (await (await fetch(`${backend.url}/v1/catalog/p05`)).json()).title;
    await spots.filter({ hasText: title }).waitFor({ timeout: SOON });
    assert.equal(await spots.count(), 2);
    await spots.filter({ hasText: 'The jacket' }).click();
    await page.locator('live-shop .hotspot-card button.buy').waitFor({ timeout: SOON });
    await page.close();
  });
});
