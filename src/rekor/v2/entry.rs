//! Rekor v2 `hashedrekord` v0.0.2: the canonical entry body, the create request, and the
//! `TransparencyLogEntry` answer.
//!
//! rekor-tiles stores `jsoncanonicalizer.Transform(protojson.Marshal(Entry))` (rekor-tiles
//! `pkg/server/service.go CreateEntry`): RFC 8785 JSON of the protobuf JSON mapping of
//! `dev.sigstore.rekor.v2.Entry` — camelCase names, enums by name, bytes as standard base64
//! with padding, keys sorted. For a certificate-signed hashedrekord that is exactly
//!
//! ```text
//! {"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":
//! {"algorithm":"SHA2_256","digest":"<b64>"},"signature":{"content":"<b64>","verifier":
//! {"keyDetails":"<PublicKeyDetails>","x509Certificate":{"rawBytes":"<b64 DER>"}}}}}}
//! ```
//!
//! (one line; the leaf hash of the log covers these bytes, so they are built here by hand,
//! every value being base64 or a fixed enum name, never text that needs escaping). The
//! answer to `POST /api/v2/log/entries` is the protojson of
//! `dev.sigstore.rekor.v1.TransparencyLogEntry` (64-bit integers as strings, zero values
//! omitted); [`entry_from_json`] reads it strictly into [`LogEntry`] and refuses the v1-only
//! fields (an inclusion promise, an integrated time) a v2 log never sends. Pure.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::rekor::entry::{EntryError, InclusionProof, LogEntry};

/// The kind and version of every entry this module makes.
pub const KIND: &str = "hashedrekord";
/// See [`KIND`].
pub const VERSION: &str = "0.0.2";
/// `PublicKeyDetails` of a Fulcio leaf key (ECDSA P-256 with SHA-256), the only key gitsign
/// and gitseal sign with.
pub const KEY_DETAILS_P256: &str = "PKIX_ECDSA_P256_SHA_256";

/// The canonical `hashedrekord` v0.0.2 body for a SHA-256 `digest`, a `signature` over it and
/// the signer's certificate (DER), exactly as rekor-tiles stores it.
pub fn hashedrekord_v002_body(
    digest_sha256: &[u8; 32],
    signature: &[u8],
    cert_der: &[u8],
    key_details: &str,
) -> Vec<u8> {
    format!(
        concat!(
            r#"{{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{{"hashedRekordV002":"#,
            r#"{{"data":{{"algorithm":"SHA2_256","digest":"{}"}},"signature":{{"content":"{}","#,
            r#""verifier":{{"keyDetails":"{}","x509Certificate":{{"rawBytes":"{}"}}}}}}}}}}}}"#
        ),
        B64.encode(digest_sha256),
        B64.encode(signature),
        key_details,
        B64.encode(cert_der),
    )
    .into_bytes()
}

/// The `CreateEntryRequest` JSON (`hashedRekordRequestV002`) for `POST /api/v2/log/entries`,
/// as sigstore-python's `RekorV2Client._build_hashed_rekord_request` and sigstore-go send it.
pub fn create_request(
    digest_sha256: &[u8; 32],
    signature: &[u8],
    cert_der: &[u8],
    key_details: &str,
) -> Value {
    json!({
        "hashedRekordRequestV002": {
            "digest": B64.encode(digest_sha256),
            "signature": {
                "content": B64.encode(signature),
                "verifier": {
                    "x509Certificate": {"rawBytes": B64.encode(cert_der)},
                    "keyDetails": key_details,
                },
            },
        }
    })
}

/// A protojson int64: a decimal string (the mapping's form) or, leniently, a JSON number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Int64 {
    Text(String),
    Number(i64),
}

impl Int64 {
    fn value(&self, what: &'static str) -> Result<u64, EntryError> {
        match self {
            Self::Number(n) => u64::try_from(*n).map_err(|_| EntryError::Invalid(what)),
            Self::Text(s)
                if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse::<i64>()
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or(EntryError::Invalid(what))
            }
            Self::Text(_) => Err(EntryError::Invalid(what)),
        }
    }
}

fn int64(v: Option<&Int64>, what: &'static str) -> Result<u64, EntryError> {
    v.map_or(Ok(0), |v| v.value(what))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TleJson {
    #[serde(default)]
    log_index: Option<Int64>,
    #[serde(default)]
    log_id: Option<LogIdJson>,
    #[serde(default)]
    kind_version: Option<KindVersionJson>,
    #[serde(default)]
    integrated_time: Option<Int64>,
    #[serde(default)]
    inclusion_promise: Option<Value>,
    #[serde(default)]
    inclusion_proof: Option<ProofJson>,
    #[serde(default)]
    canonicalized_body: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LogIdJson {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KindVersionJson {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProofJson {
    #[serde(default)]
    log_index: Option<Int64>,
    root_hash: String,
    #[serde(default)]
    tree_size: Option<Int64>,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: CheckpointJson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointJson {
    envelope: String,
}

/// At most this many audit-path hashes: a tree of 2^64 leaves needs 64.
const MAX_PATH: usize = 64;

fn b64_32(s: &str, what: &'static str) -> Result<[u8; 32], EntryError> {
    B64.decode(s)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or(EntryError::Invalid(what))
}

/// Reads the `TransparencyLogEntry` protojson a Rekor v2 log returns. The result always has
/// an inclusion proof with its checkpoint and the canonical body; the proof's index is the
/// entry's (a v2 log is one tree, no shards).
pub fn entry_from_json(json: &[u8]) -> Result<LogEntry, EntryError> {
    let t: TleJson = serde_json::from_slice(json).map_err(|e| EntryError::Json(e.to_string()))?;
    if t.inclusion_promise.is_some() {
        return Err(EntryError::Invalid(
            "inclusion promise (a Rekor v2 log signs none)",
        ));
    }
    if int64(t.integrated_time.as_ref(), "integrated time")? != 0 {
        return Err(EntryError::Invalid(
            "integrated time (a Rekor v2 log records none)",
        ));
    }
    let log_id = t.log_id.ok_or(EntryError::Missing("log id"))?;
    let kv = t
        .kind_version
        .ok_or(EntryError::Missing("kind and version"))?;
    let proof = t
        .inclusion_proof
        .ok_or(EntryError::Missing("inclusion proof"))?;
    if proof.hashes.len() > MAX_PATH {
        return Err(EntryError::Invalid("inclusion proof (too many hashes)"));
    }
    let log_index = int64(t.log_index.as_ref(), "log index")?;
    let proof_index = int64(proof.log_index.as_ref(), "inclusion proof index")?;
    if proof_index != log_index {
        return Err(EntryError::Invalid(
            "inclusion proof index (differs from the entry's)",
        ));
    }
    let body = B64
        .decode(t.canonicalized_body.as_deref().unwrap_or_default())
        .map_err(|_| EntryError::Invalid("canonicalized body"))?;
    if body.is_empty() {
        return Err(EntryError::Missing("canonicalized body"));
    }
    Ok(LogEntry {
        log_index,
        log_id: b64_32(&log_id.key_id, "log id")?,
        kind: kv.kind,
        version: kv.version,
        integrated_time: 0,
        signed_entry_timestamp: None,
        inclusion_proof: Some(InclusionProof {
            log_index: proof_index,
            root_hash: b64_32(&proof.root_hash, "root hash")?,
            tree_size: int64(proof.tree_size.as_ref(), "tree size")?,
            hashes: proof
                .hashes
                .iter()
                .map(|h| b64_32(h, "proof hash"))
                .collect::<Result<_, _>>()?,
            checkpoint: Some(proof.checkpoint.envelope),
        }),
        body: Some(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body is RFC 8785: re-serialising it through serde_json's sorted map gives the same
    /// bytes, and it holds the values in the places sigstore-python's rebuild reads them.
    #[test]
    fn body_is_canonical_json_with_the_v002_shape() {
        let body = hashedrekord_v002_body(&[1; 32], &[2, 3], &[4, 5, 6], KEY_DETAILS_P256);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(serde_json::to_vec(&v).unwrap(), body);
        let hr = &v["spec"]["hashedRekordV002"];
        assert_eq!(v["apiVersion"], "0.0.2");
        assert_eq!(v["kind"], "hashedrekord");
        assert_eq!(hr["data"]["algorithm"], "SHA2_256");
        assert_eq!(hr["data"]["digest"], B64.encode([1u8; 32]));
        assert_eq!(hr["signature"]["content"], "AgM=");
        assert_eq!(hr["signature"]["verifier"]["keyDetails"], KEY_DETAILS_P256);
        assert_eq!(
            hr["signature"]["verifier"]["x509Certificate"]["rawBytes"],
            "BAUG"
        );
    }

    fn answer(body: &[u8]) -> Value {
        json!({
            "logIndex": "3",
            "logId": {"keyId": B64.encode([7u8; 32])},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
            "inclusionProof": {
                "logIndex": "3",
                "rootHash": B64.encode([8u8; 32]),
                "treeSize": "4",
                "hashes": [B64.encode([9u8; 32]), B64.encode([10u8; 32])],
                "checkpoint": {"envelope": "note\n"},
            },
            "canonicalizedBody": B64.encode(body),
        })
    }

    #[test]
    fn reads_the_protojson_answer() {
        let e = entry_from_json(answer(b"{}").to_string().as_bytes()).unwrap();
        assert_eq!(e.log_index, 3);
        assert_eq!(e.version, "0.0.2");
        assert_eq!(e.body.as_deref(), Some(&b"{}"[..]));
        let p = e.inclusion_proof.unwrap();
        assert_eq!((p.log_index, p.tree_size, p.hashes.len()), (3, 4, 2));
        // protojson omits a zero index.
        let mut zero = answer(b"{}");
        zero.as_object_mut().unwrap().remove("logIndex");
        zero["inclusionProof"]
            .as_object_mut()
            .unwrap()
            .remove("logIndex");
        assert_eq!(
            entry_from_json(zero.to_string().as_bytes())
                .unwrap()
                .log_index,
            0
        );
    }

    #[test]
    fn refuses_what_a_v2_log_never_sends() {
        let with = |path: &str, v: Value| {
            let mut a = answer(b"{}");
            *a.pointer_mut(path).unwrap() = v;
            entry_from_json(a.to_string().as_bytes())
        };
        let mut a = answer(b"{}");
        a["inclusionPromise"] = json!({"signedEntryTimestamp": "AA=="});
        assert!(entry_from_json(a.to_string().as_bytes()).is_err());
        let mut a = answer(b"{}");
        a["integratedTime"] = json!("5");
        assert!(entry_from_json(a.to_string().as_bytes()).is_err());
        let mut a = answer(b"{}");
        a["surprise"] = json!(1);
        assert!(entry_from_json(a.to_string().as_bytes()).is_err());
        assert!(with("/logIndex", json!("-1")).is_err());
        assert!(
            with("/logIndex", json!("4")).is_err(),
            "index differs from the proof's"
        );
        assert!(with("/logIndex", json!(" 3")).is_err());
        assert!(with("/inclusionProof/rootHash", json!("AAAA")).is_err());
        assert!(with("/canonicalizedBody", json!("")).is_err());
        assert!(with("/canonicalizedBody", json!("!!")).is_err());
        assert!(entry_from_json(b"[]").is_err());
    }
}
