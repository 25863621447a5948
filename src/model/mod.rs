//! The models a user can train, behind one serde config and one forward interface.
//!
//! Every model takes images `[batch, 1, 28, 28]` (or flat pixels `[batch, 784]`) and returns
//! logits `[batch, 10]`. [`Model`] is an enum rather than a trait object so that it is itself a
//! Burn [`Module`]: the optimizer, `valid()` and the record (save/load) see one type.

mod activation;
mod atelier_cnn;
mod baseline_cnn;
mod conv_one_channel;
mod dense;
mod pool;
mod product;

pub use atelier_cnn::{AtelierCnn, AtelierCnnConfig, ConvBlock, ConvBlockConfig};
pub use baseline_cnn::{BaselineCnn, BaselineCnnConfig};
pub use conv_one_channel::{computes_same_one_channel, conv_3x3_one_channel, conv_3x3_same_one_channel};
pub use dense::{Dense, DenseConfig};
pub use pool::max_pool_2x2;
pub use product::{linear, set_software_gpu, software_gpu};

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{IMAGE_SIDE, PIXELS_PER_IMAGE};

/// Which model to build, with its hyper-parameters. Serialises as
/// `{"kind": "atelier-cnn", ...}` so the UI can send it to the worker as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ModelConfig {
    Dense(DenseConfig),
    BaselineCnn(BaselineCnnConfig),
    AtelierCnn(AtelierCnnConfig),
}

/// The model names and the dense model's activations are the protocol's (plain serde, so the
/// page can offer them); the engine adds how to build each.
pub use crate::protocol::{Activation, ModelChoice};

impl ModelChoice {
    /// The model with its default hyper-parameters.
    pub fn default_config(self) -> ModelConfig {
        match self {
            Self::Dense => ModelConfig::Dense(DenseConfig::new()),
            Self::BaselineCnn => ModelConfig::BaselineCnn(BaselineCnnConfig::new()),
            Self::AtelierCnn => ModelConfig::AtelierCnn(AtelierCnnConfig::new()),
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelChoice::default().default_config()
    }
}

impl ModelConfig {
    pub fn kind(&self) -> ModelChoice {
        match self {
            Self::Dense(_) => ModelChoice::Dense,
            Self::BaselineCnn(_) => ModelChoice::BaselineCnn,
            Self::AtelierCnn(_) => ModelChoice::AtelierCnn,
        }
    }

    /// Initialises the weights with the device's RNG: seed the device first for reproducibility.
    pub fn init(&self, device: &Device) -> Model {
        match self {
            Self::Dense(config) => Model::Dense(config.init(device)),
            Self::BaselineCnn(config) => Model::BaselineCnn(config.init(device)),
            Self::AtelierCnn(config) => Model::AtelierCnn(config.init(device)),
        }
    }
}

#[derive(Module, Debug)]
// A model is built once per run and moved, not copied in bulk: boxing the larger variants
// would buy nothing but an indirection on every forward pass.
#[allow(clippy::large_enum_variant)]
pub enum Model {
    Dense(Dense),
    BaselineCnn(BaselineCnn),
    AtelierCnn(AtelierCnn),
}

impl Model {
    pub fn kind(&self) -> ModelChoice {
        match self {
            Self::Dense(_) => ModelChoice::Dense,
            Self::BaselineCnn(_) => ModelChoice::BaselineCnn,
            Self::AtelierCnn(_) => ModelChoice::AtelierCnn,
        }
    }

    /// - images: `[batch, 1, 28, 28]`
    /// - output: logits `[batch, 10]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Self::Dense(model) => model.forward(images),
            Self::BaselineCnn(model) => model.forward(images),
            Self::AtelierCnn(model) => model.forward(images),
        }
    }

    /// What the first layer looks for, and (for a CNN) where on `images` it found it: the
    /// lesson's "why a CNN wins" draws both.
    /// - images: `[batch, 1, 28, 28]`
    pub fn first_layer(&self, images: Tensor<4>) -> FirstLayer {
        match self {
            Self::Dense(model) => FirstLayer { kernels: model.first_weights(), maps: None },
            Self::BaselineCnn(model) => {
                let (kernels, maps) = model.first_layer(images);
                FirstLayer { kernels, maps: Some(maps) }
            }
            Self::AtelierCnn(model) => {
                let (kernels, maps) = model.first_layer(images);
                FirstLayer { kernels, maps: Some(maps) }
            }
        }
    }

    /// - pixels: `[batch, 784]`
    /// - output: logits `[batch, 10]`
    pub fn forward_flat(&self, pixels: Tensor<2>) -> Tensor<2> {
        debug_assert_eq!(pixels.dims()[1], PIXELS_PER_IMAGE);
        match self {
            Self::Dense(model) => model.forward_flat(pixels),
            _ => {
                let [batch, _] = pixels.dims();
                self.forward(pixels.reshape([batch, 1, IMAGE_SIDE, IMAGE_SIDE]))
            }
        }
    }
}

/// A model's first layer, as pictures.
#[derive(Debug, Clone)]
pub struct FirstLayer {
    /// `[units, 1, k, k]`: each unit's weights over its input patch; a dense layer's patch is the
    /// whole 28×28 image, a CNN's filter a 3×3 patch it slides everywhere.
    pub kernels: Tensor<4>,
    /// `[batch, units, h, w]`: where each filter fired on the images; `None` for a dense layer,
    /// which has no places, only units.
    pub maps: Option<Tensor<4>>,
}
