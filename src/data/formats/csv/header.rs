//! What the CSV readers share: the cell texts read as missing and the check that the first
//! line is a header.

use crate::data::{LoadError, Source};

/// Cell texts read as missing values.
pub const NULL_VALUES: [&str; 10] = [
    "", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "-",
];

/// Rejects a file whose first line is data (every field a number or a date).
pub fn check_header_is_not_data(source: &Source, header: &[String]) -> Result<(), LoadError> {
    let all_data = header.iter().all(|name| {
        let n = name.trim();
        n.parse::<f64>().is_ok() || crate::data::time::looks_like_time(n)
    });
    if all_data {
        let mut sample = header.iter().take(4).cloned().collect::<Vec<_>>().join(",");
        if sample.len() > 60 {
            sample.truncate(
                sample
                    .char_indices()
                    .nth(60)
                    .map_or(sample.len(), |(i, _)| i),
            );
            sample.push('…');
        }
        return Err(LoadError::NoHeader {
            path: source.path().to_path_buf(),
            sample,
        });
    }
    Ok(())
}
