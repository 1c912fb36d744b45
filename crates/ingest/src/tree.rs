//! Folders of exports, as warehouses keep them: a folder given on the command line is walked,
//! and with a time window its `y=YYYY/m=MM/d=DD/h=HH[/m=MM]` partitions (Log Analytics data
//! export, diagnostic settings) outside the window are passed over before anything in them
//! is opened.

use sessionscope_core::time::days_from_civil;
use std::path::{Path, PathBuf};

/// A time window, UTC seconds: `from` included, `to` not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    pub fn contains(&self, t: i64) -> bool {
        self.from <= t && t < self.to
    }

    fn overlaps(&self, (start, end): (i64, i64)) -> bool {
        start < self.to && self.from < end
    }
}

/// The files to read, and what the window passed over unopened.
#[derive(Debug, Default)]
pub struct Expanded {
    pub files: Vec<PathBuf>,
    /// Partition folders and files whose path lies outside the window.
    pub pruned: usize,
}

/// The partition a path's components name so far, as the span of time it holds: `y=2024`
/// a year, `y=2024/m=03` a month, then a day, an hour, and (the second `m=`) a minute.
fn partition_span(path: &Path) -> Option<(i64, i64)> {
    let mut parts: Vec<i64> = Vec::new();
    for component in path.components() {
        let name = component.as_os_str().to_str()?;
        let Some((key, value)) = name.split_once('=') else {
            continue;
        };
        let expected = ["y", "m", "d", "h", "m"];
        if parts.len() < expected.len() && key.eq_ignore_ascii_case(expected[parts.len()]) {
            parts.push(value.parse().ok()?);
        }
    }
    let (y, rest) = parts.split_first()?;
    let month = rest.first().copied();
    let day = rest.get(1).copied();
    let hour = rest.get(2).copied();
    let minute = rest.get(3).copied();
    let start_of = |y: i64, m: i64, d: i64| days_from_civil(y, m, d) * 86_400;
    Some(match (month, day, hour, minute) {
        (None, ..) => (start_of(*y, 1, 1), start_of(y + 1, 1, 1)),
        (Some(m), None, ..) => {
            let next = if m == 12 { (y + 1, 1) } else { (*y, m + 1) };
            (start_of(*y, m, 1), start_of(next.0, next.1, 1))
        }
        (Some(m), Some(d), None, _) => (start_of(*y, m, d), start_of(*y, m, d) + 86_400),
        (Some(m), Some(d), Some(h), None) => {
            let t = start_of(*y, m, d) + h * 3600;
            (t, t + 3600)
        }
        // A blob per five minutes (PT05M.json) or per hour starting at the minute.
        (Some(m), Some(d), Some(h), Some(min)) => {
            let t = start_of(*y, m, d) + h * 3600 + min * 60;
            (t, t + 3600)
        }
    })
}

/// True when a name is not an export: hidden files, and what sessionscope itself writes
/// beside exports (case files, reports, their locks).
fn not_an_export(name: &str) -> bool {
    // Reports are `<case>.report.md`, `<case>.report-2.md`...: an export whose name only
    // holds `.report` (`tenant.reporting.csv`) is read.
    let report = name.ends_with(".md") && name.contains(".report");
    name.starts_with('.') || name.ends_with(".case.json") || name.contains(".case.json.") || report
}

/// Expands `paths`: files as they are, folders walked in name order; with `window`, what a
/// partition path puts outside it is passed over and counted.
pub fn expand(paths: &[PathBuf], window: Option<Window>) -> Expanded {
    let mut out = Expanded::default();
    for path in paths {
        if path.is_dir() {
            walk(path, window, &mut out);
        } else {
            out.files.push(path.clone());
        }
    }
    out
}

fn walk(dir: &Path, window: Option<Window>, out: &mut Expanded) {
    if let (Some(w), Some(span)) = (window, partition_span(dir))
        && !w.overlaps(span)
    {
        out.pruned += 1;
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Unreadable: given as a file, the loader says why.
        out.files.push(dir.to_path_buf());
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if not_an_export(name) {
            continue;
        }
        if path.is_dir() {
            walk(&path, window, out);
        } else if let (Some(w), Some(span)) = (window, partition_span(&path))
            && !w.overlaps(span)
        {
            out.pruned += 1;
        } else {
            out.files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400
    }

    #[test]
    fn the_look_before_parsing_never_drops_what_the_slice_keeps() {
        let n = Narrow::new(
            &["Alex.Wilber@contoso.com".into()],
            &["12BCE6D0".into()],
            &[],
        );
        let record = br#"{"UserId":"alex.wilber@CONTOSO.com","SessionId":"12bce6d0-bfeb-4a82"}"#;
        assert!(n.may_keep(record));
        assert!(n.keeps("alex.wilber@contoso.com", "12bce6d0-bfeb-4a82", ""));
        assert!(!n.may_keep(br#"{"UserId":"megan@contoso.com","SessionId":"12bce6d0"}"#));
        // An IPv6 address has several spellings: left to the check after parsing.
        let v6 = Narrow::new(&[], &[], &["[2001:DB8::1]:443".into()]);
        assert!(v6.may_keep(br#"{"ClientIP":"2001:0db8:0:0::1"}"#));
        let v4 = Narrow::new(&[], &[], &["198.51.100.23".into()]);
        assert!(v4.may_keep(br#"{"ClientIP":"198.51.100.23:41952"}"#));
        assert!(!v4.may_keep(br#"{"ClientIP":"203.0.113.10"}"#));
    }

    #[test]
    fn partitions_name_their_span() {
        let p = |s: &str| partition_span(Path::new(s));
        assert_eq!(p("a/y=2024/m=03"), Some((day(2024, 3, 1), day(2024, 4, 1))));
        assert_eq!(
            p("a/y=2024/m=12"),
            Some((day(2024, 12, 1), day(2025, 1, 1)))
        );
        assert_eq!(
            p("am-OfficeActivity/WorkspaceResourceId=x/y=2024/m=03/d=12/h=04/m=05/PT05M.json"),
            Some((
                day(2024, 3, 12) + 4 * 3600 + 300,
                day(2024, 3, 12) + 5 * 3600 + 300
            ))
        );
        assert_eq!(p("exports/tenant.csv"), None);
    }

    #[test]
    fn a_tree_is_walked_and_pruned_by_its_partitions() {
        let root = std::env::temp_dir().join(format!("sessionscope-tree-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (d, h) in [(11, 23), (12, 3), (12, 4), (13, 0)] {
            let dir = root.join(format!("y=2024/m=03/d={d:02}/h={h:02}/m=00"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("PT1H.json"), b"{}").unwrap();
        }
        std::fs::write(root.join("notes.case.json"), b"{}").unwrap();
        std::fs::write(root.join("notes.report-2.md"), b"# report").unwrap();
        std::fs::write(root.join("tenant.reporting.csv"), b"x").unwrap();
        let all = expand(std::slice::from_ref(&root), None);
        // The case file and its report are left out; an export named `reporting` is not.
        assert_eq!((all.files.len(), all.pruned), (5, 0), "{:?}", all.files);
        let window = Window {
            from: day(2024, 3, 12),
            to: day(2024, 3, 12) + 4 * 3600,
        };
        let sliced = expand(std::slice::from_ref(&root), Some(window));
        // The hour inside the window, and the file outside any partition.
        assert_eq!(sliced.files.len(), 2, "{:?}", sliced.files);
        assert!(
            sliced
                .files
                .iter()
                .any(|f| f.to_string_lossy().contains("d=12/h=03"))
        );
        // d=11 and d=13 whole, and h=04 of d=12.
        assert_eq!(sliced.pruned, 3);
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// Who or what to load (`--user`, `--session`, `--ip`): a record is kept when it matches one
/// value of each kind given. Users and sessions compare without case (a session by any prefix
/// of its ID, as the tables print 8 characters); IPs as the loader normalises them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Narrow {
    pub users: Vec<String>,
    pub sessions: Vec<String>,
    pub ips: Vec<String>,
}

impl Narrow {
    pub fn new(users: &[String], sessions: &[String], ips: &[String]) -> Narrow {
        let lower = |v: &[String]| v.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
        Narrow {
            users: lower(users),
            sessions: lower(sessions),
            ips: ips
                .iter()
                .map(|ip| {
                    sessionscope_core::ip::normalise(ip.trim())
                        .map_or_else(|| ip.trim().to_ascii_lowercase(), |n| n.into_owned())
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.sessions.is_empty() && self.ips.is_empty()
    }

    /// Whether a record of `user`, `session` and `ip` (as the store keeps them) is kept.
    pub fn keeps(&self, user: &str, session: &str, ip: &str) -> bool {
        (self.users.is_empty() || self.users.iter().any(|u| u.eq_ignore_ascii_case(user)))
            && (self.sessions.is_empty()
                || !session.is_empty()
                    && self.sessions.iter().any(|s| {
                        session.len() >= s.len() && session[..s.len()].eq_ignore_ascii_case(s)
                    }))
            && (self.ips.is_empty() || self.ips.iter().any(|i| i == ip))
    }
}

/// True when `hay` holds `needle` (lower-case ASCII) in any case. The search runs on one
/// byte of the needle that has no case where there is one (the `@` of an address, a digit of
/// an ID or IP): a letter as common as `u` would stop it at every other word.
fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    let anchor = needle
        .iter()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(0);
    let byte = needle[anchor];
    let matches_at = |at: usize| {
        at.checked_sub(anchor)
            .and_then(|start| hay.get(start..start + needle.len()))
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    };
    if byte.is_ascii_alphabetic() {
        memchr::memchr2_iter(byte, byte.to_ascii_uppercase(), hay).any(matches_at)
    } else {
        memchr::memchr_iter(byte, hay).any(matches_at)
    }
}

impl Narrow {
    /// Whether a record's text may hold what is asked, looked for before the record is
    /// parsed: false only when, for a kind asked for, none of its values occurs in the text
    /// in any case, so that a record skipped here would have been passed over anyway. (IPv6
    /// addresses are written in several forms: they are left to [`Narrow::keeps`].)
    pub fn may_keep(&self, text: &[u8]) -> bool {
        let any = |values: &[String]| {
            values.is_empty()
                || values
                    .iter()
                    .any(|v| contains_ignore_case(text, v.as_bytes()))
        };
        let ips_searchable = self.ips.iter().all(|ip| !ip.contains(':'));
        any(&self.users) && any(&self.sessions) && (!ips_searchable || any(&self.ips))
    }
}
