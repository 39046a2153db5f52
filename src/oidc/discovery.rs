//! What the interactive and device flows share: OIDC discovery (OpenID Connect Discovery 1.0
//! §4: `{issuer}/.well-known/openid-configuration`, whose `issuer` must equal the configured one
//! exactly), the JWKS, PKCE (RFC 7636, S256 only), the random values (`state`, `nonce`), the
//! token-endpoint call with client authentication (RFC 6749 §2.3.1, §5.2 error format), and the
//! verification of the ID token that comes back.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::jwt::{self, Jwks};
use super::{Clock, IdentityToken, OidcError, TokenSourceConfig};
use crate::transport::{Request, Response, Retry, Service, Transport, form_component};

/// The provider metadata members the flows use.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `device_authorization_endpoint` (RFC 8628 §4).
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    /// `code_challenge_methods_supported` (RFC 8414 §2).
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

/// Fetches and checks the discovery document.
pub fn discover(transport: &dyn Transport, issuer: &str) -> Result<ProviderMetadata, OidcError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let resp = transport.send(&Request::get(Service::OidcProvider, url))?;
    let fail = |reason: String| OidcError::Discovery {
        issuer: issuer.to_owned(),
        reason,
    };
    if resp.status != 200 {
        return Err(fail(format!(
            "HTTP {}: {}",
            resp.status,
            resp.body_excerpt()
        )));
    }
    let meta: ProviderMetadata = resp
        .json()
        .map_err(|e| fail(format!("malformed document: {e}")))?;
    if meta.issuer != issuer {
        return Err(OidcError::IssuerMismatch {
            expected: issuer.to_owned(),
            got: meta.issuer.chars().take(200).collect(),
        });
    }
    Ok(meta)
}

/// Whether the provider offers PKCE S256. Azure AD does not advertise it but supports it (the
/// same exemption sigstore's oauthflow makes).
pub fn supports_s256(meta: &ProviderMetadata) -> bool {
    meta.code_challenge_methods_supported
        .as_ref()
        .is_some_and(|m| m.iter().any(|x| x == "S256"))
        || meta
            .issuer
            .starts_with("https://login.microsoftonline.com/")
}

/// Fetches the provider's signing keys.
pub fn fetch_jwks(transport: &dyn Transport, jwks_uri: &str) -> Result<Jwks, OidcError> {
    let resp = transport.send(&Request::get(Service::OidcProvider, jwks_uri))?;
    if resp.status != 200 {
        return Err(OidcError::Discovery {
            issuer: jwks_uri.to_owned(),
            reason: format!("JWKS answered HTTP {}", resp.status),
        });
    }
    resp.json().map_err(|e| OidcError::Discovery {
        issuer: jwks_uri.to_owned(),
        reason: format!("malformed JWKS: {e}"),
    })
}

/// `n` random bytes, base64url without padding.
pub fn random_b64url(n: usize) -> Result<String, OidcError> {
    let mut buf = Zeroizing::new(vec![0u8; n]);
    getrandom::fill(&mut buf).map_err(|_| OidcError::Random)?;
    Ok(B64URL.encode(&*buf))
}

/// A PKCE pair (RFC 7636 §4.1–4.2).
pub struct Pkce {
    /// `code_verifier`: base64url of 48 random bytes, 64 characters (within the 43–128 range).
    pub verifier: Zeroizing<String>,
    /// `code_challenge` = base64url(SHA-256(verifier)), method S256.
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair.
    pub fn generate() -> Result<Self, OidcError> {
        Ok(Self::from_verifier(Zeroizing::new(random_b64url(48)?)))
    }

    /// The pair for a given verifier.
    pub fn from_verifier(verifier: Zeroizing<String>) -> Self {
        let challenge = B64URL.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// A token-endpoint answer (RFC 6749 §5.1, §5.2).
pub(crate) enum TokenReply {
    /// 200 with (maybe) an `id_token`.
    Tokens(Option<Zeroizing<String>>),
    /// An OAuth error object.
    Error {
        status: u16,
        error: String,
        description: Option<String>,
    },
}

#[derive(Deserialize)]
struct TokenSuccess {
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Parses an OAuth error body, or describes the raw answer.
pub(crate) fn oauth_error(resp: &Response) -> (String, Option<String>) {
    match resp.json::<OAuthErrorBody>() {
        Ok(b) => (
            crate::transport::excerpt(b.error.as_bytes()),
            b.error_description
                .map(|d| crate::transport::excerpt(d.as_bytes())),
        ),
        Err(_) => (resp.body_excerpt(), None),
    }
}

/// POSTs a form to an OAuth endpoint with client authentication: a public client sends
/// `client_id` in the body; a confidential one also uses HTTP Basic (`client_secret_basic`, the
/// method every server must support, RFC 6749 §2.3.1, with form-encoded id and secret).
pub(crate) fn post_form(
    transport: &dyn Transport,
    endpoint: &str,
    fields: &[(&str, &str)],
    cfg: &TokenSourceConfig,
) -> Result<Response, OidcError> {
    let mut all: Vec<(&str, &str)> = vec![("client_id", cfg.client_id.as_str())];
    all.extend_from_slice(fields);
    let mut req = Request::post_form(Service::OidcProvider, endpoint, &all)
        .header("Accept", "application/json")
        // Authorization codes and device codes are single-use or paced by the flow itself.
        .retry(Retry::Never);
    if let Some(secret) = &cfg.client_secret {
        let pair = Zeroizing::new(format!(
            "{}:{}",
            form_component(&cfg.client_id),
            form_component(secret)
        ));
        let value = Zeroizing::new(format!("Basic {}", B64.encode(pair.as_bytes())));
        req = req.header("Authorization", &value);
    }
    Ok(transport.send(&req)?)
}

/// Calls the token endpoint and classifies the answer.
pub(crate) fn token_request(
    transport: &dyn Transport,
    endpoint: &str,
    fields: &[(&str, &str)],
    cfg: &TokenSourceConfig,
) -> Result<TokenReply, OidcError> {
    let resp = post_form(transport, endpoint, fields, cfg)?;
    if resp.status == 200 {
        let ok: TokenSuccess = resp.json().map_err(|_| OidcError::Endpoint {
            endpoint: "token",
            status: resp.status,
            error: "malformed token response".into(),
            description: None,
        })?;
        return Ok(TokenReply::Tokens(ok.id_token.map(Zeroizing::new)));
    }
    let (error, description) = oauth_error(&resp);
    Ok(TokenReply::Error {
        status: resp.status,
        error,
        description,
    })
}

/// Parses and verifies an ID token obtained from the provider: JWKS signature, issuer,
/// audience, expiry, and nonce when one was sent.
pub(crate) fn verify_obtained(
    raw: &str,
    meta: &ProviderMetadata,
    cfg: &TokenSourceConfig,
    nonce: Option<&str>,
    transport: &dyn Transport,
    clock: &dyn Clock,
) -> Result<IdentityToken, OidcError> {
    let token = IdentityToken::parse(raw)?;
    let jwks = fetch_jwks(transport, &meta.jwks_uri)?;
    jwt::verify_id_token(
        &token,
        &jwks,
        &jwt::Expected {
            issuer: &meta.issuer,
            client_id: &cfg.client_id,
            nonce,
            now: clock.unix_now(),
            leeway: jwt::DEFAULT_LEEWAY_SECS,
        },
    )?;
    Ok(token)
}

/// Seconds as a `Duration`, clamped to something sane for servers sending nonsense.
pub(crate) fn secs(v: u64, max: u64) -> Duration {
    Duration::from_secs(v.min(max))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::transport::test_server::{FakeServer, Reply, fast_transport};

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        // RFC 7636 Appendix B test vector.
        let p = Pkce::from_verifier(Zeroizing::new(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
        ));
        assert_eq!(p.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::generate().unwrap();
        assert_eq!(fresh.verifier.len(), 64);
        assert_ne!(
            fresh.verifier.as_str(),
            Pkce::generate().unwrap().verifier.as_str()
        );
    }

    #[test]
    fn discovery_requires_exact_issuer() {
        let server = FakeServer::start(|req| {
            assert_eq!(req.path(), "/.well-known/openid-configuration");
            Reply::json(
                200,
                &serde_json::json!({
                    "issuer": "http://127.0.0.1:1/other",
                    "authorization_endpoint": "a", "token_endpoint": "t", "jwks_uri": "j"
                }),
            )
        });
        let err = discover(&fast_transport(), &server.url()).unwrap_err();
        assert!(matches!(err, OidcError::IssuerMismatch { .. }), "{err}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod fake_provider {
    //! An OIDC provider on 127.0.0.1 for flow tests: discovery, JWKS (ES256), authorization-code
    //! and device-code grants, a device authorization endpoint with a scripted sequence of poll
    //! errors.

    use std::sync::{Arc, Mutex};

    use crate::oidc::jwt::tests::TestSigner;
    use crate::transport::test_server::{FakeServer, Reply, Seen};

    pub(crate) struct ProviderOptions {
        pub pkce_methods: Vec<String>,
        pub force_nonce: Option<String>,
        pub device_endpoint: bool,
        pub device_interval: Option<u64>,
        pub device_expires_in: u64,
        /// Errors answered to the first device polls, then success.
        pub device_script: Vec<&'static str>,
        pub now: u64,
    }

    impl Default for ProviderOptions {
        fn default() -> Self {
            Self {
                pkce_methods: vec!["plain".into(), "S256".into()],
                force_nonce: None,
                device_endpoint: true,
                device_interval: None,
                device_expires_in: 600,
                device_script: Vec::new(),
                now: 1_800_000_000,
            }
        }
    }

    pub(crate) struct ProviderState {
        pub issuer: String,
        pub nonce: Option<String>,
        pub code_challenge: Option<String>,
        pub device_polls: usize,
        opts: ProviderOptions,
        signer: TestSigner,
    }

    pub(crate) struct FakeProvider {
        pub server: FakeServer,
        pub state: Arc<Mutex<ProviderState>>,
    }

    impl FakeProvider {
        pub(crate) fn start(opts: ProviderOptions) -> Self {
            let state = Arc::new(Mutex::new(ProviderState {
                issuer: String::new(),
                nonce: None,
                code_challenge: None,
                device_polls: 0,
                opts,
                signer: TestSigner::new("es256-test"),
            }));
            let s2 = state.clone();
            let server = FakeServer::start(move |req| handle(&mut s2.lock().unwrap(), req));
            state.lock().unwrap().issuer = server.url();
            Self { server, state }
        }

        pub(crate) fn issuer(&self) -> String {
            self.state.lock().unwrap().issuer.clone()
        }

        pub(crate) fn now(&self) -> u64 {
            self.state.lock().unwrap().opts.now
        }
    }

    fn id_token(st: &ProviderState, nonce: Option<String>) -> String {
        let mut claims = serde_json::json!({
            "iss": st.issuer, "sub": "user-123", "aud": "sigstore",
            "exp": st.opts.now + 600, "iat": st.opts.now,
            "email": "user@example.test", "email_verified": true,
        });
        if let Some(n) = nonce {
            claims["nonce"] = serde_json::json!(n);
        }
        st.signer.sign(&claims)
    }

    fn handle(st: &mut ProviderState, req: &Seen) -> Reply {
        let iss = st.issuer.clone();
        match (req.method.as_str(), req.path()) {
            ("GET", "/.well-known/openid-configuration") => {
                let mut doc = serde_json::json!({
                    "issuer": iss,
                    "authorization_endpoint": format!("{iss}/auth"),
                    "token_endpoint": format!("{iss}/token"),
                    "jwks_uri": format!("{iss}/jwks"),
                    "code_challenge_methods_supported": st.opts.pkce_methods,
                });
                if st.opts.device_endpoint {
                    doc["device_authorization_endpoint"] =
                        serde_json::json!(format!("{iss}/device/auth"));
                }
                Reply::json(200, &doc)
            }
            ("GET", "/jwks") => Reply::json(200, &serde_json::json!({"keys": [st.signer.jwk()]})),
            ("POST", "/device/auth") => {
                let mut doc = serde_json::json!({
                    "device_code": "dev-code", "user_code": "ABCD-EFGH",
                    "verification_uri": format!("{iss}/device"),
                    "verification_uri_complete": format!("{iss}/device?user_code=ABCD-EFGH"),
                    "expires_in": st.opts.device_expires_in,
                });
                if let Some(i) = st.opts.device_interval {
                    doc["interval"] = serde_json::json!(i);
                }
                Reply::json(200, &doc)
            }
            ("POST", "/token") => match req.form_value("grant_type").as_deref() {
                Some("authorization_code") => {
                    if req.form_value("code").as_deref() != Some("good-code") {
                        return Reply::json(400, &serde_json::json!({"error": "invalid_grant"}));
                    }
                    let nonce = st.opts.force_nonce.clone().or_else(|| st.nonce.clone());
                    Reply::json(
                        200,
                        &serde_json::json!({"access_token": "at", "token_type": "Bearer",
                            "id_token": id_token(st, nonce)}),
                    )
                }
                Some("urn:ietf:params:oauth:grant-type:device_code") => {
                    if req.form_value("device_code").as_deref() != Some("dev-code") {
                        return Reply::json(400, &serde_json::json!({"error": "invalid_grant"}));
                    }
                    st.device_polls += 1;
                    if let Some(e) = st.opts.device_script.get(st.device_polls - 1) {
                        return Reply::json(400, &serde_json::json!({"error": e}));
                    }
                    Reply::json(
                        200,
                        &serde_json::json!({"access_token": "at", "token_type": "Bearer",
                            "id_token": id_token(st, None)}),
                    )
                }
                _ => Reply::json(400, &serde_json::json!({"error": "unsupported_grant_type"})),
            },
            _ => Reply::new(404, "not found"),
        }
    }
}
