//! Fuzzy search over actions. Events share their strings (operations, summaries, IPs, clients,
//! targets, users are interned), so each keystroke fuzzy-matches every *distinct* string once
//! and then maps the scores back to events through their handles: a million events cost a
//! table lookup each, not a fuzzy match each.

use crate::intern::Sym;
use crate::model::Event;
use crate::store::Store;
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

/// Which part of an action matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Operation,
    Summary,
    Target,
    Ip,
    Client,
    User,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Operation,
        Field::Summary,
        Field::Target,
        Field::Ip,
        Field::Client,
        Field::User,
    ];

    pub fn of(self, e: &Event) -> Sym {
        match self {
            Field::Operation => e.operation,
            Field::Summary => e.summary,
            Field::Target => e.target,
            Field::Ip => e.ip,
            Field::Client => e.client,
            Field::User => e.user,
        }
    }

    /// The operation says what an action *is*; a match there outranks an equal match in the
    /// free text of a summary (so `inbx` finds inbox-rule actions before mail read in \Inbox).
    fn weight(self) -> i64 {
        match self {
            Field::Operation => 3,
            _ => 1,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Operation => "operation",
            Field::Summary => "summary",
            Field::Target => "target",
            Field::Ip => "IP",
            Field::Client => "client",
            Field::User => "user",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub event: u32,
    pub score: i64,
    pub field: Field,
}

#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Best first (ties in time order), at most the limit asked for.
    pub hits: Vec<Hit>,
    /// Every matching action, including those past the limit.
    pub total: usize,
}

/// For every interned string, the fields (a bit each) that use it somewhere.
fn field_masks(store: &Store) -> Vec<u8> {
    let mut used = vec![0u8; store.interner.len()];
    for e in &store.events {
        for (bit, f) in Field::ALL.iter().enumerate() {
            used[f.of(e).0 as usize] |= 1 << bit;
        }
    }
    used[0] = 0;
    used
}

/// True when the query's characters appear in `text` in order, ignoring ASCII case: the cheap
/// test that spares most strings the fuzzy matcher.
fn subsequence(text: &str, query: &[u8]) -> bool {
    let mut q = query.iter().peekable();
    for b in text.bytes() {
        match q.peek() {
            Some(&&c) if c == b.to_ascii_lowercase() => {
                q.next();
            }
            Some(_) => {}
            None => return true,
        }
    }
    q.peek().is_none()
}

pub struct Searcher {
    matcher: SkimMatcherV2,
    /// Every string some searchable field uses.
    strings: Vec<Sym>,
    /// Which fields use each string, so a keystroke scans only the fields that can match.
    masks: Vec<u8>,
    /// Each string's score for the current query, kept between keystrokes with only the
    /// entries a query set cleared again: a fresh array the size of the interner (tens of
    /// millions of strings at 10M events) cost more to fault in than the search itself.
    scores: std::sync::Mutex<Vec<i64>>,
}

impl Searcher {
    pub fn new(store: &Store) -> Searcher {
        let masks = field_masks(store);
        let strings = masks
            .iter()
            .enumerate()
            .filter(|(_, m)| **m != 0)
            .map(|(i, _)| Sym(i as u32))
            .collect();
        Searcher {
            matcher: SkimMatcherV2::default().ignore_case(),
            strings,
            masks,
            scores: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The actions matching `query`, among `scope` (event ids) or the whole store.
    pub fn search(
        &self,
        store: &Store,
        query: &str,
        scope: Option<&[u32]>,
        limit: usize,
    ) -> Results {
        let query = query.trim();
        if query.is_empty() {
            return Results::default();
        }
        let folded: Vec<u8> = query
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| b.to_ascii_lowercase())
            .collect();
        let score_strings = |syms: &[Sym]| -> Vec<(Sym, i64)> {
            syms.iter()
                .filter(|&&sym| !query.is_ascii() || subsequence(store.str(sym), &folded))
                .filter_map(|&sym| {
                    self.matcher
                        .fuzzy_match(store.str(sym), query)
                        .map(|s| (sym, s.max(1)))
                })
                .collect()
        };
        let (a, b) = self.strings.split_at(self.strings.len() / 2);
        let scored = std::thread::scope(|s| {
            let other = s.spawn(|| score_strings(b));
            let mut mine = score_strings(a);
            mine.extend(other.join().expect("search worker panicked"));
            mine
        });
        let mut guard = self
            .scores
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let score_of: &mut Vec<i64> = &mut guard;
        score_of.resize(store.interner.len(), 0);
        let mut mask = 0u8;
        for &(sym, s) in &scored {
            score_of[sym.0 as usize] = s;
            mask |= self.masks[sym.0 as usize];
        }
        let results = if mask == 0 {
            Results::default()
        } else {
            self.rank(store, score_of, mask, scope, limit)
        };
        for &(sym, _) in &scored {
            score_of[sym.0 as usize] = 0;
        }
        results
    }

    /// The events of `scope` (or all) ranked by their best field's score, best first.
    fn rank(
        &self,
        store: &Store,
        score_of: &[i64],
        mask: u8,
        scope: Option<&[u32]>,
        limit: usize,
    ) -> Results {
        // A query only one field's strings match (a subject word, an address) needs only that
        // field looked up: five random reads an event fewer.
        let only = (mask.count_ones() == 1).then(|| Field::ALL[mask.trailing_zeros() as usize]);
        // Every field is looked up, matched or not (a string's score is 0 where it did not
        // match): over the fixed list of six the compiler leaves no branch, which matters on
        // a million events per keystroke.
        let field_scores =
            |e: &Event| Field::ALL.map(|f| (score_of[f.of(e).0 as usize] * f.weight(), f));
        let best = |e: &Event| -> (i64, Field) {
            field_scores(e)
                .into_iter()
                .max_by_key(|(s, _)| *s)
                .unwrap_or((0, Field::Operation))
        };
        // Ranking needs only the best score, not which field gave it.
        let score =
            |e: &Event| -> i64 { field_scores(e).iter().map(|(s, _)| *s).max().unwrap_or(0) };
        // Score and id packed in one word (higher score first, then earlier event), so ranking
        // sorts plain integers; the two halves are scored on two cores.
        let pack = |i: u32| -> Option<u64> {
            let e = &store.events[i as usize];
            let score = match only {
                Some(f) => score_of[f.of(e).0 as usize] * f.weight(),
                None => score(e),
            };
            (score > 0).then(|| (score.min(u32::MAX as i64) as u64) << 32 | u64::from(u32::MAX - i))
        };
        let n = scope.map_or(store.events.len(), <[u32]>::len);
        let id_at = |k: usize| scope.map_or(k as u32, |ids| ids[k]);
        let pack_range =
            |r: std::ops::Range<usize>| -> Vec<u64> { r.filter_map(|k| pack(id_at(k))).collect() };
        let mut packed: Vec<u64> = if n < 100_000 {
            pack_range(0..n)
        } else {
            std::thread::scope(|s| {
                let other = s.spawn(|| pack_range(n / 2..n));
                let mut mine = pack_range(0..n / 2);
                mine.extend(other.join().expect("search worker panicked"));
                mine
            })
        };
        let total = packed.len();
        if packed.len() > limit && limit > 0 {
            packed.select_nth_unstable_by(limit - 1, |a, b| b.cmp(a));
            packed.truncate(limit);
        }
        packed.sort_unstable_by(|a, b| b.cmp(a));
        let hits = packed
            .into_iter()
            .map(|p| {
                let event = u32::MAX - (p & 0xffff_ffff) as u32;
                let (score, field) = best(&store.events[event as usize]);
                Hit {
                    event,
                    score,
                    field,
                }
            })
            .collect();
        Results { hits, total }
    }

    /// Character positions of `text` that match `query`, for highlighting.
    pub fn highlight(&self, text: &str, query: &str) -> Vec<usize> {
        self.matcher
            .fuzzy_indices(text, query.trim())
            .map(|(_, idx)| idx)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequence_ignores_case() {
        assert!(subsequence("New-InboxRule", b"inbx"));
        assert!(!subsequence("Send", b"inbx"));
        assert!(subsequence("anything", b""));
    }
}
