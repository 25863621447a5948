// A second browser: Firefox ESR (Debian's firefox-esr, no WebGPU on Linux, so the CPU path),
// driven over WebDriver BiDi by puppeteer-core. A smoke test of each panel: data and gallery,
// the backend badge and select, training, classification, saved runs after a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import puppeteer from 'puppeteer-core';
import { serveDist, ARTIFACTS, record } from './harness.mjs';

const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

let server;
before(async () => { server = await serveDist(); });
after(async () => { await server?.close(); });

const sel = (id, extra = '') => `[data-testid="${id}"]${extra}`;
const attr = (page, id, name) => page.$eval(sel(id), (el, n) => el.getAttribute(n), name);

/** Polls `predicate` every 250 ms; fails naming `what` after `timeout` ms. */
async function until(predicate, timeout, what) {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    if (await predicate().catch(() => false)) return;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
}

/** A stroke with real mouse events, in canvas fractions. */
async function stroke(page, points) {
  const canvas = await page.$(sel('draw-canvas'));
  await canvas.scrollIntoView();
  const box = await canvas.boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

test('Firefox: data, gallery, training on the CPU, classification and saved runs work', async () => {
  const profile = await mkdtemp(join(tmpdir(), 'atelier-firefox-'));
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, userDataDir: profile });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);

    // Data and gallery.
    await page.waitForSelector(sel('data-status', '[data-state="ready"]'), { timeout: 180_000 });
    assert.equal(await attr(page, 'gallery', 'data-count'), '10000');
    await page.click(`${sel('class-filter')} [data-class="1"]`);
    await until(async () => (await attr(page, 'gallery', 'data-count')) === '1000', 10_000, 'the trouser filter');
    const labels = await page.$$eval(sel('gallery-item'), (els) => els.map((el) => el.dataset.label));
    assert.ok(labels.length > 0 && labels.every((l) => l === '1'), `labels ${labels}`);

    // No WebGPU in Firefox on Linux: the CPU, said so, and the GPU option greyed out.
    await until(async () => (await attr(page, 'backend', 'data-choice')) === 'unavailable', 60_000, 'the backend decision');
    assert.equal(await attr(page, 'backend', 'data-value'), 'cpu');
    const badge = await page.$eval(sel('backend'), (el) => el.textContent);
    assert.match(badge, /WebGPU not available in this browser — training on the CPU/);
    const select = await page.$eval(sel('backend-select'), (el) => ({ value: el.value, gpuDisabled: el.querySelector('option[value="webgpu"]').disabled }));
    assert.deepEqual(select, { value: 'cpu', gpuDisabled: true });

    // Classification with the shipped model.
    await until(async () => (await attr(page, 'classify-model-select', 'data-pretrained')) === 'ready', 120_000, 'the pre-trained model');
    await stroke(page, [[0.4, 0.1], [0.6, 0.1]]);
    await stroke(page, [[0.42, 0.1], [0.41, 0.5], [0.4, 0.9]]);
    await stroke(page, [[0.58, 0.1], [0.59, 0.5], [0.6, 0.9]]);
    await until(async () => Number(await attr(page, 'prediction', 'data-seq')) > 0, 60_000, 'an answer');
    // The answer to the whole drawing (the page marks the answer to its newest request).
    await until(async () => (await attr(page, 'prediction', 'data-current')) === 'true', 60_000, 'the answer to the whole drawing');
    const bars = await page.$$eval(sel('prob-bar'), (els) => els.map((el) => Number(el.dataset.prob)));
    assert.ok(Math.abs(bars.reduce((a, b) => a + b, 0) - 1) < 1e-4, `probabilities ${bars}`);
    assert.equal(await attr(page, 'prediction', 'data-class'), '1', 'two legs from a waistband are trousers');

    // Training: Dense on 1,000 images, one epoch.
    await page.select(sel('model-select'), 'dense');
    await page.select(sel('subset-select'), '1000');
    await page.select(sel('epochs-select'), '1');
    await page.click(sel('train-start'));
    await until(async () => (await attr(page, 'train-state', 'data-state')) === 'done', 300_000, 'the run to finish');
    const accuracy = Number(await attr(page, 'metric-test-accuracy', 'data-value'));
    // Dense 128-128 after one epoch (16 steps) of 1,000 images: 0.5623 measured, the very same
    // figure Chromium's CPU path gives (same wasm, same seed).
    assert.ok(accuracy > 0.54, `test accuracy ${accuracy}`);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'firefox-trained.png'), fullPage: true });

    // Saved runs: the run and its checkpoint come back after a reload.
    await until(async () => (await page.$eval(sel('run-item'), (el) => el.dataset.checkpointStep)) !== '', 30_000, 'the saved checkpoint');
    await page.reload();
    await page.waitForSelector(sel('data-status', '[data-state="ready"]'), { timeout: 180_000 });
    await until(async () => (await attr(page, 'run-list', 'data-count')) === '1', 30_000, 'the restored run');
    assert.equal(await page.$eval(sel('run-item'), (el) => el.dataset.state), 'done');
    assert.equal(Number(await page.$eval(sel('run-item'), (el) => el.dataset.testAccuracy)).toFixed(4), accuracy.toFixed(4));
    assert.deepEqual(errors, []);
    await record('firefox_smoke', { version: await browser.version(), testAccuracy: accuracy });
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch(() => {});
  }
});
