//! Rekor v2 checkpoints: C2SP `tlog-checkpoint` notes in the C2SP `signed-note` format, signed
//! by the log key a trusted root lists.
//!
//! Which name and key id a log signs with is fixed by how Sigstore clients verify:
//! * the note's origin and signature name are the **host name of the log's `baseUrl`** in the
//!   trusted root (sigstore-go `pkg/verify/tlog.go`: `url.Parse(BaseURL).Hostname()` passed as
//!   the origin to rekor-tiles' `note.NewNoteVerifier`), e.g. `log2025-1.rekor.sigstore.dev`;
//! * the 4-byte key hint is the start of the key id (rekor-tiles `pkg/note` `KeyHash`):
//!   Ed25519 (signature type 0x01, C2SP signed-note) `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)`;
//!   ECDSA `SHA-256(DER SubjectPublicKeyInfo)` (rekor-tiles' own rule, "not conformant to the
//!   note standard"). The full hash is the log's `logId.keyId` in the trusted root
//!   (checked: the public-good `log2025-1` entry);
//! * the signature covers the note text up to and including its last newline: pure Ed25519,
//!   or ECDSA P-256 over SHA-256 in ASN.1 DER.
//!
//! Parsing is [`Checkpoint::parse`]'s, which already accepts only what a log writes (one
//! signature line, named with the origin; see `rekor::checkpoint`). Pure.

use sha2::{Digest, Sha256};

use crate::pubkey::Hash;
use crate::rekor::checkpoint::{Checkpoint, CheckpointError};
use crate::trust::LogKey;

/// Why a Rekor v2 checkpoint does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note does not parse.
    #[error("{0}")]
    Parse(#[from] CheckpointError),
    /// The trusted root's `baseUrl` of the log names no host, so there is no origin to expect.
    #[error("the trusted root gives log {0:?} no base URL host to derive its origin from")]
    NoOrigin(String),
    /// The checkpoint is for another log.
    #[error("the checkpoint's origin is {origin:?}, but the log's is {expected:?}")]
    OriginMismatch {
        /// Origin line of the note (at most 100 characters).
        origin: String,
        /// Host of the trusted root's `baseUrl`.
        expected: String,
    },
    /// The log's key is of a type that cannot sign a checkpoint (neither Ed25519 nor ECDSA).
    #[error("the log key ({0}) cannot verify a checkpoint")]
    UnsupportedKey(String),
    /// The signature line carries another key's hint.
    #[error("the checkpoint is signed with key id {got}, not the log's {expected}")]
    KeyHintMismatch {
        /// Hint on the signature line (hex).
        got: String,
        /// The log key's id prefix (hex).
        expected: String,
    },
    /// The signature does not verify under the log's key.
    #[error("the checkpoint's signature does not verify under the log's key")]
    BadSignature,
}

/// The origin (and signer name) of a log's checkpoints: the host of its `baseUrl`, as Go's
/// `url.URL.Hostname()` gives it (no port, no IPv6 brackets). `None` when there is none.
pub fn origin_for_base_url(base_url: &str) -> Option<String> {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // userinfo is never part of a log's URL; refuse rather than guess.
    if authority.contains('@') {
        return None;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map(|(h, _)| h)?,
        None => authority.split(':').next().unwrap_or_default(),
    };
    (!host.is_empty() && !host.contains(char::is_whitespace)).then(|| host.to_owned())
}

/// The C2SP signed-note key id of `log`'s key under signer name `name` (see the module doc).
pub fn key_id(name: &str, log: &LogKey) -> Option<[u8; 32]> {
    if let Some(ed) = &log.ed25519 {
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update([0x0a, 0x01]);
        h.update(ed.raw());
        return Some(h.finalize().into());
    }
    log.key
        .as_ref()
        .map(|_| Sha256::digest(&log.spki_der).into())
}

/// Parses `note` and checks it is a checkpoint of `log`: origin = host of the log's
/// `baseUrl`, one signature named so, with the log key's hint, verifying under its key.
pub fn verify_checkpoint(note: &str, log: &LogKey) -> Result<Checkpoint, NoteError> {
    let expected = origin_for_base_url(&log.base_url)
        .ok_or_else(|| NoteError::NoOrigin(log.base_url.chars().take(100).collect()))?;
    let cp = Checkpoint::parse(note)?;
    if cp.origin != expected {
        return Err(NoteError::OriginMismatch {
            origin: cp.origin.chars().take(100).collect(),
            expected,
        });
    }
    let id =
        key_id(&expected, log).ok_or_else(|| NoteError::UnsupportedKey(log.key_details.clone()))?;
    // `Checkpoint::parse` guarantees exactly one signature line, named with the origin.
    let sig = cp.signatures.first().ok_or(NoteError::BadSignature)?;
    if sig.key_hint != id[..4] {
        return Err(NoteError::KeyHintMismatch {
            got: hex::encode(sig.key_hint),
            expected: hex::encode(&id[..4]),
        });
    }
    let text = cp.signed_text.as_bytes();
    let ok = match (&log.ed25519, &log.key) {
        (Some(ed), _) => ed.verify(text, &sig.signature).is_ok(),
        (None, Some(k)) => k.verify(Hash::Sha256, text, &sig.signature).is_ok(),
        (None, None) => false,
    };
    if !ok {
        return Err(NoteError::BadSignature);
    }
    Ok(cp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubkey::Ed25519Key;
    use crate::trust::{TrustRoot, Validity};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;

    #[test]
    fn origins_are_go_hostnames() {
        for (url, host) in [
            (
                "https://log2025-1.rekor.sigstore.dev",
                Some("log2025-1.rekor.sigstore.dev"),
            ),
            ("http://127.0.0.1:8080/rekor", Some("127.0.0.1")),
            ("https://[::1]:443/x", Some("::1")),
            ("https://user@host", None),
            ("https://", None),
            ("", None),
        ] {
            assert_eq!(origin_for_base_url(url).as_deref(), host, "{url}");
        }
    }

    /// The public-good Rekor v2 log's trusted-root `logId` is the signed-note key id of its
    /// Ed25519 key under the host of its `baseUrl`: the rule this module relies on.
    #[test]
    fn public_good_v2_log_id_is_its_note_key_id() {
        let tr = TrustRoot::public_good().unwrap();
        let log = tr.tlogs.iter().find(|l| l.ed25519.is_some()).unwrap();
        let name = origin_for_base_url(&log.base_url).unwrap();
        assert_eq!(name, "log2025-1.rekor.sigstore.dev");
        assert_eq!(key_id(&name, log), Some(log.log_id));
        // An ECDSA log's key id is SHA-256 of its SPKI, its v1 log id.
        let v1 = &tr.tlogs[0];
        assert_eq!(key_id("rekor.sigstore.dev", v1), Some(v1.log_id));
    }

    /// A Rekor v2 log with an ECDSA P-256 key (rekor-tiles also runs those): key id =
    /// SHA-256 of its DER SPKI, signature ECDSA over SHA-256 of the note text, DER.
    #[test]
    fn ecdsa_checkpoints() {
        use p256::ecdsa::signature::Signer as _;
        use spki::EncodePublicKey as _;
        let sk = p256::ecdsa::SigningKey::from_slice(&[5u8; 32]).unwrap();
        let spki = sk
            .verifying_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        let log = LogKey {
            base_url: "https://log.example".into(),
            log_id: Sha256::digest(&spki).into(),
            key: Some(crate::pubkey::PublicKey::from_spki_der(&spki).unwrap()),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: Validity::default(),
            ed25519: None,
            spki_der: spki,
        };
        let text = format!("log.example\n3\n{}\n", B64.encode([9u8; 32]));
        let sig: p256::ecdsa::Signature = sk.sign(text.as_bytes());
        let mut raw = log.log_id[..4].to_vec();
        raw.extend_from_slice(sig.to_der().as_bytes());
        let note = format!("{text}\n\u{2014} log.example {}\n", B64.encode(&raw));
        assert_eq!(verify_checkpoint(&note, &log).unwrap().tree_size, 3);
        let forged = note.replacen("\n3\n", "\n4\n", 1);
        assert_eq!(
            verify_checkpoint(&forged, &log),
            Err(NoteError::BadSignature)
        );
    }

    /// The C2SP signed-note / Go `sumdb/note` reference vector (golang.org/x/mod
    /// `sumdb/note` package example): verifier key
    /// `PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW` (type 0x01 ‖
    /// Ed25519 key) and its signed note. The key id rule gives its hash `c74f20a3`, the
    /// signature line carries that hint, and the signature verifies over the text (and not
    /// over a changed one).
    #[test]
    fn c2sp_signed_note_reference_vector() {
        let vkey = B64
            .decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .unwrap();
        assert_eq!(vkey[0], 0x01);
        let mut spki = hex::decode("302a300506032b6570032100").unwrap();
        spki.extend_from_slice(&vkey[1..]);
        let log = LogKey {
            base_url: "https://PeterNeumann".into(),
            log_id: [0; 32],
            key: None,
            key_details: "PKIX_ED25519".into(),
            valid_for: Validity::default(),
            ed25519: Some(Ed25519Key::from_spki_der(&spki).unwrap()),
            spki_der: spki,
        };
        let id = key_id("PeterNeumann", &log).unwrap();
        assert_eq!(hex::encode(&id[..4]), "c74f20a3");
        let text = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
        let sig = B64
            .decode("x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=")
            .unwrap();
        assert_eq!(sig[..4], id[..4]);
        let key = log.ed25519.as_ref().unwrap();
        assert_eq!(key.verify(text.as_bytes(), &sig[4..]), Ok(()));
        let changed = text.replace("cryptography", "cryptographY");
        assert!(key.verify(changed.as_bytes(), &sig[4..]).is_err());
        // Another name gives another key id.
        assert_ne!(key_id("PeterNeumann2", &log).unwrap()[..4], id[..4]);
    }

    /// A checkpoint signed with an RFC 8032 key, checked against every rule.
    #[test]
    fn verifies_and_rejects() {
        use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
        let pair = Ed25519KeyPair::from_seed_unchecked(&[3u8; 32]).unwrap();
        let mut spki = hex::decode("302a300506032b6570032100").unwrap();
        spki.extend_from_slice(pair.public_key().as_ref());
        let ed = Ed25519Key::from_spki_der(&spki).unwrap();
        let mut log = LogKey {
            base_url: "http://127.0.0.1:9/".into(),
            log_id: [0; 32],
            key: None,
            key_details: "PKIX_ED25519".into(),
            valid_for: Validity::default(),
            ed25519: Some(ed),
            spki_der: spki,
        };
        let id = key_id("127.0.0.1", &log).unwrap();
        log.log_id = id;
        let note = |origin: &str, hint: &[u8], body_extra: &str, flip: bool| {
            let text = format!("{origin}\n5\n{}\n{body_extra}", B64.encode([6u8; 32]));
            let mut sig = pair.sign(text.as_bytes()).as_ref().to_vec();
            if flip {
                sig[0] ^= 1;
            }
            let mut raw = hint.to_vec();
            raw.extend_from_slice(&sig);
            format!("{text}\n\u{2014} {origin} {}\n", B64.encode(raw))
        };
        let cp = verify_checkpoint(&note("127.0.0.1", &id[..4], "", false), &log).unwrap();
        assert_eq!((cp.tree_size, cp.root_hash), (5, [6; 32]));
        assert!(matches!(
            verify_checkpoint(&note("other.example", &id[..4], "", false), &log),
            Err(NoteError::OriginMismatch { .. })
        ));
        assert!(matches!(
            verify_checkpoint(&note("127.0.0.1", &[0, 0, 0, 0], "", false), &log),
            Err(NoteError::KeyHintMismatch { .. })
        ));
        assert_eq!(
            verify_checkpoint(&note("127.0.0.1", &id[..4], "", true), &log),
            Err(NoteError::BadSignature)
        );
        // The signed text changed after signing (another size): refused.
        let good = note("127.0.0.1", &id[..4], "", false);
        let forged = good.replacen("\n5\n", "\n6\n", 1);
        assert_eq!(
            verify_checkpoint(&forged, &log),
            Err(NoteError::BadSignature)
        );
        // Another log's key (same name): its hint differs, and so would the signature.
        let other = Ed25519KeyPair::from_seed_unchecked(&[4u8; 32]).unwrap();
        let mut log2 = log.clone();
        let mut spki2 = hex::decode("302a300506032b6570032100").unwrap();
        spki2.extend_from_slice(other.public_key().as_ref());
        log2.ed25519 = Some(Ed25519Key::from_spki_der(&spki2).unwrap());
        assert!(matches!(
            verify_checkpoint(&good, &log2),
            Err(NoteError::KeyHintMismatch { .. })
        ));
        // A log whose key is neither type.
        let mut none = log.clone();
        none.ed25519 = None;
        assert!(matches!(
            verify_checkpoint(&good, &none),
            Err(NoteError::UnsupportedKey(_))
        ));
    }
}
