//! The MIME structure of a message (RFC 2045, RFC 2046), with byte ranges, for IMAP's
//! BODYSTRUCTURE and `BODY[section]`.
//!
//! A message is a header and a body; a `multipart/*` body is a preamble, parts each
//! preceded by a delimiter line `--boundary`, the closing delimiter `--boundary--` and an
//! epilogue; a `message/rfc822` body is a message of its own. The CRLF before each
//! delimiter belongs to the delimiter, not to the part before it.
//!
//! Parsing never fails: what is malformed is read in the most useful way (a multipart with
//! no boundary parameter is a leaf; a missing closing delimiter ends at the end of the
//! body). Nesting is limited to [`MAX_DEPTH`] levels, below which parts are leaves.

use std::ops::Range;

use memchr::memmem;

use crate::header;

/// How deeply parts may nest before they are treated as leaves.
pub const MAX_DEPTH: usize = 40;

/// A parameter list: names and values as written (quotes removed).
pub type Params = Vec<(Vec<u8>, Vec<u8>)>;

/// One part (or the whole message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The header, with its ending empty line, within the message.
    pub header: Range<usize>,
    /// The body within the message.
    pub body: Range<usize>,
    /// What the content headers say.
    pub content: Content,
    /// The lines of the body.
    pub lines: u32,
    /// What is inside.
    pub kind: Kind,
}

/// The content headers of a part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// The media type, lower case (`text`).
    pub media_type: Vec<u8>,
    /// The subtype, lower case (`plain`).
    pub subtype: Vec<u8>,
    /// The Content-Type parameters.
    pub params: Params,
    /// Content-ID.
    pub id: Option<Vec<u8>>,
    /// Content-Description.
    pub description: Option<Vec<u8>>,
    /// Content-Transfer-Encoding, upper case (`7BIT` if absent).
    pub encoding: Vec<u8>,
    /// Content-MD5.
    pub md5: Option<Vec<u8>>,
    /// Content-Disposition: the disposition and its parameters.
    pub disposition: Option<(Vec<u8>, Params)>,
    /// Content-Language: the tags.
    pub language: Option<Vec<Vec<u8>>>,
    /// Content-Location.
    pub location: Option<Vec<u8>>,
}

/// What a part contains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A body of its own.
    Leaf,
    /// Parts (`multipart/*`).
    Multipart(Vec<Part>),
    /// A message (`message/rfc822`, `message/global`).
    Message(Box<Part>),
}

/// Parses a whole message.
pub fn parse(msg: &[u8]) -> Part {
    parse_part(msg, 0..msg.len(), Default::default(), 0)
}

/// What a part defaults to when it has no Content-Type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum DefaultType {
    /// `text/plain; charset=us-ascii`
    #[default]
    Text,
    /// `message/rfc822` (inside `multipart/digest`)
    Message,
}

fn parse_part(msg: &[u8], range: Range<usize>, default: DefaultType, depth: usize) -> Part {
    let bytes = &msg[range.clone()];
    let (hlen, bstart) = header::split(bytes);
    let header = range.start..range.start + bstart.max(hlen);
    let body = range.start + bstart..range.end;
    let content = Content::from_header(&bytes[..hlen], default);
    let lines = count_lines(&msg[body.clone()]);
    let kind = if depth >= MAX_DEPTH {
        Kind::Leaf
    } else if content.media_type == b"multipart" {
        match content.param(b"boundary") {
            Some(b) if !b.is_empty() => {
                let sub_default = if content.subtype == b"digest" {
                    DefaultType::Message
                } else {
                    DefaultType::Text
                };
                let parts = split_multipart(msg, body.clone(), b)
                    .into_iter()
                    .map(|r| parse_part(msg, r, sub_default, depth + 1))
                    .collect();
                Kind::Multipart(parts)
            }
            _ => Kind::Leaf,
        }
    } else if content.media_type == b"message"
        && (content.subtype == b"rfc822" || content.subtype == b"global")
    {
        Kind::Message(Box::new(parse_part(
            msg,
            body.clone(),
            DefaultType::Text,
            depth + 1,
        )))
    } else {
        Kind::Leaf
    };
    Part {
        header,
        body,
        content,
        lines,
        kind,
    }
}

fn count_lines(b: &[u8]) -> u32 {
    let n = memchr::memchr_iter(b'\n', b).count();
    let partial = usize::from(!b.is_empty() && !b.ends_with(b"\n"));
    u32::try_from(n + partial).unwrap_or(u32::MAX)
}

/// The ranges of the parts of a multipart body with this boundary.
fn split_multipart(msg: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary);
    let b = &msg[body.clone()];
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut at = 0;
    let finder = memmem::Finder::new(&delim);
    while let Some(i) = finder.find(&b[at..]) {
        let pos = at + i;
        let line_start = pos == 0 || b[pos - 1] == b'\n';
        let after = pos + delim.len();
        let rest = &b[after..];
        let closing = rest.starts_with(b"--");
        let tail = if closing { &rest[2..] } else { rest };
        let line_end = tail
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |p| after + (b.len() - after - tail.len()) + p + 1);
        let only_space = tail
            .iter()
            .take_while(|&&c| c != b'\n')
            .all(|&c| c == b' ' || c == b'\t' || c == b'\r');
        if !line_start || !only_space {
            at = after;
            continue;
        }
        if let Some(s) = current {
            // The CRLF before the delimiter belongs to it.
            let mut end = pos;
            if end > s && b[end - 1] == b'\n' {
                end -= 1;
                if end > s && b[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            parts.push(body.start + s..body.start + end.max(s));
        }
        if closing {
            return parts;
        }
        current = Some(line_end.min(b.len()));
        at = line_end.min(b.len());
        if at >= b.len() {
            break;
        }
    }
    if let Some(s) = current {
        parts.push(body.start + s..body.end);
    }
    parts
}

impl Content {
    fn from_header(h: &[u8], default: DefaultType) -> Content {
        let mut c = Content {
            media_type: match default {
                DefaultType::Text => b"text".to_vec(),
                DefaultType::Message => b"message".to_vec(),
            },
            subtype: match default {
                DefaultType::Text => b"plain".to_vec(),
                DefaultType::Message => b"rfc822".to_vec(),
            },
            params: match default {
                DefaultType::Text => vec![(b"charset".to_vec(), b"US-ASCII".to_vec())],
                DefaultType::Message => Vec::new(),
            },
            id: None,
            description: None,
            encoding: b"7BIT".to_vec(),
            md5: None,
            disposition: None,
            language: None,
            location: None,
        };
        for f in header::fields(h) {
            let v = unfold(f.value());
            if f.is("Content-Type") {
                let (t, params) = split_params(&v);
                if let Some(slash) = t.iter().position(|&b| b == b'/') {
                    let (ty, sub) = (&t[..slash], &t[slash + 1..]);
                    let ty = trim(ty);
                    let sub = trim(sub);
                    if !ty.is_empty() && !sub.is_empty() {
                        c.media_type = ty.to_ascii_lowercase();
                        c.subtype = sub.to_ascii_lowercase();
                        c.params = params;
                    }
                }
            } else if f.is("Content-Transfer-Encoding") {
                let e = trim(&v);
                if !e.is_empty() {
                    c.encoding = e.to_ascii_uppercase();
                }
            } else if f.is("Content-ID") {
                c.id = Some(trim(&v).to_vec());
            } else if f.is("Content-Description") {
                c.description = Some(trim(&v).to_vec());
            } else if f.is("Content-MD5") {
                c.md5 = Some(trim(&v).to_vec());
            } else if f.is("Content-Disposition") {
                let (d, params) = split_params(&v);
                let d = trim(&d);
                if !d.is_empty() {
                    c.disposition = Some((d.to_vec(), params));
                }
            } else if f.is("Content-Language") {
                let tags: Vec<Vec<u8>> = v
                    .split(|&b| b == b',')
                    .map(|t| trim(t).to_vec())
                    .filter(|t| !t.is_empty())
                    .collect();
                if !tags.is_empty() {
                    c.language = Some(tags);
                }
            } else if f.is("Content-Location") {
                c.location = Some(trim(&v).to_vec());
            }
        }
        c
    }

    /// A Content-Type parameter's value, the name compared without regard to case.
    pub fn param(&self, name: &[u8]) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

/// Header continuation lines joined: CRLF (or LF) before white space removed.
pub fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'\r' if v.get(i + 1) == Some(&b'\n') => i += 2,
            b'\n' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn trim(v: &[u8]) -> &[u8] {
    v.trim_ascii()
}

/// `value *(";" name "=" (token / quoted-string))`, comments dropped.
fn split_params(v: &[u8]) -> (Vec<u8>, Params) {
    let v = strip_comments(v);
    let mut pieces = Vec::new();
    let mut cur = Vec::new();
    let mut quoted = false;
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        match c {
            b'"' => {
                quoted = !quoted;
                cur.push(c);
            }
            b'\\' if quoted && i + 1 < v.len() => {
                cur.push(c);
                cur.push(v[i + 1]);
                i += 1;
            }
            b';' if !quoted => pieces.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
        i += 1;
    }
    pieces.push(cur);
    let head = trim(&pieces[0]).to_vec();
    let mut params = Vec::new();
    for p in &pieces[1..] {
        let Some(eq) = p.iter().position(|&b| b == b'=') else {
            continue;
        };
        let name = trim(&p[..eq]);
        if name.is_empty() {
            continue;
        }
        let raw = trim(&p[eq + 1..]);
        let value = if raw.len() >= 2 && raw[0] == b'"' && raw[raw.len() - 1] == b'"' {
            let mut out = Vec::new();
            let inner = &raw[1..raw.len() - 1];
            let mut j = 0;
            while j < inner.len() {
                if inner[j] == b'\\' && j + 1 < inner.len() {
                    j += 1;
                }
                out.push(inner[j]);
                j += 1;
            }
            out
        } else {
            raw.to_vec()
        };
        params.push((name.to_vec(), value));
    }
    (head, params)
}

fn strip_comments(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut depth = 0u32;
    let mut quoted = false;
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if quoted {
            out.push(c);
            if c == b'\\' && i + 1 < v.len() {
                out.push(v[i + 1]);
                i += 1;
            } else if c == b'"' {
                quoted = false;
            }
        } else if depth > 0 {
            match c {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'\\' => i += 1,
                _ => {}
            }
        } else {
            match c {
                b'(' => depth = 1,
                b'"' => {
                    quoted = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        i += 1;
    }
    out
}

impl Part {
    /// The part a section path names (RFC 3501 §6.4.5): `[]` is the message itself; in a
    /// message that is not multipart, part 1 is its body; the parts of an encapsulated
    /// message are numbered below the part that holds it.
    pub fn find(&self, path: &[u32]) -> Option<&Part> {
        let mut cur = self;
        for &n in path {
            let n = usize::try_from(n).ok()?.checked_sub(1)?;
            // A message/rfc822 part stands for the message inside it.
            let container = match &cur.kind {
                Kind::Message(inner) if !std::ptr::eq(cur, self) => inner.as_ref(),
                _ => cur,
            };
            cur = match &container.kind {
                Kind::Multipart(children) => children.get(n)?,
                _ if n == 0 => container,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// The encapsulated message, for a `message/rfc822` part.
    pub fn message(&self) -> Option<&Part> {
        match &self.kind {
            Kind::Message(inner) => Some(inner),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: a@b\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xyz\"\r\n\r\npreamble\r\n--xyz\r\n\r\nfirst part\r\n--xyz\r\nContent-Type: text/html; charset=\"utf-8\" (comment)\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>x</p>\r\n--xyz\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n--in\r\n\r\nalt1\r\n--in\r\n\r\nalt2\r\n--in--\r\n\r\n--xyz--\r\nepilogue\r\n";

    #[test]
    fn multipart_tree() {
        let p = parse(MSG);
        assert_eq!(p.content.media_type, b"multipart");
        let Kind::Multipart(parts) = &p.kind else {
            panic!()
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(&MSG[parts[0].body.clone()], b"first part");
        assert_eq!(parts[0].content.subtype, b"plain");
        assert_eq!(parts[0].content.param(b"charset"), Some(&b"US-ASCII"[..]));
        assert_eq!(parts[1].content.subtype, b"html");
        assert_eq!(parts[1].content.param(b"CHARSET"), Some(&b"utf-8"[..]));
        assert_eq!(parts[1].content.encoding, b"QUOTED-PRINTABLE");
        assert_eq!(&MSG[parts[1].body.clone()], b"<p>x</p>");
        let inner = parts[2].message().unwrap();
        assert_eq!(inner.content.subtype, b"alternative");
        // Section numbers.
        assert_eq!(&MSG[p.find(&[1]).unwrap().body.clone()], b"first part");
        assert_eq!(&MSG[p.find(&[3, 1]).unwrap().body.clone()], b"alt1");
        assert_eq!(&MSG[p.find(&[3, 2]).unwrap().body.clone()], b"alt2");
        assert!(p.find(&[4]).is_none());
        assert!(p.find(&[3, 3]).is_none());
        assert_eq!(p.find(&[3]).unwrap().content.media_type, b"message");
    }

    #[test]
    fn plain_messages_have_a_part_one() {
        let m = b"Subject: x\r\n\r\nbody\r\nline 2\r\n";
        let p = parse(m);
        assert_eq!(p.kind, Kind::Leaf);
        assert_eq!(p.lines, 2);
        assert_eq!(p.find(&[1]).unwrap().body, p.body);
        assert!(p.find(&[2]).is_none());
        assert!(p.find(&[1, 1]).is_some());
    }

    #[test]
    fn malformed_structures_still_parse() {
        // No boundary parameter: a leaf.
        let p = parse(b"Content-Type: multipart/mixed\r\n\r\nx");
        assert_eq!(p.kind, Kind::Leaf);
        // No closing delimiter.
        let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nonly\r\n";
        let p = parse(m);
        let Kind::Multipart(parts) = &p.kind else {
            panic!()
        };
        assert_eq!(&m[parts[0].body.clone()], b"only\r\n");
        // Deep nesting stops.
        let mut m = Vec::new();
        for i in 0..100 {
            m.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n")
                    .as_bytes(),
            );
        }
        let _ = parse(&m);
        // Digest parts default to message/rfc822.
        let m = b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: in\r\n\r\nx\r\n--d--\r\n";
        let p = parse(m);
        assert_eq!(p.find(&[1]).unwrap().content.media_type, b"message");
    }

    #[test]
    fn parameters() {
        let (v, p) = split_params(b"attachment; filename=\"a \\\"b\\\";c.txt\"; size=3");
        assert_eq!(v, b"attachment");
        assert_eq!(p[0], (b"filename".to_vec(), b"a \"b\";c.txt".to_vec()));
        assert_eq!(p[1], (b"size".to_vec(), b"3".to_vec()));
    }
}
