// Links that set up a page: every setting of a run in the address, "Copy link", a bad or
// hostile link ignored with a note, and the seed that makes a run the same for a whole class.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, launch, screenshot, record, waitFor, openReady } from './harness.mjs';
import { runState } from './runs.mjs';

let server;
before(async () => { server = await serveDist(); });
after(async () => { await server?.close(); });

/** What the training form shows. */
const form = (page) => page.evaluate(() => {
  const value = (id) => document.querySelector(`[data-testid="${id}"]`)?.value ?? null;
  return {
    model: value('model-select'), hidden: value('hidden-select'), activation: value('activation-select'),
    dropout: value('dropout-select'), optimizer: value('optimizer-select'), lr: value('lr-select'),
    schedule: value('schedule-select'), batch: value('batch-select'), epochs: value('epochs-select'),
    images: value('subset-select'), seed: value('seed-input'),
    augment: document.querySelector('[data-testid="augment-toggle"]').checked,
  };
});

const LINK = {
  model: 'dense', hidden: '256-128', activation: 'sigmoid', dropout: '0.2', optimizer: 'sgd', lr: '0.03',
  schedule: 'constant', batch: '128', epochs: '3', images: '5000', seed: '7',
};

test('a link sets every setting of the form; Copy link gives a link that sets them again', async () => {
  const context = await launch();
  try {
    const query = new URLSearchParams({ ...LINK, augment: '1', backend: 'cpu' });
    const page = await openReady(context, server.url, `?${query}`);
    assert.deepEqual(await form(page), { ...LINK, augment: true });
    assert.equal(await page.getByTestId('link-note').count(), 0, 'a good link has no note');
    await page.getByTestId('backend').and(page.locator('[data-value="cpu"]')).waitFor({ timeout: 60_000 });
    // Changed by hand, then copied: the copied link carries the change and the rest.
    await page.getByTestId('epochs-select').selectOption('10');
    await page.getByTestId('seed-input').fill('12345');
    await page.getByTestId('seed-input').press('Tab');
    assert.match(page.url(), /epochs=10/, 'the address follows the form');
    await page.getByTestId('copy-link').click();
    const status = page.getByTestId('copy-link-status');
    await status.waitFor({ timeout: 10_000 });
    const link = await status.getAttribute('data-link');
    // The same link as a QR code, for a class to scan (tests/link.rs reads such a code back).
    await page.getByTestId('show-qr').click();
    const qr = page.getByTestId('link-qr');
    assert.equal(await qr.getAttribute('data-link'), link);
    const size = await qr.locator('svg').boundingBox();
    assert.ok(size.width >= 320 && size.height >= 320, `large enough to scan: ${size.width}`);
    await screenshot(page, 'link-copied');
    const other = await openReady(context, link.replace(/\?.*$/, ''), `?${new URL(link).searchParams}`);
    assert.deepEqual(await form(other), { ...LINK, epochs: '10', seed: '12345', augment: true });
    assert.equal(new URL(link).searchParams.get('backend'), 'cpu', 'the rest of the address is kept');
  } finally {
    await context.close();
  }
});

test('a link with bad or hostile values is ignored with a visible note, and the page works', async () => {
  const context = await launch();
  const errors = [];
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const query = new URLSearchParams({
      model: '<img src=x onerror=alert(1)>', lr: '1e9', batch: '-5', hidden: '99999999', seed: 'abc',
      epochs: '2', augment: 'maybe', images: 'x'.repeat(5000),
    });
    await page.goto(`${server.url}?${query}&backend=cpu`);
    await page.getByTestId('data-status').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 120_000 });
    const note = page.getByTestId('link-note');
    await note.waitFor({ timeout: 10_000 });
    const items = await note.locator('li').allTextContents();
    assert.equal(items.length, 7, items.join('\n'));
    assert.match(items[0], /^“model=<img src=x onerror=alert…” was ignored: expected one of dense, baseline-cnn, atelier-cnn\.$/);
    assert.ok(items.every((i) => i.length < 200), 'a 5,000-character value is cut short');
    assert.equal(await page.locator('img[src="x"]').count(), 0, 'shown as text, never markup');
    const shown = await form(page);
    assert.deepEqual([shown.model, shown.lr, shown.batch, shown.seed, shown.epochs], ['baseline-cnn', '0.003', '64', '42', '2']);
    await screenshot(page, 'link-hostile');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the same seed and settings train the same run; another seed another', async () => {
  const context = await launch();
  try {
    const losses = async (seed) => {
      const page = await openReady(context, server.url, `?backend=cpu&model=dense&hidden=128&images=1000&epochs=1&seed=${seed}`);
      await page.getByTestId('backend').and(page.locator('[data-value="cpu"]')).waitFor({ timeout: 60_000 });
      await page.getByTestId('train-start').click();
      await waitFor(page, async () => (await runState(page)) === 'done', 120_000, `the run with seed ${seed}`);
      const run = await page.evaluate(() => new Promise((resolve) => {
        indexedDB.open('atelier').onsuccess = (e) => {
          const store = e.target.result.transaction('runs').objectStore('runs');
          store.getAll().onsuccess = (g) => resolve(JSON.parse(g.target.result.at(-1)));
        };
      }));
      await page.close();
      return run.steps.map((s) => s.loss);
    };
    const first = await losses(7);
    const again = await losses(7);
    const other = await losses(8);
    assert.equal(first.length, 16);
    assert.deepEqual(again, first, 'seed 7 twice: the same 16 losses');
    assert.notDeepEqual(other, first, 'seed 8: another run');
    await record('link_seed_losses', { seed7: first.slice(0, 3), seed8: other.slice(0, 3) });
  } finally {
    await context.close();
  }
});
