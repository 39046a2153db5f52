//! The testbed's Rekor v2: a tile-based log as rekor-tiles serves it.
//!
//! | request | answer |
//! |---|---|
//! | `POST /api/v2/log/entries` (`hashedRekordRequestV002`) | `201`, the `TransparencyLogEntry` protojson: log index, log id, kind `hashedrekord` 0.0.2, canonical body, inclusion proof with a signed checkpoint; no promise, no time |
//! | `GET /checkpoint` (also `/api/v2/checkpoint`) | the latest checkpoint, `text/plain` |
//! | `GET /tile/<L>/<N>[.p/<W>]` (also under `/api/v2`) | a hash tile (C2SP tlog-tiles) |
//! | `GET /tile/entries/<N>[.p/<W>]` | an entry bundle (2-byte big-endian length before each entry) |
//!
//! Checkpoints are C2SP signed notes: origin = the host of the log's URL (what Sigstore
//! clients derive from the trusted root's `baseUrl`), one Ed25519 signature line named with
//! the origin, key hint = the first 4 bytes of SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ key) (C2SP
//! signed-note type 0x01), whose whole hash is the log id in the trusted root. The canonical
//! body is RFC 8785 JSON of the protojson `Entry` (rekor-tiles `CreateEntry`), built here
//! with the testbed's own canonicaliser; the signature in a request is verified against the
//! certificate's key over the digest before anything is logged. Entries are kept in
//! `DIR/state/rekor-v2-log.jsonl` (fsynced per entry) and the Ed25519 key in
//! `DIR/state/keys/rekor-v2.key.pem` (PKCS#8, mode 0600).
//!
//! Faults (`rekorV2.createEntry`): `wrongCheckpointKey` (signed by a key not in the trust
//! root, real hint), `otherLogCheckpoint` (a genuine checkpoint of another log: its own
//! origin, key and hint), `wrongInclusionProof` (first hash flipped, or a stray hash for a
//! one-leaf tree); `rekorV2.checkpoint` takes `otherLogCheckpoint`; `rekorV2.tile`
//! `corruptTile` (the first hash of the served tile flipped). Independent of the verifier:
//! nothing here calls gitseal's Rekor or verification code.

use std::sync::{Mutex, MutexGuard};

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::{Decode, Encode};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use serde_json::{Value, json};
use x509_cert::certificate::Certificate;

use super::TestbedError;
use super::canon::to_canonical_json;
use super::crypto;
use super::faults::Fault;
use super::http::{Request, Response};
use super::merkle::{self, Hash};
use super::store::{LogFile, Store, StoredEntry};

/// Entries per tile and per entry bundle (C2SP tlog-tiles).
const TILE_WIDTH: usize = 256;

struct LogState {
    bodies: Vec<Vec<u8>>,
    leaves: Vec<Hash>,
    file: LogFile,
}

/// One v2 log.
pub struct RekorV2 {
    key: Ed25519KeyPair,
    /// A second log's key, for the `otherLogCheckpoint` and `wrongCheckpointKey` faults.
    other: Ed25519KeyPair,
    origin: String,
    key_id: Hash,
    spki: Vec<u8>,
    state: Mutex<LogState>,
}

fn lock(m: &Mutex<LogState>) -> MutexGuard<'_, LogState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn bad(msg: impl Into<String>) -> Response {
    Response::rekor_error(400, &msg.into())
}

/// DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410 §4).
pub fn ed25519_spki(raw: &[u8]) -> Vec<u8> {
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend_from_slice(raw);
    spki
}

/// C2SP signed-note key id of an Ed25519 key (type 0x01) under `name`.
fn note_key_id(name: &str, raw: &[u8]) -> Hash {
    let mut m = name.as_bytes().to_vec();
    m.extend_from_slice(&[0x0a, 0x01]);
    m.extend_from_slice(raw);
    crypto::sha256(&m)
}

/// Load or make the log key (PKCS#8 PEM, private file).
fn load_key(store: &Store) -> Result<Ed25519KeyPair, TestbedError> {
    let name = "keys/rekor-v2.key.pem";
    if let Some(pem) = store.read_optional(name)? {
        let der = crate::armor::blocks(pem.as_bytes(), "PRIVATE KEY")
            .into_iter()
            .next()
            .ok_or_else(|| TestbedError::State(format!("{name} holds no PRIVATE KEY")))?;
        return Ed25519KeyPair::from_pkcs8(&der)
            .map_err(|e| TestbedError::State(format!("{name}: not an Ed25519 PKCS#8 key: {e}")));
    }
    let doc = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
        .map_err(|_| TestbedError::Crypto("Ed25519 key generation failed".into()))?;
    super::store::write_atomic(
        &store.path(name),
        crate::armor::pem("PRIVATE KEY", doc.as_ref()).as_bytes(),
        true,
    )?;
    Ed25519KeyPair::from_pkcs8(doc.as_ref())
        .map_err(|e| TestbedError::Crypto(format!("Ed25519 key: {e}")))
}

/// protojson int64: a decimal string, omitted when zero (the caller skips it).
fn int64(v: usize) -> Value {
    Value::String(v.to_string())
}

impl RekorV2 {
    /// The v2 log of the testbed in `store`, signing checkpoints as `origin`.
    pub fn open(store: &Store, origin: &str) -> Result<Self, TestbedError> {
        let key = load_key(store)?;
        let other_doc = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| TestbedError::Crypto("Ed25519 key generation failed".into()))?;
        let other = Ed25519KeyPair::from_pkcs8(other_doc.as_ref())
            .map_err(|e| TestbedError::Crypto(format!("Ed25519 key: {e}")))?;
        let raw = key.public_key().as_ref().to_vec();
        let (entries, file) = store.open_log_named("rekor-v2-log.jsonl")?;
        let mut bodies = Vec::new();
        let mut leaves = Vec::new();
        for e in entries {
            let body = B64
                .decode(&e.body)
                .map_err(|_| TestbedError::State("rekor-v2-log.jsonl: bad body".into()))?;
            leaves.push(merkle::leaf_hash(&body));
            bodies.push(body);
        }
        Ok(Self {
            key_id: note_key_id(origin, &raw),
            spki: ed25519_spki(&raw),
            key,
            other,
            origin: origin.to_owned(),
            state: Mutex::new(LogState {
                bodies,
                leaves,
                file,
            }),
        })
    }

    /// DER SubjectPublicKeyInfo of the log key (for the trusted root).
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// The log id: the full signed-note key id.
    pub fn log_id(&self) -> Hash {
        self.key_id
    }

    /// The checkpoint origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Number of entries.
    pub fn size(&self) -> usize {
        lock(&self.state).leaves.len()
    }

    /// A signed checkpoint for `size` leaves with `root`.
    fn checkpoint(&self, size: usize, root: &Hash, faults: &[Fault]) -> String {
        let other_log = faults.contains(&Fault::OtherLogCheckpoint);
        let origin = if other_log {
            format!("other.{}", self.origin)
        } else {
            self.origin.clone()
        };
        let text = format!("{origin}\n{size}\n{}\n", B64.encode(root));
        let (signer, hint) = if other_log {
            let raw = self.other.public_key().as_ref().to_vec();
            (&self.other, note_key_id(&origin, &raw))
        } else if faults.contains(&Fault::WrongCheckpointKey) {
            (&self.other, self.key_id)
        } else {
            (&self.key, self.key_id)
        };
        let mut sig = hint[..4].to_vec();
        sig.extend_from_slice(signer.sign(text.as_bytes()).as_ref());
        format!("{text}\n\u{2014} {origin} {}\n", B64.encode(sig))
    }

    /// `POST /api/v2/log/entries`.
    pub fn create(&self, req: &Request, faults: &[Fault]) -> Result<Response, TestbedError> {
        let Ok(v) = serde_json::from_slice::<Value>(&req.body) else {
            return Ok(bad("request body is not a JSON CreateEntryRequest"));
        };
        let body = match canonical_body(&v) {
            Ok(b) => b,
            Err(resp) => return Ok(resp),
        };
        let leaf = merkle::leaf_hash(&body);
        let mut st = lock(&self.state);
        if st.leaves.contains(&leaf) {
            let i = st.leaves.iter().position(|l| *l == leaf).unwrap_or(0);
            return Ok(Response::rekor_error(
                409,
                &format!(
                    "an equivalent entry already exists in the transparency log with index {i}"
                ),
            ));
        }
        st.file.append(&StoredEntry {
            body: B64.encode(&body),
            integrated_time: 0,
        })?;
        st.leaves.push(leaf);
        st.bodies.push(body.clone());
        let size = st.leaves.len();
        let index = size - 1;
        let root = merkle::root(&st.leaves);
        let mut path = merkle::inclusion_proof(index, &st.leaves).unwrap_or_default();
        drop(st);
        if faults.contains(&Fault::WrongInclusionProof) {
            match path.first_mut() {
                Some(h) => h[0] ^= 1,
                None => path.push([0x5a; 32]),
            }
        }
        let mut proof = json!({
            "rootHash": B64.encode(root),
            "treeSize": int64(size),
            "hashes": path.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
            "checkpoint": {"envelope": self.checkpoint(size, &root, faults)},
        });
        let mut entry = json!({
            "logId": {"keyId": B64.encode(self.key_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "canonicalizedBody": B64.encode(&body),
        });
        // protojson omits zero-valued fields.
        if index != 0 {
            proof["logIndex"] = int64(index);
            entry["logIndex"] = int64(index);
        }
        entry["inclusionProof"] = proof;
        Ok(Response::json(201, &entry))
    }

    /// `GET /checkpoint`.
    pub fn latest_checkpoint(&self, faults: &[Fault]) -> Response {
        let st = lock(&self.state);
        let root = merkle::root(&st.leaves);
        let size = st.leaves.len();
        drop(st);
        Response::new(
            200,
            "text/plain; charset=utf-8",
            self.checkpoint(size, &root, faults),
        )
    }

    /// `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]`; `rest` is the path
    /// after `tile/`.
    pub fn tile(&self, rest: &str, faults: &[Fault]) -> Response {
        let not_found = || Response::rekor_error(404, "no such tile");
        let (level, n) = match rest.split_once('/') {
            Some(("entries", n)) => (None, n),
            Some((l, n))
                if !l.is_empty() && l.len() <= 2 && l.bytes().all(|b| b.is_ascii_digit()) =>
            {
                match l.parse::<u32>() {
                    Ok(l) if (l == 0 || !l.to_string().starts_with('0')) && l < 8 => (Some(l), n),
                    _ => return not_found(),
                }
            }
            _ => return not_found(),
        };
        let Some((index, width)) = parse_tile_index(n) else {
            return not_found();
        };
        let st = lock(&self.state);
        let mut bytes = Vec::new();
        match level {
            None => {
                let start = index.saturating_mul(TILE_WIDTH);
                let have = st.bodies.len().saturating_sub(start).min(TILE_WIDTH);
                if width > have || (width < TILE_WIDTH && width != have) {
                    return not_found();
                }
                for b in &st.bodies[start..start + width] {
                    let Ok(len) = u16::try_from(b.len()) else {
                        return Response::rekor_error(500, "entry too long for a bundle");
                    };
                    bytes.extend_from_slice(&len.to_be_bytes());
                    bytes.extend_from_slice(b);
                }
            }
            Some(level) => {
                let span = 1usize << (8 * level);
                let complete = st.leaves.len() / span;
                let start = index.saturating_mul(TILE_WIDTH);
                // A full tile only once complete; a partial one only at the log's edge, of
                // exactly the width the tree has.
                let have = complete.saturating_sub(start).min(TILE_WIDTH);
                if width > have || (width < TILE_WIDTH && width != have) {
                    return not_found();
                }
                for j in start..start + width {
                    bytes.extend_from_slice(&merkle::root(&st.leaves[j * span..(j + 1) * span]));
                }
                if faults.contains(&Fault::CorruptTile) {
                    bytes[0] ^= 1;
                }
            }
        }
        Response::new(200, "application/octet-stream", bytes)
    }
}

/// `<N>[.p/<W>]` → (index, width): 3-digit groups, `x` before all but the last, canonical.
fn parse_tile_index(s: &str) -> Option<(usize, usize)> {
    let (n, width) = match s.split_once(".p/") {
        Some((n, w)) => {
            if w.is_empty() || w.starts_with('0') || !w.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let w: usize = w.parse().ok()?;
            if !(1..TILE_WIDTH).contains(&w) {
                return None;
            }
            (n, w)
        }
        None => (s, TILE_WIDTH),
    };
    let parts: Vec<&str> = n.split('/').collect();
    if parts.len() > 6 {
        return None;
    }
    let mut index: usize = 0;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            p.strip_prefix('x')?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if i == 0 && parts.len() > 1 && digits == "000" {
            return None;
        }
        index = index.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    Some((index, width))
}

/// Validates a `hashedRekordRequestV002` and returns the canonical v0.0.2 entry body.
fn canonical_body(v: &Value) -> Result<Vec<u8>, Response> {
    let obj = v
        .as_object()
        .ok_or_else(|| bad("request must be a JSON object"))?;
    if obj.len() != 1 {
        return Err(bad("invalid type, must be either hashedrekord or dsse"));
    }
    let hr = obj
        .get("hashedRekordRequestV002")
        .ok_or_else(|| bad("invalid type, must be either hashedrekord or dsse"))?;
    let text = |p: &str| hr.pointer(p).and_then(Value::as_str);
    let b64 = |p: &str| {
        text(p)
            .and_then(|s| B64.decode(s).ok())
            .filter(|b| !b.is_empty())
            .ok_or_else(|| {
                bad(format!(
                    "invalid hashedrekord request: {p} missing or not base64"
                ))
            })
    };
    let digest = b64("/digest")?;
    if digest.len() != 32 {
        return Err(bad("invalid hashedrekord request: digest is not SHA-256"));
    }
    let sig = b64("/signature/content")?;
    let cert_der = b64("/signature/verifier/x509Certificate/rawBytes")?;
    if text("/signature/verifier/keyDetails") != Some("PKIX_ECDSA_P256_SHA_256") {
        return Err(bad("invalid hashedrekord request: unsupported key details"));
    }
    let cert = Certificate::from_der(&cert_der)
        .map_err(|_| bad("invalid hashedrekord request: certificate does not parse"))?;
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| bad("invalid hashedrekord request: certificate key"))?;
    let vk = <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(&spki)
        .map_err(|_| bad("invalid hashedrekord request: only ECDSA P-256 keys"))?;
    let der_sig = p256::ecdsa::DerSignature::from_bytes(&sig)
        .map_err(|_| bad("invalid hashedrekord request: signature is not DER ECDSA"))?;
    vk.verify_prehash(&digest, &der_sig)
        .map_err(|_| bad("invalid hashedrekord request: signature does not verify"))?;
    let entry = json!({
        "kind": "hashedrekord",
        "apiVersion": "0.0.2",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": "SHA2_256", "digest": B64.encode(&digest)},
            "signature": {
                "content": B64.encode(&sig),
                "verifier": {
                    "x509Certificate": {"rawBytes": B64.encode(&cert_der)},
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                },
            },
        }},
    });
    to_canonical_json(&entry)
        .map(String::into_bytes)
        .map_err(|e| Response::rekor_error(500, &e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_indices() {
        assert_eq!(parse_tile_index("000"), Some((0, 256)));
        assert_eq!(parse_tile_index("x001/234"), Some((1234, 256)));
        assert_eq!(parse_tile_index("000.p/5"), Some((0, 5)));
        for bad in [
            "",
            "0",
            "x000/001",
            "001/002",
            "000.p/0",
            "000.p/256",
            "000.p/05",
        ] {
            assert_eq!(parse_tile_index(bad), None, "{bad}");
        }
    }
}
