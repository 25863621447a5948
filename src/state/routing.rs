//! Engine reports, routed in one place: to the picture being classified, to what is saved, to
//! a run's evaluation, or to the live run and the listed run that mirrors it. A stopped run's
//! late reports (tagged with its id) go to that run, never into the one started after it.

use std::rc::Rc;

use crate::metrics::ClassifiedSet;
use crate::protocol::{FromEngine, RunState};
use crate::state::AppState;
use crate::state::runs::{EvalRef, RunRecord};

impl AppState {
    /// The run the engine is working on, if the page started one.
    fn current_run(&mut self) -> Option<&mut RunRecord> {
        let live = self.live?;
        Rc::make_mut(&mut self.runs).iter_mut().find(|r| r.id == live).filter(|r| r.is_active())
    }

    /// The listed run the engine's run `id` is.
    pub(crate) fn listed_run(&mut self, id: u32) -> Option<&mut RunRecord> {
        let id = self.listed_id(id);
        Rc::make_mut(&mut self.runs).iter_mut().find(|r| r.id == id)
    }

    /// Whether the engine's run `id` is the one the live view shows.
    fn is_live(&self, id: u32) -> bool {
        self.live == Some(self.listed_id(id))
    }

    fn listed_id(&self, engine_id: u32) -> u32 {
        self.renumbered.iter().find(|(engine, _)| *engine == engine_id).map_or(engine_id, |(_, listed)| *listed)
    }

    /// Every engine report, to where it belongs (see the module doc).
    pub(super) fn apply_engine(&mut self, event: FromEngine, at: f64) {
        match event {
            FromEngine::Classifier(_) | FromEngine::Classified(_) | FromEngine::ClassifyFailed { .. } => {
                self.classify.apply(&event, at)
            }
            FromEngine::Inspected(inspection) => {
                if self.inspection.as_ref().is_none_or(|shown| shown.seq < inspection.seq) {
                    self.inspection = Some(Rc::new(inspection));
                }
            }
            FromEngine::ModelImported { result: Ok(_), quiet: false } => {
                self.unsaved_model = self.pending_import.take();
                self.apply_persistence(event);
            }
            FromEngine::Checkpoint { .. } | FromEngine::ModelImported { .. } | FromEngine::ModelFile { .. } => {
                self.apply_persistence(event)
            }
            // A stopped run's last reports can arrive after the next run was listed: they go to
            // their own run, never into the live one.
            // So do the last steps of the live run, flushed after its "stopped": into its
            // record too (they were only charted, and the stored run missed them).
            FromEngine::Steps { run, steps }
                if !self.is_live(run) || !self.live_run().is_some_and(RunRecord::is_active) =>
            {
                if self.is_live(run) {
                    Rc::make_mut(&mut self.run.steps).extend(steps.iter().cloned());
                }
                if let Some(record) = self.listed_run(run) {
                    Rc::make_mut(&mut record.steps).extend(steps);
                }
            }
            FromEngine::Epoch { run, report } if !self.is_live(run) => {
                if let Some(record) = self.listed_run(run) {
                    Rc::make_mut(&mut record.epochs).push(report);
                }
            }
            FromEngine::TestPredictions(predictions) => {
                let labels = self.test.as_ref().map(|t| t.labels().to_vec());
                if let (Some(labels), Some(run)) = (labels, self.listed_run(predictions.run)) {
                    let set = ClassifiedSet::new(&labels, &predictions.probabilities);
                    run.evaluation = Some((predictions.epoch, EvalRef(Rc::new(set))));
                }
            }
            FromEngine::Refused(_) if self.live_run().is_some_and(RunRecord::is_unstarted) => {
                // The engine refused the Start that listed this run.
                let live = self.live.take();
                Rc::make_mut(&mut self.runs).retain(|r| Some(r.id) != live);
                self.run.phase = RunState::Idle;
                self.run.preparing = None;
                self.apply_run(event);
            }
            FromEngine::Backend(_)
            | FromEngine::Phase(_)
            | FromEngine::Preparing(_)
            | FromEngine::Holding(_)
            | FromEngine::Steps { .. }
            | FromEngine::Epoch { .. }
            | FromEngine::Memory(_)
            | FromEngine::Refused(_)
            | FromEngine::Crashed(_) => self.apply_run(event),
            // The engine link keeps these (the handshake, stored races, the benchmark's figures).
            FromEngine::Hello(_) | FromEngine::Raced(_) | FromEngine::InferenceMeasured(_) => {}
        }
    }

    /// The live run, and the listed run that mirrors it.
    fn apply_run(&mut self, event: FromEngine) {
        let reset = matches!(event, FromEngine::Phase(RunState::Idle));
        let crashed = matches!(event, FromEngine::Crashed(_));
        self.run.apply(event);
        let (steps, epochs, phase, preparing) =
            (self.run.steps.clone(), self.run.epochs.clone(), self.run.phase.clone(), self.run.preparing.clone());
        if let Some(run) = self.current_run() {
            if reset {
                // Reset wipes the live curves; the listed run keeps what it had.
                run.phase = RunState::Done { stopped_early: true };
            } else {
                run.steps = steps;
                run.epochs = epochs;
                run.phase = phase;
                run.preparing = preparing;
            }
            if crashed {
                run.preparing = None;
                let notice = if let Some(step) = run.checkpoint_step {
                    // Kept like a run cut short by a reload: resumable from its checkpoint.
                    run.phase = RunState::Done { stopped_early: true };
                    run.interrupted = true;
                    run.cut_back_to_checkpoint();
                    format!("Run #{} is kept: Resume continues it from its checkpoint at step {step}.", run.id)
                } else {
                    run.phase = RunState::Error("the engine crashed".into());
                    format!("Run #{} had no checkpoint yet; its curves are kept.", run.id)
                };
                let (steps, epochs) = (run.steps.clone(), run.epochs.clone());
                self.run.steps = steps;
                self.run.epochs = epochs;
                self.run.notice = self.run.notice.take().map(|first| format!("{first} {notice}"));
            }
        }
    }
}
