//! Where an IP is: its network's ASN and owner, its country and city. From the sign-ins'
//! own fields where they have them, and from local MaxMind-format databases (GeoLite2, DB-IP
//! or IPinfo country, city and ASN files, in any combination) given with `--ip-db` or found
//! at `$XDG_CONFIG_HOME/sessionscope/ip-db/*.mmdb`. Nothing is downloaded: without a database
//! only the sign-ins say where an address is.

use crate::store::Store;
use rustc_hash::FxHashMap;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Place {
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
}

impl Place {
    pub fn is_empty(&self) -> bool {
        self.asn.is_none() && self.country.is_none() && self.city.is_none()
    }

    /// Fields this place lacks, taken from `other`.
    pub fn fill(&mut self, other: Place) {
        self.asn = self.asn.or(other.asn);
        self.as_org = self.as_org.take().or(other.as_org);
        self.country = self.country.take().or(other.country);
        self.city = self.city.take().or(other.city);
    }

    /// `AS64511 Example Net · NL Amsterdam`.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        let asn = match (self.asn, &self.as_org) {
            (Some(a), Some(o)) => Some(format!("AS{a} {o}")),
            (Some(a), None) => Some(format!("AS{a}")),
            _ => None,
        };
        parts.extend(asn);
        let place: Vec<&str> = [self.country.as_deref(), self.city.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !place.is_empty() {
            parts.push(place.join(" "));
        }
        parts.join(" · ")
    }
}

/// Where each IP of a load is, by IP text.
/// Where IPs are, as a database that the caller opened knows it.
pub trait PlaceLookup {
    /// What the database knows of `ip` (an empty place for nothing).
    fn lookup(&self, ip: &str) -> Place;
    /// The databases, named for a reader of the output.
    fn sources(&self) -> Vec<String>;
}

#[derive(Debug, Default)]
pub struct Geo {
    by_ip: FxHashMap<String, Place>,
    /// The databases it was looked up in, for a reader of the output.
    pub sources: Vec<String>,
}

impl Geo {
    /// The places of every IP of `store`'s sessions and sign-ins: the sign-ins' own ASN and
    /// location first, the databases for the rest.
    pub fn build(store: &Store, db: Option<&dyn PlaceLookup>) -> Geo {
        let mut by_ip: FxHashMap<String, Place> = FxHashMap::default();
        for s in &store.signins.all {
            if let Some(ip) = &s.ip {
                let place = Place {
                    asn: s.asn,
                    as_org: None,
                    country: s.country.clone(),
                    city: s.city.clone(),
                };
                by_ip.entry(ip.clone()).or_default().fill(place);
            }
        }
        if let Some(db) = db {
            let mut ips: Vec<crate::intern::Sym> = store
                .sessions
                .iter()
                .flat_map(|s| s.ips.iter().copied())
                .collect();
            ips.sort_unstable();
            ips.dedup();
            let audit = ips.iter().map(|&ip| store.str(ip));
            let sign_ins = store.signins.all.iter().filter_map(|s| s.ip.as_deref());
            for ip in audit.chain(sign_ins) {
                let entry = by_ip.entry(ip.to_string()).or_default();
                if entry.asn.is_none() || entry.country.is_none() {
                    entry.fill(db.lookup(ip));
                }
            }
        }
        by_ip.retain(|_, p| !p.is_empty());
        Geo {
            by_ip,
            sources: db.map(|d| d.sources()).unwrap_or_default(),
        }
    }

    pub fn of(&self, ip: &str) -> Option<&Place> {
        self.by_ip.get(ip)
    }

    pub fn is_empty(&self) -> bool {
        self.by_ip.is_empty()
    }
}
