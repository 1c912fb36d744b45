//! Builders of single AuditData records in the shapes Exchange and Entra write them.

use serde_json::{Map, Value, json};

pub const ORG_ID: &str = "4f1d7c2a-6b3e-4e55-9a0d-2c8b5e7f1a93";
pub const ORG_NAME: &str = "contoso.onmicrosoft.com";

/// Who did it, from where, with what: the parts every record of one logon shares.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: String,
    /// `None` for legacy/basic auth and system activity.
    pub session: Option<String>,
    /// As the record writes it, port included when Exchange adds one.
    pub ip: String,
    pub client_info: String,
    pub token: Option<String>,
    pub issued_at: Option<i64>,
}

pub fn creation_time(t: i64) -> String {
    sessionscope_core::time::rfc3339(t)
        .trim_end_matches('Z')
        .to_string()
}

fn base(
    id: &str,
    t: i64,
    op: &str,
    record_type: u8,
    workload: &str,
    a: &Actor,
) -> Map<String, Value> {
    let mut m = Map::new();
    if a.session.is_some() || a.token.is_some() {
        let mut ctx = Map::new();
        if let Some(t) = a.issued_at {
            ctx.insert("IssuedAtTime".into(), creation_time(t).into());
        }
        if let Some(tok) = &a.token {
            ctx.insert("UniqueTokenId".into(), tok.clone().into());
        }
        m.insert("AppAccessContext".into(), Value::Object(ctx));
    }
    m.insert("CreationTime".into(), creation_time(t).into());
    m.insert("Id".into(), id.into());
    m.insert("Operation".into(), op.into());
    m.insert("OrganizationId".into(), ORG_ID.into());
    m.insert("RecordType".into(), record_type.into());
    m.insert(
        "UserKey".into(),
        format!("1003200{:09X}", hash(&a.user) & 0xf_ffff_ffff).into(),
    );
    m.insert("Version".into(), 1.into());
    m.insert("Workload".into(), workload.into());
    m.insert("UserId".into(), a.user.clone().into());
    m
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn mailbox(
    id: &str,
    t: i64,
    op: &str,
    record_type: u8,
    a: &Actor,
    owner: &str,
) -> Map<String, Value> {
    let mut m = base(id, t, op, record_type, "Exchange", a);
    m.insert("ResultStatus".into(), "Succeeded".into());
    m.insert("UserType".into(), 0.into());
    m.insert("ClientIP".into(), a.ip.clone().into());
    m.insert("ClientIPAddress".into(), strip_port(&a.ip).into());
    m.insert("ClientInfoString".into(), a.client_info.clone().into());
    m.insert("ExternalAccess".into(), false.into());
    m.insert("InternalLogonType".into(), 0.into());
    let logon = if owner.eq_ignore_ascii_case(&a.user) {
        0
    } else {
        2
    };
    m.insert("LogonType".into(), logon.into());
    m.insert("LogonUserSid".into(), sid(&a.user).into());
    m.insert("MailboxGuid".into(), guid_of(owner).into());
    m.insert("MailboxOwnerSid".into(), sid(owner).into());
    m.insert("MailboxOwnerUPN".into(), owner.into());
    m.insert("OrganizationName".into(), ORG_NAME.into());
    m.insert(
        "OriginatingServer".into(),
        "AM0PR07MB5763 (15.20.7409.028)\r\n".into(),
    );
    if let Some(s) = &a.session {
        m.insert("SessionId".into(), s.clone().into());
    }
    m
}

fn admin(
    id: &str,
    t: i64,
    op: &str,
    a: &Actor,
    object: &str,
    params: &[(&str, &str)],
) -> Map<String, Value> {
    let mut m = base(id, t, op, 1, "Exchange", a);
    m.insert("ResultStatus".into(), "True".into());
    m.insert("UserType".into(), 2.into());
    m.insert("ClientIP".into(), a.ip.clone().into());
    m.insert(
        "ObjectId".into(),
        format!("EURPR07A010.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/{ORG_NAME}/{object}").into(),
    );
    m.insert(
        "AppId".into(),
        "00000002-0000-0ff1-ce00-000000000000".into(),
    );
    m.insert("ClientAppId".into(), "".into());
    m.insert("ExternalAccess".into(), false.into());
    m.insert("OrganizationName".into(), ORG_NAME.into());
    m.insert(
        "OriginatingServer".into(),
        "AM0PR07MB5763 (15.20.7409.028)".into(),
    );
    let params: Vec<Value> = params
        .iter()
        .map(|(n, v)| json!({ "Name": n, "Value": v }))
        .collect();
    m.insert("Parameters".into(), Value::Array(params));
    if let Some(s) = &a.session {
        m.insert("SessionId".into(), s.clone().into());
    }
    m
}

fn strip_port(ip: &str) -> String {
    sessionscope_core::ip::normalise(ip)
        .unwrap_or_default()
        .into_owned()
}

fn sid(user: &str) -> String {
    let h = hash(user);
    format!(
        "S-1-5-21-3422892061-1135328251-2670905592-{}",
        h % 90_000_000 + 10_000_000
    )
}

fn guid_of(s: &str) -> String {
    let mut r = super::Rng::new(hash(s));
    r.guid()
}

pub fn mailbox_login(id: &str, t: i64, a: &Actor) -> Value {
    Value::Object(mailbox(id, t, "MailboxLogin", 2, a, &a.user))
}

/// `MoveToDeletedItems`, `SoftDelete` or `HardDelete` of some items from one folder.
pub fn delete_items(
    id: &str,
    t: i64,
    a: &Actor,
    op: &str,
    folder: &str,
    subjects: &[&str],
) -> Value {
    let mut m = mailbox(id, t, op, 3, a, &a.user);
    m.insert("CrossMailboxOperation".into(), false.into());
    m.insert(
        "Folder".into(),
        json!({ "Id": guid_of(folder), "Path": folder }),
    );
    if op == "MoveToDeletedItems" {
        m.insert(
            "DestFolder".into(),
            json!({ "Id": guid_of("del"), "Path": "\\Deleted Items" }),
        );
    }
    let items: Vec<Value> = subjects
        .iter()
        .map(|s| {
            json!({
                "Id": guid_of(s),
                "InternetMessageId": format!("<{}@AM0PR07MB5763.eurprd07.prod.outlook.com>", guid_of(s)),
                "ParentFolder": { "Id": guid_of(folder), "Path": folder },
                "Subject": s,
            })
        })
        .collect();
    m.insert("AffectedItems".into(), Value::Array(items));
    Value::Object(m)
}

pub fn new_inbox_rule(id: &str, t: i64, a: &Actor, params: &[(&str, &str)]) -> Value {
    let name = params
        .iter()
        .find(|(n, _)| *n == "Name")
        .map_or("rule", |(_, v)| *v);
    let alias = a.user.split('@').next().unwrap_or(&a.user).to_string();
    Value::Object(admin(
        id,
        t,
        "New-InboxRule",
        a,
        &format!("{alias}\\{name}"),
        params,
    ))
}

/// An Exchange admin cmdlet (`Set-Mailbox`, `New-MailboxAuditLogSearch`, ...).
pub fn cmdlet(
    id: &str,
    t: i64,
    a: &Actor,
    op: &str,
    object: &str,
    params: &[(&str, &str)],
) -> Value {
    Value::Object(admin(id, t, op, a, object, params))
}

/// A rule written by a mail client (MAPI/EWS): `UpdateInboxRules`.
pub fn update_inbox_rules(
    id: &str,
    t: i64,
    a: &Actor,
    rule: &str,
    condition: &str,
    actions: &str,
) -> Value {
    let mut m = mailbox(id, t, "UpdateInboxRules", 2, a, &a.user);
    m.insert("ClientProcessName".into(), "OUTLOOK.EXE".into());
    m.insert("ClientVersion".into(), "16.0.17328.20550".into());
    m.insert(
        "OperationProperties".into(),
        json!([
            { "Name": "RuleOperation", "Value": "AddMailboxRule" },
            { "Name": "RuleId", "Value": format!("-{}", hash(rule) % 9_000_000_000_000_000_000) },
            { "Name": "RuleState", "Value": "Enabled" },
            { "Name": "RuleCondition", "Value": condition },
            { "Name": "RuleName", "Value": rule },
            { "Name": "RuleProvider", "Value": "RuleOrganizer" },
            { "Name": "RuleActions", "Value": actions },
        ]),
    );
    m.insert(
        "Item".into(),
        json!({ "Id": guid_of(rule), "ParentFolder": { "Id": guid_of("inbox"), "Name": "Inbox", "Path": "\\Inbox" } }),
    );
    Value::Object(m)
}

/// `AddFolderPermissions` on a folder of the actor's own mailbox.
pub fn add_folder_permissions(
    id: &str,
    t: i64,
    a: &Actor,
    folder: &str,
    member: &str,
    rights: &str,
) -> Value {
    let mut m = mailbox(id, t, "AddFolderPermissions", 2, a, &a.user);
    m.insert(
        "Item".into(),
        json!({
            "Id": guid_of(folder),
            "ParentFolder": {
                "Id": guid_of(folder),
                "MemberRights": rights,
                "MemberSid": sid(member),
                "MemberUpn": member,
                "Name": folder.trim_start_matches('\\'),
                "Path": folder,
            }
        }),
    );
    Value::Object(m)
}

pub fn mail_items_accessed(
    id: &str,
    t: i64,
    a: &Actor,
    access: &str,
    folder: &str,
    count: usize,
    rng: &mut super::Rng,
) -> Value {
    let mut m = mailbox(id, t, "MailItemsAccessed", 50, a, &a.user);
    m.insert(
        "AppId".into(),
        "00000002-0000-0ff1-ce00-000000000000".into(),
    );
    m.insert(
        "OperationProperties".into(),
        json!([{ "Name": "MailAccessType", "Value": access }, { "Name": "IsThrottled", "Value": "False" }]),
    );
    let items: Vec<Value> = (0..count)
        .map(|_| {
            json!({
                "InternetMessageId": format!("<{}@AM0PR07MB5763.eurprd07.prod.outlook.com>", rng.guid()),
                "SizeInBytes": 2000 + rng.below(90_000),
            })
        })
        .collect();
    m.insert(
        "Folders".into(),
        json!([{ "FolderItems": items, "Id": guid_of(folder), "Path": folder }]),
    );
    m.insert("OperationCount".into(), count.into());
    Value::Object(m)
}

pub fn send(id: &str, t: i64, a: &Actor, subject: &str) -> Value {
    let mut m = mailbox(id, t, "Send", 2, a, &a.user);
    m.insert(
        "Item".into(),
        json!({
            "Id": guid_of(subject),
            "InternetMessageId": format!("<{}@AM0PR07MB5763.eurprd07.prod.outlook.com>", guid_of(subject)),
            "ParentFolder": { "Id": guid_of("sent"), "Path": "\\Sent Items" },
            "SizeInBytes": 18_000 + hash(subject) % 40_000,
            "Subject": subject,
        }),
    );
    m.insert("SaveToSentItems".into(), true.into());
    Value::Object(m)
}

/// Entra STS sign-in (RecordType 15); the session ID sits in `DeviceProperties`.
pub fn user_logged_in(
    id: &str,
    t: i64,
    a: &Actor,
    user_agent: &str,
    os: &str,
    browser: &str,
) -> Value {
    let mut m = base(id, t, "UserLoggedIn", 15, "AzureActiveDirectory", a);
    m.remove("AppAccessContext");
    let ip = strip_port(&a.ip);
    m.insert("ResultStatus".into(), "Success".into());
    m.insert("UserType".into(), 0.into());
    m.insert("ClientIP".into(), ip.clone().into());
    m.insert(
        "ObjectId".into(),
        "00000002-0000-0ff1-ce00-000000000000".into(),
    );
    m.insert("AzureActiveDirectoryEventType".into(), 1.into());
    m.insert(
        "ExtendedProperties".into(),
        json!([
            { "Name": "ResultStatusDetail", "Value": "Success" },
            { "Name": "UserAgent", "Value": user_agent },
            { "Name": "RequestType", "Value": "OAuth2:Authorize" },
        ]),
    );
    m.insert("ActorIpAddress".into(), ip.into());
    m.insert(
        "ApplicationId".into(),
        "4765445b-32c6-49b0-83e6-1d93765276ca".into(),
    );
    let mut device = vec![
        json!({ "Name": "OS", "Value": os }),
        json!({ "Name": "BrowserType", "Value": browser }),
    ];
    if let Some(s) = &a.session {
        device.push(json!({ "Name": "SessionId", "Value": s }));
    }
    m.insert("DeviceProperties".into(), Value::Array(device));
    m.insert("ErrorNumber".into(), "0".into());
    Value::Object(m)
}

/// Entra `Consent to application.` (RecordType 8): a user gave an app delegated scopes. Such
/// records carry no session ID.
pub fn consent_to_application(id: &str, t: i64, a: &Actor, app: &str, scopes: &str) -> Value {
    let mut m = base(
        id,
        t,
        "Consent to application.",
        8,
        "AzureActiveDirectory",
        a,
    );
    m.remove("AppAccessContext");
    m.insert("ResultStatus".into(), "Success".into());
    m.insert("UserType".into(), 0.into());
    m.insert("ObjectId".into(), guid_of(app).into());
    m.insert("AzureActiveDirectoryEventType".into(), 1.into());
    m.insert(
        "ModifiedProperties".into(),
        json!([
            { "Name": "ConsentContext.IsAdminConsent", "NewValue": "False", "OldValue": "" },
            { "Name": "ConsentContext.OnBehalfOfAll", "NewValue": "False", "OldValue": "" },
            { "Name": "ConsentAction.Permissions", "NewValue": format!(
                "[] => [[Id: {}, ClientId: {}, PrincipalId: {}, ResourceId: {}, ConsentType: Principal, Scope:  {scopes}, CreatedDateTime: , LastModifiedDateTime ]]; ",
                guid_of(&format!("{app}{}", a.user)), guid_of(app), guid_of(&a.user), guid_of("graph")), "OldValue": "" },
        ]),
    );
    m.insert(
        "Target".into(),
        json!([
            { "ID": format!("ServicePrincipal_{}", guid_of(app)), "Type": 2 },
            { "ID": "ServicePrincipal", "Type": 2 },
            { "ID": app, "Type": 1 },
        ]),
    );
    m.insert(
        "Actor".into(),
        json!([{ "ID": a.user, "Type": 5 }, { "ID": "User", "Type": 2 }]),
    );
    Value::Object(m)
}

/// A SharePoint anonymous sharing link opened: the visitor is `anonymous` or
/// `urn:spo:anon#…`, never an account, from `ip` with browser `ua`.
pub fn anonymous_link_used(
    id: &str,
    t: i64,
    visitor: &str,
    ip: &str,
    ua: &str,
    url: &str,
) -> Value {
    let a = Actor {
        user: visitor.into(),
        session: None,
        ip: ip.into(),
        client_info: String::new(),
        token: None,
        issued_at: None,
    };
    let mut m = base(id, t, "AnonymousLinkUsed", 14, "SharePoint", &a);
    m.insert("UserType".into(), 10.into());
    m.insert("ClientIP".into(), ip.into());
    m.insert("UserAgent".into(), ua.into());
    m.insert("ObjectId".into(), url.into());
    m.insert("EventSource".into(), "SharePoint".into());
    m.insert("ItemType".into(), "File".into());
    Value::Object(m)
}
