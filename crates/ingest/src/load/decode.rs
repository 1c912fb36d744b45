//! Text encodings of exports. UTF-8 (with or without BOM) is read as is. UTF-16 (little or big
//! endian, with a BOM, or recognised by its zero bytes when PowerShell's `Out-File` left none)
//! and Windows-1252 (PowerShell 5.1's `Export-Csv -Encoding Default` on a Western system) are
//! transcoded by encoding_rs, and the file's report names the encoding.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16LeNoBom,
    Utf16Be,
    Utf16BeNoBom,
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 with BOM",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16LeNoBom => "UTF-16LE without BOM",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Utf16BeNoBom => "UTF-16BE without BOM",
            Encoding::Windows1252 => "Windows-1252",
        }
    }

    /// The text is not UTF-8 and is transcoded whole, in memory, before it is read.
    pub fn is_transcoded(self) -> bool {
        !matches!(self, Encoding::Utf8 | Encoding::Utf8Bom)
    }

    /// Bytes of a byte-order mark the text begins with.
    pub fn bom_len(self) -> usize {
        match self {
            Encoding::Utf8Bom => 3,
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            _ => 0,
        }
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf16Le | Encoding::Utf16LeNoBom => encoding_rs::UTF_16LE,
            Encoding::Utf16Be | Encoding::Utf16BeNoBom => encoding_rs::UTF_16BE,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Utf8 | Encoding::Utf8Bom => encoding_rs::UTF_8,
        }
    }
}

/// ASCII text saved as UTF-16 has a zero in every second byte: the odd ones (`little`) or the
/// even ones.
fn looks_like_utf16(raw: &[u8], little: bool) -> bool {
    let sample = &raw[..raw.len().min(512) & !1];
    let (zero, text) = if little { (1, 0) } else { (0, 1) };
    sample.len() >= 8 && sample.chunks(2).all(|p| p[zero] == 0 && p[text] != 0)
}

/// Text that is not UTF-8 and holds no UTF-8 character beyond ASCII at all: a legacy 8-bit
/// encoding, read as Windows-1252. (A UTF-8 file with a damaged byte has other non-ASCII
/// characters that do read as UTF-8; it stays UTF-8 and loses only the damaged record.)
fn looks_like_windows_1252(sample: &[u8]) -> bool {
    let mut invalid = false;
    for chunk in sample.utf8_chunks() {
        if !chunk.valid().is_ascii() {
            return false;
        }
        // An incomplete character at the very end is the sample's cut, not a legacy byte.
        let at_end = chunk.invalid().as_ptr_range().end == sample.as_ptr_range().end;
        invalid |= !chunk.invalid().is_empty() && !at_end;
    }
    invalid
}

/// The encoding of text that begins with `start` (a few KiB tell UTF-16; Windows-1252 is
/// told by its first byte beyond ASCII, so a longer sample sees more).
pub fn encoding_of(start: &[u8]) -> Encoding {
    if start.starts_with(&[0xff, 0xfe]) {
        Encoding::Utf16Le
    } else if start.starts_with(&[0xfe, 0xff]) {
        Encoding::Utf16Be
    } else if looks_like_utf16(start, true) {
        Encoding::Utf16LeNoBom
    } else if looks_like_utf16(start, false) {
        Encoding::Utf16BeNoBom
    } else if start.starts_with(&[0xef, 0xbb, 0xbf]) {
        Encoding::Utf8Bom
    } else if looks_like_windows_1252(start) {
        Encoding::Windows1252
    } else {
        Encoding::Utf8
    }
}

/// UTF-16 whose mostly-ASCII text has lost a byte somewhere (a copy cut and joined, a
/// damaged sector): from the lost byte on every unit is read shifted, as characters of another
/// script. Where the zero byte of the units moves to the other side and stays there, one byte
/// is dropped so the rest reads again; returns the text and how many times it was realigned.
fn realigned_utf16(raw: &[u8], little: bool) -> (Vec<u8>, usize) {
    let (zero, text) = if little { (1, 0) } else { (0, 1) };
    let ascii = |at: usize| {
        raw.get(at..at + 2)
            .is_some_and(|p| p[zero] == 0 && p[text] != 0 && p[text] < 0x80)
    };
    // Eight units in a row read as ASCII one byte further on, where none here does.
    let shifted = |at: usize| (0..8).all(|k| ascii(at + 1 + 2 * k) && !ascii(at + 2 * k));
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    let mut shifts = 0;
    while at + 1 < raw.len() {
        if !ascii(at) && shifted(at) {
            at += 1;
            shifts += 1;
            continue;
        }
        out.extend_from_slice(&raw[at..at + 2]);
        at += 2;
    }
    out.extend_from_slice(&raw[at..]);
    (out, shifts)
}

/// `raw` as UTF-8 bytes: its BOM dropped, other encodings transcoded (an odd last byte of
/// UTF-16, or a character that does not decode, becomes U+FFFD); and how many times UTF-16
/// text that had lost a byte was realigned.
pub fn to_utf8(mut raw: Vec<u8>) -> (Vec<u8>, Encoding, usize) {
    let encoding = encoding_of(&raw[..raw.len().min(1 << 20)]);
    if !encoding.is_transcoded() {
        raw.drain(..encoding.bom_len());
        return (raw, encoding, 0);
    }
    let body = &raw[encoding.bom_len()..];
    let (body, shifts) = match encoding {
        Encoding::Windows1252 => (std::borrow::Cow::Borrowed(body), 0),
        _ => {
            let little = matches!(encoding, Encoding::Utf16Le | Encoding::Utf16LeNoBom);
            let (text, shifts) = realigned_utf16(body, little);
            (std::borrow::Cow::Owned(text), shifts)
        }
    };
    let text = encoding.codec().decode_without_bom_handling(&body).0;
    // Appends from another PowerShell session may leave BOMs in the middle.
    let text = text.replace('\u{feff}', "");
    (text.into_bytes(), encoding, shifts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_either_way_with_and_without_bom() {
        let text = "[{\"Id\":\"x\",\"UserId\":\"zoë\"}]";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert!(looks_like_utf16(&le, true) && !looks_like_utf16(&le, false));
        assert!(looks_like_utf16(&be, false) && !looks_like_utf16(&be, true));
        assert!(!looks_like_utf16(text.as_bytes(), true));
        for (raw, encoding) in [
            ([&[0xff, 0xfe][..], &le].concat(), Encoding::Utf16Le),
            (le, Encoding::Utf16LeNoBom),
            ([&[0xfe, 0xff][..], &be].concat(), Encoding::Utf16Be),
            (be, Encoding::Utf16BeNoBom),
            (
                [&[0xef, 0xbb, 0xbf][..], text.as_bytes()].concat(),
                Encoding::Utf8Bom,
            ),
            (text.as_bytes().to_vec(), Encoding::Utf8),
        ] {
            assert_eq!(to_utf8(raw), (text.as_bytes().to_vec(), encoding, 0));
        }
    }

    #[test]
    fn windows_1252_is_told_from_damaged_utf8() {
        // "zoë" and "€" as Windows-1252 writes them.
        let legacy = b"{\"UserId\":\"zo\xeb\",\"Cost\":\"\x80 5\"}";
        assert_eq!(
            to_utf8(legacy.to_vec()),
            (
                "{\"UserId\":\"zoë\",\"Cost\":\"€ 5\"}".as_bytes().to_vec(),
                Encoding::Windows1252,
                0
            )
        );
        // UTF-8 with one damaged byte beside a real UTF-8 character stays UTF-8.
        let damaged = "{\"UserId\":\"zoë\",\"X\":\"\u{fffd}\"}"
            .as_bytes()
            .iter()
            .map(|&b| if b == 0xbd { 0xff } else { b })
            .collect::<Vec<u8>>();
        assert_eq!(encoding_of(&damaged), Encoding::Utf8);
        // A character cut by the end of the sample is not a legacy byte.
        let cut = &"abc é".as_bytes()[..5];
        assert_eq!(encoding_of(cut), Encoding::Utf8);
    }
}
