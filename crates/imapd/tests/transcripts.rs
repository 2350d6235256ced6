//! Session transcripts: `C:` lines are given to a session, `S:` lines are what it must
//! answer, byte for byte (each line ends in CRLF). In an `S:` line, `{*}` stands for any
//! text (dates, UIDVALIDITY). Lines starting `#` are comments.
//!
//! Every transcript runs against the same fixture: user `mrc` with password `secret`,
//! and an INBOX holding RFC 3501 §8's message 12 among eleven others.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use imapd::{ImapSession, SessionConfig};
use mailstore::mailbox::AppendMessage;
use mailstore::{Flags, Store};
use server::auth::{Authenticator, VirtualUsers};
use server::config::Plaintext;
use server::log::Memory;
use server::session::{Session, Then, Transport};

/// RFC 3501 §8's message 12 (the header is the RFC's; the body is ours).
const MSG12: &str = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Minutes of the meeting.\r\n";

struct Fixture {
    _dir: tempfile::TempDir,
    cfg: Arc<SessionConfig>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users");
    let hash = sysuser::crypt::hash(b"secret", "$6$").unwrap();
    std::fs::write(&users, format!("mrc:{hash}\n")).unwrap();
    let v = Arc::new(VirtualUsers::new(
        &users,
        dir.path(),
        "test.example",
        Arc::new(mailstore::notify::Silent),
    ));
    let account = v.account_of("mrc").unwrap();
    let store = Store::new(account.store);
    let date = |d: &str| imap_date(d);
    let mut msgs: Vec<AppendMessage> = (1..=11)
        .map(|i| AppendMessage {
            data: format!("From: a{i}@example.org\r\nSubject: message {i}\r\n\r\nbody {i}\r\n")
                .into_bytes(),
            flags: Flags::SEEN,
            keywords: Vec::new(),
            date: Some(date("01-Jul-1996 10:00:00 +0000")),
        })
        .collect();
    msgs.push(AppendMessage {
        data: MSG12.as_bytes().to_vec(),
        flags: Flags::SEEN,
        keywords: Vec::new(),
        date: Some(date("17-Jul-1996 02:44:25 -0700")),
    });
    store
        .append("INBOX", &mut msgs.into_iter().map(Ok))
        .unwrap();
    let mut cfg = SessionConfig::new("test.example", v, Arc::new(Memory::default()));
    cfg.plaintext = Plaintext::Always;
    cfg.alert_file = None;
    cfg.nologin_file = None;
    cfg.failed_login_delay = Duration::ZERO;
    Fixture {
        _dir: dir,
        cfg: Arc::new(cfg),
    }
}

fn imap_date(s: &str) -> rfc822::DateTime {
    // "dd-Mon-yyyy hh:mm:ss +zzzz"
    let (d, rest) = s.split_once('-').unwrap();
    let (mon, rest) = rest.split_once('-').unwrap();
    let (y, rest) = rest.split_once(' ').unwrap();
    let (t, z) = rest.split_once(' ').unwrap();
    let hms: Vec<u8> = t.split(':').map(|x| x.parse().unwrap()).collect();
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let zh: i32 = z[1..3].parse().unwrap();
    let zm: i32 = z[3..5].parse().unwrap();
    rfc822::DateTime::from_civil(
        y.parse().unwrap(),
        rfc822::Month::from_abbrev(mon.as_bytes()).unwrap().number(),
        d.trim().parse().unwrap(),
        (hms[0], hms[1], hms[2]),
        sign * (zh * 3600 + zm * 60),
    )
    .unwrap()
}

/// Whether `got` matches `want`, where `{*}` in `want` matches any text.
fn line_matches(want: &str, got: &str) -> bool {
    let parts: Vec<&str> = want.split("{*}").collect();
    if parts.len() == 1 {
        return want == got;
    }
    let Some(mut rest) = got.strip_prefix(parts[0]) else {
        return false;
    };
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            return rest.ends_with(p) && rest.len() >= p.len();
        }
        match rest.find(p) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    true
}

/// Rewrites a transcript from its `C:` lines and what the session answers now, each
/// command on its own (run with `TRANSCRIPT_RECORD=1`, then read the diff).
fn record(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let f = fixture();
    let mut s = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
    let mut out: Vec<String> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let volatile = |g: &str| -> String {
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
    };
    let push = |bytes: &[u8], out: &mut Vec<String>| {
        for l in String::from_utf8_lossy(bytes).split_inclusive("\r\n") {
            out.push(format!("S: {}", volatile(l.trim_end_matches("\r\n"))));
        }
    };
    push(&s.greeting().bytes, &mut out);
    for line in text.lines().filter(|l| l.starts_with("C:")) {
        out.push(line.to_owned());
        let c = line.strip_prefix("C: ").unwrap_or(&line[2..]);
        s.receive(format!("{c}\r\n").as_bytes());
        while let Some(r) = s.step() {
            push(&r.bytes, &mut out);
            if r.then == Then::StartTls {
                s.tls_started();
            }
        }
    }
    std::fs::write(path, out.join("\n") + "\n").unwrap();
}

fn replay(path: &Path) {
    if std::env::var_os("TRANSCRIPT_RECORD").is_some() {
        record(path);
    }
    let text = std::fs::read_to_string(path).unwrap();
    let f = fixture();
    let mut s = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
    let mut got = String::from_utf8(s.greeting().bytes).unwrap();
    let mut closed = false;
    let mut want: Vec<String> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let flush = |got: &mut String, want: &mut Vec<String>, at: usize| {
        let got_lines: Vec<&str> = got.split_inclusive("\r\n").collect();
        assert!(
            got.is_empty() || got.ends_with("\r\n"),
            "{}: line {at}: output does not end in CRLF: {got:?}",
            path.display()
        );
        let got_lines: Vec<&str> = got_lines
            .iter()
            .map(|l| l.trim_end_matches("\r\n"))
            .collect();
        let ok = got_lines.len() == want.len()
            && want.iter().zip(&got_lines).all(|(w, g)| line_matches(w, g));
        assert!(
            ok,
            "{}: before line {at}:\nwanted:\n{}\ngot:\n{}",
            path.display(),
            want.join("\n"),
            got_lines.join("\n")
        );
        got.clear();
        want.clear();
    };
    while i < lines.len() {
        let line = lines[i];
        if let Some(w) = line.strip_prefix("S: ").or(line.strip_prefix("S:")) {
            want.push(w.to_owned());
            i += 1;
            continue;
        }
        if line.starts_with("C:") {
            flush(&mut got, &mut want, i + 1);
            assert!(
                !closed,
                "{}: line {}: the session had closed",
                path.display(),
                i + 1
            );
            let mut input = String::new();
            while i < lines.len() && lines[i].starts_with("C:") {
                let c = lines[i].strip_prefix("C: ").unwrap_or(&lines[i][2..]);
                input.push_str(c);
                input.push_str("\r\n");
                i += 1;
            }
            s.receive(input.as_bytes());
            while let Some(r) = s.step() {
                got.push_str(&String::from_utf8_lossy(&r.bytes));
                match r.then {
                    Then::Close => closed = true,
                    Then::StartTls => s.tls_started(),
                    Then::Continue => {}
                }
            }
            continue;
        }
        i += 1;
    }
    flush(&mut got, &mut want, lines.len());
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
    before_login
);

#[test]
fn matcher() {
    assert!(line_matches("a {*} c", "a bbb c"));
    assert!(line_matches(
        "* OK [UIDVALIDITY {*}] x",
        "* OK [UIDVALIDITY 123] x"
    ));
    assert!(!line_matches("a {*} c", "a b d"));
    assert!(line_matches("exact", "exact"));
}
