//! Bytes on disk to UTF-8 text: gzip, UTF-8 BOM, UTF-16LE (with BOM, or recognised by its
//! zero bytes when PowerShell's `Out-File` left none).

use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16LeNoBom,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16LeNoBom => "UTF-16LE without BOM",
        }
    }
}

pub struct Decoded {
    /// UTF-8 text (not validated here: invalid sequences are reported per record).
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
    pub gzip: bool,
    /// Offset of `bytes[0]` in the file on disk, when `bytes` is the file's own content, so
    /// records can be re-read from disk later. `None` for gzip and UTF-16 input.
    pub disk_base: Option<u64>,
}

pub fn read(path: &Path) -> std::io::Result<Decoded> {
    let raw = std::fs::read(path)?;
    Ok(decode(raw))
}

pub fn decode(raw: Vec<u8>) -> Decoded {
    let (raw, gzip) = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 8);
        match MultiGzDecoder::new(&raw[..]).read_to_end(&mut out) {
            // A truncated archive still yields what was decompressed before the cut.
            Ok(_) | Err(_) if !out.is_empty() => (out, true),
            _ => (raw, false),
        }
    } else {
        (raw, false)
    };
    let base = |n: u64| if gzip { None } else { Some(n) };
    if raw.starts_with(&[0xef, 0xbb, 0xbf]) {
        return Decoded {
            bytes: raw[3..].to_vec(),
            encoding: Encoding::Utf8Bom,
            gzip,
            disk_base: base(3),
        };
    }
    if raw.starts_with(&[0xff, 0xfe]) {
        return Decoded {
            bytes: utf16le(&raw[2..]),
            encoding: Encoding::Utf16Le,
            gzip,
            disk_base: None,
        };
    }
    if looks_like_utf16le(&raw) {
        return Decoded {
            bytes: utf16le(&raw),
            encoding: Encoding::Utf16LeNoBom,
            gzip,
            disk_base: None,
        };
    }
    Decoded {
        bytes: raw,
        encoding: Encoding::Utf8,
        gzip,
        disk_base: base(0),
    }
}

/// ASCII text saved as UTF-16LE has a zero in every odd byte.
fn looks_like_utf16le(raw: &[u8]) -> bool {
    let sample = &raw[..raw.len().min(512) & !1];
    sample.len() >= 8 && sample.chunks(2).all(|p| p[1] == 0 && p[0] != 0)
}

fn utf16le(raw: &[u8]) -> Vec<u8> {
    let units = raw
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    // Appends from another PowerShell session may leave BOMs in the middle.
    text.replace('\u{feff}', "").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "[{\"Id\":\"x\"}]";
        let mut with_bom = vec![0xff, 0xfe];
        let body: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        with_bom.extend_from_slice(&body);
        let d = decode(with_bom);
        assert_eq!(d.encoding, Encoding::Utf16Le);
        assert_eq!(d.bytes, text.as_bytes());
        let d = decode(body);
        assert_eq!(d.encoding, Encoding::Utf16LeNoBom);
        assert_eq!(d.bytes, text.as_bytes());
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let d = decode(b"\xef\xbb\xbfa,b".to_vec());
        assert_eq!(d.bytes, b"a,b");
        assert_eq!(d.disk_base, Some(3));
    }
}
