// A soak: one Dense run of 20 epochs, the page reloaded every few epochs and the run resumed
// each time. Nothing may be lost (every step and epoch once, in order, to the end) and memory
// must stay flat: the engine's wasm memory and the page's JavaScript heap at each reload.
// Then a CNN run's engine memory, which never shrinks, at each of its epoch ends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, record, waitFor, openReady } from './harness.mjs';
import { train, trainDense, storedRun } from './runs.mjs';

let server;
before(async () => { server = await serveDist(); });
after(async () => { await server?.close(); });

const EPOCHS = 20;
const STEPS_PER_EPOCH = 16; // 1,000 images in batches of 64
const RELOAD_EVERY = 5; // epochs

/** The page's JavaScript heap after a full garbage collection, the page's wasm memory (where
 * its state lives) and the engine's. */
async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize').value;
  const pageWasm = await page.evaluate(() => window.atelierDebug.pageWasmBytes());
  const wasm = Number(await page.getByTestId('engine-memory').getAttribute('data-wasm-bytes'));
  return { heap, pageWasm, wasm };
}

test(`soak: ${EPOCHS} epochs with a reload every ${RELOAD_EVERY}, nothing lost and memory flat`, async () => {
  const context = await launch();
  try {
    const page = await openReady(context, server.url, '?debug=1&backend=cpu&step_ms=40');
    const run = page.locator('[data-testid="run-item"][data-run-id="1"]');
    const checkpoint = async () => Number(await run.getAttribute('data-checkpoint-step'));
    await trainDense(page, EPOCHS);
    const samples = [];
    for (let reached = RELOAD_EVERY; reached < EPOCHS; reached += RELOAD_EVERY) {
      await waitFor(page, async () => (await checkpoint()) >= reached * STEPS_PER_EPOCH, 180_000, `epoch ${reached}'s checkpoint`);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      samples.push({ epoch: reached, ...(await memory(page, cdp)) });
      await page.reload(); // the same address: ?debug=1 stays
      await page.getByTestId('data-status').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 120_000 });
      await page.getByTestId('backend').and(page.locator('[data-value="cpu"]')).waitFor({ timeout: 60_000 });
      await waitFor(page, async () => (await run.getByTestId('run-resume').count()) === 1, 30_000, 'run 1 resumable');
      await run.getByTestId('run-resume').click();
    }
    await waitFor(page, async () => (await run.getAttribute('data-state')) === 'done', 300_000, 'the run to its end');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    samples.push({ epoch: EPOCHS, ...(await memory(page, cdp)) });

    // Nothing lost: every step and every epoch once, in order, as stored.
    await waitFor(page, async () => (await storedRun(page))?.epochs.length === EPOCHS, 30_000, 'the finished run stored');
    const stored = await storedRun(page);
    const steps = stored.steps.map((s) => s.info.global_step);
    assert.deepEqual(steps, Array.from({ length: EPOCHS * STEPS_PER_EPOCH }, (_, i) => i + 1), 'every step once');
    assert.deepEqual(stored.epochs.map((e) => e.epoch), Array.from({ length: EPOCHS }, (_, i) => i + 1), 'every epoch once');
    assert.equal(Number(await run.getAttribute('data-steps')), EPOCHS * STEPS_PER_EPOCH);
    const accuracy = Number(await run.getAttribute('data-test-accuracy'));
    await record('soak_test_accuracy', accuracy);
    assert.ok(accuracy > 0.78, `Dense 128, 1,000 images, 20 epochs (measured 79.9 %): ${accuracy}`);

    // Memory flat. Measured at epochs 5 → 20 (tests/artifacts/measurements.json, soak_memory):
    // engine wasm 66.3 → 68.9 MB at most (1.04×), page wasm 62.3 → 63.2 MB (1.01×), page heap
    // 2.42 → 2.37 MB. The bounds leave room for that noise, not for a leak of half a Dense
    // checkpoint per epoch (+7.5 MB on the page by epoch 20).
    await record('soak_memory', samples);
    const first = samples[0];
    for (const s of samples) {
      assert.ok(s.wasm <= first.wasm * 1.1, `engine wasm memory at epoch ${s.epoch}: ${s.wasm} vs ${first.wasm}`);
      assert.ok(s.heap <= first.heap * 1.2, `page heap at epoch ${s.epoch}: ${s.heap} vs ${first.heap}`);
      assert.ok(s.pageWasm <= first.pageWasm * 1.1, `page wasm memory at epoch ${s.epoch}: ${s.pageWasm} vs ${first.pageWasm}`);
    }
  } finally {
    await context.close();
  }
});

test('a CNN run stays under 110 MB of engine memory at each of its three epoch ends', async () => {
  const context = await launch();
  try {
    const page = await openReady(context, server.url, '?backend=cpu');
    await train(page, { model: 'baseline-cnn', subset: 1000, batch: 64, epochs: 3 });
    const memory = page.getByTestId('engine-memory');
    const atEpoch = [];
    for (let epoch = 1; epoch <= 3; epoch++) {
      await waitFor(page, async () => Number(await memory.getAttribute('data-epoch')) >= epoch, 180_000, `epoch ${epoch}'s memory`);
      atEpoch.push(Number(await memory.getAttribute('data-wasm-bytes')));
    }
    await record('cnn_engine_memory', atEpoch);
    // Measured (Baseline CNN, 1,000 images, two workers): 96.7 MB after each of the three
    // epochs in most runs; in 3 of 7 on 2026-12-03 the allocator's high-water mark still rose
    // after epoch 1 (91.1 → 99.5 → 99.5 MB; 91.1 → 93.9 → 96.7 MB), as the two workers' timing
    // moves it, so growth between epoch ends is not asserted. Before the evaluation's CPU batches
    // were capped at 100 images and the checkpoint's copies were ordered: 142.5 MB after epoch 1,
    // 153.4 MB after epochs 2 and 3. So: under 110 MB at every epoch end.
    assert.ok(Math.max(...atEpoch) < 110e6, `engine wasm memory after epochs 1, 2, 3: ${atEpoch.join(', ')} bytes`);
  } finally {
    await context.close();
  }
});
