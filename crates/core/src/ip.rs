//! Client IP normalisation (formats.md 7.4): the same address appears as `1.2.3.4`,
//! `1.2.3.4:63070`, `[2a01::1]:36185`, `::ffff:1.2.3.4` or upper-case IPv6; all must join.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};

/// A plain dotted IPv4 address, optionally with `:port`: the common case, returned without
/// parsing or allocating.
/// (Bytes matched by hand: it runs for every record, and `str` splitting and parsing were
/// most of its time.)
fn plain_ipv4(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let host = match bytes.iter().position(|&b| b == b':') {
        Some(colon) if bytes[colon + 1..].iter().all(u8::is_ascii_digit) => &s[..colon],
        Some(_) => return None,
        None => s,
    };
    let mut parts = 0;
    for part in host.as_bytes().split(|&b| b == b'.') {
        // 0-255 without leading zeros; for three digits, digit-wise order is numeric order.
        let ok = match *part {
            [a] => a.is_ascii_digit(),
            [b'1'..=b'9', b] => b.is_ascii_digit(),
            [a @ b'1'..=b'9', b, c] => {
                b.is_ascii_digit() && c.is_ascii_digit() && [a, b, c] <= *b"255"
            }
            _ => false,
        };
        if !ok {
            return None;
        }
        parts += 1;
    }
    (parts == 4 && host != "0.0.0.0").then_some(host)
}

/// The normalised address, or `None` when the value means "no address"
/// (`""`, `<null>`, `0.0.0.0`, `::`).
pub fn normalise(raw: &str) -> Option<Cow<'_, str>> {
    let s = raw.trim();
    if let Some(v4) = plain_ipv4(s) {
        return Some(Cow::Borrowed(v4));
    }
    if s.is_empty() || s.eq_ignore_ascii_case("<null>") || s.eq_ignore_ascii_case("null") {
        return None;
    }
    let host = if let Some(rest) = s.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if s.matches(':').count() == 1 && s.contains('.') {
        // IPv4 with a source port. Bare IPv6 has several colons and keeps all its groups.
        s.split(':').next().unwrap_or(s)
    } else {
        s
    };
    let host = host.split('%').next().unwrap_or(host);
    match host.parse::<IpAddr>() {
        Ok(ip) => {
            let ip = match ip {
                IpAddr::V6(v6) => v6
                    .to_ipv4_mapped()
                    .map(IpAddr::V4)
                    .unwrap_or(IpAddr::V6(v6)),
                v4 => v4,
            };
            if ip.is_unspecified() {
                None
            } else {
                Some(Cow::Owned(ip.to_string()))
            }
        }
        Err(_) => Some(Cow::Owned(host.to_ascii_lowercase())),
    }
}

/// The network an address belongs to, for "IPs in different networks": /24 for IPv4,
/// /48 for IPv6. Unparseable values are their own network.
pub fn network_of(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            format!("{net}/48")
        }
        Err(_) => ip.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_formats_7_4() {
        let n = |s: &str| normalise(s).map(|c| c.into_owned());
        assert_eq!(n("198.51.100.23").as_deref(), Some("198.51.100.23"));
        assert_eq!(n("198.51.100.23:19823").as_deref(), Some("198.51.100.23"));
        assert_eq!(
            n("[2a01:110:8068:7:9bf8:aa87:e00a:5f1f]:36185").as_deref(),
            Some("2a01:110:8068:7:9bf8:aa87:e00a:5f1f")
        );
        assert_eq!(
            n("2603:10b6:5:345::11").as_deref(),
            Some("2603:10b6:5:345::11")
        );
        assert_eq!(n("FE80::").as_deref(), Some("fe80::"));
        assert_eq!(n("::1").as_deref(), Some("::1"));
        assert_eq!(n("::ffff:1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(n("0.0.0.0"), None);
        assert_eq!(n(""), None);
        assert_eq!(n("<null>"), None);
        assert_eq!(n("not-an-ip").as_deref(), Some("not-an-ip"));
        assert_eq!(
            n("010.1.2.3").as_deref(),
            Some("010.1.2.3"),
            "not a plain address: kept"
        );
        assert_eq!(n("1.2.3.4:x").as_deref(), Some("1.2.3.4"));
        assert_eq!(n("256.1.1.1").as_deref(), Some("256.1.1.1"));
    }

    /// The hand-matched fast path against the standard library's parser, on every form of
    /// part it distinguishes.
    #[test]
    fn plain_ipv4_agrees_with_the_standard_parser() {
        let parts = [
            "0", "1", "9", "00", "01", "10", "99", "100", "199", "249", "250", "255", "256", "260",
            "300", "999", "010", "1000", "", "a", "1a", "-1", "+1", " 1",
        ];
        let ports = ["", ":", ":443", ":x", ":1:2", ":44a"];
        for (i, a) in parts.iter().enumerate() {
            for b in &parts[i % 5..i % 5 + 3] {
                for port in ports {
                    let host = format!("{a}.{b}.2.{a}");
                    let s = format!("{host}{port}");
                    let port_ok = port.len() <= 1 || port[1..].bytes().all(|c| c.is_ascii_digit());
                    let std_plain = host.parse::<std::net::Ipv4Addr>().is_ok() && port_ok;
                    assert_eq!(plain_ipv4(&s), std_plain.then_some(host.as_str()), "{s}");
                }
            }
        }
        assert_eq!(plain_ipv4("1.2.3"), None);
        assert_eq!(plain_ipv4("1.2.3.4.5"), None);
        assert_eq!(plain_ipv4("0.0.0.0"), None);
    }

    #[test]
    fn networks() {
        assert_eq!(network_of("198.51.100.23"), "198.51.100.0/24");
        assert_eq!(network_of("2603:10b6:5:345::11"), "2603:10b6:5::/48");
    }
}
