//! What is saved and how large, deleting it, and moving a model between machines as a file.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, HtmlAnchorElement, HtmlInputElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::saved::StorageView;
use super::state::Action;
use super::storage;
use crate::protocol::{ModelChoice, ToEngine};

fn megabytes(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    }
}

/// Offers `bytes` as a download named `name` (the file never runs: it is data for the engine).
pub fn download(bytes: &[u8], name: &str) {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let Ok(blob) = Blob::new_with_u8_array_sequence(&parts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(anchor) = gloo::utils::document()
        .create_element("a")
        .ok()
        .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
    {
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The export's file name: which model, so two exports are told apart.
pub fn model_file_name(model: ModelChoice) -> String {
    format!("atelier-{}.atelier-model", model.name())
}

#[derive(Properties, PartialEq)]
pub struct StoragePanelProps {
    pub storage: StorageView,
    pub runs: usize,
    pub busy: bool,
    pub dispatch: Callback<Action>,
}

#[component]
pub fn StoragePanel(props: &StoragePanelProps) -> Html {
    let confirming = use_state(|| false);
    let usage = match props.storage.usage {
        Some((used, quota)) => format!(
            "{} run(s) listed · this site stores {} of the {} the browser allows",
            props.runs,
            megabytes(used),
            megabytes(quota)
        ),
        None => format!("{} run(s) listed", props.runs),
    };
    let on_clear = {
        let (confirming, dispatch) = (confirming.clone(), props.dispatch.clone());
        Callback::from(move |_| {
            if !*confirming {
                return confirming.set(true);
            }
            confirming.set(false);
            let dispatch = dispatch.clone();
            spawn_local(async move {
                match storage::clear().await {
                    Ok(()) => dispatch.emit(Action::StorageCleared),
                    Err(message) => dispatch.emit(Action::StorageFailed(format!(
                        "Nothing was deleted: {message}"
                    ))),
                }
                dispatch.emit(Action::StorageUsage(storage::usage().await));
            });
        })
    };
    html! {
        <div class="storage">
            <span data-testid="storage-usage" data-used={props.storage.usage.map(|u| u.0.to_string()).unwrap_or_default()}>{usage}</span>
            <button class={classes!("button", "small", (*confirming).then_some("danger"))} data-testid="storage-clear"
                    disabled={props.busy} onclick={on_clear}>
                {if *confirming { "Click again to delete all saved runs and models" } else { "Delete everything saved" }}
            </button>
            if let Some(error) = &props.storage.error {
                <p class="input-error" data-testid="storage-error" role="alert">{error}</p>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ModelFilesProps {
    /// There is a trained or imported model to export.
    pub can_export: bool,
    pub import_error: Option<String>,
    pub on_command: Callback<ToEngine>,
    pub dispatch: Callback<Action>,
}

#[component]
pub fn ModelFiles(props: &ModelFilesProps) -> Html {
    let on_export = props.on_command.reform(|_| ToEngine::ExportModel);
    let on_import = {
        let (on_command, dispatch) = (props.on_command.clone(), props.dispatch.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let (on_command, dispatch) = (on_command.clone(), dispatch.clone());
            spawn_local(async move {
                match JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = Uint8Array::new(&buffer).to_vec();
                        dispatch.emit(Action::ImportRequested(std::rc::Rc::new(bytes.clone())));
                        on_command.emit(ToEngine::ImportModel {
                            bytes,
                            quiet: false,
                        });
                    }
                    Err(_) => dispatch.emit(Action::StorageFailed(format!(
                        "“{}” could not be read.",
                        file.name()
                    ))),
                }
            });
        })
    };
    html! {
        <div class="model-files">
            <button class="button small" data-testid="model-export" disabled={!props.can_export} onclick={on_export}
                    title="Download the model as one file (weights and architecture)">{"Export model"}</button>
            <label class="button small upload-button" title="Load a model file exported from Atelier">
                {"Import model"}
                <input type="file" accept=".atelier-model,application/octet-stream" data-testid="model-import" onchange={on_import} />
            </label>
            if let Some(error) = &props.import_error {
                <p class="input-error" data-testid="import-error" role="alert">{error}</p>
            }
        </div>
    }
}
