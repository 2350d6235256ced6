//! Charset names and aliases.
//!
//! Sources: c-client's `utf8_csvalid` table (canonical names and its aliases such as
//! `KOI8-RU`, `CN-GB`, `BIG-5`, `KSC_5601`, `X-WINDOWS-949`, `UNICODE-1-1-UTF-7`), the IANA
//! character-set registry (`iso_8859-1:1987`, `iso-ir-100`, `l1`, `csISOLatin1`, `cp367`,
//! `850`, `csIBM855`, …), and the language names of c-client's script table (`Latin-1` …
//! `Latin-10` as ISO 8859 parts, `Cyrillic`, `Greek`, …).

use super::Charset;

/// The longest name looked at; longer ones are unknown.
const MAX_NAME: usize = 64;

/// The charset named `name` (ASCII case ignored, surrounding white space trimmed).
pub(super) fn lookup(name: &[u8]) -> Option<Charset> {
    let name = name.trim_ascii();
    if name.is_empty() || name.len() > MAX_NAME || !name.is_ascii() {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let n = std::str::from_utf8(&lower).ok()?;
    fixed(n)
        .or_else(|| iso8859(n))
        .or_else(|| latin(n))
        .or_else(|| code_page(n))
}

/// Names that are not of a numbered family.
fn fixed(n: &str) -> Option<Charset> {
    use Charset as C;
    Some(match n {
        "us-ascii" | "ascii" | "us" | "ansi_x3.4-1968" | "ansi_x3.4-1986" | "iso646-us"
        | "iso_646.irv:1991" | "iso-ir-6" | "csascii" | "646" => C::UsAscii,
        "utf-8" | "utf8" | "unicode-1-1-utf-8" | "csutf8" => C::Utf8,
        "utf-7" | "utf7" | "unicode-1-1-utf-7" | "csunicode11utf7" | "csutf7" => C::Utf7,
        "koi8-r" | "koi8r" | "cskoi8r" | "koi8" => C::Koi8R,
        "koi8-u" | "koi8u" | "koi8-ru" | "cskoi8u" | "ukrainian" => C::Koi8U,
        "tis-620" | "tis620" | "tis620-0" | "tis620.2529-1" | "tis620.2533-0" | "iso-ir-166"
        | "cstis620" | "thai" => C::Tis620,
        "viscii" | "csviscii" | "viscii1.1-1" | "vietnamese" => C::Viscii,
        "gbk" | "cp936" | "ms936" | "x-gbk" | "csgbk" => C::Gbk,
        "windows-936" | "x-windows-936" => C::Windows936,
        "gb2312" | "cn-gb" | "euc-cn" | "euccn" | "x-euc-cn" | "csgb2312" | "chinese"
        | "gb_2312-80" | "iso-ir-58" | "csiso58gb231280" => C::Gb2312,
        "iso-2022-cn" | "csiso2022cn" => C::Iso2022Cn,
        "iso-2022-cn-ext" | "csiso2022cnext" => C::Iso2022CnExt,
        "cn-gb-12345" | "gb12345" | "gb_12345" => C::CnGb12345,
        "big5" | "big-5" | "cn-big5" | "csbig5" | "x-x-big5" | "big5-hkscs" | "cp950" => C::Big5,
        "iso-2022-jp" | "csiso2022jp" | "japanese" => C::Iso2022Jp,
        "iso-2022-jp-1" => C::Iso2022Jp1,
        "iso-2022-jp-2" | "csiso2022jp2" => C::Iso2022Jp2,
        "euc-jp"
        | "eucjp"
        | "x-euc-jp"
        | "cseucpkdfmtjapanese"
        | "extended_unix_code_packed_format_for_japanese" => C::EucJp,
        "shift_jis" | "shift-jis" | "sjis" | "x-sjis" | "ms_kanji" | "csshiftjis"
        | "windows-31j" | "cswindows31j" | "cp932" | "ms932" => C::ShiftJis,
        "iso-2022-kr" | "csiso2022kr" | "korean" => C::Iso2022Kr,
        "euc-kr" | "euckr" | "cseuckr" => C::EucKr,
        "ksc5601" | "ksc_5601" | "ks_c_5601" | "iso-ir-149" | "csksc56011987" | "ks_x_1001" => {
            C::KsC5601
        }
        "windows-949" | "x-windows-949" | "cp949" | "uhc" => C::Windows949,
        "ucs-2" | "iso-10646-ucs-2" | "csunicode" => C::Ucs2,
        "ucs-4" | "iso-10646-ucs-4" | "csucs4" | "utf-32" => C::Ucs4,
        "utf-16" | "utf16" | "csutf16" => C::Utf16,
        "utf-16be" | "csutf16be" => C::Utf16Be,
        "utf-16le" | "csutf16le" => C::Utf16Le,
        "cyrillic" | "csisolatincyrillic" => C::Iso8859_5,
        "arabic" | "ecma-114" | "asmo-708" | "csisolatinarabic" => C::Iso8859_6,
        "greek" | "greek8" | "ecma-118" | "elot_928" | "csisolatingreek" => C::Iso8859_7,
        "hebrew" | "csisolatinhebrew" => C::Iso8859_8,
        "iso-celtic" => C::Iso8859_14,
        _ => {
            // KS_C_5601-1987, -1989, -1992, -1997, …
            let year = n.strip_prefix("ks_c_5601-")?;
            if !year.is_empty() && year.bytes().all(|b| b.is_ascii_digit()) {
                C::KsC5601
            } else {
                return None;
            }
        }
    })
}

/// `iso-8859-N`, `iso8859-N`, `iso_8859-N`, `iso8859N`, `iso_8859-N:YYYY`, and the
/// registered `iso-ir-NNN` numbers.
fn iso8859(n: &str) -> Option<Charset> {
    if let Some(ir) = n.strip_prefix("iso-ir-") {
        return part(match ir {
            "100" => 1,
            "101" => 2,
            "109" => 3,
            "110" => 4,
            "144" => 5,
            "127" => 6,
            "126" => 7,
            "138" => 8,
            "148" => 9,
            "157" => 10,
            "179" => 13,
            "199" => 14,
            "203" => 15,
            "226" => 16,
            _ => return None,
        });
    }
    let rest = [
        "iso-8859-",
        "iso_8859-",
        "iso8859-",
        "iso8859_",
        "iso_8859_",
        "iso8859",
    ]
    .iter()
    .find_map(|p| n.strip_prefix(p))?;
    // "iso_8859-1:1987": the year does not matter.
    let number = match rest.split_once(':') {
        Some((number, year)) if !year.is_empty() && year.bytes().all(|b| b.is_ascii_digit()) => {
            number
        }
        Some(_) => return None,
        None => rest,
    };
    part(small_number(number)?)
}

/// `latinN`, `latin-N`, `lN`, `csisolatinN`: Latin alphabet number N.
fn latin(n: &str) -> Option<Charset> {
    let number = n
        .strip_prefix("latin-")
        .or_else(|| n.strip_prefix("latin"))
        .or_else(|| n.strip_prefix("csisolatin"))
        .or_else(|| n.strip_prefix('l'))?;
    part(match small_number(number)? {
        p @ 1..=4 => p,
        5 => 9,
        6 => 10,
        7 => 13,
        8 => 14,
        9 => 15,
        10 => 16,
        _ => return None,
    })
}

/// `windows-NNNN`, `cpNNNN`, `x-cpNNNN`, `ibmNNN`, `csibmNNN`, `cspcNNN`, `NNN`.
fn code_page(n: &str) -> Option<Charset> {
    use Charset as C;
    let (family, number) = if let Some(num) = n.strip_prefix("windows-") {
        ("windows", num)
    } else if let Some(num) = n.strip_prefix("x-cp").or_else(|| n.strip_prefix("cp")) {
        ("cp", num.strip_prefix('-').unwrap_or(num))
    } else if let Some(num) = n.strip_prefix("csibm").or_else(|| n.strip_prefix("ibm")) {
        ("ibm", num.strip_prefix('-').unwrap_or(num))
    } else if let Some(num) = n.strip_prefix("cspc") {
        ("ibm", num)
    } else {
        ("ibm", n)
    };
    if number.is_empty() || number.len() > 4 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let windows = match number {
        "874" => Some(C::Windows874),
        "936" => Some(C::Windows936),
        "949" => Some(C::Windows949),
        "1250" => Some(C::Windows1250),
        "1251" => Some(C::Windows1251),
        "1252" => Some(C::Windows1252),
        "1253" => Some(C::Windows1253),
        "1254" => Some(C::Windows1254),
        "1255" => Some(C::Windows1255),
        "1256" => Some(C::Windows1256),
        "1257" => Some(C::Windows1257),
        "1258" => Some(C::Windows1258),
        _ => None,
    };
    let ibm = match number {
        "367" => Some(C::Ibm367),
        "437" => Some(C::Ibm437),
        "737" => Some(C::Ibm737),
        "775" => Some(C::Ibm775),
        "850" => Some(C::Ibm850),
        "852" => Some(C::Ibm852),
        "855" => Some(C::Ibm855),
        "857" => Some(C::Ibm857),
        "860" => Some(C::Ibm860),
        "861" => Some(C::Ibm861),
        "862" => Some(C::Ibm862),
        "863" => Some(C::Ibm863),
        "864" => Some(C::Ibm864),
        "865" => Some(C::Ibm865),
        "866" => Some(C::Ibm866),
        "869" => Some(C::Ibm869),
        "874" => Some(C::Ibm874),
        _ => None,
    };
    match family {
        "windows" => windows,
        // CP874, CP936 and CP949 are Microsoft's (c-client: CP874 is WINDOWS-874).
        "cp" => windows.or(ibm),
        _ => ibm,
    }
}

/// ISO 8859 part `p`, if it exists (there is no part 12).
fn part(p: u8) -> Option<Charset> {
    use Charset as C;
    Some(match p {
        1 => C::Iso8859_1,
        2 => C::Iso8859_2,
        3 => C::Iso8859_3,
        4 => C::Iso8859_4,
        5 => C::Iso8859_5,
        6 => C::Iso8859_6,
        7 => C::Iso8859_7,
        8 => C::Iso8859_8,
        9 => C::Iso8859_9,
        10 => C::Iso8859_10,
        11 => C::Iso8859_11,
        13 => C::Iso8859_13,
        14 => C::Iso8859_14,
        15 => C::Iso8859_15,
        16 => C::Iso8859_16,
        _ => return None,
    })
}

/// A decimal number of one or two digits, no leading zero.
fn small_number(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 2 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
