//! The shipped model file (`static/models/atelier-cnn.safetensors`) on the real 10,000 test
//! images: it must still fit the current architecture and score what it scored when trained
//! (93.51 %, recorded in its metadata, which the page shows), and the browser's upload path (`preprocess` first) must cost little of that.
//! Needs the dataset: skipped without it unless `ATELIER_REQUIRE_DATA=1`.

mod common;

use atelier::data::{IMAGE_SIDE, PIXELS_PER_IMAGE, Split};
use atelier::inference::{Classifier, PRETRAINED_NORMALIZATION, load_pretrained, pretrained_file, top_class};
use atelier::preprocess::{RgbaImage, preprocess};
use burn::prelude::Device;
use std::time::Instant;

const PRETRAINED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static/models/atelier-cnn.safetensors");

/// Fraction of `images` the classifier labels as `split` does.
fn accuracy(classifier: &Classifier, images: &[[u8; PIXELS_PER_IMAGE]], split: &Split) -> f64 {
    let probabilities = classifier.classify(images).read();
    let correct = probabilities.iter().enumerate().filter(|(i, p)| top_class(p) == split.label(*i) as usize).count();
    correct as f64 / images.len() as f64
}

/// A test image as the page would get it from an uploaded 28×28 PNG, through `preprocess`.
fn uploaded(image: &[u8]) -> [u8; PIXELS_PER_IMAGE] {
    let rgba: Vec<u8> = image.iter().flat_map(|&v| [v, v, v, 255]).collect();
    preprocess(&RgbaImage::new(IMAGE_SIDE, IMAGE_SIDE, &rgba).unwrap()).expect("a garment, not a blank")
}

#[test]
fn shipped_weights_score_as_trained_raw_and_through_preprocessing() {
    let Some(test) = common::real_test_split() else {
        return;
    };
    let started = Instant::now();
    let model =
        load_pretrained(&std::fs::read(PRETRAINED).expect("shipped weights"), &Device::flex()).expect("weights fit");
    let classifier = Classifier::new(&model, PRETRAINED_NORMALIZATION);

    let raw: Vec<[u8; PIXELS_PER_IMAGE]> = (0..test.len()).map(|i| test.image(i).try_into().unwrap()).collect();
    let raw_accuracy = accuracy(&classifier, &raw, &test);
    let raw_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let preprocessed: Vec<[u8; PIXELS_PER_IMAGE]> = (0..test.len()).map(|i| uploaded(test.image(i))).collect();
    let preprocess_seconds = started.elapsed().as_secs_f64();
    let preprocessed_accuracy = accuracy(&classifier, &preprocessed, &test);
    let first_hundred = accuracy(&classifier, &preprocessed[..100], &test);

    println!(
        "shipped Atelier CNN on {} test images: {:.2} % raw ({raw_seconds:.1} s), {:.2} % through preprocess \
         ({preprocess_seconds:.1} s to preprocess), {:.0} % of the first 100 through preprocess",
        test.len(),
        100.0 * raw_accuracy,
        100.0 * preprocessed_accuracy,
        100.0 * first_hundred,
    );
    // Exactly what the run that trained them recorded (93.51 %), to the last image: any change
    // to the architecture, normalisation or loading that moves a single prediction shows here.
    let raw_correct = (raw_accuracy * test.len() as f64).round() as usize;
    assert_eq!((raw_correct, test.len()), (9_351, 10_000), "raw accuracy {raw_accuracy}");
    // The page labels the model with the accuracy its file records: it must be this one.
    let recorded = pretrained_file(&std::fs::read(PRETRAINED).unwrap()).unwrap().test_accuracy;
    assert_eq!(recorded, Some(raw_correct as f32 / test.len() as f32), "the file's metadata");
    // Measured 93.13 % and 90 of 100 (2026-12-01, the paired model; the browser's upload test
    // asks for the same 90).
    assert!(preprocessed_accuracy >= 0.931, "accuracy through preprocess {preprocessed_accuracy}");
    assert!(first_hundred >= 0.90, "the browser test's 100 images: {first_hundred}");
}
