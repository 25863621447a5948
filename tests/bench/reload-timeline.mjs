// A reload moments after a first visit, before that visit's race has the GPU's figure (the
// load section's "cached" case), as a timeline: when the page saw its data ready, the trainer's
// first report, its backend decision and the classifier's shipped model, and the page's long
// animation frames. Fresh profile each time; the default page (the race), headless Chromium.
//
//   trunk build --release && node tests/bench/reload-timeline.mjs [runs, default 3]
import { serveDist, launch } from '../e2e/harness.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const server = await serveDist();
const watch = () => {
  const log = (window.__timeline = []);
  const seen = {};
  setInterval(() => {
    const b = document.querySelector('[data-testid="backend"]')?.dataset;
    const items = { data: document.querySelector('[data-testid="data-status"]')?.dataset.state, engine: b?.value,
      choice: b?.choice, pretrained: document.querySelector('[data-testid="classify-model-select"]')?.dataset.pretrained };
    for (const [k, v] of Object.entries(items)) if (v && seen[k] !== v) { seen[k] = v; log.push([Math.round(performance.now()), k, v]); }
  }, 20);
  window.__frames = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__frames.push([Math.round(e.startTime), Math.round(e.duration)]); })
    .observe({ type: 'long-animation-frame', buffered: true });
};
try {
  for (let run = 1; run <= RUNS; run++) {
    const context = await launch(); // a fresh profile, as the e2e tests and the bench use
    await context.addInitScript(watch);
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.dataset.choice === 'measured', null, { timeout: 120_000, polling: 50 });
    await page.reload();
    await page.waitForFunction(() => ['cached', 'measured'].includes(document.querySelector('[data-testid="backend"]')?.dataset.choice)
      && document.querySelector('[data-testid="classify-model-select"]')?.dataset.pretrained === 'ready', null, { timeout: 120_000, polling: 50 });
    await page.waitForTimeout(2_000); // a long frame is reported once it ends
    const { timeline, frames } = await page.evaluate(() => ({ timeline: window.__timeline, frames: window.__frames }));
    const at = (k, v) => timeline.find((e) => e[1] === k && (v === undefined || e[2] === v))?.[0] ?? null;
    console.log(JSON.stringify({ run, dataReady: at('data', 'ready'), engineReady: at('engine'),
      decided: timeline.find((e) => e[1] === 'choice' && e[2] !== 'measuring')?.slice(0, 3) ?? null,
      pretrainedReady: at('pretrained', 'ready'), longAnimationFrames: frames }));
    await context.close();
  }
} finally {
  await server.close();
}
