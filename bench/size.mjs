// First-load transfer of the widget: what a page downloads for the overlay (the embed loader,
// wasm-bindgen's JS and its snippets, and the wasm; styles are inside the wasm), raw, gzip -9
// and brotli -11, with a verdict on the target (150 KB gzip); exits 1 when it is missed.
// Usage: node bench/size.mjs [dist]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const dist = process.argv[2] || 'dist';
const files = ['embed.js', 'live-shop.js', 'live-shop_bg.wasm'];
// Only the snippets the overlay's JS imports are fetched on first load.
const imported = (js) => [...readFileSync(join(dist, js), 'utf8')
  .matchAll(/from\s*(['"])\.\/(snippets\/[^'"]+)\1/g)].map((m) => join(dist, m[2]));
const paths = [...files.map((f) => join(dist, f)), ...new Set(imported('live-shop.js'))];
let total = { raw: 0, gzip: 0, brotli: 0 };
console.log('file'.padEnd(60), 'raw'.padStart(9), 'gzip'.padStart(9), 'brotli'.padStart(9));
for (const path of paths) {
  const bytes = readFileSync(path);
  const row = {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
  for (const k of Object.keys(total)) total[k] += row[k];
  console.log(path.padEnd(60), ...Object.values(row).map((n) => String(n).padStart(9)));
}
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
// The target: 150 KB (150,000 bytes) gzip for the overlay's first load.
const TARGET = 150_000;
const met = total.gzip <= TARGET;
console.log(`first load: ${kb(total.raw)} raw, ${kb(total.gzip)} gzip (${total.gzip.toLocaleString('en')} bytes), ${kb(total.brotli)} brotli`);
console.log(`verdict: first load ≤ 150 KB gzip: ${met ? 'met' : `MISSED by ${(total.gzip - TARGET).toLocaleString('en')} bytes`}`);

// Loaded later: the parts when a page first needs one, the worker when search opens.
const part = (name) => [`${name}.js`, `${name}_bg.wasm`, ...new Set(imported(`${name}.js`))]
  .map((f) => (f.startsWith(dist) ? f : join(dist, f)))
  .filter((f) => !paths.includes(f));
const later = [
  ["shoppers' parts (search panel, replay hotspots)", part('live-shop-parts')],
  ['creator studio', part('live-shop-studio')],
  ['preprocessing worker', ['live-shop-prep-worker.js', 'live-shop-prep-worker_bg.wasm'].map((f) => join(dist, f))],
];
for (const [name, list] of later) {
  const gz = list.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  console.log(`loaded on demand, ${name}: ${kb(gz)} gzip (${list.map((f) => f.slice(dist.length + 1)).join(', ')})`);
}

process.exitCode = met ? 0 : 1;
