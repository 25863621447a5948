//! Messages between the page and the engine worker: plain serde types, so the page's bundle
//! never links Burn. The worker turns [`RunSettings`] into the engine's `TrainingConfig`.

use serde::{Deserialize, Serialize};

pub use crate::race::{Choice, GpuStatus, RaceRecord, Workload};

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

/// The three models a user can pick (the engine's `ModelKind`; the trainer's `--model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ModelChoice {
    /// Flatten → Dense(h₁) → act → [Dense(h₂) → act] → Dense(10).
    Dense,
    /// Conv 32×3×3 → MaxPool → Dense 128 → Dense 10 (the inspiring blog's CNN).
    BaselineCnn,
    #[default]
    AtelierCnn,
}

impl ModelChoice {
    pub const ALL: [ModelChoice; 3] = [Self::Dense, Self::BaselineCnn, Self::AtelierCnn];

    /// Stable lower-case name (the serde name), for command lines and `<select>` values.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dense => "dense",
            Self::BaselineCnn => "baseline-cnn",
            Self::AtelierCnn => "atelier-cnn",
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            Self::Dense => "Dense network",
            Self::BaselineCnn => "Baseline CNN",
            Self::AtelierCnn => "Atelier CNN",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for ModelChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Hidden-layer non-linearity of the dense model (the engine's `ActivationKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    #[default]
    Relu,
    Sigmoid,
    Tanh,
    Gelu,
}

impl Activation {
    pub const ALL: [Activation; 4] = [Self::Relu, Self::Sigmoid, Self::Tanh, Self::Gelu];

    /// Stable lower-case name (the serde name), for command lines and labels.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Gelu => "gelu",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything the user chooses for a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub model: ModelChoice,
    /// Dense only: one or two hidden layer sizes.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    /// Dense only: dropout after each hidden layer.
    pub dropout: f64,
    /// `"adam"` or `"sgd"`.
    pub optimizer: String,
    pub learning_rate: f64,
    /// SGD only.
    pub momentum: f64,
    /// `"cosine"` (decay to zero over the run) or `"constant"`.
    pub schedule: String,
    pub batch_size: usize,
    pub epochs: usize,
    /// Images held out of the train split for validation.
    pub validation_size: usize,
    /// Training images per epoch (`None`: all that validation leaves).
    pub train_subset: Option<usize>,
    pub augment: bool,
    pub seed: u64,
    /// Read the loss back every N steps (1: every step, as the live chart wants; more: fewer
    /// device round trips). Set from the page's `?readback=N`.
    pub readback_every: usize,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            model: ModelChoice::AtelierCnn,
            hidden: vec![128, 128],
            activation: Activation::Relu,
            dropout: 0.0,
            optimizer: "adam".into(),
            learning_rate: 1e-3,
            momentum: 0.9,
            schedule: "cosine".into(),
            batch_size: 64,
            epochs: 5,
            validation_size: 5_000,
            train_subset: Some(10_000),
            augment: false,
            seed: 42,
            readback_every: 1,
        }
    }
}

/// One forward + backward pass on WebGPU compared with the CPU, run when WebGPU starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeviceCheck {
    pub loss_cpu: f32,
    pub loss_gpu: f32,
    /// Largest input-gradient difference relative to the largest CPU gradient.
    pub gradient_difference: f32,
    pub agrees: bool,
}

/// Which weights classify the user's drawings and uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ClassifierChoice {
    /// The Atelier CNN shipped with the app, ready before any training.
    #[default]
    Pretrained,
    /// The weights of the last run in this session.
    LastRun,
}

impl ClassifierChoice {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pretrained => "pretrained",
            Self::LastRun => "last-run",
        }
    }
}

/// One image to classify: the model's 28×28 input (light on black), already preprocessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifyRequest {
    /// Grows with every request; the answer carries it back.
    pub seq: u64,
    #[serde(with = "serde_bytes")]
    pub pixels: Vec<u8>,
    pub model: ClassifierChoice,
    /// `performance.now()` of the input event on the page, for the latency readout.
    pub input_at: f64,
}

/// The answer to a [`ClassifyRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub seq: u64,
    pub model: ClassifierChoice,
    pub input_at: f64,
    /// Ten probabilities summing to 1.
    pub probabilities: Vec<f32>,
    /// 784 values in [0, 1]: how much each pixel drove the top class.
    pub saliency: Vec<f32>,
    pub backend: BackendKind,
}

/// Batch inference over the test set, for the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InferenceFigures {
    pub images: usize,
    pub seconds: f64,
    pub accuracy: f32,
    pub backend: BackendKind,
}

/// What the engine can classify with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClassifierStatus {
    /// The shipped weights are loaded (with their size in bytes) or failed to load.
    Pretrained(Result<usize, String>),
    /// A run left weights behind (its model, for the picker).
    LastRun(ModelChoice),
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
    pub check: Option<DeviceCheck>,
}

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToEngine {
    /// Start as `role`. `force`: the backend the user chose (`?backend=`), else the faster one
    /// is measured for `settings`; `known`: races of earlier visits, reused for the same adapter
    /// and workload. Also where the data files and the shipped pre-trained weights are, and the
    /// `BroadcastChannel` on which the trainer posts its weights (model files) to the classifier.
    Init {
        role: EngineRole,
        force: Option<BackendKind>,
        settings: RunSettings,
        known: Vec<RaceRecord>,
        data_base: String,
        pretrained_url: String,
        weights_channel: String,
    },
    /// The settings changed (model, layers, batch size): measure again if that is a new workload
    /// (the classifier: measure classification now).
    Workload(RunSettings),
    /// Send the current run's weights now ([`FromEngine::Checkpoint`]), e.g. to classify with
    /// a run in progress; between runs, post the last weights to the classifier again (a
    /// restarted one has none).
    Snapshot,
    Classify(ClassifyRequest),
    /// Continue a run from a checkpoint the page stored (bytes from [`FromEngine::Checkpoint`]).
    ResumeRun {
        #[serde(with = "serde_bytes")]
        checkpoint: Vec<u8>,
        readback_every: usize,
    },
    /// Send the last run's (or the imported) model as a file.
    ExportModel,
    /// Use a model file (exported earlier, or restored from storage when `quiet`) as the last
    /// run's model. Refused with a message when the bytes are not a valid model file.
    ImportModel {
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        quiet: bool,
    },
    /// The user's choice of backend, between runs: it overrides the measured one.
    ChooseBackend(BackendKind),
    Start(RunSettings),
    Pause,
    Resume,
    Stop,
    Reset,
    /// Benchmark: classify all 10,000 test images with the pre-trained model and report the time.
    MeasureInference,
    /// Fault injection for tests: destroy the WebGPU device as a driver reset would.
    LoseGpuForTest,
}

/// One training step as the charts and readouts need it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepPoint {
    pub epoch: usize,
    pub step: usize,
    pub steps_per_epoch: usize,
    pub global_step: usize,
    pub total_steps: usize,
    pub loss: f32,
    pub accuracy: f32,
    pub images_per_second: f64,
    pub elapsed_seconds: f64,
    pub eta_seconds: f64,
}

/// The end of an epoch: held-out figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochPoint {
    pub epoch: usize,
    pub epochs: usize,
    pub validation_loss: f32,
    pub validation_accuracy: f32,
    pub test_loss: f32,
    pub test_accuracy: f32,
    pub elapsed_seconds: f64,
    pub eta_seconds: f64,
}

/// The engine's memory once an epoch's work is all done (evaluation, predictions, checkpoint),
/// so every epoch is measured at the same point and a leak shows as growth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EngineMemory {
    pub epoch: usize,
    /// The worker's wasm linear memory (it never shrinks: it is the high-water mark).
    pub wasm_bytes: f64,
    /// Bytes the GPU allocator holds for live tensors / in all, where the backend reports it.
    pub device_bytes_in_use: Option<u64>,
    pub device_bytes_reserved: Option<u64>,
}

/// Every test image's class probabilities after an epoch: row `i` (10 values) is test image `i`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestPredictions {
    pub epoch: usize,
    pub probabilities: Vec<f32>,
}

/// Where a run is, mirroring the engine's run state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RunPhase {
    Idle,
    /// Loading data or compiling kernels before the first step.
    Preparing(String),
    Running,
    Paused,
    Done {
        stopped_early: bool,
    },
    Error(String),
}

impl RunPhase {
    /// The `data-state` of `train-state`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Preparing(_) | Self::Running => "running",
            Self::Paused => "paused",
            Self::Done { .. } => "done",
            Self::Error(_) => "error",
        }
    }
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromEngine {
    /// The backend in use and why.
    Backend(BackendReport),
    /// A finished race, for the page to keep (sent once the GPU figure is final).
    Raced(RaceRecord),
    Phase(RunPhase),
    /// Steps since the last message (batched so a fast model cannot flood the page).
    Steps(Vec<StepPoint>),
    Epoch(EpochPoint),
    /// Sent right after the [`FromEngine::Epoch`] it belongs to.
    TestPredictions(TestPredictions),
    /// Sent last at the end of every epoch, after its [`FromEngine::Checkpoint`].
    Memory(EngineMemory),
    Classifier(ClassifierStatus),
    Classified(Classification),
    /// Everything needed to resume the current run, and its weights as a model file; sent after
    /// every epoch and when a run stops.
    Checkpoint {
        epoch: usize,
        global_step: usize,
        #[serde(with = "serde_bytes")]
        checkpoint: Vec<u8>,
        #[serde(with = "serde_bytes")]
        model_file: Vec<u8>,
    },
    /// The answer to [`ToEngine::ExportModel`].
    ModelFile {
        model: ModelChoice,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// The answer to [`ToEngine::ImportModel`]: the imported model, or why it was refused.
    ModelImported {
        result: Result<ModelChoice, String>,
        quiet: bool,
    },
    /// The answer to [`ToEngine::MeasureInference`] (`Err`: why it could not run).
    InferenceMeasured(Result<InferenceFigures, String>),
    /// A classification could not be made (e.g. no trained model yet); carries the request's seq.
    ClassifyFailed {
        seq: u64,
        message: String,
    },
    /// A request was refused, with the reason (e.g. a config change during a run).
    Refused(String),
    /// The worker's wasm instance panicked and is dead; the page restarts it on the CPU.
    Crashed(String),
}
