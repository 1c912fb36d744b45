//! RFC 4180 splitting tuned for audit exports: rows are found with memchr (quotes and newlines
//! only), fields are split lazily, and doubled quotes are undone only in the cells that are read.

use memchr::{memchr, memchr2_iter};
use std::borrow::Cow;

/// One row: its byte range (without the line break) and the line it starts on (1-based).
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
}

/// Splits `buf` into rows, honouring line breaks inside quoted cells. Blank rows are dropped.
/// The last row may be unterminated (or end inside an open quote, in a truncated file).
pub fn rows(buf: &[u8], first_line: u32) -> Vec<Span> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    let mut line = first_line;
    let mut start_line = first_line;
    for i in memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            in_quotes = !in_quotes;
            continue;
        }
        line += 1;
        if in_quotes {
            continue;
        }
        push_row(&mut out, buf, start, i, start_line);
        start = i + 1;
        start_line = line;
    }
    push_row(&mut out, buf, start, buf.len(), start_line);
    out
}

fn push_row(out: &mut Vec<Span>, buf: &[u8], start: usize, mut end: usize, line: u32) {
    if end > start && buf[end - 1] == b'\r' {
        end -= 1;
    }
    if buf[start..end].iter().all(|b| b.is_ascii_whitespace()) {
        return;
    }
    out.push(Span { start, end, line });
}

/// Splits one row into raw cells (still quoted).
pub fn fields(row: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(12);
    let mut i = 0;
    let mut field_start = 0;
    while i <= row.len() {
        if i < row.len() && row[i] == b'"' {
            // Skip to the closing quote; doubled quotes are two toggles.
            let mut j = i + 1;
            loop {
                match memchr(b'"', &row[j..]) {
                    Some(k) if row.get(j + k + 1) == Some(&b'"') => j += k + 2,
                    Some(k) => {
                        j += k + 1;
                        break;
                    }
                    None => {
                        j = row.len();
                        break;
                    }
                }
            }
            i = j;
            continue;
        }
        if i == row.len() || row[i] == b',' {
            out.push(&row[field_start..i]);
            field_start = i + 1;
        }
        i += 1;
    }
    out
}

/// The cell's text: surrounding quotes removed and doubled quotes undone. Borrowed when the
/// cell needs no change.
pub fn unquote(cell: &[u8]) -> Cow<'_, [u8]> {
    let trimmed = cell.strip_suffix(b"\r").unwrap_or(cell);
    let Some(inner) = trimmed.strip_prefix(b"\"") else {
        return Cow::Borrowed(trimmed);
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    if memchr(b'"', inner).is_none() {
        return Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(k) = memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=k]);
        rest = if rest.get(k + 1) == Some(&b'"') {
            &rest[k + 2..]
        } else {
            &rest[k + 1..]
        };
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// The cell as UTF-8 text, unquoted and trimmed; invalid UTF-8 is replaced, not fatal.
pub fn text(cell: &[u8]) -> String {
    String::from_utf8_lossy(&unquote(cell)).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_newlines_inside_quotes() {
        let buf = b"a,b\r\n1,\"x\r\ny\"\r\n\r\n2,\"z\"\"q\"\n3,w";
        let r = rows(buf, 1);
        let texts: Vec<&[u8]> = r.iter().map(|s| &buf[s.start..s.end]).collect();
        assert_eq!(
            texts,
            vec![&b"a,b"[..], b"1,\"x\r\ny\"", b"2,\"z\"\"q\"", b"3,w"]
        );
        assert_eq!(
            r.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![1, 2, 5, 6]
        );
    }

    #[test]
    fn fields_and_unquote() {
        let row = b"id,\"{\"\"a\"\":\"\"b,c\"\"}\",,last";
        let f = fields(row);
        assert_eq!(f.len(), 4);
        assert_eq!(&*unquote(f[1]), b"{\"a\":\"b,c\"}");
        assert_eq!(&*unquote(f[2]), b"");
        assert_eq!(text(f[3]), "last");
    }
}
