//! The programs' command lines: `--help` and `-h` name every option and the manual page
//! and exit 0; an unknown option prints the usage on standard error and exits 64
//! (`EX_USAGE`); no arguments at all (as inetd starts `imapd` and `ipop3d`) is never a
//! usage error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

/// Each program, its manual page and every option it takes.
const PROGRAMS: &[(&str, &str, &[&str])] = &[
    (
        env!("CARGO_BIN_EXE_imapd"),
        "imapd(8)",
        &[
            "--config",
            "--tls",
            "--preauth",
            "--log-stderr",
            "--help",
            "--version",
        ],
    ),
    (
        env!("CARGO_BIN_EXE_ipop3d"),
        "ipop3d(8)",
        &["--config", "--tls", "--log-stderr", "--help", "--version"],
    ),
    (
        env!("CARGO_BIN_EXE_pandad"),
        "pandad(8)",
        &[
            "--config",
            "--log",
            "--quickstart",
            "--data-dir",
            "--imap-port",
            "--imaps-port",
            "--pop3-port",
            "--pop3s-port",
            "--help",
            "--version",
        ],
    ),
];

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_names_every_option_and_the_manual_page() {
    for (program, page, options) in PROGRAMS {
        for flag in ["--help", "-h"] {
            let out = run(program, &[flag]);
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{program} {flag}: {text}");
            assert!(
                out.stderr.is_empty(),
                "{program} {flag}: stderr {:?}",
                out.stderr
            );
            assert!(text.contains("Usage:"), "{program} {flag}: {text}");
            assert!(text.contains(page), "{program} {flag} names {page}: {text}");
            assert!(text.contains("panda.toml(5)"), "{program} {flag}: {text}");
            for o in *options {
                assert!(text.contains(o), "{program} {flag} names {o}: {text}");
            }
        }
    }
}

#[test]
fn version_exits_0() {
    for (program, _, _) in PROGRAMS {
        let out = run(program, &["--version"]);
        assert_eq!(out.status.code(), Some(0), "{program}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(env!("CARGO_PKG_VERSION")),
            "{program}: {text}"
        );
    }
}

#[test]
fn unknown_option_is_a_usage_error() {
    for (program, _, _) in PROGRAMS {
        for args in [&["--bogus"][..], &["-x"], &["--config"], &["extra"]] {
            let out = run(program, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(64), "{program} {args:?}: {err}");
            assert!(
                out.stdout.is_empty(),
                "{program} {args:?}: stdout {:?}",
                out.stdout
            );
            assert!(err.contains("Usage:"), "{program} {args:?}: {err}");
        }
    }
    // Options that exclude each other are usage errors too.
    let out = run(PROGRAMS[0].0, &["--tls", "--preauth"]);
    assert_eq!(out.status.code(), Some(64));
    let out = run(PROGRAMS[2].0, &["--data-dir", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(64), "--data-dir needs --quickstart");
}

/// inetd gives no arguments: the programs go on to read the configuration file, so
/// whatever happens next it is not a usage error.
#[test]
fn no_arguments_is_not_a_usage_error() {
    for (program, _, _) in &PROGRAMS[..2] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("missing.toml");
        // The same command line with --config pointing at a file that does not exist
        // fails on the file (exit 1), not on the arguments.
        let out = run(program, &["--config", config.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{program}: {err}");
        assert!(err.contains("missing.toml"), "{program}: {err}");
        assert!(!err.contains("Usage:"), "{program}: {err}");
        let out = run(program, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(64), "{program}: {err}");
        assert!(!err.contains("Usage:"), "{program}: {err}");
    }
}
