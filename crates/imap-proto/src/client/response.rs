//! Parsing one whole server response (RFC 3501 §7, §9), as cut by
//! [`super::frame::ResponseFramer`].
//!
//! ```text
//! response-data   = "*" SP (resp-cond-state / resp-cond-bye / mailbox-data /
//!                   message-data / capability-data) CRLF
//! continue-req    = "+" SP (resp-text / base64) CRLF
//! response-tagged = tag SP resp-cond-state CRLF
//! resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
//! resp-text       = ["[" resp-text-code "]" SP] text
//! mailbox-data    = "FLAGS" SP flag-list / "LIST" SP mailbox-list / "LSUB" SP mailbox-list /
//!                   "SEARCH" *(SP nz-number) / "STATUS" SP mailbox SP "(" [status-att-list] ")" /
//!                   number SP "EXISTS" / number SP "RECENT"
//! message-data    = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
//! ```
//!
//! Untagged data this client has no use for comes back as [`Untagged::Other`]; FETCH items
//! it does not know are skipped as whole values. Lists nest at most [`MAX_DEPTH`] deep.

use crate::parse::is_atom_char;

/// How deep parenthesised lists may nest before the response is refused.
pub const MAX_DEPTH: usize = 64;

/// Why a response could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad server response: {what} at byte {at}")]
pub struct ResponseError {
    /// What was expected or wrong.
    pub what: &'static str,
    /// Where in the response.
    pub at: usize,
}

type PResult<T> = Result<T, ResponseError>;

/// One whole response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// `+ text`: the server waits for the rest of a command (or a SASL response).
    Continue(String),
    /// The final answer to the command with this tag.
    Tagged {
        /// The command's tag.
        tag: String,
        /// OK, NO or BAD.
        status: Status,
        /// The response code, if any.
        code: Option<Code>,
        /// The human-readable text.
        text: String,
    },
    /// Untagged data.
    Untagged(Untagged),
}

/// The three completion results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Success.
    Ok,
    /// Failure.
    No,
    /// Protocol error.
    Bad,
}

/// Untagged status responses: the three results plus PREAUTH and BYE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// `* OK`
    Ok,
    /// `* NO`
    No,
    /// `* BAD`
    Bad,
    /// `* PREAUTH` (greeting only)
    Preauth,
    /// `* BYE`
    Bye,
}

/// A response code (`[…]` after the status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    /// ALERT: the text must be shown to the user.
    Alert,
    /// CAPABILITY list.
    Capability(Vec<String>),
    /// PERMANENTFLAGS list.
    PermanentFlags(Vec<String>),
    /// READ-ONLY.
    ReadOnly,
    /// READ-WRITE.
    ReadWrite,
    /// TRYCREATE.
    TryCreate,
    /// UIDVALIDITY n.
    UidValidity(u32),
    /// UIDNEXT n.
    UidNext(u32),
    /// UNSEEN n.
    Unseen(u32),
    /// Any other code, with its name (upper-cased) and its raw argument text.
    Other(String, String),
}

/// The kind of a mailbox list response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// LIST
    List,
    /// LSUB
    Lsub,
}

/// Untagged data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Untagged {
    /// A status response: OK, NO, BAD, PREAUTH, BYE.
    Condition {
        /// Which.
        condition: Condition,
        /// The response code, if any.
        code: Option<Code>,
        /// The text.
        text: String,
    },
    /// CAPABILITY data.
    Capability(Vec<String>),
    /// LIST or LSUB data.
    List {
        /// LIST or LSUB.
        kind: ListKind,
        /// Name attributes (`\Noselect`, …).
        attributes: Vec<String>,
        /// Hierarchy delimiter, None for NIL.
        delimiter: Option<char>,
        /// The name as sent (modified UTF-7 under IMAP4rev1).
        name: Vec<u8>,
    },
    /// STATUS data: the mailbox and each item with its number.
    Status {
        /// The mailbox.
        mailbox: Vec<u8>,
        /// Item names (upper-cased) and values.
        items: Vec<(String, u64)>,
    },
    /// n EXISTS
    Exists(u32),
    /// n RECENT
    Recent(u32),
    /// n EXPUNGE
    Expunge(u32),
    /// FLAGS list.
    Flags(Vec<String>),
    /// n FETCH (…)
    Fetch {
        /// The message sequence number.
        seq: u32,
        /// The items this client understands.
        items: Vec<FetchItem>,
    },
    /// SEARCH result.
    Search(Vec<u32>),
    /// Anything else, with its first word (upper-cased).
    Other(String),
}

/// A FETCH item this client understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchItem {
    /// FLAGS
    Flags(Vec<String>),
    /// UID
    Uid(u32),
    /// INTERNALDATE, as sent (`"17-Jul-1996 02:44:25 -0700"`).
    InternalDate(String),
    /// RFC822.SIZE
    Size(u64),
    /// BODY[section]<origin>, RFC822, RFC822.HEADER, RFC822.TEXT: the item name (with
    /// its section as sent) and the data (None for NIL).
    Body {
        /// `BODY[]`, `RFC822`, `BODY[HEADER]`, …
        name: String,
        /// The bytes.
        data: Option<Vec<u8>>,
    },
}

/// Parses one whole response (with its CRLF, literals in place).
pub fn parse(input: &[u8]) -> Result<Response, ResponseError> {
    let mut p = Cursor { b: input, at: 0 };
    let r = p.response()?;
    Ok(r)
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn err<T>(&self, what: &'static str) -> PResult<T> {
        Err(ResponseError { what, at: self.at })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8, what: &'static str) -> PResult<()> {
        if self.eat(c) { Ok(()) } else { self.err(what) }
    }

    fn sp(&mut self) -> PResult<()> {
        self.expect(b' ', "expected a space")
    }

    /// The rest of the line, CRLF excluded.
    fn rest_of_line(&mut self) -> String {
        let rest = &self.b[self.at.min(self.b.len())..];
        let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
        let rest = rest.strip_suffix(b"\r").unwrap_or(rest);
        self.at = self.b.len();
        String::from_utf8_lossy(rest).into_owned()
    }

    fn end(&mut self) -> PResult<()> {
        self.eat(b'\r');
        if self.eat(b'\n') && self.at == self.b.len() {
            Ok(())
        } else {
            self.err("expected the end of the line")
        }
    }

    /// 1*(any byte except SP, CR, LF, and `stop`).
    fn word(&mut self, stop: &[u8]) -> &'a [u8] {
        let start = self.at;
        while let Some(c) = self.peek() {
            if c == b' ' || c == b'\r' || c == b'\n' || stop.contains(&c) {
                break;
            }
            self.at += 1;
        }
        &self.b[start..self.at]
    }

    fn atom(&mut self) -> PResult<String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| is_atom_char(c) || c == b'\\' && self.at == start)
        {
            self.at += 1;
        }
        if self.at == start {
            return self.err("expected an atom");
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.at]).into_owned())
    }

    fn number(&mut self) -> PResult<u64> {
        let start = self.at;
        let mut n: u64 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            n = match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(c - b'0')))
            {
                Some(n) => n,
                None => return self.err("number too large"),
            };
            self.at += 1;
        }
        if self.at == start {
            self.err("expected a number")
        } else {
            Ok(n)
        }
    }

    fn number32(&mut self) -> PResult<u32> {
        let n = self.number()?;
        u32::try_from(n).or_else(|_| self.err("number too large"))
    }

    fn response(&mut self) -> PResult<Response> {
        if self.eat(b'+') {
            self.eat(b' ');
            return Ok(Response::Continue(self.rest_of_line()));
        }
        if self.eat(b'*') {
            self.sp()?;
            return Ok(Response::Untagged(self.untagged()?));
        }
        let tag = self.word(&[]);
        if tag.is_empty() {
            return self.err("expected a tag");
        }
        let tag = String::from_utf8_lossy(tag).into_owned();
        self.sp()?;
        let word = self.atom()?.to_ascii_uppercase();
        let status = match word.as_str() {
            "OK" => Status::Ok,
            "NO" => Status::No,
            "BAD" => Status::Bad,
            _ => return self.err("expected OK, NO or BAD"),
        };
        let (code, text) = self.resp_text()?;
        Ok(Response::Tagged {
            tag,
            status,
            code,
            text,
        })
    }

    /// `[SP] ["[" resp-text-code "]" SP] text`
    fn resp_text(&mut self) -> PResult<(Option<Code>, String)> {
        self.eat(b' ');
        let code = if self.eat(b'[') {
            let c = self.code()?;
            self.expect(b']', "expected ]")?;
            self.eat(b' ');
            Some(c)
        } else {
            None
        };
        Ok((code, self.rest_of_line()))
    }

    fn code(&mut self) -> PResult<Code> {
        let name = String::from_utf8_lossy(self.word(b"]")).to_ascii_uppercase();
        let code = match name.as_str() {
            "ALERT" => Code::Alert,
            "READ-ONLY" => Code::ReadOnly,
            "READ-WRITE" => Code::ReadWrite,
            "TRYCREATE" => Code::TryCreate,
            "CAPABILITY" => {
                let mut caps = Vec::new();
                while self.eat(b' ') {
                    caps.push(String::from_utf8_lossy(self.word(b"]")).into_owned());
                }
                Code::Capability(caps)
            }
            "PERMANENTFLAGS" => {
                self.sp()?;
                Code::PermanentFlags(self.flag_list()?)
            }
            "UIDVALIDITY" | "UIDNEXT" | "UNSEEN" => {
                self.sp()?;
                let n = self.number32()?;
                match name.as_str() {
                    "UIDVALIDITY" => Code::UidValidity(n),
                    "UIDNEXT" => Code::UidNext(n),
                    _ => Code::Unseen(n),
                }
            }
            _ => {
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|c| c != b']' && c != b'\r' && c != b'\n')
                {
                    self.at += 1;
                }
                let arg = String::from_utf8_lossy(&self.b[start..self.at]);
                Code::Other(name, arg.trim_start().to_owned())
            }
        };
        Ok(code)
    }

    fn untagged(&mut self) -> PResult<Untagged> {
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let n = self.number32()?;
            self.sp()?;
            let what = self.atom()?.to_ascii_uppercase();
            let u = match what.as_str() {
                "EXISTS" => Untagged::Exists(n),
                "RECENT" => Untagged::Recent(n),
                "EXPUNGE" => Untagged::Expunge(n),
                "FETCH" => {
                    self.sp()?;
                    let items = self.fetch_items()?;
                    Untagged::Fetch { seq: n, items }
                }
                _ => {
                    self.rest_of_line();
                    return Ok(Untagged::Other(what));
                }
            };
            self.end()?;
            return Ok(u);
        }
        let word = self.atom()?.to_ascii_uppercase();
        let condition = match word.as_str() {
            "OK" => Some(Condition::Ok),
            "NO" => Some(Condition::No),
            "BAD" => Some(Condition::Bad),
            "PREAUTH" => Some(Condition::Preauth),
            "BYE" => Some(Condition::Bye),
            _ => None,
        };
        if let Some(condition) = condition {
            let (code, text) = self.resp_text()?;
            return Ok(Untagged::Condition {
                condition,
                code,
                text,
            });
        }
        let u = match word.as_str() {
            "CAPABILITY" => {
                let mut caps = Vec::new();
                while self.eat(b' ') {
                    let w = self.word(&[]);
                    if !w.is_empty() {
                        caps.push(String::from_utf8_lossy(w).into_owned());
                    }
                }
                Untagged::Capability(caps)
            }
            "LIST" | "LSUB" => {
                let kind = if word == "LIST" {
                    ListKind::List
                } else {
                    ListKind::Lsub
                };
                self.sp()?;
                let attributes = self.flag_list()?;
                self.sp()?;
                let delimiter = match self.nstring(0)? {
                    None => None,
                    Some(d) if d.len() == 1 => Some(char::from(d[0])),
                    Some(_) => return self.err("expected a one-character delimiter"),
                };
                self.sp()?;
                let name = self.astring()?;
                // LIST-EXTENDED data may follow; it is not needed here.
                self.rest_of_line();
                return Ok(Untagged::List {
                    kind,
                    attributes,
                    delimiter,
                    name,
                });
            }
            "STATUS" => {
                self.sp()?;
                let mailbox = self.astring()?;
                self.sp()?;
                self.expect(b'(', "expected (")?;
                let mut items = Vec::new();
                while !self.eat(b')') {
                    if !items.is_empty() {
                        self.sp()?;
                    }
                    let name = self.atom()?.to_ascii_uppercase();
                    self.sp()?;
                    items.push((name, self.number()?));
                }
                self.eat(b' ');
                Untagged::Status { mailbox, items }
            }
            "FLAGS" => {
                self.sp()?;
                Untagged::Flags(self.flag_list()?)
            }
            "SEARCH" => {
                let mut found = Vec::new();
                while self.eat(b' ') {
                    if self.peek() == Some(b'(') {
                        // RFC 4551 (MODSEQ …) trailer: not used here.
                        self.rest_of_line();
                        return Ok(Untagged::Search(found));
                    }
                    if matches!(self.peek(), Some(b'\r' | b'\n')) {
                        break;
                    }
                    found.push(self.number32()?);
                }
                Untagged::Search(found)
            }
            _ => {
                self.rest_of_line();
                return Ok(Untagged::Other(word));
            }
        };
        self.end()?;
        Ok(u)
    }

    /// `"(" [flag *(SP flag)] ")"`; flags are atoms, `\`-atoms and `\*`.
    fn flag_list(&mut self) -> PResult<Vec<String>> {
        self.expect(b'(', "expected (")?;
        let mut flags = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(flags);
            }
            if !flags.is_empty() {
                self.sp()?;
            }
            let w = self.word(b"()");
            if w.is_empty() {
                return self.err("expected a flag");
            }
            flags.push(String::from_utf8_lossy(w).into_owned());
        }
    }

    /// `quoted / literal` (depth is not used; strings do not nest).
    fn string(&mut self) -> PResult<Vec<u8>> {
        if self.eat(b'"') {
            let mut out = Vec::new();
            loop {
                match self.peek() {
                    None | Some(b'\r' | b'\n') => return self.err("unterminated quoted string"),
                    Some(b'"') => {
                        self.at += 1;
                        return Ok(out);
                    }
                    Some(b'\\') => {
                        self.at += 1;
                        match self.peek() {
                            Some(c @ (b'"' | b'\\')) => out.push(c),
                            _ => return self.err("bad escape in quoted string"),
                        }
                        self.at += 1;
                    }
                    Some(c) => {
                        out.push(c);
                        self.at += 1;
                    }
                }
            }
        }
        if self.eat(b'{') {
            let n = self.number()?;
            self.eat(b'+');
            self.expect(b'}', "expected }")?;
            self.eat(b'\r');
            self.expect(b'\n', "expected LF after literal announcement")?;
            let n = usize::try_from(n).or_else(|_| self.err("literal too long"))?;
            let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
            let Some(end) = end else {
                return self.err("literal runs past the response");
            };
            let data = self.b[self.at..end].to_vec();
            self.at = end;
            return Ok(data);
        }
        self.err("expected a string")
    }

    fn nstring(&mut self, _depth: usize) -> PResult<Option<Vec<u8>>> {
        if self.b[self.at.min(self.b.len())..]
            .get(..3)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"NIL"))
        {
            self.at += 3;
            return Ok(None);
        }
        self.string().map(Some)
    }

    fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let w = self.word(b"()");
                if w.is_empty() {
                    self.err("expected a mailbox name")
                } else {
                    Ok(w.to_vec())
                }
            }
        }
    }

    /// `"(" msg-att-item *(SP msg-att-item) ")"`
    fn fetch_items(&mut self) -> PResult<Vec<FetchItem>> {
        self.expect(b'(', "expected (")?;
        let mut items = Vec::new();
        let mut first = true;
        loop {
            if self.eat(b')') {
                return Ok(items);
            }
            if !first {
                self.sp()?;
            }
            first = false;
            let name = self.fetch_name()?;
            self.sp()?;
            let upper = name.to_ascii_uppercase();
            match upper.as_str() {
                "FLAGS" => items.push(FetchItem::Flags(self.flag_list()?)),
                "UID" => items.push(FetchItem::Uid(self.number32()?)),
                "RFC822.SIZE" => items.push(FetchItem::Size(self.number()?)),
                "INTERNALDATE" => {
                    let d = self.string()?;
                    items.push(FetchItem::InternalDate(
                        String::from_utf8_lossy(&d).into_owned(),
                    ));
                }
                _ if upper.starts_with("BODY[")
                    || upper.starts_with("BINARY[")
                    || upper.starts_with("RFC822") =>
                {
                    let data = self.nstring(0)?;
                    items.push(FetchItem::Body { name, data });
                }
                _ => self.skip_value(0)?,
            }
        }
    }

    /// A FETCH item name: an atom, with `[section]` and `<origin>` when present.
    fn fetch_name(&mut self) -> PResult<String> {
        let start = self.at;
        while self.peek().is_some_and(|c| {
            c != b' ' && c != b'(' && c != b')' && c != b'[' && c > 0x20 && c < 0x7f
        }) {
            self.at += 1;
        }
        if self.eat(b'[') {
            let mut depth = 1usize;
            while depth > 0 {
                match self.peek() {
                    None | Some(b'\r' | b'\n') => return self.err("unterminated section"),
                    Some(b'[') => depth += 1,
                    Some(b']') => depth -= 1,
                    _ => {}
                }
                self.at += 1;
            }
            if self.eat(b'<') {
                self.number()?;
                self.expect(b'>', "expected >")?;
            }
        }
        if self.at == start {
            return self.err("expected a FETCH item name");
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.at]).into_owned())
    }

    /// Skips one value: a string, a NIL, an atom or number, or a parenthesised list.
    fn skip_value(&mut self, depth: usize) -> PResult<()> {
        if depth > MAX_DEPTH {
            return self.err("lists nested too deep");
        }
        match self.peek() {
            Some(b'"' | b'{') => self.string().map(drop),
            Some(b'(') => {
                self.at += 1;
                let mut first = true;
                loop {
                    if self.eat(b')') {
                        return Ok(());
                    }
                    if !first {
                        self.sp()?;
                    }
                    first = false;
                    self.skip_value(depth + 1)?;
                }
            }
            _ => {
                if self.word(b"()").is_empty() {
                    self.err("expected a value")
                } else {
                    Ok(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn untagged(s: &[u8]) -> Untagged {
        match parse(s).unwrap() {
            Response::Untagged(u) => u,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn greeting_and_capability_code() {
        assert_eq!(
            untagged(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"),
            Untagged::Condition {
                condition: Condition::Ok,
                code: Some(Code::Capability(vec![
                    "IMAP4rev1".into(),
                    "STARTTLS".into(),
                    "LOGINDISABLED".into()
                ])),
                text: "ready".into()
            }
        );
        assert!(matches!(
            untagged(b"* PREAUTH hi\r\n"),
            Untagged::Condition {
                condition: Condition::Preauth,
                ..
            }
        ));
        assert!(matches!(
            untagged(b"* BYE [ALERT] going\r\n"),
            Untagged::Condition {
                condition: Condition::Bye,
                code: Some(Code::Alert),
                ..
            }
        ));
    }

    #[test]
    fn tagged_and_continuation() {
        assert_eq!(
            parse(b"A0001 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n").unwrap(),
            Response::Tagged {
                tag: "A0001".into(),
                status: Status::No,
                code: Some(Code::Other("AUTHENTICATIONFAILED".into(), String::new())),
                text: "Authentication failed.".into()
            }
        );
        assert_eq!(parse(b"+ \r\n").unwrap(), Response::Continue(String::new()));
        assert_eq!(
            parse(b"+ UGFzc3dvcmQ6\r\n").unwrap(),
            Response::Continue("UGFzc3dvcmQ6".into())
        );
        assert!(matches!(
            parse(b"A2 OK [READ-ONLY] EXAMINE done\r\n").unwrap(),
            Response::Tagged {
                code: Some(Code::ReadOnly),
                ..
            }
        ));
    }

    #[test]
    fn rfc3501_examples() {
        assert_eq!(untagged(b"* 172 EXISTS\r\n"), Untagged::Exists(172));
        assert_eq!(untagged(b"* 1 RECENT\r\n"), Untagged::Recent(1));
        assert_eq!(untagged(b"* 44 EXPUNGE\r\n"), Untagged::Expunge(44));
        assert_eq!(
            untagged(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"),
            Untagged::Flags(vec![
                "\\Answered".into(),
                "\\Flagged".into(),
                "\\Deleted".into(),
                "\\Seen".into(),
                "\\Draft".into()
            ])
        );
        assert_eq!(
            untagged(b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"),
            Untagged::Condition {
                condition: Condition::Ok,
                code: Some(Code::PermanentFlags(vec![
                    "\\Deleted".into(),
                    "\\Seen".into(),
                    "\\*".into()
                ])),
                text: "Limited".into()
            }
        );
        assert!(matches!(
            untagged(b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"),
            Untagged::Condition {
                code: Some(Code::UidValidity(3_857_529_045)),
                ..
            }
        ));
        assert_eq!(
            untagged(b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n"),
            Untagged::List {
                kind: ListKind::List,
                attributes: vec!["\\Noselect".into()],
                delimiter: Some('/'),
                name: b"~/Mail/foo".to_vec()
            }
        );
        assert_eq!(
            untagged(b"* LSUB () NIL {3}\r\na b\r\n"),
            Untagged::List {
                kind: ListKind::Lsub,
                attributes: vec![],
                delimiter: None,
                name: b"a b".to_vec()
            }
        );
        assert_eq!(
            untagged(b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n"),
            Untagged::Status {
                mailbox: b"blurdybloop".to_vec(),
                items: vec![("MESSAGES".into(), 231), ("UIDNEXT".into(), 44292)]
            }
        );
        assert_eq!(
            untagged(b"* SEARCH 2 84 882\r\n"),
            Untagged::Search(vec![2, 84, 882])
        );
        assert_eq!(untagged(b"* SEARCH\r\n"), Untagged::Search(vec![]));
        assert_eq!(
            untagged(b"* CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN\r\n"),
            Untagged::Capability(vec![
                "IMAP4rev1".into(),
                "LITERAL+".into(),
                "AUTH=PLAIN".into()
            ])
        );
        assert_eq!(
            untagged(b"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"),
            Untagged::Other("NAMESPACE".into())
        );
    }

    #[test]
    fn fetch_with_literal_and_unknown_items() {
        let r = untagged(
            b"* 12 FETCH (FLAGS (\\Seen $Label1) UID 7 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
              RFC822.SIZE 4286 ENVELOPE (\"d\" NIL ((NIL NIL \"a\" \"b\")) NIL) BODY[] {5}\r\nab\r\nc)\r\n",
        );
        assert_eq!(
            r,
            Untagged::Fetch {
                seq: 12,
                items: vec![
                    FetchItem::Flags(vec!["\\Seen".into(), "$Label1".into()]),
                    FetchItem::Uid(7),
                    FetchItem::InternalDate("17-Jul-1996 02:44:25 -0700".into()),
                    FetchItem::Size(4286),
                    FetchItem::Body {
                        name: "BODY[]".into(),
                        data: Some(b"ab\r\nc".to_vec())
                    },
                ]
            }
        );
        assert!(matches!(
            untagged(b"* 1 FETCH (RFC822 NIL BODY[HEADER.FIELDS (FROM)]<0> \"x\")\r\n"),
            Untagged::Fetch { items, .. } if items.len() == 2
        ));
    }

    #[test]
    fn malformed_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"*",
            b"* 1 FETCH (UID",
            b"* 1 FETCH (BODY[] {99}\r\nab)\r\n",
            b"* 99999999999 EXISTS\r\n",
            b"* LIST (\\X \"//\" a\r\n",
            b"* STATUS a (MESSAGES x)\r\n",
            b"A1 MAYBE\r\n",
            b"* 1 FETCH (BODY[1 {1}\r\n",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = [
            b"* 1 FETCH (X ".to_vec(),
            vec![b'('; 200],
            vec![b')'; 200],
            b")\r\n".to_vec(),
        ]
        .concat();
        assert!(parse(&deep).is_err());
    }
}
