//! The command line: `trafficlens stats`, `detect`, `generate` and `watch`; without a subcommand the
//! desktop app opens. Every subcommand
//! is a thin layer over the library; errors map to documented exit codes.

mod args;
mod detect;
mod error;
mod format;
mod generate;
mod signals;
mod source_flags;
mod stats;
mod watch;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use args::{Cli, Command, DetectArgs, GenerateArgs, LoadArgs, StatsArgs};
pub use error::CliError;

/// Exit status for success.
pub const EXIT_OK: u8 = 0;
/// Exit status for any error that is not bad usage or bad input.
pub const EXIT_OTHER: u8 = 1;
/// Exit status for bad usage (unknown option, bad value).
pub const EXIT_USAGE: u8 = 2;
/// Exit status for bad input (the message names file, line and column).
pub const EXIT_INPUT: u8 = 3;

/// Parses the process arguments and runs the subcommand, printing errors as
/// `trafficlens: error: ...` on stderr.
pub fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            // A bad argument is quoted in the message: plain text, escaped, when it needs it.
            let plain = e.render().to_string();
            if e.use_stderr() && crate::terminal::escape(&plain) != plain {
                let _ = std::io::stderr().write_all(crate::terminal::escape(&plain).as_bytes());
            } else {
                let _ = e.print();
            }
            return ExitCode::from(code);
        }
    };
    // The watch handles Ctrl-C itself: it saves its state and exits 0.
    let guard = match cli.command {
        Some(Command::Watch(_)) => Ok(()),
        _ => signals::remove_temporary_files_on_interrupt(),
    };
    if let Err(e) = guard {
        crate::terminal::eprintln(format_args!(
            "trafficlens: warning: cannot watch for Ctrl+C ({e}); an interrupted export may leave a .trafficlens-*.part file"
        ));
    }
    match run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(CliError::BrokenPipe) => ExitCode::from(EXIT_OK),
        Err(e) => {
            crate::terminal::eprintln(format_args!("trafficlens: error: {e}"));
            ExitCode::from(e.exit_code())
        }
    }
}

/// The process arguments parsed, noting for `detect` and `stats` which options were given on
/// the command line (see [`args::DetectArgs::given`]).
fn parse_args() -> Result<Cli, clap::Error> {
    let mut matches = Cli::command().try_get_matches()?;
    let given: Vec<String> = match matches.subcommand() {
        Some(("detect" | "stats", sub)) => sub
            .ids()
            .filter(|id| {
                sub.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
            })
            .map(|id| id.as_str().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let mut cli = Cli::from_arg_matches_mut(&mut matches)?;
    match cli.command.as_mut() {
        Some(Command::Detect(args)) => args.given = given,
        Some(Command::Stats(args)) => args.given = given,
        _ => {}
    }
    Ok(cli)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Stats(args)) => stats::run(&args),
        Some(Command::Generate(args)) => generate::run(&args),
        Some(Command::Detect(args)) => detect::run(&args),
        Some(Command::Watch(args)) => watch::run(&args),
        None => crate::app::run(cli.file).map_err(|e| CliError::Window(e.to_string())),
    }
}
