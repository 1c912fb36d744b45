//! An investigator's verdict on a session. The case file keeps them by session ID text; the
//! analysis and the views take them as [`Verdicts`], by the store's handle of the ID.

use crate::intern::Sym;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Attacker,
    User,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Attacker => "attacker",
            Verdict::User => "user",
        }
    }
}

/// Verdicts on whole sessions, by session ID handle.
pub type Verdicts = FxHashMap<Sym, Verdict>;
