//! Tenants for judging the risk scores: ordinary office workers, benign heavy users who look
//! odd (a script account, a phone on carrier networks, a heavy reader, someone who files mail
//! with rules and shares a calendar, a traveller) and one of each attack an investigator
//! meets, each on its own victim. Every tenant of a seed is different; each says which
//! sessions are the attacks.

use super::Rng;
use super::records::{self as r, Actor};
use serde_json::Value;
use sessionscope_core::time::days_from_civil;

pub const CORP_VPN: &str = "203.0.113.10";
const EDGE_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66";
const FIREFOX_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0";
const MAPI: &str = "Client=MSExchangeRPC";
const MOBILE: &str = "Client=REST;Client=RESTSystem;;";
const SCRIPT: &str = "python-requests/2.31.0";
const DAYS: i64 = 14;

/// Which attack a planted session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// From the victim's own corporate VPN IP, another client, an outside-forwarding rule.
    SameIp,
    /// A new IP every few minutes inside one session.
    VpnHopping,
    /// The victim's own session also used from VPN exits within minutes.
    TokenReplay,
    /// IMAP with a password alone: no session ID.
    LegacyAuth,
    /// A phishing proxy's session (same browser) opening hundreds of messages.
    AitmMassRead,
    /// Same IP, same client as the user: a rule hiding payment mail, and a send.
    BecSameClient,
    /// Consent to an app with mail scopes (no session ID).
    OauthConsent,
    /// Nothing but mailbox forwarding outside, no copy kept, from the user's own IP and client.
    ForwardingOnly,
    /// One session held ten days, a few reads a day, from one residential proxy.
    LowAndSlow,
}

impl Attack {
    pub const ALL: [Attack; 9] = [
        Attack::SameIp,
        Attack::VpnHopping,
        Attack::TokenReplay,
        Attack::LegacyAuth,
        Attack::AitmMassRead,
        Attack::BecSameClient,
        Attack::OauthConsent,
        Attack::ForwardingOnly,
        Attack::LowAndSlow,
    ];
}

/// A planted attack: its victim and its session (`None`: the victim's activity without a
/// session ID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub attack: Attack,
    pub user: String,
    pub session: Option<String>,
}

pub struct AttackTenant {
    /// In time order.
    pub records: Vec<Value>,
    pub attacks: Vec<Planted>,
    /// The benign heavy users, by what makes them look odd.
    pub heavy_users: Vec<(&'static str, String)>,
}

/// How one person works: from where and with what.
#[derive(Clone)]
struct Person {
    user: String,
    ip: String,
    client: String,
}

struct Gen {
    rng: Rng,
    out: Vec<Value>,
}

fn at(day: i64, h: i64, m: i64) -> i64 {
    day + h * 3600 + m * 60
}

fn owa(ua: &str) -> String {
    format!("Client=OWA;Action=ViaProxy;{ua};")
}

const FOLDERS: &[&str] = &["\\Inbox", "\\Inbox", "\\Sent Items", "\\Archive"];
const SUBJECTS: &[&str] = &[
    "Weekly status",
    "Re: Contract renewal",
    "Team offsite agenda",
    "Q2 forecast",
    "Re: Budget approval",
];

impl Gen {
    fn actor(&mut self, p: &Person, session: Option<&str>, ip: &str, issued: i64) -> Actor {
        Actor {
            user: p.user.clone(),
            session: session.map(str::to_string),
            ip: ip.to_string(),
            client_info: p.client.clone(),
            token: session.map(|_| format!("{:022x}", self.rng.next_u64())),
            issued_at: session.map(|_| issued),
        }
    }

    fn id(&mut self) -> String {
        self.rng.guid()
    }

    /// One ordinary action of `a` at `t`: mostly reading, some sending and deleting.
    fn ordinary(&mut self, a: &Actor, t: i64, max_items: u64) {
        let roll = self.rng.below(100);
        let id = self.id();
        let v = if roll < 75 {
            let access = if self.rng.chance(70) { "Bind" } else { "Sync" };
            let n = 1 + self.rng.below(max_items) as usize;
            let folder = self.rng.pick(FOLDERS);
            r::mail_items_accessed(&id, t, a, access, folder, n, &mut self.rng)
        } else if roll < 88 {
            r::send(&id, t, a, self.rng.pick(SUBJECTS))
        } else {
            let s = self.rng.pick(SUBJECTS);
            r::delete_items(&id, t, a, "MoveToDeletedItems", "\\Inbox", &[s])
        };
        self.out.push(v);
    }

    /// A working session of `p` on `day`, `events` actions from `from_h` on; returns its ID.
    fn workday(&mut self, p: &Person, day: i64, from_h: i64, events: usize, items: u64) -> String {
        let session = self.id();
        let start = at(day, from_h, self.rng.below(50) as i64);
        let a = self.actor(p, Some(&session), &p.ip, start - 60);
        let id = self.id();
        self.out.push(r::user_logged_in(
            &id,
            start - 30,
            &a,
            EDGE_UA,
            "Windows 10",
            "Edge",
        ));
        let mut t = start;
        for _ in 0..events {
            t += 120 + self.rng.below(900) as i64;
            self.ordinary(&a, t, items);
        }
        session
    }
}

/// A tenant of 20 office workers, five benign heavy users and the nine attacks of
/// [`Attack::ALL`], over two weeks from Monday 2025-03-03.
pub fn attack_tenant(seed: u64) -> AttackTenant {
    let mut g = Gen {
        rng: Rng::new(seed),
        out: Vec::new(),
    };
    let first = days_from_civil(2025, 3, 3) * 86_400;
    let mut workers: Vec<Person> = (0..20)
        .map(|i| {
            let office = i % 3 != 2;
            Person {
                user: format!("worker{i:02}@contoso.com"),
                ip: if office {
                    format!("{CORP_VPN}:{}", 40_000 + i * 7)
                } else {
                    format!("192.0.2.{}", 10 + i)
                },
                client: if office {
                    MAPI.to_string()
                } else {
                    owa(EDGE_UA)
                },
            }
        })
        .collect();
    // Victims: the first nine workers after a shuffle.
    for i in (1..workers.len()).rev() {
        let j = g.rng.below(i as u64 + 1) as usize;
        workers.swap(i, j);
    }
    let script = Person {
        user: "svc-mailsync@contoso.com".into(),
        ip: "192.0.2.200".into(),
        client: SCRIPT.into(),
    };
    let phone = Person {
        user: "field.sales@contoso.com".into(),
        ip: String::new(),
        client: MOBILE.into(),
    };
    let reader = Person {
        user: "paralegal@contoso.com".into(),
        ip: format!("{CORP_VPN}:41999"),
        client: MAPI.into(),
    };
    let filer = Person {
        user: "office.manager@contoso.com".into(),
        ip: "192.0.2.150".into(),
        client: owa(EDGE_UA),
    };
    let traveller = Person {
        user: "consultant@contoso.com".into(),
        ip: "192.0.2.160".into(),
        client: owa(EDGE_UA),
    };
    let mut replayed: Option<(String, i64)> = None;
    let replay_victim = workers[2].clone();
    let replay_day = first + 8 * 86_400;
    for d in 0..DAYS {
        let day = first + d * 86_400;
        if d % 7 >= 5 {
            continue;
        }
        for w in workers.clone() {
            let n = 15 + g.rng.below(20) as usize;
            let from = 7 + g.rng.below(3) as i64;
            let s = g.workday(&w, day, from, n, 8);
            if w.user == replay_victim.user && day == replay_day {
                replayed = Some((s, day));
            }
            if g.rng.chance(20) {
                g.workday(&w, day, 13, 6, 8);
            }
        }
        // The script: three short sessions a day, each reading a lot.
        for h in [2, 10, 18] {
            let n = 20 + g.rng.below(10) as usize;
            g.workday(&script, day, h, n, 40);
        }
        // The phone: one session a day, moving between carrier networks.
        let session = g.id();
        let mut t = at(day, 7, g.rng.below(60) as i64);
        for _ in 0..(10 + g.rng.below(10)) {
            t += 900 + g.rng.below(2400) as i64;
            let ip = format!("100.80.{}.{}", g.rng.below(256), 1 + g.rng.below(254));
            let a = g.actor(&phone, Some(&session), &ip, t);
            g.ordinary(&a, t, 5);
        }
        g.workday(&reader, day, 8, 30, 60);
        g.workday(&filer, day, 8, 15, 6);
        // The traveller: at a hotel on the second Tuesday, at night.
        let mut away = traveller.clone();
        if d == 8 {
            away.ip = "198.51.100.10".into();
            g.workday(&away, day, 21, 12, 6);
        } else {
            g.workday(&traveller, day, 9, 15, 6);
        }
    }
    // The filer's routine rule and calendar share, in sessions of their own.
    let day = first + 3 * 86_400;
    let s = g.id();
    let a = g.actor(&filer, Some(&s), &filer.ip, at(day, 11, 0));
    let id = g.id();
    g.out.push(r::new_inbox_rule(
        &id,
        at(day, 11, 5),
        &a,
        &[
            ("Name", "Newsletters"),
            ("FromAddressContainsWords", "newsletter@vendor.example"),
            ("MoveToFolder", "Newsletters"),
        ],
    ));
    let id = g.id();
    g.out.push(r::cmdlet(
        &id,
        at(day, 11, 9),
        &a,
        "Add-MailboxFolderPermission",
        "office.manager",
        &[
            ("Identity", "office.manager@contoso.com:\\Calendar"),
            ("User", "worker01@contoso.com"),
            ("AccessRights", "Reviewer"),
        ],
    ));

    let mut attacks = Vec::new();
    let mut plant = |attack, user: &str, session: Option<String>| {
        attacks.push(Planted {
            attack,
            user: user.to_string(),
            session,
        })
    };
    let exfil = "ledger-backup@proton-mail.example";

    // Same IP: the victim's corporate VPN, but Outlook over MAPI where the user uses OWA or
    // another MAPI client build, while the user works.
    let v = &workers[0];
    let day = first + 7 * 86_400;
    let evil = Person {
        user: v.user.clone(),
        ip: format!("{CORP_VPN}:55123"),
        client: if v.client == MAPI {
            "Client=MSExchangeRPC;Version=15.20;Process=OUTLOOK.EXE".into()
        } else {
            MAPI.into()
        },
    };
    let s = g.id();
    let a = g.actor(&evil, Some(&s), &evil.ip, at(day, 9, 30));
    let id = g.id();
    g.out.push(r::update_inbox_rules(
        &id,
        at(day, 10, 2),
        &a,
        "Invoices",
        "{(SubString IgnoreCase(SubjectProperty)=invoice)}",
        &format!(r#"[{{"ActionType":"Forward","Recipients":["{exfil}"],"ForwardFlags":"None"}}]"#),
    ));
    for k in 0..3 {
        g.ordinary(&a, at(day, 10, 10 + k * 7), 4);
    }
    plant(Attack::SameIp, &v.user, Some(s));

    // VPN hopping: a new VPN exit every few minutes, a rule hiding warnings, many reads.
    let v = &workers[1];
    let day = first + 2 * 86_400;
    let s = g.id();
    let evil = Person {
        user: v.user.clone(),
        ip: String::new(),
        client: owa(FIREFOX_UA),
    };
    let mut t = at(day, 22, 5);
    let hop = |g: &mut Gen, t| {
        let ip = format!("198.18.{}.{}", g.rng.below(256), 1 + g.rng.below(254));
        g.actor(&evil, Some(&s), &ip, t)
    };
    let a = hop(&mut g, t);
    let id = g.id();
    g.out.push(r::new_inbox_rule(
        &id,
        t,
        &a,
        &[
            ("Name", "Security"),
            ("FromAddressContainsWords", "security@contoso.com;helpdesk"),
            ("MoveToFolder", "Conversation History"),
            ("MarkAsRead", "True"),
        ],
    ));
    for _ in 0..30 {
        t += 120 + g.rng.below(240) as i64;
        let a = hop(&mut g, t);
        let id = g.id();
        let v = r::mail_items_accessed(&id, t, &a, "Bind", "\\Inbox", 12, &mut g.rng);
        g.out.push(v);
    }
    plant(Attack::VpnHopping, &v.user, Some(s));

    // Token replay: the victim's own session of that day, used from VPN exits at the same
    // time as from the user's desk.
    let v = replay_victim;
    let (s, day) = replayed.expect("the replay victim works on the replay day");
    let mut t = at(day, 11, 0);
    for k in 0..34 {
        t += 20 + g.rng.below(40) as i64;
        let ip = if k % 3 == 0 {
            v.ip.clone()
        } else {
            format!("198.19.{}.{}", g.rng.below(256), 1 + g.rng.below(254))
        };
        let a = g.actor(&v, Some(&s), &ip, day);
        let id = g.id();
        let rec = r::mail_items_accessed(&id, t, &a, "Bind", "\\Inbox\\Finance", 6, &mut g.rng);
        g.out.push(rec);
    }
    plant(Attack::TokenReplay, &v.user, Some(s));

    // Legacy authentication: IMAP with a password, no session ID.
    let v = &workers[3];
    let day = first + 4 * 86_400;
    let imap = Person {
        user: v.user.clone(),
        ip: "198.51.100.77".into(),
        client: "Client=POP3/IMAP4;Protocol=IMAP4".into(),
    };
    let a = g.actor(&imap, None, &imap.ip, day);
    let mut t = at(day, 2, 10);
    for _ in 0..40 {
        t += 30 + g.rng.below(60) as i64;
        let id = g.id();
        let rec = r::mail_items_accessed(&id, t, &a, "Sync", "\\Inbox", 25, &mut g.rng);
        g.out.push(rec);
    }
    plant(Attack::LegacyAuth, &v.user, None);

    // AiTM: the phishing proxy passes the user's own browser through; it opens 600 messages.
    let v = &workers[4];
    let day = first + 9 * 86_400;
    let s = g.id();
    let proxy = Person {
        user: v.user.clone(),
        ip: "198.51.100.200".into(),
        client: v.client.clone(),
    };
    let a = g.actor(&proxy, Some(&s), &proxy.ip, at(day, 14, 0));
    let mut t = at(day, 14, 3);
    for _ in 0..30 {
        t += 30 + g.rng.below(50) as i64;
        let id = g.id();
        let rec = r::mail_items_accessed(&id, t, &a, "Bind", "\\Inbox", 20, &mut g.rng);
        g.out.push(rec);
    }
    plant(Attack::AitmMassRead, &v.user, Some(s));

    // BEC: same IP and the same client as the user; hides payment mail and writes one.
    let v = &workers[5];
    let day = first + 10 * 86_400;
    let s = g.id();
    let a = g.actor(v, Some(&s), &v.ip, at(day, 9, 0));
    let id = g.id();
    g.out.push(r::new_inbox_rule(
        &id,
        at(day, 9, 40),
        &a,
        &[
            ("Name", ".."),
            ("SubjectOrBodyContainsWords", "invoice;payment;wire"),
            ("MoveToFolder", "RSS Feeds"),
            ("MarkAsRead", "True"),
        ],
    ));
    let id = g.id();
    g.out.push(r::send(
        &id,
        at(day, 9, 52),
        &a,
        "Updated bank details for March invoices",
    ));
    plant(Attack::BecSameClient, &v.user, Some(s));

    // OAuth consent: the victim consents to a mail-reading app.
    let v = &workers[6];
    let a = g.actor(v, None, "", first);
    let id = g.id();
    g.out.push(r::consent_to_application(
        &id,
        at(first + 3 * 86_400, 15, 12),
        &a,
        "PDF Viewer Pro",
        "openid profile offline_access Mail.Read Mail.Send",
    ));
    plant(Attack::OauthConsent, &v.user, None);

    // Forwarding only: a new session from the user's own IP and client, one Set-Mailbox.
    let v = &workers[7];
    let day = first + 11 * 86_400;
    let s = g.id();
    let a = g.actor(v, Some(&s), &v.ip, at(day, 12, 0));
    let id = g.id();
    g.out.push(r::cmdlet(
        &id,
        at(day, 12, 4),
        &a,
        "Set-Mailbox",
        v.user.split('@').next().unwrap_or(""),
        &[
            ("Identity", &v.user),
            ("ForwardingSmtpAddress", &format!("smtp:{exfil}")),
            ("DeliverToMailboxAndForward", "False"),
        ],
    ));
    plant(Attack::ForwardingOnly, &v.user, Some(s));

    // Low and slow: ten days, a few reads a day, from one residential proxy.
    let v = &workers[8];
    let s = g.id();
    let proxy = Person {
        user: v.user.clone(),
        ip: "198.51.100.150".into(),
        client: v.client.clone(),
    };
    let a = g.actor(&proxy, Some(&s), &proxy.ip, first);
    for d in 2..12 {
        let day = first + d * 86_400;
        for k in 0..3 {
            let id = g.id();
            let t = at(day, 10 + k * 3, g.rng.below(60) as i64);
            let rec = r::mail_items_accessed(&id, t, &a, "Bind", "\\Inbox", 4, &mut g.rng);
            g.out.push(rec);
        }
    }
    plant(Attack::LowAndSlow, &v.user, Some(s));

    let mut records = g.out;
    records.sort_by(|a, b| a["CreationTime"].as_str().cmp(&b["CreationTime"].as_str()));
    AttackTenant {
        records,
        attacks,
        heavy_users: vec![
            ("automation", script.user),
            ("mobile on carrier networks", phone.user),
            ("heavy reader", reader.user),
            ("filing rule and calendar share", filer.user),
            ("traveller", traveller.user),
        ],
    }
}
