//! Other OIDC issuers the testbed's Fulcio trusts, in Fulcio's own configuration model
//! (`pkg/config/config.go`: `OIDCIssuers` keyed by issuer URL, each an `OIDCIssuer` with
//! `IssuerURL`, `ClientID`, `Type` and, for `uri` issuers, `SubjectDomain`).
//!
//! Owns [`OidcIssuerConfig`] and [`IssuerType`] (the public configuration, validated the way
//! Fulcio's `validateConfig` does), and [`Federation`]: verification of ID tokens from those
//! issuers as go-oidc's `IDTokenVerifier` does it for Fulcio — discovery document fetched on
//! demand from `{issuer}/.well-known/openid-configuration` (its `issuer` must equal the configured
//! URL), JWKS from its `jwks_uri` (cached; fetched again once when a token names an unknown
//! `kid`, as go-oidc's remote key set does), RS256 or ES256 signatures, exact `iss`, `aud`
//! containing the client id, `exp` not passed, `iat` present, `nbf`/`iat` not in the future.
//!
//! What it must not do: reach anything but loopback (issuer and JWKS URLs must be `http(s)` on
//! 127.0.0.0/8, `localhost` or `[::1]`; the testbed never touches the network), follow
//! redirects, or log tokens. Turning verified claims into a certificate identity is Fulcio's job
//! (`fulcio.rs`), by [`IssuerType`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::TestbedError;
use super::crypto;

/// How long discovery and JWKS requests may take (Fulcio's `defaultOIDCDiscoveryTimeout`).
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest discovery or JWKS document accepted.
const MAX_DOCUMENT: u64 = 1024 * 1024;
/// Tolerated clock skew on `nbf` and `iat` (the testbed's own issuer uses the same).
const LEEWAY_SECS: u64 = 60;

/// Fulcio's `IssuerType`, for the types the testbed implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerType {
    /// `email`: the certificate's SAN is the `email` claim, which must be verified
    /// (`email_verified`); the proof of possession signs the email.
    Email,
    /// `uri`: the SAN is `sub`, a URI whose scheme and host equal those of `SubjectDomain`;
    /// the proof of possession signs `sub`.
    Uri,
    /// `github-workflow`: GitHub Actions claims (`job_workflow_ref` …) become the SAN and the
    /// workflow extensions; the proof of possession signs `sub`.
    GithubWorkflow,
    /// `gitlab-pipeline`: GitLab CI claims (`ci_config_ref_uri`, `project_path` …) become the
    /// SAN and the CI extensions (Fulcio's `gitlabcom` principal); the proof signs `sub`.
    GitlabPipeline,
    /// `buildkite-job`: `https://buildkite.com/<organization_slug>/<pipeline_slug>` is the SAN
    /// (Fulcio's `buildkite` principal, no CI extensions); the proof signs `sub`.
    BuildkiteJob,
}

impl IssuerType {
    /// Fulcio's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerType::Email => "email",
            IssuerType::Uri => "uri",
            IssuerType::GithubWorkflow => "github-workflow",
            IssuerType::GitlabPipeline => "gitlab-pipeline",
            IssuerType::BuildkiteJob => "buildkite-job",
        }
    }
}

impl std::str::FromStr for IssuerType {
    type Err = TestbedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(IssuerType::Email),
            "uri" => Ok(IssuerType::Uri),
            "github-workflow" => Ok(IssuerType::GithubWorkflow),
            "gitlab-pipeline" => Ok(IssuerType::GitlabPipeline),
            "buildkite-job" => Ok(IssuerType::BuildkiteJob),
            other => Err(TestbedError::Config(format!(
                "issuer type {other:?} is not supported by the testbed (email, uri, github-workflow, gitlab-pipeline, buildkite-job)"
            ))),
        }
    }
}

/// One entry of Fulcio's `OIDCIssuers`: an issuer whose ID tokens the testbed's Fulcio accepts
/// besides those of its own issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcIssuerConfig {
    /// `IssuerURL`: the exact `iss` of the tokens, and where discovery is fetched from.
    pub issuer_url: String,
    /// `ClientID`: the audience the tokens must carry (`sigstore` for Sigstore clients).
    pub client_id: String,
    /// `Type`: how the identity is taken from the token.
    pub issuer_type: IssuerType,
    /// `SubjectDomain` (`uri` issuers only): `scheme://host` every `sub` must be on.
    pub subject_domain: Option<String>,
}

impl OidcIssuerConfig {
    /// An `email` issuer.
    pub fn email(issuer_url: &str, client_id: &str) -> OidcIssuerConfig {
        OidcIssuerConfig {
            issuer_url: issuer_url.to_owned(),
            client_id: client_id.to_owned(),
            issuer_type: IssuerType::Email,
            subject_domain: None,
        }
    }

    /// A `uri` issuer whose subjects live on `subject_domain` (`scheme://host`).
    pub fn uri(issuer_url: &str, client_id: &str, subject_domain: &str) -> OidcIssuerConfig {
        OidcIssuerConfig {
            issuer_url: issuer_url.to_owned(),
            client_id: client_id.to_owned(),
            issuer_type: IssuerType::Uri,
            subject_domain: Some(subject_domain.to_owned()),
        }
    }

    /// Parses the `gitseal-testbed serve --trust-issuer` syntax `URL[,CLIENT_ID[,TYPE]]`
    /// (client id `sigstore` and type `email` by default).
    pub fn parse_cli(spec: &str) -> Result<OidcIssuerConfig, TestbedError> {
        let mut parts = spec.split(',');
        let url = parts.next().unwrap_or("").trim();
        let client_id = parts
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("sigstore");
        let issuer_type = match parts.next().map(str::trim) {
            None | Some("") => IssuerType::Email,
            Some(t) => t.parse()?,
        };
        if parts.next().is_some() {
            return Err(TestbedError::Config(format!(
                "--trust-issuer {spec:?}: expected URL[,CLIENT_ID[,TYPE]]"
            )));
        }
        if issuer_type == IssuerType::Uri {
            return Err(TestbedError::Config(
                "uri issuers need a SubjectDomain; configure them through TestbedConfig".into(),
            ));
        }
        let cfg = OidcIssuerConfig {
            issuer_url: url.to_owned(),
            client_id: client_id.to_owned(),
            issuer_type,
            subject_domain: None,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Fulcio's `validateConfig` checks, plus the testbed's loopback-only rule.
    pub fn validate(&self) -> Result<(), TestbedError> {
        let bad = |why: String| {
            Err(TestbedError::Config(format!(
                "trusted issuer {:?}: {why}",
                self.issuer_url
            )))
        };
        let Some((scheme, host)) = scheme_and_host(&self.issuer_url) else {
            return bad("IssuerURL must be an http(s) URL without query or fragment".into());
        };
        if !is_loopback_host(&host) {
            return bad(
                "the testbed only trusts issuers on loopback (it never reaches the network)".into(),
            );
        }
        if self.client_id.is_empty() {
            return bad("ClientID must not be empty".into());
        }
        match (self.issuer_type, &self.subject_domain) {
            (IssuerType::Uri, None) => bad("uri issuer must have SubjectDomain set".into()),
            (IssuerType::Uri, Some(d)) => match scheme_and_host(d) {
                None => bad("SubjectDomain for uri must contain scheme".into()),
                Some((s, _)) if s != scheme => bad(format!(
                    "subject ({s}) and issuer ({scheme}) URI schemes do not match"
                )),
                Some(_) => Ok(()),
            },
            (_, Some(_)) => bad("SubjectDomain is only used by uri issuers".into()),
            (_, None) => Ok(()),
        }
    }
}

/// `(scheme, host)` of an `http(s)` URL without query or fragment; the host keeps IPv6 brackets.
fn scheme_and_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") || url.contains(['?', '#']) {
        return None;
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let host = if authority.starts_with('[') {
        authority.split_once(']').map(|(h, _)| format!("{h}]"))?
    } else {
        authority
            .split(':')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    Some((scheme.to_owned(), host))
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The discovery members the verifier reads (OpenID Connect Discovery 1.0 §3).
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    id_token_signing_alg_values_supported: Option<Vec<String>>,
}

/// A JWK (RFC 7517), the members used for RS256 and ES256 verification.
#[derive(Clone, Debug, Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

/// What was fetched for one issuer.
struct Remote {
    algs: Vec<String>,
    keys: Vec<Jwk>,
}

/// The trusted issuers and their fetched key material.
pub struct Federation {
    issuers: Vec<OidcIssuerConfig>,
    remotes: Mutex<HashMap<String, Remote>>,
    agent: ureq::Agent,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The unverified payload of a compact JWS, for routing by `iss` only.
pub fn peek_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = B64URL.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Federation {
    /// The issuers to trust (validated; duplicates refused).
    pub fn new(issuers: Vec<OidcIssuerConfig>) -> Result<Federation, TestbedError> {
        let mut seen = std::collections::HashSet::new();
        for i in &issuers {
            i.validate()?;
            if !seen.insert(i.issuer_url.as_str()) {
                return Err(TestbedError::Config(format!(
                    "trusted issuer {:?} is listed twice",
                    i.issuer_url
                )));
            }
        }
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(FETCH_TIMEOUT))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .unversioned_rustls_crypto_provider(crate::net::tls::crypto_provider())
                    .build(),
            )
            .build()
            .new_agent();
        Ok(Federation {
            issuers,
            remotes: Mutex::new(HashMap::new()),
            agent,
        })
    }

    /// The configured issuers.
    pub fn issuers(&self) -> &[OidcIssuerConfig] {
        &self.issuers
    }

    /// The configuration for `iss`, if trusted (Fulcio's `GetIssuer`).
    pub fn issuer(&self, iss: &str) -> Option<&OidcIssuerConfig> {
        self.issuers.iter().find(|i| i.issuer_url == iss)
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        match scheme_and_host(url) {
            Some((_, host)) if is_loopback_host(&host) => {}
            _ => {
                return Err(format!(
                    "refusing to fetch {url}: not a loopback http(s) URL"
                ));
            }
        }
        let mut resp = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(format!("GET {url} answered HTTP {status}"));
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_DOCUMENT)
            .read_to_vec()
            .map_err(|e| format!("GET {url}: {e}"))?;
        serde_json::from_slice(&body).map_err(|e| format!("{url}: malformed JSON: {e}"))
    }

    /// Discovery + JWKS for `cfg` (go-oidc `NewProvider`, then the remote key set).
    fn fetch(&self, cfg: &OidcIssuerConfig) -> Result<Remote, String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            cfg.issuer_url.trim_end_matches('/')
        );
        let d: Discovery = self.get_json(&url)?;
        if d.issuer != cfg.issuer_url {
            return Err(format!(
                "issuer did not match the issuer returned by provider, expected {:?} got {:?}",
                cfg.issuer_url, d.issuer
            ));
        }
        let set: JwkSet = self.get_json(&d.jwks_uri)?;
        Ok(Remote {
            algs: d
                .id_token_signing_alg_values_supported
                .unwrap_or_else(|| vec!["RS256".into()]),
            keys: set.keys,
        })
    }

    /// Verifies `token` from a trusted issuer; returns its configuration and claims. The `Err`
    /// text is a reason for the testbed's `X-Testbed-Error` header (never the token).
    pub fn verify(&self, token: &str) -> Result<(&OidcIssuerConfig, Map<String, Value>), String> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a compact JWS (three dot-separated parts)".into());
        };
        let unverified = peek_claims(token).ok_or("JWS payload is not base64url JSON")?;
        let iss = unverified.get("iss").and_then(Value::as_str).unwrap_or("");
        let cfg = self
            .issuer(iss)
            .ok_or_else(|| format!("issuer {iss:?} is not configured in Fulcio's OIDCIssuers"))?;
        let header: Value = B64URL
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("JWS header is not base64url JSON")?;
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
        if !matches!(alg, "RS256" | "ES256") {
            return Err(format!("JWS alg {alg:?} is not supported (RS256, ES256)"));
        }
        let sig = B64URL
            .decode(s)
            .map_err(|_| "JWS signature is not base64url")?;
        let input = format!("{h}.{p}");

        // Keys: cached, or fetched now; an unknown kid triggers one refetch (key rotation).
        let mut refreshed = false;
        loop {
            let cached = lock(&self.remotes).get(&cfg.issuer_url).map(|r| {
                (
                    r.algs.clone(),
                    r.keys
                        .iter()
                        .filter(|k| key_fits(k, alg, kid.as_deref()))
                        .cloned()
                        .collect::<Vec<_>>(),
                )
            });
            let (algs, keys) = match cached {
                Some(c) => c,
                None => {
                    let remote = self.fetch(cfg)?;
                    refreshed = true;
                    lock(&self.remotes).insert(cfg.issuer_url.clone(), remote);
                    continue;
                }
            };
            if !algs.iter().any(|a| a == alg) {
                return Err(format!(
                    "JWS alg {alg} is not among the provider's id_token_signing_alg_values_supported {algs:?}"
                ));
            }
            if keys.is_empty() {
                if refreshed {
                    return Err(format!(
                        "no key in the issuer's JWKS matches kid {kid:?} and alg {alg}"
                    ));
                }
                lock(&self.remotes).remove(&cfg.issuer_url);
                continue;
            }
            let ok = keys
                .iter()
                .any(|k| verify_with(k, alg, input.as_bytes(), &sig).is_ok());
            if !ok {
                return Err("ID token signature does not verify under the issuer's JWKS".into());
            }
            break;
        }
        check_claims(cfg, unverified)
            .map(|claims| (cfg, claims))
            .map_err(|e| format!("{e} (issuer {})", cfg.issuer_url))
    }
}

fn key_fits(k: &Jwk, alg: &str, kid: Option<&str>) -> bool {
    let kty = if alg == "RS256" { "RSA" } else { "EC" };
    k.kty == kty
        && k.alg.as_deref().is_none_or(|a| a == alg)
        && k.use_.as_deref().is_none_or(|u| u == "sig")
        && match (kid, &k.kid) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        }
}

fn b64_member(v: &Option<String>) -> Result<Vec<u8>, String> {
    let s = v.as_deref().ok_or("JWK member missing")?;
    B64URL
        .decode(s.trim_end_matches('='))
        .map_err(|_| "JWK member is not base64url".to_owned())
}

fn verify_with(k: &Jwk, alg: &str, input: &[u8], sig: &[u8]) -> Result<(), String> {
    if alg == "RS256" {
        let n = b64_member(&k.n)?;
        let e = b64_member(&k.e)?;
        crate::oidc::jwt::rs256_verify(&n, &e, input, sig).map_err(|e| e.to_string())
    } else {
        use p256::ecdsa::signature::Verifier;
        if k.crv.as_deref() != Some("P-256") {
            return Err("EC key is not on P-256".into());
        }
        let x = b64_member(&k.x)?;
        let y = b64_member(&k.y)?;
        if x.len() != 32 || y.len() != 32 {
            return Err("EC coordinates are not 32 bytes".into());
        }
        let mut point = vec![0x04];
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|e| e.to_string())?;
        // JWS ES256 is the fixed-size R ‖ S (RFC 7518 §3.4).
        let sig = p256::ecdsa::Signature::from_slice(sig).map_err(|e| e.to_string())?;
        vk.verify(input, &sig).map_err(|e| e.to_string())
    }
}

/// go-oidc's claim checks as Fulcio configures them (`ClientID` set, expiry checked), plus
/// Fulcio's own requirement that `iat` is present.
fn check_claims(
    cfg: &OidcIssuerConfig,
    claims: Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    if iss != cfg.issuer_url {
        return Err(format!("id token issued by a different provider: {iss:?}"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => *a == cfg.client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&cfg.client_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "expected audience {:?} not in the token's audience",
            cfg.client_id
        ));
    }
    let now = crypto::now_unix();
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("exp missing")?;
    if exp <= now {
        return Err("token is expired".into());
    }
    if claims.get("iat").and_then(Value::as_u64).is_none() {
        return Err("iat missing".into());
    }
    for claim in ["nbf", "iat"] {
        if let Some(t) = claims.get(claim).and_then(Value::as_u64)
            && t > now + LEEWAY_SECS
        {
            return Err(format!("token {claim} is in the future"));
        }
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_validation_follows_fulcio() {
        OidcIssuerConfig::email("http://127.0.0.1:4000", "sigstore")
            .validate()
            .unwrap();
        OidcIssuerConfig::uri("http://localhost:1/x", "sigstore", "http://localhost")
            .validate()
            .unwrap();
        for bad in [
            OidcIssuerConfig::email("https://accounts.google.com", "sigstore"),
            OidcIssuerConfig::email("http://127.0.0.1:4000?x", "sigstore"),
            OidcIssuerConfig::email("http://127.0.0.1:4000", ""),
            OidcIssuerConfig::uri("http://127.0.0.1:1", "sigstore", "localhost"),
            OidcIssuerConfig::uri("http://127.0.0.1:1", "sigstore", "https://localhost"),
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let mut uri_without_domain = OidcIssuerConfig::email("http://127.0.0.1:1", "s");
        uri_without_domain.issuer_type = IssuerType::Uri;
        assert!(uri_without_domain.validate().is_err());
        assert!(
            Federation::new(vec![
                OidcIssuerConfig::email("http://127.0.0.1:1", "a"),
                OidcIssuerConfig::email("http://127.0.0.1:1", "b"),
            ])
            .is_err()
        );
    }

    #[test]
    fn cli_syntax() {
        let c = OidcIssuerConfig::parse_cli("http://127.0.0.1:5556").unwrap();
        assert_eq!(
            c,
            OidcIssuerConfig::email("http://127.0.0.1:5556", "sigstore")
        );
        let c = OidcIssuerConfig::parse_cli("http://[::1]:1/p,other,github-workflow").unwrap();
        assert_eq!(c.client_id, "other");
        assert_eq!(c.issuer_type, IssuerType::GithubWorkflow);
        for t in [IssuerType::GitlabPipeline, IssuerType::BuildkiteJob] {
            let c =
                OidcIssuerConfig::parse_cli(&format!("http://[::1]:1/p,sigstore,{}", t.as_str()))
                    .unwrap();
            assert_eq!(c.issuer_type, t);
        }
        assert!(OidcIssuerConfig::parse_cli("http://127.0.0.1:1,a,uri").is_err());
        assert!(OidcIssuerConfig::parse_cli("http://127.0.0.1:1,a,spiffe").is_err());
        assert!(OidcIssuerConfig::parse_cli("http://127.0.0.1:1,a,email,x").is_err());
    }

    #[test]
    fn claim_checks() {
        let cfg = OidcIssuerConfig::email("http://127.0.0.1:9", "sigstore");
        let now = crypto::now_unix();
        let good = serde_json::json!({"iss": "http://127.0.0.1:9", "aud": ["x", "sigstore"],
            "exp": now + 60, "iat": now, "sub": "s"});
        let Value::Object(good) = good else {
            unreachable!()
        };
        assert!(check_claims(&cfg, good.clone()).is_ok());
        let with = |k: &str, v: Value| {
            let mut c = good.clone();
            c.insert(k.into(), v);
            check_claims(&cfg, c).unwrap_err()
        };
        assert!(with("aud", "other".into()).contains("audience"));
        assert!(with("iss", "http://127.0.0.1:9/".into()).contains("different provider"));
        assert!(with("exp", (now - 1).into()).contains("expired"));
        assert!(with("nbf", (now + 600).into()).contains("future"));
        let mut no_iat = good.clone();
        no_iat.remove("iat");
        assert!(check_claims(&cfg, no_iat).unwrap_err().contains("iat"));
    }
}
