//! Secrets at rest: travel documents (encrypted, plus a keyed hash for
//! duplicate detection), request fingerprints, API token hashes.

use chacha20poly1305::{
    KeyInit as _, XChaCha20Poly1305, XNonce,
    aead::{Aead as _, Payload},
};
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::error::{AppError, AppResult};

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 24;
/// Associated data binding ciphertexts to their purpose.
const DOCUMENT_AAD: &[u8] = b"expopass travel document v1";

/// Encrypts, decrypts and hashes travel documents with keys derived from one
/// 32-byte master key kept outside the database.
pub struct DocumentVault {
    cipher: XChaCha20Poly1305,
    key_cipher: XChaCha20Poly1305,
    hash_key: [u8; 32],
    fingerprint_key: [u8; 32],
}

impl DocumentVault {
    pub fn new(master: &super::DocumentKey) -> Self {
        use secrecy::ExposeSecret as _;
        let derive = |label: &[u8]| -> [u8; 32] {
            // HMAC accepts keys of any length; this cannot fail.
            let mut mac = <HmacSha256 as hmac::Mac>::new_from_slice(master.expose_secret())
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let enc_key = derive(b"expopass/document-encryption");
        Self {
            cipher: XChaCha20Poly1305::new(&enc_key.into()),
            key_cipher: XChaCha20Poly1305::new(&derive(b"expopass/signing-key-encryption").into()),
            hash_key: derive(b"expopass/document-hash"),
            fingerprint_key: derive(b"expopass/request-fingerprint"),
        }
    }

    /// Canonical form of a document number: upper case, no spaces or dashes.
    pub fn normalize(document: &str) -> String {
        document
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect()
    }

    /// `nonce || ciphertext` of the normalised document.
    pub fn encrypt(&self, document: &str) -> AppResult<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: document.as_bytes(),
                    aad: DOCUMENT_AAD,
                },
            )
            .map_err(|_| AppError::internal(anyhow::anyhow!("document encryption failed")))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, stored: &[u8]) -> AppResult<String> {
        let fail = || {
            AppError::internal(anyhow::anyhow!(
                "a stored travel document does not decrypt: wrong EXPOPASS_DOCUMENT_KEY?"
            ))
        };
        if stored.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: DOCUMENT_AAD,
                },
            )
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }

    /// `nonce || ciphertext` of a signing key's secret half, bound to its
    /// key id.
    pub fn seal_signing_key(&self, key_id: u32, secret: &[u8; 32]) -> AppResult<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        let aad = signing_key_aad(key_id);
        let sealed = self
            .key_cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .map_err(|_| AppError::internal(anyhow::anyhow!("signing key encryption failed")))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open_signing_key(&self, key_id: u32, stored: &[u8]) -> AppResult<[u8; 32]> {
        let fail = || {
            AppError::internal(anyhow::anyhow!(
                "signing key {key_id:08x} does not decrypt: wrong EXPOPASS_DOCUMENT_KEY?"
            ))
        };
        if stored.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let aad = signing_key_aad(key_id);
        let plain = self
            .key_cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| fail())?;
        plain.as_slice().try_into().map_err(|_| fail())
    }

    /// Keyed hash of the normalised document: equal documents, equal hashes;
    /// nothing to brute-force without the key.
    pub fn document_hash(&self, normalized: &str) -> Vec<u8> {
        self.mac(&self.hash_key, normalized.as_bytes())
    }

    /// Keyed fingerprint of a request body (which may hold a document).
    pub fn fingerprint(&self, body: &[u8]) -> Vec<u8> {
        self.mac(&self.fingerprint_key, body)
    }

    fn mac(&self, key: &[u8; 32], data: &[u8]) -> Vec<u8> {
        let mut mac = <HmacSha256 as hmac::Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
}

fn signing_key_aad(key_id: u32) -> Vec<u8> {
    let mut aad = b"expopass signing key v1 ".to_vec();
    aad.extend_from_slice(&key_id.to_be_bytes());
    aad
}

/// "******123": only the last three characters.
pub(crate) fn mask_document(document: &str) -> String {
    let chars: Vec<char> = document.chars().collect();
    let keep = chars.len().min(3);
    let hidden = chars.len() - keep;
    std::iter::repeat_n('*', hidden.max(3))
        .chain(chars[hidden..].iter().copied())
        .collect()
}

/// SHA-256 of an API token: what the database keeps.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new API token: `xp_` and 32 random bytes in base64url.
pub(crate) fn new_token_text() -> AppResult<String> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    Ok(format!(
        "xp_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_and_hash_stably() {
        let vault = DocumentVault::new(&super::super::DocumentKey::new(Box::new([7; 32])));
        let doc = DocumentVault::normalize("ab 12-34 567");
        assert_eq!(doc, "AB1234567");
        let sealed = vault.encrypt(&doc).unwrap();
        assert!(!sealed.windows(doc.len()).any(|w| w == doc.as_bytes()));
        assert_eq!(vault.decrypt(&sealed).unwrap(), doc);
        assert_eq!(vault.document_hash(&doc), vault.document_hash("AB1234567"));
        let other = DocumentVault::new(&super::super::DocumentKey::new(Box::new([8; 32])));
        assert!(other.decrypt(&sealed).is_err());
        assert_ne!(other.document_hash(&doc), vault.document_hash(&doc));
    }

    #[test]
    fn masks_keep_three_characters() {
        assert_eq!(mask_document("AB1234567"), "******567");
        assert_eq!(mask_document("12"), "***12");
    }
}
