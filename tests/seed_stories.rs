//! The seed article's tables, read back from the fixtures: exactly its sessions and actions.

mod common;
use common::*;
use sessionscope::facts;

fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn first_table_splits_into_the_users_and_the_attackers_session() {
    let (store, report) = load_fixture("seed/first-table.csv");
    assert_eq!(report.skipped(), 0);
    let sessions = facts::sessions(&store, None);
    let ids: Vec<&str> = sessions.iter().map(|s| store.str(s.id)).collect();
    assert_eq!(
        ids,
        vec![USER_SESSION, ATTACKER_SESSION],
        "ordered by first seen"
    );
    assert!(
        sessions
            .iter()
            .all(|s| store.str(s.user) == "alex.wilber@contoso.com")
    );

    assert_eq!(
        clock_ops(&session_timeline(&store, USER_SESSION)),
        owned(&[("03:42", "MailboxLogin"), ("04:45", "MoveToDeletedItems")])
    );
    assert_eq!(
        clock_ops(&session_timeline(&store, ATTACKER_SESSION)),
        owned(&[
            ("04:35", "MailboxLogin"),
            ("04:59", "New-InboxRule"),
            ("05:12", "AddFolderPermissions"),
            ("05:30", "Set-Mailbox"),
        ])
    );
}

#[test]
fn corporate_vpn_case_one_ip_two_sessions() {
    let (store, _) = load_fixture("seed/corporate-vpn.csv");
    let rows = timeline(&store, &Default::default());
    assert!(rows.iter().all(|r| r.ip.as_deref() == Some("203.0.113.10")));
    assert_eq!(
        clock_ops(&session_timeline(&store, USER_SESSION)),
        owned(&[
            ("03:42", "MailboxLogin"),
            ("04:35", "MailboxLogin"),
            ("04:45", "New-MailboxAuditLogSearch"),
            ("05:12", "Set-Mailbox"),
            ("05:30", "Set-Mailbox"),
        ])
    );
    let attacker = session_timeline(&store, ATTACKER_SESSION);
    assert_eq!(
        clock_ops(&attacker),
        owned(&[
            ("01:00", "UpdateInboxRules"),
            ("01:34", "AddFolderPermissions"),
            ("01:42", "AddFolderPermissions"),
            ("04:59", "UpdateInboxRules"),
            ("12:34", "AddFolderPermissions"),
            ("15:23", "AddFolderPermissions"),
        ])
    );
    let rule = &attacker[0];
    assert!(rule.summary.contains("invoice"), "{}", rule.summary);
    assert!(rule.summary.contains("billing-archive@proton-mail.example"));
    assert_eq!(rule.client.as_deref(), Some("Client=MSExchangeRPC"));
}

#[test]
fn demo_tenant_holds_every_story() {
    let (store, report) = load_fixture("demo/tenant.csv");
    assert_eq!(report.skipped(), 0);
    assert!(store.events.len() > 1500, "{} events", store.events.len());
    assert!(store.users().len() >= 8);

    let attacker = session_timeline(&store, ATTACKER_SESSION);
    assert!(attacker.iter().any(|r| r.operation == "New-InboxRule"));
    assert!(attacker.iter().all(|r| r.user == "alex.wilber@contoso.com"));

    let hopper = store
        .sessions
        .iter()
        .find(|s| store.str(s.id) == "7c3e9a51-2f84-4d6b-b0c1-5e9d8a4f2b17")
        .expect("the VPN hopper's session");
    assert!(hopper.ips.len() >= 30, "{} IPs", hopper.ips.len());

    let legacy = facts::sessions(&store, Some("joni.sherman@contoso.com"));
    let no_session = legacy
        .iter()
        .find(|s| !s.has_id())
        .expect("legacy activity");
    assert!(no_session.events.len() >= 12);
    assert!(store.events_without_session() > 0);

    let vpn_user = facts::sessions(&store, Some("svc-finance@contoso.com"));
    assert!(
        vpn_user
            .iter()
            .any(|s| store.str(s.id) == "9a7e3b10-4c2d-4f8e-a1b3-6d5c4e3f2a10")
    );
}
