//! The terminal as a shell user leaves it: Ctrl-z gives it back to the shell and `fg` takes
//! it again, redrawn; SIGQUIT ends the run with the terminal put back. Run in tmux at 80x24.

mod common;
use common::tmux::{Tmux, run};
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn tmux_is_there() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "tmux is not installed (.ci/run installs it)"
    );
}

#[test]
#[ignore = "needs tmux; .ci/run installs it and runs it"]
fn ctrl_z_gives_the_shell_back_and_fg_redraws() {
    tmux_is_there();
    let case = temp_dir("suspend").join("case.json");
    let tmux = Tmux::start(
        &format!("sessionscope-suspend-{}", std::process::id()),
        "env PS1='shell> ' bash --norc --noprofile -i",
    );
    tmux.wait_for("shell>");
    tmux.keys(&[
        &format!(
            "{} --case {} {}",
            env!("CARGO_BIN_EXE_sessionscope"),
            case.display(),
            fixture("seed/first-table.csv").display()
        ),
        "Enter",
    ]);
    tmux.wait_for("Sessions (");
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    tmux.keys(&["C-z"]);
    let screen = tmux.wait_for("Stopped");
    assert_eq!(tmux.format("#{alternate_on}"), "0", "{screen}");
    assert_eq!(
        tmux.format("#{cursor_flag}"),
        "1",
        "cursor shown at the shell"
    );
    tmux.keys(&["fg", "Enter"]);
    let screen = tmux.wait_for("Sessions (");
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    assert!(screen.contains("alex.wilber@contoso.com"), "{screen}");
    // Keys work again: the list moves and q ends the run at the shell.
    tmux.keys(&["q"]);
    let started = Instant::now();
    while tmux.format("#{alternate_on}") != "0" {
        assert!(started.elapsed() < Duration::from_secs(10), "did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs tmux; .ci/run installs it and runs it"]
fn sigquit_puts_the_terminal_back() {
    tmux_is_there();
    let case = temp_dir("sigquit").join("case.json");
    let tmux = Tmux::start(
        &format!("sessionscope-sigquit-{}", std::process::id()),
        &format!(
            "{} --case {} {}; echo EXITED-$?; sleep 60",
            env!("CARGO_BIN_EXE_sessionscope"),
            case.display(),
            fixture("seed/first-table.csv").display()
        ),
    );
    tmux.wait_for("Sessions (");
    let pid = tmux.child_pid();
    assert!(run(Command::new("kill").args(["-QUIT", &pid.to_string()])));
    tmux.wait_for("EXITED-131");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "still in the alternate screen"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor still hidden");
}
