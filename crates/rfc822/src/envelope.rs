//! The envelope of a message (RFC 3501 §7.4.2): its Date, Subject, address fields,
//! In-Reply-To and Message-ID, as written (encoded words are not decoded).
//!
//! As c-client does, a missing Sender or Reply-To is the From field.

use crate::address::{self, Address};
use crate::header;
use crate::mime::unfold;

/// A message's envelope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    /// Date.
    pub date: Option<Vec<u8>>,
    /// Subject.
    pub subject: Option<Vec<u8>>,
    /// From.
    pub from: Vec<Address>,
    /// Sender (From when absent).
    pub sender: Vec<Address>,
    /// Reply-To (From when absent).
    pub reply_to: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc.
    pub bcc: Vec<Address>,
    /// In-Reply-To.
    pub in_reply_to: Option<Vec<u8>>,
    /// Message-ID.
    pub message_id: Option<Vec<u8>>,
}

impl Envelope {
    /// The envelope of the message whose header is `header` (the empty line may be
    /// included).
    pub fn parse(header: &[u8]) -> Envelope {
        let mut e = Envelope::default();
        let mut sender = None;
        let mut reply_to = None;
        for f in header::fields(header) {
            let v = || {
                let u = unfold(f.value());
                u.trim_ascii().to_vec()
            };
            let set = |slot: &mut Option<Vec<u8>>| {
                if slot.is_none() {
                    *slot = Some(v());
                }
            };
            let addrs = |slot: &mut Vec<Address>| {
                if slot.is_empty() {
                    *slot = address::parse_list(&unfold(f.value()));
                }
            };
            if f.is("Date") {
                set(&mut e.date);
            } else if f.is("Subject") {
                set(&mut e.subject);
            } else if f.is("From") {
                addrs(&mut e.from);
            } else if f.is("Sender") {
                if sender.is_none() {
                    sender = Some(address::parse_list(&unfold(f.value())));
                }
            } else if f.is("Reply-To") {
                if reply_to.is_none() {
                    reply_to = Some(address::parse_list(&unfold(f.value())));
                }
            } else if f.is("To") {
                addrs(&mut e.to);
            } else if f.is("Cc") {
                addrs(&mut e.cc);
            } else if f.is("Bcc") {
                addrs(&mut e.bcc);
            } else if f.is("In-Reply-To") {
                set(&mut e.in_reply_to);
            } else if f.is("Message-ID") {
                set(&mut e.message_id);
            }
        }
        e.sender = sender
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| e.from.clone());
        e.reply_to = reply_to
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| e.from.clone());
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3501_example_envelope() {
        let h = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev1 WG mtg summary and\r\n minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\n\r\n";
        let e = Envelope::parse(h);
        assert_eq!(
            e.date.as_deref(),
            Some(&b"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"[..])
        );
        assert_eq!(
            e.subject.as_deref(),
            Some(&b"IMAP4rev1 WG mtg summary and minutes"[..])
        );
        assert_eq!(e.from[0].name.as_deref(), Some(&b"Terry Gray"[..]));
        assert_eq!(e.sender, e.from);
        assert_eq!(e.reply_to, e.from);
        assert_eq!(e.cc.len(), 2);
        assert_eq!(e.cc[1].host.as_deref(), Some(&b"MIT.EDU"[..]));
        assert!(e.bcc.is_empty());
        assert_eq!(e.in_reply_to, None);
        assert_eq!(
            e.message_id.as_deref(),
            Some(&b"<B27397-0100000@cac.washington.edu>"[..])
        );
    }
}
