// Every core: a CNN trains on the CPU in two workers (the trainer and a helper replica, each on
// its shard of every batch), learns what one worker learns, holds its steps while the user draws,
// and a helper's death costs nothing — also while it evaluates its part of the validation and
// test images at an epoch's end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, openReady, screenshot, steps, strokeFor, value, waitFor } from './harness.mjs';
import { runState } from './runs.mjs';

let server;
before(async () => { server = await serveDist(); });
after(async () => { await server?.close(); });

const throughputLabel = (page) => page.getByTestId('metric-throughput').locator('.metric-label').innerText();

/** The Baseline CNN on 1,000 images (16 steps an epoch), started. */
async function trainBaseline(page, epochs) {
  await page.getByTestId('model-select').selectOption('baseline-cnn');
  await page.getByTestId('subset-select').selectOption('1000');
  await page.getByTestId('epochs-select').selectOption(String(epochs));
  await page.getByTestId('train-start').click();
}

/** The Baseline CNN (`epochs` of 1,000 images) in two workers on a fresh page with `extra` in its
 * query, each step at least 40 ms, once five steps are in and the readout says two cores. */
async function trainingInTwoWorkers(context, extra, epochs) {
  const page = await openReady(context, server.url, `?backend=cpu&workers=2&step_ms=40${extra}`);
  await trainBaseline(page, epochs);
  await waitFor(page, async () => (await steps(page)) >= 5, 120_000, 'five steps');
  assert.match(await throughputLabel(page), /2 cores/i);
  return page;
}

async function finish(page) {
  await waitFor(page, async () => (await runState(page)) === 'done', 300_000, 'the run to finish');
  return value(page, 'metric-test-accuracy');
}

/** A 2-epoch Baseline CNN run in a fresh browser (no runs stored from another page): the label
 * of the images/s readout while it trains, and the test accuracy it ends with. */
async function runWith(workers) {
  const context = await launch();
  try {
    const page = await openReady(context, server.url, `?backend=cpu&workers=${workers}`);
    await trainBaseline(page, 2);
    await waitFor(page, async () => (await steps(page)) >= 1, 120_000, 'the first step');
    const label = await throughputLabel(page);
    const accuracy = await finish(page);
    assert.equal(await steps(page), 32);
    if (workers > 1) await screenshot(page, 'cores-two-workers');
    return { label, accuracy };
  } finally {
    await context.close();
  }
}

test('a CNN trains in two workers on two cores and learns what one worker learns', async () => {
  const alone = await runWith(1);
  assert.equal(alone.label.toLowerCase(), 'images / s');
  const pair = await runWith(2);
  assert.match(pair.label, /2 cores/i);
  console.log(`test accuracy: one worker ${alone.accuracy}, two ${pair.accuracy}`);
  // Measured: the same test accuracy to the image (73.67 % both after 2 epochs, 2026-12-01;
  // earlier 72.57 % both, and 67.63 % with the helpers' shards dropped from the sum); the
  // gradients differ from one worker's only in float rounding, so allow 0.3 points (30 images).
  assert.ok(Math.abs(pair.accuracy - alone.accuracy) <= 0.003, `one worker ${alone.accuracy}, two ${pair.accuracy}`);
});

test('a helper that dies mid-run: the trainer goes on alone and the run finishes', async () => {
  const context = await launch();
  try {
    const page = await trainingInTwoWorkers(context, '&debug=1', 3);
    await page.evaluate(() => window.atelierDebug.trapHelper());
    const trappedAt = await steps(page);
    await waitFor(page, async () => /^images \/ s$/i.test(await throughputLabel(page)), 30_000, 'one worker again');
    const accuracy = await finish(page);
    console.log(`trapped at step ${trappedAt}, test accuracy ${accuracy}`);
    assert.equal(await steps(page), 48, 'every step trained');
    assert.ok(trappedAt < 48, `the helper died at step ${trappedAt}, before the end`);
    // Measured 75.31 % after 3 epochs of 1,000 images, as without the fault.
    assert.ok(accuracy > 0.74, `test accuracy ${accuracy}`);
  } finally {
    await context.close();
  }
});

test('a helper that dies while it evaluates: the trainer evaluates its part, the epoch\'s figures are whole', async () => {
  /** A 2-epoch run: epoch 1's test accuracy and test images tallied, and the readout after. */
  const run = async (query, fault) => {
    const context = await launch();
    try {
      const page = await openReady(context, server.url, `${query}&step_ms=40`);
      await trainBaseline(page, 2);
      await waitFor(page, async () => (await steps(page)) >= 2, 120_000, 'two steps');
      if (fault) await page.evaluate(() => window.atelierDebug.trapHelperAtEvaluation());
      await waitFor(page, async () => (await page.getByTestId('confusion-matrix').count()) > 0, 300_000, 'epoch 1\'s confusion matrix');
      const epoch1 = { accuracy: await value(page, 'metric-test-accuracy'), tallied: await value(page, 'confusion-matrix', 'data-total') };
      await finish(page);
      return { ...epoch1, label: await throughputLabel(page) };
    } finally {
      await context.close();
    }
  };
  const alone = await run('?backend=cpu&workers=1');
  const faulted = await run('?backend=cpu&workers=2&debug=1', true);
  console.log(`epoch 1, one worker: ${alone.accuracy} over ${alone.tallied}; helper trapped at the evaluation: ${faulted.accuracy} over ${faulted.tallied}`);
  // The helper did die at the evaluation: epoch 2 trained in one worker.
  assert.match(faulted.label, /^images \/ s$/i, 'one worker after the helper died');
  // Every test image tallied and the same accuracy as one worker (measured: equal); without the
  // trainer's evaluation of the dead helper's part, half the images would be missing.
  assert.equal(faulted.tallied, 10_000);
  assert.ok(Math.abs(faulted.accuracy - alone.accuracy) <= 0.003, `one worker ${alone.accuracy}, faulted ${faulted.accuracy}`);
});

test('drawing while two workers train: the run holds its steps, answers each drawing, then trains on in two workers', async () => {
  // The drawing's answer needs the cores the run trains on: holding gives it a median of 10 ms
  // while the Atelier CNN trains, against 20 ms when only the helper's core was ceded (README).
  const context = await launch();
  try {
    const page = await trainingInTwoWorkers(context, '', 5);
    const prediction = page.getByTestId('prediction');
    const answered = Number(await prediction.getAttribute('data-seq') ?? 0);
    // Strokes for 4 s; the step in flight finishes, then nothing more.
    const { afterOneSecond, atLastStroke } = await strokeFor(page);
    assert.equal(await runState(page), 'running', 'held, not paused');
    assert.ok(Number(await prediction.getAttribute('data-seq')) > answered, 'the drawings were answered');
    // The page says why the steps stopped, in the run's badge and beside the drawing's answer.
    const badge = page.getByTestId('train-state');
    assert.equal(await badge.getAttribute('data-holding'), 'true');
    assert.equal(await badge.innerText(), 'Waiting while you draw');
    assert.equal(await page.getByTestId('training-held').count(), 1);
    // Measured: 15 → 15; with the hold made blind to the CPU path, 16 → 32 (checked).
    assert.ok(atLastStroke - afterOneSecond <= 1, `held while drawing: step ${afterOneSecond} → ${atLastStroke}`);
    await screenshot(page, 'cores-held-while-drawing');
    // Hands off: the run trains on (DRAWING_SECONDS after the last stroke), still in two workers.
    await waitFor(page, async () => (await steps(page)) >= atLastStroke + 5, 30_000, 'training on after the drawing');
    assert.match(await throughputLabel(page), /2 cores/i, 'the helper trains again');
    assert.equal(await badge.getAttribute('data-holding'), 'false');
    assert.equal(await page.getByTestId('training-held').count(), 0);
    const accuracy = await finish(page);
    console.log(`held at step ${afterOneSecond} → ${atLastStroke} over 4 s of strokes, test accuracy ${accuracy}`);
    assert.equal(await steps(page), 80, 'every step trained once');
    assert.match(await throughputLabel(page), /2 cores/i, 'the helper still trains at the end');
    // Measured 78.82 % after 5 epochs of 1,000 images with the old cede; a step lost or applied
    // twice across the hold would cost points.
    assert.ok(accuracy > 0.775, `test accuracy ${accuracy}`);
  } finally {
    await context.close();
  }
});
