//! The full-screen investigator.

use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(_files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "the investigator screen is not built yet; use the stats, sessions or timeline commands"
    )
}
