//! The fuzz targets' properties on fixed pseudo-random inputs, so `cargo test` checks
//! them too: the framer gives the same frames however its input is cut, and the command
//! parser never panics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use imap_proto::command::parse_command;
use imap_proto::frame::{Frame, Framer, Limits};

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces IMAP input is made of, so that random joins hit the interesting cases.
const PIECES: &[&[u8]] = &[
    b"a1 ",
    b"NOOP",
    b"LOGIN",
    b"APPEND",
    b"SELECT",
    b" ",
    b"\r\n",
    b"\n",
    b"{5}",
    b"{5+}",
    b"{99}",
    b"{99+}",
    b"{0+}",
    b"{18446744073709551615+}",
    b"abcde",
    b"\"q\"",
    b"(",
    b")",
    b"x",
    b"*",
    b"\0",
    b"\xff",
    b"FETCH 1:* (BODY[])",
    b"UID ",
    b"SEARCH OR A B",
];

fn input(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..rng.below(60) {
        v.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        if rng.below(8) == 0 {
            v.extend(std::iter::repeat_n(b'y', rng.below(400)));
        }
    }
    v
}

fn frames(data: &[u8], cut: usize) -> Vec<Frame> {
    let limits = Limits {
        line: 300,
        literal: 50,
        append_literal: 200,
        literals: 3,
    };
    let mut f = Framer::new(limits);
    let mut out = Vec::new();
    for chunk in data.chunks(cut.max(1)) {
        f.feed(chunk);
        while let Some(fr) = f.next_frame() {
            out.push(fr);
        }
    }
    out
}

#[test]
fn framing_does_not_depend_on_how_input_is_cut() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let data = input(&mut rng);
        let whole = frames(&data, data.len());
        for cut in [1, 2, 3, 7, 64] {
            assert_eq!(whole, frames(&data, cut), "cut {cut} of {data:?}");
        }
        for f in whole {
            if let Frame::Command(c) = f {
                let _ = parse_command(&c);
            }
        }
    }
}
