// Shared set-up for journeys: one browser per file, and backends that always stop.
import { before, after } from 'node:test';
import { launch } from './browser.js';
import { Backend } from './server.js';
import { ClusterBackend } from './cluster.js';

/**
 * How long a journey waits for what a shopper sees at once (a change pushed, a click answered):
 * long enough for a loaded 2-core machine, which is the only thing it changes. Speed itself is
 * measured by the benchmarks, not here.
 */
export const SOON = 15_000;

/**
 * Runs `check` (which asserts) until it passes, for what settles over a few frames (a layout
 * after a resize or full screen): the last failure is thrown after `timeout` ms.
 */
export async function eventually(check, timeout = SOON) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Journeys run against one backend, or with LIVE_SHOP_JOURNEYS=cluster against a cluster. */
export const ON_CLUSTER = process.env.LIVE_SHOP_JOURNEYS === 'cluster';

/** A backend with `options`, not yet started: one process, or a cluster that runs alike. */
export function makeBackend(options = {}) {
  return ON_CLUSTER ? new ClusterBackend(options) : new Backend(options);
}

/** Launches one browser for the file; returns a getter. */
export function useBrowser(extra = []) {
  let browser;
  before(async () => { browser = await launch(extra); });
  after(async () => { await browser?.close(); });
  return () => browser;
}

/** One backend for the whole file, with `p05` pinned; returns a getter. */
export function useBackend(options = {}) {
  let backend;
  before(async () => {
    backend = await makeBackend(options).start();
    await backend.change({ type: 'offerPinned', product: { id: 'p05', title: 'x' } });
  });
  after(async () => { await backend?.close(); });
  return () => backend;
}

/** Runs `body` with a fresh backend, stopping it whatever happens. */
export async function withBackend(options, body) {
  const backend = await makeBackend(options).start();
  try {
    return await body(backend);
  } finally {
    await backend.close();
  }
}

/**
 * Opens, in `page`, a page on the backend's origin with one `<live-shop>` around the demo
 * video at `width` × `height`. `html` holds the root element's attributes; `headers` go with
 * the page (a Content-Security-Policy, say); `fit` is the video's `object-fit`, in a stylesheet
 * of its own so that it also applies under a strict policy; `css` is more CSS for the page, in
 * a `<style>` element (which such a policy refuses).
 */
export async function openPlayerPage(page, backend, { html = 'lang="en"', width = 640, height = 360, headers = {}, fit = 'contain', css = '' } = {}) {
  const url = `${backend.url}/player-page`;
  await page.route(url, (route) => route.fulfill({
    contentType: 'text/html',
    headers,
    body: `<!doctype html><html ${html}><head><meta name="viewport" content="width=device-width, initial-scale=1">${fit === 'contain' ? '' : '<link rel="stylesheet" href="/player-page.css">'}${css ? `<style>${css}</style>` : ''}</head><body>
      <live-shop stream="demo"><video src="/media/video/bigbuckbunny.mp4" muted width="${width}" height="${height}"${fit === 'contain' ? '' : ` class="fit-${fit}"`}></video></live-shop>
      <script type="module" src="/embed.js"></script></body></html>`,
  }));
  await page.route(`${backend.url}/player-page.css`, (route) => route.fulfill({
    contentType: 'text/css', body: `video.fit-${fit} { object-fit: ${fit}; }`,
  }));
  await page.goto(url);
}
