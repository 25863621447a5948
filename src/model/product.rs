//! The dense layers' matrix product, with a kernel of its own for software GPUs.
//!
//! On a software adapter (SwiftShader, which emulates the GPU on the CPU's cores) the matrix
//! product Burn runs stages tiles in workgroup memory behind barriers, which such an adapter
//! emulates at great cost: the Baseline CNN's dense layer, its forward pass and two gradients,
//! was 78 % of a training step there. This kernel keeps a 4 × 4 block of outputs per invocation
//! in registers, with no workgroup memory and no barriers, reading each operand through its
//! strides (so the gradients' transposes are free). Elsewhere (Flex, a hardware GPU) it is Burn's
//! own product.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::flex::Flex;
#[cfg(feature = "gpu")]
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, backend_extension};
use burn::nn::Linear;
use burn::prelude::*;

/// Whether the Cube backend runs [`tiled`] (set once the engine knows its adapter is software).
static SOFTWARE_GPU: AtomicBool = AtomicBool::new(false);

/// Tells the products on the GPU whether its adapter is a software one.
pub fn set_software_gpu(software: bool) {
    SOFTWARE_GPU.store(software, Ordering::Relaxed);
}

/// Whether the GPU's adapter is a software one: its work takes the CPU's cores.
pub fn software_gpu() -> bool {
    SOFTWARE_GPU.load(Ordering::Relaxed)
}

/// - lhs: `[m, k]`, rhs: `[k, n]`
/// - output: `[m, n]`
fn product(lhs: Tensor<2>, rhs: Tensor<2>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as DenseProduct>::dense_product(lhs.into_dispatch(), rhs.into_dispatch()))
}

/// `layer.forward(x)`, through [`product`] on a software GPU; elsewhere (Flex, a hardware GPU)
/// Burn's own linear layer, whose single operation carries the bias too.
/// - x: `[batch, inputs]`
/// - output: `[batch, outputs]`
pub fn linear(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    if !SOFTWARE_GPU.load(Ordering::Relaxed) || x.device().inner() == Device::flex() {
        return layer.forward(x);
    }
    let y = product(x, layer.weight.val()); // [batch, outputs]
    match &layer.bias {
        Some(bias) => y + bias.val().unsqueeze_dim(0),
        None => y,
    }
}

#[cfg(feature = "fusion")]
fn product_shape(lhs: &Shape, rhs: &Shape) -> Shape {
    Shape::from(vec![lhs[0], rhs[1]])
}

#[backend_extension(Flex, Cube: cfg(feature = "gpu"), Fusion: cfg(feature = "fusion"), Autodiff)]
pub trait DenseProduct: Backend {
    #[fusion(dtype = lhs, shape = product_shape(lhs, rhs))]
    fn dense_product(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::float_matmul(lhs, rhs)
    }
}

impl DenseProduct for Flex {}

#[cfg(feature = "gpu")]
impl DenseProduct for burn_cubecl::CubeBackend {
    fn dense_product(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        if SOFTWARE_GPU.load(Ordering::Relaxed) && lhs.dtype == burn::tensor::DType::F32 {
            tiled::product(lhs, rhs)
        } else {
            Self::float_matmul(lhs, rhs)
        }
    }
}

#[cfg(feature = "gpu")]
mod tiled {
    use burn_cubecl::cubecl;
    use burn_cubecl::kernel::untile;
    use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
    use burn_cubecl::tensor::CubeTensor;
    use cubecl::prelude::*;

    /// Outputs per invocation along each side.
    const BLOCK: u32 = 4;
    /// Invocations per workgroup along each side.
    const GROUP: u32 = 8;

    /// Each invocation sums `k` products into a 4 × 4 block of `out`; a block that runs past
    /// the edge reads the last row or column again and writes only what is inside.
    #[cube(launch)]
    fn tiled_product(lhs: &Tensor<f32>, rhs: &Tensor<f32>, out: &mut Tensor<f32>) {
        let m = out.shape(0);
        let n = out.shape(1);
        let k = lhs.shape(1);
        let row = ABSOLUTE_POS_Y as usize * 4;
        let col = ABSOLUTE_POS_X as usize * 4;
        if row >= m || col >= n {
            terminate!();
        }
        let (l_row, l_k) = (lhs.stride(0), lhs.stride(1));
        let (r_k, r_col) = (rhs.stride(0), rhs.stride(1));
        let r0 = row * l_row;
        let r1 = min(row + 1, m - 1) * l_row;
        let r2 = min(row + 2, m - 1) * l_row;
        let r3 = min(row + 3, m - 1) * l_row;
        let c0 = col * r_col;
        let c1 = min(col + 1, n - 1) * r_col;
        let c2 = min(col + 2, n - 1) * r_col;
        let c3 = min(col + 3, n - 1) * r_col;
        let mut s00 = 0.0f32;
        let mut s01 = 0.0f32;
        let mut s02 = 0.0f32;
        let mut s03 = 0.0f32;
        let mut s10 = 0.0f32;
        let mut s11 = 0.0f32;
        let mut s12 = 0.0f32;
        let mut s13 = 0.0f32;
        let mut s20 = 0.0f32;
        let mut s21 = 0.0f32;
        let mut s22 = 0.0f32;
        let mut s23 = 0.0f32;
        let mut s30 = 0.0f32;
        let mut s31 = 0.0f32;
        let mut s32 = 0.0f32;
        let mut s33 = 0.0f32;
        for i in 0..k {
            let a_at = i * l_k;
            let b_at = i * r_k;
            let a0 = lhs[r0 + a_at];
            let a1 = lhs[r1 + a_at];
            let a2 = lhs[r2 + a_at];
            let a3 = lhs[r3 + a_at];
            let b0 = rhs[b_at + c0];
            let b1 = rhs[b_at + c1];
            let b2 = rhs[b_at + c2];
            let b3 = rhs[b_at + c3];
            s00 += a0 * b0;
            s01 += a0 * b1;
            s02 += a0 * b2;
            s03 += a0 * b3;
            s10 += a1 * b0;
            s11 += a1 * b1;
            s12 += a1 * b2;
            s13 += a1 * b3;
            s20 += a2 * b0;
            s21 += a2 * b1;
            s22 += a2 * b2;
            s23 += a2 * b3;
            s30 += a3 * b0;
            s31 += a3 * b1;
            s32 += a3 * b2;
            s33 += a3 * b3;
        }
        let (o_row, o_col) = (out.stride(0), out.stride(1));
        let (row1, row2, row3) = (row + 1, row + 2, row + 3);
        let (col1, col2, col3) = (col + 1, col + 2, col + 3);
        out[row * o_row + col * o_col] = s00; // inside: checked on entry
        if row < m && col1 < n {
            out[row * o_row + col1 * o_col] = s01;
        }
        if row < m && col2 < n {
            out[row * o_row + col2 * o_col] = s02;
        }
        if row < m && col3 < n {
            out[row * o_row + col3 * o_col] = s03;
        }
        if row1 < m && col < n {
            out[row1 * o_row + col * o_col] = s10;
        }
        if row1 < m && col1 < n {
            out[row1 * o_row + col1 * o_col] = s11;
        }
        if row1 < m && col2 < n {
            out[row1 * o_row + col2 * o_col] = s12;
        }
        if row1 < m && col3 < n {
            out[row1 * o_row + col3 * o_col] = s13;
        }
        if row2 < m && col < n {
            out[row2 * o_row + col * o_col] = s20;
        }
        if row2 < m && col1 < n {
            out[row2 * o_row + col1 * o_col] = s21;
        }
        if row2 < m && col2 < n {
            out[row2 * o_row + col2 * o_col] = s22;
        }
        if row2 < m && col3 < n {
            out[row2 * o_row + col3 * o_col] = s23;
        }
        if row3 < m && col < n {
            out[row3 * o_row + col * o_col] = s30;
        }
        if row3 < m && col1 < n {
            out[row3 * o_row + col1 * o_col] = s31;
        }
        if row3 < m && col2 < n {
            out[row3 * o_row + col2 * o_col] = s32;
        }
        if row3 < m && col3 < n {
            out[row3 * o_row + col3 * o_col] = s33;
        }
    }

    pub fn product(lhs: CubeTensor, rhs: CubeTensor) -> CubeTensor {
        let (lhs, rhs) = (untile(lhs), untile(rhs));
        let (m, n) = (lhs.meta.shape()[0], rhs.meta.shape()[1]);
        let out = empty_device_contiguous_dtype(lhs.client.clone(), lhs.device.clone(), [m, n].into(), lhs.dtype);
        let blocks = |len: usize| (len as u32).div_ceil(BLOCK).div_ceil(GROUP);
        tiled_product::launch(
            &out.client,
            CubeCount::Static(blocks(n), blocks(m), 1),
            CubeDim::new_2d(GROUP, GROUP),
            lhs.into_tensor_arg(),
            rhs.into_tensor_arg(),
            out.clone().into_tensor_arg(),
        );
        out
    }
}

/// The backward pass: both gradients are products again, through the operands' transposes.
#[derive(Debug)]
struct DenseProductBackward;

impl<B: Backend + DenseProduct> Backward<B, 2> for DenseProductBackward {
    type State = (NodeId, NodeId);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [lhs_node, rhs_node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (lhs_state, rhs_state) = ops.state;
        let lhs = checkpointer.retrieve_node_output::<FloatTensor<B>>(lhs_state);
        let rhs = checkpointer.retrieve_node_output::<FloatTensor<B>>(rhs_state);
        if let Some(node) = lhs_node {
            grads.register::<B>(node.id, B::dense_product(grad.clone(), B::float_transpose(rhs)));
        }
        if let Some(node) = rhs_node {
            grads.register::<B>(node.id, B::dense_product(B::float_transpose(lhs), grad));
        }
    }
}

impl<B: Backend + DenseProduct, C: CheckpointStrategy> DenseProduct for Autodiff<B, C> {
    fn dense_product(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        match DenseProductBackward.prepare::<C>([lhs.node(), rhs.node()]).compute_bound().stateful() {
            OpsKind::Tracked(mut prep) => {
                let state = (prep.checkpoint(&lhs), prep.checkpoint(&rhs));
                prep.finish(state, B::dense_product(lhs.into_primitive(), rhs.into_primitive()))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::dense_product(lhs.into_primitive(), rhs.into_primitive())),
        }
    }
}
