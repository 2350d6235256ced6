//! Message parsing on any bytes: the MIME tree's ranges lie inside the message, nested
//! parts inside their parents; envelopes and header dates never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rfc822::mime::{self, Kind, Part};

fn check(p: &Part, within: std::ops::Range<usize>) {
    assert!(p.header.start >= within.start && p.header.end <= within.end);
    assert!(p.body.start >= within.start && p.body.end <= within.end);
    assert!(p.header.start <= p.header.end && p.body.start <= p.body.end);
    match &p.kind {
        Kind::Leaf => {}
        Kind::Multipart(children) => children.iter().for_each(|c| check(c, p.body.clone())),
        Kind::Message(inner) => check(inner, p.body.clone()),
    }
}

fuzz_target!(|data: &[u8]| {
    let root = mime::parse(data);
    check(&root, 0..data.len());
    let _ = rfc822::envelope::Envelope::parse(&data[root.header.clone()]);
    let _ = rfc822::date::parse_rfc5322(data);
    let _ = rfc822::text::decode_words(data);
});
