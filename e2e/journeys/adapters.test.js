// Journeys: a shop's own product list served by the reference backend (`--catalog`), and
// add-to-cart going to the shop's own cart (`cart="shopify"`, `cart="woocommerce"`) on the
// page's origin. The shop's endpoints answer here as Shopify's Ajax cart and WooCommerce's
// Store API document; what the widget sends them is checked as it goes over the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOON, useBrowser, withBackend } from '../lib/harness.js';
import { TOKEN, freePort } from '../lib/server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const CACHE = process.env.LIVE_SHOP_CACHE || join(homedir(), '.cache', 'live-shop');
const PHOTO = readFileSync(join(CACHE, 'media', 'stamps', 'clothes', 't_jacket.png'));

const browser = useBrowser();

/** A shop's page on the backend's origin: `<live-shop>` with `attributes`, `script` first. */
async function openShopPage(backend, attributes, script = '') {
  const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The shop's photos live on its CDN, which this closed network cannot reach.
  await page.context().route(/^https:\/\/(cdn\.shopify|shop)\.example\//, (route) => route.fulfill({
    contentType: route.request().url().endsWith('.png') ? 'image/png' : 'text/html',
    body: route.request().url().endsWith('.png') ? PHOTO : '<!doctype html><title>Product page</title>',
  }));
  await page.route(`${backend.url}/shop-page`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><body>${script ? `<script>${script}</script>` : ''}
      <live-shop id="shop" stream="demo" ${attributes}><video src="/media/video/bigbuckbunny.mp4" muted width="640" height="360"></video></live-shop>
      <script type="module" src="/embed.js"></script></body></html>`,
  }));
  const backendPosts = [];
  page.on('request', (r) => { if (r.url().startsWith(`${backend.url}/v1/cart/`)) backendPosts.push(r.url()); });
  await page.goto(`${backend.url}/shop-page`);
  return { page, errors, backendPosts };
}

async function pin(backend, page, id, title) {
  await backend.change({ type: 'offerPinned', product: { id, title: 'x' } });
  await page.locator('live-shop .pinned .title').filter({ hasText: title }).waitFor({ timeout: SOON });
}

const shopifyFlags = ['--catalog', join(FIXTURES, 'shopify-products.json'),
  '--catalog-store', 'https://shop.example', '--catalog-currency', 'EUR'];

test('a Shopify store: its products.json is the shop, and add-to-cart goes to its own Ajax cart', async () => {
  await withBackend({ args: shopifyFlags }, async (backend) => {
    // The backend serves the store's products, with the store's links and cart ids.
    const state = await backend.state();
    assert.deepEqual(state.products.map((p) => [p.id, p.title, p.variantId]),
      [['7301234567890', 'Wool Beanie', '42000000000001'], ['7301234567891', 'Rain Jacket', undefined]]);

    // A store under a market's path says so in Shopify.routes.root, as Shopify themes do.
    const { page, errors, backendPosts } = await openShopPage(backend, 'cart="shopify"',
      "window.Shopify = { routes: { root: '/fr/' } };");
    const adds = [];
    await page.route(`${backend.url}/fr/cart/add.js`, async (route) => {
      const request = route.request();
      adds.push({ method: request.method(), body: request.postDataJSON(), accept: await request.headerValue('accept') });
      if (adds.length === 1) {
        await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ items: [{ id: 42000000000001, quantity: 1, title: 'Wool Beanie' }] }) });
      } else {
        await route.fulfill({ status: 422, contentType: 'application/json',
          body: JSON.stringify({ status: 422, message: 'Cart Error', description: 'All 1 Wool Beanie are in your cart.' }) });
      }
    });
    const updated = page.evaluate(() => new Promise((resolve) => document.getElementById('shop')
      .addEventListener('live-shop:cart-updated', (e) => resolve(e.detail), { once: true })));
    // The page is asked first, and told the store's variant, for a theme with its own cart code.
    const asked = page.evaluate(() => new Promise((resolve) => document.getElementById('shop')
      .addEventListener('live-shop:add-to-cart', (e) => resolve(e.detail.product.variantId), { once: true })));

    await pin(backend, page, '7301234567890', 'Wool Beanie');
    const card = page.locator('live-shop .pinned');
    assert.match(await card.locator('.price').first().textContent(), /19[.,]90/);
    assert.equal(await card.locator('img').first().getAttribute('src'), 'https://cdn.shopify.example/files/beanie.png');
    const button = card.locator('button.buy');
    await button.click();
    await button.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    assert.deepEqual(adds[0], { method: 'POST', body: { items: [{ id: 42000000000001, quantity: 1 }] }, accept: 'application/json' });
    assert.equal(await asked, '42000000000001');
    assert.deepEqual(await updated, { productId: '7301234567890', variantId: '42000000000001', quantity: 1 });

    // The store refuses the next add in its own words, which the shopper reads.
    await button.filter({ hasText: 'Add to cart' }).waitFor({ timeout: SOON });
    await button.click();
    await card.locator('.cart-note').filter({ hasText: 'All 1 Wool Beanie are in your cart.' }).waitFor({ timeout: SOON });
    assert.equal(adds.length, 2, 'a refused add is not retried unasked');

    // A jacket with sizes: the store's page opens to choose one; nothing is added.
    await pin(backend, page, '7301234567891', 'Rain Jacket');
    const opened = page.context().waitForEvent('page');
    await card.locator('button.buy').click();
    const productPage = await opened;
    await productPage.waitForLoadState('domcontentloaded');
    assert.equal(productPage.url(), 'https://shop.example/products/rain-jacket');
    assert.equal(adds.length, 2);
    assert.deepEqual(backendPosts, [], 'the backend\'s reference cart is never used');
    assert.deepEqual(errors, []);
  });
});

test('a WooCommerce shop: the Store API cart gets its nonce first, and its refusals are shown as text', async () => {
  const flags = ['--catalog', join(FIXTURES, 'woocommerce-products.json')];
  await withBackend({ args: flags }, async (backend) => {
    const { page, backendPosts } = await openShopPage(backend, 'cart="woocommerce"');
    const calls = [];
    await page.route(`${backend.url}/wp-json/wc/store/v1/cart`, async (route) => {
      calls.push(['GET cart']);
      await route.fulfill({ contentType: 'application/json', headers: { Nonce: `nonce-${calls.length}` },
        body: JSON.stringify({ items: [], items_count: 0 }) });
    });
    await page.route(`${backend.url}/wp-json/wc/store/v1/cart/add-item`, async (route) => {
      const request = route.request();
      calls.push(['POST add-item', await request.headerValue('nonce'), request.postDataJSON()]);
      if (calls.length === 2) {
        await route.fulfill({ status: 201, contentType: 'application/json', body: JSON.stringify({ items_count: 1 }) });
      } else {
        await route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({
          code: 'woocommerce_rest_cart_product_no_stock',
          message: 'You cannot add &quot;Beanie&quot; to the cart because the product is out of stock.',
          data: { status: 400 } }) });
      }
    });

    await pin(backend, page, '34', 'Beanie – Merino');
    const card = page.locator('live-shop .pinned');
    assert.match(await card.locator('.price').first().textContent(), /\$18\.00/);
    assert.equal(await card.locator('.stock .left').textContent(), '2 left');
    const button = card.locator('button.buy');
    await button.click();
    await button.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    await button.filter({ hasText: 'Add to cart' }).waitFor({ timeout: SOON });
    await button.click();
    await card.locator('.cart-note')
      .filter({ hasText: 'You cannot add "Beanie" to the cart because the product is out of stock.' })
      .waitFor({ timeout: SOON });
    assert.deepEqual(calls, [
      ['GET cart'], ['POST add-item', 'nonce-1', { id: 34, quantity: 1 }],
      ['GET cart'], ['POST add-item', 'nonce-3', { id: 34, quantity: 1 }],
    ]);
    assert.deepEqual(backendPosts, []);
  });
});

test('a replay hotspot\'s product goes to the shop\'s cart as well', async () => {
  await withBackend({ args: shopifyFlags }, async (backend) => {
    const put = await fetch(`${backend.url}/v1/videos/bunny/overlay`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'if-none-match': '*' },
      body: JSON.stringify({ version: 1, videoId: 'bunny', hotspots: [
        { id: 'h1', productId: '7301234567890', start: 0, end: 60, keyframes: [{ t: 0, x: 0.5, y: 0.4 }] }] }),
    });
    assert.equal(put.status, 201);
    const { page, backendPosts } = await openShopPage(backend, 'cart="shopify" video-id="bunny"');
    const adds = [];
    await page.route(`${backend.url}/cart/add.js`, async (route) => {
      adds.push(route.request().postDataJSON());
      await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ items: [] }) });
    });
    await page.locator('live-shop button.hotspot').click({ timeout: 10_000 });
    const card = page.locator('live-shop .hotspot-card');
    await card.locator('.title').filter({ hasText: 'Wool Beanie' }).waitFor();
    await card.locator('button.buy').click();
    await card.locator('button.buy').filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    assert.deepEqual(adds, [{ items: [{ id: 42000000000001, quantity: 1 }] }]);
    assert.deepEqual(backendPosts, []);
  });
});

test('in Arabic, the shop\'s English refusal reads in its own order', async () => {
  await withBackend({ args: shopifyFlags }, async (backend) => {
    const { page } = await openShopPage(backend, 'cart="shopify" locale="ar"');
    await page.route(`${backend.url}/cart/add.js`, (route) => route.fulfill({ status: 422, contentType: 'application/json',
      body: JSON.stringify({ status: 422, message: 'Cart Error', description: 'All 1 Wool Beanie are in your cart.' }) }));
    await pin(backend, page, '7301234567890', 'Wool Beanie');
    await page.locator('live-shop .pinned button.buy').click();
    const note = page.locator('live-shop .pinned .cart-note');
    await note.filter({ hasText: 'All 1 Wool Beanie are in your cart.' }).waitFor({ timeout: SOON });
    // Laid out right to left, the full stop would come first, at the left.
    const [first, stop] = await note.evaluate((element) => [0, element.textContent.length - 1].map((i) => {
      const range = document.createRange();
      range.setStart(element.firstChild, i);
      range.setEnd(element.firstChild, i + 1);
      return range.getBoundingClientRect().left;
    }));
    assert.ok(first < stop, `"A" at ${first}, "." at ${stop}`);
  });
});

test('visual search finds a Shopify store\'s product by its CDN photo, and adds it to the store\'s cart', async () => {
  // The store's CDN, on loopback: the backend fetches the photos from it to index them.
  const photos = {
    'jacket.png': PHOTO,
    'pants.png': readFileSync(join(CACHE, 'media', 'stamps', 'clothes', 't_pants.png')),
  };
  const cdn = createServer((request, response) => {
    const photo = photos[request.url.replace('/files/', '')];
    response.writeHead(photo ? 200 : 404, { 'content-type': 'image/png' });
    response.end(photo);
  });
  const cdnPort = await freePort();
  await new Promise((resolve) => cdn.listen(cdnPort, '127.0.0.1', resolve));
  const product = (id, title, variant, file) => ({ id, title, handle: `p-${id}`, vendor: 'Harbor',
    variants: [{ id: variant, title: 'Default Title', price: '59.00', available: true }],
    images: [{ src: `http://127.0.0.1:${cdnPort}/files/${file}` }] });
  const list = join(tmpdir(), `live-shop-shopify-${process.pid}.json`);
  const index = join(tmpdir(), `live-shop-shopify-index-${process.pid}.json`);
  writeFileSync(list, JSON.stringify({ products: [product(501, 'Harbor Jacket', 9501, 'jacket.png'),
    product(502, 'Harbor Chinos', 9502, 'pants.png')] }));
  try {
    // A CDN on loopback over http is what --fetch-private-photos allows; by default the server
    // fetches photos over https from public addresses only.
    await withBackend({ search: true, args: ['--catalog', list, '--catalog-currency', 'EUR',
      '--catalog-store', 'https://shop.example', '--search-index', index, '--fetch-private-photos'] }, async (backend) => {
      const { page, errors } = await openShopPage(backend, 'cart="shopify"');
      const adds = [];
      await page.route(`${backend.url}/cart/add.js`, async (route) => {
        adds.push(route.request().postDataJSON());
        await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ items: [] }) });
      });
      await page.locator('live-shop button.search-open').click();
      await page.locator('live-shop .search-panel input[type=file]').setInputFiles(
        join(CACHE, 'media', 'stamps', 'clothes', 't_jacket.png'));
      await page.locator('live-shop .search-now').click();
      const first = page.locator('live-shop .results li').first();
      await first.waitFor({ timeout: 30_000 });
      assert.equal(await first.locator('.title').textContent(), 'Harbor Jacket');
      assert.equal(await first.locator('img').first().getAttribute('src'), `http://127.0.0.1:${cdnPort}/files/jacket.png`);
      await first.locator('button.buy').click();
      await first.locator('button.buy.added').waitFor({ timeout: SOON });
      assert.deepEqual(adds, [{ items: [{ id: 9501, quantity: 1 }] }]);
      assert.deepEqual(errors, []);
    });
  } finally {
    cdn.close();
    rmSync(list, { force: true });
    rmSync(index, { force: true });
  }
});
