//! What the page knows about training: the settings being edited and what the engine reported.

use std::rc::Rc;

use crate::protocol::{BackendReport, EngineMemory, EpochReport, FromEngine, RunSettings, RunState, StepReport};

/// A control the user clicked whose effect the engine has not confirmed yet: the page shows it
/// at once ("Pausing…"), whatever a step in flight costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    Pause,
    Resume,
    Stop,
    Switch,
}

impl Pending {
    /// The `data-pending` of `train-state`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Switch => "switch",
        }
    }

    pub const fn text(self) -> &'static str {
        match self {
            Self::Pause => "Pausing… (finishing the step in flight)",
            Self::Resume => "Resuming…",
            Self::Stop => "Stopping… (saving where the run got to)",
            Self::Switch => "Switching backend…",
        }
    }

    /// Whether `phase` is what this control was waiting for.
    fn done_by(self, phase: &RunState) -> bool {
        match self {
            Self::Pause => matches!(phase, RunState::Paused),
            Self::Resume => matches!(phase, RunState::Running),
            Self::Stop | Self::Switch => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    pub settings: RunSettings,
    /// The engine's backend, why, and the race behind it; `None` until the worker has started.
    pub backend: Option<BackendReport>,
    pub phase: RunState,
    /// What a starting run is doing before its first step ("Loading the training images…").
    pub preparing: Option<String>,
    /// The run holds its steps while the user draws (`FromEngine::Holding`).
    pub holding: bool,
    pub pending: Option<Pending>,
    /// Every step of the current run (the charts of a later view read it).
    pub steps: Rc<Vec<StepReport>>,
    pub epochs: Rc<Vec<EpochReport>>,
    /// The engine's memory after the latest epoch.
    pub memory: Option<EngineMemory>,
    /// The last refusal or warning, shown until the next command.
    pub notice: Option<String>,
}

impl Default for RunView {
    fn default() -> Self {
        Self {
            settings: RunSettings::default(),
            backend: None,
            phase: RunState::Idle,
            preparing: None,
            holding: false,
            pending: None,
            steps: Rc::default(),
            epochs: Rc::default(),
            memory: None,
            notice: None,
        }
    }
}

impl RunView {
    pub fn apply(&mut self, event: FromEngine) {
        match event {
            FromEngine::Backend(report) => {
                if self.pending == Some(Pending::Switch) && report.choice != crate::protocol::Choice::Measuring {
                    self.pending = None;
                }
                self.backend = Some(report);
            }
            FromEngine::Phase(phase) => {
                let settled = matches!(phase, RunState::Idle | RunState::Done { .. } | RunState::Error(_));
                if settled || self.pending.is_some_and(|p| p.done_by(&phase)) {
                    self.pending = None;
                }
                if phase == RunState::Idle {
                    self.steps = Rc::default();
                    self.epochs = Rc::default();
                    self.memory = None;
                }
                if !phase.is_active() {
                    self.preparing = None;
                }
                self.holding = false;
                self.phase = phase;
            }
            // Only a started run prepares: the engine is past its Start (a page that did not
            // click it, e.g. a resume, learns it here).
            FromEngine::Preparing(what) => {
                if !self.phase.is_active() {
                    self.phase = RunState::Running;
                }
                self.preparing = Some(what);
            }
            FromEngine::Holding(holding) => self.holding = holding,
            FromEngine::Steps { steps, .. } => {
                self.preparing = None;
                Rc::make_mut(&mut self.steps).extend(steps);
            }
            FromEngine::Epoch { report, .. } => Rc::make_mut(&mut self.epochs).push(report),
            FromEngine::Memory(memory) => self.memory = Some(memory),
            FromEngine::Refused(reason) => {
                self.pending = None;
                self.notice = Some(reason);
            }
            // Kept per run by the page state, not in the live view.
            FromEngine::TestPredictions(_)
            | FromEngine::Classifier(_)
            | FromEngine::Classified(_)
            | FromEngine::Inspected(_)
            | FromEngine::ClassifyFailed { .. }
            | FromEngine::Checkpoint { .. }
            | FromEngine::ModelFile { .. }
            | FromEngine::ModelImported { .. }
            | FromEngine::InferenceMeasured(_)
            | FromEngine::Hello(_)
            | FromEngine::Raced(_) => {}
            FromEngine::Crashed(reason) => {
                self.phase = RunState::Error(format!("The engine crashed ({reason})"));
                self.preparing = None;
                self.holding = false;
                self.backend = None;
                self.pending = None;
                self.notice = Some(format!("The engine stopped ({reason}) and was restarted on the CPU."));
            }
        }
    }

    /// A new run starts from empty curves.
    pub fn clear_run(&mut self) {
        self.steps = Rc::default();
        self.epochs = Rc::default();
        self.memory = None;
        self.notice = None;
    }

    pub fn last_step(&self) -> Option<&StepReport> {
        self.steps.last()
    }

    pub fn last_epoch(&self) -> Option<&EpochReport> {
        self.epochs.last()
    }

    /// Mean loss and accuracy over the last `window` steps: a single batch is too noisy to read.
    pub fn recent(&self, window: usize) -> Option<(f32, f32)> {
        let tail = &self.steps[self.steps.len().saturating_sub(window)..];
        (!tail.is_empty()).then(|| {
            let n = tail.len() as f32;
            (tail.iter().map(|s| s.loss).sum::<f32>() / n, tail.iter().map(|s| s.accuracy).sum::<f32>() / n)
        })
    }
}
