//! The programs' command lines: `--help` and `--version` print to standard output and
//! exit 0; anything else wrong prints the error and the usage line to standard error and exits
//! 64 (`EX_USAGE` of `sysexits.h`). inetd starts `imapd` and `ipop3d` with no arguments,
//! which is always a good command line.

use std::io::Write as _;

use clap::Parser;
use clap::error::ErrorKind;

/// `EX_USAGE`: the command was used incorrectly.
pub const EX_USAGE: i32 = 64;

/// Parses this process's arguments as `T`, exiting as the module says when they are
/// help, version or wrong.
pub fn parse<T: Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => e.exit(),
            _ => {
                let mut text = e.render().to_string();
                if !text.contains("Usage:") {
                    text = format!("{}\n\n{}\n", text.trim_end(), T::command().render_usage());
                }
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
                std::process::exit(EX_USAGE)
            }
        },
    }
}
