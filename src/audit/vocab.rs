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

/// How an action reached Exchange, from its client string.
pub fn protocol(client: &str) -> &'static str {
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
    }
}
