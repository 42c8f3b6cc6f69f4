//! Webhook secrets: sealed with AES-256-GCM (`ring::aead`) under the key of
//! `AEGIS_WEBHOOK_KEY` before they reach the database, opened only to check
//! a delivery's `X-Hook-Signature` (hex HMAC-SHA256 of the raw body,
//! compared in constant time). A secret must be usable to verify, so it
//! cannot be only hashed; the project gid and the row id are the associated
//! data, so a sealed secret moved to another row does not open.
//!
//! Neither the key nor a secret has a `Debug` that shows it, and neither is
//! logged.

use std::fmt;

use hmac::{Hmac, Mac};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use uuid::Uuid;

/// The environment variable holding the key (64 hex characters).
pub const KEY_ENV: &str = "AEGIS_WEBHOOK_KEY";

/// The key that seals webhook secrets.
pub struct WebhookKey {
    key: LessSafeKey,
    rng: SystemRandom,
}

/// A sealed secret as stored: the ciphertext (with its tag) and its nonce.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// AES-256-GCM ciphertext followed by its 16-byte tag.
    pub ciphertext: Vec<u8>,
    /// The 12-byte nonce, random per secret.
    pub nonce: Vec<u8>,
}

/// Why a key or a sealed secret cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// The key is not 64 hex characters.
    #[error("{KEY_ENV} must be 64 hex characters (32 bytes; e.g. `openssl rand -hex 32`), got {0}")]
    BadKey(String),
    /// The sealed secret does not open under this key for this row (another
    /// key, another row, or altered bytes).
    #[error("a webhook secret does not open with {KEY_ENV} (was the key changed?)")]
    Unsealable,
    /// The system's random source failed.
    #[error("the system's random source failed")]
    Random,
}

impl WebhookKey {
    /// Parses the key from its 64 hex characters.
    ///
    /// # Errors
    /// [`SecretError::BadKey`] (the message says what was wrong, never the key).
    pub fn from_hex(hex: &str) -> Result<WebhookKey, SecretError> {
        let hex = hex.trim();
        if hex.len() != 64 {
            return Err(SecretError::BadKey(format!("{} characters", hex.len())));
        }
        let bytes = decode_hex(hex)
            .ok_or_else(|| SecretError::BadKey("characters that are not hex".into()))?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| SecretError::BadKey("an unusable key".into()))?;
        Ok(WebhookKey {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    /// Seals `secret` for the row `id` of `project_gid`.
    ///
    /// # Errors
    /// [`SecretError::Random`] when no nonce can be drawn.
    pub fn seal(
        &self,
        project_gid: &str,
        id: Uuid,
        secret: &SecretString,
    ) -> Result<Sealed, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SecretError::Random)?;
        let mut data = secret.expose_secret().as_bytes().to_vec();
        let aad = associated(project_gid, id);
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut data,
            )
            .map_err(|_| SecretError::Random)?;
        Ok(Sealed {
            ciphertext: data,
            nonce: nonce.to_vec(),
        })
    }

    /// Opens a sealed secret of the row `id` of `project_gid`.
    ///
    /// # Errors
    /// [`SecretError::Unsealable`].
    pub fn open(
        &self,
        project_gid: &str,
        id: Uuid,
        sealed: &Sealed,
    ) -> Result<SecretString, SecretError> {
        let nonce = <[u8; NONCE_LEN]>::try_from(sealed.nonce.as_slice())
            .map_err(|_| SecretError::Unsealable)?;
        let aad = associated(project_gid, id);
        let mut data = sealed.ciphertext.clone();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut data,
            )
            .map_err(|_| SecretError::Unsealable)?;
        let text = String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Unsealable)?;
        Ok(SecretString::from(text))
    }
}

fn associated(project_gid: &str, id: Uuid) -> String {
    format!("aegis-webhook:{project_gid}:{id}")
}

/// Whether `signature` (hex) is the HMAC-SHA256 of `body` under `secret`,
/// compared in constant time.
pub fn verify(secret: &SecretString, body: &[u8], signature: &str) -> bool {
    let Some(expected) = decode_hex(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Hex HMAC-SHA256 of `body` under `secret` (what Asana sends).
pub fn sign(secret: &SecretString, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

impl fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookKey(..)")
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealed(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_only_for_its_row() {
        let key = WebhookKey::from_hex(KEY).unwrap();
        let id = Uuid::new_v4();
        let secret = SecretString::from("s3cr3t-hook".to_owned());
        let sealed = key.seal("42", id, &secret).unwrap();
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"s3cr3t"));
        let opened = key.open("42", id, &sealed).unwrap();
        assert_eq!(opened.expose_secret(), "s3cr3t-hook");
        assert!(matches!(
            key.open("43", id, &sealed),
            Err(SecretError::Unsealable)
        ));
        assert!(key.open("42", Uuid::new_v4(), &sealed).is_err());
        let other = WebhookKey::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert!(other.open("42", id, &sealed).is_err());
        assert_eq!(format!("{key:?} {sealed:?}"), "WebhookKey(..) Sealed(..)");
    }

    #[test]
    fn bad_keys_say_what_is_wrong_without_the_key() {
        let short = WebhookKey::from_hex("abcd").unwrap_err();
        assert!(short.to_string().contains("4 characters"), "{short}");
        let not_hex = WebhookKey::from_hex(&"zz".repeat(32)).unwrap_err();
        assert!(!not_hex.to_string().contains("zz"), "{not_hex}");
    }

    #[test]
    fn signatures_are_hex_hmac_sha256_of_the_raw_body() {
        // RFC 4231 test case 2.
        let secret = SecretString::from("Jefe".to_owned());
        let body = b"what do ya want for nothing?";
        let sig = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(sign(&secret, body), sig);
        assert!(verify(&secret, body, sig));
        assert!(verify(&secret, body, &sig.to_uppercase()));
        assert!(!verify(&secret, b"what do ya want for nothing!", sig));
        assert!(!verify(&secret, body, &sig[..62]));
        assert!(!verify(&secret, body, "not hex"));
    }
}
