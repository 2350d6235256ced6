//! The store's notices, printed as UW's `mailutil` prints c-client's (`mm_log`):
//! informational ones in brackets and only with `-verbose`, warnings as `warning: …`,
//! errors as they are, all on standard error.

use mailstore::notify::{Level, Notify};

use crate::args::Verbosity;

/// Prints notices on standard error.
#[derive(Debug)]
pub struct Console {
    /// Whether informational notices are shown.
    pub verbosity: Verbosity,
}

impl Notify for Console {
    fn notice(&self, level: Level, text: &str) {
        match level {
            Level::Info if self.verbosity == Verbosity::Verbose => eprintln!("[{text}]"),
            Level::Info => {}
            Level::Warn => eprintln!("warning: {text}"),
            Level::Error | Level::Critical => eprintln!("{text}"),
        }
    }
}
