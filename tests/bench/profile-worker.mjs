// Where a training step's time goes in the browser: samples the trainer worker with the
// DevTools CPU profiler while a run trains on the CPU path, and prints the functions that took
// the most time (inclusive and self) and the steps per second the page saw meanwhile.
//
//   trunk build --release && node tests/bench/profile-worker.mjs [dense|baseline-cnn|atelier-cnn] [--window-ms N] [--out FILE]
//
// Puppeteer, not Playwright: only its CDP sessions reach a worker. `--out` keeps the raw
// profile (open it in Chrome's DevTools, Performance panel).
import puppeteer from 'puppeteer-core';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serveDist } from '../e2e/harness.mjs';
import { option } from './config.mjs';

const model = process.argv[2]?.startsWith('--') ? 'dense' : (process.argv[2] ?? 'dense');
// Short enough that a fast model's window holds no epoch end (an epoch of Dense 128 takes ~2 s).
const WINDOW_MS = Number(option('--window-ms') ?? 4_000);
const server = await serveDist();
const profileDir = await mkdtemp(join(tmpdir(), 'atelier-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, userDataDir: profileDir,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const workers = [];
  page.on('workercreated', (w) => workers.push(w));
  await page.goto(`${server.url}?backend=cpu`);
  await page.waitForSelector('[data-testid="data-status"][data-state="ready"]', { timeout: 120_000 });
  await page.waitForSelector('[data-testid="backend"][data-value="cpu"]', { timeout: 120_000 });
  await page.select('[data-testid="model-select"]', model);
  if (model === 'dense') await page.select('[data-testid="hidden-select"]', '128');
  await page.select('[data-testid="subset-select"]', 'all');
  await page.select('[data-testid="epochs-select"]', '3');
  // The trainer is the first engine worker the page starts (the classifier comes second).
  const trainer = workers.find((w) => w.url().includes('atelier-engine'));
  const cdp = trainer.client;
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await page.click('[data-testid="train-start"]');
  const stepsNow = () => page.$eval('[data-testid="run-item"]', (e) => Number(e.dataset.steps ?? 0)).catch(() => 0);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="run-item"]')?.dataset.steps ?? 0) > 20, { timeout: 120_000, polling: 50 });
  const [s0, t0] = [await stepsNow(), Date.now()];
  await cdp.send('Profiler.start');
  await new Promise((ok) => setTimeout(ok, WINDOW_MS));
  const { profile } = await cdp.send('Profiler.stop');
  const [s1, t1] = [await stepsNow(), Date.now()];
  if (option('--out')) await writeFile(option('--out'), JSON.stringify(profile));
  console.log(`${model}: ${s1 - s0} steps in ${t1 - t0} ms as the page saw them: ${((t1 - t0) / (s1 - s0)).toFixed(2)} ms a step`);
  summarize(profile);
} finally {
  await browser.close();
  await server.close();
  await rm(profileDir, { recursive: true, force: true });
}

/** Milliseconds per function, inclusive (once per sample) and self, largest first. */
function summarize(p) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map();
  const self = new Map();
  let total = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i + 1] ?? 100) / 1000;
    total += ms;
    const name = (n) => byId.get(n).callFrame.functionName || '(anonymous)';
    self.set(name(id), (self.get(name(id)) ?? 0) + ms);
    const seen = new Set();
    for (let n = id; n; n = parent.get(n)) {
      if (!seen.has(name(n))) inclusive.set(name(n), (inclusive.get(name(n)) ?? 0) + ms);
      seen.add(name(n));
    }
  });
  const top = (m, count) => [...m].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([f, ms]) => `${ms.toFixed(0).padStart(6)} ms ${(100 * ms / total).toFixed(1).padStart(5)} %  ${f.slice(0, 120)}`).join('\n');
  console.log(`trainer worker, ${total.toFixed(0)} ms sampled\ninclusive:\n${top(inclusive, 30)}\nself:\n${top(self, 20)}`);
}
