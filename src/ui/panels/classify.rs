//! "What does the model think?": draw or upload a garment, see the 28×28 image the model gets,
//! its ten probabilities live, and which pixels drove the answer.

use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, DragEvent, File, HtmlInputElement, HtmlSelectElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::data::CLASS_NAMES;
use crate::metrics::predicted_class;
use crate::preprocess::{PreprocessError, RgbaImage, preprocess};
use crate::protocol::{ClassifierChoice, ClassifyRequest, PretrainedModel, ToEngine};
use crate::state::Action;
use crate::state::picture::ClassifyView;
use crate::ui::panels::draw::{BaseImage, DrawCanvas};
use crate::ui::panels::model_files::ModelFiles;
use crate::ui::panels::pixels::{GreyImage, SaliencyImage};
use crate::ui::services::input_image::{InputImage, decode, now_ms};

#[derive(Properties, PartialEq)]
pub struct ClassifyPanelProps {
    pub view: ClassifyView,
    /// Why the last imported model file was refused.
    pub import_error: Option<String>,
    pub dispatch: Callback<Action>,
    pub on_command: Callback<ToEngine>,
    /// A run is training: its weights can be asked for ("your run in progress").
    pub run_active: bool,
    /// The run holds its steps while the user draws (said beside the answer's latency).
    pub run_holding: bool,
}

/// Preprocesses `image` and asks the engine; a blank image clears the prediction instead.
fn classify(
    image: Option<InputImage>,
    seq: &std::cell::Cell<u64>,
    model: ClassifierChoice,
    dispatch: &Callback<Action>,
    on_command: &Callback<ToEngine>,
) {
    let Some(image) = image else {
        return dispatch.emit(Action::ClassifyCleared);
    };
    let result =
        RgbaImage::new(image.width as usize, image.height as usize, &image.rgba).and_then(|rgba| preprocess(&rgba));
    match result {
        Ok(pixels) => {
            seq.set(seq.get() + 1);
            let pixels = Rc::new(pixels.to_vec());
            dispatch.emit(Action::ClassifyRequested { seq: seq.get(), pixels: pixels.clone() });
            let request = ClassifyRequest { seq: seq.get(), pixels: pixels.to_vec(), model, input_at: image.input_at };
            on_command.emit(ToEngine::Classify(request));
        }
        Err(PreprocessError::Empty) => dispatch.emit(Action::ClassifyCleared),
        Err(other) => dispatch.emit(Action::InputFailed(format!("This image cannot be classified: {other}."))),
    }
}

/// The callbacks a document-level paste listener needs, refreshed every render.
type Latest =
    Rc<std::cell::RefCell<Option<(UseStateHandle<Option<BaseImage>>, Callback<Option<InputImage>>, Callback<String>)>>>;

#[component]
pub fn ClassifyPanel(props: &ClassifyPanelProps) -> Html {
    let seq = use_memo((), |_| std::cell::Cell::new(0u64));
    let base = use_state(|| None::<BaseImage>);
    let dragging = use_state(|| false);
    let last_image = use_mut_ref(|| None::<InputImage>);
    let view = &props.view;

    let on_image = {
        let (seq, last_image, dispatch, on_command, model) =
            (seq.clone(), last_image.clone(), props.dispatch.clone(), props.on_command.clone(), view.model);
        Callback::from(move |image: Option<InputImage>| {
            *last_image.borrow_mut() = image.clone();
            // The user's own input (a stroke, an upload): a run on the CPU's cores holds for it.
            if image.is_some() {
                on_command.emit(ToEngine::Drawing);
            }
            classify(image, &seq, model, &dispatch, &on_command);
        })
    };
    let reclassify = {
        let (seq, last_image, dispatch, on_command) =
            (seq.clone(), last_image.clone(), props.dispatch.clone(), props.on_command.clone());
        Callback::from(move |model: ClassifierChoice| {
            let image = last_image.borrow().clone().map(|i| InputImage { input_at: now_ms(), ..i });
            if image.is_some() {
                classify(image, &seq, model, &dispatch, &on_command);
            }
        })
    };
    // Newer weights of the run being shown: answer the same drawing again with them.
    {
        let (reclassify, model) = (reclassify.clone(), view.model);
        use_effect_with(view.weights, move |weights| {
            if *weights > 0 && model == ClassifierChoice::LastRun {
                reclassify.emit(model);
            }
        });
    }
    let on_error = props.dispatch.reform(Action::InputFailed);
    let latest: Latest = use_mut_ref(|| None);
    *latest.borrow_mut() = Some((base.clone(), on_image.clone(), on_error.clone()));
    {
        let latest = latest.clone();
        use_effect_with((), move |_| {
            let document = gloo::utils::document();
            let listener = EventListener::new(&document, "paste", move |event| {
                let Some(event) = event.dyn_ref::<ClipboardEvent>() else {
                    return;
                };
                if let (Some(file), Some((base, on_image, on_error))) =
                    (first_file(event.clipboard_data().and_then(|d| d.files())), latest.borrow().clone())
                {
                    load_file(file, base, on_image, on_error);
                }
            });
            move || drop(listener)
        });
    }
    let on_file = {
        let (base, on_image, on_error) = (base.clone(), on_image.clone(), on_error.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            if let Some(file) = first_file(input.files()) {
                load_file(file, base.clone(), on_image.clone(), on_error.clone());
            }
            input.set_value("");
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let (base, on_image, on_error, dragging) = (base.clone(), on_image.clone(), on_error.clone(), dragging.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            match first_file(e.data_transfer().and_then(|d| d.files())) {
                Some(file) => load_file(file, base.clone(), on_image.clone(), on_error.clone()),
                None => on_error.emit("Only files can be dropped here: drop a picture file.".into()),
            }
        })
    };
    let saliency = view.answer.as_ref().filter(|a| a.saliency.len() == 784).map(|a| Rc::new(a.saliency.clone()));
    html! {
        <section class={classes!("card", "classify-card", (*dragging).then_some("dragging"))} aria-label="Classify a drawing or a picture"
                 {ondragover} {ondragleave} {ondrop}>
            <div class="card-head">
                <h2>{"What does the model think?"}</h2>
                { model_select(view, props.run_active, &props.dispatch, &props.on_command, reclassify) }
            </div>
            <ModelFiles can_export={view.last_run.is_some()} import_error={props.import_error.clone()}
                        on_command={props.on_command.clone()} dispatch={props.dispatch.clone()} />
            <div class="classify-grid">
                <div class="input-col">
                    <DrawCanvas on_change={on_image} base={(*base).clone()} />
                    <div class="upload-row">
                        <label class="button upload-button">
                            {"Upload a picture"}
                            <input type="file" accept="image/*" data-testid="upload-input" onchange={on_file} />
                        </label>
                        <span class="hint">{"or drop or paste one here (PNG, JPEG, WebP, GIF, BMP)"}</span>
                    </div>
                    if let Some(error) = &view.error {
                        <p class="input-error" data-testid="input-error" role="alert">{error}</p>
                    }
                </div>
                <div class="seen-col">
                    <figure class="seen">
                        <h3>{"What the model sees (28 × 28)"}</h3>
                        if let Some(input) = &view.input {
                            <GreyImage pixels={input.clone()} class="large" testid="model-input-preview" />
                        } else {
                            <div class="pixels large placeholder-square">{"28 × 28"}</div>
                        }
                    </figure>
                    <figure class="seen">
                        <h3>{"Why: the pixels that drove the answer"}</h3>
                        if let (Some(input), Some(saliency)) = (&view.input, saliency) {
                            <SaliencyImage input={input.clone()} {saliency} />
                        } else {
                            <div class="pixels large placeholder-square">{"saliency"}</div>
                        }
                    </figure>
                </div>
                <Probabilities view={view.clone()} run_holding={props.run_holding} />
            </div>
        </section>
    }
}

/// The upload's outcome, shared by the file picker, drag-and-drop and paste.
fn load_file(
    file: File,
    base: UseStateHandle<Option<BaseImage>>,
    on_image: Callback<Option<InputImage>>,
    on_error: Callback<String>,
) {
    let input_at = now_ms();
    spawn_local(async move {
        match decode(&file, input_at).await {
            Ok(decoded) => {
                let id = base.as_ref().map_or(1, |b| b.id + 1);
                base.set(Some(BaseImage { id, bitmap: decoded.bitmap }));
                on_image.emit(Some(decoded.image));
            }
            Err(message) => on_error.emit(message),
        }
    });
}

fn first_file(files: Option<web_sys::FileList>) -> Option<File> {
    files.and_then(|f| f.get(0))
}

#[derive(Properties, PartialEq)]
struct ProbabilitiesProps {
    view: ClassifyView,
    run_holding: bool,
}

/// Ten labelled bars, the top class highlighted.
#[component]
fn Probabilities(props: &ProbabilitiesProps) -> Html {
    let view = &props.view;
    let Some(answer) = view.answer.as_ref().filter(|_| view.input.is_some()) else {
        return html! {
            <div class="probabilities empty" data-testid="prediction" data-seq={view.answers.to_string()}>
                <p class="hint">{"Draw a garment or drop a picture: the model's answer appears here as you draw."}</p>
            </div>
        };
    };
    let probabilities: [f32; 10] = answer.probabilities.as_slice().try_into().unwrap_or([0.0; 10]);
    let top = predicted_class(&probabilities);
    html! {
        <div class="probabilities" data-testid="prediction" data-class={top.to_string()} data-prob={probabilities[top as usize].to_string()}
             data-seq={view.answers.to_string()} data-latency-ms={view.latency_ms.map(|l| format!("{l:.2}")).unwrap_or_default()}
             data-backend={answer.backend.name()} data-model={answer.model.name()}
             data-current={(answer.seq == view.latest).to_string()}>
            <p class="verdict">
                <span class="verdict-class">{CLASS_NAMES[top as usize]}</span>
                <span class="verdict-prob">{format!("{:.1}%", probabilities[top as usize] * 100.0)}</span>
            </p>
            <ul class="prob-bars">
                { for probabilities.iter().enumerate().map(|(class, &p)| html! {
                    <li data-testid="prob-bar" data-class={class.to_string()} data-prob={p.to_string()}
                        class={classes!((class == top as usize).then_some("top"))}>
                        <span class="pb-name">{CLASS_NAMES[class]}</span>
                        <span class="pb-track"><span class="pb-fill" style={format!("width: {:.1}%", p * 100.0)} /></span>
                        <span class="pb-value">{format!("{:.1}%", p * 100.0)}</span>
                    </li>
                }) }
            </ul>
            <p class="hint latency">
                {format!("Answered on {} in {}", if answer.backend.name() == "webgpu" { "WebGPU" } else { "the CPU" },
                    view.latency_ms.map(|l| format!("{l:.0} ms")).unwrap_or_default())}
                if props.run_holding {
                    <span data-testid="training-held">{" · training waits while you draw"}</span>
                }
            </p>
            if let Some(report) = &view.backend {
                <p class="hint classify-backend" data-testid="classify-backend" data-value={report.kind.name()}
                   data-choice={report.choice.name()}>{&report.detail}</p>
            }
        </div>
    }
}

fn model_select(
    view: &ClassifyView,
    run_active: bool,
    dispatch: &Callback<Action>,
    on_command: &Callback<ToEngine>,
    reclassify: Callback<ClassifierChoice>,
) -> Html {
    let pretrained_label = match &view.pretrained {
        None => "Pre-trained Atelier CNN (loading…)".to_string(),
        Some(Ok(PretrainedModel { model, test_accuracy: Some(accuracy) })) => {
            format!("Pre-trained {} ({:.1}% test accuracy)", model.title(), accuracy * 100.0)
        }
        Some(Ok(PretrainedModel { model, test_accuracy: None })) => format!("Pre-trained {}", model.title()),
        Some(Err(_)) => "Pre-trained Atelier CNN (unavailable)".to_string(),
    };
    let pretrained_state = match &view.pretrained {
        None => "loading",
        Some(Ok(_)) => "ready",
        Some(Err(_)) => "error",
    };
    let last_label = match (view.last_run, run_active) {
        (_, true) => "Your run in progress (its latest weights)".to_string(),
        (Some(model), false) => format!("Your last run ({})", model.title()),
        (None, false) => "Your last run (train one first)".to_string(),
    };
    let (dispatch, on_command) = (dispatch.clone(), on_command.clone());
    let onchange = Callback::from(move |e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        let choice = if value == ClassifierChoice::LastRun.name() {
            ClassifierChoice::LastRun
        } else {
            ClassifierChoice::Pretrained
        };
        dispatch.emit(Action::ChooseClassifier(choice));
        if choice == ClassifierChoice::LastRun && run_active {
            // The trainer sends its current weights; the drawing is answered again when they arrive.
            on_command.emit(ToEngine::Snapshot);
        }
        reclassify.emit(choice);
    });
    html! {
        <label class="field">
            <span>{"Classify with"}</span>
            <select data-testid="classify-model-select" {onchange} data-pretrained={pretrained_state}
                    data-backend={view.backend.as_ref().map(|b| b.kind.name()).unwrap_or_default()}
                    data-backend-choice={view.backend.as_ref().map(|b| b.choice.name()).unwrap_or_default()}>
                <option value="pretrained" selected={view.model == ClassifierChoice::Pretrained}>{pretrained_label}</option>
                <option value="last-run" selected={view.model == ClassifierChoice::LastRun} disabled={view.last_run.is_none() && !run_active}>{last_label}</option>
            </select>
        </label>
    }
}
