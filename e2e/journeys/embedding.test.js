// Journeys of a page that embeds the widget with one script: the JS API, several instances,
// geometry after resizes, analytics events, calendar links and keyboard use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SOON, eventually, openPlayerPage, useBackend, useBrowser } from '../lib/harness.js';

const browser = useBrowser();
const backend = useBackend();

/** A page on the backend's origin with the embed script and the given body. */
async function page(body, viewport = { width: 1000, height: 700 }, html = 'lang="en"', init = null) {
  const p = await browser().newPage({ viewport });
  if (init) await p.addInitScript(init);
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  await p.route(`${backend().url}/embed-test`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html ${html}><body style="margin:0">${body}
      <script type="module" src="/embed.js"></script></body></html>`,
  }));
  await p.goto(`${backend().url}/embed-test`);
  return { p, errors };
}

test('LiveShop.mount renders, updates and destroys; instances are independent', async () => {
  const { p, errors } = await page('<div id="a"></div><div id="b"></div>');
  await p.waitForFunction(() => window.LiveShop?.version === '1');
  await p.evaluate((url) => {
    window.a = LiveShop.mount(document.getElementById('a'), { backend: url, stream: 'demo' });
    window.b = LiveShop.mount(document.getElementById('b'), { backend: url, stream: 'demo', locale: 'fa' });
  }, backend().url);
  await p.locator('#a .pinned .title').waitFor();
  await p.locator('#b .pinned .title').waitFor();
  assert.equal(await p.locator('#a button.buy').textContent(), 'Add to cart');
  assert.equal(await p.locator('#b button.buy').textContent(), 'افزودن به سبد');
  await p.evaluate(() => window.a.update({ backend: location.origin, stream: 'demo', locale: 'ar' }));
  await p.locator('#a button.buy').filter({ hasText: 'أضف إلى السلة' }).waitFor({ timeout: SOON });
  assert.equal(await p.locator('#a .stage').getAttribute('dir'), 'rtl');
  await p.evaluate(() => window.a.destroy());
  assert.equal(await p.locator('#a .stage').count(), 0);
  assert.equal(await p.locator('#b .pinned .title').count(), 1, 'the other instance lives on');
  assert.deepEqual(errors, []);
});

for (const [dir, html] of [['left to right', 'lang="en"'], ['right to left', 'lang="ar" dir="rtl"']]) {
test(`the overlay follows the picture when the player is resized (${dir})`, async () => {
  const { p } = await page(`
    <div id="box" style="width:800px;height:600px;border:7px solid #333;padding:5px;background:#000">
      <live-shop stream="demo" video="#v" style="width:0;height:0"></live-shop>
      <video id="v" src="/media/video/bigbuckbunny.mp4" muted style="width:100%;height:100%;display:block"></video>
    </div>`, undefined, html);
  await p.locator('live-shop .pinned .card').waitFor();
  await p.waitForFunction(() => document.getElementById('v').videoWidth > 0);
  const check = async () => {
    const [stage, video, size] = await Promise.all([
      p.locator('live-shop .stage').boundingBox(),
      p.locator('#v').boundingBox(),
      p.locator('#v').evaluate((v) => [v.videoWidth, v.videoHeight]),
    ]);
    const scale = Math.min(video.width / size[0], video.height / size[1]);
    const want = { width: size[0] * scale, height: size[1] * scale };
    want.x = video.x + (video.width - want.width) / 2;
    want.y = video.y + (video.height - want.height) / 2;
    for (const k of ['x', 'y', 'width', 'height']) {
      assert.ok(Math.abs(stage[k] - want[k]) < 1.5, `${k}: stage ${stage[k]} picture ${want[k]}`);
    }
  };
  await eventually(check);
  // Wide and low: pillar bars, so the picture touches neither side of the element.
  await p.evaluate(() => { const b = document.getElementById('box'); b.style.width = '900px'; b.style.height = '300px'; });
  await eventually(check);
  // Tall and narrow: letterbox bars.
  await p.evaluate(() => { const b = document.getElementById('box'); b.style.width = '360px'; b.style.height = '640px'; });
  await eventually(check);
  await p.setViewportSize({ width: 700, height: 500 });
  await p.evaluate(() => { document.getElementById('box').style.width = '100vw'; });
  await eventually(check);
});
}

test('impressions, clicks, calendar links and the keyboard', async () => {
  // Notes when the pinned card enters the widget's shadow tree: the impression is due a second
  // after it is in view, so never sooner than a second after it exists.
  const watchCard = () => {
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (...args) {
      const root = attach.apply(this, args);
      new MutationObserver(() => {
        if (window.cardAt === undefined && root.querySelector('.pinned .card')) window.cardAt = performance.now();
      }).observe(root, { childList: true, subtree: true });
      return root;
    };
  };
  const { p } = await page('<live-shop stream="demo" style="display:block;width:900px"></live-shop>', undefined, undefined, watchCard);
  await p.evaluate(() => {
    window.signals = [];
    for (const name of ['live-shop:impression', 'live-shop:click', 'live-shop:add-to-cart']) {
      document.addEventListener(name, (e) => window.signals.push({ name, at: performance.now(), id: e.detail.productId ?? e.detail.product?.id }));
    }
  });
  await p.locator('live-shop .pinned .card').waitFor();
  await p.waitForFunction(() => window.signals.some((s) => s.name === 'live-shop:impression'), null, { timeout: SOON });
  const impression = (await p.evaluate(() => window.signals)).find((s) => s.name === 'live-shop:impression');
  const shownAt = await p.evaluate(() => window.cardAt);
  assert.equal(impression.id, 'p05');
  assert.ok(impression.at - shownAt >= 990, `impression ${impression.at - shownAt} ms after the card appeared`);

  // Keyboard: Tab reaches the cart button; Enter adds.
  await p.evaluate(() => { window.signals = []; });
  let focused = '';
  for (let i = 0; i < 10 && focused !== 'Add to cart'; i++) {
    await p.keyboard.press('Tab');
    focused = await p.evaluate(() => document.querySelector('live-shop').shadowRoot.activeElement?.textContent ?? '');
  }
  assert.equal(focused, 'Add to cart');
  await p.keyboard.press('Enter');
  await p.locator('live-shop .pinned button.buy').filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
  assert.deepEqual((await p.evaluate(() => window.signals)).map((s) => s.name), ['live-shop:add-to-cart']);

  // The shelf opens by keyboard and lists the upcoming shows with calendar files.
  await p.locator('live-shop .shelf-toggle').focus();
  await p.keyboard.press('Enter');
  assert.equal(await p.locator('live-shop .shelf-toggle').getAttribute('aria-expanded'), 'true');
  assert.equal(await p.locator('live-shop .shelf-list li').count(), 12);
  const calendar = p.locator('live-shop .upcoming a.calendar').first();
  await calendar.waitFor({ timeout: SOON });
  const href = await calendar.getAttribute('href');
  assert.match(href, /\/v1\/events\/[\w-]+\.ics$/);
  const ics = await (await fetch(href)).text();
  assert.match(ics, /BEGIN:VEVENT[\s\S]*DTSTART:\d{8}T\d{6}Z/);

  await p.locator('live-shop .pinned a.link').click({ modifiers: [] }).catch(() => {});
  await p.waitForFunction(() => window.signals.some((s) => s.name === 'live-shop:click'), null, { timeout: SOON });
});

test('in a right-to-left page the overlay covers the picture of a video narrower than the element', async () => {
  const p = await browser().newPage({ viewport: { width: 1000, height: 700 } });
  // Tall enough for the search panel to stay on the player (shorter ones get a sheet). A margin
  // keeps the video off the element's edge, where a box placed from the right would also land.
  await openPlayerPage(p, backend(), { html: 'lang="fa" dir="rtl"', width: 640, height: 360, css: 'video { margin-inline-start: 60px }' });
  await p.locator('live-shop .pinned .title').waitFor();
  await p.waitForFunction(() => document.querySelector('video').videoWidth > 0);
  const video = await eventually(async () => {
    const [stage, video, host] = await Promise.all(['live-shop .stage', 'video', 'live-shop'].map((s) => p.locator(s).boundingBox()));
    // The video starts at the element's right edge, as right-to-left text does.
    assert.ok(host.width > 900 && Math.abs(video.x + video.width + 60 - (host.x + host.width)) < 1, `video ${JSON.stringify(video)}`);
    for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(stage[k] - video[k]) < 1.5, `${k}: stage ${stage[k]}, video ${video[k]}`);
    return video;
  });
  await p.locator('live-shop button.search-open').click();
  const panel = await p.locator('live-shop .search-panel').boundingBox();
  assert.ok(panel.x >= video.x && panel.x + panel.width <= video.x + video.width + 0.5, `panel ${JSON.stringify(panel)}`);
  await p.close();
});

test('the overlay\'s first load is compressed on the wire and under 150 KB', async () => {
  const p = await browser().newPage();
  const encodings = new Map();
  p.on('response', async (r) => {
    if (/live-shop(_bg\.wasm|\.js)$/.test(r.url())) encodings.set(r.url().split('/').pop(), (await r.allHeaders())['content-encoding']);
  });
  await p.goto(`${backend().url}/`);
  await p.locator('live-shop .pinned .title').waitFor();
  const files = await p.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => /\/(embed\.js|live-shop\.js|live-shop_bg\.wasm|snippets\/.*\.js)$/.test(e.name))
    .map((e) => ({ name: e.name.split('/').pop(), wire: e.encodedBodySize, size: e.decodedBodySize })));
  const wire = files.reduce((sum, f) => sum + f.wire, 0);
  const size = files.reduce((sum, f) => sum + f.size, 0);
  assert.ok(files.some((f) => f.name === 'live-shop_bg.wasm'), JSON.stringify(files));
  assert.ok(encodings.has('live-shop_bg.wasm') && encodings.has('live-shop.js'), JSON.stringify([...encodings]));
  assert.deepEqual([...encodings.values()].filter((e) => e !== 'br' && e !== 'gzip'), [], JSON.stringify([...encodings]));
  assert.ok(wire < 150_000, `${wire} bytes on the wire: ${JSON.stringify(files)}`);
  assert.ok(wire < size / 2, `${wire} of ${size} bytes: not compressed`);
  await p.close();
});
