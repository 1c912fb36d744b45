//! One vocabulary of actions: keys map to them, help and status hints are generated from the
//! same table, so what the screen says is what the keys do.

use crate::store::Facet;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Move the cursor up one row.
    Up,
    /// Move the cursor down one row.
    Down,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    PageUp,
    PageDown,
    /// Focus the next pane.
    NextPane,
    /// Focus the previous pane.
    PrevPane,
    /// Drill in: a session opens its timeline, an action its detail.
    Enter,
    /// Back one step: close detail or help, or pop the last pivot.
    Back,
    Quit,
    Help,
    /// Cycle the display time zone (UTC, local).
    CycleZone,
    /// Copy the selected session ID (or value under the cursor) with OSC 52.
    Copy,
    /// Open a timeline across all users sharing this value with the selection.
    Pivot(Facet),
    /// Open a timeline of every action from an IP of the same autonomous system (ASN) as the
    /// selection's IP.
    PivotAsn,
    /// Narrow the timeline to the selected session, and back.
    NarrowToSession,
    /// Cycle the session list order (risk, first seen, user).
    CycleSort,
    /// Mark the selected session as the attacker's.
    MarkAttacker,
    /// Mark the selected session as the real user's.
    MarkUser,
    /// Clear the selected session's verdict.
    ClearVerdict,
    /// Edit the selected session's note.
    EditNote,
    /// Open the fuzzy search prompt.
    Search,
    /// Jump to the next search hit.
    NextHit,
    /// Jump to the previous search hit.
    PrevHit,
    /// Sessions of any user sharing IPs, clients or tokens with the attacker's.
    Linked,
    /// Write the incident report next to the case file.
    WriteReport,
    /// List what the load could not read.
    Problems,
    /// Give the terminal back to the shell until `fg`.
    Suspend,
    /// List every action by name, to run one.
    Commands,
    /// Undo the last verdict or note.
    Undo,
    /// Copy the query that pulls what the view shows from the SIEM.
    CopyQuery,
    /// Prompt: a typed character.
    Input(char),
    /// Prompt: delete the last character.
    Backspace,
    /// Prompt: accept (search: jump to the selected hit; note: save).
    Confirm,
    /// Prompt: close without accepting.
    Cancel,
    /// Search prompt: the view's own scope / the other.
    ToggleScope,
}

impl Action {
    /// The action's name in the command list (`:`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page-up",
            Action::PageDown => "page-down",
            Action::NextPane => "next-pane",
            Action::PrevPane => "previous-pane",
            Action::Enter => "drill-in",
            Action::Back => "back",
            Action::Quit => "quit",
            Action::Help => "help",
            Action::CycleZone => "time-zone",
            Action::Copy => "copy",
            Action::Pivot(Facet::Session) => "pivot-session",
            Action::Pivot(Facet::Ip) => "pivot-ip",
            Action::Pivot(Facet::User) => "pivot-user",
            Action::Pivot(Facet::Client) => "pivot-client",
            Action::Pivot(Facet::Operation) => "pivot-operation",
            Action::Pivot(Facet::Target) => "pivot-target",
            Action::PivotAsn => "pivot-asn",
            Action::NarrowToSession => "only-this-session",
            Action::CycleSort => "sort",
            Action::MarkAttacker => "mark-attacker",
            Action::MarkUser => "mark-user",
            Action::ClearVerdict => "clear-verdict",
            Action::EditNote => "note",
            Action::Search => "search",
            Action::NextHit => "next-hit",
            Action::PrevHit => "previous-hit",
            Action::Linked => "linked",
            Action::WriteReport => "report",
            Action::Problems => "problems",
            Action::Suspend => "suspend",
            Action::Commands => "commands",
            Action::Undo => "undo",
            Action::CopyQuery => "copy-query",
            Action::Input(_) => "type",
            Action::Backspace => "backspace",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::ToggleScope => "toggle-scope",
        }
    }
}

/// A key as the keymap binds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character, without Ctrl or Alt.
    Char(char),
    /// Ctrl and a letter.
    Ctrl(char),
    /// A named key (arrows, Tab, Enter, Esc...).
    Code(KeyCode),
}

impl Key {
    fn matches(self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match self {
            Key::Char(c) => key.code == KeyCode::Char(c) && !ctrl && !alt,
            Key::Ctrl(c) => key.code == KeyCode::Char(c) && ctrl,
            Key::Code(code) => key.code == code && !ctrl && !alt,
        }
    }

    /// The key as help and README write it: `j`, `Ctrl-d`, `Shift-Tab`, `PgDn`.
    pub fn label(self) -> String {
        match self {
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Code(code) => match code {
                KeyCode::Down => "Down",
                KeyCode::Up => "Up",
                KeyCode::Home => "Home",
                KeyCode::End => "End",
                KeyCode::PageDown => "PgDn",
                KeyCode::PageUp => "PgUp",
                KeyCode::Tab => "Tab",
                KeyCode::BackTab => "Shift-Tab",
                KeyCode::Enter => "Enter",
                KeyCode::Esc => "Esc",
                KeyCode::Backspace => "Backspace",
                _ => "?",
            }
            .to_string(),
        }
    }
}

/// One binding of a mode's keymap: its keys, what they do, the line help gives it, and its
/// place and word in the status line's hints (`(rank, word)`; bindings sharing a word are
/// shown together, `A/U mark`).
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    pub hint: Option<(u8, &'static str)>,
}

/// A binding without a hint.
const fn bind(keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        keys,
        action,
        help,
        hint: None,
    }
}

impl Binding {
    /// The binding with its word in the status line's hints, at place `rank`.
    const fn hinted(self, rank: u8, word: &'static str) -> Binding {
        Binding {
            hint: Some((rank, word)),
            ..self
        }
    }

    /// The keys as help lists them: `j / Down`.
    pub fn label(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// The keymap of the lists, timelines and detail, in the order help lists it. Dispatch, help
/// and the status hints all read this table.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(&[Key::Char('j'), Key::Code(KeyCode::Down)], Action::Down, "next row"),
    bind(&[Key::Char('k'), Key::Code(KeyCode::Up)], Action::Up, "previous row"),
    bind(&[Key::Char('g'), Key::Code(KeyCode::Home)], Action::Top, "first row"),
    bind(&[Key::Char('G'), Key::Code(KeyCode::End)], Action::Bottom, "last row"),
    bind(&[Key::Code(KeyCode::PageDown), Key::Ctrl('d')], Action::PageDown, "page down"),
    bind(&[Key::Code(KeyCode::PageUp), Key::Ctrl('u')], Action::PageUp, "page up"),
    bind(&[Key::Code(KeyCode::Tab)], Action::NextPane, "next pane"),
    bind(&[Key::Code(KeyCode::BackTab)], Action::PrevPane, "previous pane"),
    bind(&[Key::Code(KeyCode::Enter)], Action::Enter, "drill in: session -> timeline, action -> detail").hinted(1, "drill"),
    bind(&[Key::Code(KeyCode::Esc)], Action::Back, "back one pivot (or close detail/help)").hinted(2, "back"),
    bind(&[Key::Char('s')], Action::Pivot(Facet::Session), "pivot: same session").hinted(5, "pivot"),
    bind(&[Key::Char('i')], Action::Pivot(Facet::Ip), "pivot: same IP").hinted(5, "pivot"),
    bind(&[Key::Char('p')], Action::Pivot(Facet::User), "pivot: same person (user)").hinted(5, "pivot"),
    bind(&[Key::Char('c')], Action::Pivot(Facet::Client), "pivot: same client").hinted(5, "pivot"),
    bind(&[Key::Char('o')], Action::Pivot(Facet::Operation), "pivot: same operation").hinted(5, "pivot"),
    bind(&[Key::Char('m')], Action::Pivot(Facet::Target), "pivot: same target mailbox").hinted(5, "pivot"),
    bind(&[Key::Char('a')], Action::PivotAsn, "pivot: same network owner (ASN) as the IP"),
    bind(&[Key::Char('f')], Action::NarrowToSession, "timeline: only the selected session / all"),
    bind(&[Key::Char('S')], Action::CycleSort, "sort sessions: risk, first seen, user"),
    bind(&[Key::Char('/')], Action::Search, "fuzzy search actions (Tab: the other scope)").hinted(3, "search"),
    bind(&[Key::Char('n')], Action::NextHit, "next search hit"),
    bind(&[Key::Char('N')], Action::PrevHit, "previous search hit"),
    bind(&[Key::Char('A')], Action::MarkAttacker, "mark attacker: the session, or on a * row its other networks (saved)").hinted(4, "mark"),
    bind(&[Key::Char('U')], Action::MarkUser, "mark user: the session, or on a * row its other networks (saved)").hinted(4, "mark"),
    bind(&[Key::Char('X')], Action::ClearVerdict, "clear the verdict (of the part, on a * row)"),
    bind(&[Key::Char('e')], Action::EditNote, "edit the session's note"),
    bind(&[Key::Char('u')], Action::Undo, "undo the last verdict or note (saved)"),
    bind(&[Key::Char('L')], Action::Linked, "sessions linked to the attacker (shared IP/client/token)"),
    bind(&[Key::Char('R')], Action::WriteReport, "write the incident report beside the case file"),
    bind(&[Key::Char('!')], Action::Problems, "what could not be read: files, lines and reasons"),
    bind(&[Key::Char('z')], Action::CycleZone, "time zone: UTC / local"),
    bind(&[Key::Char('y')], Action::Copy, "copy session ID (or value) to your clipboard (OSC 52)"),
    bind(&[Key::Char('Q')], Action::CopyQuery, "copy the KQL that pulls this view from Sentinel; in L, a hunt (OSC 52)"),
    bind(&[Key::Char('?')], Action::Help, "this help").hinted(0, "help"),
    bind(&[Key::Char(':')], Action::Commands, "every action by name: type to filter, Enter runs it"),
    bind(&[Key::Ctrl('z')], Action::Suspend, "suspend to the shell (fg brings it back)"),
    bind(&[Key::Char('q'), Key::Ctrl('c')], Action::Quit, "quit").hinted(6, "quit"),
];

/// The keymap while a prompt (search, note) is open, beside typing: any other character
/// goes into the prompt.
#[rustfmt::skip]
pub const PROMPT_BINDINGS: &[Binding] = &[
    bind(&[Key::Code(KeyCode::Enter)], Action::Confirm, "search: jump to the selected hit; note: save it; command: run it"),
    bind(&[Key::Code(KeyCode::Esc), Key::Ctrl('u')], Action::Cancel, "close the prompt without saving"),
    bind(&[Key::Code(KeyCode::Backspace)], Action::Backspace, "delete the last character"),
    bind(&[Key::Code(KeyCode::Tab)], Action::ToggleScope, "search: every user / this view (at the start: every user / this user)"),
    bind(&[Key::Code(KeyCode::Up)], Action::Up, "search, command: previous row"),
    bind(&[Key::Code(KeyCode::Down)], Action::Down, "search, command: next row"),
    bind(&[Key::Ctrl('z')], Action::Suspend, "suspend to the shell (fg brings it back)"),
    bind(&[Key::Ctrl('c')], Action::Quit, "quit"),
];

/// The binding of `key` in `keymap`.
fn bound(keymap: &[Binding], key: KeyEvent) -> Option<Action> {
    keymap
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(key)))
        .map(|b| b.action)
}

/// The action of a key press, if any.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    bound(BINDINGS, key)
}

/// Keys while a prompt is open: text goes into the prompt.
pub fn prompt_action_for(key: KeyEvent) -> Option<Action> {
    bound(PROMPT_BINDINGS, key).or(match key.code {
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            Some(Action::Input(c))
        }
        _ => None,
    })
}

/// The actions of a key press. sessionscope binds nothing to Alt, so Alt-x is read as Esc
/// followed by x: that is what a quick Esc then x looks like over a slow SSH link or in tmux.
pub fn actions_for(key: KeyEvent) -> Vec<Action> {
    if key.modifiers == KeyModifiers::ALT {
        let plain = KeyEvent::new(key.code, KeyModifiers::NONE);
        return std::iter::once(Action::Back)
            .chain(action_for(plain))
            .collect();
    }
    action_for(key).into_iter().collect()
}

/// The bindings of the command list (`:`) whose name or help holds every word of `filter`
/// (any case): those whose name holds them first, then those whose help does, each in the
/// keymap's order.
pub fn commands(filter: &str) -> Vec<&'static Binding> {
    let filter = filter.to_lowercase();
    let words: Vec<&str> = filter.split_whitespace().collect();
    let holds = |text: &str| words.iter().all(|w| text.contains(w));
    let (by_name, by_help): (Vec<&Binding>, Vec<&Binding>) = BINDINGS
        .iter()
        .filter(|b| holds(&format!("{} {}", b.action.name(), b.help.to_lowercase())))
        .partition(|b| holds(b.action.name()));
    by_name.into_iter().chain(by_help).collect()
}

/// The first key of an action's binding, for status-bar hints.
pub fn key_of(action: Action) -> String {
    BINDINGS
        .iter()
        .find(|b| b.action == action)
        .and_then(|b| b.keys.first())
        .map_or_else(String::new, |k| k.label())
}

/// The status line's hints, from the keymap's `hint` words: most useful first, since at 80
/// columns the end of the line is cut.
pub fn hints() -> String {
    let mut hinted: Vec<(u8, &str, String)> = BINDINGS
        .iter()
        .filter_map(|b| Some((b.hint?.0, b.hint?.1, b.keys.first()?.label())))
        .collect();
    hinted.sort_by_key(|h| h.0);
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for (_, word, key) in hinted {
        match groups.last_mut() {
            Some((w, keys)) if *w == word => keys.push(key),
            _ => groups.push((word, vec![key])),
        }
    }
    groups
        .into_iter()
        .map(|(word, keys)| {
            let keys = if keys.len() == 2 {
                keys.join("/")
            } else {
                keys.concat()
            };
            format!("{keys} {word}")
        })
        .collect::<Vec<_>>()
        .join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn event_of(k: Key) -> KeyEvent {
        match k {
            Key::Char(c) => key(c),
            Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
            Key::Code(KeyCode::BackTab) => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
            Key::Code(code) => KeyEvent::new(code, KeyModifiers::NONE),
        }
    }

    #[test]
    fn every_key_of_every_binding_does_its_action_and_no_key_is_bound_twice() {
        for (keymap, dispatch) in [
            (BINDINGS, action_for as fn(KeyEvent) -> Option<Action>),
            (PROMPT_BINDINGS, prompt_action_for),
        ] {
            let mut seen = Vec::new();
            for b in keymap {
                for &k in b.keys {
                    assert_eq!(dispatch(event_of(k)), Some(b.action), "{}", k.label());
                    assert!(!seen.contains(&k), "{} is bound twice", k.label());
                    seen.push(k);
                }
            }
        }
        assert_eq!(prompt_action_for(key('q')), Some(Action::Input('q')));
    }

    #[test]
    fn every_action_of_the_keymap_has_a_name_of_its_own() {
        let mut names: Vec<&str> = BINDINGS.iter().map(|b| b.action.name()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "{names:?}");
        assert_eq!(commands("").len(), BINDINGS.len());
        let marks: Vec<&str> = commands("mark").iter().map(|b| b.action.name()).collect();
        assert_eq!(marks, ["mark-attacker", "mark-user"]);
        // Names first, then what only the help mentions.
        let pivots: Vec<&str> = commands("pivot").iter().map(|b| b.action.name()).collect();
        assert_eq!(pivots.first(), Some(&"pivot-session"));
        assert_eq!(pivots.last(), Some(&"back"));
        assert_eq!(commands("PIVOT ip")[0].action, Action::Pivot(Facet::Ip));
    }

    #[test]
    fn hints_come_from_the_table() {
        assert_eq!(
            hints(),
            "? help  Enter drill  Esc back  / search  A/U mark  sipcom pivot  q quit"
        );
    }

    /// Help is generated from BINDINGS: every key the keymap answers must be listed there.
    #[test]
    fn every_key_the_keymap_answers_is_in_help() {
        let mut keys: Vec<KeyEvent> = (' '..='~').map(key).collect();
        for code in [
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
        ] {
            keys.push(KeyEvent::new(code, KeyModifiers::NONE));
        }
        for k in keys {
            if let Some(action) = action_for(k) {
                assert!(
                    BINDINGS.iter().any(|b| b.action == action),
                    "{k:?} does {action:?}, which help does not list"
                );
            }
        }
    }

    #[test]
    fn no_tmux_prefix_or_alt_only_bindings() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(action_for(ctrl('a')), None);
        assert_eq!(action_for(ctrl('b')), None);
        assert_eq!(
            action_for(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::ALT)),
            None
        );
        assert_eq!(
            actions_for(KeyEvent::new(KeyCode::Char('i'), KeyModifiers::ALT)),
            vec![Action::Back, Action::Pivot(Facet::Ip)]
        );
    }
}
