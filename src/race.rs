//! Choosing the compute backend by measuring, not by availability: the rules, in plain Rust.
//!
//! A software WebGPU adapter (SwiftShader, WARP, llvmpipe) is present on many school and office
//! PCs and is ~30× slower than Atelier's CPU path, while a real GPU may be faster for the CNNs
//! and slower for a tiny dense network (dispatch-bound). So the engine times a few steps of
//! the chosen workload on each backend and uses the faster. The results are kept by the page
//! per adapter and workload, so a later visit decides at once. The engine (`engine::race`)
//! does the timing; this module decides and words the decision, and is tested natively.

use serde::{Deserialize, Serialize};

use crate::protocol::{BackendKind, RunSettings};

/// The whole race (both backends, warm-ups included) decides within this (3 s with the
/// messages around it): a learner should not wait longer.
pub const RACE_BUDGET_SECONDS: f64 = 2.4;

/// What is being timed, as a stable key: training a model at a batch size (the dense model's
/// layer sizes matter too), or classifying one drawing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Workload(pub String);

impl Workload {
    pub fn training(settings: &RunSettings) -> Self {
        let model = settings.model.name();
        match settings.model {
            crate::protocol::ModelChoice::Dense => {
                let hidden: Vec<String> = settings.hidden.iter().map(|h| h.to_string()).collect();
                Self(format!("{model}-{}/{}", hidden.join("-"), settings.batch_size))
            }
            _ => Self(format!("{model}/{}", settings.batch_size)),
        }
    }

    /// One drawing through the classifier, with its saliency map.
    pub fn classify() -> Self {
        Self("classify/1".into())
    }
}

/// The WebGPU adapter, as far as the engine could tell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GpuStatus {
    /// Not looked at yet.
    Unknown,
    /// WebGPU cannot be used here, and why (no `navigator.gpu`, no adapter, missing features,
    /// failed its check against the CPU, lost).
    Unavailable(String),
    /// An adapter Burn's kernels can run on. `software`: `isFallbackAdapter` or a known
    /// software renderer's name.
    Available { adapter: String, software: bool },
}

impl GpuStatus {
    pub fn is_available(&self) -> bool {
        matches!(self, Self::Available { .. })
    }

    pub fn adapter(&self) -> Option<&str> {
        match self {
            Self::Available { adapter, .. } => Some(adapter),
            _ => None,
        }
    }
}

/// Names of adapters that run on the CPU, for browsers that do not set `isFallbackAdapter`.
pub fn is_software_adapter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["swiftshader", "llvmpipe", "lavapipe", "softpipe", "warp", "microsoft basic render"]
        .iter()
        .any(|s| name.contains(s))
}

/// One race's figures: images (or drawings) per second on each backend, `None` where that
/// backend did not finish warming up within the budget or is unavailable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaceRecord {
    /// The adapter's name (`""` without WebGPU): a result is reused only on the same adapter.
    pub adapter: String,
    pub workload: Workload,
    pub cpu: Option<f64>,
    pub gpu: Option<f64>,
    /// Wall time of the race, warm-ups included.
    pub seconds: f64,
    /// Whether the GPU was measured to the end; a record without a complete GPU figure is
    /// measured again (when the engine is idle) rather than reused as final.
    pub complete: bool,
    /// Evaluation (inference at the evaluation batch size) in images per second: large
    /// batches may favour the other backend than training steps do.
    #[serde(default)]
    pub cpu_eval: Option<f64>,
    #[serde(default)]
    pub gpu_eval: Option<f64>,
}

impl RaceRecord {
    /// The faster backend; the CPU when the GPU has no figure (it did not finish warming up in
    /// time, so it is not the one to train on now).
    pub fn winner(&self) -> BackendKind {
        match (self.cpu, self.gpu) {
            (Some(cpu), Some(gpu)) if gpu > cpu => BackendKind::WebGpu,
            (None, Some(_)) => BackendKind::WebGpu,
            _ => BackendKind::Cpu,
        }
    }

    /// Where an epoch's evaluation runs: the faster of the two when both were measured,
    /// else `None` (it runs where the model trains).
    pub fn eval_winner(&self) -> Option<BackendKind> {
        let (cpu, gpu) = (self.cpu_eval?, self.gpu_eval?);
        Some(if gpu > cpu { BackendKind::WebGpu } else { BackendKind::Cpu })
    }

    /// How many times faster the winner is (≥ 1), when both were measured.
    pub fn ratio(&self) -> Option<f64> {
        let (cpu, gpu) = (self.cpu?, self.gpu?);
        (cpu > 0.0 && gpu > 0.0).then(|| if gpu > cpu { gpu / cpu } else { cpu / gpu })
    }
}

/// Where an epoch's evaluation runs while `training` trains: the race's evaluation winner when
/// it timed both; before that (a run started before the race could time evaluation), the CPU
/// when the GPU is a software one (the same cores behind more layers: ~25× slower at
/// evaluating the Atelier CNN here), else where the model trains.
pub fn evaluation_backend(race: Option<&RaceRecord>, training: BackendKind, gpu: &GpuStatus) -> BackendKind {
    match race.and_then(RaceRecord::eval_winner) {
        Some(winner) => winner,
        None if training == BackendKind::WebGpu && matches!(gpu, GpuStatus::Available { software: true, .. }) => {
            BackendKind::Cpu
        }
        None => training,
    }
}

/// The stored result for this adapter and workload, complete or not. An incomplete one is a
/// race that decided at its budget and was cut short (a reload) before the GPU's figure came:
/// its decision is reused at once, and the GPU's figure is measured again in the background.
pub fn known<'a>(records: &'a [RaceRecord], adapter: &str, workload: &Workload) -> Option<&'a RaceRecord> {
    records.iter().rev().find(|r| r.adapter == adapter && &r.workload == workload)
}

/// Keeps `records` small: the newest per (adapter, workload), at most `limit` in all. An
/// incomplete record never replaces a complete one.
pub fn remember(records: &mut Vec<RaceRecord>, record: RaceRecord, limit: usize) {
    let same = |r: &RaceRecord| r.adapter == record.adapter && r.workload == record.workload;
    if !record.complete && records.iter().any(|r| same(r) && r.complete) {
        return;
    }
    records.retain(|r| !same(r));
    records.push(record);
    let excess = records.len().saturating_sub(limit);
    records.drain(..excess);
}

/// When the page lets the classifier race (classification timed on each backend): once the
/// trainer has decided, so that two races never time on the same cores, and while no run
/// trains, because the race's GPU half starts a device and compiles kernels — on a software GPU
/// seconds of both cores taken from a learner's first run. Meanwhile the classifier answers on
/// the CPU. A restarted classifier races again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassifierRaceGate {
    trainer_decided: bool,
    training: bool,
    sent: bool,
}

impl ClassifierRaceGate {
    /// The trainer's backend is decided (measured, stored, forced or unavailable).
    pub fn trainer_decided(&mut self) -> bool {
        self.trainer_decided = true;
        self.open()
    }

    /// The trainer's run is running (`true`) or not (paused, done, reset, failed, restarted).
    pub fn training(&mut self, training: bool) -> bool {
        self.training = training;
        self.open()
    }

    /// A new classifier worker, which has not raced.
    pub fn classifier_restarted(&mut self) -> bool {
        self.sent = false;
        self.open()
    }

    /// `true` exactly once per classifier worker: send it the workload now.
    fn open(&mut self) -> bool {
        let now = self.trainer_decided && !self.training && !self.sent;
        self.sent |= now;
        now
    }
}

/// Why the engine uses the backend it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Choice {
    /// Timed just now.
    Measured,
    /// Timed on an earlier visit with the same adapter and workload.
    Cached,
    /// Still timing: the CPU is used meanwhile.
    Measuring,
    /// Chosen by the user (`?backend=`, the select).
    Forced,
    /// WebGPU cannot be used here, so there was nothing to race.
    Unavailable,
}

impl Choice {
    /// The `data-choice` of the `backend` badge.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Measured => "measured",
            Self::Cached => "cached",
            Self::Measuring => "measuring",
            Self::Forced => "forced",
            Self::Unavailable => "unavailable",
        }
    }
}

/// "1,234" / "12" / "0.4": images per second as a badge shows them.
pub fn format_rate(rate: f64) -> String {
    if rate >= 1000.0 {
        let n = rate.round() as u64;
        format!("{},{:03}", n / 1000, n % 1000)
    } else if rate >= 10.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.1}")
    }
}

/// The race in a line: "GPU 12 img/s · CPU 394 img/s → CPU", with what stands in for a
/// missing figure.
pub fn summary(record: &RaceRecord, gpu: &GpuStatus) -> String {
    // A drawing is read as time per answer, training as throughput.
    let per_answer = record.workload == Workload::classify();
    let figure = |rate: Option<f64>, missing: &str| match rate {
        Some(r) if per_answer => format!("{} ms", format_rate(1000.0 / r.max(1e-9))),
        Some(r) => format!("{} img/s", format_rate(r)),
        None => missing.into(),
    };
    let gpu_missing = if gpu.is_available() { "not ready within 3 s" } else { "unavailable" };
    let winner = match record.winner() {
        BackendKind::WebGpu => "GPU",
        BackendKind::Cpu => "CPU",
    };
    format!("GPU {} · CPU {} → {winner}", figure(record.gpu, gpu_missing), figure(record.cpu, "not measured"))
}

/// The badge's explanation of the backend in use; `activity` is "training" or "classifying".
pub fn explain(
    kind: BackendKind,
    choice: Choice,
    record: Option<&RaceRecord>,
    gpu: &GpuStatus,
    activity: &str,
) -> String {
    let adapter = match gpu {
        GpuStatus::Available { adapter, software: true } => {
            format!(" · {adapter} is a software GPU (it runs on the CPU)")
        }
        GpuStatus::Available { adapter, software: false } => format!(" · on {adapter}"),
        _ => String::new(),
    };
    let used = match kind {
        BackendKind::WebGpu => format!("{activity} on WebGPU"),
        BackendKind::Cpu => format!("{activity} on the CPU"),
    };
    match (choice, record) {
        (Choice::Measured | Choice::Cached, Some(record)) => {
            let when = if choice == Choice::Cached { " (measured on an earlier visit)" } else { "" };
            let faster = record.ratio().map(|r| format!(", {r:.1}× faster")).unwrap_or_default();
            format!("{}{faster}{when}{}{adapter}", summary(record, gpu), evaluation(kind, record))
        }
        (Choice::Measuring, _) => format!("Measuring GPU and CPU… {used} meanwhile{adapter}"),
        (Choice::Forced, _) => {
            format!("Chosen by you — {used}{}{adapter}", record.map(|r| evaluation(kind, r)).unwrap_or_default())
        }
        (Choice::Unavailable, _) => match gpu {
            GpuStatus::Unavailable(reason) => format!("{reason} — {used}"),
            _ => format!("WebGPU not available — {used}"),
        },
        (_, None) => format!("{used}{adapter}"),
    }
}

/// " · evaluates on the CPU (1,532 vs 68 img/s)" when evaluation runs elsewhere than training.
fn evaluation(training: BackendKind, record: &RaceRecord) -> String {
    match (record.eval_winner(), record.cpu_eval, record.gpu_eval) {
        (Some(BackendKind::Cpu), Some(cpu), Some(gpu)) if training != BackendKind::Cpu => {
            format!(" · evaluates on the CPU ({} vs {} img/s)", format_rate(cpu), format_rate(gpu))
        }
        (Some(BackendKind::WebGpu), Some(cpu), Some(gpu)) if training != BackendKind::WebGpu => {
            format!(" · evaluates on WebGPU ({} vs {} img/s)", format_rate(gpu), format_rate(cpu))
        }
        _ => String::new(),
    }
}
