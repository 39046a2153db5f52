//! Ambient identity tokens: the ones a CI system or the environment already holds (cosign's
//! providers as gitsign registers them, compat §5.1). Supported, in cosign's registration order:
//!
//! 1. `github-actions`: enabled when `ACTIONS_ID_TOKEN_REQUEST_URL` and
//!    `ACTIONS_ID_TOKEN_REQUEST_TOKEN` are both non-empty; `GET $URL&audience=<client id>` with
//!    `Authorization: bearer $TOKEN`, answer `{"value": "<jwt>"}` (GitHub's OIDC token service).
//! 2. `envvar`: enabled when `SIGSTORE_ID_TOKEN` is set (even empty); the value verbatim.
//! 3. `filesystem`: enabled when `/var/run/sigstore/cosign/oidc-token` exists; its contents.
//!
//! Not implemented (named in errors, never guessed at): `buildkite-agent`,
//! `google-workload-identity`, `google-impersonate`, `spiffe`.
//!
//! The environment is data: [`AmbientEnv`] is filled by the caller (the CLI owns reading the
//! environment). Ambient tokens are used as they come, unverified, as in gitsign — Fulcio
//! verifies them.

use std::path::PathBuf;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{IdentityToken, OidcError};
use crate::transport::{Request, Service, Transport};

/// cosign's well-known token file (Kubernetes projected service-account tokens).
pub const COSIGN_TOKEN_FILE: &str = "/var/run/sigstore/cosign/oidc-token";

/// The environment values ambient providers read.
#[derive(Clone, Debug)]
pub struct AmbientEnv {
    /// `SIGSTORE_ID_TOKEN` (`Some("")` when set but empty: the provider is then enabled and
    /// fails, as in cosign).
    pub sigstore_id_token: Option<Zeroizing<String>>,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
    pub actions_id_token_request_url: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub actions_id_token_request_token: Option<Zeroizing<String>>,
    /// The token file the `filesystem` provider reads ([`COSIGN_TOKEN_FILE`] by default).
    pub cosign_token_file: PathBuf,
}

impl Default for AmbientEnv {
    fn default() -> Self {
        Self {
            sigstore_id_token: None,
            actions_id_token_request_url: None,
            actions_id_token_request_token: None,
            cosign_token_file: PathBuf::from(COSIGN_TOKEN_FILE),
        }
    }
}

impl AmbientEnv {
    /// Fills the struct from an environment lookup (the CLI passes its [`crate::config::Env`]).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            sigstore_id_token: lookup("SIGSTORE_ID_TOKEN").map(Zeroizing::new),
            actions_id_token_request_url: lookup("ACTIONS_ID_TOKEN_REQUEST_URL"),
            actions_id_token_request_token: lookup("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
                .map(Zeroizing::new),
            cosign_token_file: PathBuf::from(COSIGN_TOKEN_FILE),
        }
    }
}

/// One ambient provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmbientProvider {
    /// GitHub Actions' OIDC token service.
    GitHubActions,
    /// `SIGSTORE_ID_TOKEN`.
    EnvVar,
    /// cosign's token file.
    Filesystem,
}

/// Names gitsign accepts that gitseal does not implement.
const UNSUPPORTED: &[&str] = &[
    "buildkite-agent",
    "google-workload-identity",
    "google-impersonate",
    "spiffe",
];

/// The enabled providers, in cosign's registration order.
pub fn enabled_providers(env: &AmbientEnv) -> Vec<AmbientProvider> {
    [
        AmbientProvider::GitHubActions,
        AmbientProvider::EnvVar,
        AmbientProvider::Filesystem,
    ]
    .into_iter()
    .filter(|p| p.enabled(env))
    .collect()
}

#[derive(Deserialize)]
struct ActionsTokenResponse {
    value: String,
}

impl AmbientProvider {
    /// The provider's name as `gitsign.tokenProvider` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            AmbientProvider::GitHubActions => "github-actions",
            AmbientProvider::EnvVar => "envvar",
            AmbientProvider::Filesystem => "filesystem",
        }
    }

    /// Looks a name up.
    pub fn from_name(name: &str) -> Result<Self, OidcError> {
        match name {
            "github-actions" => Ok(AmbientProvider::GitHubActions),
            "envvar" => Ok(AmbientProvider::EnvVar),
            "filesystem" => Ok(AmbientProvider::Filesystem),
            n if UNSUPPORTED.contains(&n) => Err(OidcError::UnsupportedProvider(n.to_owned())),
            n => Err(OidcError::UnknownProvider(n.chars().take(60).collect())),
        }
    }

    /// cosign's `Enabled()`.
    pub fn enabled(&self, env: &AmbientEnv) -> bool {
        match self {
            AmbientProvider::GitHubActions => {
                env.actions_id_token_request_url
                    .as_deref()
                    .is_some_and(|s| !s.is_empty())
                    && env
                        .actions_id_token_request_token
                        .as_deref()
                        .is_some_and(|s| !s.is_empty())
            }
            AmbientProvider::EnvVar => env.sigstore_id_token.is_some(),
            AmbientProvider::Filesystem => env.cosign_token_file.exists(),
        }
    }

    /// Fetches the token. `audience` is the OAuth client id (`sigstore` by default).
    pub fn fetch(
        &self,
        env: &AmbientEnv,
        audience: &str,
        transport: &dyn Transport,
    ) -> Result<IdentityToken, OidcError> {
        let unavailable = |reason: &str| OidcError::ProviderUnavailable {
            provider: self.name(),
            reason: reason.to_owned(),
        };
        match self {
            AmbientProvider::EnvVar => {
                let v = env
                    .sigstore_id_token
                    .as_ref()
                    .ok_or_else(|| unavailable("SIGSTORE_ID_TOKEN is not set"))?;
                if v.trim().is_empty() {
                    return Err(unavailable("SIGSTORE_ID_TOKEN is empty"));
                }
                Ok(IdentityToken::parse(v)?)
            }
            AmbientProvider::Filesystem => {
                let bytes = Zeroizing::new(std::fs::read(&env.cosign_token_file).map_err(|e| {
                    unavailable(&format!(
                        "cannot read {}: {e}",
                        env.cosign_token_file.display()
                    ))
                })?);
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| unavailable("the token file is not UTF-8"))?;
                Ok(IdentityToken::parse(text)?)
            }
            AmbientProvider::GitHubActions => {
                let (Some(url), Some(bearer)) = (
                    env.actions_id_token_request_url.as_deref(),
                    env.actions_id_token_request_token.as_deref(),
                ) else {
                    return Err(unavailable(
                        "ACTIONS_ID_TOKEN_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set",
                    ));
                };
                // GitHub's URL already carries `?api-version=…`; cosign appends `&audience=`.
                let sep = if url.contains('?') { '&' } else { '?' };
                let url = format!(
                    "{url}{sep}audience={}",
                    crate::transport::form_component(audience)
                );
                // cosign sends `bearer` in lower case; header values are case-insensitive for
                // the scheme (RFC 9110 §11.1), GitHub accepts both.
                let value = Zeroizing::new(format!("bearer {bearer}"));
                let req = Request::get(Service::CiTokenService, url)
                    .header("Authorization", &value)
                    .header("Accept", "application/json");
                let resp = transport.send(&req)?;
                if resp.status != 200 {
                    return Err(unavailable(&format!(
                        "the GitHub Actions token service answered HTTP {}: {}",
                        resp.status,
                        resp.body_excerpt()
                    )));
                }
                let parsed: ActionsTokenResponse = resp
                    .json()
                    .map_err(|_| unavailable("the GitHub Actions token service sent no `value`"))?;
                let value = Zeroizing::new(parsed.value);
                Ok(IdentityToken::parse(&value)?)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::oidc::token::tests::fake_jwt;
    use crate::transport::test_server::{FakeServer, Reply, fast_transport};

    fn jwt() -> String {
        fake_jwt(
            &serde_json::json!({"iss": "https://token.actions.githubusercontent.com",
            "sub": "repo:o/r:ref:refs/heads/main", "aud": "sigstore"}),
        )
    }

    #[test]
    fn from_lookup_reads_the_three_variables() {
        let env = AmbientEnv::from_lookup(|k| match k {
            "SIGSTORE_ID_TOKEN" => Some(String::new()),
            "ACTIONS_ID_TOKEN_REQUEST_URL" => Some("http://x".into()),
            _ => None,
        });
        assert_eq!(
            env.sigstore_id_token.as_deref().map(String::as_str),
            Some("")
        );
        assert!(!AmbientProvider::GitHubActions.enabled(&env));
        assert!(AmbientProvider::EnvVar.enabled(&env));
        // Set-but-empty is enabled and then fails clearly.
        let err = AmbientProvider::EnvVar
            .fetch(&env, "sigstore", &fast_transport())
            .unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn github_actions_request_is_exact() {
        let token = jwt();
        let t2 = token.clone();
        let server = FakeServer::start(move |_| {
            Reply::json(200, &serde_json::json!({"count": 1, "value": t2}))
        });
        let env = AmbientEnv {
            actions_id_token_request_url: Some(format!("{}/token?api-version=2.0", server.url())),
            actions_id_token_request_token: Some(Zeroizing::new("runner-secret".into())),
            ..AmbientEnv::default()
        };
        let t = AmbientProvider::GitHubActions
            .fetch(&env, "sigstore", &fast_transport())
            .unwrap();
        assert_eq!(t.expose_secret(), token);
        let seen = &server.seen()[0];
        assert_eq!(seen.method, "GET");
        assert_eq!(seen.target, "/token?api-version=2.0&audience=sigstore");
        assert_eq!(seen.header("authorization"), Some("bearer runner-secret"));
    }

    #[test]
    fn github_actions_error_is_reported_without_the_secret() {
        let server = FakeServer::start(|_| Reply::new(403, "forbidden"));
        let env = AmbientEnv {
            actions_id_token_request_url: Some(format!("{}/token?api-version=2.0", server.url())),
            actions_id_token_request_token: Some(Zeroizing::new("runner-secret".into())),
            ..AmbientEnv::default()
        };
        let err = AmbientProvider::GitHubActions
            .fetch(&env, "sigstore", &fast_transport())
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("403"), "{msg}");
        assert!(!msg.contains("runner-secret"), "{msg}");
    }

    #[test]
    fn filesystem_provider_reads_the_file() {
        let dir = std::env::temp_dir().join(format!("gitseal-ambient-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("oidc-token");
        let token = jwt();
        std::fs::write(&path, format!("{token}\n")).unwrap();
        let env = AmbientEnv {
            cosign_token_file: path,
            ..AmbientEnv::default()
        };
        assert_eq!(enabled_providers(&env), vec![AmbientProvider::Filesystem]);
        let t = AmbientProvider::Filesystem
            .fetch(&env, "sigstore", &fast_transport())
            .unwrap();
        assert_eq!(t.expose_secret(), token);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
