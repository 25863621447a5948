//! What is saved and how large, and deleting it.

use yew::prelude::*;

use crate::state::Action;
use crate::state::saved::StorageView;
use crate::ui::services::persistence;

fn megabytes(bytes: f64) -> String {
    if bytes >= 1e9 { format!("{:.1} GB", bytes / 1e9) } else { format!("{:.1} MB", bytes / 1e6) }
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
    let (kept, kept_title) = match props.storage.persisted {
        Some(true) => ("kept until you delete it", "The browser has granted persistent storage for this site."),
        Some(false) => (
            "the browser may clear it when space runs low",
            "Best-effort storage: export a model you want to keep. Atelier asks for persistent storage once a run has a checkpoint.",
        ),
        None => ("", ""),
    };
    let on_clear = {
        let (confirming, dispatch) = (confirming.clone(), props.dispatch.clone());
        Callback::from(move |_| {
            if !*confirming {
                return confirming.set(true);
            }
            confirming.set(false);
            let dispatch = dispatch.clone();
            persistence::clear(move |a| dispatch.emit(a));
        })
    };
    html! {
        <div class="storage">
            <span data-testid="storage-usage" data-used={props.storage.usage.map(|u| u.0.to_string()).unwrap_or_default()}>{usage}</span>
            if props.storage.persisted.is_some() {
                <span class="storage-kept" data-testid="storage-persisted" title={kept_title}
                      data-value={props.storage.persisted.map(|p| p.to_string()).unwrap_or_default()}>{format!("· {kept}")}</span>
            }
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
