//! The commands, one per file, each with the same entry point: `run(&Context, …) ->
//! Outcome`. Each prints its own results (standard output) and errors (standard error).

pub mod check;
pub mod copy;
pub mod create;
pub mod delete;
pub mod prune;
pub mod rename;
pub mod transfer;

use crate::access::Mailboxes;
use crate::args::Switches;

/// What every command works with.
#[derive(Debug)]
pub struct Context {
    /// The mailboxes, local (and later remote).
    pub mailboxes: Mailboxes,
    /// The switches.
    pub switches: Switches,
}

impl Context {
    /// An informational line on standard error, shown with `-verbose` (c-client's
    /// `mm_log` of a notice).
    pub fn note(&self, text: &str) {
        if self.switches.verbosity == crate::args::Verbosity::Verbose {
            eprintln!("[{text}]");
        }
    }

    /// The notice c-client's local drivers log after an expunge.
    pub fn note_expunged(&self, n: usize) {
        if n > 0 {
            self.note(&format!("Expunged {n} messages"));
        } else {
            self.note("No messages deleted, so no update needed");
        }
    }
}

/// How a command ended: its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Success,
    /// Exit status 1 (the reason has been printed).
    Failure,
}

impl Outcome {
    /// Success if `ok`.
    pub fn from_ok(ok: bool) -> Self {
        if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    }
}
