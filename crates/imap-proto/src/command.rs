//! Commands (RFC 3501 §6, with the extensions Panda serves and ENABLE, ID, MOVE).
//!
//! ```text
//! command         = tag SP (command-any / command-auth / command-nonauth /
//!                   command-select) CRLF
//! command-any     = "CAPABILITY" / "LOGOUT" / "NOOP"
//! command-auth    = append / create / delete / examine / list / lsub / rename /
//!                   select / status / subscribe / unsubscribe / idle / namespace /
//!                   enable / id
//! command-nonauth = login / authenticate / "STARTTLS"
//! command-select  = "CHECK" / "CLOSE" / "UNSELECT" / "EXPUNGE" / copy / move /
//!                   fetch / store / uid / search
//! uid             = "UID" SP (copy / move / fetch / search / store / uid-expunge)
//! ```

use std::fmt;

use rfc822::DateTime;

use crate::fetch::FetchAttr;
use crate::parse::{ParseError, Parser};
use crate::search::SearchKey;
use crate::sequence::SequenceSet;

/// A value that must not reach logs: its `Debug` says only that it is there.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(pub T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Whether the client has enabled UTF8=ACCEPT (RFC 6855), which changes the grammar: its
/// quoted strings may then hold UTF-8 (and nothing else 8-bit), and APPEND takes
/// `UTF8 (literal8)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Utf8Mode {
    /// RFC 3501 alone: quoted strings are 7-bit.
    #[default]
    Off,
    /// `ENABLE UTF8=ACCEPT` was answered `ENABLED UTF8=ACCEPT`.
    Accept,
}

/// Whether numbers in a command are sequence numbers or UIDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// Message sequence numbers.
    Sequence,
    /// UIDs (the `UID` prefix).
    Uid,
}

/// SELECT or EXAMINE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectMode {
    /// SELECT: read-write if possible.
    ReadWrite,
    /// EXAMINE: read-only.
    ReadOnly,
}

/// How STORE changes flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreMode {
    /// `FLAGS`
    Replace,
    /// `+FLAGS`
    Add,
    /// `-FLAGS`
    Remove,
}

/// Whether STORE answers with the new flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Silence {
    /// It does.
    Loud,
    /// `.SILENT`: it does not.
    Silent,
}

/// COPY or MOVE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyKind {
    /// COPY
    Copy,
    /// MOVE (RFC 6851)
    Move,
}

/// A STATUS item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum StatusItem {
    Messages,
    Recent,
    UidNext,
    UidValidity,
    Unseen,
}

/// One message of an APPEND.
#[derive(Clone, PartialEq, Eq)]
pub struct AppendItem {
    /// Its flags, as written (`\Seen`, keywords).
    pub flags: Vec<Vec<u8>>,
    /// Its internal date.
    pub date: Option<DateTime>,
    /// The message.
    pub message: Vec<u8>,
}

impl fmt::Debug for AppendItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppendItem")
            .field("flags", &self.flags)
            .field("date", &self.date)
            .field("len", &self.message.len())
            .finish()
    }
}

/// One field of an ID command (RFC 2971): a name and a value or NIL.
pub type IdField = (Vec<u8>, Option<Vec<u8>>);

/// What ESEARCH (RFC 4731) is asked to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SearchReturn {
    Min,
    Max,
    All,
    Count,
}

/// A SORT criterion (RFC 5256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SortKey {
    Arrival,
    Cc,
    Date,
    From,
    Size,
    Subject,
    To,
}

/// A SORT criterion and its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortCriterion {
    /// What to sort by.
    pub key: SortKey,
    /// The direction.
    pub order: SortOrder,
}

/// Which way a SORT criterion orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// Smallest first.
    Ascending,
    /// `REVERSE`: largest first.
    Descending,
}

/// A THREAD algorithm (RFC 5256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadAlgorithm {
    /// `ORDEREDSUBJECT`
    OrderedSubject,
    /// `REFERENCES`
    References,
}

/// Which names the legacy FIND command lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindScope {
    /// `FIND MAILBOXES`: the subscribed ones.
    Subscribed,
    /// `FIND ALL.MAILBOXES`: all.
    All,
}

/// A command's body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CommandBody {
    Capability,
    Noop,
    Logout,
    StartTls,
    Authenticate {
        mechanism: String,
        /// The initial response (RFC 4959), base64 as sent; `=` is an empty one.
        initial: Option<Secret<Vec<u8>>>,
    },
    Login {
        user: Vec<u8>,
        password: Secret<Vec<u8>>,
    },
    Select {
        mailbox: Vec<u8>,
        mode: SelectMode,
    },
    Create {
        mailbox: Vec<u8>,
    },
    Delete {
        mailbox: Vec<u8>,
    },
    Rename {
        from: Vec<u8>,
        to: Vec<u8>,
    },
    Subscribe {
        mailbox: Vec<u8>,
    },
    Unsubscribe {
        mailbox: Vec<u8>,
    },
    List {
        reference: Vec<u8>,
        pattern: Vec<u8>,
    },
    Lsub {
        reference: Vec<u8>,
        pattern: Vec<u8>,
    },
    Status {
        mailbox: Vec<u8>,
        items: Vec<StatusItem>,
    },
    Append {
        mailbox: Vec<u8>,
        messages: Vec<AppendItem>,
    },
    Idle,
    Namespace,
    Enable(Vec<Vec<u8>>),
    Id(Option<Vec<IdField>>),
    Check,
    Close,
    Unselect,
    Expunge,
    UidExpunge(SequenceSet),
    Search {
        numbers: Numbers,
        ret: Option<Vec<SearchReturn>>,
        charset: Option<Vec<u8>>,
        key: SearchKey,
    },
    Fetch {
        numbers: Numbers,
        set: SequenceSet,
        attrs: Vec<FetchAttr>,
    },
    Store {
        numbers: Numbers,
        set: SequenceSet,
        mode: StoreMode,
        silence: Silence,
        flags: Vec<Vec<u8>>,
    },
    Copy {
        numbers: Numbers,
        set: SequenceSet,
        mailbox: Vec<u8>,
        kind: CopyKind,
    },
    Sort {
        numbers: Numbers,
        criteria: Vec<SortCriterion>,
        charset: Vec<u8>,
        key: SearchKey,
    },
    Thread {
        numbers: Numbers,
        algorithm: ThreadAlgorithm,
        charset: Vec<u8>,
        key: SearchKey,
    },
    /// `SCAN reference pattern text`: LIST restricted to mailboxes containing the text.
    Scan {
        reference: Vec<u8>,
        pattern: Vec<u8>,
        text: Vec<u8>,
    },
    /// IMAP2bis `FIND MAILBOXES` / `FIND ALL.MAILBOXES`.
    Find {
        scope: FindScope,
        pattern: Vec<u8>,
    },
    /// IMAP2 `BBOARD name`: opens `#public/name` read-only.
    Bboard {
        name: Vec<u8>,
    },
}

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Its tag.
    pub tag: Vec<u8>,
    /// The rest.
    pub body: CommandBody,
}

/// Why a command is not understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// No usable tag: the client is not speaking IMAP.
    NoTag,
    /// The command name is not one we know.
    Unknown {
        /// The tag.
        tag: Vec<u8>,
    },
    /// A known command with bad arguments.
    Syntax {
        /// The tag.
        tag: Vec<u8>,
        /// What was wrong.
        error: ParseError,
    },
}

impl CommandError {
    /// The command's tag, if it had one.
    pub fn tag(&self) -> Option<&[u8]> {
        match self {
            CommandError::NoTag => None,
            CommandError::Unknown { tag } | CommandError::Syntax { tag, .. } => Some(tag),
        }
    }
}

/// The longest tag (Panda's limit).
pub const MAX_TAG: usize = 50;

/// Parses one whole command (as the framer gives it), in a session that has not enabled
/// UTF8=ACCEPT.
pub fn parse_command(frame: &[u8]) -> Result<Command, CommandError> {
    parse_command_in(frame, Utf8Mode::Off)
}

/// Parses one whole command in a session whose UTF-8 mode is `utf8`.
pub fn parse_command_in(frame: &[u8], utf8: Utf8Mode) -> Result<Command, CommandError> {
    let mut p = Parser::with_mode(frame, utf8);
    let tag = match p.tag() {
        Ok(t) if t.len() <= MAX_TAG && p.peek() == Some(b' ') => t.to_vec(),
        _ => return Err(CommandError::NoTag),
    };
    let syntax = |error: ParseError| CommandError::Syntax {
        tag: tag.clone(),
        error,
    };
    p.sp().map_err(syntax)?;
    let name = match p.atom() {
        Ok(a) => a.to_ascii_uppercase(),
        Err(_) => return Err(CommandError::Unknown { tag }),
    };
    let body = match body(&mut p, &name) {
        Some(r) => r.map_err(syntax)?,
        None => return Err(CommandError::Unknown { tag }),
    };
    p.end().map_err(syntax)?;
    Ok(Command { tag, body })
}

/// The arguments of command `name`; `None` for a name we do not know.
fn body(p: &mut Parser<'_>, name: &[u8]) -> Option<Result<CommandBody, ParseError>> {
    use CommandBody as C;
    let r = (|| -> Result<Option<CommandBody>, ParseError> {
        Ok(Some(match name {
            b"CAPABILITY" => C::Capability,
            b"NOOP" => C::Noop,
            b"LOGOUT" => C::Logout,
            b"STARTTLS" => C::StartTls,
            b"AUTHENTICATE" => {
                p.sp()?;
                let mechanism = String::from_utf8_lossy(p.atom()?).to_ascii_uppercase();
                let initial = if p.eat(b' ') {
                    Some(Secret(if p.eat(b'=') {
                        Vec::new()
                    } else {
                        p.atom()?.to_vec()
                    }))
                } else {
                    None
                };
                C::Authenticate { mechanism, initial }
            }
            b"LOGIN" => {
                p.sp()?;
                let user = p.astring()?;
                p.sp()?;
                C::Login {
                    user,
                    password: Secret(p.astring()?),
                }
            }
            b"SELECT" | b"EXAMINE" => {
                p.sp()?;
                C::Select {
                    mailbox: p.mailbox()?,
                    mode: if name == b"SELECT" {
                        SelectMode::ReadWrite
                    } else {
                        SelectMode::ReadOnly
                    },
                }
            }
            b"CREATE" => {
                p.sp()?;
                C::Create {
                    mailbox: p.mailbox()?,
                }
            }
            b"DELETE" => {
                p.sp()?;
                C::Delete {
                    mailbox: p.mailbox()?,
                }
            }
            b"RENAME" => {
                p.sp()?;
                let from = p.mailbox()?;
                p.sp()?;
                C::Rename {
                    from,
                    to: p.mailbox()?,
                }
            }
            b"SUBSCRIBE" | b"UNSUBSCRIBE" => {
                p.sp()?;
                // IMAP2bis wrote `SUBSCRIBE MAILBOX name`.
                let mut mailbox = p.mailbox()?;
                if mailbox.eq_ignore_ascii_case(b"MAILBOX") && p.eat(b' ') {
                    mailbox = p.mailbox()?;
                }
                if name == b"SUBSCRIBE" {
                    C::Subscribe { mailbox }
                } else {
                    C::Unsubscribe { mailbox }
                }
            }
            b"LIST" | b"LSUB" | b"RLIST" | b"RLSUB" => {
                p.sp()?;
                let reference = p.mailbox()?;
                p.sp()?;
                let pattern = p.list_mailbox()?;
                if name.ends_with(b"LIST") {
                    C::List { reference, pattern }
                } else {
                    C::Lsub { reference, pattern }
                }
            }
            b"STATUS" => {
                p.sp()?;
                let mailbox = p.mailbox()?;
                p.sp()?;
                let items = p.list(|p| {
                    let a = p.atom()?.to_ascii_uppercase();
                    Ok(match a.as_slice() {
                        b"MESSAGES" => StatusItem::Messages,
                        b"RECENT" => StatusItem::Recent,
                        b"UIDNEXT" => StatusItem::UidNext,
                        b"UIDVALIDITY" => StatusItem::UidValidity,
                        b"UNSEEN" => StatusItem::Unseen,
                        _ => return p.err("unknown STATUS item"),
                    })
                })?;
                if items.is_empty() {
                    return p.err("empty STATUS item list");
                }
                C::Status { mailbox, items }
            }
            b"APPEND" => {
                p.sp()?;
                let mailbox = p.mailbox()?;
                let mut messages = Vec::new();
                // MULTIAPPEND (RFC 3502): one or more messages.
                while p.eat(b' ') {
                    let flags = if p.peek() == Some(b'(') {
                        let f = p.list(Parser::flag)?;
                        p.sp()?;
                        f
                    } else {
                        Vec::new()
                    };
                    let date = if p.peek() == Some(b'"') {
                        let d = p.date_time()?;
                        p.sp()?;
                        Some(d)
                    } else {
                        None
                    };
                    // RFC 6855 §4: append-data =/ "UTF8" SP "(" literal8 ")"
                    let message = if p.keyword("UTF8") {
                        if p.utf8 == Utf8Mode::Off {
                            return p.err("APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
                        }
                        p.sp()?;
                        p.expect(b'(', "expected (")?;
                        let m = p.literal8()?;
                        p.expect(b')', "expected )")?;
                        m
                    } else if p.peek() == Some(b'~') {
                        // RFC 3516 (BINARY): append-data =/ literal8
                        p.literal8()?
                    } else {
                        p.literal()?
                    };
                    messages.push(AppendItem {
                        flags,
                        date,
                        message,
                    });
                }
                if messages.is_empty() {
                    return p.err("APPEND needs a message");
                }
                C::Append { mailbox, messages }
            }
            b"SCAN" => {
                p.sp()?;
                let reference = p.mailbox()?;
                p.sp()?;
                let pattern = p.list_mailbox()?;
                p.sp()?;
                C::Scan {
                    reference,
                    pattern,
                    text: p.astring()?,
                }
            }
            b"FIND" => {
                p.sp()?;
                let scope = if p.keyword("MAILBOXES") {
                    FindScope::Subscribed
                } else if p.keyword("ALL.MAILBOXES") {
                    FindScope::All
                } else {
                    return p.err("expected MAILBOXES or ALL.MAILBOXES");
                };
                p.sp()?;
                let pattern = p.list_mailbox()?;
                if pattern.contains(&b'%') || pattern.contains(&b'?') {
                    return p.err("FIND does not take % or ?");
                }
                C::Find { scope, pattern }
            }
            b"BBOARD" => {
                p.sp()?;
                C::Bboard { name: p.mailbox()? }
            }
            b"SORT" => sort(p, Numbers::Sequence)?,
            b"THREAD" => thread(p, Numbers::Sequence)?,
            b"IDLE" => C::Idle,
            b"NAMESPACE" => C::Namespace,
            b"ENABLE" => {
                let mut caps = Vec::new();
                while p.eat(b' ') {
                    caps.push(p.atom()?.to_ascii_uppercase());
                }
                if caps.is_empty() {
                    return p.err("ENABLE needs a capability");
                }
                C::Enable(caps)
            }
            b"ID" => {
                p.sp()?;
                if p.keyword("NIL") {
                    C::Id(None)
                } else {
                    let items = p.list(|p| {
                        let k = p.string()?;
                        p.sp()?;
                        let v = if p.keyword("NIL") {
                            None
                        } else {
                            Some(p.string()?)
                        };
                        Ok((k, v))
                    })?;
                    // The list is key-value pairs: the parser above takes "k v" as one
                    // item each.
                    C::Id(Some(items))
                }
            }
            b"CHECK" => C::Check,
            b"CLOSE" => C::Close,
            b"UNSELECT" => C::Unselect,
            b"EXPUNGE" => C::Expunge,
            b"SEARCH" => search(p, Numbers::Sequence)?,
            b"FETCH" => fetch(p, Numbers::Sequence)?,
            b"STORE" => store(p, Numbers::Sequence)?,
            b"COPY" => copy(p, Numbers::Sequence, CopyKind::Copy)?,
            b"MOVE" => copy(p, Numbers::Sequence, CopyKind::Move)?,
            b"UID" => {
                p.sp()?;
                let sub = p.atom()?.to_ascii_uppercase();
                match sub.as_slice() {
                    b"SEARCH" => search(p, Numbers::Uid)?,
                    b"SORT" => sort(p, Numbers::Uid)?,
                    b"THREAD" => thread(p, Numbers::Uid)?,
                    b"FETCH" => fetch(p, Numbers::Uid)?,
                    b"STORE" => store(p, Numbers::Uid)?,
                    b"COPY" => copy(p, Numbers::Uid, CopyKind::Copy)?,
                    b"MOVE" => copy(p, Numbers::Uid, CopyKind::Move)?,
                    b"EXPUNGE" => {
                        p.sp()?;
                        C::UidExpunge(p.sequence_set()?)
                    }
                    _ => return p.err("unknown UID command"),
                }
            }
            _ => return Ok(None),
        }))
    })();
    r.transpose()
}

fn search(p: &mut Parser<'_>, numbers: Numbers) -> Result<CommandBody, ParseError> {
    p.sp()?;
    let ret = if p.keyword("RETURN") {
        p.sp()?;
        let v = p.list(|p| {
            let a = p.atom()?.to_ascii_uppercase();
            Ok(match a.as_slice() {
                b"MIN" => SearchReturn::Min,
                b"MAX" => SearchReturn::Max,
                b"ALL" => SearchReturn::All,
                b"COUNT" => SearchReturn::Count,
                _ => return p.err("unknown RETURN option"),
            })
        })?;
        p.sp()?;
        Some(v)
    } else {
        None
    };
    let charset = if p.keyword("CHARSET") {
        p.sp()?;
        let c = p.astring()?;
        p.sp()?;
        Some(c)
    } else {
        None
    };
    let key = p.search_keys()?;
    Ok(CommandBody::Search {
        numbers,
        ret,
        charset,
        key,
    })
}

/// ```text
/// sort          = ["UID" SP] "SORT" SP sort-criteria SP search-criteria
/// sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
/// sort-criterion = ["REVERSE" SP] sort-key
/// sort-key      = "ARRIVAL" / "CC" / "DATE" / "FROM" / "SIZE" / "SUBJECT" / "TO"
/// search-criteria = charset 1*(SP search-key)
/// ```
fn sort(p: &mut Parser<'_>, numbers: Numbers) -> Result<CommandBody, ParseError> {
    p.sp()?;
    let criteria = p.list(|p| {
        let order = if p.keyword("REVERSE") {
            p.sp()?;
            SortOrder::Descending
        } else {
            SortOrder::Ascending
        };
        let a = p.atom()?.to_ascii_uppercase();
        let key = match a.as_slice() {
            b"ARRIVAL" => SortKey::Arrival,
            b"CC" => SortKey::Cc,
            b"DATE" => SortKey::Date,
            b"FROM" => SortKey::From,
            b"SIZE" => SortKey::Size,
            b"SUBJECT" => SortKey::Subject,
            b"TO" => SortKey::To,
            _ => return p.err("unknown SORT criterion"),
        };
        Ok(SortCriterion { key, order })
    })?;
    if criteria.is_empty() {
        return p.err("empty SORT criteria");
    }
    p.sp()?;
    let charset = p.astring()?;
    p.sp()?;
    let key = p.search_keys()?;
    Ok(CommandBody::Sort {
        numbers,
        criteria,
        charset,
        key,
    })
}

/// ```text
/// thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria
/// ```
fn thread(p: &mut Parser<'_>, numbers: Numbers) -> Result<CommandBody, ParseError> {
    p.sp()?;
    let a = p.atom()?.to_ascii_uppercase();
    let algorithm = match a.as_slice() {
        b"ORDEREDSUBJECT" => ThreadAlgorithm::OrderedSubject,
        b"REFERENCES" => ThreadAlgorithm::References,
        _ => return p.err("unknown THREAD algorithm"),
    };
    p.sp()?;
    let charset = p.astring()?;
    p.sp()?;
    let key = p.search_keys()?;
    Ok(CommandBody::Thread {
        numbers,
        algorithm,
        charset,
        key,
    })
}

fn fetch(p: &mut Parser<'_>, numbers: Numbers) -> Result<CommandBody, ParseError> {
    p.sp()?;
    let set = p.sequence_set()?;
    p.sp()?;
    let mut attrs = p.fetch_atts()?;
    if numbers == Numbers::Uid && !attrs.contains(&FetchAttr::Uid) {
        attrs.insert(0, FetchAttr::Uid);
    }
    Ok(CommandBody::Fetch {
        numbers,
        set,
        attrs,
    })
}

fn store(p: &mut Parser<'_>, numbers: Numbers) -> Result<CommandBody, ParseError> {
    p.sp()?;
    let set = p.sequence_set()?;
    p.sp()?;
    let mode = if p.eat(b'+') {
        StoreMode::Add
    } else if p.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    if !p.keyword("FLAGS.SILENT") && !p.keyword("FLAGS") {
        return p.err("expected FLAGS");
    }
    let silence = if p.rest_before_eq(b".SILENT") {
        Silence::Silent
    } else {
        Silence::Loud
    };
    p.sp()?;
    let flags = if p.peek() == Some(b'(') {
        p.list(Parser::flag)?
    } else {
        let mut v = vec![p.flag()?];
        while p.eat(b' ') {
            v.push(p.flag()?);
        }
        v
    };
    Ok(CommandBody::Store {
        numbers,
        set,
        mode,
        silence,
        flags,
    })
}

fn copy(p: &mut Parser<'_>, numbers: Numbers, kind: CopyKind) -> Result<CommandBody, ParseError> {
    p.sp()?;
    let set = p.sequence_set()?;
    p.sp()?;
    Ok(CommandBody::Copy {
        numbers,
        set,
        mailbox: p.mailbox()?,
        kind,
    })
}

impl Parser<'_> {
    /// Whether the bytes just consumed end with `suffix` (ignoring case).
    fn rest_before_eq(&self, suffix: &[u8]) -> bool {
        let done = &self.whole()[..self.at];
        done.len() >= suffix.len() && done[done.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{Peek, Section};

    fn parse(s: &str) -> CommandBody {
        parse_command(s.as_bytes()).unwrap().body
    }

    #[test]
    fn rfc3501_examples() {
        assert_eq!(parse("a001 capability\r\n"), CommandBody::Capability);
        assert_eq!(
            parse("a001 LOGIN SMITH SESAME\r\n"),
            CommandBody::Login {
                user: b"SMITH".to_vec(),
                password: Secret(b"SESAME".to_vec())
            }
        );
        assert_eq!(
            parse("A142 SELECT inbox\r\n"),
            CommandBody::Select {
                mailbox: b"INBOX".to_vec(),
                mode: SelectMode::ReadWrite
            }
        );
        assert_eq!(
            parse("A202 LIST ~/Mail/ %\r\n"),
            CommandBody::List {
                reference: b"~/Mail/".to_vec(),
                pattern: b"%".to_vec()
            }
        );
        assert_eq!(
            parse("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n"),
            CommandBody::Status {
                mailbox: b"blurdybloop".to_vec(),
                items: vec![StatusItem::UidNext, StatusItem::Messages]
            }
        );
        let CommandBody::Append { mailbox, messages } = parse(
            "A003 APPEND saved-messages (\\Seen) \"05-jul-1994 02:44:25 -0700\" {5}\r\nhello\r\n",
        ) else {
            panic!()
        };
        assert_eq!(mailbox, b"saved-messages");
        assert_eq!(messages[0].flags, vec![b"\\Seen".to_vec()]);
        assert_eq!(messages[0].message, b"hello");
        assert!(messages[0].date.is_some());
        assert_eq!(
            parse("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n"),
            CommandBody::Fetch {
                numbers: Numbers::Sequence,
                set: Parser::new(b"2:4").sequence_set().unwrap(),
                attrs: vec![
                    FetchAttr::Flags,
                    FetchAttr::Section {
                        peek: Peek::No,
                        section: Section {
                            part: vec![],
                            text: Some(crate::fetch::SectionText::HeaderFields(vec![
                                b"DATE".to_vec(),
                                b"FROM".to_vec()
                            ]))
                        },
                        partial: None
                    }
                ]
            }
        );
        assert_eq!(
            parse("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n"),
            CommandBody::Store {
                numbers: Numbers::Sequence,
                set: Parser::new(b"2:4").sequence_set().unwrap(),
                mode: StoreMode::Add,
                silence: Silence::Loud,
                flags: vec![b"\\Deleted".to_vec()]
            }
        );
        let CommandBody::Store { silence, .. } = parse("a UID STORE 1 -FLAGS.SILENT \\Seen\r\n")
        else {
            panic!()
        };
        assert_eq!(silence, Silence::Silent);
        let CommandBody::Fetch { attrs, numbers, .. } =
            parse("A999 UID FETCH 4827313:4828442 FLAGS\r\n")
        else {
            panic!()
        };
        assert_eq!(numbers, Numbers::Uid);
        assert_eq!(attrs, vec![FetchAttr::Uid, FetchAttr::Flags]);
        assert!(matches!(
            parse("A282 SEARCH CHARSET UTF-8 TEXT XXXXXX\r\n"),
            CommandBody::Search {
                charset: Some(_),
                ..
            }
        ));
        assert_eq!(
            parse("a AUTHENTICATE plain =\r\n"),
            CommandBody::Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(Secret(vec![]))
            }
        );
    }

    #[test]
    fn sort_thread_and_legacy_commands() {
        assert_eq!(
            parse("a UID SORT (REVERSE date subject) UTF-8 ALL\r\n"),
            CommandBody::Sort {
                numbers: Numbers::Uid,
                criteria: vec![
                    SortCriterion {
                        key: SortKey::Date,
                        order: SortOrder::Descending
                    },
                    SortCriterion {
                        key: SortKey::Subject,
                        order: SortOrder::Ascending
                    }
                ],
                charset: b"UTF-8".to_vec(),
                key: SearchKey::All
            }
        );
        assert_eq!(
            parse("a THREAD REFERENCES us-ascii SEEN\r\n"),
            CommandBody::Thread {
                numbers: Numbers::Sequence,
                algorithm: ThreadAlgorithm::References,
                charset: b"us-ascii".to_vec(),
                key: SearchKey::Seen
            }
        );
        assert_eq!(
            parse("a SUBSCRIBE MAILBOX foo\r\n"),
            CommandBody::Subscribe {
                mailbox: b"foo".to_vec()
            }
        );
        assert_eq!(
            parse("a SUBSCRIBE mailbox\r\n"),
            CommandBody::Subscribe {
                mailbox: b"mailbox".to_vec()
            }
        );
        assert_eq!(
            parse("a FIND ALL.MAILBOXES *\r\n"),
            CommandBody::Find {
                scope: FindScope::All,
                pattern: b"*".to_vec()
            }
        );
        assert!(parse_command(b"a FIND MAILBOXES %\r\n").is_err());
        assert_eq!(
            parse("a RLIST \"\" *\r\n"),
            CommandBody::List {
                reference: Vec::new(),
                pattern: b"*".to_vec()
            }
        );
        assert_eq!(
            parse("a SCAN \"\" * needle\r\n"),
            CommandBody::Scan {
                reference: Vec::new(),
                pattern: b"*".to_vec(),
                text: b"needle".to_vec()
            }
        );
        assert!(parse_command(b"a SORT () UTF-8 ALL\r\n").is_err());
        assert!(parse_command(b"a THREAD BOGUS UTF-8 ALL\r\n").is_err());
    }

    #[test]
    fn utf8_in_quoted_strings_only_once_enabled() {
        let cmd = "a CREATE \"台北\"\r\n".as_bytes();
        let Err(CommandError::Syntax { error, .. }) = parse_command(cmd) else {
            panic!("8-bit quoted string accepted")
        };
        assert_eq!(error.what, "8-bit character in quoted string");
        assert_eq!(
            parse_command_in(cmd, Utf8Mode::Accept).unwrap().body,
            CommandBody::Create {
                mailbox: "台北".as_bytes().to_vec()
            }
        );
        // Not UTF-8: refused either way.
        let bad = b"a CREATE \"caf\xe9\"\r\n";
        assert!(parse_command(bad).is_err());
        let Err(CommandError::Syntax { error, .. }) = parse_command_in(bad, Utf8Mode::Accept)
        else {
            panic!("Latin-1 quoted string accepted")
        };
        assert_eq!(error.what, "quoted string is not UTF-8");
        // Literals carry any octets in both modes.
        for mode in [Utf8Mode::Off, Utf8Mode::Accept] {
            let CommandBody::Create { mailbox } =
                parse_command_in(b"a CREATE {4+}\r\ncaf\xe9\r\n", mode)
                    .unwrap()
                    .body
            else {
                panic!()
            };
            assert_eq!(mailbox, b"caf\xe9");
        }
    }

    #[test]
    fn append_utf8_literal8_once_enabled() {
        let cmd = b"a APPEND INBOX (\\Seen) UTF8 (~{4+}\r\nh\xc3\xa9y)\r\n";
        let Err(CommandError::Syntax { error, .. }) = parse_command(cmd) else {
            panic!("UTF8 APPEND data accepted before ENABLE")
        };
        assert_eq!(error.what, "APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
        let CommandBody::Append { mailbox, messages } =
            parse_command_in(cmd, Utf8Mode::Accept).unwrap().body
        else {
            panic!()
        };
        assert_eq!(mailbox, b"INBOX");
        assert_eq!(messages[0].message, b"h\xc3\xa9y");
        assert_eq!(messages[0].flags, vec![b"\\Seen".to_vec()]);
        // MULTIAPPEND mixing the two forms; a plain literal8 is not the UTF8 form.
        let CommandBody::Append { messages, .. } = parse_command_in(
            b"a APPEND x UTF8 (~{1}\r\na) {1}\r\nb\r\n",
            Utf8Mode::Accept,
        )
        .unwrap()
        .body
        else {
            panic!()
        };
        assert_eq!(messages.len(), 2);
        // BINARY (RFC 3516): a literal8 alone, in any mode.
        for mode in [Utf8Mode::Off, Utf8Mode::Accept] {
            let CommandBody::Append { messages, .. } =
                parse_command_in(b"a APPEND x ~{3}\r\na\0b\r\n", mode)
                    .unwrap()
                    .body
            else {
                panic!()
            };
            assert_eq!(messages[0].message, b"a\0b");
        }
        for bad in [
            &b"a APPEND x UTF8 ({1}\r\na)\r\n"[..],
            b"a APPEND x UTF8 (~{1}\r\na\r\n",
            b"a APPEND x UTF8 ~{1}\r\na\r\n",
        ] {
            assert!(parse_command_in(bad, Utf8Mode::Accept).is_err());
        }
    }

    #[test]
    fn errors() {
        assert_eq!(parse_command(b"\r\n"), Err(CommandError::NoTag));
        assert_eq!(parse_command(b"a+ NOOP\r\n"), Err(CommandError::NoTag));
        assert_eq!(
            parse_command(b"a BOGUS\r\n"),
            Err(CommandError::Unknown { tag: b"a".to_vec() })
        );
        assert!(matches!(
            parse_command(b"a LOGIN x\r\n"),
            Err(CommandError::Syntax { .. })
        ));
        assert!(matches!(
            parse_command(b"a NOOP extra\r\n"),
            Err(CommandError::Syntax { .. })
        ));
        let long = format!("{} NOOP\r\n", "t".repeat(51));
        assert_eq!(parse_command(long.as_bytes()), Err(CommandError::NoTag));
        // Passwords never show in debug output.
        let c = parse_command(b"a LOGIN u hunter2\r\n").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
