//! What each telling record did (a rule's words and targets, forwarding, rights granted, scopes
//! consented to), read from the whole record once, at load, and kept beside the events: the
//! store keeps one summary line per event, and scoring, the report and the detail view read
//! the facts here instead of going back to the files.

use crate::audit::Action;

/// The facts of one telling record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Telling {
    Did(Action),
    /// The record held nothing telling (a `Set-Mailbox` that changed a quota).
    Nothing,
    /// It could not be read back from its file, and why.
    Unread(String),
}

/// [`Telling`] facts by event id: the few events of telling operations, in id order.
#[derive(Debug, Default)]
pub struct TellingColumn {
    ids: Vec<u32>,
    facts: Vec<Telling>,
}

impl TellingColumn {
    /// The column of `(event id, facts)` pairs, in any order.
    pub fn new(mut pairs: Vec<(u32, Telling)>) -> TellingColumn {
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        let (ids, facts) = pairs.into_iter().unzip();
        TellingColumn { ids, facts }
    }

    pub fn get(&self, id: u32) -> Option<&Telling> {
        self.ids.binary_search(&id).ok().map(|at| &self.facts[at])
    }

    /// The action of event `id`, if it did something telling.
    pub fn action(&self, id: u32) -> Option<&Action> {
        match self.get(id) {
            Some(Telling::Did(a)) => Some(a),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 4 + self.facts.capacity() * std::mem::size_of::<Telling>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Action, Forwarding};

    #[test]
    fn facts_are_found_by_event_id_whatever_order_they_came_in() {
        let forward = Action::Forwarding(Forwarding {
            targets: vec!["x@evil.example".into()],
            keeps_copy: false,
        });
        let column = TellingColumn::new(vec![
            (40, Telling::Unread("gone".into())),
            (3, Telling::Did(forward.clone())),
            (17, Telling::Nothing),
        ]);
        assert_eq!(column.action(3), Some(&forward));
        assert_eq!(column.get(17), Some(&Telling::Nothing));
        assert_eq!(column.get(40), Some(&Telling::Unread("gone".into())));
        assert_eq!(column.get(4), None);
        assert_eq!(column.action(40), None);
    }
}
