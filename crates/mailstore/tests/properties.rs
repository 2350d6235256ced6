//! Properties checked on many generated inputs (a deterministic stand-in for the fuzz
//! targets in `fuzz/`, so that CI runs them on every change).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::driver::unix::format::{FromEscape, from_line, prepare_append};
use mailstore::driver::unix::scan::{Scanned, Scanner};
use mailstore::notify::Silent;
use mailstore::{Access, AppendMessage, Flags, Part, SeqNo, Store};

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&[u8]] = &[
    b"From a Wed Dec  2 05:53:22 1992\n",
    b"From b@c Thu Dec  3 05:53 -0700 1992\r\n",
    b"From the body\n",
    b">From quoted\n",
    b"Status: RO\n",
    b"status: O\n",
    b"X-Status: DFAT\n",
    b"X-Keywords: a b\n",
    b"X-UID: 5\n",
    b"X-UID: 99999999999999999999\n",
    b"X-IMAP: 1 0000000000 k\n",
    b"X-IMAPbase: 7 9\n",
    b" continued\n",
    b"Subject: s\n",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"From ",
    b"body text\n",
    b"\xff\xfe",
];

fn random_mailbox(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..rng.below(60) {
        v.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        if rng.below(8) == 0 {
            let n = rng.below(20);
            v.extend((0..n).map(|_| rng.next() as u8));
        }
    }
    v
}

fn scan(data: &[u8], window: usize) -> Result<Vec<Scanned>, String> {
    let mut sc = Scanner::new(0, jiff::tz::TimeZone::UTC);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut win = window;
    loop {
        let end = (pos + win).min(data.len());
        let eof = end == data.len();
        let n = sc
            .feed(&data[pos..end], eof, &mut out)
            .map_err(|e| e.to_string())?;
        pos += n;
        if eof && pos == data.len() {
            return Ok(out);
        }
        if n == 0 {
            win *= 2;
        }
    }
}

#[test]
fn scanner_never_panics_and_window_size_does_not_matter() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let data = random_mailbox(&mut rng);
        let whole = scan(&data, data.len().max(1));
        for w in [1, 3, 7, 64] {
            assert_eq!(scan(&data, w), whole, "round {round}, window {w}");
        }
        if let Ok(msgs) = whole {
            let mut at = 0;
            for m in &msgs {
                assert!(m.start >= at);
                at = m.end();
            }
            assert!(at <= data.len() as u64);
        }
        for line in data.split_inclusive(|&b| b == b'\n') {
            let _ = from_line(line);
        }
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("home")).unwrap();
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    let mut cfg = StoreConfig::new("p", dir.path().join("home"));
    cfg.spool = dir.path().join("spool");
    cfg.locks.tmp_dir = dir.path().join("tmp");
    cfg.notify = Arc::new(Silent);
    (dir, Store::new(cfg))
}

/// What a client gets back after appending `msg` to a UNIX mailbox: CRLF line ends, a line
/// end at the end, `>` before `From ` lines, internal headers renamed.
fn expected(msg: &[u8]) -> Vec<u8> {
    let (header, body) = prepare_append(msg, FromEscape::Every);
    let mut out = Vec::new();
    let crlf = |s: &[u8], out: &mut Vec<u8>| {
        for &b in s {
            if b == b'\n' {
                out.extend_from_slice(b"\r\n");
            } else {
                out.push(b);
            }
        }
    };
    crlf(&header, &mut out);
    out.extend_from_slice(b"\r\n");
    crlf(&body, &mut out);
    out
}

#[test]
fn appended_messages_read_back_as_stored() {
    let (_dir, store) = store();
    store.create("box").unwrap();
    let mut rng = Rng(42);
    let mut msgs = Vec::new();
    for _ in 0..200 {
        let mut m = random_mailbox(&mut rng);
        m.retain(|&b| b != 0);
        if m.is_empty() {
            m.push(b'x');
        }
        // Messages must not look like they carry the separating empty line at their start.
        if m[0] == b'\n' || m[0] == b'\r' {
            m.insert(0, b'X');
        }
        msgs.push(m);
    }
    store
        .append(
            "box",
            &mut msgs.iter().map(|m| {
                Ok(AppendMessage {
                    data: m.clone(),
                    flags: Flags::SEEN,
                    keywords: Vec::new(),
                    date: None,
                })
            }),
        )
        .unwrap();
    let mut mb = store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.messages().len(), msgs.len());
    for (i, m) in msgs.iter().enumerate() {
        let got = mb
            .fetch(SeqNo::new(i as u32 + 1).unwrap(), Part::Whole)
            .unwrap();
        assert_eq!(
            got,
            expected(m),
            "message {}: {:?}",
            i + 1,
            String::from_utf8_lossy(m)
        );
        assert_eq!(mb.messages()[i].size as usize, got.len());
        assert!(mb.messages()[i].flags.contains(Flags::SEEN));
    }
}
