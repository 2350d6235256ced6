//! BODY and BODYSTRUCTURE (RFC 3501 §7.4.2), from the MIME tree.
//!
//! ```text
//! body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
//! body-type-basic = media-basic SP body-fields
//! body-type-msg   = media-message SP body-fields SP envelope SP body SP body-fld-lines
//! body-type-text  = media-text SP body-fields SP body-fld-lines
//! body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP
//!                   body-fld-octets
//! body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
//! body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
//! body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
//! ```
//!
//! As c-client writes them: types, subtypes and parameter names in upper case, a text part
//! with no charset gets `("CHARSET" "US-ASCII")`.

use imap_proto::response::{Form, Writer};
use rfc822::mime::{Kind, Params, Part};

/// With or without extension data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Extensions {
    /// BODYSTRUCTURE.
    With,
    /// BODY.
    Without,
}

/// Writes the structure of `part` of message `msg`.
pub(crate) fn write(out: &mut Writer, msg: &[u8], part: &Part, ext: Extensions) {
    out.text("(");
    match &part.kind {
        Kind::Multipart(children) if !children.is_empty() => {
            for c in children {
                write(out, msg, c, ext);
            }
            out.text(" ");
            upper(out, &part.content.subtype);
            if ext == Extensions::With {
                out.text(" ");
                params(out, &part.content.params);
                tail(out, part);
            }
        }
        _ => {
            let c = &part.content;
            let is_text = c.media_type == b"text";
            upper(out, &c.media_type);
            out.text(" ");
            upper(out, &c.subtype);
            out.text(" ");
            if is_text && c.param(b"charset").is_none() {
                let mut p = c.params.clone();
                p.insert(0, (b"CHARSET".to_vec(), b"US-ASCII".to_vec()));
                params(out, &p);
            } else {
                params(out, &c.params);
            }
            out.text(" ");
            out.nstring(c.id.as_deref());
            out.text(" ");
            out.nstring(c.description.as_deref());
            out.text(" ");
            out.string(&c.encoding.to_ascii_uppercase(), Form::String);
            out.text(" ");
            out.num(part.body.len());
            if let Kind::Message(inner) = &part.kind {
                out.text(" ");
                super::envelope::write(out, &msg[inner.header.clone()]);
                out.text(" ");
                write(out, msg, inner, ext);
                out.text(" ");
                out.num(part.lines);
            } else if is_text {
                out.text(" ");
                out.num(part.lines);
            }
            if ext == Extensions::With {
                out.text(" ");
                out.nstring(c.md5.as_deref());
                tail(out, part);
            }
        }
    }
    out.text(")");
}

/// Disposition, language and location.
fn tail(out: &mut Writer, part: &Part) {
    let c = &part.content;
    out.text(" ");
    match &c.disposition {
        Some((d, p)) => {
            out.text("(");
            upper(out, d);
            out.text(" ");
            params(out, p);
            out.text(")");
        }
        None => {
            out.text("NIL");
        }
    }
    out.text(" ");
    match &c.language {
        Some(tags) if tags.len() == 1 => {
            out.string(&tags[0], Form::String);
        }
        Some(tags) if !tags.is_empty() => {
            out.text("(");
            for (i, t) in tags.iter().enumerate() {
                if i > 0 {
                    out.text(" ");
                }
                out.string(t, Form::String);
            }
            out.text(")");
        }
        _ => {
            out.text("NIL");
        }
    }
    out.text(" ");
    out.nstring(c.location.as_deref());
}

fn params(out: &mut Writer, p: &Params) {
    if p.is_empty() {
        out.text("NIL");
        return;
    }
    out.text("(");
    for (i, (k, v)) in p.iter().enumerate() {
        if i > 0 {
            out.text(" ");
        }
        upper(out, k);
        out.text(" ");
        out.string(v, Form::String);
    }
    out.text(")");
}

fn upper(out: &mut Writer, s: &[u8]) {
    out.string(&s.to_ascii_uppercase(), Form::String);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structure(msg: &[u8], ext: Extensions) -> String {
        let p = rfc822::mime::parse(msg);
        let mut w = Writer::new();
        write(&mut w, msg, &p, ext);
        String::from_utf8(w.take()).unwrap()
    }

    #[test]
    fn plain_text_gets_default_charset() {
        let msg = b"Subject: x\r\n\r\nline one\r\nline two\r\n";
        assert_eq!(
            structure(msg, Extensions::With),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 20 2 NIL NIL NIL NIL)"
        );
        assert_eq!(
            structure(msg, Extensions::Without),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 20 2)"
        );
    }

    #[test]
    fn multipart_with_attachment_and_message() {
        let msg = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=x.pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=x.pdf\r\n\r\nAAAA\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n--b--\r\n";
        assert_eq!(
            structure(msg, Extensions::With),
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 2 1 NIL NIL NIL NIL)\
(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 4 NIL (\"ATTACHMENT\" (\"FILENAME\" \"x.pdf\")) NIL NIL)\
(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 19 (NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 4 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \
\"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)"
        );
    }
}
