//! Entra ID sign-ins, joined to audit sessions: the audit log's session ID is the `sessionId`
//! of the sign-in that minted it (token claim `sid`), and `AppAccessContext.UniqueTokenId` is
//! the sign-in's `uniqueTokenIdentifier` (claim `uti`). A session's first interactive sign-in
//! is its birth: when, from where, with what device and app, over which protocol, with or
//! without MFA, and what Conditional Access said.

use rustc_hash::FxHashMap;
use serde::Serialize;

/// One sign-in, normalised. Text fields as the export wrote them; `user` and `session_id`
/// lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignIn {
    #[serde(serialize_with = "as_rfc3339")]
    pub time: i64,
    /// The sign-in's own id (`id`, the portal's `Request ID`).
    pub id: Option<String>,
    pub user: String,
    pub session_id: Option<String>,
    pub token_id: Option<String>,
    pub correlation_id: Option<String>,
    pub ip: Option<String>,
    pub asn: Option<u32>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub app: Option<String>,
    pub app_id: Option<String>,
    pub client_app: Option<String>,
    /// `authenticationProtocol`: `oAuth2`, `deviceCode`, `ropc`, `saml20`...
    pub protocol: Option<String>,
    pub interactive: Option<bool>,
    /// `authenticationRequirement`: `multiFactorAuthentication` or `singleFactorAuthentication`.
    pub requirement: Option<String>,
    pub mfa_result: Option<String>,
    pub conditional_access: Option<String>,
    pub risk: Option<String>,
    pub os: Option<String>,
    pub browser: Option<String>,
    pub device_id: Option<String>,
    pub compliant: Option<bool>,
    pub managed: Option<bool>,
    pub user_agent: Option<String>,
    pub succeeded: bool,
    /// Which input file (index in the load's file list) and record or line it came from.
    #[serde(skip)]
    pub file: usize,
    #[serde(skip)]
    pub record: usize,
}

fn as_rfc3339<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::time::rfc3339(*t))
}

impl SignIn {
    pub fn is_mfa(&self) -> bool {
        self.requirement
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("multiFactorAuthentication"))
    }

    /// A protocol that phishing or password spraying uses: device code, or ROPC (a password
    /// sent by a program).
    pub fn risky_protocol(&self) -> Option<&str> {
        self.protocol
            .as_deref()
            .filter(|p| p.eq_ignore_ascii_case("deviceCode") || p.eq_ignore_ascii_case("ropc"))
    }

    /// One line for screens: `03-11 08:00 198.51.100.23 AS64500 NL Amsterdam · Windows 10 /
    /// Firefox · Office Home · oAuth2 · single factor · CA notApplied`.
    pub fn line(&self, zone: crate::time::Zone) -> String {
        let mut parts = vec![zone.format(self.time, "%m-%d %H:%M")];
        let mut place = Vec::new();
        place.extend(self.ip.clone());
        place.extend(self.asn.map(|a| format!("AS{a}")));
        place.extend(self.country.clone());
        place.extend(self.city.clone());
        parts.push(place.join(" "));
        let device: Vec<String> = [&self.os, &self.browser]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if !device.is_empty() {
            parts.push(device.join(" / "));
        }
        parts.extend(self.app.clone());
        parts.extend(self.protocol.clone());
        parts.extend(self.requirement.as_deref().map(|r| {
            if r.eq_ignore_ascii_case("multiFactorAuthentication") {
                "MFA".to_string()
            } else if r.eq_ignore_ascii_case("singleFactorAuthentication") {
                "single factor".to_string()
            } else {
                r.to_string()
            }
        }));
        parts.extend(
            self.conditional_access
                .as_deref()
                .map(|c| format!("CA {c}")),
        );
        if self.compliant == Some(false) {
            parts.push("non-compliant device".into());
        }
        if !self.succeeded {
            parts.push("FAILED".into());
        }
        parts.join(" · ")
    }
}

/// A token id in either encoding (base64url as the audit log writes `UniqueTokenId`, base64
/// with `+/=`), as one comparable text.
pub fn token_key(t: &str) -> String {
    t.trim()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// The sign-ins of a load, in time order, found by session ID and token id.
#[derive(Debug, Default)]
pub struct SignIns {
    pub all: Vec<SignIn>,
    by_session: FxHashMap<String, Vec<usize>>,
    by_token: FxHashMap<String, usize>,
}

impl SignIns {
    pub fn new(all: Vec<SignIn>) -> SignIns {
        // The same sign-in in two overlapping exports (or two formats of one) counts once: by
        // its id, or by when, who, where and which session when it has none.
        fn key(s: &SignIn) -> (i64, &str, Option<&str>, Option<&str>, Option<&str>) {
            let (session, ip) = match s.id {
                Some(_) => (None, None),
                None => (s.session_id.as_deref(), s.ip.as_deref()),
            };
            (s.time, s.user.as_str(), s.id.as_deref(), session, ip)
        }
        // Sorting indices, then moving each sign-in once: a sign-in is a large struct, and a
        // sort moves its elements many times.
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by(|&a, &b| key(&all[a]).cmp(&key(&all[b])));
        order.dedup_by(|a, b| key(&all[*a]) == key(&all[*b]));
        let mut slots: Vec<Option<SignIn>> = all.into_iter().map(Some).collect();
        let all: Vec<SignIn> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let mut by_session: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        let mut by_token = FxHashMap::default();
        for (i, s) in all.iter().enumerate() {
            if let Some(id) = &s.session_id {
                by_session.entry(id.clone()).or_default().push(i);
            }
            if let Some(t) = &s.token_id {
                by_token.entry(token_key(t)).or_insert(i);
            }
        }
        SignIns {
            all,
            by_session,
            by_token,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The sign-ins of a session (ID compared without case), in time order.
    pub fn of_session(&self, session_id: &str) -> Vec<&SignIn> {
        self.by_session
            .get(&session_id.to_ascii_lowercase())
            .map(|v| v.iter().map(|&i| &self.all[i]).collect())
            .unwrap_or_default()
    }

    /// The sign-in that issued a token.
    pub fn of_token(&self, token: &str) -> Option<&SignIn> {
        self.by_token.get(&token_key(token)).map(|&i| &self.all[i])
    }

    /// The sign-ins of an audit session: by its session ID, and by the token ids its records
    /// carry (a sign-in exported without its session ID still joins by token), in time order.
    pub fn of_audit_session<'t>(
        &self,
        session_id: &str,
        tokens: impl IntoIterator<Item = &'t str>,
    ) -> Vec<&SignIn> {
        let mut out = self.of_session(session_id);
        for t in tokens {
            if let Some(s) = self.of_token(t)
                && !out.iter().any(|o| std::ptr::eq(*o, s))
            {
                out.push(s);
            }
        }
        out.sort_by_key(|s| s.time);
        out
    }
}

/// Where a session was born, of its sign-ins (time order): the first successful interactive
/// one, else the first successful one, else the first.
pub fn birth<'s>(signins: &[&'s SignIn]) -> Option<&'s SignIn> {
    signins
        .iter()
        .find(|s| s.succeeded && s.interactive != Some(false))
        .or_else(|| signins.iter().find(|s| s.succeeded))
        .or_else(|| signins.first())
        .copied()
}

impl SignIns {
    /// Session IDs that have sign-ins, each with its user, in order of first sign-in.
    pub fn sessions(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str, i64)> = self
            .by_session
            .iter()
            .map(|(id, v)| {
                let first = &self.all[v[0]];
                (id.as_str(), first.user.as_str(), first.time)
            })
            .collect();
        out.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(b.0)));
        out.into_iter().map(|(id, user, _)| (id, user)).collect()
    }
}
