//! String interning: every repeated string (user, IP, operation, client, ...) is stored once
//! and events carry 4-byte [`Sym`] handles instead of heap strings.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// Handle of an interned string. `Sym::EMPTY` is the empty string and stands for "absent".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

impl Sym {
    pub const EMPTY: Sym = Sym(0);

    pub fn is_empty(self) -> bool {
        self == Sym::EMPTY
    }
}

/// The strings live end to end in one buffer, found through a table of handles: no allocation
/// per string (the loader's workers intern a few million a second and the merging thread
/// drops their tables), and a lookup compares against bytes next to their neighbours.
#[derive(Debug, Clone)]
pub struct Interner {
    /// Every string, end to end, in the order they were first interned.
    text: String,
    /// Where each string ends in `text`; string i starts where string i - 1 ends.
    ends: Vec<usize>,
    /// Each string's hash, so that the table grows, and tables merge, without hashing the
    /// strings again.
    hashes: Vec<u64>,
    /// Handles, found by the hash of their string.
    table: HashTable<u32>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Interner {
            text: String::new(),
            ends: Vec::new(),
            hashes: Vec::new(),
            table: HashTable::new(),
        };
        interner.intern("");
        interner
    }
}

fn hash(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        self.intern_hashed(s, hash(s))
    }

    /// [`Interner::intern`] of `s`, whose hash is `hash`.
    fn intern_hashed(&mut self, s: &str, hash: u64) -> Sym {
        let (text, ends) = (&self.text, &self.ends);
        if let Some(&i) = self.table.find(hash, |&i| at(text, ends, i) == s) {
            return Sym(i);
        }
        let i = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len());
        self.hashes.push(hash);
        let hashes = &self.hashes;
        self.table.insert_unique(hash, i, |&j| hashes[j as usize]);
        Sym(i)
    }

    /// The handle of `s` if it was ever interned; lookups never grow the table.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.table
            .find(hash(s), |&i| at(&self.text, &self.ends, i) == s)
            .map(|&i| Sym(i))
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        if (sym.0 as usize) < self.ends.len() {
            at(&self.text, &self.ends, sym.0)
        } else {
            ""
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.len() <= 1
    }

    pub fn iter(&self) -> impl Iterator<Item = (Sym, &str)> {
        (0..self.ends.len() as u32).map(|i| (Sym(i), at(&self.text, &self.ends, i)))
    }

    /// Interns every string of `other` and returns the table that maps its handles to ours.
    /// Used to merge the interners that loader threads filled independently.
    pub fn absorb(&mut self, other: &Interner) -> Vec<Sym> {
        other
            .iter()
            .zip(&other.hashes)
            .map(|((_, s), &hash)| self.intern_hashed(s, hash))
            .collect()
    }

    /// Bytes held by the strings themselves plus the tables, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + (self.ends.capacity() + self.hashes.capacity()) * 8
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }
}

/// String `i` of an interner's `text` and `ends`.
#[inline(always)]
fn at<'t>(text: &'t str, ends: &[usize], i: u32) -> &'t str {
    let i = i as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text[start..ends[i]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_twice_gives_the_same_handle() {
        let mut i = Interner::default();
        let a = i.intern("alex@contoso.com");
        let b = i.intern("alex@contoso.com");
        assert_eq!(a, b);
        assert_ne!(a, Sym::EMPTY);
        assert_eq!(i.intern(""), Sym::EMPTY);
        assert_eq!(i.resolve(a), "alex@contoso.com");
    }

    #[test]
    fn handles_and_strings_survive_the_tables_growing() {
        let mut main = Interner::default();
        let mut other = Interner::default();
        let words: Vec<String> = (0..20_000)
            .map(|i| format!("w{i}-{}", "é".repeat(i % 7)))
            .collect();
        let mine: Vec<Sym> = words.iter().step_by(2).map(|w| main.intern(w)).collect();
        let theirs: Vec<Sym> = words.iter().rev().map(|w| other.intern(w)).collect();
        assert_eq!(main.len(), 10_001);
        assert_eq!(other.len(), 20_001);
        for (w, &s) in words.iter().step_by(2).zip(&mine) {
            assert_eq!(main.resolve(s), w);
            assert_eq!(main.get(w), Some(s));
        }
        assert_eq!(
            main.get("w1-é"),
            None,
            "an odd word was never interned here"
        );
        let map = main.absorb(&other);
        assert_eq!(main.len(), 20_001);
        for (w, &s) in words.iter().rev().zip(&theirs) {
            assert_eq!(main.resolve(map[s.0 as usize]), w);
        }
        // Strings this interner had keep their handles.
        for (w, &s) in words.iter().step_by(2).zip(&mine) {
            assert_eq!(main.get(w), Some(s));
        }
        assert_eq!(main.resolve(Sym(u32::MAX)), "");
        let listed: Vec<&str> = main.iter().skip(1).take(2).map(|(_, s)| s).collect();
        assert_eq!(listed, ["w0-", "w2-éé"]);
    }

    #[test]
    fn absorb_maps_foreign_handles() {
        let mut main = Interner::default();
        main.intern("x");
        let mut other = Interner::default();
        let y = other.intern("y");
        let x = other.intern("x");
        let map = main.absorb(&other);
        assert_eq!(main.resolve(map[y.0 as usize]), "y");
        assert_eq!(map[x.0 as usize], main.get("x").unwrap());
    }
}
