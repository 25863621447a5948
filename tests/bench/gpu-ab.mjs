// Atelier's Baseline CNN on the page's WebGPU, two builds interleaved, beside TensorFlow.js's webgpu
// backend on the same adapter, in rounds (TF.js, new build, old build), with the benchmark's own
// training and TF.js measurements (sections.mjs `training`, tfjs.mjs):
//
//   ATELIER_DATA_DIR=$PWD/static/data [ROUNDS=2] node tests/bench/gpu-ab.mjs DIST_NEW [DIST_OLD]
import { serve } from './browser.mjs';
import { training } from './sections.mjs';
import { tfjs, TFJS_BACKENDS } from './tfjs.mjs';
TFJS_BACKENDS.splice(0, TFJS_BACKENDS.length, 'webgpu');
const [newDist, oldDist] = process.argv.slice(2);
const rounds = Number(process.env.ROUNDS ?? 2);
const out = [];
for (let r = 0; r < rounds; r++) {
  const t = await tfjs(['baseline-cnn']);
  out.push(['tfjs webgpu', t.cases[0].imagesPerSecond]);
  console.log('TFJS', r, t.cases[0].imagesPerSecond);
  for (const [name, dist] of [['tiled', newDist], ['before', oldDist]]) {
    if (!dist) continue;
    const server = await serve(dist);
    const res = await training(server, 'webgpu', 1, { models: ['baseline-cnn'] });
    await server.close?.();
    const c = res.cases[0];
    out.push([name, c.imagesPerSecond]);
    console.log('ATELIER', name, r, c.imagesPerSecond, 'images/s; longest main-thread task', c.longestMainThreadTaskMs, 'ms');
  }
}
console.log(JSON.stringify(out));
process.exit(0);
