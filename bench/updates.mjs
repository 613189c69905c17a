// Time from a deal event reaching the widget to its paint, at 100 events per second, in headless
// Chromium against the reference backend. The page wraps EventSource before the widget loads, so
// "received" is when the widget's message handler is called; "in DOM" is when the new price is in
// the shadow DOM (MutationObserver); "painted" is the next animation frame after that.
// Usage: node bench/updates.mjs [seconds]
import { launch } from '../e2e/lib/browser.js';
import { Backend } from '../e2e/lib/server.js';

const seconds = Number(process.argv[2] || 5);
const backend = await new Backend().start();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(() => {
    window.bench = { received: new Map(), inDom: [], painted: [], longTasks: [] };
    const proto = EventSource.prototype;
    const setter = Object.getOwnPropertyDescriptor(proto, 'onmessage').set;
    Object.defineProperty(proto, 'onmessage', {
      set(handler) {
        setter.call(this, handler && ((event) => {
          const price = JSON.parse(event.data).price;
          if (price !== undefined) window.bench.received.set(Number(price).toFixed(2), performance.now());
          return handler(event);
        }));
      },
    });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.bench.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${backend.url}/`);
  await backend.change({ type: 'offerPinned', product: { id: 'p05', title: 'x' } });
  await page.locator('live-shop .pinned .price').waitFor();
  await page.evaluate(() => {
    window.bench.runStart = performance.now();
    const root = document.querySelector('live-shop').shadowRoot;
    let last = '';
    new MutationObserver(() => {
      const text = root.querySelector('.pinned .price')?.textContent || '';
      if (text === last) return;
      last = text;
      const now = performance.now();
      const key = (text.match(/[\d.,]+/) || [''])[0].replace(/,/g, '');
      const sent = window.bench.received.get(Number(key).toFixed(2));
      if (sent === undefined) return;
      window.bench.inDom.push(now - sent);
      requestAnimationFrame(() => window.bench.painted.push(performance.now() - sent));
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
  const total = seconds * 100;
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * 10;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    backend.change({ type: 'priceChanged', productId: 'p05', price: 100 + (i + 1) / 100 }).catch(() => {});
  }
  await page.waitForTimeout(1500);
  const r = await page.evaluate(() => ({
    received: window.bench.received.size, inDom: window.bench.inDom,
    painted: window.bench.painted,
    loadTasks: window.bench.longTasks.filter(([t]) => t < window.bench.runStart).map(([, d]) => d),
    longTasks: window.bench.longTasks.filter(([t]) => t >= window.bench.runStart).map(([, d]) => d),
  }));
  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
  };
  const ms = (x) => `${x.toFixed(2)} ms`;
  console.log(`events sent: ${total} over ${seconds} s (100/s); received by the widget: ${r.received}; prices seen in the DOM: ${r.inDom.length}`);
  console.log(`received -> in DOM:  p50 ${ms(pct(r.inDom, 50))}, p95 ${ms(pct(r.inDom, 95))}, max ${ms(Math.max(...r.inDom))}  (target: p95 <= 2 ms)`);
  console.log(`received -> painted: p50 ${ms(pct(r.painted, 50))}, p95 ${ms(pct(r.painted, 95))}  (includes waiting for the next frame)`);
  const longest = r.longTasks.length ? Math.max(...r.longTasks) : 0;
  console.log(`main-thread tasks over 50 ms during the updates: ${r.longTasks.length}, longest ${ms(longest)}  (target: none)`);
  const loadLongest = r.loadTasks.length ? Math.max(...r.loadTasks) : 0;
  console.log(`main-thread tasks over 50 ms while the page loaded: ${r.loadTasks.length}, longest ${ms(loadLongest)}`);
} finally {
  await browser.close();
  await backend.stop();
}
