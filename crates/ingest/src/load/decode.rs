//! Text encodings of exports: UTF-8 (with or without BOM) is read as is; UTF-16LE (with BOM, or
//! recognised by its zero bytes when PowerShell's `Out-File` left none) is transcoded.

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

/// ASCII text saved as UTF-16LE has a zero in every odd byte.
pub fn looks_like_utf16le(raw: &[u8]) -> bool {
    let sample = &raw[..raw.len().min(512) & !1];
    sample.len() >= 8 && sample.chunks(2).all(|p| p[1] == 0 && p[0] != 0)
}

pub fn utf16le(raw: &[u8]) -> Vec<u8> {
    let units = raw
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]));
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    // Appends from another PowerShell session may leave BOMs in the middle.
    text.replace('\u{feff}', "").into_bytes()
}

/// The encoding of text that begins with `start` (a few KiB are enough).
pub fn encoding_of(start: &[u8]) -> Encoding {
    if start.starts_with(&[0xff, 0xfe]) {
        Encoding::Utf16Le
    } else if looks_like_utf16le(&start[..start.len().min(4096)]) {
        Encoding::Utf16LeNoBom
    } else if start.starts_with(&[0xef, 0xbb, 0xbf]) {
        Encoding::Utf8Bom
    } else {
        Encoding::Utf8
    }
}

impl Encoding {
    pub fn is_utf16(self) -> bool {
        matches!(self, Encoding::Utf16Le | Encoding::Utf16LeNoBom)
    }

    /// Bytes of a byte-order mark the text begins with.
    pub fn bom_len(self) -> usize {
        match self {
            Encoding::Utf8Bom => 3,
            Encoding::Utf16Le => 2,
            _ => 0,
        }
    }
}

/// `raw` as UTF-8 bytes: its BOM dropped, UTF-16LE transcoded.
pub fn to_utf8(mut raw: Vec<u8>) -> (Vec<u8>, Encoding) {
    let encoding = encoding_of(&raw);
    if encoding.is_utf16() {
        return (utf16le(&raw[encoding.bom_len()..]), encoding);
    }
    raw.drain(..encoding.bom_len());
    (raw, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "[{\"Id\":\"x\"}]";
        let body: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(looks_like_utf16le(&body));
        assert!(!looks_like_utf16le(text.as_bytes()));
        assert_eq!(utf16le(&body), text.as_bytes());
        let mut with_bom = vec![0xff, 0xfe];
        with_bom.extend(&body);
        for (raw, encoding) in [
            (with_bom, Encoding::Utf16Le),
            (body, Encoding::Utf16LeNoBom),
            (
                [&[0xef, 0xbb, 0xbf][..], text.as_bytes()].concat(),
                Encoding::Utf8Bom,
            ),
            (text.as_bytes().to_vec(), Encoding::Utf8),
        ] {
            assert_eq!(to_utf8(raw), (text.as_bytes().to_vec(), encoding));
        }
    }
}
