//! Every run of the session: its settings, its curves, its latest evaluation (the table that
//! lists them: `panels::runs`).

use std::rc::Rc;

use crate::metrics::ClassifiedSet;
use crate::protocol::{BackendKind, EpochReport, ModelChoice, OptimizerKind, RunSettings, RunState, StepReport};

/// A classified test set, compared by pointer (10,000 rows are not worth comparing per render).
#[derive(Clone, Debug)]
pub struct EvalRef(pub Rc<ClassifiedSet>);

impl PartialEq for EvalRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

const STARTING: &str = "Starting…";

/// How a recorded run's label starts (the chart marks its legend entry by it).
pub const RECORDED: &str = "recorded";

#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// 1-based, in start order.
    pub id: u32,
    pub settings: RunSettings,
    pub backend: Option<BackendKind>,
    pub phase: RunState,
    /// Shown while it starts: "Starting…" until the engine takes it, then what it prepares.
    pub preparing: Option<String>,
    pub steps: Rc<Vec<StepReport>>,
    pub epochs: Rc<Vec<EpochReport>>,
    /// The test set as classified after the latest epoch, and that epoch.
    pub evaluation: Option<(usize, EvalRef)>,
    /// Drawn in the comparison overlay.
    pub compare: bool,
    /// The global step of the latest stored checkpoint.
    pub checkpoint_step: Option<usize>,
    /// Restored after a reload while it was training: resumable from its checkpoint.
    pub interrupted: bool,
    /// Saved by another tab of this browser, which trains it: shown, never resumed here.
    pub elsewhere: bool,
    /// Shipped with the app, trained once by the native trainer (`state::recorded`).
    pub recorded: bool,
}

impl RunRecord {
    /// Its curves cut back to its checkpoint (none: to nothing), where a resume continues.
    pub fn cut_back_to_checkpoint(&mut self) {
        let step = self.checkpoint_step.unwrap_or(0);
        self.steps = Rc::new(self.steps.iter().copied().filter(|s| s.info.global_step <= step).collect());
        let steps_per_epoch = self.steps.last().map_or(usize::MAX, |s| s.info.steps_per_epoch.max(1));
        self.epochs = Rc::new(self.epochs.iter().copied().filter(|e| e.epoch * steps_per_epoch <= step).collect());
    }

    pub fn new(id: u32, settings: RunSettings, backend: Option<BackendKind>, compare: bool) -> Self {
        Self {
            id,
            settings,
            backend,
            phase: RunState::Running,
            preparing: Some(STARTING.into()),
            steps: Rc::default(),
            epochs: Rc::default(),
            evaluation: None,
            compare,
            checkpoint_step: None,
            interrupted: false,
            elsewhere: false,
            recorded: false,
        }
    }

    /// Another tab trains it (it was saved as training, or cut short, by a tab still alive):
    /// shown as theirs, never resumed here.
    pub fn mark_elsewhere(&mut self) {
        self.elsewhere = self.is_active() || self.interrupted;
        self.interrupted = false;
    }

    /// Listed by the page, not yet acknowledged by the engine.
    pub fn is_unstarted(&self) -> bool {
        self.preparing.as_deref() == Some(STARTING) && self.steps.is_empty()
    }

    pub fn is_active(&self) -> bool {
        self.phase.is_active()
    }

    /// "#2 Dense 128-128 ReLU", short enough for a legend; "recorded · Dense 128-128 ReLU" for
    /// a recorded run.
    pub fn label(&self) -> String {
        if self.recorded {
            format!("{RECORDED} · {}", short_name(&self.settings))
        } else {
            format!("#{} {}", self.id, short_name(&self.settings))
        }
    }

    /// Can continue from its checkpoint: stopped, failed or interrupted before its last epoch.
    pub fn is_resumable(&self) -> bool {
        let unfinished = self.epochs.last().is_none_or(|e| e.epoch < e.epochs);
        self.checkpoint_step.is_some()
            && unfinished
            && !self.is_active()
            && !self.elsewhere
            && (self.interrupted || matches!(self.phase, RunState::Done { stopped_early: true } | RunState::Error(_)))
    }

    pub fn test_accuracy(&self) -> Option<f32> {
        self.epochs.last().map(|e| e.test_accuracy()).filter(|a| a.is_finite())
    }

    /// Wall time so far: evaluations included once an epoch has ended.
    pub fn seconds(&self) -> Option<f64> {
        let from_epoch = self.epochs.last().map(|e| e.elapsed_seconds);
        let from_step = self.steps.last().map(|s| s.info.elapsed_seconds);
        match (from_epoch, from_step) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The model in a few words: what tells runs of a comparison apart.
pub fn short_name(s: &RunSettings) -> String {
    match s.model {
        ModelChoice::Dense => {
            let hidden: Vec<String> = s.hidden.iter().map(|h| h.to_string()).collect();
            let dropout = if s.dropout > 0.0 { format!(" + dropout {}", s.dropout) } else { String::new() };
            format!("Dense {} {}{dropout}", hidden.join("-"), s.activation.name().to_uppercase())
        }
        other => other.title().to_string(),
    }
}

/// Everything else about a run's settings, for the table.
pub fn training_summary(s: &RunSettings) -> String {
    let optimizer = if s.optimizer == OptimizerKind::Sgd {
        if s.momentum > 0.0 { format!("SGD+momentum {}", s.learning_rate) } else { format!("SGD {}", s.learning_rate) }
    } else {
        format!("Adam {}", s.learning_rate)
    };
    let images = s.train_subset.map_or("all images".to_string(), |n| format!("{n} images"));
    format!("{optimizer} · batch {} · {} epochs · {images}", s.batch_size, s.epochs)
}

/// Colours that stay apart on a projector, one per run (cycled).
pub const RUN_COLORS: [(u8, u8, u8); 8] = [
    (47, 75, 216),
    (214, 118, 0),
    (31, 138, 76),
    (192, 57, 43),
    (130, 70, 180),
    (0, 150, 170),
    (120, 90, 40),
    (220, 60, 150),
];

pub fn run_color(id: u32) -> (u8, u8, u8) {
    RUN_COLORS[(id as usize - 1) % RUN_COLORS.len()]
}
