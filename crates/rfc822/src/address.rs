//! Address lists (RFC 5322 §3.4), as IMAP's ENVELOPE gives them.
//!
//! ```text
//! address-list    = (address *("," address)) / obs-addr-list
//! address         = mailbox / group
//! mailbox         = name-addr / addr-spec
//! name-addr       = [display-name] angle-addr
//! angle-addr      = [CFWS] "<" [route] addr-spec ">" [CFWS]
//! group           = display-name ":" [group-list] ";" [CFWS]
//! addr-spec       = local-part "@" domain
//! ```
//!
//! Parsing is lenient, as mail readers must be: a missing domain, stray characters and
//! unbalanced quotes give the best reading rather than an error. Display names keep their
//! RFC 2047 encoded words as written (ENVELOPE returns them undecoded).

/// One address as ENVELOPE writes it: `(name adl mailbox host)`. A group start is
/// `(NIL NIL "group" NIL)` and its end `(NIL NIL NIL NIL)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    /// The display name.
    pub name: Option<Vec<u8>>,
    /// The source route (obsolete `@a,@b:`).
    pub adl: Option<Vec<u8>>,
    /// The local part, or the group name.
    pub mailbox: Option<Vec<u8>>,
    /// The domain.
    pub host: Option<Vec<u8>>,
}

/// Parses a header field's value as an address list.
pub fn parse_list(value: &[u8]) -> Vec<Address> {
    let toks = tokenize(value);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // Up to the next top-level comma, or a group.
        let start = i;
        let mut group = None;
        let mut in_angle = false;
        while i < toks.len() {
            match &toks[i] {
                Tok::Special(b'<') => in_angle = true,
                Tok::Special(b'>') => in_angle = false,
                Tok::Special(b',') if !in_angle => break,
                Tok::Special(b':') if !in_angle && !has_angle_before(&toks[start..i]) => {
                    group = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        if let Some(colon) = group {
            let name = phrase(&toks[start..colon]);
            out.push(Address {
                mailbox: Some(name.unwrap_or_default()),
                ..Address::default()
            });
            i = colon + 1;
            // Members up to ';'.
            loop {
                let s = i;
                while i < toks.len() && !matches!(toks[i], Tok::Special(b',' | b';')) {
                    i += 1;
                }
                if let Some(a) = mailbox(&toks[s..i]) {
                    out.push(a);
                }
                if i >= toks.len() || toks[i] == Tok::Special(b';') {
                    i += 1;
                    break;
                }
                i += 1;
            }
            out.push(Address::default());
        } else {
            if let Some(a) = mailbox(&toks[start..i]) {
                out.push(a);
            }
            i += 1;
        }
    }
    out
}

fn has_angle_before(toks: &[Tok]) -> bool {
    toks.contains(&Tok::Special(b'<'))
}

/// One mailbox from its tokens.
fn mailbox(toks: &[Tok]) -> Option<Address> {
    if toks.is_empty() {
        return None;
    }
    if let Some(lt) = toks.iter().position(|t| *t == Tok::Special(b'<')) {
        let gt = toks[lt..]
            .iter()
            .position(|t| *t == Tok::Special(b'>'))
            .map_or(toks.len(), |p| lt + p);
        let mut inner = &toks[lt + 1..gt];
        let mut adl = None;
        if let Some(colon) = inner.iter().position(|t| *t == Tok::Special(b':'))
            && inner.first() == Some(&Tok::Special(b'@'))
        {
            adl = Some(join(&inner[..colon]));
            inner = &inner[colon + 1..];
        }
        let (mailbox, host) = addr_spec(inner);
        let name = phrase(&toks[..lt]).or_else(|| comment_name(&toks[gt..]));
        return Some(Address {
            name,
            adl,
            mailbox,
            host,
        });
    }
    // A bare addr-spec, perhaps with a comment as the name: "user@host (Name)".
    let words: Vec<Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Comment(_)))
        .cloned()
        .collect();
    if words.is_empty() {
        return None;
    }
    let (mailbox, host) = addr_spec(&words);
    Some(Address {
        name: comment_name(toks),
        adl: None,
        mailbox,
        host,
    })
}

fn addr_spec(toks: &[Tok]) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let toks: Vec<&Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Comment(_)))
        .collect();
    match toks.iter().rposition(|t| **t == Tok::Special(b'@')) {
        Some(at) => {
            let local = join_refs(&toks[..at]);
            let host = join_refs(&toks[at + 1..]);
            (Some(local), (!host.is_empty()).then_some(host))
        }
        None => {
            let local = join_refs(&toks);
            ((!local.is_empty()).then_some(local), None)
        }
    }
}

fn phrase(toks: &[Tok]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for t in toks {
        let w = match t {
            Tok::Atom(a) | Tok::Quoted(a) => a,
            Tok::Special(b'.') => {
                out.push(b'.');
                continue;
            }
            _ => continue,
        };
        if !out.is_empty() && !out.ends_with(b".") {
            out.push(b' ');
        }
        out.extend_from_slice(w);
    }
    (!out.is_empty()).then_some(out)
}

fn comment_name(toks: &[Tok]) -> Option<Vec<u8>> {
    toks.iter().find_map(|t| match t {
        Tok::Comment(c) if !c.is_empty() => Some(c.clone()),
        _ => None,
    })
}

fn join(toks: &[Tok]) -> Vec<u8> {
    join_refs(&toks.iter().collect::<Vec<_>>())
}

fn join_refs(toks: &[&Tok]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in toks {
        match t {
            Tok::Atom(a) => out.extend_from_slice(a),
            Tok::Quoted(q) => {
                out.push(b'"');
                out.extend_from_slice(q);
                out.push(b'"');
            }
            Tok::Special(c) => out.push(*c),
            Tok::Comment(_) => {}
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Atom(Vec<u8>),
    Quoted(Vec<u8>),
    Comment(Vec<u8>),
    Special(u8),
}

fn tokenize(v: &[u8]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                while i < v.len() && v[i] != b'"' {
                    if v[i] == b'\\' && i + 1 < v.len() {
                        i += 1;
                    }
                    if v[i] != b'\r' && v[i] != b'\n' {
                        s.push(v[i]);
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok::Quoted(s));
            }
            b'(' => {
                let mut depth = 0;
                let mut s = Vec::new();
                while i < v.len() {
                    match v[i] {
                        b'(' => {
                            if depth > 0 {
                                s.push(b'(');
                            }
                            depth += 1;
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                            s.push(b')');
                        }
                        b'\\' if i + 1 < v.len() => {
                            i += 1;
                            s.push(v[i]);
                        }
                        b'\r' | b'\n' => {}
                        other => s.push(other),
                    }
                    i += 1;
                }
                out.push(Tok::Comment(s));
            }
            b'<' | b'>' | b'@' | b',' | b';' | b':' | b'.' | b'[' | b']' => {
                out.push(Tok::Special(c));
                i += 1;
            }
            _ => {
                let s = i;
                while i < v.len()
                    && !matches!(
                        v[i],
                        b' ' | b'\t'
                            | b'\r'
                            | b'\n'
                            | b'"'
                            | b'('
                            | b'<'
                            | b'>'
                            | b'@'
                            | b','
                            | b';'
                            | b':'
                            | b'.'
                            | b'['
                            | b']'
                    )
                {
                    i += 1;
                }
                out.push(Tok::Atom(v[s..i].to_vec()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(name: Option<&str>, mailbox: &str, host: Option<&str>) -> Address {
        Address {
            name: name.map(|n| n.as_bytes().to_vec()),
            adl: None,
            mailbox: Some(mailbox.as_bytes().to_vec()),
            host: host.map(|h| h.as_bytes().to_vec()),
        }
    }

    #[test]
    fn common_forms() {
        assert_eq!(
            parse_list(b"Terry Gray <gray@cac.washington.edu>"),
            vec![addr(Some("Terry Gray"), "gray", Some("cac.washington.edu"))]
        );
        assert_eq!(
            parse_list(b"\"Smith, John\" <js@x.org>, plain@y.org (Plain Person)"),
            vec![
                addr(Some("Smith, John"), "js", Some("x.org")),
                addr(Some("Plain Person"), "plain", Some("y.org")),
            ]
        );
        assert_eq!(
            parse_list(b"=?utf-8?q?J=C3=B6rg?= <j@x>"),
            vec![addr(Some("=?utf-8?q?J=C3=B6rg?="), "j", Some("x"))]
        );
        assert_eq!(
            parse_list(b"localonly"),
            vec![addr(None, "localonly", None)]
        );
        assert_eq!(
            parse_list(b"<@route.a,@route.b:user@host>")[0].adl,
            Some(b"@route.a,@route.b".to_vec())
        );
        assert!(parse_list(b"").is_empty());
    }

    #[test]
    fn groups() {
        let v = parse_list(b"Friends: a@b, c@d;, e@f");
        assert_eq!(v.len(), 5);
        assert_eq!(v[0].mailbox.as_deref(), Some(&b"Friends"[..]));
        assert_eq!(v[0].host, None);
        assert_eq!(v[3], Address::default());
        assert_eq!(v[4], addr(None, "e", Some("f")));
        let empty = parse_list(b"undisclosed-recipients:;");
        assert_eq!(empty.len(), 2);
    }
}
