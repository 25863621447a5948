// Superseded by run.mjs, which measures this and more (see README, "Performance"); kept so that
// `node tests/bench/training.mjs [--quick] [--only cpu|webgpu]` still works: it runs run.mjs's
// training-throughput and memory sections and writes tests/artifacts/bench*.json.
process.argv.push('--sections', 'training,memory');
await import('./run.mjs');
