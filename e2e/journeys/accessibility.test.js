// The widget audited with axe-core (WCAG 2.1 A and AA, and axe's best practices) in each state a
// shopper or a creator meets: the overlay with a running deal, the products open, visual search
// from its sources to its results, the products sheet on a phone, right to left in Arabic, the
// studio and a replay. Only the widget is audited, not the demo page around it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { useBackend, useBrowser } from '../lib/harness.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const CACHE = process.env.LIVE_SHOP_CACHE || join(homedir(), '.cache', 'live-shop');
const JACKET = join(CACHE, 'media', 'stamps', 'clothes', 't_jacket.png');

const browser = useBrowser();
const backend = useBackend({ search: true, demoShow: true });

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

test('the overlay, the products, visual search and the studio pass axe, in English and Arabic', async () => {
  const seen = [];
  for (const query of ['', '?locale=ar']) {
    const page = await browser().newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${backend().url}/${query}`);
    await page.locator('live-shop .pinned .card').waitFor();
    // The accent is on the buttons and the percent-off badge of the pinned card.
    await page.locator('live-shop .pinned .off').waitFor({ timeout: 20_000 });
    await audit(page, `overlay ${query}`, seen);
    await page.locator('live-shop .shelf-toggle').click();
    await page.locator('live-shop .shelf-panel').waitFor();
    await audit(page, `products ${query}`, seen);
    await page.locator('live-shop .shelf-toggle').click();
    await page.locator('live-shop button.search-open').click();
    await page.locator('live-shop .search-panel .sources').waitFor();
    await audit(page, `search ${query}`, seen);
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

  for (const path of ['studio', 'replay']) {
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${backend().url}/${path}`);
    await page.locator(path === 'studio' ? 'live-shop .studio-picture' : 'live-shop .stage').waitFor();
    await audit(page, path, seen);
    await page.close();
  }
  assert.deepEqual(seen, []);
});
