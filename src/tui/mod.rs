//! The full-screen investigator: input becomes an [`Action`], [`update`] changes the
//! [`App`] view-model, [`draw`] renders it. Only this file touches the terminal.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod detail;
pub mod draw;
pub mod job;
pub mod layout;
pub mod pivot_job;
pub mod problems;
pub mod scroll;
pub mod search_job;
pub mod theme;
pub mod update;

pub use action::{Action, action_for, actions_for};
pub use app::App;
pub use draw::draw;
pub use update::update;

use crate::store::Store;
use crossterm::event::{self, Event, KeyEventKind};
use draw::loading::Loading;
use ratatui::DefaultTerminal;
use sessionscope_ingest::ipdb::IpDb;
use sessionscope_ingest::{LoadOptions, LoadReport, Progress, Sources, load};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records SIGTERM, SIGHUP (a dropped SSH connection) or SIGINT: the number of the signal.
fn install_signal_flag() -> Arc<AtomicUsize> {
    let flag = Arc::new(AtomicUsize::new(0));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGQUIT,
    ] {
        let _ = signal_hook::flag::register_usize(sig, Arc::clone(&flag), sig as usize);
    }
    flag
}

/// When the terminal goes away under it, crossterm's reader can spin without returning, so
/// the event loop never sees the signal. This watchdog gives the loop a second to leave by
/// itself after a signal, then restores what it can and exits.
fn spawn_watchdog(signal: Arc<AtomicUsize>, done: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            if done.load(Ordering::Relaxed) {
                return;
            }
            let sig = signal.load(Ordering::Relaxed);
            if sig != 0 {
                std::thread::sleep(Duration::from_secs(1));
                if !done.load(Ordering::Relaxed) {
                    ratatui::restore();
                    std::process::exit(128 + sig as i32);
                }
                return;
            }
        }
    });
}

/// A key press: the keymap of the mode the app is in (a prompt, or the lists) turns it into
/// actions, which change the view-model.
pub fn handle_key(app: &mut App, key: crossterm::event::KeyEvent) {
    use crossterm::event::{KeyEvent, KeyModifiers};
    // A quick Esc then a key arrives as Alt and the key (over a slow SSH link, in tmux): in a
    // prompt that is Esc closing it, then the key, not the key typed into the prompt.
    if app.prompt.is_some() && key.modifiers == KeyModifiers::ALT {
        update(app, Action::Cancel);
        return handle_key(app, KeyEvent::new(key.code, KeyModifiers::NONE));
    }
    let actions = if app.prompt.is_some() {
        action::prompt_action_for(key).into_iter().collect()
    } else {
        actions_for(key)
    };
    for action in actions {
        update(app, action);
    }
}

/// Takes in every result of background work (scoring, search, pivots), waiting for each to
/// finish: the screen as it settles after a key.
pub fn settle(app: &mut App) {
    app.take_scores(true);
    app.take_pivots(true);
    app.take_search(true);
}

/// How a run of the investigator ended, for the command line to report once the terminal is
/// back to normal.
#[derive(Debug)]
pub struct Outcome {
    pub code: ExitCode,
    /// The load's report, when some of the input could not be read.
    pub problems: Option<LoadReport>,
}

/// Opens the full-screen investigator on `files`, and puts the terminal back however it ends.
/// Why the full-screen view cannot open here, when it cannot: it draws to standard output and
/// reads keys from the terminal, so both must be one.
pub fn no_terminal() -> Option<String> {
    use std::io::IsTerminal;
    let screen = std::io::stdout().is_terminal();
    let keyboard = std::io::stdin().is_terminal() || std::fs::File::open("/dev/tty").is_ok();
    (!screen || !keyboard).then(|| {
        "the investigator is a full-screen view and needs a terminal, but its output is a \
         pipe or a file, or no terminal is attached. From a script, the same facts: \
         `sessionscope sessions FILE...`, `sessionscope timeline FILE... --session ID`, \
         `sessionscope stats FILE...` (each with --json or --csv)"
            .into()
    })
}

/// What to load of the inputs: a time window, and users, sessions and IPs.
type Slice = (
    Option<sessionscope_ingest::tree::Window>,
    Option<sessionscope_ingest::tree::Narrow>,
);

pub fn run(
    files: &[PathBuf],
    case_path: Option<&std::path::Path>,
    ip_db: Option<IpDb>,
    window: Option<sessionscope_ingest::tree::Window>,
    narrow: Option<sessionscope_ingest::tree::Narrow>,
) -> anyhow::Result<Outcome> {
    let signal = install_signal_flag();
    let done = Arc::new(AtomicBool::new(false));
    spawn_watchdog(Arc::clone(&signal), Arc::clone(&done));
    // ratatui::try_init enters raw mode and the alternate screen, and installs a panic hook
    // that restores the terminal before the panic message is printed.
    crate::fault::screen_entered();
    let mut terminal = ratatui::try_init()?;
    let outcome = run_loaded(
        &mut terminal,
        files,
        case_path,
        ip_db.map(Arc::new),
        (window, narrow),
        &signal,
    );
    ratatui::restore();
    crate::fault::screen_left();
    done.store(true, Ordering::Relaxed);
    let (code, problems) = outcome?;
    let sig = signal.load(Ordering::Relaxed);
    let code = if sig != 0 {
        ExitCode::from(128 + sig as u8)
    } else {
        code
    };
    Ok(Outcome { code, problems })
}

fn run_loaded(
    terminal: &mut DefaultTerminal,
    files: &[PathBuf],
    case_path: Option<&std::path::Path>,
    ip_db: Option<Arc<IpDb>>,
    (window, narrow): Slice,
    stop: &AtomicUsize,
) -> anyhow::Result<(ExitCode, Option<LoadReport>)> {
    // The files the folders hold, walked once: for the progress and the report's evidence
    // (the loader walks the given paths itself, and counts what the window prunes).
    let inputs = sessionscope_ingest::tree::expand(files, window).files;
    let Some((store, sources, report)) =
        load_with_progress(terminal, (files, &inputs), ip_db, (window, narrow), stop)?
    else {
        return Ok((ExitCode::SUCCESS, None));
    };
    if store.events.is_empty() {
        return Ok((ExitCode::from(2), Some(report)));
    }
    // The list first: risk is scored in the background and fills in when it is ready.
    let mut app = App::unscored(Arc::new(store))
        .with_sources(Arc::new(sources))
        .with_inputs(&inputs)
        .with_problems(problems::LoadProblems::of(&report));
    app.window = report.window;
    app.narrow = report.narrow.clone();
    let opened = match (case_path, files.first()) {
        (Some(path), _) => Some(crate::case::Case::open(path)),
        (None, Some(first)) => Some(crate::case::Case::for_input(first)),
        (None, None) => None,
    };
    let mut case_warning = None;
    if let Some(opened) = opened {
        match opened {
            Ok(case) => {
                let marked = case
                    .data
                    .sessions
                    .values()
                    .filter(|e| e.verdict.is_some())
                    .count();
                case_warning = Some(case.warning.clone().unwrap_or_else(|| {
                    format!(
                        "case file {} ({marked} session(s) marked)",
                        case.path.display()
                    )
                }));
                app = app.with_case(case);
            }
            Err(e) => case_warning = Some(format!("{e}: verdicts will not be saved")),
        }
    }
    app.score_in_background();
    // What was lost is not a message (the next one would hide it): the status line keeps it.
    if let Some(w) = case_warning {
        app.message = Some(w);
    }
    let lost = app.problems.lost_anything();
    event_loop(terminal, &mut app, stop)?;
    Ok((ExitCode::SUCCESS, lost.then_some(report)))
}

/// Gives the terminal back to the shell and stops, as Ctrl-z does to any program (in raw mode
/// the key reaches us instead of the terminal's driver); the shell's `fg` continues here, and
/// the screen is taken again and redrawn whole.
fn suspend(terminal: &mut DefaultTerminal) -> anyhow::Result<()> {
    terminal.show_cursor()?;
    ratatui::restore();
    crate::fault::screen_left();
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    crate::fault::screen_entered();
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    terminal.clear()?;
    Ok(())
}

/// Loads on a worker thread while the main thread shows progress. `None` when the user quit.
fn load_with_progress(
    terminal: &mut DefaultTerminal,
    (files, expanded): (&[PathBuf], &[PathBuf]),
    ip_db: Option<Arc<IpDb>>,
    (window, narrow): Slice,
    stop: &AtomicUsize,
) -> anyhow::Result<Option<(Store, Sources, LoadReport)>> {
    let state = Arc::new(Mutex::new(Loading {
        files: expanded.len(),
        bytes_total: expanded
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum(),
        ..Loading::default()
    }));
    let records = Arc::new(AtomicUsize::new(0));
    let bytes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let worker = {
        let files = files.to_vec();
        let state = Arc::clone(&state);
        let records = Arc::clone(&records);
        let bytes = Arc::clone(&bytes);
        std::thread::spawn(move || {
            let progress = |p: &Progress| {
                if let Ok(mut s) = state.lock() {
                    s.file_index = p.file_index;
                    s.path = p.path.display().to_string();
                }
            };
            load(
                &files,
                &LoadOptions {
                    progress: Some(&progress),
                    records_read: Some(&records),
                    bytes_read: Some(&bytes),
                    ip_db: ip_db.as_deref(),
                    window,
                    narrow,
                    ..LoadOptions::default()
                },
            )
        })
    };
    while !worker.is_finished() {
        if stop.load(Ordering::Relaxed) != 0 {
            return Ok(None);
        }
        let mut snapshot = state.lock().map(|s| s.clone()).unwrap_or_default();
        snapshot.records = records.load(Ordering::Relaxed);
        snapshot.bytes_done = bytes.load(Ordering::Relaxed);
        terminal.draw(|f| draw::loading::draw(f, &snapshot))?;
        if event::poll(Duration::from_millis(100))?
            && let Event::Key(k) = event::read()?
            && k.kind == KeyEventKind::Press
            && action_for(k) == Some(Action::Quit)
        {
            return Ok(None);
        }
    }
    let loaded = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the loader crashed"))?;
    Ok(Some(loaded))
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    stop: &AtomicUsize,
) -> anyhow::Result<()> {
    let size = terminal.size()?;
    app.viewport = (size.width, size.height);
    terminal.draw(|f| draw(f, app))?;
    while !app.quit {
        if stop.load(Ordering::Relaxed) != 0 {
            break;
        }
        // Waiting with a timeout only to notice signals and background work; the screen is
        // redrawn on change.
        let busy = app.scoring() || app.searching() || app.finding();
        let wait = if busy { 30 } else { 250 };
        let mut changed = false;
        if event::poll(Duration::from_millis(wait))? {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    handle_key(app, k);
                    if app.suspend {
                        app.suspend = false;
                        suspend(terminal)?;
                    }
                    changed = true;
                }
                Event::Resize(w, h) => {
                    app.viewport = (w, h);
                    changed = true;
                }
                _ => {}
            }
        }
        // What background work has found, whether or not a key came: keys held down (moving
        // through a pivot still being read) must not hold its results back.
        changed |= app.take_scores(false);
        changed |= app.take_pivots(false);
        changed |= app.take_search(false);
        if !changed {
            continue;
        }
        if let Some(text) = app.clipboard.take() {
            clipboard::copy(terminal.backend_mut(), &text)?;
        }
        terminal.draw(|f| draw(f, app))?;
    }
    Ok(())
}
