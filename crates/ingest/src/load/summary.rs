//! One line saying what a record did, in an investigator's words: which inbox rule forwards
//! where, which permission went to whom, how many items were read or deleted.

use super::record::{AuditRecord, FolderRef, NameValue, lookup, name_values};
use serde::Deserialize;

const MAX_LEN: usize = 300;

#[cfg(test)]
pub fn summarize(op: &str, rec: &AuditRecord) -> String {
    let mut s = String::new();
    summarize_into(op, rec, &mut s);
    s
}

/// [`summarize`] into `out`, emptied first: the loader writes every record's summary into one
/// string rather than allocating one per record.
pub fn summarize_into(op: &str, rec: &AuditRecord, out: &mut String) {
    // A summary is cut to 300 bytes, but is built whole first: room a hostile record's
    // parameters made is not kept.
    if out.capacity() > 4 * MAX_LEN {
        *out = String::new();
    }
    out.clear();
    if op.ends_with("-InboxRule") {
        out.push_str(&inbox_rule(&name_values(&rec.parameters)));
    } else if op == "UpdateInboxRules" {
        out.push_str(&client_rule(&name_values(&rec.operation_properties)));
    } else if op == "Set-Mailbox" {
        out.push_str(&set_mailbox(&name_values(&rec.parameters)));
    } else if op.ends_with("Permission") {
        out.push_str(&permission_cmdlet(op, &name_values(&rec.parameters)));
    } else if op.ends_with("FolderPermissions") {
        out.push_str(&folder_permission(rec));
    } else if op == "MailItemsAccessed" {
        mail_items_accessed(rec, out);
    } else if rec.affected_items.is_some() || rec.folder.is_some() {
        items_moved(rec, out);
    } else if op.starts_with("Send") {
        sent(rec, out);
    } else if op.starts_with("UserLogin") || op.starts_with("UserLoggedIn") {
        logon(rec, out);
    } else if rec.item.is_some() {
        out.push_str(&item(rec));
    } else {
        out.push_str(&parameters(&name_values(&rec.parameters)));
    }
    if out.len() > MAX_LEN {
        let mut cut = MAX_LEN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `New-InboxRule`/`Set-InboxRule`/...: conditions, then actions.
fn inbox_rule(p: &[NameValue]) -> String {
    let mut out = String::new();
    if let Some(name) = lookup(p, "Name").or_else(|| lookup(p, "Identity")) {
        out.push_str(&format!("rule \"{name}\""));
    }
    let mut conditions = Vec::new();
    for nv in p {
        let (Some(name), Some(value)) = (nv.name.as_deref(), nv.value.as_deref()) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let field = match name {
            "From" => Some("from".to_string()),
            "SentTo" => Some("sent to".to_string()),
            n if n.ends_with("ContainsWords") => {
                let what = n.trim_end_matches("ContainsWords");
                let what = match what {
                    "SubjectOrBody" => "subject or body",
                    "FromAddress" => "sender address",
                    "Subject" => "subject",
                    "Body" => "body",
                    "RecipientAddress" => "recipient address",
                    other => other,
                };
                Some(format!("{what} contains"))
            }
            _ => None,
        };
        if let Some(field) = field {
            conditions.push(format!("{field} \"{value}\""));
        }
    }
    let mut actions = Vec::new();
    for (param, label) in [
        ("ForwardTo", "forward to"),
        ("RedirectTo", "redirect to"),
        ("ForwardAsAttachmentTo", "forward as attachment to"),
        ("CopyToFolder", "copy to"),
        ("MoveToFolder", "move to"),
    ] {
        if let Some(v) = lookup(p, param) {
            actions.push(format!("{label} {v}"));
        }
    }
    for (param, label) in [
        ("MarkAsRead", "mark as read"),
        ("DeleteMessage", "delete"),
        ("StopProcessingRules", "stop processing rules"),
    ] {
        if is_true(lookup(p, param)) {
            actions.push(label.to_string());
        }
    }
    if !conditions.is_empty() {
        out.push_str(" if ");
        out.push_str(&conditions.join(" and "));
    }
    if !actions.is_empty() {
        out.push_str(": ");
        out.push_str(&actions.join(", "));
    }
    out.trim_start().to_string()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleAction {
    #[serde(rename = "ActionType")]
    action_type: String,
    #[serde(rename = "Recipients")]
    recipients: Vec<String>,
    #[serde(rename = "FolderName")]
    folder: String,
}

/// `UpdateInboxRules` (rules written by a mail client over MAPI/EWS): the details sit in
/// `OperationProperties`, actions as a JSON string.
fn client_rule(p: &[NameValue]) -> String {
    let mut out = String::new();
    let op = lookup(p, "RuleOperation").unwrap_or("rule change");
    out.push_str(op);
    if let Some(name) = lookup(p, "RuleName") {
        out.push_str(&format!(" \"{name}\""));
    }
    if let Some(actions) = lookup(p, "RuleActions") {
        let parsed: Vec<RuleAction> = serde_json::from_str(actions).unwrap_or_default();
        let words: Vec<String> = parsed
            .iter()
            .map(|a| {
                let mut w = a.action_type.clone();
                if !a.recipients.is_empty() {
                    w.push_str(" to ");
                    w.push_str(&a.recipients.join(", "));
                }
                if !a.folder.is_empty() {
                    w.push_str(&format!(" \"{}\"", a.folder));
                }
                w
            })
            .collect();
        if !words.is_empty() {
            out.push_str(": ");
            out.push_str(&words.join("; "));
        }
    }
    if let Some(cond) = lookup(p, "RuleCondition") {
        out.push_str(" when ");
        out.push_str(cond);
    }
    out
}

fn set_mailbox(p: &[NameValue]) -> String {
    let identity = lookup(p, "Identity").unwrap_or("mailbox");
    let target = lookup(p, "ForwardingSmtpAddress").or_else(|| lookup(p, "ForwardingAddress"));
    match target {
        Some(t) => {
            let keep = if is_true(lookup(p, "DeliverToMailboxAndForward")) {
                " (keeps a copy)"
            } else {
                ""
            };
            format!("forward {identity} to {t}{keep}")
        }
        None => parameters(p),
    }
}

fn permission_cmdlet(op: &str, p: &[NameValue]) -> String {
    let verb = if op.starts_with("Remove") {
        "remove"
    } else {
        "grant"
    };
    let rights = lookup(p, "AccessRights").unwrap_or("rights");
    let on = lookup(p, "Identity").unwrap_or("?");
    let to = lookup(p, "User")
        .or_else(|| lookup(p, "Trustee"))
        .unwrap_or("?");
    format!("{verb} {rights} on {on} to {to}")
}

fn folder_permission(rec: &AuditRecord) -> String {
    let f = rec.item.as_ref().and_then(|i| i.parent_folder.as_ref());
    let path = f.and_then(folder_name).unwrap_or("folder");
    let who = f.and_then(|f| f.member_upn.as_deref()).unwrap_or("?");
    let rights = f
        .and_then(|f| f.member_rights.as_deref())
        .unwrap_or("rights");
    format!("{path}: {rights} for {who}")
}

// The summarizers of the operations that make up most of an export (MailItemsAccessed, Send,
// deletes and moves, logons) write into the loader's one string rather than joining formatted
// pieces: they run once per record, and the allocations were a third of their cost.

fn mail_items_accessed(rec: &AuditRecord, out: &mut String) {
    let props = name_values(&rec.operation_properties);
    let access = lookup(&props, "MailAccessType").unwrap_or("Access");
    let folders = &rec.folders;
    let count = rec
        .operation_count
        .as_deref()
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or_else(|| folders.iter().map(|f| f.items).sum());
    out.push_str(access);
    out.push_str(", ");
    push_count(out, count, "item");
    push_list(
        out,
        " in ",
        folders.iter().filter_map(|f| f.path.as_deref()),
    );
    if is_true(lookup(&props, "IsThrottled")) {
        out.push_str(" (throttled)");
    }
}

/// `3 items`, `1 item`.
fn push_count(out: &mut String, n: usize, noun: &str) {
    push_number(out, n);
    out.push(' ');
    out.push_str(noun);
    if n != 1 {
        out.push('s');
    }
}

/// `n` in decimal, without the formatting machinery (this runs for most records).
fn push_number(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// `lead` and the items separated by commas, or nothing when there are none.
fn push_list<'s>(out: &mut String, lead: &str, mut items: impl Iterator<Item = &'s str>) {
    if let Some(first) = items.next() {
        out.push_str(lead);
        out.push_str(first);
        for item in items {
            out.push_str(", ");
            out.push_str(item);
        }
    }
}

fn items_moved<'a>(rec: &'a AuditRecord, out: &mut String) {
    let items = rec.affected_items.as_deref().unwrap_or_default();
    let path = |f: Option<&'a FolderRef>| f.and_then(|f| f.path.as_deref());
    push_count(out, items.len().max(1), "item");
    let from_path = path(rec.folder.as_ref())
        .or_else(|| path(items.first().and_then(|i| i.parent_folder.as_ref())));
    if let Some(p) = from_path {
        out.push_str(" from ");
        out.push_str(p);
    }
    if let Some(p) = path(rec.dest_folder.as_ref()) {
        out.push_str(" to ");
        out.push_str(p);
    }
    let mut subjects = items
        .iter()
        .filter_map(|i| i.subject.as_deref())
        .filter(|s| !s.is_empty())
        .take(3);
    if let Some(first) = subjects.next() {
        out.push_str(": ");
        push_quoted(out, first);
        for s in subjects {
            out.push_str(", ");
            push_quoted(out, s);
        }
    }
}

fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    out.push_str(s);
    out.push('"');
}

fn sent(rec: &AuditRecord, out: &mut String) {
    match rec.item.as_ref().and_then(|i| i.subject.as_deref()) {
        Some(s) => {
            out.push_str("subject ");
            push_quoted(out, s);
        }
        None => out.push_str("message sent"),
    }
    if let Some(a) = rec.send_as_user_smtp.as_deref().filter(|s| !s.is_empty()) {
        out.push_str(" as ");
        out.push_str(a);
    }
    if let Some(a) = rec
        .send_on_behalf_of_user_smtp
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        out.push_str(" on behalf of ");
        out.push_str(a);
    }
}

fn logon(rec: &AuditRecord, out: &mut String) {
    let props = name_values(&rec.extended_properties);
    push_list(
        out,
        "",
        [
            lookup(&props, "RequestType"),
            lookup(&props, "ResultStatusDetail"),
        ]
        .into_iter()
        .flatten(),
    );
    if let Some(e) = rec.logon_error.as_deref().filter(|e| !e.is_empty()) {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str("error ");
        out.push_str(e);
    }
}

fn item(rec: &AuditRecord) -> String {
    let item = rec.item.as_ref();
    let folder = item
        .and_then(|i| i.parent_folder.as_ref())
        .and_then(folder_name);
    match (item.and_then(|i| i.subject.as_deref()), folder) {
        (Some(s), Some(f)) => format!("\"{s}\" in {f}"),
        (Some(s), None) => format!("\"{s}\""),
        (None, Some(f)) => format!("in {f}"),
        (None, None) => String::new(),
    }
}

/// A folder's path, or its name when the path is missing.
fn folder_name<'f>(f: &'f FolderRef) -> Option<&'f str> {
    f.path.as_deref().or(f.name.as_deref())
}

/// Cmdlet parameters as `Name=Value`, for admin operations without a special reading.
fn parameters(p: &[NameValue]) -> String {
    p.iter()
        .filter_map(|nv| Some(format!("{}={}", nv.name.as_deref()?, nv.value.as_deref()?)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary of the record `json`, read as the loader reads it.
    fn summary(json: &str) -> String {
        let rec: AuditRecord = serde_json::from_str(json).unwrap();
        summarize(rec.operation.as_deref().unwrap_or(""), &rec)
    }

    /// The loader's one string grows to whatever a record's summary is before it is cut (a
    /// hostile subject of a megabyte); that room is not kept for every record after it.
    #[test]
    fn a_used_string_does_not_keep_a_hostile_records_room() {
        let huge = format!(
            r#"{{"Operation":"Send","Item":{{"Subject":"{}"}}}}"#,
            "x".repeat(1 << 20)
        );
        let small = r#"{"Operation":"Send","Item":{"Subject":"hi"}}"#;
        let mut out = String::new();
        for json in [&huge[..], small] {
            let rec: AuditRecord = serde_json::from_str(json).unwrap();
            summarize_into("Send", &rec, &mut out);
        }
        assert_eq!(out, summary(small));
        assert!(
            out.capacity() <= 4 * MAX_LEN,
            "{} bytes kept",
            out.capacity()
        );
    }

    #[test]
    fn counts_are_written_in_decimal() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, usize::MAX] {
            let mut out = String::new();
            push_number(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    /// The loader writes every summary into one string: each replaces what it held.
    #[test]
    fn a_summary_written_into_a_used_string_replaces_it() {
        let records = [
            r#"{"Operation":"MailItemsAccessed","Folders":[{"Path":"\\Inbox","FolderItems":[{}]}]}"#,
            r#"{"Operation":"Send","Item":{"Subject":"hi"}}"#,
            r#"{"Operation":"New-InboxRule","Parameters":[{"Name":"Name","Value":"r"}]}"#,
            r#"{"Operation":"UserLoggedIn","ExtendedProperties":[{"Name":"RequestType","Value":"Login:login"}]}"#,
        ];
        let mut out = String::new();
        for json in records.iter().cycle().take(8) {
            let rec: AuditRecord = serde_json::from_str(json).unwrap();
            let op = rec.operation.as_deref().unwrap_or("");
            summarize_into(op, &rec, &mut out);
            assert_eq!(out, summary(json));
            assert!(!out.is_empty(), "{json}");
        }
    }

    #[test]
    fn mail_items_accessed_counts_items_and_names_folders() {
        let folders = r#""Folders":[{"Path":"\\Inbox","FolderItems":[{},{}]},{"Path":"\\Sent Items","FolderItems":[{}]}]"#;
        assert_eq!(
            summary(&format!(
                r#"{{"Operation":"MailItemsAccessed",{folders},"OperationProperties":[{{"Name":"MailAccessType","Value":"Bind"}}]}}"#
            )),
            "Bind, 3 items in \\Inbox, \\Sent Items"
        );
        // OperationCount wins over the items listed; throttling is said.
        assert_eq!(
            summary(&format!(
                r#"{{"Operation":"MailItemsAccessed","OperationCount":1,{folders},"OperationProperties":[{{"Name":"IsThrottled","Value":"True"}}]}}"#
            )),
            "Access, 1 item in \\Inbox, \\Sent Items (throttled)"
        );
        assert_eq!(
            summary(r#"{"Operation":"MailItemsAccessed"}"#),
            "Access, 0 items"
        );
    }

    #[test]
    fn moves_and_deletes_name_folders_and_at_most_three_subjects() {
        let items = |n: usize| {
            (0..n)
                .map(|i| format!(r#"{{"Subject":"s{i}","ParentFolder":{{"Path":"\\Inbox"}}}}"#))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(
            summary(&format!(
                r#"{{"Operation":"MoveToDeletedItems","AffectedItems":[{}],"DestFolder":{{"Path":"\\Deleted Items"}}}}"#,
                items(4)
            )),
            "4 items from \\Inbox to \\Deleted Items: \"s0\", \"s1\", \"s2\""
        );
        assert_eq!(
            summary(&format!(
                r#"{{"Operation":"SoftDelete","AffectedItems":[{}],"Folder":{{"Path":"\\Archive"}}}}"#,
                items(1)
            )),
            "1 item from \\Archive: \"s0\""
        );
        assert_eq!(
            summary(r#"{"Operation":"HardDelete","AffectedItems":[]}"#),
            "1 item"
        );
    }

    #[test]
    fn sends_say_subject_and_on_whose_behalf() {
        assert_eq!(
            summary(r#"{"Operation":"Send","Item":{"Subject":"Invoice"}}"#),
            "subject \"Invoice\""
        );
        assert_eq!(
            summary(
                r#"{"Operation":"SendAs","SendAsUserSmtp":"ceo@contoso.com","SendOnBehalfOfUserSmtp":"cfo@contoso.com"}"#
            ),
            "message sent as ceo@contoso.com on behalf of cfo@contoso.com"
        );
    }

    #[test]
    fn folder_permissions_and_other_items_name_folder_and_subject() {
        assert_eq!(
            summary(
                r#"{"Operation":"AddFolderPermissions","Item":{"ParentFolder":{"Name":"Inbox","MemberUpn":"eve@fabrikam.com","MemberRights":"ReadItems"}}}"#
            ),
            "Inbox: ReadItems for eve@fabrikam.com"
        );
        assert_eq!(
            summary(r#"{"Operation":"ModifyFolderPermissions"}"#),
            "folder: rights for ?"
        );
        assert_eq!(
            summary(
                r#"{"Operation":"Update","Item":{"Subject":"Wire","ParentFolder":{"Path":"\\Drafts","Name":"Drafts"}}}"#
            ),
            "\"Wire\" in \\Drafts"
        );
        assert_eq!(
            summary(r#"{"Operation":"Create","Item":{"ParentFolder":{"Name":"Notes"}}}"#),
            "in Notes"
        );
    }

    #[test]
    fn logons_list_request_result_and_error() {
        let props = r#""ExtendedProperties":[{"Name":"RequestType","Value":"OAuth2:Token"},{"Name":"ResultStatusDetail","Value":"Success"}]"#;
        assert_eq!(
            summary(&format!(r#"{{"Operation":"UserLoggedIn",{props}}}"#)),
            "OAuth2:Token, Success"
        );
        assert_eq!(
            summary(&format!(
                r#"{{"Operation":"UserLoginFailed",{props},"LogonError":"InvalidPassword"}}"#
            )),
            "OAuth2:Token, Success, error InvalidPassword"
        );
        assert_eq!(
            summary(r#"{"Operation":"UserLoginFailed","LogonError":"InvalidPassword"}"#),
            "error InvalidPassword"
        );
        assert_eq!(summary(r#"{"Operation":"UserLoggedIn"}"#), "");
    }
}
