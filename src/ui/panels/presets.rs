//! The preset buttons (the presets themselves: `state::presets`).

use yew::prelude::*;

use crate::protocol::RunSettings;
use crate::state::presets::PRESETS;

#[derive(Properties, PartialEq)]
pub struct PresetsProps {
    pub disabled: bool,
    pub on_preset: Callback<Vec<RunSettings>>,
}

#[component]
pub fn Presets(props: &PresetsProps) -> Html {
    html! {
        <div class="presets">
            { for PRESETS.iter().map(|preset| {
                let runs = preset.runs;
                let onclick = props.on_preset.reform(move |_| runs());
                html! {
                    <div class="preset">
                        <button class="button" data-testid={format!("preset-{}", preset.id)} disabled={props.disabled} {onclick}>
                            {format!("Run “{}”", preset.title)}
                        </button>
                        <p class="preset-detail">{preset.description}</p>
                    </div>
                }
            }) }
        </div>
    }
}
