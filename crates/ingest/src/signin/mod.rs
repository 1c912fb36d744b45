//! Entra ID sign-in exports read into [`SignIn`]s: [`read`] knows the formats, this file
//! tells a sign-in export from an audit export and reads it whole.

mod graph;
pub mod read;

use crate::load::FileReport;
use sessionscope_core::signin::SignIn;
use std::path::Path;

/// The first MiB of a file, gunzipped and decoded: enough to see what it is without reading a
/// large audit export whole.
fn head(path: &Path) -> Option<String> {
    use std::io::Read;
    const HEAD: u64 = 1 << 20;
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(HEAD)
        .read_to_end(&mut raw)
        .ok()?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let f = std::fs::File::open(path).ok()?;
        // A cut gzip stream still gives its first bytes.
        let _ = flate2::read::MultiGzDecoder::new(f)
            .take(HEAD)
            .read_to_end(&mut out);
        raw = out;
    }
    Some(decode(raw).0)
}

/// Text of `raw`, its BOM dropped, UTF-16LE transcoded, and its encoding.
fn decode(raw: Vec<u8>) -> (String, crate::load::decode::Encoding) {
    let (bytes, encoding, _) = crate::load::decode::to_utf8(raw);
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    (text, encoding)
}

/// Reads `path` as a sign-in export if it is one: its report and sign-ins. `None`: not a
/// sign-in export (the audit loader takes it).
pub fn load_file(path: &Path, file: usize) -> Option<(FileReport, Vec<SignIn>)> {
    // A pipe read here would be lost to the audit loader: only plain files are looked at.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let head = head(path)?;
    let query_response = crate::load::query_response::looks_like(head.as_bytes());
    // A saved query response is small and read whole: its rows are the records, told once
    // turned into lines. Anything else is told from its head.
    let told = if query_response {
        None
    } else {
        Some(read::sniff(&head)?)
    };
    let raw = std::fs::read(path).ok()?;
    let gzip = raw.starts_with(&[0x1f, 0x8b]);
    let raw = if gzip {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .ok()?;
        out
    } else {
        raw
    };
    let (mut text, encoding) = decode(raw);
    if query_response {
        let (lines, _) = crate::load::query_response::to_json_lines(text.as_bytes()).ok()?;
        text = String::from_utf8(lines).ok()?;
    }
    let format = match told {
        Some(format) => format,
        None => read::sniff(&text)?,
    };
    let mut report = FileReport {
        format: if query_response {
            "Entra sign-in log (query response)"
        } else {
            format.name()
        },
        encoding: encoding.name(),
        gzip,
        ..FileReport::empty(path)
    };
    let mut signins = read::read_file(path, &text, format, &mut report);
    for s in &mut signins {
        s.file = file;
    }
    Some((report, signins))
}
