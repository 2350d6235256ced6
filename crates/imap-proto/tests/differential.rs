//! Differential checks against `imap-codec`: on commands both parsers know, both accept
//! or both refuse, and agree on the tag and the command.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_proto::command::{CommandBody, parse_command};

/// Our command's name, as imap-codec's `CommandBody::name` spells it.
fn name(b: &CommandBody) -> &'static str {
    use imap_proto::command::{CopyKind, Numbers};
    match b {
        CommandBody::Capability => "CAPABILITY",
        CommandBody::Noop => "NOOP",
        CommandBody::Logout => "LOGOUT",
        CommandBody::StartTls => "STARTTLS",
        CommandBody::Authenticate { .. } => "AUTHENTICATE",
        CommandBody::Login { .. } => "LOGIN",
        CommandBody::Select {
            mode: imap_proto::command::SelectMode::ReadWrite,
            ..
        } => "SELECT",
        CommandBody::Select { .. } => "EXAMINE",
        CommandBody::Create { .. } => "CREATE",
        CommandBody::Delete { .. } => "DELETE",
        CommandBody::Rename { .. } => "RENAME",
        CommandBody::Subscribe { .. } => "SUBSCRIBE",
        CommandBody::Unsubscribe { .. } => "UNSUBSCRIBE",
        CommandBody::List { .. } => "LIST",
        CommandBody::Lsub { .. } => "LSUB",
        CommandBody::Status { .. } => "STATUS",
        CommandBody::Append { .. } => "APPEND",
        CommandBody::Idle => "IDLE",
        CommandBody::Namespace => "NAMESPACE",
        CommandBody::Enable(_) => "ENABLE",
        CommandBody::Id(_) => "ID",
        CommandBody::Check => "CHECK",
        CommandBody::Close => "CLOSE",
        CommandBody::Unselect => "UNSELECT",
        CommandBody::Expunge => "EXPUNGE",
        CommandBody::UidExpunge(_) => "EXPUNGE",
        CommandBody::Search { .. } => "SEARCH",
        CommandBody::Fetch { .. } => "FETCH",
        CommandBody::Store { .. } => "STORE",
        CommandBody::Copy {
            kind: CopyKind::Copy,
            ..
        } => "COPY",
        CommandBody::Copy { .. } => "MOVE",
        CommandBody::Sort { .. } => "SORT",
        CommandBody::Thread { .. } => "THREAD",
        _ => {
            let _ = Numbers::Uid;
            "OTHER"
        }
    }
}

/// Where we differ on purpose: the case, and why we are right.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "a STATUS INBOX ()",
    "RFC 3501 and RFC 9051 want at least one status item; imap-codec accepts none",
)];

/// Commands both parsers know, valid and not. (imap-codec 1.0 does not know NAMESPACE,
/// UID EXPUNGE or BINARY; the transcripts and unit tests cover those.)
const CASES: &[&str] = &[
    "a CAPABILITY",
    "a NOOP",
    "a LOGOUT",
    "a STARTTLS",
    "a LOGIN user pass",
    "a LOGIN \"us er\" \"p\\\"w\"",
    "a LOGIN {4+}\r\nuser {4+}\r\npass",
    "a LOGIN user",
    "a AUTHENTICATE PLAIN",
    "a AUTHENTICATE PLAIN AHVzZXIAcGFzcw==",
    "a AUTHENTICATE PLAIN =",
    "a SELECT INBOX",
    "a SELECT \"a b\"",
    "a EXAMINE inbox",
    "a SELECT",
    "a CREATE foo/bar",
    "a DELETE foo",
    "a RENAME foo bar",
    "a SUBSCRIBE foo",
    "a UNSUBSCRIBE foo",
    "a LIST \"\" *",
    "a LIST \"\" %/x",
    "a LSUB ~/Mail/ %",
    "a LIST foo",
    "a STATUS INBOX (MESSAGES UIDNEXT UNSEEN RECENT UIDVALIDITY)",
    "a STATUS INBOX (BOGUS)",
    "a APPEND INBOX {3+}\r\nabc",
    "a APPEND INBOX (\\Seen) {3+}\r\nabc",
    "a APPEND INBOX (\\Seen $kw) \" 1-Jan-2020 10:00:00 +0100\" {3+}\r\nabc",
    "a APPEND INBOX \"bad date\" {3+}\r\nabc",
    "a IDLE",
    "a ENABLE CONDSTORE",
    "a CHECK",
    "a CLOSE",
    "a UNSELECT",
    "a EXPUNGE",
    "a SEARCH ALL",
    "a SEARCH FROM x SINCE 1-Feb-1994 NOT (SEEN OR ANSWERED DRAFT)",
    "a SEARCH CHARSET UTF-8 TEXT \"x y\"",
    "a SEARCH HEADER Message-ID <x@y> UID 1:* 2,4:*",
    "a SEARCH LARGER 100 SMALLER 5000 KEYWORD $x",
    "a SEARCH",
    "a SEARCH BOGUS",
    "a SEARCH SINCE 32-Jan-2000",
    "a UID SEARCH 1:3",
    "a FETCH 1 ALL",
    "a FETCH 1:* FAST",
    "a FETCH 2,4:7 (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE UID)",
    "a FETCH 1 (RFC822 RFC822.HEADER RFC822.TEXT)",
    "a FETCH 1 BODY[]",
    "a FETCH 1 BODY.PEEK[HEADER.FIELDS (From To)]<0.100>",
    "a FETCH 1 BODY[1.2.HEADER.FIELDS.NOT (X)]",
    "a FETCH 1 (BODY[1.MIME] BODY[2.TEXT] BODY[3])",
    "a FETCH 1 (BODY[HEADER.FIELDS ()])",
    "a FETCH 0 FLAGS",
    "a FETCH 1 BOGUS",
    "a FETCH 1 (FLAGS",
    "a UID FETCH 1:* FLAGS",
    "a STORE 1 FLAGS (\\Seen)",
    "a STORE 1:3 +FLAGS.SILENT (\\Deleted $Junk)",
    "a STORE 1 -FLAGS \\Flagged",
    "a STORE 1 FLAGS",
    "a UID STORE 5 +FLAGS (\\Answered)",
    "a COPY 1:3 Archive",
    "a UID COPY 1 \"a b\"",
    "a MOVE 1 Trash",
    "a UID MOVE 1:* Trash",
    "a BOGUS",
    "* NOOP",
    "a+ NOOP",
    "NOOP",
    "a  NOOP",
    "a NOOP extra",
];

#[test]
fn agrees_with_imap_codec() {
    let mut disagreements = Vec::new();
    for (case, why) in KNOWN_DIFFERENCES {
        let line = format!("{case}\r\n");
        let ours = parse_command(line.as_bytes()).is_ok();
        let theirs = CommandCodec::default().decode(line.as_bytes()).is_ok();
        assert_ne!(ours, theirs, "{case:?} no longer differs ({why})");
    }
    for case in CASES {
        let line = format!("{case}\r\n");
        let ours = parse_command(line.as_bytes());
        let theirs = CommandCodec::default().decode(line.as_bytes());
        match (&ours, &theirs) {
            (Ok(o), Ok((rest, t))) => {
                let same = rest.is_empty()
                    && o.tag.as_slice() == t.tag.inner().as_bytes()
                    && name(&o.body) == t.body.name();
                if !same {
                    disagreements.push(format!(
                        "{case:?}: ours {} / theirs {}",
                        name(&o.body),
                        t.body.name()
                    ));
                }
            }
            (Err(_), Err(_)) => {}
            (Ok(_), Err(e)) => {
                disagreements.push(format!("{case:?}: we accept, imap-codec: {e:?}"))
            }
            (Err(e), Ok(_)) => {
                disagreements.push(format!("{case:?}: imap-codec accepts, we: {e:?}"))
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
