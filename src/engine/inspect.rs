//! The lesson's "why a CNN wins", in the classifier worker: both shipped models look at the
//! chosen picture, moved as the page asks; each answers and shows its first layer.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;

use super::classify::{Shipped, shipped_model, wait_for_backend};
use super::shared::Shared;
use crate::data::PIXELS_PER_IMAGE;
use crate::inference::{Classifier, PRETRAINED_NORMALIZATION, shifted};
use crate::protocol::{FromEngine, InspectRequest, Inspection, ModelView};

/// First-layer units drawn per model: enough to see the pattern, few enough for a projector.
pub const UNITS: usize = 8;

/// Farther than this and the garment is mostly off the picture.
const MAX_SHIFT: i32 = 8;

pub fn inspect(shared: Rc<RefCell<Shared>>, request: InspectRequest) {
    spawn_local(async move {
        let inspection = run(&shared, request).await;
        shared.borrow().send(FromEngine::Inspected(inspection));
    });
}

async fn run(shared: &Rc<RefCell<Shared>>, request: InspectRequest) -> Inspection {
    let (dx, dy) = (request.dx.clamp(-MAX_SHIFT, MAX_SHIFT), request.dy.clamp(-MAX_SHIFT, MAX_SHIFT));
    let image: Option<&[u8; PIXELS_PER_IMAGE]> = request.pixels.as_slice().try_into().ok();
    let Some(image) = image else {
        let why = format!("expected {PIXELS_PER_IMAGE} pixels, got {}", request.pixels.len());
        return Inspection { seq: request.seq, dx, dy, pixels: Vec::new(), dense: Err(why.clone()), cnn: Err(why) };
    };
    let moved = shifted(image, dx, dy);
    let dense = view(shared, Shipped::Dense, &moved).await;
    let cnn = view(shared, Shipped::Cnn, &moved).await;
    Inspection { seq: request.seq, dx, dy, pixels: moved.to_vec(), dense, cnn }
}

async fn view(
    shared: &Rc<RefCell<Shared>>,
    which: Shipped,
    image: &[u8; PIXELS_PER_IMAGE],
) -> Result<ModelView, String> {
    let backend = wait_for_backend(shared).await?;
    let model = shipped_model(shared, backend, which).await?;
    Classifier::new(&model, PRETRAINED_NORMALIZATION)
        .inspect(image, UNITS)
        .read_async()
        .await
        .map_err(|e| format!("the device could not run the model ({e})"))
}
