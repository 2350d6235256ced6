//! Properties of the client direction: the response framer and parser take any bytes
//! without panicking, frame the same however the bytes are cut, and what the command writer
//! writes as a literal comes back whole through the framer and parser.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use imap_proto::client::command::{Arg, CommandWriter, LiteralMode, Sensitivity};
use imap_proto::client::frame::{Limits, ResponseFramer};
use imap_proto::client::response::{self, FetchItem, Response, Untagged};
use proptest::prelude::*;

fn frames(data: &[u8], cut: usize) -> Vec<Result<Vec<u8>, imap_proto::client::frame::FrameError>> {
    let mut f = ResponseFramer::new(Limits {
        line: 4096,
        literal: 4096,
        literals: 8,
    });
    let mut out = Vec::new();
    for chunk in data.chunks(cut.max(1)) {
        f.feed(chunk);
        while let Some(r) = f.next_response() {
            let stop = r.is_err();
            if let Ok(bytes) = &r {
                let _ = response::parse(bytes);
            }
            out.push(r);
            if stop {
                return out;
            }
        }
    }
    out
}

proptest! {
    #[test]
    fn any_bytes_frame_the_same_however_cut(data in proptest::collection::vec(any::<u8>(), 0..600), cut in 1usize..40) {
        prop_assert_eq!(frames(&data, data.len().max(1)), frames(&data, cut));
    }

    #[test]
    fn response_like_bytes_never_panic(s in "(\\* |A1 |\\+ )(OK|NO|BYE|[0-9]{1,3} FETCH|LIST|STATUS|SEARCH|FLAGS|CAPABILITY)[ ()\\[\\]{}0-9A-Za-z\\\\\"\r\n.<>+-]{0,80}") {
        let _ = response::parse(s.as_bytes());
    }

    #[test]
    fn a_literal_round_trips(body in proptest::collection::vec(any::<u8>(), 0..300), seq in 1u32..100_000) {
        let mut wire = format!("* {seq} FETCH (UID 9 BODY[] {{{}}}\r\n", body.len()).into_bytes();
        wire.extend_from_slice(&body);
        wire.extend_from_slice(b")\r\n");
        let got = frames(&wire, 7);
        prop_assert_eq!(got.len(), 1);
        let bytes = got[0].clone().unwrap();
        let parsed = response::parse(&bytes).unwrap();
        prop_assert_eq!(parsed, Response::Untagged(Untagged::Fetch {
            seq,
            items: vec![FetchItem::Uid(9), FetchItem::Body { name: "BODY[]".into(), data: Some(body) }],
        }));
    }

    #[test]
    fn written_strings_parse_back(name in proptest::collection::vec(any::<u8>(), 0..80)) {
        // What the writer sends as an astring, a server would read back as the same bytes:
        // check it through our own (server-side grammar) response string parser by
        // echoing it in a LIST response.
        let mut w = CommandWriter::new();
        w.literals = LiteralMode::NonSynchronising;
        let c = w.command("X", &[Arg::AString(&name, Sensitivity::Public)]);
        prop_assert_eq!(c.parts.len(), 1);
        let arg = &c.parts[0][b"A0001 X ".len()..c.parts[0].len() - 2];
        // Only a literal's `{n+}` prefix loses its `+`; an atom may end in `+}` itself.
        let arg = if arg.starts_with(b"{") {
            // literal: {n}\r\n then the bytes exactly
            let mut a = c.parts[0][b"A0001 X ".len()..c.parts[0].len() - 2].to_vec();
            let close = a.iter().position(|&b| b == b'}').unwrap();
            a.remove(close - 1);
            a
        } else { arg.to_vec() };
        let mut wire = b"* LIST () \"/\" ".to_vec();
        wire.extend_from_slice(&arg);
        wire.extend_from_slice(b"\r\n");
        let parsed = response::parse(&wire).unwrap();
        match parsed {
            Response::Untagged(Untagged::List { name: got, .. }) => prop_assert_eq!(got, name),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}
