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
    /// Cycle the session list order (first seen, risk, events, IPs).
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
    /// Prompt: a typed character.
    Input(char),
    /// Prompt: delete the last character.
    Backspace,
    /// Prompt: accept (search: jump to the selected hit; note: save).
    Confirm,
    /// Prompt: close without accepting.
    Cancel,
    /// Search prompt: current view / whole store.
    ToggleScope,
}

/// A key binding as shown in help.
pub struct Binding {
    pub keys: &'static str,
    pub action: Action,
    pub help: &'static str,
}

/// Every binding, in the order help lists them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "j / Down",
        action: Action::Down,
        help: "next row",
    },
    Binding {
        keys: "k / Up",
        action: Action::Up,
        help: "previous row",
    },
    Binding {
        keys: "g / Home",
        action: Action::Top,
        help: "first row",
    },
    Binding {
        keys: "G / End",
        action: Action::Bottom,
        help: "last row",
    },
    Binding {
        keys: "PgDn / Ctrl-d",
        action: Action::PageDown,
        help: "page down",
    },
    Binding {
        keys: "PgUp / Ctrl-u",
        action: Action::PageUp,
        help: "page up",
    },
    Binding {
        keys: "Tab",
        action: Action::NextPane,
        help: "next pane",
    },
    Binding {
        keys: "Shift-Tab",
        action: Action::PrevPane,
        help: "previous pane",
    },
    Binding {
        keys: "Enter",
        action: Action::Enter,
        help: "drill in: session -> timeline, action -> detail",
    },
    Binding {
        keys: "Esc",
        action: Action::Back,
        help: "back one pivot (or close detail/help)",
    },
    Binding {
        keys: "s",
        action: Action::Pivot(Facet::Session),
        help: "pivot: same session",
    },
    Binding {
        keys: "i",
        action: Action::Pivot(Facet::Ip),
        help: "pivot: same IP",
    },
    Binding {
        keys: "p",
        action: Action::Pivot(Facet::User),
        help: "pivot: same person (user)",
    },
    Binding {
        keys: "c",
        action: Action::Pivot(Facet::Client),
        help: "pivot: same client",
    },
    Binding {
        keys: "o",
        action: Action::Pivot(Facet::Operation),
        help: "pivot: same operation",
    },
    Binding {
        keys: "m",
        action: Action::Pivot(Facet::Target),
        help: "pivot: same target mailbox",
    },
    Binding {
        keys: "a",
        action: Action::PivotAsn,
        help: "pivot: same network owner (ASN) as the IP",
    },
    Binding {
        keys: "f",
        action: Action::NarrowToSession,
        help: "timeline: only the selected session / all",
    },
    Binding {
        keys: "S",
        action: Action::CycleSort,
        help: "sort sessions: first seen, risk, events, IPs",
    },
    Binding {
        keys: "/",
        action: Action::Search,
        help: "fuzzy search actions (Tab: this view / whole store)",
    },
    Binding {
        keys: "n",
        action: Action::NextHit,
        help: "next search hit",
    },
    Binding {
        keys: "N",
        action: Action::PrevHit,
        help: "previous search hit",
    },
    Binding {
        keys: "A",
        action: Action::MarkAttacker,
        help: "mark attacker: the session, or on a * row its other networks (saved)",
    },
    Binding {
        keys: "U",
        action: Action::MarkUser,
        help: "mark user: the session, or on a * row its other networks (saved)",
    },
    Binding {
        keys: "X",
        action: Action::ClearVerdict,
        help: "clear the verdict (of the part, on a * row)",
    },
    Binding {
        keys: "e",
        action: Action::EditNote,
        help: "edit the session's note",
    },
    Binding {
        keys: "L",
        action: Action::Linked,
        help: "sessions linked to the attacker (shared IP/client/token)",
    },
    Binding {
        keys: "R",
        action: Action::WriteReport,
        help: "write the incident report beside the case file",
    },
    Binding {
        keys: "z",
        action: Action::CycleZone,
        help: "time zone: UTC / local",
    },
    Binding {
        keys: "y",
        action: Action::Copy,
        help: "copy session ID (or value) to your clipboard (OSC 52)",
    },
    Binding {
        keys: "?",
        action: Action::Help,
        help: "this help",
    },
    Binding {
        keys: "q / Ctrl-c",
        action: Action::Quit,
        help: "quit",
    },
];

/// The action of a key press, if any.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let action = match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('d') if ctrl => Action::PageDown,
        KeyCode::Char('u') if ctrl => Action::PageUp,
        _ if ctrl || key.modifiers.contains(KeyModifiers::ALT) => return None,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Tab => Action::NextPane,
        KeyCode::BackTab => Action::PrevPane,
        KeyCode::Enter => Action::Enter,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('z') => Action::CycleZone,
        KeyCode::Char('y') => Action::Copy,
        KeyCode::Char('s') => Action::Pivot(Facet::Session),
        KeyCode::Char('a') => Action::PivotAsn,
        KeyCode::Char('i') => Action::Pivot(Facet::Ip),
        KeyCode::Char('p') => Action::Pivot(Facet::User),
        KeyCode::Char('c') => Action::Pivot(Facet::Client),
        KeyCode::Char('o') => Action::Pivot(Facet::Operation),
        KeyCode::Char('m') => Action::Pivot(Facet::Target),
        KeyCode::Char('f') => Action::NarrowToSession,
        KeyCode::Char('S') => Action::CycleSort,
        KeyCode::Char('/') => Action::Search,
        KeyCode::Char('n') => Action::NextHit,
        KeyCode::Char('N') => Action::PrevHit,
        KeyCode::Char('A') => Action::MarkAttacker,
        KeyCode::Char('U') => Action::MarkUser,
        KeyCode::Char('X') => Action::ClearVerdict,
        KeyCode::Char('e') => Action::EditNote,
        KeyCode::Char('L') => Action::Linked,
        KeyCode::Char('R') => Action::WriteReport,
        _ => return None,
    };
    Some(action)
}

/// Keys while a prompt is open: text goes into the prompt.
pub fn prompt_action_for(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('u') if ctrl => Action::Cancel,
        KeyCode::Char(c) if !ctrl => Action::Input(c),
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Enter => Action::Confirm,
        KeyCode::Esc => Action::Cancel,
        KeyCode::Tab => Action::ToggleScope,
        KeyCode::Up => Action::Up,
        KeyCode::Down => Action::Down,
        _ => return None,
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

/// The first key of an action's binding, for status-bar hints.
pub fn key_of(action: Action) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| b.action == action)
        .map_or("", |b| b.keys.split(" / ").next().unwrap_or(b.keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn every_binding_is_reachable_by_its_first_key() {
        for b in BINDINGS {
            let first = b.keys.split(" / ").next().unwrap();
            let event = match first {
                "Tab" => KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
                "Shift-Tab" => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
                "Enter" => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
                "Esc" => KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
                "PgDn" => KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE),
                "PgUp" => KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE),
                s => key(s.chars().next().unwrap()),
            };
            assert_eq!(action_for(event), Some(b.action), "{}", b.keys);
        }
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
