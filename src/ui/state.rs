//! The page's state in one `Reducible`: data loading and the gallery view.

use std::rc::Rc;

use yew::Reducible;

use super::run_state::RunView;
use crate::data::{DataFile, Split, SplitKind};
use crate::protocol::{FromEngine, RunSettings};
use crate::web::FileProgress;

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
    pub test: Option<SplitRef>,
    pub train: Option<SplitRef>,
    pub gallery: GalleryView,
    /// Bumped by Retry: the loading effect depends on it.
    pub attempt: u32,
    pub run: RunView,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            files: Default::default(),
            phase: DataPhase::Loading,
            test: None,
            train: None,
            gallery: GalleryView { split: SplitKind::Test, class: None, page: 0, selected: None },
            attempt: 0,
            run: RunView::default(),
        }
    }
}

pub enum Action {
    Progress(DataFile, FileProgress),
    SplitLoaded(Rc<Split>),
    DataFailed(String),
    Retry,
    ShowSplit(SplitKind),
    FilterClass(Option<u8>),
    GoToPage(usize),
    Select(Option<usize>),
    Engine(FromEngine),
    EditSettings(RunSettings),
    /// The page asked the engine for a new run: clear the old curves now.
    RunRequested,
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
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
            Action::Retry => {
                next.phase = DataPhase::Loading;
                next.attempt += 1;
                next.files = Default::default();
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
            Action::Engine(event) => next.run.apply(event),
            Action::EditSettings(settings) => {
                next.run.settings = settings;
                next.run.notice = None;
            }
            Action::RunRequested => next.run.clear_run(),
        }
        Rc::new(next)
    }
}
