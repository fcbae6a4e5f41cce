//! The memory LOF needs for its neighbour lists, checked before they are allocated: a fit that
//! would need more than [`LOF_MEMORY_LIMIT`] is refused with the largest k that fits.

use super::FitError;

/// The most memory LOF may plan for its neighbour lists and per-row results: 8 GiB.
pub const LOF_MEMORY_LIMIT: u64 = 8 << 30;

/// Bytes per entry of a neighbour list: a row index (4) and a distance (8).
const BYTES_PER_NEIGHBOUR: u64 = 12;

/// Bytes per row besides the lists: its point and place in its point's rows (4 + 4), its
/// k-distance, density and score (8 each), the sorted copy of the scores (8), the anomaly
/// score and flag of the detection (8 + 1), rounded up.
const BYTES_PER_ROW: u64 = 64;

/// Bytes LOF plans for `rows` rows of which `distinct` differ, with `k` neighbours: one list of
/// `k + 1` entries per distinct point, and the per-row results.
pub fn lof_bytes(rows: usize, distinct: usize, k: usize) -> u64 {
    let lists = (distinct as u64)
        .saturating_mul(k as u64 + 1)
        .saturating_mul(BYTES_PER_NEIGHBOUR);
    lists.saturating_add((rows as u64).saturating_mul(BYTES_PER_ROW))
}

/// Refuses `k` neighbours when [`lof_bytes`] exceeds `limit`, naming the largest k that fits.
pub fn check_lof_memory(
    rows: usize,
    distinct: usize,
    k: usize,
    limit: u64,
) -> Result<(), FitError> {
    let needed = lof_bytes(rows, distinct, k);
    if needed <= limit {
        return Ok(());
    }
    let per_neighbour = (distinct as u64).max(1) * BYTES_PER_NEIGHBOUR;
    let for_lists = limit.saturating_sub((rows as u64).saturating_mul(BYTES_PER_ROW));
    // Lists of `k + 1` entries: k = entries that fit - 1.
    let max_neighbours = usize::try_from((for_lists / per_neighbour).saturating_sub(1))
        .unwrap_or(usize::MAX)
        .min(k.saturating_sub(1));
    Err(FitError::TooMuchMemory {
        rows,
        distinct,
        neighbours: k,
        needed,
        limit,
        max_neighbours,
    })
}

/// Bytes in GiB with one decimal, for messages.
pub fn gib(bytes: &u64) -> String {
    format!("{:.1} GiB", *bytes as f64 / f64::from(1u32 << 30))
}

/// The way out of [`FitError::TooMuchMemory`]: fewer neighbours, or another detector when no
/// number of neighbours fits.
pub fn advice(max_neighbours: &usize) -> String {
    match max_neighbours {
        0 => "use --algo iforest, or fewer rows".into(),
        n => format!("use --n-neighbors of at most {n} on this file, or --algo iforest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suggested_k_is_the_largest_that_fits() {
        let (rows, distinct) = (100_000, 80_000);
        let err = check_lof_memory(rows, distinct, 99_999, LOF_MEMORY_LIMIT).expect_err("refused");
        let FitError::TooMuchMemory {
            max_neighbours,
            needed,
            ..
        } = err
        else {
            panic!("{err:?}");
        };
        assert_eq!(needed, lof_bytes(rows, distinct, 99_999));
        assert!(lof_bytes(rows, distinct, max_neighbours) <= LOF_MEMORY_LIMIT);
        assert!(lof_bytes(rows, distinct, max_neighbours + 1) > LOF_MEMORY_LIMIT);
        assert!(check_lof_memory(rows, distinct, max_neighbours, LOF_MEMORY_LIMIT).is_ok());
        // Copies cost no list of their own.
        assert!(check_lof_memory(5_000_000, 20, 99_999, LOF_MEMORY_LIMIT).is_ok());
        // Too many rows for any k.
        let err = check_lof_memory(1000, 1000, 5, 1000).expect_err("refused");
        assert!(matches!(
            err,
            FitError::TooMuchMemory {
                max_neighbours: 0,
                ..
            }
        ));
        assert!(err.to_string().contains("--algo iforest"), "{err}");
        assert_eq!(gib(&(3 << 29)), "1.5 GiB");
    }
}
