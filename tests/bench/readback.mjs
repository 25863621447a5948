// How long reading a drawing back takes (`getImageData` on a 280 × 280 2D canvas, as the drawing
// panel does at every input), with a default context and with `willReadFrequently`, idle and
// while the Atelier CNN trains on the page's backend (WebGPU: SwiftShader here).
//
//   trunk build --release && node tests/bench/readback.mjs [webgpu|cpu]
import { serveDist, launch } from '../e2e/harness.mjs';
const server = await serveDist();
const context = await launch();
const page = await context.newPage();
await page.goto(`${server.url}?backend=${process.argv[2] ?? 'webgpu'}`);
await page.locator('[data-testid="data-status"][data-state="ready"]').waitFor({ timeout: 120000 });
await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.dataset.value, null, { timeout: 120000 });
const probe = () => page.evaluate(async (side) => {
  const out = {};
  for (const wrf of [false, true]) {
    const c = document.createElement('canvas'); c.width = side; c.height = side; document.body.appendChild(c);
    const ctx = c.getContext('2d', { willReadFrequently: wrf });
    const t = [];
    for (let i = 0; i < 15; i++) {
      ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, side, side);
      ctx.strokeStyle = '#111'; ctx.lineWidth = 18; ctx.beginPath(); ctx.moveTo(20 + i, 30); ctx.quadraticCurveTo(100, 200, 250 - i, 60); ctx.stroke();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30)));
      const a = performance.now(); ctx.getImageData(0, 0, side, side); t.push(performance.now() - a);
    }
    c.remove();
    t.sort((x, y) => x - y);
    out[wrf ? 'willReadFrequently' : 'default'] = { median: +t[7].toFixed(2), max: +t[14].toFixed(2) };
  }
  return out;
}, 280);
console.log('idle', JSON.stringify(await probe()));
await page.getByTestId('model-select').selectOption('atelier-cnn');
await page.getByTestId('train-start').click();
await page.waitForFunction(() => Number(document.querySelector('[data-testid="train-state"]')?.dataset.step ?? 0) >= 1, null, { timeout: 300000, polling: 200 });
console.log('training, step', await page.getByTestId('train-state').getAttribute('data-step'));
for (let k = 0; k < 3; k++) console.log('training', JSON.stringify(await probe()));
await context.close();
await server.close();
