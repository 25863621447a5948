// Sums a CubeCL kernel profile log (`CUBECL_DEBUG_OPTION=profile CUBECL_DEBUG_LOG=FILE`, native
// `train --backend wgpu --throughput`) by kind of kernel and by kernel, per training step:
// where a step's GPU time goes on a given adapter.
//   node tests/bench/kernel-profile.mjs FILE STEPS
// STEPS: the steps the log covers (the throughput command's 10 warm-up + 1 counted + its timed ones).
import { readFileSync } from 'node:fs';

const [file, steps] = [process.argv[2], Number(process.argv[3])];
if (!file || !(steps > 0)) throw new Error('usage: node tests/bench/kernel-profile.mjs FILE STEPS');
const UNIT = { s: 1e3, ms: 1, 'µs': 1e-3, ns: 1e-6 };
const kinds = [
  [/^Matmul/, 'matmul'], [/^DirectConv/, 'convolution'], [/^ConvTranspose/, 'transposed convolution'],
  [/Pool/, 'max pool'], [/^Copy/, 'copy'], [/^ElemwiseFuse/, 'fused element-wise'], [/^Reduce/, 'reduction'],
];
const byKernel = new Map();
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const m = line.match(/^\| ([\d.]+)(s|ms|µs|ns)\s*\| (.*)$/);
  if (!m) continue;
  const parts = m[3].split('|').map((p) => p.trim());
  // The kernel's family and its hashed variant: the parts between are its generic arguments.
  const name = parts.length > 1 ? `${parts[0]} … ${parts.at(-1)}` : parts[0];
  const k = byKernel.get(name) ?? { ms: 0, launches: 0 };
  k.ms += Number(m[1]) * UNIT[m[2]];
  k.launches += 1;
  byKernel.set(name, k);
}
const total = [...byKernel.values()].reduce((s, k) => s + k.ms, 0);
const pct = (ms) => `${((100 * ms) / total).toFixed(1).padStart(5)} %`;
console.log(`kernel time ${(total / steps).toFixed(1)} ms a step (${steps} steps, ${byKernel.size} kernels)`);
const byKind = new Map();
for (const [name, k] of byKernel) {
  const kind = kinds.find(([re]) => re.test(name))?.[1] ?? 'other';
  byKind.set(kind, (byKind.get(kind) ?? 0) + k.ms);
}
for (const [kind, ms] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`  ${kind.padEnd(24)} ${(ms / steps).toFixed(1).padStart(8)} ms a step ${pct(ms)}`);
console.log('the kernels (ms a step, share, launches a step, ms a launch):');
for (const [name, k] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  console.log(`  ${(k.ms / steps).toFixed(1).padStart(8)} ${pct(k.ms)} ${(k.launches / steps).toFixed(2).padStart(5)} ${(k.ms / k.launches).toFixed(2).padStart(8)}  ${name.slice(0, 110)}`);
}
