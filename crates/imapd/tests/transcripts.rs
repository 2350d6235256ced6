//! Session transcripts (see `server::transcript`), replayed against the fixture: user
//! `mrc` with password `secret`, and an INBOX holding RFC 3501 §8's message 12 among eleven
//! others.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::fixture;
use imapd::ImapSession;
use server::session::Transport;

/// What changes from run to run in this server's answers.
fn volatile(g: &str) -> String {
    let mut g = g.to_owned();
    if g.starts_with("* OK [CAPABILITY") && g.contains("Panda IMAP in Rust") {
        g = format!(
            "{}Panda IMAP in Rust {{*}}",
            &g[..g.find("Panda IMAP in Rust").unwrap()]
        );
    }
    for key in ["UIDVALIDITY ", "APPENDUID ", "COPYUID "] {
        if let Some(at) = g.find(key) {
            let start = at + key.len();
            let end = start + g[start..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
            g.replace_range(start..end, "{*}");
        }
    }
    g
}

fn replay(path: &Path) {
    if std::env::var_os("TRANSCRIPT_RECORD").is_some() {
        let f = fixture();
        let make = || ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
        server::transcript::record(path, &make, &volatile);
    }
    let f = fixture();
    let make = || ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
    server::transcript::replay(path, &make);
}

macro_rules! transcripts {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            replay(&Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/transcripts")
                .join(concat!(stringify!($name), ".txt")));
        }
    )*};
}

transcripts!(
    rfc3501_section8,
    selected,
    authenticate,
    literals,
    before_login,
    mailbox_names,
    utf8_accept
);
