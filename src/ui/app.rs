use yew::platform::spawn_local;
use yew::prelude::*;

use super::data_status::DataStatus;
use super::engine_link::use_engine;
use super::gallery::Gallery;
use super::train_panel::TrainPanel;
use super::state::{Action, AppState, DataPhase};
use crate::protocol::ToEngine;
use crate::web::{DatasetEvent, load_dataset, mark, query_param};

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
    let state = use_reducer(AppState::default);
    let data_base = use_memo((), |_| data_base_url());

    {
        let (dispatcher, data_base) = (state.dispatcher(), data_base.clone());
        use_effect_with(state.attempt, move |_| {
            spawn_local(async move {
                let on_event = |event| match event {
                    DatasetEvent::Progress(file, progress) => dispatcher.dispatch(Action::Progress(file, progress)),
                    DatasetEvent::Split(split) => dispatcher.dispatch(Action::SplitLoaded(split)),
                };
                match load_dataset(&data_base, &on_event).await {
                    Ok(()) => mark("atelier:data-ready"),
                    Err(err) => dispatcher.dispatch(Action::DataFailed(err.to_string())),
                }
            });
        });
    }

    let on_retry = {
        let dispatcher = state.dispatcher();
        Callback::from(move |()| dispatcher.dispatch(Action::Retry))
    };
    let dispatch = {
        let dispatcher = state.dispatcher();
        Callback::from(move |action| dispatcher.dispatch(action))
    };
    let engine = use_engine(state.dispatcher(), (*data_base).clone());
    let on_command = {
        let dispatcher = state.dispatcher();
        Callback::from(move |command: ToEngine| {
            if matches!(command, ToEngine::Start(_)) {
                dispatcher.dispatch(Action::RunRequested);
            }
            engine.emit(command);
        })
    };
    let on_settings = {
        let dispatcher = state.dispatcher();
        Callback::from(move |settings| dispatcher.dispatch(Action::EditSettings(settings)))
    };

    html! {
        <>
            <header class="topbar">
                <div class="brand">
                    <span class="logo" aria-hidden="true">{"◧"}</span>
                    <h1>{"Atelier"}</h1>
                </div>
                <p class="tagline">{"Train a neural network on Fashion-MNIST, right here in your browser."}</p>
            </header>
            <main class="page">
                <DataStatus files={state.files} phase={state.phase.clone()} {on_retry} />
                <TrainPanel run={state.run.clone()} data_ready={state.phase == DataPhase::Ready} {on_command} {on_settings} />
                <Gallery
                    train={state.train.clone()}
                    test={state.test.clone()}
                    view={state.gallery.clone()}
                    data_failed={matches!(state.phase, DataPhase::Error(_))}
                    {dispatch}
                />
            </main>
            <footer class="footer">
                {"Fashion-MNIST © Zalando Research (MIT). Atelier runs entirely in your browser."}
            </footer>
        </>
    }
}
