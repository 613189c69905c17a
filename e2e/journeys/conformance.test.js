// The conformance kit (scripts/conformance.sh) against the reference backend: every requirement
// of openapi.yaml it checks is met, with a creator token so the live ones are checked too. In
// the cluster run it talks to one instance (on PostgreSQL and Redis), where a state read and a
// resume meet the same instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ON_CLUSTER, makeBackend } from '../lib/harness.js';
import { TOKEN } from '../lib/server.js';
import { run } from '../../conformance/check.mjs';

test('the reference backend meets every requirement the conformance kit checks, with the demo show running', async (t) => {
  const backend = await makeBackend({ demoShow: true }).start();
  try {
    const url = ON_CLUSTER ? backend.cluster.instances[0].url : backend.url;
    const results = await run(url, { token: TOKEN });
    for (const r of results) t.diagnostic(`${r.outcome} ${r.id}${r.note ? `: ${r.note}` : ''}`);
    assert.deepEqual(results.filter((r) => r.outcome !== 'pass').map((r) => `${r.id}: ${r.note}`), []);
    assert.ok(results.length >= 18, `only ${results.length} requirements ran`);
  } finally {
    await backend.close();
  }
});
