//! Mailbox names across sessions and on disk: a UTF-8 client (UTF8=ACCEPT, RFC 6855) and
//! a modified UTF-7 one reach the same mailboxes, whose files are named in modified UTF-7;
//! names other tools made (not modified UTF-7) still work for both.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{Fixture, fixture};
use imapd::ImapSession;
use mailstore::name::Target;
use server::session::{Session, Transport};

/// Sends `input`, runs every command, returns the output.
fn run(s: &mut ImapSession, input: &str) -> String {
    s.receive(input.as_bytes());
    let mut out = Vec::new();
    while let Some(r) = s.step() {
        out.extend_from_slice(&r.bytes);
    }
    String::from_utf8(out).unwrap()
}

/// A logged-in session; with UTF8=ACCEPT enabled if `utf8`.
fn session(f: &Fixture, utf8: bool) -> ImapSession {
    let mut s = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.9]", Transport::Plain);
    s.greeting();
    assert!(run(&mut s, "a LOGIN mrc secret\r\n").contains("a OK"));
    if utf8 {
        assert_eq!(
            run(&mut s, "e ENABLE UTF8=ACCEPT\r\n"),
            "* ENABLED UTF8=ACCEPT\r\ne OK ENABLE completed\r\n"
        );
    }
    s
}

/// The file mailbox `name` (as stored) is kept in.
fn file_of(f: &Fixture, name: &str) -> PathBuf {
    match f.store.resolve(name).unwrap().target {
        Target::File(p) => p,
        Target::Inbox => panic!("INBOX"),
    }
}

fn list(s: &mut ImapSession) -> Vec<String> {
    run(s, "l LIST \"\" *\r\n")
        .lines()
        .filter_map(|l| l.strip_prefix("* LIST "))
        .map(|l| {
            // "(attributes) delimiter name"
            let rest = l.split_once(") ").unwrap().1;
            rest.split_once(' ').unwrap().1.to_owned()
        })
        .collect()
}

#[test]
fn utf8_and_modified_utf7_clients_reach_the_same_mailbox() {
    let f = fixture();
    let mut u = session(&f, true);
    let mut m = session(&f, false);
    assert_eq!(
        run(&mut u, "c1 CREATE \"台北\"\r\n"),
        "c1 OK CREATE completed\r\n"
    );
    let file = file_of(&f, "&U,BTFw-");
    assert!(file.is_file(), "{file:?}");
    assert_eq!(file.file_name().unwrap(), "&U,BTFw-");
    assert_eq!(list(&mut m), ["&U,BTFw-", "INBOX"]);
    assert_eq!(list(&mut u), ["\"台北\"", "INBOX"]);

    let msg = "Subject: 北\r\n\r\nx\r\n";
    let out = run(
        &mut u,
        &format!("c2 APPEND \"台北\" UTF8 (~{{{}+}}\r\n{msg})\r\n", msg.len()),
    );
    assert!(out.starts_with("c2 OK [APPENDUID "), "{out}");
    assert!(run(&mut m, "c3 SELECT &U,BTFw-\r\n").contains("* 1 EXISTS\r\n"));
    assert!(run(&mut u, "c4 EXAMINE \"台北\"\r\n").contains("* 1 EXISTS\r\n"));
    assert_eq!(
        run(&mut m, "c5 CLOSE\r\nc6 UNSELECT\r\n").lines().count(),
        2
    );
    run(&mut u, "c7 UNSELECT\r\n");

    // RENAME one way and the other.
    assert_eq!(
        run(&mut m, "r1 RENAME &U,BTFw- &ZeVnLIqe-\r\n"),
        "r1 OK RENAME completed\r\n"
    );
    assert_eq!(list(&mut u), ["\"日本語\"", "INBOX"]);
    assert_eq!(
        run(&mut u, "r2 RENAME \"日本語\" \"台北/日本語\"\r\n"),
        "r2 OK RENAME completed\r\n"
    );
    assert!(file_of(&f, "&U,BTFw-/&ZeVnLIqe-").is_file());
    assert_eq!(list(&mut m), ["&U,BTFw-", "&U,BTFw-/&ZeVnLIqe-", "INBOX"]);
    assert_eq!(
        run(&mut m, "s1 STATUS &U,BTFw-/&ZeVnLIqe- (MESSAGES)\r\n"),
        "* STATUS &U,BTFw-/&ZeVnLIqe- (MESSAGES 1)\r\ns1 OK STATUS completed\r\n"
    );
    assert_eq!(
        run(&mut u, "s2 STATUS \"台北/日本語\" (MESSAGES)\r\n"),
        "* STATUS \"台北/日本語\" (MESSAGES 1)\r\ns2 OK STATUS completed\r\n"
    );
    // A "&" from the UTF-8 client is stored "&-", which the other client sees.
    run(&mut u, "a1 CREATE \"R&D\"\r\n");
    assert!(file_of(&f, "R&-D").is_file());
    assert!(list(&mut m).contains(&"R&-D".to_owned()));
    assert!(list(&mut u).contains(&"R&D".to_owned()));
}

#[test]
fn names_other_tools_made_still_work() {
    let f = fixture();
    let mail_dir = file_of(&f, "x").parent().unwrap().to_owned();
    // Not modified UTF-7: a bare "&", and UTF-8 octets.
    for name in ["odd&name", "café"] {
        std::fs::write(mail_dir.join(name), b"").unwrap();
    }
    let mut m = session(&f, false);
    let mut u = session(&f, true);
    // The UTF-8 name goes to the other client as a literal (`{5}`, then a line of its own).
    assert_eq!(list(&mut m), ["{5}", "odd&name", "INBOX"]);
    assert_eq!(list(&mut u), ["\"café\"", "odd&name", "INBOX"]);
    for (utf8, name) in [
        (false, "odd&name"),
        (true, "odd&name"),
        (true, "\"café\""),
        (false, "{5+}\r\ncafé"),
    ] {
        let s = if utf8 { &mut u } else { &mut m };
        let out = run(s, &format!("x STATUS {name} (MESSAGES)\r\n"));
        assert!(out.ends_with("x OK STATUS completed\r\n"), "{name}: {out}");
    }
    // CREATE refuses what it finds.
    assert!(run(&mut m, "y CREATE odd&name2\r\n").starts_with("y NO Can't create unterminated"));
}
