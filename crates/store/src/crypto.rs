//! Field-level encryption of personal data at rest (emails, display names) with ChaCha20-Poly1305,
//! and keyed blind indexes so encrypted values can still be looked up by equality.
//!
//! Ciphertexts are self-describing text, `v1:<key id>:<base64(nonce ‖ sealed)>`: the key id lets
//! old values be decrypted after the key is rotated (the old key goes in
//! `ATLASLENS_PREVIOUS_ENCRYPTION_KEYS`). Each value is sealed with the name of its field as
//! associated data, so a ciphertext copied into another field does not decrypt.
//!
//! The key comes from `ATLASLENS_ENCRYPTION_KEY`. For local use, when it is absent, a key is
//! generated once into `<data dir>/encryption.key` (mode 0600) and the operator is told so.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const KEY_FILE: &str = "encryption.key";

/// Encryption failures. Messages never contain key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A configured key is not 32 bytes of base64.
    #[error(
        "{0} must be 32 bytes encoded as base64 (generate one with `openssl rand -base64 32`)"
    )]
    BadKey(&'static str),
    /// The key file could not be read or written.
    #[error("encryption key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A ciphertext is not in the `v1:<kid>:<data>` form.
    #[error("the stored value is not an AtlasLens ciphertext")]
    Malformed,
    /// No configured key has the ciphertext's key id.
    #[error("no configured key has id {0}; add the old key to ATLASLENS_PREVIOUS_ENCRYPTION_KEYS")]
    UnknownKey(String),
    /// Authentication failed: wrong key, wrong field, or tampered data.
    #[error("the stored value failed authentication (tampered, or sealed for another field)")]
    Tampered,
}

/// Where the current key came from, so start-up can say so once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `ATLASLENS_ENCRYPTION_KEY`.
    Environment,
    /// A key file generated earlier in the data directory.
    ExistingFile(PathBuf),
    /// A key file generated just now.
    GeneratedFile(PathBuf),
}

struct EncryptionKey {
    id: String,
    cipher: ChaCha20Poly1305,
}

impl EncryptionKey {
    fn from_bytes(bytes: &[u8; 32]) -> Self {
        let digest = Sha256::new_with_prefix(b"atlaslens key id\0")
            .chain_update(bytes)
            .finalize();
        let id = crate::digest::hex(&digest[..4]);
        Self {
            id,
            cipher: ChaCha20Poly1305::new(Key::from_slice(bytes)),
        }
    }
}

/// The keys in use: the current one seals, every one can open.
pub struct KeyRing {
    current: EncryptionKey,
    previous: Vec<EncryptionKey>,
    blind_key: [u8; 32],
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Builds a ring from raw keys (the first is current).
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(current).expect("HMAC takes any key length");
        mac.update(b"atlaslens blind index v1");
        Self {
            current: EncryptionKey::from_bytes(current),
            previous: previous.iter().map(EncryptionKey::from_bytes).collect(),
            blind_key: mac.finalize().into_bytes().into(),
        }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for the named field.
    pub fn encrypt(&self, field: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: field.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 sealing cannot fail for in-memory input");
        let mut data = nonce.to_vec();
        data.extend_from_slice(&sealed);
        format!("v1:{}:{}", self.current.id, B64.encode(data))
    }

    /// Opens a value sealed for the named field by any key of the ring.
    ///
    /// # Errors
    /// Malformed input, an unknown key id, or failed authentication.
    pub fn decrypt(&self, field: &str, ciphertext: &str) -> Result<String, CryptoError> {
        let mut parts = ciphertext.splitn(3, ':');
        let (Some("v1"), Some(kid), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_owned()))?;
        let data = B64.decode(data).map_err(|_| CryptoError::Malformed)?;
        if data.len() < 12 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, sealed) = data.split_at(12);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: field.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Tampered)
    }

    /// A keyed, deterministic digest of a normalised value (trimmed, lower-cased) for equality
    /// look-ups of encrypted fields without storing the plaintext.
    pub fn blind_index(&self, field: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.blind_key).expect("any key length");
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(value.trim().to_lowercase().as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }
}

impl KeyRing {
    /// A stable pseudonym for a value: 16 hex digits of a keyed digest. Canonical person ids are
    /// built from it, so they are deterministic (every process and rebuild agrees) yet reveal
    /// nothing about the account or address behind them.
    pub fn pseudonym(&self, field: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.blind_key).expect("any key length");
        mac.update(b"pseudonym\0");
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(value.trim().to_lowercase().as_bytes());
        crate::digest::hex(&mac.finalize().into_bytes()[..8])
    }
}

fn decode_key(variable: &'static str, text: &str) -> Result<[u8; 32], CryptoError> {
    B64.decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or(CryptoError::BadKey(variable))
}

/// Where the keys come from: the configured ones (base64 text, as the settings read them from the
/// environment) and the data directory that holds a generated key when none is configured.
#[derive(Debug, Clone, Copy)]
pub struct KeyConfig<'a> {
    /// `ATLASLENS_ENCRYPTION_KEY`, if set.
    pub current: Option<&'a SecretString>,
    /// `ATLASLENS_PREVIOUS_ENCRYPTION_KEYS`: keys that only decrypt.
    pub previous: &'a [SecretString],
    /// Where `encryption.key` is generated when no key is configured.
    pub data_dir: &'a Path,
}

/// Loads the key ring, generating a key file in the data directory when no key is configured.
///
/// # Errors
/// A malformed key, or a key file that cannot be read or written.
pub fn load_key_ring(config: KeyConfig<'_>) -> Result<(KeyRing, KeySource), CryptoError> {
    let previous = config
        .previous
        .iter()
        .map(|k| decode_key("ATLASLENS_PREVIOUS_ENCRYPTION_KEYS", k.expose_secret()))
        .collect::<Result<Vec<_>, _>>()?;
    let (current, source) = match config.current {
        Some(key) => (
            decode_key("ATLASLENS_ENCRYPTION_KEY", key.expose_secret())?,
            KeySource::Environment,
        ),
        None => key_from_file(config.data_dir)?,
    };
    Ok((KeyRing::new(&current, &previous), source))
}

fn key_from_file(data_dir: &Path) -> Result<([u8; 32], KeySource), CryptoError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(KEY_FILE);
    let file_error = |source| CryptoError::KeyFile {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return Ok((
                decode_key("the key file", &text)?,
                KeySource::ExistingFile(path),
            ))
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(file_error(e)),
        Err(_) => {}
    }
    std::fs::create_dir_all(data_dir).map_err(file_error)?;
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(file_error)?;
    writeln!(file, "{}", B64.encode(key)).map_err(file_error)?;
    file.sync_all().map_err(file_error)?;
    Ok((key, KeySource::GeneratedFile(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(seed: u8) -> KeyRing {
        KeyRing::new(&[seed; 32], &[])
    }

    #[test]
    fn a_value_round_trips_and_is_not_stored_in_clear() {
        let r = ring(1);
        let sealed = r.encrypt("email", "ami@example.jp");
        assert!(sealed.starts_with(&format!("v1:{}:", r.current_key_id())));
        assert!(!sealed.contains("ami"));
        assert_eq!(r.decrypt("email", &sealed).unwrap(), "ami@example.jp");
        assert_ne!(
            sealed,
            r.encrypt("email", "ami@example.jp"),
            "each sealing uses a fresh nonce"
        );
    }

    #[test]
    fn a_ciphertext_moved_to_another_field_does_not_open() {
        let r = ring(1);
        let sealed = r.encrypt("email", "x@example.com");
        assert!(matches!(
            r.decrypt("display_name", &sealed),
            Err(CryptoError::Tampered)
        ));
    }

    #[test]
    fn values_sealed_by_an_old_key_open_after_rotation() {
        let old = ring(1);
        let sealed = old.encrypt("display_name", "Zoë Ångström");
        let rotated = KeyRing::new(&[2; 32], &[[1; 32]]);
        assert_eq!(
            rotated.decrypt("display_name", &sealed).unwrap(),
            "Zoë Ångström"
        );
        assert!(matches!(
            ring(2).decrypt("display_name", &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn tampering_is_detected() {
        let r = ring(1);
        let mut sealed = r.encrypt("email", "x@example.com").into_bytes();
        let last = sealed.len() - 3;
        sealed[last] = if sealed[last] == b'A' { b'B' } else { b'A' };
        let sealed = String::from_utf8(sealed).unwrap();
        assert!(r.decrypt("email", &sealed).is_err());
        assert!(matches!(
            r.decrypt("email", "plain text"),
            Err(CryptoError::Malformed)
        ));
    }

    #[test]
    fn the_blind_index_matches_equal_values_regardless_of_case() {
        let r = ring(1);
        assert_eq!(
            r.blind_index("email", "Ami@Example.JP "),
            r.blind_index("email", "ami@example.jp")
        );
        assert_ne!(
            r.blind_index("email", "a@x"),
            r.blind_index("display_name", "a@x")
        );
        assert_ne!(
            r.blind_index("email", "a@x"),
            ring(2).blind_index("email", "a@x")
        );
    }

    #[test]
    fn a_missing_key_is_generated_once_into_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let config = KeyConfig {
            current: None,
            previous: &[],
            data_dir: dir.path(),
        };
        let (first, source) = load_key_ring(config).unwrap();
        let path = dir.path().join(KEY_FILE);
        assert_eq!(source, KeySource::GeneratedFile(path.clone()));
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (second, source) = load_key_ring(config).unwrap();
        assert_eq!(source, KeySource::ExistingFile(path));
        assert_eq!(first.current_key_id(), second.current_key_id());
    }

    #[test]
    fn a_configured_key_must_be_32_bytes_of_base64() {
        let dir = tempfile::tempdir().unwrap();
        let short: SecretString = "c2hvcnQ=".to_owned().into();
        let config = |current| KeyConfig {
            current,
            previous: &[],
            data_dir: dir.path(),
        };
        assert!(matches!(
            load_key_ring(config(Some(&short))),
            Err(CryptoError::BadKey("ATLASLENS_ENCRYPTION_KEY"))
        ));
        let good: SecretString = B64.encode([7u8; 32]).into();
        let (r, source) = load_key_ring(config(Some(&good))).unwrap();
        assert_eq!(source, KeySource::Environment);
        assert_eq!(r.current_key_id(), ring(7).current_key_id());
    }
}
