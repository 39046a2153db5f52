//! Rekor v1 log entries in the three shapes gitseal meets, reduced to one [`LogEntry`] value:
//!
//! * the REST `LogEntryAnon` JSON (`GET /api/v1/log/entries/{uuid}`, the 201 of a create);
//! * gitsign's unsigned CMS attribute 1.3.6.1.4.1.57264.3.1: a protobuf
//!   `dev.sigstore.rekor.v1.TransparencyLogEntry` with `canonicalized_body` cleared
//!   (compat §2.4);
//! * the early, never-released per-field encoding 1.3.6.1.4.1.57264.3.0–3.8 (decoded in `cms`).
//!
//! It also builds the RFC 8785 canonical `hashedrekord` v0.0.1 body and the signed-entry-timestamp
//! payload, byte for byte as Rekor does (compat §3.4, §3.5), so signing and verifying share one
//! definition. It must not decide whether an entry is trustworthy.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// Why bytes could not be read as a log entry.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    /// The protobuf attribute did not decode.
    #[error("the embedded transparency-log entry is not a valid protobuf: {0}")]
    Protobuf(String),
    /// The JSON did not have the shape of a Rekor `LogEntryAnon`.
    #[error("the Rekor entry JSON is malformed: {0}")]
    Json(String),
    /// A field that must be present is missing.
    #[error("the transparency-log entry has no {0}")]
    Missing(&'static str),
    /// A field has an impossible value (negative index, bad hex or base64, wrong length).
    #[error("the transparency-log entry has an invalid {0}")]
    Invalid(&'static str),
}

/// `dev.sigstore.rekor.v1.TransparencyLogEntry` (sigstore protobuf-specs `sigstore_rekor.proto`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TransparencyLogEntry {
    /// Global (virtual) index across all shards; the one the SET signs.
    #[prost(int64, tag = "1")]
    pub log_index: i64,
    /// SHA-256 of the log key's SubjectPublicKeyInfo DER.
    #[prost(message, optional, tag = "2")]
    pub log_id: Option<LogId>,
    /// Entry kind; gitsign hard-codes hashedrekord 0.0.1.
    #[prost(message, optional, tag = "3")]
    pub kind_version: Option<KindVersion>,
    /// Unix seconds at which the log integrated the entry.
    #[prost(int64, tag = "4")]
    pub integrated_time: i64,
    /// The signed entry timestamp.
    #[prost(message, optional, tag = "5")]
    pub inclusion_promise: Option<InclusionPromise>,
    /// The Merkle inclusion proof with its checkpoint.
    #[prost(message, optional, tag = "6")]
    pub inclusion_proof: Option<InclusionProofProto>,
    /// Cleared by gitsign; verifiers rebuild it.
    #[prost(bytes = "vec", tag = "7")]
    pub canonicalized_body: Vec<u8>,
}

/// `dev.sigstore.common.v1.LogId`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LogId {
    /// SHA-256 of the log's public key (DER SPKI).
    #[prost(bytes = "vec", tag = "1")]
    pub key_id: Vec<u8>,
}

/// `dev.sigstore.rekor.v1.KindVersion`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KindVersion {
    /// e.g. `hashedrekord`.
    #[prost(string, tag = "1")]
    pub kind: String,
    /// e.g. `0.0.1`.
    #[prost(string, tag = "2")]
    pub version: String,
}

/// `dev.sigstore.rekor.v1.InclusionPromise`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InclusionPromise {
    /// DER ECDSA signature by the log key over the SET payload.
    #[prost(bytes = "vec", tag = "1")]
    pub signed_entry_timestamp: Vec<u8>,
}

/// `dev.sigstore.rekor.v1.InclusionProof`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InclusionProofProto {
    /// Shard-local leaf index.
    #[prost(int64, tag = "1")]
    pub log_index: i64,
    /// Root hash the proof leads to.
    #[prost(bytes = "vec", tag = "2")]
    pub root_hash: Vec<u8>,
    /// Tree size of that root.
    #[prost(int64, tag = "3")]
    pub tree_size: i64,
    /// Audit path, leaf to root.
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub hashes: Vec<Vec<u8>>,
    /// The signed checkpoint for `root_hash`.
    #[prost(message, optional, tag = "5")]
    pub checkpoint: Option<CheckpointProto>,
}

/// `dev.sigstore.rekor.v1.Checkpoint`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CheckpointProto {
    /// The signed note text.
    #[prost(string, tag = "1")]
    pub envelope: String,
}

/// Rekor's `LogEntryAnon` JSON (OpenAPI `LogEntry` additionalProperties).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryAnon {
    /// Base64 of the canonical entry body.
    pub body: String,
    /// Unix seconds.
    pub integrated_time: i64,
    /// Hex SHA-256 of the log key SPKI.
    #[serde(rename = "logID")]
    pub log_id: String,
    /// Global index.
    pub log_index: i64,
    /// Proofs; absent in some old responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationJson>,
}

/// The `verification` object of a `LogEntryAnon`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VerificationJson {
    /// Merkle inclusion proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion_proof: Option<InclusionProofJson>,
    /// Base64 DER signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_entry_timestamp: Option<String>,
}

/// The `inclusionProof` object of a `LogEntryAnon`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProofJson {
    /// Signed note.
    pub checkpoint: String,
    /// Hex hashes, leaf to root.
    pub hashes: Vec<String>,
    /// Shard-local index.
    pub log_index: i64,
    /// Hex root hash.
    pub root_hash: String,
    /// Tree size.
    pub tree_size: i64,
}

/// A Merkle inclusion proof, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// Shard-local leaf index (RFC 6962 `m`).
    pub log_index: u64,
    /// Root hash the audit path must reproduce.
    pub root_hash: [u8; 32],
    /// Tree size of that root.
    pub tree_size: u64,
    /// Audit path, leaf to root.
    pub hashes: Vec<[u8; 32]>,
    /// The signed checkpoint (note text); `None` when the source carried none.
    pub checkpoint: Option<String>,
}

/// A transparency-log entry as evidence, whatever shape it arrived in. Nothing here is trusted
/// until `verify` has checked it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Global index (signed by the SET).
    pub log_index: u64,
    /// SHA-256 of the log key SPKI.
    pub log_id: [u8; 32],
    /// Kind and version as the entry claims them.
    pub kind: String,
    /// Version of the kind.
    pub version: String,
    /// Unix seconds.
    pub integrated_time: i64,
    /// Signed entry timestamp (DER signature), if any.
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// Inclusion proof, if any.
    pub inclusion_proof: Option<InclusionProof>,
    /// The canonical body when the source carried it (REST responses); gitsign's attribute
    /// omits it and verifiers rebuild it.
    pub body: Option<Vec<u8>>,
}

fn arr32(v: &[u8], what: &'static str) -> Result<[u8; 32], EntryError> {
    <[u8; 32]>::try_from(v).map_err(|_| EntryError::Invalid(what))
}

fn non_negative(v: i64, what: &'static str) -> Result<u64, EntryError> {
    u64::try_from(v).map_err(|_| EntryError::Invalid(what))
}

fn hex32(s: &str, what: &'static str) -> Result<[u8; 32], EntryError> {
    let v = hex::decode(s).map_err(|_| EntryError::Invalid(what))?;
    arr32(&v, what)
}

impl LogEntry {
    /// Decodes gitsign's 1.3.6.1.4.1.57264.3.1 attribute value (the OCTET STRING content).
    pub fn from_protobuf(bytes: &[u8]) -> Result<Self, EntryError> {
        let tle = <TransparencyLogEntry as prost::Message>::decode(bytes)
            .map_err(|e| EntryError::Protobuf(e.to_string()))?;
        Self::from_proto(&tle)
    }

    /// Converts a decoded `TransparencyLogEntry`.
    pub fn from_proto(tle: &TransparencyLogEntry) -> Result<Self, EntryError> {
        let log_id = tle.log_id.as_ref().ok_or(EntryError::Missing("log id"))?;
        let kv = tle
            .kind_version
            .as_ref()
            .ok_or(EntryError::Missing("kind and version"))?;
        let inclusion_proof = match &tle.inclusion_proof {
            None => None,
            Some(p) => Some(InclusionProof {
                log_index: non_negative(p.log_index, "inclusion proof index")?,
                root_hash: arr32(&p.root_hash, "root hash")?,
                tree_size: non_negative(p.tree_size, "tree size")?,
                hashes: p
                    .hashes
                    .iter()
                    .map(|h| arr32(h, "proof hash"))
                    .collect::<Result<_, _>>()?,
                checkpoint: p.checkpoint.as_ref().map(|c| c.envelope.clone()),
            }),
        };
        Ok(Self {
            log_index: non_negative(tle.log_index, "log index")?,
            log_id: arr32(&log_id.key_id, "log id")?,
            kind: kv.kind.clone(),
            version: kv.version.clone(),
            integrated_time: tle.integrated_time,
            signed_entry_timestamp: tle
                .inclusion_promise
                .as_ref()
                .map(|p| p.signed_entry_timestamp.clone()),
            inclusion_proof,
            body: (!tle.canonicalized_body.is_empty()).then(|| tle.canonicalized_body.clone()),
        })
    }

    /// Converts a REST `LogEntryAnon`. Kind and version are read from the body.
    pub fn from_anon(anon: &LogEntryAnon) -> Result<Self, EntryError> {
        let body = B64
            .decode(&anon.body)
            .map_err(|_| EntryError::Invalid("body"))?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct KindProbe {
            api_version: String,
            kind: String,
        }
        let probe: KindProbe =
            serde_json::from_slice(&body).map_err(|e| EntryError::Json(e.to_string()))?;
        let verification = anon.verification.as_ref();
        let inclusion_proof = match verification.and_then(|v| v.inclusion_proof.as_ref()) {
            None => None,
            Some(p) => Some(InclusionProof {
                log_index: non_negative(p.log_index, "inclusion proof index")?,
                root_hash: hex32(&p.root_hash, "root hash")?,
                tree_size: non_negative(p.tree_size, "tree size")?,
                hashes: p
                    .hashes
                    .iter()
                    .map(|h| hex32(h, "proof hash"))
                    .collect::<Result<_, _>>()?,
                checkpoint: Some(p.checkpoint.clone()),
            }),
        };
        let signed_entry_timestamp =
            match verification.and_then(|v| v.signed_entry_timestamp.as_ref()) {
                None => None,
                Some(s) => Some(
                    B64.decode(s)
                        .map_err(|_| EntryError::Invalid("signed entry timestamp"))?,
                ),
            };
        Ok(Self {
            log_index: non_negative(anon.log_index, "log index")?,
            log_id: hex32(&anon.log_id, "log id")?,
            kind: probe.kind,
            version: probe.api_version,
            integrated_time: anon.integrated_time,
            signed_entry_timestamp,
            inclusion_proof,
            body: Some(body),
        })
    }

    /// Parses the JSON of a `GET /api/v1/log/entries/{uuid}` or create response
    /// (`{"<uuid>": LogEntryAnon}`), returning the UUID and the entry.
    pub fn from_rest_response(json: &[u8]) -> Result<(String, Self), EntryError> {
        let map: std::collections::BTreeMap<String, LogEntryAnon> =
            serde_json::from_slice(json).map_err(|e| EntryError::Json(e.to_string()))?;
        let mut it = map.into_iter();
        let (uuid, anon) = it.next().ok_or(EntryError::Missing("entry"))?;
        if it.next().is_some() {
            return Err(EntryError::Json(
                "more than one entry in the response".into(),
            ));
        }
        Ok((uuid, Self::from_anon(&anon)?))
    }

    /// Builds gitsign's embedded protobuf (canonicalized body cleared, kind forced to
    /// hashedrekord 0.0.1 as gitsign does), except that a Rekor v2 entry keeps its true
    /// label, hashedrekord 0.0.2 (gitsign relabels it 0.0.1; verifiers accept both, see
    /// `verify::tlog_v2`). Exactly these two labels are ever written.
    pub fn to_proto(&self) -> TransparencyLogEntry {
        let version = if (self.kind.as_str(), self.version.as_str())
            == (
                crate::rekor::v2::entry::KIND,
                crate::rekor::v2::entry::VERSION,
            ) {
            crate::rekor::v2::entry::VERSION
        } else {
            "0.0.1"
        };
        TransparencyLogEntry {
            log_index: i64::try_from(self.log_index).unwrap_or(i64::MAX),
            log_id: Some(LogId {
                key_id: self.log_id.to_vec(),
            }),
            kind_version: Some(KindVersion {
                kind: "hashedrekord".into(),
                version: version.into(),
            }),
            integrated_time: self.integrated_time,
            inclusion_promise: self
                .signed_entry_timestamp
                .as_ref()
                .map(|s| InclusionPromise {
                    signed_entry_timestamp: s.clone(),
                }),
            inclusion_proof: self.inclusion_proof.as_ref().map(|p| InclusionProofProto {
                log_index: i64::try_from(p.log_index).unwrap_or(i64::MAX),
                root_hash: p.root_hash.to_vec(),
                tree_size: i64::try_from(p.tree_size).unwrap_or(i64::MAX),
                hashes: p.hashes.iter().map(|h| h.to_vec()).collect(),
                checkpoint: p.checkpoint.as_ref().map(|c| CheckpointProto {
                    envelope: c.clone(),
                }),
            }),
            canonicalized_body: Vec::new(),
        }
    }

    /// The protobuf bytes gitsign stores in attribute 1.3.6.1.4.1.57264.3.1.
    pub fn to_protobuf(&self) -> Vec<u8> {
        prost::Message::encode_to_vec(&self.to_proto())
    }
}

/// PEM of a certificate exactly as Go's `pem.EncodeToMemory` writes it: 64-column base64, LF
/// line ends, trailing newline. Rekor bodies embed this text, so it must match byte for byte.
pub fn certificate_pem(der: &[u8]) -> String {
    crate::armor::pem("CERTIFICATE", der)
}

/// The canonical `hashedrekord` v0.0.1 body (RFC 8785: keys sorted, no whitespace). Every
/// value is ASCII (hex, base64), so no escaping can arise and hand formatting is exact.
pub fn hashedrekord_body(digest_sha256: &[u8; 32], signature: &[u8], cert_der: &[u8]) -> Vec<u8> {
    format!(
        concat!(
            r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":"#,
            r#"{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","#,
            r#""publicKey":{{"content":"{}"}}}}}}}}"#
        ),
        hex::encode(digest_sha256),
        B64.encode(signature),
        B64.encode(certificate_pem(cert_der)),
    )
    .into_bytes()
}

/// The payload the signed entry timestamp covers (compat §3.5): RFC 8785 JSON of
/// `{"body","integratedTime","logID","logIndex"}` with the global log index.
pub fn set_payload(
    body: &[u8],
    integrated_time: i64,
    log_id: &[u8; 32],
    log_index: u64,
) -> Vec<u8> {
    format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        B64.encode(body),
        integrated_time,
        hex::encode(log_id),
        log_index
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_wraps_at_64_columns() {
        let pem = certificate_pem(&[0u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
    }

    #[test]
    fn protobuf_round_trip() {
        let e = LogEntry {
            log_index: 17974796,
            log_id: [7; 32],
            kind: "hashedrekord".into(),
            version: "0.0.1".into(),
            integrated_time: 1681496844,
            signed_entry_timestamp: Some(vec![1, 2, 3]),
            inclusion_proof: Some(InclusionProof {
                log_index: 13811365,
                root_hash: [9; 32],
                tree_size: 13811366,
                hashes: vec![[1; 32], [2; 32]],
                checkpoint: Some("note\n".into()),
            }),
            body: None,
        };
        assert_eq!(LogEntry::from_protobuf(&e.to_protobuf()).unwrap(), e);
    }

    #[test]
    fn garbage_protobuf_is_an_error_not_a_panic() {
        assert!(LogEntry::from_protobuf(&[0xff, 0xff, 0xff]).is_err());
        assert_eq!(
            LogEntry::from_protobuf(&[]),
            Err(EntryError::Missing("log id"))
        );
    }
}
