//! The lesson's runs trained natively, for the recorded-runs file the page ships
//! (`state::recorded`; `train --record GROUP --record-json static/lesson/recorded.json`).

use burn::prelude::Device;

use super::{TrainError, Trainer, TrainingConfig, TrainingData};
use crate::protocol::{EpochReport, RunSettings};
use crate::state::recorded::{KEPT_STEPS, RecordedRun, thinned};

/// Trains `settings` to its end on `data` (every step read back, for the curve), telling
/// `on_epoch` each epoch's figures; the run as recorded for `group`.
pub fn record_run(
    group: &str,
    settings: &RunSettings,
    data: TrainingData,
    device: &Device,
    mut on_epoch: impl FnMut(&EpochReport),
) -> Result<RecordedRun, TrainError> {
    let mut trainer = Trainer::new(TrainingConfig::from(settings), data, device)?;
    let (mut steps, mut epochs) = (Vec::new(), Vec::new());
    while !trainer.is_finished() {
        while let Some(pending) = trainer.step() {
            steps.push(pending.read());
        }
        let epoch = trainer.end_epoch().read();
        on_epoch(&epoch);
        epochs.push(epoch);
    }
    Ok(RecordedRun { group: group.to_string(), settings: settings.clone(), steps: thinned(steps, KEPT_STEPS), epochs })
}
