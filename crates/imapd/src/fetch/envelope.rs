//! ENVELOPE (RFC 3501 §7.4.2).
//!
//! ```text
//! envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP
//!            env-to SP env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"
//! address  = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
//! ```

use imap_proto::response::Writer;
use rfc822::address::Address;
use rfc822::envelope::Envelope;

/// Writes the envelope of the message whose header is `header`.
pub(crate) fn write(out: &mut Writer, header: &[u8]) {
    let e = Envelope::parse(header);
    out.text("(");
    out.nstring(e.date.as_deref());
    out.text(" ");
    out.nstring(e.subject.as_deref());
    for list in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        out.text(" ");
        addresses(out, list);
    }
    out.text(" ");
    out.nstring(e.in_reply_to.as_deref());
    out.text(" ");
    out.nstring(e.message_id.as_deref());
    out.text(")");
}

fn addresses(out: &mut Writer, list: &[Address]) {
    if list.is_empty() {
        out.text("NIL");
        return;
    }
    out.text("(");
    for a in list {
        out.text("(");
        out.nstring(a.name.as_deref());
        out.text(" ");
        out.nstring(a.adl.as_deref());
        out.text(" ");
        out.nstring(a.mailbox.as_deref());
        out.text(" ");
        out.nstring(a.host.as_deref());
        out.text(")");
    }
    out.text(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example_envelope() {
        let header = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\r\n";
        let mut w = Writer::new();
        write(&mut w, header);
        assert_eq!(
            String::from_utf8(w.take()).unwrap(),
            "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\")"
        );
    }
}
