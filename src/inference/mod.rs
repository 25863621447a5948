//! Classifying images with a trained model: probabilities, and which pixels the answer rests on.
//!
//! A [`Classifier`] holds an inference snapshot of a model (`valid()`: no autodiff on the
//! weights, no dropout, batch norm on its running statistics) and works on the model's device:
//! Flex natively, WebGPU or Flex in the browser's worker. Like training's reports, results come
//! back in two stages: a `Pending…` value holding device tensors, then plain numbers through one
//! [`burn::tensor::Transaction`], with `read()` natively and `read_async()` in the browser.
//!
//! Saliency needs a gradient, hence autodiff, which in Burn usually means training behaviour.
//! Burn 0.22 picks a layer's behaviour from the input's device *and* the layer's training flag
//! (`BatchNorm::forward`: batch statistics only if `input.device().is_autodiff() &&
//! training.is_enabled()`; `Dropout` likewise), and `valid()` clears that flag. So the saliency
//! pass feeds an autodiff input through the same valid model: the weights act as constants, the
//! layers behave as at inference, and the probabilities are those of the plain pass.

mod inspect;
mod load;
mod pending;
mod saliency;
mod shift;

pub use inspect::PendingView;
pub use load::{LoadError, PRETRAINED_MODEL, PRETRAINED_NORMALIZATION, load_pretrained, pretrained_file, shipped_file};
pub use pending::{PendingClassification, PendingPrediction, Prediction, top_class};
pub use shift::{accuracy_under_shifts, shifted};

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::data::{IMAGE_SIDE, PIXELS_PER_IMAGE, Split, SplitKind};
use crate::model::Model;
use crate::training::{Batcher, Normalization};

/// Images per forward pass when classifying many: bounds the activations held at once (the
/// Atelier CNN's first block is 100 kB per image) without paying per-call overhead per image.
const CHUNK: usize = 256;

/// A model ready for inference, with the input normalisation it was trained with.
#[derive(Debug, Clone)]
pub struct Classifier {
    model: Model,
    batcher: Batcher,
    device: Device,
}

impl Classifier {
    /// An inference snapshot of `model` (trained or loaded; autodiff or not) on its own device.
    /// `normalization` must be the one it was trained with ([`PRETRAINED_NORMALIZATION`] for the
    /// shipped weights).
    pub fn new(model: &Model, normalization: Normalization) -> Self {
        let model = model.valid();
        let device = model.devices().first().cloned().expect("a model has parameters").inner();
        Self { model, batcher: Batcher::new(normalization), device }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Class probabilities for each of `images`, e.g. a page of the gallery or a whole split.
    pub fn classify(&self, images: &[[u8; PIXELS_PER_IMAGE]]) -> PendingClassification {
        let chunks: Vec<Tensor<2>> = images
            .chunks(CHUNK)
            .map(|chunk| softmax(self.model.forward(self.input(chunk)), 1)) // [chunk, 10]
            .collect();
        let probabilities = (!chunks.is_empty()).then(|| Tensor::cat(chunks, 0)); // [n, 10]
        PendingClassification::new(probabilities, images.len())
    }

    /// Class probabilities for one image, e.g. a drawing or an upload after
    /// [`crate::preprocess::preprocess`].
    pub fn predict(&self, image: &[u8; PIXELS_PER_IMAGE]) -> PendingPrediction {
        let probabilities = softmax(self.model.forward(self.input(std::slice::from_ref(image))), 1);
        PendingPrediction::new(probabilities, None)
    }

    /// As [`Classifier::predict`], with the saliency map: how strongly each pixel sways the
    /// top class, in [0, 1]. Costs one backward pass; the probabilities are the same.
    pub fn predict_with_saliency(&self, image: &[u8; PIXELS_PER_IMAGE]) -> PendingPrediction {
        let (probabilities, saliency) =
            saliency::probabilities_and_saliency(&self.model, self.input(std::slice::from_ref(image)));
        PendingPrediction::new(probabilities, Some(saliency))
    }

    /// `[n, 1, 28, 28]`: `images` normalised by training's own [`Batcher`], so inference cannot
    /// drift from what the model learned on (the split's labels are placeholders).
    fn input(&self, images: &[[u8; PIXELS_PER_IMAGE]]) -> Tensor<4> {
        let count = images.len();
        let split = Split::from_parts(SplitKind::Test, images.as_flattened().to_vec(), vec![0; count]);
        let indices: Vec<u32> = (0..count as u32).collect();
        let pixels = self.batcher.pixels(&split, &indices, None);
        Tensor::from_data(TensorData::new(pixels, [count, 1, IMAGE_SIDE, IMAGE_SIDE]), &self.device)
    }
}
