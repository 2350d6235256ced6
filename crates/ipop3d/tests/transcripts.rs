//! POP3 session transcripts (see `server::transcript`), replayed against the fixture.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::fixture;
use ipop3d::Pop3Session;
use server::session::Transport;

/// What changes from run to run: the UIDVALIDITY in unique ids.
fn volatile(g: &str) -> String {
    let words: Vec<&str> = g.split(' ').collect();
    match words.as_slice() {
        [n, uid] if n.parse::<u32>().is_ok() && uid.len() == 16 => {
            format!("{n} {{*}}{}", &uid[8..])
        }
        ["+OK", n, uid] if n.parse::<u32>().is_ok() && uid.len() == 16 => {
            format!("+OK {n} {{*}}{}", &uid[8..])
        }
        _ => g.to_owned(),
    }
}

fn replay(path: &Path) {
    if std::env::var_os("TRANSCRIPT_RECORD").is_some() {
        let f = fixture();
        let make = || Pop3Session::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
        server::transcript::record(path, &make, &volatile);
    }
    let f = fixture();
    let make = || Pop3Session::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
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

transcripts!(authorization, transaction, sasl);
