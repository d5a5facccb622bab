//! Document ids derived from their parts: the same parts always give the same id, so a write
//! repeated after a crash lands on the same document. Also the hexadecimal form every digest and
//! secret is written in, and the random secrets handed to operators.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// `bytes` as lower-case hexadecimal, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// 64 hexadecimal digits of 32 bytes from the operating system's generator: the secret part of
/// an ingest token or a webhook secret.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// 32 hexadecimal digits of the SHA-256 of `parts`, each separated from the next by a zero byte
/// (so that ("ab", "c") and ("a", "bc") differ).
pub fn short_id(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0]);
        }
        h.update(part);
    }
    hex(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_kept_apart() {
        assert_eq!(short_id(&[b"ab", b"c"]), short_id(&[b"ab", b"c"]));
        assert_ne!(short_id(&[b"ab", b"c"]), short_id(&[b"a", b"bc"]));
        assert_eq!(short_id(&[b"x"]).len(), 32);
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0, 10, 255]), "000aff");
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
