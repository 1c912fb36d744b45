//! The facts behind a verdict, read from a whole record rather than from its display summary
//! (which is cut at 300 bytes): an inbox rule's conditions and actions, where a mailbox
//! forwards and whether it keeps a copy, which rights went to whom on which folder, which
//! scopes an application was given. Only the rare telling operations are read this way
//! ([`super::Kind::wants_record`]).

use super::vocab::Kind;
use serde_json::Value;

/// What one telling record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Rule(Rule),
    Forwarding(Forwarding),
    Grant(Grant),
    App(AppGrant),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    /// Words the rule looks for (subject, body, sender, ...), lower-case.
    pub words: Vec<String>,
    /// Senders it matches (`From`, sender address words).
    pub from: Vec<String>,
    /// Addresses mail is forwarded, redirected or copied to.
    pub forward_to: Vec<String>,
    pub move_to: Option<String>,
    pub deletes: bool,
    pub marks_read: bool,
    pub stops_processing: bool,
    /// The change removed the rule (`UpdateInboxRules` with `RemoveMailboxRule`).
    pub removed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forwarding {
    pub targets: Vec<String>,
    /// `DeliverToMailboxAndForward`: the owner still sees the mail.
    pub keeps_copy: bool,
}

/// How much a grant gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantScope {
    /// Calendar, contacts, free/busy: how colleagues work together.
    Routine,
    /// Some other mail folder.
    Folder,
    /// The Inbox, Sent Items or the whole mailbox's folders.
    Inbox,
    /// Send as or on behalf of the owner.
    Send,
    FullAccess,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub mailbox: Option<String>,
    pub folder: Option<String>,
    pub grantee: Option<String>,
    pub rights: Vec<String>,
    pub scope: GrantScope,
}

impl Grant {
    /// Anyone in the tenant or outside it: `Default` and `Anonymous` folder members.
    pub fn to_everyone(&self) -> bool {
        self.grantee.as_deref().is_some_and(|g| {
            let g = g.trim().to_ascii_lowercase();
            g == "default" || g == "anonymous" || g == "everyone"
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppGrant {
    pub app: Option<String>,
    pub scopes: Vec<String>,
    pub admin_consent: bool,
    /// Only a service principal or its credentials were added: no scope given yet.
    pub registration: bool,
}

/// Scopes that let an application read, send or manage mail.
const MAIL_SCOPES: &[&str] = &[
    "mail.read",
    "mail.readwrite",
    "mail.readbasic",
    "mail.send",
    "mail.read.shared",
    "mail.readwrite.shared",
    "mail.send.shared",
    "mailboxsettings.readwrite",
    "ews.accessasuser.all",
    "full_access_as_app",
    "full_access_as_user",
    "imap.accessasuser.all",
    "pop.accessasuser.all",
    "smtp.send",
    "exchange.manageasapp",
];

impl AppGrant {
    pub fn mail_scopes(&self) -> Vec<&str> {
        self.scopes
            .iter()
            .map(String::as_str)
            .filter(|s| MAIL_SCOPES.contains(&s.to_ascii_lowercase().as_str()))
            .collect()
    }
}

/// Words of fraud: a rule that looks for them is hiding or stealing payment mail.
const MONEY_WORDS: &[&str] = &[
    "invoice",
    "invoices",
    "payment",
    "payments",
    "wire",
    "bank",
    "banking",
    "remittance",
    "iban",
    "swift",
    "ach",
    "payroll",
    "transfer",
    "w-2",
    "w2",
    "facture",
    "paiement",
    "rechnung",
    "zahlung",
];
/// Words of warnings: a rule that hides them keeps the owner from learning of the attack.
const ALERT_WORDS: &[&str] = &[
    "security",
    "phish",
    "phishing",
    "hacked",
    "compromised",
    "suspicious",
    "helpdesk",
    "password",
    "fraud",
    "unusual",
];
/// Folders nobody looks in.
const HIDING_FOLDERS: &[&str] = &[
    "rss feeds",
    "rss subscriptions",
    "rss",
    "conversation history",
    "historique des conversations",
    "archive",
    "junk email",
    "junk e-mail",
    "junk",
    "deleted items",
    "notes",
];

impl Rule {
    /// Why the rule keeps mail from its owner, if it does.
    pub fn hides(&self) -> Option<String> {
        let mut how = Vec::new();
        if self.deletes {
            how.push("deletes".to_string());
        }
        if let Some(folder) = &self.move_to {
            let f = folder.trim_start_matches('\\').to_ascii_lowercase();
            if HIDING_FOLDERS.contains(&f.as_str()) {
                how.push(format!("moves to {folder}"));
            }
        }
        if self.marks_read && (!how.is_empty() || self.move_to.is_some()) {
            how.push("marks as read".to_string());
        }
        (!how.is_empty()).then(|| how.join(", "))
    }

    /// The first money word the rule looks for.
    pub fn money_word(&self) -> Option<&str> {
        self.find_word(MONEY_WORDS)
    }

    /// The first warning word the rule looks for.
    pub fn alert_word(&self) -> Option<&str> {
        self.find_word(ALERT_WORDS)
    }

    fn find_word(&self, list: &[&str]) -> Option<&str> {
        self.words.iter().chain(&self.from).find_map(|w| {
            w.split(|c: char| !c.is_alphanumeric() && c != '-')
                .find(|part| list.contains(&part.to_ascii_lowercase().as_str()))
        })
    }

    /// A rule that only files mail away: no forwarding, hiding or fraud words.
    pub fn is_filing(&self) -> bool {
        self.forward_to.is_empty()
            && self.hides().is_none()
            && self.money_word().is_none()
            && self.alert_word().is_none()
    }
}

/// The facts of an action as lines of plain words, for the detail view.
pub fn describe(action: &Action) -> Vec<String> {
    let mut out = Vec::new();
    let yes = |b: bool| if b { "yes" } else { "no" };
    match action {
        Action::Rule(r) => {
            if !r.name.is_empty() {
                out.push(format!("rule name: {}", r.name));
            }
            if r.removed {
                out.push("the rule was removed".into());
            }
            if !r.words.is_empty() {
                out.push(format!("looks for: {}", r.words.join(", ")));
            }
            if !r.from.is_empty() {
                out.push(format!("from: {}", r.from.join(", ")));
            }
            if !r.forward_to.is_empty() {
                out.push(format!("forwards to: {}", r.forward_to.join(", ")));
            }
            if let Some(f) = &r.move_to {
                out.push(format!("moves to: {f}"));
            }
            out.push(format!(
                "deletes: {}, marks as read: {}, stops other rules: {}",
                yes(r.deletes),
                yes(r.marks_read),
                yes(r.stops_processing)
            ));
            if let Some(how) = r.hides() {
                out.push(format!("hides mail from its owner: {how}"));
            }
            if let Some(w) = r.money_word() {
                out.push(format!("filters on a money word: \"{w}\""));
            }
            if let Some(w) = r.alert_word() {
                out.push(format!("filters on a warning word: \"{w}\""));
            }
        }
        Action::Forwarding(f) => {
            out.push(format!("mailbox forwards to: {}", f.targets.join(", ")));
            out.push(format!(
                "a copy is kept in the mailbox: {}",
                yes(f.keeps_copy)
            ));
        }
        Action::Grant(g) => {
            out.push(format!("rights: {}", g.rights.join(", ")));
            if let Some(m) = &g.mailbox {
                out.push(format!("on mailbox: {m}"));
            }
            if let Some(f) = &g.folder {
                out.push(format!("folder: {f}"));
            }
            if let Some(who) = &g.grantee {
                out.push(format!("to: {who}"));
            }
            let scope = match g.scope {
                GrantScope::Routine => "routine (calendar, contacts, free/busy)",
                GrantScope::Folder => "a mail folder",
                GrantScope::Inbox => "the Inbox or the whole mailbox's folders",
                GrantScope::Send => "sending as or for the owner",
                GrantScope::FullAccess => "the whole mailbox",
            };
            out.push(format!("reach: {scope}"));
        }
        Action::App(a) => {
            if let Some(app) = &a.app {
                out.push(format!("application: {app}"));
            }
            if !a.scopes.is_empty() {
                out.push(format!("scopes: {}", a.scopes.join(" ")));
            }
            let mail = a.mail_scopes();
            if !mail.is_empty() {
                out.push(format!("mail scopes: {}", mail.join(" ")));
            }
            if a.admin_consent {
                out.push("for all users (admin consent)".into());
            }
        }
    }
    out
}

/// The facts of a record of kind `kind`, or `None` when it holds nothing telling (a
/// `Set-Mailbox` that changed a quota, a grant without rights).
pub fn read(kind: Kind, op: &str, record: &Value) -> Option<Action> {
    let action = match kind {
        Kind::RuleChange => rule(op, record).map(Action::Rule),
        Kind::MailboxSettings => mailbox_settings(record),
        Kind::PermissionGrant => grant(op, record).map(Action::Grant),
        Kind::Consent | Kind::AppGrant | Kind::AppRegistration => {
            Some(Action::App(app_grant(kind, record)))
        }
        _ => None,
    };
    action.map(Action::bounded)
}

/// At most this many items in any list of an [`Action`], and this many characters in any of
/// its texts: the facts are kept for every telling record of a load, and a hostile record
/// (a rule with a million words) must not make them unbounded.
pub const MAX_LIST: usize = 64;
pub const MAX_TEXT: usize = 512;

fn bound_text(s: &mut String) {
    if let std::borrow::Cow::Owned(cut) = crate::text::clip(s, MAX_TEXT) {
        *s = cut;
    }
}

fn bound_list(list: &mut Vec<String>) {
    list.truncate(MAX_LIST);
    list.iter_mut().for_each(bound_text);
}

impl Action {
    /// The action with every list and text cut to [`MAX_LIST`] and [`MAX_TEXT`].
    pub fn bounded(mut self) -> Action {
        let texts = |v: &mut [&mut Option<String>]| {
            for t in v.iter_mut().filter_map(|t| t.as_mut()) {
                bound_text(t);
            }
        };
        match &mut self {
            Action::Rule(r) => {
                bound_text(&mut r.name);
                bound_list(&mut r.words);
                bound_list(&mut r.from);
                bound_list(&mut r.forward_to);
                texts(&mut [&mut r.move_to]);
            }
            Action::Forwarding(f) => bound_list(&mut f.targets),
            Action::Grant(g) => {
                bound_list(&mut g.rights);
                texts(&mut [&mut g.mailbox, &mut g.folder, &mut g.grantee]);
            }
            Action::App(a) => {
                bound_list(&mut a.scopes);
                texts(&mut [&mut a.app]);
            }
        }
        self
    }
}

/// `[{Name, Value}]` lists, also when a flattened export left them as a JSON string.
fn name_values(v: &Value) -> Vec<(String, String)> {
    let parsed;
    let list = match v {
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
            &parsed
        }
        other => other,
    };
    let Some(items) = list.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let name = item.get("Name")?.as_str()?.to_string();
            let value = match item.get("Value").or_else(|| item.get("NewValue")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            Some((name, value))
        })
        .collect()
}

fn get<'a>(list: &'a [(String, String)], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Email addresses in a parameter value: `a@x;b@y`, `"Name" [SMTP:a@x]`, `smtp:a@x`.
pub fn addresses(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in value.split([';', ',', ' ', '[', ']', '"', '\'', '<', '>', '(', ')', '\n']) {
        let t = token.trim();
        let t = t
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("smtp:"))
            .map_or(t, |_| &t[5..]);
        if t.contains('@') && t.len() > 2 {
            let t = t.to_ascii_lowercase();
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// Recipients that are not addresses (`ForwardingAddress` names a mail contact): kept as
/// written, so a forward to a contact object is still a forward.
fn recipients(value: &str) -> Vec<String> {
    let found = addresses(value);
    if found.is_empty() && !value.trim().is_empty() {
        vec![value.trim().to_string()]
    } else {
        found
    }
}

fn words(value: &str) -> Vec<String> {
    value
        .split([';', ','])
        .map(|w| w.trim().trim_matches('"').to_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn rule(op: &str, record: &Value) -> Option<Rule> {
    if op == "UpdateInboxRules" {
        return Some(client_rule(&name_values(&record["OperationProperties"])));
    }
    let p = name_values(&record["Parameters"]);
    let mut r = Rule {
        name: get(&p, "Name")
            .or_else(|| get(&p, "Identity"))
            .unwrap_or_default()
            .to_string(),
        ..Rule::default()
    };
    for (name, value) in &p {
        if value.trim().is_empty() {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if lower == "from" || lower.starts_with("fromaddresscontains") {
            r.from.extend(words(value));
        } else if lower.ends_with("containswords") || lower.ends_with("containsword") {
            r.words.extend(words(value));
        } else if matches!(
            lower.as_str(),
            "forwardto"
                | "redirectto"
                | "forwardasattachmentto"
                | "redirectmessageto"
                | "blindcopyto"
                | "addtorecipients"
                | "copyto"
        ) {
            for a in recipients(value) {
                if !r.forward_to.contains(&a) {
                    r.forward_to.push(a);
                }
            }
        }
    }
    r.move_to = get(&p, "MoveToFolder").map(folder_name);
    r.deletes = is_true(get(&p, "DeleteMessage")) || is_true(get(&p, "SoftDeleteMessage"));
    r.marks_read = is_true(get(&p, "MarkAsRead"));
    r.stops_processing = is_true(get(&p, "StopProcessingRules"));
    Some(r)
}

/// `Inbox:\RSS Feeds`, `alex@contoso.com:\Archive` -> the folder's own name.
fn folder_name(v: &str) -> String {
    let v = v.trim();
    let v = v.rsplit_once(":\\").map_or(v, |(_, f)| f);
    v.trim_start_matches('\\').to_string()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ClientRuleAction {
    #[serde(rename = "ActionType")]
    action_type: String,
    #[serde(rename = "Recipients")]
    recipients: Vec<String>,
    #[serde(rename = "FolderName", alias = "Folder")]
    folder: String,
}

/// `UpdateInboxRules` (Outlook, MAPI/EWS): actions as JSON in `RuleActions`, the condition as
/// a restriction string such as `{(SubString IgnoreCase(SubjectProperty)=invoice)}`.
fn client_rule(p: &[(String, String)]) -> Rule {
    let mut r = Rule {
        name: get(p, "RuleName").unwrap_or_default().to_string(),
        removed: get(p, "RuleOperation").is_some_and(|o| o.starts_with("Remove")),
        ..Rule::default()
    };
    if let Some(actions) = get(p, "RuleActions") {
        let parsed: Vec<ClientRuleAction> = serde_json::from_str(actions).unwrap_or_default();
        for a in parsed {
            let t = a.action_type.to_ascii_lowercase();
            if t.contains("forward") || t.contains("redirect") || t.contains("delegate") {
                for rcpt in &a.recipients {
                    for x in recipients(rcpt) {
                        if !r.forward_to.contains(&x) {
                            r.forward_to.push(x);
                        }
                    }
                }
            } else if t.contains("delete") {
                r.deletes = true;
            } else if t.contains("move") || t.contains("copy") {
                if !a.folder.is_empty() {
                    r.move_to = Some(folder_name(&a.folder));
                }
            } else if t.contains("markasread") || t.contains("markread") {
                r.marks_read = true;
            }
        }
    }
    if let Some(cond) = get(p, "RuleCondition") {
        // Every `...Property)=word)` of a SubString restriction is a word the rule looks for;
        // `SenderSearchKey Equal SMTP:x` is a sender.
        for part in cond.split("SubString").skip(1) {
            if let Some((_, rest)) = part.split_once(")=") {
                let word = rest.split(')').next().unwrap_or("").trim();
                if !word.is_empty() {
                    r.words.push(word.to_ascii_lowercase());
                }
            }
        }
        for part in cond.split("SenderSearchKey Equal ").skip(1) {
            r.from
                .extend(addresses(part.split(')').next().unwrap_or("")));
        }
    }
    r
}

fn mailbox_settings(record: &Value) -> Option<Action> {
    let p = name_values(&record["Parameters"]);
    if let Some(target) = get(&p, "ForwardingSmtpAddress").or_else(|| get(&p, "ForwardingAddress"))
    {
        return Some(Action::Forwarding(Forwarding {
            targets: recipients(target),
            keeps_copy: is_true(get(&p, "DeliverToMailboxAndForward")),
        }));
    }
    let delegate = get(&p, "GrantSendOnBehalfTo")?;
    Some(Action::Grant(Grant {
        mailbox: get(&p, "Identity").map(str::to_string),
        folder: None,
        grantee: Some(delegate.to_string()),
        rights: vec!["SendOnBehalf".into()],
        scope: GrantScope::Send,
    }))
}

fn grant(op: &str, record: &Value) -> Option<Grant> {
    let (mailbox, folder, grantee, rights) =
        if matches!(op, "AddFolderPermissions" | "ModifyFolderPermissions") {
            let folder = &record["Item"]["ParentFolder"];
            let text = |v: &Value| v.as_str().map(str::to_string).filter(|s| !s.is_empty());
            (
                text(&record["MailboxOwnerUPN"]),
                text(&folder["Path"]).or_else(|| text(&folder["Name"])),
                text(&folder["MemberUpn"]),
                text(&folder["MemberRights"]).unwrap_or_default(),
            )
        } else {
            let p = name_values(&record["Parameters"]);
            let identity = get(&p, "Identity").unwrap_or_default();
            // Folder cmdlets name the folder after the mailbox: `alex@contoso.com:\Inbox`.
            let (mailbox, folder) = match identity.split_once(":\\") {
                Some((m, f)) => (Some(m.to_string()), Some(format!("\\{f}"))),
                None => (Some(identity.to_string()).filter(|s| !s.is_empty()), None),
            };
            let grantee = get(&p, "User")
                .or_else(|| get(&p, "Trustee"))
                .map(str::to_string);
            let rights = get(&p, "AccessRights")
                .or_else(|| get(&p, "ExtendedRights"))
                .unwrap_or_default()
                .to_string();
            (mailbox, folder, grantee, rights)
        };
    let rights: Vec<String> = rights
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    if rights.is_empty() || rights.iter().all(|r| r.eq_ignore_ascii_case("none")) {
        return None;
    }
    let scope = scope_of(folder.as_deref(), &rights);
    Some(Grant {
        mailbox,
        folder,
        grantee,
        rights,
        scope,
    })
}

fn scope_of(folder: Option<&str>, rights: &[String]) -> GrantScope {
    let has = |name: &str| {
        rights
            .iter()
            .any(|r| r.replace(['-', ' '], "").eq_ignore_ascii_case(name))
    };
    if has("FullAccess") {
        return GrantScope::FullAccess;
    }
    if has("SendAs") || has("SendOnBehalf") {
        return GrantScope::Send;
    }
    if rights.iter().all(|r| {
        let r = r.to_ascii_lowercase();
        r == "availabilityonly" || r == "limiteddetails" || r == "foldervisible"
    }) {
        return GrantScope::Routine;
    }
    match folder.map(|f| f.trim_start_matches('\\').to_ascii_lowercase()) {
        Some(f) if f == "calendar" || f.starts_with("calendar\\") || f == "contacts" => {
            GrantScope::Routine
        }
        Some(f)
            if f.is_empty()
                || f == "inbox"
                || f == "sent items"
                || f == "top of information store" =>
        {
            GrantScope::Inbox
        }
        Some(_) => GrantScope::Folder,
        None => GrantScope::Inbox,
    }
}

fn app_grant(kind: Kind, record: &Value) -> AppGrant {
    let modified = name_values(&record["ModifiedProperties"]);
    let mut scopes: Vec<String> = Vec::new();
    let mut add_scopes = |text: &str| {
        for s in text.split([' ', ',', ';', '[', ']', '"']) {
            let s = s.trim();
            if !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) {
                let s = s.to_string();
                if !scopes.contains(&s) {
                    scopes.push(s);
                }
            }
        }
    };
    for (name, value) in &modified {
        let lower = name.to_ascii_lowercase();
        if lower == "consentaction.permissions" {
            // `... ConsentType: Principal, Scope:  openid Mail.Read, CreatedDateTime: ...`
            for part in value.split("Scope:").skip(1) {
                add_scopes(part.split(", ").next().unwrap_or(""));
            }
        } else if lower.ends_with("delegatedpermissiongrant.scope")
            || lower == "approle.value"
            || lower.ends_with(".scope")
        {
            add_scopes(value);
        }
    }
    let app = record["Target"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .filter(|x| x["Type"] == 1)
                .filter_map(|x| x["ID"].as_str())
                .find(|id| !id.is_empty() && *id != "ServicePrincipal")
        })
        .or_else(|| record["ObjectId"].as_str())
        .map(str::to_string);
    AppGrant {
        app,
        scopes,
        admin_consent: is_true(get(&modified, "ConsentContext.IsAdminConsent"))
            || is_true(get(&modified, "ConsentContext.OnBehalfOfAll")),
        registration: kind == Kind::AppRegistration,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(list: &[(&str, &str)]) -> Value {
        let items: Vec<Value> = list
            .iter()
            .map(|(n, v)| json!({"Name": n, "Value": v}))
            .collect();
        json!({ "Parameters": items })
    }

    #[test]
    fn a_new_inbox_rule_keeps_every_condition_and_action() {
        let rec = params(&[
            ("Name", "."),
            ("SubjectOrBodyContainsWords", "invoice;payment"),
            (
                "ForwardTo",
                "\"Billing\" [SMTP:Billing@Proton-Mail.example]",
            ),
            ("MarkAsRead", "True"),
            ("MoveToFolder", "alex@contoso.com:\\RSS Feeds"),
        ]);
        let Some(Action::Rule(r)) = read(Kind::RuleChange, "New-InboxRule", &rec) else {
            panic!("not a rule")
        };
        assert_eq!(r.forward_to, ["billing@proton-mail.example"]);
        assert_eq!(r.words, ["invoice", "payment"]);
        assert_eq!(r.money_word(), Some("invoice"));
        assert_eq!(r.move_to.as_deref(), Some("RSS Feeds"));
        assert_eq!(
            r.hides().as_deref(),
            Some("moves to RSS Feeds, marks as read")
        );
        assert!(!r.is_filing());
    }

    #[test]
    fn a_filing_rule_is_only_filing() {
        let rec = params(&[
            ("Name", "Newsletters"),
            ("FromAddressContainsWords", "news@vendor.example"),
            ("MoveToFolder", "Newsletters"),
        ]);
        let Some(Action::Rule(r)) = read(Kind::RuleChange, "New-InboxRule", &rec) else {
            panic!()
        };
        assert!(r.is_filing(), "{r:?}");
    }

    #[test]
    fn an_outlook_rule_is_read_from_its_operation_properties() {
        let rec = json!({"OperationProperties": [
            {"Name": "RuleOperation", "Value": "AddMailboxRule"},
            {"Name": "RuleName", "Value": "x"},
            {"Name": "RuleCondition", "Value": "{(&(([RssServerLockStartTime=1], ((SenderSearchKey Equal SMTP:NOREPLY@MAIL.FR)))(SubString IgnoreCase(SubjectProperty)=WIRE)))}"},
            {"Name": "RuleActions", "Value": "[{\"ActionType\":\"Forward\",\"Recipients\":[\"user.name@mail.fr\"]},{\"ActionType\":\"Delete\"}]"}
        ]});
        let Some(Action::Rule(r)) = read(Kind::RuleChange, "UpdateInboxRules", &rec) else {
            panic!()
        };
        assert_eq!(r.forward_to, ["user.name@mail.fr"]);
        assert_eq!(r.words, ["wire"]);
        assert_eq!(r.from, ["noreply@mail.fr"]);
        assert!(r.deletes);
    }

    #[test]
    fn mailbox_forwarding_says_whether_a_copy_is_kept() {
        let rec = params(&[
            ("Identity", "alex"),
            ("ForwardingSmtpAddress", "smtp:x@y.example"),
        ]);
        assert_eq!(
            read(Kind::MailboxSettings, "Set-Mailbox", &rec),
            Some(Action::Forwarding(Forwarding {
                targets: vec!["x@y.example".into()],
                keeps_copy: false
            }))
        );
        let quota = params(&[("Identity", "alex"), ("ProhibitSendQuota", "49 GB")]);
        assert_eq!(read(Kind::MailboxSettings, "Set-Mailbox", &quota), None);
    }

    #[test]
    fn grants_are_scoped() {
        let full = params(&[
            ("Identity", "ceo@contoso.com"),
            ("User", "mallory@contoso.com"),
            ("AccessRights", "FullAccess"),
        ]);
        let Some(Action::Grant(g)) = read(Kind::PermissionGrant, "Add-MailboxPermission", &full)
        else {
            panic!()
        };
        assert_eq!(g.scope, GrantScope::FullAccess);
        let calendar = params(&[
            ("Identity", "alex@contoso.com:\\Calendar"),
            ("User", "lee@contoso.com"),
            ("AccessRights", "Reviewer"),
        ]);
        let Some(Action::Grant(g)) = read(
            Kind::PermissionGrant,
            "Add-MailboxFolderPermission",
            &calendar,
        ) else {
            panic!()
        };
        assert_eq!(
            (g.scope, g.folder.as_deref()),
            (GrantScope::Routine, Some("\\Calendar"))
        );
        let inbox = json!({"MailboxOwnerUPN": "alex@contoso.com", "Item": {"ParentFolder": {
            "Path": "\\Inbox", "MemberUpn": "anonymous", "MemberRights": "ReadItems"}}});
        let Some(Action::Grant(g)) = read(Kind::PermissionGrant, "AddFolderPermissions", &inbox)
        else {
            panic!()
        };
        assert_eq!(g.scope, GrantScope::Inbox);
        assert!(g.to_everyone());
    }

    #[test]
    fn consent_scopes_are_read_from_modified_properties() {
        let rec = json!({
            "ModifiedProperties": [
                {"Name": "ConsentContext.IsAdminConsent", "NewValue": "False"},
                {"Name": "ConsentAction.Permissions", "NewValue": "[] => [[Id: X, ClientId: 3, ConsentType: Principal, Scope:  openid Mail.Read offline_access, CreatedDateTime: , LastModifiedDateTime ]]; "}
            ],
            "Target": [{"ID": "ServicePrincipal", "Type": 2}, {"ID": "PDF Viewer Pro", "Type": 1}]
        });
        let Some(Action::App(a)) = read(Kind::Consent, "Consent to application.", &rec) else {
            panic!()
        };
        assert_eq!(a.scopes, ["openid", "Mail.Read", "offline_access"]);
        assert_eq!(a.mail_scopes(), ["Mail.Read"]);
        assert_eq!(a.app.as_deref(), Some("PDF Viewer Pro"));
        assert!(!a.admin_consent);
    }

    #[test]
    fn addresses_are_found_in_every_spelling() {
        assert_eq!(
            addresses("a@x.example; SMTP:B@Y.example,\"C\" <c@z.example>"),
            ["a@x.example", "b@y.example", "c@z.example"]
        );
    }

    #[test]
    fn a_hostile_rule_is_kept_bounded() {
        let words: Vec<String> = (0..10_000).map(|i| format!("word{i}")).collect();
        let rule = Rule {
            name: "x".repeat(100_000),
            words,
            ..Rule::default()
        };
        let Action::Rule(kept) = Action::Rule(rule).bounded() else {
            unreachable!()
        };
        assert_eq!(kept.words.len(), MAX_LIST);
        assert_eq!(kept.name.chars().count(), MAX_TEXT);
        assert!(kept.name.ends_with('…'));
    }
}
