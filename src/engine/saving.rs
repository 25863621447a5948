//! Checkpoints and model files in the worker: stored in the browser's database after every
//! epoch and when a run stops (the page is told; the classifier gets the weights over
//! `weights`), and taken back to resume a run or to classify with an exported model. Bytes from the page are validated here before anything is replaced.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use wasm_bindgen_futures::spawn_local;

use super::classify::wait_for_backend;
use super::shared::Shared;
use crate::protocol::{ClassifierStatus, FromEngine};
use crate::training::{Checkpoint, ModelFile, Trainer, TrainingData};

/// Reads the trainer's state and weights (without blocking: this runs on WebGPU too), stores
/// them in the browser's database (`web::store`: the checkpoint, and its weights as the latest
/// model file) and tells the page whether that worked. A failed read (e.g. a lost GPU) sends
/// nothing: the previous checkpoint stays the one to resume from. `test_accuracy` is these very
/// weights' (at an epoch's end), recorded in the model file; weights taken mid-epoch have none.
pub async fn send_checkpoint(shared: &Rc<RefCell<Shared>>, trainer: &Trainer, run: u32, test_accuracy: Option<f32>) {
    let (epoch, global_step) = (trainer.epochs_done(), trainer.global_step());
    let Ok(checkpoint) = trainer.checkpoint().read_async().await else {
        return;
    };
    // The worker's memory never shrinks, so the most this needs at once becomes its high-water
    // mark for good: the previous model file goes first, then the checkpoint's bytes are made
    // (and copied out to be stored), then the model file from the checkpoint's own weights once
    // its optimizer state is gone. Every checkpoint then needs what the first one needed (the
    // benchmark's memory section). Nothing waits in between, so no message finds no model file.
    shared.borrow_mut().last_model_file = None;
    let bytes = checkpoint.to_bytes();
    let model_file = checkpoint.into_model_file().with_test_accuracy(test_accuracy).to_bytes();
    let storing = crate::web::store::save_checkpoint(run, global_step, bytes, &model_file);
    if let Some(channel) = &shared.borrow().weights {
        channel.publish(&model_file);
    }
    shared.borrow_mut().last_model_file = Some(model_file);
    let stored = storing.await;
    shared.borrow().send(FromEngine::Checkpoint { run, epoch, global_step, stored });
}

/// A trainer that continues where `bytes` (a checkpoint from [`send_checkpoint`]) left off.
pub fn resume_trainer(bytes: &[u8], data: TrainingData, device: &Device) -> Result<Trainer, String> {
    let checkpoint = Checkpoint::from_bytes(bytes).map_err(|e| format!("the saved checkpoint cannot be used: {e}"))?;
    Trainer::resume(checkpoint, data, device).map_err(|e| format!("the run cannot be resumed: {e}"))
}

/// Sends the last run's (or the imported) model file for download.
pub fn export_model(shared: &Rc<RefCell<Shared>>) {
    let s = shared.borrow();
    match s.last_model_file.as_ref().map(|bytes| (ModelFile::from_bytes(bytes), bytes)) {
        Some((Ok(file), bytes)) => s.send(FromEngine::ModelFile { model: file.kind(), bytes: bytes.clone() }),
        _ => s.send(FromEngine::Refused(
            "There is no trained model to export yet: train one or import one first.".into(),
        )),
    }
}

/// Checks `bytes` as a model file and, only if it loads, makes it the model that "last run"
/// classifies with.
pub fn import_model(shared: Rc<RefCell<Shared>>, bytes: Vec<u8>, quiet: bool) {
    shared.borrow_mut().importing += 1;
    spawn_local(async move {
        let result = async {
            wait_for_backend(&shared).await?;
            let file = ModelFile::from_bytes(&bytes).map_err(|e| e.to_string())?;
            let device = shared.borrow().backend.as_ref().ok_or("no backend")?.device.clone();
            let model = file.load(&device).map_err(|e| e.to_string())?;
            Ok::<_, String>((file, model))
        }
        .await;
        let mut s = shared.borrow_mut();
        s.importing -= 1;
        match result {
            Ok((file, model)) => {
                let kind = file.kind();
                s.model = Some(model);
                s.last_normalization = Some(file.normalization);
                s.last_model_file = Some(bytes);
                s.send(FromEngine::Classifier(ClassifierStatus::LastRun(kind)));
                s.send(FromEngine::ModelImported { result: Ok(kind), quiet });
            }
            Err(message) => s.send(FromEngine::ModelImported { result: Err(message), quiet }),
        }
    });
}
