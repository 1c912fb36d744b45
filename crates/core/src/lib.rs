//! sessionscope's model: normalised audit events, the in-memory store that groups them into
//! sessions and indexes them for pivots, the sign-ins and places joined to them, and the
//! vocabulary of Exchange and Entra audit records. Nothing here opens a file, starts a thread
//! or writes to a terminal: the readers (`sessionscope-ingest`) fill a store, the analysis
//! (`sessionscope-analysis`) judges it, the application shows it.

#![forbid(unsafe_code)]

pub mod actor;
pub mod audit;
pub mod geo;
pub mod intern;
pub mod ip;
pub mod model;
pub mod signin;
pub mod sparse;
pub mod store;
pub mod telling;
pub mod text;
pub mod time;
pub mod verdict;

pub use store::{Facet, Session, Store};
