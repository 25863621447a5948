//! Native trainer: the same engine the browser worker runs, driven from the command line.
//!
//! ```text
//! cargo run --release --features engine --bin train -- --model atelier-cnn --epochs 5
//! cargo run --release --features engine --bin train -- --evaluate static/models/atelier-cnn.safetensors --shifts
//! cargo run --release --features gpu --bin train -- --backend wgpu --throughput
//! ```

mod throughput;

use std::path::PathBuf;
use std::process::ExitCode;

use atelier::data::{FashionMnist, Split, load_dir};
use atelier::inference::{Classifier, accuracy_under_shifts};
use atelier::model::{Activation, AtelierCnnConfig, DenseConfig, ModelChoice, ModelConfig};
use atelier::state::lesson::ShiftFigures;
use atelier::state::recorded::{RecordedRun, group_runs};
use atelier::state::runs::{short_name, training_summary};
use atelier::training::{
    LrSchedule, ModelFile, Normalization, OptimizerKind, Trainer, TrainingConfig, TrainingData, record_run,
};
use burn::prelude::*;

const USAGE: &str = "\
usage: train [options]
  --model NAME        atelier-cnn (default), baseline-cnn, dense
  --hidden A[,B]      dense hidden sizes (default 128)
  --activation NAME   dense activation: relu (default), sigmoid, tanh, gelu
  --dropout P         dense dropout (default 0)
  --paired A,B        atelier-cnn: two convolutions before the first / second pool (e.g. 0,1)
  --epochs N          (default 5)
  --batch N           (default 64)
  --optimizer NAME    adam (default) or sgd
  --lr X              (default 1e-3 for adam, 0.05 for sgd)
  --momentum X        sgd momentum (default 0.9)
  --schedule NAME     cosine (default) or constant learning rate
  --subset N          training images per epoch (default: all)
  --validation N      images held out of the train split (default 5000)
  --augment           random ±2 px shifts
  --unit-pixels       x/255 instead of standardised pixels
  --seed N            (default 42)
  --data DIR          (default /usr/share/datasets/fashion-mnist)
  --backend NAME      cpu (Flex, default) or wgpu (Burn's GPU runtime: Vulkan, Metal, DX12;
                      needs a build with --features gpu)
  --software-gpu      with wgpu: the dense layers' products through the kernel the page runs
                      on a software adapter (SwiftShader, lavapipe), as it does there
  --throughput        no run: images/s of each model's training steps at --batch, on --backend
                      (with --model, of that model alone, as configured)
  --save FILE         write the trained model there (safetensors, with its test accuracy)
  --shifts            then the test accuracy with the images moved 0-4 px (mean of 4 directions)
  --evaluate FILE     no training: the test accuracy of a saved model (with --shifts, moved too)
  --shifts-json FILE  with --shifts: also add the figures to FILE (the lesson's lesson/shifts.json)
  --record GROUP      no other training: train the runs the lesson starts for GROUP (dense,
                      activations, cnn) and add their curves to --record-json FILE (the
                      lesson's lesson/recorded.json)
  --quiet             no per-step lines";

struct Args {
    config: TrainingConfig,
    data: PathBuf,
    backend: String,
    throughput: bool,
    /// `--model` given: `--throughput` measures that model (as configured) alone.
    model_given: bool,
    save: Option<PathBuf>,
    quiet: bool,
    shifts: bool,
    evaluate: Option<PathBuf>,
    shifts_json: Option<PathBuf>,
    /// `--record GROUP` and `--record-json FILE`.
    record: Option<(String, PathBuf)>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut kind, mut model_given) = (ModelChoice::default(), false);
    let mut dense = DenseConfig::new();
    let mut config = TrainingConfig::new();
    let mut lr = None;
    let mut paired = None;
    let (mut data, mut save, mut quiet) = (PathBuf::from("/usr/share/datasets/fashion-mnist"), None, false);
    let (mut shifts, mut evaluate, mut shifts_json) = (false, None, None);
    let (mut record, mut record_json) = (None, None);
    let (mut backend, mut throughput) = ("cpu".to_string(), false);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => {
                let name = value()?;
                kind = ModelChoice::from_name(&name).ok_or_else(|| format!("unknown model {name}"))?;
                model_given = true;
            }
            "--hidden" => dense.hidden = value()?.split(',').map(|s| number(s.trim())).collect::<Result<_, _>>()?,
            "--activation" => {
                let name = value()?;
                dense.activation = Activation::from_name(&name).ok_or_else(|| format!("unknown activation {name}"))?;
            }
            "--dropout" => dense.dropout = number(&value()?)?,
            "--paired" => {
                let flags: Vec<u8> = value()?.split(',').map(|s| number(s.trim())).collect::<Result<_, _>>()?;
                paired = match flags[..] {
                    [a, b] => Some([a != 0, b != 0]),
                    _ => return Err("--paired takes two flags, e.g. 0,1".into()),
                };
            }
            "--epochs" => config.epochs = number(&value()?)?,
            "--batch" => config.batch_size = number(&value()?)?,
            "--optimizer" => {
                let name = value()?;
                config.optimizer =
                    OptimizerKind::from_name(&name).ok_or_else(|| format!("unknown optimizer {name}"))?;
            }
            "--lr" => lr = Some(number(&value()?)?),
            "--momentum" => config.momentum = number(&value()?)?,
            "--schedule" => {
                let name = value()?;
                config.schedule = LrSchedule::from_name(&name).ok_or_else(|| format!("unknown schedule {name}"))?;
            }
            "--subset" => config.train_subset = Some(number(&value()?)?),
            "--validation" => config.validation_size = number(&value()?)?,
            "--augment" => config.augment = true,
            "--unit-pixels" => config.normalization = Normalization::Unit,
            "--seed" => config.seed = number(&value()?)?,
            "--data" => data = PathBuf::from(value()?),
            "--save" => save = Some(PathBuf::from(value()?)),
            "--quiet" => quiet = true,
            "--backend" => backend = value()?,
            "--throughput" => throughput = true,
            "--software-gpu" => atelier::model::set_software_gpu(true),
            "--shifts" => shifts = true,
            "--evaluate" => evaluate = Some(PathBuf::from(value()?)),
            "--shifts-json" => shifts_json = Some(PathBuf::from(value()?)),
            "--record" => record = Some(value()?),
            "--record-json" => record_json = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    config.learning_rate = lr.unwrap_or(config.optimizer.default_learning_rate());
    // Silently dropped, it would leave a run believed paired training the plain model.
    if paired.is_some() && kind != ModelChoice::AtelierCnn {
        return Err("--paired is for --model atelier-cnn".into());
    }
    config.model = match kind {
        ModelChoice::Dense => ModelConfig::Dense(dense),
        ModelChoice::AtelierCnn => ModelConfig::AtelierCnn(AtelierCnnConfig::new().with_paired(paired)),
        other => other.default_config(),
    };
    let record = match (record, record_json) {
        (Some(group), Some(file)) => Some((group, file)),
        (None, None) => None,
        _ => return Err("--record and --record-json go together".into()),
    };
    Ok(Args { config, data, backend, throughput, model_given, save, quiet, shifts, evaluate, shifts_json, record })
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The Flex CPU backend, or Burn's wgpu runtime on the machine's GPU.
fn device(backend: &str) -> Result<Device, String> {
    match backend {
        "cpu" => Ok(Device::flex()),
        #[cfg(feature = "gpu")]
        "wgpu" => Device::wgpu_options().init().map_err(|e| format!("wgpu could not start: {e}")),
        #[cfg(not(feature = "gpu"))]
        "wgpu" => Err("this build has no wgpu: cargo build --release --features gpu --bin train".into()),
        other => Err(format!("unknown backend {other} (cpu or wgpu)")),
    }
}

fn run(args: Args) -> Result<(), String> {
    let data = load_dir(&args.data).map_err(|e| e.to_string())?;
    let device = device(&args.backend)?;
    if args.throughput {
        return throughput::measure(&args.config, args.model_given, &data, &device, &args.backend);
    }
    if let Some((group, file)) = &args.record {
        return record_group(group, file, &data);
    }
    if let Some(path) = &args.evaluate {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = ModelFile::from_bytes(&bytes).map_err(|e| e.to_string())?;
        let model = file.load(&Device::flex()).map_err(|e| e.to_string())?;
        println!("{}: {} ({} parameters)", path.display(), file.kind().title(), model.num_params());
        let figures = print_accuracy(&Classifier::new(&model, file.normalization), &data.test, args.shifts);
        return record_shifts(args.shifts_json.as_deref(), file.kind().title(), &data.test, figures);
    }
    let config = args.config;
    // Kept for the shift figures (the trainer takes the test split).
    let shift_test = args.shifts.then(|| data.test.clone());
    println!("config: {}", serde_json_line(&config));
    let mut trainer =
        Trainer::new(config, TrainingData::new(data.train, Some(data.test)), &device).map_err(|e| e.to_string())?;
    println!(
        "model {} ({} parameters), {} train / {} validation images, {} steps per epoch",
        trainer.config().model.kind(),
        trainer.model().num_params(),
        trainer.train_images(),
        trainer.validation_images(),
        trainer.steps_per_epoch()
    );
    let print_every = (trainer.steps_per_epoch() / 10).max(1);
    let mut test_accuracy = None;
    while !trainer.is_finished() {
        while let Some(pending) = trainer.step() {
            if !args.quiet && pending.info.step % print_every == 0 {
                let step = pending.read();
                println!(
                    "  epoch {} step {:>4}/{}  loss {:.4}  batch acc {:5.1}%  {:>6.0} img/s  eta {:.0}s",
                    step.info.epoch,
                    step.info.step,
                    step.info.steps_per_epoch,
                    step.loss,
                    step.accuracy * 100.0,
                    step.info.images_per_second,
                    step.info.eta_seconds
                );
            }
        }
        let epoch = trainer.end_epoch().read();
        test_accuracy = epoch.test.map(|report| report.accuracy);
        let percent = |report: Option<atelier::training::EvalReport>| {
            report.map_or("-".to_string(), |r| format!("{:.2}% (loss {:.4})", r.accuracy * 100.0, r.loss))
        };
        println!(
            "epoch {}/{}: train loss {:.4} acc {:.2}% | validation {} | test {} | {:.0} img/s | epoch {:.1}s, elapsed {:.1}s, eta {:.1}s",
            epoch.epoch,
            epoch.epochs,
            epoch.train_loss,
            epoch.train_accuracy * 100.0,
            percent(epoch.validation),
            percent(epoch.test),
            epoch.images_per_second,
            epoch.epoch_seconds,
            epoch.elapsed_seconds,
            epoch.eta_seconds
        );
    }
    if let Some(test) = &shift_test {
        let figures = print_accuracy(&Classifier::new(trainer.model(), trainer.config().normalization), test, true);
        let name = match &trainer.config().model {
            ModelConfig::Dense(dense) => {
                format!("Dense {}", dense.hidden.iter().map(|h| h.to_string()).collect::<Vec<_>>().join("-"))
            }
            other => other.kind().title().to_string(),
        };
        record_shifts(args.shifts_json.as_deref(), &name, test, figures)?;
    }
    if let Some(path) = args.save {
        let bytes = trainer.model_file().read().with_test_accuracy(test_accuracy).to_bytes();
        std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("saved the model ({} bytes, safetensors) to {}", bytes.len(), path.display());
    }
    Ok(())
}

/// Test accuracy, and with `shifts` under shifts of 0–4 px (`inference::accuracy_under_shifts`).
fn print_accuracy(classifier: &Classifier, test: &Split, shifts: bool) -> Vec<f64> {
    let figures = accuracy_under_shifts(classifier, test, test.len(), if shifts { 4 } else { 0 });
    let shown: Vec<String> = figures.iter().enumerate().map(|(d, a)| format!("{d} px {:.2} %", a * 100.0)).collect();
    println!("test accuracy on {} images, moved by: {}", test.len(), shown.join(" | "));
    figures
}

/// Adds (or replaces) `model`'s shift figures in the JSON list at `path`.
fn record_shifts(path: Option<&std::path::Path>, model: &str, test: &Split, accuracy: Vec<f64>) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    let mut all: Vec<ShiftFigures> =
        std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
    all.retain(|f| f.model != model);
    all.push(ShiftFigures { model: model.to_string(), images: test.len(), accuracy });
    let json = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
    std::fs::write(path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    println!("added {model}'s figures to {}", path.display());
    Ok(())
}

/// Trains the lesson's runs of `group` and replaces that group's runs in the JSON list at `file`.
fn record_group(group: &str, file: &std::path::Path, data: &FashionMnist) -> Result<(), String> {
    let runs = group_runs(group).ok_or_else(|| format!("no lesson runs called {group}"))?;
    let mut all: Vec<RecordedRun> =
        std::fs::read(file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    all.retain(|run| run.group != group);
    for settings in &runs {
        println!("{group}: {} ({}, seed {})", short_name(settings), training_summary(settings), settings.seed);
        let data = TrainingData::new(data.train.clone(), Some(data.test.clone()));
        let run = record_run(group, settings, data, &Device::flex(), |e| {
            println!(
                "  epoch {}/{}: test {:.2} % (loss {:.4}), {:.1} s",
                e.epoch,
                e.epochs,
                e.test_accuracy() * 100.0,
                e.test_loss(),
                e.elapsed_seconds
            )
        })
        .map_err(|e| e.to_string())?;
        all.push(run);
    }
    let json = serde_json::to_string(&all).map_err(|e| e.to_string())?;
    std::fs::write(file, json + "\n").map_err(|e| format!("{}: {e}", file.display()))?;
    println!("{group}: {} runs added to {}", runs.len(), file.display());
    Ok(())
}

/// The config as one line of JSON (Burn's config JSON is pretty-printed).
fn serde_json_line(config: &TrainingConfig) -> String {
    burn::config::config_to_json(config).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Args {
        parse(line.split_whitespace().map(String::from)).expect("valid options")
    }

    #[test]
    fn throughput_measures_one_model_only_when_one_is_named() {
        let all = args("--throughput");
        assert!(all.throughput && !all.model_given);
        let one = args("--throughput --model baseline-cnn --batch 32");
        assert!(one.model_given);
        assert_eq!((one.config.model.kind(), one.config.batch_size), (ModelChoice::BaselineCnn, 32));
    }
}
