//! Transparency-log evidence for one signature: the entry is about *this* signature (its body
//! is rebuilt from the CMS, CVE-2022-36056-style substitution is caught), the log promised to
//! include it (SET), it is in the tree (RFC 6962 inclusion proof with the shard-local index),
//! the tree head is signed by the log (checkpoint), and it was integrated while the
//! certificate was valid.
//!
//! Pure: entry + rebuilt body + trust root in, evidence or a reason out.

use super::reason::Reason;
use crate::pubkey::{Hash, PublicKey};
use crate::rekor::checkpoint::Checkpoint;
use crate::rekor::entry::{LogEntry, set_payload};
use crate::rekor::merkle;
use crate::trust::TrustRoot;

/// Evidence that the log holds this signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogVerified {
    /// The log's URL.
    pub log_url: String,
    /// Global log index.
    pub log_index: u64,
    /// Shard-local index proven by the Merkle path.
    pub tree_index: u64,
    /// Trusted integration time (signed by the SET).
    pub integrated_time: i64,
    /// Checkpoint origin line.
    pub checkpoint_origin: String,
}

type Failure = (Reason, String);

/// Verifies `entry` for a signature whose canonical Rekor body is `body`, and that
/// `integrated_time` lies inside `[not_before, not_after]`.
pub fn verify(
    entry: &LogEntry,
    body: &[u8],
    trust: &TrustRoot,
    not_before: i64,
    not_after: i64,
) -> Result<TlogVerified, Failure> {
    if (entry.kind.as_str(), entry.version.as_str()) != ("hashedrekord", "0.0.1") {
        return Err((
            Reason::TlogEntryMismatch,
            format!(
                "entry kind {} {} is not hashedrekord 0.0.1",
                entry.kind, entry.version
            ),
        ));
    }
    same_body(entry, body, "the log entry")?;
    let log = trust
        .tlog(&entry.log_id, entry.integrated_time)
        .ok_or_else(|| {
            (
                Reason::TlogUnknownLog,
                format!(
                    "log {} is not in {} (or was not valid at {})",
                    hex::encode(entry.log_id),
                    trust.source,
                    entry.integrated_time
                ),
            )
        })?;
    let key: &PublicKey = log.key.as_ref().ok_or_else(|| {
        (
            Reason::UnsupportedAlgorithm,
            format!("log {} uses key type {}", log.base_url, log.key_details),
        )
    })?;

    // 1. Signed entry timestamp (compat §3.5): binds body, time and global index.
    let set = entry.signed_entry_timestamp.as_ref().ok_or((
        Reason::SetMissing,
        "the entry has no signed entry timestamp".to_string(),
    ))?;
    let payload = set_payload(body, entry.integrated_time, &entry.log_id, entry.log_index);
    key.verify(Hash::Sha256, &payload, set)
        .map_err(|e| (Reason::SetInvalid, format!("signed entry timestamp: {e}")))?;

    // 2. Inclusion proof (RFC 6962 §2.1.1, shard-local index).
    let proof = entry.inclusion_proof.as_ref().ok_or((
        Reason::InclusionProofMissing,
        "the entry has no inclusion proof".to_string(),
    ))?;
    proves_inclusion(proof, body)?;

    // 3. Signed checkpoint for that root.
    let note = proof.checkpoint.as_ref().ok_or((
        Reason::CheckpointMissing,
        "the inclusion proof has no checkpoint".to_string(),
    ))?;
    let cp = Checkpoint::parse(note).map_err(|e| (Reason::CheckpointInvalid, e.to_string()))?;
    if cp.tree_size != proof.tree_size || cp.root_hash != proof.root_hash {
        return Err((
            Reason::CheckpointInvalid,
            "the checkpoint's tree size or root differs from the inclusion proof's".into(),
        ));
    }
    let hint: [u8; 4] = [
        entry.log_id[0],
        entry.log_id[1],
        entry.log_id[2],
        entry.log_id[3],
    ];
    let signed = cp
        .signatures
        .iter()
        .filter(|s| s.key_hint == hint)
        .any(|s| {
            key.verify(Hash::Sha256, cp.signed_text.as_bytes(), &s.signature)
                .is_ok()
        });
    if !signed {
        return Err((
            Reason::CheckpointInvalid,
            "the checkpoint is not signed by the log's key".into(),
        ));
    }

    // 4. The log saw the signature while the certificate was valid.
    if entry.integrated_time < not_before || entry.integrated_time > not_after {
        return Err((
            Reason::IntegratedTimeOutsideValidity,
            format!(
                "integrated at {}, certificate valid {not_before}..{not_after}",
                entry.integrated_time
            ),
        ));
    }
    Ok(TlogVerified {
        log_url: log.base_url.clone(),
        log_index: entry.log_index,
        tree_index: proof.log_index,
        integrated_time: entry.integrated_time,
        checkpoint_origin: cp.origin,
    })
}

/// An entry that carries its body (a v1 entry from a lookup, a v2 entry's canonical body)
/// must carry exactly the body rebuilt from the signature: it is what the log hashed into its
/// tree, so any other body proves nothing about this signature. `what` names the entry.
pub(super) fn same_body(entry: &LogEntry, body: &[u8], what: &str) -> Result<(), Failure> {
    if entry
        .body
        .as_ref()
        .is_some_and(|stored| stored.as_slice() != body)
    {
        return Err((
            Reason::TlogEntryMismatch,
            format!("{what}'s body is not the one rebuilt from this signature"),
        ));
    }
    Ok(())
}

/// The RFC 6962 §2.1.1 audit path of `proof` leads from `body`'s leaf hash to its root: one
/// check for Rekor v1 (shard-local index) and v2 ([`super::tlog_v2`], one tree).
pub(super) fn proves_inclusion(
    proof: &crate::rekor::entry::InclusionProof,
    body: &[u8],
) -> Result<(), Failure> {
    merkle::verify_inclusion(
        &merkle::leaf_hash(body),
        proof.log_index,
        proof.tree_size,
        &proof.hashes,
        &proof.root_hash,
    )
    .map_err(|e| (Reason::InclusionProofInvalid, e.to_string()))
}
