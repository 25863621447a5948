//! Export and import of a model file, beside the classifier that uses it.

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::protocol::ToEngine;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ModelFilesProps {
    /// There is a trained or imported model to export.
    pub can_export: bool,
    pub import_error: Option<String>,
    pub on_command: Callback<ToEngine>,
    pub dispatch: Callback<Action>,
}

/// The largest file Import reads. Atelier's largest model file is ~4 MB (the Atelier CNN); a
/// multi-gigabyte file picked by mistake is refused by its size, before a byte is read.
const MAX_MODEL_FILE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

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
            if file.size() > MAX_MODEL_FILE_BYTES {
                return dispatch.emit(Action::ImportRefused(format!(
                    "“{}” is {:.0} MB: a model file exported from Atelier is at most {:.0} MB. Nothing was changed.",
                    file.name(),
                    file.size() / 1e6,
                    MAX_MODEL_FILE_BYTES / 1e6
                )));
            }
            let (on_command, dispatch) = (on_command.clone(), dispatch.clone());
            spawn_local(async move {
                match JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = Uint8Array::new(&buffer).to_vec();
                        dispatch.emit(Action::ImportRequested(std::rc::Rc::new(bytes.clone())));
                        on_command.emit(ToEngine::ImportModel { bytes, quiet: false });
                    }
                    Err(_) => dispatch.emit(Action::StorageFailed(format!("“{}” could not be read.", file.name()))),
                }
            });
        })
    };
    html! {
        <div class="model-files">
            <button class="button small" data-testid="model-export" disabled={!props.can_export} onclick={on_export}
                    title="Download the model as a safetensors file (weights, architecture, normalisation): it opens in Python too">{"Export model"}</button>
            <label class="button small upload-button" title="Load a model exported from Atelier (.safetensors, or an older .atelier-model)">
                {"Import model"}
                <input type="file" accept=".safetensors,.atelier-model,application/octet-stream" data-testid="model-import" onchange={on_import} />
            </label>
            if let Some(error) = &props.import_error {
                <p class="input-error" data-testid="import-error" role="alert">{error}</p>
            }
        </div>
    }
}
