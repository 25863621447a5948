//! Runs to and from storage, and what restoring, resuming and deleting do to the page state.

use std::rc::Rc;

use crate::protocol::{ClassifierChoice, FromEngine, RunState};
use serde::{Deserialize, Serialize};

use crate::protocol::{BackendKind, EpochReport, RunSettings, StepReport};
use crate::state::AppState;
use crate::state::format1::{SavedEpoch, SavedStep};
use crate::state::runs::RunRecord;

/// Bumped when [`SavedRun`] changes; format 1 (flat steps and epochs) is still read
/// (`format1.rs`), newer ones are skipped, not misread.
pub const RUN_FORMAT: u32 = 2;

/// A run as stored: what the run list and the charts need after a reload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredRun")]
pub struct SavedRun {
    pub format: u32,
    pub id: u32,
    pub settings: RunSettings,
    pub backend: Option<BackendKind>,
    pub phase: RunState,
    pub steps: Vec<StepReport>,
    pub epochs: Vec<EpochReport>,
    /// The global step of the stored checkpoint, when there is one.
    pub checkpoint_step: Option<usize>,
    pub compare: bool,
}

/// A stored run of any format this page reads, before its steps and epochs are brought up to date.
#[derive(Deserialize)]
struct StoredRun {
    format: u32,
    id: u32,
    settings: RunSettings,
    backend: Option<BackendKind>,
    #[serde(deserialize_with = "saved_state")]
    phase: RunState,
    steps: Vec<SavedStep>,
    epochs: Vec<SavedEpoch>,
    checkpoint_step: Option<usize>,
    compare: bool,
}

impl From<StoredRun> for SavedRun {
    fn from(stored: StoredRun) -> Self {
        let settings = &stored.settings;
        Self {
            steps: stored.steps.into_iter().map(|step| step.report(settings)).collect(),
            epochs: stored.epochs.into_iter().map(|epoch| epoch.report(settings)).collect(),
            format: stored.format,
            id: stored.id,
            backend: stored.backend,
            phase: stored.phase,
            checkpoint_step: stored.checkpoint_step,
            compare: stored.compare,
            settings: stored.settings,
        }
    }
}

/// A run's state as saved. Runs saved before the page shared the engine's state machine may
/// say `{"Preparing": "…"}`: a run that was starting, i.e. running.
fn saved_state<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<RunState, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.get("Preparing").is_some() {
        return Ok(RunState::Running);
    }
    serde_json::from_value(value).map_err(serde::de::Error::custom)
}

impl SavedRun {
    /// Nothing more of this run will come from the engine that trained it: it is not active,
    /// and a run stopped early has its stop checkpoint (the engine says "stopped" first and
    /// sends that checkpoint after). Finished runs were checkpointed at their last epoch; a
    /// failed one keeps its last good checkpoint. The tab that trained it lets it go only then.
    pub fn is_settled(&self) -> bool {
        let last = self.steps.last().map_or(0, |s| s.info.global_step);
        match self.phase {
            RunState::Done { stopped_early: true } => self.checkpoint_step.is_some_and(|step| step >= last),
            ref phase => !phase.is_active(),
        }
    }

    /// With the step of the checkpoint stored for it (`stored`, written with the checkpoint's
    /// bytes): a tab closed after its trainer stored a checkpoint but before the page wrote
    /// this record keeps that checkpoint resumable. Never lowered: a record never claims a
    /// checkpoint before its bytes are stored.
    pub fn with_stored_checkpoint(mut self, stored: Option<usize>) -> Self {
        if stored > self.checkpoint_step {
            self.checkpoint_step = stored;
        }
        self
    }
}

impl From<&RunRecord> for SavedRun {
    fn from(run: &RunRecord) -> Self {
        Self {
            format: RUN_FORMAT,
            id: run.id,
            settings: run.settings.clone(),
            backend: run.backend,
            phase: run.phase.clone(),
            steps: run.steps.to_vec(),
            epochs: run.epochs.to_vec(),
            checkpoint_step: run.checkpoint_step,
            compare: run.compare,
        }
    }
}

impl From<SavedRun> for RunRecord {
    /// A run saved while training was cut short by a reload or a closed tab: it is shown as
    /// interrupted, resumable when it has a checkpoint.
    fn from(saved: SavedRun) -> Self {
        let interrupted = saved.phase.is_active();
        let mut run = RunRecord::new(saved.id, saved.settings, saved.backend, saved.compare);
        run.phase = if interrupted { RunState::Done { stopped_early: true } } else { saved.phase };
        run.preparing = None;
        run.steps = Rc::new(saved.steps);
        run.epochs = Rc::new(saved.epochs);
        run.checkpoint_step = saved.checkpoint_step;
        run.interrupted = interrupted;
        // What an interrupted run shows is what it will resume from: its step counter never
        // runs backwards when Resume is clicked.
        if interrupted && run.checkpoint_step.is_some() {
            run.cut_back_to_checkpoint();
        }
        run
    }
}

/// A stored run record that could not be read back: it is reported and left in storage as it
/// is (its id stays taken, so no new run overwrites it).
#[derive(Clone, Debug, PartialEq)]
pub struct UnreadableRun {
    /// The record's key in storage.
    pub id: u32,
    pub reason: String,
}

/// Stored run records (their keys and JSON) read back: the runs, and the records that are not.
pub fn read_saved_runs(records: Vec<(u32, String)>) -> (Vec<SavedRun>, Vec<UnreadableRun>) {
    let (mut runs, mut unreadable) = (Vec::new(), Vec::new());
    for (id, json) in records {
        match serde_json::from_str::<SavedRun>(&json) {
            Ok(run) if run.format > RUN_FORMAT => unreadable.push(UnreadableRun {
                id,
                reason: format!("it was saved by a newer version of Atelier (format {})", run.format),
            }),
            Ok(run) if run.id != id => {
                unreadable.push(UnreadableRun { id, reason: format!("it says it is run {}", run.id) })
            }
            Ok(run) => runs.push(run),
            Err(error) => unreadable.push(UnreadableRun { id, reason: error.to_string() }),
        }
    }
    runs.sort_by_key(|r| r.id);
    (runs, unreadable)
}

/// What the storage panel shows.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StorageView {
    /// Bytes this site uses and may use (the browser's estimate).
    pub usage: Option<(f64, f64)>,
    /// The last storage failure (e.g. a full quota).
    pub error: Option<String>,
    /// Why the last imported model file was refused.
    pub import_error: Option<String>,
    /// Runs were read back from storage (so saving cannot overwrite them with an empty list).
    pub restored: bool,
    /// Stored records that could not be read back: their ids stay taken.
    pub unreadable: Vec<UnreadableRun>,
    /// Whether the browser keeps this site's data until the user deletes it
    /// (`navigator.storage.persisted()`), once known.
    pub persisted: Option<bool>,
}

impl AppState {
    /// Stored runs come back after a reload, below any started in the meantime; records that
    /// could not be read are named, with why, and keep their ids.
    pub(crate) fn restore_runs(&mut self, restored: Vec<RunRecord>, unreadable: Vec<UnreadableRun>) {
        if !unreadable.is_empty() {
            let each: Vec<String> = unreadable.iter().map(|u| format!("run {} ({})", u.id, u.reason)).collect();
            self.storage.error = Some(format!(
                "Some saved runs could not be read back and were left in storage as they are: {}.",
                each.join("; ")
            ));
        }
        self.storage.unreadable = unreadable;
        let runs = Rc::make_mut(&mut self.runs);
        let mut all = restored;
        let taken = self.storage.unreadable.iter().map(|u| u.id);
        let first_new = all.iter().map(|r| r.id).chain(taken).max().unwrap_or(0);
        // Runs started meanwhile keep their ids (claimed in storage, so unique) unless one
        // collides with a restored run: that one moves past every id in use.
        let kept_max = runs.iter().map(|r| r.id).filter(|&id| id > first_new).max().unwrap_or(first_new);
        let mut next_free = kept_max;
        for run in runs.drain(..) {
            let id = if run.id > first_new {
                run.id
            } else {
                next_free += 1;
                next_free
            };
            if run.id != id {
                self.renumbered.push((run.id, id));
                if self.live == Some(run.id) {
                    self.live = Some(id);
                }
            }
            all.push(RunRecord { id, ..run });
        }
        *runs = all;
        self.storage.restored = true;
        // The charts show the newest saved run until a new one starts.
        if self.run.steps.is_empty()
            && let Some(last) = self.runs.last().filter(|r| !r.is_active())
        {
            self.run.steps = last.steps.clone();
            self.run.epochs = last.epochs.clone();
        }
    }

    /// The run continues in the engine: it becomes the current run, its curves cut back to its
    /// checkpoint so that the resumed steps follow on.
    pub(crate) fn resume_run(&mut self, id: u32) {
        let runs = Rc::make_mut(&mut self.runs);
        let Some(position) = runs.iter().position(|r| r.id == id) else {
            return;
        };
        let mut run = runs.remove(position);
        run.cut_back_to_checkpoint();
        run.phase = RunState::Running;
        run.preparing = Some("Resuming…".into());
        run.interrupted = false;
        self.run.clear_run();
        self.run.phase = RunState::Running;
        self.run.preparing = run.preparing.clone();
        self.run.settings = run.settings.clone();
        self.run.steps = run.steps.clone();
        self.run.epochs = run.epochs.clone();
        runs.push(run);
    }

    /// Another tab's run, as it saved it: replaces this tab's copy, or is listed in id order.
    /// This tab's own live run is never replaced (its state here is the newer one).
    pub(crate) fn list_elsewhere(&mut self, mut run: RunRecord) {
        if self.live == Some(run.id) && self.live_run().is_some_and(RunRecord::is_active) {
            return;
        }
        run.mark_elsewhere();
        let runs = Rc::make_mut(&mut self.runs);
        match runs.iter().position(|r| r.id == run.id) {
            Some(at) => runs[at] = run,
            None => {
                let at = runs.iter().position(|r| r.id > run.id).unwrap_or(runs.len());
                runs.insert(at, run);
            }
        }
    }

    /// The tab that trained this run let it go (stopped it, closed, crashed): this tab's copy,
    /// listed as theirs, becomes the stored record (resumable here if it was cut short).
    /// A run this tab asked to take over resumes here (once the engine is ready).
    pub(crate) fn release_elsewhere(&mut self, run: RunRecord) {
        let (id, resumable) = (run.id, run.is_resumable());
        let runs = Rc::make_mut(&mut self.runs);
        if let Some(at) = runs.iter().position(|r| r.id == id && r.elsewhere) {
            runs[at] = run;
        }
        if self.takeover == Some(id) {
            self.takeover = None;
            if resumable {
                self.resume_waiting = Some(id);
            }
        }
    }

    /// The run this tab trained continues in another tab, which asked for it.
    pub(crate) fn handed_over(&mut self, id: u32) {
        self.run.notice = Some(format!(
            "Run {id} was taken over by another tab: it stopped here at its last step and continues there."
        ));
    }

    pub(crate) fn delete_run(&mut self, id: u32) {
        Rc::make_mut(&mut self.runs).retain(|r| r.id != id);
        if self.shown_run == Some(id) {
            self.shown_run = None;
        }
    }

    /// Reports about checkpoints and model files.
    pub(crate) fn apply_persistence(&mut self, event: FromEngine) {
        match event {
            FromEngine::Checkpoint { run, global_step, stored: Ok(()), .. } => {
                if let Some(run) = self.listed_run(run) {
                    run.checkpoint_step = Some(global_step);
                }
            }
            // The run keeps claiming its previous checkpoint, which is still stored.
            FromEngine::Checkpoint { run, stored: Err(message), .. } => {
                self.storage.error =
                    Some(format!("The checkpoint of run {run} was not saved: {message}. The next one will be tried."));
            }
            FromEngine::ModelImported { result: Ok(model), quiet } => {
                self.classify.last_run = Some(model);
                self.storage.import_error = None;
                if !quiet {
                    self.classify.model = ClassifierChoice::LastRun;
                }
            }
            FromEngine::ModelImported { result: Err(message), quiet: false } => {
                self.storage.import_error =
                    Some(format!("That model file was refused: {message}. Nothing was changed."));
            }
            _ => {}
        }
    }
}
