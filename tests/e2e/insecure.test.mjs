// Served over plain http from a LAN address, the page is not a secure context: no Cache API,
// no service worker, no `navigator.storage`, no WebGPU. It must still load, train on the CPU
// and classify, with no page error. The LAN address is simulated on loopback: Chromium maps
// the name atelier.test to 127.0.0.1, and treats http://atelier.test as insecure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, screenshot, waitFor, steps } from './harness.mjs';
import { testImages, imagePng } from './images.mjs';

let server;
before(async () => { server = await serveDist(); });
after(async () => { await server?.close(); });

test('over plain http from a LAN name (an insecure context) the app loads, trains on the CPU and classifies', async () => {
  const context = await launch(['--host-resolver-rules=MAP atelier.test 127.0.0.1']);
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const url = server.url.replace('127.0.0.1', 'atelier.test');
    await page.goto(url);
    assert.equal(await page.evaluate(() => window.isSecureContext), false, 'the test page is an insecure context');
    assert.equal(await page.evaluate(() => typeof caches), 'undefined');
    await page.getByTestId('data-status').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 180_000 });
    const badge = page.getByTestId('backend');
    await waitFor(page, async () => (await badge.getAttribute('data-value')) === 'cpu', 120_000, 'the CPU backend');

    await page.getByTestId('model-select').selectOption('dense');
    await page.getByTestId('subset-select').selectOption('1000');
    await page.getByTestId('epochs-select').selectOption('1');
    await page.getByTestId('train-start').click();
    await waitFor(page, async () => (await page.getByTestId('train-state').getAttribute('data-state')) === 'done', 300_000, 'the run');
    assert.equal(await steps(page), 16);

    const select = page.getByTestId('classify-model-select');
    await waitFor(page, async () => (await select.getAttribute('data-pretrained')) === 'ready', 60_000, 'the pre-trained model');
    const [image] = await testImages(1);
    await page.getByTestId('upload-input').setInputFiles({ name: 'x.png', mimeType: 'image/png', buffer: imagePng(image.pixels) });
    await waitFor(page, async () => Number(await page.getByTestId('prediction').getAttribute('data-seq')) >= 1, 60_000, 'an answer');
    // No clipboard in an insecure context: "Copy link" shows the link to copy by hand.
    await page.getByTestId('copy-link').click();
    const link = page.getByTestId('copy-link-status');
    await link.waitFor({ timeout: 10_000 });
    assert.equal(await link.evaluate((e) => e.tagName), 'INPUT');
    assert.match(await link.inputValue(), /^http:\/\/atelier\.test:\d+\/\?model=dense&/);
    await screenshot(page, 'insecure-context');
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await context.close();
  }
});
