//! The real thing, end to end: sessionscope over SSH inside tmux at 80x24, driven by keys as a
//! user would, for TERM=xterm-256color, TERM=screen and NO_COLOR=1. Then the SSH connection is
//! killed mid-way: the verdict made before must be in the case file. A throwaway sshd listens on
//! 127.0.0.1 with its own host and user keys. Skips with a message where sshd, ssh or tmux are
//! missing; `.ci/run` installs them, so CI runs it.

mod common;
use common::tmux::{Tmux, run};
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tool(name: &str, candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            let p = String::from_utf8(out.stdout).ok()?.trim().to_string();
            (!p.is_empty()).then(|| PathBuf::from(p))
        })
}

struct Sshd {
    child: Child,
    port: u16,
    user: String,
    key: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sshd(sshd: &Path, dir: &Path) -> Option<Sshd> {
    let host_key = dir.join("host_key");
    let user_key = dir.join("user_key");
    for key in [&host_key, &user_key] {
        if !run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(key))
        {
            return None;
        }
    }
    std::fs::copy(dir.join("user_key.pub"), dir.join("authorized_keys")).ok()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let user = String::from_utf8(Command::new("id").arg("-un").output().ok()?.stdout)
        .ok()?
        .trim()
        .to_string();
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin yes\nStrictModes no\nUsePAM no\nPidFile {}\nPrintMotd no\n\
             AcceptEnv LANG LC_*\n",
            host_key.display(),
            dir.join("authorized_keys").display(),
            dir.join("sshd.pid").display()
        ),
    )
    .ok()?;
    // sshd wants its privilege-separation folder.
    let _ = std::fs::create_dir_all("/run/sshd");
    let child = Command::new(sshd)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Sshd {
        child,
        port,
        user,
        key: user_key,
    })
}

fn ssh_command(sshd: &Sshd, env: &str, input: &Path, case: &Path) -> String {
    format!(
        "ssh -tt -p {} -i {} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR {}@127.0.0.1 \
         'env {env} {} --case {} {}'; echo SSH-ENDED; sleep 60",
        sshd.port,
        sshd.key.display(),
        sshd.user,
        env!("CARGO_BIN_EXE_sessionscope"),
        case.display(),
        input.display()
    )
}

fn case_verdict(case: &Path) -> Option<String> {
    let text = std::fs::read_to_string(case).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["sessions"][ATTACKER_SESSION]["verdict"]
        .as_str()
        .map(str::to_string)
}

#[test]
#[ignore = "needs sshd, ssh and tmux; .ci/run installs them and runs it"]
fn investigate_over_ssh_in_tmux() {
    let (Some(sshd_bin), Some(_), Some(_)) = (
        tool("sshd", &["/usr/sbin/sshd", "/usr/bin/sshd"]),
        tool("ssh", &[]),
        tool("tmux", &[]),
    ) else {
        panic!("sshd, ssh or tmux is not installed (.ci/run installs openssh-server and tmux)");
    };
    let dir = temp_dir("ssh");
    let sshd = start_sshd(&sshd_bin, &dir).expect("a throwaway sshd starts on 127.0.0.1");
    let input = dir.join("first-table.csv");
    std::fs::copy(fixture("seed/first-table.csv"), &input).unwrap();

    for (i, env) in [
        "TERM=xterm-256color",
        "TERM=screen",
        "TERM=xterm-256color NO_COLOR=1",
    ]
    .iter()
    .enumerate()
    {
        let case = dir.join(format!("run{i}.case.json"));
        let tmux = Tmux::start(
            &format!("sessionscope-e2e-{}-{i}", std::process::id()),
            &ssh_command(&sshd, env, &input, &case),
        );
        tmux.wait_for("Sessions (2");
        assert_eq!(
            tmux.format("#{alternate_on}"),
            "1",
            "{env}: the TUI uses the alternate screen"
        );

        // Once risk is scored, the attacker's session is the riskiest: the first row.
        tmux.wait_for("> B 12bce6d0 100");
        tmux.keys(&["Enter"]);
        tmux.wait_for("alex.wilber@contoso.com's session 12bce6d0-bfeb-4a82-abe6-98ccf3196a11");
        tmux.keys(&["A"]);
        tmux.wait_for("marked attacker");
        assert_eq!(
            case_verdict(&case).as_deref(),
            Some("attacker"),
            "{env}: the verdict is on disk at once"
        );

        tmux.keys(&["j", "i"]);
        tmux.wait_for("IP 198.51.100.23 < session 12bce6d0");
        tmux.keys(&["Escape"]);
        let s = tmux.wait_for("session 12bce6d0 (alex.wilber@contoso.com) < user alex");
        assert!(
            !s.contains("IP 198.51.100.23 <"),
            "{env}: Esc went back:\n{s}"
        );
        assert!(
            s.contains("!B  12bce6d0"),
            "{env}: the verdict glyph shows:\n{s}"
        );

        tmux.keys(&["q"]);
        tmux.wait_for("SSH-ENDED");
        assert_eq!(
            tmux.format("#{alternate_on}"),
            "0",
            "{env}: alternate screen left"
        );
        assert_eq!(
            tmux.format("#{cursor_flag}"),
            "1",
            "{env}: cursor visible again"
        );
    }

    // The connection dies mid-way: what was marked before is on disk, and nothing is left running.
    let case = dir.join("killed.case.json");
    let tmux = Tmux::start(
        &format!("sessionscope-e2e-{}-kill", std::process::id()),
        &ssh_command(&sshd, "TERM=xterm-256color", &input, &case),
    );
    tmux.wait_for("Sessions (2");
    tmux.wait_for("> B 12bce6d0 100");
    tmux.keys(&["A"]);
    tmux.wait_for("marked attacker");
    // The ssh client is the child of the pane's shell: kill it as a dropped link would.
    let shell = tmux.format("#{pane_pid}");
    let ssh_pid = Command::new("pgrep")
        .args(["-P", &shell, "ssh"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .expect("the ssh client of the pane");
    assert!(run(Command::new("kill").args(["-9", &ssh_pid])));
    tmux.wait_for("SSH-ENDED");
    assert_eq!(case_verdict(&case).as_deref(), Some("attacker"));
    // The remote process itself (its command line starts with the binary), not the pane's
    // shell, whose command line holds the same words.
    let remote = format!(
        "^{} --case {}",
        env!("CARGO_BIN_EXE_sessionscope"),
        case.display()
    );
    let started = Instant::now();
    loop {
        let out = Command::new("pgrep")
            .args(["-f", &remote])
            .output()
            .expect("pgrep runs");
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "pgrep failed: {out:?}"
        );
        if out.stdout.is_empty() {
            eprintln!(
                "remote sessionscope gone {:?} after the connection died",
                started.elapsed()
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "sessionscope still running after its SSH connection died"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        case_verdict(&case).as_deref(),
        Some("attacker"),
        "the verdict survived the dropped connection"
    );
}
