//! The client's IMAP response framer and parser on any bytes: never panics, frames the same
//! however the bytes are cut, and keeps to its limits.
#![no_main]

use imap_proto::client::frame::{FrameError, Limits, ResponseFramer};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    line: 8192,
    literal: 65_536,
    literals: 16,
};

fn responses(data: &[u8], cut: usize) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut f = ResponseFramer::new(LIMITS);
    let mut out = Vec::new();
    for chunk in data.chunks(cut.max(1)) {
        f.feed(chunk);
        while let Some(r) = f.next_response() {
            let stop = r.is_err();
            if let Ok(bytes) = &r {
                let _ = imap_proto::client::response::parse(bytes);
            }
            out.push(r);
            if stop {
                return out;
            }
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
    assert_eq!(responses(data, data.len().max(1)), responses(data, cut));
});
