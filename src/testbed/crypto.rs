//! Small cryptographic and encoding helpers shared by the testbed's services.
//!
//! Owns key generation (through the OS RNG), random tokens, the RFC 6962 / Rekor key id
//! (`sha256(DER SubjectPublicKeyInfo)`), PEM framing, clock access and RFC 3339 formatting.
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

/// PEM with 64-column lines and LF endings (what Go's `pem.EncodeToMemory` writes, and
/// therefore what Rekor canonicalises certificates to).
pub fn pem(label: &str, der: &[u8]) -> String {
    let b = B64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    let mut rest = b.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Every PEM block with `label` in `text`, decoded.
pub fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let stop = after
            .find(&end)
            .ok_or_else(|| format!("unterminated {label} PEM block"))?;
        let body: String = after[..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        out.push(
            B64.decode(body)
                .map_err(|e| format!("bad base64 in {label} PEM block: {e}"))?,
        );
        rest = &after[stop + end.len()..];
    }
    Ok(out)
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
    fn pem_round_trip_and_format() {
        let data: Vec<u8> = (0u8..=100).collect();
        let p = pem("CERTIFICATE", &data);
        assert!(p.lines().all(|l| l.len() <= 64));
        assert_eq!(
            pem_blocks(&(p.clone() + &p), "CERTIFICATE").expect("pem"),
            vec![data.clone(), data]
        );
        assert_eq!(rfc3339(0).expect("time"), "1970-01-01T00:00:00Z");
    }
}
