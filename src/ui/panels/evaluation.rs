//! How the model does on the 10,000 test images after its latest epoch: accuracy per class,
//! the confusion matrix (click a cell for its images), and the most confident mistakes.

use yew::prelude::*;

use crate::data::CLASS_NAMES;
use crate::state::SplitRef;
use crate::state::runs::{EvalRef, RunRecord};
use crate::ui::panels::confusion::{CellImages, ConfusionMatrix};
use crate::ui::panels::tiles::ProbabilityTile;

/// Images in the mistakes strip.
const MISTAKES: usize = 12;

#[derive(Properties, PartialEq)]
pub struct EvaluationPanelProps {
    /// The run whose evaluation is shown (it has one).
    pub run: Option<RunRecord>,
    pub test: Option<SplitRef>,
    pub cell: Option<(u8, u8)>,
    pub on_cell: Callback<Option<(u8, u8)>>,
}

#[component]
pub fn EvaluationPanel(props: &EvaluationPanelProps) -> Html {
    let (Some(run), Some(test)) = (&props.run, &props.test) else {
        return html! {
            <section class="card evaluation" aria-label="Evaluation">
                <div class="card-head"><h2>{"How the model does"}</h2></div>
                <p class="hint" data-testid="evaluation-empty">
                    {"After each epoch the model classifies all 10,000 test images: accuracy per class, the confusion matrix \
                      and its most confident mistakes appear here."}
                </p>
            </section>
        };
    };
    let Some((epoch, set)) = &run.evaluation else {
        return Html::default();
    };
    let accuracy = set.0.confusion.accuracy().unwrap_or(0.0);
    let worst = set.0.confusion.worst_confusion().map(|(t, p, n)| {
        format!(
            "Most common confusion: {} taken for {} ({n} images).",
            CLASS_NAMES[t as usize], CLASS_NAMES[p as usize]
        )
    });
    html! {
        <section class="card evaluation" aria-label="Evaluation" data-testid="evaluation" data-run-id={run.id.to_string()}
                 data-epoch={epoch.to_string()}>
            <div class="card-head">
                <h2>{"How the model does"}</h2>
                <span class="eval-summary">
                    {format!("{} · after epoch {epoch} of {} · test accuracy {:.2}% on {} images",
                        run.label(), run.settings.epochs, accuracy * 100.0, set.0.len())}
                </span>
            </div>
            if let Some(worst) = worst { <p class="hint">{worst}</p> }
            <div class="eval-grid">
                <ConfusionMatrix set={set.clone()} selected={props.cell} on_cell={props.on_cell.clone()} />
                <ClassAccuracy set={set.clone()} />
            </div>
            if let Some(cell) = props.cell {
                <CellImages key={format!("{}-{}-{}-{}", run.id, epoch, cell.0, cell.1)} set={set.clone()} test={test.clone()} {cell}
                            on_close={props.on_cell.reform(|_| None)} />
            }
            <Mistakes set={set.clone()} test={test.clone()} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct SetProps {
    set: EvalRef,
}

/// Recall per class as horizontal bars, weakest class marked.
#[component]
fn ClassAccuracy(props: &SetProps) -> Html {
    let per_class = props.set.0.confusion.class_accuracy();
    let weakest = per_class
        .iter()
        .enumerate()
        .filter_map(|(c, a)| a.map(|a| (c, a)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c);
    html! {
        <figure class="class-accuracy" data-testid="class-accuracy">
            <figcaption>{"Accuracy per class"}</figcaption>
            <ul>
                { for per_class.iter().enumerate().map(|(class, accuracy)| {
                    let value = accuracy.unwrap_or(0.0);
                    html! {
                        <li data-testid="class-accuracy-item" data-class={class.to_string()}
                            data-accuracy={accuracy.map(|a| a.to_string()).unwrap_or_default()}
                            class={classes!((weakest == Some(class)).then_some("weakest"))}>
                            <span class="ca-name">{CLASS_NAMES[class]}</span>
                            <span class="ca-track"><span class="ca-fill" style={format!("width: {:.1}%", value * 100.0)} /></span>
                            <span class="ca-value">{accuracy.map(|a| format!("{:.1}%", a * 100.0)).unwrap_or_else(|| "—".into())}</span>
                        </li>
                    }
                }) }
            </ul>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
struct MistakesProps {
    set: EvalRef,
    test: SplitRef,
}

/// The strip follows the evaluation one task later: an epoch's new results re-render the
/// matrix and the bars in one task and create the twelve tiles (canvases, 120 bars) in the
/// next, so neither task nears 50 ms at an epoch's end.
#[component]
fn Mistakes(props: &MistakesProps) -> Html {
    let shown = use_state_eq(|| None::<EvalRef>);
    {
        let shown = shown.clone();
        use_effect_with(props.set.clone(), move |set| {
            let set = set.clone();
            let timeout = gloo::timers::callback::Timeout::new(0, move || shown.set(Some(set)));
            move || drop(timeout)
        });
    }
    let Some(shown) = (*shown).clone() else {
        return html! { <section class="mistakes pending" aria-busy="true"><h3>{"Most confident mistakes"}</h3></section> };
    };
    let set = &shown.0;
    let mistakes = set.confident_mistakes(MISTAKES);
    html! {
        <section class="mistakes" data-testid="confident-mistakes" data-count={mistakes.len().to_string()}>
            <h3>{"Most confident mistakes"}</h3>
            if mistakes.is_empty() {
                <p class="hint">{"No mistakes on the test set."}</p>
            } else {
                // Scrolls sideways: focusable, so a keyboard can scroll it too.
                <div class="tile-strip" tabindex="0" role="region" aria-label="Most confident mistakes, scrollable">
                    { for mistakes.iter().map(|&i| html! {
                        <ProbabilityTile key={i} split={props.test.clone()} index={i} probabilities={set.probabilities[i]}
                                         truth={set.labels[i]} testid="mistake" />
                    }) }
                </div>
            }
        </section>
    }
}
