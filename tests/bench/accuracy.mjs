// Time to accuracy, the figure a learner feels: wall-clock seconds from the Start click until the
// page shows a test accuracy of 90 %, for the default run as a new user starts it (the default
// page, nothing configured) and for each model on all images. Each run Starts once the backend
// race has finished (its GPU figure complete); the default run also right after the page is
// ready, as on a first visit, while the race's software-GPU half still compiles its kernels on
// the same cores.
import { browser, open, waitReady, configure, start, bench, runRecords, fail, querySuffix } from './browser.mjs';
import { MINUTE, MODEL_NAMES, TARGETS, load, round, log } from './config.mjs';

/** The runs measured: `settings` null is the page's default run. */
export const ACCURACY_RUNS = [
  { name: 'default run, Start at once on a first visit', settings: null, atOnce: true },
  { name: 'default run', settings: null },
  { name: 'Dense 128, all images, 5 epochs', settings: { model: 'dense', subset: 'all', epochs: 5 } },
  { name: 'Baseline CNN, all images, 3 epochs', settings: { model: 'baseline-cnn', subset: 'all', epochs: 3 } },
  { name: 'Atelier CNN, all images, 2 epochs', settings: { model: 'atelier-cnn', subset: 'all', epochs: 2 } },
];

export async function accuracy(server, runs = ACCURACY_RUNS) {
  const out = [];
  for (const run of runs) {
    const context = await browser();
    try {
      const page = await open(context, server.url, querySuffix(null));
      await waitReady(page);
      const readyAt = Date.now();
      if (!run.atOnce) await page.waitForFunction(() => {
        const b = document.querySelector('[data-testid="backend"]');
        return b && (b.dataset.gpuRate || b.dataset.raceComplete === 'true' || ['forced', 'unavailable'].includes(b.dataset.choice));
      }, null, { timeout: 4 * MINUTE, polling: 250 }).catch(() => log(`${run.name}: the race did not complete in 4 min; starting anyway`));
      const waitedForRace = round((Date.now() - readyAt) / 1000);
      if (run.settings) await configure(page, run.settings);
      const settings = await page.evaluate(() => Object.fromEntries(['model-select', 'subset-select', 'epochs-select', 'lr-select', 'batch-select']
        .map((id) => [id.replace('-select', ''), document.querySelector(`[data-testid="${id}"]`)?.value])));
      const loadBefore = load();
      const { clicked, from } = await start(page);
      await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid="train-state"]').dataset.state),
        null, { timeout: 30 * MINUTE, polling: 500 });
      const b = await bench(page);
      const records = runRecords(b.steps, from);
      const epochs = b.evals.filter((e) => e[0] >= clicked).map((e) => ({ epoch: e[2], seconds: round((e[0] - clicked) / 1000), testAccuracy: round(e[3] * 100, 2) }));
      if (!records.length || !epochs.length) await fail(page, run.name);
      const reached = epochs.find((e) => e.testAccuracy >= 90);
      const label = await page.getByTestId('metric-throughput').locator('.metric-label').innerText();
      const measured = {
        name: run.name, waitedForRace: run.atOnce ? null : waitedForRace, settings, backend: await page.getByTestId('backend').getAttribute('data-value'),
        workers: Number(label.match(/(\d+) cores/i)?.[1] ?? 1), epochs,
        secondsTo90: reached?.seconds ?? null, finalAccuracy: epochs.at(-1).testAccuracy, load: loadBefore,
      };
      log('accuracy', JSON.stringify(measured));
      out.push(measured);
    } finally {
      await context.close();
    }
  }
  return out;
}

export function accuracyVerdict(r, check) {
  if (!r.accuracy) return;
  const d = r.accuracy.find((a) => a.name === 'default run');
  const first = r.accuracy.find((a) => a.atOnce || a.name.startsWith('default run, Start at once'));
  const words = (a) => (a.secondsTo90 != null ? `${a.secondsTo90} s (epoch ${a.epochs.find((e) => e.testAccuracy >= 90).epoch}: ${a.epochs.find((e) => e.testAccuracy >= 90).testAccuracy} %)` : `not reached (${a.finalAccuracy} % at the end)`);
  check(`the default run shows ≥ 90 % test accuracy ≤ ${TARGETS.secondsTo90} s after Start (this machine, in the browser)`,
    d ? `${words(d)}${first ? `; started at once on a first visit, while the race's SwiftShader half compiles: ${words(first)}` : ''}` : 'not measured',
    d ? d.secondsTo90 != null && d.secondsTo90 <= TARGETS.secondsTo90 : null, 'Start after the backend race has finished');
}

export function accuracyTable(r, table, num) {
  if (!r.accuracy?.length) return null;
  const rows = r.accuracy.map((a) => [
    a.name.startsWith('default run') ? `${a.name} (${MODEL_NAMES[a.settings.model]}, ${a.settings.subset === 'all' ? 'all' : num(Number(a.settings.subset))} images, ${a.settings.epochs} epochs, lr ${a.settings.lr})` : a.name,
    `${a.backend}${a.workers > 1 ? `, ${a.workers} workers` : ''}`,
    a.epochs.map((e) => `${e.testAccuracy} % at ${num(e.seconds)} s`).join(' → '),
    a.secondsTo90 != null ? `**${num(a.secondsTo90)} s**` : 'not reached',
  ]);
  return '**Time to accuracy**: wall-clock seconds from the Start click to each epoch\'s test accuracy on the page (evaluations included), on the default page (the backend it chooses):\n\n' +
    table(['run', 'trained on', 'test accuracy after each epoch', 'to 90 %'], rows);
}
