// Recomputes the subresource-integrity hashes Trunk wrote into dist/*.html, for files changed
// after Trunk (the minified JS): a stale hash makes the browser refuse the file.
// Usage: node scripts/sri-dist.mjs [dist]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const dist = process.argv[2] || 'dist';
let updated = 0;
for (const name of readdirSync(dist).filter((n) => n.endsWith('.html'))) {
  const path = join(dist, name);
  const html = readFileSync(path, 'utf8');
  const out = html.replace(/<[^>]*\sintegrity="sha384-[^"]*"[^>]*>/g, (tag) => {
    const url = /\s(?:href|src)="\/([^"?#]+)"/.exec(tag);
    if (!url) throw new Error(`${name}: no local href or src in ${tag}`);
    const digest = createHash('sha384').update(readFileSync(join(dist, url[1]))).digest('base64');
    updated += 1;
    return tag.replace(/integrity="sha384-[^"]*"/, `integrity="sha384-${digest}"`);
  });
  if (out !== html) writeFileSync(path, out);
}
console.log(`integrity: ${updated} hashes checked`);
