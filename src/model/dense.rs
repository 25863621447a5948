//! Fully connected network: the "first model" of the lessons, where every pixel is a feature.

use burn::nn::activation::Activation as ActivationLayer;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;

use crate::data::{IMAGE_SIDE, NUM_CLASSES, PIXELS_PER_IMAGE};
use crate::protocol::Activation;

/// Flatten → Dense(h₁) → act → [Dense(h₂) → act …] → Dense(10).
#[derive(Config, Debug)]
pub struct DenseConfig {
    /// Hidden layer widths, in order. Empty means plain softmax regression.
    #[config(default = "vec![128]")]
    pub hidden: Vec<usize>,
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
    /// Applied after every hidden activation; 0 disables it.
    #[config(default = 0.0)]
    pub dropout: f64,
}

#[derive(Module, Debug)]
pub struct Dense {
    hidden: Vec<Linear>,
    activation: ActivationLayer,
    dropout: Dropout,
    output: Linear,
}

impl DenseConfig {
    pub fn init(&self, device: &Device) -> Dense {
        let mut width = PIXELS_PER_IMAGE;
        let mut hidden = Vec::with_capacity(self.hidden.len());
        for &size in &self.hidden {
            hidden.push(LinearConfig::new(width, size).init(device));
            width = size;
        }
        Dense {
            hidden,
            activation: self.activation.init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(width, NUM_CLASSES).init(device),
        }
    }
}

impl Dense {
    /// - images: `[batch, 1, 28, 28]`
    /// - output: logits `[batch, 10]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x: Tensor<2> = images.flatten(1, 3); // [batch, 784]
        self.forward_flat(x)
    }

    /// - pixels: `[batch, 784]`
    /// - output: logits `[batch, 10]`
    pub fn forward_flat(&self, pixels: Tensor<2>) -> Tensor<2> {
        let mut x = pixels;
        for layer in &self.hidden {
            x = super::linear(layer, x); // [batch, h]
            x = self.activation.forward(x);
            x = self.dropout.forward(x);
        }
        super::linear(&self.output, x) // [batch, 10]
    }

    /// Each first-layer unit's 784 incoming weights as a 28×28 picture: the pattern of pixels it
    /// answers to, tied to where those pixels are (so a garment moved sideways no longer fits it).
    /// - output: `[units, 1, 28, 28]`
    pub fn first_weights(&self) -> Tensor<4> {
        let first = self.hidden.first().unwrap_or(&self.output);
        let [_, units] = first.weight.dims(); // [784, units]
        first.weight.val().transpose().reshape([units, 1, IMAGE_SIDE, IMAGE_SIDE])
    }
}
