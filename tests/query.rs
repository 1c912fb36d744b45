//! The slice handed back to the SIEM: `query` prints what pulls it, and the KQL parses with
//! Microsoft's own Kusto parser.

use std::io::Write;
use std::process::{Command, Stdio};

fn query(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .arg("query")
        .args(args)
        .output()
        .expect("run sessionscope")
}

const SLICE: &[&str] = &[
    "--session",
    "12bce6d0-bfeb-4a82-abe6-98ccf3196a11",
    "--user",
    "Alex.Wilber@contoso.com",
    "--ip",
    "198.51.100.23",
    "--from",
    "2024-03-12",
    "--to",
    "2024-03-12",
];

#[test]
fn query_prints_the_slice_for_each_siem_and_refuses_an_empty_one() {
    for (flag, expected) in [
        ("--kql", "union isfuzzy=true"),
        ("--xdr", "EntraIdSignInEvents"),
        ("--spl", "sourcetype=\"o365:management:activity\""),
        ("--esql", "FROM logs-o365.audit-*"),
    ] {
        let mut args = vec![flag];
        args.extend_from_slice(SLICE);
        let o = query(&args);
        assert!(
            o.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains(expected), "{flag}: {text}");
        assert!(text.contains("alex.wilber@contoso.com"), "{flag}: {text}");
    }
    let o = query(&["--from", "2024-03-12"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("say what to look for"));
}

/// Every KQL `query` writes parses without a diagnostic in Microsoft's Kusto parser.
#[test]
#[ignore = "needs node and npm's @kusto/language-service-next; .ci/run installs them and runs it"]
fn generated_kql_parses_with_the_kusto_language_service() {
    let service = std::env::var("KUSTO_LANGUAGE_SERVICE").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/node/node_modules/@kusto/language-service-next"
        )
        .to_string()
    });
    assert!(
        std::path::Path::new(&service).join("bridge.js").exists(),
        "{service} is missing: .ci/run installs it with npm"
    );
    let slices: Vec<Vec<&str>> = vec![
        SLICE.to_vec(),
        vec!["--session", "12bce6d0"],
        vec!["--user", "a\") | take 1 //", "--user", "b@contoso.com"],
        vec!["--ip", "2001:db8::1", "--to", "2024-03-12T04:00"],
    ];
    // The hunt `Q` copies from `L`, for the attacker's indicators.
    let hunt = sessionscope::query::hunt(
        &sessionscope::query::Indicators {
            ips: vec!["198.51.100.23".into(), "2001:db8::1".into()],
            clients: vec!["Client=OWA;Action=ViaProxy;Mozilla/5.0 \"x\"".into()],
            tokens: vec!["0017abcdef0123456789ab".into()],
        },
        None,
    )
    .unwrap();
    assert_parses(&service, &hunt, "the hunt");
    for slice in slices {
        for dialect in ["--kql", "--xdr"] {
            let mut args = vec![dialect];
            args.extend_from_slice(&slice);
            let o = query(&args);
            assert!(o.status.success());
            assert_parses(
                &service,
                &String::from_utf8_lossy(&o.stdout),
                &format!("{args:?}"),
            );
        }
    }
}

/// Parses `kql` with the Kusto language service at `service`; fails naming `what`.
fn assert_parses(service: &str, kql: &str, what: &str) {
    let mut check = Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kql/check.js"))
        .env("KUSTO_LANGUAGE_SERVICE", service)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run node");
    check
        .stdin
        .take()
        .unwrap()
        .write_all(kql.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what}:\n{kql}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
