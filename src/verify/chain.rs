//! X.509 path validation for Fulcio leaves, at the trusted signing time.
//!
//! Sigstore certificates live ten minutes, so "valid now" is meaningless: the chain is checked
//! at the Rekor integrated time (or, with no log evidence, at the leaf's notBefore, which only
//! establishes that the chain is well formed). The CA set comes only from the trust root; CA
//! certificates a signature carries are ignored, so a signature cannot bring its own anchor.

use super::reason::Reason;
use crate::trust::TrustRoot;
use crate::x509::Cert;

/// Evidence that a leaf chains to a trusted CA at a time.
#[derive(Debug, Clone)]
pub struct ChainVerified {
    /// The CA's service URI.
    pub ca_uri: String,
    /// The certificate that signed the leaf (intermediate, or the root for early 2022 leaves).
    pub issuer: Cert,
    /// The time the chain was checked at.
    pub at: i64,
}

/// Checks that `leaf` was issued by a trust-root CA valid at `at`, with every certificate of
/// the path valid at `at`, and that the leaf may sign code.
pub fn verify(leaf: &Cert, trust: &TrustRoot, at: i64) -> Result<ChainVerified, (Reason, String)> {
    let mut last_error = format!(
        "no certificate authority in {} issued this certificate",
        trust.source
    );
    for ca in &trust.certificate_authorities {
        for (i, candidate) in ca.chain.iter().enumerate() {
            if candidate.subject_der != leaf.issuer_der || leaf.verify_signed_by(candidate).is_err()
            {
                continue;
            }
            // Same names are used by staging and production CAs (trust/README), so only a
            // verified signature identifies the issuer.
            if !ca.valid_for.contains(at) {
                last_error = format!("the CA {} was not valid at {at}", ca.uri);
                continue;
            }
            match path_valid(&ca.chain[i..], at) {
                Ok(()) => {
                    check_leaf_usage(leaf)?;
                    return Ok(ChainVerified {
                        ca_uri: ca.uri.clone(),
                        issuer: candidate.clone(),
                        at,
                    });
                }
                Err(e) => last_error = e,
            }
        }
    }
    Err((Reason::ChainUntrusted, last_error))
}

/// Every CA certificate valid at `at`, a CA, and signed by the next; the last self-signed.
fn path_valid(path: &[Cert], at: i64) -> Result<(), String> {
    for (j, cert) in path.iter().enumerate() {
        if !cert.valid_at(at) {
            return Err(format!("CA certificate {} is not valid at {at}", j + 1));
        }
        if !cert.is_ca().unwrap_or(false) {
            return Err("a CA certificate lacks basicConstraints CA".into());
        }
        let signer = path.get(j + 1).unwrap_or(cert);
        cert.verify_signed_by(signer)
            .map_err(|e| format!("CA certificate signature: {e}"))?;
    }
    Ok(())
}

fn check_leaf_usage(leaf: &Cert) -> Result<(), (Reason, String)> {
    let bad = |d: &str| (Reason::CertificateNotForCodeSigning, d.to_string());
    if !leaf
        .has_code_signing_eku()
        .map_err(|e| bad(&e.to_string()))?
    {
        return Err(bad("the certificate's extKeyUsage lacks codeSigning"));
    }
    if !leaf
        .allows_digital_signature()
        .map_err(|e| bad(&e.to_string()))?
    {
        return Err(bad("the certificate's keyUsage lacks digitalSignature"));
    }
    if leaf.is_ca().unwrap_or(true) {
        return Err(bad("the signing certificate is a CA"));
    }
    Ok(())
}
