//! Exit codes of `<sysexits.h>`, which MTAs read: 75 (`EX_TEMPFAIL`) asks for the
//! message to be queued and tried again; others return it to the sender.

use std::process::ExitCode;

/// A program's `main`: prints `help` when an argument is `--help`, else gives the process's
/// arguments to `run` and exits with its status.
pub fn main(help: &str, run: fn(&[String]) -> Exit) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help") {
        print!("{help}");
        return ExitCode::SUCCESS;
    }
    run(&args).into()
}

/// An exit status from `<sysexits.h>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: delivered.
    Ok,
    /// 64: the command line is wrong.
    Usage,
    /// 67: no such user.
    NoUser,
    /// 69: a service is unavailable (a mailbox in a format we cannot append to).
    Unavailable,
    /// 70: an internal error.
    Software,
    /// 71: a system error (cannot fork).
    OsErr,
    /// 73: a file cannot be created or written.
    CantCreat,
    /// 75: try again later.
    TempFail,
    /// 77: permission denied.
    NoPerm,
}

impl Exit {
    /// The number.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Usage => 64,
            Exit::NoUser => 67,
            Exit::Unavailable => 69,
            Exit::Software => 70,
            Exit::OsErr => 71,
            Exit::CantCreat => 73,
            Exit::TempFail => 75,
            Exit::NoPerm => 77,
        }
    }

    /// The exit status of a delivery agent that failed with `self`: UW's `tmail` and
    /// `dmail` turn every failure but a few into `EX_TEMPFAIL`, so that the MTA keeps the
    /// message rather than bouncing it (their `fail()`): usage, system, software, unknown
    /// user and cannot-create errors, and for tmail an unavailable mailbox too.
    pub fn coerced(self, rule: Coercion) -> Exit {
        match self {
            Exit::Usage | Exit::OsErr | Exit::Software | Exit::NoUser | Exit::CantCreat => {
                Exit::TempFail
            }
            Exit::Unavailable if rule == Coercion::Tmail => Exit::TempFail,
            other => other,
        }
    }
}

/// Which program's rule [`Exit::coerced`] follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coercion {
    /// tmail's: `EX_UNAVAILABLE` is coerced too.
    Tmail,
    /// dmail's.
    Dmail,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_coerced_to_tempfail_as_uw() {
        for e in [Exit::Usage, Exit::NoUser, Exit::CantCreat, Exit::OsErr] {
            assert_eq!(e.coerced(Coercion::Tmail), Exit::TempFail);
            assert_eq!(e.coerced(Coercion::Dmail), Exit::TempFail);
        }
        assert_eq!(Exit::Unavailable.coerced(Coercion::Tmail), Exit::TempFail);
        assert_eq!(
            Exit::Unavailable.coerced(Coercion::Dmail),
            Exit::Unavailable
        );
        assert_eq!(Exit::NoPerm.coerced(Coercion::Tmail), Exit::NoPerm);
        assert_eq!(Exit::TempFail.code(), 75);
    }
}
