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

    /// How many matches the whole store has, when `results` of a narrower scope have none:
    /// "0 matches" must not read as "not in the data".
    pub fn wider_total(
        &self,
        store: &Store,
        query: &str,
        results: &Results,
        scoped: bool,
    ) -> Option<usize> {
        (results.total == 0 && scoped && !query.is_empty())
            .then(|| self.search(store, query, None, 1).total)
    }

    /// The actions matching `query`, among `scope` (event ids) or the whole store.
    pub fn search(
        &self,
        store: &Store,
        query: &str,
        scope: Option<&[u32]>,
        limit: usize,
    ) -> Results {
        let n = scope.map_or(store.events.len(), <[u32]>::len);
        self.search_in_chunks(store, query, scope, limit, n.max(1), |_, _| true)
            .unwrap_or_default()
    }

    /// [`Searcher::search`] a `chunk` of the scope at a time: once the strings are scored and
    /// after each chunk but the last, `progress` gets the results so far and how many actions
    /// were searched, and returns false to stop (a newer keystroke came). `None` when stopped.
    pub fn search_in_chunks(
        &self,
        store: &Store,
        query: &str,
        scope: Option<&[u32]>,
        limit: usize,
        chunk: usize,
        mut progress: impl FnMut(&Results, usize) -> bool,
    ) -> Option<Results> {
        let query = query.trim();
        if query.is_empty() {
            return Some(Results::default());
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
        // Scoring the strings took a while: a newer keystroke may have come meanwhile.
        if !progress(&Results::default(), 0) {
            return None;
        }
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
        let n = scope.map_or(store.events.len(), <[u32]>::len);
        let mut results = Some(Results::default());
        if mask != 0 {
            let ranker = Ranker {
                store,
                score_of,
                only: (mask.count_ones() == 1).then(|| Field::ALL[mask.trailing_zeros() as usize]),
            };
            let (mut kept, mut total, mut from) = (Vec::new(), 0, 0);
            while from < n {
                let to = (from + chunk.max(1)).min(n);
                let mut packed = ranker.pack(scope, from..to);
                total += packed.len();
                kept.append(&mut packed);
                keep_best(&mut kept, limit);
                let so_far = ranker.results(&kept, total);
                from = to;
                if from < n && !progress(&so_far, from) {
                    results = None;
                    break;
                }
                results = Some(so_far);
            }
        }
        for &(sym, _) in &scored {
            score_of[sym.0 as usize] = 0;
        }
        results
    }

    /// Character positions of `text` that match `query`, for highlighting.
    pub fn highlight(&self, text: &str, query: &str) -> Vec<usize> {
        self.matcher
            .fuzzy_indices(text, query.trim())
            .map(|(_, idx)| idx)
            .unwrap_or_default()
    }
}

/// The `limit` best of `packed` (all of them when `limit` is 0).
fn keep_best(packed: &mut Vec<u64>, limit: usize) {
    if packed.len() > limit && limit > 0 {
        packed.select_nth_unstable_by(limit - 1, |a, b| b.cmp(a));
        packed.truncate(limit);
    }
}

/// Scores events against a query's string scores.
struct Ranker<'a> {
    store: &'a Store,
    score_of: &'a [i64],
    /// The one field the query's strings belong to, if one (a subject word, an address):
    /// only it is read, five random reads an event fewer.
    only: Option<Field>,
}

impl Ranker<'_> {
    /// Every field's score of `e` (a string's score is 0 where it did not match): over the
    /// fixed list of six the compiler leaves no branch, which matters on a million events per
    /// keystroke.
    fn field_scores(&self, e: &Event) -> [(i64, Field); 6] {
        Field::ALL.map(|f| (self.score_of[f.of(e).0 as usize] * f.weight(), f))
    }

    /// Score and id packed in one word (higher score first, then earlier event), so ranking
    /// sorts plain integers.
    fn pack_one(&self, i: u32) -> Option<u64> {
        let e = &self.store.events[i as usize];
        let score = match self.only {
            Some(f) => self.score_of[f.of(e).0 as usize] * f.weight(),
            None => self
                .field_scores(e)
                .iter()
                .map(|(s, _)| *s)
                .max()
                .unwrap_or(0),
        };
        (score > 0).then(|| (score.min(u32::MAX as i64) as u64) << 32 | u64::from(u32::MAX - i))
    }

    /// The matching events at places `range` of `scope` (or of the store), packed; the two
    /// halves on two cores when the range is large.
    fn pack(&self, scope: Option<&[u32]>, range: std::ops::Range<usize>) -> Vec<u64> {
        let id_at = |k: usize| scope.map_or(k as u32, |ids| ids[k]);
        let pack_range = |r: std::ops::Range<usize>| -> Vec<u64> {
            r.filter_map(|k| self.pack_one(id_at(k))).collect()
        };
        if range.len() < 100_000 {
            return pack_range(range);
        }
        let middle = range.start + range.len() / 2;
        std::thread::scope(|s| {
            let other = s.spawn(|| pack_range(middle..range.end));
            let mut mine = pack_range(range.start..middle);
            mine.extend(other.join().expect("search worker panicked"));
            mine
        })
    }

    /// The hits of `kept` (already the best), best first, with the field that gave each.
    fn results(&self, kept: &[u64], total: usize) -> Results {
        let mut sorted = kept.to_vec();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let hits = sorted
            .into_iter()
            .map(|p| {
                let event = u32::MAX - (p & 0xffff_ffff) as u32;
                let (score, field) = self
                    .field_scores(&self.store.events[event as usize])
                    .into_iter()
                    .max_by_key(|(s, _)| *s)
                    .unwrap_or((0, Field::Operation));
                Hit {
                    event,
                    score,
                    field,
                }
            })
            .collect();
        Results { hits, total }
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
