//! Public keys gitseal verifies signatures with, and the one `verify` function over them.
//!
//! Sigstore uses ECDSA P-256 (leaves, Rekor, CT logs, checkpoints) and P-384 (Fulcio CAs).
//! Keys are read from DER SubjectPublicKeyInfo; anything else is reported as unsupported so
//! the caller can say ERRSIG ("cannot check") rather than BADSIG. Pure: no I/O.
//!
//! Backends, chosen per curve by measurement (README "Performance"; `cargo bench --bench
//! verify -- backend`): an offline-mode commit costs four P-256 verifications and one P-384.
//! P-256 goes to `ring` (0.052 ms against 0.144 ms for RustCrypto `p256` on the reference
//! machine), P-384 stays on RustCrypto `p384` (0.465 ms against 0.495 ms for `ring`). Both are
//! compiled anyway (`ring` by ureq's rustls, `p256`/`p384` for signing and key parsing), so
//! the choice costs no build time. Keys are always parsed and validated by RustCrypto, and a
//! signature's DER is always decoded by RustCrypto first, so which keys and encodings are
//! accepted, and which error a malformed signature gets, do not depend on the backend.

use crate::oids;
use const_oid::ObjectIdentifier as Oid;
use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::{Digest, Sha256, Sha384};
use spki::{DecodePublicKey as _, SubjectPublicKeyInfoRef};

/// Digest used before ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl Hash {
    /// The hash named by an `ecdsa-with-SHA*` signature algorithm OID.
    pub fn for_ecdsa_algorithm(oid: Oid) -> Option<Self> {
        match oid {
            o if o == oids::ECDSA_WITH_SHA256 => Some(Self::Sha256),
            o if o == oids::ECDSA_WITH_SHA384 => Some(Self::Sha384),
            _ => None,
        }
    }

    /// Hashes `msg`.
    pub fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(msg).to_vec(),
            Self::Sha384 => Sha384::digest(msg).to_vec(),
        }
    }

    /// OpenPGP hash algorithm id (RFC 4880 §9.4), as gpg status lines report it.
    pub fn openpgp_id(self) -> u8 {
        match self {
            Self::Sha256 => 8,
            Self::Sha384 => 9,
        }
    }
}

/// Why a key or signature could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key is not an EC key on a supported curve.
    #[error("unsupported public key algorithm {0}")]
    Unsupported(String),
    /// The SubjectPublicKeyInfo does not decode.
    #[error("malformed public key")]
    Malformed,
    /// The signature is not a DER ECDSA signature.
    #[error("malformed signature encoding")]
    MalformedSignature,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// A verifying key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// ECDSA on NIST P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA on NIST P-384.
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        use der::Decode as _;
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::Malformed)?;
        if spki.algorithm.oid != oids::EC_PUBLIC_KEY {
            return Err(KeyError::Unsupported(spki.algorithm.oid.to_string()));
        }
        let curve = spki
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<Oid>().ok())
            .ok_or(KeyError::Malformed)?;
        if curve == oids::SECP256R1 {
            p256::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(Self::P256)
                .map_err(|_| KeyError::Malformed)
        } else if curve == oids::SECP384R1 {
            p384::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(Self::P384)
                .map_err(|_| KeyError::Malformed)
        } else {
            Err(KeyError::Unsupported(format!("EC curve {curve}")))
        }
    }

    /// Verifies a DER ECDSA signature over `msg` hashed with `hash`.
    pub fn verify(&self, hash: Hash, msg: &[u8], der_sig: &[u8]) -> Result<(), KeyError> {
        match self {
            Self::P256(k) => {
                // Strict DER and 0 < r, s < n, as before the backend switch (MalformedSignature
                // rather than BadSignature for an encoding error); ring then does the math.
                p256::ecdsa::Signature::from_der(der_sig)
                    .map_err(|_| KeyError::MalformedSignature)?;
                let alg = match hash {
                    Hash::Sha256 => &ring::signature::ECDSA_P256_SHA256_ASN1,
                    Hash::Sha384 => &ring::signature::ECDSA_P256_SHA384_ASN1,
                };
                let point = k.to_sec1_point(false);
                ring::signature::UnparsedPublicKey::new(alg, point.as_bytes())
                    .verify(msg, der_sig)
                    .map_err(|_| KeyError::BadSignature)
            }
            Self::P384(_) => self.verify_prehash(&hash.digest(msg), der_sig),
        }
    }

    /// Verifies a DER ECDSA signature over an already computed digest, with RustCrypto for
    /// both curves (`ring` has no prehash interface). Prefer [`PublicKey::verify`] where the
    /// message is at hand: it is faster for P-256.
    pub fn verify_prehash(&self, digest: &[u8], der_sig: &[u8]) -> Result<(), KeyError> {
        match self {
            Self::P256(k) => {
                let sig = p256::ecdsa::Signature::from_der(der_sig)
                    .map_err(|_| KeyError::MalformedSignature)?;
                k.verify_prehash(digest, &sig)
                    .map_err(|_| KeyError::BadSignature)
            }
            Self::P384(k) => {
                let sig = p384::ecdsa::Signature::from_der(der_sig)
                    .map_err(|_| KeyError::MalformedSignature)?;
                k.verify_prehash(digest, &sig)
                    .map_err(|_| KeyError::BadSignature)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::hazmat::PrehashSigner as _;
    use spki::EncodePublicKey as _;

    /// The P-256 fast path (ring) accepts and rejects exactly what the RustCrypto path does:
    /// good signatures under both hashes, both S halves (neither enforces low-S, so the
    /// backend switch changed nothing for signatures made elsewhere), and the same errors.
    #[test]
    fn p256_backends_agree() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let spki = sk.verifying_key().to_public_key_der().unwrap();
        let key = PublicKey::from_spki_der(spki.as_bytes()).unwrap();
        let long = [0x5au8; 1000];
        for hash in [Hash::Sha256, Hash::Sha384] {
            for msg in [&b""[..], b"gitseal", &long] {
                let digest = hash.digest(msg);
                let sig: p256::ecdsa::Signature = sk.sign_prehash(&digest).unwrap();
                let (r, s) = sig.split_scalars();
                let flipped = p256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
                for sig in [sig, flipped] {
                    let der = sig.to_der().as_bytes().to_vec();
                    assert_eq!(key.verify(hash, msg, &der), Ok(()));
                    assert_eq!(key.verify_prehash(&digest, &der), Ok(()));
                    let other = key.verify(hash, b"another message", &der);
                    assert_eq!(other, Err(KeyError::BadSignature));
                    let mut bad = der.clone();
                    let last = bad.len() - 1;
                    bad[last] ^= 1;
                    assert_eq!(key.verify(hash, msg, &bad), Err(KeyError::BadSignature));
                    assert_eq!(
                        key.verify(hash, msg, &der[..last]),
                        Err(KeyError::MalformedSignature)
                    );
                }
            }
        }
    }
}
