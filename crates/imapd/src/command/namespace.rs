//! NAMESPACE (RFC 2342): the store's namespaces (panda-inventory.md §4.5), each list
//! `NIL` when empty, without extension parameters as Panda answers.
//!
//! ```text
//! Namespace_Response = "*" SP "NAMESPACE" SP Namespace SP Namespace SP Namespace
//! Namespace = nil / "(" 1*( "(" string SP (<"> QUOTED_CHAR <"> / nil) ")" ) ")"
//! ```

use mailstore::namespace::Namespace;

use super::{Authed, Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(ctx: Ctx<'_>, a: &Authed) -> Result<Done, Failure> {
    let ns = a.store.namespaces();
    let line = format!(
        "* NAMESPACE {} {} {}\r\n",
        list(&ns.personal),
        list(&ns.other_users),
        list(&ns.shared)
    );
    ctx.out.text(&line);
    Ok(Done::ok("NAMESPACE completed").polling())
}

/// One of the three lists. Prefixes and delimiters are the store's own (`#public/`,
/// `~`, `/`…), which need no escaping, but are escaped all the same.
fn list(v: &[Namespace]) -> String {
    if v.is_empty() {
        return "NIL".to_owned();
    }
    let mut s = String::from("(");
    for n in v {
        s.push('(');
        quote(&mut s, &n.prefix);
        s.push(' ');
        match n.delimiter {
            Some(d) => quote(&mut s, &d.to_string()),
            None => s.push_str("NIL"),
        }
        s.push(')');
    }
    s.push(')');
    s
}

fn quote(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}
