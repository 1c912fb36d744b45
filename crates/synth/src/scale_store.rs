//! A store of any size built straight in memory, for benchmarking what runs after loading
//! (risk scoring, pivots) at ten million events without writing 19 GB of exports first.
//! Shaped like `tenant::scale_tenant`: office workers reading mail in one session a day, a
//! few on phones moving between carrier networks, and a VPN-hopping attacker with an inbox
//! rule every 20,000 events. The records have no file behind them, so a telling record's
//! facts cannot be read back (the analysis says so); everything else is as after a load.

use super::Rng;
use sessionscope_core::intern::{Interner, Sym};
use sessionscope_core::model::{Event, Kind, Kinds, LogonType, Place};
use sessionscope_core::store::Store;
use sessionscope_core::time::days_from_civil;

struct Vocab {
    send: Sym,
    delete: Sym,
    rule: Sym,
    read: Sym,
    mapi: Sym,
    owa: Sym,
    mobile: Sym,
    firefox: Sym,
    rule_summary: Sym,
    sent_summary: Sym,
    deleted_summary: Sym,
    bind_summaries: Vec<Sym>,
    sync_summaries: Vec<Sym>,
    /// The kinds' numbers of mailbox actions and of admin cmdlets.
    mailbox: u32,
    admin: u32,
}

/// About `events` events of `events / 5000` users over 60 days (2,000 users at 10M).
pub fn scale_store(events: usize, seed: u64) -> Store {
    let mut rng = Rng::new(seed);
    let mut i = Interner::default();
    let v = Vocab {
        send: i.intern("Send"),
        delete: i.intern("MoveToDeletedItems"),
        rule: i.intern("New-InboxRule"),
        read: i.intern("MailItemsAccessed"),
        mapi: i.intern("Client=MSExchangeRPC"),
        owa: i.intern("Client=OWA;Action=ViaProxy;Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/122.0"),
        mobile: i.intern("Client=REST;Client=RESTSystem;;"),
        firefox: i.intern("Client=OWA;Action=ViaProxy;Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Firefox/123.0"),
        rule_summary: i.intern("rule \"Security\" if sender address contains \"security\": move to Conversation History, mark as read"),
        sent_summary: i.intern("\"Weekly status\""),
        deleted_summary: i.intern("1 item from \\Inbox to \\Deleted Items"),
        bind_summaries: (1..=8).map(|n| i.intern(&format!("Bind, {n} items in \\Inbox"))).collect(),
        sync_summaries: (1..=8).map(|n| i.intern(&format!("Sync, {n} items in \\Inbox"))).collect(),
        mailbox: 0,
        admin: 1,
    };
    let mut kinds = Kinds::default();
    let mailbox = Kind {
        file: 0,
        record_type: 2,
        logon_type: LogonType::Owner,
        guid_id: true,
        workload: i.intern("Exchange"),
        result: i.intern("Succeeded"),
    };
    assert_eq!(kinds.number(mailbox), v.mailbox);
    let admin = Kind {
        record_type: 1,
        ..mailbox
    };
    assert_eq!(kinds.number(admin), v.admin);
    let users: Vec<Sym> = (0..(events / 5000).max(10))
        .map(|n| i.intern(&format!("user{n:05}@contoso.com")))
        .collect();
    let corp = i.intern("203.0.113.10");
    let homes: Vec<Sym> = (0..users.len())
        .map(|n| i.intern(&format!("192.0.{}.{}", 2 + n / 250, 1 + n % 250)))
        .collect();
    let days = 60;
    let per_user_day = (events / users.len() / days).max(1);
    let mut out: Vec<Event> = Vec::with_capacity(events + events / 100);
    let mut day_events: Vec<Event> = Vec::new();
    let mut next_attack = 20_000usize;
    let mut offset = 0u64;
    let start = days_from_civil(2025, 1, 6) * 86_400;
    let blank = |time: i64, user: Sym, session: Sym, offset: &mut u64, rng: &mut Rng| {
        *offset += 1500;
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
        id[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
        Event {
            time: time as u32,
            user,
            operation: Sym::EMPTY,
            session,
            ip: Sym::EMPTY,
            client: Sym::EMPTY,
            target: user,
            summary: Sym::EMPTY,
            token: Sym::EMPTY,
            kind: v.mailbox,
            record_id: id,
            place: Place::new(*offset, 1500).expect("synthetic offsets stay small"),
        }
    };
    for d in 0..days as i64 {
        let day = start + d * 86_400;
        day_events.clear();
        for (u, &user) in users.iter().enumerate() {
            let session = i.intern(&rng.guid());
            let phone = u % 10 == 0;
            let (ip, client) = match (phone, u % 3) {
                (true, _) => (Sym::EMPTY, v.mobile),
                (false, 0) => (homes[u], v.owa),
                _ => (corp, v.mapi),
            };
            let mut t = day + 7 * 3600 + rng.below(7200) as i64;
            let n = per_user_day / 2 + rng.below(per_user_day as u64) as usize;
            let mut phone_ip = Sym::EMPTY;
            for _ in 0..n {
                t += 10 + rng.below(600) as i64;
                let mut e = blank(t, user, session, &mut offset, &mut rng);
                // A phone moves to another carrier address now and then.
                if phone && (phone_ip.is_empty() || rng.chance(20)) {
                    phone_ip =
                        i.intern(&format!("100.80.{}.{}", rng.below(256), 1 + rng.below(254)));
                }
                e.ip = if phone { phone_ip } else { ip };
                e.client = client;
                let roll = rng.below(100);
                (e.operation, e.summary) = if roll < 60 {
                    (v.read, v.bind_summaries[rng.below(8) as usize])
                } else if roll < 85 {
                    (v.read, v.sync_summaries[rng.below(8) as usize])
                } else if roll < 93 {
                    (v.send, v.sent_summary)
                } else {
                    (v.delete, v.deleted_summary)
                };
                day_events.push(e);
            }
        }
        while out.len() + day_events.len() >= next_attack {
            let user = users[rng.below(users.len() as u64) as usize];
            let session = i.intern(&rng.guid());
            let mut t = day + 22 * 3600;
            for k in 0..40 {
                t += 120 + rng.below(300) as i64;
                let mut e = blank(t, user, session, &mut offset, &mut rng);
                e.ip = i.intern(&format!("198.18.{}.{}", rng.below(256), 1 + rng.below(254)));
                e.client = v.firefox;
                (e.operation, e.summary) = if k == 0 {
                    e.kind = v.admin;
                    (v.rule, v.rule_summary)
                } else {
                    (v.read, v.bind_summaries[7])
                };
                day_events.push(e);
            }
            next_attack += 20_000;
        }
        day_events.sort_by_key(|e| e.time);
        out.extend_from_slice(&day_events);
    }
    Store::build(i, kinds, out)
}

/// A user with five ordinary sessions (an office IP each) and one session of `ips` events,
/// each from an IP of its own across `ips / 200` networks: the attacker hopping VPN and TOR
/// exits at its most extreme, for timing risk scoring on one session with very many IPs.
pub fn many_ips_store(ips: usize) -> Store {
    let mut i = Interner::default();
    let mut kinds = Kinds::default();
    let kind = kinds.number(Kind {
        file: 0,
        record_type: 2,
        logon_type: LogonType::Owner,
        guid_id: true,
        workload: i.intern("Exchange"),
        result: i.intern("Succeeded"),
    });
    let user = i.intern("pat@contoso.com");
    let read = i.intern("MailItemsAccessed");
    let summary = i.intern("Bind, 1 item in \\Inbox");
    let owa = i.intern("Client=OWA;Action=ViaProxy");
    let start = days_from_civil(2025, 3, 3) * 86_400;
    let mut events = Vec::with_capacity(ips + 100);
    let mut next = 0u64;
    let mut event = |time: i64, session: Sym, ip: Sym| {
        next += 1;
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&next.to_le_bytes());
        Event {
            time: time as u32,
            user,
            operation: read,
            session,
            ip,
            client: owa,
            target: user,
            summary,
            token: Sym::EMPTY,
            kind,
            record_id: id,
            place: Place::new(next * 1500, 1500).expect("synthetic offsets stay small"),
        }
    };
    let office = i.intern("203.0.113.10");
    for day in 0..5 {
        let session = i.intern(&format!("00000000-0000-4000-8000-00000000000{day}"));
        for k in 0..20 {
            events.push(event(
                start + day * 86_400 + 9 * 3600 + k * 600,
                session,
                office,
            ));
        }
    }
    let hopping = i.intern("00000000-0000-4000-8000-0000000000aa");
    let from = start + 6 * 86_400;
    for k in 0..ips {
        // 200 addresses in each network, networks spread over the IPv4 space.
        let net = k / 200;
        let ip = i.intern(&format!(
            "{}.{}.{}.{}",
            11 + net / 65_536 % 200,
            net / 256 % 256,
            net % 256,
            1 + k % 200
        ));
        events.push(event(from + k as i64, hopping, ip));
    }
    Store::build(i, kinds, events)
}
