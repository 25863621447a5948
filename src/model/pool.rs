//! The CNNs' 2×2 max pool, fast on the CPU.
//!
//! Flex pools through its general 3-D pooling, which works out every window's valid range with
//! six integer divisions; for a 2×2, stride-2 pool that bookkeeping is most of the cost (the
//! pool's forward pass was 13–16 % of a Baseline CNN training step in the browser; 2–3 % now).
//! On Flex this computes the same maxima and the same indices directly, four windows at a time
//! (the first maximum in row-major order wins, a NaN wins as in Flex's), and leaves the backward
//! pass to Flex's own scatter of the gradient to those indices. Every other backend (WebGPU)
//! runs Burn's own pool.

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::flex::{Flex, FlexTensor, Layout};
use burn::backend::ops::IntTensorOps;
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Backend, Dispatch, TensorMetadata, backend_extension, get_or_init_device_settings};
use burn::prelude::*;
use burn::tensor::{Bytes, DType};

const KERNEL: [usize; 2] = [2, 2];
const NO_PADDING: [usize; 2] = [0, 0];
const NO_DILATION: [usize; 2] = [1, 1];

/// - x: `[batch, channels, h, w]`
/// - output: `[batch, channels, h / 2, w / 2]` (a last odd row or column is dropped)
pub fn max_pool_2x2(x: Tensor<4>) -> Tensor<4> {
    let (output, _indices) = <Dispatch as MaxPool2x2>::max_pool_2x2(x.into_dispatch());
    Tensor::from_dispatch(output)
}

#[backend_extension(Flex, Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "fusion"), Autodiff)]
pub trait MaxPool2x2: Backend {
    /// The pooled maxima and, per output, the flat index within its `h × w` plane of the input
    /// it came from (what `max_pool2d_with_indices_backward` takes).
    #[fusion(default)]
    fn max_pool_2x2(x: FloatTensor<Self>) -> (FloatTensor<Self>, IntTensor<Self>) {
        burns_pool::<Self>(x)
    }
}

/// Burn's own 2×2 max pool on backend `B`, with indices in the device's integer type.
fn burns_pool<B: Backend>(x: FloatTensor<B>) -> (FloatTensor<B>, IntTensor<B>) {
    let int_dtype = get_or_init_device_settings::<B>(&x.device()).int_dtype;
    let pooled = B::max_pool2d_with_indices(x, KERNEL, KERNEL, NO_PADDING, NO_DILATION, false, int_dtype);
    (pooled.output, pooled.indices)
}

#[cfg(feature = "gpu")]
impl MaxPool2x2 for burn::backend::Cube {}

impl MaxPool2x2 for Flex {
    fn max_pool_2x2(x: FlexTensor) -> (FlexTensor, FlexTensor) {
        if x.dtype() != DType::F32 {
            return burns_pool::<Self>(x);
        }
        let int_dtype = get_or_init_device_settings::<Self>(&x.device()).int_dtype;
        let x = x.to_contiguous();
        let [batch, channels, h, w] = x.shape().dims();
        let shape = Shape::from(vec![batch, channels, h / 2, w / 2]);
        let input: &[f32] = x.storage();
        let (maxima, indices) = pool_planes::<Quad>(input, h, w);
        let indices = FlexTensor::new(Bytes::from_elems(indices), Layout::contiguous(shape.clone()), DType::I32);
        // Flex's default integer type; another takes one more pass.
        let indices = if DType::from(int_dtype) == DType::I32 { indices } else { Self::int_cast(indices, int_dtype) };
        (FlexTensor::new(Bytes::from_elems(maxima), Layout::contiguous(shape), DType::F32), indices)
    }
}

/// Every `h × w` plane of `input` pooled: the maxima and their indices, four windows at a time.
fn pool_planes<Q: Lanes>(input: &[f32], h: usize, w: usize) -> (Vec<f32>, Vec<i32>) {
    let (out_h, out_w) = (h / 2, w / 2);
    let outputs = input.len() / (h * w) * out_h * out_w;
    let (mut maxima, mut indices) = (Vec::with_capacity(outputs), Vec::with_capacity(outputs));
    for plane in input.chunks_exact(h * w) {
        for row in 0..out_h {
            let (top, bottom) = (2 * row * w, (2 * row + 1) * w);
            // Read in Flex's order (the top pair, then the bottom pair), so the same input wins.
            let window = |column: usize| {
                let (top, bottom) = ((top + 2 * column) as u32, (bottom + 2 * column) as u32);
                let upper = later_wins((plane[top as usize], top), (plane[top as usize + 1], top + 1));
                let lower = later_wins((plane[bottom as usize], bottom), (plane[bottom as usize + 1], bottom + 1));
                later_wins(upper, lower)
            };
            let quads = out_w / 4;
            for quad in 0..quads {
                let first =
                    |start: usize| ((start + 8 * quad) as u32, plane[start + 8 * quad..][..8].try_into().unwrap());
                let ((top, upper), (bottom, lower)) = (first(top), first(bottom));
                let ((top_left, top_right), (bottom_left, bottom_right)) = (Q::split(upper), Q::split(lower));
                let (top, bottom) = (Q::every_other(top), Q::every_other(bottom));
                let upper = Q::later_wins((top_left, top), (top_right, Q::plus_one(top)));
                let lower = Q::later_wins((bottom_left, bottom), (bottom_right, Q::plus_one(bottom)));
                let (max, at) = Q::later_wins(upper, lower);
                Q::push(max, at, &mut maxima, &mut indices);
            }
            for column in 4 * quads..out_w {
                let (max, at) = window(column);
                maxima.push(max);
                indices.push(at as i32);
            }
        }
    }
    (maxima, indices)
}

/// Of two (value, index) candidates read in order, the later wins if it is larger or NaN: a
/// scan's rule, so that a tie goes to the first and a NaN propagates. Without branches, which
/// mispredict on noisy maps (1.5× faster natively than the same rule with `if`s).
#[inline(always)]
fn later_wins(earlier: (f32, u32), later: (f32, u32)) -> (f32, u32) {
    let mask = 0u32.wrapping_sub(((later.0 > earlier.0) | later.0.is_nan()) as u32);
    let value = (later.0.to_bits() & mask) | (earlier.0.to_bits() & !mask);
    (f32::from_bits(value), (later.1 & mask) | (earlier.1 & !mask))
}

/// Four windows side by side: wasm SIMD in the browser (4× faster there than one window at a
/// time), plain arrays natively, where the tests run the same algorithm through them. Values
/// and indices both travel as 32-bit lanes.
trait Lanes: Copy {
    /// The left and the right elements of four pairs: `[s0, s2, s4, s6]`, `[s1, s3, s5, s7]`.
    fn split(pairs: &[f32; 8]) -> (Self, Self);
    /// `[first, first + 2, first + 4, first + 6]`: the left elements' indices.
    fn every_other(first: u32) -> Self;
    fn plus_one(indices: Self) -> Self;
    /// [`later_wins`] in each lane: `(values, indices)`.
    fn later_wins(earlier: (Self, Self), later: (Self, Self)) -> (Self, Self);
    fn push(values: Self, indices: Self, to_values: &mut Vec<f32>, to_indices: &mut Vec<i32>);
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Quad = core::arch::wasm32::v128;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Quad = [u32; 4];

impl Lanes for [u32; 4] {
    fn split(pairs: &[f32; 8]) -> (Self, Self) {
        let lanes = |offset: usize| std::array::from_fn(|lane| pairs[2 * lane + offset].to_bits());
        (lanes(0), lanes(1))
    }

    fn every_other(first: u32) -> Self {
        std::array::from_fn(|lane| first + 2 * lane as u32)
    }

    fn plus_one(indices: Self) -> Self {
        indices.map(|i| i + 1)
    }

    fn later_wins(earlier: (Self, Self), later: (Self, Self)) -> (Self, Self) {
        let winners: [(f32, u32); 4] = std::array::from_fn(|lane| {
            later_wins(
                (f32::from_bits(earlier.0[lane]), earlier.1[lane]),
                (f32::from_bits(later.0[lane]), later.1[lane]),
            )
        });
        (winners.map(|(value, _)| value.to_bits()), winners.map(|(_, index)| index))
    }

    fn push(values: Self, indices: Self, to_values: &mut Vec<f32>, to_indices: &mut Vec<i32>) {
        to_values.extend(values.map(f32::from_bits));
        to_indices.extend(indices.map(|i| i as i32));
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Lanes for core::arch::wasm32::v128 {
    fn split(pairs: &[f32; 8]) -> (Self, Self) {
        use core::arch::wasm32::*;
        // SAFETY: both reads lie within the 8 floats of `pairs`; `v128_load` takes any alignment.
        let [low, high] = [0, 4].map(|at| unsafe { v128_load(pairs[at..].as_ptr().cast()) });
        (i32x4_shuffle::<0, 2, 4, 6>(low, high), i32x4_shuffle::<1, 3, 5, 7>(low, high))
    }

    fn every_other(first: u32) -> Self {
        core::arch::wasm32::u32x4(first, first + 2, first + 4, first + 6)
    }

    fn plus_one(indices: Self) -> Self {
        use core::arch::wasm32::*;
        i32x4_add(indices, i32x4_splat(1))
    }

    fn later_wins(earlier: (Self, Self), later: (Self, Self)) -> (Self, Self) {
        use core::arch::wasm32::*;
        let take = v128_or(f32x4_gt(later.0, earlier.0), f32x4_ne(later.0, later.0));
        (v128_bitselect(later.0, earlier.0, take), v128_bitselect(later.1, earlier.1, take))
    }

    fn push(values: Self, indices: Self, to_values: &mut Vec<f32>, to_indices: &mut Vec<i32>) {
        use core::arch::wasm32::*;
        to_values.extend([f32x4_extract_lane::<0>(values), f32x4_extract_lane::<1>(values)]);
        to_values.extend([f32x4_extract_lane::<2>(values), f32x4_extract_lane::<3>(values)]);
        to_indices.extend([i32x4_extract_lane::<0>(indices), i32x4_extract_lane::<1>(indices)]);
        to_indices.extend([i32x4_extract_lane::<2>(indices), i32x4_extract_lane::<3>(indices)]);
    }
}

/// The backward pass: each backend's own `max_pool2d_with_indices_backward`.
#[derive(Debug)]
struct MaxPool2x2Backward;

impl<B: Backend> Backward<B, 1> for MaxPool2x2Backward {
    type State = (NodeId, IntTensor<B>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_state, indices) = ops.state;
        let x = checkpointer.retrieve_node_output(x_state);
        if let Some(parent) = parent {
            let grad =
                B::max_pool2d_with_indices_backward(x, KERNEL, KERNEL, NO_PADDING, NO_DILATION, false, grad, indices);
            grads.register::<B>(parent.id, grad.x_grad);
        }
    }
}

impl<B: Backend + MaxPool2x2, C: CheckpointStrategy> MaxPool2x2 for Autodiff<B, C> {
    fn max_pool_2x2(x: FloatTensor<Self>) -> (FloatTensor<Self>, IntTensor<Self>) {
        match MaxPool2x2Backward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let (output, indices) = B::max_pool_2x2(x.into_primitive());
                (prep.finish((x_state, indices.clone()), output), indices)
            }
            OpsKind::UnTracked(prep) => {
                let (output, indices) = B::max_pool_2x2(x.into_primitive());
                (prep.finish(output), indices)
            }
        }
    }
}
