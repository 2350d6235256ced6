//! Generated tables, for the charsets no library decodes. `scripts/gen-charset-tables`
//! wrote them once; the crate's oracle tests compare them with their sources again.
//!
//! * `single_byte.rs`: VISCII and the IBM code pages, from glibc 2.36 iconv (Debian 12),
//!   one UTF-16 code unit per byte, U+FFFD where iconv has no character.
//! * `*.bin`: the 94x94 sets, 8,836 cells in row-major order (row 0x21 first), three bytes
//!   each holding the code point big-endian, 000000 where the set has no character.
//!   CNS 11643 planes 1–7 come from glibc iconv's EUC-TW (plane 1 is A1A1–FEFE, plane n
//!   is 8E A0+n hi lo), ISO-IR-165 from glibc iconv's ISO-2022-CN-EXT (`ESC $ ) E`);
//!   GB 12345 from perl 5.36's Encode::CN (`gb12345-raw`).

use std::borrow::Cow;

#[rustfmt::skip]
mod single_byte;

pub(super) use single_byte::{
    IBM437, IBM737, IBM775, IBM850, IBM852, IBM855, IBM857, IBM860, IBM861, IBM862, IBM863, IBM864,
    IBM865, IBM869, IBM874, VISCII,
};

/// Cells in a 94x94 set.
#[cfg(test)]
const CELLS: usize = 94 * 94;

/// A generated 94x94 set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plane {
    /// GB 12345-90.
    Gb12345,
    /// ISO-IR-165 (GB 2312 plus GB 6345.1 and GB 8565.2).
    IsoIr165,
    /// CNS 11643-1992 plane 1 to 7.
    Cns(CnsPlane),
}

/// A CNS 11643 plane number, 1 to 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CnsPlane(u8);

impl CnsPlane {
    /// Plane `n`, if 1 ≤ n ≤ 7.
    pub(super) fn new(n: u8) -> Option<CnsPlane> {
        (1..=7).contains(&n).then_some(CnsPlane(n))
    }
}

impl Plane {
    /// The set's table.
    fn data(self) -> &'static [u8] {
        match self {
            Plane::Gb12345 => include_bytes!("tables/gb12345.bin"),
            Plane::IsoIr165 => include_bytes!("tables/iso-ir-165.bin"),
            Plane::Cns(CnsPlane(1)) => include_bytes!("tables/cns11643-1.bin"),
            Plane::Cns(CnsPlane(2)) => include_bytes!("tables/cns11643-2.bin"),
            Plane::Cns(CnsPlane(3)) => include_bytes!("tables/cns11643-3.bin"),
            Plane::Cns(CnsPlane(4)) => include_bytes!("tables/cns11643-4.bin"),
            Plane::Cns(CnsPlane(5)) => include_bytes!("tables/cns11643-5.bin"),
            Plane::Cns(CnsPlane(6)) => include_bytes!("tables/cns11643-6.bin"),
            Plane::Cns(_) => include_bytes!("tables/cns11643-7.bin"),
        }
    }

    /// The character at row `hi`, column `lo` (both 0x21–0x7E, bit 7 ignored), if any.
    pub(super) fn cell(self, hi: u8, lo: u8) -> Option<char> {
        let (hi, lo) = (hi & 0x7F, lo & 0x7F);
        if !(0x21..=0x7E).contains(&hi) || !(0x21..=0x7E).contains(&lo) {
            return None;
        }
        let index = usize::from(hi - 0x21) * 94 + usize::from(lo - 0x21);
        let at = self.data().get(index * 3..index * 3 + 3)?;
        let code = u32::from(at[0]) << 16 | u32::from(at[1]) << 8 | u32::from(at[2]);
        if code == 0 {
            None
        } else {
            char::from_u32(code)
        }
    }

    /// Whether the table has its full size (a test checks every table).
    #[cfg(test)]
    pub(super) fn is_complete(self) -> bool {
        self.data().len() == CELLS * 3
    }
}

/// The EUC form of a 94x94 set: ASCII, and pairs of bytes A1–FE.
pub(super) fn euc(bytes: &[u8], plane: Plane) -> Cow<'_, str> {
    if bytes.is_ascii()
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() * 3 / 2);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(&t) if (0xA1..=0xFE).contains(&b) && (0xA1..=0xFE).contains(&t) => {
                out.push(plane.cell(b, t).unwrap_or(char::REPLACEMENT_CHARACTER));
                i += 2;
            }
            _ => {
                out.push(char::REPLACEMENT_CHARACTER);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}
