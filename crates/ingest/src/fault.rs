//! Input files are memory-mapped, and a mapped file that another program truncates while it is
//! read faults (SIGBUS) at the next page past its new end. Instead of dying with "Bus error"
//! and leaving the terminal raw inside the alternate screen, sessionscope puts the terminal
//! back, says what happened, and exits with status 3.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The terminal's settings before the investigator changed them.
static TERMINAL: OnceLock<libc::termios> = OnceLock::new();
static SCREEN_ACTIVE: AtomicBool = AtomicBool::new(false);

const MESSAGE: &[u8] = b"sessionscope: an input file shrank while it was being read \
(truncated or rewritten by another program); stopped, nothing was written\n";

/// Installs the handler; call once at start.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `on_fault` makes only async-signal-safe calls (write, tcsetattr, _exit) and
        // reads only statics that were set before the handler could run.
        let _ = unsafe { signal_hook::low_level::register(libc::SIGBUS, on_fault) };
    });
}

/// Call before the full-screen view changes the terminal.
pub fn screen_entered() {
    // SAFETY: plain libc calls on file descriptor 0 with a zeroed termios to fill.
    unsafe {
        if libc::isatty(0) == 1 {
            let mut settings: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut settings) == 0 {
                let _ = TERMINAL.set(settings);
            }
        }
    }
    SCREEN_ACTIVE.store(true, Ordering::SeqCst);
}

/// Call once the full-screen view has put the terminal back.
pub fn screen_left() {
    SCREEN_ACTIVE.store(false, Ordering::SeqCst);
}

fn on_fault() {
    // SAFETY: write, tcsetattr and _exit are async-signal-safe; the buffers are statics.
    unsafe {
        if SCREEN_ACTIVE.load(Ordering::SeqCst) {
            // Reset colours, show the cursor, stop bracketed paste, leave the alternate screen.
            let reset = b"\x1b[0m\x1b[?25h\x1b[?2004l\x1b[?1049l";
            libc::write(1, reset.as_ptr().cast(), reset.len());
            if let Some(settings) = TERMINAL.get() {
                libc::tcsetattr(0, libc::TCSANOW, settings);
            }
        }
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
    }
    signal_hook::low_level::exit(3);
}
