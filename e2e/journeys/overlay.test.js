// Journeys through the demo page in real Chromium against the real reference backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOON, eventually, openPlayerPage, useBrowser, withBackend } from '../lib/harness.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const browser = useBrowser();

async function open(backend, query = '') {
  const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${backend.url}/${query}`);
  return { page, errors };
}

/** Pins a shelf product and waits until the widget shows it. */
async function pin(backend, page, productId) {
  await backend.change({ type: 'offerPinned', product: { id: productId, title: 'x' } });
  const state = await backend.state();
  const product = state.products.find((p) => p.id === productId);
  await page.locator('live-shop .pinned .title').filter({ hasText: product.title }).waitFor({ timeout: SOON });
  return product;
}

test('the demo show pins a deal with its price over the video', async () => {
  await withBackend({ demoShow: true }, async (backend) => {
    const { page, errors } = await open(backend);
    const card = page.locator('live-shop .pinned .card');
    await card.waitFor({ timeout: 10_000 });
    // The show moves on by itself: the card shows what the show has pinned at that moment.
    await eventually(async () => {
      const state = await backend.state();
      const pinned = state.products.find((p) => p.id === state.pinned);
      assert.equal(await card.locator('.title').textContent(), pinned.title);
    });
    assert.match(await card.locator('.price').textContent(), /\d/);
    assert.equal(await page.locator('live-shop .banner strong').textContent(), 'Fall Deals For You');
    // The overlay covers the video's picture, not its letterbox bars, and leaves the video's
    // own controls (the bottom 64 px of the element in Chromium) free to use.
    const video = await page.locator('#video').boundingBox();
    const size = await page.locator('#video').evaluate((v) => [v.videoWidth, v.videoHeight]);
    const pictureHeight = video.width * size[1] / size[0];
    const pictureTop = video.y + (video.height - pictureHeight) / 2;
    const controlsTop = video.y + video.height - 64;
    assert.ok(pictureTop + pictureHeight > controlsTop + 10, 'the controls reach into the picture');
    const stage = await page.locator('live-shop .stage').boundingBox();
    assert.ok(Math.abs(stage.width - video.width) < 1.5, `stage ${stage.width} video ${video.width}`);
    assert.ok(Math.abs(stage.y - pictureTop) < 1.5);
    assert.ok(Math.abs(stage.y + stage.height - controlsTop) < 1.5, `stage ends at ${stage.y + stage.height}, controls start at ${controlsTop}`);
    for (const part of ['live-shop .pinned .card', 'live-shop .shelf-toggle']) {
      const box = await page.locator(part).boundingBox();
      assert.ok(box.y + box.height <= controlsTop, `${part} ends at ${box.y + box.height}, over the controls`);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png') });
    // Without controls the whole picture is the stage.
    await page.locator('#video').evaluate((v) => { v.controls = false; });
    await page.waitForFunction((want) => Math.abs(document.querySelector('live-shop').shadowRoot
      .querySelector('.stage').getBoundingClientRect().height - want) < 1.5, pictureHeight, { timeout: SOON });
    assert.deepEqual(errors, []);
  });
});

test('a price change is pushed by the server: shown without the page asking for the state', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend);
    const product = await pin(backend, page, 'p05');
    // Pushed over the event stream: no request for the whole state after the change. (How fast
    // it arrives is the load benchmark's figure, not a journey's.)
    const stateReads = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/v1/streams/demo/state') stateReads.push(r.url()); });
    await backend.change({ type: 'priceChanged', productId: 'p05', price: 7.77,
      originalPrice: product.offers[0].price });
    await page.locator('live-shop .pinned .price').filter({ hasText: '7.77' }).waitFor({ timeout: SOON });
    assert.deepEqual(stateReads, [], 'the change was fetched, not pushed');
    assert.match(await page.locator('live-shop .pinned .off').textContent(), /-\d+%/);
    // Screen readers hear it, politely.
    await page.waitForFunction(() => document.querySelector('live-shop').shadowRoot
      .querySelector('[aria-live=polite]').textContent.includes('7.77'), null, { timeout: SOON });
  });
});

/** The seconds a countdown shows ("Ends in 0:42" is 42). */
async function shownSeconds(time) {
  const [, m, s] = (await time.textContent()).match(/(\d+):(\d\d)/);
  return Number(m) * 60 + Number(s);
}

test('a flash deal counts down to its start and then to its end', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend);
    const product = await pin(backend, page, 'p09');
    const now = Date.now();
    const startsAt = now + 8000;
    const endsAt = now + 68_000;
    await backend.change({ type: 'flashDealScheduled', deal: {
      id: 'journey-deal', productId: 'p09', startsAt, endsAt, stockLimit: 20,
      offer: { ...product.offers[0], price: 1.5, originalPrice: product.offers[0].price, inventoryLevel: 20 },
    } });
    // What each countdown shows is held to the time left by this machine's clock, whenever the
    // page got the deal: a display rounds up, and the page's clock is the server's to a round trip.
    const time = page.locator('live-shop .pinned .countdown .time');
    const near = async (to) => {
      const shown = await shownSeconds(time);
      const left = (to - Date.now()) / 1000;
      assert.ok(shown >= left - 1.5 && shown <= left + 2, `shows ${shown} s with ${left.toFixed(1)} s left`);
      return shown;
    };
    await time.filter({ hasText: /Starts in/ }).waitFor({ timeout: SOON });
    await near(startsAt);
    await time.filter({ hasText: /Ends in/ }).waitFor({ timeout: SOON });
    const first = await eventually(() => near(endsAt));
    await page.waitForTimeout(2100);
    const second = await eventually(() => near(endsAt));
    assert.ok(second < first, `${first} then ${second}`);
    assert.equal(await page.locator('live-shop .pinned .stock .left').textContent(), '20 left');
    await backend.change({ type: 'stockChanged', productId: 'p09', inventoryLevel: 4, availability: 'LimitedAvailability' });
    await page.locator('live-shop .pinned .stock .left').filter({ hasText: '4 left' }).waitFor({ timeout: SOON });
  });
});

test('add to cart fires the event and shows the page\'s answer', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend);
    await pin(backend, page, 'p01');
    const fired = page.evaluate(() => new Promise((resolve) => {
      document.getElementById('shop').addEventListener('live-shop:add-to-cart',
        (e) => resolve({ id: e.detail.product.id, quantity: e.detail.quantity, key: e.detail.idempotencyKey,
          cancelable: e.cancelable, composed: e.composed }), { once: true });
    }));
    const button = page.locator('live-shop .pinned button.buy');
    await button.click();
    const detail = await fired;
    assert.equal(detail.id, 'p01');
    assert.equal(detail.quantity, 1);
    assert.ok(detail.cancelable && detail.composed);
    assert.match(detail.key, /^[0-9a-f-]{36}$/);
    await button.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    assert.equal(await page.locator('live-shop .pinned .cart-note').textContent(),
      'Harbor Wool Jacket is in your bag (1)');
  });
});

test('a refused add can be retried; unanswered adds go to the backend cart once', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend, '?cart=reject');
    await pin(backend, page, 'p01');
    const button = page.locator('live-shop .pinned button.buy');
    const keys = [];
    await page.exposeFunction('recordKey', (k) => keys.push(k));
    await page.evaluate(() => document.getElementById('shop').addEventListener('live-shop:add-to-cart',
      (e) => window.recordKey(e.detail.idempotencyKey)));
    await button.click();
    await button.filter({ hasText: "Couldn't add. Retry" }).waitFor({ timeout: SOON });
    assert.equal(await page.locator('live-shop .pinned .cart-note').textContent(), 'The bag is full');
    await button.click();
    await button.filter({ hasText: "Couldn't add" }).waitFor({ timeout: SOON });
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1], 'a retry reuses its idempotency key');

    // Nobody answers: the reference cart takes it, one request with an Idempotency-Key.
    const posts = [];
    page.on('request', (r) => { if (r.url().endsWith('/v1/cart/items') && r.method() === 'POST') posts.push(r); });
    await page.goto(`${backend.url}/?cart=backend`);
    await page.locator('live-shop .pinned .card').waitFor();
    const fresh = page.locator('live-shop .pinned button.buy');
    await fresh.dblclick();
    await fresh.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    assert.equal(posts.length, 1);
    const body = JSON.parse(posts[0].postData());
    assert.equal(body.productId, 'p01');
    assert.equal(body.quantity, 1);
    assert.match(await posts[0].headerValue('idempotency-key'), /^[0-9a-f-]{36}$/);
  });
});

test('each page session has its own cart; a flash deal holds to its limit per shopper', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend, '?cart=backend');
    const product = await pin(backend, page, 'p01');
    const offer = product.offers[0];
    const price = Math.round(offer.price * 50) / 100;
    const now = Date.now();
    await backend.change({ type: 'flashDealScheduled', deal: {
      id: 'journey-deal', productId: 'p01', startsAt: now - 1000, endsAt: now + 120_000, status: 'scheduled',
      offer: { price, priceCurrency: offer.priceCurrency, originalPrice: offer.price, availability: 'InStock', inventoryLevel: 2 },
      stockLimit: 2, limitPerShopper: 1 } });
    await page.locator('live-shop .pinned .left').filter({ hasText: '2 left' }).waitFor({ timeout: SOON });

    const posts = [];
    const answers = [];
    page.on('request', (r) => { if (r.url().endsWith('/v1/cart/items') && r.method() === 'POST') posts.push(r); });
    page.on('response', async (r) => {
      if (r.url().endsWith('/v1/cart/items')) answers.push(await r.json());
    });
    const button = page.locator('live-shop .pinned button.buy');
    await button.click();
    await button.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    // Every viewer sees the unit go.
    await page.locator('live-shop .pinned .left').filter({ hasText: '1 left' }).waitFor({ timeout: SOON });
    assert.equal(await posts[0].headerValue('cart-token'), null, 'a new session has no cart yet');
    assert.equal(JSON.parse(posts[0].postData()).offer.price, String(price));
    const token = answers[0].cartToken;
    assert.match(token, /^[0-9a-f]{32}$/);

    // The same shopper again: the same cart, which holds this deal's limit.
    await button.filter({ hasText: 'Add to cart' }).waitFor({ timeout: SOON });
    await button.click();
    await page.locator('live-shop .pinned .cart-note').filter({ hasText: 'Deal limit reached.' }).waitFor({ timeout: SOON });
    // A refusal is no failure to retry: pressing again would be a new add, refused alike.
    assert.equal(await button.textContent(), 'Add to cart');
    assert.equal(await posts[1].headerValue('cart-token'), token);
    assert.equal(answers[1].error.code, 'limit_reached');

    // Another page session is another shopper, with a cart of its own: it takes the last unit.
    const other = await open(backend, '?cart=backend');
    const otherPosts = [];
    other.page.on('request', (r) => { if (r.url().endsWith('/v1/cart/items') && r.method() === 'POST') otherPosts.push(r); });
    const otherButton = other.page.locator('live-shop .pinned button.buy');
    await other.page.locator('live-shop .pinned .left').filter({ hasText: '1 left' }).waitFor({ timeout: SOON });
    await otherButton.click();
    await otherButton.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    assert.equal(await otherPosts[0].headerValue('cart-token'), null);
    // Both pages are told at once that the deal is over: it sold out.
    for (const p of [page, other.page]) {
      await p.locator('live-shop .pinned').filter({ hasText: 'Deal ended' }).waitFor({ timeout: SOON });
    }
    const deal = (await backend.state()).flashDeals.find((d) => d.id === 'journey-deal');
    assert.equal(deal.endReason, 'soldOut');
    await other.page.close();
  });
});

test('when the backend stops the widget says so, and recovers without a reload', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend);
    await pin(backend, page, 'p05');
    await page.evaluate(() => { window.notReloaded = true; });
    await backend.stop();
    await page.locator('live-shop .reconnecting').waitFor({ timeout: SOON });
    assert.equal(await page.locator('live-shop .reconnecting').textContent(), 'Reconnecting…');
    await backend.start();
    await page.locator('live-shop .reconnecting').waitFor({ state: 'detached', timeout: 20_000 });
    // The restarted server is a new epoch: the widget takes its state, then its events.
    await pin(backend, page, 'p09');
    assert.equal(await page.evaluate(() => window.notReloaded), true);
  });
});

test('locale="ar" renders right to left with Arabic digits', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend, '?locale=ar');
    await pin(backend, page, 'p05');
    const stage = page.locator('live-shop .stage');
    assert.equal(await stage.getAttribute('dir'), 'rtl');
    assert.equal(await stage.getAttribute('lang'), 'ar');
    const price = await page.locator('live-shop .pinned .price').textContent();
    assert.match(price, /[٠-٩]/, price);
    assert.doesNotMatch(price, /[0-9]/, price);
    assert.equal(await page.locator('live-shop .pinned button.buy').textContent(), 'أضف إلى السلة');
    // Mirrored: the pinned card sits at the inline start, which is the right.
    const card = await page.locator('live-shop .pinned').boundingBox();
    const shelf = await page.locator('live-shop .shelf-toggle').boundingBox();
    assert.ok(card.x > shelf.x, `card at ${card.x}, shelf toggle at ${shelf.x}`);
    await page.screenshot({ path: join(ARTIFACTS, 'rtl-ar.png') });
  });
});

/** Where the pinned title's characters at `indices` are drawn, and the title's own box. */
const titleGlyphs = (page, indices) => page.locator('live-shop').evaluate((host, indices) => {
  const title = host.shadowRoot.querySelector('.pinned .title');
  const at = (i) => {
    const range = document.createRange();
    range.setStart(title.firstChild, i);
    range.setEnd(title.firstChild, i + 1);
    const r = range.getBoundingClientRect();
    return { left: r.left, right: r.right };
  };
  const box = title.getBoundingClientRect();
  return { glyphs: indices.map(at), box: { left: box.left, right: box.right }, cut: title.scrollWidth > title.clientWidth };
}, indices);

test('in Arabic, a Latin product title reads left to right, in its own order, and is cut at its end', async () => {
  await withBackend({}, async (backend) => {
    // "35 mm Film Camera": laid out right to left, it would read "mm Film Camera 35".
    const { page } = await open(backend, '?locale=ar');
    await pin(backend, page, 'p44');
    const { glyphs: [three, film, last], box } = await titleGlyphs(page, [0, 6, 16]);
    assert.ok(three.right <= film.left && film.right <= last.left, `"3" at ${three.left}, "F" at ${film.left}, "a" at ${last.left}`);
    // Still aligned as Arabic reads: against the card's right.
    assert.ok(box.right - last.right < 1.5, `the title ends at ${last.right}, its box at ${box.right}`);
    await page.close();

    // On a phone the compact card cuts a long title: its beginning stays in view.
    const phone = await browser().newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.goto(`${backend.url}/?locale=ar`);
    await pin(backend, phone, 'p05');
    const cut = await titleGlyphs(phone, [0]);
    assert.ok(cut.cut, 'the title fits: nothing to check');
    assert.ok(cut.glyphs[0].left >= cut.box.left - 0.5 && cut.glyphs[0].right <= cut.box.right + 0.5,
      `"O" at ${JSON.stringify(cut.glyphs[0])}, the title at ${JSON.stringify(cut.box)}`);
    await phone.close();
  });
});

test('hostile data shows as text and never breaks the widget', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const evil = {
      streamId: 'evil', epoch: 'x', seq: 1, serverTime: Date.now(), live: 'yes', pinned: 'bad',
      banner: { title: '<script>window.pwned=1</script>Banner' },
      products: [
        { id: 'bad', title: '<img src=x onerror="window.pwned=1">Evil <b>bold</b>',
          brand: 42, images: ['javascript:alert(1)', 'data:image/png;base64,AAAA'], url: 'javascript:alert(1)',
          offers: [{ price: '19.99', priceCurrency: 'eur', availability: 'Teleporting', inventoryLevel: -3 }] },
        { id: 'absurd', title: 'Absurd', offers: [{ price: 1e300, priceCurrency: 'USD' }] },
        { id: 'nan', title: 'NaN', offers: [{ price: 'NaN', priceCurrency: 'USD' }] },
        { title: 'no id' },
        'not even an object',
      ],
      flashDeals: [{ id: 'd', productId: 'bad', offer: null }],
    };
    await page.route('**/v1/streams/evil/state', (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: JSON.stringify(evil) }));
    await page.route('**/v1/streams/evil/events*', (route) => route.fulfill({
      status: 200, contentType: 'text/event-stream', body: 'data: {"type":"priceChanged","seq":"x"}\n\ndata: <html>\n\n' }));
    await page.goto(`${backend.url}/static-does-not-matter`);
    await page.setContent(`<!doctype html><html lang="en"><body>
      <live-shop backend="${backend.url}" stream="evil" style="display:block;width:640px;height:360px"></live-shop>
      <script type="module" src="${backend.url}/embed.js"></script></body></html>`);
    const title = page.locator('live-shop .pinned .title');
    await title.waitFor({ timeout: 10_000 });
    assert.equal(await title.textContent(), '<img src=x onerror="window.pwned=1">Evil <b>bold</b>');
    assert.equal(await page.locator('live-shop .pinned .title img, live-shop .pinned .title b').count(), 0);
    assert.equal(await page.locator('live-shop .banner strong').textContent(), '<script>window.pwned=1</script>Banner');
    assert.equal(await page.locator('live-shop .pinned a.link').count(), 0, 'javascript: link was dropped');
    assert.equal(await page.locator('live-shop .pinned img').count(), 0, 'unsafe images were dropped');
    assert.equal(await page.locator('live-shop .pinned .price').textContent(), '€19.99');
    await page.locator('live-shop .shelf-toggle').click();
    assert.equal(await page.locator('live-shop .shelf-list li').count(), 1, 'only the showable product');
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.deepEqual(errors, []);
  });
});

/** Starts a flash deal on `product` (pinned) now, for a minute. */
async function runFlashDeal(backend, product) {
  const now = Date.now();
  await backend.change({ type: 'flashDealScheduled', deal: {
    id: `phone-${now}`, productId: product.id, startsAt: now - 1000, endsAt: now + 60_000, stockLimit: 20,
    offer: { ...product.offers[0], price: 1.5, originalPrice: product.offers[0].price, inventoryLevel: 20 },
  } });
}

/** In the shadow root: the focused element's class. */
const focusedClass = (page) => page.locator('live-shop').evaluate((host) => host.shadowRoot.activeElement?.className ?? null);

test('on a phone, a 16:9 picture holds the whole flash deal and the products button, and the products open as a sheet over the page', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${backend.url}/`);
    // Nothing pinned yet: the products button is at the end of the row all the same.
    const ends = () => page.locator('live-shop').evaluate((host) => {
      const root = host.shadowRoot;
      const [stage, toggle] = ['.stage', '.shelf-toggle'].map((s) => root.querySelector(s).getBoundingClientRect());
      return [Math.round(stage.right - toggle.right), Math.round(toggle.left - stage.left)];
    });
    await page.locator('live-shop .shelf-toggle').waitFor();
    const [fromEnd] = await ends();
    assert.ok(fromEnd <= 8, `the products button is ${fromEnd} px from the picture's end`);
    const product = await pin(backend, page, 'p09');
    await runFlashDeal(backend, product);
    await page.locator('live-shop .pinned .countdown .time').filter({ hasText: /Ends in/ }).waitFor({ timeout: SOON });
    await page.locator('live-shop .pinned .stock .left').waitFor();
    // At rest: the card rises into place as it appears.
    await page.locator('live-shop .pinned .card').evaluate((card) => Promise.all(card.getAnimations().map((a) => a.finished)));
    // A tap at the middle of each control lands on it: none is cut off at the picture's edge.
    const controls = await page.locator('live-shop').evaluate((host) => {
      const root = host.shadowRoot;
      const stage = root.querySelector('.stage');
      const s = stage.getBoundingClientRect();
      return {
        height: s.height,
        scrolled: stage.scrollTop,
        overflow: stage.scrollHeight - stage.clientHeight,
        controls: ['.pinned .buy', '.pinned .countdown', '.pinned .stock', '.shelf-toggle', '.search-open'].map((selector) => {
          const r = root.querySelector(selector).getBoundingClientRect();
          const hit = root.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
          return { selector, inside: r.top >= s.top - 0.5 && r.bottom <= s.bottom + 0.5 && r.left >= s.left - 0.5 && r.right <= s.right + 0.5,
            reached: !!hit && root.querySelector(selector).contains(hit) };
        }),
      };
    });
    const detail = JSON.stringify(controls);
    assert.ok(controls.height < 320, `the demo's picture is short on a phone: ${detail}`);
    assert.equal(controls.scrolled, 0, detail);
    assert.ok(controls.overflow <= 1, `the overlay runs past the picture: ${detail}`);
    for (const c of controls.controls) assert.ok(c.inside && c.reached, `${c.selector} cannot be tapped: ${detail}`);

    const toggle = page.locator('live-shop .shelf-toggle');
    assert.equal(await toggle.getAttribute('aria-label'), 'Products, 12');
    const tap = async (locator) => {
      const box = await locator.boundingBox();
      await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    };
    await tap(toggle);
    const sheet = page.locator('live-shop dialog.shelf-sheet');
    await sheet.locator('.upcoming li').first().waitFor();
    const seen = await sheet.evaluate((dialog) => {
      const box = (el) => el.getBoundingClientRect().toJSON();
      const list = dialog.querySelector('.sheet-list').getBoundingClientRect();
      const shown = [...dialog.querySelectorAll('.shelf-list > li')].filter((li) => {
        const r = li.getBoundingClientRect();
        return r.top >= list.top - 0.5 && r.bottom <= list.bottom + 0.5;
      });
      return { modal: dialog.matches(':modal'), sheet: box(dialog), viewport: [innerWidth, innerHeight], shown: shown.length };
    });
    const sheetDetail = JSON.stringify(seen);
    assert.ok(seen.modal, sheetDetail);
    // Across the bottom of the screen, well over half of it, with several products whole.
    assert.ok(Math.abs(seen.sheet.bottom - seen.viewport[1]) <= 1 && seen.sheet.width === seen.viewport[0], sheetDetail);
    assert.ok(seen.sheet.height >= seen.viewport[1] * 0.6, sheetDetail);
    assert.ok(seen.shown >= 3, sheetDetail);
    // Its products go to the cart like the pinned card's.
    const shirt = sheet.locator('.shelf-list > li').filter({ hasText: 'Oxford Button-Down Shirt' });
    await shirt.locator('button.buy').click();
    await shirt.locator('.cart-note').filter({ hasText: 'Oxford Button-Down Shirt is in your bag (1)' }).waitFor({ timeout: SOON });
    // The upcoming shows at its end scroll into view inside it.
    await sheet.locator('.sheet-list').evaluate((list) => { list.scrollTop = list.scrollHeight; });
    const last = await sheet.evaluate((dialog) => {
      const items = dialog.querySelectorAll('li');
      const r = items[items.length - 1].getBoundingClientRect();
      const d = dialog.getBoundingClientRect();
      return r.top >= d.top - 0.5 && r.bottom <= d.bottom + 0.5;
    });
    assert.ok(last, 'the last upcoming show is cut off');
    // Escape closes it, and focus is back on the button that opened it.
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    assert.match(await focusedClass(page), /shelf-toggle/);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    // So does a tap beside it, or its close button.
    await tap(toggle);
    await sheet.waitFor();
    await page.touchscreen.tap(195, 40);
    await sheet.waitFor({ state: 'detached' });
    await tap(toggle);
    await tap(sheet.locator('.close'));
    await sheet.waitFor({ state: 'detached' });
    assert.match(await focusedClass(page), /shelf-toggle/);

    // Right to left in Arabic: the products button at the left, the sheet's close button too.
    await page.goto(`${backend.url}/?locale=ar`);
    await page.locator('live-shop .pinned .countdown').waitFor();
    const [, fromLeft] = await ends();
    assert.ok(fromLeft <= 8, `the products button is ${fromLeft} px from the picture's left`);
    await tap(toggle);
    await sheet.waitFor();
    const [heading, close] = await Promise.all([sheet.locator('h2').boundingBox(), sheet.locator('.close').boundingBox()]);
    assert.equal(await sheet.locator('h2').textContent(), 'المنتجات (١٢)');
    assert.ok(close.x + close.width < heading.x, `close ${JSON.stringify(close)} heading ${JSON.stringify(heading)}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});

test('a video with its own controls keeps them free where the overlay has room, and not on a phone', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage({ viewport: { width: 800, height: 700 } });
    // The tallest card: a product with a running deal, its countdown and stock.
    await openPlayerPage(page, backend, { width: 640, height: 360 });
    await runFlashDeal(backend, await pin(backend, page, 'p09'));
    const measure = () => page.locator('live-shop').evaluate((host) => {
      const root = host.shadowRoot;
      const box = (s) => root.querySelector(s).getBoundingClientRect();
      const video = host.querySelector('video').getBoundingClientRect();
      return { stage: box('.stage'), card: box('.pinned .card'), toggle: box('.shelf-toggle'), video,
        short: root.querySelector('.stage').classList.contains('short') };
    });
    for (const [width, height, reserved] of [[640, 360, true], [390, 219, false]]) {
      await openPlayerPage(page, backend, { width, height });
      await page.locator('live-shop .pinned .card').waitFor();
      await page.waitForFunction(() => document.querySelector('video').videoWidth > 0);
      await page.locator('live-shop .pinned .countdown').waitFor();
      await page.locator('video').evaluate((v) => { v.controls = true; });
      // The layout follows the controls within a few frames; what it settled on is checked.
      await eventually(async () => {
        const m = await measure();
        const detail = JSON.stringify(m);
        if (reserved) {
          // 360 px less Chromium's 64 px of controls: the short layout, clear of the controls.
          assert.ok(Math.abs(m.stage.height - 296) < 1.5 && m.short, detail);
          for (const part of [m.card, m.toggle]) assert.ok(part.bottom <= m.video.bottom - 64 + 0.5, detail);
        } else {
          // 219 px cannot hold both: the overlay keeps the whole picture, card and button in it.
          assert.ok(Math.abs(m.stage.height - 219) < 1.5, detail);
          for (const part of [m.card, m.toggle]) assert.ok(part.bottom <= m.stage.bottom + 0.5, detail);
        }
      });
    }
  });
});

test('on a phone with a picture tall enough for the shelf in it, the open shelf ends inside the picture and loads the upcoming shows once', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage({ viewport: { width: 390, height: 844 } });
    // A 16:9 video cropped to fill a 390 × 380 box: a regular layout, though a small one.
    const eventLoads = [];
    page.on('request', (r) => { if (new URL(r.url()).pathname === '/v1/events') eventLoads.push(r.url()); });
    await openPlayerPage(page, backend, { width: 390, height: 380, fit: 'cover' });
    await pin(backend, page, 'p05');
    assert.equal(await page.locator('live-shop .stage.short').count(), 0);
    await page.locator('live-shop .shelf-toggle').click();
    const panel = page.locator('live-shop .shelf-panel');
    await panel.locator('.shelf-list li').first().waitFor();
    // The upcoming shows load into the panel's end.
    await panel.locator('.upcoming li').first().waitFor();
    await panel.evaluate((p) => { p.scrollTop = p.scrollHeight; });
    const seen = await page.locator('live-shop .stage').evaluate((stage) => {
      const box = (el) => el.getBoundingClientRect().toJSON();
      const panel = stage.querySelector('.shelf-panel');
      const items = panel.querySelectorAll('li');
      return { stage: box(stage), panel: box(panel), last: box(items[items.length - 1]), pinned: !!stage.querySelector('.pinned')?.offsetParent };
    });
    const detail = JSON.stringify(seen);
    assert.ok(seen.stage.height >= 379, `the overlay covers the cropped picture: ${detail}`);
    // The panel ends inside the picture, so its last entry, scrolled to, is fully visible.
    assert.ok(seen.panel.bottom <= seen.stage.bottom + 0.5, `the panel runs past the picture: ${detail}`);
    assert.ok(seen.last.bottom <= seen.panel.bottom + 0.5 && seen.last.top >= seen.panel.top - 0.5, `the last entry is cut off: ${detail}`);
    assert.equal(seen.pinned, false, 'the open shelf takes the pinned card\'s room');
    await page.locator('live-shop .shelf-toggle').click();
    await page.locator('live-shop .pinned .title').waitFor();

    // The upcoming shows loaded once: opened again, the shelf has them at once, and so has the
    // sheet it turns into when the player becomes too short for it (a phone turning).
    await page.locator('live-shop .shelf-toggle').click();
    await panel.locator('.shelf-list li').first().waitFor();
    assert.ok(await panel.locator('.upcoming li').count() > 0, 'the upcoming shows are gone');
    await page.locator('live-shop video').evaluate((v) => { v.height = 200; });
    const sheet = page.locator('live-shop dialog.shelf-sheet');
    await sheet.locator('.shelf-list li').first().waitFor();
    assert.ok(await sheet.locator('.upcoming li').count() > 0, 'the sheet has no upcoming shows');
    assert.equal(eventLoads.length, 1, `${eventLoads}`);
    await page.close();
  });
});

test('upcoming shows that failed to load say so, and load at the next opening', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage({ viewport: { width: 1000, height: 700 } });
    let loads = 0;
    await page.route(`${backend.url}/v1/events`, (route) => {
      loads += 1;
      return loads === 1 ? route.fulfill({ status: 503, body: '' }) : route.continue();
    });
    await openPlayerPage(page, backend, { width: 640, height: 360 });
    const toggle = page.locator('live-shop .shelf-toggle');
    await toggle.click();
    const failed = page.locator('live-shop .shelf-panel .upcoming-error');
    await failed.waitFor();
    assert.equal(await failed.textContent(), 'The shop is having trouble. Please try again soon.');
    await toggle.click();
    await toggle.click();
    await page.locator('live-shop .shelf-panel .upcoming li').first().waitFor();
    assert.equal(await failed.count(), 0);
    assert.equal(loads, 2);
    await page.close();
  });
});

test('a backend without upcoming shows (404 on /v1/events) shows the products and no error', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage({ viewport: { width: 1000, height: 700 } });
    let loads = 0;
    await page.route(`${backend.url}/v1/events`, (route) => {
      loads += 1;
      return route.fulfill({ status: 404, contentType: 'application/json',
        body: '{"error":{"code":"not_found","message":"no shows here"}}' });
    });
    await openPlayerPage(page, backend, { width: 640, height: 360 });
    const toggle = page.locator('live-shop .shelf-toggle');
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/events', { timeout: SOON });
    await toggle.click();
    const panel = page.locator('live-shop .shelf-panel');
    await panel.locator('.shelf-list li').first().waitFor({ timeout: SOON });
    await answered;
    // Answered, and drawn a few frames later: the products stay, with no error and no list.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.waitForTimeout(300);
    assert.equal(loads, 1);
    assert.equal(await panel.locator('.upcoming-error').count(), 0);
    assert.equal(await panel.locator('.upcoming').count(), 0);
    assert.ok(await panel.locator('.shelf-list li').count() > 0);
    // Nor asked again at every opening: the backend said it has none.
    await toggle.click();
    await toggle.click();
    await panel.locator('.shelf-list li').first().waitFor({ timeout: SOON });
    await page.waitForTimeout(300);
    assert.equal(loads, 1);
    await page.close();
  });
});

test('a price_changed refusal shows the price now and adds at it with a new key, instead of replaying the refusal', async () => {
  await withBackend({}, async (backend) => {
    const page = await browser().newPage({ viewport: { width: 1280, height: 800 } });
    // The page's event stream never opens, so its card keeps the price it loaded with.
    await page.route('**/v1/streams/demo/events*', () => {});
    await backend.change({ type: 'offerPinned', product: { id: 'p01', title: 'x' } });
    await page.goto(`${backend.url}/?cart=backend`);
    const card = page.locator('live-shop .pinned .card');
    await card.locator('.title').waitFor({ timeout: SOON });
    const shown = await card.locator('.price').textContent();
    // Meanwhile the shop lowers the price.
    await backend.change({ type: 'priceChanged', productId: 'p01', price: 12.34 });
    const posts = [];
    page.on('request', (r) => { if (r.url().endsWith('/v1/cart/items') && r.method() === 'POST') posts.push(r); });
    const buy = card.locator('button.buy');
    await buy.click();
    await card.locator('.cart-note').filter({ hasText: 'The price changed: now €12.34.' }).waitFor({ timeout: SOON });
    assert.equal(await buy.textContent(), 'Add at €12.34');
    assert.equal(await card.locator('.price').textContent(), shown, 'the card itself was not told');
    await buy.click();
    await buy.filter({ hasText: 'Added' }).waitFor({ timeout: SOON });
    assert.equal(posts.length, 2);
    const [first, second] = await Promise.all(posts.map((r) => r.headerValue('idempotency-key')));
    assert.notEqual(first, second, 'a new add, not the refused one again');
    assert.equal(Number(JSON.parse(posts[1].postData()).offer.price), 12.34);
    await page.close();
  });
});

test('an add that gets no answer while the shopper is online is not blamed on their connection', async () => {
  await withBackend({}, async (backend) => {
    const { page } = await open(backend, '?cart=backend');
    await pin(backend, page, 'p01');
    // The backend refuses the connection (or its CORS headers refuse the request): the
    // browser is online all the while.
    await page.route('**/v1/cart/items', (route) => route.abort('connectionrefused'));
    const card = page.locator('live-shop .pinned .card');
    await card.locator('button.buy').click();
    const note = card.locator('.cart-note');
    await note.filter({ hasText: /\S/ }).waitFor({ timeout: SOON });
    assert.equal(await note.textContent(), "Couldn't reach the shop. Please try again.");
    assert.doesNotMatch(await note.textContent(), /offline/);
    await page.close();
  });
});
