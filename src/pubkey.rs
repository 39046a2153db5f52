//! Public keys gitseal verifies signatures with, and the one `verify` function over them.
//!
//! Sigstore uses ECDSA P-256 (leaves, Rekor, CT logs, checkpoints) and P-384 (Fulcio CAs).
//! Keys are read from DER SubjectPublicKeyInfo; anything else is reported as unsupported so
//! the caller can say ERRSIG ("cannot check") rather than BADSIG. Pure: no I/O.
//!
//! Backend, chosen by measurement (README "Performance"; `scripts/bench --backends`): the
//! signature math runs on `aws-lc-rs` for both curves. An offline-mode commit costs four
//! P-256 verifications and one P-384 (the leaf, signed by the Fulcio intermediate), and the
//! P-384 one dominated: 0.99 ms on RustCrypto `p384` 0.14 and 0.88 ms on `ring` 0.17 against
//! 0.20 ms on aws-lc-rs (P-256: 0.30 / 0.059 / 0.051 ms), same machine, same run (issue 18).
//! Keys are always parsed and validated by RustCrypto (SPKI, curve, point on the curve), and a
//! signature's DER is always decoded by RustCrypto first (strict DER, 0 < r, s < n), so which
//! keys and encodings are accepted, and which error a malformed signature gets, do not depend
//! on the backend: aws-lc only ever sees inputs RustCrypto already accepted.

use crate::oids;
use aws_lc_rs::signature as lc;
use const_oid::ObjectIdentifier as Oid;
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
        // Strict DER and 0 < r, s < n by RustCrypto first (MalformedSignature rather than
        // BadSignature for an encoding error, whatever the backend); aws-lc then does the math
        // on the point RustCrypto validated.
        let (alg, point): (&'static lc::EcdsaVerificationAlgorithm, _) = match self {
            Self::P256(k) => {
                p256::ecdsa::Signature::from_der(der_sig)
                    .map_err(|_| KeyError::MalformedSignature)?;
                let alg = match hash {
                    Hash::Sha256 => &lc::ECDSA_P256_SHA256_ASN1,
                    Hash::Sha384 => &lc::ECDSA_P256_SHA384_ASN1,
                };
                (alg, k.to_sec1_point(false).as_bytes().to_vec())
            }
            Self::P384(k) => {
                p384::ecdsa::Signature::from_der(der_sig)
                    .map_err(|_| KeyError::MalformedSignature)?;
                let alg = match hash {
                    Hash::Sha256 => &lc::ECDSA_P384_SHA256_ASN1,
                    Hash::Sha384 => &lc::ECDSA_P384_SHA384_ASN1,
                };
                (alg, k.to_sec1_point(false).as_bytes().to_vec())
            }
        };
        lc::UnparsedPublicKey::new(alg, point)
            .verify(msg, der_sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
    use spki::EncodePublicKey as _;

    /// What the backend must agree on with RustCrypto's own verifier, for one curve: good
    /// signatures under both hashes and both S halves (neither enforces low-S, so signatures
    /// made elsewhere are judged as before), and the same errors for a wrong message, a
    /// flipped bit and a truncated encoding.
    macro_rules! backend_agrees {
        ($curve:ident, $seed:expr) => {{
            let sk = $curve::ecdsa::SigningKey::from_slice(&$seed).unwrap();
            let vk = *sk.verifying_key();
            let spki = vk.to_public_key_der().unwrap();
            let key = PublicKey::from_spki_der(spki.as_bytes()).unwrap();
            let long = [0x5au8; 1000];
            for hash in [Hash::Sha256, Hash::Sha384] {
                for msg in [&b""[..], b"gitseal", &long] {
                    let digest = hash.digest(msg);
                    let sig: $curve::ecdsa::Signature = sk.sign_prehash(&digest).unwrap();
                    let (r, s) = sig.split_scalars();
                    let flipped = $curve::ecdsa::Signature::from_scalars(r, -*s).unwrap();
                    for sig in [sig, flipped] {
                        assert!(vk.verify_prehash(&digest, &sig).is_ok());
                        let der = sig.to_der().as_bytes().to_vec();
                        assert_eq!(key.verify(hash, msg, &der), Ok(()));
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
                        // The other hash over the same message is a different digest.
                        let wrong = match hash {
                            Hash::Sha256 => Hash::Sha384,
                            Hash::Sha384 => Hash::Sha256,
                        };
                        assert_eq!(key.verify(wrong, msg, &der), Err(KeyError::BadSignature));
                    }
                }
            }
        }};
    }

    #[test]
    fn p256_backend_agrees_with_rustcrypto() {
        backend_agrees!(p256, [7u8; 32]);
    }

    #[test]
    fn p384_backend_agrees_with_rustcrypto() {
        backend_agrees!(p384, [9u8; 48]);
    }

    /// Encodings RustCrypto refuses never reach the backend: BER lengths and a zero `r`.
    #[test]
    fn non_der_signatures_are_malformed() {
        let sk = p384::ecdsa::SigningKey::from_slice(&[9u8; 48]).unwrap();
        let spki = sk.verifying_key().to_public_key_der().unwrap();
        let key = PublicKey::from_spki_der(spki.as_bytes()).unwrap();
        let sig: p384::ecdsa::Signature = sk.sign_prehash(&Hash::Sha384.digest(b"m")).unwrap();
        let der = sig.to_der().as_bytes().to_vec();
        // Long-form length for the SEQUENCE (BER, not DER).
        let mut ber = vec![0x30, 0x81, der[1]];
        ber.extend_from_slice(&der[2..]);
        assert_eq!(
            key.verify(Hash::Sha384, b"m", &ber),
            Err(KeyError::MalformedSignature)
        );
        let zero_r = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
        assert_eq!(
            key.verify(Hash::Sha384, b"m", &zero_r),
            Err(KeyError::MalformedSignature)
        );
    }
}
