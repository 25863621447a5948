// Accessible to every learner: axe-core's WCAG 2.1 A and AA rules on the page with a finished
// run, its evaluation views (a confusion-matrix cell opened) and a classified upload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serveDist, launch, screenshot, record, waitFor, openReady } from './harness.mjs';
import { testImages, imagePng } from './images.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let server;
before(async () => { server = await serveDist(); });
after(async () => { await server?.close(); });

/** Critical and serious violations of WCAG 2.1 A/AA on the page as it is now. */
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
}

test('no critical or serious WCAG 2.1 A/AA violations with a finished run, its evaluation and a classified upload', async () => {
  const context = await launch();
  try {
    const page = await openReady(context, server.url, '?backend=cpu');
    const before = await violations(page);

    await page.getByTestId('model-select').selectOption('dense');
    await page.getByTestId('subset-select').selectOption('1000');
    await page.getByTestId('epochs-select').selectOption('1');
    await page.getByTestId('train-start').click();
    await waitFor(page, async () => (await page.getByTestId('train-state').getAttribute('data-state')) === 'done', 300_000, 'the run');
    await page.getByTestId('confusion-matrix').waitFor();
    // A mistake cell with images: its image view opens below the matrix.
    const [t, p] = await page.getByTestId('confusion-cell').evaluateAll((cells) => {
      const mistake = cells.find((c) => c.dataset.true !== c.dataset.pred && Number(c.dataset.count) > 0);
      return [mistake.dataset.true, mistake.dataset.pred];
    });
    await page.locator(`[data-testid="confusion-cell"][data-true="${t}"][data-pred="${p}"]`).click();
    await page.getByTestId('cell-images').waitFor();

    const select = page.getByTestId('classify-model-select');
    await waitFor(page, async () => (await select.getAttribute('data-pretrained')) === 'ready', 60_000, 'the pre-trained model');
    const [image] = await testImages(1);
    await page.getByTestId('upload-input').setInputFiles({ name: 'boot.png', mimeType: 'image/png', buffer: imagePng(image.pixels) });
    await waitFor(page, async () => Number(await page.getByTestId('prediction').getAttribute('data-seq')) > 0, 60_000, 'the answer');
    await page.getByTestId('saliency').waitFor();

    const after = await violations(page);
    await screenshot(page, 'a11y-checked');
    await record('axe_violations', { initial: before, finished: after });
    assert.deepEqual(before, [], `on load: ${JSON.stringify(before, null, 1)}`);
    assert.deepEqual(after, [], `after a run, its evaluation and an upload: ${JSON.stringify(after, null, 1)}`);
    // The charts' text alternatives carry the latest figures.
    const label = await page.getByTestId('chart-accuracy').locator('canvas').getAttribute('aria-label');
    assert.match(label, /^Accuracy \(higher is better\)\. Latest: training \d+\.\d% at step 16; validation \d+\.\d% at step \d+/);
  } finally {
    await context.close();
  }
});
