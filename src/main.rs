//! The `trafficlens` binary: the command-line subcommands (and, later, the desktop app).

use std::process::ExitCode;

fn main() -> ExitCode {
    // A bug must never show a Rust panic message to the user: report it plainly instead.
    std::panic::set_hook(Box::new(|info| {
        // A panic of a dependency on damaged input, contained and reported as an error.
        if trafficlens::panic_guard::is_containing() {
            return;
        }
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "trafficlens: internal error{location}; please report it with the command you ran"
        );
    }));
    match std::panic::catch_unwind(trafficlens::cli::main) {
        Ok(code) => code,
        Err(_) => ExitCode::from(trafficlens::cli::EXIT_OTHER),
    }
}
