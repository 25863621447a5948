//! Saving bytes to the user's disk as a download (an exported model).

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use web_sys::{Blob, HtmlAnchorElement};

use crate::protocol::ModelChoice;

/// Offers `bytes` as a download named `name` (the file never runs: it is data for the engine).
pub fn save_file(bytes: &[u8], name: &str) {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let Ok(blob) = Blob::new_with_u8_array_sequence(&parts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(anchor) =
        gloo::utils::document().create_element("a").ok().and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
    {
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The export's file name: which model, so two exports are told apart.
pub fn model_file_name(model: ModelChoice) -> String {
    format!("atelier-{}.safetensors", model.name())
}
