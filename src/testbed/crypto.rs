//! Small cryptographic and encoding helpers shared by the testbed's services.
//!
//! Owns key generation (through the OS RNG), random tokens, the RFC 6962 / Rekor key id
//! (`sha256(DER SubjectPublicKeyInfo)`), clock access and RFC 3339 formatting. PEM is
//! `crate::armor`'s, the one PEM reader and writer.
//! Nothing here touches the network or the disk, and nothing here verifies client material on
//! behalf of the verification core.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use p256::elliptic_curve::Generate;
use sha2::{Digest, Sha256};
use spki::EncodePublicKey;

use super::TestbedError;

/// A fresh P-256 key from the OS RNG.
pub fn new_p256() -> Result<p256::ecdsa::SigningKey, TestbedError> {
    p256::ecdsa::SigningKey::try_generate()
        .map_err(|e| TestbedError::Crypto(format!("OS RNG failed: {e}")))
}

/// A fresh P-384 key from the OS RNG.
pub fn new_p384() -> Result<p384::ecdsa::SigningKey, TestbedError> {
    p384::ecdsa::SigningKey::try_generate()
        .map_err(|e| TestbedError::Crypto(format!("OS RNG failed: {e}")))
}

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, TestbedError> {
    let mut v = vec![0u8; n];
    getrandom::fill(&mut v).map_err(|e| TestbedError::Crypto(format!("OS RNG failed: {e}")))?;
    Ok(v)
}

/// A random URL-safe token with `n` bytes of entropy (authorization codes, device codes).
pub fn random_token(n: usize) -> Result<String, TestbedError> {
    Ok(B64URL.encode(random_bytes(n)?))
}

/// Standard base64 with padding.
pub fn b64(data: &[u8]) -> String {
    B64.encode(data)
}

/// base64url without padding (JOSE, PKCE).
pub fn b64url(data: &[u8]) -> String {
    B64URL.encode(data)
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// DER SubjectPublicKeyInfo of a P-256 key.
pub fn spki_p256(key: &p256::ecdsa::VerifyingKey) -> Result<Vec<u8>, TestbedError> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| TestbedError::Crypto(e.to_string()))
}

/// DER SubjectPublicKeyInfo of a P-384 key.
pub fn spki_p384(key: &p384::ecdsa::VerifyingKey) -> Result<Vec<u8>, TestbedError> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| TestbedError::Crypto(e.to_string()))
}

/// RFC 6962 §3.2 log id, also Rekor's `logID`: SHA-256 of the DER SubjectPublicKeyInfo.
pub fn key_id(spki_der: &[u8]) -> [u8; 32] {
    sha256(spki_der)
}

/// Unix seconds now.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (the protobuf JSON form of a Timestamp in whole
/// seconds, as trusted roots use it).
pub fn rfc3339(unix: u64) -> Result<String, TestbedError> {
    der::DateTime::from_unix_duration(Duration::from_secs(unix))
        .map(|d| d.to_string())
        .map_err(|e| TestbedError::Crypto(format!("time {unix} out of range: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_format() {
        assert_eq!(rfc3339(0).expect("time"), "1970-01-01T00:00:00Z");
    }
}
