//! The `pop3_lines` fuzz target's properties on fixed pseudo-random input, so `cargo test`
//! checks them: any bytes parse without panicking, and lines do not depend on how the
//! input is cut.

#![allow(clippy::unwrap_used)]

use pop3_proto::frame::{Framer, Line};

fn lines(data: &[u8], cut: usize) -> Vec<Line> {
    let mut f = Framer::new();
    let mut out = Vec::new();
    for chunk in data.chunks(cut.max(1)) {
        f.feed(chunk);
        while let Some(l) = f.next_line() {
            if let Line::Text(t) = &l {
                let _ = pop3_proto::command::parse(t);
            }
            out.push(l);
        }
    }
    out
}

#[test]
fn random_bytes_parse_and_frame_the_same_however_cut() {
    const WORDS: &[&[u8]] = &[
        b"USER ",
        b"PASS ",
        b"RETR ",
        b"TOP ",
        b"AUTH ",
        b"APOP ",
        b"1",
        b" ",
        b"\r\n",
        b"\n",
        b"\xff",
        b"\xc3",
        b"\0",
        b"x",
        b"99999999999",
    ];
    let mut state = 0x243F_6A88_85A3_08D3u64;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % n
    };
    for _ in 0..500 {
        let mut data = Vec::new();
        for _ in 0..next(40) {
            data.extend_from_slice(WORDS[next(WORDS.len())]);
            if next(10) == 0 {
                data.extend(std::iter::repeat_n(b'z', next(9000)));
            }
        }
        let whole = lines(&data, data.len());
        for cut in [1, 5, 64] {
            assert_eq!(whole, lines(&data, cut));
        }
    }
}
