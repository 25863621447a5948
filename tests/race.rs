//! Choosing the backend by measuring: which figure wins, which stored race is reused, how the
//! badge words it (a software GPU named as such), and that the messages survive the worker codec.

use atelier::protocol::{BackendKind, BackendReport, EngineRole, ModelChoice, RunSettings, ToEngine};
use atelier::race::{
    Choice, ClassifierRaceGate, GpuStatus, RaceRecord, Workload, evaluation_backend, explain, format_rate,
    is_software_adapter, known, remember, summary,
};

fn record(adapter: &str, workload: &str, cpu: Option<f64>, gpu: Option<f64>, complete: bool) -> RaceRecord {
    RaceRecord {
        adapter: adapter.into(),
        workload: Workload(workload.into()),
        cpu,
        gpu,
        seconds: 1.5,
        complete,
        cpu_eval: None,
        gpu_eval: None,
    }
}

const SWIFTSHADER: &str = "google swiftshader";

#[test]
fn the_faster_measured_backend_wins() {
    // The figures on SwiftShader: Atelier CNN 12 images/s on the GPU, 394 on the CPU.
    assert_eq!(record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), Some(12.0), true).winner(), BackendKind::Cpu);
    assert_eq!(record("NVIDIA", "atelier-cnn/64", Some(394.0), Some(5_000.0), true).winner(), BackendKind::WebGpu);
    // A GPU that did not finish warming up within the budget does not train now.
    assert_eq!(record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), None, false).winner(), BackendKind::Cpu);
    // A tie stays on the CPU (no device to start, no readback latency).
    assert_eq!(record("x", "dense-128/64", Some(100.0), Some(100.0), true).winner(), BackendKind::Cpu);
    let ratio = record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), Some(12.0), true).ratio().unwrap();
    assert!((ratio - 394.0 / 12.0).abs() < 1e-9, "{ratio}");
}

#[test]
fn a_stored_race_is_reused_only_for_the_same_adapter_and_workload() {
    let records = vec![
        record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), Some(12.0), true),
        record(SWIFTSHADER, "dense-128/64", Some(4_000.0), None, false),
        record("NVIDIA RTX", "atelier-cnn/64", Some(394.0), Some(5_000.0), true),
    ];
    let found = known(&records, SWIFTSHADER, &Workload("atelier-cnn/64".into())).expect("stored");
    assert_eq!(found.gpu, Some(12.0));
    assert_eq!(known(&records, "NVIDIA RTX", &Workload("atelier-cnn/64".into())).unwrap().gpu, Some(5_000.0));
    assert!(known(&records, SWIFTSHADER, &Workload("atelier-cnn/128".into())).is_none(), "another batch size");
    // A race decided at its budget before the GPU's figure came (a reload cut it short): its
    // decision is reused, marked incomplete so that the GPU is timed again.
    let unfinished = known(&records, SWIFTSHADER, &Workload("dense-128/64".into())).expect("an unfinished race");
    assert_eq!((unfinished.complete, unfinished.winner()), (false, BackendKind::Cpu));
    assert!(known(&records, "Apple M3", &Workload("atelier-cnn/64".into())).is_none(), "another adapter");
}

#[test]
fn remembering_replaces_the_same_key_and_drops_the_oldest() {
    let mut records = Vec::new();
    for batch in [32, 64, 128] {
        remember(&mut records, record("a", &format!("dense-128/{batch}"), Some(1.0), Some(2.0), true), 2);
    }
    let keys: Vec<&str> = records.iter().map(|r| r.workload.0.as_str()).collect();
    assert_eq!(keys, ["dense-128/64", "dense-128/128"]);
    remember(&mut records, record("a", "dense-128/64", Some(9.0), Some(2.0), true), 2);
    assert_eq!(records.len(), 2);
    assert_eq!(records.last().unwrap().cpu, Some(9.0), "the newest figure replaces the old one");
    // An unfinished race (no GPU figure) never replaces a finished one; a finished one replaces it.
    remember(&mut records, record("a", "dense-128/64", Some(8.0), None, false), 2);
    assert_eq!((records.last().unwrap().cpu, records.last().unwrap().complete), (Some(9.0), true));
    remember(&mut records, record("a", "dense-128/32", Some(7.0), None, false), 2);
    remember(&mut records, record("a", "dense-128/32", Some(7.0), Some(3.0), true), 2);
    let newest = records.last().unwrap();
    assert_eq!((newest.workload.0.as_str(), newest.gpu, newest.complete), ("dense-128/32", Some(3.0), true));
}

#[test]
fn workloads_differ_by_model_layers_and_batch_but_not_by_other_settings() {
    let base = RunSettings::default();
    let key = |s: &RunSettings| Workload::training(s).0;
    assert_eq!(key(&base), "baseline-cnn/64");
    assert_eq!(key(&RunSettings { batch_size: 256, ..base.clone() }), "baseline-cnn/256");
    let dense = RunSettings { model: ModelChoice::Dense, hidden: vec![256, 128], ..base.clone() };
    assert_eq!(key(&dense), "dense-256-128/64");
    assert_eq!(key(&RunSettings { learning_rate: 0.1, epochs: 20, ..base.clone() }), key(&base), "same cost per step");
    assert_ne!(Workload::classify(), Workload::training(&base));
}

#[test]
fn the_badge_gives_both_figures_the_winner_and_names_a_software_gpu() {
    let gpu = GpuStatus::Available { adapter: SWIFTSHADER.into(), software: true };
    let race = record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), Some(12.0), true);
    assert_eq!(summary(&race, &gpu), "GPU 12 img/s · CPU 394 img/s → CPU");
    let text = explain(BackendKind::Cpu, Choice::Measured, Some(&race), &gpu, "training");
    assert!(text.starts_with("GPU 12 img/s · CPU 394 img/s → CPU, 32.8× faster"), "{text}");
    assert!(text.contains("google swiftshader is a software GPU"), "{text}");
    let cached = explain(BackendKind::Cpu, Choice::Cached, Some(&race), &gpu, "training");
    assert!(cached.contains("earlier visit"), "{cached}");
    let unfinished = record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), None, false);
    assert_eq!(summary(&unfinished, &gpu), "GPU not ready within 3 s · CPU 394 img/s → CPU");
    // Classification reads as time per drawing.
    let classify = record(SWIFTSHADER, "classify/1", Some(100.0), Some(1.0), true);
    assert_eq!(summary(&classify, &gpu), "GPU 1,000 ms · CPU 10 ms → CPU");
    let without = GpuStatus::Unavailable("WebGPU not available in this browser".into());
    assert_eq!(
        explain(BackendKind::Cpu, Choice::Unavailable, None, &without, "training"),
        "WebGPU not available in this browser — training on the CPU"
    );
    assert!(
        explain(BackendKind::WebGpu, Choice::Forced, None, &gpu, "training")
            .starts_with("Chosen by you — training on WebGPU")
    );
}

#[test]
fn evaluation_runs_where_it_is_faster_whatever_trains() {
    let gpu = GpuStatus::Available { adapter: "NVIDIA".into(), software: false };
    // A tiny dense network trains faster on the CPU but evaluates 500-image batches faster on a GPU.
    let race = RaceRecord {
        cpu_eval: Some(9_000.0),
        gpu_eval: Some(40_000.0),
        ..record("NVIDIA", "dense-128/64", Some(5_000.0), Some(900.0), true)
    };
    assert_eq!((race.winner(), race.eval_winner()), (BackendKind::Cpu, Some(BackendKind::WebGpu)));
    let text = explain(BackendKind::Cpu, Choice::Measured, Some(&race), &gpu, "training");
    assert!(text.contains("evaluates on WebGPU (40,000 vs 9,000 img/s)"), "{text}");
    // Forced onto a software GPU, evaluation still goes where it is faster.
    let swiftshader = RaceRecord {
        cpu_eval: Some(1_532.0),
        gpu_eval: Some(68.0),
        ..record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), Some(12.0), true)
    };
    assert_eq!(swiftshader.eval_winner(), Some(BackendKind::Cpu));
    let forced = explain(BackendKind::WebGpu, Choice::Forced, Some(&swiftshader), &gpu, "training");
    assert!(forced.contains("evaluates on the CPU (1,532 vs 68 img/s)"), "{forced}");
    // Not measured: no claim, evaluation stays where the model trains…
    let unmeasured = record("x", "dense-128/64", Some(1.0), None, false);
    assert_eq!(unmeasured.eval_winner(), None);
    for training in [BackendKind::Cpu, BackendKind::WebGpu] {
        assert_eq!(evaluation_backend(Some(&unmeasured), training, &gpu), training);
        assert_eq!(evaluation_backend(None, training, &gpu), training);
    }
    // …except on a software GPU, where the CPU evaluates until the race says otherwise.
    let software = GpuStatus::Available { adapter: SWIFTSHADER.into(), software: true };
    assert_eq!(evaluation_backend(None, BackendKind::WebGpu, &software), BackendKind::Cpu);
    assert_eq!(evaluation_backend(None, BackendKind::Cpu, &software), BackendKind::Cpu);
    let gpu_evaluates_faster = RaceRecord { cpu_eval: Some(10.0), gpu_eval: Some(20.0), ..unmeasured.clone() };
    assert_eq!(evaluation_backend(Some(&gpu_evaluates_faster), BackendKind::WebGpu, &software), BackendKind::WebGpu);
    // The measured winner, whatever trains.
    assert_eq!(evaluation_backend(Some(&race), BackendKind::Cpu, &gpu), BackendKind::WebGpu);
    assert!(!explain(BackendKind::Cpu, Choice::Measured, Some(&swiftshader), &gpu, "training").contains("evaluates"));
}

#[test]
fn software_adapters_are_recognised_by_name() {
    for name in [
        "google swiftshader",
        "SwiftShader Device (Subzero)",
        "llvmpipe (LLVM 15.0.6, 256 bits)",
        "Microsoft Basic Render Driver",
    ] {
        assert!(is_software_adapter(name), "{name}");
    }
    for name in ["NVIDIA GeForce RTX 4090", "Apple M3", "AMD Radeon Pro", "Intel(R) UHD Graphics 620"] {
        assert!(!is_software_adapter(name), "{name}");
    }
}

#[test]
fn rates_are_formatted_for_reading() {
    assert_eq!(format_rate(4_359.4), "4,359");
    assert_eq!(format_rate(136.4), "136");
    assert_eq!(format_rate(1.25), "1.2");
}

#[test]
fn init_and_backend_reports_survive_the_worker_codec() {
    let known = vec![record(SWIFTSHADER, "atelier-cnn/64", Some(394.0), Some(12.0), true)];
    let init = ToEngine::Init {
        role: EngineRole::Classifier,
        force: Some(BackendKind::WebGpu),
        settings: RunSettings::default(),
        known: known.clone(),
        data_base: "data/".into(),
        pretrained_url: "models/atelier-cnn.safetensors".into(),
        dense_url: "models/atelier-dense.safetensors".into(),
        weights_channel: "atelier-weights-0.5".into(),
        checkpoint_seconds: 30.0,
        min_step_seconds: 0.0,
        cpu_workers: 2,
    };
    let back: ToEngine = bincode::deserialize(&bincode::serialize(&init).unwrap()).unwrap();
    assert_eq!(back, init);
    let report = BackendReport {
        kind: BackendKind::Cpu,
        choice: Choice::Measured,
        detail: "GPU 12 img/s · CPU 394 img/s → CPU".into(),
        gpu: GpuStatus::Available { adapter: SWIFTSHADER.into(), software: true },
        race: known.first().cloned(),
        check: None,
    };
    let back: BackendReport = bincode::deserialize(&bincode::serialize(&report).unwrap()).unwrap();
    assert_eq!(back, report);
    // The page stores races as JSON in localStorage.
    let json = serde_json::to_string(&known).unwrap();
    assert_eq!(serde_json::from_str::<Vec<RaceRecord>>(&json).unwrap(), known);
}

#[test]
fn the_classifier_races_after_the_trainer_decided_and_never_while_a_run_trains() {
    // The usual visit: the trainer decides, nothing trains, the classifier races once.
    let mut gate = ClassifierRaceGate::default();
    assert!(!gate.training(false), "not before the trainer decided");
    assert!(gate.trainer_decided());
    assert!(!gate.trainer_decided(), "once");
    assert!(!gate.training(true) && !gate.training(false), "once, whatever the runs do after");

    // A first visit whose run starts before the trainer decides: held until the run pauses.
    let mut gate = ClassifierRaceGate::default();
    assert!(!gate.training(true));
    assert!(!gate.trainer_decided(), "held while the run trains");
    assert!(gate.training(false), "the run paused or ended: race now");
    assert!(!gate.training(true) && !gate.training(false));

    // A restarted classifier races again, but not while a run trains.
    assert!(!gate.training(true));
    assert!(!gate.classifier_restarted());
    assert!(gate.training(false));
    assert!(gate.classifier_restarted(), "restarted between runs: at once");
}
