//! sessionscope: read Microsoft 365 / Exchange Online audit exports and organise them by the
//! Azure AD session that made each action, so an attacker's session stands apart from the
//! user's even behind the same IP.
//!
//! This crate is the application: the command line, the full-screen investigator, the report,
//! the case file and search. The layers below are crates of the workspace (ARCHITECTURE.md):
//! the model and store (`sessionscope-core`), the readers (`sessionscope-ingest`) and the risk
//! judgement (`sessionscope-analysis`); they are re-exported here under their old module names.

#![forbid(unsafe_code)]

pub mod case;
pub mod cli;
pub mod facts;
pub mod linked;
pub mod query;
pub mod report;
pub mod sanitize;
pub mod search;
pub mod text;
pub mod tui;

pub use sessionscope_analysis as analysis;
pub use sessionscope_core::{
    Facet, Session, Store, actor, audit, geo, intern, ip, model, signin, sparse, store, telling,
    time,
};
pub use sessionscope_ingest::{self as ingest, LoadOptions, LoadReport, Sources, fault, load};
