//! Mailboxes for the benchmarks, shared so that every benchmark measures the same mail.
//!
//! [`write_mbox`] writes `n` messages in the traditional UNIX format as a delivery agent
//! does (no status headers): realistic headers, bodies of 2 to 20 KB (one in fifty about
//! 100 KB), about 10 KB per message on average, so 100,000 messages make about 1 GiB.
//! Every message's subject is `Benchmark message number <i> about topic <i % 13>`, so a
//! search for `number <i> ` finds exactly one — but for one message in seven, which is
//! international: in turn UTF-8 (8bit), KOI8-R (base64) and ISO-8859-1
//! (quoted-printable), with an encoded-word subject. The Russian ones (two in 21, see
//! [`is_russian`]) hold the word `привет`, the others `Köln`.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes `n` messages to `path`, unless the file there was made for the same `n` and is
/// unchanged since: one marker `<path>.v2.done` records the count and the file's length
/// (so a run for another `n`, which rewrites the file, invalidates it). Returns whether it
/// wrote.
pub fn write_mbox(path: &Path, n: usize) -> io::Result<bool> {
    // v2: with the international messages.
    let marker = path.with_extension("v2.done");
    if let (Ok(recorded), Ok(meta)) = (fs::read_to_string(&marker), fs::metadata(path))
        && recorded.trim() == format!("{n} {}", meta.len())
    {
        return Ok(false);
    }
    match fs::remove_file(&marker) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    write_messages(path, n)?;
    let len = fs::metadata(path)?.len();
    let tmp = path.with_extension("v2.done.tmp");
    fs::write(&tmp, format!("{n} {len}\n"))?;
    fs::rename(&tmp, &marker)?;
    Ok(true)
}

/// Writes the `n` messages (see [`write_mbox`]).
fn write_messages(path: &Path, n: usize) -> io::Result<()> {
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
            "Return-Path: <sender{0}@example.com>\nReceived: from mx.example.com (mx.example.com [192.0.2.{1}])\n\tby mail.example.org with ESMTP id {2:x}\n\tfor <user@example.org>; Mon, {day} Feb 2026 {h:02}:{m:02}:{s:02} +0000\nDate: Mon, {day} Feb 2026 {h:02}:{m:02}:{s:02} +0000\nFrom: Sender {0} <sender{0}@example.com>\nTo: User <user@example.org>\nMessage-ID: <{2}.{3:x}@example.com>\nMIME-Version: 1.0\n",
            i % 97,
            i % 250,
            i,
            next()
        )?;
        let international = match i % 21 {
            3 => Some(International::Utf8),
            10 => Some(International::Koi8r),
            17 => Some(International::Latin1),
            _ => None,
        };
        let kb = if i % 50 == 0 {
            100
        } else {
            2 + (next() % 15) as usize
        };
        match international {
            None => {
                writeln!(
                    w,
                    "Subject: Benchmark message number {i} about topic {}\nContent-Type: text/plain; charset=us-ascii\n",
                    i % 13
                )?;
                for _ in 0..(kb * 1024 / line.len()) {
                    w.write_all(line.as_bytes())?;
                }
            }
            Some(International::Utf8) => {
                w.write_all(
                    "Subject: =?UTF-8?B?UmU6INCf0YDQuNCy0LXRgiwg0LzQuNGA?=\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n".as_bytes(),
                )?;
                for _ in 0..(kb * 1024 / RUSSIAN.len()) {
                    w.write_all(RUSSIAN.as_bytes())?;
                }
            }
            Some(International::Koi8r) => {
                w.write_all(
                    b"Subject: =?KOI8-R?B?8NLJ18XULCDNydI=?=\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n",
                )?;
                let text = RUSSIAN_KOI8R.repeat(kb * 1024 / RUSSIAN_KOI8R.len() + 1);
                for chunk in text.chunks(57) {
                    w.write_all(&base64(chunk))?;
                    w.write_all(b"\n")?;
                }
            }
            Some(International::Latin1) => {
                w.write_all(
                    b"Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n",
                )?;
                for _ in 0..(kb * 1024 / LATIN1_QP.len()) {
                    w.write_all(LATIN1_QP.as_bytes())?;
                }
            }
        }
        w.write_all(b"\n")?;
    }
    w.flush()?;
    w.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
}

/// The charset and encoding of an international benchmark message.
#[derive(Clone, Copy, Debug)]
enum International {
    Utf8,
    Koi8r,
    Latin1,
}

/// Whether message `i` (from 0) is one of the Russian ones (UTF-8 or KOI8-R), which hold
/// the word `привет` in subject and body.
pub fn is_russian(i: usize) -> bool {
    matches!(i % 21, 3 | 10)
}

/// A line of Russian text, in UTF-8.
const RUSSIAN: &str = "Привет, мир! Это тестовое сообщение о поиске.\n";

/// The same line in KOI8-R.
const RUSSIAN_KOI8R: &[u8] = b"\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2! \xfc\xd4\xcf \xd4\xc5\xd3\xd4\xcf\xd7\xcf\xc5 \xd3\xcf\xcf\xc2\xdd\xc5\xce\xc9\xc5 \xcf \xd0\xcf\xc9\xd3\xcb\xc5.\n";

/// A line of German and French in ISO-8859-1, quoted-printable.
const LATIN1_QP: &str = "Gr=FC=DFe aus K=F6ln, caf=E9 cr=E8me br=FBl=E9e.\n";

/// Base64 (RFC 4648) of `bytes`.
fn base64(bytes: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_answers() {
        // RFC 4648 §10.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded.as_bytes());
        }
    }

    #[test]
    fn a_file_made_for_another_count_is_made_again() {
        let dir = std::env::temp_dir().join(format!("benchdata-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("raw");
        assert!(write_mbox(&path, 3).unwrap(), "first made");
        assert!(!write_mbox(&path, 3).unwrap(), "the same count is reused");
        assert!(write_mbox(&path, 5).unwrap(), "another count rewrites");
        let five = fs::read(&path).unwrap();
        assert_eq!(five.windows(5).filter(|w| w == b"From ").count(), 5);
        assert!(
            write_mbox(&path, 3).unwrap(),
            "the first count no longer matches"
        );
        fs::write(&path, b"changed").unwrap();
        assert!(
            write_mbox(&path, 3).unwrap(),
            "a changed file is made again"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
