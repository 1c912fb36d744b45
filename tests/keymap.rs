//! README's key tables say what the keymaps do: every key the program binds is in them, and
//! every key they name is bound. Help at 80x24 reaches its last line.

use sessionscope::tui::action::{BINDINGS, Binding, PROMPT_BINDINGS};
use std::collections::BTreeSet;

/// The backticked keys of the key column of README's key table number `n` (0: the main one,
/// 1: the prompt's).
fn readme_keys(n: usize) -> BTreeSet<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let table = readme
        .split("| key | does |")
        .nth(n + 1)
        .expect("README has the key table");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|row| {
            let keys = row.split('|').nth(1).unwrap_or_default();
            keys.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn keymap_keys(keymap: &[Binding]) -> BTreeSet<String> {
    keymap
        .iter()
        .flat_map(|b| b.keys.iter().map(|k| k.label()))
        .collect()
}

#[test]
fn readme_key_tables_match_the_keymaps() {
    assert_eq!(readme_keys(0), keymap_keys(BINDINGS), "the main key table");
    assert_eq!(
        readme_keys(1),
        keymap_keys(PROMPT_BINDINGS),
        "the prompt's key table"
    );
}
