//! Inputs are memory-mapped; a mapped file that another program truncates while it is read
//! faults with SIGBUS. The real truncation's timing cannot be pinned down in a test, so the
//! signal is sent by hand: the process must say what happened, exit with status 3, and in the
//! full-screen view put the terminal back first.

mod common;
use common::tmux::{Tmux, run};
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn bus_fault(pid: u32) {
    assert!(run(Command::new("kill").args(["-BUS", &pid.to_string()])));
}

#[test]
fn a_bus_fault_while_reading_exits_3_with_a_message() {
    let dir = temp_dir("sigbus");
    let fifo = dir.join("export.jsonl");
    assert!(run(Command::new("mkfifo").arg(&fifo)));
    // Opening the pipe blocks until a writer comes: the process sits in its load.
    let child = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .arg("stats")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sessionscope");
    std::thread::sleep(Duration::from_millis(300));
    bus_fault(child.id());
    let out = child.wait_with_output().expect("wait for sessionscope");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("shrank while it was being read"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs tmux; .ci/run installs it and runs it"]
fn a_bus_fault_in_the_full_screen_view_puts_the_terminal_back() {
    assert!(
        Command::new("tmux").arg("-V").output().is_ok(),
        "tmux is not installed (.ci/run installs it)"
    );
    let input = fixture("demo/tenant.csv");
    let case = temp_dir("sigbus-tui").join("case.json");
    let tmux = Tmux::start(
        &format!("sessionscope-sigbus-{}", std::process::id()),
        &format!(
            "{} --case {} {}; echo EXITED-$?; sleep 60",
            env!("CARGO_BIN_EXE_sessionscope"),
            case.display(),
            input.display()
        ),
    );
    tmux.wait_for("Sessions (");
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    let pid = tmux.child_pid();
    bus_fault(pid);
    let screen = tmux.wait_for("EXITED-3");
    assert!(
        screen.contains("shrank while it was being read"),
        "{screen}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "still in the alternate screen"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor still hidden");
}

/// Running out of memory while loading is said in a sentence, exit status 4, no backtrace:
/// an address-space limit too small for a 30,000-record export, which loads with room.
#[test]
fn running_out_of_memory_while_loading_says_so_and_exits_4() {
    let dir = temp_dir("oom");
    let path = dir.join("tenant.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    sessionscope_synth::write::write(
        "json-lines",
        sessionscope_synth::tenant::scale_tenant(30_000, 7).collect::<Vec<_>>(),
        &mut gz,
    )
    .unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let stats = |kib: u32| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {kib} && exec \"$0\" stats \"$1\""))
            .arg(env!("CARGO_BIN_EXE_sessionscope"))
            .arg(&path)
            .output()
            .expect("run sessionscope under sh")
    };
    let out = stats(120_000);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("sessionscope: out of memory: "), "{stderr}");
    assert!(stderr.contains("give fewer or smaller files"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    assert_eq!(
        stats(400_000).status.code(),
        Some(0),
        "the same file with room"
    );
}
