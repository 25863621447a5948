use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::protocol::{RunSettings, RunState, ToEngine, Workload};
use crate::state::lesson::{LessonMove, Panel, STEPS};
use crate::state::recorded::{RECORDED_FILE, RecordedAction, group_runs, read_recorded, step_group};
use crate::state::run::Pending;
use crate::state::{Action, AppState, DataPhase};
use crate::ui::panels::chart::Presenting;
use crate::ui::panels::classify::ClassifyPanel;
use crate::ui::panels::data_status::DataStatus;
use crate::ui::panels::evaluation::EvaluationPanel;
use crate::ui::panels::gallery::Gallery;
use crate::ui::panels::inside::Inside;
use crate::ui::panels::lesson::LessonBar;
use crate::ui::panels::presets::Presets;
use crate::ui::panels::runs::RunList;
use crate::ui::panels::storage::StoragePanel;
use crate::ui::panels::train::TrainPanel;
use crate::ui::services::address;
use crate::ui::services::engine_link::use_engine;
use crate::ui::services::persistence;
use crate::ui::services::persistence::use_autosave;
use crate::web::{DatasetEvent, defined, fetch_bytes, load_dataset, mark, query_param};

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Where the four `.gz` files live: `data/` beside the app, or `?data=<url>`.
fn data_base_url() -> String {
    let mut base = query_param("data").unwrap_or_else(|| "data/".into());
    if !base.ends_with('/') {
        base.push('/');
    }
    base
}

#[component]
pub fn App() -> Html {
    // The page as its link sets it up (`state::link`).
    let state = use_reducer(|| AppState::opened_with(&address::query_pairs()));
    let data_base = use_memo((), |_| data_base_url());

    {
        let (dispatcher, data_base) = (state.dispatcher(), data_base.clone());
        use_effect_with(state.attempt, move |_| {
            spawn_local(async move {
                let on_event = |event| match event {
                    DatasetEvent::Progress(file, progress) => dispatcher.dispatch(Action::Progress(file, progress)),
                    DatasetEvent::Split(split) => dispatcher.dispatch(Action::SplitLoaded(split)),
                    DatasetEvent::Unrecognised(file) => dispatcher.dispatch(Action::DataUnrecognised(file)),
                };
                match load_dataset(&data_base, true, &on_event).await {
                    Ok(()) => mark("atelier:data-ready"),
                    Err(err) => dispatcher.dispatch(Action::DataFailed(err.to_string())),
                }
            });
        });
    }

    // The lesson's recorded runs, fetched once the lesson opens (the free app never shows them;
    // the service worker keeps the file offline either way).
    {
        let dispatcher = state.dispatcher();
        let wanted = state.lesson.is_some() && state.recorded.runs.is_empty() && state.recorded.error.is_none();
        use_effect_with(wanted, move |&wanted| {
            if wanted {
                spawn_local(async move {
                    let read = fetch_bytes(RECORDED_FILE).await.and_then(|bytes| read_recorded(&bytes));
                    dispatcher.dispatch(Action::Recorded(RecordedAction::Loaded(read)));
                });
            }
        });
    }

    // Offline after one visit: the service worker keeps the app's files (`?sw=0` leaves it out).
    use_effect_with((), |_| {
        if query_param("sw").as_deref() != Some("0")
            && let Some(window) = web_sys::window()
            && defined(&window.navigator(), "serviceWorker")
        {
            let _ = window.navigator().service_worker().register("sw.js");
        }
    });

    let on_retry = use_callback(state.dispatcher(), |(), dispatcher| dispatcher.dispatch(Action::Retry));
    let dispatch = use_callback(state.dispatcher(), |action, dispatcher| dispatcher.dispatch(action));
    let engine = use_engine(state.dispatcher(), (*data_base).clone());
    use_autosave(&state, engine.clone());
    // Callbacks are memoised (same deps, same callback), so that a state change re-renders only
    // the panels whose data changed, not every panel that takes a callback.
    let on_command = use_callback((state.dispatcher(), engine.clone()), |command: ToEngine, (dispatcher, engine)| {
        match &command {
            ToEngine::Pause => dispatcher.dispatch(Action::Pending(Pending::Pause)),
            ToEngine::Resume => dispatcher.dispatch(Action::Pending(Pending::Resume)),
            ToEngine::Stop => dispatcher.dispatch(Action::Pending(Pending::Stop)),
            ToEngine::ChooseBackend(_) => dispatcher.dispatch(Action::Pending(Pending::Switch)),
            _ => {}
        }
        engine.emit(command);
    });
    // Once the dataset is in (the engine then races the backends without competing with the
    // page for the cores), and for every new model or batch size (a new workload).
    {
        let engine = engine.clone();
        let settings = state.run.settings.clone();
        let data_ready = state.phase == DataPhase::Ready;
        use_effect_with((Workload::training(&settings), data_ready), move |(_, ready)| {
            if *ready {
                engine.emit(ToEngine::Workload(settings));
            }
        });
    }
    // A preset lists its runs for the overlay and starts the first; the rest wait in the queue.
    let backend = state.run.backend.as_ref().map(|report| report.kind);
    let start_listed = use_callback(
        (state.dispatcher(), engine.clone(), state.next_run_id(), backend),
        |settings: RunSettings, (dispatcher, engine, id, backend)| {
            persistence::start_run(*id, settings, true, *backend, dispatcher.clone(), engine.clone())
        },
    );
    // The Start button: one run, listed under the id the engine will tag its reports with.
    let on_start = use_callback(
        (state.dispatcher(), engine.clone(), state.next_run_id(), backend),
        |settings: RunSettings, (dispatcher, engine, id, backend)| {
            persistence::start_run(*id, settings, false, *backend, dispatcher.clone(), engine.clone())
        },
    );
    let on_preset = use_callback(
        (state.dispatcher(), start_listed.clone()),
        |mut runs: Vec<RunSettings>, (dispatcher, start_listed)| {
            if runs.is_empty() {
                return;
            }
            let first = runs.remove(0);
            dispatcher.dispatch(Action::QueueRuns(runs));
            start_listed.emit(first);
        },
    );
    {
        // The next queued run starts when the newest listed run finishes (the newest, so that a
        // just-listed run still waiting for the engine cannot trigger a second start); Stop or a
        // failure cancels the rest.
        let (dispatcher, queue) = (state.dispatcher(), state.queue.clone());
        let newest = state.live_run().map(|r| (r.id, r.phase.clone()));
        use_effect_with(newest, move |newest| match newest.as_ref().map(|(_, phase)| phase) {
            Some(RunState::Done { stopped_early: false }) if !queue.is_empty() => {
                dispatcher.dispatch(Action::DequeueRun);
                start_listed.emit(queue[0].clone());
            }
            Some(RunState::Done { stopped_early: true } | RunState::Error(_)) if !queue.is_empty() => {
                dispatcher.dispatch(Action::CancelQueue)
            }
            _ => {}
        });
    }
    let on_compare =
        use_callback(state.dispatcher(), |(id, on), dispatcher| dispatcher.dispatch(Action::SetCompare(id, on)));
    let on_show = use_callback(state.dispatcher(), |id, dispatcher| dispatcher.dispatch(Action::ShowRun(id)));
    let on_cell = use_callback(state.dispatcher(), |cell, dispatcher| dispatcher.dispatch(Action::SelectCell(cell)));
    let run_active = state.run.phase.is_active();
    let engine_ready = state.run.backend.is_some();
    let on_resume =
        use_callback((state.dispatcher(), engine.clone(), engine_ready), |id: u32, (dispatcher, engine, ready)| {
            if !*ready {
                // Not now: the engine would refuse, and the run would be cut back for nothing.
                return dispatcher.dispatch(Action::ResumeWhenReady(Some(id)));
            }
            let dispatcher = dispatcher.clone();
            persistence::resume_run(id, move |a| dispatcher.dispatch(a), engine.clone());
        });
    let on_take_over = use_callback(state.dispatcher(), |id: u32, dispatcher| {
        dispatcher.dispatch(Action::TakeOver(id));
        persistence::take_over(id);
    });
    // A Resume clicked early goes ahead once the engine is ready.
    {
        let (dispatcher, engine) = (state.dispatcher(), engine.clone());
        use_effect_with((engine_ready, state.resume_waiting), move |&(ready, waiting)| {
            if let (true, Some(id)) = (ready, waiting) {
                dispatcher.dispatch(Action::ResumeWhenReady(None));
                let dispatcher = dispatcher.clone();
                persistence::resume_run(id, move |a| dispatcher.dispatch(a), engine);
            }
        });
    }
    let on_delete = use_callback(state.dispatcher(), |id: u32, dispatcher| {
        let dispatcher = dispatcher.clone();
        persistence::delete_run(id, move |a| dispatcher.dispatch(a));
    });
    let can_preset = state.phase == DataPhase::Ready && state.run.backend.is_some() && !run_active;
    let evaluated = state.evaluated_run().cloned();
    let on_settings =
        use_callback(state.dispatcher(), |settings, dispatcher| dispatcher.dispatch(Action::EditSettings(settings)));

    // In the lesson, only the step's panels (the data status also while it loads or fails).
    let shows = |panel: Panel| state.lesson.is_none_or(|n| STEPS[n - 1].panels.contains(&panel));
    let show_data = shows(Panel::Data) || state.phase != DataPhase::Ready;
    // Presenter mode scales the whole page (its root font size) and says so in the address.
    use_effect_with(state.presenting, |&on| {
        if let Some(root) = gloo::utils::document().document_element() {
            let _ =
                if on { root.set_attribute("data-presenting", "") } else { root.remove_attribute("data-presenting") };
        }
        if on || address::query_pairs().iter().any(|(key, _)| key == "present") {
            address::replace_address(&address::with_param("present", on.then_some("1")));
        }
    });
    // Out of the lesson, its step leaves the address.
    use_effect_with(state.lesson.is_some(), |in_lesson| {
        if !in_lesson && address::query_pairs().iter().any(|(key, _)| key == "lesson") {
            address::replace_address(&address::with_param("lesson", None));
        }
    });

    html! {
        <ContextProvider<Presenting> context={Presenting(state.presenting)}>
            <header class="topbar">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{"◧"}</span>
                    <h1>{"Atelier"}</h1>
                </div>
                <p class="tagline">{"Train a neural network on Fashion-MNIST, right here in your browser."}</p>
                <div class="topbar-actions">
                    if state.lesson.is_none() {
                        <button class="button" data-testid="lesson-start"
                                onclick={dispatch.reform(|_| Action::Lesson(LessonMove::To(1)))}>{"Start the lesson"}</button>
                    }
                    <button class="button" data-testid="present-toggle" aria-pressed={state.presenting.to_string()}
                            title="Large type and thick chart lines, for a projector"
                            onclick={{ let on = state.presenting; dispatch.reform(move |_| Action::Present(!on)) }}>
                        {if state.presenting { "Leave presenter mode" } else { "Presenter mode" }}
                    </button>
                </div>
            </header>
            <main class={classes!("page", state.lesson.map(|_| "in-lesson"))}>
                if let Some(step) = state.lesson {
                    <LessonBar {step} can_start={can_preset} dispatch={dispatch.clone()} on_start={on_start.clone()} on_preset={on_preset.clone()}
                               recorded={state.recorded.has_step(step).then_some(!state.recorded.hidden)} />
                }
                if let Some(message) = &state.engine_mismatch {
                    <div class="card update-needed" data-testid="update-needed" role="alert">
                        <p class="input-error">{message}</p>
                        <button class="button primary" onclick={Callback::from(|_| reload())}>{"Reload to update"}</button>
                    </div>
                }
                if show_data {
                    <DataStatus files={state.files} phase={state.phase.clone()} unrecognised={state.unrecognised.clone()} {on_retry} />
                }
                if shows(Panel::Classify) {
                    <ClassifyPanel view={state.classify.clone()} dispatch={dispatch.clone()} on_command={engine.clone()} run_active={run_active}
                                   run_holding={state.run.holding}
                                   import_error={state.storage.import_error.clone()} />
                }
                if shows(Panel::Train) {
                    <TrainPanel run={state.run.clone()} runs={state.runs.clone()} data_ready={state.phase == DataPhase::Ready}
                                {on_command} {on_start} {on_settings} link_notes={state.link_notes.clone()}
                                in_lesson={state.lesson.is_some()} recorded={state.recorded.for_step(state.lesson)}
                                step_runs={state.lesson.and_then(|n| step_group(&STEPS[n - 1])).and_then(group_runs).map(Rc::new)} />
                }
                if shows(Panel::Runs) {
                    <section class="card runs-card" aria-label="Runs">
                        <div class="card-head"><h2>{"Runs and comparisons"}</h2></div>
                        <Presets disabled={!can_preset} {on_preset} />
                        <RunList runs={state.runs.clone()} shown={evaluated.as_ref().map(|r| r.id)} queued={state.queue.len()}
                                 {on_compare} {on_show} {on_resume} {on_delete} busy={run_active}
                                 waiting={state.resume_waiting} {on_take_over} takeover={state.takeover} />
                        <StoragePanel storage={state.storage.clone()} runs={state.runs.len()} busy={run_active} dispatch={dispatch.clone()} />
                    </section>
                }
                if shows(Panel::Evaluation) {
                    <EvaluationPanel run={evaluated} test={state.test.clone()} cell={state.cell} {on_cell} />
                }
                if shows(Panel::Inside) {
                    <Inside test={state.test.clone()} drawing={state.classify.input.clone()}
                            inspection={state.inspection.clone()} on_command={engine.clone()} />
                }
                if shows(Panel::Gallery) {
                    <Gallery
                        train={state.train.clone()}
                        test={state.test.clone()}
                        view={state.gallery.clone()}
                        data_failed={matches!(state.phase, DataPhase::Error(_))}
                        {dispatch}
                    />
                }
            </main>
            <footer class="footer">
                {"Fashion-MNIST © Zalando Research (MIT). Atelier runs entirely in your browser."}
            </footer>
        </ContextProvider<Presenting>>
    }
}
