//! The IMAP framer on any bytes, fed in any pieces: never panics, never buffers more than
//! its limits allow, and gives the same frames however the bytes are cut.
#![no_main]

use imap_proto::frame::{Frame, Framer, Limits};
use libfuzzer_sys::fuzz_target;

fn frames(data: &[u8], cut: usize, limits: Limits) -> Vec<Frame> {
    let mut f = Framer::new(limits);
    let mut out = Vec::new();
    for chunk in data.chunks(cut.max(1)) {
        f.feed(chunk);
        while let Some(fr) = f.next_frame() {
            if let Frame::Command(c) = &fr {
                // Text plus literals, never more than the limits allow.
                let most = limits.line as u64 + limits.literals as u64 * limits.append_literal;
                assert!(c.len() as u64 <= most);
            }
            out.push(fr);
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
    let limits = Limits {
        line: 300,
        literal: 50,
        append_literal: 200,
        literals: 3,
    };
    let whole = frames(data, data.len().max(1), limits);
    let pieces = frames(data, cut, limits);
    assert_eq!(whole, pieces);
});
