//! The byte layout shared by training checkpoints and model files.
//!
//! ```text
//! magic      8 bytes   b"ATLRCKPT" (checkpoint) or b"ATLRMODL" (model file)
//! version    u32       FORMAT_VERSION
//! meta_len   u32       at most MAX_META_BYTES
//! meta       JSON      configs, counters, RNG states (serde)
//! count      u32       at most MAX_RECORDS
//! records    count × { name_len u16, name (UTF-8), kind u8 (0 = f32, 1 = u32), rank u8 (≤ 8),
//!                      dims rank × u32, values: product(dims) × 4 bytes }
//! checksum   u64       FNV-1a of every byte before it
//! ```
//!
//! Integers and values are little-endian. Our own layout rather than Burn's burnpack because the
//! tensors arrive as host data from an asynchronous device read (burnpack is written from
//! synchronous reads), and because every length in a file that came from IndexedDB or a user's
//! disk is checked against the bytes actually present before anything is allocated.

use super::CheckpointError;

/// Bumped whenever the layout or the meaning of a record changes; older readers refuse newer files.
pub const FORMAT_VERSION: u32 = 1;

const MAX_META_BYTES: usize = 1 << 20;
const MAX_RECORDS: usize = 4096;
const MAX_RANK: usize = 8;
const HEADER_BYTES: usize = 8 + 4 + 4;

/// Which kind of file: they share the layout but not the magic, so one is never read as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Checkpoint,
    Model,
}

impl FileKind {
    const fn magic(self) -> &'static [u8; 8] {
        match self {
            Self::Checkpoint => b"ATLRCKPT",
            Self::Model => b"ATLRMODL",
        }
    }

    /// As the person who picked the file would call it.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Checkpoint => "Atelier training checkpoint",
            Self::Model => "Atelier model file",
        }
    }
}

/// A record's values; `u32` for image indices, `f32` for everything numeric.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    F32(Vec<f32>),
    U32(Vec<u32>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::F32(values) => values.len(),
            Values::U32(values) => values.len(),
        }
    }
}

/// One named array of a file: weights, an optimizer moment, a list of image indices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Values,
}

/// Builds a file: header and meta first, records appended, count and checksum written at the end.
pub(crate) struct Writer {
    bytes: Vec<u8>,
    count_at: usize,
    count: u32,
}

impl Writer {
    pub fn new(kind: FileKind, meta_json: &str) -> Self {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + meta_json.len() + 4);
        bytes.extend_from_slice(kind.magic());
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(meta_json.len() as u32).to_le_bytes());
        bytes.extend_from_slice(meta_json.as_bytes());
        let count_at = bytes.len();
        bytes.extend_from_slice(&0u32.to_le_bytes());
        Self { bytes, count_at, count: 0 }
    }

    /// The bytes a record takes: name, kind, shape, values.
    pub const fn encoded_len(name: &str, rank: usize, values: usize) -> usize {
        2 + name.len() + 2 + 4 * rank + 4 * values
    }

    /// Makes room for `records` bytes of records and the checksum in one allocation: a buffer
    /// grown record by record leaves the worker's memory (which never shrinks) larger and more
    /// fragmented after every checkpoint.
    pub fn reserve(&mut self, records: usize) {
        self.bytes.reserve_exact(records + 8);
    }

    pub fn f32s(&mut self, name: &str, shape: &[usize], values: &[f32]) {
        self.header(name, 0, shape, values.len());
        self.bytes.reserve(values.len() * 4);
        values.iter().for_each(|value| self.bytes.extend_from_slice(&value.to_le_bytes()));
    }

    pub fn u32s(&mut self, name: &str, values: &[u32]) {
        self.header(name, 1, &[values.len()], values.len());
        self.bytes.reserve(values.len() * 4);
        values.iter().for_each(|value| self.bytes.extend_from_slice(&value.to_le_bytes()));
    }

    pub fn record(&mut self, record: &Record) {
        match &record.values {
            Values::F32(values) => self.f32s(&record.name, &record.shape, values),
            Values::U32(values) => self.u32s(&record.name, values),
        }
    }

    fn header(&mut self, name: &str, kind: u8, shape: &[usize], len: usize) {
        debug_assert!(name.len() <= u16::MAX as usize && shape.len() <= MAX_RANK);
        debug_assert_eq!(shape.iter().product::<usize>(), len, "{name}");
        self.bytes.extend_from_slice(&(name.len() as u16).to_le_bytes());
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.extend_from_slice(&[kind, shape.len() as u8]);
        shape.iter().for_each(|&dim| self.bytes.extend_from_slice(&(dim as u32).to_le_bytes()));
        self.count += 1;
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.bytes[self.count_at..self.count_at + 4].copy_from_slice(&self.count.to_le_bytes());
        let checksum = fnv1a(&self.bytes);
        self.bytes.extend_from_slice(&checksum.to_le_bytes());
        self.bytes
    }
}

/// Parses a whole file: its meta JSON and records. Never panics and never allocates more than
/// the file's own size, whatever the bytes claim.
pub(crate) fn read(kind: FileKind, bytes: &[u8]) -> Result<(String, Vec<Record>), CheckpointError> {
    let title = kind.title();
    if bytes.is_empty() {
        return Err(CheckpointError::Empty { file: title });
    }
    let magic = &bytes[..bytes.len().min(8)];
    if magic != &kind.magic()[..magic.len()] {
        let other = [FileKind::Checkpoint, FileKind::Model].into_iter().find(|k| bytes.starts_with(k.magic()));
        return Err(match other {
            Some(found) => CheckpointError::WrongFile { expected: title, found: found.title() },
            None => CheckpointError::NotAtelier { expected: title },
        });
    }
    let mut cursor = Cursor { bytes, at: magic.len(), title };
    let version = cursor.u32("the format version")?;
    if version != FORMAT_VERSION {
        return Err(CheckpointError::UnsupportedVersion { file: title, found: version, supported: FORMAT_VERSION });
    }
    let meta_len = cursor.u32("the metadata length")? as usize;
    if meta_len > MAX_META_BYTES {
        return Err(cursor.corrupt(format!("its metadata claims {meta_len} bytes")));
    }
    let meta = std::str::from_utf8(cursor.take(meta_len, "the metadata")?)
        .map_err(|_| cursor.corrupt("its metadata is not UTF-8 text".into()))?
        .to_owned();
    let count = cursor.u32("the record count")? as usize;
    if count > MAX_RECORDS {
        return Err(cursor.corrupt(format!("it claims {count} arrays")));
    }
    let records = (0..count).map(|_| cursor.record()).collect::<Result<Vec<_>, _>>()?;
    let checked = cursor.at;
    let stored = u64::from_le_bytes(cursor.array("the checksum")?);
    if cursor.at != bytes.len() {
        return Err(cursor.corrupt(format!("{} unexpected bytes follow its end", bytes.len() - cursor.at)));
    }
    if fnv1a(&bytes[..checked]) != stored {
        return Err(cursor.corrupt("its checksum does not match: the bytes were altered".into()));
    }
    Ok((meta, records))
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    title: &'static str,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], CheckpointError> {
        let available = self.bytes.len() - self.at;
        if len > available {
            return Err(CheckpointError::Truncated {
                file: self.title,
                detail: format!("{what} needs {len} bytes, only {available} remain"),
            });
        }
        self.at += len;
        Ok(&self.bytes[self.at - len..self.at])
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], CheckpointError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N, what)?);
        Ok(array)
    }

    fn u32(&mut self, what: &str) -> Result<u32, CheckpointError> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn corrupt(&self, detail: String) -> CheckpointError {
        CheckpointError::Corrupt { file: self.title, detail }
    }

    fn record(&mut self) -> Result<Record, CheckpointError> {
        let name_len = u16::from_le_bytes(self.array("an array name's length")?) as usize;
        let name = std::str::from_utf8(self.take(name_len, "an array name")?)
            .map_err(|_| self.corrupt("an array name is not UTF-8".into()))?
            .to_owned();
        let [kind, rank] = self.array(&format!("the header of array {name:?}"))?;
        if rank as usize > MAX_RANK {
            return Err(self.corrupt(format!("array {name:?} claims {rank} dimensions")));
        }
        let shape = (0..rank)
            .map(|_| self.u32(&format!("the shape of {name:?}")).map(|d| d as usize))
            .collect::<Result<Vec<_>, _>>()?;
        // Eight dims of up to 2^32 overflow even a u64: multiply with a check.
        let len = shape.iter().try_fold(1u64, |len, &dim| len.checked_mul(dim as u64));
        let available = (self.bytes.len() - self.at) as u64 / 4;
        let len = match len {
            Some(len) if len <= available => len as usize,
            _ => {
                let claimed = len.map_or_else(|| "more than 2^64".to_owned(), |len| len.to_string());
                return Err(CheckpointError::Truncated {
                    file: self.title,
                    detail: format!(
                        "array {name:?} of shape {shape:?} claims {claimed} values, only {available} fit in what remains"
                    ),
                });
            }
        };
        let raw = self.take(len * 4, &name)?.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]);
        let values = match kind {
            0 => Values::F32(raw.map(f32::from_le_bytes).collect()),
            1 => Values::U32(raw.map(u32::from_le_bytes).collect()),
            other => {
                return Err(self.corrupt(format!("array {name:?} has unknown value kind {other}")));
            }
        };
        Ok(Record { name, shape, values })
    }
}

/// 64-bit FNV-1a: not cryptographic, only there to tell a damaged file from a valid one.
pub(crate) fn fnv1a<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3))
}
