//! Where each loaded record lives, so it can be read again: the detail view shows a record
//! whole, and the load reads the telling records (rules, forwarding, grants, consents) once
//! for their facts. The store keeps one summary line per event, not the record.

use crate::load::format::CsvLayout;
use crate::load::{normalise, parse};
use rustc_hash::FxHashMap;
use sessionscope_core::audit::{self, Action};
use sessionscope_core::model::{Event, RecordId, SourceRef};
use sessionscope_core::store::Store;
use sessionscope_core::telling::{Telling, TellingColumn};
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

    /// What each of `events` (ids into `store.events`) did, in the same order: `Ok(None)` for
    /// a record that holds nothing telling, `Err` for one that could not be read back. Each
    /// file is opened once, a gzip file decompressed once.
    pub fn actions_of(&self, store: &Store, events: &[u32]) -> Vec<Result<Option<Action>, String>> {
        let mut out: Vec<Result<Option<Action>, String>> =
            events.iter().map(|_| Ok(None)).collect();
        let mut by_file: FxHashMap<u16, Vec<usize>> = FxHashMap::default();
        for (at, &e) in events.iter().enumerate() {
            by_file
                .entry(store.source(&store.events[e as usize]).file)
                .or_default()
                .push(at);
        }
        for (file, places) in by_file {
            let refs: Vec<_> = places
                .iter()
                .map(|&at| store.source(&store.events[events[at] as usize]))
                .collect();
            let records = match self.files.get(file as usize) {
                Some(source) => reread_many(source, &refs),
                None => refs
                    .iter()
                    .map(|_| Err("the record's file is unknown".to_string()))
                    .collect(),
            };
            for (&at, record) in places.iter().zip(records) {
                let op = store.str(store.events[events[at] as usize].operation);
                out[at] = record.map(|value| audit::action::read(audit::classify(op), op, &value));
            }
        }
        out
    }
}

/// Reads the telling records of `store` (rules, forwarding, grants, consents) once, for
/// their facts.
pub fn read_telling(store: &Store, sources: &Sources) -> TellingColumn {
    let events = store.telling_events();
    let facts = sources.actions_of(store, &events);
    TellingColumn::new(
        events
            .into_iter()
            .zip(facts)
            .map(|(e, read)| {
                let facts = match read {
                    Ok(Some(action)) => Telling::Did(action),
                    Ok(None) => Telling::Nothing,
                    Err(why) => Telling::Unread(why),
                };
                (e, facts)
            })
            .collect(),
    )
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

/// The raw AuditData of several events of one file, in the order of `at`: the file opened
/// once, and a gzip file decompressed in one pass rather than once per record.
fn reread_many(source: &SourceFile, at: &[SourceRef]) -> Vec<Result<serde_json::Value, String>> {
    let cannot = |e: std::io::Error| format!("cannot re-read {}: {e}", source.path.display());
    let file = match &source.raw {
        RawSource::Memory(_) | RawSource::Pipe => {
            return at.iter().map(|&r| reread(source, r)).collect();
        }
        _ => match std::fs::File::open(&source.path) {
            Ok(f) => f,
            Err(e) => {
                let why = cannot(e);
                return at.iter().map(|_| Err(why.clone())).collect();
            }
        },
    };
    let skip = match source.raw {
        RawSource::Gzip { skip } => skip,
        RawSource::Disk { base } => {
            use std::os::unix::fs::FileExt;
            return at
                .iter()
                .map(|r| {
                    let mut buf = vec![0; r.len as usize];
                    file.read_exact_at(&mut buf, base + r.offset)
                        .map_err(cannot)?;
                    unwrap_record(source, &buf)
                })
                .collect();
        }
        RawSource::Memory(_) | RawSource::Pipe => unreachable!("returned above"),
    };
    use std::io::Read;
    let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
    let mut out: Vec<Result<serde_json::Value, String>> =
        at.iter().map(|_| Err(String::new())).collect();
    let mut order: Vec<usize> = (0..at.len()).collect();
    order.sort_by_key(|&i| at[i].offset);
    // How far the decompressed stream has been read.
    let mut position = 0u64;
    let mut previous: Option<(SourceRef, usize)> = None;
    let mut broken: Option<String> = None;
    for i in order {
        let r = at[i];
        if let Some((p, j)) = previous
            && p == r
        {
            out[i] = out[j].clone();
            continue;
        }
        let want = skip + r.offset;
        let mut buf = vec![0; r.len as usize];
        let read = if let Some(why) = &broken {
            Err(why.clone())
        } else if want < position {
            Err("records overlap in the file".to_string())
        } else {
            std::io::copy(&mut (&mut gz).take(want - position), &mut std::io::sink())
                .and_then(|_| gz.read_exact(&mut buf))
                .map_err(cannot)
        };
        position = want + u64::from(r.len);
        if let Err(why) = &read {
            // The stream stands somewhere unknown now: nothing after can be trusted.
            broken = Some(why.clone());
        }
        out[i] = read.and_then(|()| unwrap_record(source, &buf));
        previous = Some((r, i));
    }
    out
}

/// A record's bytes as read from its file, parsed and unwrapped to its AuditData.
fn unwrap_record(source: &SourceFile, bytes: &[u8]) -> Result<serde_json::Value, String> {
    let json = parse::record_json(source.layout.as_ref(), bytes)?.into_json();
    let mut value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| normalise::json_error(&e))?;
    // Unwrap the same wrappers the loader looks through.
    for _ in 0..6 {
        let inner = [
            "AuditData",
            "auditData",
            "RawEventData",
            "properties",
            "message",
            "input",
        ]
        .iter()
        .find_map(|k| value.get(k).cloned());
        match inner {
            Some(serde_json::Value::String(s)) => match serde_json::from_str(&s) {
                Ok(v) => value = v,
                Err(_) => break,
            },
            Some(v @ serde_json::Value::Object(_)) => value = v,
            _ => break,
        }
    }
    Ok(value)
}
