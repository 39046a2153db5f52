//! The Fulcio client: trade an OIDC identity token and a public key for a short-lived signing
//! certificate.
//!
//! Default wire protocol: Fulcio's v2 REST API (`fulcio.proto` `CreateSigningCertificate`,
//! `POST {fulcio}/api/v2/signingCert`), as sigstore-go and sigstore-python speak it:
//!
//! ```json
//! {"credentials": {"oidcIdentityToken": "<jwt>"},
//!  "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": "<PEM SPKI>"},
//!                       "proofOfPossession": "<base64 DER ECDSA signature over the subject>"}}
//! ```
//!
//! with the token also sent as `Authorization: Bearer` (sigstore-go does; the gateway accepts
//! either). The answer is `signedCertificateEmbeddedSct.chain.certificates` (PEM, leaf first) or
//! `signedCertificateDetachedSct` (same chain plus a detached SCT, kept opaque here). When a
//! server answers v2 with 404 or 405 (an old private instance), or when configured, the client
//! uses gitsign's legacy v1 call instead (compat §4.1: `POST /api/v1/signingCert`,
//! `{"publicKey":{"content":b64 DER SPKI,"algorithm":"ecdsa"},"signedEmailAddress":…}`, 201 with
//! a PEM chain body).
//!
//! The proof of possession is computed by the caller (it holds the key; this module never sees
//! a private key). This module checks only that the answer is well-formed and that the leaf
//! certifies *our* key; it must not verify chains or SCTs — that is `verify`'s job.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use der::{Decode as _, Encode as _};
use serde::{Deserialize, Serialize};
use spki::EncodePublicKey as _;

use crate::oidc::IdentityToken;
use crate::transport::{Request, Response, Service, Transport, TransportError, join_url};

/// Which Fulcio API to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FulcioApi {
    /// v2, falling back to v1 when the server does not have v2 (404/405).
    #[default]
    Auto,
    /// v2 only.
    V2,
    /// gitsign's legacy v1 call only.
    V1,
}

/// The issued certificate and the chain Fulcio sent with it (DER, leaf first). Untrusted until
/// `verify` has checked it against the trust root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FulcioChain {
    /// The leaf (our signing certificate).
    pub leaf_der: Vec<u8>,
    /// Intermediates and root as Fulcio listed them.
    pub chain_der: Vec<Vec<u8>>,
    /// A detached SCT when Fulcio issued one (v2 `signedCertificateTimestamp` decoded from
    /// base64, or the v1 `SCT` header); `None` when the SCT is embedded in the leaf.
    pub detached_sct: Option<Vec<u8>>,
}

/// Why no certificate was obtained. [`FulcioError::hint`] names what to check.
#[derive(Debug, thiserror::Error)]
pub enum FulcioError {
    /// No HTTP answer.
    #[error(transparent)]
    Transport(TransportError),
    /// Fulcio refused the request.
    #[error("Fulcio at {url} refused the certificate request (HTTP {status}): {message}")]
    Rejected {
        /// Endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// Fulcio's message or a body excerpt (server text).
        message: String,
    },
    /// The answer was not what the API defines.
    #[error("Fulcio at {url} sent a malformed answer: {reason}")]
    Malformed {
        /// Endpoint.
        url: String,
        /// Why.
        reason: String,
    },
    /// A certificate in the chain is not parseable.
    #[error("certificate {index} from Fulcio is invalid: {reason}")]
    BadCertificate {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// Why.
        reason: String,
    },
    /// The leaf certifies another public key.
    #[error("Fulcio returned a certificate for a different public key")]
    KeyMismatch,
    /// Our public key could not be encoded (a bug).
    #[error("could not encode the public key: {0}")]
    Encode(String),
}

impl From<TransportError> for FulcioError {
    fn from(e: TransportError) -> Self {
        FulcioError::Transport(e)
    }
}

impl FulcioError {
    /// A one-line hint naming the setting to check.
    pub fn hint(&self) -> &'static str {
        match self {
            FulcioError::Rejected {
                status: 401 | 403, ..
            } => {
                "Fulcio did not accept the identity token: check gitsign.issuer and gitsign.clientID, and that this Fulcio trusts that issuer"
            }
            FulcioError::Rejected { status: 400, .. } => {
                "Fulcio rejected the request: the token's identity may not be allowed, or the token expired; sign in again"
            }
            FulcioError::Transport(_)
            | FulcioError::Rejected { .. }
            | FulcioError::Malformed { .. } => crate::config::table::FULCIO.check,
            FulcioError::BadCertificate { .. } | FulcioError::KeyMismatch => {
                "the server at gitsign.fulcio does not behave like Fulcio; check gitsign.fulcio"
            }
            FulcioError::Encode(_) => "this is a bug in gitseal",
        }
    }
}

// ---- wire types --------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateSigningCertificateRequest<'a> {
    credentials: Credentials<'a>,
    public_key_request: PublicKeyRequest,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Credentials<'a> {
    oidc_identity_token: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyRequest {
    public_key: PublicKeyV2,
    proof_of_possession: String,
}

#[derive(Serialize)]
struct PublicKeyV2 {
    /// `PublicKeyAlgorithm` enum name.
    algorithm: &'static str,
    /// PEM SubjectPublicKeyInfo.
    content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SigningCertificate {
    #[serde(default)]
    signed_certificate_embedded_sct: Option<EmbeddedSct>,
    #[serde(default)]
    signed_certificate_detached_sct: Option<DetachedSct>,
}

#[derive(Deserialize)]
struct EmbeddedSct {
    chain: CertificateChain,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DetachedSct {
    chain: CertificateChain,
    #[serde(default)]
    signed_certificate_timestamp: Option<String>,
}

#[derive(Deserialize)]
struct CertificateChain {
    certificates: Vec<String>,
}

/// gitsign's v1 body, field order as Go's encoder writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CertificateRequestV1 {
    public_key: PublicKeyV1,
    signed_email_address: String,
    certificate_signing_request: Option<String>,
}

#[derive(Serialize)]
struct PublicKeyV1 {
    /// Base64 DER SPKI.
    content: String,
    algorithm: &'static str,
}

#[derive(Deserialize)]
struct FulcioErrorBody {
    #[serde(default)]
    message: Option<String>,
}

// ---- client ------------------------------------------------------------------------------------

/// A Fulcio client bound to one CA URL (`gitsign.fulcio`).
#[derive(Clone)]
pub struct FulcioClient {
    base_url: String,
    transport: Arc<dyn Transport>,
    api: FulcioApi,
}

impl std::fmt::Debug for FulcioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FulcioClient")
            .field("base_url", &self.base_url)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl FulcioClient {
    /// A client for the CA at `base_url` (e.g. `https://fulcio.sigstore.dev`), v2 with v1
    /// fallback.
    pub fn new(base_url: impl Into<String>, transport: Arc<dyn Transport>) -> Self {
        Self {
            base_url: base_url.into(),
            transport,
            api: FulcioApi::Auto,
        }
    }

    /// Chooses the API.
    pub fn with_api(mut self, api: FulcioApi) -> Self {
        self.api = api;
        self
    }

    /// The CA URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Requests a certificate for `public_key`. `proof` is the DER ECDSA signature, by the
    /// matching private key, over SHA-256 of the token's subject
    /// ([`IdentityToken::fulcio_subject`]).
    pub fn request_certificate(
        &self,
        token: &IdentityToken,
        public_key: &p256::ecdsa::VerifyingKey,
        proof: &[u8],
    ) -> Result<FulcioChain, FulcioError> {
        let chain = match self.api {
            FulcioApi::V1 => self.request_v1(token, public_key, proof)?,
            FulcioApi::V2 => self
                .request_v2(token, public_key, proof)?
                .map_err(|r| r.1)?,
            FulcioApi::Auto => match self.request_v2(token, public_key, proof)? {
                Ok(chain) => chain,
                Err((true, _)) => self.request_v1(token, public_key, proof)?,
                Err((false, e)) => return Err(e),
            },
        };
        check_leaf_key(&chain.leaf_der, public_key)?;
        Ok(chain)
    }

    /// The v2 call. `Err((true, e))` means "this server has no v2" (404/405).
    #[allow(clippy::type_complexity)]
    fn request_v2(
        &self,
        token: &IdentityToken,
        public_key: &p256::ecdsa::VerifyingKey,
        proof: &[u8],
    ) -> Result<Result<FulcioChain, (bool, FulcioError)>, FulcioError> {
        let url = join_url(&self.base_url, "/api/v2/signingCert");
        let spki = public_key
            .to_public_key_der()
            .map_err(|e| FulcioError::Encode(e.to_string()))?;
        let pem = crate::armor::pem("PUBLIC KEY", spki.as_bytes());
        let body = CreateSigningCertificateRequest {
            credentials: Credentials {
                oidc_identity_token: token.expose_secret(),
            },
            public_key_request: PublicKeyRequest {
                public_key: PublicKeyV2 {
                    algorithm: "ECDSA",
                    content: pem,
                },
                proof_of_possession: B64.encode(proof),
            },
        };
        let req = Request::post_json(Service::Fulcio, url.clone(), &body)?
            .bearer(token.expose_secret())
            .header("Accept", "application/json");
        let resp = self.transport.send(&req)?;
        if resp.status == 404 || resp.status == 405 {
            return Ok(Err((true, rejected(&url, &resp))));
        }
        if resp.status != 200 && resp.status != 201 {
            return Ok(Err((false, rejected(&url, &resp))));
        }
        let parsed: SigningCertificate = resp.json().map_err(|e| FulcioError::Malformed {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let (pems, sct) = match (
            parsed.signed_certificate_embedded_sct,
            parsed.signed_certificate_detached_sct,
        ) {
            (Some(e), _) => (e.chain.certificates, None),
            (None, Some(d)) => {
                let sct = match d.signed_certificate_timestamp {
                    Some(s) => Some(B64.decode(s.trim()).map_err(|_| FulcioError::Malformed {
                        url: url.clone(),
                        reason: "the detached SCT is not base64".into(),
                    })?),
                    None => None,
                };
                (d.chain.certificates, sct)
            }
            (None, None) => {
                return Err(FulcioError::Malformed {
                    url,
                    reason: "no signedCertificateEmbeddedSct or signedCertificateDetachedSct"
                        .into(),
                });
            }
        };
        let mut ders = Vec::new();
        for pem in &pems {
            ders.extend(crate::armor::certificates(pem).map_err(|reason| {
                FulcioError::Malformed {
                    url: url.clone(),
                    reason,
                }
            })?);
        }
        Ok(Ok(chain_from(ders, sct, &url)?))
    }

    /// gitsign's legacy call (compat §4.1).
    fn request_v1(
        &self,
        token: &IdentityToken,
        public_key: &p256::ecdsa::VerifyingKey,
        proof: &[u8],
    ) -> Result<FulcioChain, FulcioError> {
        let url = join_url(&self.base_url, "/api/v1/signingCert");
        let spki = public_key
            .to_public_key_der()
            .map_err(|e| FulcioError::Encode(e.to_string()))?;
        let body = CertificateRequestV1 {
            public_key: PublicKeyV1 {
                content: B64.encode(spki.as_bytes()),
                algorithm: "ecdsa",
            },
            signed_email_address: B64.encode(proof),
            certificate_signing_request: None,
        };
        let req = Request::post_json(Service::Fulcio, url.clone(), &body)?
            .bearer(token.expose_secret())
            .header("Accept", "application/pem-certificate-chain");
        let resp = self.transport.send(&req)?;
        if resp.status != 201 && resp.status != 200 {
            return Err(rejected(&url, &resp));
        }
        let text = std::str::from_utf8(&resp.body).map_err(|_| FulcioError::Malformed {
            url: url.clone(),
            reason: "the certificate chain is not UTF-8".into(),
        })?;
        let ders = crate::armor::certificates(text).map_err(|reason| FulcioError::Malformed {
            url: url.clone(),
            reason,
        })?;
        let sct = match resp.header("sct") {
            Some(s) if !s.trim().is_empty() => {
                Some(B64.decode(s.trim()).map_err(|_| FulcioError::Malformed {
                    url: url.clone(),
                    reason: "the SCT header is not base64".into(),
                })?)
            }
            _ => None,
        };
        chain_from(ders, sct, &url)
    }
}

fn rejected(url: &str, resp: &Response) -> FulcioError {
    let message = resp
        .json::<FulcioErrorBody>()
        .ok()
        .and_then(|b| b.message)
        .map(|m| crate::transport::excerpt(m.as_bytes()))
        .unwrap_or_else(|| resp.body_excerpt());
    FulcioError::Rejected {
        url: crate::transport::redact_url(url),
        status: resp.status,
        message,
    }
}

fn chain_from(
    mut ders: Vec<Vec<u8>>,
    detached_sct: Option<Vec<u8>>,
    url: &str,
) -> Result<FulcioChain, FulcioError> {
    if ders.is_empty() {
        return Err(FulcioError::Malformed {
            url: url.to_owned(),
            reason: "no certificates".into(),
        });
    }
    for (index, der) in ders.iter().enumerate() {
        x509_cert::Certificate::from_der(der).map_err(|e| FulcioError::BadCertificate {
            index,
            reason: e.to_string(),
        })?;
    }
    let leaf_der = ders.remove(0);
    Ok(FulcioChain {
        leaf_der,
        chain_der: ders,
        detached_sct,
    })
}

/// The leaf must certify exactly our key (a server could otherwise make us sign under someone
/// else's certificate, or hand us one we cannot use).
fn check_leaf_key(leaf_der: &[u8], key: &p256::ecdsa::VerifyingKey) -> Result<(), FulcioError> {
    let cert =
        x509_cert::Certificate::from_der(leaf_der).map_err(|e| FulcioError::BadCertificate {
            index: 0,
            reason: e.to_string(),
        })?;
    let theirs = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| FulcioError::BadCertificate {
            index: 0,
            reason: e.to_string(),
        })?;
    let ours = key
        .to_public_key_der()
        .map_err(|e| FulcioError::Encode(e.to_string()))?;
    if theirs.as_slice() != ours.as_bytes() {
        return Err(FulcioError::KeyMismatch);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use crate::oidc::token::tests::fake_jwt;
    use crate::transport::test_server::{FakeServer, Reply, fast_transport};
    use p256::ecdsa::SigningKey;
    use p256::elliptic_curve::Generate as _;
    use std::str::FromStr as _;
    use x509_cert::builder::{Builder as _, CertificateBuilder, profile};

    fn random_serial() -> x509_cert::serial_number::SerialNumber {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).unwrap();
        b[0] &= 0x7f;
        b[0] |= 0x01;
        x509_cert::serial_number::SerialNumber::new(&b).unwrap()
    }

    /// A self-signed P-256 certificate for `key` (test stand-in for a Fulcio leaf).
    pub(crate) fn test_cert(key: &SigningKey, cn: &str) -> Vec<u8> {
        let validity =
            x509_cert::time::Validity::from_now(std::time::Duration::from_secs(600)).unwrap();
        let subject =
            x509_cert::name::Name::from_str(&format!("CN={cn},O=gitseal-test,C=US")).unwrap();
        let spki = spki::SubjectPublicKeyInfoOwned::from_key(key.verifying_key()).unwrap();
        let builder = CertificateBuilder::new(
            profile::cabf::Root::new(true, subject).unwrap(),
            random_serial(),
            validity,
            spki,
        )
        .unwrap();
        let cert = builder.build::<_, p256::ecdsa::DerSignature>(key).unwrap();
        cert.to_der().unwrap()
    }

    /// A leaf shaped like Fulcio's: empty subject, critical keyUsage digitalSignature, EKU
    /// codeSigning, critical SAN email, signed ecdsa-with-SHA384 by a P-384 "intermediate".
    struct FulcioLeafProfile {
        issuer: x509_cert::name::Name,
        sans: Vec<x509_cert::ext::pkix::name::GeneralName>,
    }

    impl profile::BuilderProfile for FulcioLeafProfile {
        fn get_issuer(&self, _subject: &x509_cert::name::Name) -> x509_cert::name::Name {
            self.issuer.clone()
        }
        fn get_subject(&self) -> x509_cert::name::Name {
            x509_cert::name::Name::default()
        }
        fn build_extensions(
            &self,
            _spk: spki::SubjectPublicKeyInfoRef<'_>,
            _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
            _tbs: &x509_cert::TbsCertificate,
        ) -> x509_cert::builder::Result<Vec<x509_cert::ext::Extension>> {
            use x509_cert::ext::ToExtension as _;
            use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName};
            let subject = x509_cert::name::Name::default();
            Ok(vec![
                KeyUsage(KeyUsages::DigitalSignature.into())
                    .to_extension(&subject, &[])
                    .unwrap(),
                ExtendedKeyUsage(vec![const_oid::db::rfc5280::ID_KP_CODE_SIGNING])
                    .to_extension(&subject, &[])
                    .unwrap(),
                SubjectAltName(self.sans.clone())
                    .to_extension(&subject, &[])
                    .unwrap(),
            ])
        }
    }

    /// A Fulcio-style leaf for `leaf_key`, issued by `ca_key` (`CN=sigstore-intermediate`).
    pub(crate) fn fulcio_like_leaf(
        leaf_key: &p256::ecdsa::VerifyingKey,
        ca_key: &p384::ecdsa::SigningKey,
        email: &str,
    ) -> Vec<u8> {
        let email = der::asn1::Ia5String::new(email).unwrap();
        let san = x509_cert::ext::pkix::name::GeneralName::Rfc822Name(email);
        fulcio_like_leaf_with_sans(leaf_key, ca_key, &[san])
    }

    /// [`fulcio_like_leaf`] with the given subject alternative names (any kinds, in order).
    pub(crate) fn fulcio_like_leaf_with_sans(
        leaf_key: &p256::ecdsa::VerifyingKey,
        ca_key: &p384::ecdsa::SigningKey,
        sans: &[x509_cert::ext::pkix::name::GeneralName],
    ) -> Vec<u8> {
        let validity =
            x509_cert::time::Validity::from_now(std::time::Duration::from_secs(600)).unwrap();
        let spki = spki::SubjectPublicKeyInfoOwned::from_key(leaf_key).unwrap();
        let profile = FulcioLeafProfile {
            issuer: x509_cert::name::Name::from_str("CN=sigstore-intermediate,O=sigstore.dev")
                .unwrap(),
            sans: sans.to_vec(),
        };
        let builder = CertificateBuilder::new(profile, random_serial(), validity, spki).unwrap();
        let cert = builder
            .build::<_, p384::ecdsa::DerSignature>(ca_key)
            .unwrap();
        cert.to_der().unwrap()
    }

    fn pem(der: &[u8]) -> String {
        crate::rekor::entry::certificate_pem(der)
    }

    fn token() -> IdentityToken {
        IdentityToken::parse(&fake_jwt(&serde_json::json!({
            "iss": "https://oauth2.sigstore.dev/auth", "sub": "s", "aud": "sigstore",
            "email": "a@b.c", "email_verified": true
        })))
        .unwrap()
    }

    fn client(server: &FakeServer, api: FulcioApi) -> FulcioClient {
        FulcioClient::new(server.url(), Arc::new(fast_transport())).with_api(api)
    }

    #[test]
    fn v2_request_is_exact_and_chain_parsed() {
        let key = SigningKey::try_generate().unwrap();
        let leaf = test_cert(&key, "leaf");
        let other = test_cert(&SigningKey::try_generate().unwrap(), "intermediate");
        let (l, o) = (pem(&leaf), pem(&other));
        let server = FakeServer::start(move |_| {
            Reply::json(
                200,
                &serde_json::json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [l, o]}}}),
            )
        });
        let t = token();
        let chain = client(&server, FulcioApi::Auto)
            .request_certificate(&t, key.verifying_key(), b"proof")
            .unwrap();
        assert_eq!(chain.leaf_der, leaf);
        assert_eq!(chain.chain_der, vec![other]);
        assert_eq!(chain.detached_sct, None);
        let seen = &server.seen()[0];
        assert_eq!(seen.path(), "/api/v2/signingCert");
        assert_eq!(
            seen.header("authorization").unwrap(),
            format!("Bearer {}", t.expose_secret())
        );
        let spki_pem = key
            .verifying_key()
            .to_public_key_pem(der::pem::LineEnding::LF)
            .unwrap();
        assert_eq!(
            seen.json(),
            serde_json::json!({
                "credentials": {"oidcIdentityToken": t.expose_secret()},
                "publicKeyRequest": {
                    "publicKey": {"algorithm": "ECDSA", "content": spki_pem},
                    "proofOfPossession": B64.encode(b"proof")
                }
            })
        );
    }

    #[test]
    fn v2_detached_sct_form() {
        let key = SigningKey::try_generate().unwrap();
        let leaf = pem(&test_cert(&key, "leaf"));
        let server = FakeServer::start(move |_| {
            Reply::json(
                200,
                &serde_json::json!({"signedCertificateDetachedSct": {
                    "chain": {"certificates": [leaf]},
                    "signedCertificateTimestamp": B64.encode(b"{\"sct_version\":0}")
                }}),
            )
        });
        let chain = client(&server, FulcioApi::V2)
            .request_certificate(&token(), key.verifying_key(), b"p")
            .unwrap();
        assert_eq!(
            chain.detached_sct.as_deref(),
            Some(&b"{\"sct_version\":0}"[..])
        );
    }

    #[test]
    fn falls_back_to_v1_on_404() {
        let key = SigningKey::try_generate().unwrap();
        let leaf = test_cert(&key, "leaf");
        let inter = test_cert(&SigningKey::try_generate().unwrap(), "inter");
        let body = format!("{}{}", pem(&leaf), pem(&inter));
        let server = FakeServer::start(move |req| {
            if req.path() == "/api/v2/signingCert" {
                Reply::new(404, "404 page not found")
            } else {
                Reply::new(201, body.clone())
                    .with_header("Content-Type", "application/pem-certificate-chain")
                    .with_header("SCT", &B64.encode(b"sct"))
            }
        });
        let chain = client(&server, FulcioApi::Auto)
            .request_certificate(&token(), key.verifying_key(), b"proof")
            .unwrap();
        assert_eq!(chain.leaf_der, leaf);
        assert_eq!(chain.chain_der, vec![inter]);
        assert_eq!(chain.detached_sct.as_deref(), Some(&b"sct"[..]));
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].path(), "/api/v1/signingCert");
        let spki = key.verifying_key().to_public_key_der().unwrap();
        // gitsign's exact v1 body, field order included.
        assert_eq!(
            String::from_utf8(seen[1].body.clone()).unwrap(),
            format!(
                r#"{{"publicKey":{{"content":"{}","algorithm":"ecdsa"}},"signedEmailAddress":"{}","certificateSigningRequest":null}}"#,
                B64.encode(spki.as_bytes()),
                B64.encode(b"proof")
            )
        );
    }

    #[test]
    fn refusal_and_key_mismatch() {
        let server = FakeServer::start(|_| {
            Reply::json(
                401,
                &serde_json::json!({"code": 16, "message": "error processing the identity token"}),
            )
        });
        let key = SigningKey::try_generate().unwrap();
        let err = client(&server, FulcioApi::Auto)
            .request_certificate(&token(), key.verifying_key(), b"p")
            .unwrap_err();
        assert!(
            matches!(err, FulcioError::Rejected { status: 401, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("identity token"));
        assert!(err.hint().contains("gitsign.issuer"));
        assert_eq!(server.seen().len(), 1, "no v1 fallback and no retry on 401");

        let stranger = pem(&test_cert(&SigningKey::try_generate().unwrap(), "x"));
        let server = FakeServer::start(move |_| {
            Reply::json(
                200,
                &serde_json::json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [stranger]}}}),
            )
        });
        assert!(matches!(
            client(&server, FulcioApi::V2)
                .request_certificate(&token(), key.verifying_key(), b"p")
                .unwrap_err(),
            FulcioError::KeyMismatch
        ));
    }
}
