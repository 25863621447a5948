// Main-thread busy share while the default model trains: Chromium's Performance.getMetrics
// (TaskDuration, ScriptDuration, …) sampled every 5 s, with steps/s.
//
//   node tests/bench/main-thread-load.mjs [DIST] [EPOCHS (default 2)] [SAMPLES (default 14)]
import puppeteer from 'puppeteer-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { serveDist } from '../e2e/harness.mjs';
const server = await serveDist(process.argv[2] ?? undefined);
const EPOCHS = process.argv[3] ?? '2';
const SAMPLES = Number(process.argv[4] ?? 14);
const profileDir = await mkdtemp(join(tmpdir(), 'atelier-chromium-'));
const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, userDataDir: profileDir,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--no-first-run'] });
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 1000 });
await page.goto(`${server.url}?backend=cpu`);
await page.waitForSelector('[data-testid="data-status"][data-state="ready"]', { timeout: 120_000 });
await page.waitForSelector('[data-testid="backend"][data-value="cpu"]', { timeout: 120_000 });
await new Promise((ok) => setTimeout(ok, 3000));
const cdp = await page.createCDPSession();
await cdp.send('Performance.enable');
const m = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
const step = () => page.$eval('[data-testid="train-state"]', (e) => Number(e.dataset.step ?? 0)).catch(() => 0);
await page.select('[data-testid="epochs-select"]', EPOCHS);
await page.click('[data-testid="train-start"]');
let prev = await m(); let prevT = Date.now(); let prevS = await step();
for (let i = 0; i < SAMPLES; i++) {
  await new Promise((ok) => setTimeout(ok, 5000));
  const cur = await m(); const t = Date.now(); const s = await step();
  const wall = (t - prevT) / 1000;
  console.log(`t=${i * 5 + 5}s step ${s} steps/s ${((s - prevS) / wall).toFixed(1)} main busy ${(100 * (cur.TaskDuration - prev.TaskDuration) / wall).toFixed(1)} % script ${(100 * (cur.ScriptDuration - prev.ScriptDuration) / wall).toFixed(1)} % layout ${(100 * (cur.LayoutDuration - prev.LayoutDuration) / wall).toFixed(1)} % style ${(100 * (cur.RecalcStyleDuration - prev.RecalcStyleDuration) / wall).toFixed(1)} %`);
  prev = cur; prevT = t; prevS = s;
}
await browser.close(); await server.close(); await rm(profileDir, { recursive: true, force: true });
