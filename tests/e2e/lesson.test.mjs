// The guided lesson a teacher runs from a projector: seven steps, Next/Back and a clicker's keys,
// only each step's panels, its run one click away, the step in the address for a class's link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serveDist, launch, screenshot, waitFor, ROOT } from './harness.mjs';

let server;
before(async () => { server = await serveDist(); });
after(async () => { await server?.close(); });

const PANELS = {
  data: '.data-status', gallery: '.gallery-card', train: '.train-card', runs: '.runs-card',
  evaluation: '.evaluation', classify: '.classify-card', inside: '.inside-card',
};
const STEPS = [
  ['Meet the data', ['data', 'gallery']],
  ['A dense network learns', ['train']],
  ['Sigmoid, ReLU and dropout', ['train']],
  ['Why a CNN wins', ['train']],
  ['Inside the two networks', ['inside']],
  ['Where it goes wrong', ['evaluation']],
  ['Draw a garment', ['classify']],
];

// What each step must show without scrolling, on a 1280 × 720 projector as on 1920 × 1080.
const PRIMARY = [
  ['.gallery-card .chips', '.gallery-card .grid'],
  ['[data-testid="chart-loss"]', '[data-testid="chart-accuracy"]', '[data-testid="lesson-action"]'],
  ['[data-testid="chart-loss"]', '[data-testid="chart-accuracy"]', '[data-testid="lesson-action"]'],
  ['[data-testid="chart-loss"]', '[data-testid="chart-accuracy"]', '[data-testid="lesson-action"]'],
  ['[data-testid="shift-control"]', '[data-testid="weights-view"]', '[data-testid="feature-maps"]', '[data-testid="shift-figure"]'],
  ['.evaluation'],
  ['.draw-canvas', '.probabilities'],
].map((selectors) => ['.lesson', '[data-testid="lesson-next"]', ...selectors]);

/** The step's primary content lies inside the window, unscrolled (`inWindow`), nothing sticks out
 * of its card, and with `whole` the page fits too. */
async function assertFits(page, step, whole = true, inWindow = true) {
  const out = await page.evaluate(([selectors, whole, inWindow]) => {
    const bad = !inWindow ? [] : selectors.filter((s) => {
      const e = document.querySelector(s);
      if (!e) return true;
      const b = e.getBoundingClientRect();
      return b.height === 0 || b.top < 0 || b.bottom > innerHeight + 0.5 || b.right > innerWidth + 0.5;
    });
    if (scrollY !== 0) bad.push(`scrolled by ${scrollY}`);
    // Cards paint on their own (styles/main.css, `contain: paint`): whatever sticks out of its
    // card is cut off, so nothing may (on a 4:3 projector the step's buttons did, by 66 px).
    for (const card of document.querySelectorAll('.card')) {
      const c = card.getBoundingClientRect();
      for (const e of card.querySelectorAll('*')) {
        const b = e.getBoundingClientRect();
        const over = Math.max(c.left - b.left, b.right - c.right, c.top - b.top, b.bottom - c.bottom);
        if (b.width > 0 && b.height > 0 && over > 1) bad.push(`${e.dataset.testid ?? e.className} out of its card by ${Math.round(over)} px`);
      }
    }
    // A figure wider than its box is cut (at 1024 × 768 the live loss and accuracy were).
    for (const e of document.querySelectorAll('.metric-value')) {
      if (e.scrollWidth > e.clientWidth + 1) bad.push(`${e.parentElement.dataset.testid} cut: ${e.textContent}`);
    }
    if (whole && document.documentElement.scrollHeight > innerHeight) bad.push(`page ${document.documentElement.scrollHeight} px tall`);
    return bad;
  }, [PRIMARY[step - 1], whole, inWindow]);
  assert.deepEqual(out, [], `step ${step} at ${page.viewportSize().width} × ${page.viewportSize().height}: outside the window`);
}

/** The step's words' size in CSS pixels. */
const lessonTextPx = (page) => page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.lesson-text')).fontSize));

const shown = (page) => page.evaluate((panels) =>
  Object.entries(panels).filter(([, selector]) => document.querySelector(selector)).map(([name]) => name), PANELS);

test('the lesson in presenter mode at 1280 × 720: seven steps by button and clicker key, each with only its panels fitting the screen, in the address', async () => {
  const context = await launch();
  const errors = [];
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.url}?backend=cpu`);
    await page.getByTestId('data-status').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 120_000 });
    assert.deepEqual(await shown(page), Object.keys(PANELS), 'the whole app first');
    await page.getByTestId('present-toggle').click();
    await page.getByTestId('lesson-start').click();
    const step = page.getByTestId('lesson-step');
    for (const [i, [title, panels]] of STEPS.entries()) {
      await waitFor(page, async () => (await step.getAttribute('data-step')) === String(i + 1), 5_000, `step ${i + 1}`);
      assert.equal(await step.textContent(), title);
      assert.deepEqual(await shown(page), panels, `step ${i + 1}'s panels`);
      assert.equal(new URL(page.url()).searchParams.get('lesson'), String(i + 1));
      const words = (await page.locator('.lesson-text').textContent()).split(/(?<=[.!?])\s+/);
      assert.ok(words.length >= 2 && words.length <= 4, `step ${i + 1}: 2–4 sentences, not ${words.length}`);
      if (i === 0) {
        // The step's link as a QR code, for the class.
        await page.getByTestId('show-qr').click();
        assert.equal(new URL(await page.getByTestId('link-qr').getAttribute('data-link')).searchParams.get('lesson'), '1');
        await page.getByTestId('show-qr').click();
        await page.mouse.click(5, 300); // the focus off the button: the clicker's Space must turn the page
      }
      if (title === 'Inside the two networks') {
        // The measured figure: exactly what the trainer wrote (static/lesson/shifts.json).
        const file = JSON.parse(await readFile(join(ROOT, 'static', 'lesson', 'shifts.json'), 'utf8'));
        const rows = page.getByTestId('shift-row');
        await waitFor(page, async () => (await rows.count()) === file.length, 10_000, 'the shift figures');
        for (const figures of file) {
          const row = page.locator(`[data-testid="shift-row"][data-model="${figures.model}"]`);
          const values = await row.locator('td').evaluateAll((tds) => tds.map((td) => Number(td.dataset.value)));
          assert.equal(values.length, figures.accuracy.length, figures.model);
          values.forEach((v, d) => assert.ok(Math.abs(v - figures.accuracy[d]) < 1e-12, `${figures.model} ${d} px: ${v}`));
        }
      }
      if (title === 'Inside the two networks') await insideTheNetworks(page);
      const px = await lessonTextPx(page);
      assert.ok(px >= 24, `step ${i + 1}: the text at ${px} px`);
      await screenshot(page, `lesson-step-${i + 1}`);
      await assertFits(page, i + 1);
      // Next by the clicker's keys and by the button, alternately.
      if (i === STEPS.length - 1) break;
      if (i % 2 === 0) await page.keyboard.press(i % 4 === 0 ? 'ArrowRight' : 'PageDown');
      else await page.getByTestId('lesson-next').click();
    }
    assert.equal(await page.getByTestId('lesson-next').isDisabled(), true, 'the last step has no Next');
    // The same slides on a 1920 × 1080 screen, back to the first by the clicker's keys.
    await page.setViewportSize({ width: 1920, height: 1080 });
    for (let n = STEPS.length; n >= 1; n--) {
      await waitFor(page, async () => (await step.getAttribute('data-step')) === String(n), 5_000, `step ${n}`);
      await page.waitForTimeout(300);
      await screenshot(page, `lesson-1080-step-${n}`);
      await assertFits(page, n);
      if (n > 1) await page.keyboard.press('PageUp');
    }
    // And on a 4:3 projector, 1024 × 768: the words stay at 24 px in a wider column, and every
    // step still fits the window.
    await page.setViewportSize({ width: 1024, height: 768 });
    for (let n = 1; n <= STEPS.length; n++) {
      await waitFor(page, async () => (await step.getAttribute('data-step')) === String(n), 5_000, `step ${n}`);
      await page.waitForTimeout(300);
      const px = await lessonTextPx(page);
      assert.ok(px >= 24, `step ${n} at 1024 × 768: the text at ${px} px`);
      await screenshot(page, `lesson-1024-step-${n}`);
      await assertFits(page, n);
      if (n < STEPS.length) await page.keyboard.press('PageDown');
    }
    for (let n = 1; n < STEPS.length; n++) await page.keyboard.press('PageUp');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await waitFor(page, async () => (await step.getAttribute('data-step')) === '1', 5_000, 'step 1 again');
    for (let n = 1; n < STEPS.length; n++) await page.keyboard.press('PageDown');
    await waitFor(page, async () => (await step.getAttribute('data-step')) === '7', 5_000, 'step 7 again');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.keyboard.press('PageUp');
    await waitFor(page, async () => (await step.getAttribute('data-step')) === '6', 5_000, 'back by PageUp');
    await page.keyboard.press('ArrowLeft');
    await page.getByTestId('lesson-prev').click();
    await waitFor(page, async () => (await step.getAttribute('data-step')) === '4', 5_000, 'back by ← and the button');
    // A clicker pressed twice before the page redraws (both presses in one task) turns two pages.
    const pressTwice = (key) => page.evaluate((key) => {
      for (let i = 0; i < 2; i++) document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
    }, key);
    await pressTwice('PageDown');
    await waitFor(page, async () => (await step.getAttribute('data-step')) === '6', 5_000, 'two pages on by two quick presses');
    await page.waitForTimeout(300);
    assert.equal(await step.getAttribute('data-step'), '6', 'two quick presses: two pages, no more');
    await pressTwice('PageUp');
    await waitFor(page, async () => (await step.getAttribute('data-step')) === '4', 5_000, 'two pages back by two quick presses');

    // A link opens the step for the whole class; a bad step is ignored with a note.
    const link = await context.newPage();
    await link.goto(`${server.url}?lesson=4&backend=cpu`);
    await link.getByTestId('lesson-step').and(link.locator('[data-step="4"]')).waitFor({ timeout: 30_000 });
    await link.goto(`${server.url}?lesson=99&backend=cpu`);
    await link.getByTestId('link-note').waitFor({ timeout: 30_000 });
    assert.match(await link.getByTestId('link-note').textContent(), /“lesson=99” was ignored: expected a step from 1 to 7\./);
    assert.equal(await link.getByTestId('lesson').count(), 0);

    // Leaving the lesson brings the whole app back, and the step leaves the address.
    await page.getByTestId('lesson-leave').click();
    await page.getByTestId('lesson-start').waitFor();
    assert.ok((await shown(page)).includes('gallery') && (await shown(page)).includes('classify'));
    assert.equal(new URL(page.url()).searchParams.get('lesson'), null);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

/** Step 5: both shipped models' first layers, and their answers as the picture moves. */
async function insideTheNetworks(page) {
  const answers = page.getByTestId('shift-answer');
  await waitFor(page, async () => (await answers.count()) === 2, 60_000, 'both models answer');
  const read = () => answers.evaluateAll((es) => es.map((e) => ({ model: e.dataset.model, p: Number(e.dataset.p) })));
  const first = await read();
  assert.deepEqual(first.map((a) => a.model), ['dense', 'cnn']);
  assert.ok(first.every((a) => a.p > 0.1 && a.p <= 1), JSON.stringify(first));
  // 8 dense units as 28×28 pictures; 8 CNN filters (3×3) and their 28×28 feature maps.
  const sides = (id) => page.getByTestId(id).locator('canvas').evaluateAll((cs) => cs.map((c) => c.width));
  assert.deepEqual(await sides('weights-view'), Array(8).fill(28));
  assert.deepEqual(await sides('feature-maps'), [...Array(8).fill(3), ...Array(8).fill(28)]);
  const control = page.getByTestId('shift-control');
  const picture = () => page.getByTestId('shifted-picture').evaluate((c) =>
    Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)));
  const before = await picture();
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Move right' }).click();
  assert.equal(await control.getAttribute('data-dx'), '3');
  // The picture the models saw moved 3 px right, and both answered it.
  await waitFor(page, async () => {
    const now = await picture();
    return now.every((v, i) => (i % 28 < 3 ? v === 0 : v === before[i - 3]));
  }, 30_000, 'the moved picture');
  assert.match(await control.textContent(), /Moved 3 px right/);
  assert.equal(await answers.count(), 2);
}

test("the lesson's dense-network step trains its run with one click, curves in view", async () => {
  const context = await launch();
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.url}?lesson=2&backend=cpu&present=1`);
    // The backend badge is not shown in the lesson (only what the step needs), but it is there.
    await page.getByTestId('backend').and(page.locator('[data-value="cpu"]')).waitFor({ state: 'attached', timeout: 120_000 });
    const action = page.getByTestId('lesson-action');
    assert.equal(await action.textContent(), 'Train a dense network');
    await waitFor(page, async () => !(await action.isDisabled()), 60_000, 'ready to train');
    await action.click();
    await waitFor(page, async () => (await page.getByTestId('train-state').getAttribute('data-state')) === 'done', 300_000, 'the run');
    const run = page.locator('[data-testid="run-item"]');
    assert.equal(await page.getByTestId('train-state').getAttribute('data-step'), '471', 'Dense 128, 10,000 images, 3 epochs of 157 steps');
    assert.equal(await page.getByTestId('model-select').count(), 0, 'no form in the lesson: the curves instead');
    assert.ok(await page.getByTestId('chart-loss').isVisible());
    await screenshot(page, 'lesson-dense-trained');
    await assertFits(page, 2);
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.getByTestId('confusion-matrix').waitFor({ timeout: 10_000 });
    assert.equal(await run.count(), 0, 'step 6 shows the evaluation only');
    await page.waitForTimeout(300);
    await screenshot(page, 'lesson-confusion');
    await assertFits(page, 6);
    // The same two steps, trained, on a 4:3 projector.
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.waitForTimeout(300);
    await screenshot(page, 'lesson-1024-confusion');
    await assertFits(page, 6);
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    await waitFor(page, async () => (await page.getByTestId('lesson-step').getAttribute('data-step')) === '2', 5_000, 'back to step 2');
    await page.waitForTimeout(300);
    await screenshot(page, 'lesson-1024-dense-trained');
    await assertFits(page, 2);
  } finally {
    await context.close();
  }
});

test('presenter mode: 24 px body text and larger charts, from a link or the toggle, and back', async () => {
  const context = await launch();
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.url}?present=1&lesson=2&backend=cpu`);
    await page.getByTestId('lesson-step').waitFor({ timeout: 60_000 });
    const px = (selector) => page.evaluate((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize), selector);
    assert.ok((await px('body')) >= 24, `body text ${await px('body')} px`);
    assert.ok((await px('.lesson-text')) >= 24, `the step's text ${await px('.lesson-text')} px`);
    assert.equal(await page.getByTestId('chart-loss').getAttribute('data-scale'), '1.7', 'thick lines, big labels');
    await screenshot(page, 'lesson-presenter');
    await page.getByTestId('present-toggle').click();
    await waitFor(page, async () => (await px('body')) < 20, 5_000, 'normal size again');
    assert.equal(await page.getByTestId('chart-loss').getAttribute('data-scale'), '1');
    assert.equal(new URL(page.url()).searchParams.get('present'), null);
    await page.getByTestId('present-toggle').click();
    await waitFor(page, async () => new URL(page.url()).searchParams.get('present') === '1', 5_000, 'in the address');
  } finally {
    await context.close();
  }
});

test('recorded runs: on the comparison steps at once, labelled recorded with their figures, with the network off after one visit; the toggle hides them', async () => {
  const context = await launch();
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.url}?lesson=3&backend=cpu&present=1`);
    await page.evaluate(() => navigator.serviceWorker.ready);
    // The data in and the engine up (the step's button enabled): everything fetched once.
    await page.locator('[data-testid="lesson-action"]:not([disabled])').waitFor({ timeout: 120_000 });
    await context.setOffline(true);
    await page.reload();
    const file = JSON.parse(await readFile(join(ROOT, 'static', 'lesson', 'recorded.json'), 'utf8'));
    const legend = page.getByTestId('chart-accuracy').getByTestId('recorded-run');
    const check = async (group, model) => {
      const runs = file.filter((r) => r.group === group);
      await waitFor(page, async () => (await legend.count()) === runs.length, 30_000, `the recorded ${group} runs`);
      const names = await legend.evaluateAll((es) => es.map((e) => e.dataset.name));
      runs.forEach((run, i) => {
        assert.match(names[i], new RegExp(`^recorded · ${model}`), names[i]);
        // The legend carries the run's recorded figure: its last epoch's test accuracy.
        const shown = Number(names[i].match(/: ([\d.]+) %$/)[1]);
        assert.ok(Math.abs(shown - run.epochs.at(-1).test.accuracy * 100) <= 0.051, `${names[i]} vs ${JSON.stringify(run.epochs.at(-1).test)}`);
      });
      assert.equal(await page.getByTestId('charts').getAttribute('data-mode'), 'overlay');
    };
    await check('activations', 'Dense 128-128');
    // Shown before the data is in (the data's progress shows above them until then).
    await page.locator('[data-testid="lesson-action"]:not([disabled])').waitFor({ timeout: 120_000 });
    await screenshot(page, 'lesson-recorded');
    await assertFits(page, 3);
    await page.getByTestId('recorded-toggle').click();
    await waitFor(page, async () => (await legend.count()) === 0, 5_000, 'hidden');
    assert.equal(await page.getByTestId('charts').getAttribute('data-mode'), 'live');
    await page.getByTestId('recorded-toggle').click();
    await check('activations', 'Dense 128-128');
    await page.keyboard.press('ArrowRight');
    await check('cnn', '(Dense|Baseline CNN|Atelier CNN)');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await check('dense', 'Dense 128 RELU');
  } finally {
    await context.setOffline(false);
    await context.close();
  }
});

test("the lesson's comparison steps start their runs with one click, beside the recorded ones", async () => {
  const context = await launch();
  try {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.url}?lesson=3&backend=cpu&present=1`);
    const action = page.locator('[data-testid="lesson-action"]:not([disabled])');
    const names = async () => Object.keys(JSON.parse(await page.getByTestId('chart-accuracy').getAttribute('data-series')));
    const state = () => page.getByTestId('train-state').getAttribute('data-state');
    for (const [step, first, label] of [[3, '#1 Dense 128-128 SIGMOID', 'Run the three and compare'], [4, '#2 Dense 128-128 RELU', 'Race a dense network and two CNNs']]) {
      await action.waitFor({ timeout: 120_000 });
      assert.equal(await action.textContent(), label);
      await action.click();
      // The preset's first run trains, overlaid with the recorded three, and reaches its first
      // test figure; Stop then cancels the rest of the preset.
      await waitFor(page, async () => (await names()).some((n) => n.startsWith(`${first} test: `)), 180_000, `step ${step}: ${first}'s first epoch`);
      assert.equal((await names()).filter((n) => n.startsWith('recorded · ') && / test: /.test(n)).length, 3, `step ${step}: ${await names()}`);
      await screenshot(page, `lesson-step-${step}-live`);
      await assertFits(page, step, false);
      await page.setViewportSize({ width: 1024, height: 768 });
      await page.waitForTimeout(300);
      await screenshot(page, `lesson-1024-step-${step}-live`);
      await assertFits(page, step, false);
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.getByTestId('train-stop').click();
      await waitFor(page, async () => (await state()) === 'done', 30_000, 'stopped');
      await page.keyboard.press('ArrowRight');
    }
  } finally {
    await context.close();
  }
});
