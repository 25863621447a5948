// One of Atelier's models on the page's WebGPU, two builds interleaved, beside TensorFlow.js's webgpu
// backend on the same adapter where it has the model, in rounds (TF.js, new build, old build), with
// the benchmark's own training and TF.js measurements (sections.mjs `training`, tfjs.mjs):
//
//   ATELIER_DATA_DIR=$PWD/static/data [ROUNDS=2] [MODEL=baseline-cnn|dense|atelier-cnn] \
//     node tests/bench/gpu-ab.mjs DIST_NEW [DIST_OLD]
import { serve } from './browser.mjs';
import { training } from './sections.mjs';
import { tfjs, TFJS_BACKENDS, TFJS_MODELS } from './tfjs.mjs';
TFJS_BACKENDS.splice(0, TFJS_BACKENDS.length, 'webgpu');
const [newDist, oldDist] = process.argv.slice(2);
const rounds = Number(process.env.ROUNDS ?? 2);
const model = process.env.MODEL ?? 'baseline-cnn';
const out = [];
for (let r = 0; r < rounds; r++) {
  if (TFJS_MODELS.includes(model)) {
    const t = await tfjs([model]);
    out.push(['tfjs webgpu', t.cases[0].imagesPerSecond]);
    console.log('TFJS', model, r, t.cases[0].imagesPerSecond);
  }
  for (const [name, dist] of [['tiled', newDist], ['before', oldDist]]) {
    if (!dist) continue;
    const server = await serve(dist);
    const res = await training(server, 'webgpu', 1, { models: [model] });
    await server.close?.();
    const c = res.cases[0];
    out.push([name, c.imagesPerSecond]);
    console.log('ATELIER', model, name, r, c.imagesPerSecond, 'images/s; longest main-thread task', c.longestMainThreadTaskMs, 'ms');
  }
}
console.log(JSON.stringify(out));
process.exit(0);
