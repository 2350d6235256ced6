//! THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES.

use std::collections::HashMap;

use imap_proto::command::ThreadAlgorithm;
use imap_proto::response::Writer;

use crate::sort::{Facts, Marked};

/// A thread tree node: a message (by its index in the facts), or a placeholder for a
/// message that is referred to but absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub msg: Option<usize>,
    pub children: Vec<Node>,
}

/// The threads of `facts`.
pub(crate) fn threads(facts: &[Facts], algorithm: ThreadAlgorithm) -> Vec<Node> {
    match algorithm {
        ThreadAlgorithm::OrderedSubject => ordered_subject(facts),
        ThreadAlgorithm::References => references(facts),
    }
}

/// Messages grouped by base subject, each group in date order; the first message of a
/// group is the parent of the others; groups ordered by their first message's date.
fn ordered_subject(facts: &[Facts]) -> Vec<Node> {
    let mut idx: Vec<usize> = (0..facts.len()).collect();
    idx.sort_by(|&a, &b| {
        (&facts[a].subject, facts[a].sent, facts[a].seq).cmp(&(
            &facts[b].subject,
            facts[b].sent,
            facts[b].seq,
        ))
    });
    let mut out: Vec<Node> = Vec::new();
    let mut last_subject: Option<&str> = None;
    for i in idx {
        let leaf = Node {
            msg: Some(i),
            children: Vec::new(),
        };
        match (last_subject, out.last_mut()) {
            (Some(s), Some(root)) if s == facts[i].subject => root.children.push(leaf),
            _ => {
                out.push(leaf);
                last_subject = Some(&facts[i].subject);
            }
        }
    }
    out.sort_by_key(|n| n.msg.map(|i| (facts[i].sent, facts[i].seq)));
    out
}

/// The REFERENCES algorithm (RFC 5256 §3, after Jamie Zawinski).
fn references(facts: &[Facts]) -> Vec<Node> {
    // (1) Containers by message id, linked parent → child.
    #[derive(Default, Clone)]
    struct C {
        msg: Option<usize>,
        parent: Option<usize>,
        children: Vec<usize>,
    }
    let mut cs: Vec<C> = Vec::new();
    let mut by_id: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut container = |id: Option<&Vec<u8>>, cs: &mut Vec<C>| -> usize {
        if let Some(id) = id
            && let Some(&c) = by_id.get(id)
        {
            return c;
        }
        cs.push(C::default());
        let c = cs.len() - 1;
        if let Some(id) = id {
            by_id.insert(id.clone(), c);
        }
        c
    };
    let is_ancestor = |cs: &[C], anc: usize, mut c: usize| -> bool {
        loop {
            if c == anc {
                return true;
            }
            match cs[c].parent {
                Some(p) => c = p,
                None => return false,
            }
        }
    };
    for (i, f) in facts.iter().enumerate() {
        // A duplicate id gets a container of its own.
        let mut me = container(f.message_id.as_ref(), &mut cs);
        if cs[me].msg.is_some() {
            cs.push(C::default());
            me = cs.len() - 1;
        }
        cs[me].msg = Some(i);
        let mut prev: Option<usize> = None;
        for r in &f.references {
            let c = container(Some(r), &mut cs);
            if let Some(p) = prev
                && cs[c].parent.is_none()
                && !is_ancestor(&cs, c, p)
                && c != p
            {
                cs[c].parent = Some(p);
                cs[p].children.push(c);
            }
            prev = Some(c);
        }
        // The message's parent is the last reference (replacing any earlier guess).
        if let Some(old) = cs[me].parent.take() {
            cs[old].children.retain(|&x| x != me);
        }
        if let Some(p) = prev
            && p != me
            && !is_ancestor(&cs, me, p)
        {
            cs[me].parent = Some(p);
            cs[p].children.push(me);
        }
    }
    // (2) The root set.
    fn build(cs: &[C], c: usize) -> Node {
        Node {
            msg: cs[c].msg,
            children: cs[c].children.iter().map(|&k| build(cs, k)).collect(),
        }
    }
    let roots: Vec<Node> = (0..cs.len())
        .filter(|&c| cs[c].parent.is_none())
        .map(|c| build(&cs, c))
        .collect();
    // (3) Prune empty containers.
    let mut roots = prune(roots, Level::Root);
    // (4) Sort by date.
    sort_nodes(&mut roots, facts);
    // (5) Gather threads with the same base subject.
    let mut out = gather(roots, facts);
    // (6) Sort every set of siblings by date.
    sort_nodes(&mut out, facts);
    out
}

/// RFC 5256 §3 step (5): threads whose subjects have the same base are gathered; an
/// original message takes its replies and forwards as children, others become siblings
/// under a placeholder.
fn gather(roots: Vec<Node>, facts: &[Facts]) -> Vec<Node> {
    let marked = |n: &Node| n.msg.map(|m| facts[m].marked);
    let subjects: Vec<Option<String>> = roots
        .iter()
        .map(|n| subject_of(n, facts).filter(|s| !s.is_empty()))
        .collect();
    // (B) One thread per subject: a message rather than a placeholder, an original
    // rather than a reply.
    let mut table: HashMap<&str, usize> = HashMap::new();
    for (i, subject) in subjects.iter().enumerate() {
        let Some(subject) = subject else { continue };
        match table.get(subject.as_str()) {
            None => {
                table.insert(subject, i);
            }
            Some(&j) => {
                let (t, n) = (&roots[j], &roots[i]);
                if t.msg.is_some()
                    && (n.msg.is_none()
                        || (marked(t) == Some(Marked::ReplyOrForward)
                            && marked(n) == Some(Marked::Original)))
                {
                    table.insert(subject, i);
                }
            }
        }
    }
    // (C) Merge each thread into its subject's.
    let mut slots: Vec<Option<Node>> = roots.into_iter().map(Some).collect();
    for (i, subject) in subjects.iter().enumerate() {
        let Some(&j) = subject.as_deref().and_then(|s| table.get(s)) else {
            continue;
        };
        if j == i {
            continue;
        }
        let Some(cur) = slots[i].take() else { continue };
        let Some(into) = slots[j].as_mut() else {
            slots[i] = Some(cur);
            continue;
        };
        match (into.msg, cur.msg) {
            (None, None) => into.children.extend(cur.children),
            (None, Some(_)) => into.children.push(cur),
            (Some(_), Some(_))
                if marked(&cur) == Some(Marked::ReplyOrForward)
                    && marked(into) == Some(Marked::Original) =>
            {
                into.children.push(cur)
            }
            _ => {
                let old = std::mem::replace(
                    into,
                    Node {
                        msg: None,
                        children: Vec::new(),
                    },
                );
                into.children = vec![old, cur];
            }
        }
    }
    slots.into_iter().flatten().collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Below,
}

/// Removes empty containers: childless ones go; others give their children to their
/// parent (at the root only when there is just one child).
fn prune(nodes: Vec<Node>, level: Level) -> Vec<Node> {
    let mut out = Vec::new();
    for mut n in nodes {
        n.children = prune(std::mem::take(&mut n.children), Level::Below);
        if n.msg.is_some() {
            out.push(n);
        } else if n.children.is_empty() {
        } else if level == Level::Below || n.children.len() == 1 {
            out.extend(n.children);
        } else {
            out.push(n);
        }
    }
    out
}

/// The date a node sorts by: its message's, or its first child's.
fn date_of(n: &Node, facts: &[Facts]) -> (i64, u32) {
    match n.msg {
        Some(i) => (facts[i].sent, facts[i].seq.get()),
        None => n
            .children
            .first()
            .map_or((i64::MAX, u32::MAX), |c| date_of(c, facts)),
    }
}

fn sort_nodes(nodes: &mut [Node], facts: &[Facts]) {
    for n in nodes.iter_mut() {
        sort_nodes(&mut n.children, facts);
    }
    nodes.sort_by_key(|n| date_of(n, facts));
}

fn subject_of(n: &Node, facts: &[Facts]) -> Option<String> {
    match n.msg {
        Some(i) => Some(facts[i].subject.clone()),
        None => n.children.first().and_then(|c| subject_of(c, facts)),
    }
}

/// Writes `* THREAD` data for `threads`, naming messages by `id`.
pub(crate) fn write(out: &mut Writer, threads: &[Node], id: &dyn Fn(usize) -> u32) {
    for t in threads {
        out.text("(");
        node(out, t, id);
        out.text(")");
    }
}

fn node(out: &mut Writer, n: &Node, id: &dyn Fn(usize) -> u32) {
    let mut first = true;
    if let Some(m) = n.msg {
        out.num(id(m));
        first = false;
    }
    match n.children.len() {
        0 => {}
        1 if n.msg.is_some() => {
            out.text(" ");
            node(out, &n.children[0], id);
        }
        _ => {
            if !first {
                out.text(" ");
            }
            for c in &n.children {
                out.text("(");
                node(out, c, id);
                out.text(")");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailstore::SeqNo;

    fn fact(seq: u32, subject: &str, sent: i64, id: &str, refs: &[&str]) -> Facts {
        let (subject, marked) = crate::sort::base_subject(subject.as_bytes());
        Facts {
            seq: SeqNo::new(seq).unwrap(),
            uid: seq,
            arrival: sent,
            sent,
            size: 0,
            subject,
            marked,
            from: String::new(),
            to: String::new(),
            cc: String::new(),
            message_id: Some(id.as_bytes().to_vec()),
            references: refs.iter().map(|r| r.as_bytes().to_vec()).collect(),
        }
    }

    fn render(facts: &[Facts], alg: ThreadAlgorithm) -> String {
        let t = threads(facts, alg);
        let mut w = Writer::new();
        write(&mut w, &t, &|i| facts[i].seq.get());
        String::from_utf8(w.take()).unwrap()
    }

    #[test]
    fn ordered_subject_groups() {
        let f = vec![
            fact(1, "a", 10, "<1>", &[]),
            fact(2, "b", 20, "<2>", &[]),
            fact(3, "a", 30, "<3>", &[]),
            fact(4, "a", 40, "<4>", &[]),
            fact(5, "b", 50, "<5>", &[]),
        ];
        assert_eq!(
            render(&f, ThreadAlgorithm::OrderedSubject),
            "(1 (3)(4))(2 5)"
        );
    }

    #[test]
    fn references_chains_and_missing_parents() {
        let f = vec![
            fact(1, "x", 10, "<1>", &[]),
            fact(2, "x", 20, "<2>", &["<1>"]),
            fact(3, "x", 30, "<3>", &["<1>", "<2>"]),
            fact(4, "x", 40, "<4>", &["<1>"]),
            fact(5, "y", 50, "<5>", &["<gone>"]),
            fact(6, "z", 60, "<6>", &["<gone2>"]),
            fact(7, "w", 70, "<7>", &["<gone2>"]),
        ];
        assert_eq!(
            render(&f, ThreadAlgorithm::References),
            "(1 (2 3)(4))(5)((6)(7))"
        );
    }

    #[test]
    fn references_gathers_same_subject() {
        let f = vec![
            fact(1, "topic", 10, "<1>", &[]),
            fact(2, "topic", 20, "<2>", &[]),
        ];
        assert_eq!(render(&f, ThreadAlgorithm::References), "((1)(2))");
    }

    #[test]
    fn references_puts_replies_under_the_original_subject() {
        // The reply came first; the original still becomes the parent (RFC 5256 §3
        // step 5).
        let f = vec![
            fact(1, "Re: topic", 10, "<1>", &[]),
            fact(2, "topic", 20, "<2>", &[]),
            fact(3, "Fwd: topic", 30, "<3>", &[]),
            fact(4, "other", 5, "<4>", &[]),
        ];
        assert_eq!(render(&f, ThreadAlgorithm::References), "(4)(2 (1)(3))");
        // Two replies with nothing original: siblings under a placeholder.
        let f = vec![
            fact(1, "Re: topic", 10, "<1>", &[]),
            fact(2, "re: topic", 20, "<2>", &[]),
        ];
        assert_eq!(render(&f, ThreadAlgorithm::References), "((1)(2))");
    }

    #[test]
    fn subjects_in_different_charsets_are_one_thread() {
        let f = vec![
            fact(1, "=?ISO-8859-1?Q?caf=E9?=", 10, "<1>", &[]),
            fact(2, "Re: =?UTF-8?Q?CAF=C3=89?=", 20, "<2>", &[]),
            fact(3, "[list] Re: cafe\u{301}", 30, "<3>", &[]),
            // "Привет" in KOI8-R, then a reply in UTF-8.
            fact(4, "=?KOI8-R?B?8NLJ18XU?=", 40, "<4>", &[]),
            fact(5, "Re: =?UTF-8?B?0J/RgNC40LLQtdGC?=", 50, "<5>", &[]),
        ];
        assert_eq!(render(&f, ThreadAlgorithm::References), "(1 (2)(3))(4 5)");
        assert_eq!(
            render(&f, ThreadAlgorithm::OrderedSubject),
            "(1 (2)(3))(4 5)"
        );
    }
}
