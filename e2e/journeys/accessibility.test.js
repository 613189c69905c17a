// The widget audited with axe-core (WCAG 2.1 A and AA, and axe's best practices) in each state a
// shopper or a creator meets: the overlay with a banner and a running deal, the products open, visual search
// from its sources (and the camera) to its results, the products sheet on a phone, right to left
// in Arabic, the studio's hotspot editor and live control, and a replay's hotspot card. Only the
// widget is audited, not the demo page around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SOON, useBackend, useBrowser } from '../lib/harness.js';
import { TOKEN } from '../lib/server.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const CACHE = process.env.LIVE_SHOP_CACHE || join(homedir(), '.cache', 'live-shop');
const JACKET = join(CACHE, 'media', 'stamps', 'clothes', 't_jacket.png');

// Chromium's fake camera, for the camera's preview.
const browser = useBrowser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
const backend = useBackend({ search: true });

/**
 * The overlay at its fullest, arranged rather than awaited from the demo show: a campaign
 * banner and a running deal on the pinned product.
 */
async function fullOverlay(backend) {
  await backend.change({ type: 'bannerChanged', banner: { title: 'Fall Deals For You', subtitle: 'Live-only prices, while stock lasts' } });
  const product = (await backend.state()).products.find((p) => p.id === 'p05');
  const offer = product.offers[0];
  const now = Date.now();
  await backend.change({ type: 'flashDealScheduled', deal: {
    id: `audit-${now}`, productId: 'p05', startsAt: now - 1000, endsAt: now + 600_000, stockLimit: 40,
    offer: { ...offer, price: Math.round(offer.price * 70) / 100, originalPrice: offer.price, inventoryLevel: 40 },
  } });
}

/** Axe's violations inside the page's <live-shop> elements, one line each. */
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
    const result = await window.axe.run({ include: [['live-shop']] }, { runOnly: { type: 'tag', values: tags } });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1).join(' ')}`));
  });
}

async function audit(page, state, seen) {
  for (const line of await violations(page)) seen.push(`${state}: ${line}`);
}

test('the overlay, the products, visual search, the studio and a replay pass axe, in English and Arabic', async () => {
  const seen = [];
  await fullOverlay(backend());
  for (const query of ['', '?locale=ar']) {
    const page = await browser().newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${backend().url}/${query}`);
    await page.locator('live-shop .pinned .card').waitFor();
    // The accent is on the buttons and the percent-off badge of the pinned card's deal.
    await page.locator('live-shop .pinned .off').waitFor({ timeout: SOON });
    await page.locator('live-shop .pinned .countdown').waitFor({ timeout: SOON });
    await page.locator('live-shop .banner strong').waitFor({ timeout: SOON });
    await audit(page, `overlay ${query}`, seen);
    await page.locator('live-shop .shelf-toggle').click();
    await page.locator('live-shop .shelf-panel').waitFor();
    await audit(page, `products ${query}`, seen);
    await page.locator('live-shop .shelf-toggle').click();
    await page.locator('live-shop button.search-open').click();
    await page.locator('live-shop .search-panel .sources').waitFor();
    await audit(page, `search ${query}`, seen);
    await page.locator('live-shop .source.camera').click();
    await page.locator('live-shop video.preview').waitFor();
    await audit(page, `camera ${query}`, seen);
    await page.locator('live-shop .camera button.back').click();
    await page.locator('live-shop .search-panel input[type=file]').setInputFiles(JACKET);
    await page.locator('live-shop .crop-photo').waitFor();
    await audit(page, `crop ${query}`, seen);
    await page.locator('live-shop .search-now').click();
    await page.locator('live-shop .results li').first().waitFor({ timeout: 30_000 });
    await audit(page, `results ${query}`, seen);
    await page.close();
  }

  const phone = await browser().newPage({ viewport: { width: 390, height: 844 }, hasTouch: true });
  await phone.goto(backend().url);
  await phone.locator('live-shop .shelf-toggle.icon').waitFor();
  await audit(phone, 'phone', seen);
  await phone.locator('live-shop .shelf-toggle').click();
  await phone.locator('live-shop dialog.shelf-sheet').waitFor();
  await audit(phone, 'phone sheet', seen);
  await phone.close();

  const studio = await browser().newPage({ viewport: { width: 1280, height: 900 } });
  await studio.goto(`${backend().url}/studio`);
  await studio.waitForFunction(() => document.querySelector('live-shop')?.shadowRoot
    ?.querySelector('video.studio-video')?.readyState >= 1);
  await audit(studio, 'studio', seen);
  const picture = await studio.locator('live-shop .studio-picture').boundingBox();
  await studio.mouse.click(picture.x + 0.3 * picture.width, picture.y + 0.4 * picture.height);
  await studio.locator('live-shop .hotspot-editor input.product-search').fill('jacket');
  await studio.locator('live-shop .hotspot-editor .product-results button').first().waitFor();
  await audit(studio, 'studio editor', seen);
  await studio.locator('live-shop [role=tab]').nth(1).click();
  await studio.locator('live-shop .live-panel input.product-search').fill('jacket');
  await studio.locator('live-shop .live-panel .product-results button').first().waitFor();
  await audit(studio, 'studio live', seen);
  await studio.close();

  // A saved hotspot, its card open on the replay.
  const manifest = {
    version: 1, videoId: 'bunny',
    hotspots: [{ id: 'h1', productId: 'p01', start: 0, end: 5, keyframes: [{ t: 0, x: 0.5, y: 0.4 }], cta: 'Shop the look' }],
  };
  const put = await fetch(`${backend().url}/v1/videos/bunny/overlay`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'if-none-match': '*' },
    body: JSON.stringify(manifest),
  });
  assert.ok(put.ok, `saving the manifest: ${put.status}`);
  const replay = await browser().newPage({ viewport: { width: 1280, height: 800 } });
  await replay.goto(`${backend().url}/replay`);
  await replay.waitForFunction(() => document.getElementById('video').readyState >= 1);
  await replay.evaluate(() => { const v = document.getElementById('video'); v.pause(); v.currentTime = 1; });
  await replay.locator('live-shop .hotspot').first().click();
  await replay.locator('live-shop .hotspot-card').waitFor();
  await audit(replay, 'replay', seen);
  await replay.close();
  assert.deepEqual(seen, []);
});
