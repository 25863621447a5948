//! Native benchmarks of Atelier's hot Rust paths (criterion), on Burn's Flex CPU backend:
//!
//! - `batch/*`: a batch of 64 `u8` images turned into normalised `f32` pixels
//!   ([`Batcher::pixels`]) and into device tensors ([`Batcher::batch`]), with and without the
//!   ±2 px augmentation;
//! - `preprocess/*`: [`preprocess`] of a 280×280 drawing (dark strokes on white) and of a
//!   512×384 photo (a garment on a not-quite-white, noisy, lit background);
//! - `train-step/*`: one [`Trainer::step`] at batch 64 plus its `read()` (the loss and accuracy
//!   back on the host), for Dense 128-128, the Baseline CNN and the Atelier CNN;
//! - `inference/*`: one image through the shipped Atelier CNN, with and without the saliency
//!   map ([`Classifier::predict_with_saliency`]), and 500 test images in one call.
//!
//! Run with `cargo bench --features engine` (about three minutes on two cores); one group with
//! e.g. `cargo bench --features engine -- train-step`. Uses the real Fashion-MNIST files from
//! `ATELIER_DATA_DIR` or `/usr/share/datasets/fashion-mnist` when present, synthetic images
//! otherwise (timings do not depend on the pixel values, except preprocessing's, whose inputs
//! are synthetic anyway).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use atelier::data::{PIXELS_PER_IMAGE, Split, SplitKind, load_dir};
use atelier::inference::{Classifier, PRETRAINED_NORMALIZATION, load_pretrained};
use atelier::model::{BaselineCnnConfig, DenseConfig, ModelChoice, ModelConfig};
use atelier::preprocess::{RgbaImage, preprocess};
use atelier::training::{Batcher, Normalization, SplitMix64, Trainer, TrainingConfig, TrainingData};
use burn::prelude::*;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const BATCH: usize = 64;
const PRETRAINED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static/models/atelier-cnn.safetensors");

/// Both splits: the real files when installed, otherwise noise images of the same size.
fn dataset() -> (Split, Split) {
    let dir = std::env::var("ATELIER_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/usr/share/datasets/fashion-mnist"));
    if dir.join("train-images-idx3-ubyte.gz").exists() {
        let data = load_dir(&dir).expect("the Fashion-MNIST files parse");
        return (data.train, data.test);
    }
    eprintln!("no Fashion-MNIST files in {}: benchmarking on synthetic images", dir.display());
    let synthetic = |kind, count: usize, seed| {
        let mut rng = SplitMix64::new(seed);
        let pixels = (0..count * PIXELS_PER_IMAGE).map(|_| rng.below(256) as u8).collect();
        let labels = (0..count).map(|_| rng.below(10) as u8).collect();
        Split::from_parts(kind, pixels, labels)
    };
    (synthetic(SplitKind::Train, 60_000, 1), synthetic(SplitKind::Test, 10_000, 2))
}

/// 64 random image indices, as the trainer's shuffled order would give.
fn batch_indices(count: usize) -> Vec<u32> {
    let mut rng = SplitMix64::new(7);
    (0..BATCH).map(|_| rng.below(count) as u32).collect()
}

fn batch_assembly(c: &mut Criterion) {
    let (train, _) = dataset();
    let indices = batch_indices(train.len());
    let batcher = Batcher::new(Normalization::Standard);
    let device = Device::flex();
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("pixels-64", |b| b.iter(|| black_box(batcher.pixels(&train, black_box(&indices), None))));
    let mut rng = SplitMix64::new(3);
    group.bench_function("pixels-64-augmented", |b| {
        b.iter(|| black_box(batcher.pixels(&train, black_box(&indices), Some(&mut rng))))
    });
    group.bench_function("batch-64", |b| {
        b.iter(|| black_box(batcher.batch(&train, black_box(&indices), None, &device)))
    });
    group.bench_function("batch-64-augmented", |b| {
        b.iter(|| black_box(batcher.batch(&train, black_box(&indices), Some(&mut rng), &device)))
    });
    group.finish();
}

/// RGBA bytes of a `width × height` image whose pixel (x, y) is `paint(x, y)`.
fn rgba(width: usize, height: usize, paint: impl Fn(usize, usize) -> [u8; 4]) -> Vec<u8> {
    (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).flat_map(|(x, y)| paint(x, y)).collect()
}

/// What the drawing canvas gives: a trouser-like figure in 12 px black strokes on white.
fn drawing_280() -> Vec<u8> {
    let segments = [((98.0, 42.0), (182.0, 42.0)), ((106.0, 42.0), (95.0, 246.0)), ((174.0, 42.0), (185.0, 246.0))];
    rgba(280, 280, |x, y| {
        let (px, py) = (x as f32, y as f32);
        let near = segments.iter().any(|&((x0, y0), (x1, y1))| {
            let (dx, dy) = (x1 - x0, y1 - y0);
            let t = (((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            let (ex, ey) = (x0 + t * dx - px, y0 + t * dy - py);
            ex * ex + ey * ey <= 36.0
        });
        if near { [0, 0, 0, 255] } else { [255, 255, 255, 255] }
    })
}

/// What an upload scaled to ≤ 512 px gives: a dark, shaded shoe-like shape on an off-white,
/// unevenly lit table with sensor noise.
fn photo_512x384() -> Vec<u8> {
    let mut rng = SplitMix64::new(11);
    let noise: Vec<u8> = (0..512 * 384).map(|_| rng.below(9) as u8).collect();
    rgba(512, 384, |x, y| {
        let n = noise[y * 512 + x] as f32 - 4.0;
        let (u, v) = ((x as f32 - 250.0) / 170.0, (y as f32 - 215.0) / 80.0);
        let inside =
            u * u + v * v <= 1.0 || ((x as f32 - 150.0) / 60.0).powi(2) + ((y as f32 - 150.0) / 70.0).powi(2) <= 1.0;
        let grey =
            if inside { 40.0 + 50.0 * (u * u + v * v).min(1.0) + n } else { 228.0 - 20.0 * (y as f32 / 384.0) + n };
        let g = grey.clamp(0.0, 255.0) as u8;
        [g.saturating_add(6), g, g.saturating_sub(5), 255]
    })
}

fn preprocessing(c: &mut Criterion) {
    let mut group = c.benchmark_group("preprocess");
    for (name, width, height, pixels) in
        [("drawing-280x280", 280, 280, drawing_280()), ("photo-512x384", 512, 384, photo_512x384())]
    {
        let image = RgbaImage::new(width, height, &pixels).expect("consistent size");
        preprocess(&image).expect("the synthetic picture has a garment");
        group.throughput(Throughput::Elements((width * height) as u64));
        group.bench_function(name, |b| b.iter(|| black_box(preprocess(black_box(&image)))));
    }
    group.finish();
}

fn training_step(c: &mut Criterion) {
    let (train, test) = dataset();
    let data = TrainingData::new(train, Some(test));
    let device = Device::flex();
    let models: [(&str, ModelConfig); 3] = [
        ("dense-128-128", ModelConfig::Dense(DenseConfig::new().with_hidden(vec![128, 128]))),
        ("baseline-cnn", ModelConfig::BaselineCnn(BaselineCnnConfig::new())),
        ("atelier-cnn", ModelChoice::AtelierCnn.default_config()),
    ];
    let mut group = c.benchmark_group("train-step");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, model) in models {
        // Adam with the cosine schedule, batch 64: the page's defaults.
        let config = TrainingConfig::new().with_model(model).with_batch_size(BATCH).with_epochs(10);
        let fresh = || Trainer::new(config.clone(), data.clone(), &device).expect("valid config");
        let mut trainer = fresh();
        group.bench_function(BenchmarkId::new("step+read", name), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // An epoch's end would evaluate 15,000 images: start over instead (untimed).
                    if trainer.epoch_complete() {
                        trainer = fresh();
                    }
                    let start = Instant::now();
                    let report = trainer.step().expect("a step within the epoch").read();
                    total += start.elapsed();
                    black_box(report);
                }
                total
            })
        });
    }
    group.finish();
}

fn inference(c: &mut Criterion) {
    let model = load_pretrained(&std::fs::read(PRETRAINED).expect("the shipped weights"), &Device::flex())
        .expect("weights load");
    let classifier = Classifier::new(&model, PRETRAINED_NORMALIZATION);
    let (_, test) = dataset();
    let images: Vec<[u8; PIXELS_PER_IMAGE]> = (0..500).map(|i| test.image(i).try_into().expect("784 pixels")).collect();
    let mut group = c.benchmark_group("inference");
    group.bench_function("predict-with-saliency", |b| {
        b.iter(|| black_box(classifier.predict_with_saliency(black_box(&images[0])).read()))
    });
    group.bench_function("predict", |b| b.iter(|| black_box(classifier.predict(black_box(&images[0])).read())));
    group.throughput(Throughput::Elements(images.len() as u64));
    group.bench_function("classify-500", |b| b.iter(|| black_box(classifier.classify(black_box(&images)).read())));
    group.finish();
}

fn config() -> Criterion {
    // Few samples, short windows: the whole suite in a few minutes on two busy cores.
    Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = batch_assembly, preprocessing, training_step, inference }
criterion_main!(benches);
