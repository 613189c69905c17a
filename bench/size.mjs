// First-load transfer of the widget: what a page downloads for the overlay (the embed loader,
// wasm-bindgen's JS and its snippets, and the wasm; styles are inside the wasm), raw, gzip -9
// and brotli -11. Usage: node bench/size.mjs [dist]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const dist = process.argv[2] || 'dist';
const files = ['embed.js', 'live-shop.js', 'live-shop_bg.wasm'];
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});
const paths = [...files.map((f) => join(dist, f)), ...walk(join(dist, 'snippets'))];
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
console.log(`first load: ${kb(total.raw)} raw, ${kb(total.gzip)} gzip, ${kb(total.brotli)} brotli (target: 150 KB gzip)`);
