//! Copy to the investigator's own clipboard with OSC 52: it travels over SSH to the terminal
//! on their desk. Inside tmux the sequence is wrapped so tmux passes it on.

use std::io::Write;

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The escape sequence that sets the clipboard to `text`.
pub fn osc52(text: &str, in_tmux: bool) -> String {
    let seq = format!("\x1b]52;c;{}\x07", base64(text.as_bytes()));
    if in_tmux {
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
    }
}

pub fn copy(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    let in_tmux = std::env::var_os("TMUX").is_some();
    out.write_all(osc52(text, in_tmux).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_osc52() {
        assert_eq!(base64(b"12bce6d0"), "MTJiY2U2ZDA=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(osc52("ab", false), "\x1b]52;c;YWI=\x07");
        assert_eq!(osc52("ab", true), "\x1bPtmux;\x1b\x1b]52;c;YWI=\x07\x1b\\");
    }
}
