// `LiveShop.prepareImage` runs visual search's pipeline in the browser's worker. Its bytes must be
// the native `live-shop-prep` command's bytes for the same photo and profile: the catalog is
// indexed natively, shoppers' photos are prepared in the browser, and both must match alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { useBackend, useBrowser } from '../lib/harness.js';

const CACHE = process.env.LIVE_SHOP_CACHE || join(homedir(), '.cache', 'live-shop');
const TARGET = process.env.CARGO_TARGET_DIR || join(CACHE, 'target');
const PREP = join(TARGET, 'debug', 'live-shop-prep');
const PILLOW = join(CACHE, 'pillow', 'pillow-13.0.0', 'Tests', 'images');
const STAMPS = join(CACHE, 'media', 'stamps');

const browser = useBrowser();
const backend = useBackend();

// Real files of every kind the pipeline treats differently.
const CASES = [
  // A 2000×1072 photo with XMP: decoded at 1/2 scale in the DCT domain for 512.
  [join(PILLOW, 'xmp_test.jpg'), 'max-512'],
  [join(PILLOW, 'xmp_test.jpg'), 'max-1024'],
  [join(PILLOW, 'xmp_test.jpg'), 'square-224', '0.3,0.2,0.4,0.6'],
  // EXIF orientations, applied once.
  ...[2, 3, 4, 5, 6, 7, 8].map((o) => [join(PILLOW, `hopper_orientation_${o}.jpg`), 'max-512']),
  [join(PILLOW, 'pil_sample_cmyk.jpg'), 'max-512'],
  [join(PILLOW, 'flower.jpg'), 'square-224'],
  [join(PILLOW, 'hopper.png'), 'max-512'],
  [join(PILLOW, 'hopper.webp'), 'max-512'],
  [join(PILLOW, 'iss634.gif'), 'max-512'],
  // A catalog photo with transparency.
  [join(STAMPS, 'clothes', 't_jacket.png'), 'max-512', '0.1,0.1,0.5,0.8'],
];

async function page() {
  const p = await browser().newPage();
  await p.goto(`${backend().url}/`);
  await p.waitForFunction(() => window.LiveShop && window.LiveShop.prepareImage);
  return p;
}

async function prepareInBrowser(p, bytes, profile, box) {
  return p.evaluate(async ({ b64, profile, box }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    try {
      const r = await window.LiveShop.prepareImage(new Blob([bytes]), { profile, box });
      const out = new Uint8Array(await r.blob.arrayBuffer());
      let s = '';
      for (const x of out) s += String.fromCharCode(x);
      return { ok: true, b64: btoa(s), width: r.width, height: r.height, bytes: r.bytes, hash: r.hash, box: r.box, original: r.original, type: r.blob.type };
    } catch (e) {
      return { ok: false, code: e.code, format: e.format, message: e.message, name: e.name };
    }
  }, { b64: Buffer.from(bytes).toString('base64'), profile, box });
}

const boxObject = (text) => {
  if (!text) return undefined;
  const [x, y, width, height] = text.split(',').map(Number);
  return { x, y, width, height };
};

test('the worker and the native command produce the same bytes', async (t) => {
  assert.ok(existsSync(PREP), `${PREP} is built by the test command`);
  const p = await page();
  const dir = mkdtempSync(join(tmpdir(), 'prep-'));
  // A camera-sized JPEG from Chromium's own encoder (baseline 4:2:0, as phones save): read at
  // 1/8 scale from its DC coefficients alone for square-224, at 1/4 for max-512.
  const camera = join(dir, 'camera.jpg');
  writeFileSync(camera, Buffer.from(await p.evaluate(async () => {
    const canvas = new OffscreenCanvas(2400, 1800);
    const g = canvas.getContext('2d');
    const sky = g.createLinearGradient(0, 0, 2400, 1800);
    sky.addColorStop(0, '#f4a261');
    sky.addColorStop(1, '#264653');
    g.fillStyle = sky;
    g.fillRect(0, 0, 2400, 1800);
    for (let i = 0; i < 60; i += 1) {
      g.fillStyle = `hsl(${(i * 37) % 360} 70% ${30 + (i % 5) * 10}%)`;
      g.beginPath();
      g.arc((i * 397) % 2400, (i * 211) % 1800, 40 + (i % 7) * 30, 0, 2 * Math.PI);
      g.fill();
    }
    g.fillStyle = '#fff';
    g.font = 'bold 160px sans-serif';
    g.fillText('live-shop 8×', 300, 950);
    const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 })).arrayBuffer());
    let s = '';
    for (const x of jpeg) s += String.fromCharCode(x);
    return btoa(s);
  }), 'base64'));
  for (const [file, profile, box] of [...CASES, [camera, 'square-224'], [camera, 'max-512']]) {
    const name = `${file.split('/').pop()} ${profile}${box ? ` box ${box}` : ''}`;
    const out = join(dir, 'out.jpg');
    const said = execFileSync(PREP, [file, '-o', out, '--profile', profile, ...(box ? ['--box', box] : [])]).toString();
    if (file === camera) {
      assert.match(said, profile === 'square-224' ? /decoded at 1\/8 scale, DC only/ : /decoded at 1\/4 scale/, said);
    }
    const native = readFileSync(out);
    const web = await prepareInBrowser(p, readFileSync(file), profile, boxObject(box));
    assert.ok(web.ok, `${name}: ${web.message}`);
    const browserBytes = Buffer.from(web.b64, 'base64');
    assert.equal(web.type, 'image/jpeg');
    assert.equal(web.bytes, browserBytes.length, name);
    assert.ok(browserBytes.equals(native), `${name}: ${browserBytes.length} bytes in the browser, ${native.length} natively`);
    // No metadata segment survives (the XMP photo carries one).
    assert.ok(!browserBytes.includes('Exif') && !browserBytes.includes('http://ns.adobe.com'), name);
    t.diagnostic(`${name}: ${web.width}×${web.height} of ${web.original.width}×${web.original.height}, ${web.bytes} bytes, hash ${web.hash}`);
  }
  await p.close();
});

test('prepareImage rejects with coded errors, unless the browser reads the format', async () => {
  const p = await page();
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64)]);
  const cases = [
    [heic, 'max-512', 'unsupported', 'HEIC'],
    [Buffer.from('this is not an image at all'), 'max-512', 'decode'],
    [readFileSync(join(PILLOW, 'hopper.png')), 'max-9000', 'parameter'],
    // Cut off: half a photo, and Pillow's UltraHDR sample (its headers and two bytes of image).
    [readFileSync(join(PILLOW, 'hopper.jpg')).subarray(0, 3000), 'max-512', 'decode', null, /cut off/],
    [readFileSync(join(PILLOW, 'ultrahdr.jpg')), 'max-512', 'decode', null, /cut off/],
    // A PNG header that claims 100000 × 100000 pixels: refused from the header.
    [readFileSync(join(PILLOW, 'hopper.png')).fill(0, 16, 24).fill(0, 29, 33), 'max-512', null],
  ];
  // Patch the bomb's IHDR to 100000 × 100000 (CRC left wrong: either check refuses it).
  const bomb = Buffer.from(readFileSync(join(PILLOW, 'hopper.png')));
  bomb.writeUInt32BE(100000, 16);
  bomb.writeUInt32BE(100000, 20);
  cases[5][0] = bomb;
  for (const [bytes, profile, code, format, message] of cases) {
    const r = await prepareInBrowser(p, bytes, profile);
    assert.equal(r.ok, false);
    assert.equal(r.name, 'LiveShopPrepError');
    if (code) assert.equal(r.code, code, r.message);
    else assert.ok(['limits', 'decode'].includes(r.code), r.message);
    if (format) assert.equal(r.format, format);
    if (message) assert.match(r.message, message);
  }
  // AVIF is not in the pipeline's formats, but Chromium decodes it: the worker prepares the
  // browser's pixels instead of refusing.
  const avif = await prepareInBrowser(p, readFileSync(join(PILLOW, 'avif', 'hopper.avif')), 'max-512');
  assert.ok(avif.ok, avif.message);
  assert.deepEqual([avif.width, avif.height], [128, 128]);
  const notBlob = await p.evaluate(() => window.LiveShop.prepareImage('nope').catch((e) => e.code));
  assert.equal(notBlob, 'parameter');
  await p.close();
});

test('a cancelled preparation gives way to the next, which reuses the compiled module', async () => {
  const p = await page();
  const wasmFetches = [];
  const glueFetches = [];
  p.on('request', (r) => {
    if (r.url().endsWith('live-shop-prep-worker_bg.wasm')) wasmFetches.push(r.url());
    if (r.url().endsWith('live-shop-prep-worker.js')) glueFetches.push(r.url());
  });
  const outcome = await p.evaluate(async () => {
    // The widget's own glue module (the search panel cancels through it when a new photo comes).
    const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('/src/glue.js'));
    const glue = await import(url);
    const canvas = new OffscreenCanvas(3000, 2000);
    const g = canvas.getContext('2d');
    g.fillStyle = g.createLinearGradient(0, 0, 3000, 2000);
    g.fillRect(0, 0, 3000, 2000);
    const photo = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    const first = glue.prepareRaw(photo, 'max-512', null).then(() => 'prepared', (e) => e.code);
    // Cancel once the job is on its way to the worker: the widget's read of the file, started
    // first, is done when ours is, and its callback has posted the job a task later. The worker
    // cannot have finished: it is still starting.
    await photo.arrayBuffer();
    await new Promise((r) => setTimeout(r, 0));
    glue.cancelPrepare();
    const second = await glue.prepareRaw(photo, 'max-512', null);
    return { first: await first, width: second.width, height: second.height };
  });
  assert.deepEqual(outcome, { first: 'aborted', width: 512, height: 341 });
  assert.equal(wasmFetches.length, 1, `${wasmFetches}`);
  // The page fetched the worker's glue once, for both workers.
  assert.equal(glueFetches.length, 1, `${glueFetches}`);
  await p.close();
});

/** Prepares a generated 1200 × 800 photo with the page's `LiveShop`; the outcome or the error. */
const prepareRed = (p) => p.evaluate(async () => {
  const canvas = new OffscreenCanvas(1200, 800);
  const g = canvas.getContext('2d');
  g.fillStyle = '#c33';
  g.fillRect(0, 0, 1200, 800);
  const photo = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  try {
    const r = await window.LiveShop.prepareImage(photo, { profile: 'max-512' });
    return { width: r.width, height: r.height, type: r.blob.type };
  } catch (e) {
    return { code: e.code, message: e.message };
  }
});

/** The page's HTML, loading the widget from `widget` (the page's origin when empty). */
const policyHtml = (widget = '') => `<!doctype html><html><head><script type="module" src="${widget}/embed.js"></script></head><body></body></html>`;

/** Opens a page at `url` under `policy`, fulfilled here unless `served` (a real server's). */
async function policyPage(url, policy, served = false) {
  const p = await browser().newPage();
  const seen = { loop: [], glue: [] };
  p.on('console', (m) => { if (process.env.DEBUG) console.log(m.text()); });
  p.on('request', (r) => {
    if (r.url().endsWith('live-shop-prep-worker-loop.js')) seen.loop.push(r.url());
    if (r.url().endsWith('live-shop-prep-worker.js')) seen.glue.push(r.url());
  });
  if (!served) {
    await p.route(url, (route) => route.fulfill({ contentType: 'text/html', headers: { 'Content-Security-Policy': policy }, body: policyHtml() }));
  }
  await p.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await p.goto(url);
  await p.waitForFunction(() => window.LiveShop && window.LiveShop.prepareImage);
  return { p, seen };
}

test('under a policy that allows only its own scripts, the worker starts from its own URL', async () => {
  // No worker-src and no blob:, as a careful shop serving the widget itself would write it.
  const { p, seen } = await policyPage(`${backend().url}/strict-policy`, "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'");
  assert.deepEqual(await prepareRed(p), { width: 512, height: 341, type: 'image/jpeg' });
  assert.deepEqual(seen.loop, [`${backend().url}/live-shop-prep-worker-loop.js`]);
  // The worker took the glue the page fetched while it started.
  assert.equal(seen.glue.length, 1, `${seen.glue}`);
  assert.deepEqual(await p.evaluate(() => window.violations), []);
  await p.close();
});

test('under a policy that allows workers only from blob:, the worker still starts', async () => {
  // The policy earlier versions of the README gave: the worker from its own URL is refused, so
  // it starts from a blob: URL, and the glue comes from its own URL (blob: scripts are refused).
  const { p, seen } = await policyPage(`${backend().url}/blob-workers`, "script-src 'self' 'wasm-unsafe-eval'; worker-src blob:");
  assert.deepEqual(await prepareRed(p), { width: 512, height: 341, type: 'image/jpeg' });
  assert.deepEqual(seen.loop, [`${backend().url}/live-shop-prep-worker-loop.js`]);
  assert.equal(seen.glue.length, 2, `${seen.glue}`);
  await p.close();
});

test('served from another origin, the worker starts from a blob: URL and loads its glue from its own URL', async () => {
  // The shop's page on another port than the widget's backend: two origins. (Served for real:
  // Chromium does not let a page fulfilled by the test reach a loopback address.) The policy
  // refuses blob: scripts, so the worker cannot take the page's copy of the glue.
  const widget = backend().url;
  const policy = `script-src ${widget} 'wasm-unsafe-eval'; worker-src blob:`;
  const shop = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': policy });
    res.end(policyHtml(widget));
  });
  await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve));
  const { p, seen } = await policyPage(`http://127.0.0.1:${shop.address().port}/shop-page`, policy, true);
  assert.deepEqual(await prepareRed(p), { width: 512, height: 341, type: 'image/jpeg' });
  assert.deepEqual(seen.loop, [`${widget}/live-shop-prep-worker-loop.js`]);
  // The page fetched the glue, the policy refused that copy, and the worker fetched it itself.
  assert.equal(seen.glue.length, 2, `${seen.glue}`);
  await p.close();
  shop.close();
});
