//! What an operation is, decided once per distinct operation string, and what kind of client a
//! client string names. Analysis, the report's remediation and the TUI all ask here, so the
//! three can never disagree about what `Get-MailboxPermission` or `UpdateInboxRules` means.

/// What an audited operation does, in an investigator's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An inbox rule created, changed or switched on (`New-InboxRule`, `UpdateInboxRules`, ...).
    RuleChange,
    /// An inbox rule removed or switched off.
    RuleRemoval,
    /// `Set-Mailbox` and friends: forwarding, delegates, quotas; the record says which.
    MailboxSettings,
    /// Rights given on a mailbox or folder (`Add-MailboxPermission`, `AddFolderPermissions`).
    PermissionGrant,
    /// Rights taken away.
    PermissionRemoval,
    /// Rights only read (`Get-MailboxPermission`): nothing to remediate.
    PermissionRead,
    /// A user or admin consented to an application.
    Consent,
    /// Delegated or application permissions granted to a service principal.
    AppGrant,
    /// A service principal or application added, or credentials added to one.
    AppRegistration,
    /// Mail deleted or moved to Deleted Items.
    Delete,
    /// Mail read or synced.
    Read,
    /// Mail sent as or for the mailbox.
    Send,
    /// A sign-in or mailbox logon.
    SignIn,
    /// A mailbox search run.
    Search,
    Other,
}

impl Kind {
    /// Operations rare and telling enough that their whole record is read again for the facts
    /// behind a verdict (rule conditions, forward targets, rights, scopes).
    pub fn wants_record(self) -> bool {
        matches!(
            self,
            Kind::RuleChange
                | Kind::MailboxSettings
                | Kind::PermissionGrant
                | Kind::Consent
                | Kind::AppGrant
                | Kind::AppRegistration
        )
    }
}

/// The kind of an operation name, as the Unified Audit Log writes it.
pub fn classify(op: &str) -> Kind {
    let op = op.trim();
    match op {
        "New-InboxRule" | "Set-InboxRule" | "Enable-InboxRule" | "UpdateInboxRules"
        | "New-TransportRule" | "Set-TransportRule" => return Kind::RuleChange,
        "Remove-InboxRule" | "Disable-InboxRule" | "Remove-TransportRule" => {
            return Kind::RuleRemoval;
        }
        "Set-Mailbox" | "Set-CASMailbox" | "Set-MailboxJunkEmailConfiguration" => {
            return Kind::MailboxSettings;
        }
        "AddFolderPermissions"
        | "ModifyFolderPermissions"
        | "Add-RecipientPermission"
        | "Add-ADPermission" => return Kind::PermissionGrant,
        "RemoveFolderPermissions" | "Remove-RecipientPermission" | "Remove-ADPermission" => {
            return Kind::PermissionRemoval;
        }
        "Consent to application." => return Kind::Consent,
        "Add delegated permission grant."
        | "Update delegated permission grant."
        | "Add app role assignment to service principal."
        | "Add app role assignment grant to user."
        | "Add-ManagementRoleAssignment" => return Kind::AppGrant,
        "Add service principal."
        | "Add service principal credentials."
        | "Add application."
        | "Update application - Certificates and secrets management "
        | "Update application – Certificates and secrets management " => {
            return Kind::AppRegistration;
        }
        "SoftDelete" | "HardDelete" | "MoveToDeletedItems" => return Kind::Delete,
        "MailItemsAccessed" | "FolderBind" | "MessageBind" => return Kind::Read,
        "Send" | "SendAs" | "SendOnBehalf" => return Kind::Send,
        "MailboxLogin" | "UserLoggedIn" | "UserLoginFailed" => return Kind::SignIn,
        "SearchQueryInitiatedExchange" | "New-ComplianceSearch" | "Search-Mailbox" => {
            return Kind::Search;
        }
        _ => {}
    }
    if op.ends_with("Permission") || op.ends_with("Permissions") {
        if op.starts_with("Get-") {
            Kind::PermissionRead
        } else if op.starts_with("Remove") {
            Kind::PermissionRemoval
        } else if op.starts_with("Add") || op.starts_with("Set") {
            Kind::PermissionGrant
        } else {
            Kind::Other
        }
    } else {
        Kind::Other
    }
}

/// Exchange Online's own application id: the service acted on, not a client.
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// Microsoft's own applications, by id: their access is the tenant's ordinary business.
const FIRST_PARTY_APPS: &[(&str, &str)] = &[
    (EXCHANGE_APP_ID, "Office 365 Exchange Online"),
    ("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
    (
        "00000006-0000-0ff1-ce00-000000000000",
        "Microsoft Office 365 Portal",
    ),
    ("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile"),
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    (
        "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
        "Microsoft Teams Web Client",
    ),
    ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
    (
        "89bee1f7-5e6e-4d8a-9f3d-ecd601259da7",
        "Office365 Shell WCSS-Client",
    ),
    (
        "00b41c95-dab0-4487-9791-b9d2c32c80f2",
        "Office 365 Management",
    ),
    (
        "fb78d390-0c51-40cd-8e17-fdbfab77341b",
        "Exchange REST API Based PowerShell",
    ),
    (
        "a0c73c16-a7e3-4564-9a95-2bdf47383716",
        "Exchange Online Remote PowerShell",
    ),
];

/// The name of a Microsoft first-party application id.
pub fn first_party_app(id: &str) -> Option<&'static str> {
    FIRST_PARTY_APPS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(id.trim()))
        .map(|(_, name)| *name)
}

/// The application id of a client the loader wrote as `AppId=<id>` (app-only access).
pub fn app_of_client(client: &str) -> Option<&str> {
    client.strip_prefix("AppId=")
}

/// How an action reached Exchange, from its client string.
pub fn protocol(client: &str) -> &'static str {
    if app_of_client(client).is_some() {
        return "an application's own access";
    }
    let c = client.to_ascii_lowercase();
    if c.contains("powershell") || c.contains("exchange.management") {
        "PowerShell"
    } else if c.contains("msexchangerpc") || c.contains("outlook") && c.contains("mapi") {
        "MAPI (Outlook)"
    } else if c.contains("owa") {
        "OWA (browser)"
    } else if c.contains("pop3") || c.contains("imap") {
        "POP/IMAP"
    } else if c.contains("smtp") {
        "SMTP"
    } else if c.contains("activesync") {
        "ActiveSync"
    } else if c.contains("webservices") || c.contains("ews") {
        "EWS"
    } else if is_outlook_mobile(&c) {
        "Outlook mobile"
    } else if c.contains("rest") {
        "REST"
    } else if c.starts_with("mozilla/") {
        "browser sign-in"
    } else {
        "other"
    }
}

/// Outlook for iOS and Android reach Exchange through its REST sync service and write
/// `Client=REST;Client=RESTSystem;;`: a person on a phone, not a script.
fn is_outlook_mobile(lower: &str) -> bool {
    lower.starts_with("client=rest;client=restsystem")
        || lower.contains("outlook-ios")
        || lower.contains("outlook-android")
        || lower.contains("outlookmobile")
}

/// Client strings of scripts and HTTP libraries: on a human account they mean someone is
/// driving the mailbox by program.
pub fn is_automation(client: &str) -> bool {
    let c = client.to_ascii_lowercase();
    if is_outlook_mobile(&c) {
        return false;
    }
    [
        "python-requests",
        "python-urllib",
        "aiohttp",
        "curl/",
        "wget/",
        "go-http-client",
        "powershell/",
        "okhttp",
        "axios",
        "postmanruntime",
        "node-fetch",
        "libwww-perl",
    ]
    .iter()
    .any(|a| c.contains(a))
}

/// Protocols that authenticate with a password alone (basic auth, ROPC): they carry no
/// Azure AD session, and are the door password-spraying uses.
pub fn is_legacy_auth(client: &str) -> bool {
    let c = client.to_ascii_lowercase();
    c.contains("pop3")
        || c.contains("imap")
        || c.contains("smtp")
        || c.contains("bav2ropc")
        || c.contains("activesync") && c.contains("basic")
        || c.contains("autodiscover")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_classified_by_what_they_do() {
        assert_eq!(classify("New-InboxRule"), Kind::RuleChange);
        assert_eq!(classify("UpdateInboxRules"), Kind::RuleChange);
        assert_eq!(classify("Remove-InboxRule"), Kind::RuleRemoval);
        assert_eq!(classify("Add-MailboxPermission"), Kind::PermissionGrant);
        assert_eq!(
            classify("Set-MailboxFolderPermission"),
            Kind::PermissionGrant
        );
        assert_eq!(classify("AddFolderPermissions"), Kind::PermissionGrant);
        assert_eq!(classify("Get-MailboxPermission"), Kind::PermissionRead);
        assert_eq!(
            classify("Remove-MailboxPermission"),
            Kind::PermissionRemoval
        );
        assert_eq!(classify("Consent to application."), Kind::Consent);
        assert_eq!(classify("Add delegated permission grant."), Kind::AppGrant);
        assert_eq!(classify("Add service principal."), Kind::AppRegistration);
        assert_eq!(classify("Set-Mailbox"), Kind::MailboxSettings);
        assert_eq!(classify("MoveToDeletedItems"), Kind::Delete);
        assert_eq!(classify("MailItemsAccessed"), Kind::Read);
        assert_eq!(classify("SendAs"), Kind::Send);
        assert_eq!(classify("New-MailboxAuditLogSearch"), Kind::Other);
        assert!(classify("New-InboxRule").wants_record());
        assert!(!classify("MailItemsAccessed").wants_record());
        assert!(!classify("Get-MailboxPermission").wants_record());
    }

    #[test]
    fn clients_are_told_apart() {
        assert_eq!(protocol("Client=MSExchangeRPC"), "MAPI (Outlook)");
        assert_eq!(
            protocol("Client=Microsoft.Exchange.PowerShell;Version=3.0"),
            "PowerShell"
        );
        assert_eq!(protocol("Client=OWA;Action=ViaProxy"), "OWA (browser)");
        assert_eq!(
            protocol("Client=REST;Client=RESTSystem;;"),
            "Outlook mobile"
        );
        assert_eq!(protocol("Client=POP3/IMAP4;Protocol=IMAP4"), "POP/IMAP");
        assert!(is_automation("python-requests/2.31"));
        assert!(!is_automation("Client=REST;Client=RESTSystem;;"));
        assert!(!is_automation("Client=OWA;Mozilla/5.0"));
        assert!(is_legacy_auth("Client=POP3/IMAP4;Protocol=IMAP4"));
        assert!(is_legacy_auth("BAV2ROPC"));
        assert!(!is_legacy_auth("Client=MSExchangeRPC"));
        assert_eq!(
            protocol("AppId=3a278062-7639-4075-8973-bd650d7bf415"),
            "an application's own access"
        );
        assert_eq!(
            first_party_app("27922004-5251-4030-B22D-91ECD9A37EA4"),
            Some("Outlook Mobile")
        );
    }
}
