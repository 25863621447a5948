//! Predictions still on the device, and the numbers they become.
//!
//! The same two stages as training's reports (`training::PendingStep`): a blocking `read()` for
//! native code, `read_async()` for the browser (a synchronous read panics on wasm WebGPU), and
//! in both cases a single [`Transaction`], one round trip however many tensors it holds.

use burn::prelude::*;
use burn::tensor::{ExecutionError, Transaction};
use serde::{Deserialize, Serialize};

use crate::data::{NUM_CLASSES, PIXELS_PER_IMAGE};

/// What the model says about one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Softmax over the ten classes; sums to 1.
    pub probabilities: [f32; NUM_CLASSES],
    /// Per pixel (row-major 28×28), how strongly it sways the top class, in [0, 1]; when asked.
    pub saliency: Option<Vec<f32>>,
}

impl Prediction {
    /// The most probable class (the lowest index on a tie).
    pub fn top_class(&self) -> usize {
        top_class(&self.probabilities)
    }
}

/// The index of the largest of `probabilities` (the lowest on a tie).
pub fn top_class(probabilities: &[f32; NUM_CLASSES]) -> usize {
    (1..NUM_CLASSES).fold(0, |best, class| if probabilities[class] > probabilities[best] { class } else { best })
}

/// A [`Prediction`] whose numbers are still on the device.
#[derive(Debug, Clone)]
pub struct PendingPrediction {
    /// `[1, 10]`
    probabilities: Tensor<2>,
    /// `[1, 784]`
    saliency: Option<Tensor<2>>,
}

impl PendingPrediction {
    pub(super) fn new(probabilities: Tensor<2>, saliency: Option<Tensor<2>>) -> Self {
        Self { probabilities, saliency }
    }

    /// Blocking read; native only (panics in a browser on WebGPU).
    pub fn read(self) -> Prediction {
        let data = self.transaction().execute();
        self.prediction(data)
    }

    pub async fn read_async(self) -> Result<Prediction, ExecutionError> {
        let data = self.transaction().execute_async().await?;
        Ok(self.prediction(data))
    }

    fn transaction(&self) -> Transaction {
        let transaction = Transaction::default().register(self.probabilities.clone());
        match &self.saliency {
            Some(saliency) => transaction.register(saliency.clone()),
            None => transaction,
        }
    }

    fn prediction(&self, data: Vec<TensorData>) -> Prediction {
        let mut data = data.into_iter();
        let probabilities = data.next().map(|d| rows(&d)).and_then(|rows| rows.into_iter().next());
        let saliency: Option<Vec<f32>> = data.next().map(|d| d.iter::<f32>().collect());
        debug_assert!(saliency.as_ref().is_none_or(|s| s.len() == PIXELS_PER_IMAGE));
        Prediction { probabilities: probabilities.unwrap_or([f32::NAN; NUM_CLASSES]), saliency }
    }
}

/// The class probabilities of many images, still on the device.
#[derive(Debug, Clone)]
pub struct PendingClassification {
    /// `[images, 10]`; `None` for no images.
    probabilities: Option<Tensor<2>>,
    images: usize,
}

impl PendingClassification {
    pub(super) fn new(probabilities: Option<Tensor<2>>, images: usize) -> Self {
        Self { probabilities, images }
    }

    pub fn images(&self) -> usize {
        self.images
    }

    /// Blocking read, one row of probabilities per image; native only.
    pub fn read(self) -> Vec<[f32; NUM_CLASSES]> {
        match &self.probabilities {
            Some(probabilities) => rows(&Transaction::default().register(probabilities.clone()).execute()[0]),
            None => Vec::new(),
        }
    }

    pub async fn read_async(self) -> Result<Vec<[f32; NUM_CLASSES]>, ExecutionError> {
        match &self.probabilities {
            Some(probabilities) => {
                let data = Transaction::default().register(probabilities.clone()).execute_async().await?;
                Ok(rows(&data[0]))
            }
            None => Ok(Vec::new()),
        }
    }
}

/// The rows of a `[n, 10]` float tensor's data.
fn rows(data: &TensorData) -> Vec<[f32; NUM_CLASSES]> {
    let values: Vec<f32> = data.iter::<f32>().collect();
    let (rows, _) = values.as_chunks::<NUM_CLASSES>();
    rows.to_vec()
}
