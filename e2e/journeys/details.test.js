// The promises a page owner relies on: isolation from page CSS, theming, a wrong device clock,
// no cart anywhere, no cookies or storage, the page's language, reduced motion, full screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SOON, eventually, openPlayerPage, useBackend, useBrowser } from '../lib/harness.js';

const browser = useBrowser();
const backend = useBackend();

async function embed(body, { lang = 'en', init } = {}) {
  const page = await browser().newPage({ viewport: { width: 1000, height: 700 } });
  if (init) await page.addInitScript(init);
  await page.route(`${backend().url}/embed-test`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="${lang}"><head><style>
      button, p, span { background: lime !important; font-size: 40px !important; display: inline !important; }
      </style></head><body>${body}<script type="module" src="/embed.js"></script></body></html>`,
  }));
  await page.goto(`${backend().url}/embed-test`);
  return page;
}

test('page CSS cannot reach in; custom properties theme it; the page lang picks the locale', async () => {
  const page = await embed('<live-shop stream="demo" style="display:block;width:900px;--live-shop-accent:rgb(0, 90, 200)"></live-shop>', { lang: 'fa-IR' });
  const buy = page.locator('live-shop .pinned button.buy');
  await buy.waitFor();
  const style = await buy.evaluate((b) => {
    const s = getComputedStyle(b);
    return { background: s.backgroundColor, size: s.fontSize };
  });
  assert.equal(style.background, 'rgb(0, 90, 200)');
  assert.equal(style.size, '14px');
  assert.equal(await buy.textContent(), 'افزودن به سبد');
  assert.equal(await page.locator('live-shop .stage').getAttribute('dir'), 'rtl');
});

test('a device clock five minutes slow still counts down on server time', async () => {
  const page = await embed('<live-shop stream="demo" style="display:block;width:900px"></live-shop>', {
    init: () => { const real = Date.now; Date.now = () => real() - 300_000; },
  });
  await page.locator('live-shop .pinned .card').waitFor();
  const now = Date.now();
  await backend().change({ type: 'flashDealScheduled', deal: {
    id: `clock-${now}`, productId: 'p05', startsAt: now + 20_000, endsAt: now + 80_000,
    offer: { price: 9, priceCurrency: 'EUR', originalPrice: 59 },
  } });
  const time = page.locator('live-shop .pinned .countdown .time');
  await time.filter({ hasText: /Starts in/ }).waitFor({ timeout: SOON });
  const [, m, s] = (await time.textContent()).match(/(\d+):(\d\d)/);
  const seconds = Number(m) * 60 + Number(s);
  // The time left by this machine's clock when read, however long the page took to be told.
  // The offset estimate is good to half a round trip (a slow first request on a busy machine
  // can leave it a fraction of a second behind) and the display rounds up; a 5-minute skew
  // would show about 300 s more.
  const left = (now + 20_000 - Date.now()) / 1000;
  assert.ok(seconds >= left - 2 && seconds <= left + 2, `shows ${seconds} s with ${left.toFixed(1)} s left`);
  await backend().change({ type: 'flashDealEnded', dealId: `clock-${now}`, reason: 'cancelled' });
});

test('without a cart anywhere the product page opens; no cookies, no storage', async () => {
  const page = await embed('<live-shop stream="demo" style="display:block;width:900px"></live-shop>');
  await page.route('**/v1/cart/items', (route) => route.fulfill({ status: 404, contentType: 'application/json',
    body: '{"error":{"code":"not_found","message":"no cart"}}' }));
  await page.locator('live-shop .pinned .card').waitFor();
  const popup = page.waitForEvent('popup', { timeout: SOON });
  await page.locator('live-shop .pinned button.buy').click();
  const opened = await popup;
  assert.match(opened.url(), /\/products\/p05$/);
  await page.locator('live-shop .pinned button.buy').filter({ hasText: 'Add to cart' }).waitFor({ timeout: SOON });
  const kept = await page.evaluate(() => ({
    cookies: document.cookie, local: localStorage.length, session: sessionStorage.length,
  }));
  assert.deepEqual(kept, { cookies: '', local: 0, session: 0 });
  const cookies = await page.context().cookies();
  assert.deepEqual(cookies, []);
});

test('reduced motion turns animations off', async () => {
  const page = await browser().newPage();
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`${backend().url}/`);
  const card = page.locator('live-shop .pinned .card');
  await card.waitFor();
  assert.equal(await card.evaluate((c) => getComputedStyle(c).animationName), 'none');
  const moving = await browser().newPage();
  await moving.goto(`${backend().url}/`);
  await moving.locator('live-shop .pinned .card').waitFor();
  assert.equal(await moving.locator('live-shop .pinned .card').evaluate((c) => getComputedStyle(c).animationName), 'rise');
});

test('in full screen the overlay still covers the picture', async () => {
  const page = await browser().newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`${backend().url}/`);
  await page.locator('live-shop .pinned .card').waitFor();
  await page.waitForFunction(() => document.getElementById('video').videoWidth > 0);
  await page.click('#fullscreen');
  await page.waitForFunction(() => !!document.fullscreenElement);
  // The overlay follows within a few frames; where it settled is checked.
  await eventually(async () => {
    const [stage, size] = await Promise.all([
      page.locator('live-shop .stage').boundingBox(),
      page.locator('#video').evaluate((v) => [v.videoWidth, v.videoHeight]),
    ]);
    const scale = Math.min(1280 / size[0], 720 / size[1]);
    assert.ok(Math.abs(stage.width - size[0] * scale) < 1.5, `width ${stage.width}`);
    // The demo's video shows its own controls, in the bottom 64 px of the screen.
    const top = (720 - size[1] * scale) / 2;
    const bottom = Math.min(top + size[1] * scale, 720 - 64);
    assert.ok(Math.abs(stage.y - top) < 1.5, `y ${stage.y}`);
    assert.ok(Math.abs(stage.height - (bottom - top)) < 1.5, `height ${stage.height}`);
    assert.ok(Math.abs(stage.x - (1280 - size[0] * scale) / 2) < 1.5, `x ${stage.x}`);
  });
});

test('a video inside the page\'s own player box fills the screen too, and the page gets its box back', async () => {
  const page = await browser().newPage({ viewport: { width: 1280, height: 720 } });
  const url = `${backend().url}/skin-page`;
  await page.route(url, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><head><style>
      .skin { width: 480px; height: 270px; padding: 6px; background: #333; }
      .skin video { width: 480px; height: 270px; }
    </style></head><body>
      <live-shop stream="demo"><div class="skin"><video src="/media/video/bigbuckbunny.mp4" muted style="border-radius: 4px; width: 480px"></video></div></live-shop>
      <script type="module" src="/embed.js"></script></body></html>`,
  }));
  await page.goto(url);
  await page.locator('live-shop .pinned .card').waitFor();
  await page.waitForFunction(() => document.querySelector('video').videoWidth > 0);
  const skinBefore = await page.locator('.skin').boundingBox();
  await page.locator('live-shop button.fullscreen').click();
  await page.waitForFunction(() => document.fullscreenElement === document.querySelector('live-shop'));
  await eventually(async () => {
    const [video, stage, size] = await Promise.all([
      page.locator('video').boundingBox(),
      page.locator('live-shop .stage').boundingBox(),
      page.locator('video').evaluate((v) => [v.videoWidth, v.videoHeight]),
    ]);
    assert.deepEqual([video.x, video.y, video.width, video.height], [0, 0, 1280, 720]);
    const scale = Math.min(1280 / size[0], 720 / size[1]);
    assert.ok(Math.abs(stage.width - size[0] * scale) < 1.5 && Math.abs(stage.height - size[1] * scale) < 1.5,
      `the overlay ${JSON.stringify(stage)} over a ${size} picture`);
  });
  await page.locator('live-shop button.fullscreen').click();
  await page.waitForFunction(() => !document.fullscreenElement);
  // The page's own box and sizes, as they were, and the video's own inline style.
  await eventually(async () => {
    const [skinAfter, inline] = await Promise.all([
      page.locator('.skin').boundingBox(),
      page.evaluate(() => [document.querySelector('.skin').style.cssText, document.querySelector('video').style.cssText]),
    ]);
    assert.deepEqual(skinAfter, skinBefore);
    assert.deepEqual(inline, ['', 'border-radius: 4px; width: 480px;']);
    const back = await page.locator('video').boundingBox();
    assert.deepEqual([back.width, back.height], [480, 270]);
  });
  await page.close();
});

test('the overlay\'s own full-screen button takes the player and the overlay full screen, and back', async () => {
  const page = await browser().newPage({ viewport: { width: 1280, height: 720 } });
  await openPlayerPage(page, backend(), { html: 'lang="fa"', width: 480, height: 270 });
  await page.locator('live-shop .pinned .card').waitFor();
  await page.waitForFunction(() => document.querySelector('video').videoWidth > 0);
  const button = page.locator('live-shop button.fullscreen');
  // The video's own full-screen button, which would show it without the overlay, is hidden.
  assert.equal(await page.locator('video').getAttribute('controlslist'), 'nofullscreen');
  assert.equal(await button.getAttribute('aria-label'), 'تمام‌صفحه');
  assert.equal(await button.getAttribute('aria-pressed'), 'false');
  await button.click();
  await page.waitForFunction(() => document.fullscreenElement === document.querySelector('live-shop'));
  // The video fills the screen, letterboxed, and the overlay covers its picture there.
  await eventually(async () => {
    const [stage, size, video] = await Promise.all([
      page.locator('live-shop .stage').boundingBox(),
      page.locator('video').evaluate((v) => [v.videoWidth, v.videoHeight]),
      page.locator('video').boundingBox(),
    ]);
    assert.deepEqual([video.width, video.height], [1280, 720]);
    const scale = Math.min(1280 / size[0], 720 / size[1]);
    assert.ok(Math.abs(stage.width - size[0] * scale) < 1.5, `width ${stage.width}`);
    assert.ok(Math.abs(stage.height - size[1] * scale) < 1.5, `height ${stage.height}`);
  });
  assert.ok(await page.locator('live-shop .pinned .card').isVisible());
  assert.equal(await button.getAttribute('aria-pressed'), 'true');
  assert.equal(await button.getAttribute('aria-label'), 'خروج از تمام‌صفحه');
  await button.click();
  await page.waitForFunction(() => !document.fullscreenElement);
  await page.locator('live-shop button.fullscreen[aria-pressed="false"]').waitFor();
  await eventually(async () => {
    const back = await page.locator('live-shop .stage').boundingBox();
    assert.ok(Math.abs(back.width - 480) < 1.5, `back to the page's player: ${back.width}`);
  });
  // Without the widget the video is the page's again, its own button back.
  const list = await page.evaluate(async () => {
    const video = document.querySelector('video');
    document.body.append(video);
    document.querySelector('live-shop').remove();
    await new Promise((r) => setTimeout(r, 100));
    return video.getAttribute('controlslist');
  });
  assert.equal(list, null);
  await page.close();
});
