//! Charsets: every charset Panda IMAP's table knows (FAQ 1.12, c-client `utf8_csvalid`),
//! decoded to Unicode. Decoding never fails and never panics: a byte sequence the charset
//! does not define becomes U+FFFD, and each decoder runs in time linear in its input.
//!
//! Where the work is done:
//! * **encoding_rs** (the WHATWG Encoding Standard) for UTF-8's neighbours it does right:
//!   ISO-8859-2 to -8, -10, -13 to -16, KOI8-R, KOI8-U (WHATWG's KOI8-U is KOI8-RU, which
//!   adds Ў/ў at 0xAE/0xBE), Windows-874 and -1250 to -1258, IBM866, GBK (for GB2312 too,
//!   of which it is a superset), Big5 (with HKSCS), EUC-JP, Shift_JIS, EUC-KR (as
//!   Windows-949, a superset), and UTF-16 after the byte order is known.
//! * **In-house, small**: strict ISO-8859-1, ISO-8859-9 and ISO-8859-11 / TIS-620 (WHATWG
//!   reads them as Windows-1252, -1254 and -874), UTF-7 (RFC 2152), UCS-2, UCS-4, UTF-16's
//!   byte order mark, and the ISO-2022 family (module `iso2022`: -JP, -JP-1, -JP-2, -KR, -CN,
//!   -CN-EXT), which hands runs of 94x94 characters to encoding_rs's EUC decoders where it
//!   can.
//! * **Tables** for what no library has, generated once by `scripts/gen-charset-tables`
//!   and committed (module `tables`): VISCII and the IBM code pages from glibc 2.36 iconv
//!   (Debian 12), CNS 11643 planes 1–7 from glibc iconv's EUC-TW, ISO-IR-165 from glibc
//!   iconv's ISO-2022-CN-EXT, and GB 12345 from perl 5.36's Encode::CN (`gb12345-raw`).
//!
//! Where the result knowingly differs from glibc iconv (the oracle tests list each case):
//! the JIS X 0208 cells that WHATWG maps as Microsoft does (0x2142 ∥ not ‖, 0x2171/72
//! ￠￡ and 0x224C ￢ not ¢£¬); Shift_JIS 0x5C and 0x7E as ASCII, not ¥ and ‾; EUC-CN
//! read as GBK, whose 0xA1A4 and 0xA1AA are · and — (the ISO-2022 decoders use GB 2312's
//! own ・ and ―); KOI8-U as KOI8-RU; and the WHATWG single-byte decoders give C1 controls
//! or best fits for the few bytes glibc leaves undefined. US-ASCII with 8-bit bytes is
//! read leniently (see [`Charset::UsAscii`]).
//!
//! Names are matched as c-client does, ignoring case, plus the usual IANA aliases and the
//! "language" names (`Latin-1` … `Latin-10`, `Cyrillic`, `Japanese`, …): see
//! [`Charset::from_name`].

use std::borrow::Cow;

use encoding_rs::Encoding;

mod iso2022;
mod names;
mod single;
mod tables;
#[cfg(test)]
mod tests;
mod unicode;

/// A charset this crate can decode.
///
/// Each variant is one canonical name ([`Charset::name`]); aliases map to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Charset {
    /// US-ASCII. Bytes above 0x7F are read as UTF-8 when the whole text is valid UTF-8,
    /// else as Windows-1252, as mail readers do with mislabelled mail.
    UsAscii,
    /// UTF-8 (invalid sequences become U+FFFD).
    Utf8,
    /// UTF-7 (RFC 2152; not IMAP's modified UTF-7).
    Utf7,
    /// ISO-8859-1 (Latin-1), strictly: 0x80–0x9F are the C1 controls.
    Iso8859_1,
    /// ISO-8859-2 (Latin-2).
    Iso8859_2,
    /// ISO-8859-3 (Latin-3).
    Iso8859_3,
    /// ISO-8859-4 (Latin-4).
    Iso8859_4,
    /// ISO-8859-5 (Cyrillic).
    Iso8859_5,
    /// ISO-8859-6 (Arabic).
    Iso8859_6,
    /// ISO-8859-7 (Greek).
    Iso8859_7,
    /// ISO-8859-8 (Hebrew).
    Iso8859_8,
    /// ISO-8859-9 (Latin-5, Turkish), strictly.
    Iso8859_9,
    /// ISO-8859-10 (Latin-6, Nordic).
    Iso8859_10,
    /// ISO-8859-11 (Thai: TIS-620 plus NBSP and the C1 controls).
    Iso8859_11,
    /// ISO-8859-13 (Latin-7, Baltic).
    Iso8859_13,
    /// ISO-8859-14 (Latin-8, Celtic).
    Iso8859_14,
    /// ISO-8859-15 (Latin-9).
    Iso8859_15,
    /// ISO-8859-16 (Latin-10).
    Iso8859_16,
    /// KOI8-R (Russian).
    Koi8R,
    /// KOI8-U (Ukrainian; read as KOI8-RU, its superset).
    Koi8U,
    /// TIS-620 (Thai).
    Tis620,
    /// VISCII (Vietnamese, RFC 1456).
    Viscii,
    /// GBK (simplified Chinese).
    Gbk,
    /// GB2312 in its EUC form (read as GBK, its superset).
    Gb2312,
    /// ISO-2022-CN (RFC 1922): GB 2312 and CNS 11643 planes 1 and 2.
    Iso2022Cn,
    /// ISO-2022-CN-EXT (RFC 1922): ISO-2022-CN plus ISO-IR-165 and CNS 11643 planes 3–7.
    Iso2022CnExt,
    /// GB 12345 (traditional characters of the PRC) in its EUC form.
    CnGb12345,
    /// Big5 (traditional Chinese; with the HKSCS extensions).
    Big5,
    /// ISO-2022-JP (RFC 1468).
    Iso2022Jp,
    /// ISO-2022-JP-1 (RFC 2237): adds JIS X 0212.
    Iso2022Jp1,
    /// ISO-2022-JP-2 (RFC 1554): adds GB 2312, KS C 5601, and the upper halves of
    /// ISO-8859-1 and -7.
    Iso2022Jp2,
    /// EUC-JP (JIS X 0208, JIS X 0212, and half-width katakana).
    EucJp,
    /// Shift_JIS.
    ShiftJis,
    /// ISO-2022-KR (RFC 1557).
    Iso2022Kr,
    /// EUC-KR (read as Windows-949, its superset).
    EucKr,
    /// KS_C_5601-1987 as mail uses the name: EUC-KR (read as Windows-949).
    KsC5601,
    /// Windows-874 (Thai).
    Windows874,
    /// Windows-936 (GBK).
    Windows936,
    /// Windows-949 (Unified Hangul Code).
    Windows949,
    /// Windows-1250 (Central European).
    Windows1250,
    /// Windows-1251 (Cyrillic).
    Windows1251,
    /// Windows-1252 (Western European).
    Windows1252,
    /// Windows-1253 (Greek).
    Windows1253,
    /// Windows-1254 (Turkish).
    Windows1254,
    /// Windows-1255 (Hebrew).
    Windows1255,
    /// Windows-1256 (Arabic).
    Windows1256,
    /// Windows-1257 (Baltic).
    Windows1257,
    /// Windows-1258 (Vietnamese; combining marks are left uncombined).
    Windows1258,
    /// IBM367 (US-ASCII).
    Ibm367,
    /// IBM437 (the original PC code page).
    Ibm437,
    /// IBM737 (Greek).
    Ibm737,
    /// IBM775 (Baltic).
    Ibm775,
    /// IBM850 (Western European).
    Ibm850,
    /// IBM852 (Central European).
    Ibm852,
    /// IBM855 (Cyrillic).
    Ibm855,
    /// IBM857 (Turkish).
    Ibm857,
    /// IBM860 (Portuguese).
    Ibm860,
    /// IBM861 (Icelandic).
    Ibm861,
    /// IBM862 (Hebrew).
    Ibm862,
    /// IBM863 (Canadian French).
    Ibm863,
    /// IBM864 (Arabic).
    Ibm864,
    /// IBM865 (Nordic).
    Ibm865,
    /// IBM866 (Cyrillic).
    Ibm866,
    /// IBM869 (Greek).
    Ibm869,
    /// IBM874 (Thai).
    Ibm874,
    /// UCS-2: big-endian unless a byte order mark says otherwise.
    Ucs2,
    /// UCS-4: big-endian unless a byte order mark says otherwise.
    Ucs4,
    /// UTF-16 (RFC 2781): big-endian unless a byte order mark says otherwise.
    Utf16,
    /// UTF-16BE.
    Utf16Be,
    /// UTF-16LE.
    Utf16Le,
}

impl Charset {
    /// The canonical names of every charset, for `[BADCHARSET (…)]`, in the order of
    /// [`Charset::ALL`].
    pub const NAMES: &'static [&'static str] = &[
        "US-ASCII",
        "UTF-8",
        "UTF-7",
        "ISO-8859-1",
        "ISO-8859-2",
        "ISO-8859-3",
        "ISO-8859-4",
        "ISO-8859-5",
        "ISO-8859-6",
        "ISO-8859-7",
        "ISO-8859-8",
        "ISO-8859-9",
        "ISO-8859-10",
        "ISO-8859-11",
        "ISO-8859-13",
        "ISO-8859-14",
        "ISO-8859-15",
        "ISO-8859-16",
        "KOI8-R",
        "KOI8-U",
        "TIS-620",
        "VISCII",
        "GBK",
        "GB2312",
        "ISO-2022-CN",
        "ISO-2022-CN-EXT",
        "CN-GB-12345",
        "BIG5",
        "ISO-2022-JP",
        "ISO-2022-JP-1",
        "ISO-2022-JP-2",
        "EUC-JP",
        "SHIFT_JIS",
        "ISO-2022-KR",
        "EUC-KR",
        "KS_C_5601-1987",
        "WINDOWS-874",
        "WINDOWS-936",
        "WINDOWS-949",
        "WINDOWS-1250",
        "WINDOWS-1251",
        "WINDOWS-1252",
        "WINDOWS-1253",
        "WINDOWS-1254",
        "WINDOWS-1255",
        "WINDOWS-1256",
        "WINDOWS-1257",
        "WINDOWS-1258",
        "IBM367",
        "IBM437",
        "IBM737",
        "IBM775",
        "IBM850",
        "IBM852",
        "IBM855",
        "IBM857",
        "IBM860",
        "IBM861",
        "IBM862",
        "IBM863",
        "IBM864",
        "IBM865",
        "IBM866",
        "IBM869",
        "IBM874",
        "UCS-2",
        "UCS-4",
        "UTF-16",
        "UTF-16BE",
        "UTF-16LE",
    ];

    /// Every charset, in the order of [`Charset::NAMES`].
    pub const ALL: &'static [Charset] = &[
        Charset::UsAscii,
        Charset::Utf8,
        Charset::Utf7,
        Charset::Iso8859_1,
        Charset::Iso8859_2,
        Charset::Iso8859_3,
        Charset::Iso8859_4,
        Charset::Iso8859_5,
        Charset::Iso8859_6,
        Charset::Iso8859_7,
        Charset::Iso8859_8,
        Charset::Iso8859_9,
        Charset::Iso8859_10,
        Charset::Iso8859_11,
        Charset::Iso8859_13,
        Charset::Iso8859_14,
        Charset::Iso8859_15,
        Charset::Iso8859_16,
        Charset::Koi8R,
        Charset::Koi8U,
        Charset::Tis620,
        Charset::Viscii,
        Charset::Gbk,
        Charset::Gb2312,
        Charset::Iso2022Cn,
        Charset::Iso2022CnExt,
        Charset::CnGb12345,
        Charset::Big5,
        Charset::Iso2022Jp,
        Charset::Iso2022Jp1,
        Charset::Iso2022Jp2,
        Charset::EucJp,
        Charset::ShiftJis,
        Charset::Iso2022Kr,
        Charset::EucKr,
        Charset::KsC5601,
        Charset::Windows874,
        Charset::Windows936,
        Charset::Windows949,
        Charset::Windows1250,
        Charset::Windows1251,
        Charset::Windows1252,
        Charset::Windows1253,
        Charset::Windows1254,
        Charset::Windows1255,
        Charset::Windows1256,
        Charset::Windows1257,
        Charset::Windows1258,
        Charset::Ibm367,
        Charset::Ibm437,
        Charset::Ibm737,
        Charset::Ibm775,
        Charset::Ibm850,
        Charset::Ibm852,
        Charset::Ibm855,
        Charset::Ibm857,
        Charset::Ibm860,
        Charset::Ibm861,
        Charset::Ibm862,
        Charset::Ibm863,
        Charset::Ibm864,
        Charset::Ibm865,
        Charset::Ibm866,
        Charset::Ibm869,
        Charset::Ibm874,
        Charset::Ucs2,
        Charset::Ucs4,
        Charset::Utf16,
        Charset::Utf16Be,
        Charset::Utf16Le,
    ];

    /// The charset named `name`: any case, surrounding white space ignored, canonical
    /// names, Panda's aliases, the usual IANA aliases (`iso_8859-1:1987`, `l1`,
    /// `csISOLatin1`, `cp1252`, `ibm850`, `850`, …) and the language names (`Latin-1` …
    /// `Latin-10`, `Cyrillic`, `Arabic`, `Greek`, `Hebrew`, `Thai`, `Vietnamese`,
    /// `Japanese`, `Korean`, `Chinese`).
    pub fn from_name(name: &[u8]) -> Option<Charset> {
        names::lookup(name)
    }

    /// The canonical name, as it appears in [`Charset::NAMES`].
    pub fn name(self) -> &'static str {
        let i = Charset::ALL.iter().position(|&c| c == self);
        // ALL and NAMES have one entry per variant, in the same order (a test checks).
        i.and_then(|i| Charset::NAMES.get(i))
            .copied()
            .unwrap_or("UTF-8")
    }

    /// `bytes` in this charset, as text. Never fails: what the charset does not define
    /// becomes U+FFFD. Borrows `bytes` when they are ASCII that means itself in this
    /// charset, or valid UTF-8 for UTF-8.
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self.engine() {
            Engine::Whatwg(encoding) => whatwg(encoding, bytes),
            Engine::Utf8 => String::from_utf8_lossy(bytes),
            Engine::Ascii => single::ascii(bytes),
            Engine::Latin1 => single::latin1(bytes),
            Engine::Latin5 => single::latin5(bytes),
            Engine::Thai(kind) => single::thai(bytes, kind),
            Engine::Table(table) => single::table(bytes, table),
            Engine::Utf7 => unicode::utf7(bytes),
            Engine::Utf16(order) => unicode::utf16(bytes, order),
            Engine::Ucs4 => unicode::ucs4(bytes),
            Engine::Euc94(plane) => tables::euc(bytes, plane),
            Engine::Iso2022(variant) => iso2022::decode(bytes, variant),
        }
    }

    /// How this charset is decoded.
    fn engine(self) -> Engine {
        use Charset as C;
        use unicode::ByteOrder;
        match self {
            C::UsAscii | C::Ibm367 => Engine::Ascii,
            C::Utf8 => Engine::Utf8,
            C::Utf7 => Engine::Utf7,
            C::Iso8859_1 => Engine::Latin1,
            C::Iso8859_2 => Engine::Whatwg(encoding_rs::ISO_8859_2),
            C::Iso8859_3 => Engine::Whatwg(encoding_rs::ISO_8859_3),
            C::Iso8859_4 => Engine::Whatwg(encoding_rs::ISO_8859_4),
            C::Iso8859_5 => Engine::Whatwg(encoding_rs::ISO_8859_5),
            C::Iso8859_6 => Engine::Whatwg(encoding_rs::ISO_8859_6),
            C::Iso8859_7 => Engine::Whatwg(encoding_rs::ISO_8859_7),
            C::Iso8859_8 => Engine::Whatwg(encoding_rs::ISO_8859_8),
            C::Iso8859_9 => Engine::Latin5,
            C::Iso8859_10 => Engine::Whatwg(encoding_rs::ISO_8859_10),
            C::Iso8859_11 => Engine::Thai(single::Thai::Iso8859_11),
            C::Iso8859_13 => Engine::Whatwg(encoding_rs::ISO_8859_13),
            C::Iso8859_14 => Engine::Whatwg(encoding_rs::ISO_8859_14),
            C::Iso8859_15 => Engine::Whatwg(encoding_rs::ISO_8859_15),
            C::Iso8859_16 => Engine::Whatwg(encoding_rs::ISO_8859_16),
            C::Koi8R => Engine::Whatwg(encoding_rs::KOI8_R),
            C::Koi8U => Engine::Whatwg(encoding_rs::KOI8_U),
            C::Tis620 => Engine::Thai(single::Thai::Tis620),
            C::Viscii => Engine::Table(&tables::VISCII),
            C::Gbk | C::Gb2312 | C::Windows936 => Engine::Whatwg(encoding_rs::GBK),
            C::Iso2022Cn => Engine::Iso2022(iso2022::Variant::Cn),
            C::Iso2022CnExt => Engine::Iso2022(iso2022::Variant::CnExt),
            C::CnGb12345 => Engine::Euc94(tables::Plane::Gb12345),
            C::Big5 => Engine::Whatwg(encoding_rs::BIG5),
            C::Iso2022Jp => Engine::Iso2022(iso2022::Variant::Jp),
            C::Iso2022Jp1 => Engine::Iso2022(iso2022::Variant::Jp1),
            C::Iso2022Jp2 => Engine::Iso2022(iso2022::Variant::Jp2),
            C::EucJp => Engine::Whatwg(encoding_rs::EUC_JP),
            C::ShiftJis => Engine::Whatwg(encoding_rs::SHIFT_JIS),
            C::Iso2022Kr => Engine::Iso2022(iso2022::Variant::Kr),
            C::EucKr | C::KsC5601 | C::Windows949 => Engine::Whatwg(encoding_rs::EUC_KR),
            C::Windows874 => Engine::Whatwg(encoding_rs::WINDOWS_874),
            C::Windows1250 => Engine::Whatwg(encoding_rs::WINDOWS_1250),
            C::Windows1251 => Engine::Whatwg(encoding_rs::WINDOWS_1251),
            C::Windows1252 => Engine::Whatwg(encoding_rs::WINDOWS_1252),
            C::Windows1253 => Engine::Whatwg(encoding_rs::WINDOWS_1253),
            C::Windows1254 => Engine::Whatwg(encoding_rs::WINDOWS_1254),
            C::Windows1255 => Engine::Whatwg(encoding_rs::WINDOWS_1255),
            C::Windows1256 => Engine::Whatwg(encoding_rs::WINDOWS_1256),
            C::Windows1257 => Engine::Whatwg(encoding_rs::WINDOWS_1257),
            C::Windows1258 => Engine::Whatwg(encoding_rs::WINDOWS_1258),
            C::Ibm437 => Engine::Table(&tables::IBM437),
            C::Ibm737 => Engine::Table(&tables::IBM737),
            C::Ibm775 => Engine::Table(&tables::IBM775),
            C::Ibm850 => Engine::Table(&tables::IBM850),
            C::Ibm852 => Engine::Table(&tables::IBM852),
            C::Ibm855 => Engine::Table(&tables::IBM855),
            C::Ibm857 => Engine::Table(&tables::IBM857),
            C::Ibm860 => Engine::Table(&tables::IBM860),
            C::Ibm861 => Engine::Table(&tables::IBM861),
            C::Ibm862 => Engine::Table(&tables::IBM862),
            C::Ibm863 => Engine::Table(&tables::IBM863),
            C::Ibm864 => Engine::Table(&tables::IBM864),
            C::Ibm865 => Engine::Table(&tables::IBM865),
            C::Ibm866 => Engine::Whatwg(encoding_rs::IBM866),
            C::Ibm869 => Engine::Table(&tables::IBM869),
            C::Ibm874 => Engine::Table(&tables::IBM874),
            C::Ucs2 | C::Utf16 => Engine::Utf16(ByteOrder::Sniff),
            C::Utf16Be => Engine::Utf16(ByteOrder::Big),
            C::Utf16Le => Engine::Utf16(ByteOrder::Little),
            C::Ucs4 => Engine::Ucs4,
        }
    }
}

/// The decoder behind a [`Charset`].
#[derive(Clone, Copy, Debug)]
enum Engine {
    /// encoding_rs, without BOM sniffing.
    Whatwg(&'static Encoding),
    /// UTF-8, invalid sequences as U+FFFD.
    Utf8,
    /// ASCII; mislabelled 8-bit text as UTF-8 or Windows-1252.
    Ascii,
    /// Strict ISO-8859-1.
    Latin1,
    /// Strict ISO-8859-9.
    Latin5,
    /// TIS-620 or ISO-8859-11.
    Thai(single::Thai),
    /// A generated 256-entry table.
    Table(&'static [u16; 256]),
    /// UTF-7 (RFC 2152).
    Utf7,
    /// UTF-16 or UCS-2.
    Utf16(unicode::ByteOrder),
    /// UCS-4.
    Ucs4,
    /// The EUC form of a generated 94x94 table.
    Euc94(tables::Plane),
    /// One of the ISO-2022 family.
    Iso2022(iso2022::Variant),
}

/// `bytes` through encoding_rs; borrowed when they are ASCII (or valid UTF-8 for UTF-8).
fn whatwg<'a>(encoding: &'static Encoding, bytes: &'a [u8]) -> Cow<'a, str> {
    encoding.decode_without_bom_handling(bytes).0
}
