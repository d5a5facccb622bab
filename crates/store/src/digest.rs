//! Document ids derived from their parts: the same parts always give the same id, so a write
//! repeated after a crash lands on the same document.

use sha2::{Digest, Sha256};

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
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
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
}
