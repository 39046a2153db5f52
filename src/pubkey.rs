//! Public keys gitseal verifies signatures with, and the one `verify` function over them.
//!
//! Sigstore uses ECDSA P-256 (leaves, Rekor, CT logs, checkpoints) and P-384 (Fulcio CAs);
//! Rekor v2 logs sign checkpoints with Ed25519 ([`Ed25519Key`], a separate type so it can
//! never stand in for an ECDSA key). Keys are read from DER SubjectPublicKeyInfo; anything
//! else is reported as unsupported so the caller can say ERRSIG ("cannot check") rather than
//! BADSIG. Pure: no I/O.
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

/// An ECDSA public key on one of the two curves, as RustCrypto parsed and validated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcKey {
    /// ECDSA on NIST P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA on NIST P-384.
    P384(p384::ecdsa::VerifyingKey),
}

/// A verifying key: the validated point ([`EcKey`]) and aws-lc's parsed form of it, made on
/// first use for each hash and kept with the key.
///
/// Most verifications of a commit are by the same few keys (the Fulcio intermediate over the
/// leaf, the CT log over the SCT, the Rekor key over the SET and the checkpoint), held by the
/// trust root for the whole process; parsing the point into aws-lc for each of them was a
/// point decode, an on-curve check and a failed SPKI parse every time (issue 18).
#[derive(Clone)]
pub struct PublicKey {
    key: EcKey,
    /// aws-lc's key for SHA-256 (`[0]`) and SHA-384 (`[1]`) signatures.
    parsed: [std::sync::OnceLock<lc::ParsedPublicKey>; 2],
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.key.fmt(f)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for PublicKey {}

impl From<EcKey> for PublicKey {
    fn from(key: EcKey) -> Self {
        Self {
            key,
            parsed: Default::default(),
        }
    }
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
        let key = if curve == oids::SECP256R1 {
            p256::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(EcKey::P256)
                .map_err(|_| KeyError::Malformed)?
        } else if curve == oids::SECP384R1 {
            p384::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(EcKey::P384)
                .map_err(|_| KeyError::Malformed)?
        } else {
            return Err(KeyError::Unsupported(format!("EC curve {curve}")));
        };
        Ok(key.into())
    }

    /// The curve and point.
    pub fn ec(&self) -> &EcKey {
        &self.key
    }

    /// Verifies a DER ECDSA signature over `msg` hashed with `hash`.
    pub fn verify(&self, hash: Hash, msg: &[u8], der_sig: &[u8]) -> Result<(), KeyError> {
        // Strict DER and 0 < r, s < n by RustCrypto first (MalformedSignature rather than
        // BadSignature for an encoding error, whatever the backend); aws-lc then does the math
        // on the point RustCrypto validated.
        let alg: &'static lc::EcdsaVerificationAlgorithm = match &self.key {
            EcKey::P256(_) => {
                p256::ecdsa::Signature::from_der(der_sig)
                    .map_err(|_| KeyError::MalformedSignature)?;
                match hash {
                    Hash::Sha256 => &lc::ECDSA_P256_SHA256_ASN1,
                    Hash::Sha384 => &lc::ECDSA_P256_SHA384_ASN1,
                }
            }
            EcKey::P384(_) => {
                p384::ecdsa::Signature::from_der(der_sig)
                    .map_err(|_| KeyError::MalformedSignature)?;
                match hash {
                    Hash::Sha256 => &lc::ECDSA_P384_SHA256_ASN1,
                    Hash::Sha384 => &lc::ECDSA_P384_SHA384_ASN1,
                }
            }
        };
        let slot = &self.parsed[match hash {
            Hash::Sha256 => 0,
            Hash::Sha384 => 1,
        }];
        if slot.get().is_none() {
            let point = match &self.key {
                EcKey::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
                EcKey::P384(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            };
            let parsed = lc::ParsedPublicKey::new(alg, point).map_err(|_| KeyError::Malformed)?;
            // Another thread may have set it meanwhile: the same key either way.
            let _ = slot.set(parsed);
        }
        slot.get()
            .ok_or(KeyError::Malformed)?
            .verify_sig(msg, der_sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

/// `id-Ed25519` (RFC 8410 §3): 1.3.101.112.
const ED25519_OID: Oid = Oid::new_unwrap("1.3.101.112");

/// An Ed25519 verifying key (RFC 8032), as Rekor v2 logs sign their checkpoints with
/// (`PKIX_ED25519` in a trusted root, C2SP signed-note signature type 0x01).
///
/// Kept apart from [`PublicKey`] on purpose: Sigstore leaves and CAs are ECDSA, and a key
/// that can only verify *pure* Ed25519 must never be reachable from the ECDSA call sites
/// (certificate chains, CMS signatures), where it would be an algorithm confusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ed25519Key([u8; 32]);

impl Ed25519Key {
    /// Reads a DER SubjectPublicKeyInfo, strictly: algorithm `id-Ed25519` with parameters
    /// absent (RFC 8410 §3: "the parameters MUST be absent"), a 32-byte key in a BIT STRING
    /// without unused bits, and nothing after the structure.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        use der::Decode as _;
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::Malformed)?;
        if spki.algorithm.oid != ED25519_OID {
            return Err(KeyError::Unsupported(spki.algorithm.oid.to_string()));
        }
        if spki.algorithm.parameters.is_some() {
            return Err(KeyError::Malformed);
        }
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::Malformed)?;
        <[u8; 32]>::try_from(raw)
            .map(Self)
            .map_err(|_| KeyError::Malformed)
    }

    /// The raw 32-byte public key (what a C2SP signed-note key id hashes).
    pub fn raw(&self) -> &[u8; 32] {
        &self.0
    }

    /// Verifies a pure Ed25519 signature (RFC 8032 §5.1.7) over `msg`. The signature must be
    /// exactly 64 bytes; aws-lc rejects a non-canonical `S` (≥ L) and small-order points.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        if sig.len() != 64 {
            return Err(KeyError::MalformedSignature);
        }
        lc::UnparsedPublicKey::new(&lc::ED25519, self.0)
            .verify(msg, sig)
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

    /// RFC 8032 §7.1 TEST 2 (one-byte message 0x72), wrapped in an RFC 8410 SPKI; then every
    /// malformation of key and signature is refused.
    #[test]
    fn ed25519_rfc8032_vector_and_strictness() {
        let pk = hex::decode("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
            .unwrap();
        let sig = hex::decode(concat!(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da",
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ))
        .unwrap();
        let mut spki = hex::decode("302a300506032b6570032100").unwrap();
        spki.extend_from_slice(&pk);
        let key = Ed25519Key::from_spki_der(&spki).unwrap();
        assert_eq!(key.raw().as_slice(), pk.as_slice());
        assert_eq!(key.verify(&[0x72], &sig), Ok(()));
        assert_eq!(key.verify(&[0x73], &sig), Err(KeyError::BadSignature));
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert_eq!(key.verify(&[0x72], &bad), Err(KeyError::BadSignature));
        assert_eq!(
            key.verify(&[0x72], &sig[..63]),
            Err(KeyError::MalformedSignature)
        );
        // S + L (non-canonical S, same value mod L): refused (RFC 8032 §5.1.7 step 1).
        let l = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
            .unwrap();
        let mut s_plus_l = sig.clone();
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(s_plus_l[32 + i]) + u16::from(l[i]) + carry;
            s_plus_l[32 + i] = v as u8;
            carry = v >> 8;
        }
        assert_eq!(key.verify(&[0x72], &s_plus_l), Err(KeyError::BadSignature));
        // Parameters present (NULL), a 31-byte key, trailing bytes, an ECDSA SPKI.
        let mut with_null = hex::decode("302c300706032b65700500032100").unwrap();
        with_null.extend_from_slice(&pk);
        assert_eq!(
            Ed25519Key::from_spki_der(&with_null),
            Err(KeyError::Malformed)
        );
        let mut short = hex::decode("3029300506032b6570032000").unwrap();
        short.extend_from_slice(&pk[..31]);
        assert_eq!(Ed25519Key::from_spki_der(&short), Err(KeyError::Malformed));
        let mut trailing = spki.clone();
        trailing.push(0);
        assert_eq!(
            Ed25519Key::from_spki_der(&trailing),
            Err(KeyError::Malformed)
        );
        let ec = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let ec_spki = ec.verifying_key().to_public_key_der().unwrap();
        assert!(matches!(
            Ed25519Key::from_spki_der(ec_spki.as_bytes()),
            Err(KeyError::Unsupported(_))
        ));
        // And the ECDSA type never accepts an Ed25519 key.
        assert!(matches!(
            PublicKey::from_spki_der(&spki),
            Err(KeyError::Unsupported(_))
        ));
    }
}
