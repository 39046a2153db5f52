//! The signing sequence (compat §1.3), as one function over injected services:
//!
//! 1. identity token ([`TokenProvider`]) → proof-of-possession subject (email or `sub`);
//! 2. a fresh ECDSA P-256 key, used for this signature only and zeroized when dropped;
//! 3. a certificate from Fulcio ([`CertificateAuthority`]), checked against the trust root
//!    before it is used ([`check_issued_certificate`]: validity now, chain, SCT); optional
//!    `gitsign.matchCommitter` check (decided by [`crate::policy::committer`], compat §6.7);
//! 4. the detached CMS signature over the payload ([`crate::cms::encode`]);
//! 5. a Rekor `hashedrekord` entry ([`TransparencyLog`]):
//!    * **offline** (gitseal's default): over SHA-256 of the signed-attributes SET DER, signed by
//!      the CMS signature itself; the returned entry is embedded as unsigned attribute
//!      1.3.6.1.4.1.57264.3.1;
//!    * **online** (gitsign's default): over SHA-256 of the predicted object id *string* of the
//!      commit or tag once the signature is inserted (compat §3.1), signed by the same key;
//!      nothing is embedded;
//!    * with a timestamp authority configured ([`Services::timestamps`],
//!      `gitsign.timestampServerURL`), an RFC 3161 timestamp over the CMS signature value,
//!      checked against the trust root ([`check_timestamp`]) and embedded as the unsigned
//!      attribute `id-aa-timeStampToken` (compat §10). Offline mode asks for it after the Rekor
//!      upload, as gitsign's default (sigstore-go) path does; online mode before predicting the
//!      object id, since the id covers the signature with its timestamp (gitsign's legacy
//!      path). Either way the imprint covers only the signature value;
//! 6. the verify-before-emit check on the finished signature ([`verify_candidate`]: gitseal's
//!    own verifier) — nothing is returned (and so nothing reaches git) that did not pass it;
//! 7. the armored signature and the values for `[GNUPG:] SIG_CREATED`.
//!
//! With [`sign_with_cache`], steps 1–3 may instead take the key and certificate of an earlier
//! login from a [`CredentialCache`] ([`crate::credcache`], which checks them first); the
//! certificate check of step 3, matchCommitter and steps 4–7 run on it unchanged, so each
//! signature still gets its own Rekor entry and its own verify-before-emit check.
//!
//! The two trust checks are named functions here, and the CLI wires them in as
//! [`Services::certificate_check`] and the [`SelfCheck`] (tests of the sequence inject their
//! own). This module must not print, read configuration, or open sockets itself; errors say
//! which service failed and which setting to look at ([`SignError::hint`]).

use std::error::Error as StdError;
use std::time::SystemTime;

use der::{Decode as _, Encode as _};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::elliptic_curve::Generate as _;
use sha2::{Digest as _, Sha256};

use crate::cms::encode::{CmsEncodeError, DetachedSignature, IncludeCerts};
use crate::fulcio::{FulcioChain, FulcioClient, FulcioError};
use crate::oidc::{IdentityToken, OidcContext, OidcError, TokenError, TokenSourceConfig};
use crate::policy::committer::{self, Committer};
use crate::rekor::client::{RekorClient, RekorError};
use crate::rekor::entry::{LogEntry, hashedrekord_body};
use crate::transport::Service;
use crate::trust::TrustRoot;
use crate::tsa::{TsaClient, TsaError};

pub use crate::clock::{Clock, SystemClock};

/// Seconds our clock may lag Fulcio's when checking a fresh certificate's notBefore.
pub const CLOCK_SKEW: i64 = 300;

/// Where the Rekor entry goes and what it covers (`gitsign.rekorMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RekorMode {
    /// Entry over the signed attributes, embedded in the signature (verifiable offline).
    #[default]
    Offline,
    /// Entry over the commit/tag object id, found later by searching Rekor.
    Online,
}

/// The repository's object hash (`extensions.objectFormat`), for online-mode id prediction.
pub use crate::git::object::HashKind as ObjectFormat;

/// Where the identity token comes from.
pub trait TokenProvider {
    /// Obtains a token (may run a browser or device login).
    fn token(&mut self) -> Result<IdentityToken, OidcError>;
}

impl<F: FnMut() -> Result<IdentityToken, OidcError>> TokenProvider for F {
    fn token(&mut self) -> Result<IdentityToken, OidcError> {
        self()
    }
}

/// The OIDC flows of [`crate::oidc`] as a [`TokenProvider`].
pub struct OidcTokens<'a> {
    /// How to get the token.
    pub config: &'a TokenSourceConfig,
    /// The services the flows use.
    pub context: OidcContext<'a>,
}

impl TokenProvider for OidcTokens<'_> {
    fn token(&mut self) -> Result<IdentityToken, OidcError> {
        crate::oidc::obtain_token(self.config, &mut self.context)
    }
}

/// Issues certificates (Fulcio).
pub trait CertificateAuthority {
    /// See [`FulcioClient::request_certificate`].
    fn request_certificate(
        &self,
        token: &IdentityToken,
        public_key: &p256::ecdsa::VerifyingKey,
        proof: &[u8],
    ) -> Result<FulcioChain, FulcioError>;
}

impl CertificateAuthority for FulcioClient {
    fn request_certificate(
        &self,
        token: &IdentityToken,
        public_key: &p256::ecdsa::VerifyingKey,
        proof: &[u8],
    ) -> Result<FulcioChain, FulcioError> {
        FulcioClient::request_certificate(self, token, public_key, proof)
    }
}

/// Records entries (Rekor).
pub trait TransparencyLog {
    /// See [`RekorClient::create_hashedrekord`].
    fn create_hashedrekord(
        &self,
        digest: &[u8; 32],
        signature: &[u8],
        cert_der: &[u8],
    ) -> Result<(String, LogEntry), RekorError>;
}

impl TransparencyLog for RekorClient {
    fn create_hashedrekord(
        &self,
        digest: &[u8; 32],
        signature: &[u8],
        cert_der: &[u8],
    ) -> Result<(String, LogEntry), RekorError> {
        RekorClient::create_hashedrekord(self, digest, signature, cert_der)
    }
}

/// Timestamps signatures (an RFC 3161 TSA).
pub trait TimestampAuthority {
    /// See [`TsaClient::timestamp`]: a token over `signature`, checked against the request.
    fn timestamp(&self, signature: &[u8]) -> Result<Vec<u8>, TsaError>;
}

impl TimestampAuthority for TsaClient {
    fn timestamp(&self, signature: &[u8]) -> Result<Vec<u8>, TsaError> {
        TsaClient::timestamp(self, signature)
    }
}

/// A check of a TSA's token against the trust root: `(token, signature, leaf DER)` → what it
/// proves; `Err` explains the rejection.
pub type TimestampCheck<'a> =
    &'a dyn Fn(&[u8], &[u8], &[u8]) -> Result<crate::tsa::TimestampVerified, String>;

/// Timestamping for [`Services::timestamps`]: the TSA, and the check of its token against the
/// trust root before it is embedded (`(token, signature, leaf DER)`; `Err` explains).
#[derive(Clone, Copy)]
pub struct Timestamping<'a> {
    /// The TSA.
    pub tsa: &'a dyn TimestampAuthority,
    /// [`check_timestamp`] in the CLI.
    pub check: TimestampCheck<'a>,
}

/// Rekor v2 (`gitsign.rekorVersion=2`): the entry is hashedrekord v0.0.2 with an inclusion
/// proof and checkpoint but no signed entry timestamp; step 5 checks it as such and embeds it
/// labelled 0.0.2 (see `rekor::entry::LogEntry::to_proto`).
impl TransparencyLog for crate::rekor::v2::client::RekorV2Client {
    fn create_hashedrekord(
        &self,
        digest: &[u8; 32],
        signature: &[u8],
        cert_der: &[u8],
    ) -> Result<(String, LogEntry), RekorError> {
        crate::rekor::v2::client::RekorV2Client::create_hashedrekord(
            self, digest, signature, cert_der,
        )
    }
}

/// The injected services.
pub struct Services<'a> {
    /// Identity token source.
    pub tokens: &'a mut dyn TokenProvider,
    /// Fulcio.
    pub ca: &'a dyn CertificateAuthority,
    /// Rekor.
    pub log: &'a dyn TransparencyLog,
    /// Time (the untrusted CMS signingTime and the SIG_CREATED timestamp).
    pub clock: &'a dyn Clock,
    /// Checks the chain and SCT Fulcio returned against the trust root *before* the
    /// certificate is used (nothing is signed or logged with a certificate that fails).
    pub certificate_check: Option<CertificateCheck<'a>>,
    /// An RFC 3161 timestamp for every signature (`gitsign.timestampServerURL`); `None`: none.
    pub timestamps: Option<Timestamping<'a>>,
}

/// A check of Fulcio's answer against the trust root; `Err` explains the rejection.
pub type CertificateCheck<'a> = &'a dyn Fn(&FulcioChain) -> Result<(), String>;

/// What to sign and how.
#[derive(Clone, Debug)]
pub struct SignRequest<'a> {
    /// The commit (without gpgsig) or tag text git passed on stdin.
    pub payload: &'a [u8],
    /// Rekor mode.
    pub mode: RekorMode,
    /// Object format (online mode only).
    pub object_format: ObjectFormat,
    /// Certificates to embed.
    pub include_certs: IncludeCerts,
    /// `Some` when `gitsign.matchCommitter` is true.
    pub match_committer: Option<Committer<'a>>,
}

/// A finished signature before it is released: what the verify-before-emit check sees.
#[derive(Clone, Debug)]
pub struct Candidate<'a> {
    /// The signed payload.
    pub payload: &'a [u8],
    /// ContentInfo DER.
    pub der: &'a [u8],
    /// The armored text that would go to git.
    pub armored: &'a str,
    /// Rekor mode used.
    pub mode: RekorMode,
    /// Leaf certificate DER.
    pub leaf_der: &'a [u8],
    /// Chain Fulcio returned (DER).
    pub chain_der: &'a [Vec<u8>],
    /// Rekor entry UUID.
    pub log_uuid: &'a str,
    /// The Rekor entry (embedded in offline mode).
    pub log_entry: &'a LogEntry,
    /// Online mode: the predicted object id whose hex string was logged.
    pub object_id: Option<&'a str>,
}

/// The verify-before-emit check the CLI wires to the verifier.
pub type SelfCheck<'a> =
    &'a mut dyn FnMut(&Candidate<'_>) -> Result<(), Box<dyn StdError + Send + Sync>>;

/// The values of `[GNUPG:] SIG_CREATED <type> <pk> <hash> 00 <time> <fpr>` (compat §1.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigCreated {
    /// `D` (detached) — gitseal only makes detached signatures.
    pub detached: bool,
    /// OpenPGP public-key algorithm id from the CA's signature on the leaf (19 ECDSA, 1 RSA,
    /// 0 unknown) — gitsign's choice, §11.4.
    pub pk_algo: u8,
    /// OpenPGP hash id from the CA's signature on the leaf (8 SHA-256, 9 SHA-384, 10 SHA-512,
    /// 2 SHA-1, 0 unknown); 9 for real Fulcio leaves.
    pub hash_algo: u8,
    /// Unix time of signing.
    pub timestamp: i64,
    /// Lower-hex SHA-1 of the leaf DER.
    pub fingerprint: String,
}

/// The result of [`sign`].
#[derive(Clone, Debug)]
pub struct SignOutput {
    /// What goes to stdout.
    pub armored: String,
    /// ContentInfo DER.
    pub der: Vec<u8>,
    /// `SIG_CREATED` values.
    pub sig_created: SigCreated,
    /// Leaf certificate DER.
    pub leaf_der: Vec<u8>,
    /// Chain Fulcio returned.
    pub chain_der: Vec<Vec<u8>>,
    /// Rekor entry UUID.
    pub log_uuid: String,
    /// The Rekor entry (for `tlog entry created with index: N`).
    pub log_entry: LogEntry,
    /// Online mode: the predicted object id.
    pub object_id: Option<String>,
    /// The RFC 3161 timestamp embedded, as checked (`None` without a TSA).
    pub timestamp: Option<crate::tsa::TimestampVerified>,
}

/// Why signing failed. [`SignError::service`] says which service, [`SignError::hint`] what to
/// change.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// No identity token.
    #[error("failed to get identity token: {0}")]
    Token(#[source] OidcError),
    /// The token has no usable subject for the proof of possession.
    #[error("the identity token cannot be used: {0}")]
    Subject(#[source] TokenError),
    /// The key could not be generated (OS RNG failure).
    #[error("could not generate a signing key: the system random number generator failed")]
    Key,
    /// Fulcio failed.
    #[error("failed to get a signing certificate: {0}")]
    Fulcio(#[source] FulcioError),
    /// The certificate Fulcio returned does not verify against the trust root.
    #[error("the certificate Fulcio issued does not verify against the trust root: {0}")]
    CertificateUntrusted(String),
    /// matchCommitter refused ([`crate::policy::committer::matches`]).
    #[error(transparent)]
    MatchCommitter(committer::Mismatch),
    /// The CMS could not be built.
    #[error("failed to build the signature: {0}")]
    Cms(#[source] CmsEncodeError),
    /// Rekor failed.
    #[error("failed to record the signature in the transparency log: {0}")]
    Rekor(#[source] RekorError),
    /// Rekor's entry is not the one we asked for.
    #[error("the transparency log returned entry {uuid}, which does not record this signature")]
    RekorEntryMismatch {
        /// Entry UUID.
        uuid: String,
    },
    /// Rekor's entry lacks what offline verification needs.
    #[error("the transparency log entry {uuid} has no {missing}")]
    RekorEntryIncomplete {
        /// Entry UUID.
        uuid: String,
        /// What is missing.
        missing: &'static str,
    },
    /// Online mode needs a commit or tag object.
    #[error(
        "online Rekor mode can only sign commits and tags (the data starts with neither `tree ` nor `object `)"
    )]
    UnknownObjectKind,
    /// The timestamp authority failed or refused.
    #[error("failed to get a timestamp: {0}")]
    Timestamp(#[source] TsaError),
    /// The timestamp does not verify against the trust root.
    #[error("the timestamp authority's token does not verify against the trust root: {0}")]
    TimestampUntrusted(String),
    /// Our own output failed verification.
    #[error("the new signature did not pass verification, so it was not used: {0}")]
    SelfCheck(#[source] Box<dyn StdError + Send + Sync>),
}

impl SignError {
    /// The remote service at fault, if any.
    pub fn service(&self) -> Option<Service> {
        match self {
            SignError::Token(_) | SignError::Subject(_) => Some(Service::OidcProvider),
            SignError::Fulcio(_) | SignError::CertificateUntrusted(_) => Some(Service::Fulcio),
            SignError::Rekor(_)
            | SignError::RekorEntryMismatch { .. }
            | SignError::RekorEntryIncomplete { .. } => Some(Service::Rekor),
            SignError::Timestamp(_) | SignError::TimestampUntrusted(_) => {
                Some(Service::TimestampAuthority)
            }
            _ => None,
        }
    }

    /// A one-line hint naming the setting to change.
    pub fn hint(&self) -> &'static str {
        match self {
            SignError::Token(e) => e.hint(),
            SignError::Subject(TokenError::EmailNotVerified(_)) => {
                "verify the email address with your identity provider"
            }
            SignError::Subject(_) => "check gitsign.issuer / gitsign.tokenProvider",
            SignError::Fulcio(e) => e.hint(),
            SignError::CertificateUntrusted(_) => {
                "check that gitsign.fulcio and the trust root (GITSEAL_TRUSTED_ROOT, gitsign.fulcioRoot, SIGSTORE_CT_LOG_PUBLIC_KEY_FILE) belong to the same Sigstore instance"
            }
            SignError::MatchCommitter(_) => {
                "sign in with the identity in user.email, or set gitsign.matchCommitter=false"
            }
            SignError::Rekor(_)
            | SignError::RekorEntryMismatch { .. }
            | SignError::RekorEntryIncomplete { .. } => crate::config::table::REKOR.check,
            SignError::UnknownObjectKind => "set gitsign.rekorMode=offline to sign other data",
            SignError::Timestamp(_) => crate::config::table::TIMESTAMP_SERVER_URL.check,
            SignError::TimestampUntrusted(_) => {
                "check that gitsign.timestampServerURL names a timestamp authority of the trust root (timestampAuthorities, or gitsign.timestampCertChain)"
            }
            SignError::SelfCheck(_) => {
                "check that gitsign.fulcio, gitsign.rekor and the trust root (gitsign.fulcioRoot, SIGSTORE_REKOR_PUBLIC_KEY) belong to the same Sigstore instance"
            }
            SignError::Key | SignError::Cms(_) => "this is a local problem; please report it",
        }
    }
}

/// A store of earlier credentials (ephemeral key + Fulcio leaf) for [`sign_with_cache`]: one
/// login per certificate lifetime instead of one per signature (issue 12; the implementation
/// is [`crate::credcache`]). `load` returns only a credential it has checked (key matches the
/// leaf, chain, SCT, time left); [`sign_with_cache`] still runs
/// [`Services::certificate_check`], matchCommitter and the verify-before-emit check on it
/// exactly as on a fresh one, and every signature still gets its own Rekor entry.
pub trait CredentialCache {
    /// A usable cached credential, or `None` (an unusable one is removed first).
    fn load(&mut self) -> Option<(SigningKey, FulcioChain)>;
    /// Keeps a fresh credential that passed the certificate check.
    fn store(&mut self, key: &SigningKey, chain: &FulcioChain);
}

/// Runs the signing sequence (module docs) with a fresh key and certificate. The ephemeral key
/// never leaves this function and is zeroized on drop (`ecdsa::SigningKey` zeroizes its scalar).
pub fn sign(
    request: &SignRequest<'_>,
    services: &mut Services<'_>,
    verify_before_emit: SelfCheck<'_>,
) -> Result<SignOutput, SignError> {
    sign_with_cache(request, services, None, verify_before_emit)
}

/// Steps 1–3 of the sequence: a token, a fresh key, a certificate for it.
fn fresh_credential(services: &mut Services<'_>) -> Result<(SigningKey, FulcioChain), SignError> {
    let token = services.tokens.token().map_err(SignError::Token)?;
    let subject = token.fulcio_subject().map_err(SignError::Subject)?;

    let key = SigningKey::try_generate().map_err(|_| SignError::Key)?;
    // Proof of possession: ECDSA-P256 over SHA-256(subject), DER (compat §4.1).
    let proof: p256::ecdsa::Signature = key
        .try_sign(subject.as_bytes())
        .map_err(|_| SignError::Key)?;
    let chain = services
        .ca
        .request_certificate(&token, key.verifying_key(), &proof.to_der().to_bytes())
        .map_err(SignError::Fulcio)?;
    drop(token);
    Ok((key, chain))
}

/// [`sign`], first asking `cache` for a credential of an earlier login and keeping a fresh one
/// in it ([`CredentialCache`]). The key is only ever held in memory here (zeroized on drop);
/// what the cache does with it is the cache's business.
pub fn sign_with_cache(
    request: &SignRequest<'_>,
    services: &mut Services<'_>,
    mut cache: Option<&mut dyn CredentialCache>,
    verify_before_emit: SelfCheck<'_>,
) -> Result<SignOutput, SignError> {
    let (key, chain, fresh) = match cache.as_mut().and_then(|c| c.load()) {
        Some((key, chain)) => (key, chain, false),
        None => {
            let (key, chain) = fresh_credential(services)?;
            (key, chain, true)
        }
    };
    if let Some(check) = services.certificate_check {
        check(&chain).map_err(SignError::CertificateUntrusted)?;
    }
    if fresh && let Some(c) = cache {
        c.store(&key, &chain);
    }

    if let Some(c) = request.match_committer {
        committer::matches_der(&chain.leaf_der, c).map_err(SignError::MatchCommitter)?;
    }

    let signing_time = services.clock.now();
    let content_digest: [u8; 32] = Sha256::digest(request.payload).into();
    let mut cms = DetachedSignature::sign(
        &content_digest,
        signing_time,
        &chain.leaf_der,
        &chain.chain_der,
        request.include_certs,
        &key,
    )
    .map_err(SignError::Cms)?;

    let timestamp;
    let (log_uuid, log_entry, object_id) = match request.mode {
        RekorMode::Offline => {
            let artifact = cms.signed_attributes_der().map_err(SignError::Cms)?;
            let digest: [u8; 32] = Sha256::digest(&artifact).into();
            let signature = cms.signature().map_err(SignError::Cms)?;
            let (uuid, entry) = services
                .log
                .create_hashedrekord(&digest, &signature, &chain.leaf_der)
                .map_err(SignError::Rekor)?;
            check_entry(&uuid, &entry, &digest, &signature, &chain.leaf_der)?;
            // Offline verification needs both the promise and the proof (sigstore-go's
            // validatingRekorClient requires the proof; gitsign's legacy path panics without it).
            // A Rekor v2 entry has no promise by design: its proof and checkpoint are all.
            if entry.signed_entry_timestamp.is_none() && !is_v2_entry(&entry) {
                return Err(SignError::RekorEntryIncomplete {
                    uuid,
                    missing: "signed entry timestamp",
                });
            }
            if entry.inclusion_proof.is_none() {
                return Err(SignError::RekorEntryIncomplete {
                    uuid,
                    missing: "inclusion proof",
                });
            }
            cms.set_tlog_entry(&entry).map_err(SignError::Cms)?;
            timestamp = add_timestamp(&mut cms, services.timestamps, &chain.leaf_der)?;
            (uuid, entry, None)
        }
        RekorMode::Online => {
            timestamp = add_timestamp(&mut cms, services.timestamps, &chain.leaf_der)?;
            let armored = cms.to_pem().map_err(SignError::Cms)?;
            let id = predict_object_id(request.payload, &armored, request.object_format)?;
            let digest: [u8; 32] = Sha256::digest(id.as_bytes()).into();
            let sig: p256::ecdsa::Signature =
                key.try_sign(id.as_bytes()).map_err(|_| SignError::Key)?;
            let signature = sig.to_der().to_bytes().to_vec();
            let (uuid, entry) = services
                .log
                .create_hashedrekord(&digest, &signature, &chain.leaf_der)
                .map_err(SignError::Rekor)?;
            check_entry(&uuid, &entry, &digest, &signature, &chain.leaf_der)?;
            (uuid, entry, Some(id))
        }
    };
    drop(key);

    let der = cms.to_der().map_err(SignError::Cms)?;
    let armored = crate::armor::encode(&der);
    verify_before_emit(&Candidate {
        payload: request.payload,
        der: &der,
        armored: &armored,
        mode: request.mode,
        leaf_der: &chain.leaf_der,
        chain_der: &chain.chain_der,
        log_uuid: &log_uuid,
        log_entry: &log_entry,
        object_id: object_id.as_deref(),
    })
    .map_err(SignError::SelfCheck)?;

    let (pk_algo, hash_algo) = leaf_algorithms(&chain.leaf_der);
    let sig_created = SigCreated {
        detached: true,
        pk_algo,
        hash_algo,
        timestamp: unix(services.clock.now()),
        fingerprint: hex::encode(sha1::Sha1::digest(&chain.leaf_der)),
    };
    Ok(SignOutput {
        armored,
        der,
        sig_created,
        leaf_der: chain.leaf_der,
        chain_der: chain.chain_der,
        log_uuid,
        log_entry,
        object_id,
        timestamp,
    })
}

/// The certificate check of step 3 ([`Services::certificate_check`]): the leaf Fulcio issued
/// is valid `now` (with [`CLOCK_SKEW`] for Fulcio's clock running ahead of ours), chains to a
/// Fulcio CA of `trust`, and carries a valid SCT from a CT log of `trust` — the checks the
/// verifier makes later, so a certificate from another Sigstore instance, or a misissued one,
/// signs and logs nothing. `Err` explains the rejection with the verifier's reason code.
pub fn check_issued_certificate(
    chain: &FulcioChain,
    trust: &TrustRoot,
    now: i64,
) -> Result<(), String> {
    let leaf = crate::x509::Cert::from_der(&chain.leaf_der).map_err(|e| e.to_string())?;
    // Fulcio stamps notBefore with its own clock; tolerate a few minutes of skew with ours
    // (real signatures show it), but not an expired or far-future certificate.
    if now < leaf.not_before - CLOCK_SKEW || now > leaf.not_after {
        return Err(format!(
            "it is not valid now (valid {}..{}, now {now})",
            leaf.not_before, leaf.not_after
        ));
    }
    let at = now.clamp(leaf.not_before, leaf.not_after);
    let verified = crate::verify::chain::verify(&leaf, trust, at)
        .map_err(|(r, d)| format!("{d} [{}]", r.code()))?;
    crate::verify::sct::verify(&leaf, &verified.issuer, trust)
        .map_err(|(r, d)| format!("{d} [{}]", r.code()))?;
    Ok(())
}

/// The verify-before-emit check of step 6 ([`SelfCheck`]): the finished signature must pass
/// gitseal's own verifier against `trust`, exactly as `git verify-commit` will run it, with
/// no identity policy (who signed is the signer's business; that it verifies is ours). An
/// online-mode signature embeds no entry, so the entry Rekor just returned stands in for the
/// lookup a verifier makes; an offline-mode one is verified from its embedded entry alone.
/// `Err` is the verifier's detail and reason code.
pub fn verify_candidate(c: &Candidate<'_>, trust: &TrustRoot) -> Result<(), String> {
    use crate::verify::{Context, Outcome};
    let outcome = crate::verify::verify_detached(
        c.payload,
        c.armored.as_bytes(),
        trust,
        &Context {
            looked_up_entry: (c.mode == RekorMode::Online).then_some(c.log_entry),
            object_id: c.object_id,
        },
    );
    match outcome {
        Outcome::Verified(_) => Ok(()),
        // Rekor v2 included: without a timestamp it is `timestamp-missing`, and configuration
        // already refuses v2 without a TSA (`SignSettings::resolve`).
        Outcome::Rejected(r) => Err(format!("{} [{}]", r.detail, r.reason.code())),
    }
}

/// Step 5's timestamp: a token over the signature value from the TSA, checked, embedded as
/// `id-aa-timeStampToken` (DER-sorted with the Rekor attribute, compat §2.4). Nothing to do
/// without a TSA.
fn add_timestamp(
    cms: &mut DetachedSignature,
    timestamps: Option<Timestamping<'_>>,
    leaf_der: &[u8],
) -> Result<Option<crate::tsa::TimestampVerified>, SignError> {
    let Some(t) = timestamps else {
        return Ok(None);
    };
    let signature = cms.signature().map_err(SignError::Cms)?;
    let token = t.tsa.timestamp(&signature).map_err(SignError::Timestamp)?;
    let verified =
        (t.check)(&token, &signature, leaf_der).map_err(SignError::TimestampUntrusted)?;
    let value = der::asn1::Any::from_der(&token)
        .map_err(|e| SignError::TimestampUntrusted(format!("the token is not DER: {e}")))?;
    cms.add_unsigned_attribute(crate::oids::TIMESTAMP_TOKEN, value)
        .map_err(SignError::Cms)?;
    Ok(Some(verified))
}

/// The timestamp check of step 5 ([`Timestamping::check`]): the token verifies over
/// `signature` against a TSA of `trust`, and its genTime lies inside the leaf's validity with
/// the leaf's chain good then — the verifier's step 10, so a TSA outside the trust root, or one
/// whose clock is off, fails signing with one line. `Err` carries the reason code.
pub fn check_timestamp(
    token: &[u8],
    signature: &[u8],
    leaf_der: &[u8],
    trust: &TrustRoot,
) -> Result<crate::tsa::TimestampVerified, String> {
    let leaf = crate::x509::Cert::from_der(leaf_der).map_err(|e| e.to_string())?;
    let ts = crate::tsa::verify_token(token, signature, trust)
        .map_err(|(r, d)| format!("{d} [{}]", r.code()))?;
    crate::verify::timestamp::check_against_leaf(&ts, &leaf, trust)
        .map_err(|(r, d)| format!("{d} [{}]", r.code()))?;
    Ok(ts)
}

/// Whether a log answered with a Rekor v2 entry (hashedrekord 0.0.2).
fn is_v2_entry(entry: &LogEntry) -> bool {
    use crate::rekor::v2::entry::{KIND, VERSION};
    (entry.kind.as_str(), entry.version.as_str()) == (KIND, VERSION)
}

/// The log must have recorded exactly what we submitted (when it sends the body back).
fn check_entry(
    uuid: &str,
    entry: &LogEntry,
    digest: &[u8; 32],
    signature: &[u8],
    leaf_der: &[u8],
) -> Result<(), SignError> {
    let expected = if is_v2_entry(entry) {
        crate::rekor::v2::entry::hashedrekord_v002_body(
            digest,
            signature,
            leaf_der,
            crate::rekor::v2::entry::KEY_DETAILS_P256,
        )
    } else {
        hashedrekord_body(digest, signature, leaf_der)
    };
    match &entry.body {
        Some(body) if *body == expected => Ok(()),
        _ => Err(SignError::RekorEntryMismatch {
            uuid: uuid.to_owned(),
        }),
    }
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// OpenPGP (pk, hash) algorithm ids of the CA's signature on the leaf, as gitsign derives them
/// from Go's `cert.SignatureAlgorithm` (compat §1.5; unknown → 0).
pub fn leaf_algorithms(leaf_der: &[u8]) -> (u8, u8) {
    let Ok(cert) = x509_cert::Certificate::from_der(leaf_der) else {
        return (0, 0);
    };
    match cert.signature_algorithm().oid.to_string().as_str() {
        "1.2.840.10045.4.1" => (19, 2),     // ecdsa-with-SHA1
        "1.2.840.10045.4.3.2" => (19, 8),   // ecdsa-with-SHA256
        "1.2.840.10045.4.3.3" => (19, 9),   // ecdsa-with-SHA384
        "1.2.840.10045.4.3.4" => (19, 10),  // ecdsa-with-SHA512
        "1.2.840.113549.1.1.5" => (1, 2),   // sha1WithRSAEncryption
        "1.2.840.113549.1.1.11" => (1, 8),  // sha256WithRSAEncryption
        "1.2.840.113549.1.1.12" => (1, 9),  // sha384WithRSAEncryption
        "1.2.840.113549.1.1.13" => (1, 10), // sha512WithRSAEncryption
        _ => (0, 0),
    }
}

/// The object id git will give the commit or tag once `armored` is added (compat §3.1): the
/// kind is read from the payload (`tree ` → commit, `object ` → tag) and the object is built
/// and hashed by [`crate::git::object`] (`gpgsig` / `gpgsig-sha256` header for commits, the
/// signature appended for tags). Returns the lower-hex id.
pub fn predict_object_id(
    payload: &[u8],
    armored: &str,
    format: ObjectFormat,
) -> Result<String, SignError> {
    use crate::git::object::{Kind, object_id, signed_object};
    let kind = Kind::of_payload(payload).ok_or(SignError::UnknownObjectKind)?;
    let raw = signed_object(kind, payload, armored.as_bytes(), format);
    Ok(object_id(kind, &raw, format))
}

/// `SubjectPublicKeyInfo` DER of the leaf (for callers that log or compare keys).
pub fn leaf_spki_der(leaf_der: &[u8]) -> Option<Vec<u8>> {
    let cert = x509_cert::Certificate::from_der(leaf_der).ok()?;
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::clock::testing::FakeClock;
    use crate::fulcio::tests::fulcio_like_leaf;
    use crate::oidc::token::tests::fake_jwt;
    use crate::rekor::entry::InclusionProof;
    use std::cell::RefCell;

    /// A Fulcio stand-in: issues Fulcio-shaped leaves from a P-384 CA and records the proof.
    struct FakeCa {
        ca: p384::ecdsa::SigningKey,
        email: String,
        seen: RefCell<Vec<(String, Vec<u8>)>>,
    }

    impl CertificateAuthority for FakeCa {
        fn request_certificate(
            &self,
            token: &IdentityToken,
            public_key: &p256::ecdsa::VerifyingKey,
            proof: &[u8],
        ) -> Result<FulcioChain, FulcioError> {
            self.seen
                .borrow_mut()
                .push((token.fulcio_subject().unwrap(), proof.to_vec()));
            Ok(FulcioChain {
                leaf_der: fulcio_like_leaf(public_key, &self.ca, &self.email),
                chain_der: vec![],
                detached_sct: None,
            })
        }
    }

    /// A Rekor stand-in that returns a well-formed entry for what it is given.
    struct FakeLog {
        complete: bool,
        tamper: bool,
        seen: RefCell<Vec<([u8; 32], Vec<u8>)>>,
    }

    impl TransparencyLog for FakeLog {
        fn create_hashedrekord(
            &self,
            digest: &[u8; 32],
            signature: &[u8],
            cert_der: &[u8],
        ) -> Result<(String, LogEntry), RekorError> {
            self.seen.borrow_mut().push((*digest, signature.to_vec()));
            let mut body = hashedrekord_body(digest, signature, cert_der);
            if self.tamper {
                body = hashedrekord_body(&[0; 32], signature, cert_der);
            }
            let uuid = hex::encode(crate::rekor::merkle::leaf_hash(&body));
            Ok((
                uuid,
                LogEntry {
                    log_index: 42,
                    log_id: [3; 32],
                    kind: "hashedrekord".into(),
                    version: "0.0.1".into(),
                    integrated_time: 1_800_000_000,
                    signed_entry_timestamp: self.complete.then(|| vec![0x30, 0x00]),
                    inclusion_proof: self.complete.then(|| InclusionProof {
                        log_index: 41,
                        root_hash: [4; 32],
                        tree_size: 43,
                        hashes: vec![[5; 32]],
                        checkpoint: Some("note\n".into()),
                    }),
                    body: Some(body),
                },
            ))
        }
    }

    fn token() -> IdentityToken {
        IdentityToken::parse(&fake_jwt(&serde_json::json!({
            "iss": "https://oauth2.sigstore.dev/auth", "sub": "abc", "aud": "sigstore",
            "email": "dev@example.test", "email_verified": true
        })))
        .unwrap()
    }

    struct Setup {
        ca: FakeCa,
        log: FakeLog,
        clock: FakeClock,
    }

    fn setup() -> Setup {
        Setup {
            ca: FakeCa {
                ca: p384::ecdsa::SigningKey::try_generate().unwrap(),
                email: "dev@example.test".into(),
                seen: RefCell::new(vec![]),
            },
            log: FakeLog {
                complete: true,
                tamper: false,
                seen: RefCell::new(vec![]),
            },
            clock: FakeClock::at_unix(1_800_000_000),
        }
    }

    impl Setup {
        /// The services over the fakes, tokens from `tokens`, with no certificate check and
        /// no timestamps.
        fn services<'a>(&'a self, tokens: &'a mut dyn TokenProvider) -> Services<'a> {
            Services {
                tokens,
                ca: &self.ca,
                log: &self.log,
                clock: &self.clock,
                certificate_check: None,
                timestamps: None,
            }
        }
    }

    fn run(
        s: &Setup,
        req: &SignRequest<'_>,
        check: SelfCheck<'_>,
    ) -> Result<SignOutput, SignError> {
        let mut tokens = || Ok(token());
        let mut services = s.services(&mut tokens);
        sign(req, &mut services, check)
    }

    /// A TSA stand-in that notes how many Rekor uploads happened before it was asked.
    struct FakeTsa<'a> {
        log: &'a FakeLog,
        asked_after_uploads: RefCell<Vec<usize>>,
    }

    impl TimestampAuthority for FakeTsa<'_> {
        fn timestamp(&self, signature: &[u8]) -> Result<Vec<u8>, TsaError> {
            assert!(!signature.is_empty());
            self.asked_after_uploads
                .borrow_mut()
                .push(self.log.seen.borrow().len());
            // A ContentInfo-shaped DER value (signedData OID, empty [0]).
            let mut t = vec![0x30, 0x0d, 0x06, 0x09];
            t.extend_from_slice(crate::oids::SIGNED_DATA.as_bytes());
            t.extend_from_slice(&[0xa0, 0x00]);
            Ok(t)
        }
    }

    fn verified_stub() -> crate::tsa::TimestampVerified {
        crate::tsa::TimestampVerified {
            gen_time: 1_800_000_001,
            accuracy_secs: 0,
            tsa_uri: "tsa".into(),
            tsa_subject: "CN=tsa".into(),
            serial: "01".into(),
            policy: "1.2.3".into(),
            token_der: vec![],
        }
    }

    /// Offline mode asks the TSA after the Rekor upload (gitsign's sigstore-go path), online
    /// mode before it (the predicted id covers the timestamp); the token lands in the CMS as
    /// `id-aa-timeStampToken`; a token the check refuses stops signing before anything is
    /// emitted.
    #[test]
    fn timestamps_are_asked_in_gitsigns_order_and_checked() {
        for (mode, uploads_before) in [(RekorMode::Offline, 1), (RekorMode::Online, 0)] {
            let s = setup();
            let tsa = FakeTsa {
                log: &s.log,
                asked_after_uploads: RefCell::new(vec![]),
            };
            let pass = |_: &[u8], sig: &[u8], _: &[u8]| {
                assert!(!sig.is_empty());
                Ok(verified_stub())
            };
            let mut tokens = || Ok(token());
            let mut services = Services {
                timestamps: Some(Timestamping {
                    tsa: &tsa,
                    check: &pass,
                }),
                ..s.services(&mut tokens)
            };
            let mut ok =
                |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> { Ok(()) };
            let out = sign(&request(mode), &mut services, &mut ok).unwrap();
            assert_eq!(
                *tsa.asked_after_uploads.borrow(),
                [uploads_before],
                "{mode:?}"
            );
            assert_eq!(out.timestamp, Some(verified_stub()));
            let cms = crate::cms::decode::parse(&out.der).unwrap();
            assert!(
                cms.signers[0]
                    .unsigned_attrs
                    .iter()
                    .any(|a| a.oid == crate::oids::TIMESTAMP_TOKEN),
                "{mode:?}"
            );
            if mode == RekorMode::Online {
                let id = predict_object_id(COMMIT, &out.armored, ObjectFormat::Sha1).unwrap();
                assert_eq!(out.object_id.as_deref(), Some(id.as_str()));
            }

            // The check refuses: no signature, and the self-check never runs.
            let refuse = |_: &[u8], _: &[u8], _: &[u8]| Err("untrusted TSA".to_string());
            let mut tokens = || Ok(token());
            let mut services = Services {
                timestamps: Some(Timestamping {
                    tsa: &tsa,
                    check: &refuse,
                }),
                ..s.services(&mut tokens)
            };
            let mut never = |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> {
                panic!("self-check ran after a refused timestamp")
            };
            let e = sign(&request(mode), &mut services, &mut never).unwrap_err();
            assert!(matches!(e, SignError::TimestampUntrusted(_)), "{e}");
            assert_eq!(e.service(), Some(Service::TimestampAuthority));
            assert!(e.hint().contains("timestampServerURL"));
        }
    }

    const COMMIT: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Dev <dev@example.test> 1800000000 +0000\ncommitter Dev <dev@example.test> 1800000000 +0000\n\nsigned by gitseal\n";

    fn request(mode: RekorMode) -> SignRequest<'static> {
        SignRequest {
            payload: COMMIT,
            mode,
            object_format: ObjectFormat::Sha1,
            include_certs: IncludeCerts::LeafOnly,
            match_committer: None,
        }
    }

    #[test]
    fn offline_mode_embeds_the_entry_over_the_signed_attributes() {
        use p256::ecdsa::signature::Verifier as _;
        let s = setup();
        let mut checked = 0;
        let mut check = |c: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> {
            checked += 1;
            assert_eq!(c.mode, RekorMode::Offline);
            assert!(c.armored.starts_with("-----BEGIN SIGNED MESSAGE-----\n"));
            Ok(())
        };
        let out = run(&s, &request(RekorMode::Offline), &mut check).unwrap();
        assert_eq!(checked, 1);

        // Proof of possession: over the email subject, by the certified key.
        let (subject, proof) = s.ca.seen.borrow()[0].clone();
        assert_eq!(subject, "dev@example.test");
        let leaf = x509_cert::Certificate::from_der(&out.leaf_der).unwrap();
        let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(
            leaf.tbs_certificate()
                .subject_public_key_info()
                .subject_public_key
                .raw_bytes(),
        )
        .unwrap();
        vk.verify(
            subject.as_bytes(),
            &p256::ecdsa::DerSignature::from_bytes(&proof).unwrap(),
        )
        .unwrap();

        // Rekor got sha256(signed attrs SET) and the CMS signature.
        let ci = cms::content_info::ContentInfo::from_der(&out.der).unwrap();
        let sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
        let si = &sd.signer_infos.0.as_slice()[0];
        let artifact = crate::cms::encode::signed_attributes_der(si).unwrap();
        let (digest, sig) = s.log.seen.borrow()[0].clone();
        assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(&artifact)));
        assert_eq!(sig, si.signature.as_bytes());
        // …and the entry is embedded as 57264.3.1.
        let attrs = si.unsigned_attrs.as_ref().unwrap();
        assert_eq!(attrs.as_slice()[0].oid, crate::oids::GITSIGN_TLOG_ENTRY);
        assert_eq!(out.log_entry.log_index, 42);
        assert_eq!(out.object_id, None);
        assert_eq!(
            crate::armor::decode(out.armored.as_bytes()).unwrap(),
            out.der
        );

        // SIG_CREATED: ECDSA leaf signed with SHA-384 → 19 / 9, fingerprint = sha1(leaf).
        assert_eq!(out.sig_created.pk_algo, 19);
        assert_eq!(out.sig_created.hash_algo, 9);
        assert_eq!(out.sig_created.timestamp, 1_800_000_000);
        assert_eq!(
            out.sig_created.fingerprint,
            hex::encode(sha1::Sha1::digest(&out.leaf_der))
        );
    }

    #[test]
    fn online_mode_logs_the_predicted_object_id() {
        let s = setup();
        let mut check =
            |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> { Ok(()) };
        let out = run(&s, &request(RekorMode::Online), &mut check).unwrap();
        let id = out.object_id.clone().unwrap();
        assert_eq!(id.len(), 40);
        assert_eq!(
            id,
            predict_object_id(COMMIT, &out.armored, ObjectFormat::Sha1).unwrap()
        );
        let (digest, _) = s.log.seen.borrow()[0].clone();
        assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(id.as_bytes())));
        // Nothing embedded.
        let ci = cms::content_info::ContentInfo::from_der(&out.der).unwrap();
        let sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
        assert!(sd.signer_infos.0.as_slice()[0].unsigned_attrs.is_none());
    }

    #[test]
    fn failing_self_check_emits_nothing() {
        let s = setup();
        let mut check = |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> {
            Err("chain does not verify".into())
        };
        let err = run(&s, &request(RekorMode::Offline), &mut check).unwrap_err();
        assert!(matches!(err, SignError::SelfCheck(_)));
        assert!(err.to_string().contains("chain does not verify"));
        assert!(err.hint().contains("gitsign.fulcio"));
    }

    #[test]
    fn log_inconsistencies_are_errors() {
        let mut s = setup();
        s.log.tamper = true;
        let mut ok = |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> { Ok(()) };
        let err = run(&s, &request(RekorMode::Offline), &mut ok).unwrap_err();
        assert!(matches!(err, SignError::RekorEntryMismatch { .. }), "{err}");
        assert_eq!(err.service(), Some(Service::Rekor));

        let mut s = setup();
        s.log.complete = false;
        let err = run(&s, &request(RekorMode::Offline), &mut ok).unwrap_err();
        assert!(
            matches!(err, SignError::RekorEntryIncomplete { .. }),
            "{err}"
        );
        // Online mode needs no proof to embed.
        assert!(run(&s, &request(RekorMode::Online), &mut ok).is_ok());
    }

    #[test]
    fn match_committer_rules() {
        let s = setup();
        let mut ok = |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> { Ok(()) };
        let mut req = request(RekorMode::Offline);
        req.match_committer = Some(Committer {
            name: "Dev",
            email: "dev@example.test",
        });
        assert!(run(&s, &req, &mut ok).is_ok());
        req.match_committer = Some(Committer {
            name: "Other",
            email: "other@example.test",
        });
        let err = run(&s, &req, &mut ok).unwrap_err();
        assert_eq!(
            err.to_string(),
            "gitsign.matchCommitter: certificate identity does not match config - want Other <other@example.test>, got email: [dev@example.test],uri: []"
        );
        assert!(
            s.log.seen.borrow().len() == 1,
            "nothing logged for the refused signature"
        );
    }

    /// A cache stand-in: what it holds, and what it was given.
    #[derive(Default)]
    struct FakeCache {
        held: Option<(SigningKey, FulcioChain)>,
        stored: Vec<Vec<u8>>,
    }

    impl CredentialCache for FakeCache {
        fn load(&mut self) -> Option<(SigningKey, FulcioChain)> {
            self.held.clone()
        }
        fn store(&mut self, _key: &SigningKey, chain: &FulcioChain) {
            self.stored.push(chain.leaf_der.clone());
        }
    }

    #[test]
    fn a_cached_credential_skips_the_login_but_not_the_checks_or_the_log_entry() {
        let s = setup();
        let mut logins = 0;
        let mut tokens = || {
            logins += 1;
            Ok(token())
        };
        let mut cache = FakeCache::default();
        let mut ok = |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> { Ok(()) };
        let pass = |_: &FulcioChain| Ok(());
        let mut services = Services {
            certificate_check: Some(&pass),
            ..s.services(&mut tokens)
        };
        // Miss: a login, and the fresh credential is offered to the cache.
        let first = sign_with_cache(
            &request(RekorMode::Offline),
            &mut services,
            Some(&mut cache),
            &mut ok,
        )
        .unwrap();
        assert_eq!(cache.stored, vec![first.leaf_der.clone()]);
        // Hit: no login, nothing stored again, the same certificate, its own Rekor entry.
        let key = SigningKey::try_generate().unwrap();
        let leaf = fulcio_like_leaf(key.verifying_key(), &s.ca.ca, "dev@example.test");
        let chain = FulcioChain {
            leaf_der: leaf.clone(),
            chain_der: vec![],
            detached_sct: None,
        };
        cache.held = Some((key.clone(), chain.clone()));
        let second = sign_with_cache(
            &request(RekorMode::Offline),
            &mut services,
            Some(&mut cache),
            &mut ok,
        )
        .unwrap();
        assert_eq!(logins, 1);
        assert_eq!(cache.stored.len(), 1);
        assert_eq!(second.leaf_der, leaf);
        assert_eq!(
            s.log.seen.borrow().len(),
            2,
            "one Rekor entry per signature"
        );

        // The certificate check, matchCommitter and the self-check still apply to it.
        let mut tokens = || Ok(token());
        let refuse = |_: &FulcioChain| Err("not this CA".to_string());
        let mut services = Services {
            certificate_check: Some(&refuse),
            ..s.services(&mut tokens)
        };
        let e = sign_with_cache(
            &request(RekorMode::Offline),
            &mut services,
            Some(&mut cache),
            &mut ok,
        )
        .unwrap_err();
        assert!(matches!(e, SignError::CertificateUntrusted(_)), "{e}");
        services.certificate_check = Some(&pass);
        let mut req = request(RekorMode::Offline);
        req.match_committer = Some(Committer {
            name: "Other",
            email: "other@example.test",
        });
        let e = sign_with_cache(&req, &mut services, Some(&mut cache), &mut ok).unwrap_err();
        assert!(matches!(e, SignError::MatchCommitter(_)), "{e}");
        let mut fail = |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> {
            Err("does not verify".into())
        };
        let e = sign_with_cache(
            &request(RekorMode::Offline),
            &mut services,
            Some(&mut cache),
            &mut fail,
        )
        .unwrap_err();
        assert!(matches!(e, SignError::SelfCheck(_)), "{e}");
        assert_eq!(
            cache.stored.len(),
            1,
            "a cached credential is never stored again"
        );
    }

    #[test]
    fn token_errors_carry_their_hint() {
        let s = setup();
        let mut tokens = || Err(OidcError::UnknownProvider("x".into()));
        let mut services = s.services(&mut tokens);
        let mut ok = |_: &Candidate<'_>| -> Result<(), Box<dyn StdError + Send + Sync>> { Ok(()) };
        let err = sign(&request(RekorMode::Offline), &mut services, &mut ok).unwrap_err();
        assert_eq!(err.service(), Some(Service::OidcProvider));
        assert!(err.hint().contains("gitsign.tokenProvider"));
    }

    #[test]
    fn object_id_prediction_matches_real_objects() {
        let vectors = [
            (
                "internal_e2e_testdata_online.commit",
                "bf21f2984600e046004ba656f0065aae326f9cbb",
            ),
            (
                "internal_e2e_testdata_offline.commit",
                "529ee14c05ac4640c599d6b34298b940d8a977f3",
            ),
            (
                "pkg_git_testdata_commit.txt",
                "4954440f9953588782896a1a473d8968765db82b",
            ),
            (
                "pkg_git_testdata_tag.txt",
                "a7c0f87e7d8f475cfe66d9c848b77cf3b85d860b",
            ),
        ];
        for (file, id) in vectors {
            let raw = crate::cms::encode::tests::shared_vector(file);
            let kind = if raw.starts_with(b"object ") {
                crate::git::object::Kind::Tag
            } else {
                crate::git::object::Kind::Commit
            };
            let split =
                crate::git::object::split(kind, &raw, crate::git::object::HashKind::Sha1).unwrap();
            let (payload, sig) = (split.payload, String::from_utf8(split.signature).unwrap());
            assert_eq!(
                predict_object_id(&payload, &sig, ObjectFormat::Sha1).unwrap(),
                id,
                "{file}"
            );
        }
        // The online commit's Rekor hash (compat §12).
        assert_eq!(
            hex::encode(Sha256::digest(b"bf21f2984600e046004ba656f0065aae326f9cbb")),
            "d5f05cdfc0aa98c49fd815ef02123b4dfc720c19cc8c6f5c075f569be22f7a24"
        );
        assert!(matches!(
            predict_object_id(b"blob", "x", ObjectFormat::Sha1),
            Err(SignError::UnknownObjectKind)
        ));
    }

    #[test]
    fn sha256_object_id_matches_git() {
        let dir = std::env::temp_dir().join(format!("gitseal-sha256-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let init = std::process::Command::new("git")
            .args(["init", "-q", "--object-format=sha256"])
            .arg(&dir)
            .status();
        if !matches!(init, Ok(s) if s.success()) {
            eprintln!("skipping: git with sha256 support not available");
            return;
        }
        let armored = "-----BEGIN SIGNED MESSAGE-----\nMIIBAA==\n-----END SIGNED MESSAGE-----\n";
        let payload = b"tree 6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321\nauthor A <a@b.c> 1 +0000\ncommitter A <a@b.c> 1 +0000\n\nm\n";
        let predicted = predict_object_id(payload, armored, ObjectFormat::Sha256).unwrap();
        // Build the object the way git does and let git hash it.
        let mut raw = Vec::new();
        let split_at = payload.windows(2).position(|w| w == b"\n\n").unwrap() + 1;
        raw.extend_from_slice(&payload[..split_at]);
        raw.extend_from_slice(
            b"gpgsig-sha256 -----BEGIN SIGNED MESSAGE-----\n MIIBAA==\n -----END SIGNED MESSAGE-----\n",
        );
        raw.extend_from_slice(&payload[split_at..]);
        let file = dir.join("obj");
        std::fs::write(&file, &raw).unwrap();
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["hash-object", "-t", "commit", "--literally"])
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), predicted);
        assert_eq!(predicted.len(), 64);
    }

    fn chain_of(leaf_der: Vec<u8>) -> FulcioChain {
        FulcioChain {
            leaf_der,
            chain_der: vec![],
            detached_sct: None,
        }
    }

    #[test]
    fn issued_certificate_must_be_valid_now_with_fulcio_skew() {
        // A real public-good leaf (gitsign's e2e vector) against the embedded trust root.
        let trust = TrustRoot::public_good().unwrap();
        let (_, leaf) = crate::x509::tests::real_signature();
        let chain = chain_of(leaf.der.clone());
        for now in [
            leaf.not_before,
            leaf.not_before + 60,
            leaf.not_after,
            // Fulcio's clock may run ahead of ours by CLOCK_SKEW.
            leaf.not_before - CLOCK_SKEW,
        ] {
            assert_eq!(
                check_issued_certificate(&chain, &trust, now),
                Ok(()),
                "now {now}"
            );
        }
        for now in [leaf.not_before - CLOCK_SKEW - 1, leaf.not_after + 1] {
            let e = check_issued_certificate(&chain, &trust, now).unwrap_err();
            assert!(e.contains("is not valid now"), "now {now}: {e}");
        }
    }

    #[test]
    fn issued_certificate_must_chain_and_carry_an_sct_of_the_trust_root() {
        let trust = TrustRoot::public_good().unwrap();
        let (_, leaf) = crate::x509::tests::real_signature();
        let now = leaf.not_before + 60;
        // Another instance's CA (a Fulcio-shaped leaf from a key the root does not know).
        let s = setup();
        let key = SigningKey::try_generate().unwrap();
        let other = fulcio_like_leaf(key.verifying_key(), &s.ca.ca, "dev@example.test");
        let other_now = crate::x509::Cert::from_der(&other).unwrap().not_before + 1;
        let e = check_issued_certificate(&chain_of(other), &trust, other_now).unwrap_err();
        assert!(e.ends_with("[chain-untrusted]"), "{e}");
        // The right CA, but no CT log the root trusts: the SCT cannot be checked.
        let mut no_ct = trust.clone();
        no_ct.ctlogs.clear();
        let e = check_issued_certificate(&chain_of(leaf.der.clone()), &no_ct, now).unwrap_err();
        assert!(e.contains("[sct-"), "{e}");
        // Not a certificate at all.
        assert!(check_issued_certificate(&chain_of(b"junk".to_vec()), &trust, now).is_err());
    }

    /// A signature as `sign` hands it to the verify-before-emit check, from a real gitsign
    /// object of gitsign's test vectors.
    fn candidate_parts(file: &str) -> (Vec<u8>, String) {
        let raw = crate::cms::encode::tests::shared_vector(file);
        let split =
            crate::git::object::split_commit(&raw, crate::git::object::HashKind::Sha1).unwrap();
        (split.payload, String::from_utf8(split.signature).unwrap())
    }

    fn candidate<'a>(
        payload: &'a [u8],
        armored: &'a str,
        mode: RekorMode,
        entry: &'a LogEntry,
        object_id: Option<&'a str>,
    ) -> Candidate<'a> {
        Candidate {
            payload,
            der: &[],
            armored,
            mode,
            leaf_der: &[],
            chain_der: &[],
            log_uuid: "",
            log_entry: entry,
            object_id,
        }
    }

    fn unrelated_entry() -> LogEntry {
        LogEntry {
            log_index: 1,
            log_id: [7; 32],
            kind: "hashedrekord".into(),
            version: "0.0.1".into(),
            integrated_time: 1_700_000_000,
            signed_entry_timestamp: None,
            inclusion_proof: None,
            body: None,
        }
    }

    #[test]
    fn candidate_is_verified_by_gitseals_own_verifier() {
        let trust = TrustRoot::public_good().unwrap();
        let entry = unrelated_entry();
        let (payload, armored) = candidate_parts("internal_e2e_testdata_offline.commit");
        // Offline mode: the embedded entry alone; the one Rekor returned is not consulted.
        let c = candidate(&payload, &armored, RekorMode::Offline, &entry, None);
        assert_eq!(verify_candidate(&c, &trust), Ok(()));
        // Any change to what was signed fails, with the verifier's reason code.
        let mut changed = payload.clone();
        *changed.last_mut().unwrap() ^= 1;
        let c = candidate(&changed, &armored, RekorMode::Offline, &entry, None);
        let e = verify_candidate(&c, &trust).unwrap_err();
        assert!(e.ends_with("[message-digest-mismatch]"), "{e}");
        // A root of another instance does not know the CA.
        let mut other = trust.clone();
        other.certificate_authorities.clear();
        let c = candidate(&payload, &armored, RekorMode::Offline, &entry, None);
        assert!(verify_candidate(&c, &other).is_err());
    }

    #[test]
    fn online_candidate_is_verified_with_the_entry_rekor_returned() {
        let trust = TrustRoot::public_good().unwrap();
        let entry = unrelated_entry();
        let (payload, armored) = candidate_parts("internal_e2e_testdata_online.commit");
        let id = "bf21f2984600e046004ba656f0065aae326f9cbb";
        // Without the entry (as offline mode would check it) nothing proves the log saw it.
        let c = candidate(&payload, &armored, RekorMode::Offline, &entry, Some(id));
        let e = verify_candidate(&c, &trust).unwrap_err();
        assert!(e.ends_with("[tlog-lookup-required]"), "{e}");
        // In online mode the entry Rekor returned is the evidence: one that does not record
        // this signature is refused for what it is, not as a missing lookup.
        let c = candidate(&payload, &armored, RekorMode::Online, &entry, Some(id));
        let e = verify_candidate(&c, &trust).unwrap_err();
        assert!(!e.ends_with("[tlog-lookup-required]"), "{e}");
        assert!(e.contains("[tlog-"), "{e}");
    }

    #[test]
    fn leaf_algorithm_mapping() {
        let key = SigningKey::try_generate().unwrap();
        let self_signed = crate::fulcio::tests::test_cert(&key, "x");
        assert_eq!(leaf_algorithms(&self_signed), (19, 8));
        assert_eq!(leaf_algorithms(b"junk"), (0, 0));
        assert!(leaf_spki_der(&self_signed).is_some());
    }
}
