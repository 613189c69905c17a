// live-shop browser glue: only what Rust cannot express directly. A custom element must be a
// JS class; `respondWith` must be a JS function on the event detail; Intl throws on bad input.

/** Defines `<live-shop>`; `mount(element, options)` returns a handle with update/destroy. */
export function defineElement(mount) {
  if (customElements.get('live-shop')) return;
  const ATTRS = ['backend', 'stream', 'locale', 'video', 'search', 'search-profile', 'video-id', 'mode', 'src', 'cart', 'cart-root'];
  class LiveShopElement extends HTMLElement {
    static get observedAttributes() { return ATTRS; }
    connectedCallback() {
      if (!this._handle) this._handle = mount(this, this._options());
    }
    disconnectedCallback() {
      // Moving the element re-runs connectedCallback; a real removal frees everything.
      queueMicrotask(() => {
        if (!this.isConnected && this._handle) { this._handle.destroy(); this._handle = null; }
      });
    }
    attributeChangedCallback() {
      if (this._handle) this._handle.update(this._options());
    }
    _options() {
      const options = {};
      for (const name of ATTRS) {
        const value = this.getAttribute(name);
        if (value !== null) options[name] = value;
      }
      return options;
    }
  }
  customElements.define('live-shop', LiveShopElement);
}

/**
 * Dispatches `live-shop:add-to-cart`. Returns the page's promise if it called
 * `detail.respondWith(promise)`, a resolved promise if it only called preventDefault()
 * (it handled the add itself), or null when nobody answered.
 */
export function dispatchAddToCart(host, detail) {
  let answer = null;
  const full = Object.assign({}, detail, {
    respondWith(promise) { if (answer === null) answer = Promise.resolve(promise); },
  });
  const event = new CustomEvent('live-shop:add-to-cart', {
    detail: full, bubbles: true, composed: true, cancelable: true,
  });
  const notCancelled = host.dispatchEvent(event);
  if (answer !== null) {
    // A page that never answers must not leave the button spinning forever; a rejection
    // without a message shows the widget's own localised text.
    const timeout = new Promise((_, reject) => setTimeout(
      () => reject(null), 15000));
    return Promise.race([answer, timeout]);
  }
  return notCancelled ? null : Promise.resolve(undefined);
}

/**
 * The text of a shop's HTML message (WooCommerce's `&quot;`, a "View cart" link), through the
 * browser's own parser: a template's content is inert, so nothing in it loads or runs.
 */
export function htmlText(html) {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content.textContent;
}

/** Dispatches an analytics event (`live-shop:impression`, `live-shop:click`). */
export function dispatchSignal(host, name, detail) {
  host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

const formats = new Map();

// The browser loads its number-formatting data on the first Intl.NumberFormat (16–32 ms in
// Chromium here). Done in a task of its own while the widget's wasm still compiles, it stays
// out of the first render's task.
setTimeout(() => {
  try {
    new Intl.NumberFormat(document.documentElement.lang || undefined).format(0);
  } catch (_) {
    // A malformed page lang: the widget formats with its own locale anyway.
  }
}, 0);

function formatter(key, make) {
  let f = formats.get(key);
  if (!f) {
    f = make();
    formats.set(key, f);
  }
  return f;
}

/** Formats a number; `currency` may be null. Falls back to plain digits rather than throw. */
export function formatNumber(tag, value, currency) {
  try {
    const key = `${tag}|${currency}`;
    return formatter(key, () => new Intl.NumberFormat(tag, currency
      ? { style: 'currency', currency }
      : { maximumFractionDigits: 0 })).format(value);
  } catch (_) {
    return currency ? `${value} ${currency}` : String(value);
  }
}

/** Formats a date and time for upcoming shows. */
export function formatDateTime(tag, millis) {
  try {
    return formatter(`${tag}|dt`, () => new Intl.DateTimeFormat(tag, {
      weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit',
    })).format(new Date(millis));
  } catch (_) {
    return new Date(millis).toISOString();
  }
}

/** Whether the shopper asked for less motion. */
export function prefersReducedMotion() {
  return !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
}

// ---- Visual search ----------------------------------------------------------------------
// The preprocessing wasm is a separate worker binary next to the widget's own files; it is
// started on first use, so the overlay never pays for the codecs.

/** URL of a file in the widget's directory (this file is at snippets/<crate>/src/glue.js). */
function assetUrl(name) {
  return new URL(`../../../${name}`, import.meta.url).href;
}

let prepWorker = null;
let prepSeq = 0;
const prepPending = new Map();

function prepError(code, message, format) {
  const error = new Error(message);
  error.name = 'LiveShopPrepError';
  error.code = code;
  if (format) error.format = format;
  return error;
}

function failPending(code, message) {
  for (const { reject } of prepPending.values()) reject(prepError(code, message));
  prepPending.clear();
}

// The worker's message loop is `live-shop-prep-worker-loop.js`, beside the widget's files.
// Served from the page's origin it is the worker's own script, which `worker-src 'self'`
// allows. From another origin (a CDN) it cannot be, and where the page's policy allows workers
// only from blob: URLs the first worker is refused: then a one-line worker from a blob: URL
// imports it. Jobs wait in the page until the worker says it runs, so that none is lost to a
// refused worker.
let loopUrlRefused = false;

// The compiled preprocessing module, kept for the page's lifetime: compiling streams while the
// worker thread starts, and a worker restarted after a cancelled query reuses it (with whatever
// the browser has optimised in it) instead of fetching and compiling again.
let prepModule = null;
let prepGlue = null;

/** A blob: URL of the worker's glue, fetched while its thread starts; null if it cannot be. */
function fetchPrepGlue() {
  if (!prepGlue) {
    prepGlue = fetch(assetUrl('live-shop-prep-worker.js'))
      .then((r) => (r.ok ? r.blob() : null))
      .then((blob) => (blob ? URL.createObjectURL(new Blob([blob], { type: 'text/javascript' })) : null))
      .catch(() => null);
  }
  return prepGlue;
}

function compilePrepModule() {
  if (!prepModule) {
    const url = assetUrl('live-shop-prep-worker_bg.wasm');
    const viaBytes = () => fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.arrayBuffer();
    }).then((bytes) => WebAssembly.compile(bytes));
    // compileStreaming needs the application/wasm type; a server without it still works.
    prepModule = (WebAssembly.compileStreaming
      ? WebAssembly.compileStreaming(fetch(url)).catch(viaBytes)
      : viaBytes());
    prepModule.catch(() => { prepModule = null; });
  }
  return prepModule;
}

/** The running worker: `{ worker, queue }`, queue holding jobs until the worker has started. */
function startPrepWorker() {
  if (prepWorker) return prepWorker;
  const loop = assetUrl('live-shop-prep-worker-loop.js');
  const direct = !loopUrlRefused && new URL(loop).origin === location.origin;
  let worker;
  if (direct) {
    worker = new Worker(loop);
  } else {
    const url = URL.createObjectURL(new Blob([`importScripts(${JSON.stringify(loop)});`], { type: 'text/javascript' }));
    worker = new Worker(url);
    URL.revokeObjectURL(url);
  }
  const job = { worker, queue: [] };
  prepWorker = job;
  const glueUrl = assetUrl('live-shop-prep-worker.js');
  Promise.all([compilePrepModule(), fetchPrepGlue()]).then(
    ([module, glue]) => worker.postMessage({ module, glue, glueUrl }),
    (e) => worker.postMessage({ bootError: String(e) }));
  worker.onmessage = (event) => {
    const { id, started, result, error } = event.data || {};
    if (started) {
      const queue = job.queue;
      job.queue = null;
      for (const [message, transfer] of queue) worker.postMessage(message, transfer);
      return;
    }
    const pending = prepPending.get(id);
    if (!pending) return;
    prepPending.delete(id);
    if (result) pending.resolve(result);
    else pending.reject(prepError(error && error.code || 'decode',
      error && error.message || 'the image could not be prepared', error && error.format));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    worker.terminate();
    if (prepWorker !== job) return;
    prepWorker = null;
    if (direct && job.queue) {
      // Refused before it ran: start again from a blob: URL, with the jobs it was holding.
      loopUrlRefused = true;
      let next;
      try { next = startPrepWorker(); } catch (_) { next = null; }
      if (next) {
        for (const [message, transfer] of job.queue) postToPrep(next, message, transfer);
        return;
      }
    }
    failPending('load', job.queue
      ? 'the preprocessing worker could not start: live-shop-prep-worker-loop.js must be served '
        + 'beside the widget, and a Content-Security-Policy must allow workers from the widget\'s '
        + 'origin, or from blob: when the widget is on another one'
      : 'the preprocessing worker stopped');
  };
  return job;
}

/** Sends `message` to the worker of `job`, or queues it there until that worker runs. */
function postToPrep(job, message, transfer = []) {
  if (job.queue) job.queue.push([message, transfer]);
  else job.worker.postMessage(message, transfer);
}

/**
 * Starts the worker ahead of the first photo (when the search panel opens) and has it run its
 * hot paths once, so the browser has optimised them by the time the shopper's photo arrives.
 */
export function warmPrepWorker() {
  if (prepWorker) return;
  try { postToPrep(startPrepWorker(), { warm: true }); } catch (_) { /* reported on first use */ }
}

/** Whether the worker is running (the overlay alone must never start it). */
export function prepWorkerStarted() {
  return prepWorker !== null;
}

/** Prepares a Blob in the worker: `{bytes: Uint8Array, width, height, box, original, hash}`. */
export function prepareRaw(blob, profile, box) {
  return new Promise((resolve, reject) => {
    if (!(blob instanceof Blob)) {
      reject(prepError('parameter', 'prepareImage needs a Blob or a File'));
      return;
    }
    // The worker starts while the file is read.
    let worker;
    try { worker = startPrepWorker(); } catch (e) {
      reject(prepError('load', String(e)));
      return;
    }
    blob.arrayBuffer().then((buffer) => {
      // A newer query may have stopped that worker meanwhile.
      if (prepWorker !== worker) {
        try { worker = startPrepWorker(); } catch (e) {
          reject(prepError('load', String(e)));
          return;
        }
      }
      const id = ++prepSeq;
      prepPending.set(id, { resolve, reject });
      postToPrep(worker, { id, buffer, profile: profile || null, box: box || null }, [buffer]);
    }, () => reject(prepError('decode', 'the file could not be read')));
  });
}

/** Stops work in flight (a newer query replaced it); the next call starts a fresh worker. */
export function cancelPrepare() {
  if (prepWorker && prepPending.size) {
    prepWorker.worker.terminate();
    prepWorker = null;
    failPending('aborted', 'replaced by a newer query');
  }
}

/**
 * `LiveShop.prepareImage(blob, { profile, box })`: resolves to
 * `{ blob, width, height, box, bytes, hash, original }`, rejects with an Error whose `code` is
 * decode, limits, unsupported, parameter, load or aborted.
 */
export function prepareImage(blob, options) {
  const { profile, box } = options || {};
  return prepareRaw(blob, profile, box).then((r) => ({
    blob: new Blob([r.bytes], { type: 'image/jpeg' }),
    width: r.width,
    height: r.height,
    box: r.box,
    bytes: r.bytes.length,
    hash: r.hash,
    original: r.original,
  }));
}

/** Adds the page-facing functions written here to `window.LiveShop`. */
export function installApi(api) {
  api.prepareImage = prepareImage;
  api.warmUp = warmPrepWorker;
}

/** The modules of on-demand parts, by file name, each loaded once. */
const partModules = new Map();

/**
 * Loads the module that holds part `name` (first time only: `live-shop-parts` for `search` and
 * `hotspots`, `live-shop-studio` for `studio`) and mounts the part in `root`. Resolves to a
 * handle for `closePart`.
 */
export function openPart(name, root, host, options) {
  const file = name === 'studio' ? 'live-shop-studio' : 'live-shop-parts';
  if (!partModules.has(file)) {
    const loading = import(assetUrl(`${file}.js`)).then(async (module) => {
      await module.default({ module_or_path: assetUrl(`${file}_bg.wasm`) });
      return module;
    });
    loading.catch(() => partModules.delete(file));
    partModules.set(file, loading);
  }
  return partModules.get(file).then((module) => module.mountPart(name, root, host, options));
}

export function closePart(handle) {
  if (handle && typeof handle.destroy === 'function') handle.destroy();
}

/**
 * While `target` is full screen, sets the declarations of `fill` (CSS text, each made
 * `!important`) on `video` and on each element between it and `target`, and those of
 * `videoFill` on the video too; on leaving, puts back each property as it was, leaving whatever
 * else the page set meanwhile. Returns a stop function.
 */
export function fillWhileFullScreen(target, video, fill, videoFill) {
  let undo = null;
  const update = () => {
    const on = document.fullscreenElement === target;
    if (on && !undo) undo = fillScreen(target, video, fill, videoFill);
    if (!on && undo) { undo(); undo = null; }
  };
  document.addEventListener('fullscreenchange', update);
  update();
  return () => {
    document.removeEventListener('fullscreenchange', update);
    if (undo) undo();
  };
}

function fillScreen(target, video, fill, videoFill) {
  const declarations = (text) => text.split(';').map((d) => d.split(':').map((s) => s.trim()))
    .filter(([name, value]) => name && value !== undefined);
  const undo = [];
  for (let el = video; el && el !== target && target.contains(el); el = el.parentElement) {
    if (!el.style) continue;
    const style = el.style;
    const had = el.hasAttribute('style');
    const set = declarations(el === video ? `${fill};${videoFill}` : fill);
    const before = set.map(([name]) => [name, style.getPropertyValue(name), style.getPropertyPriority(name)]);
    for (const [name, value] of set) style.setProperty(name, value, 'important');
    undo.push(() => {
      for (const [name, value, priority] of before) {
        if (value) style.setProperty(name, value, priority); else style.removeProperty(name);
      }
      if (!had && style.length === 0) el.removeAttribute('style');
    });
  }
  return () => undo.forEach((put) => put());
}

/**
 * Calls `onTime(seconds)` as the video's picture changes: on every presented frame where the
 * browser has requestVideoFrameCallback, and on timeupdate/seeked everywhere. Returns a stop
 * function.
 */
export function watchVideoTime(video, onTime) {
  let stopped = false;
  let handle = null;
  const frame = (_, meta) => {
    if (stopped) return;
    onTime(meta.mediaTime);
    handle = video.requestVideoFrameCallback(frame);
  };
  if (typeof video.requestVideoFrameCallback === 'function') {
    handle = video.requestVideoFrameCallback(frame);
  }
  const update = () => onTime(video.currentTime);
  const events = ['timeupdate', 'seeked', 'loadedmetadata', 'play', 'pause'];
  for (const name of events) video.addEventListener(name, update);
  update();
  return () => {
    stopped = true;
    if (handle !== null && typeof video.cancelVideoFrameCallback === 'function') {
      video.cancelVideoFrameCallback(handle);
    }
    for (const name of events) video.removeEventListener(name, update);
  };
}
