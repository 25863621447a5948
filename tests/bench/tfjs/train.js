// Trains Atelier's Dense 128 and Baseline CNN with TensorFlow.js on one backend, as Atelier's
// benchmark trains them: batch 64, Adam at 1e-3, Fashion-MNIST training images in file order,
// the loss read back after every step. `window.tfjsBench(backend, model, options)` resolves to
// { backend, model, imagesPerSecond, steps, firstStepMs } or { backend, model, error }.
/* global tf */
'use strict';

const BATCH = 64;
let data = null;
// The wasm backend fetches its .wasm files from beside this page.
tf.wasm.setWasmPaths(new URL('./', location.href).href);

async function images() {
  if (!data) {
    const [pixels, labels] = await Promise.all(['images.bin', 'labels.bin'].map((f) => fetch(f).then((r) => r.arrayBuffer())));
    data = { pixels: new Uint8Array(pixels), labels: new Uint8Array(labels) };
  }
  return data;
}

/** The same layers as src/model/dense.rs (one hidden layer of 128) and baseline_cnn.rs. */
function build(model) {
  const m = tf.sequential();
  if (model === 'dense') {
    m.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
    m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  } else {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  }
  m.add(tf.layers.dense({ units: 10 }));
  return m;
}

/** Batch `i` as tensors, assembled from bytes each step as Atelier's batcher does. */
function batch({ pixels, labels }, i) {
  const count = labels.length / BATCH | 0;
  const at = (i % count) * BATCH;
  return tf.tidy(() => {
    const x = tf.tensor4d(pixels.subarray(at * 784, (at + BATCH) * 784), [BATCH, 28, 28, 1], 'int32').toFloat().div(255);
    const y = tf.oneHot(tf.tensor1d(labels.subarray(at, at + BATCH), 'int32'), 10);
    return { x, y };
  });
}

window.tfjsBench = async (backend, model, { windowMs = 10_000, minSteps = 10, maxSteps = 800, budgetMs = 60_000 } = {}) => {
  try {
    if (!(await tf.setBackend(backend))) return { backend, model, error: `${backend} is not available here` };
    await tf.ready();
    const d = await images();
    const net = build(model);
    const optimizer = tf.train.adam(1e-3);
    const step = async (i) => {
      const { x, y } = batch(d, i);
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.apply(x)), true);
      await loss.data();
      tf.dispose([x, y, loss]);
    };
    const begun = performance.now();
    await step(0);
    const firstStepMs = performance.now() - begun;
    // Two more warm-up steps (kernels compiled, buffers allocated), then the timed window.
    for (let i = 1; i < 3; i++) await step(i);
    const start = performance.now();
    let steps = 0;
    while (steps < maxSteps) {
      await step(3 + steps);
      steps += 1;
      const elapsed = performance.now() - start;
      if ((elapsed >= windowMs && steps >= minSteps) || elapsed >= budgetMs) break;
    }
    const seconds = (performance.now() - start) / 1000;
    net.dispose();
    optimizer.dispose();
    return { backend: tf.getBackend(), model, imagesPerSecond: (steps * BATCH) / seconds, steps, firstStepMs };
  } catch (e) {
    return { backend, model, error: String(e.message ?? e).split('\n')[0] };
  }
};
