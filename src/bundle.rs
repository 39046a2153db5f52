//! Sigstore bundle v0.3 export (`gitseal bundle`): a git signature re-expressed so that
//! independent verifiers (sigstore-python, cosign) can check it with no gitseal code.
//!
//! For an offline-mode signature the bundle's *artifact* is the DER of the signed attributes
//! (tagged SET), exactly what Rekor logged (compat §2.3); the message signature is the CMS
//! signature over it; the transparency-log entry carries the canonical body, SET, inclusion
//! proof and checkpoint. JSON follows protobuf-specs' JSON mapping, which sigstore-python parses
//! strictly: camelCase, 64-bit integers as strings, standard base64 with padding, no unknown
//! fields (interop-peers §1.2, G8). Pure: values in, JSON out.

use crate::rekor::entry::LogEntry;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

/// The bundle media type.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Adds RFC 3161 timestamps to a bundle built by [`message_signature_bundle`]:
/// `verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp`, which
/// protobuf-specs defines as the DER `TimeStampResp` (RFC 3161 §2.4.2), so each CMS token is
/// wrapped in a response with PKIStatus granted (0), as gitsign's CMS-to-bundle conversion
/// hands them to sigstore-go.
pub fn add_rfc3161_timestamps(bundle: &mut Value, tokens: &[&[u8]]) {
    if tokens.is_empty() {
        return;
    }
    let stamps: Vec<Value> = tokens
        .iter()
        .map(|t| {
            // TimeStampResp ::= SEQUENCE { PKIStatusInfo SEQUENCE { INTEGER 0 }, token }.
            let mut body = vec![0x30, 0x03, 0x02, 0x01, 0x00];
            body.extend_from_slice(t);
            let mut resp = crate::tlv::header(0x30, body.len());
            resp.extend(body);
            json!({ "signedTimestamp": B64.encode(resp) })
        })
        .collect();
    bundle["verificationMaterial"]["timestampVerificationData"] =
        json!({ "rfc3161Timestamps": stamps });
}

/// Builds a message-signature bundle.
pub fn message_signature_bundle(
    leaf_der: &[u8],
    entry: &LogEntry,
    canonical_body: &[u8],
    artifact_sha256: &[u8; 32],
    signature: &[u8],
) -> Value {
    let mut tlog = json!({
        "logIndex": entry.log_index.to_string(),
        "logId": { "keyId": B64.encode(entry.log_id) },
        "kindVersion": { "kind": entry.kind, "version": entry.version },
        "integratedTime": entry.integrated_time.to_string(),
        "canonicalizedBody": B64.encode(canonical_body),
    });
    // A Rekor v2 entry records no time and signs no promise: the field is left out, as
    // protobuf's JSON mapping leaves out a zero (clients read the time from a timestamp).
    if entry.integrated_time == 0
        && entry.signed_entry_timestamp.is_none()
        && let Some(m) = tlog.as_object_mut()
    {
        m.remove("integratedTime");
    }
    if let Some(set) = &entry.signed_entry_timestamp {
        tlog["inclusionPromise"] = json!({ "signedEntryTimestamp": B64.encode(set) });
    }
    if let Some(p) = &entry.inclusion_proof {
        let mut proof = json!({
            "logIndex": p.log_index.to_string(),
            "rootHash": B64.encode(p.root_hash),
            "treeSize": p.tree_size.to_string(),
            "hashes": p.hashes.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
        });
        if let Some(c) = &p.checkpoint {
            proof["checkpoint"] = json!({ "envelope": c });
        }
        tlog["inclusionProof"] = proof;
    }
    json!({
        "mediaType": MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": { "rawBytes": B64.encode(leaf_der) },
            "tlogEntries": [tlog],
        },
        "messageSignature": {
            "messageDigest": { "algorithm": "SHA2_256", "digest": B64.encode(artifact_sha256) },
            "signature": B64.encode(signature),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rekor::entry::InclusionProof;

    #[test]
    fn integers_are_strings_and_bytes_base64() {
        let e = LogEntry {
            log_index: 7,
            log_id: [1; 32],
            kind: "hashedrekord".into(),
            version: "0.0.1".into(),
            integrated_time: 99,
            signed_entry_timestamp: Some(vec![2]),
            inclusion_proof: Some(InclusionProof {
                log_index: 3,
                root_hash: [4; 32],
                tree_size: 10,
                hashes: vec![[5; 32]],
                checkpoint: Some("note".into()),
            }),
            body: None,
        };
        let b = message_signature_bundle(&[9], &e, b"{}", &[6; 32], &[8]);
        let t = &b["verificationMaterial"]["tlogEntries"][0];
        assert_eq!(t["logIndex"], "7");
        assert_eq!(t["inclusionProof"]["treeSize"], "10");
        assert_eq!(t["inclusionPromise"]["signedEntryTimestamp"], "Ag==");
        assert_eq!(b["mediaType"], MEDIA_TYPE);
        assert_eq!(t["integratedTime"], "99");
    }

    /// A Rekor v2 entry: its own label, proof and checkpoint, no promise and no time.
    #[test]
    fn rekor_v2_entry_has_no_promise_and_no_time() {
        let e = LogEntry {
            log_index: 1,
            log_id: [1; 32],
            kind: "hashedrekord".into(),
            version: "0.0.2".into(),
            integrated_time: 0,
            signed_entry_timestamp: None,
            inclusion_proof: Some(InclusionProof {
                log_index: 1,
                root_hash: [4; 32],
                tree_size: 2,
                hashes: vec![[5; 32]],
                checkpoint: Some("note".into()),
            }),
            body: None,
        };
        let b = message_signature_bundle(&[9], &e, b"{}", &[6; 32], &[8]);
        let t = &b["verificationMaterial"]["tlogEntries"][0];
        assert_eq!(t["kindVersion"]["version"], "0.0.2");
        assert!(t.get("integratedTime").is_none());
        assert!(t.get("inclusionPromise").is_none());
        assert_eq!(t["inclusionProof"]["checkpoint"]["envelope"], "note");
    }
}
