//! What the page knows about training: the settings being edited and what the engine reported.

use std::rc::Rc;

use crate::protocol::{BackendKind, DeviceCheck, EngineMemory, EpochPoint, FromEngine, RunPhase, RunSettings, StepPoint};

#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    pub settings: RunSettings,
    /// The engine's backend and why it was chosen; `None` until the worker has started.
    pub backend: Option<(BackendKind, String)>,
    /// WebGPU compared with the CPU when the engine started.
    pub device_check: Option<DeviceCheck>,
    pub phase: RunPhase,
    /// Every step of the current run (the charts of a later view read it).
    pub steps: Rc<Vec<StepPoint>>,
    pub epochs: Rc<Vec<EpochPoint>>,
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
            device_check: None,
            phase: RunPhase::Idle,
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
            FromEngine::Backend { kind, detail, check } => {
                self.backend = Some((kind, detail));
                self.device_check = check;
            }
            FromEngine::Phase(phase) => {
                if phase == RunPhase::Idle {
                    self.steps = Rc::default();
                    self.epochs = Rc::default();
                    self.memory = None;
                }
                self.phase = phase;
            }
            FromEngine::Steps(points) => Rc::make_mut(&mut self.steps).extend(points),
            FromEngine::Epoch(point) => Rc::make_mut(&mut self.epochs).push(point),
            FromEngine::Memory(memory) => self.memory = Some(memory),
            FromEngine::Refused(reason) => self.notice = Some(reason),
            // Kept per run by the page state, not in the live view.
            FromEngine::TestPredictions(_)
            | FromEngine::Classifier(_)
            | FromEngine::Classified(_)
            | FromEngine::ClassifyFailed { .. }
            | FromEngine::Checkpoint { .. }
            | FromEngine::ModelFile { .. }
            | FromEngine::ModelImported { .. }
            | FromEngine::InferenceMeasured(_) => {}
            FromEngine::Crashed(reason) => {
                self.phase = RunPhase::Error(format!("The engine crashed ({reason})"));
                self.backend = None;
                self.notice = Some("The engine crashed and was restarted on the CPU; the run was lost.".into());
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

    pub fn last_step(&self) -> Option<&StepPoint> {
        self.steps.last()
    }

    pub fn last_epoch(&self) -> Option<&EpochPoint> {
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
