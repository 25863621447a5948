//! The whole dataset, test split first so the gallery can show something early.

use std::rc::Rc;

use super::fetch::{evict, fetch_gz, gunzip, store};
use crate::data::FileProgress;
use crate::data::{DataError, DataFile, Split, SplitKind};

pub enum DatasetEvent {
    Progress(DataFile, FileProgress),
    Split(Rc<Split>),
    /// The file parsed, but its SHA-256 is not the published file's: another dataset of the
    /// same shape (MNIST digits under Fashion labels) or an altered copy.
    Unrecognised(DataFile),
}

/// Loads both splits from `base` (a URL ending in `/`), emitting progress and each split.
/// `check_sums`: compare each file's SHA-256 with the published one (the page does, to warn;
/// the engine workers load the same files and leave it to the page).
pub async fn load_dataset(base: &str, check_sums: bool, on_event: &dyn Fn(DatasetEvent)) -> Result<(), DataError> {
    for kind in [SplitKind::Test, SplitKind::Train] {
        let split = load_split(base, kind, check_sums, on_event).await?;
        on_event(DatasetEvent::Split(Rc::new(split)));
    }
    Ok(())
}

async fn load_split(
    base: &str,
    kind: SplitKind,
    check_sums: bool,
    on_event: &dyn Fn(DatasetEvent),
) -> Result<Split, DataError> {
    let labels_file = DataFile { split: kind, is_labels: true };
    let images_file = DataFile { split: kind, is_labels: false };
    let labels_url = format!("{base}{}", labels_file.file_name());
    let images_url = format!("{base}{}", images_file.file_name());

    let labels = fetch_gz(&labels_url, labels_file, &|p| on_event(DatasetEvent::Progress(labels_file, p))).await?;
    let images = fetch_gz(&images_url, images_file, &|p| on_event(DatasetEvent::Progress(images_file, p))).await?;
    let parsed = async {
        let raw_labels = gunzip(labels_file, &labels.blob, check_sums).await?;
        let raw_images = gunzip(images_file, &images.blob, check_sums).await?;
        let unrecognised: Vec<DataFile> = [(labels_file, &raw_labels.sha256), (images_file, &raw_images.sha256)]
            .into_iter()
            .filter(|(file, sum)| sum.as_deref().is_some_and(|sum| sum != file.sha256()))
            .map(|(file, _)| file)
            .collect();
        Split::from_idx_owned(kind, raw_images.bytes, &raw_labels.bytes).map(|split| (split, unrecognised))
    }
    .await;
    match parsed {
        Ok((split, unrecognised)) => {
            unrecognised.into_iter().for_each(|file| on_event(DatasetEvent::Unrecognised(file)));
            if !labels.from_cache {
                store(&labels_url, &labels.blob).await;
            }
            if !images.from_cache {
                store(&images_url, &images.blob).await;
            }
            Ok(split)
        }
        Err(err) => {
            evict(&labels_url).await;
            evict(&images_url).await;
            Err(err)
        }
    }
}
