//! sessionscope: read Microsoft 365 / Exchange Online audit exports and organise them by the
//! Azure AD session that made each action, so an attacker's session stands apart from the
//! user's even behind the same IP.

pub mod analysis;
pub mod audit;
pub mod case;
pub mod cli;
pub mod facts;
pub mod fault;
pub mod geo;
pub mod intern;
pub mod ip;
pub mod linked;
pub mod load;
pub mod model;
pub mod report;
pub mod sanitize;
pub mod search;
pub mod signin;
pub mod sparse;
pub mod store;
pub mod synth;
pub mod text;
pub mod time;
pub mod tui;

pub use load::{LoadOptions, LoadReport, load};
pub use store::{Facet, Session, Store};
