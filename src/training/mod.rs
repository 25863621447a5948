//! Training: batching, the step-wise trainer and its reports (the run state machine, plain
//! and shared with the page, is `protocol::RunState`).
//!
//! Written once for both targets: natively the `train` binary drives a [`Trainer`] in a plain
//! loop; in the browser a Web Worker calls [`Trainer::step`] between messages and reads the
//! [`PendingStep`]s with `read_async`.

mod batch;
mod checkpoint;
mod clock;
mod config;
mod crosscheck;
mod eval;
mod optimizer;
mod parallel;
mod record;
mod reports;
mod rng;
mod trainer;

pub use batch::{Batch, Batcher, MAX_SHIFT, Normalization, PIXEL_MEAN, PIXEL_STD};
pub use checkpoint::{
    Checkpoint, CheckpointError, FORMAT_VERSION, FileKind, MODEL_FORMAT, ModelFile, PendingCheckpoint, PendingModelFile,
};
pub use clock::{Clock, default_clock};
pub use config::{LrSchedule, OptimizerKind, TrainingConfig};
pub use crosscheck::{compare, cross_check, probe_model};
pub use eval::Evaluation;
pub use parallel::{MAX_WORKERS, PendingShardEvaluation, ShardEvaluation, ShardGradients, cpu_workers, shard_rows};
pub use record::record_run;
pub use reports::{
    EpochReport, EvalReport, EvalSums, ImageProbabilities, PendingEpoch, PendingEval, PendingProbabilities,
    PendingStep, StepInfo, StepReport,
};
pub use rng::SplitMix64;
pub use trainer::{EvalSet, TrainError, Trainer, TrainingData};
