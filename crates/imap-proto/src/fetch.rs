//! FETCH attributes and body sections (RFC 3501 §6.4.5, RFC 3516 BINARY).
//!
//! ```text
//! fetch           = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
//!                   fetch-att / "(" fetch-att *(SP fetch-att) ")")
//! fetch-att       = "ENVELOPE" / "FLAGS" / "INTERNALDATE" /
//!                   "RFC822" [".HEADER" / ".SIZE" / ".TEXT"] /
//!                   "BODY" ["STRUCTURE"] / "UID" /
//!                   "BODY" section ["<" number "." nz-number ">"] /
//!                   "BODY.PEEK" section ["<" number "." nz-number ">"] /
//!                   "BINARY" [".PEEK"] section-binary [partial] /
//!                   "BINARY.SIZE" section-binary
//! section         = "[" [section-spec] "]"
//! section-spec    = section-msgtext / (section-part ["." section-text])
//! section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
//! section-part    = nz-number *("." nz-number)
//! section-text    = section-msgtext / "MIME"
//! ```

use crate::parse::{PResult, Parser};

/// Whether reading a body section sets `\Seen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peek {
    /// `BODY[…]`: it does.
    No,
    /// `BODY.PEEK[…]`: it does not.
    Yes,
}

/// What a section names within a part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionText {
    /// `HEADER`
    Header,
    /// `HEADER.FIELDS (…)`
    HeaderFields(Vec<Vec<u8>>),
    /// `HEADER.FIELDS.NOT (…)`
    HeaderFieldsNot(Vec<Vec<u8>>),
    /// `TEXT`
    Text,
    /// `MIME`
    Mime,
}

/// A body section: a part path (empty for the whole message) and what of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    /// Part numbers, outermost first.
    pub part: Vec<u32>,
    /// What of the part; none means all of it.
    pub text: Option<SectionText>,
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let part: Vec<String> = self.part.iter().map(u32::to_string).collect();
        f.write_str(&part.join("."))?;
        let fields = |f: &mut std::fmt::Formatter<'_>, v: &[Vec<u8>]| {
            let names: Vec<String> = v
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            write!(f, " ({})", names.join(" "))
        };
        if let Some(t) = &self.text {
            if !self.part.is_empty() {
                f.write_str(".")?;
            }
            match t {
                SectionText::Header => f.write_str("HEADER")?,
                SectionText::HeaderFields(v) => {
                    f.write_str("HEADER.FIELDS")?;
                    fields(f, v)?;
                }
                SectionText::HeaderFieldsNot(v) => {
                    f.write_str("HEADER.FIELDS.NOT")?;
                    fields(f, v)?;
                }
                SectionText::Text => f.write_str("TEXT")?,
                SectionText::Mime => f.write_str("MIME")?,
            }
        }
        Ok(())
    }
}

/// One FETCH attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchAttr {
    /// `ENVELOPE`
    Envelope,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822` (sets `\Seen`)
    Rfc822,
    /// `RFC822.HEADER`
    Rfc822Header,
    /// `RFC822.SIZE`
    Rfc822Size,
    /// `RFC822.TEXT` (sets `\Seen`)
    Rfc822Text,
    /// `BODY`: the structure without extension data.
    Body,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `UID`
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[…]`.
    Section {
        /// Whether `\Seen` is left alone.
        peek: Peek,
        /// Which section.
        section: Section,
        /// `<origin.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[…]` (RFC 3516).
    Binary {
        /// Whether `\Seen` is left alone.
        peek: Peek,
        /// The part.
        part: Vec<u32>,
        /// `<origin.count>`.
        partial: Option<(u32, u32)>,
    },
    /// `BINARY.SIZE[part]`
    BinarySize {
        /// The part.
        part: Vec<u32>,
    },
}

impl FetchAttr {
    /// Whether fetching this marks the message `\Seen`.
    pub fn sets_seen(&self) -> bool {
        matches!(
            self,
            FetchAttr::Rfc822
                | FetchAttr::Rfc822Text
                | FetchAttr::Section { peek: Peek::No, .. }
                | FetchAttr::Binary { peek: Peek::No, .. }
        )
    }
}

/// `ALL`
pub const ALL: [FetchAttr; 4] = [
    FetchAttr::Flags,
    FetchAttr::InternalDate,
    FetchAttr::Rfc822Size,
    FetchAttr::Envelope,
];
/// `FAST`
pub const FAST: [FetchAttr; 3] = [
    FetchAttr::Flags,
    FetchAttr::InternalDate,
    FetchAttr::Rfc822Size,
];
/// `FULL`
pub const FULL: [FetchAttr; 5] = [
    FetchAttr::Flags,
    FetchAttr::InternalDate,
    FetchAttr::Rfc822Size,
    FetchAttr::Envelope,
    FetchAttr::Body,
];

/// Panda's limit on FETCH attributes in one command.
pub const MAX_ATTRS: usize = 100;

impl Parser<'_> {
    /// The attribute part of FETCH: a macro, one attribute, or a list.
    pub(crate) fn fetch_atts(&mut self) -> PResult<Vec<FetchAttr>> {
        if self.keyword("ALL") {
            return Ok(ALL.to_vec());
        }
        if self.keyword("FAST") {
            return Ok(FAST.to_vec());
        }
        if self.keyword("FULL") {
            return Ok(FULL.to_vec());
        }
        let v = if self.peek() == Some(b'(') {
            self.list(Self::fetch_att)?
        } else {
            vec![self.fetch_att()?]
        };
        if v.is_empty() {
            return self.err("empty FETCH attribute list");
        }
        if v.len() > MAX_ATTRS {
            return self.err("too many FETCH attributes");
        }
        Ok(v)
    }

    fn fetch_att(&mut self) -> PResult<FetchAttr> {
        if self.keyword("BODY.PEEK[") {
            return self.body_section(Peek::Yes);
        }
        if self.keyword("BODY[") {
            return self.body_section(Peek::No);
        }
        if self.keyword("BINARY.PEEK[") {
            let part = self.binary_part()?;
            let partial = self.partial()?;
            return Ok(FetchAttr::Binary {
                peek: Peek::Yes,
                part,
                partial,
            });
        }
        if self.keyword("BINARY.SIZE[") {
            return Ok(FetchAttr::BinarySize {
                part: self.binary_part()?,
            });
        }
        if self.keyword("BINARY[") {
            let part = self.binary_part()?;
            let partial = self.partial()?;
            return Ok(FetchAttr::Binary {
                peek: Peek::No,
                part,
                partial,
            });
        }
        let simple = [
            ("ENVELOPE", FetchAttr::Envelope),
            ("FLAGS", FetchAttr::Flags),
            ("INTERNALDATE", FetchAttr::InternalDate),
            ("RFC822.HEADER", FetchAttr::Rfc822Header),
            ("RFC822.SIZE", FetchAttr::Rfc822Size),
            ("RFC822.TEXT", FetchAttr::Rfc822Text),
            ("RFC822", FetchAttr::Rfc822),
            ("BODYSTRUCTURE", FetchAttr::BodyStructure),
            ("BODY", FetchAttr::Body),
            ("UID", FetchAttr::Uid),
        ];
        for (name, att) in simple {
            if self.keyword(name) {
                return Ok(att);
            }
        }
        self.err("unknown FETCH attribute")
    }

    fn body_section(&mut self, peek: Peek) -> PResult<FetchAttr> {
        let section = self.section_spec()?;
        self.expect(b']', "expected ]")?;
        let partial = self.partial()?;
        Ok(FetchAttr::Section {
            peek,
            section,
            partial,
        })
    }

    /// What follows `[` up to (not including) `]`.
    pub(crate) fn section_spec(&mut self) -> PResult<Section> {
        let mut s = Section::default();
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            s.part.push(self.nz_number()?);
            if !self.eat(b'.') {
                return Ok(s);
            }
        }
        if self.peek() == Some(b']') {
            if s.part.is_empty() {
                return Ok(s);
            }
            return self.err("section ends with a dot");
        }
        s.text = Some(if self.keyword("HEADER.FIELDS.NOT") {
            self.sp()?;
            SectionText::HeaderFieldsNot(self.header_list()?)
        } else if self.keyword("HEADER.FIELDS") {
            self.sp()?;
            SectionText::HeaderFields(self.header_list()?)
        } else if self.keyword("HEADER") {
            SectionText::Header
        } else if self.keyword("TEXT") {
            SectionText::Text
        } else if !s.part.is_empty() && self.keyword("MIME") {
            SectionText::Mime
        } else {
            return self.err("bad section");
        });
        Ok(s)
    }

    fn header_list(&mut self) -> PResult<Vec<Vec<u8>>> {
        let v = self.list(Self::astring)?;
        if v.is_empty() {
            return self.err("empty header list");
        }
        Ok(v)
    }

    fn binary_part(&mut self) -> PResult<Vec<u32>> {
        let mut part = Vec::new();
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            part.push(self.nz_number()?);
            if !self.eat(b'.') {
                break;
            }
        }
        self.expect(b']', "expected ]")?;
        Ok(part)
    }

    fn partial(&mut self) -> PResult<Option<(u32, u32)>> {
        if !self.eat(b'<') {
            return Ok(None);
        }
        let origin = self.number()?;
        self.expect(b'.', "expected . in partial")?;
        let count = self.nz_number()?;
        self.expect(b'>', "expected >")?;
        Ok(Some((origin, count)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Vec<FetchAttr> {
        Parser::new(s.as_bytes()).fetch_atts().unwrap()
    }

    #[test]
    fn attributes() {
        assert_eq!(parse("FAST"), FAST.to_vec());
        assert_eq!(parse("uid"), vec![FetchAttr::Uid]);
        assert_eq!(
            parse("(FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)]<0.100> RFC822.SIZE)"),
            vec![
                FetchAttr::Flags,
                FetchAttr::Section {
                    peek: Peek::Yes,
                    section: Section {
                        part: vec![],
                        text: Some(SectionText::HeaderFields(vec![
                            b"From".to_vec(),
                            b"Subject".to_vec()
                        ]))
                    },
                    partial: Some((0, 100))
                },
                FetchAttr::Rfc822Size
            ]
        );
        let a = parse("BODY[1.2.MIME]");
        let FetchAttr::Section { section, .. } = &a[0] else {
            panic!()
        };
        assert_eq!(section.part, vec![1, 2]);
        assert_eq!(section.to_string(), "1.2.MIME");
        assert!(parse("BODY[]")[0].sets_seen());
        assert!(!parse("BINARY.PEEK[1]<5.10>")[0].sets_seen());
        assert!(Parser::new(b"BODY[MIME]").fetch_atts().is_err());
        assert!(Parser::new(b"()").fetch_atts().is_err());
        assert!(Parser::new(b"BOGUS").fetch_atts().is_err());
    }
}
