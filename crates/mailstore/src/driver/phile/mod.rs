//! `phile`: any other non-empty file, shown read-only as one message (c-client's
//! `phile` driver, the last of the table).
//!
//! # The message
//!
//! The file is not changed; a header is made up for it:
//!
//! ```text
//! Date: Tue, 5 Mar 2024 10:11:12 +0000        <- the file's mtime, local time
//! From: owner@host                             <- the owner (User-Number-<uid> if unknown)
//! Subject: /home/user/notes.txt                <- the file's path
//! MIME-Version: 1.0
//! Content-Type: TEXT/PLAIN; charset=US-ASCII
//! ```
//!
//! The body is the file. Every byte is classed: a NUL, most other control characters
//! (all but BEL, BS, TAB, LF, VT, FF, CR, SO, SI and ESC) or DEL make the file binary:
//! `APPLICATION/OCTET-STREAM; name=<file name>`, sent in base64 (`BASE64`, lines of 60
//! characters). Otherwise it is `TEXT/PLAIN`; an `ESC $` sequence names
//! `ISO-2022-JP` (`ESC $ B`, `ESC $ @`), `ISO-2022-KR` (`ESC $ ) C`) or `ISO-2022-CN`
//! (`ESC $ )` A E G, `ESC $ *` H, `ESC $ +` I–M, and their fall-throughs), else any byte
//! above 127 makes it `X-UNKNOWN` (Debian's UW says so where Panda says `ISO-8859-1`),
//! else `US-ASCII`; a file with 8-bit bytes is `8BIT`. Text with no CR has its LFs made
//! CRLF; text with a CR is given as it is.
//!
//! The message is `\Recent`, has UID 1, and the mailbox's UIDVALIDITY is the file's
//! mtime. Nothing can be changed: flags, expunges and appends are refused.
//!
//! Sources: panda-inventory.md §3.10; c-client `phile.c` (the byte classes and
//! ISO-2022 escapes); UW `mailutil copy` of such files (the header, the 8-bit charset).

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use rfc822::DateTime;

use crate::config::{Format, StoreConfig};
use crate::driver::{Driver, Layout, Position};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::types::{Access, Flags, Keyword, KeywordSet, MessageInfo, SeqNo, Uid, UidValidity};

/// The phile driver.
#[derive(Debug)]
pub struct Phile;

impl Driver for Phile {
    fn format(&self) -> Format {
        Format::Phile
    }

    fn layout(&self) -> Layout {
        Layout::File
    }

    fn position(&self) -> Position {
        Position::AfterUnix
    }

    fn sniff(&self, _path: &Path, meta: &fs::Metadata) -> io::Result<bool> {
        Ok(meta.is_file() && meta.len() > 0)
    }

    fn create(&self, _cfg: &StoreConfig, _path: &Path, _keywords: &[String]) -> Result<()> {
        Err(Error::UnsupportedFormat {
            format: "phile for new mailboxes".into(),
        })
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        _spool: Option<&Path>,
        _access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        Ok(Box::new(PhileMailbox::open(&cfg, name, path)?))
    }

    fn append(
        &self,
        _cfg: &Arc<StoreConfig>,
        name: &str,
        _path: &Path,
        _msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        Err(Error::UnknownFormat {
            name: name.to_owned(),
        })
    }

    fn delete(&self, _cfg: &StoreConfig, _name: &str, path: &Path) -> Result<()> {
        fs::remove_file(path).ctx("delete mailbox", path)
    }
}

/// What the bytes of a file make of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text {
        /// Its charset.
        charset: &'static str,
        /// It has bytes above 127.
        eight_bit: bool,
        /// It has a CR (it is kept as it is; else LFs become CRLF).
        has_cr: bool,
    },
    /// Binary data.
    Binary,
}

/// Classes the contents of a file.
pub fn kind_of(data: &[u8]) -> Kind {
    let (mut eight, mut cr) = (false, false);
    let (mut jp, mut kr, mut cn) = (false, false, false);
    for (i, &b) in data.iter().enumerate() {
        match b {
            0x00..=0x06 | 0x10..=0x1a | 0x1c..=0x1f | 0x7f => return Kind::Binary,
            0x80..=0xff => eight = true,
            b'\r' => cr = true,
            0x1b if data.get(i + 1) == Some(&b'$') => {
                let third = data.get(i + 3).copied().unwrap_or(0);
                let cn_plus = matches!(third, b'I'..=b'M');
                match data.get(i + 2) {
                    Some(b'B' | b'@') => jp = true,
                    Some(b')') => match third {
                        b'C' => kr = true,
                        b'A' | b'E' | b'G' | b'H' => cn = true,
                        _ => cn |= cn_plus,
                    },
                    Some(b'*') => cn |= third == b'H' || cn_plus,
                    Some(b'+') => cn |= cn_plus,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let charset = if jp {
        "ISO-2022-JP"
    } else if kr {
        "ISO-2022-KR"
    } else if cn {
        "ISO-2022-CN"
    } else if eight {
        "X-UNKNOWN"
    } else {
        "US-ASCII"
    };
    Kind::Text {
        charset,
        eight_bit: eight,
        has_cr: cr,
    }
}

/// The message c-client makes of a file: its header and its body.
pub fn synthesize(
    data: &[u8],
    path: &Path,
    owner: &str,
    host: &str,
    date: &DateTime,
) -> (Vec<u8>, Vec<u8>) {
    let mut h = Vec::new();
    h.extend_from_slice(format!("Date: {}\r\n", date.rfc822_with_weekday()).as_bytes());
    h.extend_from_slice(format!("From: {owner}@{host}\r\nSubject: ").as_bytes());
    h.extend_from_slice(path.as_os_str().as_bytes());
    h.extend_from_slice(b"\r\nMIME-Version: 1.0\r\n");
    let body = match kind_of(data) {
        Kind::Text {
            charset,
            eight_bit,
            has_cr,
        } => {
            h.extend_from_slice(
                format!("Content-Type: TEXT/PLAIN; charset={charset}\r\n").as_bytes(),
            );
            if eight_bit {
                h.extend_from_slice(b"Content-Transfer-Encoding: 8BIT\r\n");
            }
            if has_cr {
                data.to_vec()
            } else {
                let mut out = Vec::with_capacity(data.len() + data.len() / 32);
                for line in data.split_inclusive(|b| *b == b'\n') {
                    match line.strip_suffix(b"\n") {
                        Some(l) => {
                            out.extend_from_slice(l);
                            out.extend_from_slice(b"\r\n");
                        }
                        None => out.extend_from_slice(line),
                    }
                }
                out
            }
        }
        Kind::Binary => {
            let file = path
                .file_name()
                .map_or_else(|| path.as_os_str().as_bytes(), |n| n.as_bytes());
            h.extend_from_slice(b"Content-Type: APPLICATION/OCTET-STREAM; name=");
            h.extend_from_slice(&quoted(file));
            h.extend_from_slice(b"\r\nContent-Transfer-Encoding: BASE64\r\n");
            let b64 = rfc822::decode::base64_encode(data);
            let mut out = Vec::with_capacity(b64.len() + b64.len() / 30 + 2);
            for chunk in b64.as_bytes().chunks(60) {
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out
        }
    };
    h.extend_from_slice(b"\r\n");
    (h, body)
}

/// A parameter value, quoted when it holds a space, a control character or a MIME
/// special (RFC 2045 `tspecials`).
fn quoted(v: &[u8]) -> Vec<u8> {
    let special = |b: &u8| b" ()<>@,;:\\\"/[]?=".contains(b) || *b < 0x20 || *b == 0x7f;
    if !v.is_empty() && !v.iter().any(special) {
        return v.to_vec();
    }
    let mut out = vec![b'"'];
    for &b in v {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// A file open as one message.
#[derive(Debug)]
pub struct PhileMailbox {
    name: String,
    header: Vec<u8>,
    body: Vec<u8>,
    info: [MessageInfo; 1],
    validity: UidValidity,
}

impl PhileMailbox {
    fn open(cfg: &StoreConfig, name: &str, path: &Path) -> Result<PhileMailbox> {
        let meta = fs::metadata(path).ctx("open", path)?;
        let data = fs::read(path).ctx("read", path)?;
        let owner = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(meta.uid()))
            .ok()
            .flatten()
            .map_or_else(|| format!("User-Number-{}", meta.uid()), |u| u.name);
        let date = DateTime::at_in(meta.mtime(), &cfg.tz).unwrap_or(DateTime::UNIX_EPOCH);
        let (header, body) = synthesize(&data, path, &owner, &cfg.hostname, &date);
        let size = u32::try_from(header.len() + body.len()).unwrap_or(u32::MAX);
        Ok(PhileMailbox {
            name: name.to_owned(),
            header,
            body,
            info: [MessageInfo {
                uid: Uid::MIN,
                flags: Flags::RECENT,
                keywords: KeywordSet::EMPTY,
                internal_date: date,
                size,
            }],
            validity: UidValidity::new(u32::try_from(meta.mtime()).unwrap_or(1))
                .unwrap_or(UidValidity::MIN),
        })
    }
}

impl Mailbox for PhileMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        Format::Phile
    }

    fn access(&self) -> Access {
        Access::ReadOnly
    }

    fn uid_validity(&self) -> UidValidity {
        self.validity
    }

    fn uid_next(&self) -> Uid {
        Uid::new(2).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &[]
    }

    fn can_create_keywords(&self) -> bool {
        false
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.info
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        if seq.get() != 1 {
            return Err(Error::NoSuchMessage(seq.get()));
        }
        Ok(match part {
            Part::Header => self.header.clone(),
            Part::Text => self.body.clone(),
            Part::Whole => [&self.header[..], &self.body[..]].concat(),
        })
    }

    fn set_flags(&mut self, _: &[SeqNo], _: FlagOp, _: Flags, _: &[Keyword]) -> Result<()> {
        Err(Error::ReadOnly)
    }

    fn expunge(&mut self, _scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        Err(Error::ReadOnly)
    }

    fn append(
        &mut self,
        _msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        Err(Error::UnknownFormat {
            name: self.name.clone(),
        })
    }

    fn check(&mut self) -> Result<()> {
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        Ok(Vec::new())
    }

    fn close(self: Box<Self>, _how: Close) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> DateTime {
        DateTime::from_civil(2024, 3, 5, (10, 11, 12), 0).unwrap()
    }

    #[test]
    fn text_is_made_crlf_with_a_made_up_header() {
        let (h, b) = synthesize(
            b"hello\nworld\n",
            Path::new("/home/u/notes.txt"),
            "u",
            "vm",
            &date(),
        );
        assert_eq!(
            String::from_utf8(h).unwrap(),
            "Date: Tue, 5 Mar 2024 10:11:12 +0000\r\nFrom: u@vm\r\n\
             Subject: /home/u/notes.txt\r\nMIME-Version: 1.0\r\n\
             Content-Type: TEXT/PLAIN; charset=US-ASCII\r\n\r\n"
        );
        assert_eq!(b, b"hello\r\nworld\r\n");
    }

    #[test]
    fn kinds() {
        assert_eq!(
            kind_of(b"caf\xe9\n"),
            Kind::Text {
                charset: "X-UNKNOWN",
                eight_bit: true,
                has_cr: false
            }
        );
        let charset = |d: &[u8]| match kind_of(d) {
            Kind::Text { charset, .. } => charset,
            Kind::Binary => "binary",
        };
        assert_eq!(charset(b"a \x1b$B0!\x1b(B b\n"), "ISO-2022-JP");
        assert_eq!(charset(b"\x1b$)C\x0e!\x0f"), "ISO-2022-KR");
        assert_eq!(charset(b"\x1b$)A"), "ISO-2022-CN");
        assert_eq!(charset(b"\x1b$+K"), "ISO-2022-CN");
        assert_eq!(charset(b"\x1b$"), "US-ASCII");
        assert_eq!(charset(b"tab\tbell\x07\r\n"), "US-ASCII");
        assert_eq!(charset(b"x\x00y"), "binary");
        assert_eq!(charset(b"x\x7f"), "binary");
        assert_eq!(charset(b"x\x1a"), "binary");
    }

    #[test]
    fn binary_is_base64_in_lines_of_60() {
        let data: Vec<u8> = (0..=255u8).collect();
        let (h, b) = synthesize(&data, Path::new("/x/my file.bin"), "u", "vm", &date());
        let h = String::from_utf8(h).unwrap();
        assert!(h.contains(
            "Content-Type: APPLICATION/OCTET-STREAM; name=\"my file.bin\"\r\n\
             Content-Transfer-Encoding: BASE64\r\n\r\n"
        ));
        let lines: Vec<&[u8]> = b.split(|c| *c == b'\n').collect();
        assert_eq!(lines[0].len(), 61);
        assert!(b.ends_with(b"\r\n"));
        let joined: Vec<u8> = b.iter().copied().filter(|c| !b"\r\n".contains(c)).collect();
        assert_eq!(rfc822::decode::base64(&joined), data);
    }
}
