//! The stepping loop of a run, with the step losses read back in the background.
//!
//! Awaiting each step's loss before encoding the next would leave the GPU idle during every
//! round trip. Instead a read is started (as its own task) and the loop goes on to the next
//! step; at most [`MAX_READS_IN_FLIGHT`] reads are outstanding, so a slow device still
//! applies back-pressure. With `readback_every` > 1 only every N-th step is read at all.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::prelude::Device;
use wasm_bindgen_futures::spawn_local;

use super::convert::engine_memory;
use super::replicas::{Replicas, evaluation_parts, share_evaluation, step};
use super::shared::{FLUSH_SECONDS, Shared, now, yield_to_events, yield_to_tasks};
use crate::metrics::Pace;
use crate::protocol::{FromEngine, TestPredictions};
use crate::protocol::{RunEvent, RunState};
use crate::training::{PendingStep, StepReport, Trainer};

/// Enough to overlap one step's read with the next step's work, few enough to stay live.
const MAX_READS_IN_FLIGHT: usize = 2;

/// How long the loop steps before it yields to the worker's event loop: messages from the page
/// (pause, classify) wait at most about a frame, and a fast model does not pay a task switch
/// after every step (a Dense step on the CPU takes about 2 ms).
const YIELD_SECONDS: f64 = 0.015;

/// Why a run ends before its last step, other than the user's Stop.
pub(super) enum Halt {
    /// The device failed: nothing more can be read from it; the last checkpoint stays.
    Device(String),
    /// The loss stopped being a number: the weights are ruined, so nothing of them is kept
    /// beyond the last finite checkpoint.
    Diverged(String),
}

impl From<String> for Halt {
    fn from(message: String) -> Self {
        Self::Device(message)
    }
}

/// Step reads started and not yet awaited by the loop.
#[derive(Default)]
struct Reads {
    in_flight: Cell<usize>,
    done: RefCell<Vec<Result<StepReport, String>>>,
}

impl Reads {
    fn start(self: &Rc<Self>, pending: PendingStep) {
        self.in_flight.set(self.in_flight.get() + 1);
        let reads = self.clone();
        spawn_local(async move {
            let result = pending.read_async().await.map_err(|e| e.to_string());
            reads.done.borrow_mut().push(result);
            reads.in_flight.set(reads.in_flight.get() - 1);
        });
    }

    /// Waits until at most `limit` reads are outstanding.
    async fn settle(&self, limit: usize) {
        if self.in_flight.get() > limit {
            yield_to_tasks().await;
        }
        while self.in_flight.get() > limit {
            yield_to_events(0).await;
        }
    }

    /// Finished reads in step order, or the first device error.
    fn take(&self) -> Result<Vec<StepReport>, String> {
        let mut reports = std::mem::take(&mut *self.done.borrow_mut()).into_iter().collect::<Result<Vec<_>, _>>()?;
        reports.sort_by_key(|r| r.info.global_step);
        Ok(reports)
    }
}

/// Steps until the run finishes or is stopped; why, when it ends otherwise. `ids`: the engine's
/// serial for this loop (a newer one supersedes it) and the page's id for the run (on every
/// report it sends).
pub(super) async fn train(
    shared: &Rc<RefCell<Shared>>,
    trainer: &mut Trainer,
    replicas: &mut Option<Replicas>,
    device: &Device,
    ids: (u64, u32),
    readback_every: usize,
) -> Result<(), Halt> {
    let (run_id, run) = ids;
    let reads = Rc::new(Reads::default());
    let every = readback_every.max(1);
    let mut buffer: Vec<StepReport> = Vec::new();
    let mut last_flush = now();
    let mut announced = false;
    let mut pause_announced = false;
    // The page was told that the run holds its steps while the user draws.
    let mut holding = false;
    let mut last_yield = now();
    let mut pace = Pace::new(now());
    // When the last checkpoint was taken (epoch end, Pause, or within the epoch).
    let mut checkpointed_at = now();
    let learning_rate = trainer.config().learning_rate;
    let mut collect = |buffer: &mut Vec<StepReport>, pace: &mut Pace| -> Result<(), Halt> {
        let mut reports = reads.take().map_err(|e| device_failure("training", &e))?;
        // The curve keeps its last finite point; the message names the first step that was not.
        if let Some(at) = reports.iter().position(|r| !r.loss.is_finite()) {
            let diverged = reports[at];
            buffer.extend(reports.drain(..at));
            return Err(Halt::Diverged(divergence(&diverged, learning_rate)));
        }
        if !reports.is_empty() && !announced {
            announced = true;
            shared.borrow().send_phase();
        }
        // The page shows wall-clock throughput and time left, not the trainer's call timings.
        if let Some(last) = reports.last().map(|r| r.info)
            && let Some((rate, left)) = pace.done(now(), last.global_step, last.batch_size, last.total_steps)
        {
            reports.iter_mut().for_each(|r| (r.info.images_per_second, r.info.eta_seconds) = (rate, left));
        }
        buffer.extend(reports);
        Ok(())
    };
    let result = loop {
        if shared.borrow().run_id != run_id {
            break Ok(());
        }
        let state = shared.borrow().state.clone();
        match state {
            RunState::Running => pause_announced = false,
            RunState::Paused => {
                // The page's Paused ends the hold it showed.
                holding = false;
                reads.settle(0).await;
                if let Err(e) = collect(&mut buffer, &mut pace) {
                    break Err(e);
                }
                flush(shared, run, &mut buffer);
                // Announced only now, so that no step arrives after the page shows "paused";
                // then the paused weights go to the page (to classify with, and to resume from).
                if !pause_announced {
                    pause_announced = true;
                    shared.borrow().send_phase();
                    super::saving::send_checkpoint(shared, trainer, run, None).await;
                    checkpointed_at = now();
                }
                yield_to_events(50).await;
                pace.skip(now());
                continue;
            }
            _ => break Ok(()),
        }
        if trainer.is_finished() {
            let _ = shared.borrow_mut().state.transition(&RunEvent::Finish);
            break Ok(());
        }
        let due = now() - checkpointed_at >= shared.borrow().checkpoint_seconds;
        if std::mem::take(&mut shared.borrow_mut().snapshot_requested) || due {
            reads.settle(0).await;
            if let Err(e) = collect(&mut buffer, &mut pace) {
                break Err(e);
            }
            flush(shared, run, &mut buffer);
            super::saving::send_checkpoint(shared, trainer, run, None).await;
            checkpointed_at = now();
        }
        if std::mem::take(&mut shared.borrow_mut().diverge_requested) {
            trainer.poison_weights();
        }
        // The CPU path and a software GPU compute on the cores the drawing's answer needs: while
        // the user draws, such a run holds between steps (a hardware GPU trains on).
        if holds_while_drawing(device) && now() < shared.borrow().drawing_until {
            if let Err(e) = collect(&mut buffer, &mut pace) {
                break Err(e);
            }
            flush(shared, run, &mut buffer);
            if !std::mem::replace(&mut holding, true) {
                shared.borrow().send(FromEngine::Holding(true));
            }
            yield_to_events(50).await;
            pace.skip(now());
            continue;
        }
        if std::mem::take(&mut holding) {
            shared.borrow().send(FromEngine::Holding(false));
        }
        let step_began = now();
        match step(trainer, replicas).await {
            Some(pending) => {
                let last_of_epoch = pending.info.step == pending.info.steps_per_epoch;
                if pending.info.global_step % every == 0 || last_of_epoch || pending.info.global_step == 1 {
                    reads.start(pending);
                }
                reads.settle(MAX_READS_IN_FLIGHT - 1).await;
                let short = shared.borrow().min_step_seconds - (now() - step_began);
                if short > 0.0 {
                    yield_to_events((short * 1000.0).ceil() as u32).await;
                    last_yield = now();
                }
            }
            None => {
                reads.settle(0).await;
                if let Err(e) = collect(&mut buffer, &mut pace) {
                    break Err(e);
                }
                flush(shared, run, &mut buffer);
                if let Err(e) = end_epoch(shared, trainer, replicas, device, run).await {
                    break Err(e);
                }
                checkpointed_at = now();
                pace.skip(now());
            }
        }
        if let Err(e) = collect(&mut buffer, &mut pace) {
            break Err(e);
        }
        if now() - last_flush >= FLUSH_SECONDS {
            flush(shared, run, &mut buffer);
            last_flush = now();
        }
        if now() - last_yield >= YIELD_SECONDS {
            yield_to_events(0).await;
            last_yield = now();
        }
    };
    reads.settle(0).await;
    let last = collect(&mut buffer, &mut pace);
    flush(shared, run, &mut buffer);
    result.and(last)
}

/// Whether a run on `device` holds its steps while the user draws: on the CPU and on a software
/// GPU. Ceding only the helpers' cores (the trainer training on alone) still left the answer at
/// a median of 20.2 ms on two cores; holding gives 9 ms, as idle (README, Performance).
fn holds_while_drawing(device: &Device) -> bool {
    *device == Device::flex() || crate::model::software_gpu()
}

/// Evaluates (with the helpers, each a part, when there are any), then sends the epoch's
/// figures, every test image's probabilities, a checkpoint and the memory in use.
async fn end_epoch(
    shared: &Rc<RefCell<Shared>>,
    trainer: &mut Trainer,
    replicas: &mut Option<Replicas>,
    device: &Device,
    run: u32,
) -> Result<(), Halt> {
    // Evaluation runs where the race found large inference batches faster (e.g. the CPU while a
    // software GPU trains); the weights go there through a model file, read without blocking.
    let eval_model = match super::chooser::eval_device(shared) {
        Some(eval_device) => match trainer.model_file().read_async().await {
            Ok(file) => file.load(&eval_device).ok(),
            Err(e) => return Err(device_failure("evaluation", &e.to_string()).into()),
        },
        None => None,
    };
    let parts = share_evaluation(trainer, replicas).await;
    let mut pending = trainer.end_epoch_on(eval_model.as_ref(), parts);
    let probabilities = pending.take_test_probabilities();
    let mut other_probabilities = Vec::new();
    for part in evaluation_parts(trainer, eval_model.as_ref().unwrap_or(trainer.model()), replicas, parts).await {
        pending.add_part(part.validation, part.test);
        other_probabilities.extend(part.test_probabilities);
    }
    let report = pending.read_async().await.map_err(|e| device_failure("evaluation", &e.to_string()))?;
    // Steps that were not read back (`?readback=N`) may have diverged unseen: the epoch's
    // mean loss covers them all, and ruined weights must not become a checkpoint.
    if !report.train_loss.is_finite() {
        let last = trainer.global_step();
        return Err(Halt::Diverged(format!(
            "The loss stopped being a number by step {last} (epoch {}): the run diverged. {}",
            report.epoch,
            lower_rate(trainer.config().learning_rate)
        )));
    }
    shared.borrow().send(FromEngine::Epoch { run, report });
    if let Some(probabilities) = probabilities {
        let mut read = probabilities.read_async().await.map_err(|e| device_failure("evaluation", &e.to_string()))?;
        read.probabilities.extend(other_probabilities);
        let epoch = trainer.epochs_done();
        shared.borrow().send(FromEngine::TestPredictions(TestPredictions {
            run,
            epoch,
            probabilities: read.probabilities,
        }));
    }
    super::saving::send_checkpoint(shared, trainer, run, report.test.map(|test| test.accuracy)).await;
    shared.borrow().send(FromEngine::Memory(engine_memory(trainer.epochs_done(), device)));
    Ok(())
}

/// A diverged step in words a learner can act on.
fn divergence(report: &StepReport, learning_rate: f64) -> String {
    let i = &report.info;
    format!(
        "The loss became {} at step {} (epoch {}, step {} of {}): the run diverged. {}",
        report.loss,
        i.global_step,
        i.epoch,
        i.step,
        i.steps_per_epoch,
        lower_rate(learning_rate)
    )
}

fn lower_rate(learning_rate: f64) -> String {
    format!(
        "Start again with a lower learning rate than {learning_rate} (say {}). The run is kept with its \
         last finite checkpoint.",
        // Rounded: 0.003 / 10 is 0.00030000000000000003 in floats.
        (learning_rate / 10.0 * 1e9).round() / 1e9
    )
}

/// A device error in words a learner can act on, with the first line of the details.
pub(super) fn device_failure(during: &str, details: &str) -> String {
    let first = details
        .lines()
        .map(|l| l.trim().trim_start_matches("Caused by:").trim())
        .find(|l| !l.is_empty() && !l.starts_with("An error happened") && !l.starts_with("Backtrace"));
    let details: String = first.unwrap_or(details).chars().take(140).collect();
    format!(
        "The device stopped responding during {during} (lost GPU or out of memory), so the run ended. \
             The last good weights are kept; Start again to train on the CPU. Details: {details}"
    )
}

fn flush(shared: &Rc<RefCell<Shared>>, run: u32, buffer: &mut Vec<StepReport>) {
    if !buffer.is_empty() {
        shared.borrow().send(FromEngine::Steps { run, steps: std::mem::take(buffer) });
    }
}
