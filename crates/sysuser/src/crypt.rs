//! `crypt(3)` through libxcrypt, the library `passwd` and `pam_unix` use.
//!
//! The only foreign calls in the project's account code live here: `crypt_rn` (hash a
//! password with a given setting) and `crypt_gensalt_rn` (make a setting). Both write into
//! buffers this module owns; nothing they return outlives the call.

#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::Read;
use std::os::raw::{c_char, c_int, c_ulong, c_void};

/// libxcrypt's `CRYPT_OUTPUT_SIZE` and the size of `struct crypt_data`.
const OUTPUT_SIZE: usize = 384;
const DATA_SIZE: usize = 32768;

#[link(name = "crypt")]
unsafe extern "C" {
    fn crypt_rn(
        phrase: *const c_char,
        setting: *const c_char,
        data: *mut c_void,
        size: c_int,
    ) -> *mut c_char;
    fn crypt_gensalt_rn(
        prefix: *const c_char,
        count: c_ulong,
        rbytes: *const c_char,
        nrbytes: c_int,
        output: *mut c_char,
        output_size: c_int,
    ) -> *mut c_char;
}

/// Why a hash could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptError {
    /// The password or setting contains a NUL byte.
    #[error("password or setting contains a NUL byte")]
    Nul,
    /// The system's crypt does not know the scheme, or the setting is malformed.
    #[error("crypt does not accept this setting")]
    Setting,
    /// No random bytes for a salt.
    #[error("no random bytes: {0}")]
    Random(std::io::Error),
}

/// Hashes `password` with `setting` (a full hash works as a setting: its salt is used).
pub fn hash_with(password: &[u8], setting: &str) -> Result<String, CryptError> {
    let phrase = CString::new(password).map_err(|_| CryptError::Nul)?;
    let setting = CString::new(setting).map_err(|_| CryptError::Nul)?;
    let mut data = vec![0u8; DATA_SIZE];
    // SAFETY: both strings are NUL-terminated and live across the call; `data` is a
    // writable buffer of exactly `DATA_SIZE` bytes, which is the size passed. crypt_rn
    // returns either NULL or a pointer into `data`, which we copy from before `data` is
    // dropped.
    let out = unsafe {
        crypt_rn(
            phrase.as_ptr(),
            setting.as_ptr(),
            data.as_mut_ptr().cast(),
            DATA_SIZE as c_int,
        )
    };
    if out.is_null() {
        return Err(CryptError::Setting);
    }
    // SAFETY: non-NULL results of crypt_rn point to a NUL-terminated string inside `data`.
    let s = unsafe { CStr::from_ptr(out) }
        .to_string_lossy()
        .into_owned();
    // libxcrypt reports failure as a string starting with '*'.
    if s.starts_with('*') {
        return Err(CryptError::Setting);
    }
    Ok(s)
}

/// Whether `password` matches `hash` (any scheme the system's crypt knows), compared in
/// constant time.
pub fn verify(password: &[u8], hash: &str) -> bool {
    if hash.is_empty() || hash.starts_with('!') || hash.starts_with('*') {
        return false;
    }
    match hash_with(password, hash) {
        Ok(h) => constant_time_eq(h.as_bytes(), hash.as_bytes()),
        Err(_) => false,
    }
}

/// A new hash of `password` with `prefix`'s scheme (`$y$` yescrypt, `$6$` SHA-512, …) and
/// a random salt.
pub fn hash(password: &[u8], prefix: &str) -> Result<String, CryptError> {
    let mut random = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(CryptError::Random)?;
    let prefix = CString::new(prefix).map_err(|_| CryptError::Nul)?;
    let mut out = vec![0u8; OUTPUT_SIZE];
    // SAFETY: `prefix` is NUL-terminated; `random` holds the number of bytes passed;
    // `out` is writable with the size passed. The result is NULL or a pointer into `out`.
    let r = unsafe {
        crypt_gensalt_rn(
            prefix.as_ptr(),
            0,
            random.as_ptr().cast(),
            random.len() as c_int,
            out.as_mut_ptr().cast(),
            OUTPUT_SIZE as c_int,
        )
    };
    if r.is_null() {
        return Err(CryptError::Setting);
    }
    // SAFETY: a non-NULL result is a NUL-terminated string in `out`.
    let setting = unsafe { CStr::from_ptr(r) }.to_string_lossy().into_owned();
    hash_with(password, &setting)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scheme_the_system_makes_verifies() {
        for prefix in ["$y$", "$6$", "$5$", "$2b$", "$1$"] {
            let h = hash(b"s3cret", prefix).unwrap();
            assert!(h.starts_with(prefix), "{h}");
            assert!(verify(b"s3cret", &h), "{prefix}");
            assert!(!verify(b"S3cret", &h), "{prefix}");
        }
    }

    #[test]
    fn known_answers_and_locked_accounts() {
        // From libxcrypt's test vectors (SHA-512 with an explicit salt).
        let h = hash_with(b"Hello world!", "$6$saltstring").unwrap();
        assert_eq!(
            h,
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        );
        assert!(!verify(b"x", "!$6$locked"));
        assert!(!verify(b"x", "*"));
        assert!(!verify(b"", ""));
        assert!(!verify(b"x", "$unknown$"));
    }
}
