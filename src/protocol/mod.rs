//! Messages between the page and the engine worker: plain serde types, so the page's bundle
//! never links Burn. The worker turns [`RunSettings`] into the engine's `TrainingConfig`.
//!
//! `settings`: what a run is; `backend`: what computes it; `classifier`: the user's picture and
//! its answer; `reports`: what a run reports; `run`: the run's state machine. Engine code uses
//! these same types (a model is a [`ModelChoice`], an optimizer an [`OptimizerKind`], a run's
//! state a [`RunState`]): one name each.

mod backend;
mod classifier;
pub mod figure;
mod inspect;
mod reports;
mod run;
mod settings;

use serde::{Deserialize, Serialize};

pub use crate::race::{Choice, GpuStatus, RaceRecord, Workload};
pub use backend::{BackendKind, BackendReport, CrossCheck, EngineRole};
pub use classifier::{
    Classification, ClassifierChoice, ClassifierStatus, ClassifyRequest, InferenceFigures, PretrainedModel,
};
pub use inspect::{InspectRequest, Inspection, ModelView, Picture};
pub use reports::{EngineMemory, EpochReport, EvalReport, StepInfo, StepReport, TestPredictions};
pub use run::{RunEvent, RunState, TransitionError};
pub use settings::{Activation, LrSchedule, ModelChoice, OptimizerKind, RunSettings};

/// Page → worker.
/// Bumped whenever a message changes shape. The page's first message and the engine's first
/// answer carry it ([`ToEngine::Hello`], [`FromEngine::Hello`]): builds that differ refuse each
/// other instead of misreading bytes.
pub const PROTOCOL_VERSION: u32 = 10;

/// The engine worker's script (Trunk's loader for the engine binary). Trunk does not hash
/// worker file names, so the binary is named after [`PROTOCOL_VERSION`] (`Cargo.toml`,
/// `index.html`, `static/sw.js`, `atelier.sh`; `tests/protocol.rs` checks they agree): a page
/// never loads, from a cache, an engine that speaks another protocol under the same name.
pub const ENGINE_LOADER: &str = "./atelier-engine-p10_loader.js";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToEngine {
    /// The handshake, always the first variant (its encoding must never change): the page's
    /// [`PROTOCOL_VERSION`].
    Hello(u32),
    /// Start as `role`. `force`: the backend the user chose (`?backend=`), else the faster one
    /// is measured for `settings`; `known`: races of earlier visits, reused for the same adapter
    /// and workload. Also where the data files and the shipped pre-trained weights are, and the
    /// `BroadcastChannel` on which the trainer posts its weights (model files) to the classifier,
    /// and how often a run's checkpoint is taken within an epoch (seconds of training).
    Init {
        role: EngineRole,
        force: Option<BackendKind>,
        settings: RunSettings,
        known: Vec<RaceRecord>,
        data_base: String,
        pretrained_url: String,
        /// The shipped dense network, which the lesson sets beside the CNN.
        dense_url: String,
        weights_channel: String,
        checkpoint_seconds: f64,
        /// The least a training step may take, in seconds (0: as fast as it goes). Only tests
        /// set it (`?step_ms=`), to act within a run (reload it, pause it, stop its engine)
        /// before a fast engine has finished it.
        min_step_seconds: f64,
        /// Workers that train a CNN on the CPU together, the trainer included (`?workers=N`);
        /// 0: the engine decides (one per core, up to four; a dense network trains alone).
        cpu_workers: usize,
    },
    /// The settings changed (model, layers, batch size): measure again if that is a new workload
    /// (the classifier: measure classification now).
    Workload(RunSettings),
    /// Send the current run's weights now ([`FromEngine::Checkpoint`]), e.g. to classify with
    /// a run in progress; between runs, post the last weights to the classifier again (a
    /// restarted one has none).
    Snapshot,
    /// The user is drawing or uploading (sent with classifications, a few times a second at
    /// most): a run training on the CPU's cores (the CPU path, a software GPU) holds its steps
    /// for a moment, so that the answer has them.
    Drawing,
    Classify(ClassifyRequest),
    /// Both shipped models' first layers and answers for a moved picture ([`FromEngine::Inspected`]).
    Inspect(InspectRequest),
    /// Continue a run from a checkpoint the page stored (bytes from [`FromEngine::Checkpoint`]).
    ResumeRun {
        run: u32,
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
    /// A new run; `run` is the page's id for it, which every report of the run carries.
    Start {
        run: u32,
        settings: RunSettings,
    },
    Pause,
    Resume,
    Stop,
    Reset,
    /// For tests and the benchmark only (the page sends them with `?debug=1`).
    Test(TestHook),
}

/// What tests and the benchmark ask of the engine, and nothing else does: kept apart so that a
/// reader of [`ToEngine`] sees the product's commands alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestHook {
    /// Classify all 10,000 test images with the pre-trained model and report the time
    /// ([`FromEngine::InferenceMeasured`]).
    MeasureInference,
    /// Fault injection: destroy the WebGPU device as a driver reset would.
    LoseGpu,
    /// Fault injection: turn the training weights to NaN before the next step, as a learning
    /// rate far too high would.
    Diverge,
    /// Fault injection: the worker traps (a wasm `unreachable`, no panic), as a bug in a kernel
    /// or a mismatched decode would.
    Trap,
    /// Fault injection: an allocation fails, as when the worker's memory cannot grow (an abort,
    /// no panic).
    FailAllocation,
    /// Fault injection: a helper of data-parallel training traps; the trainer goes on alone.
    TrapHelper,
    /// Fault injection: a helper traps when it is asked for its part of the next epoch-end
    /// evaluation; the trainer evaluates that part itself and goes on alone.
    TrapHelperAtEvaluation,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromEngine {
    /// The answer to [`ToEngine::Hello`], always the first variant: the engine's version.
    Hello(u32),
    /// The backend in use and why.
    Backend(BackendReport),
    /// A finished race, for the page to keep (sent once the GPU figure is final).
    Raced(RaceRecord),
    /// The run's state, at every transition.
    Phase(RunState),
    /// What a starting run is doing before its first step (loading data, compiling kernels).
    Preparing(String),
    /// A run on the CPU's cores holds its steps while the user draws (`true`), so that the
    /// drawing's answer has them, and trains on (`false`); a new phase ends a hold too.
    Holding(bool),
    /// Steps since the last message (batched so a fast model cannot flood the page). `run`, here
    /// and in every report of a run (epochs, predictions, checkpoints), is the page's id from
    /// [`ToEngine::Start`] or [`ToEngine::ResumeRun`]: a stopped run's last reports can arrive
    /// after the next run started, and must not land in it.
    Steps {
        run: u32,
        steps: Vec<StepReport>,
    },
    Epoch {
        run: u32,
        report: EpochReport,
    },
    /// Sent right after the [`FromEngine::Epoch`] it belongs to.
    TestPredictions(TestPredictions),
    /// Sent last at the end of every epoch, after its [`FromEngine::Checkpoint`].
    Memory(EngineMemory),
    Classifier(ClassifierStatus),
    Classified(Classification),
    Inspected(Inspection),
    /// The current run's checkpoint (everything needed to resume it) and its weights as the
    /// latest model file were stored in the browser's database by the worker (`web::store`), or
    /// why not; after every epoch, at Pause and Stop, and within long epochs. The bytes never
    /// pass through the page.
    Checkpoint {
        run: u32,
        epoch: usize,
        global_step: usize,
        stored: Result<(), String>,
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
    /// The answer to [`TestHook::MeasureInference`] (`Err`: why it could not run).
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
