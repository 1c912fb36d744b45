//! What the attacker changed, item by item, and what to do about each: from what the action
//! is ([`Kind`], or its operation for SharePoint sharing, groups and failed sign-ins) and what
//! its record says it did. Items alike (one account, one category, the same advice) are one
//! checklist line with their count and names.

use crate::audit::{Action, Grant, GrantScope, Kind, Rule};
use serde::Serialize;

/// The checklist's categories, in the order it lists them.
pub const CATEGORIES: &[&str] = &[
    "inbox rule",
    "forwarding",
    "permission",
    "sharing",
    "group membership",
    "application",
    "deleted mail",
    "sent mail",
    "failed sign-in",
];

/// SharePoint and OneDrive operations that share a file or folder, or change a sharing link.
const SHARING: &[&str] = &[
    "AnonymousLinkCreated",
    "AnonymousLinkUpdated",
    "CompanyLinkCreated",
    "SecureLinkCreated",
    "AddedToSecureLink",
    "SharingInvitationCreated",
    "SharingSet",
    "SharingInheritanceBroken",
];

/// Group membership changes: Entra, Microsoft 365 groups and distribution lists, SharePoint.
const GROUP: &[&str] = &[
    "Add member to group.",
    "Remove member from group.",
    "Add owner to group.",
    "Add-DistributionGroupMember",
    "Remove-DistributionGroupMember",
    "Add-UnifiedGroupLinks",
    "Remove-UnifiedGroupLinks",
    "AddedToGroup",
    "RemovedFromGroup",
];

/// One change of an action: its category, what to do (fitted to what the record says), and
/// the name it goes by in a list of many (a rule's name, a folder, an app, a subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub category: &'static str,
    pub what_to_do: String,
    pub name: Option<String>,
}

fn change(category: &'static str, what_to_do: impl Into<String>, name: Option<String>) -> Change {
    Change {
        category,
        what_to_do: what_to_do.into(),
        name,
    }
}

fn list(v: &[String]) -> String {
    v.join(", ")
}

fn rule_advice(r: &Rule) -> String {
    let mut said = vec!["remove the rule".to_string()];
    if !r.forward_to.is_empty() {
        said.push(format!(
            "it forwards mail to {}: find what left in a message trace and block the address",
            list(&r.forward_to)
        ));
    }
    if r.deletes {
        said.push("it deletes mail: recover it from Recoverable Items".into());
    }
    if let Some(folder) = &r.move_to {
        said.push(format!(
            "it moves mail to {folder}: look there for what it hid"
        ));
    }
    if r.marks_read && r.forward_to.is_empty() {
        said.push("it marks mail read, so the owner misses it".into());
    }
    said.join("; ")
}

/// What to do about a grant; the folder or mailbox is the item's name, so that grants alike
/// on several folders are one line.
fn grant_advice(g: &Grant) -> String {
    let grantee = g.grantee.as_deref().unwrap_or("someone");
    if g.to_everyone() {
        return format!(
            "remove the {} right given to everyone ({grantee}): anyone in the tenant can read what it covers",
            list(&g.rights)
        );
    }
    match g.scope {
        GrantScope::FullAccess => format!("remove {grantee}'s full access"),
        GrantScope::Send => format!("remove {grantee}'s right to send as or for the mailbox"),
        _ => format!("remove the {} right given to {grantee}", list(&g.rights)),
    }
}

/// The change an action made, if it made one to undo or to follow up.
pub fn change_of(kind: Kind, action: Option<&Action>, operation: &str) -> Option<Change> {
    let op = operation.trim();
    if SHARING.contains(&op) {
        let advice = if op.starts_with("Anonymous") {
            "delete the anonymous link: anyone who has it can open the file, no sign-in needed"
        } else {
            "remove the sharing given, and check who opened what was shared"
        };
        return Some(change("sharing", advice, None));
    }
    if GROUP.contains(&op) {
        return Some(change(
            "group membership",
            "undo the membership change, and check what the group gives its members",
            None,
        ));
    }
    if op == "UserLoginFailed" {
        return Some(change(
            "failed sign-in",
            "failed sign-ins: the password may have been guessed or sprayed; check the account's sign-in log",
            None,
        ));
    }
    Some(match (kind, action) {
        (Kind::RuleRemoval, rule)
        | (Kind::RuleChange, rule @ Some(Action::Rule(Rule { removed: true, .. }))) => {
            let name = match rule {
                Some(Action::Rule(r)) => Some(r.name.clone()),
                _ => None,
            };
            change(
                "inbox rule",
                "a rule was removed or switched off: check which, and restore it if the user relied on it",
                name,
            )
        }
        (Kind::RuleChange, Some(Action::Rule(r))) => {
            change("inbox rule", rule_advice(r), Some(r.name.clone()))
        }
        (Kind::RuleChange, _) => change(
            "inbox rule",
            "remove or restore the rule (its record says no more)",
            None,
        ),
        (_, Some(Action::Forwarding(f))) => {
            let kept = if f.keeps_copy {
                " (the owner kept a copy, so nothing looked missing)"
            } else {
                ""
            };
            change(
                "forwarding",
                format!(
                    "clear the mailbox forwarding to {}{kept}; find what was forwarded in a message trace",
                    list(&f.targets)
                ),
                Some(list(&f.targets)),
            )
        }
        (Kind::PermissionGrant, Some(Action::Grant(g)))
        | (Kind::MailboxSettings, Some(Action::Grant(g))) => change(
            "permission",
            grant_advice(g),
            g.folder.clone().or_else(|| g.mailbox.clone()),
        ),
        (Kind::PermissionGrant, _) => change("permission", "remove the permission granted", None),
        (Kind::Consent | Kind::AppGrant | Kind::AppRegistration, app) => {
            let (name, scopes, registration) = match app {
                Some(Action::App(a)) => (a.app.clone(), a.scopes.clone(), a.registration),
                _ => (None, Vec::new(), kind == Kind::AppRegistration),
            };
            let advice = if registration {
                "remove the service principal, or the credentials added to it, if nobody in the tenant knows it".to_string()
            } else if scopes.is_empty() {
                "revoke the consent and the app's permission grants; remove the app if nobody uses it".to_string()
            } else {
                format!(
                    "revoke the consent and the app's permission grants ({}); remove the app if nobody uses it",
                    list(&scopes)
                )
            };
            change("application", advice, name)
        }
        (Kind::Delete, _) => change(
            "deleted mail",
            "recover the items from Recoverable Items and read them: they are what the attacker hid",
            None,
        ),
        (Kind::Send, _) => change(
            "sent mail",
            "warn the recipients: the message came from the attacker, not the account's owner",
            None,
        ),
        _ => return None,
    })
}

/// One line of the checklist: the changes alike of one account, with how many, their names,
/// and the records behind them.
#[derive(Debug, Serialize)]
pub struct Remedy {
    pub category: &'static str,
    pub what_to_do: String,
    /// The first item's session.
    pub session_id: String,
    pub session_ids: Vec<String>,
    pub user: String,
    /// The first item's time; `last_time` the last's.
    pub time: String,
    pub last_time: String,
    /// The operations behind it, each once.
    pub operation: String,
    pub target: Option<String>,
    /// What the first item did.
    pub detail: String,
    pub count: usize,
    /// The items' names (rules, folders, apps, subjects), each once, in time order.
    pub names: Vec<String>,
    /// The `Id` of every record behind it.
    pub record_ids: Vec<String>,
}

/// One change, where it happened.
pub struct Item {
    pub change: Change,
    pub session_id: String,
    pub user: String,
    pub time: String,
    pub operation: String,
    pub target: Option<String>,
    pub detail: String,
    pub record_id: Option<String>,
}

/// The items grouped into checklist lines (one account, one category, one advice), in the
/// order of [`CATEGORIES`], then of their first time.
pub fn group(items: Vec<Item>) -> Vec<Remedy> {
    let mut lines: Vec<Remedy> = Vec::new();
    let mut sorted = items;
    sorted.sort_by(|a, b| a.time.cmp(&b.time));
    for item in sorted {
        let at = lines.iter().position(|r| {
            r.category == item.change.category
                && r.user == item.user
                && r.what_to_do == item.change.what_to_do
        });
        let line = match at {
            Some(i) => &mut lines[i],
            None => {
                lines.push(Remedy {
                    category: item.change.category,
                    what_to_do: item.change.what_to_do.clone(),
                    session_id: item.session_id.clone(),
                    session_ids: Vec::new(),
                    user: item.user.clone(),
                    time: item.time.clone(),
                    last_time: item.time.clone(),
                    operation: String::new(),
                    target: item.target.clone(),
                    detail: item.detail.clone(),
                    count: 0,
                    names: Vec::new(),
                    record_ids: Vec::new(),
                });
                lines.last_mut().expect("just pushed")
            }
        };
        line.count += 1;
        line.last_time = item.time;
        if !line.session_ids.contains(&item.session_id) {
            line.session_ids.push(item.session_id);
        }
        if !line.operation.split(", ").any(|o| o == item.operation) {
            if !line.operation.is_empty() {
                line.operation.push_str(", ");
            }
            line.operation.push_str(&item.operation);
        }
        if let Some(name) = item.change.name.filter(|n| !n.is_empty())
            && !line.names.contains(&name)
        {
            line.names.push(name);
        }
        line.record_ids.extend(item.record_id);
    }
    lines.sort_by_key(|r| {
        (
            CATEGORIES.iter().position(|c| *c == r.category),
            r.time.clone(),
        )
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, forward: &[&str], deletes: bool) -> Action {
        Action::Rule(Rule {
            name: name.into(),
            forward_to: forward.iter().map(|s| s.to_string()).collect(),
            deletes,
            ..Rule::default()
        })
    }

    #[test]
    fn a_rule_is_told_what_to_check_by_what_it_does() {
        let forwards = change_of(
            Kind::RuleChange,
            Some(&rule("x", &["a@evil.example"], false)),
            "New-InboxRule",
        )
        .unwrap();
        assert!(
            forwards
                .what_to_do
                .contains("forwards mail to a@evil.example"),
            "{forwards:?}"
        );
        let hides = change_of(
            Kind::RuleChange,
            Some(&rule("y", &[], true)),
            "New-InboxRule",
        )
        .unwrap();
        assert!(!hides.what_to_do.contains("forward"), "{hides:?}");
        assert!(
            hides
                .what_to_do
                .contains("recover it from Recoverable Items")
        );
        assert_eq!(hides.name.as_deref(), Some("y"));
        let sharing = change_of(Kind::Other, None, "AnonymousLinkCreated").unwrap();
        assert_eq!(sharing.category, "sharing");
        let group = change_of(Kind::Other, None, "Add member to group.").unwrap();
        assert_eq!(group.category, "group membership");
        assert!(change_of(Kind::Read, None, "MailItemsAccessed").is_none());
    }

    #[test]
    fn rules_alike_are_one_line_with_their_count_and_names() {
        let item = |name: &str, t: &str| Item {
            change: change_of(
                Kind::RuleChange,
                Some(&rule(name, &[], true)),
                "New-InboxRule",
            )
            .unwrap(),
            session_id: "s1".into(),
            user: "a@contoso.com".into(),
            time: t.into(),
            operation: "New-InboxRule".into(),
            target: None,
            detail: format!("rule {name}"),
            record_id: Some(format!("id-{name}")),
        };
        let mut items: Vec<Item> = (0..38)
            .map(|i| item(&format!("r{i}"), &format!("2024-03-12T10:{:02}:00Z", i)))
            .collect();
        items.push(Item {
            change: change_of(Kind::Send, None, "Send").unwrap(),
            ..item("mail", "2024-03-12T09:00:00Z")
        });
        let lines = group(items);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].category, "inbox rule");
        assert_eq!(lines[0].count, 38);
        assert_eq!(lines[0].names.len(), 38);
        assert_eq!(lines[0].record_ids.len(), 38);
        assert_eq!(lines[0].time, "2024-03-12T10:00:00Z");
        assert_eq!(lines[0].last_time, "2024-03-12T10:37:00Z");
        assert_eq!(lines[1].category, "sent mail");
    }
}
