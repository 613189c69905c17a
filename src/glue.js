// live-shop browser glue: only what Rust cannot express directly. A custom element must be a
// JS class; `respondWith` must be a JS function on the event detail; Intl throws on bad input.

/** Defines `<live-shop>`; `mount(element, options)` returns a handle with update/destroy. */
export function defineElement(mount) {
  if (customElements.get('live-shop')) return;
  const ATTRS = ['backend', 'stream', 'locale', 'video'];
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

/** Dispatches an analytics event (`live-shop:impression`, `live-shop:click`). */
export function dispatchSignal(host, name, detail) {
  host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

const formats = new Map();

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
