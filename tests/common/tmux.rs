//! A detached tmux session at 80x24 running one command: keys in, screen and terminal state out.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs a command quietly; true when it succeeded.
pub fn run(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub struct Tmux {
    name: String,
}

impl Tmux {
    pub fn start(name: &str, command: &str) -> Tmux {
        let _ = run(Command::new("tmux").args(["kill-session", "-t", name]));
        assert!(run(Command::new("tmux").args([
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "80",
            "-y",
            "24",
            command
        ])));
        Tmux {
            name: name.to_string(),
        }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn format(&self, f: &str) -> String {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, f])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            assert!(run(Command::new("tmux").args([
                "send-keys",
                "-t",
                &self.name,
                k
            ])));
            // Apart, so Esc and the next key are not read as one Alt chord.
            std::thread::sleep(Duration::from_millis(400));
        }
    }

    /// The pid of the process the pane's shell started: the program under test.
    pub fn child_pid(&self) -> u32 {
        let shell = self.format("#{pane_pid}");
        let started = Instant::now();
        loop {
            let out = Command::new("pgrep")
                .args(["-P", &shell])
                .output()
                .expect("pgrep runs");
            if let Some(pid) = String::from_utf8_lossy(&out.stdout).lines().next() {
                return pid.trim().parse().expect("a pid");
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no process under the pane's shell"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the screen shows `text`; the screen as it was when found.
    pub fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "waited for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = run(Command::new("tmux").args(["kill-session", "-t", &self.name]));
    }
}
