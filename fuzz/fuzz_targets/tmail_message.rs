//! What tmail and dmail make of the message an MTA hands them, on any bytes: never panics,
//! the delivery headers come first, and input with bare LF line ends comes out with CRLF
//! everywhere (input whose first line ends in CRLF is kept as it is, as UW's tmail does).
#![no_main]

use deliver::message::{LineEnds, from_bytes};
use libfuzzer_sys::fuzz_target;

const HEADERS: &str = "Return-Path: <a@b>\r\nReceived: via tmail\r\n";

fuzz_target!(|data: &[u8]| {
    let Ok(p) = from_bytes(data, HEADERS) else {
        return;
    };
    assert!(p.data.starts_with(HEADERS.as_bytes()));
    if p.input == LineEnds::Crlf {
        return;
    }
    let body = &p.data[HEADERS.len()..];
    for (i, &b) in body.iter().enumerate() {
        if b == b'\n' {
            assert!(
                i > 0 && body[i - 1] == b'\r',
                "bare LF at {i} in {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
});
