//! The lesson's look inside the two shipped models (`Classifier::inspect`): the dense network's
//! first-layer weights are whole 28×28 pictures tied to pixel places, the CNN's are 3×3 filters
//! whose feature maps move with the garment. What the page draws is checked against the files.

use atelier::data::{IMAGE_SIDE, PIXELS_PER_IMAGE};
use atelier::inference::{Classifier, LoadError, PRETRAINED_NORMALIZATION, shifted, shipped_file};
use atelier::model::{Model, ModelChoice};
use atelier::state::lesson::read_shift_figures;
use burn::prelude::*;
use safetensors::SafeTensors;

const DENSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static/models/atelier-dense.safetensors");
const CNN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static/models/atelier-cnn.safetensors");
const SHIFTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/static/lesson/shifts.json");

fn shipped(path: &str, model: ModelChoice) -> Model {
    let bytes = std::fs::read(path).expect("the shipped model file");
    shipped_file(&bytes, model).expect("a shipped model").load(&Device::flex()).expect("its weights fit")
}

/// A garment-like blob well inside the frame (so a 1 px move loses nothing at the border).
fn garment() -> [u8; PIXELS_PER_IMAGE] {
    let mut image = [0u8; PIXELS_PER_IMAGE];
    for y in 6..22 {
        for x in 8..20 {
            image[y * IMAGE_SIDE + x] = (90 + (x * 37 + y * 11) % 160) as u8;
        }
    }
    image
}

#[test]
fn the_dense_networks_pictures_are_its_first_layer_weights() {
    let view =
        Classifier::new(&shipped(DENSE, ModelChoice::Dense), PRETRAINED_NORMALIZATION).inspect(&garment(), 8).read();
    assert_eq!((view.model, view.kernels.len(), view.maps.len()), (ModelChoice::Dense, 8, 0));
    let bytes = std::fs::read(DENSE).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let weight = file.tensor("hidden.0.weight").unwrap(); // [784, 128], row-major f32
    let values: Vec<f32> = weight.data().chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    let strength = |unit: usize| (0..PIXELS_PER_IMAGE).map(|p| values[p * 128 + unit].powi(2)).sum::<f32>();
    let weakest_shown = strength(view.units[7]);
    assert!(view.units.windows(2).all(|w| strength(w[0]) >= strength(w[1])), "strongest first: {:?}", view.units);
    assert!((0..128).filter(|u| !view.units.contains(u)).all(|u| strength(u) <= weakest_shown), "the 8 strongest");
    for (&unit, picture) in view.units.iter().zip(&view.kernels) {
        assert_eq!((picture.side, picture.values.len()), (IMAGE_SIDE, PIXELS_PER_IMAGE));
        for (pixel, value) in picture.values.iter().enumerate() {
            assert_eq!(*value, values[pixel * 128 + unit], "unit {unit}, pixel {pixel}");
        }
    }
    let sum: f32 = view.probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-5 && view.probabilities.len() == 10);
}

#[test]
fn the_cnns_feature_maps_move_with_the_garment() {
    let classifier = Classifier::new(&shipped(CNN, ModelChoice::AtelierCnn), PRETRAINED_NORMALIZATION);
    let here = classifier.inspect(&garment(), 8).read();
    let moved = classifier.inspect(&shifted(&garment(), 1, 0), 8).read();
    assert_eq!((here.kernels.len(), here.kernels[0].side, here.maps.len(), here.maps[0].side), (8, 3, 8, IMAGE_SIDE));
    assert_eq!(here.kernels, moved.kernels, "the filters are the model's, whatever the picture");
    let mut fired = 0;
    // Away from the frame's edge, where the zero padding differs from the (normalised) black
    // background, each map is the same map one pixel to the right.
    for (a, b) in here.maps.iter().zip(&moved.maps) {
        for y in 1..IMAGE_SIDE - 1 {
            for x in 2..IMAGE_SIDE - 1 {
                let (was, is) = (a.values[y * IMAGE_SIDE + x - 1], b.values[y * IMAGE_SIDE + x]);
                assert!((was - is).abs() <= 1e-4 * (1.0 + was.abs()), "({x}, {y}): {was} then {is}");
                fired += usize::from(is > 0.0);
            }
        }
    }
    assert!(fired > 500, "the filters fire on the garment ({fired} places)");
    // The answer is the classifier's own.
    let plain = classifier.predict(&garment()).read();
    for (a, b) in here.probabilities.iter().zip(plain.probabilities) {
        assert!((a - b).abs() < 1e-6);
    }
}

#[test]
fn the_shipped_dense_network_is_the_one_the_lesson_measured() {
    let bytes = std::fs::read(DENSE).unwrap();
    let file = shipped_file(&bytes, ModelChoice::Dense).unwrap();
    let figures = read_shift_figures(&std::fs::read(SHIFTS).unwrap()).unwrap();
    let dense = figures.iter().find(|f| f.model == "Dense 128").expect("the dense row of the shift figures");
    assert!((f64::from(file.test_accuracy.unwrap()) - dense.accuracy[0]).abs() < 1e-4, "{:?}", file.test_accuracy);
    assert!(matches!(shipped_file(&bytes, ModelChoice::AtelierCnn), Err(LoadError::WrongModel { .. })));
}
