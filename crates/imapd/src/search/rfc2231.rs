//! RFC 2231 parameter values (`filename*=UTF-8''%E2%82%AC.txt`, and values split in
//! sections `name*0*=…; name*1=…`), decoded to text so SEARCH finds them as a reader
//! sees them.

use rfc822::text::to_text;

/// The decoded extended parameters of a `Content-Type` or `Content-Disposition` value
/// (unfolded), in the order they first appear. Plain parameters are not listed.
pub(crate) fn extended_values(value: &[u8]) -> Vec<String> {
    // (name, section number, value bytes, whether percent-encoded)
    let mut sections: Vec<(Vec<u8>, u32, Vec<u8>, Encoded)> = Vec::new();
    for piece in split_params(value) {
        let Some(eq) = piece.iter().position(|&c| c == b'=') else {
            continue;
        };
        let name = piece[..eq].trim_ascii();
        let raw = unquote(piece[eq + 1..].trim_ascii());
        let (name, encoded) = match name.strip_suffix(b"*") {
            Some(n) => (n, Encoded::Percent),
            None => (name, Encoded::Plain),
        };
        let (base, number) = match name.iter().rposition(|&c| c == b'*') {
            Some(star) => match std::str::from_utf8(&name[star + 1..])
                .ok()
                .and_then(|n| n.parse::<u32>().ok())
            {
                Some(n) => (&name[..star], n),
                None => continue,
            },
            None if encoded == Encoded::Percent => (name, 0),
            // Neither sections nor encoding: an ordinary parameter.
            None => continue,
        };
        sections.push((base.to_ascii_lowercase(), number, raw, encoded));
    }
    let mut names: Vec<Vec<u8>> = Vec::new();
    for (n, ..) in &sections {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mut parts: Vec<&(Vec<u8>, u32, Vec<u8>, Encoded)> =
                sections.iter().filter(|s| s.0 == name).collect();
            parts.sort_by_key(|s| s.1);
            let mut charset: Option<Vec<u8>> = None;
            let mut bytes = Vec::new();
            for (i, (_, _, raw, encoded)) in parts.into_iter().enumerate() {
                let mut raw = raw.as_slice();
                if *encoded == Encoded::Percent {
                    if i == 0 {
                        // charset'language'value
                        let mut it = raw.splitn(3, |&c| c == b'\'');
                        if let (Some(cs), Some(_lang), Some(rest)) =
                            (it.next(), it.next(), it.next())
                        {
                            charset = (!cs.is_empty()).then(|| cs.to_vec());
                            raw = rest;
                        }
                    }
                    bytes.extend(percent_decode(raw));
                } else {
                    bytes.extend_from_slice(raw);
                }
            }
            to_text(charset.as_deref(), &bytes).into_owned()
        })
        .collect()
}

/// Whether a section's value is percent-encoded (`name*=`, `name*1*=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoded {
    Percent,
    Plain,
}

/// The `;`-separated parameters after the value's first item (quotes respected).
fn split_params(value: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    let mut escaped = false;
    for (i, &c) in value.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                if let Some(s) = start {
                    out.push(&value[s..i]);
                }
                start = Some(i + 1);
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&value[s..]);
    }
    out
}

/// A parameter value without its quotes and quoting backslashes.
fn unquote(v: &[u8]) -> Vec<u8> {
    let Some(inner) = v.strip_prefix(b"\"") else {
        return v.to_vec();
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    let mut out = Vec::with_capacity(inner.len());
    let mut escaped = false;
    for &c in inner {
        if c == b'\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits stays as it is.
fn percent_decode(v: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%'
            && let (Some(h), Some(l)) = (
                v.get(i + 1).and_then(|&c| hex(c)),
                v.get(i + 2).and_then(|&c| hex(c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2231_examples() {
        // RFC 2231 §3 and §4.
        assert_eq!(
            extended_values(
                b"message/external-body; access-type=URL; URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\""
            ),
            vec!["ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"]
        );
        assert_eq!(
            extended_values(
                b"application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"
            ),
            vec!["This is ***fun***"]
        );
        assert_eq!(
            extended_values(
                b"application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\""
            ),
            vec!["This is even more ***fun*** isn't it!"]
        );
    }

    #[test]
    fn charsets_and_odd_input() {
        assert_eq!(
            extended_values(b"attachment; filename*=UTF-8''%E2%82%AC%20rates.txt"),
            vec!["€ rates.txt"]
        );
        assert_eq!(
            extended_values(b"attachment; filename*=iso-8859-1''K%F6ln.txt; size=3"),
            vec!["Köln.txt"]
        );
        assert!(extended_values(b"text/plain; charset=us-ascii").is_empty());
        assert!(extended_values(b"").is_empty());
        assert_eq!(extended_values(b"a; b*=''%zz%4"), vec!["%zz%4"]);
        assert_eq!(extended_values(b"a; b*x=1; c*=\"q;\"; d"), vec!["q;"]);
    }
}
