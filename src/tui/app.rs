//! The view-model: everything the screen shows, and nothing about terminals. `update` changes
//! it, `draw` reads it.

use super::detail::DetailView;
use super::job::receive;
use super::layout::{self, Geometry};
use super::scroll::follow;
use crate::intern::Sym;
use crate::store::{Facet, Store};
use crate::time::Zone;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::sync::Arc;

pub use super::layout::Pane;

/// How the session list is ordered. Sessions stay grouped under their account either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionSort {
    /// The account with the riskiest session first, its sessions riskiest first.
    #[default]
    Risk,
    /// The account active first first, its sessions by first activity.
    FirstSeen,
    /// Accounts by name, their sessions by first activity.
    User,
}

impl SessionSort {
    pub const ALL: [SessionSort; 3] =
        [SessionSort::Risk, SessionSort::FirstSeen, SessionSort::User];

    pub fn next(self) -> SessionSort {
        match self {
            SessionSort::Risk => SessionSort::FirstSeen,
            SessionSort::FirstSeen => SessionSort::User,
            SessionSort::User => SessionSort::Risk,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SessionSort::Risk => "risk",
            SessionSort::FirstSeen => "first seen",
            SessionSort::User => "user",
        }
    }

    /// The order in words, as the list's title says it.
    pub fn title(self) -> &'static str {
        match self {
            SessionSort::Risk => "riskiest first",
            SessionSort::FirstSeen => "earliest first",
            SessionSort::User => "users A-Z",
        }
    }
}

pub use crate::case::Verdict;

/// A line of text being typed at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: fuzzy search, results shown as you type.
    Search,
    /// `e`: the note of a session (index in `store.sessions`).
    Note { session: usize },
    /// `:`: the command list, filtered by the text; `selected` among those shown.
    Command { selected: usize },
}

/// What `u` puts back: a session's case entry as it was before a change.
#[derive(Debug, Clone)]
pub struct Undo {
    /// Index in `store.sessions`.
    pub session: usize,
    pub before: Option<crate::case::Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

/// The last search: its hits stay for `n`/`N` after the prompt closes.
#[derive(Debug, Clone)]
pub struct SearchState {
    pub query: String,
    /// Tab in the prompt: the other scope of [`App::search_scope`].
    pub other_scope: bool,
    pub results: crate::search::Results,
    pub selected: usize,
    /// When this scope has no match: how many the whole store has.
    pub wider_total: Option<usize>,
    /// While the search runs in the background: how many actions it has searched, of how
    /// many. `None` once it is complete.
    pub searched: Option<(usize, usize)>,
}

impl SearchState {
    /// A search of `query` in its scope (the view's own, or the other with Tab), its hits in
    /// time order with the cursor on the best one.
    pub fn new(query: String, other_scope: bool, results: crate::search::Results) -> SearchState {
        let mut state = SearchState {
            query,
            other_scope,
            results: Default::default(),
            selected: 0,
            wider_total: None,
            searched: None,
        };
        state.show(results);
        state
    }

    /// Puts `results` (best first) in place in time order, the cursor on the best hit: an
    /// investigator reads hits as a story, and steps through them with `n`/`N` in time.
    pub fn show(&mut self, mut results: crate::search::Results) {
        let best = results.hits.first().map(|h| h.event);
        results.hits.sort_by_key(|h| h.event);
        self.selected = best
            .and_then(|b| results.hits.iter().position(|h| h.event == b))
            .unwrap_or(0);
        self.results = results;
    }
}

/// What a frame of the pivot stack shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The start: every session, and the timeline of the selected session's user.
    Root,
    /// Every action, of any user, whose `facet` is `value`.
    Pivot(Facet, Sym),
    /// Sessions sharing an IP, client or token with the sessions marked attacker.
    Linked,
    /// Every action from an IP of this autonomous system (network owner).
    Asn(u32),
}

/// A row of the session list: a user heading (with how many of the user's sessions follow
/// it), or one of that user's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRow {
    User(Sym, usize),
    Session(usize),
}

/// One level of the pivot stack, with its own cursors so `Esc` returns to where you were.
#[derive(Debug, Clone)]
pub struct Frame {
    pub scope: Scope,
    /// Event ids shown by the timeline, in time order (before narrowing to one session).
    pub events: Vec<u32>,
    /// Sessions with at least one event in this frame (all of them at the root).
    pub session_rows: Vec<SessionRow>,
    /// How many of `session_rows` are sessions (the rest are user headings).
    pub session_count: usize,
    pub session_cursor: usize,
    pub session_offset: usize,
    /// `f`: the timeline shows only this session's rows.
    pub narrowed_to: Option<usize>,
    pub timeline_cursor: usize,
    pub timeline_offset: usize,
    /// The user whose interleaved timeline the root frame shows.
    pub root_user: Option<Sym>,
    pub focus: Pane,
    /// Per session, what the session list says instead of its top operations (the linked
    /// view: what it shares with the attacker).
    pub notes: FxHashMap<usize, String>,
    /// While its actions are still being found in the background: how many of the store's
    /// actions have been read, and of how many.
    pub finding: Option<(usize, usize)>,
}

impl Frame {
    /// A frame listing `rows` (`session_count` of them sessions), cursors at the top.
    pub fn new(
        scope: Scope,
        events: Vec<u32>,
        rows: Vec<SessionRow>,
        session_count: usize,
    ) -> Frame {
        Frame {
            scope,
            events,
            session_rows: rows,
            session_count,
            session_cursor: 0,
            session_offset: 0,
            narrowed_to: None,
            timeline_cursor: 0,
            timeline_offset: 0,
            root_user: None,
            focus: match scope {
                Scope::Root | Scope::Linked => Pane::Sessions,
                Scope::Pivot(..) | Scope::Asn(_) => Pane::Timeline,
            },
            notes: FxHashMap::default(),
            finding: None,
        }
    }
}

pub struct App {
    pub store: Arc<Store>,
    /// Where each record can be read again, for the detail view.
    pub sources: Arc<crate::Sources>,
    pub stack: Vec<Frame>,
    pub sort: SessionSort,
    pub zone: Zone,
    pub colour: bool,
    pub show_help: bool,
    pub help_scroll: usize,
    /// What the load could not read: always summed up in the status line, listed by `!`.
    pub problems: super::problems::LoadProblems,
    pub show_problems: bool,
    pub problems_scroll: usize,
    pub detail: Option<DetailView>,
    /// Verdicts by session ID, mirrored from the case file for drawing.
    pub verdicts: FxHashMap<Sym, Verdict>,
    /// Verdicts given to the parts of a session used from other networks (network -> verdict),
    /// by session ID, mirrored from the case file for drawing.
    pub part_verdicts: FxHashMap<Sym, std::collections::BTreeMap<String, Verdict>>,
    /// Where verdicts and notes are saved; `None` when no case file could be opened.
    pub case: Option<crate::case::Case>,
    pub prompt: Option<Prompt>,
    pub search: Option<SearchState>,
    pub searcher: Option<Arc<crate::search::Searcher>>,
    /// The search running in the background, if one is.
    pub search_job: Option<super::search_job::SearchJob>,
    /// Scopes of at least this many actions are searched in the background, a chunk at a
    /// time, so that a keystroke never waits for the whole store.
    pub search_background_at: usize,
    /// Pivots being filled in on other threads (one per frame still being found).
    pub pivot_jobs: Vec<super::pivot_job::PivotJob>,
    /// Pivots that must read every action are filled in the background from this many
    /// actions on.
    pub pivot_background_at: usize,
    /// Actions a background pivot reads per step (smaller in tests, to see it fill in).
    pub pivot_chunk: usize,
    /// Risk and reasons of each session (by index in `store.sessions`); recomputed when
    /// verdicts change, since sessions marked user become the baseline.
    pub assessments: Vec<crate::analysis::Assessment>,
    /// Per user: the most sessions active at once, and when.
    pub peaks: FxHashMap<Sym, (usize, i64)>,
    /// Risk scoring running on another thread, when the screen was shown before it ended.
    pending: Option<std::sync::mpsc::Receiver<Analysis>>,
    /// One line of feedback (copied, nothing to pivot on, ...), cleared by the next key.
    pub message: Option<String>,
    /// Verdict and note changes of this run, last last, for `u`.
    pub undo: Vec<Undo>,
    /// The time window the load was narrowed to (`--from`/`--to`): the status line says so,
    /// and that risk was judged within it.
    pub window: Option<sessionscope_ingest::tree::Window>,
    /// The users, sessions and IPs the load was narrowed to (`--user`/`--session`/`--ip`).
    pub narrow: Option<sessionscope_ingest::tree::Narrow>,
    /// The input files, for the report's evidence, and their hashes as a background thread
    /// finds them (a report written before one is done says so).
    pub inputs: Vec<std::path::PathBuf>,
    pub hashed: Arc<std::sync::Mutex<Vec<crate::report::InputFile>>>,
    pub quit: bool,
    /// The terminal is to be given back to the shell (Ctrl-z) until the shell's `fg`: the
    /// event loop does it, as only it touches the terminal.
    pub suspend: bool,
    /// A value to put on the investigator's clipboard (OSC 52), taken by the runner.
    pub clipboard: Option<String>,
    /// Terminal size (columns, rows): layout, paging and scrolling derive from it.
    pub viewport: (u16, u16),
    /// Lane (colour and tag) of each session, by index in `store.sessions`: its rank among
    /// its user's sessions by first activity, so a session keeps its colour in every view.
    lanes: Vec<usize>,
    /// Each session's user's place in name order, for sorting the list.
    user_rank: Vec<u32>,
    /// Every session by user name, then by each sort's own key (index: `SessionSort as
    /// usize`; empty until needed). A frame's list is this order filtered, then its users
    /// ordered by their first session's key, so no keystroke sorts all sessions twice.
    orders: [Vec<u32>; 3],
    /// Timeline rows when the frame is narrowed to one session (`f`); otherwise the rows are
    /// the frame's own events, not copied.
    narrowed_rows: Option<Vec<u32>>,
}

impl App {
    /// The view-model of `store`, its risk scored before it returns.
    pub fn new(store: Arc<Store>) -> App {
        let mut app = App::unscored(store);
        let analysis = analyse(&app.store, &app.verdicts, &app.user_rank);
        app.take_analysis(analysis);
        app.rebuild_root();
        app.select_session_row(first_session_row(&app.frame().session_rows));
        app
    }

    /// The view-model of `store` with nothing scored yet: the list can be shown at once, and
    /// [`App::score_in_background`] fills the risk in.
    pub fn unscored(store: Arc<Store>) -> App {
        let mut app = App {
            store,
            sources: Arc::default(),
            stack: Vec::new(),
            sort: SessionSort::default(),
            zone: Zone::Utc,
            colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            show_help: false,
            help_scroll: 0,
            problems: Default::default(),
            show_problems: false,
            problems_scroll: 0,
            detail: None,
            verdicts: FxHashMap::default(),
            part_verdicts: FxHashMap::default(),
            case: None,
            prompt: None,
            search: None,
            searcher: None,
            search_job: None,
            search_background_at: 1_000_000,
            pivot_jobs: Vec::new(),
            pivot_background_at: 1_000_000,
            pivot_chunk: super::pivot_job::CHUNK,
            assessments: Vec::new(),
            peaks: FxHashMap::default(),
            pending: None,
            message: None,
            undo: Vec::new(),
            window: None,
            narrow: None,
            inputs: Vec::new(),
            hashed: Arc::default(),
            quit: false,
            suspend: false,
            clipboard: None,
            viewport: (80, 24),
            lanes: Vec::new(),
            user_rank: Vec::new(),
            orders: Default::default(),
            narrowed_rows: None,
        };
        app.lanes = lanes_by_user(&app.store);
        app.user_rank = user_rank(&app.store);
        app.ensure_order();
        let root = app.make_frame(Scope::Root, Vec::new());
        app.stack.push(root);
        app.select_session_row(first_session_row(&app.frame().session_rows));
        app
    }

    pub fn frame(&self) -> &Frame {
        self.stack.last().expect("the root frame is never popped")
    }

    pub fn frame_mut(&mut self) -> &mut Frame {
        self.stack
            .last_mut()
            .expect("the root frame is never popped")
    }

    /// Which sessions a frame of `scope` lists (`None`: every session).
    fn sessions_in(&self, scope: Scope, events: &[u32]) -> Option<Vec<bool>> {
        let store = &self.store;
        match scope {
            Scope::Root => None,
            // The sessions' own lists say which sessions have a value: no need to look up
            // the session of each of a busy IP's millions of events.
            Scope::Pivot(facet @ (Facet::Ip | Facet::Client | Facet::Operation), v) => {
                let mut wanted = vec![false; store.sessions.len()];
                for &s in store.sessions_with(facet, v).unwrap_or_default() {
                    wanted[s as usize] = true;
                }
                Some(wanted)
            }
            Scope::Pivot(facet @ (Facet::Session | Facet::User), v) => {
                let mut wanted = vec![false; store.sessions.len()];
                let sessions = match facet {
                    Facet::Session => store.sessions_of_id(v),
                    _ => store.sessions_of_user(v),
                };
                for &s in sessions {
                    wanted[s as usize] = true;
                }
                Some(wanted)
            }
            Scope::Pivot(Facet::Target, _) | Scope::Linked | Scope::Asn(_) => {
                let mut wanted = vec![false; store.sessions.len()];
                for &i in events {
                    if let Some(x) = store.session_of(&store.events[i as usize]) {
                        wanted[x] = true;
                    }
                }
                Some(wanted)
            }
        }
    }

    /// The session list of the sessions `wanted` (`None`: all), in the current sort order,
    /// grouped by user under headings; and how many sessions it lists.
    fn session_rows(&self, wanted: Option<&[bool]>) -> (Vec<SessionRow>, usize) {
        let store = &self.store;
        let order = self.order();
        let sessions: Vec<usize> = match wanted {
            None => order.iter().map(|&s| s as usize).collect(),
            Some(w) => order
                .iter()
                .map(|&s| s as usize)
                .filter(|&s| w[s])
                .collect(),
        };
        let session_count = sessions.len();
        if self.sort != SessionSort::User {
            // One flat list, across accounts: each row names its user.
            return (
                sessions.into_iter().map(SessionRow::Session).collect(),
                session_count,
            );
        }
        let mut rows = Vec::with_capacity(session_count + 16);
        // Index of the current user's heading, whose count grows with each of its sessions.
        let mut heading = None;
        for s in sessions {
            let user = store.sessions[s].user;
            match heading {
                Some(h) if matches!(rows[h], SessionRow::User(u, _) if u == user) => {}
                _ => {
                    heading = Some(rows.len());
                    rows.push(SessionRow::User(user, 0));
                }
            }
            if let Some(SessionRow::User(_, n)) = heading.map(|h| &mut rows[h]) {
                *n += 1;
            }
            rows.push(SessionRow::Session(s));
        }
        (rows, session_count)
    }

    /// Builds a frame: its session list grouped by user, in the current sort order.
    pub fn make_frame(&self, scope: Scope, events: Vec<u32>) -> Frame {
        let (rows, session_count) = self.session_rows(self.sessions_in(scope, &events).as_deref());
        Frame::new(scope, events, rows, session_count)
    }

    /// The session under the session-list cursor.
    pub fn selected_session(&self) -> Option<usize> {
        let f = self.frame();
        match f.session_rows.get(f.session_cursor)? {
            SessionRow::Session(s) => Some(*s),
            SessionRow::User(..) => None,
        }
    }

    /// The user under the session-list cursor (a heading or a session's user).
    pub fn selected_user(&self) -> Option<Sym> {
        let f = self.frame();
        match f.session_rows.get(f.session_cursor)? {
            SessionRow::Session(s) => Some(self.store.sessions[*s].user),
            SessionRow::User(u, _) => Some(*u),
        }
    }

    /// Timeline rows as shown (after `f` narrowing).
    pub fn timeline_rows(&self) -> &[u32] {
        self.narrowed_rows
            .as_deref()
            .unwrap_or(&self.frame().events)
    }

    /// The event under the timeline cursor.
    pub fn selected_event(&self) -> Option<u32> {
        self.timeline_rows()
            .get(self.frame().timeline_cursor)
            .copied()
    }

    /// Every session in the list order of the current sort, users by name.
    fn order(&self) -> Cow<'_, [u32]> {
        let cached = &self.orders[self.sort as usize];
        if cached.len() == self.store.sessions.len() {
            Cow::Borrowed(cached)
        } else {
            Cow::Owned(self.sorted_sessions(self.sort))
        }
    }

    /// Computes the current sort's order if it is not at hand yet.
    pub fn ensure_order(&mut self) {
        if self.orders[self.sort as usize].len() != self.store.sessions.len() {
            self.orders[self.sort as usize] = self.sorted_sessions(self.sort);
        }
    }

    /// Puts a scoring's results in place, with the list orders it sorted.
    fn take_analysis(&mut self, analysis: Analysis) {
        self.assessments = analysis.assessments;
        self.peaks = analysis.peaks;
        for (sort, order) in analysis.orders {
            self.orders[sort as usize] = order;
        }
        self.ensure_order();
    }

    fn sorted_sessions(&self, sort: SessionSort) -> Vec<u32> {
        sorted_sessions(&self.store, &self.user_rank, &self.assessments, sort)
    }

    pub fn lane(&self, session: usize) -> usize {
        self.lanes.get(session).copied().unwrap_or(0)
    }

    pub fn risk(&self, session: usize) -> u32 {
        self.assessments.get(session).map_or(0, |a| a.risk)
    }

    /// Risk, then the uncapped score behind it: the order of "sort by risk".
    pub fn rank(&self, session: usize) -> (u32, u32) {
        self.assessments
            .get(session)
            .map_or((0, 0), |a| (a.risk, a.score))
    }

    pub fn verdict(&self, session: usize) -> Option<Verdict> {
        let s = self.store.sessions.get(session)?;
        if !s.has_id() {
            return None;
        }
        self.verdicts.get(&s.id).copied()
    }

    /// What the layout needs of the view-model to place the panes.
    pub fn geometry(&self) -> Geometry {
        Geometry {
            viewport: self.viewport,
            focus: self.frame().focus,
            detail_open: self.detail.is_some(),
            at_root: self.frame().scope == Scope::Root,
            birth_line: !self.store.signins.is_empty() || !self.store.geo.is_empty(),
        }
    }

    /// Rows of content `pane` shows at the current size.
    pub fn list_rows(&self, pane: Pane) -> usize {
        layout::list_rows(&self.geometry(), pane)
    }

    /// Puts the timeline cursor on `row` and the session list's on its session, both in view.
    pub fn stay_on_row(&mut self, row: usize) {
        let store = Arc::clone(&self.store);
        self.frame_mut().timeline_cursor = row;
        let session = self
            .selected_event()
            .and_then(|e| store.session_of(&store.events[e as usize]));
        let row = session
            .and_then(|s| {
                self.frame()
                    .session_rows
                    .iter()
                    .position(|r| *r == SessionRow::Session(s))
            })
            .unwrap_or_else(|| first_session_row(&self.frame().session_rows));
        self.frame_mut().session_cursor = row;
        self.keep_timeline_cursor_visible();
        self.keep_session_cursor_visible();
    }

    pub fn keep_timeline_cursor_visible(&mut self) {
        let height = self.list_rows(Pane::Timeline);
        let f = self.frame_mut();
        f.timeline_offset = follow(f.timeline_cursor, f.timeline_offset, height);
    }

    pub fn keep_session_cursor_visible(&mut self) {
        let height = self.list_rows(Pane::Sessions);
        let f = self.frame_mut();
        f.session_offset = follow(f.session_cursor, f.session_offset, height);
    }

    /// Shows what the load could not read.
    pub fn with_problems(mut self, problems: super::problems::LoadProblems) -> App {
        self.problems = problems;
        self
    }

    /// Reads records for the detail view from `sources` (the files the store was loaded from).
    pub fn with_sources(mut self, sources: Arc<crate::Sources>) -> App {
        self.sources = sources;
        self
    }

    /// The input files, hashed for the report on another thread (a multi-GB export takes
    /// seconds, which no keystroke may wait for).
    pub fn with_inputs(mut self, inputs: &[std::path::PathBuf]) -> App {
        self.inputs = inputs.to_vec();
        let (paths, hashed) = (self.inputs.clone(), Arc::clone(&self.hashed));
        std::thread::spawn(move || {
            for path in paths {
                let file = crate::report::hash_file(&path);
                if let Ok(mut done) = hashed.lock() {
                    done.push(file);
                }
            }
        });
        self
    }

    /// The inputs as the report names them: hashed, or said not to be yet.
    pub fn input_evidence(&self) -> Vec<crate::report::InputFile> {
        let done = self.hashed.lock().map(|d| d.clone()).unwrap_or_default();
        self.inputs
            .iter()
            .map(|p| {
                let shown = p.display().to_string();
                done.iter()
                    .find(|f| f.path == shown)
                    .cloned()
                    .unwrap_or_else(|| crate::report::not_hashed_yet(p))
            })
            .collect()
    }

    /// Opens `case` and shows its verdicts.
    pub fn with_case(mut self, case: crate::case::Case) -> App {
        let baseline_marked = case
            .data
            .sessions
            .values()
            .any(|e| e.verdict == Some(Verdict::User));
        self.case = Some(case);
        self.sync_verdicts();
        // An app not scored yet is scored with these verdicts when its scoring starts.
        let scored = !self.assessments.is_empty() || self.pending.is_some();
        if baseline_marked && scored {
            self.rescore();
        }
        self
    }

    /// Scores risk again, off the keystroke: sessions marked user are the baseline of their
    /// account. The list keeps the old risk until the new one is in ([`App::take_scores`]).
    pub fn rescore(&mut self) {
        // A scoring already running started before this change: its result is dropped.
        self.score_in_background();
    }

    /// Scores risk and concurrency on another thread, with the case's verdicts as they are
    /// now; [`App::take_scores`] puts the result in place. A scoring already running is
    /// left to finish unseen.
    pub fn score_in_background(&mut self) {
        let (tx, rx) = std::sync::mpsc::channel();
        let store = Arc::clone(&self.store);
        let verdicts = self.verdicts.clone();
        let user_rank = self.user_rank.clone();
        std::thread::spawn(move || {
            let _ = tx.send(analyse(&store, &verdicts, &user_rank));
        });
        self.pending = Some(rx);
    }

    /// True while a search runs in the background.
    pub fn searching(&self) -> bool {
        self.search_job.is_some()
    }

    /// Takes in what the background search found so far (waiting for it to end when
    /// `wait`); true when the screen changed.
    pub fn take_search(&mut self, wait: bool) -> bool {
        let mut changed = false;
        loop {
            let Some(job) = &self.search_job else {
                return changed;
            };
            let Some(update) = receive(&job.updates, wait) else {
                return changed;
            };
            changed = true;
            let Some(search) = self.search.as_mut() else {
                self.search_job = None;
                return changed;
            };
            match update {
                Some(super::search_job::SearchUpdate::Partial(results, searched)) => {
                    search.show(results);
                    if let Some((done, _)) = search.searched.as_mut() {
                        *done = searched;
                    }
                }
                Some(super::search_job::SearchUpdate::Done(results, wider)) => {
                    search.show(results);
                    search.wider_total = wider;
                    search.searched = None;
                    self.search_job = None;
                }
                None => {
                    search.searched = None;
                    self.search_job = None;
                    self.message = Some("the search stopped before it ended".into());
                }
            }
        }
    }

    /// True while a pivot is being filled in the background.
    pub fn finding(&self) -> bool {
        !self.pivot_jobs.is_empty()
    }

    /// Adds what the background pivots found so far to their frames, or when `wait` waits
    /// for the next step of each; true when the screen changed.
    pub fn take_pivots(&mut self, wait: bool) -> bool {
        let mut changed = false;
        let mut j = 0;
        while j < self.pivot_jobs.len() {
            let job = &mut self.pivot_jobs[j];
            let depth = job.depth;
            let Some(found) = receive(&job.updates, wait) else {
                j += 1;
                continue;
            };
            changed = true;
            let total = self.store.events.len();
            let on_top = depth + 1 == self.stack.len();
            let Some(frame) = self.stack.get_mut(depth) else {
                self.pivot_jobs.remove(j);
                continue;
            };
            let Some(found) = found else {
                frame.finding = None;
                self.pivot_jobs.remove(j);
                self.message = Some("the pivot stopped before it read every action".into());
                continue;
            };
            frame.events.extend_from_slice(&found.ids);
            frame.finding = (found.read < total).then_some((found.read, total));
            // The action pivoted from, once found, while the investigator has not moved yet.
            let keep = job.keep_event.filter(|e| {
                on_top && frame.timeline_cursor == 0 && found.ids.binary_search(e).is_ok()
            });
            if keep.is_some() {
                job.keep_event = None;
            }
            let done = frame.finding.is_none();
            if matches!(frame.scope, Scope::Pivot(Facet::Target, _)) {
                self.list_sessions_of(depth, &found.ids);
            }
            if on_top {
                self.refresh_timeline();
                if let Some(row) = keep.and_then(|e| self.timeline_rows().binary_search(&e).ok()) {
                    self.stay_on_row(row);
                }
            }
            if done {
                self.pivot_jobs.remove(j);
            } else if wait {
                // One step of each job, so that a caller waiting sees each step.
                j += 1;
            }
        }
        changed
    }

    /// Adds to the session list of the frame at `depth` the sessions of `new` actions (a
    /// pivot whose sessions are known only from the actions found so far), keeping the
    /// selected session. Only the new actions are looked up.
    fn list_sessions_of(&mut self, depth: usize, new: &[u32]) {
        let store = &self.store;
        let frame = &self.stack[depth];
        let mut wanted = vec![false; store.sessions.len()];
        for row in &frame.session_rows {
            if let SessionRow::Session(s) = *row {
                wanted[s] = true;
            }
        }
        let mut added = false;
        for &e in new {
            if let Some(s) = store.session_of(&store.events[e as usize])
                && !wanted[s]
            {
                wanted[s] = true;
                added = true;
            }
        }
        if !added {
            return;
        }
        let selected = match frame.session_rows.get(frame.session_cursor) {
            Some(SessionRow::Session(s)) => Some(*s),
            _ => None,
        };
        let (rows, count) = self.session_rows(Some(&wanted));
        let frame = &mut self.stack[depth];
        frame.session_cursor = selected
            .and_then(|s| rows.iter().position(|r| *r == SessionRow::Session(s)))
            .unwrap_or_else(|| first_session_row(&rows));
        frame.session_rows = rows;
        frame.session_count = count;
    }

    /// True while risk is being scored in the background.
    pub fn scoring(&self) -> bool {
        self.pending.is_some()
    }

    /// Puts a finished background scoring in place (waiting for it when `wait`); true when
    /// the screen changed.
    pub fn take_scores(&mut self, wait: bool) -> bool {
        let Some(rx) = &self.pending else {
            return false;
        };
        let Some(got) = receive(rx, wait) else {
            return false;
        };
        self.pending = None;
        let Some(analysis) = got else {
            self.message = Some("risk scoring failed: the list shows no risk".into());
            return true;
        };
        self.take_analysis(analysis);
        if self.sort == SessionSort::Risk {
            // A list not moved in yet starts at its new top, the riskiest session.
            let untouched = self.stack.len() == 1
                && self.frame().session_cursor == first_session_row(&self.frame().session_rows);
            self.rebuild_root();
            if untouched {
                self.select_session_row(first_session_row(&self.frame().session_rows));
            }
        }
        true
    }

    /// Sorts the root frame's list again (risk has changed), keeping the selected session.
    fn rebuild_root(&mut self) {
        let selected =
            self.stack
                .first()
                .and_then(|f| match f.session_rows.get(f.session_cursor) {
                    Some(SessionRow::Session(s)) => Some(*s),
                    _ => None,
                });
        let root = self.make_frame(Scope::Root, Vec::new());
        let Some(first) = self.stack.first_mut() else {
            return;
        };
        let keep = (
            first.focus,
            first.timeline_cursor,
            first.timeline_offset,
            first.root_user,
            std::mem::take(&mut first.events),
            first.narrowed_to,
        );
        *first = root;
        (
            first.focus,
            first.timeline_cursor,
            first.timeline_offset,
            first.root_user,
            first.events,
            first.narrowed_to,
        ) = keep;
        let row = selected
            .and_then(|s| {
                first
                    .session_rows
                    .iter()
                    .position(|r| *r == SessionRow::Session(s))
            })
            .unwrap_or_else(|| first_session_row(&first.session_rows));
        if self.stack.len() == 1 {
            self.select_session_row(row);
        } else {
            self.stack[0].session_cursor = row;
        }
    }

    /// Mirrors the case file's verdicts for the sessions of this store.
    pub fn sync_verdicts(&mut self) {
        self.verdicts.clear();
        self.part_verdicts.clear();
        if let Some(case) = &self.case {
            for (id, entry) in &case.data.sessions {
                let Some(sym) = self.store.lookup(id) else {
                    continue;
                };
                if let Some(v) = entry.verdict {
                    self.verdicts.insert(sym, v);
                }
                if !entry.networks.is_empty() {
                    self.part_verdicts.insert(sym, entry.networks.clone());
                }
            }
        }
    }

    /// What `/` searches, named in words, and its actions (`None`: every action). At the
    /// root, whose list holds every user's sessions, that is every user, and Tab narrows to
    /// the selected user; anywhere else it is what the view shows (this session, this user,
    /// this view), and Tab widens to every user.
    pub fn search_scope(&self, other_scope: bool) -> (&'static str, Option<Vec<u32>>) {
        let f = self.frame();
        let at_root = f.scope == Scope::Root && f.narrowed_to.is_none();
        if at_root != other_scope {
            return ("every user", None);
        }
        let name = match (f.scope, f.narrowed_to) {
            (_, Some(_)) | (Scope::Pivot(Facet::Session, _), None) => "this session",
            (Scope::Root | Scope::Pivot(Facet::User, _), None) => "this user",
            _ => "this view",
        };
        (name, Some(self.timeline_rows().to_vec()))
    }

    /// True when `event` belongs to the part of its session used from other networks than
    /// the user's own, at the same time as from the user's (a stolen token).
    pub fn in_foreign_part(&self, event: u32) -> bool {
        let e = &self.store.events[event as usize];
        self.store
            .session_of(e)
            .and_then(|s| self.assessments.get(s))
            .is_some_and(|a| a.foreign_ips.binary_search(&e.ip).is_ok())
    }

    /// The verdict an action is shown with: its part's when that part of its session was
    /// marked on its own, else its session's.
    pub fn event_verdict(&self, event: u32) -> Option<Verdict> {
        let e = &self.store.events[event as usize];
        let session = self.store.session_of(e)?;
        if let Some(parts) = self.part_verdicts.get(&e.session)
            && let Some(&v) = parts.get(&crate::ip::network_of(self.store.str(e.ip)))
        {
            return Some(v);
        }
        self.verdict(session)
    }

    /// The session and the networks of its foreign part, when the verdict keys act on the
    /// part: the action under the cursor (timeline or detail) is in it.
    pub fn target_part(&self) -> Option<(usize, Vec<String>)> {
        let event = match self.frame().focus {
            Pane::Sessions => return None,
            Pane::Detail => self.detail.as_ref().map(|d| d.event),
            Pane::Timeline => None,
        }
        .or_else(|| self.selected_event())?;
        if !self.in_foreign_part(event) {
            return None;
        }
        let s = self.store.session_of(&self.store.events[event as usize])?;
        let mut networks: Vec<String> = self.assessments[s]
            .foreign_ips
            .iter()
            .map(|&ip| crate::ip::network_of(self.store.str(ip)))
            .collect();
        networks.sort();
        networks.dedup();
        Some((s, networks))
    }

    /// The session the verdict keys act on: the one selected in the list, or the session of
    /// the action under the cursor.
    pub fn target_session(&self) -> Option<usize> {
        let event = match self.frame().focus {
            Pane::Sessions => return self.selected_session(),
            Pane::Detail => self.detail.as_ref().map(|d| d.event),
            Pane::Timeline => None,
        }
        .or_else(|| self.selected_event())?;
        self.store.session_of(&self.store.events[event as usize])
    }

    /// Moves the session cursor, and at the root follows the selected user with the timeline.
    pub fn select_session_row(&mut self, row: usize) {
        let len = self.frame().session_rows.len();
        if len == 0 {
            self.refresh_timeline();
            return;
        }
        let row = row.min(len - 1);
        let height = self.list_rows(Pane::Sessions);
        let f = self.frame_mut();
        f.session_cursor = row;
        f.session_offset = follow(row, f.session_offset, height);
        let user = self.selected_user();
        let mut changed = false;
        if self.frame().scope == Scope::Root && self.frame().root_user != user {
            let events = user.map_or_else(Vec::new, |u| {
                self.store.events_with(Facet::User, u).to_vec()
            });
            let f = self.frame_mut();
            f.root_user = user;
            f.events = events;
            f.timeline_cursor = 0;
            f.timeline_offset = 0;
            changed = true;
        }
        if self.frame().narrowed_to.is_some() {
            let session = self.selected_session();
            changed |= self.frame().narrowed_to != session;
            self.frame_mut().narrowed_to = session;
        }
        if changed {
            self.refresh_timeline();
        }
    }

    /// Recomputes the narrowed rows and the lanes after the frame or its selection changed.
    pub fn refresh_timeline(&mut self) {
        let f = self.stack.last().expect("the root frame is never popped");
        self.narrowed_rows = f
            .narrowed_to
            .map(|s| sorted_intersection(&f.events, &self.store.sessions[s].events));
        let len = self.timeline_rows().len();
        let f = self.frame_mut();
        if f.timeline_cursor >= len {
            f.timeline_cursor = len.saturating_sub(1);
        }
    }

    /// Breadcrumb, newest first: `IP 198.51.100.23 < session 12bce6d0 < user alex@contoso.com`.
    pub fn breadcrumb(&self) -> String {
        self.stack
            .iter()
            .rev()
            .map(|f| match f.scope {
                Scope::Root => match f.root_user {
                    Some(u) => format!("user {}", self.store.str(u)),
                    None => "all sessions".to_string(),
                },
                Scope::Linked => "linked to attacker".to_string(),
                Scope::Asn(a) => format!("AS{a}"),
                Scope::Pivot(facet, v) => {
                    let value = self.store.str(v);
                    if facet == Facet::Session {
                        let short: String = value.chars().take(8).collect();
                        return match session_owners(&self.store, v).as_slice() {
                            [one] => format!("session {short} ({})", self.store.str(*one)),
                            _ => format!("session {short}"),
                        };
                    }
                    format!("{} {}", facet.label(), value)
                }
            })
            .collect::<Vec<_>>()
            .join(" < ")
    }
}

/// The users whose sessions carry session ID `id` (one, unless an ID is shared).
pub fn session_owners(store: &Store, id: Sym) -> Vec<Sym> {
    let mut users: Vec<Sym> = store
        .sessions_of_id(id)
        .iter()
        .map(|&s| store.sessions[s as usize].user)
        .collect();
    users.sort_unstable();
    users.dedup();
    users
}

/// Ids in both lists. Event ids are in time order, so both lists are sorted.
fn sorted_intersection(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// What scoring on another thread hands back: risk, concurrency peaks, and the list orders
/// (by risk, which needs the risk, and the other orders not at hand yet, sorted there so that
/// no `S` sorts every session).
struct Analysis {
    assessments: Vec<crate::analysis::Assessment>,
    peaks: FxHashMap<Sym, (usize, i64)>,
    orders: Vec<(SessionSort, Vec<u32>)>,
}

fn analyse(store: &Store, verdicts: &crate::case::Verdicts, user_rank: &[u32]) -> Analysis {
    let assessments = crate::analysis::assess_all(store, Some(verdicts));
    let peaks = crate::analysis::max_concurrent(store);
    let orders = [SessionSort::Risk]
        .into_iter()
        .map(|sort| (sort, sorted_sessions(store, user_rank, &assessments, sort)))
        .collect();
    Analysis {
        assessments,
        peaks,
        orders,
    }
}

/// Every session by `sort`'s key, then by its user's place in name order (sessions without a
/// user last), then by index; by user first when sorting by user. One packed key per session: sorting 300,000 sessions by
/// tuples took tens of milliseconds.
fn sorted_sessions(
    store: &Store,
    user_rank: &[u32],
    assessments: &[crate::analysis::Assessment],
    sort: SessionSort,
) -> Vec<u32> {
    let mut keys: Vec<u128> = store
        .sessions
        .iter()
        .enumerate()
        .map(|(s, session)| {
            let within: i64 = match sort {
                SessionSort::FirstSeen | SessionSort::User => session.first,
                SessionSort::Risk => {
                    let (risk, score) = assessments.get(s).map_or((0, 0), |a| (a.risk, a.score));
                    -((i64::from(risk) << 32) | i64::from(score))
                }
            };
            let user = if session.user.is_empty() {
                u32::MAX
            } else {
                user_rank.get(s).copied().unwrap_or(u32::MAX)
            };
            // Flipping the sign bit keeps an i64's order among unsigned numbers.
            let within = (within as u64) ^ (1 << 63);
            if sort == SessionSort::User {
                (u128::from(user) << 96) | (u128::from(within) << 32) | s as u128
            } else {
                // One list across accounts: the key first, the user's name breaking ties.
                (u128::from(within) << 64) | (u128::from(user) << 32) | s as u128
            }
        })
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|k| k as u32).collect()
}

fn user_rank(store: &Store) -> Vec<u32> {
    let rank: FxHashMap<Sym, u32> = store
        .users()
        .into_iter()
        .enumerate()
        .map(|(i, u)| (u, i as u32))
        .collect();
    store
        .sessions
        .iter()
        .map(|s| rank.get(&s.user).copied().unwrap_or(0))
        .collect()
}

fn lanes_by_user(store: &Store) -> Vec<usize> {
    let mut next: FxHashMap<Sym, usize> = FxHashMap::default();
    // `store.sessions` is in order of first activity.
    store
        .sessions
        .iter()
        .map(|s| {
            if !s.has_id() {
                return 0;
            }
            let n = next.entry(s.user).or_default();
            *n += 1;
            *n - 1
        })
        .collect()
}

/// The first session row (skipping the heading of the first user).
pub fn first_session_row(rows: &[SessionRow]) -> usize {
    rows.iter()
        .position(|r| matches!(r, SessionRow::Session(_)))
        .unwrap_or(0)
}
