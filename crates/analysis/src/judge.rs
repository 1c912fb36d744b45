//! A session's reasons: what its actions did (judged by content), where and how it was used
//! (networks, clients, hours), and how it differs from the user's other sessions. Each reason
//! has a stable code, a weight, plain words with the numbers behind them, and its records.

use super::baseline::Others;
use super::catalogue::Code;
use super::profile::{Counted, Kinds, MAX_NAMED, Networks, Profile, first_counted};
use super::replay::{self, spoken};
use super::{Assessment, Reason};
use rustc_hash::FxHashSet;
use sessionscope_core::audit::{self, Action, GrantScope, Kind};
use sessionscope_core::intern::Sym;
use sessionscope_core::store::{Session, Store};
use sessionscope_core::text::clip;
use sessionscope_core::time::short_duration;

/// Mail services anyone can sign up to: a guest from one of them appears among a tenant's
/// users, but forwarding there is forwarding outside.
const CONSUMER_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.com",
    "gmx.net",
    "mail.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "tutanota.com",
    "zoho.com",
];

/// The tenant's own mail domains: those of its users, and their `onmicrosoft.com` names.
pub struct Domains(FxHashSet<String>);

impl Domains {
    pub fn of_store(store: &Store) -> Domains {
        Domains::of_users(store.users().into_iter().map(|u| store.str(u)))
    }

    pub fn of_users<'u>(users: impl IntoIterator<Item = &'u str>) -> Domains {
        let mut set = FxHashSet::default();
        for u in users {
            if let Some((_, domain)) = u.rsplit_once('@') {
                let domain = domain.to_ascii_lowercase();
                if CONSUMER_DOMAINS.contains(&domain.as_str()) {
                    continue;
                }
                if let Some(label) = domain.split('.').next() {
                    set.insert(format!("{label}.onmicrosoft.com"));
                    set.insert(format!("{label}.mail.onmicrosoft.com"));
                }
                set.insert(domain);
            }
        }
        Domains(set)
    }

    /// `addresses` parted into those outside the tenant and those inside.
    pub fn outside_and_inside(&self, addresses: &[String]) -> (Vec<String>, Vec<String>) {
        addresses.iter().cloned().partition(|a| !self.internal(a))
    }

    /// An address (or recipient name) that stays inside the tenant. A name without a domain
    /// is a recipient object of the tenant's own directory.
    pub fn internal(&self, address: &str) -> bool {
        match address.rsplit_once('@') {
            Some((_, d)) => self.0.contains(&d.to_ascii_lowercase()),
            None => true,
        }
    }
}

/// Another session of the same user active at the same time from a shared IP.
#[derive(Debug, Clone)]
pub struct Overlap {
    pub other: usize,
    pub ip: Sym,
}

pub struct Judge<'a> {
    pub store: &'a Store,
    pub kinds: &'a Kinds,
    pub networks: &'a Networks,
    pub domains: &'a Domains,
}

struct Reasons(Vec<Reason>);

impl Reasons {
    fn add(&mut self, code: Code, weight: u32, text: String, records: Vec<u32>) {
        let record_count = records.len();
        self.push(code, weight, text, records, record_count);
    }

    fn push(
        &mut self,
        code: Code,
        weight: u32,
        text: String,
        mut records: Vec<u32>,
        record_count: usize,
    ) {
        debug_assert!(
            code.entry().weights.contains(&weight),
            "{} carries {weight}, which the catalogue does not list",
            code.name()
        );
        let code = code.name();
        // One reason per finding: two rules filtering on the same word say it once, with
        // both records.
        if let Some(r) = self.0.iter_mut().find(|r| r.code == code && r.text == text) {
            r.record_count += record_count;
            r.records.append(&mut records);
            r.records.sort_unstable();
            r.records.dedup();
            r.records.truncate(MAX_NAMED);
            return;
        }
        records.truncate(MAX_NAMED);
        self.0.push(Reason {
            code,
            weight,
            text,
            records,
            record_count,
        });
    }
}

fn list(items: &[String], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    match items.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

fn quoted(name: &str) -> String {
    if name.is_empty() {
        "inbox rule".to_string()
    } else {
        format!("inbox rule \"{}\"", clip(name, 40))
    }
}

impl Judge<'_> {
    /// The reasons of session `i` (`s`, `p`), compared with `others`; `overlaps` are the
    /// user's sessions active at the same time from a shared IP.
    pub fn assess(
        &self,
        i: usize,
        s: &Session,
        p: &Profile,
        others: &Others<'_>,
        overlaps: &[Overlap],
    ) -> Assessment {
        let mut r = Reasons(Vec::new());
        let mut foreign_ips = Vec::new();
        self.content(p, &mut r);
        if s.has_id() {
            self.novelty(s, p, others, &mut r);
            self.volume(s, p, others, &mut r);
            if let Some(b) = &p.birth {
                self.born(b, others, &mut r);
            }
            if let Some(at) = &p.place {
                self.placed(s, at, others, &mut r);
            }
            foreign_ips = self.birth(i, s, p, others, overlaps, &mut r);
        } else {
            self.without_session(s, p, others, &mut r);
        }
        let mut reasons = r.0;
        reasons.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.code.cmp(b.code)));
        let score: u32 = reasons.iter().map(|r| r.weight).sum();
        Assessment {
            risk: score.min(100),
            score,
            reasons,
            foreign_ips,
        }
    }

    /// What the session's telling records did, each judged on its own.
    fn content(&self, p: &Profile, r: &mut Reasons) {
        let unread: Vec<u32> = p
            .telling
            .iter()
            .filter(|t| t.unread.is_some())
            .map(|t| t.event)
            .collect();
        if let Some(why) = p.telling.iter().find_map(|t| t.unread.as_deref()) {
            r.add(
                Code::RecordUnread,
                5,
                format!(
                    "{} rule, forwarding or grant record(s) could not be read back, so what they did is not judged: {}",
                    unread.len(),
                    clip(why, 80)
                ),
                unread,
            );
        }
        for t in &p.telling {
            let rec = vec![t.event];
            match &t.action {
                Some(Action::Rule(rule)) if !rule.removed => {
                    let name = quoted(&rule.name);
                    let (outside, inside) = self.domains.outside_and_inside(&rule.forward_to);
                    if !outside.is_empty() {
                        r.add(
                            Code::RuleForwardsOutside,
                            40,
                            format!(
                                "mail forwarded outside the tenant, to {} ({name})",
                                list(&outside, 3)
                            ),
                            rec.clone(),
                        );
                    }
                    if !inside.is_empty() {
                        r.add(
                            Code::RuleForwardsInside,
                            8,
                            format!("{name} forwards mail to {}", list(&inside, 3)),
                            rec.clone(),
                        );
                    }
                    let hides = rule.hides();
                    if let Some(how) = &hides {
                        r.add(
                            Code::RuleHidesMail,
                            30,
                            format!("inbox rule that hides mail: {how} ({name})"),
                            rec.clone(),
                        );
                    }
                    if let Some(word) = rule.money_word() {
                        r.add(
                            Code::RuleMoneyWords,
                            30,
                            format!("inbox rule filtering on money words (\"{word}\")"),
                            rec.clone(),
                        );
                    }
                    if let Some(word) = rule.alert_word()
                        && (hides.is_some() || !outside.is_empty())
                    {
                        r.add(
                            Code::RuleHidesWarnings,
                            30,
                            format!("{name} hides warnings: it looks for \"{word}\""),
                            rec.clone(),
                        );
                    }
                    if rule.is_filing() && inside.is_empty() {
                        let into = rule
                            .move_to
                            .as_deref()
                            .map(|f| format!(" into {}", clip(f, 30)))
                            .unwrap_or_default();
                        r.add(
                            Code::RuleFilesMail,
                            2,
                            format!("{name} files mail{into}: routine"),
                            rec,
                        );
                    }
                }
                Some(Action::Forwarding(f)) => {
                    let copy = if f.keeps_copy {
                        "a copy is kept in the mailbox"
                    } else {
                        "no copy is kept: the owner no longer sees the mail"
                    };
                    let (outside, inside) = self.domains.outside_and_inside(&f.targets);
                    if !outside.is_empty() {
                        r.add(
                            Code::MailboxForwardsOutside,
                            if f.keeps_copy { 40 } else { 45 },
                            format!(
                                "mail forwarded outside the tenant, to {} (mailbox forwarding; {copy})",
                                list(&outside, 3)
                            ),
                            rec,
                        );
                    } else if !inside.is_empty() {
                        // `ForwardingAddress` names a recipient object, often a mail contact
                        // made for the purpose: where it delivers is not in the record.
                        let (named, addressed): (Vec<String>, Vec<String>) =
                            inside.into_iter().partition(|a| !a.contains('@'));
                        if !named.is_empty() {
                            r.add(
                                Code::MailboxForwardsToRecipient,
                                25,
                                format!(
                                    "mailbox forwarding set to the recipient {} ({copy}); the record does not say where it delivers: check whether it is a contact outside the tenant",
                                    list(&named, 3)
                                ),
                                rec.clone(),
                            );
                        }
                        if !addressed.is_empty() {
                            r.add(
                                Code::MailboxForwardsInside,
                                10,
                                format!(
                                    "mailbox forwarding set to {} ({copy})",
                                    list(&addressed, 3)
                                ),
                                rec,
                            );
                        }
                    }
                }
                Some(Action::Grant(g)) => {
                    let who = g.grantee.as_deref().unwrap_or("?");
                    let what = format!(
                        "{} on {}{} to {}",
                        g.rights.join(","),
                        g.mailbox.as_deref().unwrap_or("the mailbox"),
                        g.folder.as_deref().unwrap_or(""),
                        who
                    );
                    let (code, weight) = match g.scope {
                        GrantScope::FullAccess | GrantScope::Send => (Code::GrantMailbox, 35),
                        GrantScope::Inbox => (Code::GrantInbox, 30),
                        _ if g.to_everyone() && g.scope != GrantScope::Routine => {
                            (Code::GrantEveryone, 30)
                        }
                        GrantScope::Folder => (Code::GrantFolder, 10),
                        GrantScope::Routine => (Code::GrantRoutine, 2),
                    };
                    let text = match g.scope {
                        GrantScope::Routine => format!("permission granted: {what} (routine)"),
                        _ if g.to_everyone() => {
                            format!("permission granted to everyone: {what}")
                        }
                        _ => format!("permission granted: {what}"),
                    };
                    r.add(code, weight, text, rec);
                }
                Some(Action::App(a)) => {
                    let app = a.app.as_deref().unwrap_or("an application");
                    let mail = a.mail_scopes();
                    let all = if a.admin_consent {
                        ", for all users"
                    } else {
                        ""
                    };
                    match (t.kind, mail.is_empty()) {
                        (Kind::AppRegistration, _) => r.add(
                            Code::AppRegistered,
                            20,
                            format!("service principal or credentials added: {app}"),
                            rec,
                        ),
                        (Kind::Consent, false) => r.add(
                            Code::ConsentMailScopes,
                            40,
                            format!("consent to {app} with mail scopes {}{all}", mail.join(" ")),
                            rec,
                        ),
                        (_, false) => r.add(
                            Code::AppGrantMailScopes,
                            40,
                            format!("mail scopes {} granted to {app}{all}", mail.join(" ")),
                            rec,
                        ),
                        (kind, true) => r.add(
                            if kind == Kind::Consent {
                                Code::Consent
                            } else {
                                Code::AppGrant
                            },
                            10,
                            format!(
                                "consent or grant to {app}: {}{all}",
                                if a.scopes.is_empty() {
                                    "no scope named".to_string()
                                } else {
                                    list(&a.scopes, 6)
                                }
                            ),
                            rec,
                        ),
                    }
                }
                _ => {}
            }
        }
    }

    /// How the session was born (its first interactive sign-in), against how the user's other
    /// sessions were.
    fn born(&self, b: &sessionscope_core::signin::SignIn, others: &Others<'_>, r: &mut Reasons) {
        // The record behind these is the sign-in, not an audit record: its id is named.
        let when = match &b.id {
            Some(id) => format!("{}, sign-in {id}", sessionscope_core::time::rfc3339(b.time)),
            None => sessionscope_core::time::rfc3339(b.time),
        };
        let from = b.ip.as_deref().unwrap_or("an unknown IP");
        if let Some(protocol) = b.risky_protocol() {
            let how = if protocol.eq_ignore_ascii_case("deviceCode") {
                "a device code sign-in, the way device-code phishing signs in"
            } else {
                "ROPC, a password sent by a program"
            };
            r.add(
                Code::BornRiskyProtocol,
                30,
                format!("born by {how} ({when}, from {from})"),
                Vec::new(),
            );
        }
        if let Some(risk) = b
            .risk
            .as_deref()
            .filter(|r| r.eq_ignore_ascii_case("medium") || r.eq_ignore_ascii_case("high"))
        {
            r.add(
                Code::BornAtRisk,
                20,
                format!("Entra rated the sign-in that began it {risk} risk ({when})"),
                Vec::new(),
            );
        }
        if !b.is_mfa() && b.requirement.is_some() {
            let always = others.always_mfa(false);
            r.add(
                Code::BornWithoutMfa,
                if always { 20 } else { 5 },
                format!(
                    "born with a single factor{}",
                    if always {
                        ", where every other session of the user passed MFA"
                    } else {
                        ""
                    }
                ),
                Vec::new(),
            );
        }
        if b.compliant == Some(false) && others.always_compliant(false) {
            let device: Vec<&str> = [b.os.as_deref(), b.browser.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            r.add(
                Code::BornNonCompliant,
                15,
                format!(
                    "born on a non-compliant device ({}); the user's other sessions came from compliant ones",
                    device.join(" / ")
                ),
                Vec::new(),
            );
        }
    }

    /// Where the session was born, against where the user's other sessions were: a sign-in's
    /// country and ASN, or those an IP database gives its first IP.
    fn placed(&self, s: &Session, at: &super::profile::Born, others: &Others<'_>, r: &mut Reasons) {
        let known = others.placed(true);
        // The session's first action from the IP it began on.
        let first: Vec<u32> = s
            .events
            .iter()
            .copied()
            .find(|&e| self.store.str(self.store.events[e as usize].ip) == at.ip)
            .into_iter()
            .collect();
        // Against a single other session "new" says as much about that one as about this.
        if known < 2 {
            return;
        }
        let verb = if at.by_sign_in { "born" } else { "first seen" };
        if let Some(country) = at.place.country.as_deref()
            && !others.born_in(country)
        {
            let usual = others.birth_countries(Some(country));
            r.add(
                Code::BornNewCountry,
                20,
                format!(
                    "{verb} in {country}{}, where none of the user's {known} other sessions began{}",
                    at.place
                        .city
                        .as_deref()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default(),
                    if usual.is_empty() {
                        String::new()
                    } else {
                        format!(" (they began in {})", usual.join(", "))
                    }
                ),
                first.clone(),
            );
        }
        if let Some(asn) = at.place.asn
            && !others.born_from_asn(asn)
        {
            let org = at
                .place
                .as_org
                .as_deref()
                .map(|o| format!(" {o}"))
                .unwrap_or_default();
            r.add(
                Code::BornNewAsn,
                15,
                format!(
                    "{verb} from AS{asn}{org} ({}), a network none of the user's other sessions began on",
                    at.ip
                ),
                first.clone(),
            );
        }
    }

    /// Rules and grants of a kind the user's other sessions never made: context, since what
    /// they did is judged by [`Self::content`].
    fn novelty(&self, s: &Session, p: &Profile, others: &Others<'_>, r: &mut Reasons) {
        let store = self.store;
        let n = others.sessions();
        let compared = match n {
            0 => "no other session of this user to compare with".to_string(),
            1 => "not in the user's other session".to_string(),
            n => format!("not in the user's {n} other sessions"),
        };
        for &(op, count) in &s.operations {
            if others.has_op(op) {
                continue;
            }
            let name = store.str(op);
            let what = match audit::classify(name) {
                Kind::RuleChange => "inbox rule created or changed",
                Kind::PermissionGrant => "permission granted",
                Kind::Consent | Kind::AppGrant | Kind::AppRegistration => "application access",
                _ => continue,
            };
            let of_op: Vec<&super::profile::Telling> = p
                .telling
                .iter()
                .filter(|t| store.events[t.event as usize].operation == op)
                .collect();
            // A filing rule or a calendar share is no news for being the first.
            let routine = !of_op.is_empty()
                && of_op.iter().all(|t| match &t.action {
                    Some(Action::Rule(rule)) => rule.is_filing() && rule.forward_to.is_empty(),
                    Some(Action::Grant(g)) => g.scope == GrantScope::Routine,
                    _ => false,
                });
            if routine {
                continue;
            }
            let records = of_op.iter().map(|t| t.event).collect();
            r.add(
                Code::NewOperation,
                5,
                format!("{what} ({name} ×{count}); {compared}"),
                records,
            );
        }
    }

    /// How much mail the session read, deleted and sent, against the user's other sessions.
    fn volume(&self, s: &Session, p: &Profile, others: &Others<'_>, r: &mut Reasons) {
        if others.sessions() == 0 {
            return;
        }
        let mut tally = |code, weight, text, what: Counted, events: usize| {
            let records = first_counted(self.store, self.kinds, s, what);
            r.push(code, weight, text, records, events);
        };
        // (code, what, tally, at least, the others' most, weight, weight when far above, words)
        let checks = [
            (
                Code::MassRead,
                Counted::Opened,
                p.opened,
                100,
                others.max_opened(),
                (25, 30),
                "mail items opened (MailItemsAccessed Bind); the user's sessions opened at most",
            ),
            (
                Code::MassSync,
                Counted::Synced,
                p.synced,
                500,
                others.max_synced(),
                (20, 20),
                "mail items synced (MailItemsAccessed Sync); the user's sessions synced at most",
            ),
            (
                Code::MassDelete,
                Counted::Deleted,
                p.deleted,
                20,
                others.max_deleted(),
                (25, 25),
                "items deleted; the user's sessions deleted at most",
            ),
        ];
        for (code, what, t, at_least, max, (weight, far), words) in checks {
            if t.total >= at_least && t.total > max * 3 {
                let weight = if t.total > max.max(10) * 10 {
                    far
                } else {
                    weight
                };
                tally(
                    code,
                    weight,
                    format!("{} {words} {max}", t.total),
                    what,
                    t.events,
                );
            }
        }
        if p.sent.events > 0 && !others.sent(true) {
            tally(
                Code::SentMail,
                10,
                format!(
                    "{} message(s) sent; the user's other sessions sent none",
                    p.sent.events
                ),
                Counted::Sent,
                p.sent.events,
            );
        }
    }

    /// Where and how the session was used: networks, clients, protocols, hours, age, and
    /// other sessions beside it on the same IP. Returns the IPs of a session used from two
    /// places at once that are not the user's own.
    fn birth(
        &self,
        i: usize,
        s: &Session,
        p: &Profile,
        others: &Others<'_>,
        overlaps: &[Overlap],
        r: &mut Reasons,
    ) -> Vec<Sym> {
        let mut foreign_ips = Vec::new();
        let store = self.store;
        let n_others = others.sessions();
        // The first event on each network, found in one pass over the session when a reason
        // first asks: asking per network, each a pass, was quadratic for a session hopping
        // across thousands of networks.
        let firsts: std::cell::OnceCell<rustc_hash::FxHashMap<u32, u32>> = Default::default();
        let first_event_on = |net: u32| {
            firsts
                .get_or_init(|| {
                    let mut first = rustc_hash::FxHashMap::default();
                    for &e in s.events.iter() {
                        if let Some(n) = self.networks.of(store.events[e as usize].ip) {
                            first.entry(n).or_insert(e);
                        }
                    }
                    first
                })
                .get(&net)
                .copied()
        };
        if n_others > 0
            && let Some(replay) = replay::detect(store, s, self.networks, |n| others.has_network(n))
        {
            // A phone moving between carrier networks and Wi-Fi looks alike: for a user who
            // often appears from new networks it is a question, not an alarm.
            let roaming = others.roaming_share(true) >= 0.3;
            r.add(
                Code::TokenReplay,
                if roaming { 10 } else { 50 },
                format!(
                    "used from {}, the user's own, and {} other networks within {}, {} apart: the session or its token may be stolen{}",
                    store.str(replay.home_ip),
                    replay.foreign_networks,
                    spoken(replay.span),
                    spoken(replay.closest),
                    if roaming {
                        " (though this user often appears from new networks, as a phone does)"
                    } else {
                        ""
                    }
                ),
                replay.foreign_events.clone(),
            );
            foreign_ips = replay.foreign_ips;
        }
        if s.ips.len() >= 3 && s.ips.len() as u64 > others.max_ips().max(1) * 2 && n_others > 0 {
            let firsts: Vec<u32> = p
                .networks
                .iter()
                .filter_map(|&n| first_event_on(n))
                .collect();
            r.add(
                Code::ManyNetworks,
                25,
                format!(
                    "{} IPs in {} across {} networks; the user's sessions normally use {}",
                    s.ips.len(),
                    short_duration(s.last - s.first),
                    p.networks.len(),
                    others.max_ips().max(1)
                ),
                firsts,
            );
        }
        let new_nets: Vec<u32> = p
            .networks
            .iter()
            .copied()
            .filter(|&n| !others.has_network(n))
            .collect();
        if n_others >= 2 && !new_nets.is_empty() {
            let names: Vec<String> = new_nets
                .iter()
                .map(|&n| self.networks.name(n).to_string())
                .collect();
            let firsts: Vec<u32> = new_nets.iter().filter_map(|&n| first_event_on(n)).collect();
            let roaming = others.roaming_share(true);
            if roaming < 0.3 {
                r.add(
                    Code::NewNetwork,
                    15,
                    format!(
                        "from networks this user never used in {n_others} other sessions: {}",
                        list(&names, 3)
                    ),
                    firsts,
                );
            } else {
                r.add(
                    Code::NewNetworkRoaming,
                    2,
                    format!(
                        "from networks new for this user ({}), who often appears from new ones ({:.0}% of sessions)",
                        list(&names, 3),
                        roaming * 100.0
                    ),
                    firsts,
                );
            }
        }
        let new_client = s.clients.iter().copied().find(|&c| !others.has_client(c));
        if n_others > 0 {
            let new_protocols: Vec<&str> = p
                .protocols
                .iter()
                .copied()
                .filter(|&proto| !others.has_protocol(proto))
                .collect();
            let client_events = |c: Sym| {
                s.events
                    .iter()
                    .copied()
                    .find(|&e| store.events[e as usize].client == c)
                    .into_iter()
                    .collect::<Vec<u32>>()
            };
            if !new_protocols.is_empty() {
                let usual = others.protocols(&p.protocols);
                r.add(
                    Code::NewProtocol,
                    15,
                    format!(
                        "actions over {}; this account normally works through {}",
                        new_protocols.join(", "),
                        if usual.is_empty() {
                            "nothing else".to_string()
                        } else {
                            usual.join(", ")
                        }
                    ),
                    // The session's first action over each new protocol.
                    new_protocols
                        .iter()
                        .filter_map(|&proto| {
                            s.events.iter().copied().find(|&e| {
                                let c = store.events[e as usize].client;
                                !c.is_empty() && audit::protocol(store.str(c)) == proto
                            })
                        })
                        .collect(),
                );
            } else if let Some(c) = new_client {
                r.add(
                    Code::NewClient,
                    10,
                    format!(
                        "client never seen for this user: {}",
                        clip(store.str(c), 60)
                    ),
                    client_events(c),
                );
            }
            let own_hours = p.hours;
            let usual = others.hours(own_hours);
            let odd = (0..24)
                .filter(|&h| (own_hours >> h) & 1 == 1 && !others.has_hour(h))
                .count();
            if odd > 0 && usual != 0 {
                let lo = usual.trailing_zeros();
                let hi = 31 - usual.leading_zeros();
                r.add(
                    Code::OddHours,
                    5,
                    format!(
                        "active at hours the user never is ({odd} new hour(s); usual {lo:02}-{hi:02} UTC)"
                    ),
                    s.events
                        .iter()
                        .copied()
                        .filter(|&e| {
                            let h = (store.events[e as usize].time % 86_400) / 3600;
                            !others.has_hour(h as usize)
                        })
                        .take(MAX_NAMED)
                        .collect(),
                );
            }
            let lived = (s.last - s.first).max(0) as u64;
            let longest = others.max_duration();
            if n_others >= 2 && lived >= 2 * 86_400 && lived > longest * 3 {
                r.add(
                    Code::LongLived,
                    20,
                    format!(
                        "one session active for {}; the user's other sessions lasted at most {}",
                        short_duration(lived as i64),
                        short_duration(longest as i64)
                    ),
                    vec![s.events[0], *s.events.last().unwrap_or(&s.events[0])],
                );
            }
        }
        let automation: Vec<Sym> = s
            .clients
            .iter()
            .copied()
            .filter(|&c| audit::is_automation(store.str(c)))
            .collect();
        if let Some(&c) = automation.first() {
            let routine = others.automated(true);
            r.add(
                if routine {
                    Code::AutomationClientRoutine
                } else {
                    Code::AutomationClient
                },
                if routine { 2 } else { 20 },
                format!(
                    "automation client{}: {}",
                    if routine {
                        ", as in the user's other sessions"
                    } else {
                        " on a human account"
                    },
                    clip(store.str(c), 60)
                ),
                s.events
                    .iter()
                    .copied()
                    .filter(|&e| store.events[e as usize].client == c)
                    .take(MAX_NAMED)
                    .collect(),
            );
        }
        if let Some(o) = overlaps.first() {
            let ip = store.str(o.ip);
            let other = &store.sessions[o.other];
            if new_client.is_some() && n_others > 0 {
                r.add(
                    Code::SameIpNewClient,
                    25,
                    format!(
                        "a second session beside the user's own on the same IP ({ip}) with a client the user's sessions never used: the IP cannot tell them apart, the session can"
                    ),
                    vec![s.events[0]],
                );
            } else if s.first > other.first || (s.first == other.first && i > o.other) {
                r.add(
                    Code::SameIpSecondSession,
                    10,
                    format!(
                        "a second session from the same IP at the same time as the user's own ({ip}): the IP cannot tell them apart, the session can"
                    ),
                    vec![s.events[0]],
                );
            }
        }
        foreign_ips
    }

    /// A user's activity without a session ID: password-only protocols, and networks none of
    /// the user's sessions used.
    fn without_session(&self, s: &Session, p: &Profile, others: &Others<'_>, r: &mut Reasons) {
        let store = self.store;
        let legacy: Vec<Sym> = s
            .clients
            .iter()
            .copied()
            .filter(|&c| audit::is_legacy_auth(store.str(c)))
            .collect();
        if !legacy.is_empty() {
            let events: Vec<u32> = s
                .events
                .iter()
                .copied()
                .filter(|&e| legacy.contains(&store.events[e as usize].client))
                .collect();
            let ips: Vec<String> = {
                let mut v: Vec<Sym> = events
                    .iter()
                    .map(|&e| store.events[e as usize].ip)
                    .filter(|ip| !ip.is_empty())
                    .collect();
                v.sort_unstable();
                v.dedup();
                v.iter().map(|&ip| store.str(ip).to_string()).collect()
            };
            let protocols: Vec<&str> = {
                let mut v: Vec<&str> = legacy
                    .iter()
                    .map(|&c| audit::protocol(store.str(c)))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let total = events.len();
            r.push(
                Code::LegacyAuth,
                30,
                format!(
                    "{total} action(s) over {} with a password alone (basic auth or ROPC, no Azure AD session), from {}",
                    protocols.join(", "),
                    if ips.is_empty() {
                        "no recorded IP".to_string()
                    } else {
                        list(&ips, 3)
                    }
                ),
                events,
                total,
            );
        }
        for &c in &s.clients {
            let Some(app) = audit::app_of_client(store.str(c)) else {
                continue;
            };
            if audit::first_party_app(app).is_some() || others.has_client(c) {
                continue;
            }
            let events: Vec<u32> = s
                .events
                .iter()
                .copied()
                .filter(|&e| store.events[e as usize].client == c)
                .collect();
            let total = events.len();
            r.push(
                Code::AppOnlyAccess,
                25,
                format!(
                    "{total} action(s) on this mailbox by application {} with no user session, an app none of the user's sessions used",
                    clip(app, 40)
                ),
                events,
                total,
            );
        }
        if others.sessions() > 0 {
            let new_nets: Vec<u32> = p
                .networks
                .iter()
                .copied()
                .filter(|&n| !others.has_network(n))
                .collect();
            if !new_nets.is_empty() && others.roaming_share(false) < 0.3 {
                let names: Vec<String> = new_nets
                    .iter()
                    .map(|&n| self.networks.name(n).to_string())
                    .collect();
                let firsts: Vec<u32> = new_nets
                    .iter()
                    .filter_map(|&n| {
                        s.events
                            .iter()
                            .copied()
                            .find(|&e| self.networks.of(store.events[e as usize].ip) == Some(n))
                    })
                    .collect();
                r.add(
                    Code::NewNetwork,
                    15,
                    format!(
                        "from networks none of the user's {} sessions used: {}",
                        others.sessions(),
                        list(&names, 3)
                    ),
                    firsts,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guest_from_a_mail_service_does_not_make_it_the_tenants() {
        let d = Domains::of_users(["alex@contoso.com", "bob@gmail.com", "NT AUTHORITY\\SYSTEM"]);
        assert!(d.internal("lee@contoso.com"));
        assert!(d.internal("Lee@Contoso.onmicrosoft.com"));
        assert!(!d.internal("drop@gmail.com"));
        assert!(!d.internal("drop@proton-mail.example"));
        assert_eq!(
            d.outside_and_inside(&["a@gmail.com".into(), "b@contoso.com".into()]),
            (
                vec!["a@gmail.com".to_string()],
                vec!["b@contoso.com".to_string()]
            )
        );
    }
}
