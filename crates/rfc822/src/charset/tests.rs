//! Known answers, robustness, and the oracle tests: glibc iconv, perl Encode and Python's
//! codecs, run at test time. A missing oracle program skips its test, except when
//! `CI=true`, where it fails.

use std::borrow::Cow;
use std::io::Write;
use std::process::{Command, Stdio};

use super::tables::{CnsPlane, Plane};
use super::*;

const FFFD: char = char::REPLACEMENT_CHARACTER;

// ---------------------------------------------------------------------------------------
// Names

#[test]
fn names_and_variants_agree() {
    assert_eq!(Charset::NAMES.len(), Charset::ALL.len());
    for (i, &c) in Charset::ALL.iter().enumerate() {
        assert_eq!(c.name(), Charset::NAMES[i]);
        assert_eq!(
            Charset::from_name(c.name().as_bytes()),
            Some(c),
            "{}",
            c.name()
        );
        assert_eq!(Charset::ALL.iter().filter(|&&d| d == c).count(), 1);
    }
}

#[test]
fn aliases() {
    use Charset as C;
    let cases: &[(&str, Charset)] = &[
        (" utf-8 ", C::Utf8),
        ("us-ascii", C::UsAscii),
        ("ANSI_X3.4-1968", C::UsAscii),
        ("UNICODE-1-1-UTF-7", C::Utf7),
        ("iso_8859-1:1987", C::Iso8859_1),
        ("ISO8859-1", C::Iso8859_1),
        ("iso-ir-100", C::Iso8859_1),
        ("l1", C::Iso8859_1),
        ("csISOLatin1", C::Iso8859_1),
        ("Latin-1", C::Iso8859_1),
        ("latin2", C::Iso8859_2),
        ("Latin-5", C::Iso8859_9),
        ("l6", C::Iso8859_10),
        ("Latin-7", C::Iso8859_13),
        ("latin8", C::Iso8859_14),
        ("Latin-9", C::Iso8859_15),
        ("Latin-10", C::Iso8859_16),
        ("ISO-8859-11", C::Iso8859_11),
        ("iso_8859-16:2001", C::Iso8859_16),
        ("Cyrillic", C::Iso8859_5),
        ("Arabic", C::Iso8859_6),
        ("Greek", C::Iso8859_7),
        ("Hebrew", C::Iso8859_8),
        ("Thai", C::Tis620),
        ("Vietnamese", C::Viscii),
        ("Japanese", C::Iso2022Jp),
        ("Korean", C::Iso2022Kr),
        ("Chinese", C::Gb2312),
        ("KOI8-RU", C::Koi8U),
        ("CN-GB", C::Gb2312),
        ("EUC-CN", C::Gb2312),
        ("CN-BIG5", C::Big5),
        ("BIG-5", C::Big5),
        ("SHIFT-JIS", C::ShiftJis),
        ("Shift_JIS", C::ShiftJis),
        ("KSC5601", C::KsC5601),
        ("KSC_5601", C::KsC5601),
        ("KS_C_5601-1987", C::KsC5601),
        ("ks_c_5601-1992", C::KsC5601),
        ("KS_C_5601-1997", C::KsC5601),
        ("X-WINDOWS-949", C::Windows949),
        ("CP949", C::Windows949),
        ("CP936", C::Gbk),
        ("WINDOWS-936", C::Windows936),
        ("CP874", C::Windows874),
        ("IBM874", C::Ibm874),
        ("cp1250", C::Windows1250),
        ("windows-1258", C::Windows1258),
        ("CP367", C::Ibm367),
        ("IBM437", C::Ibm437),
        ("437", C::Ibm437),
        ("cp737", C::Ibm737),
        ("CP775", C::Ibm775),
        ("csIBM855", C::Ibm855),
        ("866", C::Ibm866),
        ("cp869", C::Ibm869),
        ("UCS-2", C::Ucs2),
        ("ISO-10646-UCS-4", C::Ucs4),
        ("UTF-16", C::Utf16),
        ("utf-16le", C::Utf16Le),
    ];
    for &(name, want) in cases {
        assert_eq!(Charset::from_name(name.as_bytes()), Some(want), "{name}");
    }
    for bad in [
        "",
        "iso-8859-12",
        "iso-8859-0",
        "iso-8859-17",
        "iso-8859-01",
        "latin11",
        "l0",
        "cp1259",
        "ibm999",
        "windows-437",
        "x-unknown",
        "utf-9",
        "iso_8859-1:",
        "ks_c_5601-",
        "ks_c_5601-x",
        "\u{e9}",
        "iso-8859-1 x",
    ] {
        assert_eq!(Charset::from_name(bad.as_bytes()), None, "{bad:?}");
    }
    assert_eq!(Charset::from_name(&[b'a'; 1000]), None);
    assert_eq!(Charset::from_name(b"\xff"), None);
}

// ---------------------------------------------------------------------------------------
// Known answers

#[test]
fn borrows_ascii_and_utf8() {
    for &c in Charset::ALL {
        if matches!(
            c,
            Charset::Ucs2
                | Charset::Ucs4
                | Charset::Utf16
                | Charset::Utf16Be
                | Charset::Utf16Le
                | Charset::Viscii
        ) {
            continue;
        }
        let text = b"Subject: plain text, all ASCII\r\n";
        assert!(
            matches!(c.decode(text), Cow::Borrowed(s) if s.as_bytes() == text),
            "{}",
            c.name()
        );
    }
    assert!(matches!(
        Charset::Utf8.decode("é€".as_bytes()),
        Cow::Borrowed("é€")
    ));
    assert!(matches!(
        Charset::UsAscii.decode("é€".as_bytes()),
        Cow::Borrowed("é€")
    ));
    // VISCII puts letters at six C0 positions.
    assert!(matches!(
        Charset::Viscii.decode(b"abc"),
        Cow::Borrowed("abc")
    ));
    assert_eq!(Charset::Viscii.decode(b"\x02"), "\u{1EB2}");
}

#[test]
fn strict_iso_8859() {
    assert_eq!(
        Charset::Iso8859_1.decode(b"\x80\x9f\xa0\xe9\xff"),
        "\u{80}\u{9f}\u{a0}é\u{ff}"
    );
    assert_eq!(Charset::Windows1252.decode(b"\x80"), "€");
    assert_eq!(
        Charset::Iso8859_9.decode(b"\x80\xd0\xdd\xde\xf0\xfd\xfe\xe9"),
        "\u{80}ĞİŞğış\u{e9}"
    );
    assert_eq!(
        Charset::Iso8859_11.decode(b"\x85\xa0\xa1\xda\xdb\xdf\xfb\xfc"),
        "\u{85}\u{a0}กฺ\u{fffd}฿๛\u{fffd}"
    );
    assert_eq!(Charset::Tis620.decode(b"\x85\xa0\xa1"), "\u{fffd}\u{fffd}ก");
    assert_eq!(Charset::Iso8859_15.decode(b"\xa4\xbd"), "€œ");
    assert_eq!(Charset::UsAscii.decode(b"caf\xe9"), "café");
}

#[test]
fn utf7_rfc2152_examples() {
    let c = Charset::Utf7;
    assert_eq!(c.decode(b"A+ImIDkQ."), "A\u{2262}\u{391}.");
    assert_eq!(c.decode(b"Hi Mom -+Jjo--!"), "Hi Mom -\u{263a}-!");
    assert_eq!(c.decode(b"+ZeVnLIqe-"), "日本語");
    assert_eq!(c.decode(b"+ZeVnLIqe"), "日本語");
    assert_eq!(c.decode(b"1 +- 1 = 2"), "1 + 1 = 2");
    assert_eq!(c.decode(b"+2D3eAA-"), "\u{1F600}");
    // Malformed: a lone surrogate, bits that are not padding, an 8-bit byte, a bare '+'.
    assert_eq!(c.decode(b"+2D0-x"), "\u{fffd}x");
    assert_eq!(c.decode(b"+AGE"), "a");
    assert_eq!(c.decode(b"+AGF"), "a\u{fffd}");
    assert_eq!(c.decode(b"\xe9"), "\u{fffd}");
    assert_eq!(c.decode(b"a+"), "a");
}

#[test]
fn ucs_and_utf16() {
    assert_eq!(Charset::Utf16.decode(b"\xfe\xff\x00a\x00\xe9"), "aé");
    assert_eq!(Charset::Utf16.decode(b"\xff\xfea\x00\xe9\x00"), "aé");
    assert_eq!(
        Charset::Utf16.decode(b"\x00a\xd8\x3d\xde\x00"),
        "a\u{1F600}"
    );
    assert_eq!(Charset::Utf16.decode(b"\x00a\x00"), "a\u{fffd}");
    assert_eq!(Charset::Ucs2.decode(b"\x00a"), "a");
    assert_eq!(Charset::Utf16Le.decode(b"a\x00"), "a");
    assert_eq!(Charset::Utf16Be.decode(b"\xd8\x00"), "\u{fffd}");
    assert_eq!(
        Charset::Ucs4.decode(b"\x00\x00\x00a\x00\x01\xf6\x00"),
        "a\u{1F600}"
    );
    assert_eq!(Charset::Ucs4.decode(b"\xff\xfe\x00\x00a\x00\x00\x00"), "a");
    assert_eq!(
        Charset::Ucs4.decode(b"\x00\x11\x00\x00\x00\x00\xd8\x00\x00"),
        "\u{fffd}\u{fffd}\u{fffd}"
    );
}

#[test]
fn iso_2022_known_answers() {
    // RFC 1468's kind of text: "日本語" in JIS X 0208, then ASCII.
    assert_eq!(
        Charset::Iso2022Jp.decode(b"\x1b$BF|K\\8l\x1b(B ok"),
        "日本語 ok"
    );
    assert_eq!(
        Charset::Iso2022Jp.decode(b"\x1b(J\\~\x1b(I!2\x1b(B\\"),
        "¥‾｡ｲ\\"
    );
    // JIS X 0212 (ESC $ ( D): 0x2237 is U+FF5E in WHATWG's table, 0x3021 is 丂.
    assert_eq!(Charset::Iso2022Jp1.decode(b"\x1b$(D0!\x1b(B"), "丂");
    // JP-2: GB 2312, KS C 5601, Latin-1 and Greek by single shift.
    assert_eq!(
        Charset::Iso2022Jp2.decode(b"\x1b$A5K\x1b$(C0!\x1b(B"),
        "邓가"
    );
    assert_eq!(
        Charset::Iso2022Jp2.decode(b"\x1b.A\x1bNi\x1b.F\x1bNa!"),
        "éα!"
    );
    // RFC 1557: "ESC $ ) C" once, then SO/SI.
    assert_eq!(Charset::Iso2022Kr.decode(b"\x1b$)Ca\x0e0!\x0fb"), "a가b");
    assert_eq!(Charset::Iso2022Kr.decode(b"\x0e0!\x0f"), "가");
    // RFC 1922: designations end with the line.
    assert_eq!(
        Charset::Iso2022Cn.decode(b"\x1b$)A\x0e:C\x0f\n\x0e:C\x0f"),
        "好\n\u{fffd}\u{fffd}"
    );
    assert_eq!(Charset::Iso2022Cn.decode(b"\x1b$)G\x0eD!\x0f"), "一");
    assert_eq!(Charset::Iso2022Cn.decode(b"\x1b$*H\x1bN!!"), "乂");
    assert_eq!(Charset::Iso2022CnExt.decode(b"\x1b$+I\x1bO!!"), "\u{4E28}");
    // Malformed: 8-bit bytes, an unknown escape, a lone byte of a pair.
    assert_eq!(
        Charset::Iso2022Jp.decode(b"\xa4\x1b$Z\x1b$B0"),
        "\u{fffd}\u{fffd}$Z\u{fffd}"
    );
}

#[test]
fn gb12345_euc() {
    // GB 12345 is GB 2312 with traditional forms: 0x3021 is 啊 in both.
    assert_eq!(Charset::CnGb12345.decode(b"a\xb0\xa1\xff"), "a啊\u{fffd}");
    for plane in [Plane::Gb12345, Plane::IsoIr165]
        .into_iter()
        .chain((1..=7).filter_map(CnsPlane::new).map(Plane::Cns))
    {
        assert!(plane.is_complete(), "{plane:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Robustness

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Bytes biased towards what the decoders look at: escapes, shifts, lead bytes.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        const SPECIAL: &[u8] =
            b"\x1b\x0e\x0f\n$()*+.ABCDEGHIJMNO@&+-\x8e\x8f\xa1\xfe\xff\xfe\x00\xd8\xdc";
        (0..len)
            .map(|_| {
                let r = self.next();
                if r.is_multiple_of(3) {
                    SPECIAL[(r >> 8) as usize % SPECIAL.len()]
                } else {
                    (r >> 16) as u8
                }
            })
            .collect()
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        let input = rng.bytes(round * 7 % 600);
        for &c in Charset::ALL {
            let text = c.decode(&input);
            // Decoding is total and does not blow up: at most a few characters a byte.
            assert!(text.chars().count() <= input.len() + 1, "{}", c.name());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Oracles

/// Runs an oracle program on `input`; its standard output, or None when the program (or
/// one it needs: exit status 127) is missing outside CI. `strict_status`: whether a
/// failing exit status is an error (`iconv -c` exits 1 when it dropped something).
fn oracle(program: &str, args: &[&str], input: &[u8], strict_status: bool) -> Option<Vec<u8>> {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return missing(program),
        Err(e) => panic!("{program}: {e}"),
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("oracle output");
    writer.join().expect("writer");
    if out.status.code() == Some(127) {
        return missing(&format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if strict_status {
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(out.stdout)
}

/// An oracle is missing: a failure in CI (`CI=true`), else a skip.
fn missing(what: &str) -> Option<Vec<u8>> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "oracle missing, and CI=true: {what}"
    );
    eprintln!("skipped: oracle missing: {what}");
    None
}

/// Table `name` fresh from the generator's source: one entry per cell.
fn dump(name: &str) -> Option<Vec<Option<char>>> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/gen-charset-tables"
    );
    let out = oracle("python3", &[script, "--dump", name], b"", true)?;
    let text = String::from_utf8(out).expect("dump is ASCII");
    Some(
        text.lines()
            .map(|l| match l {
                "-" => None,
                hex => Some(
                    char::from_u32(u32::from_str_radix(hex, 16).expect("hex")).expect("scalar"),
                ),
            })
            .collect(),
    )
}

/// The single-byte charsets, with iconv's name for each.
const SINGLE_BYTE: &[(Charset, &str)] = &[
    (Charset::Iso8859_1, "ISO-8859-1"),
    (Charset::Iso8859_2, "ISO-8859-2"),
    (Charset::Iso8859_3, "ISO-8859-3"),
    (Charset::Iso8859_4, "ISO-8859-4"),
    (Charset::Iso8859_5, "ISO-8859-5"),
    (Charset::Iso8859_6, "ISO-8859-6"),
    (Charset::Iso8859_7, "ISO-8859-7"),
    (Charset::Iso8859_8, "ISO-8859-8"),
    (Charset::Iso8859_9, "ISO-8859-9"),
    (Charset::Iso8859_10, "ISO-8859-10"),
    (Charset::Iso8859_11, "ISO-8859-11"),
    (Charset::Iso8859_13, "ISO-8859-13"),
    (Charset::Iso8859_14, "ISO-8859-14"),
    (Charset::Iso8859_15, "ISO-8859-15"),
    (Charset::Iso8859_16, "ISO-8859-16"),
    (Charset::Koi8R, "KOI8-R"),
    (Charset::Koi8U, "KOI8-U"),
    (Charset::Tis620, "TIS-620"),
    (Charset::Viscii, "VISCII"),
    (Charset::Windows874, "WINDOWS-874"),
    (Charset::Windows1250, "WINDOWS-1250"),
    (Charset::Windows1251, "WINDOWS-1251"),
    (Charset::Windows1252, "WINDOWS-1252"),
    (Charset::Windows1253, "WINDOWS-1253"),
    (Charset::Windows1254, "WINDOWS-1254"),
    (Charset::Windows1255, "WINDOWS-1255"),
    (Charset::Windows1256, "WINDOWS-1256"),
    (Charset::Windows1257, "WINDOWS-1257"),
    (Charset::Windows1258, "WINDOWS-1258"),
    (Charset::Ibm437, "IBM437"),
    (Charset::Ibm737, "CP737"),
    (Charset::Ibm775, "IBM775"),
    (Charset::Ibm850, "IBM850"),
    (Charset::Ibm852, "IBM852"),
    (Charset::Ibm855, "IBM855"),
    (Charset::Ibm857, "IBM857"),
    (Charset::Ibm860, "IBM860"),
    (Charset::Ibm861, "IBM861"),
    (Charset::Ibm862, "IBM862"),
    (Charset::Ibm863, "IBM863"),
    (Charset::Ibm864, "IBM864"),
    (Charset::Ibm865, "IBM865"),
    (Charset::Ibm866, "IBM866"),
    (Charset::Ibm869, "IBM869"),
    (Charset::Ibm874, "IBM874"),
];

/// Where we knowingly differ from glibc, and why.
const SINGLE_BYTE_DEPARTURES: &[(Charset, u8, char)] = &[
    // WHATWG's KOI8-U is KOI8-RU: Ў and ў where KOI8-U has box drawing.
    (Charset::Koi8U, 0xAE, 'ў'),
    (Charset::Koi8U, 0xBE, 'Ў'),
];

#[test]
fn single_byte_tables_match_iconv() {
    for &(charset, iconv) in SINGLE_BYTE {
        let Some(cells) = dump(iconv) else { return };
        assert_eq!(cells.len(), 256, "{iconv}");
        let in_house = !matches!(charset.engine(), Engine::Whatwg(_));
        for (b, want) in (0..=255u8).zip(cells) {
            let got: Vec<char> = charset.decode(&[b]).chars().collect();
            let want = match want {
                Some(c) => c,
                // iconv has no character here: ours must say so too, unless encoding_rs
                // decodes it (WHATWG fills some holes with C1 controls or best fits).
                None if in_house => FFFD,
                None => continue,
            };
            if let Some(&(_, _, ours)) = SINGLE_BYTE_DEPARTURES
                .iter()
                .find(|&&(c, byte, _)| c == charset && byte == b)
            {
                assert_eq!(got, [ours], "{iconv} {b:02X}");
                continue;
            }
            assert_eq!(got, [want], "{iconv} byte {b:02X}");
        }
    }
}

/// The bytes that put cell (hi, lo) of `plane` through our decoder, and the charset.
fn cell_bytes(plane: Plane, hi: u8, lo: u8) -> (Charset, Vec<u8>) {
    let g1 = |f: &[u8]| [b"\x1b$)".as_slice(), f, b"\x0e", &[hi, lo], b"\x0f"].concat();
    match plane {
        Plane::Gb12345 => (Charset::CnGb12345, vec![hi | 0x80, lo | 0x80]),
        Plane::IsoIr165 => (Charset::Iso2022CnExt, g1(b"E")),
        Plane::Cns(p) if p == CnsPlane::new(1).expect("1") => (Charset::Iso2022Cn, g1(b"G")),
        Plane::Cns(p) if p == CnsPlane::new(2).expect("2") => (
            Charset::Iso2022Cn,
            vec![0x1b, b'$', b'*', b'H', 0x1b, b'N', hi, lo],
        ),
        Plane::Cns(p) => {
            let n = (3..=7).find(|&n| CnsPlane::new(n) == Some(p)).expect("3-7");
            (
                Charset::Iso2022CnExt,
                vec![0x1b, b'$', b'+', b'I' + n - 3, 0x1b, b'O', hi, lo],
            )
        }
    }
}

#[test]
fn tables_94x94_match_their_sources() {
    let planes = [("gb12345", Plane::Gb12345), ("iso-ir-165", Plane::IsoIr165)]
        .into_iter()
        .chain((1..=7).filter_map(|n| {
            Some((
                [
                    "",
                    "cns11643-1",
                    "cns11643-2",
                    "cns11643-3",
                    "cns11643-4",
                    "cns11643-5",
                    "cns11643-6",
                    "cns11643-7",
                ][usize::from(n)],
                Plane::Cns(CnsPlane::new(n)?),
            ))
        }));
    for (name, plane) in planes {
        let Some(cells) = dump(name) else { return };
        assert_eq!(cells.len(), 94 * 94, "{name}");
        let mut defined = 0;
        for (i, want) in cells.into_iter().enumerate() {
            let (hi, lo) = (0x21 + (i / 94) as u8, 0x21 + (i % 94) as u8);
            let (charset, bytes) = cell_bytes(plane, hi, lo);
            let got: Vec<char> = charset.decode(&bytes).chars().collect();
            defined += usize::from(want.is_some());
            assert_eq!(got, [want.unwrap_or(FFFD)], "{name} {hi:02X}{lo:02X}");
        }
        assert!(defined > 5000, "{name}: {defined} characters");
    }
}

/// Every character of the main 94x94 sets (KS X 1001, GB 2312, JIS X 0208 and 0212, CNS
/// 11643 planes 1–7, ISO-IR-165), Latin-1 and Greek.
fn repertoire() -> Vec<char> {
    let mut chars: Vec<char> = Vec::new();
    let mut euc =
        |encoding: &'static Encoding, prefix: &[u8], rows: std::ops::RangeInclusive<u8>| {
            for hi in rows {
                for lo in 0xA1..=0xFE {
                    let bytes = [prefix, &[hi, lo]].concat();
                    let (text, bad) = encoding.decode_without_bom_handling(&bytes);
                    if !bad {
                        chars.extend(text.chars());
                    }
                }
            }
        };
    euc(encoding_rs::EUC_KR, b"", 0xA1..=0xFE);
    euc(encoding_rs::GBK, b"", 0xA1..=0xF7);
    euc(encoding_rs::EUC_JP, b"", 0xA1..=0xF4);
    euc(encoding_rs::EUC_JP, b"\x8f", 0xA1..=0xED);
    for plane in (1..=7)
        .filter_map(CnsPlane::new)
        .map(Plane::Cns)
        .chain([Plane::IsoIr165])
    {
        for hi in 0x21..=0x7E {
            for lo in 0x21..=0x7E {
                chars.extend(plane.cell(hi, lo));
            }
        }
    }
    chars.extend((0xA0..=0xFF).filter_map(char::from_u32));
    chars.extend((0x391..=0x3C9).filter_map(char::from_u32));
    chars
}

/// `chars` in numbered lines of 40.
fn lines(chars: &[char]) -> String {
    let mut text = String::new();
    for (i, line) in chars.chunks(40).enumerate() {
        text.push_str(&format!("line {i}: "));
        text.extend(line);
        text.push('\n');
    }
    text
}

/// Checks that we decode what iconv encodes to the text it was given.
///
/// First each character goes on a line of its own through `iconv -c`, which drops those
/// the charset lacks, and back through iconv's decoder, which gives what each should
/// decode to (usually itself); we must decode that text as iconv does. Then the characters
/// kept go through iconv in lines of 40, and we must decode the result to the same
/// characters. (glibc's ISO-2022-CN decoder cannot read back what its encoder writes when
/// G1 changes sets after SO, so it is the oracle for single characters only.)
fn check_against_iconv(charset: Charset, iconv: &str, chars: &[char], departures: &[(char, char)]) {
    let one_a_line: String = chars.iter().flat_map(|&c| [c, '\n']).collect();
    let Some(bytes) = oracle(
        "iconv",
        &["-c", "-f", "UTF-8", "-t", iconv],
        one_a_line.as_bytes(),
        false,
    ) else {
        return;
    };
    // glibc's ISO-2022-CN(-EXT) encoder sometimes doubles a single shift, which its
    // decoder then refuses; we read it as one.
    let mut undoubled = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match bytes.get(i..i + 4) {
            Some([0x1b, n @ (b'N' | b'O'), 0x1b, m]) if n == m => i += 2,
            _ => {
                undoubled.push(b);
                i += 1;
            }
        }
    }
    let Some(want) = oracle("iconv", &["-f", iconv, "-t", "UTF-8"], &undoubled, true) else {
        return;
    };
    let want = String::from_utf8(want).expect("iconv writes UTF-8");
    assert_same(
        &charset.decode(&bytes),
        &want,
        &format!("{iconv}, one a line"),
        departures,
    );
    let decoded: Vec<&str> = want.split('\n').collect();
    assert!(decoded.len() > chars.len(), "{iconv}: lines lost");
    let kept: Vec<(char, &str)> = chars
        .iter()
        .zip(decoded)
        .filter(|(_, d)| !d.is_empty())
        .map(|(&c, d)| (c, d))
        .collect();
    assert!(
        kept.len() > chars.len() / 20,
        "{iconv}: iconv encoded little"
    );
    // Characters apart, since glibc's ISO-2022-CN encoder treats the single shift as if it
    // locked, and forgets SO after a change of G1 (it writes "ESC N 8+ (u" for two
    // characters of plane 2).
    let mut text = String::new();
    let mut want = String::new();
    for (i, line) in kept.chunks(40).enumerate() {
        text.push_str(&format!("line {i}:"));
        want.push_str(&format!("line {i}:"));
        for &(c, d) in line {
            text.push(' ');
            text.push(c);
            want.push(' ');
            want.push_str(d);
        }
        text.push('\n');
        want.push('\n');
    }
    let Some(bytes) = oracle(
        "iconv",
        &["-f", "UTF-8", "-t", iconv],
        text.as_bytes(),
        true,
    ) else {
        return;
    };
    assert_same(
        &charset.decode(&bytes),
        &want,
        &format!("{iconv}, lines"),
        departures,
    );
}

/// Encodes `chars` with a Python codec, then checks that we decode it as Python does.
fn check_against_python(
    charset: Charset,
    codec: &str,
    chars: &[char],
    departures: &[(char, char)],
) {
    let text = lines(chars);
    let script = format!(
        "import sys\n\
         t = sys.stdin.buffer.read().decode('utf-8')\n\
         b = t.encode('{codec}', 'ignore')\n\
         d = b.decode('{codec}')\n\
         sys.stdout.buffer.write(len(b).to_bytes(8, 'big') + b + d.encode('utf-8'))\n"
    );
    let Some(out) = oracle("python3", &["-c", &script], text.as_bytes(), true) else {
        return;
    };
    let (len, rest) = out.split_at(8);
    let len = usize::try_from(u64::from_be_bytes(len.try_into().expect("8"))).expect("len");
    let (bytes, want) = rest.split_at(len);
    assert!(
        bytes.len() > text.len() / 20,
        "{codec}: Python encoded little"
    );
    let want = std::str::from_utf8(want).expect("UTF-8");
    assert_same(&charset.decode(bytes), want, codec, departures);
}

/// Equal texts, but for `departures` (the oracle's character, ours: either may stand at
/// a place); else a message that lists the characters that differ.
fn assert_same(got: &str, want: &str, what: &str, departures: &[(char, char)]) {
    let same = |(a, b): &(char, char)| a == b || departures.contains(&(*b, *a));
    if got.chars().count() == want.chars().count()
        && got.chars().zip(want.chars()).all(|p| same(&p))
    {
        return;
    }
    let mut diffs: Vec<(char, char)> = got.chars().zip(want.chars()).filter(|p| !same(p)).collect();
    diffs.sort_unstable();
    diffs.dedup();
    let at = got
        .chars()
        .zip(want.chars())
        .take_while(|p| same(p))
        .count();
    let near = |s: &str| {
        s.chars()
            .skip(at.saturating_sub(10))
            .take(30)
            .collect::<String>()
    };
    panic!(
        "{what}: differs at character {at}: ours {:?}, oracle {:?}; (ours, oracle): {:?}",
        near(got),
        near(want),
        &diffs[..diffs.len().min(40)]
    );
}

/// JIS X 0208 cells where WHATWG's table (Microsoft's) and glibc's (JIS's) differ: the
/// oracle's character, ours.
const JIS_DEPARTURES: &[(char, char)] = &[
    ('\u{2016}', '\u{2225}'),
    ('\u{A2}', '\u{FFE0}'),
    ('\u{A3}', '\u{FFE1}'),
    ('\u{AC}', '\u{FFE2}'),
];

#[test]
fn iso_2022_kr_against_iconv() {
    check_against_iconv(Charset::Iso2022Kr, "ISO-2022-KR", &repertoire(), &[]);
}

#[test]
fn iso_2022_cn_against_iconv() {
    check_against_iconv(Charset::Iso2022Cn, "ISO-2022-CN", &repertoire(), &[]);
}

#[test]
fn iso_2022_cn_ext_against_iconv() {
    check_against_iconv(Charset::Iso2022CnExt, "ISO-2022-CN-EXT", &repertoire(), &[]);
}

#[test]
fn iso_2022_jp_against_iconv() {
    let chars = repertoire();
    check_against_iconv(Charset::Iso2022Jp, "ISO-2022-JP", &chars, JIS_DEPARTURES);
    check_against_iconv(Charset::Iso2022Jp2, "ISO-2022-JP-2", &chars, JIS_DEPARTURES);
}

#[test]
fn iso_2022_jp_against_python() {
    let chars = repertoire();
    check_against_python(Charset::Iso2022Jp, "iso2022_jp", &chars, JIS_DEPARTURES);
    check_against_python(Charset::Iso2022Jp1, "iso2022_jp_1", &chars, JIS_DEPARTURES);
    check_against_python(Charset::Iso2022Jp2, "iso2022_jp_2", &chars, JIS_DEPARTURES);
    check_against_python(Charset::Iso2022Kr, "iso2022_kr", &chars, &[]);
}

#[test]
fn unicode_encodings_against_oracles() {
    let mut chars = repertoire();
    chars.extend("\u{1F600}\u{10FFFF}+-+ +x~\\".chars());
    check_against_iconv(Charset::Utf7, "UTF-7", &chars, &[]);
    check_against_python(Charset::Utf7, "utf-7", &chars, &[]);
    check_against_iconv(Charset::Utf16, "UTF-16", &chars, &[]);
    check_against_iconv(Charset::Utf16Be, "UTF-16BE", &chars, &[]);
    check_against_iconv(Charset::Utf16Le, "UTF-16LE", &chars, &[]);
    check_against_iconv(Charset::Ucs2, "UCS-2BE", &chars, &[]);
    check_against_iconv(Charset::Ucs4, "UCS-4", &chars, &[]);
    check_against_iconv(Charset::Ucs4, "UCS-4BE", &chars, &[]);
}

#[test]
fn multibyte_whatwg_against_iconv() {
    let chars = repertoire();
    check_against_iconv(Charset::EucJp, "EUC-JP", &chars, JIS_DEPARTURES);
    // glibc's Shift_JIS has JIS X 0201 Roman (¥, ‾) where WHATWG's has ASCII.
    let sjis = [JIS_DEPARTURES, &[('\u{A5}', '\\'), ('\u{203E}', '~')]].concat();
    check_against_iconv(Charset::ShiftJis, "SHIFT_JIS", &chars, &sjis);
    check_against_iconv(Charset::EucKr, "EUC-KR", &chars, &[]);
    // GBK's middle dot and dash where GB 2312 has U+30FB and U+2015 (the ISO-2022-CN
    // decoder uses GB 2312's; EUC-CN is read as GBK).
    let gb = [('\u{30FB}', '\u{B7}'), ('\u{2015}', '\u{2014}')];
    check_against_iconv(Charset::Gb2312, "GB2312", &chars, &gb);
    check_against_iconv(Charset::Gbk, "GBK", &chars, &[]);
    check_against_iconv(Charset::Big5, "BIG5", &chars, &[]);
}
