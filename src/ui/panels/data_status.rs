//! Download progress per file, then a one-line summary; or the error with a retry button; and
//! a warning when the files are not the published Fashion-MNIST.

use yew::prelude::*;

use crate::data::DataFile;
use crate::state::DataPhase;
use crate::web::FileProgress;

#[derive(Properties, PartialEq)]
pub struct DataStatusProps {
    pub files: [FileProgress; 4],
    pub phase: DataPhase,
    pub unrecognised: Vec<DataFile>,
    pub on_retry: Callback<()>,
}

fn megabytes(bytes: f64) -> String {
    if bytes < 1_000_000.0 { format!("{:.0} kB", bytes / 1_000.0) } else { format!("{:.1} MB", bytes / 1_000_000.0) }
}

/// Fraction of all bytes downloaded; files whose size is not known yet count as not started.
fn overall(files: &[FileProgress; 4]) -> f64 {
    let done = files.iter().filter(|f| f.done).count() as f64;
    let partial: f64 = files
        .iter()
        .filter(|f| !f.done)
        .filter_map(|f| f.total.map(|t| if t > 0.0 { f.loaded / t } else { 0.0 }))
        .sum();
    (done + partial) / files.len() as f64
}

#[component]
pub fn DataStatus(props: &DataStatusProps) -> Html {
    let DataStatusProps { files, phase, unrecognised, on_retry } = props;
    let cached = files.iter().all(|f| f.cached);
    let headline = match phase {
        DataPhase::Loading => "Fetching Fashion-MNIST…".to_string(),
        DataPhase::Ready if cached => "70,000 images ready · loaded from this browser's cache".into(),
        DataPhase::Ready => "70,000 images ready · saved in this browser for next time".into(),
        DataPhase::Error(_) => "The dataset could not be loaded".into(),
    };
    let fraction = overall(files);
    let rows = DataFile::ALL.iter().zip(files).map(|(file, p)| {
        let detail = match (p.done, p.cached, p.total) {
            (true, true, _) => "cached".to_string(),
            (true, false, _) => format!("{} ✓", megabytes(p.loaded)),
            (false, _, Some(total)) => format!("{} of {}", megabytes(p.loaded), megabytes(total)),
            (false, _, None) if p.loaded > 0.0 => megabytes(p.loaded),
            _ => "waiting".into(),
        };
        let (value, max) = match p.total {
            Some(total) if total > 0.0 => (p.loaded, total),
            _ => (if p.done { 1.0 } else { 0.0 }, 1.0),
        };
        html! {
            <li class="file-row" data-file={file.short_name()}>
                <span class="file-name">{file.short_name()}</span>
                <progress value={value.to_string()} max={max.to_string()} aria-label={file.short_name()} />
                <span class="file-detail">{detail}</span>
            </li>
        }
    });
    let show_files = !matches!(phase, DataPhase::Ready);

    html! {
        <section class={classes!("card", "data-status", phase.name())}
                 data-testid="data-status" data-state={phase.name()} aria-live="polite">
            <div class="status-head">
                <span class={classes!("dot", phase.name())} aria-hidden="true" />
                <h2>{headline}</h2>
                <span class="status-percent">{format!("{:.0}%", fraction * 100.0)}</span>
            </div>
            <div class="overall-bar" data-testid="data-progress" data-value={format!("{fraction:.4}")}
                 role="progressbar" aria-label="Dataset download" aria-valuemin="0" aria-valuemax="100"
                 aria-valuenow={format!("{:.0}", fraction * 100.0)}>
                <div class="overall-fill" style={format!("width: {:.2}%", fraction * 100.0)} />
            </div>
            if show_files {
                <ul class="file-list">{ for rows }</ul>
            }
            if !unrecognised.is_empty() {
                <p class="notice warning" role="alert" data-testid="data-unrecognised">
                    {format!(
                        "These files are not the published Fashion-MNIST ({}: the SHA-256 differs). \
                         They are used as they are, but the class names (T-shirt, Trouser, …) may not \
                         describe their pictures.",
                        unrecognised.iter().map(|f| f.short_name()).collect::<Vec<_>>().join(", ")
                    )}
                </p>
            }
            if let DataPhase::Error(message) = phase {
                <div class="error-box" role="alert" data-testid="data-error">
                    <p>{message}</p>
                    <button class="button primary" data-testid="data-retry"
                            onclick={on_retry.reform(|_| ())}>{"Retry"}</button>
                </div>
            }
        </section>
    }
}
