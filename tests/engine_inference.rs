//! Inference with the shipped weights (in the repository, so these need no dataset except where
//! said): probabilities, batch classification, saliency and its inference-mode forward pass,
//! and refusing bytes that are not a model.

mod common;

use atelier::data::PIXELS_PER_IMAGE;
use atelier::inference::{Classifier, LoadError, PRETRAINED_NORMALIZATION, load_pretrained};
use atelier::model::{Model, ModelChoice};
use atelier::training::PendingModelFile;
use burn::prelude::*;

const PRETRAINED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static/models/atelier-cnn.safetensors");

fn pretrained() -> Model {
    load_pretrained(&std::fs::read(PRETRAINED).expect("shipped weights"), &Device::flex()).expect("weights load")
}

/// Deterministic test images: blobs of different sizes and brightness on black.
fn synthetic_images(count: usize) -> Vec<[u8; PIXELS_PER_IMAGE]> {
    (0..count)
        .map(|i| {
            std::array::from_fn(|p| {
                let (x, y) = ((p % 28) as i32 - 14, (p / 28) as i32 - 14);
                let (rx, ry) = (4 + (i % 9) as i32, 5 + (i % 7) as i32);
                if x * x * ry * ry + y * y * rx * rx <= rx * rx * ry * ry { (120 + 13 * i % 136) as u8 } else { 0 }
            })
        })
        .collect()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    // Flex computes eagerly: the future is ready at its first poll.
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("Flex readback should be immediate"),
    }
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0f32, |max, (x, y)| max.max((x - y).abs()))
}

#[test]
fn probabilities_sum_to_one_and_batches_match_single_images() {
    let classifier = Classifier::new(&pretrained(), PRETRAINED_NORMALIZATION);
    let images = synthetic_images(300); // more than one internal chunk
    let batch = classifier.classify(&images).read();
    assert_eq!(batch.len(), images.len());
    for (index, probabilities) in batch.iter().enumerate() {
        let sum: f32 = probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "image {index}: sum {sum}");
        assert!(probabilities.iter().all(|p| (0.0..=1.0).contains(p)));
    }
    for index in [0, 7, 255, 256, 299] {
        let single = classifier.predict(&images[index]).read();
        assert!(single.saliency.is_none());
        assert!(max_difference(&single.probabilities, &batch[index]) < 1e-5, "image {index}");
    }
    assert!(classifier.classify(&[]).read().is_empty());
    let asynchronous = block_on(classifier.classify(&images[..5]).read_async()).unwrap();
    assert_eq!(asynchronous, batch[..5]);
}

#[test]
fn the_saliency_pass_gives_the_inference_probabilities() {
    // The shipped model has batch norm and dropout: a pass with training behaviour (batch
    // statistics of one image, random dropout) would give clearly different probabilities.
    let classifier = Classifier::new(&pretrained(), PRETRAINED_NORMALIZATION);
    for image in synthetic_images(6) {
        let plain = classifier.predict(&image).read();
        let explained = classifier.predict_with_saliency(&image).read();
        let difference = max_difference(&plain.probabilities, &explained.probabilities);
        assert!(difference < 1e-6, "saliency pass differs by {difference}");
        assert_eq!(plain.top_class(), explained.top_class());

        let saliency = explained.saliency.expect("asked for");
        assert_eq!(saliency.len(), PIXELS_PER_IMAGE);
        assert!(saliency.iter().all(|s| (0.0..=1.0).contains(s)), "saliency outside [0, 1]");
        assert_eq!(saliency.iter().fold(0f32, |m, &s| m.max(s)), 1.0, "normalised by its maximum");
        assert!(saliency.iter().filter(|&&s| s > 0.0).count() > 100, "a map, not a point");
    }
    let image = synthetic_images(1)[0];
    let synchronous = classifier.predict_with_saliency(&image).read();
    assert_eq!(block_on(classifier.predict_with_saliency(&image).read_async()).unwrap(), synchronous);
}

#[test]
fn a_model_still_on_its_training_device_is_classified_in_inference_mode() {
    // What the worker has after training: the model on an autodiff device, layers in training
    // mode. The classifier must not inherit that.
    let trained = pretrained().fork(&Device::flex().autodiff()).train();
    let on_autodiff = Classifier::new(&trained, PRETRAINED_NORMALIZATION);
    let reference = Classifier::new(&pretrained(), PRETRAINED_NORMALIZATION);
    let images = synthetic_images(8);
    let got: Vec<f32> = on_autodiff.classify(&images).read().concat();
    let expected: Vec<f32> = reference.classify(&images).read().concat();
    assert!(max_difference(&got, &expected) < 1e-6);
    let explained = on_autodiff.predict_with_saliency(&images[3]).read();
    assert!(max_difference(&explained.probabilities, &reference.predict(&images[3]).read().probabilities) < 1e-6);
}

#[test]
fn bytes_that_are_not_these_weights_are_refused() {
    let device = Device::flex();
    assert_eq!(load_pretrained(&[], &device).unwrap_err(), LoadError::Empty);
    let html = b"<!doctype html><title>404 Not Found</title>".to_vec();
    let error = load_pretrained(&html, &device).unwrap_err();
    assert!(matches!(error, LoadError::Unreadable(_)), "{error:?}");
    assert!(error.to_string().contains("not an Atelier model file"), "{error}");
    let shipped = std::fs::read(PRETRAINED).unwrap();
    for cut in [16, shipped.len() / 2, shipped.len() - 1] {
        let error = load_pretrained(&shipped[..cut], &device).unwrap_err();
        assert!(error.to_string().contains("cut short"), "cut at {cut}: {error}");
    }
    let baseline = ModelChoice::BaselineCnn.default_config();
    let file = PendingModelFile::new(&baseline.init(&device), baseline, PRETRAINED_NORMALIZATION).read();
    let error = load_pretrained(&file.to_bytes(), &device).unwrap_err();
    assert!(matches!(error, LoadError::WrongModel { .. }), "{error:?}");
    assert!(error.to_string().contains("Atelier CNN") && error.to_string().contains("Baseline CNN"), "{error}");
}

#[test]
fn saliency_falls_on_the_garment_rather_than_the_background() {
    let Some(test) = common::real_test_split() else {
        return;
    };
    let classifier = Classifier::new(&pretrained(), PRETRAINED_NORMALIZATION);
    let (mut garment_wins, images) = (0, 100);
    let (mut garment_total, mut background_total) = (0f32, 0f32);
    for index in 0..images {
        let image: &[u8; PIXELS_PER_IMAGE] = test.image(index).try_into().unwrap();
        let saliency = classifier.predict_with_saliency(image).read().saliency.unwrap();
        let mean = |garment: bool| {
            let values: Vec<f32> =
                (0..PIXELS_PER_IMAGE).filter(|&p| (image[p] > 0) == garment).map(|p| saliency[p]).collect();
            values.iter().sum::<f32>() / values.len().max(1) as f32
        };
        let (garment, background) = (mean(true), mean(false));
        garment_wins += usize::from(garment > background);
        garment_total += garment;
        background_total += background;
    }
    println!(
        "mean saliency over {images} test images: garment {:.3}, background {:.3}; garment higher in {garment_wins}",
        garment_total / images as f32,
        background_total / images as f32
    );
    // Measured with the shipped paired model (2026-12-01): garment higher in 87 of 100, means
    // 0.235 against 0.177 (1.33×). Trained on pictures moved ±2 px, it also weighs the empty
    // pixels along the garment's outline (which count as background here) more than the model
    // before it did (≥ 90 and > 1.5× then); a saliency that ignored the picture would sit near
    // 50 and 1×.
    assert!(garment_wins >= 85, "garment pixels more salient in only {garment_wins} of {images} images");
    assert!(garment_total > 1.3 * background_total, "garment {garment_total}, background {background_total}");
}
