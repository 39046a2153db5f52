//! Rekor v2 evidence for one signature: the entry is about *this* signature (its
//! `hashedrekord` v0.0.2 body is rebuilt from the CMS), the leaf of that body is in the tree
//! (RFC 6962 inclusion proof, one tree: the proof's index is the entry's), and the tree head
//! is a checkpoint signed by a Rekor v2 log of the trust root (C2SP signed note, see
//! `rekor::v2::note`). A v2 log signs no entry timestamp and records no time, so there is no
//! SET to expect and the log proves nothing about *when*: the trusted time comes from an
//! RFC 3161 timestamp ([`finish`] takes it; without one the caller reports
//! `timestamp-missing`).
//!
//! Which entries take this path ([`is_v2`]): those labelled hashedrekord 0.0.2 (what gitseal
//! writes), and gitsign's relabelled v2 output — labelled 0.0.1 but with neither an inclusion
//! promise (gitsign writes an empty one) nor an integrated time, and a checkpoint whose origin
//! is not Rekor v1's
//! `<host> - <tree id>`. gitsign's label is accepted because it carries no evidence: the body
//! is rebuilt as v0.0.2, and only if the proof and checkpoint hold for those exact bytes under
//! a trusted v2 log does the entry count — a label cannot make a v1 entry pass as v2 or the
//! reverse. Pure: entry + rebuilt body + trust root in, evidence or a reason out.

use super::reason::Reason;
use super::tlog::TlogVerified;
use crate::rekor::checkpoint::Checkpoint;
use crate::rekor::entry::LogEntry;
use crate::rekor::v2::{entry as v2entry, note};
use crate::trust::{LogKey, TrustRoot, Validity};

type Failure = (Reason, String);

/// Whether `entry` is a Rekor v2 entry (see the module doc).
pub fn is_v2(entry: &LogEntry) -> bool {
    if entry.kind != v2entry::KIND {
        return false;
    }
    match entry.version.as_str() {
        v if v == v2entry::VERSION => true,
        "0.0.1" => {
            // gitsign's `toAttributes` always writes an `InclusionPromise` message, empty for
            // a v2 entry (proto3: `2a 00`), which reads as an empty SET.
            entry
                .signed_entry_timestamp
                .as_ref()
                .is_none_or(Vec::is_empty)
                && entry.integrated_time == 0
                && entry
                    .inclusion_proof
                    .as_ref()
                    .and_then(|p| p.checkpoint.as_deref())
                    .and_then(|c| Checkpoint::parse(c).ok())
                    .is_some_and(|cp| cp.log_name() == cp.origin)
        }
        _ => false,
    }
}

/// What the proofs established before any time is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofsHold {
    log_url: String,
    log_valid_for: Validity,
    log_index: u64,
    checkpoint_origin: String,
}

/// Checks body, inclusion proof and checkpoint of a v2 `entry` whose rebuilt canonical body
/// is `body`. The log is found by its id whatever its validity window; [`finish`] checks the
/// window once the trusted time is known (a bad proof is BADSIG even without one).
pub fn verify_proofs(
    entry: &LogEntry,
    body: &[u8],
    trust: &TrustRoot,
) -> Result<ProofsHold, Failure> {
    super::tlog::same_body(entry, body, "the Rekor v2 entry")?;
    let log: &LogKey = trust
        .tlogs
        .iter()
        .find(|l| l.log_id == entry.log_id)
        .ok_or_else(|| {
            (
                Reason::TlogUnknownLog,
                format!(
                    "Rekor v2 log {} is not in {}",
                    hex::encode(entry.log_id),
                    trust.source
                ),
            )
        })?;
    if log.ed25519.is_none() && log.key.is_none() {
        return Err((
            Reason::UnsupportedAlgorithm,
            format!("log {} uses key type {}", log.base_url, log.key_details),
        ));
    }

    // 1. Inclusion proof (RFC 6962 §2.1.1) of SHA-256(0x00 ‖ body).
    let proof = entry.inclusion_proof.as_ref().ok_or((
        Reason::InclusionProofMissing,
        "the Rekor v2 entry has no inclusion proof".to_string(),
    ))?;
    if proof.log_index != entry.log_index {
        return Err((
            Reason::InclusionProofInvalid,
            format!(
                "the proof is for leaf {}, the entry is leaf {} of a single-tree log",
                proof.log_index, entry.log_index
            ),
        ));
    }
    super::tlog::proves_inclusion(proof, body)?;

    // 2. The checkpoint: signed by this log, for this root.
    let text = proof.checkpoint.as_ref().ok_or((
        Reason::CheckpointMissing,
        "the inclusion proof has no signed checkpoint".to_string(),
    ))?;
    let cp = note::verify_checkpoint(text, log)
        .map_err(|e| (Reason::CheckpointInvalid, e.to_string()))?;
    if cp.tree_size != proof.tree_size || cp.root_hash != proof.root_hash {
        return Err((
            Reason::CheckpointInvalid,
            "the checkpoint's tree size or root differs from the inclusion proof's".into(),
        ));
    }
    Ok(ProofsHold {
        log_url: log.base_url.clone(),
        log_valid_for: log.valid_for,
        log_index: entry.log_index,
        checkpoint_origin: cp.origin,
    })
}

/// Completes the evidence with the trusted time `at` (from an RFC 3161 timestamp): the log's
/// key must have been valid then (trusted-root `validFor`).
pub fn finish(proofs: ProofsHold, at: i64) -> Result<TlogVerified, Failure> {
    if !proofs.log_valid_for.contains(at) {
        return Err((
            Reason::TlogUnknownLog,
            format!("Rekor v2 log {} was not valid at {at}", proofs.log_url),
        ));
    }
    Ok(TlogVerified {
        log_url: proofs.log_url,
        log_index: proofs.log_index,
        tree_index: proofs.log_index,
        integrated_time: at,
        checkpoint_origin: proofs.checkpoint_origin,
    })
}

impl ProofsHold {
    /// The log's URL, for messages.
    pub fn log_url(&self) -> &str {
        &self.log_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rekor::entry::InclusionProof;

    fn entry(version: &str, origin: &str, set: bool, time: i64) -> LogEntry {
        let note = format!(
            "{origin}\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u{2014} {} AAAAAAA=\n",
            origin.split(" - ").next().unwrap_or(origin)
        );
        LogEntry {
            log_index: 0,
            log_id: [1; 32],
            kind: "hashedrekord".into(),
            version: version.into(),
            integrated_time: time,
            signed_entry_timestamp: set.then(|| vec![1]),
            inclusion_proof: Some(InclusionProof {
                log_index: 0,
                root_hash: [0; 32],
                tree_size: 1,
                hashes: vec![],
                checkpoint: Some(note),
            }),
            body: None,
        }
    }

    /// Which entries take the v2 path: the true label always; gitsign's 0.0.1 label only
    /// with no promise, no time and a v2-style origin; never anything else.
    #[test]
    fn v2_classification() {
        assert!(is_v2(&entry("0.0.2", "log.example", false, 0)));
        assert!(is_v2(&entry("0.0.1", "log.example", false, 0)));
        // gitsign's empty InclusionPromise message.
        let mut gitsign = entry("0.0.1", "log.example", false, 0);
        gitsign.signed_entry_timestamp = Some(Vec::new());
        assert!(is_v2(&gitsign));
        // Rekor v1 shapes: a promise, a time, or a `<host> - <tree id>` origin.
        assert!(!is_v2(&entry("0.0.1", "log.example", true, 0)));
        assert!(!is_v2(&entry("0.0.1", "log.example", false, 1_700_000_000)));
        assert!(!is_v2(&entry(
            "0.0.1",
            "rekor.sigstore.dev - 123",
            false,
            0
        )));
        let mut other = entry("0.0.2", "log.example", false, 0);
        other.kind = "dsse".into();
        assert!(!is_v2(&other));
        assert!(!is_v2(&entry("0.0.3", "log.example", false, 0)));
        // gitsign's label without a parseable checkpoint is not guessed to be v2.
        let mut broken = entry("0.0.1", "log.example", false, 0);
        broken.inclusion_proof.as_mut().unwrap().checkpoint = Some("junk".into());
        assert!(!is_v2(&broken));
    }

    /// An entry of a log the trust root does not list is `tlog-unknown-log`; a stored body
    /// that is not the rebuilt one is `tlog-entry-mismatch`, before anything else.
    #[test]
    fn unknown_log_and_foreign_body() {
        let trust = TrustRoot::public_good().unwrap();
        let e = entry("0.0.2", "log.example", false, 0);
        assert_eq!(
            verify_proofs(&e, b"{}", &trust).unwrap_err().0,
            Reason::TlogUnknownLog
        );
        let mut e = e;
        e.body = Some(b"{\"other\":1}".to_vec());
        assert_eq!(
            verify_proofs(&e, b"{}", &trust).unwrap_err().0,
            Reason::TlogEntryMismatch
        );
    }
}
