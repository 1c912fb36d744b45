//! A value for some items of a long sequence (events), kept apart from the items: a bit per
//! item says which have one, and the values sit end to end, found by counting bits. Four
//! bytes a value and an eighth of a byte an item, where a field in every item would cost its
//! full size in all of them.

use crate::intern::Sym;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SparseColumn {
    /// Bit `i % 64` of word `i / 64` is set when item `i` has a value.
    bits: Vec<u64>,
    /// How many values the items before word `w` have.
    before: Vec<u32>,
    values: Vec<Sym>,
}

impl SparseColumn {
    /// Gives item `at` the value `v`; items must be given in increasing order.
    pub fn push(&mut self, at: u32, v: Sym) {
        let word = at as usize / 64;
        debug_assert!(
            self.last_item().is_none_or(|last| last < at),
            "items are given in increasing order"
        );
        while self.bits.len() <= word {
            self.bits.push(0);
            self.before.push(self.values.len() as u32);
        }
        self.bits[word] |= 1 << (at % 64);
        self.values.push(v);
    }

    /// The value of item `at`, if it has one.
    pub fn get(&self, at: u32) -> Option<Sym> {
        let word = at as usize / 64;
        let bits = *self.bits.get(word)?;
        let bit = 1u64 << (at % 64);
        (bits & bit != 0).then(|| {
            let rank = self.before[word] + (bits & (bit - 1)).count_ones();
            self.values[rank as usize]
        })
    }

    fn last_item(&self) -> Option<u32> {
        let (word, bits) = self.bits.iter().enumerate().rfind(|(_, b)| **b != 0)?;
        Some(word as u32 * 64 + 63 - bits.leading_zeros())
    }

    /// How many items have a value.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8 + self.before.capacity() * 4 + self.values.capacity() * 4
    }

    pub fn shrink_to_fit(&mut self) {
        self.bits.shrink_to_fit();
        self.before.shrink_to_fit();
        self.values.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_item_finds_its_own_value_and_the_rest_none() {
        let given: Vec<u32> = vec![0, 1, 63, 64, 65, 200, 1000, 1001, 4095];
        let mut column = SparseColumn::default();
        for &at in &given {
            column.push(at, Sym(at * 10 + 1));
        }
        assert_eq!(column.len(), given.len());
        for at in 0..5000 {
            let expected = given.contains(&at).then(|| Sym(at * 10 + 1));
            assert_eq!(column.get(at), expected, "item {at}");
        }
        assert_eq!(column.get(u32::MAX), None);
        assert!(SparseColumn::default().get(0).is_none());
    }
}
