//! The Baseline CNN's convolution (one input channel, 3×3, stride 1, no padding), fast on the
//! CPU.
//!
//! Flex convolves through im2col and a general matrix product. With one input channel that
//! product's inner dimension is 9, far too short for its packing and tiling to pay: in the
//! browser the forward pass and the weight and bias gradients took 37 % of a Baseline CNN
//! training step, for a sixth of its arithmetic. On Flex this computes them directly, tap by tap
//! over a whole plane, in long loops the compiler turns into wasm SIMD. Every other backend
//! (WebGPU) runs Burn's own convolution, and the input's gradient (saliency) is Burn's everywhere.
//! The Atelier CNN's first convolution ("same" padding, no bias) takes the same path on Flex,
//! its input padded first ([`conv_3x3_same_one_channel`]).

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::flex::{Flex, FlexTensor, Layout};
use burn::backend::ops::ModuleOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension};
use burn::prelude::*;
use burn::tensor::ops::{ConvOptions, PadMode};
use burn::tensor::{Bytes, DType};

const TAPS: usize = 9;

fn options() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [0, 0], [1, 1], 1)
}

/// - x: `[batch, 1, h, w]`, weight: `[channels, 1, 3, 3]`, bias: `[channels]`
/// - output: `[batch, channels, h - 2, w - 2]`
pub fn conv_3x3_one_channel(x: Tensor<4>, weight: Tensor<4>, bias: Tensor<1>) -> Tensor<4> {
    let output = <Dispatch as ConvOneChannel>::conv_3x3_one_channel(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    );
    Tensor::from_dispatch(output)
}

/// Whether [`conv_3x3_same_one_channel`] computes a convolution with `weight` faster than
/// Burn's `Conv2d`: on Flex, with one input channel and 3×3 filters. Elsewhere the padding and the
/// zero bias would add launches to Burn's own kernel for nothing.
pub fn computes_same_one_channel(weight: &Tensor<4>) -> bool {
    let [_, inputs, kh, kw] = weight.dims();
    inputs == 1 && kh == 3 && kw == 3 && weight.device().inner() == Device::flex()
}

/// A 3×3 "same" convolution without bias (the Atelier CNN's first), as the valid one above on
/// the input padded with zeros; the zero bias is a constant, so no gradient is computed for it.
/// - x: `[batch, 1, h, w]`, weight: `[channels, 1, 3, 3]`
/// - output: `[batch, channels, h, w]`
pub fn conv_3x3_same_one_channel(x: Tensor<4>, weight: Tensor<4>) -> Tensor<4> {
    let bias = Tensor::zeros([weight.dims()[0]], &weight.device());
    let padded = x.pad((1, 1, 1, 1), PadMode::Constant(0.0)); // [batch, 1, h + 2, w + 2]
    conv_3x3_one_channel(padded, weight, bias)
}

#[backend_extension(Flex, Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "fusion"), Autodiff)]
pub trait ConvOneChannel: Backend {
    #[fusion(default)]
    fn conv_3x3_one_channel(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        Self::conv2d(x, weight, Some(bias), options())
    }

    /// `[channels, 1, 3, 3]`: the loss's gradient with respect to the filters.
    #[fusion(default)]
    fn conv_3x3_one_channel_weight_grad(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        Self::conv2d_weight_backward(x, weight, grad, options())
    }

    /// `[channels]`: the loss's gradient with respect to the biases.
    #[fusion(default)]
    fn conv_3x3_one_channel_bias_grad(
        x: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        Self::conv2d_bias_backward(x, bias, grad)
    }
}

#[cfg(feature = "gpu")]
impl ConvOneChannel for burn::backend::Cube {}

/// The shapes this module computes itself: f32, one input channel, 3×3 filters, an output at
/// least one pixel wide. Anything else goes to Flex's own convolution.
fn handled(x: &FlexTensor, weight: &FlexTensor) -> Option<Dims> {
    let ([batch, 1, h, w], [channels, 1, 3, 3]) = (x.shape().dims(), weight.shape().dims()) else {
        return None;
    };
    (x.dtype() == DType::F32 && weight.dtype() == DType::F32 && h >= 3 && w >= 3).then_some(Dims {
        batch,
        channels,
        h,
        w,
        out_h: h - 2,
        out_w: w - 2,
    })
}

#[derive(Clone, Copy)]
struct Dims {
    batch: usize,
    channels: usize,
    h: usize,
    w: usize,
    out_h: usize,
    out_w: usize,
}

impl Dims {
    /// An output plane laid out with the input's row stride (`w`, not `out_w`), up to its last
    /// output: every tap then reads one contiguous run of the input, from [`Self::tap_offset`],
    /// instead of a short run per row (the per-row loops cost more than their arithmetic).
    fn wide_len(self) -> usize {
        (self.out_h - 1) * self.w + self.out_w
    }

    /// Where tap `tap` (row-major in the 3×3 filter) starts reading the input plane.
    fn tap_offset(self, tap: usize) -> usize {
        tap / 3 * self.w + tap % 3
    }
}

fn f32_tensor(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::new(Bytes::from_elems(values), Layout::contiguous(Shape::from(shape)), DType::F32)
}

impl ConvOneChannel for Flex {
    fn conv_3x3_one_channel(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        let Some(d) = handled(&x, &weight).filter(|_| bias.dtype() == DType::F32) else {
            return Self::conv2d(x, weight, Some(bias), options());
        };
        let (x, weight, bias) = (x.to_contiguous(), weight.to_contiguous(), bias.to_contiguous());
        let (input, filters, biases): (&[f32], &[f32], &[f32]) = (x.storage(), weight.storage(), bias.storage());
        let mut output = Vec::with_capacity(d.batch * d.channels * d.out_h * d.out_w);
        let mut wide = vec![0f32; d.wide_len()];
        for image in input.chunks_exact(d.h * d.w) {
            for (taps, &bias) in filters.chunks_exact(TAPS).zip(biases) {
                // Each output adds its nine taps in order, then the bias.
                wide.fill(0.0);
                for (tap, &weight) in taps.iter().enumerate() {
                    for (o, &s) in wide.iter_mut().zip(&image[d.tap_offset(tap)..]) {
                        *o += weight * s;
                    }
                }
                for row in wide.chunks(d.w) {
                    output.extend(row[..d.out_w].iter().map(|&o| o + bias));
                }
            }
        }
        f32_tensor(output, vec![d.batch, d.channels, d.out_h, d.out_w])
    }

    fn conv_3x3_one_channel_weight_grad(x: FlexTensor, weight: FlexTensor, grad: FlexTensor) -> FlexTensor {
        let Some(d) = handled(&x, &weight).filter(|_| grad.dtype() == DType::F32) else {
            return Self::conv2d_weight_backward(x, weight, grad, options());
        };
        let (x, grad) = (x.to_contiguous(), grad.to_contiguous());
        let (input, grads): (&[f32], &[f32]) = (x.storage(), grad.storage());
        let mut filters = vec![0f32; d.channels * TAPS];
        // The plane's gradient laid out with the input's row stride, its extra columns 0.
        let mut wide = vec![0f32; d.wide_len()];
        let planes = grads.chunks_exact(d.out_h * d.out_w);
        for (plane, (image, channel)) in planes
            .zip(input.chunks_exact(d.h * d.w).flat_map(|image| (0..d.channels).map(move |channel| (image, channel))))
        {
            for (wide_row, row) in wide.chunks_mut(d.w).zip(plane.chunks_exact(d.out_w)) {
                wide_row[..d.out_w].copy_from_slice(row);
            }
            for (tap, sum) in filters[channel * TAPS..][..TAPS].iter_mut().enumerate() {
                *sum += dot(&wide, &image[d.tap_offset(tap)..][..wide.len()]);
            }
        }
        f32_tensor(filters, vec![d.channels, 1, 3, 3])
    }

    fn conv_3x3_one_channel_bias_grad(x: FlexTensor, bias: FlexTensor, grad: FlexTensor) -> FlexTensor {
        let [_, channels, out_h, out_w] = grad.shape().dims();
        if grad.dtype() != DType::F32 {
            return Self::conv2d_bias_backward(x, bias, grad);
        }
        let grad = grad.to_contiguous();
        let mut sums = vec![0f32; channels];
        for (plane, channel) in grad.storage::<f32>().chunks_exact(out_h * out_w).zip((0..channels).cycle()) {
            sums[channel] += dot_with_ones(plane);
        }
        f32_tensor(sums, vec![channels])
    }
}

/// `Σ a[i] · b[i]` in eight lanes (a sum the compiler may not reorder on its own, so without
/// lanes it would not vectorise), then the lanes added.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `Σ a[i]` in eight lanes, as [`dot`].
fn dot_with_ones(a: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = a.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for x in chunks {
        for lane in 0..8 {
            lanes[lane] += x[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The backward pass: the weight and bias gradients through [`ConvOneChannel`], the input's
/// through each backend's own `conv2d_x_backward`.
#[derive(Debug)]
struct ConvOneChannelBackward;

impl<B: Backend + ConvOneChannel> Backward<B, 3> for ConvOneChannelBackward {
    type State = (NodeId, NodeId, NodeId);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [x_node, weight_node, bias_node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_state, weight_state, bias_state) = ops.state;
        let x = checkpointer.retrieve_node_output::<FloatTensor<B>>(x_state);
        let weight = checkpointer.retrieve_node_output::<FloatTensor<B>>(weight_state);
        let bias = checkpointer.retrieve_node_output::<FloatTensor<B>>(bias_state);
        if let Some(node) = x_node {
            grads.register::<B>(node.id, B::conv2d_x_backward(x.clone(), weight.clone(), grad.clone(), options()));
        }
        if let Some(node) = weight_node {
            grads.register::<B>(node.id, B::conv_3x3_one_channel_weight_grad(x.clone(), weight, grad.clone()));
        }
        if let Some(node) = bias_node {
            grads.register::<B>(node.id, B::conv_3x3_one_channel_bias_grad(x, bias, grad));
        }
    }
}

impl<B: Backend + ConvOneChannel, C: CheckpointStrategy> ConvOneChannel for Autodiff<B, C> {
    fn conv_3x3_one_channel(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match ConvOneChannelBackward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&x), prep.checkpoint(&weight), prep.checkpoint(&bias));
                let output =
                    B::conv_3x3_one_channel(x.into_primitive(), weight.into_primitive(), bias.into_primitive());
                prep.finish(state, output)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::conv_3x3_one_channel(x.into_primitive(), weight.into_primitive(), bias.into_primitive()))
            }
        }
    }
}
