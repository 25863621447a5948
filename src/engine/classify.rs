//! Classifying the page's drawings and uploads in the worker, with the shipped pre-trained model
//! or the weights of the last run, on whichever backend the engine uses.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;

use super::shared::{Shared, ensure_data, now};
use crate::data::PIXELS_PER_IMAGE;
use crate::inference::{Classifier, PRETRAINED_MODEL, PRETRAINED_NORMALIZATION, shipped_file};
use crate::metrics::predicted_class;
use crate::model::{Model, ModelChoice};
use crate::protocol::{
    BackendKind, Classification, ClassifierChoice, ClassifierStatus, ClassifyRequest, FromEngine, InferenceFigures,
    PretrainedModel,
};
use crate::training::{ModelFile, Normalization};
use crate::web::fetch_bytes;

/// The shipped model: its file once downloaded and checked (parsed once), and the model built
/// from it for the backend in use (rebuilt when the backend changes, e.g. after a lost GPU).
#[derive(Default)]
pub struct Pretrained {
    pub file: Option<Result<Rc<ModelFile>, String>>,
    pub model: Option<(BackendKind, Model)>,
}

/// Which shipped model: the CNN that classifies before any training, or the dense network the
/// lesson sets beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shipped {
    Cnn,
    Dense,
}

impl Shipped {
    fn model(self) -> ModelChoice {
        match self {
            Self::Cnn => PRETRAINED_MODEL,
            Self::Dense => ModelChoice::Dense,
        }
    }

    fn slot(self, shared: &mut Shared) -> &mut Pretrained {
        match self {
            Self::Cnn => &mut shared.pretrained,
            Self::Dense => &mut shared.dense,
        }
    }
}

/// Downloads and checks a shipped model file; of the CNN, tells the page what it is and how it
/// scored.
pub fn fetch_shipped(shared: Rc<RefCell<Shared>>, url: String, which: Shipped) {
    spawn_local(async move {
        let result = async {
            let bytes = fetch_bytes(&url).await.map_err(|e| format!("the pre-trained model did not download: {e}"))?;
            let file = shipped_file(&bytes, which.model())
                .map_err(|e| format!("the pre-trained model cannot be used: {e}"))?;
            let described = PretrainedModel { model: file.kind(), test_accuracy: file.test_accuracy };
            Ok((Rc::new(file), described))
        }
        .await;
        let status = ClassifierStatus::Pretrained(result.as_ref().map(|(_, model)| *model).map_err(Clone::clone));
        let mut s = shared.borrow_mut();
        which.slot(&mut s).file = Some(result.map(|(file, _)| file));
        if which == Shipped::Cnn {
            s.send(FromEngine::Classifier(status));
        }
    });
}

/// Answers one request; failures become `ClassifyFailed` with a message for the page.
pub fn classify(shared: Rc<RefCell<Shared>>, request: ClassifyRequest) {
    spawn_local(async move {
        let answer = match run(&shared, &request).await {
            Ok(classification) => FromEngine::Classified(classification),
            Err(message) => FromEngine::ClassifyFailed { seq: request.seq, message },
        };
        shared.borrow().send(answer);
    });
}

async fn run(shared: &Rc<RefCell<Shared>>, request: &ClassifyRequest) -> Result<Classification, String> {
    let pixels: &[u8; PIXELS_PER_IMAGE] = request
        .pixels
        .as_slice()
        .try_into()
        .map_err(|_| format!("expected {PIXELS_PER_IMAGE} pixels, got {}", request.pixels.len()))?;
    let backend = wait_for_backend(shared).await?;
    let (model, normalization) = match request.model {
        ClassifierChoice::Pretrained => (pretrained_model(shared, backend).await?, PRETRAINED_NORMALIZATION),
        ClassifierChoice::LastRun => {
            // A model file the page just sent (an epoch's weights, an import) comes first.
            while shared.borrow().importing > 0 {
                gloo_timers::future::TimeoutFuture::new(10).await;
            }
            let s = shared.borrow();
            let model = s.model.clone().ok_or(
                "No trained weights yet: a run's weights arrive after its first epoch, at Pause and when it ends. Pick the pre-trained model meanwhile.",
            )?;
            (model, s.last_normalization.unwrap_or(Normalization::Standard))
        }
    };
    let prediction = Classifier::new(&model, normalization)
        .predict_with_saliency(pixels)
        .read_async()
        .await
        .map_err(|e| format!("the device could not classify the image ({e})"))?;
    Ok(Classification {
        seq: request.seq,
        model: request.model,
        input_at: request.input_at,
        probabilities: prediction.probabilities.to_vec(),
        saliency: prediction.saliency.unwrap_or_default(),
        backend,
    })
}

/// Classifies the whole test set with the pre-trained model, timed (reading the answers back
/// included), for the benchmark.
pub fn measure_inference(shared: Rc<RefCell<Shared>>) {
    spawn_local(async move {
        let result = async {
            let backend = wait_for_backend(&shared).await?;
            let model = pretrained_model(&shared, backend).await?;
            let test = ensure_data(&shared).await?.test.ok_or("no test images")?;
            let images: Vec<[u8; PIXELS_PER_IMAGE]> =
                (0..test.len()).map(|i| test.image(i).try_into().expect("784 pixels")).collect();
            let start = now();
            let probabilities = Classifier::new(&model, PRETRAINED_NORMALIZATION)
                .classify(&images)
                .read_async()
                .await
                .map_err(|e| format!("the device failed ({e})"))?;
            let seconds = now() - start;
            let correct = probabilities.iter().zip(test.labels()).filter(|(p, l)| predicted_class(p) == **l).count();
            Ok(InferenceFigures {
                images: images.len(),
                seconds,
                accuracy: correct as f32 / images.len().max(1) as f32,
                backend,
            })
        }
        .await;
        shared.borrow().send(FromEngine::InferenceMeasured(result));
    });
}

/// The engine picks its backend asynchronously at start; a classification may come first.
pub(super) async fn wait_for_backend(shared: &Rc<RefCell<Shared>>) -> Result<BackendKind, String> {
    for _ in 0..1200 {
        if let Some(backend) = shared.borrow().backend.as_ref() {
            return Ok(backend.kind);
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    Err("the engine did not start".into())
}

/// The shipped CNN's file, once downloaded and checked.
pub(super) async fn pretrained_file_ready(shared: &Rc<RefCell<Shared>>) -> Result<Rc<ModelFile>, String> {
    shipped_file_ready(shared, Shipped::Cnn).await
}

async fn shipped_file_ready(shared: &Rc<RefCell<Shared>>, which: Shipped) -> Result<Rc<ModelFile>, String> {
    loop {
        match &which.slot(&mut shared.borrow_mut()).file {
            Some(Ok(file)) => return Ok(file.clone()),
            Some(Err(message)) => return Err(message.clone()),
            None => {}
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
}

async fn pretrained_model(shared: &Rc<RefCell<Shared>>, backend: BackendKind) -> Result<Model, String> {
    shipped_model(shared, backend, Shipped::Cnn).await
}

/// A shipped model built for `backend` (once per backend).
pub(super) async fn shipped_model(
    shared: &Rc<RefCell<Shared>>,
    backend: BackendKind,
    which: Shipped,
) -> Result<Model, String> {
    let file = shipped_file_ready(shared, which).await?;
    let mut s = shared.borrow_mut();
    if let Some((kind, model)) = &which.slot(&mut s).model
        && *kind == backend
    {
        return Ok(model.clone());
    }
    let device = s.backend.as_ref().ok_or("no backend")?.device.clone();
    let model = file.load(&device).map_err(|e| format!("the pre-trained model could not be loaded: {e}"))?;
    which.slot(&mut s).model = Some((backend, model.clone()));
    Ok(model)
}
