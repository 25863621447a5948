//! The default model: small enough to train on a laptop CPU inside a browser tab, yet past
//! 92.5 % test accuracy within five epochs.
//!
//! Cost is dominated by convolutions at full resolution, so only the first (1→c₁, cheap because
//! it has a single input channel) runs at 28×28; the wider ones run after pooling. Batch norm lets
//! Adam use a large learning rate from the first step, which is what makes five epochs enough.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::prelude::*;

use crate::data::{IMAGE_SIDE, NUM_CLASSES};

/// conv(c₁)-bn-relu-pool → conv(c₂)-bn-relu-pool → conv(c₂)-bn-relu → dropout → dense → dense(10).
#[derive(Config, Debug)]
pub struct AtelierCnnConfig {
    #[config(default = 32)]
    pub channels_1: usize,
    #[config(default = 64)]
    pub channels_2: usize,
    #[config(default = 128)]
    pub hidden: usize,
    /// Before each dense layer. Light: in five epochs this model underfits rather than overfits.
    #[config(default = 0.1)]
    pub dropout: f64,
    /// A second convolution before each of the two pools (VGG's pattern), per stage: more
    /// accuracy for the best model, at 2-3× the compute the live default can afford. An
    /// `Option` because Burn's configs have no serde defaults: files and saved runs from before
    /// it existed name no pairs, and read as `None`, one convolution a stage.
    pub paired: Option<[bool; 2]>,
}

/// 3×3 "same" convolution, batch norm, ReLU and an optional 2×2 max pool.
#[derive(Config, Debug)]
pub struct ConvBlockConfig {
    pub channels: [usize; 2],
    #[config(default = false)]
    pub pool: bool,
}

#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    norm: BatchNorm,
    activation: Relu,
    pool: Option<MaxPool2d>,
}

impl ConvBlockConfig {
    pub fn init(&self, device: &Device) -> ConvBlock {
        ConvBlock {
            // The norm's shift makes a conv bias redundant.
            conv: Conv2dConfig::new(self.channels, [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .with_bias(false)
                .init(device),
            norm: BatchNormConfig::new(self.channels[1]).init(device),
            activation: Relu::new(),
            pool: self.pool.then(|| MaxPool2dConfig::new([2, 2]).init()),
        }
    }
}

impl ConvBlock {
    /// - input: `[batch, c_in, h, w]`
    /// - output: `[batch, c_out, h, w]`, or `[batch, c_out, h/2, w/2]` with pooling
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let x = self.norm.forward(self.convolve(input));
        // Pooling before the ReLU gives the same values and gradients (a ReLU keeps the order
        // of what it passes), with the ReLU on a quarter of the elements.
        let x = match &self.pool {
            Some(_) => super::max_pool_2x2(x),
            None => x,
        };
        self.activation.forward(x)
    }

    /// The block's filters and where they fire: after the norm and the ReLU, before the pool.
    /// - input: `[batch, c_in, h, w]`
    /// - output: filters `[c_out, c_in, 3, 3]`, maps `[batch, c_out, h, w]`
    pub fn filters_and_maps(&self, input: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let maps = self.activation.forward(self.norm.forward(self.convolve(input)));
        (self.conv.weight.val(), maps)
    }

    /// The first block's convolution (one input channel) runs the models' own on the CPU, where
    /// Flex's im2col product with an inner dimension of 9 is slow (`model::conv_one_channel`).
    fn convolve(&self, input: Tensor<4>) -> Tensor<4> {
        let weight = self.conv.weight.val();
        if super::computes_same_one_channel(&weight) {
            super::conv_3x3_same_one_channel(input, weight)
        } else {
            self.conv.forward(input)
        }
    }
}

#[derive(Module, Debug)]
pub struct AtelierCnn {
    block1: ConvBlock,
    block1b: Option<ConvBlock>,
    block2: ConvBlock,
    block2b: Option<ConvBlock>,
    block3: ConvBlock,
    dropout: Dropout,
    fc: Linear,
    output: Linear,
    activation: Relu,
}

/// Two 2×2 pools: 28 → 14 → 7.
const FINAL_SIDE: usize = IMAGE_SIDE / 4;

impl AtelierCnnConfig {
    pub fn init(&self, device: &Device) -> AtelierCnn {
        let [c1, c2] = [self.channels_1, self.channels_2];
        let [paired1, paired2] = self.paired.unwrap_or_default();
        // With a pair, the pool moves to the pair's second block.
        let paired = |pair: bool, c: usize| pair.then(|| ConvBlockConfig::new([c, c]).with_pool(true).init(device));
        AtelierCnn {
            block1: ConvBlockConfig::new([1, c1]).with_pool(!paired1).init(device),
            block1b: paired(paired1, c1),
            block2: ConvBlockConfig::new([c1, c2]).with_pool(!paired2).init(device),
            block2b: paired(paired2, c2),
            block3: ConvBlockConfig::new([c2, c2]).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc: LinearConfig::new(c2 * FINAL_SIDE * FINAL_SIDE, self.hidden).init(device),
            output: LinearConfig::new(self.hidden, NUM_CLASSES).init(device),
            activation: Relu::new(),
        }
    }
}

impl AtelierCnn {
    /// - images: `[batch, 1, 28, 28]`
    /// - output: logits `[batch, 10]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.block1.forward(images); // [batch, 32, 14, 14] ([batch, 32, 28, 28] if paired)
        let x = forward_opt(&self.block1b, x); // [batch, 32, 14, 14]
        let x = self.block2.forward(x); // [batch, 64, 7, 7] ([batch, 64, 14, 14] if paired)
        let x = forward_opt(&self.block2b, x); // [batch, 64, 7, 7]
        let x = self.block3.forward(x); // [batch, 64, 7, 7]
        let x: Tensor<2> = self.dropout.forward(x.flatten(1, 3)); // [batch, 3136]
        let x = self.activation.forward(super::linear(&self.fc, x)); // [batch, 128]
        super::linear(&self.output, self.dropout.forward(x)) // [batch, 10]
    }

    /// - images: `[batch, 1, 28, 28]`
    /// - output: filters `[32, 1, 3, 3]`, maps `[batch, 32, 28, 28]`
    pub fn first_layer(&self, images: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        self.block1.filters_and_maps(images)
    }
}

/// A stage's optional second block.
fn forward_opt(block: &Option<ConvBlock>, x: Tensor<4>) -> Tensor<4> {
    match block {
        Some(block) => block.forward(x),
        None => x,
    }
}
