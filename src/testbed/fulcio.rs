//! The testbed's Fulcio: a two-level ECDSA P-384 CA that issues 10-minute code-signing
//! certificates for OIDC identities, each with an embedded SCT (unless a fault says otherwise:
//! `missingSct`, `notForCodeSigning`, `wrongSct` and the validity faults issue the defective
//! leaves a misissuing CA would, for the verifier's negative tests).
//!
//! Owns the CA certificates (made once per testbed directory), the leaf profile and the HTTP
//! surface of Fulcio v2 (`POST /api/v2/signingCert`, `GET /api/v2/trustBundle`) and of the
//! legacy v1 API gitsign calls (`POST /api/v1/signingCert`, `GET /api/v1/rootCert`).
//!
//! The leaf follows public Fulcio (gitsign-compat §4.3, interop-peers §2, Fulcio's
//! `docs/oid-info.md`): empty subject; KU digitalSignature (critical); EKU codeSigning; SKI;
//! AKI; SAN (critical) with the email, or a URI for CI identities; 1.3.6.1.4.1.57264.1.1 (issuer,
//! raw bytes) and .1.8 (issuer, DER UTF8String); GitHub workflow extensions .2–.6 (raw) and
//! .9–.23 (DER UTF8String) when the token carries those claims, GitLab CI's .9–.22 as
//! Fulcio's `gitlabcom` principal maps them when it carries GitLab's; and the SCT list
//! (1.3.6.1.4.1.11129.2.4.2) as the **last** extension, signed by the CT log over the TBS without
//! it, which is exactly the RFC 6962 precertificate TBS when the SCT extension comes last.
//! Requests are checked as Fulcio checks them: the ID token against the issuer's key and the
//! `sigstore` audience — the testbed's own issuer, or one of the configured extra issuers
//! (Fulcio's `OIDCIssuers`, `federation.rs`), whose `Type` decides the identity: `email` (the
//! verified email), `uri` (`sub` on the `SubjectDomain`), `github-workflow`, `gitlab-pipeline`
//! or `buildkite-job` — then proof of
//! possession (ECDSA over SHA-256 of the email, or of `sub`
//! for non-email identities) or a self-signed PKCS#10 CSR. It does not accept keys other than
//! ECDSA P-256.

use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE as B64URL_PAD};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{Ia5String, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::signature::Verifier;
use serde_json::{Map, Value, json};
use sha1::Sha1;
use sha2::Digest;
use x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use x509_cert::certificate::Certificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use super::TestbedError;
use super::crypto;
use super::ct;
use super::faults::Fault;
use super::federation::{Federation, IssuerType, OidcIssuerConfig, peek_claims};
use super::http::{Request, Response};
use super::oidc::Issuer;

/// Subject of the testbed's root CA (RFC 4514 order: the CN is the last RDN).
pub const ROOT_SUBJECT: &str = "CN=gitseal-testbed-root,O=gitseal-testbed";
/// Subject of the issuing intermediate.
pub const INTERMEDIATE_SUBJECT: &str = "CN=gitseal-testbed-intermediate,O=gitseal-testbed";
/// Organization and common name of the root, as the trusted root's `subject` lists them.
pub const ROOT_ORGANIZATION: &str = "gitseal-testbed";
/// See [`ROOT_ORGANIZATION`].
pub const ROOT_COMMON_NAME: &str = "gitseal-testbed-root";

const OID_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// `1.3.6.1.4.1.57264.1.<arc>`.
fn fulcio_oid(arc: u32) -> Result<ObjectIdentifier, TestbedError> {
    ObjectIdentifier::new(&format!("1.3.6.1.4.1.57264.1.{arc}"))
        .map_err(|e| TestbedError::Crypto(e.to_string()))
}

// Fulcio's error messages (pkg/server/error.go); the body never says more than this.
const INVALID_TOKEN: &str = "There was an error processing the identity token";
const INVALID_SIGNATURE: &str = "The signature supplied in the request could not be verified";
const INVALID_PUBLIC_KEY: &str = "The public key supplied in the request could not be parsed";
const INVALID_CSR: &str = "The certificate signing request could not be parsed";
const CA_ERROR: &str = "error communicating with CA backend";

/// A builder profile that adds nothing: every extension is added explicitly, in order.
pub(super) struct Explicit {
    pub(super) subject: Name,
    pub(super) issuer: Name,
}

impl BuilderProfile for Explicit {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }
    fn get_subject(&self) -> Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(Vec::new())
    }
}

pub(super) fn der_err(e: impl std::fmt::Display) -> TestbedError {
    TestbedError::Crypto(format!("X.509: {e}"))
}

pub(super) fn ext<T: Encode>(
    oid: ObjectIdentifier,
    critical: bool,
    v: &T,
) -> Result<Extension, TestbedError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(v.to_der().map_err(der_err)?).map_err(der_err)?,
    })
}

fn raw_ext(oid: ObjectIdentifier, bytes: &[u8]) -> Result<Extension, TestbedError> {
    Ok(Extension {
        extn_id: oid,
        critical: false,
        extn_value: OctetString::new(bytes.to_vec()).map_err(der_err)?,
    })
}

/// A CA certificate's extensions (RFC 5280 §4.2.1.9, §4.2.1.3, §4.2.1.2): critical
/// basicConstraints with `path_len`, critical keyCertSign + cRLSign, and its key identifier.
pub(super) fn ca_extensions(ski: &[u8], path_len: u8) -> Result<[Extension; 3], TestbedError> {
    Ok([
        ext(
            BasicConstraints::OID,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(path_len),
            },
        )?,
        ext(
            KeyUsage::OID,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        )?,
        ext(
            SubjectKeyIdentifier::OID,
            false,
            &SubjectKeyIdentifier(OctetString::new(ski.to_vec()).map_err(der_err)?),
        )?,
    ])
}

/// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents.
pub(super) fn ski_of(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

pub(super) fn time_at(unix: u64) -> Result<Time, TestbedError> {
    Time::try_from(UNIX_EPOCH + Duration::from_secs(unix)).map_err(der_err)
}

pub(super) fn random_serial() -> Result<SerialNumber, TestbedError> {
    let mut b = crypto::random_bytes(20)?;
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // and no leading zero octet, so it stays 20 bytes
    SerialNumber::new(&b).map_err(der_err)
}

fn spki_of_p384(key: &p384::ecdsa::SigningKey) -> Result<SubjectPublicKeyInfoOwned, TestbedError> {
    SubjectPublicKeyInfoOwned::from_key(key.verifying_key()).map_err(der_err)
}

/// What goes into one certificate; extensions are added exactly in this order. Every
/// certificate the testbed issues (Fulcio's CAs and leaves, the TLS CA, the TSA) is built here.
pub(super) struct CertSpec<'a> {
    pub(super) subject: Name,
    pub(super) issuer: Name,
    pub(super) serial: SerialNumber,
    pub(super) validity: Validity,
    pub(super) spki: SubjectPublicKeyInfoOwned,
    pub(super) exts: &'a [Extension],
}

impl CertSpec<'_> {
    fn builder(&self) -> Result<CertificateBuilder<Explicit>, TestbedError> {
        let mut b = CertificateBuilder::new(
            Explicit {
                subject: self.subject.clone(),
                issuer: self.issuer.clone(),
            },
            self.serial.clone(),
            self.validity,
            self.spki.clone(),
        )
        .map_err(der_err)?;
        for e in self.exts {
            b.add_extension(e.clone()).map_err(der_err)?;
        }
        Ok(b)
    }

    /// The DER TBSCertificate `signer` would sign.
    fn tbs(&self, signer: &p384::ecdsa::SigningKey) -> Result<Vec<u8>, TestbedError> {
        self.builder()?.finalize(signer).map_err(der_err)
    }

    /// The certificate signed by `signer` (ecdsa-with-SHA384).
    pub(super) fn sign(
        &self,
        signer: &p384::ecdsa::SigningKey,
    ) -> Result<Certificate, TestbedError> {
        self.builder()?
            .build::<_, p384::ecdsa::DerSignature>(signer)
            .map_err(der_err)
    }
}

/// Make the root and intermediate certificates for a new testbed directory. Both are valid from
/// a day before `created_at` for ten years.
pub fn create_ca_certs(
    root_key: &p384::ecdsa::SigningKey,
    intermediate_key: &p384::ecdsa::SigningKey,
    created_at: u64,
) -> Result<(Vec<u8>, Vec<u8>), TestbedError> {
    let not_before = created_at.saturating_sub(86_400);
    let not_after = created_at + 10 * 365 * 86_400;
    let validity = Validity::new(time_at(not_before)?, time_at(not_after)?);
    let root_name = Name::from_str(ROOT_SUBJECT).map_err(der_err)?;
    let inter_name = Name::from_str(INTERMEDIATE_SUBJECT).map_err(der_err)?;
    let root_spki = spki_of_p384(root_key)?;
    let inter_spki = spki_of_p384(intermediate_key)?;
    let root_ski = ski_of(&root_spki);
    let ca_ku = KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);

    let root_exts = ca_extensions(&root_ski, 1)?;
    let root = CertSpec {
        subject: root_name.clone(),
        issuer: root_name.clone(),
        serial: random_serial()?,
        validity,
        spki: root_spki,
        exts: &root_exts,
    }
    .sign(root_key)?;
    let inter_exts = [
        ext(
            BasicConstraints::OID,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
        )?,
        ext(KeyUsage::OID, true, &ca_ku)?,
        ext(
            ExtendedKeyUsage::OID,
            false,
            &ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_CODE_SIGNING]),
        )?,
        ext(
            SubjectKeyIdentifier::OID,
            false,
            &SubjectKeyIdentifier(OctetString::new(ski_of(&inter_spki)).map_err(der_err)?),
        )?,
        ext(
            AuthorityKeyIdentifier::OID,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(root_ski).map_err(der_err)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?,
    ];
    let inter = CertSpec {
        subject: inter_name,
        issuer: root_name,
        serial: random_serial()?,
        validity,
        spki: inter_spki,
        exts: &inter_exts,
    }
    .sign(root_key)?;
    Ok((
        root.to_der().map_err(der_err)?,
        inter.to_der().map_err(der_err)?,
    ))
}

/// Who a certificate is for, as derived from the ID token.
struct Principal {
    san: GeneralName,
    /// What the proof of possession signs: the email, or `sub`.
    challenge: String,
    issuer: String,
    claims: Map<String, Value>,
}

fn claim_str<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Fulcio's email principal requires `email_verified`, as a boolean or the string "true"
/// (`pkg/identity/email/principal.go`).
fn email_verified(claims: &Map<String, Value>) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn principal(claims: Map<String, Value>) -> Result<Principal, String> {
    let issuer = claim_str(&claims, "iss").ok_or("iss missing")?.to_owned();
    if let Some(email) = claim_str(&claims, "email") {
        if !email_verified(&claims) {
            return Err("email is not verified by the identity provider".into());
        }
        let ia5 = Ia5String::new(email).map_err(|_| "email is not IA5")?;
        return Ok(Principal {
            san: GeneralName::Rfc822Name(ia5),
            challenge: email.to_owned(),
            issuer,
            claims,
        });
    }
    let sub = claim_str(&claims, "sub").ok_or("sub missing")?.to_owned();
    let uri = if let (Some(org), Some(pipeline)) = (
        claim_str(&claims, "organization_slug"),
        claim_str(&claims, "pipeline_slug"),
    ) {
        // Buildkite: the SAN is the pipeline; Fulcio's `buildkite` principal adds only the
        // issuer extensions.
        format!("https://buildkite.com/{org}/{pipeline}")
    } else if claim_str(&claims, "ci_config_ref_uri").is_some() {
        // GitLab CI: the SAN is the pipeline definition (`gitlabcom` principal).
        gitlab_claims(&claims)?.config_uri
    } else if let Some(wf) = claim_str(&claims, "job_workflow_ref") {
        // GitHub Actions: the SAN is the workflow that signs (Build Signer URI).
        format!("{}/{wf}", server_url(&claims))
    } else if sub.contains("://") {
        sub.clone()
    } else {
        return Err("token has neither an email nor a URI subject".into());
    };
    let ia5 = Ia5String::new(&uri).map_err(|_| "subject URI is not IA5")?;
    Ok(Principal {
        san: GeneralName::UniformResourceIdentifier(ia5),
        challenge: sub,
        issuer,
        claims,
    })
}

/// The principal for a token from a configured issuer, by its Fulcio `Type`
/// (`pkg/identity/{email,uri,github}/principal.go`).
fn principal_for(cfg: &OidcIssuerConfig, claims: Map<String, Value>) -> Result<Principal, String> {
    let issuer = cfg.issuer_url.clone();
    match cfg.issuer_type {
        IssuerType::Email => {
            let email = claim_str(&claims, "email").ok_or("token missing email claim")?;
            if !email_verified(&claims) {
                return Err("email_verified claim was false".into());
            }
            let ia5 = Ia5String::new(email).map_err(|_| "email is not IA5")?;
            Ok(Principal {
                san: GeneralName::Rfc822Name(ia5),
                challenge: email.to_owned(),
                issuer,
                claims: Map::new(),
            })
        }
        IssuerType::Uri => {
            let sub = claim_str(&claims, "sub").ok_or("token missing sub claim")?;
            if sub.contains('@') && !sub.contains("://") {
                return Err("uri subject should not be an email address".into());
            }
            let split = |u: &str| -> Option<(String, String)> {
                let (scheme, rest) = u.split_once("://")?;
                let host = rest.split(['/', '?', '#']).next()?.split(':').next()?;
                Some((scheme.to_owned(), host.to_ascii_lowercase()))
            };
            let (s_scheme, s_host) = split(sub).ok_or("subject is not a URI")?;
            let (d_scheme, d_host) = cfg
                .subject_domain
                .as_deref()
                .and_then(split)
                .ok_or("issuer has no usable SubjectDomain")?;
            if s_scheme != d_scheme {
                return Err(format!(
                    "subject URI scheme ({s_scheme}) must match expected domain URI scheme ({d_scheme})"
                ));
            }
            if s_host != d_host {
                return Err(format!(
                    "subject hostname ({s_host}) must match expected domain ({d_host})"
                ));
            }
            let ia5 = Ia5String::new(sub).map_err(|_| "subject URI is not IA5")?;
            Ok(Principal {
                san: GeneralName::UniformResourceIdentifier(ia5),
                challenge: sub.to_owned(),
                issuer,
                claims: Map::new(),
            })
        }
        IssuerType::GitlabPipeline => {
            let sub = claim_str(&claims, "sub").ok_or("token missing sub claim")?;
            let uri = gitlab_claims(&claims)?.config_uri;
            let ia5 = Ia5String::new(&uri).map_err(|_| "pipeline URI is not IA5")?;
            Ok(Principal {
                san: GeneralName::UniformResourceIdentifier(ia5),
                challenge: sub.to_owned(),
                issuer,
                claims,
            })
        }
        IssuerType::BuildkiteJob => {
            let sub = claim_str(&claims, "sub").ok_or("token missing sub claim")?;
            let org = claim_str(&claims, "organization_slug")
                .ok_or("missing organization_slug claim in ID token")?;
            let pipeline = claim_str(&claims, "pipeline_slug")
                .ok_or("missing pipeline_slug claim in ID token")?;
            let uri = format!("https://buildkite.com/{org}/{pipeline}");
            let ia5 = Ia5String::new(&uri).map_err(|_| "pipeline URI is not IA5")?;
            Ok(Principal {
                san: GeneralName::UniformResourceIdentifier(ia5),
                challenge: sub.to_owned(),
                issuer,
                claims: Map::new(),
            })
        }
        IssuerType::GithubWorkflow => {
            let sub = claim_str(&claims, "sub").ok_or("token missing sub claim")?;
            let wf = claim_str(&claims, "job_workflow_ref")
                .ok_or("token missing job_workflow_ref claim")?;
            let uri = format!("{}/{wf}", server_url(&claims));
            let ia5 = Ia5String::new(&uri).map_err(|_| "workflow URI is not IA5")?;
            Ok(Principal {
                san: GeneralName::UniformResourceIdentifier(ia5),
                challenge: sub.to_owned(),
                issuer,
                claims,
            })
        }
    }
}

/// The GitLab instance Fulcio's `gitlabcom` principal names (it is fixed there too).
const GITLAB_URL: &str = "https://gitlab.com";

/// A GitLab CI token's facts, as Fulcio's `gitlabcom.JobPrincipalFromIDToken` reads them:
/// every claim it requires must be present, `ref_type` must be `branch` or `tag`.
struct GitlabClaims {
    /// `https://` + `ci_config_ref_uri`: the SAN, build signer and build config URI.
    config_uri: String,
    /// The extensions, by Fulcio arc, in Fulcio's order (empty values left out, as
    /// `certificate.Extensions.Render` does).
    extensions: Vec<(u32, String)>,
}

fn gitlab_claims(claims: &Map<String, Value>) -> Result<GitlabClaims, String> {
    let need = |n: &str| {
        claim_str(claims, n)
            .map(str::to_owned)
            .ok_or_else(|| format!("missing {n} claim in ID token"))
    };
    let project = need("project_path")?;
    let source = need("pipeline_source")?;
    need("pipeline_id")?;
    let config_ref = need("ci_config_ref_uri")?;
    let job = need("job_id")?;
    let short_ref = need("ref")?;
    let ref_type = need("ref_type")?;
    let namespace = need("namespace_path")?;
    let namespace_id = need("namespace_id")?;
    let project_id = need("project_id")?;
    let sha = need("sha")?;
    let runner = need("runner_environment")?;
    if claims.get("runner_id").and_then(Value::as_i64).unwrap_or(0) == 0 {
        return Err("missing runner_id claim in ID token".into());
    }
    let git_ref = match ref_type.as_str() {
        "branch" => format!("refs/heads/{short_ref}"),
        "tag" => format!("refs/tags/{short_ref}"),
        other => return Err(format!("unexpected ref_type: {other}")),
    };
    // ci_config_ref_uri has no scheme; Fulcio uses https (or the instance's scheme when the
    // host is the instance's, which for gitlab.com is https too).
    let config_uri = format!("https://{config_ref}");
    let config_sha = claim_str(claims, "ci_config_sha").unwrap_or("").to_owned();
    let visibility = claim_str(claims, "project_visibility")
        .unwrap_or("")
        .to_owned();
    let extensions = [
        (9, config_uri.clone()),
        (10, config_sha.clone()),
        (11, runner),
        (12, format!("{GITLAB_URL}/{project}")),
        (13, sha),
        (14, git_ref),
        (15, project_id),
        (16, format!("{GITLAB_URL}/{namespace}")),
        (17, namespace_id),
        (18, config_uri.clone()),
        (19, config_sha),
        (20, source),
        (21, format!("{GITLAB_URL}/{project}/-/jobs/{job}")),
        (22, visibility),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    Ok(GitlabClaims {
        config_uri,
        extensions,
    })
}

fn server_url(claims: &Map<String, Value>) -> String {
    claim_str(claims, "server_url")
        .unwrap_or("https://github.com")
        .trim_end_matches('/')
        .to_owned()
}

/// The parsed, authenticated request.
struct Issuance {
    principal: Principal,
    spki: SubjectPublicKeyInfoOwned,
}

/// A client key, accepted only as ECDSA P-256 (RFC 5480 id-ecPublicKey with secp256r1).
fn parse_client_key(
    spki_der: &[u8],
) -> Result<(SubjectPublicKeyInfoOwned, p256::ecdsa::VerifyingKey), String> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).map_err(|e| format!("SPKI: {e}"))?;
    let vk = <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(spki_der)
        .map_err(|_| "only ECDSA P-256 public keys are supported".to_owned())?;
    Ok((spki, vk))
}

/// The public key as Fulcio's `ParsePublicKey` reads it: PEM (`PUBLIC KEY`) first, else DER.
/// As a convenience, base64 of the DER is accepted too.
fn decode_public_key(content: &[u8]) -> Result<Vec<u8>, String> {
    if let Ok(text) = std::str::from_utf8(content) {
        if text.contains("-----BEGIN") {
            let blocks = crate::armor::blocks(text.as_bytes(), "PUBLIC KEY");
            return blocks
                .into_iter()
                .next()
                .ok_or_else(|| "no PUBLIC KEY PEM block".to_owned());
        }
        if let Ok(der) = B64.decode(text.trim()) {
            return Ok(der);
        }
    }
    Ok(content.to_vec())
}

/// protojson `bytes`: standard or URL-safe base64, padded or not.
fn decode_proto_bytes(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    B64.decode(s)
        .or_else(|_| B64URL_PAD.decode(s))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
        .map_err(|_| "not base64".to_owned())
}

/// Read a field by its protojson (camelCase) or proto (snake_case) name.
fn field<'a>(v: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    v.get(camel).or_else(|| v.get(snake))
}

fn bearer(req: &Request) -> Option<String> {
    let h = req.header("authorization")?;
    let t = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))?;
    Some(t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The CA with its CT log.
pub struct Fulcio {
    intermediate_key: p384::ecdsa::SigningKey,
    root_der: Vec<u8>,
    intermediate_der: Vec<u8>,
    root_pem: String,
    intermediate_pem: String,
    intermediate_name: Name,
    intermediate_ski: Vec<u8>,
    issuer_key_hash: [u8; 32],
    ct_key: p256::ecdsa::SigningKey,
    ct_log_id: [u8; 32],
    cert_lifetime: Duration,
    /// `TestbedConfig::certificate_issuer`: issuer text that replaces the token's `iss`.
    certificate_issuer: Option<String>,
}

impl Fulcio {
    /// Load the CA from its certificates and keys, checking they belong together.
    pub fn new(
        intermediate_key: p384::ecdsa::SigningKey,
        root_der: Vec<u8>,
        intermediate_der: Vec<u8>,
        ct_key: p256::ecdsa::SigningKey,
        cert_lifetime: Duration,
    ) -> Result<Fulcio, TestbedError> {
        let inter = Certificate::from_der(&intermediate_der).map_err(der_err)?;
        let inter_spki = inter.tbs_certificate().subject_public_key_info().clone();
        let inter_spki_der = inter_spki.to_der().map_err(der_err)?;
        if inter_spki_der != crypto::spki_p384(intermediate_key.verifying_key())? {
            return Err(TestbedError::State(
                "the intermediate certificate does not match the intermediate key".into(),
            ));
        }
        Certificate::from_der(&root_der).map_err(der_err)?;
        let ct_spki = crypto::spki_p256(ct_key.verifying_key())?;
        Ok(Fulcio {
            intermediate_name: inter.tbs_certificate().subject().clone(),
            intermediate_ski: ski_of(&inter_spki),
            issuer_key_hash: crypto::sha256(&inter_spki_der),
            root_pem: crate::armor::pem("CERTIFICATE", &root_der),
            intermediate_pem: crate::armor::pem("CERTIFICATE", &intermediate_der),
            intermediate_key,
            root_der,
            intermediate_der,
            ct_log_id: crypto::key_id(&ct_spki),
            ct_key,
            cert_lifetime,
            certificate_issuer: None,
        })
    }

    /// Write `issuer` into the OIDC-issuer extensions of every leaf instead of the token's
    /// `iss` (`TestbedConfig::certificate_issuer`); `None` keeps Fulcio's behaviour.
    pub fn with_certificate_issuer(mut self, issuer: Option<String>) -> Fulcio {
        self.certificate_issuer = issuer;
        self
    }

    /// The same CA service (CT log, certificate lifetime, issuer override) issuing from a new
    /// CA: what a CA rotation swaps in.
    pub fn with_new_ca(
        &self,
        intermediate_key: p384::ecdsa::SigningKey,
        root_der: Vec<u8>,
        intermediate_der: Vec<u8>,
    ) -> Result<Fulcio, TestbedError> {
        Ok(Fulcio::new(
            intermediate_key,
            root_der,
            intermediate_der,
            self.ct_key.clone(),
            self.cert_lifetime,
        )?
        .with_certificate_issuer(self.certificate_issuer.clone()))
    }

    /// DER of the root certificate.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// DER of the intermediate certificate.
    pub fn intermediate_der(&self) -> &[u8] {
        &self.intermediate_der
    }

    /// PEM of the root certificate.
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// PEM of the intermediate certificate.
    pub fn intermediate_pem(&self) -> &str {
        &self.intermediate_pem
    }

    /// Issue a leaf for an authenticated request; returns the leaf PEM.
    fn issue(&self, iss: &Issuance, faults: &[Fault]) -> Result<String, TestbedError> {
        let now = crypto::now_unix();
        let life = self.cert_lifetime.as_secs();
        let (nb, na) = if faults.contains(&Fault::ExpiredCertificate) {
            (now.saturating_sub(life + 600), now.saturating_sub(600))
        } else if faults.contains(&Fault::NotYetValidCertificate) {
            (now + 1200, now + 1200 + life)
        } else {
            (now, now + life)
        };
        let validity = Validity::new(time_at(nb)?, time_at(na)?);
        let p = &iss.principal;
        let issuer = self.certificate_issuer.as_ref().unwrap_or(&p.issuer);
        // The `notForCodeSigning` fault: an S/MIME purpose (RFC 5280 §4.2.1.12) where Fulcio
        // puts codeSigning, so the leaf is otherwise a perfect Fulcio leaf with a valid SCT.
        let purpose = if faults.contains(&Fault::NotForCodeSigning) {
            const_oid::db::rfc5280::ID_KP_EMAIL_PROTECTION
        } else {
            const_oid::db::rfc5280::ID_KP_CODE_SIGNING
        };

        let mut exts = vec![
            ext(
                KeyUsage::OID,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            )?,
            ext(
                ExtendedKeyUsage::OID,
                false,
                &ExtendedKeyUsage(vec![purpose]),
            )?,
            ext(
                SubjectKeyIdentifier::OID,
                false,
                &SubjectKeyIdentifier(OctetString::new(ski_of(&iss.spki)).map_err(der_err)?),
            )?,
            ext(
                AuthorityKeyIdentifier::OID,
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(
                        OctetString::new(self.intermediate_ski.clone()).map_err(der_err)?,
                    ),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?,
            // The subject is empty, so the SAN must be critical (RFC 5280 §4.2.1.6).
            ext(
                SubjectAltName::OID,
                true,
                &SubjectAltName(vec![p.san.clone()]),
            )?,
            raw_ext(fulcio_oid(1)?, issuer.as_bytes())?,
        ];
        exts.extend(self.workflow_extensions(&p.claims, true)?);
        exts.push(ext(fulcio_oid(8)?, false, issuer)?);
        exts.extend(self.workflow_extensions(&p.claims, false)?);

        let serial = random_serial()?;
        if faults.contains(&Fault::MissingSct) {
            // The `missingSct` fault: the leaf as a CA that never asked its CT log would issue
            // it (no 1.3.6.1.4.1.11129.2.4.2 extension), still from the intermediate and
            // issued now, so no pre-2022 exemption can apply to it.
            return self.sign_leaf(serial, validity, &iss.spki, &exts);
        }
        let precert_tbs = CertSpec {
            subject: Name::default(),
            issuer: self.intermediate_name.clone(),
            serial: serial.clone(),
            validity,
            spki: iss.spki.clone(),
            exts: &exts,
        }
        .tbs(&self.intermediate_key)?;
        let sct = ct::sct_list(
            &self.ct_key,
            &self.ct_log_id,
            &self.issuer_key_hash,
            &precert_tbs,
            now * 1000,
            faults.contains(&Fault::WrongSct),
        )
        .map_err(TestbedError::Crypto)?;
        // extnValue = OCTET STRING wrapping the TLS-encoded list (RFC 6962 §3.3).
        exts.push(ext(
            OID_SCT_LIST,
            false,
            &OctetString::new(sct).map_err(der_err)?,
        )?);
        self.sign_leaf(serial, validity, &iss.spki, &exts)
    }

    /// The leaf with exactly `exts`, signed by the intermediate; returns its PEM.
    fn sign_leaf(
        &self,
        serial: SerialNumber,
        validity: Validity,
        spki: &SubjectPublicKeyInfoOwned,
        exts: &[Extension],
    ) -> Result<String, TestbedError> {
        let cert = CertSpec {
            subject: Name::default(),
            issuer: self.intermediate_name.clone(),
            serial,
            validity,
            spki: spki.clone(),
            exts,
        }
        .sign(&self.intermediate_key)?;
        Ok(crate::armor::pem(
            "CERTIFICATE",
            &cert.to_der().map_err(der_err)?,
        ))
    }

    /// Extensions from GitHub Actions claims (Fulcio `docs/oid-info.md`): with `legacy`, the
    /// deprecated raw-string .2–.6; otherwise the DER UTF8String .9–.23. From GitLab CI
    /// claims: the DER .9–.22 of Fulcio's `gitlabcom` principal.
    fn workflow_extensions(
        &self,
        claims: &Map<String, Value>,
        legacy: bool,
    ) -> Result<Vec<Extension>, TestbedError> {
        let mut out = Vec::new();
        if claim_str(claims, "ci_config_ref_uri").is_some() {
            // GitLab pipelines get the DER extensions only (Fulcio's `gitlabcom` principal).
            if !legacy {
                let g = gitlab_claims(claims).map_err(TestbedError::Config)?;
                for (arc, v) in g.extensions {
                    out.push(ext(fulcio_oid(arc)?, false, &v)?);
                }
            }
            return Ok(out);
        }
        if claim_str(claims, "job_workflow_ref").is_none()
            && claim_str(claims, "workflow_ref").is_none()
        {
            return Ok(out);
        }
        let c = |n: &str| claim_str(claims, n).map(str::to_owned);
        if legacy {
            for (arc, name) in [
                (2, "event_name"),
                (3, "sha"),
                (4, "workflow"),
                (5, "repository"),
                (6, "ref"),
            ] {
                if let Some(v) = c(name) {
                    out.push(raw_ext(fulcio_oid(arc)?, v.as_bytes())?);
                }
            }
            return Ok(out);
        }
        let base = server_url(claims);
        let prefixed = |n: &str| c(n).map(|v| format!("{base}/{v}"));
        let run = match (c("repository"), c("run_id"), c("run_attempt")) {
            (Some(r), Some(id), Some(a)) => {
                Some(format!("{base}/{r}/actions/runs/{id}/attempts/{a}"))
            }
            _ => None,
        };
        let values: [(u32, Option<String>); 15] = [
            (9, prefixed("job_workflow_ref")),
            (10, c("job_workflow_sha")),
            (11, c("runner_environment")),
            (12, prefixed("repository")),
            (13, c("sha")),
            (14, c("ref")),
            (15, c("repository_id")),
            (16, prefixed("repository_owner")),
            (17, c("repository_owner_id")),
            (18, prefixed("workflow_ref")),
            (19, c("workflow_sha")),
            (20, c("event_name")),
            (21, run),
            (22, c("repository_visibility")),
            (23, c("environment")),
        ];
        for (arc, v) in values {
            if let Some(v) = v {
                out.push(ext(fulcio_oid(arc)?, false, &v)?);
            }
        }
        Ok(out)
    }

    /// Authenticate the token and the key; `Err` is the HTTP error to send.
    fn authenticate(
        &self,
        issuer: &Issuer,
        federation: &Federation,
        token: Option<String>,
        key: KeyProof,
    ) -> Result<Issuance, Response> {
        let token = token.ok_or_else(|| {
            Response::fulcio_error(400, INVALID_TOKEN, "no OIDC identity token in the request")
        })?;
        // Route by the (unverified) `iss`, as Fulcio's `GetIssuer` does. An unreadable token is
        // left to the testbed's own issuer, whose verifier names what is wrong with it.
        let iss = peek_claims(&token).map(|c| {
            c.get("iss")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        });
        if let Some(iss) = &iss
            && iss != issuer.url()
            && federation.issuer(iss).is_none()
        {
            return Err(Response::fulcio_error(
                400,
                INVALID_TOKEN,
                &format!("issuer {iss:?} is not configured in Fulcio's OIDCIssuers"),
            ));
        }
        let iss = iss.unwrap_or_default();
        let principal = if iss != issuer.url() && federation.issuer(&iss).is_some() {
            let (cfg, claims) = federation
                .verify(&token)
                .map_err(|e| Response::fulcio_error(400, INVALID_TOKEN, &e))?;
            principal_for(cfg, claims)
        } else {
            let claims = issuer
                .verify(&token)
                .map_err(|e| Response::fulcio_error(400, INVALID_TOKEN, &e))?;
            principal(claims)
        }
        .map_err(|e| Response::fulcio_error(400, INVALID_TOKEN, &e))?;
        let spki = match key {
            KeyProof::PublicKey { content, proof } => {
                let der = decode_public_key(&content)
                    .map_err(|e| Response::fulcio_error(400, INVALID_PUBLIC_KEY, &e))?;
                let (spki, vk) = parse_client_key(&der)
                    .map_err(|e| Response::fulcio_error(400, INVALID_PUBLIC_KEY, &e))?;
                // Fulcio `challenges.CheckSignature`: ECDSA over SHA-256 of the identity.
                let sig = p256::ecdsa::DerSignature::from_bytes(&proof).map_err(|_| {
                    Response::fulcio_error(
                        400,
                        INVALID_SIGNATURE,
                        "proof of possession is not a DER ECDSA signature",
                    )
                })?;
                vk.verify(principal.challenge.as_bytes(), &sig)
                    .map_err(|_| {
                        Response::fulcio_error(
                            400,
                            INVALID_SIGNATURE,
                            "proof of possession does not verify over the token's email/subject",
                        )
                    })?;
                spki
            }
            KeyProof::Csr(csr_bytes) => {
                let der = match std::str::from_utf8(&csr_bytes) {
                    Ok(t) if t.contains("-----BEGIN") => {
                        crate::armor::blocks(t.as_bytes(), "CERTIFICATE REQUEST")
                            .into_iter()
                            .next()
                            .ok_or_else(|| {
                                Response::fulcio_error(
                                    400,
                                    INVALID_CSR,
                                    "no CERTIFICATE REQUEST PEM block",
                                )
                            })?
                    }
                    _ => csr_bytes,
                };
                let csr = CertReq::from_der(&der)
                    .map_err(|e| Response::fulcio_error(400, INVALID_CSR, &format!("CSR: {e}")))?;
                let spki_der = csr
                    .info
                    .public_key
                    .to_der()
                    .map_err(|e| Response::fulcio_error(400, INVALID_CSR, &e.to_string()))?;
                let (spki, vk) = parse_client_key(&spki_der)
                    .map_err(|e| Response::fulcio_error(400, INVALID_PUBLIC_KEY, &e))?;
                if csr.algorithm.oid != const_oid::db::rfc5912::ECDSA_WITH_SHA_256 {
                    return Err(Response::fulcio_error(
                        400,
                        INVALID_SIGNATURE,
                        "CSR must be signed with ecdsa-with-SHA256",
                    ));
                }
                let info = csr
                    .info
                    .to_der()
                    .map_err(|e| Response::fulcio_error(400, INVALID_CSR, &e.to_string()))?;
                let sig = csr
                    .signature
                    .as_bytes()
                    .and_then(|b| p256::ecdsa::DerSignature::from_bytes(b).ok())
                    .ok_or_else(|| {
                        Response::fulcio_error(400, INVALID_SIGNATURE, "CSR signature is malformed")
                    })?;
                vk.verify(&info, &sig).map_err(|_| {
                    Response::fulcio_error(
                        400,
                        INVALID_SIGNATURE,
                        "CSR self-signature does not verify",
                    )
                })?;
                spki
            }
        };
        Ok(Issuance { principal, spki })
    }

    /// `POST /api/v2/signingCert`.
    pub fn signing_cert_v2(
        &self,
        issuer: &Issuer,
        federation: &Federation,
        req: &Request,
        faults: &[Fault],
    ) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Response::fulcio_error(400, "invalid request body", "body is not JSON");
        };
        let token = field(&body, "credentials", "credentials")
            .and_then(|c| field(c, "oidcIdentityToken", "oidc_identity_token"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .or_else(|| bearer(req));
        let key = if let Some(csr) = field(
            &body,
            "certificateSigningRequest",
            "certificate_signing_request",
        )
        .and_then(Value::as_str)
        {
            match decode_proto_bytes(csr) {
                Ok(b) => KeyProof::Csr(b),
                Err(e) => return Response::fulcio_error(400, INVALID_CSR, &e),
            }
        } else {
            let pkr = field(&body, "publicKeyRequest", "public_key_request");
            let content = pkr
                .and_then(|p| field(p, "publicKey", "public_key"))
                .and_then(|k| k.get("content"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if content.is_empty() {
                return Response::fulcio_error(400, INVALID_PUBLIC_KEY, "public key not provided");
            }
            let proof = pkr
                .and_then(|p| field(p, "proofOfPossession", "proof_of_possession"))
                .and_then(Value::as_str)
                .map(decode_proto_bytes);
            let proof = match proof {
                Some(Ok(p)) => p,
                _ => {
                    return Response::fulcio_error(
                        400,
                        INVALID_SIGNATURE,
                        "proofOfPossession missing or not base64",
                    );
                }
            };
            KeyProof::PublicKey {
                content: content.as_bytes().to_vec(),
                proof,
            }
        };
        let iss = match self.authenticate(issuer, federation, token, key) {
            Ok(i) => i,
            Err(resp) => return resp,
        };
        match self.issue(&iss, faults) {
            Ok(leaf) => Response::json(
                200,
                &json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [
                    leaf, self.intermediate_pem, self.root_pem
                ]}}}),
            ),
            Err(e) => Response::fulcio_error(500, CA_ERROR, &e.to_string()),
        }
    }

    /// `POST /api/v1/signingCert`, the legacy API gitsign uses (gitsign-compat §4.1–4.2): token
    /// in `Authorization: Bearer`, `publicKey.content` = base64 of the key, `signedEmailAddress`
    /// = base64 proof of possession; 201 with a PEM chain.
    pub fn signing_cert_v1(
        &self,
        issuer: &Issuer,
        federation: &Federation,
        req: &Request,
        faults: &[Fault],
    ) -> Response {
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return Response::fulcio_error(400, "invalid request body", "body is not JSON");
        };
        let key = if let Some(csr) = field(
            &body,
            "certificateSigningRequest",
            "certificate_signing_request",
        )
        .and_then(Value::as_str)
        {
            match decode_proto_bytes(csr) {
                Ok(b) => KeyProof::Csr(b),
                Err(e) => return Response::fulcio_error(400, INVALID_CSR, &e),
            }
        } else {
            let Some(pk) = field(&body, "publicKey", "public_key") else {
                return Response::fulcio_error(400, INVALID_PUBLIC_KEY, "public key not provided");
            };
            let content = match pk
                .get("content")
                .and_then(Value::as_str)
                .map(decode_proto_bytes)
            {
                Some(Ok(c)) if !c.is_empty() => c,
                _ => {
                    return Response::fulcio_error(
                        400,
                        INVALID_PUBLIC_KEY,
                        "publicKey.content missing or not base64",
                    );
                }
            };
            let proof = match field(&body, "signedEmailAddress", "signed_email_address")
                .and_then(Value::as_str)
                .map(decode_proto_bytes)
            {
                Some(Ok(p)) => p,
                _ => {
                    return Response::fulcio_error(
                        400,
                        INVALID_SIGNATURE,
                        "signedEmailAddress missing or not base64",
                    );
                }
            };
            KeyProof::PublicKey { content, proof }
        };
        let iss = match self.authenticate(issuer, federation, bearer(req), key) {
            Ok(i) => i,
            Err(resp) => return resp,
        };
        match self.issue(&iss, faults) {
            Ok(leaf) => {
                // Fulcio's legacy server joins PEMs that already end in "\n" with "\n", then trims.
                let chain = format!("{leaf}\n{}\n{}\n", self.intermediate_pem, self.root_pem);
                Response::new(
                    201,
                    "application/pem-certificate-chain",
                    chain.trim().to_owned(),
                )
            }
            Err(e) => Response::fulcio_error(500, CA_ERROR, &e.to_string()),
        }
    }

    /// `GET /api/v2/trustBundle`.
    pub fn trust_bundle(&self) -> Response {
        Response::json(
            200,
            &json!({"chains": [{"certificates": [self.intermediate_pem, self.root_pem]}]}),
        )
    }

    /// `GET /api/v1/rootCert`.
    pub fn root_cert(&self) -> Response {
        let chain = format!("{}\n{}\n", self.intermediate_pem, self.root_pem);
        Response::new(
            200,
            "application/pem-certificate-chain",
            chain.trim().to_owned(),
        )
    }
}

/// How the client proves it holds the key.
enum KeyProof {
    PublicKey { content: Vec<u8>, proof: Vec<u8> },
    Csr(Vec<u8>),
}
