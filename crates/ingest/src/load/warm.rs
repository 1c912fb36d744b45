//! Text brought into memory ahead of parsing. Reading a mapped file the first time costs more
//! than parsing it: each page is mapped by a fault, and its bytes come from memory at about
//! 7 GB/s for one core, a stall when the splitter is the first to read them. A piece's pages
//! are mapped in one call before it is read. A CSV window's bytes are prefetched a share per
//! record while the window before is parsed; JSON Lines are prefetched by the index that reads
//! them (`scan::index_line`), a cache line per 64 bytes indexed.

/// Maps the pages under `bytes` (a piece of a mapped file) in one call rather than a fault
/// per 64 KiB; prefetches into unmapped pages would be dropped. Memory that is not a file
/// mapping is left as it is.
pub fn map_in(bytes: &[u8]) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = bytes.as_ptr() as usize / PAGE * PAGE;
        let end = bytes.as_ptr() as usize + bytes.len();
        if end > start {
            // SAFETY: MADV_POPULATE_READ only faults pages in for reading, as touching each
            // would; it changes no contents. An error (an older kernel) leaves the faults to
            // the reads.
            let _ = unsafe {
                libc::madvise(
                    start as *mut libc::c_void,
                    end - start,
                    libc::MADV_POPULATE_READ,
                )
            };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = bytes;
}

/// Asks the CPU to bring share `i` of `n` of `bytes` into cache: spread over the `n` records
/// parsed meanwhile, the memory traffic overlaps the parsing.
pub fn share(bytes: &[u8], i: usize, n: usize) {
    for at in share_of(bytes.len(), i, n).step_by(LINE) {
        prefetch(bytes[at..].as_ptr());
    }
}

/// Asks for the cache line at `p` to be brought into the core's cache, without waiting. Any
/// address will do: a prefetch never faults, and one outside the mapped memory is dropped.
#[inline(always)]
pub(super) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing into the program and cannot fault.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T1, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T1>(p.cast());
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a prefetch is a hint; it reads nothing into the program and cannot fault.
    unsafe {
        std::arch::asm!("prfm pldl2keep, [{0}]", in(reg) p, options(nostack, readonly, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = p;
}

/// A cache line.
const LINE: usize = 64;

/// Share `i` of `n` of `len` bytes: whole lines, the shares end to end.
fn share_of(len: usize, i: usize, n: usize) -> std::ops::Range<usize> {
    let share = len.div_ceil(n.max(1)).next_multiple_of(LINE);
    (i * share).min(len)..((i + 1) * share).min(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shares_cover_the_text_once_in_whole_lines() {
        for len in [0, 1, 63, 64, 65, 1000, 262_144, 262_145] {
            for n in [1, 2, 3, 7, 160, 5000] {
                let shares: Vec<_> = (0..n).map(|i| share_of(len, i, n)).collect();
                assert_eq!(shares[0].start, 0);
                assert_eq!(shares[n - 1].end, len, "len {len}, n {n}");
                for pair in shares.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start, "len {len}, n {n}");
                }
                assert!(shares.iter().all(|s| s.start % LINE == 0 || s.start == len));
            }
        }
    }
}
