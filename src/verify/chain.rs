//! X.509 path validation for Fulcio leaves, at the trusted signing time.
//!
//! Sigstore certificates live ten minutes, so "valid now" is meaningless: the chain is checked
//! at the Rekor integrated time (or, with no log evidence, at the leaf's notBefore, which only
//! establishes that the chain is well formed). The CA set comes only from the trust root; CA
//! certificates a signature carries are ignored, so a signature cannot bring its own anchor.
//!
//! The signatures between trust-root CA certificates (intermediate by root, root by itself)
//! are the same for every commit, and with P-384 they cost two thirds of a commit's public-key
//! work; they are checked once per process and remembered (see `ca_signed_by`). Those of the
//! embedded public-good root are constants of the binary, checked by a test instead of by
//! every process (see `embedded_ca_pairs`). A leaf's signature by its issuer is remembered the
//! same way (`leaf_signed_by`): commits signed with one cached credential (one login per
//! rebase) or carrying the same signature twice share a leaf, and a batch verifies it once.
//! Every validity window, and everything else about the leaf, is checked on every call.

use super::reason::Reason;
use crate::pubkey::KeyError;
use crate::trust::TrustRoot;
use crate::x509::Cert;
use std::sync::{Mutex, OnceLock};

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
            if candidate.subject_der != leaf.issuer_der || leaf_signed_by(leaf, candidate).is_err()
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
        ca_signed_by(cert, signer).map_err(|e| format!("CA certificate signature: {e}"))?;
    }
    Ok(())
}

/// Pairs (certificate, signer) whose signature verified in this process, keyed by both
/// certificates' exact DER (compared in full, no digest): whether a certificate's signature
/// verifies under a key is a pure function of those bytes, so a remembered success is as good
/// as a new check. Only successes are remembered, so a failure is re-checked, and reported,
/// on every call; a poisoned lock only means "not remembered". Bounded: past `limit` pairs
/// nothing more is added (a pair past the bound is simply checked every time), so memory stays
/// flat however many commits a process verifies.
struct SignatureMemo {
    pairs: Mutex<std::collections::HashSet<Vec<u8>>>,
    limit: usize,
}

impl SignatureMemo {
    fn new(limit: usize, seed: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) -> Self {
        let pairs = seed.into_iter().map(|(c, s)| Self::key(&c, &s)).collect();
        Self {
            pairs: Mutex::new(pairs),
            limit,
        }
    }

    /// Both DERs with the first one's length in front, so no two pairs share a key.
    fn key(cert: &[u8], signer: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(8 + cert.len() + signer.len());
        k.extend_from_slice(&(cert.len() as u64).to_be_bytes());
        k.extend_from_slice(cert);
        k.extend_from_slice(signer);
        k
    }

    /// `cert.verify_signed_by(signer)`, answered from memory when it succeeded before.
    fn signed_by(&self, cert: &Cert, signer: &Cert) -> Result<(), KeyError> {
        let key = Self::key(&cert.der, &signer.der);
        if self.pairs.lock().is_ok_and(|g| g.contains(&key)) {
            return Ok(());
        }
        cert.verify_signed_by(signer)?;
        if let Ok(mut g) = self.pairs.lock()
            && g.len() < self.limit
        {
            g.insert(key);
        }
        Ok(())
    }
}

/// A trust root has a handful of CA certificates, so this bound is never reached in practice.
const CA_SIGNATURE_CACHE_LIMIT: usize = 64;

/// Leaves: ~1.5 KB per pair, so at most ~1.5 MB. A batch of distinct leaves fills it and then
/// checks the rest every time, as before; a cached credential reuses one leaf for ten minutes.
const LEAF_SIGNATURE_CACHE_LIMIT: usize = 1024;

/// Every (CA certificate, its signer) pair of the embedded public-good trust root, the root
/// paired with itself. The embedded root is a compile-time constant, so whether these
/// signatures verify is one too: the test `embedded_ca_signatures_verify` checks each with
/// the real verification, and processes start with them known, which saves two P-384
/// verifications in every `git verify-commit`. A trust root from a file, or any certificate
/// differing by one byte, is verified at run time as before.
fn embedded_ca_pairs() -> Vec<(Vec<u8>, Vec<u8>)> {
    let Ok(root) = TrustRoot::public_good() else {
        return Vec::new();
    };
    root.certificate_authorities
        .iter()
        .flat_map(|ca| {
            ca.chain.iter().enumerate().map(|(j, cert)| {
                let signer = ca.chain.get(j + 1).unwrap_or(cert);
                (cert.der.clone(), signer.der.clone())
            })
        })
        .collect()
}

/// `cert.verify_signed_by(signer)`, memoised for CA certificates of the trust root (also the
/// timestamp authorities' chains, `tsa::token`).
pub(crate) fn ca_signed_by(cert: &Cert, signer: &Cert) -> Result<(), KeyError> {
    static MEMO: OnceLock<SignatureMemo> = OnceLock::new();
    MEMO.get_or_init(|| SignatureMemo::new(CA_SIGNATURE_CACHE_LIMIT, embedded_ca_pairs()))
        .signed_by(cert, signer)
}

/// `leaf.verify_signed_by(issuer)`, memoised per process (issue 18).
fn leaf_signed_by(leaf: &Cert, issuer: &Cert) -> Result<(), KeyError> {
    static MEMO: OnceLock<SignatureMemo> = OnceLock::new();
    MEMO.get_or_init(|| SignatureMemo::new(LEAF_SIGNATURE_CACHE_LIMIT, []))
        .signed_by(leaf, issuer)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_ca_signatures_verify() {
        // What lets `embedded_ca_pairs` stand in for run-time checks: every pair verifies.
        let pairs = embedded_ca_pairs();
        assert_eq!(pairs.len(), 3, "root 1; intermediate and root 2");
        for (cert, signer) in &pairs {
            let (cert, signer) = (
                Cert::from_der(cert).unwrap(),
                Cert::from_der(signer).unwrap(),
            );
            cert.verify_signed_by(&signer).unwrap();
            assert!(signer.is_ca().unwrap(), "only CA certificates are seeded");
        }
    }

    #[test]
    fn leaf_usage_rejects_certificates_not_for_code_signing() {
        // Real certificates of the public-good root stand in for defective leaves: the
        // intermediate (codeSigning EKU, but keyUsage certSign only, and a CA) and the root
        // (no codeSigning EKU). Each must be refused as not for code signing.
        let trust = TrustRoot::public_good().unwrap();
        let ca = trust
            .certificate_authorities
            .iter()
            .find(|ca| ca.chain.len() == 2)
            .unwrap();
        for cert in &ca.chain {
            let (reason, detail) = check_leaf_usage(cert).unwrap_err();
            assert_eq!(reason, Reason::CertificateNotForCodeSigning, "{detail}");
        } // Control: a real gitsign leaf (gitsign's test vectors) is for code signing.
        let (_, leaf) = crate::x509::tests::real_signature();
        assert!(check_leaf_usage(&leaf).is_ok());
    }

    #[test]
    fn ca_signature_memo_remembers_only_successes() {
        let trust = TrustRoot::public_good().unwrap();
        let ca = trust
            .certificate_authorities
            .iter()
            .find(|ca| ca.chain.len() == 2)
            .unwrap();
        let (intermediate, root) = (&ca.chain[0], &ca.chain[1]);
        for _ in 0..2 {
            assert!(ca_signed_by(intermediate, root).is_ok());
            assert!(ca_signed_by(root, root).is_ok());
            // The reverse pair was never good, and stays bad after the good ones are cached.
            assert!(ca_signed_by(root, intermediate).is_err());
            assert!(ca_signed_by(intermediate, intermediate).is_err());
        }
        // A certificate whose signature is altered is not found in the memo (keys are whole
        // DER), so it fails like before.
        let mut forged = intermediate.clone();
        let last = forged.der.len() - 1;
        forged.der[last] ^= 1;
        forged.signature = forged.signature.iter().map(|b| b ^ 0x55).collect();
        assert!(ca_signed_by(&forged, root).is_err());
    }

    #[test]
    fn leaf_signature_memo_remembers_only_successes_and_stays_bounded() {
        let (_, leaf) = crate::x509::tests::real_signature();
        let trust = TrustRoot::public_good().unwrap();
        let issuer = trust
            .certificate_authorities
            .iter()
            .flat_map(|ca| ca.chain.iter())
            .find(|c| c.subject_der == leaf.issuer_der && leaf.verify_signed_by(c).is_ok())
            .unwrap();
        let memo = SignatureMemo::new(1, []);
        for _ in 0..2 {
            assert!(memo.signed_by(&leaf, issuer).is_ok());
            // The leaf is not signed by itself: refused before and after the good pair is known.
            assert!(memo.signed_by(&leaf, &leaf).is_err());
        }
        // The same TBS with another signature value is another key: checked, and refused.
        let mut forged = leaf.clone();
        let last = forged.der.len() - 1;
        forged.der[last] ^= 1;
        forged.signature = forged.signature.iter().map(|b| b ^ 0x55).collect();
        assert!(memo.signed_by(&forged, issuer).is_err());
        assert_eq!(memo.pairs.lock().unwrap().len(), 1, "bounded by its limit");
        // Swapping the two DERs' boundary cannot collide: the length prefix separates them.
        assert_ne!(
            SignatureMemo::key(b"ab", b"c"),
            SignatureMemo::key(b"a", b"bc")
        );
    }
}
