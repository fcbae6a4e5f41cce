//! Containing panics of dependencies on damaged input: polars' Parquet reader `unwrap`s some
//! decoding errors (found by the `parquet` fuzz target: "Thrift out of range" in a page header),
//! and a panic must neither reach the user as a crash nor end the GUI's worker thread. Work run
//! through [`contain`] turns a panic into an error message; while it runs, the binary's panic
//! hook stays quiet ([`is_containing`]), since the panic is reported as an ordinary error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many [`contain`] calls are under way, on any thread (the panic may come from a worker
/// thread of the dependency, not the caller's).
static CONTAINING: AtomicUsize = AtomicUsize::new(0);

/// True while some panic is being contained: the panic hook should print nothing.
pub fn is_containing() -> bool {
    CONTAINING.load(Ordering::SeqCst) > 0
}

/// Runs `work`; a panic inside it comes back as `Err` with the panic's message.
pub fn contain<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    CONTAINING.fetch_add(1, Ordering::SeqCst);
    let result = catch_unwind(AssertUnwindSafe(work));
    CONTAINING.fetch_sub(1, Ordering::SeqCst);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the reader stopped on damaged data".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(contain(|| 3), Ok(3));
        let e = contain(|| -> u8 { panic!("Thrift out of range") });
        assert_eq!(e, Err("Thrift out of range".to_string()));
        assert!(!is_containing());
    }
}
