//! The POP3 framer and command parser on any bytes: never panics, the same lines however
//! the bytes are cut, and no line longer than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pop3_proto::frame::{Framer, Line, MAX_LINE};

fn lines(data: &[u8], cut: usize) -> Vec<Line> {
    let mut f = Framer::new();
    let mut out = Vec::new();
    for chunk in data.chunks(cut.max(1)) {
        f.feed(chunk);
        while let Some(l) = f.next_line() {
            if let Line::Text(t) = &l {
                assert!(t.len() <= MAX_LINE);
                let _ = pop3_proto::command::parse(t);
            }
            out.push(l);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let cut = usize::from(data[0]);
    let data = &data[1..];
    assert_eq!(lines(data, data.len().max(1)), lines(data, cut));
});
