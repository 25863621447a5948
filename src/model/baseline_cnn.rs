//! The textbook convolutional baseline the lessons compare the dense model with.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;

use crate::data::NUM_CLASSES;

/// Conv 32×3×3 + ReLU → MaxPool 2 → Flatten → Dense 128 + ReLU → Dense 10.
#[derive(Config, Debug)]
pub struct BaselineCnnConfig {
    #[config(default = 32)]
    pub channels: usize,
    #[config(default = 128)]
    pub hidden: usize,
}

#[derive(Module, Debug)]
pub struct BaselineCnn {
    conv: Conv2d,
    pool: MaxPool2d,
    fc: Linear,
    output: Linear,
    activation: Relu,
}

/// Valid 3×3 convolution turns 28 into 26, the pool halves it.
const POOLED_SIDE: usize = 13;

impl BaselineCnnConfig {
    pub fn init(&self, device: &Device) -> BaselineCnn {
        BaselineCnn {
            conv: Conv2dConfig::new([1, self.channels], [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc: LinearConfig::new(self.channels * POOLED_SIDE * POOLED_SIDE, self.hidden).init(device),
            output: LinearConfig::new(self.hidden, NUM_CLASSES).init(device),
            activation: Relu::new(),
        }
    }
}

impl BaselineCnn {
    /// - images: `[batch, 1, 28, 28]`
    /// - output: logits `[batch, 10]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        // Pooling before the ReLU gives the same values and gradients (a ReLU keeps the order
        // of what it passes), with the ReLU on a quarter of the elements.
        let x = super::max_pool_2x2(self.convolve(images)); // [batch, 32, 13, 13]
        let x = self.activation.forward(x);
        let x: Tensor<2> = x.flatten(1, 3); // [batch, 5408]
        let x = self.activation.forward(super::linear(&self.fc, x)); // [batch, 128]
        super::linear(&self.output, x) // [batch, 10]
    }

    /// - images: `[batch, 1, 28, 28]`
    /// - output: filters `[32, 1, 3, 3]`, maps `[batch, 32, 26, 26]` (after the ReLU)
    pub fn first_layer(&self, images: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        (self.conv.weight.val(), self.activation.forward(self.convolve(images)))
    }

    /// `self.conv`, through the CPU's faster path for one input channel (`conv_one_channel`).
    ///
    /// - images: `[batch, 1, 28, 28]`
    /// - output: `[batch, 32, 26, 26]`
    fn convolve(&self, images: Tensor<4>) -> Tensor<4> {
        let bias = self.conv.bias.as_ref().expect("the convolution is built with a bias").val();
        super::conv_3x3_one_channel(images, self.conv.weight.val(), bias)
    }
}
