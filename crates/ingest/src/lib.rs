//! sessionscope's readers: audit exports ([`load`]) and Entra sign-in exports ([`signin`]) into
//! one [`Store`], IPs placed with local databases ([`ipdb`]), and the records read again from
//! their files ([`sources`]). Every `unsafe` block of the workspace is here, each with the
//! reason it is sound: memory-mapped input, SIMD row scanning, and the signal handler that
//! puts the terminal back when a mapped file shrinks ([`fault`]).

pub mod fault;
pub mod ipdb;
mod load;
pub mod signin;
pub mod sources;
pub mod tree;

pub use load::decode::Encoding;
pub use load::{FileReport, LoadOptions, LoadReport, Problem, Progress, load};
pub use sessionscope_core::Store;
pub use sources::Sources;

/// The loader's inner stages, for the micro-benchmarks and property tests: not a stable API.
#[cfg(feature = "internals")]
pub mod internals {
    pub use crate::load::{csv, format, normalise, record, record_scan, scan, split};
}
