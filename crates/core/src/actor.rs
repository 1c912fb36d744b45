//! Who an audit record's `UserId` is: an account of the tenant, or a stand-in for one (an
//! anonymous sharing link's visitor, a system process, an application).

/// True when `user` is an account a person signs in to: an address with a local part, not a
/// SharePoint anonymous-link visitor (`anonymous`, `urn:spo:anon#…`), a system actor
/// (`NT AUTHORITY\SYSTEM (…)`, `S-1-5-18`, `Certificate`) or SharePoint's app (`app@sharepoint`).
/// Counting how many accounts share a value, only these count: an attacker who opens an
/// anonymous link from their own IP adds visitors, not accounts.
pub fn is_account(user: &str) -> bool {
    let user = user.trim();
    let Some((local, domain)) = user.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !user.starts_with("urn:")
        && !user.eq_ignore_ascii_case("app@sharepoint")
}

#[cfg(test)]
mod tests {
    use super::is_account;

    #[test]
    fn accounts_are_told_from_visitors_and_system_actors() {
        for account in [
            "alex.wilber@contoso.com",
            "bob_gmail.com#EXT#@contoso.onmicrosoft.com",
            "Megan.Bowen@Contoso.com",
        ] {
            assert!(is_account(account), "{account}");
        }
        for not in [
            "anonymous",
            "urn:spo:anon#3c1a2b4d5e6f",
            "urn:spo:guest#alex@gmail.com",
            "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)",
            "S-1-5-18",
            "Certificate",
            "app@sharepoint",
            "",
            "@contoso.com",
        ] {
            assert!(!is_account(not), "{not}");
        }
    }
}
