//! The page's state in one `Reducible`: data loading, the gallery view, the current run and
//! every earlier one.

mod format1;
pub mod lesson;
pub mod link;
pub mod picture;
pub mod presets;
pub mod recorded;
mod routing;
pub mod run;
pub mod runs;
pub mod saved;

use std::rc::Rc;

use crate::data::{DataFile, FileProgress, Split, SplitKind};
use crate::protocol::{FromEngine, Inspection, RunSettings, RunState};
use crate::state::picture::ClassifyView;
use crate::state::recorded::{RecordedAction, RecordedView};
use crate::state::run::RunView;
use crate::state::runs::RunRecord;
use crate::state::saved::{StorageView, UnreadableRun};

/// A shared split. Compared by pointer: a deep compare of 47 MB per render would be absurd.
#[derive(Clone, Debug)]
pub struct SplitRef(pub Rc<Split>);

impl PartialEq for SplitRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for SplitRef {
    type Target = Split;
    fn deref(&self) -> &Split {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum DataPhase {
    Loading,
    Ready,
    Error(String),
}

impl DataPhase {
    /// The `data-state` attribute of the automation contract.
    pub fn name(&self) -> &'static str {
        match self {
            DataPhase::Loading => "loading",
            DataPhase::Ready => "ready",
            DataPhase::Error(_) => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct GalleryView {
    pub split: SplitKind,
    pub class: Option<u8>,
    pub page: usize,
    /// Position of the selected image within the filtered list.
    pub selected: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// Progress per file, in `DataFile::ALL` order.
    pub files: [FileProgress; 4],
    pub phase: DataPhase,
    /// Files that parsed but are not the published Fashion-MNIST (their SHA-256 differs).
    pub unrecognised: Vec<DataFile>,
    pub test: Option<SplitRef>,
    pub train: Option<SplitRef>,
    pub gallery: GalleryView,
    /// Bumped by Retry: the loading effect depends on it.
    pub attempt: u32,
    pub run: RunView,
    /// Every run of the session, oldest first; the engine's current run is the last.
    pub runs: Rc<Vec<RunRecord>>,
    /// Settings of preset runs still to start, in order.
    pub queue: Rc<Vec<RunSettings>>,
    /// The run the evaluation views show (`None`: the newest with an evaluation).
    pub shown_run: Option<u32>,
    /// The confusion-matrix cell whose images are open: (true, predicted).
    pub cell: Option<(u8, u8)>,
    pub classify: ClassifyView,
    pub storage: StorageView,
    /// An accepted import not yet written to storage as the latest model (a run's model files
    /// are stored by the trainer with its checkpoints).
    pub unsaved_model: Option<Rc<Vec<u8>>>,
    /// The bytes of a model file the engine is checking, kept to be stored if accepted.
    pub pending_import: Option<Rc<Vec<u8>>>,
    /// A run whose Resume was clicked before the engine was ready: it resumes once the engine
    /// is, untouched until then (its curves are cut back only when it really resumes).
    pub resume_waiting: Option<u32>,
    /// A run another tab trains, asked over to this tab: it resumes here once that tab lets it go.
    pub takeover: Option<u32>,
    /// Runs renumbered by a restore while the engine ran them: (the id the engine tags their
    /// reports with, the id they are listed under).
    pub renumbered: Vec<(u32, u32)>,
    /// The run this tab's engine works on (started or resumed here); other tabs' runs may be
    /// listed after it.
    pub live: Option<u32>,
    /// The engine answered the handshake with another protocol version: why, for the banner.
    pub engine_mismatch: Option<String>,
    /// What the page's link asked for and could not have (see `link`).
    pub link_notes: Vec<String>,
    /// The lesson's step on screen (1-based; `None`: the whole app).
    pub lesson: Option<usize>,
    /// Presenter mode: large type and thick chart lines for a projector (`?present=1`).
    pub presenting: bool,
    /// The shipped models' newest look at the chosen picture ("why a CNN wins").
    pub inspection: Option<Rc<Inspection>>,
    /// The lesson's runs as the native trainer recorded them.
    pub recorded: RecordedView,
}

impl AppState {
    /// The page as its link sets it up: the settings it names, notes for what it could not.
    pub fn opened_with(link: &[(String, String)]) -> Self {
        let (settings, mut notes) = link::apply(RunSettings::default(), link);
        let mut state = Self::default();
        state.run.settings = settings;
        state.presenting = link.iter().any(|(key, value)| key == "present" && value == "1");
        for (_, value) in link.iter().filter(|(key, _)| key == "lesson") {
            match lesson::step_from_link(value) {
                Ok(step) => state.lesson = Some(step),
                Err(note) => notes.push(note),
            }
        }
        state.link_notes = notes;
        state
    }

    /// The id a new run gets: after every listed run and every stored record that could not
    /// be read (so it never overwrites one).
    pub fn next_run_id(&self) -> u32 {
        let listed = self.runs.iter().map(|r| r.id);
        listed.chain(self.storage.unreadable.iter().map(|u| u.id)).max().unwrap_or(0) + 1
    }

    /// The run this tab started or resumed last, as listed.
    pub fn live_run(&self) -> Option<&RunRecord> {
        self.live.and_then(|live| self.runs.iter().find(|r| r.id == live))
    }

    /// The run whose evaluation is on screen.
    pub fn evaluated_run(&self) -> Option<&RunRecord> {
        let with_evaluation = |r: &&RunRecord| r.evaluation.is_some();
        match self.shown_run {
            Some(id) => self.runs.iter().find(|r| r.id == id).filter(with_evaluation),
            None => self.runs.iter().rev().find(with_evaluation),
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            files: Default::default(),
            unrecognised: Vec::new(),
            phase: DataPhase::Loading,
            test: None,
            train: None,
            gallery: GalleryView { split: SplitKind::Test, class: None, page: 0, selected: None },
            attempt: 0,
            run: RunView::default(),
            runs: Rc::default(),
            queue: Rc::default(),
            shown_run: None,
            cell: None,
            classify: ClassifyView::default(),
            storage: StorageView::default(),
            unsaved_model: None,
            pending_import: None,
            resume_waiting: None,
            takeover: None,
            renumbered: Vec::new(),
            engine_mismatch: None,
            live: None,
            link_notes: Vec::new(),
            lesson: None,
            presenting: false,
            inspection: None,
            recorded: RecordedView::default(),
        }
    }
}

pub enum Action {
    Progress(DataFile, FileProgress),
    SplitLoaded(Rc<Split>),
    /// A data file is not the published one (see [`AppState::unrecognised`]).
    DataUnrecognised(DataFile),
    DataFailed(String),
    Retry,
    ShowSplit(SplitKind),
    FilterClass(Option<u8>),
    GoToPage(usize),
    Select(Option<usize>),
    /// A report of an engine worker, and when it reached the page (`performance.now()`, ms):
    /// the reducer reads no clock.
    Engine {
        event: FromEngine,
        at: f64,
    },
    /// The classifier worker's backend and the race behind it.
    ClassifierBackend(crate::protocol::BackendReport),
    /// A control was clicked: shown at once, until the engine confirms it.
    Pending(crate::state::run::Pending),
    EditSettings(RunSettings),
    /// Into the lesson, between its steps, or out of it.
    Lesson(lesson::LessonMove),
    /// Presenter mode on or off.
    Present(bool),
    Recorded(RecordedAction),
    /// The page asked the engine for run `id` (see [`AppState::next_run_id`]; the engine tags
    /// its reports with it): clear the old curves now and list it (`compare`: overlaid from the
    /// start, as preset runs are).
    RunRequested {
        id: u32,
        settings: RunSettings,
        compare: bool,
    },
    /// A preset: these runs start one after another once the current one finishes.
    QueueRuns(Vec<RunSettings>),
    /// The first queued run is being started.
    DequeueRun,
    CancelQueue,
    SetCompare(u32, bool),
    ShowRun(u32),
    SelectCell(Option<(u8, u8)>),
    /// A classification request went to the engine for this 28×28 input.
    ClassifyRequested {
        seq: u64,
        pixels: Rc<Vec<u8>>,
    },
    /// The drawing is blank: no prediction.
    ClassifyCleared,
    /// The input could not become a model input (a message for the page).
    InputFailed(String),
    ChooseClassifier(crate::protocol::ClassifierChoice),
    /// Stored runs read back after a reload, and the records that could not be.
    RunsRestored(Vec<RunRecord>, Vec<UnreadableRun>),
    /// Whether the browser keeps the stored runs until the user deletes them.
    StoragePersisted(bool),
    /// An engine of another build answered the handshake (the message says what to do).
    EngineMismatch(String),
    /// Another tab of this browser saved this run (it trains it there): listed here as it is.
    RunSavedElsewhere(RunRecord),
    /// The other tab that trained this run let it go: here is the run as it stored it.
    RunReleased(RunRecord),
    /// This tab asks the tab that trains run `id` to let it go, to continue it here.
    TakeOver(u32),
    /// Another tab took over the run this tab trained (the engine was told to stop it).
    HandedOver(u32),
    /// The run continues from its checkpoint in the engine.
    RunResumed(u32),
    /// Resume was clicked before the engine was ready: resume run `id` once it is (`None`: done).
    ResumeWhenReady(Option<u32>),
    RunDeleted(u32),
    StorageCleared,
    StorageUsage(Option<(f64, f64)>),
    /// Saving or loading failed (e.g. a full quota); earlier data is untouched.
    StorageFailed(String),
    /// The write of an imported model file is over, stored or failed (a failure is reported on
    /// its own): it is not tried again. Retrying a write that fails (a full disk) at every
    /// render kept the page busy in a loop of failing writes.
    ModelWritten(Rc<Vec<u8>>),
    ImportRequested(Rc<Vec<u8>>),
    /// A model file refused before it was read (why, in words); nothing else changes.
    ImportRefused(String),
}

impl AppState {
    /// The state after `action`: the page's reducer (`yew::Reducible`, in `ui`) calls this, and
    /// native tests do.
    pub fn reduced(&self, action: Action) -> AppState {
        let mut next = self.clone();
        match action {
            Action::Progress(file, progress) => {
                let slot = DataFile::ALL.iter().position(|f| *f == file).expect("known file");
                next.files[slot] = progress;
            }
            Action::SplitLoaded(split) => {
                match split.kind {
                    SplitKind::Train => next.train = Some(SplitRef(split)),
                    SplitKind::Test => next.test = Some(SplitRef(split)),
                }
                if next.train.is_some() && next.test.is_some() {
                    next.phase = DataPhase::Ready;
                }
            }
            Action::DataFailed(message) => next.phase = DataPhase::Error(message),
            Action::DataUnrecognised(file) => next.unrecognised.push(file),
            Action::Retry => {
                next.phase = DataPhase::Loading;
                next.attempt += 1;
                next.files = Default::default();
                next.unrecognised.clear();
            }
            Action::ShowSplit(kind) => {
                next.gallery = GalleryView { split: kind, page: 0, selected: None, ..next.gallery };
            }
            Action::FilterClass(class) => {
                next.gallery = GalleryView { class, page: 0, selected: None, ..next.gallery };
            }
            Action::GoToPage(page) => {
                next.gallery.page = page;
                next.gallery.selected = None;
            }
            Action::Select(selected) => next.gallery.selected = selected,
            Action::Engine { event, at } => next.apply_engine(event, at),
            Action::ClassifierBackend(report) => next.classify.backend = Some(report),
            Action::Pending(pending) => {
                next.run.pending = Some(pending);
                next.run.notice = None;
            }
            Action::Present(on) => next.presenting = on,
            Action::Recorded(action) => next.recorded.apply(action),
            Action::Lesson(to) => next.lesson = to.from(next.lesson),
            Action::EditSettings(settings) => {
                next.run.settings = settings;
                next.run.notice = None;
            }
            Action::RunRequested { id, settings, compare } => {
                next.renumbered.clear();
                next.live = Some(id);
                next.run.clear_run();
                // "Starting" at once, not the previous run's "done" until the engine answers.
                next.run.phase = RunState::Running;
                next.run.preparing = Some("Starting…".into());
                next.run.settings = settings.clone();
                let backend = next.run.backend.as_ref().map(|report| report.kind);
                Rc::make_mut(&mut next.runs).push(RunRecord::new(id, settings, backend, compare));
            }
            Action::QueueRuns(runs) => next.queue = Rc::new(runs),
            Action::DequeueRun => {
                if !next.queue.is_empty() {
                    Rc::make_mut(&mut next.queue).remove(0);
                }
            }
            Action::CancelQueue => next.queue = Rc::default(),
            Action::SetCompare(id, on) => {
                if let Some(run) = Rc::make_mut(&mut next.runs).iter_mut().find(|r| r.id == id) {
                    run.compare = on;
                }
            }
            Action::ShowRun(id) => {
                next.shown_run = Some(id);
                next.cell = None;
            }
            Action::SelectCell(cell) => next.cell = cell,
            Action::ClassifyRequested { seq, pixels } => next.classify.requested(seq, pixels),
            Action::ClassifyCleared => next.classify.cleared(),
            Action::InputFailed(message) => next.classify.failed(message),
            Action::ChooseClassifier(choice) => next.classify.model = choice,
            Action::RunsRestored(runs, unreadable) => next.restore_runs(runs, unreadable),
            Action::StoragePersisted(persisted) => next.storage.persisted = Some(persisted),
            Action::EngineMismatch(message) => next.engine_mismatch = Some(message),
            Action::RunSavedElsewhere(run) => next.list_elsewhere(run),
            Action::RunReleased(run) => next.release_elsewhere(run),
            Action::TakeOver(id) => next.takeover = Some(id),
            Action::HandedOver(id) => next.handed_over(id),
            Action::RunResumed(id) => {
                next.renumbered.clear();
                next.live = Some(id);
                next.resume_waiting = None;
                next.resume_run(id);
            }
            Action::ResumeWhenReady(id) => next.resume_waiting = id,
            Action::RunDeleted(id) => next.delete_run(id),
            Action::StorageCleared => {
                next.storage.unreadable.clear();
                next.runs = Rc::new(next.runs.iter().filter(|r| r.is_active()).cloned().collect());
                next.shown_run = None;
                next.storage.error = None;
            }
            Action::StorageUsage(usage) => next.storage.usage = usage,
            Action::StorageFailed(message) => next.storage.error = Some(message),
            Action::ModelWritten(bytes) => {
                if next.unsaved_model.as_ref().is_some_and(|m| Rc::ptr_eq(m, &bytes)) {
                    next.unsaved_model = None;
                }
            }
            Action::ImportRequested(bytes) => next.pending_import = Some(bytes),
            Action::ImportRefused(message) => next.storage.import_error = Some(message),
        }
        next
    }
}
