//! Where each loaded record lives, so that the detail view can show it whole: the store keeps
//! one summary line per event (and the facts of telling records, read at load), not the
//! record.

use crate::load::format::CsvLayout;
use crate::load::parse;
use sessionscope_core::model::{Event, RecordId, SourceRef};
use sessionscope_core::store::Store;
use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a file's records can be read again for the detail view.
#[derive(Debug)]
pub(crate) enum RawSource {
    /// The decoded text is the file's own bytes from `base` on: re-read from disk.
    Disk { base: u64 },
    /// Gzip input: re-read by decompressing again up to the record (`skip` is a BOM).
    Gzip { skip: u64 },
    /// Transcoded (UTF-16) input has no byte-for-byte copy on disk: kept in memory.
    Memory(Arc<[u8]>),
    /// Read from a pipe: what went by cannot be read again.
    Pipe,
}

#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub(crate) layout: Option<CsvLayout>,
    pub(crate) raw: RawSource,
}

/// The files of a load, numbered as the events' kinds number them.
#[derive(Debug, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    /// The file event `e` was read from.
    pub fn file_of(&self, store: &Store, e: &Event) -> Option<&SourceFile> {
        self.files.get(store.kind(e).file as usize)
    }

    /// The event's record (its AuditData, unwrapped), read again from its file, checked to be
    /// the record that was indexed: a file rewritten since the load gives another record at
    /// the same place, which is said rather than shown as this event's.
    pub fn record(&self, store: &Store, e: &Event) -> Result<serde_json::Value, String> {
        let file = self
            .file_of(store, e)
            .ok_or("the record's file is unknown")?;
        let value = reread(file, store.source(e))?;
        check_same_record(store, e, &value, file)?;
        Ok(value)
    }
}

/// Fails when the record read back at an event's place is not the event's own (its `Id`
/// differs): the file was changed since it was loaded.
fn check_same_record(
    store: &Store,
    e: &Event,
    value: &serde_json::Value,
    file: &SourceFile,
) -> Result<(), String> {
    let Some(read) = ["Id", "id"].iter().find_map(|k| value.get(k)?.as_str()) else {
        return Ok(());
    };
    let same = match store.record_id(e) {
        RecordId::Guid(bytes) => {
            uuid::Uuid::try_parse(read.trim()).is_ok_and(|u| *u.as_bytes() == bytes)
        }
        RecordId::Other(s) => s.is_empty() || store.str(s) == read,
    };
    if same {
        Ok(())
    } else {
        Err(format!(
            "the file changed since it was loaded: {} holds another record (Id {read}) where this one was",
            file.path.display()
        ))
    }
}

const PIPE: &str = "it was read from a pipe, which cannot be read again: save the export to a file to see its records whole";

/// The raw AuditData of an event, re-read from its file and unwrapped, for the detail view.
fn reread(source: &SourceFile, at: SourceRef) -> Result<serde_json::Value, String> {
    let bytes: Cow<[u8]> = match &source.raw {
        RawSource::Pipe => return Err(PIPE.into()),
        RawSource::Memory(buf) => {
            let start = at.offset as usize;
            Cow::Borrowed(
                buf.get(start..start + at.len as usize)
                    .ok_or("record is outside its file")?,
            )
        }
        RawSource::Gzip { skip } => {
            use std::io::Read;
            let f = std::fs::File::open(&source.path)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f));
            std::io::copy(&mut (&mut gz).take(skip + at.offset), &mut std::io::sink())
                .map_err(|e| e.to_string())?;
            let mut buf = vec![0; at.len as usize];
            gz.read_exact(&mut buf)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            Cow::Owned(buf)
        }
        RawSource::Disk { base } => {
            use std::io::{Read, Seek, SeekFrom};
            let mut f = std::fs::File::open(&source.path)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            f.seek(SeekFrom::Start(base + at.offset))
                .map_err(|e| e.to_string())?;
            let mut buf = vec![0; at.len as usize];
            f.read_exact(&mut buf)
                .map_err(|e| format!("cannot re-read {}: {e}", source.path.display()))?;
            Cow::Owned(buf)
        }
    };
    unwrap_record(source, &bytes)
}

/// A record's bytes as read from its file, parsed and unwrapped to its AuditData.
fn unwrap_record(source: &SourceFile, bytes: &[u8]) -> Result<serde_json::Value, String> {
    parse::record_value(source.layout.as_ref(), bytes)
}
