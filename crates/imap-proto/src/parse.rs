//! The lexical grammar of RFC 3501 §9, over one whole command.
//!
//! ```text
//! atom            = 1*ATOM-CHAR
//! ATOM-CHAR       = <any CHAR except atom-specials>
//! atom-specials   = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
//! astring         = 1*ASTRING-CHAR / string
//! ASTRING-CHAR    = ATOM-CHAR / resp-specials
//! string          = quoted / literal
//! quoted          = DQUOTE *QUOTED-CHAR DQUOTE
//! QUOTED-CHAR     = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials
//!                   / UTF8-2 / UTF8-3 / UTF8-4       ; RFC 6855 §3, once enabled
//! literal         = "{" number ["+"] "}" CRLF *CHAR8
//! tag             = 1*<any ASTRING-CHAR except "+">
//! ```

use rfc822::DateTime;

use crate::command::Utf8Mode;

/// Why a command could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} at byte {at}")]
pub struct ParseError {
    /// What was expected or wrong.
    pub what: &'static str,
    /// Where in the command.
    pub at: usize,
}

pub(crate) type PResult<T> = Result<T, ParseError>;

/// Whether `b` may appear in an atom.
pub(crate) fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// Whether `b` may appear in an atom-form astring.
pub(crate) fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// Whether `b` may appear in a tag.
pub(crate) fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

/// Whether `b` may appear in an unquoted LIST pattern.
fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// A cursor over one command.
#[derive(Debug)]
pub(crate) struct Parser<'a> {
    b: &'a [u8],
    pub(crate) at: usize,
    /// Whether quoted strings may hold UTF-8.
    pub(crate) utf8: Utf8Mode,
}

impl<'a> Parser<'a> {
    #[cfg(test)]
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Parser::with_mode(b, Utf8Mode::Off)
    }

    pub(crate) fn with_mode(b: &'a [u8], utf8: Utf8Mode) -> Self {
        Parser { b, at: 0, utf8 }
    }

    pub(crate) fn err<T>(&self, what: &'static str) -> PResult<T> {
        Err(ParseError { what, at: self.at })
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    pub(crate) fn whole(&self) -> &'a [u8] {
        self.b
    }

    pub(crate) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, c: u8, what: &'static str) -> PResult<()> {
        if self.eat(c) { Ok(()) } else { self.err(what) }
    }

    pub(crate) fn sp(&mut self) -> PResult<()> {
        self.expect(b' ', "expected a space")
    }

    /// Whether the next bytes are `word`, ignoring ASCII case, followed by something that
    /// cannot continue an atom; if so they are consumed.
    pub(crate) fn keyword(&mut self, word: &str) -> bool {
        let w = word.as_bytes();
        let end = self.at + w.len();
        if self.b.len() >= end
            && self.b[self.at..end].eq_ignore_ascii_case(w)
            && self
                .b
                .get(end)
                .is_none_or(|&c| !is_atom_char(c) || w.last() == Some(&b'['))
        {
            self.at = end;
            true
        } else {
            false
        }
    }

    /// The end of the command: CRLF (or a bare LF) and nothing after it.
    pub(crate) fn end(&mut self) -> PResult<()> {
        self.eat(b'\r');
        if !self.eat(b'\n') || self.at != self.b.len() {
            return self.err("expected the end of the command");
        }
        Ok(())
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.at;
        while self.peek().is_some_and(&f) {
            self.at += 1;
        }
        &self.b[start..self.at]
    }

    pub(crate) fn atom(&mut self) -> PResult<&'a [u8]> {
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            self.err("expected an atom")
        } else {
            Ok(a)
        }
    }

    pub(crate) fn tag(&mut self) -> PResult<&'a [u8]> {
        let t = self.take_while(is_tag_char);
        if t.is_empty() {
            self.err("expected a tag")
        } else {
            Ok(t)
        }
    }

    pub(crate) fn number(&mut self) -> PResult<u32> {
        let d = self.take_while(|c| c.is_ascii_digit());
        if d.is_empty() || d.len() > 10 {
            return self.err("expected a number");
        }
        let v = d.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0'));
        u32::try_from(v).or_else(|_| self.err("number too large"))
    }

    pub(crate) fn nz_number(&mut self) -> PResult<u32> {
        let n = self.number()?;
        if n == 0 {
            self.err("expected a non-zero number")
        } else {
            Ok(n)
        }
    }

    /// A quoted string. Its characters are 7-bit (RFC 3501: a CHAR, as Panda checks), or
    /// UTF-8 once the client enabled UTF8=ACCEPT (RFC 6855 §3); other octets are refused.
    pub(crate) fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"', "expected a quoted string")?;
        let start = self.at;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r' | b'\n') => return self.err("unterminated quoted string"),
                Some(b'"') => {
                    if self.utf8 == Utf8Mode::Accept && std::str::from_utf8(&out).is_err() {
                        return Err(ParseError {
                            what: "quoted string is not UTF-8",
                            at: start,
                        });
                    }
                    self.at += 1;
                    return Ok(out);
                }
                Some(0x80..) if self.utf8 == Utf8Mode::Off => {
                    return self.err("8-bit character in quoted string");
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(c);
                            self.at += 1;
                        }
                        _ => return self.err("bad escape in quoted string"),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.at += 1;
                }
            }
        }
    }

    pub(crate) fn literal(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'{', "expected a literal")?;
        let n = self.number()? as usize;
        self.eat(b'+');
        self.expect(b'}', "bad literal announcement")?;
        self.eat(b'\r');
        self.expect(b'\n', "bad literal announcement")?;
        let end = self.at + n;
        if end > self.b.len() {
            return self.err("literal shorter than announced");
        }
        let v = self.b[self.at..end].to_vec();
        self.at = end;
        Ok(v)
    }

    /// `literal8 = "~{" number ["+"] "}" CRLF *OCTET` (RFC 3516; `+` of RFC 7888).
    pub(crate) fn literal8(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'~', "expected a literal8")?;
        self.literal()
    }

    pub(crate) fn string(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            _ => self.err("expected a string"),
        }
    }

    pub(crate) fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let a = self.take_while(is_astring_char);
                if a.is_empty() {
                    self.err("expected a string or atom")
                } else {
                    Ok(a.to_vec())
                }
            }
        }
    }

    /// A mailbox name: an astring, with INBOX in any case made `INBOX`.
    pub(crate) fn mailbox(&mut self) -> PResult<Vec<u8>> {
        let m = self.astring()?;
        Ok(if m.eq_ignore_ascii_case(b"INBOX") {
            b"INBOX".to_vec()
        } else {
            m
        })
    }

    /// `list-mailbox = 1*list-char / string`
    pub(crate) fn list_mailbox(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let a = self.take_while(is_list_char);
                if a.is_empty() {
                    self.err("expected a mailbox pattern")
                } else {
                    Ok(a.to_vec())
                }
            }
        }
    }

    /// A parenthesised, space-separated list of `item`s (possibly empty).
    pub(crate) fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.expect(b'(', "expected (")?;
        let mut v = Vec::new();
        if self.eat(b')') {
            return Ok(v);
        }
        loop {
            v.push(item(self)?);
            if self.eat(b')') {
                return Ok(v);
            }
            self.sp()?;
        }
    }

    /// A flag: `\Word` or a keyword atom.
    pub(crate) fn flag(&mut self) -> PResult<Vec<u8>> {
        let start = self.at;
        self.eat(b'\\');
        if self.b.get(start) == Some(&b'\\') && self.peek() == Some(b'*') {
            self.at += 1;
        } else {
            self.atom()?;
        }
        Ok(self.b[start..self.at].to_vec())
    }

    /// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`
    pub(crate) fn date_time(&mut self) -> PResult<DateTime> {
        let q = self.quoted()?;
        parse_date_time(&q).ok_or(ParseError {
            what: "bad date-time",
            at: self.at,
        })
    }

    /// `date = date-text / DQUOTE date-text DQUOTE`, `date-text = date-day "-" date-month
    /// "-" date-year`: the calendar day.
    pub(crate) fn date(&mut self) -> PResult<(i16, u8, u8)> {
        let text = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            self.take_while(|c| c.is_ascii_alphanumeric() || c == b'-')
                .to_vec()
        };
        parse_date(&text).ok_or(ParseError {
            what: "bad date",
            at: self.at,
        })
    }
}

/// `dd-Mon-yyyy` with a one- or two-digit day.
fn parse_date(t: &[u8]) -> Option<(i16, u8, u8)> {
    let mut parts = t.split(|&b| b == b'-');
    let d = parts.next()?;
    let m = parts.next()?;
    let y = parts.next()?;
    if parts.next().is_some() || d.is_empty() || d.len() > 2 || y.len() != 4 {
        return None;
    }
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |a, &c| {
            c.is_ascii_digit().then(|| a * 10 + u32::from(c - b'0'))
        })
    };
    let day = num(d)? as u8;
    let month = rfc822::Month::from_abbrev(m)?.number();
    let year = num(y)? as i16;
    rfc822::DateTime::from_civil(year, month, day, (0, 0, 0), 0).ok()?;
    Some((year, month, day))
}

/// `" 2-Dec-1992 05:53:22 -0700"` (day space-padded or two digits).
pub(crate) fn parse_date_time(t: &[u8]) -> Option<DateTime> {
    if t.len() != 26 {
        return None;
    }
    let day = if t[0] == b' ' { &t[1..2] } else { &t[..2] };
    let (y, m, d) = parse_date(&[day, &t[2..11]].concat())?;
    if t[11] != b' ' || t[14] != b':' || t[17] != b':' || t[20] != b' ' {
        return None;
    }
    let two = |s: &[u8]| -> Option<u8> {
        (s[0].is_ascii_digit() && s[1].is_ascii_digit()).then(|| (s[0] - b'0') * 10 + (s[1] - b'0'))
    };
    let (h, mi, s) = (two(&t[12..14])?, two(&t[15..17])?, two(&t[18..20])?);
    let sign: i32 = match t[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let zh = i32::from(two(&t[22..24])?);
    let zm = i32::from(two(&t[24..26])?);
    if h > 23 || mi > 59 || s > 60 || zm > 59 {
        return None;
    }
    DateTime::from_civil(y, m, d, (h, mi, s), sign * (zh * 3600 + zm * 60)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        let mut p = Parser::new(b"atom \"q \\\"x\\\\\" {3}\r\nabc rest]x");
        assert_eq!(p.astring().unwrap(), b"atom");
        p.sp().unwrap();
        assert_eq!(p.astring().unwrap(), b"q \"x\\");
        p.sp().unwrap();
        assert_eq!(p.astring().unwrap(), b"abc");
        p.sp().unwrap();
        assert_eq!(p.astring().unwrap(), b"rest]x");
        assert!(Parser::new(b"\"open").quoted().is_err());
        assert!(Parser::new(b"{5}\r\nab").literal().is_err());
        assert!(Parser::new(b"(x").atom().is_err());
    }

    #[test]
    fn dates() {
        let d = parse_date_time(b" 2-Dec-1992 05:53:22 -0700").unwrap();
        assert_eq!(d.timestamp(), 723_300_802);
        assert_eq!(d.offset_seconds(), -7 * 3600);
        assert!(parse_date_time(b"02-Dec-1992 05:53:22 -0700").is_some());
        assert!(parse_date_time(b"32-Dec-1992 05:53:22 -0700").is_none());
        assert!(parse_date_time(b"02-Foo-1992 05:53:22 -0700").is_none());
        assert_eq!(Parser::new(b"1-Feb-1994").date().unwrap(), (1994, 2, 1));
        assert_eq!(
            Parser::new(b"\"01-Feb-1994\"").date().unwrap(),
            (1994, 2, 1)
        );
        assert!(Parser::new(b"30-Feb-1994").date().is_err());
    }

    #[test]
    fn keywords_need_a_boundary() {
        let mut p = Parser::new(b"FLAGSX");
        assert!(!p.keyword("FLAGS"));
        let mut p = Parser::new(b"flags ");
        assert!(p.keyword("FLAGS"));
        let mut p = Parser::new(b"BODY[TEXT]");
        assert!(p.keyword("BODY["));
    }
}
