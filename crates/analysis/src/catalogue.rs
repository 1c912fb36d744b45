//! Every reason the analysis can give, once: its stable name (scripts read it as `code`), the
//! weights it carries, and what it means. README's table of reasons is this catalogue, written
//! out by [`markdown_table`] and checked by a test.

/// What the catalogue says of a code.
pub struct Entry {
    pub code: Code,
    pub name: &'static str,
    /// The weights it can carry, the usual one first.
    pub weights: &'static [u32],
    /// When it carries each weight, where it can carry more than one.
    pub weighed: &'static str,
    pub what: &'static str,
}

macro_rules! catalogue {
    ($($code:ident $name:literal [$($w:literal),+] $weighed:literal $what:literal;)+) => {
        /// A kind of finding. Its name is a contract with scripts: add codes freely, never
        /// rename one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($code,)+
        }

        /// Every code, heaviest first (the order of README's table).
        pub const CATALOGUE: &[Entry] = &[
            $(Entry {
                code: Code::$code,
                name: $name,
                weights: &[$($w),+],
                weighed: $weighed,
                what: $what,
            },)+
        ];
    };
}

catalogue! {
    TokenReplay "token_replay" [50, 10] "10 for a user who roams"
        "one session used from the user's network and 3+ others, switching within minutes";
    MailboxForwardsOutside "mailbox_forwards_outside" [45, 40] "40 when a copy is kept"
        "mailbox forwarding set to an address outside the tenant";
    RuleForwardsOutside "rule_forwards_outside" [40] ""
        "an inbox rule forwards or redirects mail outside the tenant";
    ConsentMailScopes "consent_mail_scopes" [40] ""
        "consent to an application with mail scopes (Mail.Read, EWS, IMAP...)";
    AppGrantMailScopes "app_grant_mail_scopes" [40] ""
        "mail scopes granted to an application (Mail.Read, EWS, IMAP...)";
    GrantMailbox "grant_mailbox" [35] ""
        "FullAccess, SendAs or SendOnBehalf granted on a mailbox";
    GrantInbox "grant_inbox" [30] ""
        "rights granted on the Inbox, Sent Items or the whole mailbox's folders";
    GrantEveryone "grant_everyone" [30] ""
        "folder rights granted to Default or Anonymous: anyone";
    RuleHidesMail "rule_hides_mail" [30] ""
        "an inbox rule that deletes, marks read and files away, or moves to RSS/Archive/Junk";
    RuleMoneyWords "rule_money_words" [30] ""
        "an inbox rule filtering on invoice, payment, wire...";
    RuleHidesWarnings "rule_hides_warnings" [30] ""
        "an inbox rule that looks for security warnings (phish, hacked, suspicious...)";
    LegacyAuth "legacy_auth" [30] ""
        "no-session activity over IMAP/POP/SMTP/ROPC (a password alone)";
    BornRiskyProtocol "born_risky_protocol" [30] ""
        "born (first interactive sign-in) by device code or ROPC";
    MassRead "mass_read" [25, 30] "30 when ten times the user's most"
        "far more mail items opened than any of the user's sessions";
    MassDelete "mass_delete" [25] ""
        "far more items deleted than any of the user's sessions";
    MassSync "mass_sync" [20] ""
        "far more mail items synced than any of the user's sessions";
    ManyNetworks "many_networks" [25] ""
        "many IPs and networks in one session, more than twice the user's usual";
    SameIpNewClient "same_ip_new_client" [25] ""
        "a second session beside the user's own on the same IP, with a client the user never used";
    MailboxForwardsToRecipient "mailbox_forwards_to_recipient" [25] ""
        "mailbox forwarding to a recipient object (ForwardingAddress, often a mail contact): where it delivers is not in the record";
    AppOnlyAccess "app_only_access" [25] ""
        "mail actions by a non-Microsoft app with no user session, an app the user's sessions never used";
    AutomationClient "automation_client" [20] ""
        "a script's client (PowerShell, Graph SDK...) on a human account";
    LongLived "long_lived" [20] ""
        "a session living 3x longer than any other of the user's (2 days and more)";
    AppRegistered "app_registered" [20] ""
        "a service principal or credentials added";
    BornAtRisk "born_at_risk" [20] ""
        "born at medium or high sign-in risk";
    BornNewCountry "born_new_country" [20] ""
        "born (or, from an IP database, first seen) in a country none of the user's other sessions began in (two or more to compare)";
    BornWithoutMfa "born_without_mfa" [20, 5] "5 when the user's sessions did not always pass MFA"
        "born with a single factor where the user's other sessions passed MFA";
    BornNonCompliant "born_non_compliant" [15] ""
        "born on a non-compliant device where the user's were compliant";
    BornNewAsn "born_new_asn" [15] ""
        "born (or first seen) in a network owner (ASN) none of the user's other sessions began in";
    NewNetwork "new_network" [15] ""
        "networks (/24, /48) none of the user's other sessions used";
    NewProtocol "new_protocol" [15] ""
        "a protocol (IMAP, EWS, PowerShell...) none of the user's other sessions used";
    NewClient "new_client" [10] ""
        "a client string never seen for this user";
    SameIpSecondSession "same_ip_second_session" [10] ""
        "a second session beside the user's own on the same IP at the same time";
    SentMail "sent_mail" [10] ""
        "mail sent where the user's other sessions sent none";
    MailboxForwardsInside "mailbox_forwards_inside" [10] ""
        "mailbox forwarding inside the tenant";
    GrantFolder "grant_folder" [10] ""
        "rights granted on another mail folder";
    Consent "consent" [10] ""
        "consent to an application without mail scopes";
    AppGrant "app_grant" [10] ""
        "a grant to an application without mail scopes";
    RuleForwardsInside "rule_forwards_inside" [8] ""
        "an inbox rule forwards mail inside the tenant";
    NewOperation "new_operation" [5] ""
        "an operation none of the user's other sessions did";
    OddHours "odd_hours" [5] ""
        "active at hours the user's other sessions never were";
    RecordUnread "record_unread" [5] ""
        "a telling record (rule, grant...) whose facts could not be read";
    NewNetworkRoaming "new_network_roaming" [2] ""
        "new networks for a user whose every session brings new ones (a phone)";
    RuleFilesMail "rule_files_mail" [2] ""
        "an inbox rule that files mail into a folder: routine";
    GrantRoutine "grant_routine" [2] ""
        "calendar, contacts or free/busy shared: routine";
    AutomationClientRoutine "automation_client_routine" [2] ""
        "a script's client on an account whose sessions always use one";
}

impl Code {
    pub fn entry(self) -> &'static Entry {
        CATALOGUE
            .iter()
            .find(|e| e.code == self)
            .expect("every code is in the catalogue")
    }

    /// The stable name scripts read (`token_replay`).
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// The usual weight.
    pub fn weight(self) -> u32 {
        self.entry().weights[0]
    }
}

/// README's table of reasons: a row per code, heaviest first.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | weight | what |\n|---|---|---|\n");
    for e in CATALOGUE {
        let weight = match e.weighed {
            "" => e.weights[0].to_string(),
            when => format!("{} ({when})", e.weights[0]),
        };
        out.push_str(&format!("| `{}` | {weight} | {} |\n", e.name, e.what));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_weights_named() {
        let mut names: Vec<&str> = CATALOGUE.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len(), "a name used twice");
        for e in CATALOGUE {
            assert!(
                e.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                e.name
            );
            assert_eq!(
                e.weights.len() > 1,
                !e.weighed.is_empty(),
                "{}: say when each weight applies",
                e.name
            );
            assert_eq!(e.code.entry().name, e.name);
        }
    }
}
