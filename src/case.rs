//! The case file: the investigator's verdicts and notes, keyed by session ID so they carry over
//! to a fresher export of the same tenant.
//!
//! Every change is saved at once and atomically: under an exclusive lock the file is re-read,
//! this process's changes are merged over it (so two sessionscope processes on one case never
//! lose each other's verdicts), the result is written to a temporary file in the same folder
//! (mode 0600), flushed to disk and renamed over the case file. A killed process or a dropped
//! SSH connection leaves either the old file or the new one, never half of one. A case file
//! that cannot be read is renamed aside (under a name no later one can take) and reported,
//! never overwritten; one written by a newer sessionscope is left as it is and not written.
//! A case file that is a symbolic link (a team's shared file) is updated where it points.
//! Commands that only read open a case without writing anything, not even a lock file.

use crate::time::rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const SCHEMA_VERSION: u32 = 1;

pub use sessionscope_core::verdict::{Verdict, Verdicts};

/// What the investigator said about one session. A cleared verdict stays as an entry with no
/// verdict, so that the clearing wins over an older verdict when two processes merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub verdict: Option<Verdict>,
    #[serde(default)]
    pub note: String,
    /// The session's user when it was marked, for a reader of the file.
    #[serde(default)]
    pub user: String,
    /// When it was last changed (RFC 3339 UTC); the later change wins a merge.
    pub updated: String,
    /// Verdicts on part of the session: its events from these networks (`/24`, `/48`), for a
    /// session used from the user's network and others at once (a stolen token). They win
    /// over `verdict` for those events.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Verdict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseData {
    pub schema_version: u32,
    #[serde(default)]
    pub sessions: BTreeMap<String, Entry>,
}

impl Default for CaseData {
    fn default() -> Self {
        CaseData {
            schema_version: SCHEMA_VERSION,
            sessions: BTreeMap::new(),
        }
    }
}

/// An open case file.
#[derive(Debug)]
pub struct Case {
    pub path: PathBuf,
    pub data: CaseData,
    /// What went wrong reading it, if anything (a corrupt file kept aside, a newer schema).
    pub warning: Option<String>,
    /// Where the case goes instead if the first save at `path` fails (an export on a
    /// read-only share): decided on saving, so opening a case writes nothing anywhere.
    fallback: Option<PathBuf>,
    /// Why saving is refused, when it is (a file of a newer schema, opened to read).
    refused: Option<String>,
}

#[derive(Debug)]
pub enum CaseError {
    Io(PathBuf, std::io::Error),
    /// Saving to this case is refused, and why.
    Refused(PathBuf, String),
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            CaseError::Io(p, e) => write!(f, "case file {}: {e}", p.display()),
            CaseError::Refused(p, why) => write!(f, "case file {}: {why}", p.display()),
        }
    }
}

/// Why a case file that exists could not be taken in.
enum Unreadable {
    /// Written by a newer sessionscope: valid, but not ours to rewrite.
    Newer(String),
    /// Not a case file, or a damaged one.
    Corrupt(String),
}

/// Where writes to `path` go: `path` itself, or the file a symbolic link at `path` points to
/// (through any chain of links, relative targets taken from the link's folder), so that a
/// linked team file gets the verdicts and the link stays a link.
fn write_target(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    for _ in 0..16 {
        match std::fs::read_link(&at) {
            Ok(target) => {
                at = match at.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                }
            }
            Err(_) => return at,
        }
    }
    at
}

impl std::error::Error for CaseError {}

fn now() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    rfc3339(t)
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Takes the case's lock file (created if needed) with an exclusive lock.
fn lock(path: &Path) -> Result<File, CaseError> {
    let lock_file = lock_path(path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_file)
        .map_err(|e| CaseError::Io(lock_file.clone(), e))?;
    file.lock().map_err(|e| CaseError::Io(lock_file, e))?;
    Ok(file)
}

/// Reads the case file. `Ok(None)` when there is none yet; `Err` with the reason when it
/// exists but cannot be understood.
fn read(path: &Path) -> Result<Option<CaseData>, Unreadable> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        // Nothing there (a folder on the way that is not one says so too): a new case.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || std::fs::symlink_metadata(path).is_err() =>
        {
            return Ok(None);
        }
        Err(e) => return Err(Unreadable::Corrupt(e.to_string())),
    };
    #[derive(Deserialize)]
    struct Version {
        schema_version: u32,
    }
    if let Ok(v) = serde_json::from_slice::<Version>(&text)
        && v.schema_version > SCHEMA_VERSION
    {
        return Err(Unreadable::Newer(format!(
            "it was written by a newer sessionscope (schema version {}, this one reads {SCHEMA_VERSION}): left as it is, and verdicts are not saved to it",
            v.schema_version
        )));
    }
    let data: CaseData =
        serde_json::from_slice(&text).map_err(|e| Unreadable::Corrupt(e.to_string()))?;
    Ok(Some(data))
}

/// Moves an unreadable case file aside so it is never overwritten, under a name no other
/// file has (two set aside in the same second both stay); returns where it went, or why it
/// could not be moved, in which case the caller must not write over it.
fn keep_aside(path: &Path) -> Result<PathBuf, String> {
    let stamp = now().replace(':', "");
    let mut last_error = String::from("no free name");
    for n in 1..1000 {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".corrupt-{stamp}"));
        if n > 1 {
            name.push(format!("-{n}"));
        }
        let aside = path.with_file_name(name);
        // A hard link fails when the name is taken, where a rename would replace it.
        match std::fs::hard_link(path, &aside) {
            Ok(()) => {
                std::fs::remove_file(path).map_err(|e| e.to_string())?;
                return Ok(aside);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links (some network shares): a rename to a name
            // that is free now.
            Err(_) if std::fs::symlink_metadata(&aside).is_err() => {
                match std::fs::rename(path, &aside) {
                    Ok(()) => return Ok(aside),
                    Err(e) => last_error = e.to_string(),
                }
            }
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(last_error)
}

static TMP_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Removes a temporary file when a write fails before it is renamed into place.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes `data` to `path` atomically: a temporary file in the same folder, created 0600,
/// flushed, then renamed over the target.
fn write_atomic(path: &Path, data: &CaseData) -> Result<(), CaseError> {
    let io = |e| CaseError::Io(path.to_path_buf(), e);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io)?;
    let mut cleanup = TempFile(Some(tmp.clone()));
    let mut text = serde_json::to_vec_pretty(data).expect("case data serialises");
    text.push(b'\n');
    // Test hook: lets a test kill a writer half-way through, to show the old file survives.
    if let Some(ms) = std::env::var("SESSIONSCOPE_TEST_SLOW_CASE_WRITE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        file.write_all(&text[..text.len() / 2]).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::thread::sleep(std::time::Duration::from_millis(ms));
        file.write_all(&text[text.len() / 2..]).map_err(io)?;
    } else {
        file.write_all(&text).map_err(io)?;
    }
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)?;
    cleanup.0 = None;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl Case {
    /// Opens the case at `path` (it need not exist yet). An unreadable file is renamed aside,
    /// and the case starts empty with a warning saying where the old file went.
    pub fn open(path: &Path) -> Result<Case, CaseError> {
        let target = write_target(path);
        let _guard = if target.exists() {
            Some(lock(&target)?)
        } else {
            None
        };
        let mut case = Case::empty(path);
        match read(&target) {
            Ok(d) => case.data = d.unwrap_or_default(),
            Err(Unreadable::Newer(why)) => case.refuse(why),
            Err(Unreadable::Corrupt(why)) => match keep_aside(&target) {
                Ok(a) => {
                    case.warning = Some(format!(
                        "case file {} could not be read ({why}); kept aside as {}",
                        path.display(),
                        a.display()
                    ))
                }
                Err(e) => case.refuse(format!(
                    "it could not be read ({why}) nor moved aside ({e}): left as it is, and \
                     verdicts are not saved over it"
                )),
            },
        }
        Ok(case)
    }

    /// Opens the case at `path` to read its verdicts, writing nothing: no lock file, and an
    /// unreadable file is left where it is. Saving to it is refused.
    pub fn open_to_read(path: &Path) -> Case {
        let mut case = Case::empty(path);
        match read(&write_target(path)) {
            Ok(d) => case.data = d.unwrap_or_default(),
            Err(Unreadable::Newer(why)) => case.refuse(why),
            Err(Unreadable::Corrupt(why)) => {
                case.warning = Some(format!(
                    "case file {} could not be read ({why}); left as it is",
                    path.display()
                ))
            }
        }
        case.refused
            .get_or_insert_with(|| "it was opened only to read".into());
        case
    }

    fn empty(path: &Path) -> Case {
        Case {
            path: path.to_path_buf(),
            data: CaseData::default(),
            warning: None,
            fallback: None,
            refused: None,
        }
    }

    /// Refuses saving, saying why in the warning.
    fn refuse(&mut self, why: String) {
        self.warning = Some(format!("case file {}: {why}", self.path.display()));
        self.refused = Some(why);
    }

    /// The case of an export: its existing case file if there is one, otherwise a new one
    /// beside the export, moving to the per-user data folder if it cannot be written there.
    pub fn for_input(first_input: &Path) -> Result<Case, CaseError> {
        match existing_path(first_input) {
            Some(path) => Case::open(&path),
            None => Case::open_placed(&beside_path(first_input), Some(data_path(first_input))),
        }
    }

    /// Opens the case at `path`, to be saved at `fallback` instead if saving at `path` fails.
    pub fn open_placed(path: &Path, fallback: Option<PathBuf>) -> Result<Case, CaseError> {
        let mut case = Case::open(path)?;
        case.fallback = fallback;
        Ok(case)
    }

    pub fn entry(&self, session_id: &str) -> Option<&Entry> {
        self.data.sessions.get(&session_id.to_ascii_lowercase())
    }

    /// The verdicts on whole sessions of `store`, by the store's handle of each session ID
    /// (IDs the store does not hold are left out).
    pub fn verdicts(&self, store: &sessionscope_core::Store) -> Verdicts {
        self.data
            .sessions
            .iter()
            .filter_map(|(id, e)| Some((store.lookup(id)?, e.verdict?)))
            .collect()
    }

    pub fn verdict(&self, session_id: &str) -> Option<Verdict> {
        self.entry(session_id).and_then(|e| e.verdict)
    }

    pub fn note(&self, session_id: &str) -> Option<&str> {
        self.entry(session_id)
            .map(|e| e.note.as_str())
            .filter(|n| !n.is_empty())
    }

    /// Sets the verdict (`None` clears it) and saves at once.
    pub fn set_verdict(
        &mut self,
        session_id: &str,
        user: &str,
        verdict: Option<Verdict>,
    ) -> Result<(), CaseError> {
        let id = session_id.to_ascii_lowercase();
        let old = self.entry(&id);
        let note = old.map(|e| e.note.clone()).unwrap_or_default();
        let networks = old.map(|e| e.networks.clone()).unwrap_or_default();
        self.save_entry(
            id,
            Entry {
                verdict,
                note,
                user: user.to_string(),
                updated: now(),
                networks,
            },
        )
    }

    /// Sets the verdict of the session's events from `networks` (`None` clears it) and saves
    /// at once; the session's own verdict is kept.
    pub fn set_network_verdict(
        &mut self,
        session_id: &str,
        user: &str,
        networks: &[String],
        verdict: Option<Verdict>,
    ) -> Result<(), CaseError> {
        let id = session_id.to_ascii_lowercase();
        let mut entry = self.entry(&id).cloned().unwrap_or(Entry {
            verdict: None,
            note: String::new(),
            user: user.to_string(),
            updated: String::new(),
            networks: BTreeMap::new(),
        });
        for n in networks {
            match verdict {
                Some(v) => entry.networks.insert(n.clone(), v),
                None => entry.networks.remove(n),
            };
        }
        entry.user = user.to_string();
        entry.updated = now();
        self.save_entry(id, entry)
    }

    /// The verdict of the session's events from `network`, if that part was marked.
    pub fn network_verdict(&self, session_id: &str, network: &str) -> Option<Verdict> {
        self.entry(session_id)
            .and_then(|e| e.networks.get(network).copied())
    }

    /// Puts a session's entry back as it was (`None`: as if never marked nor noted) and saves
    /// at once: what undo does.
    pub fn restore_entry(
        &mut self,
        session_id: &str,
        user: &str,
        previous: Option<Entry>,
    ) -> Result<(), CaseError> {
        let mut entry = previous.unwrap_or(Entry {
            verdict: None,
            note: String::new(),
            user: user.to_string(),
            updated: String::new(),
            networks: BTreeMap::new(),
        });
        entry.updated = now();
        self.save_entry(session_id.to_ascii_lowercase(), entry)
    }

    /// Sets the free-text note and saves at once.
    pub fn set_note(&mut self, session_id: &str, user: &str, note: &str) -> Result<(), CaseError> {
        let id = session_id.to_ascii_lowercase();
        let verdict = self.entry(&id).and_then(|e| e.verdict);
        let networks = self
            .entry(&id)
            .map(|e| e.networks.clone())
            .unwrap_or_default();
        self.save_entry(
            id,
            Entry {
                verdict,
                note: note.to_string(),
                user: user.to_string(),
                updated: now(),
                networks,
            },
        )
    }

    /// Merges one changed entry into the file on disk, under the lock, and takes back what
    /// other processes wrote meanwhile.
    fn save_entry(&mut self, id: String, entry: Entry) -> Result<(), CaseError> {
        if let Some(why) = &self.refused {
            return Err(CaseError::Refused(self.path.clone(), why.clone()));
        }
        match self.save_entry_here(id.clone(), entry.clone()) {
            Err(e) => match self.fallback.take() {
                Some(elsewhere) => {
                    let here = std::mem::replace(&mut self.path, elsewhere);
                    self.save_entry_here(id, entry).map(|()| {
                        self.warning = Some(format!(
                            "cannot write beside the export ({e}); case file is {} (was to be {})",
                            self.path.display(),
                            here.display()
                        ));
                    })
                }
                None => Err(e),
            },
            ok => {
                self.fallback = None;
                ok
            }
        }
    }

    fn save_entry_here(&mut self, id: String, entry: Entry) -> Result<(), CaseError> {
        let target = write_target(&self.path);
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| CaseError::Io(dir.to_path_buf(), e))?;
        }
        let _guard = lock(&target)?;
        let mut on_disk = match read(&target) {
            Ok(d) => d.unwrap_or_default(),
            Err(Unreadable::Newer(why)) => {
                self.refuse(why.clone());
                return Err(CaseError::Refused(self.path.clone(), why));
            }
            // Someone left an unreadable file since we opened: keep it, start from ours.
            Err(Unreadable::Corrupt(why)) => match keep_aside(&target) {
                Ok(aside) => {
                    self.warning = Some(format!(
                        "case file became unreadable ({why}); kept aside as {}",
                        aside.display()
                    ));
                    self.data.clone()
                }
                Err(e) => {
                    let why = format!(
                        "it became unreadable ({why}) and could not be moved aside ({e}): left \
                         as it is, and verdicts are not saved over it"
                    );
                    self.refuse(why.clone());
                    return Err(CaseError::Refused(self.path.clone(), why));
                }
            },
        };
        let newer = on_disk
            .sessions
            .get(&id)
            .is_none_or(|theirs| theirs.updated <= entry.updated);
        if newer {
            on_disk.sessions.insert(id, entry);
        }
        on_disk.schema_version = SCHEMA_VERSION;
        write_atomic(&target, &on_disk)?;
        self.data = on_disk;
        Ok(())
    }

    /// Re-reads the file, to pick up another process's verdicts.
    pub fn refresh(&mut self) {
        if let Ok(Some(d)) = read(&write_target(&self.path)) {
            self.data = d;
        }
    }
}

/// The case file of `first_input` if one was written, looked up without writing anything: a
/// command that only reads an export never touches the folder it sits in (its modification
/// time may be evidence).
pub fn existing_path(first_input: &Path) -> Option<PathBuf> {
    [beside_path(first_input), data_path(first_input)]
        .into_iter()
        .find(|p| p.is_file())
}

/// `<first input>.case.json`, beside the export: where a new case goes first.
pub fn beside_path(first_input: &Path) -> PathBuf {
    let mut name = first_input.file_name().unwrap_or_default().to_os_string();
    name.push(".case.json");
    first_input.with_file_name(name)
}

/// Where a case goes when it cannot be written beside its export: the per-user data folder
/// (`$XDG_DATA_HOME/sessionscope`, or `~/.local/share/sessionscope`), named after the export's
/// full path so two exports of the same name do not share a case.
fn data_path(first_input: &Path) -> PathBuf {
    let mut name = first_input.file_name().unwrap_or_default().to_os_string();
    name.push(".case.json");
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    let full = std::fs::canonicalize(first_input).unwrap_or_else(|_| first_input.to_path_buf());
    let tag = full
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let mut file = name;
    file.push(format!("-{tag:016x}"));
    data_home.join("sessionscope").join(file)
}

/// Where the TUI writes the report: beside the case file, `.case.json` becoming `.report.md`.
pub fn report_path(case_path: &Path) -> PathBuf {
    let name = case_path.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".case.json").unwrap_or(&name);
    case_path.with_file_name(format!("{stem}.report.md"))
}

/// Writes a report beside the case file as a new file, readable by its owner only: at
/// [`report_path`], or when something is there already (an earlier report, perhaps edited,
/// or a link) at the first free `-2`, `-3`... name. Nothing is replaced and no link is
/// followed: the file is created only if the name is free. Returns the path written.
pub fn write_new_report(case_path: &Path, text: &str) -> std::io::Result<PathBuf> {
    let first = report_path(case_path);
    let stem = first
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .trim_end_matches(".md")
        .to_string();
    for n in 1..1000 {
        let path = match n {
            1 => first.clone(),
            n => first.with_file_name(format!("{stem}-{n}.md")),
        };
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = match options.open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        let mut cleanup = TempFile(Some(path.clone()));
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        cleanup.0 = None;
        return Ok(path);
    }
    Err(std::io::Error::other(format!(
        "999 reports are beside {} already",
        case_path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir =
            std::env::temp_dir().join(format!("sessionscope-case-tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // The case path is a folder: the rename over it fails after the temporary file is
        // written.
        let path = dir.join("case.json");
        std::fs::create_dir_all(path.join("in-the-way")).unwrap();
        assert!(write_atomic(&path, &CaseData::default()).is_err());
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["case.json"], "only the folder in the way is left");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
