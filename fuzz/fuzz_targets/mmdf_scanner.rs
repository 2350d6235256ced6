//! The mailbox scanner in mmdf framing (`^A^A^A^A` delimiters) on any bytes, fed in
//! windows of a size the input chooses: never panics, gives the same messages whatever the
//! window size, and the messages lie in order inside the data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailstore::driver::unix::Framing;
use mailstore::driver::unix::scan::{Scanned, Scanner};

fn scan(data: &[u8], window: usize) -> Option<Vec<Scanned>> {
    let mut sc = Scanner::with_framing(0, jiff::tz::TimeZone::UTC, Framing::Mmdf);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut win = window.max(1);
    for _ in 0..(data.len() * 4 + 16) {
        let end = (pos + win).min(data.len());
        let eof = end == data.len();
        let n = sc.feed(&data[pos..end], eof, &mut out).ok()?;
        pos += n;
        if eof && pos == data.len() {
            let before = out.len();
            sc.feed(&[], true, &mut out).ok()?;
            assert_eq!(before, out.len());
            return Some(out);
        }
        if n == 0 {
            win *= 2;
        }
    }
    panic!("scanner made no progress");
}

fuzz_target!(|input: &[u8]| {
    let Some((&w, data)) = input.split_first() else {
        return;
    };
    let whole = scan(data, data.len().max(1));
    let windowed = scan(data, usize::from(w % 64) + 1);
    assert_eq!(whole, windowed);
    if let Some(msgs) = whole {
        let mut at = 0;
        for m in &msgs {
            assert!(m.start >= at);
            assert!(data[m.start as usize..].starts_with(b"\x01\x01\x01\x01\n"));
            at = m.end();
        }
        assert!(at <= data.len() as u64);
    }
});
