//! The stories: the seed article's two tables, and a tenant of ordinary users around them.

use super::Rng;
use super::records::{self as r, Actor};
use serde_json::Value;
use sessionscope_core::time::days_from_civil;

/// The seed's user session (green in the article).
pub const USER_SESSION: &str = "bdcea574-5cfd-48b1-ab5b-d826f164da53";
/// The seed's attacker session (red in the article).
pub const ATTACKER_SESSION: &str = "12bce6d0-bfeb-4a82-abe6-98ccf3196a11";
pub const SEED_USER: &str = "alex.wilber@contoso.com";
pub const SERVICE_ACCOUNT: &str = "svc-finance@contoso.com";
/// The corporate VPN egress every employee, and the attacker of the second story, comes from.
pub const CORP_VPN_IP: &str = "203.0.113.10";
pub const ATTACKER_IP: &str = "198.51.100.23";
pub const EXFIL_ADDRESS: &str = "billing-archive@proton-mail.example";
pub const VPN_HOPPER: &str = "megan.bowen@contoso.com";
/// The session of the attacker who hops across VPN IPs in the demo tenant.
pub const HOPPER_SESSION: &str = "7c3e9a51-2f84-4d6b-b0c1-5e9d8a4f2b17";
pub const LEGACY_USER: &str = "joni.sherman@contoso.com";

const EDGE_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66";
const ATTACKER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0";

/// 2024-03-12 00:00 UTC, the day of the seed's tables.
pub fn seed_day() -> i64 {
    days_from_civil(2024, 3, 12) * 86_400
}

fn at(day: i64, h: i64, m: i64) -> i64 {
    day + h * 3600 + m * 60
}

fn owa(ua: &str) -> String {
    format!("Client=OWA;Action=ViaProxy;{ua};")
}

fn actor(
    user: &str,
    session: Option<&str>,
    ip: &str,
    client: &str,
    rng: &mut Rng,
    issued: i64,
) -> Actor {
    Actor {
        user: user.into(),
        session: session.map(str::to_string),
        ip: ip.into(),
        client_info: client.into(),
        token: session.map(|_| format!("{:022x}", rng.next_u64() as u128 * 7919)),
        issued_at: session.map(|_| issued),
    }
}

/// The seed's first table: one account, the user's session and the attacker's, told apart only
/// by session ID.
pub fn seed_first_table() -> Vec<Value> {
    let mut rng = Rng::new(1);
    let d = seed_day();
    let user = actor(
        SEED_USER,
        Some(USER_SESSION),
        "203.0.113.45:51234",
        &owa(EDGE_UA),
        &mut rng,
        at(d, 3, 40),
    );
    let evil = actor(
        SEED_USER,
        Some(ATTACKER_SESSION),
        "198.51.100.23:41952",
        &owa(ATTACKER_UA),
        &mut rng,
        at(d, 4, 33),
    );
    let mut id = || rng.guid();
    vec![
        r::mailbox_login(&id(), at(d, 3, 42), &user),
        r::mailbox_login(&id(), at(d, 4, 35), &evil),
        r::delete_items(
            &id(),
            at(d, 4, 45),
            &user,
            "MoveToDeletedItems",
            "\\Inbox",
            &["Lunch on Friday?"],
        ),
        r::new_inbox_rule(
            &id(),
            at(d, 4, 59),
            &evil,
            &[
                ("Name", "."),
                ("SubjectOrBodyContainsWords", "invoice;payment"),
                ("ForwardTo", EXFIL_ADDRESS),
                ("MarkAsRead", "True"),
                ("MoveToFolder", "RSS Feeds"),
                ("StopProcessingRules", "True"),
            ],
        ),
        r::add_folder_permissions(
            &id(),
            at(d, 5, 12),
            &evil,
            "\\Inbox",
            "anonymous",
            "ReadItems",
        ),
        r::cmdlet(
            &id(),
            at(d, 5, 30),
            &evil,
            "Set-Mailbox",
            "alex.wilber",
            &[
                ("Identity", SEED_USER),
                ("ForwardingSmtpAddress", &format!("smtp:{EXFIL_ADDRESS}")),
                ("DeliverToMailboxAndForward", "True"),
            ],
        ),
    ]
}

/// The seed's corporate-VPN case: a service account whose sessions all come from one IP; the
/// attacker's session creates forwarding inbox rules over mail protocols.
pub fn seed_corporate_vpn() -> Vec<Value> {
    corporate_vpn(
        SERVICE_ACCOUNT,
        USER_SESSION,
        ATTACKER_SESSION,
        seed_day(),
        2,
    )
}

fn corporate_vpn(
    account: &str,
    user_session: &str,
    attacker_session: &str,
    d: i64,
    seed: u64,
) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    let ps = "Client=Microsoft.Exchange.PowerShell;Version=3.0";
    let mapi = "Client=MSExchangeRPC";
    let vpn = format!("{CORP_VPN_IP}:44321");
    let user = actor(
        account,
        Some(user_session),
        &vpn,
        ps,
        &mut rng,
        at(d, 3, 41),
    );
    let evil = actor(
        account,
        Some(attacker_session),
        &vpn,
        mapi,
        &mut rng,
        at(d, 0, 58),
    );
    let rule = |rng: &mut Rng, t| {
        r::update_inbox_rules(
            &rng.guid(),
            t,
            &evil,
            "Invoices",
            "{(SubString IgnoreCase(SubjectProperty)=invoice)}",
            &format!(
                r#"[{{"ActionType":"Forward","Recipients":["{EXFIL_ADDRESS}"],"ForwardFlags":"None"}}]"#
            ),
        )
    };
    let perm = |rng: &mut Rng, t, folder: &str| {
        r::add_folder_permissions(&rng.guid(), t, &evil, folder, "default", "Reviewer")
    };
    vec![
        rule(&mut rng, at(d, 1, 0)),
        perm(&mut rng, at(d, 1, 34), "\\Inbox"),
        perm(&mut rng, at(d, 1, 42), "\\Sent Items"),
        r::mailbox_login(&rng.guid(), at(d, 3, 42), &user),
        r::mailbox_login(&rng.guid(), at(d, 4, 35), &user),
        r::cmdlet(
            &rng.guid(),
            at(d, 4, 45),
            &user,
            "New-MailboxAuditLogSearch",
            "svc-finance",
            &[
                ("Mailboxes", "finance@contoso.com"),
                ("StartDate", "3/11/2024 12:00:00 AM"),
                ("EndDate", "3/12/2024 12:00:00 AM"),
                ("StatusMailRecipients", "it-audit@contoso.com"),
            ],
        ),
        rule(&mut rng, at(d, 4, 59)),
        r::cmdlet(
            &rng.guid(),
            at(d, 5, 12),
            &user,
            "Set-Mailbox",
            "finance",
            &[
                ("Identity", "finance@contoso.com"),
                ("ProhibitSendQuota", "49.5 GB (53,150,220,288 bytes)"),
            ],
        ),
        r::cmdlet(
            &rng.guid(),
            at(d, 5, 30),
            &user,
            "Set-Mailbox",
            "finance",
            &[
                ("Identity", "finance@contoso.com"),
                ("IssueWarningQuota", "49 GB (52,613,349,376 bytes)"),
            ],
        ),
        perm(&mut rng, at(d, 12, 34), "\\Inbox\\Payables"),
        perm(&mut rng, at(d, 15, 23), "\\Inbox\\Receivables"),
    ]
}

const SUBJECTS: &[&str] = &[
    "Q1 forecast",
    "Re: Vendor onboarding",
    "Team offsite agenda",
    "Expense report March",
    "Re: Contract renewal",
    "Weekly status",
    "Customer escalation",
    "Board deck draft",
    "Re: Hiring plan",
    "Travel booking confirmation",
    "Lunch on Friday?",
    "Re: Budget approval",
];
const FOLDERS: &[&str] = &[
    "\\Inbox",
    "\\Inbox",
    "\\Inbox",
    "\\Sent Items",
    "\\Archive",
    "\\Drafts",
];
/// Items per mail-read record in the demo tenant: few, so two weeks fit in under 5 MB.
const DEMO_ITEMS: u64 = 3;

const EMPLOYEES: &[&str] = &[
    SEED_USER,
    VPN_HOPPER,
    "lidia.holloway@contoso.com",
    "diego.siciliani@contoso.com",
    "grady.archie@contoso.com",
    "lee.gu@contoso.com",
    "isaiah.langer@contoso.com",
];

/// One ordinary working session: sign-in, reading, a few sends and deletes.
fn workday_session(
    user: &str,
    day: i64,
    rng: &mut Rng,
    events: usize,
    max_items: u64,
    out: &mut Vec<Value>,
) -> String {
    let session = rng.guid();
    let start = at(day, 7 + rng.below(3) as i64, rng.below(60) as i64);
    let (ip, client) = if rng.chance(70) {
        (
            format!("{CORP_VPN_IP}:{}", 40_000 + rng.below(20_000)),
            "Client=MSExchangeRPC".to_string(),
        )
    } else {
        let home = 20 + user.bytes().map(u64::from).sum::<u64>() % 200;
        (format!("192.0.2.{home}"), owa(EDGE_UA))
    };
    let a = actor(user, Some(&session), &ip, &client, rng, start - 60);
    out.push(r::user_logged_in(
        &rng.guid(),
        start - 30,
        &a,
        EDGE_UA,
        "Windows 10",
        "Edge",
    ));
    let mut t = start;
    for _ in 0..events {
        t += 60 + rng.below(1500) as i64;
        let roll = rng.below(100);
        let v = if roll < 70 {
            let access = if rng.chance(60) { "Bind" } else { "Sync" };
            let n = 1 + rng.below(max_items) as usize;
            r::mail_items_accessed(&rng.guid(), t, &a, access, rng.pick(FOLDERS), n, rng)
        } else if roll < 82 {
            r::send(&rng.guid(), t, &a, rng.pick(SUBJECTS))
        } else if roll < 94 {
            let s = rng.pick(SUBJECTS);
            r::delete_items(&rng.guid(), t, &a, "MoveToDeletedItems", "\\Inbox", &[s])
        } else {
            let s = rng.pick(SUBJECTS);
            r::delete_items(&rng.guid(), t, &a, "SoftDelete", "\\Deleted Items", &[s])
        };
        out.push(v);
    }
    session
}

/// An attacker behind a commercial VPN: one session, a new IP every few minutes.
fn vpn_hopper(user: &str, session: &str, day: i64, rng: &mut Rng, out: &mut Vec<Value>) {
    let mut t = at(day, 22, 5);
    let hop = |rng: &mut Rng| {
        let net = rng.pick(&["198.18", "198.19", "100.64", "100.91", "100.115"]);
        let ip = format!("{net}.{}.{}", rng.below(256), 1 + rng.below(254));
        actor(
            user,
            Some(session),
            &ip,
            &owa(ATTACKER_UA),
            rng,
            at(day, 22, 0),
        )
    };
    let a = hop(rng);
    out.push(r::user_logged_in(
        &rng.guid(),
        t - 60,
        &a,
        ATTACKER_UA,
        "Linux",
        "Firefox",
    ));
    out.push(r::new_inbox_rule(
        &rng.guid(),
        t,
        &a,
        &[
            ("Name", "Security"),
            ("FromAddressContainsWords", "security@contoso.com;helpdesk"),
            ("MoveToFolder", "Conversation History"),
            ("MarkAsRead", "True"),
            ("DeleteMessage", "True"),
        ],
    ));
    for i in 0..40 {
        t += 120 + rng.below(300) as i64;
        let a = hop(rng);
        let v = if i % 8 == 7 {
            r::send(
                &rng.guid(),
                t,
                &a,
                "Updated payment details for March invoices",
            )
        } else {
            r::mail_items_accessed(
                &rng.guid(),
                t,
                &a,
                "Bind",
                rng.pick(&["\\Inbox", "\\Inbox\\Finance", "\\Sent Items"]),
                10,
                rng,
            )
        };
        out.push(v);
    }
    let a = hop(rng);
    out.push(r::delete_items(
        &rng.guid(),
        t + 200,
        &a,
        "SoftDelete",
        "\\Sent Items",
        &["Updated payment details for March invoices"],
    ));
}

/// IMAP with basic auth: no Azure AD token, so no session ID.
fn legacy_imap(day: i64, rng: &mut Rng, out: &mut Vec<Value>) {
    let a = actor(
        LEGACY_USER,
        None,
        "198.51.100.77",
        "Client=POP3/IMAP4;Protocol=IMAP4",
        rng,
        day,
    );
    let mut t = at(day, 2, 10);
    for _ in 0..12 {
        t += 30 + rng.below(90) as i64;
        out.push(r::mail_items_accessed(
            &rng.guid(),
            t,
            &a,
            "Sync",
            rng.pick(FOLDERS),
            25,
            rng,
        ));
    }
}

/// Exchange's own housekeeping: no session, actor `NT AUTHORITY\SYSTEM`.
fn system_noise(day: i64, rng: &mut Rng, out: &mut Vec<Value>) {
    let a = actor(
        "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)",
        None,
        "",
        "",
        rng,
        day,
    );
    let user = rng.pick(EMPLOYEES);
    out.push(r::cmdlet(
        &rng.guid(),
        at(day, 1, 15),
        &a,
        "Set-Mailbox",
        user,
        &[
            ("Identity", user),
            ("RetentionPolicy", "Default MRM Policy"),
        ],
    ));
}

/// The demo tenant: two weeks of seven employees and a service account, holding the seed's two
/// stories, an attacker hopping across VPN IPs inside one session, and legacy-auth activity
/// without session IDs. Sorted by time, as an export is.
pub fn demo_tenant() -> Vec<Value> {
    let mut rng = Rng::new(2024);
    let mut out = Vec::new();
    let first = seed_day() - 8 * 86_400;
    for d in 0..14 {
        let day = first + d * 86_400;
        let workday = d % 7 < 5; // 2024-03-04 is a Monday
        for user in EMPLOYEES {
            if !workday && !rng.chance(15) {
                continue;
            }
            if day == seed_day() && *user == SEED_USER {
                continue; // the seed story has this day
            }
            let n = 20 + rng.below(20) as usize;
            workday_session(user, day, &mut rng, n, DEMO_ITEMS, &mut out);
            if rng.chance(30) {
                workday_session(user, day + 5 * 3600, &mut rng, 8, DEMO_ITEMS, &mut out);
            }
        }
        if workday && day != seed_day() {
            let other = rng.guid();
            let mut svc = corporate_vpn(SERVICE_ACCOUNT, &other, &other, day, 100 + d as u64);
            // An ordinary day of the service account: its own session's actions only.
            svc.retain(|v| {
                v["Operation"] != "UpdateInboxRules" && v["Operation"] != "AddFolderPermissions"
            });
            out.extend(svc);
        }
        system_noise(day, &mut rng, &mut out);
        if d % 3 == 1 {
            legacy_imap(day, &mut rng, &mut out);
        }
    }
    // The seed's first table, inside alex's ordinary day.
    let mut story = seed_first_table();
    let mut alex_day = Vec::new();
    let mut day_rng = Rng::new(77);
    workday_session(
        SEED_USER,
        seed_day() + 4 * 3600,
        &mut day_rng,
        15,
        DEMO_ITEMS,
        &mut alex_day,
    );
    out.append(&mut story);
    out.extend(alex_day);
    // The seed's corporate-VPN case on the service account, with the tenant's own session IDs
    // (a session belongs to one account; the seed fixtures keep the article's).
    out.extend(corporate_vpn(
        SERVICE_ACCOUNT,
        "5d1f0c2e-8a47-4b3d-9e6f-1c2b3a4d5e6f",
        "9a7e3b10-4c2d-4f8e-a1b3-6d5c4e3f2a10",
        seed_day(),
        3,
    ));
    let hopper = HOPPER_SESSION;
    vpn_hopper(
        VPN_HOPPER,
        hopper,
        seed_day() + 2 * 86_400,
        &mut rng,
        &mut out,
    );
    out.sort_by(|a, b| a["CreationTime"].as_str().cmp(&b["CreationTime"].as_str()));
    out
}

/// A tenant of about `events` records for benchmarks: ordinary sessions of many users, with an
/// attacker session every 20,000 events. Records come in time order.
pub fn scale_tenant(events: usize, seed: u64) -> impl Iterator<Item = Value> {
    let mut rng = Rng::new(seed);
    let users: Vec<String> = (0..(events / 400).max(10))
        .map(|i| format!("user{i:05}@contoso.com"))
        .collect();
    let mut produced = 0usize;
    let mut day = days_from_civil(2025, 1, 6) * 86_400;
    let mut buffer: std::collections::VecDeque<Value> = Default::default();
    let mut user_index = 0usize;
    let mut next_attack = 20_000usize;
    std::iter::from_fn(move || {
        while buffer.is_empty() {
            if produced >= events {
                return None;
            }
            let mut batch = Vec::new();
            for _ in 0..50 {
                let user = &users[user_index % users.len()];
                user_index += 1;
                if user_index.is_multiple_of(users.len()) {
                    day += 86_400;
                }
                let n = 15 + rng.below(30) as usize;
                workday_session(user, day, &mut rng, n, 8, &mut batch);
            }
            if produced >= next_attack {
                let victim = users[rng.below(users.len() as u64) as usize].clone();
                let session = rng.guid();
                vpn_hopper(&victim, &session, day, &mut rng, &mut batch);
                next_attack += 20_000;
            }
            batch.sort_by(|a, b| a["CreationTime"].as_str().cmp(&b["CreationTime"].as_str()));
            batch.truncate(events - produced);
            produced += batch.len();
            buffer.extend(batch);
        }
        buffer.pop_front()
    })
}

/// The account the attacker of [`lateral_movement`] moves to.
pub const SECOND_VICTIM: &str = "pradeep.gupta@contoso.com";
/// The attacker's session in the first account of [`lateral_movement`].
pub const LATERAL_SESSION: &str = "5b2f8e1c-7a4d-4c3b-9e6f-1d2a3b4c5d6e";
/// The attacker's IP in [`lateral_movement`].
pub const LATERAL_IP: &str = "185.220.101.7";

/// Shaped like the lateral movement in the real 2023 Purview export the team checks against:
/// a small tenant (five accounts); the attacker's session in one account opens the account's
/// anonymous sharing links from its own IP (three visitors, `anonymous` and `urn:spo:anon#…`),
/// then, five minutes after it ends, a session in a second account from the same IP and the
/// same browser. One more account uses the same browser from its own network, days apart.
pub fn lateral_movement() -> Vec<Value> {
    let mut rng = Rng::new(23);
    let day = seed_day();
    let mut out = Vec::new();
    for (i, user) in [
        SEED_USER,
        SECOND_VICTIM,
        "lidia.holloway@contoso.com",
        "nestor.wilke@contoso.com",
        "irvin.sayers@contoso.com",
    ]
    .into_iter()
    .enumerate()
    {
        workday_session(
            user,
            day - 86_400 * (1 + i as i64 % 2),
            &mut rng,
            6,
            3,
            &mut out,
        );
    }
    let firefox = owa(ATTACKER_UA);
    let attacker = actor(
        SEED_USER,
        Some(LATERAL_SESSION),
        LATERAL_IP,
        &firefox,
        &mut rng,
        at(day, 9, 58),
    );
    out.push(r::user_logged_in(
        &rng.guid(),
        at(day, 9, 59),
        &attacker,
        ATTACKER_UA,
        "Linux",
        "Firefox",
    ));
    out.push(r::mailbox_login(&rng.guid(), at(day, 10, 0), &attacker));
    out.push(r::mail_items_accessed(
        &rng.guid(),
        at(day, 10, 4),
        &attacker,
        "Bind",
        "\\Inbox",
        12,
        &mut rng,
    ));
    out.push(r::new_inbox_rule(
        &rng.guid(),
        at(day, 10, 9),
        &attacker,
        &[
            ("Name", "."),
            ("SubjectOrBodyContainsWords", "invoice"),
            ("MoveToFolder", "RSS Feeds"),
        ],
    ));
    for (k, visitor) in [
        "anonymous",
        "urn:spo:anon#8f3c2b1a",
        "urn:spo:anon#d41e07c9",
    ]
    .into_iter()
    .enumerate()
    {
        out.push(r::anonymous_link_used(
            &rng.guid(),
            at(day, 10, 12 + k as i64 * 3),
            visitor,
            LATERAL_IP,
            ATTACKER_UA,
            "https://contoso-my.sharepoint.com/personal/alex_wilber_contoso_com/Documents/Payroll.xlsx",
        ));
    }
    out.push(r::mail_items_accessed(
        &rng.guid(),
        at(day, 10, 25),
        &attacker,
        "Sync",
        "\\Sent Items",
        30,
        &mut rng,
    ));
    let second_session = rng.guid();
    let moved = actor(
        SECOND_VICTIM,
        Some(&second_session),
        LATERAL_IP,
        &firefox,
        &mut rng,
        at(day, 10, 29),
    );
    out.push(r::mailbox_login(&rng.guid(), at(day, 10, 30), &moved));
    out.push(r::mail_items_accessed(
        &rng.guid(),
        at(day, 10, 33),
        &moved,
        "Bind",
        "\\Inbox",
        8,
        &mut rng,
    ));
    out.push(r::send(
        &rng.guid(),
        at(day, 10, 41),
        &moved,
        "RE: Invoice 4471 - updated bank details",
    ));
    // The same browser on another account, from its own home network, days later.
    let same_browser = actor(
        "irvin.sayers@contoso.com",
        Some(&rng.guid()),
        "192.0.2.77",
        &firefox,
        &mut rng,
        at(day + 3 * 86_400, 8, 0),
    );
    out.push(r::mailbox_login(
        &rng.guid(),
        at(day + 3 * 86_400, 8, 1),
        &same_browser,
    ));
    out.sort_by(|a, b| a["CreationTime"].as_str().cmp(&b["CreationTime"].as_str()));
    out
}
