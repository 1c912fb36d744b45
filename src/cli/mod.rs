//! The command line: `sessionscope FILE...` opens the investigator; `stats`, `sessions` and
//! `timeline` print the same facts as tables, JSON Lines or CSV.

use crate::case::{Case, Verdict};
use crate::facts::{self, TimelineFilter};
use crate::sanitize::{csv_cell, for_terminal};
use crate::store::Store;
use crate::text as table;
use crate::time::{rfc3339, short_duration};
use clap::{Args, Parser, Subcommand};
use sessionscope_ingest::ipdb::IpDb;
use sessionscope_ingest::{LoadOptions, LoadReport, load};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "sessionscope",
    version,
    about = "Investigate Microsoft 365 / Exchange Online audit logs by Azure AD session",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Audit exports to open in the investigator (CSV, JSON, JSON Lines, .gz).
    files: Vec<PathBuf>,
    /// Case file of verdicts and notes (default: <first file>.case.json beside it, or the
    /// per-user data folder when that folder is not writable).
    #[arg(long)]
    case: Option<PathBuf>,
    /// MaxMind-format databases (GeoLite2, DB-IP, IPinfo: country, city, ASN) to place IPs
    /// with; may repeat. Default: $XDG_CONFIG_HOME/sessionscope/ip-db/*.mmdb.
    #[arg(long = "ip-db")]
    ip_db: Vec<PathBuf>,
    #[command(flatten)]
    slice: Slice,
}

/// The time window to load (UTC): folders' `y=/m=/d=/h=` partitions outside it are not
/// opened, records outside it are passed over.
#[derive(Args, Debug, Default, Clone)]
struct Slice {
    /// Load from this time on (UTC): `2024-03-12`, `2024-03-12T04:00`, RFC 3339.
    #[arg(long)]
    from: Option<String>,
    /// Load up to this time (UTC, not included); a day alone means up to its end.
    #[arg(long)]
    to: Option<String>,
    /// Load only this user's records (UPN, any case); repeat for several.
    #[arg(long = "user")]
    users: Vec<String>,
    /// Load only this session's records: its ID, or any prefix of it (as the tables print
    /// them); repeat for several (`timeline` interleaves them).
    #[arg(long = "session")]
    sessions: Vec<String>,
    /// Load only the records from this IP, in any form (port, brackets and case do not
    /// matter); repeat for several.
    #[arg(long = "ip")]
    ips: Vec<String>,
}

impl Slice {
    fn window(&self) -> Result<Option<sessionscope_ingest::tree::Window>, String> {
        let at = |given: &str, option: &str| -> Result<(i64, bool), String> {
            let t = given.trim();
            let day_only = t.len() == 10 && t.as_bytes().get(4) == Some(&b'-');
            // `2024-03-12 04:30` and `2024-03-12T04:30`: minutes without seconds.
            let mut full = t.replacen(' ', "T", 1);
            if full.len() == 16 && full.as_bytes().get(10) == Some(&b'T') {
                full.push_str(":00");
            }
            crate::time::parse_iso(&full)
                .or_else(|| crate::time::parse_loose(t))
                .map(|v| (v, day_only))
                .ok_or_else(|| {
                    format!("{option} {t:?} is not a time: give 2024-03-12, 2024-03-12T04:00 or RFC 3339")
                })
        };
        if self.from.is_none() && self.to.is_none() {
            return Ok(None);
        }
        let from = match &self.from {
            Some(f) => at(f, "--from")?.0,
            None => i64::MIN,
        };
        let to = match &self.to {
            Some(t) => {
                let (v, day_only) = at(t, "--to")?;
                if day_only { v + 86_400 } else { v }
            }
            None => i64::MAX,
        };
        if from >= to {
            return Err("--from must come before --to".into());
        }
        Ok(Some(sessionscope_ingest::tree::Window { from, to }))
    }

    fn narrow(&self) -> Option<sessionscope_ingest::tree::Narrow> {
        let n = sessionscope_ingest::tree::Narrow::new(&self.users, &self.sessions, &self.ips);
        (!n.is_empty()).then_some(n)
    }

    /// The slice as the options that give it, for messages.
    fn words(&self) -> String {
        let mut words = Vec::new();
        for (flag, values) in [
            ("--user", &self.users),
            ("--session", &self.sessions),
            ("--ip", &self.ips),
        ] {
            words.extend(values.iter().map(|v| format!("{flag} {}", v.trim())));
        }
        for (flag, value) in [("--from", &self.from), ("--to", &self.to)] {
            if let Some(v) = value {
                words.push(format!("{flag} {}", v.trim()));
            }
        }
        words.join(" ")
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Counts: events, duplicates, skipped records, users, sessions, per-file problems.
    Stats {
        #[command(flatten)]
        input: Input,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One row per session (and per user's activity without a session), by first activity.
    Sessions {
        #[command(flatten)]
        input: Input,
        /// Order: by first activity (default) or by risk, highest first.
        #[arg(long, value_enum, default_value = "first-seen")]
        sort: SessionOrder,
        #[command(flatten)]
        output: Output,
    },
    /// Actions in time order, optionally narrowed to a user, sessions or an IP.
    Timeline {
        #[command(flatten)]
        input: Input,
        /// An operation name, any case (`New-InboxRule`, `send`); repeat for several.
        #[arg(long = "operation")]
        operations: Vec<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Sessions of any user sharing an IP, client or token ID with the attacker sessions (those
    /// marked in the case file, or --session), strongest link first: the list `L` shows.
    Linked {
        #[command(flatten)]
        input: Input,
        /// An attacker session ID (or a prefix no other ID shares); repeat for several.
        /// Default: the sessions marked attacker in the case file.
        #[arg(long = "attacker")]
        attackers: Vec<String>,
        #[command(flatten)]
        output: Output,
    },
    /// The query that pulls the slice (--session, --user, --ip, --from, --to) from where a
    /// big tenant keeps its logs: Sentinel / Log Analytics (KQL, the default), Defender XDR
    /// advanced hunting, Splunk, Elastic. Reads no file.
    Query {
        #[command(flatten)]
        slice: Slice,
        #[command(flatten)]
        dialect: QueryDialect,
    },
    /// The incident report: attacker sessions (from the case file), their actions, and a
    /// remediation checklist.
    Report {
        #[command(flatten)]
        input: Input,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
    },
    /// Set a session's verdict or note in the case file, as the TUI's A/U/X/e keys do.
    Mark {
        #[command(flatten)]
        input: Inputs,
        /// The session ID to mark, or any prefix of it no other ID shares.
        #[arg(long)]
        session: String,
        #[command(flatten)]
        verdict: MarkVerdict,
        /// A free-text note for the session.
        #[arg(long)]
        note: Option<String>,
        /// Give the verdict only to the session's actions from networks the user's other
        /// sessions never used, for a session used from two places at once (stolen token).
        #[arg(long)]
        other_networks: bool,
    },
}

#[derive(Args, Debug)]
#[group(required = false, multiple = false)]
struct QueryDialect {
    /// Sentinel / Log Analytics KQL (the default).
    #[arg(long)]
    kql: bool,
    /// Defender XDR advanced hunting KQL.
    #[arg(long)]
    xdr: bool,
    /// Splunk SPL.
    #[arg(long)]
    spl: bool,
    /// Elastic ES|QL.
    #[arg(long)]
    esql: bool,
}

#[derive(Args, Debug)]
#[group(required = false, multiple = false)]
struct MarkVerdict {
    /// The session is the attacker's.
    #[arg(long)]
    attacker: bool,
    /// The session is the real user's.
    #[arg(long)]
    user: bool,
    /// Clear the verdict.
    #[arg(long)]
    clear: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SessionOrder {
    FirstSeen,
    Risk,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ReportFormat {
    Md,
    Csv,
    Json,
}

#[derive(Args, Debug)]
struct Input {
    #[command(flatten)]
    files_and_case: Inputs,
    #[command(flatten)]
    slice: Slice,
}

/// The exports, the case file and the IP databases, as every command takes them.
#[derive(Args, Debug)]
struct Inputs {
    /// Audit exports, or folders of them: any mix of the supported formats.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Case file of verdicts and notes (default: <first file>.case.json, see the TUI).
    #[arg(long)]
    case: Option<PathBuf>,
    /// MaxMind-format databases to place IPs with; may repeat (default: the XDG config's).
    #[arg(long = "ip-db")]
    ip_db: Vec<PathBuf>,
}

/// The IP databases: those named, else those in the XDG config folder; none is fine.
fn open_ip_db(named: &[PathBuf]) -> Result<Option<IpDb>, String> {
    if !named.is_empty() {
        return IpDb::open(named).map(Some);
    }
    // A database left in the config folder that cannot be read must not stop every command:
    // the run goes on without it, and says so.
    let defaults = IpDb::default_paths();
    if defaults.is_empty() {
        return Ok(None);
    }
    match IpDb::open(&defaults) {
        Ok(db) => Ok(Some(db)),
        Err(why) => {
            eprintln!(
                "sessionscope: warning: {}; IPs are placed from sign-ins only",
                for_terminal(&why)
            );
            Ok(None)
        }
    }
}

/// The case for these inputs: `--case`, or the case of the first input. Commands that only
/// read (`writes` false) open an existing case or none; `mark` may start one.
pub fn open_case(explicit: Option<&Path>, files: &[PathBuf], writes: bool) -> Option<Case> {
    let opened = match (explicit, files.first()) {
        (Some(path), _) if writes => Case::open(path),
        (Some(path), _) => Ok(Case::open_to_read(path)),
        (None, Some(first)) if writes => Case::for_input(first),
        (None, Some(first)) => Ok(Case::open_to_read(&crate::case::existing_path(first)?)),
        (None, None) => return None,
    };
    match opened {
        Ok(case) => {
            if let Some(w) = &case.warning {
                eprintln!("sessionscope: warning: {}", for_terminal(w));
            }
            Some(case)
        }
        Err(e) => {
            eprintln!("sessionscope: {}", for_terminal(&e.to_string()));
            None
        }
    }
}

#[derive(Args, Debug)]
#[group(multiple = false)]
struct Output {
    /// JSON Lines: one object per line.
    #[arg(long)]
    json: bool,
    /// CSV with a header row.
    #[arg(long)]
    csv: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::fault::install();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`| head`) is not an error worth a message.
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("sessionscope: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        if cli.files.is_empty() {
            eprintln!("sessionscope: give one or more audit exports to open (see --help)");
            return Ok(ExitCode::from(2));
        }
        if let Some(why) = crate::tui::no_terminal() {
            eprintln!("sessionscope: {why}");
            return Ok(ExitCode::from(2));
        }
        let db = match open_ip_db(&cli.ip_db) {
            Ok(db) => db,
            Err(why) => {
                eprintln!("sessionscope: {}", for_terminal(&why));
                return Ok(ExitCode::from(2));
            }
        };
        let window = match cli.slice.window() {
            Ok(w) => w,
            Err(why) => {
                eprintln!("sessionscope: {why}");
                return Ok(ExitCode::from(2));
            }
        };
        let outcome = crate::tui::run(
            &cli.files,
            cli.case.as_deref(),
            db,
            window,
            cli.slice.narrow(),
        )?;
        if let Some(report) = &outcome.problems {
            print_problems(report);
            if outcome.code == ExitCode::from(2) {
                eprintln!("sessionscope: nothing usable could be read");
            }
        }
        return Ok(outcome.code);
    };
    let (input, slice) = match &command {
        Command::Stats { input, .. }
        | Command::Sessions { input, .. }
        | Command::Timeline { input, .. }
        | Command::Linked { input, .. }
        | Command::Report { input, .. } => (&input.files_and_case, input.slice.clone()),
        // `mark` names a session and a verdict with --session and --user: it loads whole.
        Command::Mark { input, .. } => (input, Slice::default()),
        // It reads no file: the query is all there is to print.
        Command::Query { slice, dialect } => return Ok(query_command(slice, dialect)),
    };
    let files = &input.files;
    let writes = matches!(command, Command::Mark { .. });
    let case = open_case(input.case.as_deref(), files, writes);
    let db = match open_ip_db(&input.ip_db) {
        Ok(db) => db,
        Err(why) => {
            eprintln!("sessionscope: {}", for_terminal(&why));
            return Ok(ExitCode::from(2));
        }
    };
    let window = match slice.window() {
        Ok(w) => w,
        Err(why) => {
            eprintln!("sessionscope: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    let (store, _sources, report) = load(
        files,
        &LoadOptions {
            ip_db: db.as_ref(),
            window,
            narrow: slice.narrow(),
            ..LoadOptions::default()
        },
    );
    if std::env::var_os("SESSIONSCOPE_TIMINGS").is_some() {
        for (what, secs) in &report.timings {
            eprintln!("sessionscope: {what}: {secs:.3} s");
        }
    }
    print_problems(&report);
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    if store.events.is_empty() && store.signins.is_empty() {
        // A script still gets the per-file reasons: `stats --json` prints its object.
        if let Command::Stats { json: true, .. } = command {
            print_stats(&mut out, &store, &report, true)?;
            out.flush()?;
        }
        if report.passed_over > 0 || report.pruned > 0 {
            // Records were read, but none is in the slice: a filter that matches nothing.
            eprintln!(
                "sessionscope: no record matches {} ({} records read passed over)",
                for_terminal(&slice.words()),
                report.passed_over
            );
            return Ok(ExitCode::from(1));
        }
        eprintln!("sessionscope: nothing usable could be read");
        return Ok(ExitCode::from(2));
    }
    match command {
        Command::Query { .. } => {}
        Command::Stats { json, .. } => print_stats(&mut out, &store, &report, json)?,
        Command::Sessions { sort, output, .. } => {
            print_sessions(&mut out, &store, case.as_ref(), None, sort, &output)?
        }
        Command::Report { format, .. } => {
            let inputs = sessionscope_ingest::tree::expand(files, window)
                .files
                .iter()
                .map(|f| crate::report::hash_file(f))
                .collect();
            let report = crate::report::build(&store, case.as_ref(), inputs, None);
            match format {
                ReportFormat::Md => out.write_all(crate::report::markdown(&report).as_bytes())?,
                ReportFormat::Csv => crate::report::csv(&report, &mut out)?,
                ReportFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &report)?;
                    writeln!(out)?;
                }
            }
            if report.attacker_sessions.is_empty() {
                eprintln!("sessionscope: no session is marked attacker in the case file");
            }
        }
        Command::Mark {
            session,
            verdict,
            note,
            other_networks,
            ..
        } => {
            drop(out);
            let session = match resolve_session(&store, &session) {
                Ok(id) => id,
                Err(code) => return Ok(code),
            };
            return mark(
                &store,
                case,
                &session,
                &verdict,
                note.as_deref(),
                other_networks,
            );
        }
        Command::Linked {
            attackers, output, ..
        } => {
            let mut sources = Vec::new();
            for given in &attackers {
                let id = match resolve_session(&store, given) {
                    Ok(id) => id,
                    Err(code) => return Ok(code),
                };
                let sym = store
                    .lookup(&id)
                    .expect("a resolved session ID is in the store");
                sources.extend(store.sessions_of_id(sym).iter().map(|&s| s as usize));
            }
            if attackers.is_empty() {
                let verdicts = case.as_ref().map(|c| c.verdicts(&store));
                sources = (0..store.sessions.len())
                    .filter(|&s| {
                        let session = &store.sessions[s];
                        session.has_id()
                            && verdicts.as_ref().and_then(|v| v.get(&session.id).copied())
                                == Some(Verdict::Attacker)
                    })
                    .collect();
                if sources.is_empty() {
                    eprintln!(
                        "sessionscope: no session is marked attacker in the case file: mark one, or give --attacker"
                    );
                    return Ok(ExitCode::from(1));
                }
            }
            let links = crate::linked::linked_sessions(&store, &sources);
            print_linked(&mut out, &store, &links, &output)?;
            if links.is_empty() {
                out.flush()?;
                eprintln!("sessionscope: no other session shares an IP, client or token with them");
                return Ok(ExitCode::from(1));
            }
        }
        Command::Timeline {
            operations, output, ..
        } => {
            let mut ids = Vec::with_capacity(slice.sessions.len());
            for given in &slice.sessions {
                match resolve_session(&store, given) {
                    Ok(id) => ids.push(id),
                    Err(code) => return Ok(code),
                }
            }
            // The slice loaded holds only what --user/--session/--ip asked for; the filter
            // names the sessions again, so a prefix is told from the others loaded with it.
            let filter = TimelineFilter {
                user: None,
                sessions: ids,
                ip: None,
                operations,
            };
            if print_timeline(&mut out, &store, &filter, &output)? == 0 && !filter.is_empty() {
                out.flush()?;
                eprintln!(
                    "sessionscope: no action matches {}",
                    for_terminal(&filter_words(&filter))
                );
                return Ok(ExitCode::from(1));
            }
        }
    }
    out.flush()?;
    // The process ends here, and the system takes its memory back at once: freeing the store's
    // strings and lists one by one would cost 20 ms per million events.
    std::mem::forget(store);
    Ok(ExitCode::SUCCESS)
}

/// `query`: the slice as a query for where the tenant keeps its logs.
fn query_command(slice: &Slice, dialect: &QueryDialect) -> ExitCode {
    use crate::query::{Dialect, query};
    let dialect = match (dialect.xdr, dialect.spl, dialect.esql) {
        (true, _, _) => Dialect::Xdr,
        (_, true, _) => Dialect::Spl,
        (_, _, true) => Dialect::Esql,
        _ => Dialect::Kql,
    };
    let window = match slice.window() {
        Ok(w) => w,
        Err(why) => {
            eprintln!("sessionscope: {why}");
            return ExitCode::from(2);
        }
    };
    let narrow = slice.narrow().unwrap_or_default();
    match query(dialect, &narrow, window) {
        Ok(q) => {
            println!("{q}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("sessionscope: {why}");
            ExitCode::from(2)
        }
    }
}

/// A closed pipe anywhere in the error's causes, whichever writer (io, serde_json, csv) saw it.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                cause
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            })
            .or_else(
                || match cause.downcast_ref::<csv::Error>().map(csv::Error::kind) {
                    Some(csv::ErrorKind::Io(io)) => Some(io.kind()),
                    _ => None,
                },
            );
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Per-file errors, warnings and skipped records, on stderr so stdout stays machine-readable.
pub fn print_problems(report: &LoadReport) {
    const SHOWN: usize = 5;
    for f in &report.files {
        let path = for_terminal(&f.path);
        if let Some(e) = &f.error {
            eprintln!("sessionscope: {path}: {}", for_terminal(e));
        }
        for w in &f.warnings {
            eprintln!("sessionscope: {path}: warning: {}", for_terminal(w));
        }
        if f.skipped > 0 && f.records > 0 {
            eprintln!(
                "sessionscope: {path}: skipped {} unreadable record(s), loaded {}",
                f.skipped, f.records
            );
        }
        if f.records > 0 || f.error.is_none() {
            for p in f.problems.iter().take(SHOWN) {
                eprintln!(
                    "sessionscope: {path}: {}: {}",
                    p.location,
                    for_terminal(&p.reason)
                );
            }
            if f.skipped > SHOWN {
                eprintln!(
                    "sessionscope: {path}: ... {} more (all listed by `stats --json`)",
                    f.skipped - SHOWN
                );
            }
        }
    }
}

fn print_stats(
    out: &mut impl Write,
    store: &Store,
    report: &LoadReport,
    json: bool,
) -> anyhow::Result<()> {
    let s = facts::stats(store, report);
    if json {
        serde_json::to_writer(&mut *out, &s)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "events                  {}", s.events)?;
    writeln!(out, "duplicates dropped      {}", s.duplicates)?;
    writeln!(out, "records skipped         {}", s.skipped)?;
    writeln!(out, "users                   {}", s.users)?;
    writeln!(out, "sessions                {}", s.sessions)?;
    writeln!(out, "events without session  {}", s.events_without_session)?;
    if s.id_conflicts > 0 {
        writeln!(
            out,
            "Id conflicts            {} (records under one Id that say different things: all kept)",
            s.id_conflicts
        )?;
    }
    if s.sign_ins > 0 {
        writeln!(
            out,
            "sign-ins                {} ({} sessions joined)",
            s.sign_ins, s.sessions_with_sign_ins
        )?;
    }
    if let (Some(a), Some(b)) = (&s.first_event, &s.last_event) {
        writeln!(out, "time range (UTC)        {a} .. {b}")?;
    }
    if let Some(w) = &s.window {
        writeln!(
            out,
            "window (UTC)            {} .. {} (not included): {} records outside it passed over, {} partitions unopened",
            w.from, w.to, s.passed_over, s.pruned
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        table::row(&[("FILE", 34), ("FORMAT", 27), ("RECORDS", 8), ("SKIPPED", 7)])
    )?;
    for f in &s.files {
        writeln!(
            out,
            "{}",
            table::row(&[
                (&table::fit_end(&f.path, 34), 34),
                (f.format, 27),
                (&f.records.to_string(), 8),
                (&f.skipped.to_string(), 7),
            ])
        )?;
    }
    Ok(())
}

/// Tables fit the terminal they are printed on, and 80 columns when piped, unless `COLUMNS`
/// says otherwise (as `ls` takes it); never fewer than 80.
fn table_width() -> usize {
    use std::io::IsTerminal;
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        return n.max(80);
    }
    if std::io::stdout().is_terminal() {
        crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w).max(80))
    } else {
        80
    }
}

/// The session ID `given` names (whole or a unique prefix), or, said on stderr, why none:
/// exit 1 when no session has it, 2 when several do (each listed, with its user).
fn resolve_session(store: &Store, given: &str) -> Result<String, ExitCode> {
    match facts::resolve_session(store, given) {
        facts::SessionMatch::One(id) => Ok(id),
        facts::SessionMatch::None => {
            eprintln!(
                "sessionscope: no session {} in these files",
                for_terminal(given.trim())
            );
            Err(ExitCode::from(1))
        }
        facts::SessionMatch::Ambiguous(found) => {
            eprintln!(
                "sessionscope: {} session IDs start with {}; give more of it:",
                found.len(),
                for_terminal(given.trim())
            );
            for (id, user) in found.iter().take(20) {
                eprintln!("  {}  {}", for_terminal(id), for_terminal(user));
            }
            if found.len() > 20 {
                eprintln!("  and {} more", found.len() - 20);
            }
            Err(ExitCode::from(2))
        }
    }
}

/// A timeline filter as the options that give it.
fn filter_words(filter: &TimelineFilter) -> String {
    let mut words = Vec::new();
    if let Some(u) = &filter.user {
        words.push(format!("--user {}", u.trim()));
    }
    words.extend(filter.sessions.iter().map(|s| format!("--session {s}")));
    if let Some(ip) = &filter.ip {
        words.push(format!("--ip {}", ip.trim()));
    }
    words.extend(
        filter
            .operations
            .iter()
            .map(|o| format!("--operation {}", o.trim())),
    );
    words.join(" ")
}

fn short_id(id: Option<&str>) -> String {
    match id {
        Some(id) => id.chars().take(8).collect(),
        None => "(none)".into(),
    }
}

fn mark(
    store: &Store,
    case: Option<Case>,
    session: &str,
    verdict: &MarkVerdict,
    note: Option<&str>,
    other_networks: bool,
) -> anyhow::Result<ExitCode> {
    let Some(mut case) = case else {
        anyhow::bail!("no case file could be opened");
    };
    let id = session.trim().to_ascii_lowercase();
    let found = store
        .sessions
        .iter()
        .position(|s| s.has_id() && store.str(s.id) == id);
    let user = found.map(|i| store.str(store.sessions[i].user).to_string());
    let Some(user) = user else {
        eprintln!(
            "sessionscope: no session {} in these files",
            for_terminal(&id)
        );
        return Ok(ExitCode::from(2));
    };
    let chosen = if verdict.attacker {
        Some(Some(Verdict::Attacker))
    } else if verdict.user {
        Some(Some(Verdict::User))
    } else if verdict.clear {
        Some(None)
    } else {
        None
    };
    if chosen.is_none() && note.is_none() {
        anyhow::bail!("say --attacker, --user, --clear and/or --note");
    }
    if other_networks {
        let Some(v) = chosen else {
            anyhow::bail!("--other-networks needs --attacker, --user or --clear");
        };
        let assessments = crate::analysis::assess_all(store, Some(&case.verdicts(store)));
        let index = found.expect("the session was found above");
        let mut networks: Vec<String> = assessments[index]
            .foreign_ips
            .iter()
            .map(|&ip| crate::ip::network_of(store.str(ip)))
            .collect();
        networks.sort();
        networks.dedup();
        if networks.is_empty() {
            eprintln!(
                "sessionscope: session {} was not used from the user's network and others at once: mark it whole",
                for_terminal(&id)
            );
            return Ok(ExitCode::from(2));
        }
        case.set_network_verdict(&id, &user, &networks, v)?;
        eprintln!(
            "sessionscope: the part of {} from {} other networks: {}",
            for_terminal(&id),
            networks.len(),
            v.map_or("verdict cleared", Verdict::label)
        );
    } else if let Some(v) = chosen {
        case.set_verdict(&id, &user, v)?;
    }
    if let Some(n) = note {
        case.set_note(&id, &user, n)?;
    }
    eprintln!("sessionscope: saved to {}", case.path.display());
    Ok(ExitCode::SUCCESS)
}

fn print_sessions(
    out: &mut impl Write,
    store: &Store,
    case: Option<&Case>,
    user: Option<&str>,
    sort: SessionOrder,
    output: &Output,
) -> anyhow::Result<()> {
    let verdicts = case.map(|c| c.verdicts(store));
    let assessments = crate::analysis::assess_all(store, verdicts.as_ref());
    let mut chosen = facts::sessions(store, user);
    if sort == SessionOrder::Risk {
        let index = |s: &crate::store::Session| store.session_index(s.id, s.user).unwrap_or(0);
        chosen.sort_by_key(|s| {
            let a = &assessments[index(s)];
            std::cmp::Reverse((a.risk, a.score))
        });
    }
    let mut rows: Vec<_> = chosen
        .iter()
        .map(|s| {
            let i = store.session_index(s.id, s.user);
            facts::session_row(store, s, case, i.map(|i| &assessments[i]))
        })
        .collect();
    // Sessions that only sign-ins know of (no audit record carries their ID) come last.
    let wanted_user = user.map(|u| u.trim().to_lowercase());
    for (id, who) in store.signins.sessions() {
        if store.lookup(id).is_some_and(|sym| {
            !store
                .events_with(crate::store::Facet::Session, sym)
                .is_empty()
        }) {
            continue;
        }
        if wanted_user.as_deref().is_some_and(|u| u != who) {
            continue;
        }
        rows.push(facts::sign_in_only_row(store, id, case));
    }
    if output.json {
        for r in &rows {
            serde_json::to_writer(&mut *out, r)?;
            writeln!(out)?;
        }
    } else if output.csv {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "session_id",
            "user",
            "first_seen",
            "last_seen",
            "duration_seconds",
            "events",
            "ips",
            "clients",
            "operations",
        ])?;
        for r in &rows {
            let ops: Vec<String> = r
                .operations
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            w.write_record([
                csv_cell(r.session_id.as_deref().unwrap_or("")).as_ref(),
                &csv_cell(&r.user),
                &r.first_seen,
                &r.last_seen,
                &r.duration_seconds.to_string(),
                &r.events.to_string(),
                &csv_cell(&r.ips.join(" ")),
                &csv_cell(&r.clients.join(" | ")),
                &csv_cell(&ops.join(" ")),
            ])?;
        }
        w.flush()?;
    } else {
        // The user and the operations take what a wider terminal gives.
        let width = table_width();
        let user_width = if width >= 120 { 32 } else { 20 };
        let ops_width = width.saturating_sub(8 + 4 + user_width + 16 + 6 + 6 + 3 + 8);
        writeln!(
            out,
            "{}",
            table::row(&[
                ("SESSION", 8),
                ("RISK", 4),
                ("USER", user_width),
                ("FIRST SEEN (UTC)", 16),
                ("DUR", 6),
                ("EVENTS", 6),
                ("IPS", 3),
                ("TOP OPERATIONS", ops_width)
            ])
        )?;
        for (i, r) in rows.iter().enumerate() {
            let first = r.first_seen.replace('T', " ");
            // Most frequent first (the row's map is ordered by name); a session known only
            // from sign-ins says so.
            let top: Vec<&str> = match chosen.get(i) {
                Some(s) => s
                    .operations
                    .iter()
                    .take(8)
                    .map(|&(op, _)| store.str(op))
                    .collect(),
                None => vec!["sign-ins only"],
            };
            let risk = r.risk.to_string();
            writeln!(
                out,
                "{}",
                table::row(&[
                    (&short_id(r.session_id.as_deref()), 8),
                    (&risk, 4),
                    (&r.user, user_width),
                    (&first[..16.min(first.len())], 16),
                    (&short_duration(r.duration_seconds), 6),
                    (&r.events.to_string(), 6),
                    (&r.ips.len().to_string(), 3),
                    (&top.join(","), ops_width),
                ])
            )?;
        }
    }
    Ok(())
}

fn print_linked(
    out: &mut impl Write,
    store: &Store,
    links: &[crate::linked::Link],
    output: &Output,
) -> anyhow::Result<()> {
    if output.json {
        for link in links {
            serde_json::to_writer(&mut *out, &facts::linked_row(store, link))?;
            writeln!(out)?;
        }
    } else if output.csv {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "session_id",
            "user",
            "first_seen",
            "ips",
            "clients",
            "token_ids",
            "common",
            "why",
        ])?;
        for link in links {
            let r = facts::linked_row(store, link);
            let joined = |v: &[String]| csv_cell(&v.join(" ")).into_owned();
            let common: Vec<String> = r
                .shares
                .common
                .iter()
                .map(|c| format!("{} ({} accounts)", c.value, c.accounts))
                .collect();
            w.write_record([
                csv_cell(&r.session_id.unwrap_or_default()).into_owned(),
                csv_cell(&r.user).into_owned(),
                r.first_seen,
                joined(&r.shares.ips),
                joined(&r.shares.clients),
                joined(&r.shares.token_ids),
                joined(&common),
                csv_cell(&r.why).into_owned(),
            ])?;
        }
        w.flush()?;
    } else {
        let why_width = table_width().saturating_sub(8 + 24 + 16 + 3);
        writeln!(
            out,
            "{}",
            table::row(&[
                ("SESSION", 8),
                ("USER", 24),
                ("FIRST SEEN (UTC)", 16),
                ("WHY / SHARES", why_width),
            ])
        )?;
        for link in links {
            let session = &store.sessions[link.session];
            let id = short_id(session.has_id().then(|| store.str(session.id)));
            let first = rfc3339(session.first).replace('T', " ");
            let text = format!("{}: {}", link.why(), link.describe(store));
            writeln!(
                out,
                "{}",
                table::row(&[
                    (&id, 8),
                    (store.str(session.user), 24),
                    (&first[..16], 16),
                    (&text, why_width),
                ])
            )?;
        }
    }
    Ok(())
}

fn print_timeline(
    out: &mut impl Write,
    store: &Store,
    filter: &TimelineFilter,
    output: &Output,
) -> anyhow::Result<usize> {
    let ids = facts::timeline(store, filter);
    if output.json {
        for &i in &ids {
            serde_json::to_writer(&mut *out, &facts::timeline_row(store, i))?;
            writeln!(out)?;
        }
    } else if output.csv {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "time",
            "user",
            "session_id",
            "operation",
            "ip",
            "client",
            "target",
            "summary",
            "record_id",
        ])?;
        for &i in &ids {
            let r = facts::timeline_row(store, i);
            let o = |s: &Option<String>| csv_cell(s.as_deref().unwrap_or("")).into_owned();
            w.write_record([
                r.time,
                csv_cell(&r.user).into_owned(),
                o(&r.session_id),
                csv_cell(&r.operation).into_owned(),
                o(&r.ip),
                o(&r.client),
                o(&r.target),
                csv_cell(&r.summary).into_owned(),
                o(&r.record_id),
            ])?;
        }
        w.flush()?;
    } else {
        // The user column only when the rows span several users; the summary takes the rest.
        let first_user = ids.first().map(|&i| store.events[i as usize].user);
        let many_users = ids
            .iter()
            .any(|&i| Some(store.events[i as usize].user) != first_user);
        let user_width = if many_users { 19 } else { 0 };
        let columns_before_summary = if many_users { 5 } else { 4 };
        let summary_width = table_width()
            .saturating_sub(16 + 8 + 18 + 15 + user_width + columns_before_summary + 1);
        let header: Vec<(&str, usize)> = [
            ("TIME (UTC)", 16),
            ("SESSION", 8),
            ("USER", user_width),
            ("OPERATION", 18),
            ("IP", 15),
            ("SUMMARY", summary_width),
        ]
        .into_iter()
        .filter(|c| c.1 > 0)
        .collect();
        writeln!(out, "{}", table::row(&header))?;
        for &i in &ids {
            let e = &store.events[i as usize];
            let time = rfc3339(i64::from(e.time)).replace('T', " ");
            let session = short_id((!e.session.is_empty()).then(|| store.str(e.session)));
            let cells: Vec<(&str, usize)> = [
                (&time[..16], 16),
                (session.as_str(), 8),
                (store.str(e.user), user_width),
                (store.str(e.operation), 18),
                (store.str(e.ip), 15),
                (store.str(e.summary), summary_width),
            ]
            .into_iter()
            .filter(|c| c.1 > 0)
            .collect();
            writeln!(out, "{}", table::row(&cells))?;
        }
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    /// Every subcommand's options are told apart (clap checks names only when a command is
    /// parsed, so a clash in a command no test runs would reach a user).
    #[test]
    fn every_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
