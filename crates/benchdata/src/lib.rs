//! Mailboxes for the benchmarks, shared so that every benchmark measures the same mail.
//!
//! [`write_mbox`] writes `n` messages in the traditional UNIX format as a delivery agent
//! does (no status headers): realistic headers, bodies of 2 to 20 KB (one in fifty about
//! 100 KB), about 10 KB per message on average, so 100,000 messages make about 1 GiB.
//! Every message's subject is `Benchmark message number <i> about topic <i % 13>`, so a
//! search for `number <i> ` finds exactly one.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes `n` messages to `path`, unless a file made for the same `n` is there already
/// (a `<path>.<n>.done` marker says so). Returns whether it wrote.
pub fn write_mbox(path: &Path, n: usize) -> io::Result<bool> {
    let marker = path.with_extension(format!("{n}.done"));
    if marker.exists() && path.exists() {
        return Ok(false);
    }
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let line = "The quick brown fox jumps over the lazy dog, again and again and again.\n";
    for i in 0..n {
        let day = 1 + i % 28;
        let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
        writeln!(
            w,
            "From sender{}@example.com Mon Feb {day:>2} {h:02}:{m:02}:{s:02} 2026",
            i % 97
        )?;
        write!(
            w,
            "Return-Path: <sender{0}@example.com>\nReceived: from mx.example.com (mx.example.com [192.0.2.{1}])\n\tby mail.example.org with ESMTP id {2:x}\n\tfor <user@example.org>; Mon, {day} Feb 2026 {h:02}:{m:02}:{s:02} +0000\nDate: Mon, {day} Feb 2026 {h:02}:{m:02}:{s:02} +0000\nFrom: Sender {0} <sender{0}@example.com>\nTo: User <user@example.org>\nSubject: Benchmark message number {2} about topic {3}\nMessage-ID: <{2}.{4:x}@example.com>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n",
            i % 97,
            i % 250,
            i,
            i % 13,
            next()
        )?;
        let kb = if i % 50 == 0 {
            100
        } else {
            2 + (next() % 15) as usize
        };
        for _ in 0..(kb * 1024 / line.len()) {
            w.write_all(line.as_bytes())?;
        }
        w.write_all(b"\n")?;
    }
    w.flush()?;
    drop(w);
    fs::write(&marker, b"")?;
    Ok(true)
}
