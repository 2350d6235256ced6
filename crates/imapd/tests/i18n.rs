//! SEARCH in every charset of the seed (FAQ 1.12): for each charset, a message whose
//! Subject is an RFC 2047 word and whose body is text in that charset; the search
//! string is sent in that charset too, and must find every message with the same
//! words in any charset (and the UTF-8 one), and nothing else.
//!
//! The text in each charset is made by the system's converters (glibc `iconv`, Python's
//! codecs, Perl's Encode), not by the code under test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use base64::Engine;
use common::fixture;
use imapd::ImapSession;
use mailstore::Flags;
use mailstore::mailbox::AppendMessage;
use server::session::{Reply, Session, Transport};

/// A script: a text, the word searched for (in another case where the script has
/// case), and the charsets (MIME names) the text is written in.
struct Script {
    text: &'static str,
    word: &'static str,
    charsets: &'static [&'static str],
}

const SCRIPTS: &[Script] = &[
    Script {
        text: "Hello world",
        word: "WORLD",
        charsets: &["US-ASCII", "UTF-7"],
    },
    Script {
        text: "Grüße aus Köln",
        word: "KÖLN",
        charsets: &[
            "ISO-8859-1",
            "ISO-8859-2",
            "ISO-8859-3",
            "ISO-8859-4",
            "ISO-8859-9",
            "ISO-8859-10",
            "ISO-8859-13",
            "ISO-8859-14",
            "ISO-8859-15",
            "ISO-8859-16",
            "WINDOWS-1250",
            "WINDOWS-1252",
            "WINDOWS-1254",
            "WINDOWS-1257",
            "IBM437",
            "IBM850",
            "IBM852",
            "IBM857",
            "IBM861",
            "IBM865",
            "UTF-7",
        ],
    },
    Script {
        text: "Olá coração",
        word: "CORAÇÃO",
        charsets: &["IBM860", "ISO-8859-1"],
    },
    Script {
        text: "Ça été très bien",
        word: "ÉTÉ",
        charsets: &["IBM863", "ISO-8859-1"],
    },
    Script {
        text: "Labas pasauli ąčęėįšųūž",
        word: "ĄČĘĖĮŠŲŪŽ",
        charsets: &["ISO-8859-4", "ISO-8859-13", "WINDOWS-1257", "IBM775"],
    },
    Script {
        text: "Merhaba dünya ğış",
        word: "DÜNYA",
        charsets: &["ISO-8859-9", "WINDOWS-1254", "IBM857"],
    },
    Script {
        text: "Привет мир",
        word: "МИР",
        charsets: &[
            "KOI8-R",
            "KOI8-U",
            "KOI8-RU",
            "ISO-8859-5",
            "WINDOWS-1251",
            "IBM855",
            "IBM866",
        ],
    },
    Script {
        text: "Καλημέρα κόσμε",
        word: "ΚΟΣΜΕ",
        charsets: &["ISO-8859-7", "WINDOWS-1253", "IBM869"],
    },
    Script {
        // IBM737 has no accented capitals; the folded search ignores accents anyway.
        text: "Γεια σου κοσμε",
        word: "ΚΟΣΜΕ",
        charsets: &["IBM737"],
    },
    Script {
        text: "שלום עולם",
        word: "עולם",
        charsets: &["ISO-8859-8", "WINDOWS-1255", "IBM862"],
    },
    Script {
        text: "مرحبا بالعالم",
        word: "بالعالم",
        charsets: &["ISO-8859-6", "WINDOWS-1256"],
    },
    Script {
        text: "สวัสดีชาวโลก",
        word: "ชาวโลก",
        charsets: &["TIS-620", "ISO-8859-11", "WINDOWS-874", "IBM874"],
    },
    Script {
        text: "Tiếng Việt",
        word: "VIỆT",
        charsets: &["VISCII", "WINDOWS-1258"],
    },
    Script {
        text: "日本語のテキスト",
        word: "テキスト",
        charsets: &[
            "ISO-2022-JP",
            "ISO-2022-JP-1",
            "ISO-2022-JP-2",
            "EUC-JP",
            "SHIFT_JIS",
            "SHIFT-JIS",
        ],
    },
    Script {
        // JIS X 0212 (鷗 is not in JIS X 0208).
        text: "森鷗外の作品",
        word: "鷗外",
        charsets: &["EUC-JP", "ISO-2022-JP-1", "ISO-2022-JP-2"],
    },
    Script {
        // Hankaku katakana: NFKD makes them the full-width ones.
        text: "ﾃﾞｰﾀﾍﾞｰｽ",
        word: "データベース",
        charsets: &["EUC-JP", "SHIFT_JIS"],
    },
    Script {
        text: "안녕하세요 세계",
        word: "세계",
        charsets: &[
            "ISO-2022-KR",
            "EUC-KR",
            "KS_C_5601-1987",
            "KS_C_5601-1992",
            "WINDOWS-949",
        ],
    },
    Script {
        text: "中文测试简体",
        word: "测试简体",
        charsets: &[
            "GB2312",
            "CN-GB",
            "GBK",
            "WINDOWS-936",
            "ISO-2022-CN",
            "ISO-2022-CN-EXT",
        ],
    },
    Script {
        text: "中文測試繁體",
        word: "測試繁體",
        charsets: &[
            "BIG5",
            "CN-BIG5",
            "ISO-2022-CN",
            "ISO-2022-CN-EXT",
            "CN-GB-12345",
        ],
    },
];

/// `text` in `charset`, made by the system's converters.
fn encode(charset: &str, text: &str) -> Vec<u8> {
    match charset {
        "ISO-2022-JP-1" => python(text, "iso2022_jp_1"),
        // glibc has no IBM737.
        "IBM737" => python(text, "cp737"),
        "UTF-7" => python(text, "utf-7"),
        // Perl's Encode has GB 12345 as 94x94 codes; CN-GB-12345 is their EUC form.
        "CN-GB-12345" => {
            let raw = converter(
                Command::new("perl").args([
                    "-MEncode",
                    "-e",
                    "binmode STDOUT; local $/; print encode('gb12345-raw', decode('UTF-8', <STDIN>))",
                ]),
                text,
            );
            raw.into_iter().map(|b| b | 0x80).collect()
        }
        _ => {
            let name = match charset {
                "CN-GB" => "GB2312",
                "CN-BIG5" => "BIG5",
                "SHIFT-JIS" => "SHIFT_JIS",
                "KOI8-RU" => "KOI8-U",
                "KS_C_5601-1987" | "KS_C_5601-1992" => "EUC-KR",
                n => n,
            }
            .replace("WINDOWS-", "CP");
            converter(
                Command::new("iconv").args(["-f", "UTF-8", "-t", &name]),
                text,
            )
        }
    }
}

fn python(text: &str, codec: &str) -> Vec<u8> {
    converter(
        Command::new("python3").args([
            "-c",
            &format!(
                "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode('utf-8').encode('{codec}'))"
            ),
        ]),
        text,
    )
}

fn converter(cmd: &mut Command, text: &str) -> Vec<u8> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the system converters (iconv, python3, perl) are needed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd:?} could not convert {text:?}");
    assert!(!out.stdout.is_empty());
    out.stdout
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A message in `charset`: the text as an encoded-word Subject and as a base64 body.
fn message(charset: &str, text: &str) -> Vec<u8> {
    let enc = encode(charset, text);
    format!(
        "From: someone@example.org\r\nSubject: =?{charset}?B?{}?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=\"{charset}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        b64(&enc),
        b64(&[b"Text: ".as_slice(), &enc].concat()),
    )
    .into_bytes()
}

/// Runs `input`, returns the output.
fn run(s: &mut ImapSession, input: &[u8]) -> String {
    s.receive(input);
    let mut out = Vec::new();
    while let Some(Reply { bytes, .. }) = s.step() {
        out.extend_from_slice(&bytes);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The numbers of the `* SEARCH` line in `out`.
fn found(out: &str) -> BTreeSet<u32> {
    let line = out
        .lines()
        .find(|l| l.starts_with("* SEARCH"))
        .unwrap_or_else(|| panic!("no SEARCH answer in {out:?}"));
    line["* SEARCH".len()..]
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect()
}

/// `SEARCH CHARSET charset key {literal}` as bytes.
fn search(tag: &str, charset: &str, key: &str, needle: &[u8]) -> Vec<u8> {
    let mut cmd = format!(
        "{tag} SEARCH CHARSET {charset} {key} {{{}+}}\r\n",
        needle.len()
    )
    .into_bytes();
    cmd.extend_from_slice(needle);
    cmd.extend_from_slice(b"\r\n");
    cmd
}

#[test]
fn search_finds_the_same_words_in_every_charset() {
    let f = fixture();
    // Messages 13.. : per script, one in UTF-8, then one per charset.
    let mut msgs = Vec::new();
    let mut expect: Vec<BTreeSet<u32>> = Vec::new();
    let mut next = 13u32;
    for s in SCRIPTS {
        let mut set = BTreeSet::new();
        for cs in std::iter::once(&"UTF-8").chain(s.charsets) {
            msgs.push(AppendMessage {
                data: message(cs, s.text),
                flags: Flags::EMPTY,
                keywords: Vec::new(),
                date: None,
            });
            set.insert(next);
            next += 1;
        }
        expect.push(set);
    }
    // Scripts that share words find each other's messages.
    let mut wanted: Vec<BTreeSet<u32>> = Vec::new();
    for (i, s) in SCRIPTS.iter().enumerate() {
        let mut all = BTreeSet::new();
        for (j, t) in SCRIPTS.iter().enumerate() {
            if fold(t.text).contains(&fold(s.word)) {
                all.extend(&expect[j]);
            }
        }
        assert!(all.is_superset(&expect[i]));
        wanted.push(all);
    }
    f.store
        .append("INBOX", &mut msgs.into_iter().map(Ok))
        .unwrap();

    let mut sess = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    sess.greeting();
    run(&mut sess, b"a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    let mut failures = Vec::new();
    for (i, s) in SCRIPTS.iter().enumerate() {
        for cs in std::iter::once(&"UTF-8").chain(s.charsets) {
            let needle = encode(cs, s.word);
            for key in ["SUBJECT", "BODY", "TEXT"] {
                let out = run(&mut sess, &search("s", cs, key, &needle));
                if !out.contains("s OK") || found(&out) != wanted[i] {
                    failures.push(format!(
                        "{cs} {key} {:?}: wanted {:?}, got {out:?}",
                        s.word, wanted[i]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Case and accents folded, as the server compares (the test's own rough version, to
/// know which scripts share words).
fn fold(s: &str) -> String {
    rfc822::text::casemap(s)
}

#[test]
fn unknown_charset_lists_the_known_ones() {
    let f = fixture();
    let mut sess = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    sess.greeting();
    run(&mut sess, b"a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    let out = run(&mut sess, b"c SEARCH CHARSET X-NOSUCH TEXT x\r\n");
    let line = out.lines().next().unwrap();
    assert!(line.starts_with("c NO [BADCHARSET ("), "{out}");
    for cs in SCRIPTS
        .iter()
        .flat_map(|s| s.charsets)
        .chain(&["UTF-8", "US-ASCII"])
    {
        assert!(
            rfc822::text::Charset::from_name(cs.as_bytes()).is_some(),
            "{cs} unknown"
        );
    }
    for cs in [
        "UTF-8",
        "US-ASCII",
        "ISO-8859-1",
        "KOI8-R",
        "ISO-2022-JP",
        "VISCII",
    ] {
        assert!(
            line.split(['(', ')', ' ']).any(|w| w == cs),
            "{cs} missing in {line}"
        );
    }
    let out = run(&mut sess, b"d SORT (SUBJECT) X-NOSUCH ALL\r\n");
    assert!(out.starts_with("d NO [BADCHARSET ("), "{out}");
}

#[test]
fn rfc2231_parameter_values_are_searched_decoded() {
    let f = fixture();
    let msg = b"From: a@example.org\r\nSubject: rates\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\r\nsee attachment\r\n--b\r\n\
Content-Type: application/octet-stream; name*0*=iso-8859-1''K%F6ln%20;\r\n name*1=\"notes.bin\"\r\n\
Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nAAAA\r\n--b--\r\n";
    f.store
        .append(
            "INBOX",
            &mut std::iter::once(Ok(AppendMessage {
                data: msg.to_vec(),
                flags: Flags::EMPTY,
                keywords: Vec::new(),
                date: None,
            })),
        )
        .unwrap();
    let mut sess = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    sess.greeting();
    run(&mut sess, b"a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    for (key, needle, hit) in [
        ("TEXT", "€ RATES", true),
        // BODY is the parts' text, not their MIME headers (as c-client).
        ("BODY", "€ rates.txt", false),
        ("TEXT", "köln notes", true),
        ("TEXT", "Köln notes.bin", true),
        ("TEXT", "%E2%82%AC", true),
        ("TEXT", "€ notes", false),
        // An ASCII word of a part's MIME header: TEXT yes, BODY no, as c-client.
        ("TEXT", "octet-stream", true),
        ("BODY", "octet-stream", false),
        ("BODY", "see attachment", true),
    ] {
        let out = run(&mut sess, &search("s", "UTF-8", key, needle.as_bytes()));
        assert_eq!(found(&out).contains(&13), hit, "{key} {needle}: {out}");
    }
}

/// Appends messages with these header lines to the fixture's INBOX (numbers 13 on).
fn append_headers(f: &common::Fixture, headers: &[&str]) {
    let msgs: Vec<_> = headers
        .iter()
        .map(|h| {
            Ok(AppendMessage {
                data: format!("From: a@example.org\r\n{h}\r\n\r\ntext\r\n").into_bytes(),
                flags: Flags::EMPTY,
                keywords: Vec::new(),
                date: Some(common::imap_date("01-Aug-1996 10:00:00 +0000")),
            })
        })
        .collect();
    f.store.append("INBOX", &mut msgs.into_iter()).unwrap();
}

#[test]
fn sort_and_thread_compare_decoded_subjects() {
    let f = fixture();
    append_headers(
        &f,
        &[
            "Subject: =?KOI8-R?B?8NLJ18XU?=",
            "Subject: Re: =?UTF-8?B?0J/RgNC40LLQtdGC?=",
            "Subject: =?ISO-8859-1?Q?=C9clair?=",
            "Subject: eclair b",
            "Subject: [list] apple",
            "Subject: _underscore",
            "Subject: Fwd: [list] =?ISO-8859-1?Q?=E9CLAIR?= (fwd)",
        ],
    );
    let mut sess = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    sess.greeting();
    run(&mut sess, b"a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    // Base subjects: ПРИВЕТ ПРИВЕТ ECLAIR "ECLAIR B" APPLE _UNDERSCORE ECLAIR; folded
    // keys in octet order, `_` after the letters (as c-client), ties by number.
    let out = run(&mut sess, b"c SORT (SUBJECT) UTF-8 13:*\r\n");
    assert!(out.starts_with("* SORT 17 15 19 16 18 13 14\r\n"), "{out}");
    let out = run(&mut sess, b"d SORT (REVERSE SUBJECT) UTF-8 13:*\r\n");
    assert!(out.starts_with("* SORT 13 14 18 16 15 19 17\r\n"), "{out}");
    // The search key in KOI8-R.
    let mut cmd = b"e SORT (SUBJECT) KOI8-R SUBJECT {6+}\r\n".to_vec();
    cmd.extend_from_slice(b"\xf0\xf2\xe9\xf7\xe5\xf4\r\n");
    let out = run(&mut sess, &cmd);
    assert!(out.starts_with("* SORT 13 14\r\n"), "{out}");
    let out = run(&mut sess, b"f THREAD ORDEREDSUBJECT UTF-8 13:*\r\n");
    assert!(
        out.starts_with("* THREAD (13 14)(15 19)(16)(17)(18)\r\n"),
        "{out}"
    );
    let out = run(&mut sess, b"g THREAD REFERENCES UTF-8 13:*\r\n");
    assert!(
        out.starts_with("* THREAD (13 14)(15 19)(16)(17)(18)\r\n"),
        "{out}"
    );
}

#[test]
fn envelope_and_bodystructure_keep_encoded_words() {
    let f = fixture();
    append_headers(
        &f,
        &[
            "Subject: =?KOI8-R?B?8NLJ18XU?=\r\nTo: =?ISO-8859-1?Q?K=F6ln?= <k@example.org>\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=koi8-r; name*=koi8-r''%F0%D2",
        ],
    );
    let mut sess = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    sess.greeting();
    run(&mut sess, b"a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    let out = run(&mut sess, b"c FETCH 13 (ENVELOPE BODYSTRUCTURE)\r\n");
    assert!(out.contains("\"=?KOI8-R?B?8NLJ18XU?=\""), "{out}");
    assert!(
        out.contains("((\"=?ISO-8859-1?Q?K=F6ln?=\" NIL \"k\" \"example.org\"))"),
        "{out}"
    );
    assert!(out.contains("\"NAME*\" \"koi8-r''%F0%D2\""), "{out}");
}

#[test]
fn body_leaves_out_mime_part_headers_on_plain_mail_too() {
    let f = fixture();
    append_headers(
        &f,
        &[
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
           Content-Type: text/x-plainpart\r\n\r\nhello there\r\n--b--",
        ],
    );
    let mut sess = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    sess.greeting();
    run(&mut sess, b"a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    for (key, needle, hit) in [
        ("TEXT", "x-plainpart", true),
        ("BODY", "x-plainpart", false),
        ("BODY", "hello there", true),
    ] {
        let out = run(&mut sess, &search("s", "UTF-8", key, needle.as_bytes()));
        assert_eq!(found(&out).contains(&13), hit, "{key} {needle}: {out}");
    }
}
