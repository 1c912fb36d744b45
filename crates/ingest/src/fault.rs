//! Input files are memory-mapped, and a mapped file that another program truncates while it is
//! read faults (SIGBUS) at the next page past its new end. Instead of dying with "Bus error"
//! and leaving the terminal raw inside the alternate screen, sessionscope puts the terminal
//! back, says what happened, and exits with status 3. Running out of memory is said in a
//! sentence the same way ([`SayOutOfMemory`], exit status 4), rather than with Rust's
//! "memory allocation failed" and an abort.

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

/// Puts the terminal back if the full-screen view had it, then writes `message` to stderr;
/// allocates nothing, so it can run in a signal handler or where memory has run out.
fn restore_and_say(message: &[&[u8]]) {
    // SAFETY: write and tcsetattr are async-signal-safe and allocate nothing; the buffers
    // are statics or the caller's, alive for the calls.
    unsafe {
        if SCREEN_ACTIVE.load(Ordering::SeqCst) {
            // Reset colours, show the cursor, stop bracketed paste, leave the alternate screen.
            let reset = b"\x1b[0m\x1b[?25h\x1b[?2004l\x1b[?1049l";
            libc::write(1, reset.as_ptr().cast(), reset.len());
            if let Some(settings) = TERMINAL.get() {
                libc::tcsetattr(0, libc::TCSANOW, settings);
            }
        }
        for part in message {
            libc::write(2, part.as_ptr().cast(), part.len());
        }
    }
}

fn on_fault() {
    restore_and_say(&[MESSAGE]);
    signal_hook::low_level::exit(3);
}

/// `n` in decimal, written into `buf` without allocating; the digits' slice.
fn decimal(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

fn out_of_memory(bytes: usize) -> ! {
    let mut digits = [0u8; 20];
    restore_and_say(&[
        b"sessionscope: out of memory: ",
        decimal(bytes, &mut digits),
        b" more bytes could not be had. The input is larger than this machine's memory \
allows; give fewer or smaller files (split the export by time). Nothing was written\n",
    ]);
    signal_hook::low_level::exit(4);
}

/// The system allocator, except that when memory runs out the program says so in a
/// sentence, puts the terminal back and exits with status 4. Install it in the binary with
/// `#[global_allocator]`.
pub struct SayOutOfMemory;

// SAFETY: every call is passed unchanged to the system allocator, which upholds the trait's
// contract; only a null result, which the contract allows, is handled here, by exiting.
unsafe impl std::alloc::GlobalAlloc for SayOutOfMemory {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's layout, as the trait requires of it, passed on unchanged.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { std::alloc::System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator, which is the system's, with `layout`.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` and `layout` came from this allocator, which is the system's.
        let p = unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_written_without_allocating() {
        let mut buf = [0u8; 20];
        assert_eq!(super::decimal(0, &mut buf), b"0");
        assert_eq!(super::decimal(1_073_741_824, &mut buf), b"1073741824");
        assert_eq!(
            super::decimal(usize::MAX, &mut buf),
            usize::MAX.to_string().as_bytes()
        );
    }
}
