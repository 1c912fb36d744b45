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
    }
}
