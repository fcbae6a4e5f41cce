//! Ctrl+C and `kill`: an interrupted export removes its temporary `.trafficlens-*.part` files
//! and the process ends with the usual status (130 for SIGINT, 143 for SIGTERM).

/// Starts a thread that waits for SIGINT or SIGTERM, then removes the temporary files of the
/// exports under way and exits with 128 + the signal number.
#[cfg(unix)]
pub fn remove_temporary_files_on_interrupt() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                crate::export::exit_removing_temporary_files(128 + signal);
            }
        })?;
    Ok(())
}

/// Elsewhere the default handling stays (the temporary files are removed by the system's
/// temporary-file cleanup at the latest).
#[cfg(not(unix))]
pub fn remove_temporary_files_on_interrupt() -> std::io::Result<()> {
    Ok(())
}
