//! The verification pipeline: from (payload, signature) to a typed [`Outcome`].
//!
//! Checklist, in order (each step yields evidence or a [`Reason`]):
//! 1. De-armor and strictly parse the CMS (RFC 5652); exactly one signer; detached. Armor and
//!    CMS must be in the one encoding gitsign writes (see [`armor::decode_canonical`] and
//!    [`decode`]): nothing signs them, so any other accepted encoding is another object id.
//! 2. Algorithms: SHA-256 digest, ecdsa-with-SHA256 signature (compat §2.2).
//! 3. Find the leaf by issuer+serial among the carried certificates; any other certificate
//!    must be a CA certificate of the trust root.
//! 4. contentType attribute = id-data; messageDigest attribute = SHA-256(payload).
//! 5. ECDSA P-256 signature over the signed attributes as received, re-tagged SET.
//! 6. Find the log entry: embedded (57264.3.1, or the early per-field form) or none, in which
//!    case the signature is "online mode" and needs a log lookup.
//! 7. The chain to a Fulcio CA of the trust root at the integrated time, code-signing usage
//!    (see [`chain`]). The CMS signingTime is the signer's clock and is never trusted.
//! 8. An embedded SCT from a trusted CT log (see [`sct`]).
//! 9. The log evidence: body rebuilt from the CMS, SET, inclusion proof, checkpoint,
//!    integrated time inside the leaf's validity (see [`tlog`]).
//! 10. An RFC 3161 timestamp, if the signature carries one: token valid from a TSA of the
//!     trust root, for this signature, genTime inside the leaf's validity and the chain good
//!     at genTime (see [`timestamp`]). With Rekor v1 both times are then checked.
//!
//! A Rekor v2 entry (step 6b, [`tlog_v2`]) takes another path for 7–9: its body (v0.0.2),
//! inclusion proof and signed checkpoint first, then the time of signing from the RFC 3161
//! timestamp (step 10, run first there): chain and SCT at genTime, or, with no timestamp,
//! `timestamp-missing` (ERRSIG).
//!
//! The code below carries the same numbers (`// 1.` … `// 9.`). Who may sign is not decided
//! here: a [`Verified`] is evidence with no trust level, and [`crate::policy`] decides on it
//! once, for every caller (git's path, `gitseal verify`, pre-receive).
//!
//! Everything here is pure: no I/O, no clock (the caller chooses nothing about time: the
//! trusted time comes from the log, or for Rekor v2 from a timestamp). A [`Verified`] value can only be built by this module,
//! from every step's evidence.

pub mod chain;
pub mod reason;
pub mod sct;
pub mod timestamp;
pub mod tlog;
pub mod tlog_v2;

use crate::cms::decode::{self, SignerId, TlogEncoding};
use crate::rekor::entry::LogEntry;
use crate::trust::TrustRoot;
use crate::x509::{Cert, San};
use crate::{armor, oids, rekor};
use reason::Reason;
use sha2::{Digest, Sha256};

/// Facts about the signer, known as soon as the certificate is found (also on failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerSummary {
    /// Lower-hex SHA-1 of the leaf DER (gitsign's key id).
    pub fingerprint: String,
    /// The policy identity (URI, else email, else otherName).
    pub identity: Option<String>,
    /// All SANs.
    pub sans: Vec<San>,
    /// OIDC issuer from the Fulcio extension.
    pub issuer: Option<String>,
    /// Issuer DN of the leaf, for the human summary.
    pub issuer_dn: String,
    /// Leaf notBefore.
    pub not_before: i64,
    /// Leaf notAfter.
    pub not_after: i64,
    /// The leaf's DER as received: an online lookup searches the log by it (compat §3.3), so
    /// nobody re-parses the signature to find the certificate again.
    pub leaf_der: Vec<u8>,
}

/// How the log evidence was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// Embedded in the CMS (offline mode), current protobuf encoding.
    Embedded,
    /// Embedded in the early per-field encoding.
    EmbeddedPerField,
    /// Looked up in Rekor (online mode).
    Lookup,
}

/// A signature that passed every check. Only [`verify_detached`] builds one: the private
/// fields stop any other module (not only other crates, as `#[non_exhaustive]` would) from
/// constructing it (rustls's proof types). It carries what was verified — the leaf, the log
/// entry, the signed attributes and the signature over them — so that nothing after
/// verification re-parses the CMS (policy decides on [`Verified::leaf`], the bundle export
/// reads the rest).
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who signed.
    pub signer: SignerSummary,
    /// The log evidence.
    pub tlog: tlog::TlogVerified,
    /// How it was obtained.
    pub log_source: LogSource,
    /// The CA that issued the leaf.
    pub ca_uri: String,
    /// The CT log that saw the certificate; `None` only for the May 2022 leaves that predate
    /// embedded SCTs (see `predates_embedded_scts` and [`EMBEDDED_SCT_ERA_START`]).
    pub ct_log_url: Option<String>,
    /// The RFC 3161 timestamp the signature carries, verified (step 10); `None` without one.
    pub timestamp: Option<crate::tsa::TimestampVerified>,
    leaf: Cert,
    entry: LogEntry,
    signed_attrs: Vec<u8>,
    signature: Vec<u8>,
}

impl Verified {
    /// The verified leaf certificate (step 3), chained to the trust root (step 7).
    pub fn leaf(&self) -> &Cert {
        &self.leaf
    }

    /// The log entry whose evidence held (step 9): embedded, or the one looked up.
    pub fn entry(&self) -> &LogEntry {
        &self.entry
    }

    /// The signed attributes DER as received, what the signature covers (step 5).
    pub fn signed_attrs(&self) -> &[u8] {
        &self.signed_attrs
    }

    /// The signer's ECDSA signature over [`Verified::signed_attrs`].
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// A signature that did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Stable reason.
    pub reason: Reason,
    /// Specifics for humans.
    pub detail: String,
    /// The signer, when the certificate was found and readable.
    pub signer: Option<SignerSummary>,
}

/// The result of verifying one signature: evidence, not yet a trust decision
/// ([`crate::policy::Judged`] is the decided form).
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Signature, chain and log proof all hold (who signed is for the policy to judge).
    Verified(Box<Verified>),
    /// Not a good signature; the reason's class says BADSIG or ERRSIG.
    Rejected(Rejection),
}

/// What the caller knows besides the bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// A log entry found by an online lookup, for signatures that embed none.
    pub looked_up_entry: Option<&'a LogEntry>,
    /// The id of the signed object (40 or 64 hex), which online mode logs the hash of.
    pub object_id: Option<&'a str>,
}

struct Fail(Reason, String);

impl From<(Reason, String)> for Fail {
    fn from((r, d): (Reason, String)) -> Self {
        Self(r, d)
    }
}

/// The hashedrekord body Rekor stores for this signer in offline mode (compat §3.4).
pub fn offline_body(signed_attrs_der: &[u8], signature: &[u8], leaf_der: &[u8]) -> Vec<u8> {
    let digest: [u8; 32] = Sha256::digest(signed_attrs_der).into();
    rekor::entry::hashedrekord_body(&digest, signature, leaf_der)
}

/// Fulcio embedded SCTs from the introduction of its intermediate CA (June 2022); before
/// that, its root issued leaves directly and returned the SCT detached, so those leaves carry
/// none (18 such objects in the gitsign corpus, May 2022). Such a leaf is accepted without an
/// SCT only when it was issued directly by a trust-root *root* certificate before this time
/// and the Rekor evidence holds; every later leaf must carry a valid SCT.
pub const EMBEDDED_SCT_ERA_START: i64 = 1_656_633_600; // 2022-07-01T00:00:00Z

fn predates_embedded_scts(leaf: &Cert, chain: &chain::ChainVerified) -> bool {
    chain.issuer.is_self_issued() && leaf.not_before < EMBEDDED_SCT_ERA_START
}

/// The hashedrekord body of an online-mode entry, rebuilt from what the signature says
/// (compat §3.1, §3.3): the data hash is SHA-256 of the object id string, the public key is
/// the CMS leaf, and the signature (taken from the entry) must verify over that hash with the
/// leaf's key. `tlog::verify` then checks the stored body equals this rebuild byte for byte.
fn online_body(entry: &LogEntry, leaf: &Cert, object_id: Option<&str>) -> Result<Vec<u8>, Fail> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    let mismatch = |d: &str| Fail(Reason::TlogEntryMismatch, d.to_string());
    let oid = object_id.ok_or_else(|| mismatch("the object id is unknown"))?;
    let stored = entry
        .body
        .as_ref()
        .ok_or_else(|| mismatch("the looked-up entry has no body"))?;
    let v: serde_json::Value =
        serde_json::from_slice(stored).map_err(|_| mismatch("the entry body is not JSON"))?;
    let sig_b64 = v
        .pointer("/spec/signature/content")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| mismatch("the entry body has no signature"))?;
    let sig = B64
        .decode(sig_b64)
        .map_err(|_| mismatch("the entry signature is not base64"))?;
    let digest: [u8; 32] = Sha256::digest(oid.as_bytes()).into();
    let rebuilt = rekor::entry::hashedrekord_body(&digest, &sig, &leaf.der);
    if stored != &rebuilt {
        return Err(mismatch(
            "the entry does not log this object id with this signature's certificate",
        ));
    }
    // The logged digest is SHA-256 of the id string, so verifying over the string is the same
    // check, and keeps src/pubkey.rs to one entry point (message, not digest).
    leaf.public_key()
        .and_then(|k| k.verify(crate::pubkey::Hash::Sha256, oid.as_bytes(), &sig))
        .map_err(|_| mismatch("the entry's signature over the object id does not verify"))?;
    Ok(rebuilt)
}

/// Summarises a leaf for messages.
pub fn summarize(leaf: &Cert) -> SignerSummary {
    SignerSummary {
        fingerprint: leaf.fingerprint(),
        identity: leaf
            .sigstore_identity()
            .ok()
            .flatten()
            .map(|s| s.value().to_string()),
        sans: leaf.sans().unwrap_or_default(),
        issuer: leaf.oidc_issuer().ok().flatten(),
        issuer_dn: leaf.parsed.tbs_certificate().issuer().to_string(),
        not_before: leaf.not_before,
        not_after: leaf.not_after,
        leaf_der: leaf.der.clone(),
    }
}

/// Verifies a detached signature (armored or DER) over `payload`.
pub fn verify_detached(
    payload: &[u8],
    signature: &[u8],
    trust: &TrustRoot,
    ctx: &Context<'_>,
) -> Outcome {
    let mut signer = None;
    match run(payload, signature, trust, ctx, &mut signer) {
        Ok(v) => Outcome::Verified(Box::new(v)),
        Err(Fail(reason, detail)) => Outcome::Rejected(Rejection {
            reason,
            detail,
            signer,
        }),
    }
}

fn run(
    payload: &[u8],
    signature: &[u8],
    trust: &TrustRoot,
    ctx: &Context<'_>,
    summary_out: &mut Option<SignerSummary>,
) -> Result<Verified, Fail> {
    // 1. Armor and CMS structure, each in the one encoding gitsign writes: nothing signs
    //    them, and a second accepted encoding would be a second object id (issue 11).
    let der = armor::decode_canonical(signature).map_err(|e| match e {
        armor::ArmorError::WrongLabel(_) => Fail(Reason::UnsupportedSignatureFormat, e.to_string()),
        _ => Fail(Reason::SignatureMalformed, e.to_string()),
    })?;
    let cms = decode::parse(&der).map_err(|e| Fail(Reason::SignatureMalformed, e.to_string()))?;
    if !cms.detached {
        return Err(Fail(
            Reason::SignatureNotDetached,
            "the CMS embeds its content".into(),
        ));
    }
    let [signer] = cms.signers.as_slice() else {
        return Err(Fail(
            Reason::MultipleSigners,
            format!("{} signers", cms.signers.len()),
        ));
    };

    // 2. Algorithms.
    if signer.digest_algorithm != oids::SHA256 {
        return Err(Fail(
            Reason::UnsupportedAlgorithm,
            format!("digest algorithm {}", signer.digest_algorithm),
        ));
    }
    if signer.signature_algorithm != oids::ECDSA_WITH_SHA256 {
        return Err(Fail(
            Reason::UnsupportedAlgorithm,
            format!("signature algorithm {}", signer.signature_algorithm),
        ));
    }

    // 3. The leaf. gitsign names it by issuer and serial number (compat §2.2). RFC 5652 §5.3
    //    also allows its subjectKeyIdentifier, but the sid is not signed: accepting both would
    //    give every signature a second encoding naming the same certificate.
    let (issuer_der, serial) = match &signer.sid {
        SignerId::IssuerAndSerial { issuer_der, serial } => (issuer_der, serial),
        SignerId::SubjectKeyId(_) => {
            return Err(Fail(
                Reason::SignatureMalformed,
                "the signer is named by subjectKeyIdentifier; gitsign signatures name it by \
                 issuer and serial number"
                    .into(),
            ));
        }
    };
    let mut leaf = None;
    for c in &cms.certificates {
        let cert =
            Cert::from_der(c).map_err(|e| Fail(Reason::CertificateMalformed, e.to_string()))?;
        if &cert.issuer_der == issuer_der && &cert.serial == serial {
            leaf = Some(cert);
            break;
        }
    }
    let leaf = leaf.ok_or(Fail(
        Reason::CertificateMissing,
        "no certificate in the signature matches the signer identifier".into(),
    ))?;
    *summary_out = Some(summarize(&leaf));
    // The leaf's identity text ends up in git's status lines and in human output; a SAN or
    // issuer with control characters is no name a CA issues, and is refused here, before
    // anything else is believed about the leaf (`Cert::check_identity_text`). The summary
    // above keeps the raw text for the rejection's BADSIG uid, which `gpg_status` escapes.
    leaf.check_identity_text()
        .map_err(|e| Fail(Reason::CertificateMalformed, e.to_string()))?;
    // Besides the leaf, gitsign has only ever carried its CA's certificates (compat §2.2; the
    // corpus's two-certificate signatures). Nothing signs the set, and the chain is built
    // from the trust root alone, so any other certificate would only be another encoding.
    let foreign = cms.certificates.iter().any(|c| {
        c != &leaf.der
            && !trust
                .certificate_authorities
                .iter()
                .any(|ca| ca.chain.iter().any(|k| &k.der == c))
    });
    if foreign {
        return Err(Fail(
            Reason::SignatureMalformed,
            "the signature carries a certificate that is neither the signer's nor a CA \
             certificate of the trust root"
                .into(),
        ));
    }

    // 4. Content binding.
    let signed_attrs = signer.signed_attrs_der.as_ref().ok_or(Fail(
        Reason::SignedAttributesMissing,
        "no signed attributes".into(),
    ))?;
    let bad_attr = |e: decode::CmsError| Fail(Reason::SignatureMalformed, e.to_string());
    match signer.content_type().map_err(bad_attr)? {
        Some(ct) if ct == oids::DATA && ct == cms.econtent_type => {}
        Some(ct) => {
            return Err(Fail(
                Reason::ContentTypeMismatch,
                format!("contentType attribute {ct}, content {}", cms.econtent_type),
            ));
        }
        None => {
            return Err(Fail(
                Reason::ContentTypeMismatch,
                "no contentType attribute".into(),
            ));
        }
    }
    let md = signer.message_digest().map_err(bad_attr)?.ok_or(Fail(
        Reason::MessageDigestMismatch,
        "no messageDigest attribute".into(),
    ))?;
    if md.as_slice() != Sha256::digest(payload).as_slice() {
        return Err(Fail(
            Reason::MessageDigestMismatch,
            "SHA-256 of the payload differs from the signed messageDigest".into(),
        ));
    }

    // 5. The signature.
    let key = leaf
        .public_key()
        .map_err(|e| Fail(Reason::UnsupportedAlgorithm, format!("signer key: {e}")))?;
    key.verify(crate::pubkey::Hash::Sha256, signed_attrs, &signer.signature)
        .map_err(|e| Fail(Reason::SignatureInvalid, e.to_string()))?;

    // 6. Log evidence.
    let embedded = signer
        .tlog_entry()
        .map_err(|e| Fail(Reason::TlogEntryMalformed, e.to_string()))?;
    let (entry, log_source) = match (&embedded, ctx.looked_up_entry) {
        (Some((e, TlogEncoding::Protobuf)), _) => (Some(e), LogSource::Embedded),
        (Some((e, TlogEncoding::PerField)), _) => (Some(e), LogSource::EmbeddedPerField),
        (None, Some(e)) => (Some(e), LogSource::Lookup),
        (None, None) => (None, LogSource::Lookup),
    };
    let Some(entry) = entry else {
        // Online mode: check what needs no log, then say honestly what is missing. The
        // leaf's notBefore is the only time available; it is not trusted, so the outcome
        // is never "good".
        let chain = chain::verify(&leaf, trust, leaf.not_before)?;
        let sct_note = match sct::verify(&leaf, &chain.issuer, trust) {
            Ok(_) => "signature, certificate chain and SCT are valid",
            Err((Reason::SctMissing, _)) => {
                "signature and certificate chain are valid (the certificate predates embedded SCTs)"
            }
            Err(e) => return Err(e.into()),
        };
        return Err(Fail(
            Reason::TlogLookupRequired,
            format!(
                "the signature embeds no transparency-log entry (gitsign online mode); \
                 {sct_note}, but the log entry must be looked up in Rekor before the \
                 signature can be trusted"
            ),
        ));
    };

    // 6b. A Rekor v2 entry has no SET and no integrated time: its proofs are checked in
    //     `tlog_v2`, and the time of signing can only come from an RFC 3161 timestamp.
    if log_source != LogSource::Lookup && tlog_v2::is_v2(entry) {
        let trusted_time = timestamp::signing_time_from_tsa(signer, &leaf, trust)?;
        return run_v2(
            entry,
            log_source,
            leaf,
            signer,
            signed_attrs,
            trust,
            trusted_time,
        );
    }

    // 7. Chain at the entry's integrated time. The time is not trusted yet: checking the
    //    chain first only decides which reason a forgery gets; the SET check below rejects
    //    any time the log did not sign.
    let chain = chain::verify(&leaf, trust, entry.integrated_time)?;

    // 8. SCT.
    let sct = match sct::verify(&leaf, &chain.issuer, trust) {
        Ok(v) => Some(v),
        Err((Reason::SctMissing, d)) if predates_embedded_scts(&leaf, &chain) => {
            let _ = d;
            None
        }
        Err(e) => return Err(e.into()),
    };

    // 9. The log evidence: body, SET, proof, checkpoint, time window.
    let body = match log_source {
        LogSource::Embedded | LogSource::EmbeddedPerField => {
            offline_body(signed_attrs, &signer.signature, &leaf.der)
        }
        LogSource::Lookup => online_body(entry, &leaf, ctx.object_id)?,
    };
    let tlog = tlog::verify(entry, &body, trust, leaf.not_before, leaf.not_after)?;

    // 10. The RFC 3161 timestamp, when present.
    let timestamp = timestamp::signing_time_from_tsa(signer, &leaf, trust)?;

    Ok(Verified {
        signer: summarize(&leaf),
        tlog,
        log_source,
        ca_uri: chain.ca_uri,
        ct_log_url: sct.map(|s| s.log_url),
        timestamp,
        entry: entry.clone(),
        signed_attrs: signed_attrs.clone(),
        signature: signer.signature.clone(),
        leaf,
    })
}

/// Steps 7–9 for a Rekor v2 entry ([`tlog_v2`]), with the RFC 3161 timestamp step 10 verified
/// (genTime inside the leaf's validity, chain good then). The proofs are checked first, with
/// no time
/// needed, so a wrong proof or checkpoint is BADSIG with its own reason whether or not a
/// timestamp exists. Then the time: with a trusted timestamp, chain and SCT are checked at it
/// and the log's key must have been valid then; without one, chain and SCT are checked at the
/// leaf's notBefore (so a foreign CA is still BADSIG) and the outcome is `timestamp-missing`
/// (ERRSIG): nothing says when the signature was made.
fn run_v2(
    entry: &LogEntry,
    log_source: LogSource,
    leaf: Cert,
    signer: &decode::Signer,
    signed_attrs: &[u8],
    trust: &TrustRoot,
    timestamp: Option<crate::tsa::TimestampVerified>,
) -> Result<Verified, Fail> {
    let key_details = match leaf.public_key() {
        Ok(k) if matches!(k.ec(), crate::pubkey::EcKey::P256(_)) => {
            rekor::v2::entry::KEY_DETAILS_P256
        }
        _ => {
            return Err(Fail(
                Reason::UnsupportedAlgorithm,
                "a Rekor v2 hashedrekord entry is only rebuilt for an ECDSA P-256 leaf".into(),
            ));
        }
    };
    let digest: [u8; 32] = Sha256::digest(signed_attrs).into();
    let body = rekor::v2::entry::hashedrekord_v002_body(
        &digest,
        &signer.signature,
        &leaf.der,
        key_details,
    );
    let proofs = tlog_v2::verify_proofs(entry, &body, trust)?;
    let Some(at) = timestamp.as_ref().map(|t| t.gen_time) else {
        let chain = chain::verify(&leaf, trust, leaf.not_before)?;
        sct::verify(&leaf, &chain.issuer, trust)?;
        return Err(Fail(
            Reason::TimestampMissing,
            format!(
                "the signature's Rekor v2 entry in {} holds (body, inclusion proof, signed \
                 checkpoint), but a v2 log records no time and the signature carries no \
                 trusted RFC 3161 timestamp, so when it was made cannot be checked",
                proofs.log_url()
            ),
        ));
    };
    // The certificate must have been valid when the signature was made (the chain check
    // covers the CAs only). The timestamp step checks this too; this keeps the v2 path
    // sound whatever time it is handed.
    if at < leaf.not_before || at > leaf.not_after {
        return Err(Fail(
            Reason::IntegratedTimeOutsideValidity,
            format!(
                "the trusted signing time {at} is outside the certificate's validity {}..{}",
                leaf.not_before, leaf.not_after
            ),
        ));
    }
    let chain = chain::verify(&leaf, trust, at)?;
    let sct = sct::verify(&leaf, &chain.issuer, trust)?;
    let tlog = tlog_v2::finish(proofs, at)?;
    // The entry as verified: its true label and the body the proof covers, so an export
    // (`gitseal bundle`) shows what the log holds, whatever label gitsign wrote.
    let mut verified_entry = entry.clone();
    verified_entry.version = rekor::v2::entry::VERSION.into();
    verified_entry.signed_entry_timestamp = None;
    verified_entry.body = Some(body);
    Ok(Verified {
        signer: summarize(&leaf),
        tlog,
        log_source,
        ca_uri: chain.ca_uri,
        ct_log_url: Some(sct.log_url),
        timestamp,
        entry: verified_entry,
        signed_attrs: signed_attrs.to_vec(),
        signature: signer.signature.clone(),
        leaf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x509::tests::{hostile, patch, real_signature};

    fn outcome(der: &[u8]) -> Outcome {
        let raw = crate::cms::encode::tests::shared_vector("internal_e2e_testdata_offline.commit");
        let split =
            crate::git::object::split_commit(&raw, crate::git::object::HashKind::Sha1).unwrap();
        verify_detached(
            &split.payload,
            crate::armor::encode(der).as_bytes(),
            &TrustRoot::public_good().unwrap(),
            &Context::default(),
        )
    }

    /// The Rekor v2 path once a trusted time exists (what the RFC 3161 hook will give): a
    /// signature logged in the testbed's v2 log verifies at that time, its evidence carries
    /// the time and the entry as the log holds it; the log's trust-root window and the
    /// leaf's validity are checked at that time; and with no time it is `timestamp-missing`.
    #[cfg(feature = "testbed")]
    #[test]
    fn rekor_v2_with_a_trusted_time() {
        use crate::oidc::IdentityToken;
        use crate::sign::{Candidate, ObjectFormat, RekorMode, Services, SignRequest};
        use crate::testbed::{Testbed, TestbedConfig, TokenRequest};
        use crate::transport::{HttpTransport, Transport, TransportConfig};
        use std::sync::Arc;
        let tb = Testbed::start(TestbedConfig::default()).unwrap();
        let transport: Arc<dyn Transport> = Arc::new(HttpTransport::new(TransportConfig {
            use_env_proxy: false,
            max_retries: 0,
            ..TransportConfig::default()
        }));
        let ca = crate::fulcio::FulcioClient::new(tb.fulcio_url(), transport.clone());
        let log = crate::rekor::v2::client::RekorV2Client::new(tb.rekor_url(), transport);
        let raw = tb
            .mint_token(&TokenRequest::email("v2@example.com"))
            .unwrap();
        let mut tokens = || -> Result<IdentityToken, crate::oidc::OidcError> {
            IdentityToken::parse(&raw).map_err(Into::into)
        };
        let mut services = Services {
            tokens: &mut tokens,
            ca: &ca,
            log: &log,
            clock: &crate::sign::SystemClock,
            certificate_check: None,
            timestamps: None,
        };
        let payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nv2\n";
        let request = SignRequest {
            payload,
            mode: RekorMode::Offline,
            object_format: ObjectFormat::Sha1,
            include_certs: crate::cms::encode::IncludeCerts::LeafOnly,
            match_committer: None,
        };
        let out =
            crate::sign::sign(&request, &mut services, &mut |_c: &Candidate<'_>| Ok(())).unwrap();
        let trust = TrustRoot::from_file(tb.trusted_root_path()).unwrap();
        let cms = decode::parse(&out.der).unwrap();
        let signer = &cms.signers[0];
        let (entry, _) = signer.tlog_entry().unwrap().unwrap();
        let leaf = Cert::from_der(&out.leaf_der).unwrap();
        let attrs = signer.signed_attrs_der.clone().unwrap();
        let at = leaf.not_before + 1;
        // A timestamp step's evidence with genTime `t` (the TSA itself is tested in `tsa`
        // and end to end in tests/integration/rekor_v2.rs).
        let run = |trust: &TrustRoot, t: Option<i64>| {
            run_v2(
                &entry,
                LogSource::Embedded,
                leaf.clone(),
                signer,
                &attrs,
                trust,
                t.map(|gen_time| crate::tsa::TimestampVerified {
                    gen_time,
                    accuracy_secs: 0,
                    tsa_uri: "tsa".into(),
                    tsa_subject: "CN=tsa".into(),
                    serial: "1".into(),
                    policy: "1.2.3".into(),
                    token_der: Vec::new(),
                }),
            )
        };
        let v = run(&trust, Some(at)).map_err(|Fail(r, d)| (r, d)).unwrap();
        assert_eq!(v.tlog.integrated_time, at);
        assert_eq!(v.tlog.checkpoint_origin, "127.0.0.1");
        assert_eq!(v.entry().version, "0.0.2");
        assert!(v.entry().body.is_some());
        assert_eq!(
            v.ct_log_url.as_deref(),
            Some(&*format!("{}/ct", tb.base_url()))
        );
        let code = |r: Result<Verified, Fail>| r.err().map(|Fail(r, _)| r);
        assert_eq!(code(run(&trust, None)), Some(Reason::TimestampMissing));
        // Before the leaf's notBefore or after it expired: not when the signature was made.
        for t in [leaf.not_before - 1, leaf.not_after + 1] {
            assert_eq!(
                code(run(&trust, Some(t))),
                Some(Reason::IntegratedTimeOutsideValidity)
            );
        }
        // A trust root whose CA was not valid then: the chain does not hold.
        let mut no_ca = trust.clone();
        for ca in &mut no_ca.certificate_authorities {
            ca.valid_for.end = Some(at - 1);
        }
        assert_eq!(code(run(&no_ca, Some(at))), Some(Reason::ChainUntrusted));
        // The v2 log's key not yet valid at that time.
        let mut later = trust.clone();
        for l in later.tlogs.iter_mut().filter(|l| l.ed25519.is_some()) {
            l.valid_for.start = Some(at + 1);
        }
        assert_eq!(code(run(&later, Some(at))), Some(Reason::TlogUnknownLog));
    }

    /// A leaf whose SAN or OIDC issuer holds control characters is rejected as
    /// `certificate-malformed` (class Bad: BADSIG), and the rejection still names the signer
    /// with the raw text (escaped where it is printed).
    #[test]
    fn leaf_with_control_characters_is_certificate_malformed() {
        let (der, leaf) = real_signature();
        // Control: the untouched signature is not refused for its text.
        if let Outcome::Rejected(r) = outcome(&der) {
            assert_ne!(r.reason, Reason::CertificateMalformed, "{}", r.detail);
        }
        let san = leaf.sans().unwrap()[0].value().to_string();
        let issuer = leaf.oidc_issuer().unwrap().unwrap();
        for (from, field) in [(&san, "subjectAltName"), (&issuer, "OIDC issuer")] {
            let to = hostile(from);
            match outcome(&patch(&der, from, &to)) {
                Outcome::Rejected(r) => {
                    assert_eq!(r.reason, Reason::CertificateMalformed, "{}", r.detail);
                    assert_eq!(r.reason.class(), reason::Class::Bad);
                    assert!(r.detail.contains(field), "{}", r.detail);
                    assert!(!r.detail.contains(['\n', '\0', '\x1b']), "{:?}", r.detail);
                    let s = r.signer.unwrap();
                    assert!(
                        s.sans.iter().any(|v| v.value() == to) || s.issuer.as_deref() == Some(&to),
                        "{s:?}"
                    );
                }
                Outcome::Verified(_) => panic!("verified a leaf with {field} {to:?}"),
            }
        }
    }
}
