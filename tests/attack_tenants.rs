//! Risk scores on generated tenants with every attack kind and benign heavy users: every
//! attacker session must rank above all of its victim's own sessions, and the tenant's top
//! sessions must be the attacks, with a clear margin over the first benign one.

mod common;
use common::*;
use sessionscope::analysis::{Assessment, assess_all};
use sessionscope::intern::Sym;
use sessionscope::store::Store;
use sessionscope_synth::attacks::{Attack, AttackTenant, attack_tenant};

/// Points between the weakest attack and the strongest benign session.
const MARGIN: u32 = 10;

fn load_tenant(t: &AttackTenant, name: &str) -> Store {
    let text: Vec<String> = t.records.iter().map(|v| v.to_string()).collect();
    let path = write_temp(name, text.join("\n").as_bytes());
    let (store, report) = load_files(&[path]);
    assert_eq!(report.skipped(), 0);
    store
}

fn index_of(store: &Store, user: &str, session: Option<&str>) -> usize {
    let u = store
        .lookup(user)
        .unwrap_or_else(|| panic!("no user {user}"));
    let id = session.map_or(Sym::EMPTY, |s| store.lookup(s).expect("session loaded"));
    store.session_index(id, u).expect("planted session loaded")
}

fn board(store: &Store, all: &[Assessment], order: &[usize], n: usize) -> String {
    order
        .iter()
        .take(n)
        .map(|&i| {
            let s = &store.sessions[i];
            format!(
                "{:3} {:4} {} {} {:?}\n",
                all[i].risk,
                all[i].score,
                store.str(s.user),
                store.str(s.id),
                all[i].texts()
            )
        })
        .collect()
}

#[test]
fn attacks_outrank_their_victims_and_top_the_tenant() {
    for seed in 1..=5 {
        let tenant = attack_tenant(seed);
        let store = load_tenant(&tenant, &format!("attacks-{seed}.jsonl"));
        let all = assess_all(&store, None);
        let attacks: Vec<(Attack, usize)> = tenant
            .attacks
            .iter()
            .map(|p| (p.attack, index_of(&store, &p.user, p.session.as_deref())))
            .collect();
        assert_eq!(attacks.len(), Attack::ALL.len());
        let mut order: Vec<usize> = (0..store.sessions.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse((all[i].risk, all[i].score)));
        let shown = board(&store, &all, &order, 16);
        for &(attack, i) in &attacks {
            let victim = store.sessions[i].user;
            for j in store.sessions_of_user(victim).iter().map(|&j| j as usize) {
                assert!(
                    j == i || all[i].risk > all[j].risk,
                    "seed {seed}: {attack:?} ({}) does not outrank the victim's {} ({}):\n{shown}",
                    all[i].risk,
                    store.str(store.sessions[j].id),
                    all[j].risk
                );
            }
        }
        let k = attacks.len();
        let mut top: Vec<usize> = order[..k].to_vec();
        top.sort_unstable();
        let mut planted: Vec<usize> = attacks.iter().map(|&(_, i)| i).collect();
        planted.sort_unstable();
        assert_eq!(
            top, planted,
            "seed {seed}: the top {k} are not the attacks:\n{shown}"
        );
        let weakest = attacks.iter().map(|&(_, i)| all[i].risk).min().unwrap();
        let strongest_benign = all[order[k]].risk;
        assert!(
            weakest >= strongest_benign + MARGIN,
            "seed {seed}: margin {weakest} vs {strongest_benign}:\n{shown}"
        );
    }
}

fn codes(a: &Assessment) -> Vec<&'static str> {
    a.reasons.iter().map(|r| r.code).collect()
}

#[test]
fn each_attack_is_named_for_what_it_did() {
    let tenant = attack_tenant(7);
    let store = load_tenant(&tenant, "attacks-named.jsonl");
    let all = assess_all(&store, None);
    for p in &tenant.attacks {
        let a = &all[index_of(&store, &p.user, p.session.as_deref())];
        let expected = match p.attack {
            Attack::SameIp => "same_ip_new_client",
            Attack::VpnHopping => "many_networks",
            Attack::TokenReplay => "token_replay",
            Attack::LegacyAuth => "legacy_auth",
            Attack::AitmMassRead => "mass_read",
            Attack::BecSameClient => "rule_money_words",
            Attack::OauthConsent => "consent_mail_scopes",
            Attack::ForwardingOnly => "mailbox_forwards_outside",
            Attack::LowAndSlow => "long_lived",
        };
        assert!(
            codes(a).contains(&expected),
            "{:?}: {expected} missing from {:?}",
            p.attack,
            a.texts()
        );
    }
    let replay = tenant
        .attacks
        .iter()
        .find(|p| p.attack == Attack::TokenReplay)
        .unwrap();
    let a = &all[index_of(&store, &replay.user, replay.session.as_deref())];
    assert_eq!(a.reasons[0].code, "token_replay", "{:?}", a.texts());
    assert!(
        a.reasons[0].text.contains(", the user's own, and ")
            && a.reasons[0].text.contains("other networks within"),
        "{}",
        a.reasons[0].text
    );
    let forwarding = tenant
        .attacks
        .iter()
        .find(|p| p.attack == Attack::ForwardingOnly)
        .unwrap();
    let a = &all[index_of(&store, &forwarding.user, forwarding.session.as_deref())];
    assert!(
        a.texts().iter().any(|t| t.contains("no copy is kept")),
        "{:?}",
        a.texts()
    );
}

#[test]
fn benign_heavy_users_stay_background() {
    let tenant = attack_tenant(3);
    let store = load_tenant(&tenant, "attacks-benign.jsonl");
    let all = assess_all(&store, None);
    for (what, user) in &tenant.heavy_users {
        let u = store.lookup(user).unwrap();
        for i in store.sessions_of_user(u).iter().map(|&i| i as usize) {
            let alarming: Vec<&str> = all[i]
                .reasons
                .iter()
                .filter(|r| r.weight >= sessionscope::analysis::ALARMING)
                .map(|r| r.text.as_str())
                .collect();
            assert!(alarming.is_empty(), "{what} {user}: {alarming:?}");
        }
    }
}

#[test]
fn every_reason_names_the_records_behind_it() {
    let tenant = attack_tenant(2);
    let store = load_tenant(&tenant, "attacks-records.jsonl");
    let all = assess_all(&store, None);
    let mut seen = 0;
    for (i, a) in all.iter().enumerate() {
        for r in &a.reasons {
            seen += 1;
            assert!(
                r.record_count > 0 && !r.records.is_empty() && r.records.len() <= 50,
                "{} {}: {} has no records",
                store.str(store.sessions[i].user),
                store.str(store.sessions[i].id),
                r.code
            );
            for &e in &r.records {
                let owner = store.session_of(&store.events[e as usize]);
                assert_eq!(owner, Some(i), "{}: a record of another session", r.code);
            }
        }
    }
    assert!(seen > 50, "{seen}");
}
