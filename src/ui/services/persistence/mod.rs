//! Persistence in one module: every IndexedDB (and `localStorage`) read and write starts here.
//! Autosave (one hook) writes runs and an imported model as they change and restores them after
//! a reload (the trainer worker stores its checkpoints itself, `web::store`); the panels' explicit requests (resume a run from its
//! checkpoint, delete a run, clear everything) and the backend races are functions beside it.
//! `database` does the reads and writes themselves.

mod database;
mod locks;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use yew::platform::spawn_local;
use yew::prelude::*;

use self::database::LATEST_MODEL;
use crate::protocol::{BackendKind, RunSettings, RunState, ToEngine};
use crate::state::runs::RunRecord;
use crate::state::saved::SavedRun;
use crate::state::{Action, AppState};

/// What makes a run worth saving again: a new epoch, a new phase, a checkpoint, the overlay
/// flag, and the final step count once it stops (steps alone would save on every batch).
type Signature = (usize, String, Option<usize>, bool, usize);

/// The runs this tab has written (or seen written by another tab), as they were then.
type Saved = Rc<RefCell<HashMap<u32, Signature>>>;

fn signature(run: &RunRecord) -> Signature {
    let steps = if run.is_active() { 0 } else { run.steps.len() };
    (run.epochs.len(), format!("{:?}{}", run.phase, run.interrupted), run.checkpoint_step, run.compare, steps)
}

#[hook]
pub fn use_autosave(state: &UseReducerHandle<AppState>, engine: Callback<ToEngine>) {
    let saved: Saved = use_mut_ref(HashMap::<u32, Signature>::new);
    let watched = use_mut_ref(HashSet::<u32>::new);
    let lock: Lock = use_mut_ref(|| None);

    // Restore once: the runs (those another tab still trains listed as theirs), then the
    // latest model for the engine, then the usage figure.
    {
        let (dispatcher, saved, engine, watched) = (state.dispatcher(), saved.clone(), engine.clone(), watched.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match database::load_runs().await {
                    Ok((runs, unreadable)) => {
                        let held = locks::held().await;
                        let mut records: Vec<RunRecord> = runs.into_iter().map(RunRecord::from).collect();
                        for run in &mut records {
                            if held.contains(&run.id) {
                                run.mark_elsewhere();
                            }
                            saved.borrow_mut().insert(run.id, signature(run));
                        }
                        dispatcher.dispatch(Action::RunsRestored(records, unreadable));
                        for id in held {
                            watch(id, dispatcher.clone(), saved.clone(), watched.clone());
                        }
                    }
                    Err(message) => {
                        dispatcher.dispatch(Action::StorageFailed(format!("Saved runs could not be read: {message}")))
                    }
                }
                if let Ok(Some(bytes)) = database::get_bytes(LATEST_MODEL).await {
                    engine.emit(ToEngine::ImportModel { bytes, quiet: true });
                }
                dispatcher.dispatch(Action::StorageUsage(database::usage().await));
                if let Some(persisted) = database::persisted().await {
                    dispatcher.dispatch(Action::StoragePersisted(persisted));
                }
            });
        });
    }

    // What other tabs of this browser store: their runs appear here as they train, so this
    // tab neither misses nor overwrites them (its own writes only touch its own runs).
    {
        let (dispatcher, saved) = (state.dispatcher(), saved.clone());
        let (watched, lock, engine) = (watched.clone(), lock.clone(), engine.clone());
        use_effect_with((), move |_| {
            let channel = web_sys::BroadcastChannel::new(database::TABS_CHANNEL).ok();
            let listener = channel.as_ref().map(|channel| {
                EventListener::new(channel, "message", move |event| {
                    let event = event.unchecked_ref::<web_sys::MessageEvent>();
                    let Some(message) = event.data().as_string() else { return };
                    if let Some(news) = database::from_other_tab(&message) {
                        if let Some(id) = news.strip_prefix("takeover:").and_then(|id| id.parse::<u32>().ok()) {
                            // Asked for the run this tab trains: stop it (its stop checkpoint and
                            // record are written before the lock goes, see above).
                            if lock.borrow().as_ref().is_some_and(|(held, _)| *held == id) {
                                engine.emit(ToEngine::Stop);
                                dispatcher.dispatch(Action::HandedOver(id));
                            }
                            return;
                        }
                        on_other_tab(news, dispatcher.clone(), saved.clone(), watched.clone());
                    }
                })
            });
            move || {
                drop(listener);
                if let Some(channel) = channel {
                    channel.close();
                }
            }
        });
    }

    // Once something is worth keeping (a run's first checkpoint), ask the browser to keep the
    // site's data until the user deletes it, instead of clearing it when space runs low.
    {
        let asked = use_mut_ref(|| false);
        let has_checkpoint = state.runs.iter().any(|r| r.checkpoint_step.is_some());
        let not_yet = state.storage.persisted == Some(false);
        if has_checkpoint && not_yet && !*asked.borrow() {
            *asked.borrow_mut() = true;
            let dispatcher = state.dispatcher();
            spawn_local(async move {
                if let Some(granted) = database::persist().await {
                    dispatcher.dispatch(Action::StoragePersisted(granted));
                }
            });
        }
    }

    // The run this tab trains is locked to it while it is active (see `locks`), and until its
    // record is written settled (`SavedRun::is_settled`: stopped, with its stop checkpoint; the
    // write job lets it go): a tab waiting to take it over then reads the final record and
    // checkpoint, never ones this tab is about to replace.
    {
        let training = state.live.filter(|_| state.live_run().is_some_and(RunRecord::is_active));
        let lock = lock.clone();
        use_effect_with(training, move |training| {
            if let Some(id) = *training
                && lock.borrow().as_ref().is_none_or(|(held, _)| *held != id)
            {
                *lock.borrow_mut() = locks::hold(id).map(|held| (id, held));
            }
        });
    }

    // A hidden tab (switched away from, minimised, or closing) asks for a checkpoint of the run
    // in progress, so that a reload or a discarded tab loses as little as possible.
    {
        use_effect_with(state.run.phase.is_active(), move |active| {
            let listener = active.then(|| {
                EventListener::new(&gloo::utils::document(), "visibilitychange", move |_| {
                    if gloo::utils::document().hidden() {
                        engine.emit(ToEngine::Snapshot);
                    }
                })
            });
            move || drop(listener)
        });
    }

    // After every render: whatever changed since it was last written. One write job at a time,
    // so an older state can never land after a newer one; the job's last dispatch renders
    // again, which picks up anything that changed meanwhile.
    let busy = use_mut_ref(|| false);
    if *busy.borrow() {
        return;
    }
    let changed: Vec<(u32, Signature, SavedRun)> = if state.storage.restored {
        let saved = saved.borrow();
        // Another tab's run is that tab's to write: a copy written back from here (its
        // signature changes as it is listed) replaced that tab's newer record.
        state
            .runs
            .iter()
            .filter(|r| !r.elsewhere)
            .filter_map(|r| {
                let sig = signature(r);
                (saved.get(&r.id) != Some(&sig)).then(|| (r.id, sig, SavedRun::from(r)))
            })
            .collect()
    } else {
        Vec::new()
    };
    let model = state.unsaved_model.clone();
    if changed.is_empty() && model.is_none() {
        return;
    }
    for (id, sig, _) in &changed {
        saved.borrow_mut().insert(*id, sig.clone());
    }
    let dispatcher = state.dispatcher();
    *busy.borrow_mut() = true;
    spawn_local(async move {
        // In a task of its own, not in the render's.
        gloo::timers::future::TimeoutFuture::new(0).await;
        if let Some(bytes) = model {
            if let Err(message) = database::put_bytes(LATEST_MODEL, &bytes).await {
                dispatcher.dispatch(Action::StorageFailed(format!("The model was not saved: {message}")));
            }
            dispatcher.dispatch(Action::ModelWritten(bytes));
        }
        for (id, _, run) in changed {
            if let Err(message) = database::save_run(&run).await {
                dispatcher.dispatch(Action::StorageFailed(format!("Run {id} was not saved: {message}")));
            }
            if run.is_settled() && lock.borrow().as_ref().is_some_and(|(held, _)| *held == id) {
                lock.borrow_mut().take();
            }
        }
        let usage = database::usage().await;
        *busy.borrow_mut() = false;
        dispatcher.dispatch(Action::StorageUsage(usage));
    });
}

/// A message of another tab (`saved:ID`, `deleted:ID`, `cleared`), applied here. A run saved
/// there is marked as written (so this tab never writes its copy back over a newer one).
fn on_other_tab(message: &str, dispatcher: UseReducerDispatcher<AppState>, saved: Saved, watched: Watched) {
    let (what, id) = message.split_once(':').map_or((message, None), |(what, id)| (what, id.parse::<u32>().ok()));
    match (what, id) {
        ("saved", Some(id)) => spawn_local(async move {
            if let Some(run) = database::load_run(id).await {
                let run = RunRecord::from(run);
                let training = run.interrupted;
                saved.borrow_mut().insert(run.id, signature(&run));
                dispatcher.dispatch(Action::RunSavedElsewhere(run));
                if training {
                    watch(id, dispatcher, saved, watched);
                }
            }
        }),
        ("deleted", Some(id)) => dispatcher.dispatch(Action::RunDeleted(id)),
        ("cleared", _) => dispatcher.dispatch(Action::StorageCleared),
        _ => {}
    }
}

/// The runs whose release this tab waits for.
type Watched = Rc<RefCell<HashSet<u32>>>;

/// The run this tab trains, and its lock.
type Lock = Rc<RefCell<Option<(u32, locks::RunLock)>>>;

/// Asks the tab that trains run `id` to let it go (it stops the run, writes its record, then
/// releases the lock; this tab, watching the lock, then resumes the run from its checkpoint).
pub fn take_over(id: u32) {
    database::announce(&format!("takeover:{id}"));
}

/// Once the other tab that trains run `id` lets it go (stops it, closes, crashes), the run as
/// it stored it replaces this tab's copy: resumable here if it was cut short.
fn watch(id: u32, dispatcher: UseReducerDispatcher<AppState>, saved: Saved, watched: Watched) {
    if !watched.borrow_mut().insert(id) {
        return;
    }
    spawn_local(async move {
        if locks::held().await.contains(&id) {
            locks::released(id).await;
            if let Some(run) = database::load_run(id).await {
                let run = RunRecord::from(run);
                saved.borrow_mut().insert(run.id, signature(&run));
                dispatcher.dispatch(Action::RunReleased(run));
            }
        }
        watched.borrow_mut().remove(&id);
    });
}

/// Starts a run: its id claimed in storage first (unique across this browser's tabs), then
/// listed, then sent to the engine, which tags every report with it. `at_least`: this tab's
/// next id; `compare`: overlaid from the start (preset runs).
pub fn start_run(
    at_least: u32,
    settings: RunSettings,
    compare: bool,
    backend: Option<BackendKind>,
    dispatcher: UseReducerDispatcher<AppState>,
    engine: Callback<ToEngine>,
) {
    spawn_local(async move {
        let record = |id| {
            let mut run = RunRecord::new(id, settings.clone(), backend, compare);
            run.phase = RunState::Running;
            SavedRun::from(&run)
        };
        // Without storage (a private mode that refuses IndexedDB) the tab's own count serves.
        let id = database::claim_run_id(at_least, record).await.unwrap_or(at_least);
        dispatcher.dispatch(Action::RunRequested { id, settings: settings.clone(), compare });
        engine.emit(ToEngine::Start { run: id, settings });
    });
}

/// Continues run `id` from its stored checkpoint (the engine validates the bytes).
pub fn resume_run(id: u32, dispatch: impl Fn(Action) + 'static, engine: Callback<ToEngine>) {
    spawn_local(async move {
        match database::get_bytes(&database::checkpoint_key(id)).await {
            Ok(Some(checkpoint)) => {
                dispatch(Action::RunResumed(id));
                let readback_every = crate::ui::services::engine_options::readback_every();
                engine.emit(ToEngine::ResumeRun { run: id, checkpoint, readback_every });
            }
            Ok(None) => dispatch(Action::StorageFailed(format!("Run {id} has no saved checkpoint to resume from."))),
            Err(message) => dispatch(Action::StorageFailed(format!("Run {id} could not be resumed: {message}"))),
        }
    });
}

/// Deletes run `id` and its checkpoint.
pub fn delete_run(id: u32, dispatch: impl Fn(Action) + 'static) {
    spawn_local(async move {
        match database::delete_run(id).await {
            Ok(()) => dispatch(Action::RunDeleted(id)),
            Err(message) => dispatch(Action::StorageFailed(format!("Run {id} was not deleted: {message}"))),
        }
        dispatch(Action::StorageUsage(database::usage().await));
    });
}

/// Deletes every saved run, checkpoint and model.
pub fn clear(dispatch: impl Fn(Action) + 'static) {
    spawn_local(async move {
        match database::clear().await {
            Ok(()) => dispatch(Action::StorageCleared),
            Err(message) => dispatch(Action::StorageFailed(format!("Nothing was deleted: {message}"))),
        }
        dispatch(Action::StorageUsage(database::usage().await));
    });
}

/// Backend races of earlier visits, and keeping a new one (`localStorage`).
pub use database::{load_races, save_race};
