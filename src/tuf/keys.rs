//! TUF public keys and the threshold rule (TUF spec §4.2 key objects, §5.3.4/§5.4.2 "signed
//! by a threshold of keys").
//!
//! Key forms as python-tuf 7 / securesystemslib write them and as Sigstore's root uses them:
//! `ed25519`/`ed25519` (hex of the 32-byte key), `ecdsa` (or the older keytype names
//! `ecdsa-sha2-nistp256`/`-nistp384`) with scheme `ecdsa-sha2-nistp256` (SHA-256) or
//! `ecdsa-sha2-nistp384` (SHA-384), the key as PEM SubjectPublicKeyInfo (or hex of the DER
//! SPKI or of an uncompressed SEC1 point), and the signature hex of DER. Sigstore's root
//! (`src/tuf/public-good.root.json`) has only P-256 keys; RSA schemes are not accepted (a
//! key gitseal cannot use is kept as unusable and never counts towards a threshold).
//!
//! The math is aws-lc-rs (Ed25519 directly, ECDSA through [`crate::pubkey`], which validates
//! the point with RustCrypto first). Pure: no I/O.

use crate::pubkey::{EcKey, Hash, PublicKey};
use aws_lc_rs::signature as lc;
use std::collections::{BTreeMap, BTreeSet};

/// A key a TUF role may sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// Ed25519, 32 raw bytes.
    Ed25519([u8; 32]),
    /// ECDSA with the hash its scheme names.
    Ecdsa(Box<PublicKey>, Hash),
    /// A key type or scheme gitseal does not verify (named for messages).
    Unusable(String),
}

/// A key object as it appears in root metadata (`keys` map value).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct KeyJson {
    /// `ed25519`, `ecdsa`, `rsa`, …
    pub keytype: String,
    /// `ed25519`, `ecdsa-sha2-nistp256`, …
    pub scheme: String,
    /// `{"public": …}`.
    pub keyval: KeyVal,
}

/// `keyval`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct KeyVal {
    /// The public key, hex or PEM by key type.
    pub public: String,
}

impl Key {
    /// Reads a key object. Malformed material for a known scheme is an error (the root that
    /// lists it is broken); an unknown scheme is [`Key::Unusable`].
    pub fn from_json(k: &KeyJson) -> Result<Self, String> {
        match (k.keytype.as_str(), k.scheme.as_str()) {
            ("ed25519", "ed25519") => {
                let raw = hex::decode(k.keyval.public.trim())
                    .ok()
                    .and_then(|v| <[u8; 32]>::try_from(v).ok())
                    .ok_or("an ed25519 key is not hex of 32 bytes")?;
                Ok(Self::Ed25519(raw))
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                ecdsa(&k.keyval.public, Hash::Sha256, true)
            }
            ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => {
                ecdsa(&k.keyval.public, Hash::Sha384, false)
            }
            (t, s) => Ok(Self::Unusable(format!("{t}/{s}"))),
        }
    }

    /// Whether `sig` (raw bytes, hex-decoded) is this key's signature over `msg`.
    pub fn verifies(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            Self::Ed25519(pk) => lc::UnparsedPublicKey::new(&lc::ED25519, pk)
                .verify(msg, sig)
                .is_ok(),
            Self::Ecdsa(pk, hash) => pk.verify(*hash, msg, sig).is_ok(),
            Self::Unusable(_) => false,
        }
    }

    /// The key material, to count one key listed under two ids once.
    fn material(&self) -> Vec<u8> {
        match self {
            Self::Ed25519(k) => k.to_vec(),
            Self::Ecdsa(pk, _) => match pk.ec() {
                EcKey::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
                EcKey::P384(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            },
            Self::Unusable(s) => s.as_bytes().to_vec(),
        }
    }
}

/// An ECDSA key: PEM SPKI, hex of DER SPKI, or hex of an uncompressed SEC1 point; the curve
/// must be the scheme's.
fn ecdsa(public: &str, hash: Hash, p256: bool) -> Result<Key, String> {
    let der = if public.trim_start().starts_with("-----BEGIN") {
        let (label, der) = pem_rfc7468::decode_vec(public.trim().as_bytes())
            .map_err(|_| "an ecdsa key is not valid PEM")?;
        if label != "PUBLIC KEY" {
            return Err(format!("an ecdsa key is PEM {label:?}, not PUBLIC KEY"));
        }
        der
    } else {
        hex::decode(public.trim()).map_err(|_| "an ecdsa key is neither PEM nor hex")?
    };
    let key = if der.first() == Some(&0x04) {
        if p256 {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&der)
                .map(|k| PublicKey::from(EcKey::P256(k)))
                .map_err(|_| "an ecdsa-sha2-nistp256 key is not a P-256 point")?
        } else {
            p384::ecdsa::VerifyingKey::from_sec1_bytes(&der)
                .map(|k| PublicKey::from(EcKey::P384(k)))
                .map_err(|_| "an ecdsa-sha2-nistp384 key is not a P-384 point")?
        }
    } else {
        PublicKey::from_spki_der(&der).map_err(|e| format!("an ecdsa key: {e}"))?
    };
    match (key.ec(), p256) {
        (EcKey::P256(_), true) | (EcKey::P384(_), false) => Ok(Key::Ecdsa(Box::new(key), hash)),
        _ => Err("an ecdsa key's curve does not match its scheme".into()),
    }
}

/// One signature of a metadata envelope.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SignatureJson {
    /// The key id it claims.
    pub keyid: String,
    /// Hex of the signature bytes.
    pub sig: String,
}

/// Counts the distinct keys of a role (`keyids`, resolved in `keys`) with a valid signature
/// over `msg` and returns the count. A key id listed twice in `signatures` counts once, and
/// two key ids naming the same key material count once (TUF spec §5.4.2: "a threshold of
/// unique keys"); signatures by keys outside the role, by unusable keys, undecodable or
/// invalid ones count zero.
pub fn count_valid(
    msg: &[u8],
    signatures: &[SignatureJson],
    role_keyids: &[String],
    keys: &BTreeMap<String, Key>,
) -> usize {
    let mut ids_done = BTreeSet::new();
    let mut material_done = BTreeSet::new();
    for s in signatures {
        if !role_keyids.contains(&s.keyid) || ids_done.contains(&s.keyid) {
            continue;
        }
        let Some(key) = keys.get(&s.keyid) else {
            continue;
        };
        let Ok(sig) = hex::decode(s.sig.trim()) else {
            continue;
        };
        if key.verifies(msg, &sig) {
            ids_done.insert(s.keyid.clone());
            material_done.insert(key.material());
        }
    }
    material_done.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ed_key(seed: u8) -> (lc::Ed25519KeyPair, Key) {
        let kp = lc::Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap();
        use lc::KeyPair as _;
        let pk: [u8; 32] = kp.public_key().as_ref().try_into().unwrap();
        (kp, Key::Ed25519(pk))
    }

    fn sig(keyid: &str, kp: &lc::Ed25519KeyPair, msg: &[u8]) -> SignatureJson {
        SignatureJson {
            keyid: keyid.into(),
            sig: hex::encode(kp.sign(msg).as_ref()),
        }
    }

    #[test]
    fn threshold_counts_distinct_valid_keys() {
        let (k1, p1) = ed_key(1);
        let (k2, p2) = ed_key(2);
        let (k3, p3) = ed_key(3);
        let keys: BTreeMap<String, Key> = [("a".into(), p1), ("b".into(), p2), ("c".into(), p3)]
            .into_iter()
            .collect();
        let role = vec!["a".to_string(), "b".to_string()];
        let msg = b"signed bytes";
        // Two role keys: 2.
        let sigs = vec![sig("a", &k1, msg), sig("b", &k2, msg)];
        assert_eq!(count_valid(msg, &sigs, &role, &keys), 2);
        // The same key id twice: 1.
        let sigs = vec![sig("a", &k1, msg), sig("a", &k1, msg)];
        assert_eq!(count_valid(msg, &sigs, &role, &keys), 1);
        // A key outside the role does not count.
        let sigs = vec![sig("a", &k1, msg), sig("c", &k3, msg)];
        assert_eq!(count_valid(msg, &sigs, &role, &keys), 1);
        // A signature over other bytes, a key id claiming another key's signature, junk hex.
        let sigs = vec![
            sig("a", &k1, b"other"),
            sig("b", &k1, msg),
            SignatureJson {
                keyid: "a".into(),
                sig: "zz".into(),
            },
        ];
        assert_eq!(count_valid(msg, &sigs, &role, &keys), 0);
        // A bad signature under a key id does not stop a later good one from counting.
        let sigs = vec![sig("a", &k1, b"other"), sig("a", &k1, msg)];
        assert_eq!(count_valid(msg, &sigs, &role, &keys), 1);
    }

    #[test]
    fn one_key_under_two_ids_counts_once() {
        let (k1, p1) = ed_key(1);
        let keys: BTreeMap<String, Key> = [("a".into(), p1.clone()), ("a2".into(), p1)]
            .into_iter()
            .collect();
        let role = vec!["a".to_string(), "a2".to_string()];
        let sigs = vec![sig("a", &k1, b"m"), sig("a2", &k1, b"m")];
        assert_eq!(count_valid(b"m", &sigs, &role, &keys), 1);
    }

    #[test]
    fn key_forms() {
        let k = |t: &str, s: &str, p: &str| {
            Key::from_json(&KeyJson {
                keytype: t.into(),
                scheme: s.into(),
                keyval: KeyVal { public: p.into() },
            })
        };
        assert!(matches!(
            k("rsa", "rsassa-pss-sha256", "x"),
            Ok(Key::Unusable(_))
        ));
        assert!(k("ed25519", "ed25519", "00").is_err());
        assert!(k("ecdsa", "ecdsa-sha2-nistp256", "not a key").is_err());
        // A P-256 key under the P-384 scheme is refused.
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let point = hex::encode(sk.verifying_key().to_sec1_point(false).as_bytes());
        assert!(k("ecdsa", "ecdsa-sha2-nistp256", &point).is_ok());
        assert!(k("ecdsa", "ecdsa-sha2-nistp384", &point).is_err());
    }
}
