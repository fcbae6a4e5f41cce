//! Room for large columns that the kernel is asked to back with transparent huge pages.
//!
//! Filling fresh memory costs a page fault per page and the page's zeroing; on Linux with
//! transparent huge pages in `madvise` mode (the default of many distributions) a 2 MiB page
//! takes one fault where 4 KiB pages take 512. The seasonal scorer fills about 25 bytes per
//! point (1.5 GB for 10,000,000 rows x 6 series), and `perf` put the faults at about a sixth of
//! its time. Elsewhere, or where the kernel declines, this is an ordinary `Vec::with_capacity`.

/// Allocations smaller than this are left alone (a huge page is 2 MiB on x86-64).
const AT_LEAST: usize = 4 << 20;

/// An empty `Vec` with room for `n` values, its memory advised for huge pages (a hint only: the
/// vector is an ordinary one either way).
pub fn vec_with_capacity<T>(n: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(n);
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes >= AT_LEAST {
        advise(v.as_ptr().cast::<u8>(), bytes);
    }
    v
}

/// Asks the kernel to back the whole pages inside `[start, start + len)` with huge pages.
#[cfg(target_os = "linux")]
fn advise(start: *const u8, len: usize) {
    const PAGE: usize = 4096;
    let from = (start as usize).next_multiple_of(PAGE);
    let to = (start as usize + len) / PAGE * PAGE;
    if to <= from {
        return;
    }
    // SAFETY: the range lies inside an allocation this process owns and keeps; MADV_HUGEPAGE
    // changes neither its contents nor its validity, only how the kernel backs it. A refusal
    // (an older kernel, huge pages turned off) leaves the memory as it was, so the result is
    // not needed.
    unsafe {
        libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
    }
}

/// Elsewhere: no hint.
#[cfg(not(target_os = "linux"))]
fn advise(_start: *const u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vector_is_an_ordinary_one() {
        for n in [0usize, 1, 1000, 3 << 20] {
            let mut v: Vec<f64> = vec_with_capacity(n);
            assert!(v.capacity() >= n);
            v.extend((0..n).map(|i| i as f64));
            assert_eq!(v.len(), n);
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as f64));
        }
    }
}
