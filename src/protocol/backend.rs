//! Which backend computes, why, and whether it computes correctly.

use serde::{Deserialize, Serialize};

use super::{Choice, GpuStatus, RaceRecord};

/// Which compute backend the engine runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    /// The `data-value` of the `backend` element.
    pub const fn name(self) -> &'static str {
        match self {
            Self::WebGpu => "webgpu",
            Self::Cpu => "cpu",
        }
    }
}

/// One forward + backward pass of the same weights on the same batch on two devices (the CPU
/// as reference, WebGPU as candidate when it starts), compared.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CrossCheck {
    pub loss_reference: f32,
    pub loss_candidate: f32,
    /// Largest difference of the input's gradients and of each parameter's, relative to the
    /// largest value of that gradient on the reference.
    pub gradient_difference: f32,
}

impl CrossCheck {
    /// Float32 on different kernels agrees to about 1e-5 relative; garbage is off by far more.
    pub const TOLERANCE: f32 = 1e-3;

    pub fn agrees(&self) -> bool {
        let loss_difference = (self.loss_reference - self.loss_candidate).abs() / self.loss_reference.abs().max(1e-6);
        loss_difference < Self::TOLERANCE && self.gradient_difference < Self::TOLERANCE
    }
}

/// What one engine worker does. The page runs two: one trains, one classifies, so a drawing
/// never waits behind a training step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineRole {
    Trainer,
    Classifier,
}

/// The backend in use, why, and what is known about the GPU (the `backend` badge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendReport {
    pub kind: BackendKind,
    pub choice: Choice,
    /// Why this backend, in words for the page.
    pub detail: String,
    pub gpu: GpuStatus,
    /// The race behind the choice (measured now or on an earlier visit).
    pub race: Option<RaceRecord>,
    /// WebGPU compared with the CPU when WebGPU started.
    pub check: Option<CrossCheck>,
}
