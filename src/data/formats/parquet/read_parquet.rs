//! Reading Apache Parquet with polars.

use polars::prelude::*;

use super::check;
use crate::control::Control;
use crate::data::table::{raw_column, Locator, RawColumn, Reader, Table};
use crate::data::{LoadError, Source};

/// Reads a Parquet source into a raw table. polars reads the whole file in one call, which can
/// be neither interrupted nor followed: `control`'s cancel flag is checked before and after it,
/// and the progress goes from 0 to 1 when it is done.
pub fn read(source: &Source, control: Control<'_>) -> Result<Table, LoadError> {
    let cancelled = || {
        if control.cancelled() {
            Err(LoadError::Cancelled)
        } else {
            Ok(())
        }
    };
    cancelled()?;
    control.report(0.0);
    let err = |e: PolarsError| LoadError::Parquet {
        path: source.path().to_path_buf(),
        message: e.to_string(),
    };
    // polars panics on some damaged files instead of returning an error: contained here.
    let damaged = |message: String| LoadError::Parquet {
        path: source.path().to_path_buf(),
        message: format!("the file is damaged ({message})"),
    };
    // polars trusts the footer and page headers: a damaged one can abort the process, so they
    // are checked first (see `check`).
    let checked = match source {
        Source::File(path) => {
            let mut file = check::FileAt::open(path).map_err(|e| LoadError::io(path, e))?;
            check::check(&mut file)
        }
        Source::Memory { bytes, .. } => check::check(&mut &bytes[..]),
    };
    match checked {
        Ok(()) => {}
        Err(check::CheckError::Damaged(d)) => return Err(damaged(d.0)),
        Err(check::CheckError::Io(e)) => return Err(LoadError::io(source.path(), e)),
    }
    let df = match source {
        Source::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
            crate::panic_guard::contain(|| ParquetReader::new(file).finish())
                .map_err(damaged)?
                .map_err(err)?
        }
        Source::Memory { bytes, .. } => crate::panic_guard::contain(|| {
            ParquetReader::new(std::io::Cursor::new(bytes.to_vec())).finish()
        })
        .map_err(damaged)?
        .map_err(err)?,
    };
    cancelled()?;
    control.report(1.0);
    if df.height() == 0 {
        return Err(LoadError::NoRows {
            path: source.path().to_path_buf(),
        });
    }
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows = df.height();
    // Kept for exporting every original column, text and bool included (a cheap clone: the
    // buffers are shared).
    let originals = df.columns().to_vec();
    let columns = df
        .into_columns()
        .into_iter()
        .map(raw_column)
        .collect::<Result<Vec<RawColumn>, _>>()
        .map_err(err)?;
    Ok(Table {
        names: names.clone(),
        columns,
        rows,
        reader: Reader::PolarsParquet,
        locator: Locator::Columns {
            header: names,
            columns: originals,
        },
    })
}
