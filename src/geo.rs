//! Where an IP is: its network's ASN and owner, its country and city. From the sign-ins'
//! own fields where they have them, and from local MaxMind-format databases (GeoLite2, DB-IP
//! or IPinfo country, city and ASN files, in any combination) given with `--ip-db` or found
//! at `$XDG_CONFIG_HOME/sessionscope/ip-db/*.mmdb`. Nothing is downloaded: without a database
//! only the sign-ins say where an address is.

use crate::store::Store;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Place {
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
}

impl Place {
    fn is_empty(&self) -> bool {
        self.asn.is_none() && self.country.is_none() && self.city.is_none()
    }

    /// Fields this place lacks, taken from `other`.
    fn fill(&mut self, other: Place) {
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

/// Open MaxMind-format databases.
pub struct IpDb {
    readers: Vec<(PathBuf, maxminddb::Reader<Vec<u8>>)>,
}

impl IpDb {
    /// Opens every file; a file that is not a MaxMind database is a clear error.
    pub fn open(paths: &[PathBuf]) -> Result<IpDb, String> {
        let mut readers = Vec::new();
        for p in paths {
            let r = maxminddb::Reader::open_readfile(p)
                .map_err(|e| format!("{}: not a readable MaxMind database: {e}", p.display()))?;
            readers.push((p.clone(), r));
        }
        Ok(IpDb { readers })
    }

    /// The databases of `$XDG_CONFIG_HOME/sessionscope/ip-db/` (or `~/.config/...`), if any.
    pub fn default_paths() -> Vec<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
        let Some(dir) = base.map(|b| b.join("sessionscope").join("ip-db")) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "mmdb"))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }

    pub fn paths(&self) -> Vec<&Path> {
        self.readers.iter().map(|(p, _)| p.as_path()).collect()
    }

    /// What the databases say of `ip`, the first database that knows a field winning.
    pub fn lookup(&self, ip: &str) -> Place {
        let mut place = Place::default();
        let Ok(addr) = ip.parse::<IpAddr>() else {
            return place;
        };
        for (_, r) in &self.readers {
            let Ok(found) = r.lookup(addr) else { continue };
            if let Ok(Some(v)) = found.decode::<Value>() {
                place.fill(from_record(&v));
            }
        }
        place
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string).filter(|s| !s.is_empty())
}

/// A record of any of the common layouts: GeoLite2 and DB-IP (`country.iso_code`,
/// `city.names.en`, `autonomous_system_number`), IPinfo (`country_code`, `asn` as `AS13335`,
/// `as_name`).
fn from_record(v: &Value) -> Place {
    let asn = v["autonomous_system_number"].as_u64().or_else(|| {
        v["asn"]
            .as_str()
            .and_then(|a| a.trim_start_matches("AS").parse().ok())
            .or_else(|| v["asn"].as_u64())
    });
    Place {
        asn: asn.and_then(|a| u32::try_from(a).ok()),
        as_org: text(&v["autonomous_system_organization"]).or_else(|| text(&v["as_name"])),
        country: text(&v["country"]["iso_code"])
            .or_else(|| text(&v["country_code"]))
            .or_else(|| text(&v["registered_country"]["iso_code"])),
        city: text(&v["city"]["names"]["en"]).or_else(|| text(&v["city"])),
    }
}

/// Where each IP of a load is, by IP text.
#[derive(Debug, Default)]
pub struct Geo {
    by_ip: FxHashMap<String, Place>,
    /// The databases it was looked up in, for a reader of the output.
    pub sources: Vec<String>,
}

impl Geo {
    /// The places of every IP of `store`'s sessions and sign-ins: the sign-ins' own ASN and
    /// location first, the databases for the rest.
    pub fn build(store: &Store, db: Option<&IpDb>) -> Geo {
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
            sources: db
                .map(|d| d.paths().iter().map(|p| p.display().to_string()).collect())
                .unwrap_or_default(),
        }
    }

    pub fn of(&self, ip: &str) -> Option<&Place> {
        self.by_ip.get(ip)
    }

    pub fn is_empty(&self) -> bool {
        self.by_ip.is_empty()
    }
}
