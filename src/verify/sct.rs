//! Embedded Signed Certificate Timestamps (RFC 6962 §3.3): proof that Fulcio logged the
//! certificate in a trusted CT log before issuing it.
//!
//! The SCT signs the *precertificate* TBS (the final TBS without the SCT extension) together
//! with the SHA-256 of the issuing CA's key (RFC 6962 §3.2). At least one SCT must verify
//! under a CT log key of the trust root valid at the SCT's timestamp.

use super::reason::Reason;
use crate::pubkey::Hash;
use crate::trust::TrustRoot;
use crate::x509::{self, Cert};
use sha2::{Digest, Sha256};

/// Evidence that a trusted CT log saw the certificate.
#[derive(Debug, Clone)]
pub struct SctVerified {
    /// The CT log's URL.
    pub log_url: String,
    /// SCT timestamp, milliseconds.
    pub timestamp_ms: u64,
}

/// Verifies the leaf's embedded SCTs against the trust root.
pub fn verify(
    leaf: &Cert,
    issuer: &Cert,
    trust: &TrustRoot,
) -> Result<SctVerified, (Reason, String)> {
    let scts = leaf
        .embedded_scts()
        .map_err(|e| (Reason::SctInvalid, e.to_string()))?;
    if scts.is_empty() {
        return Err((
            Reason::SctMissing,
            "the certificate has no embedded SCT list".into(),
        ));
    }
    let tbs = leaf
        .precert_tbs()
        .map_err(|e| (Reason::SctInvalid, e.to_string()))?;
    let issuer_key_hash: [u8; 32] = Sha256::digest(&issuer.spki_der).into();
    let mut last = String::new();
    for sct in &scts {
        // TLS HashAlgorithm sha256(4), SignatureAlgorithm ecdsa(3) (RFC 5246 §7.4.1.4.1).
        if (sct.hash_algorithm, sct.signature_algorithm) != (4, 3) {
            last = "an SCT uses an algorithm other than ECDSA with SHA-256".into();
            continue;
        }
        let at = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        let Some(log) = trust.ctlog(&sct.log_id, at) else {
            last = format!(
                "SCT from unknown CT log {} (or not valid at its timestamp)",
                hex::encode(sct.log_id)
            );
            continue;
        };
        let Some(key) = &log.key else {
            last = format!("CT log {} uses an unsupported key type", log.base_url);
            continue;
        };
        let signed = x509::sct_signed_data(sct, &issuer_key_hash, &tbs);
        match key.verify(Hash::Sha256, &signed, &sct.signature) {
            Ok(()) => {
                return Ok(SctVerified {
                    log_url: log.base_url.clone(),
                    timestamp_ms: sct.timestamp_ms,
                });
            }
            Err(e) => last = format!("SCT from {}: {e}", log.base_url),
        }
    }
    Err((Reason::SctInvalid, last))
}
