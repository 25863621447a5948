//! A test image with the model's ten probabilities under it, as a tiny bar chart.

use yew::prelude::*;

use crate::data::CLASS_NAMES;
use crate::metrics::{Probabilities, predicted_class};
use crate::state::SplitRef;
use crate::ui::panels::pixels::PixelImage;

#[derive(Properties, PartialEq)]
pub struct ProbabilityTileProps {
    pub split: SplitRef,
    pub index: usize,
    pub probabilities: Probabilities,
    /// The true class.
    pub truth: u8,
    pub testid: AttrValue,
}

#[component]
pub fn ProbabilityTile(props: &ProbabilityTileProps) -> Html {
    let p = &props.probabilities;
    let predicted = predicted_class(p);
    let confidence = p[predicted as usize];
    let bars = p.iter().enumerate().map(|(class, &value)| {
        let kind = if class == predicted as usize && predicted != props.truth {
            "wrong"
        } else if class == props.truth as usize {
            "truth"
        } else {
            "other"
        };
        let height = (value * 100.0).clamp(0.0, 100.0);
        html! {
            <span class={classes!("mini-bar", kind)} style={format!("height: {height:.1}%")}
                  title={format!("{} {:.1}%", CLASS_NAMES[class], value * 100.0)} />
        }
    });
    let caption = if predicted == props.truth {
        format!("{} {:.0}%", CLASS_NAMES[predicted as usize], confidence * 100.0)
    } else {
        format!(
            "{} {:.0}% · is {} {:.0}%",
            CLASS_NAMES[predicted as usize],
            confidence * 100.0,
            CLASS_NAMES[props.truth as usize],
            p[props.truth as usize] * 100.0
        )
    };
    html! {
        <figure class="prob-tile" data-testid={props.testid.clone()} data-index={props.index.to_string()}
                data-true={props.truth.to_string()} data-pred={predicted.to_string()} data-prob={confidence.to_string()}
                title={format!("Test image #{}", props.index)}>
            <PixelImage split={props.split.clone()} index={props.index} />
            <div class="mini-bars" aria-hidden="true">{ for bars }</div>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}
