//! Saliency: the gradient of the top class's logit with respect to the input pixels.
//!
//! The plain "vanilla gradient" map (Simonyan et al., 2013): where a small change of the pixel
//! would move the model's answer most. The logit rather than the log-probability, because a
//! confident prediction's log-probability is flat (its gradient vanishes as p → 1) while the
//! logit still says which pixels carry the class.

use burn::prelude::*;
use burn::tensor::activation::softmax;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;

use crate::data::PIXELS_PER_IMAGE;
use crate::model::Model;

/// One forward pass of `input` through `model` with the input on autodiff, then one backward
/// pass from the top class's logit. `model` must be a `valid()` snapshot: its layers then
/// behave as at inference although the input is on an autodiff device (see the module above).
///
/// - input: normalised image `[1, 1, 28, 28]`
/// - output: probabilities `[1, 10]`, saliency `[1, 784]` in [0, 1]
pub(super) fn probabilities_and_saliency(model: &Model, input: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
    let input = input.autodiff().require_grad();
    let logits = model.forward(input.clone()); // [1, 10]
    let probabilities = softmax(logits.clone().inner(), 1);
    // The max is differentiable and routes the gradient to the top class alone, so the class
    // needs no read-back between the forward and the backward pass.
    let top_logit = logits.max_dim(1).sum(); // [1]
    let gradients = top_logit.backward();
    let gradient = input.grad(&gradients).expect("the input requires a gradient"); // [1, 1, 28, 28]
    (probabilities, normalised_magnitude(gradient))
}

/// `|gradient|`, smoothed over 3×3 neighbourhoods (raw gradients are speckled from pixel to
/// pixel, which reads as noise on a 28×28 map) and divided by its maximum.
///
/// - gradient: `[1, 1, 28, 28]`
/// - output: `[1, 784]` in [0, 1]; all 0 for an all-0 gradient
fn normalised_magnitude(gradient: Tensor<4>) -> Tensor<2> {
    let smoothing = AvgPoolOptions::new([3, 3]).with_stride([1, 1]).with_padding([1, 1]).with_count_include_pad(false);
    let magnitude: Tensor<2> = avg_pool2d(gradient.abs(), smoothing).reshape([1, PIXELS_PER_IMAGE]);
    let peak = magnitude.clone().max().clamp_min(f32::MIN_POSITIVE).reshape([1, 1]); // [1, 1]
    magnitude / peak
}
