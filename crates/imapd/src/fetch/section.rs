//! Body sections (RFC 3501 §6.4.5): which bytes `BODY[section]` and `BINARY[part]` name.

use std::borrow::Cow;

use imap_proto::fetch::{Section, SectionText};
use rfc822::header;
use rfc822::mime::Part;

/// The bytes `section` names in message `msg` (whose MIME tree is `root`); `None` when
/// the section does not exist.
pub(crate) fn bytes<'a>(msg: &'a [u8], root: &Part, section: &Section) -> Option<Cow<'a, [u8]>> {
    if section.part.is_empty() {
        return Some(match &section.text {
            None => Cow::Borrowed(msg),
            Some(SectionText::Header) => Cow::Borrowed(&msg[root.header.clone()]),
            Some(SectionText::Text) => Cow::Borrowed(&msg[root.body.clone()]),
            Some(SectionText::HeaderFields(names)) => {
                Cow::Owned(fields(&msg[root.header.clone()], names, Select::Listed))
            }
            Some(SectionText::HeaderFieldsNot(names)) => {
                Cow::Owned(fields(&msg[root.header.clone()], names, Select::Others))
            }
            Some(SectionText::Mime) => return None,
        });
    }
    let part = root.find(&section.part)?;
    Some(match &section.text {
        None => Cow::Borrowed(&msg[part.body.clone()]),
        Some(SectionText::Mime) => Cow::Borrowed(&msg[part.header.clone()]),
        Some(text) => {
            // HEADER, TEXT and HEADER.FIELDS of a part are those of the message it holds.
            let inner = part.message()?;
            match text {
                SectionText::Header => Cow::Borrowed(&msg[inner.header.clone()]),
                SectionText::Text => Cow::Borrowed(&msg[inner.body.clone()]),
                SectionText::HeaderFields(names) => {
                    Cow::Owned(fields(&msg[inner.header.clone()], names, Select::Listed))
                }
                SectionText::HeaderFieldsNot(names) => {
                    Cow::Owned(fields(&msg[inner.header.clone()], names, Select::Others))
                }
                SectionText::Mime => return None,
            }
        }
    })
}

/// The part `path` names, for BINARY.
pub(crate) fn part<'p>(root: &'p Part, path: &[u32]) -> Option<&'p Part> {
    if path.is_empty() {
        Some(root)
    } else {
        root.find(path)
    }
}

/// Which fields HEADER.FIELDS keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Select {
    /// Those listed.
    Listed,
    /// Those not listed (`.NOT`).
    Others,
}

/// The fields of `hdr` chosen by `names`, then the empty line.
fn fields(hdr: &[u8], names: &[Vec<u8>], select: Select) -> Vec<u8> {
    let mut out = Vec::new();
    for f in header::fields(hdr) {
        if f.name.is_empty() || f.raw.trim_ascii().is_empty() {
            continue;
        }
        let listed = names.iter().any(|n| n.eq_ignore_ascii_case(f.name));
        if listed == (select == Select::Listed) {
            out.extend_from_slice(f.raw);
            if !f.raw.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: a@b\r\nSubject: hi\r\n there\r\nTo: c@d\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\none\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--x--\r\n";

    fn get(section: Section) -> Option<Vec<u8>> {
        let root = rfc822::mime::parse(MSG);
        bytes(MSG, &root, &section).map(|c| c.into_owned())
    }

    fn sec(part: &[u32], text: Option<SectionText>) -> Section {
        Section {
            part: part.to_vec(),
            text,
        }
    }

    #[test]
    fn sections() {
        assert_eq!(get(sec(&[], None)).unwrap(), MSG);
        assert_eq!(
            get(sec(
                &[],
                Some(SectionText::HeaderFields(vec![
                    b"SUBJECT".to_vec(),
                    b"to".to_vec()
                ]))
            ))
            .unwrap(),
            b"Subject: hi\r\n there\r\nTo: c@d\r\n\r\n"
        );
        assert_eq!(
            get(sec(
                &[],
                Some(SectionText::HeaderFieldsNot(vec![
                    b"Subject".to_vec(),
                    b"content-type".to_vec()
                ]))
            ))
            .unwrap(),
            b"From: a@b\r\nTo: c@d\r\n\r\n"
        );
        assert_eq!(get(sec(&[1], None)).unwrap(), b"one");
        assert_eq!(
            get(sec(&[1], Some(SectionText::Mime))).unwrap(),
            b"Content-Type: text/plain\r\n\r\n"
        );
        assert_eq!(
            get(sec(&[2], Some(SectionText::Header))).unwrap(),
            b"Subject: inner\r\n\r\n"
        );
        assert_eq!(
            get(sec(&[2], Some(SectionText::Text))).unwrap(),
            b"inner body"
        );
        assert_eq!(get(sec(&[2, 1], None)).unwrap(), b"inner body");
        assert!(get(sec(&[1], Some(SectionText::Header))).is_none());
        assert!(get(sec(&[3], None)).is_none());
    }
}
