// Journeys against a cluster (scripts/cluster.sh): three instances of the reference backend
// sharing PostgreSQL and a Redis bus, behind haproxy. Pages on different instances see one show
// and share one stock; a viewer whose instance dies resumes on another with nothing missed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ON_CLUSTER, SOON, useBrowser } from '../lib/harness.js';
import { withCluster } from '../lib/cluster.js';

const browser = useBrowser();
// These start clusters of their own: the run against one backend has them once.
const once = { skip: ON_CLUSTER && 'run with the journeys against one backend' };

/**
 * A page of the demo at `endpoint`, recording the ids of the live events it receives, and in
 * `page.streams` the responses that opened its event streams, in order.
 */
async function open(endpoint, query = '') {
  const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
  page.streams = [];
  page.on('response', (r) => { if (new URL(r.url()).pathname === '/v1/streams/demo/events') page.streams.push(r); });
  await page.addInitScript(() => {
    window.liveIds = [];
    window.liveDrops = 0;
    const Native = window.EventSource;
    window.EventSource = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => window.liveIds.push(e.lastEventId));
        this.addEventListener('snapshot', (e) => window.liveIds.push(`snapshot ${e.lastEventId}`));
        this.addEventListener('error', () => { window.liveDrops += 1; });
      }
    };
  });
  await page.goto(`${endpoint.url}/${query}`);
  return page;
}

test('pages on different instances see a deal posted on a third, and share its units', once, async () => {
  await withCluster(async (cluster) => {
    const [a, b, c] = cluster.instances;
    const first = await open(a, '?cart=backend');
    const second = await open(b, '?cart=backend');
    await c.change({ type: 'offerPinned', product: { id: 'p01', title: 'x' } });
    const product = (await c.state()).products.find((p) => p.id === 'p01');
    for (const page of [first, second]) {
      await page.locator('live-shop .pinned .title').filter({ hasText: product.title }).waitFor({ timeout: SOON });
    }
    const offer = product.offers[0];
    const price = Math.round(offer.price * 50) / 100;
    const now = Date.now();
    await c.change({ type: 'flashDealScheduled', deal: {
      id: 'cluster-deal', productId: 'p01', startsAt: now + 1500, endsAt: now + 120_000, status: 'scheduled',
      offer: { price, priceCurrency: offer.priceCurrency, originalPrice: offer.price, availability: 'InStock', inventoryLevel: 2 },
      stockLimit: 2, limitPerShopper: 1 } });
    // Every instance timed the deal; it started once.
    for (const page of [first, second]) {
      await page.locator('live-shop .pinned .left').filter({ hasText: '2 left' }).waitFor({ timeout: SOON });
    }
    const buy = (page) => page.locator('live-shop .pinned button.buy');
    await buy(first).click();
    await buy(first).filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    await second.locator('live-shop .pinned .left').filter({ hasText: '1 left' }).waitFor({ timeout: SOON });
    await buy(second).click();
    await buy(second).filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    for (const page of [first, second]) {
      await page.locator('live-shop .pinned').filter({ hasText: 'Deal ended' }).waitFor({ timeout: SOON });
    }
    const events = (await a.state()).seq;
    for (const endpoint of [b, c]) assert.equal((await endpoint.state()).seq, events);
    const deal = (await b.state()).flashDeals.find((d) => d.id === 'cluster-deal');
    assert.equal(deal.endReason, 'soldOut');
    await first.close();
    await second.close();
  });
});

test('a viewer whose instance is killed resumes on another through the proxy, with nothing missed or twice', once, async (t) => {
  await withCluster(async (cluster) => {
    const page = await open(cluster.proxy);
    // The proxy names the instance behind each of the page's event streams.
    const { streams } = page;
    await page.locator('live-shop').waitFor({ state: 'attached' });
    const banner = (title) => ({ type: 'bannerChanged', banner: { title } });
    await cluster.proxy.change(banner('Round 0'));
    await page.locator('live-shop .banner strong').filter({ hasText: 'Round 0' }).waitFor({ timeout: 10_000 });
    assert.ok(streams.length > 0, 'the page has no event stream');
    const holder = await cluster.servedBy(streams.at(-1));
    const opened = streams.length;
    // The instance that holds the page's stream dies mid-show, while the producer keeps posting
    // on another.
    const producer = cluster.instances[(holder + 1) % cluster.instances.length];
    const posting = (async () => {
      for (let n = 1; n <= 20; n++) {
        await producer.change(banner(`Round ${n}`));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    cluster.kill(holder);
    await posting;
    await page.locator('live-shop .banner strong').filter({ hasText: 'Round 20' }).waitFor({ timeout: 20_000 });
    const ids = await page.evaluate(() => window.liveIds);
    assert.ok(await page.evaluate(() => window.liveDrops) > 0, `the page did not lose instance ${holder + 1}`);
    assert.ok(streams.length > opened, 'the page opened no new stream');
    const resumedOn = await cluster.servedBy(streams.at(-1));
    assert.notEqual(resumedOn, holder, 'resumed on the instance that died');
    t.diagnostic(`the stream was on instance ${holder + 1}, killed; resumed on instance ${resumedOn + 1}`);
    const [opening, ...live] = ids;
    assert.match(opening, /^snapshot /, 'the page opens with the state');
    assert.ok(!live.some((id) => id.startsWith('snapshot')), `resumed by replay, not by a new state: ${ids}`);
    const seqs = [Number(opening.split('.').pop()), ...live.map((id) => Number(id.split('.').pop()))];
    for (let i = 1; i < seqs.length; i++) {
      assert.equal(seqs[i], seqs[i - 1] + 1, `events in order with none missed or twice: ${ids}`);
    }
    assert.equal(seqs.at(-1), (await producer.state()).seq);
    await page.close();
  });
});
