//! Local MaxMind-format databases (GeoLite2, DB-IP or IPinfo country, city and ASN files, in
//! any combination) given with `--ip-db` or found at `$XDG_CONFIG_HOME/sessionscope/ip-db/`.

use serde_json::Value;
use sessionscope_core::geo::Place;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

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

impl sessionscope_core::geo::PlaceLookup for IpDb {
    fn lookup(&self, ip: &str) -> Place {
        IpDb::lookup(self, ip)
    }

    fn sources(&self) -> Vec<String> {
        self.paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    }
}
