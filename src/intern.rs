//! String interning: every repeated string (user, IP, operation, client, ...) is stored once
//! and events carry 4-byte [`Sym`] handles instead of heap strings.

use indexmap::IndexMap;
use indexmap::map::{RawEntryApiV1, raw_entry_v1::RawEntryMut};
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

#[derive(Debug, Clone)]
pub struct Interner {
    /// A map to nothing rather than a set, for its raw entries: a new string is hashed once
    /// for the lookup and its insertion both.
    set: IndexMap<Box<str>, (), FxBuildHasher>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut set = IndexMap::with_hasher(FxBuildHasher);
        set.insert(Box::<str>::from(""), ());
        Interner { set }
    }
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.set.hasher().hash_one(s);
        let i = match self.set.raw_entry_mut_v1().from_key_hashed_nocheck(hash, s) {
            RawEntryMut::Occupied(entry) => entry.index(),
            RawEntryMut::Vacant(entry) => {
                let i = entry.index();
                entry.insert_hashed_nocheck(hash, Box::from(s), ());
                i
            }
        };
        Sym(i as u32)
    }

    /// The handle of `s` if it was ever interned; lookups never grow the table.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.set.get_index_of(s).map(|i| Sym(i as u32))
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        self.set.get_index(sym.0 as usize).map_or("", |(s, ())| s)
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.len() <= 1
    }

    pub fn iter(&self) -> impl Iterator<Item = (Sym, &str)> {
        self.set
            .keys()
            .enumerate()
            .map(|(i, s)| (Sym(i as u32), &**s))
    }

    /// Interns every string of `other` and returns the table that maps its handles to ours.
    /// Used to merge the interners that loader threads filled independently.
    pub fn absorb(&mut self, other: &Interner) -> Vec<Sym> {
        other.set.keys().map(|s| self.intern(s)).collect()
    }

    /// Bytes held by the strings themselves plus the table, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.set.keys().map(|s| s.len()).sum::<usize>()
            + self.set.capacity() * (std::mem::size_of::<Box<str>>() + 16)
    }
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
