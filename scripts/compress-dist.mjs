// Writes gzip (-9) and brotli (-11) copies beside the widget's files in dist/, which the
// reference backend serves to browsers that accept them (tower-http's precompressed ServeDir).
// Usage: node scripts/compress-dist.mjs [dist]
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const TYPES = new Set(['.js', '.wasm', '.css', '.html', '.svg', '.json']);

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (TYPES.has(extname(name))) yield path;
  }
}

let raw = 0;
let gz = 0;
let br = 0;
for (const path of files(process.argv[2] || 'dist')) {
  const bytes = readFileSync(path);
  const gzip = gzipSync(bytes, { level: 9 });
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(`${path}.gz`, gzip);
  writeFileSync(`${path}.br`, brotli);
  raw += bytes.length;
  gz += gzip.length;
  br += brotli.length;
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`compressed dist: ${kib(raw)} raw, ${kib(gz)} gzip, ${kib(br)} brotli`);
