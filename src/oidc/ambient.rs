//! Ambient identity tokens: the ones a CI system or the environment already holds (cosign's
//! providers as gitsign registers them, compat §5.1). Supported, in cosign's registration order:
//!
//! 1. `github-actions`: enabled when `ACTIONS_ID_TOKEN_REQUEST_URL` and
//!    `ACTIONS_ID_TOKEN_REQUEST_TOKEN` are both non-empty; `GET $URL&audience=<client id>` with
//!    `Authorization: bearer $TOKEN`, answer `{"value": "<jwt>"}` (GitHub's OIDC token service).
//! 2. `buildkite-agent`: enabled when `BUILDKITE=true` (set by the Buildkite agent in every
//!    job) and an executable `buildkite-agent` is on `PATH`; runs
//!    `buildkite-agent oidc request-token --audience <client id>` and reads the token from its
//!    standard output (Buildkite's documented way for a job to get an OIDC token; cosign calls
//!    the same agent API directly with `BUILDKITE_AGENT_ACCESS_TOKEN`, which gitseal does not
//!    read, so the secret stays with the agent).
//! 3. `envvar`: enabled when `SIGSTORE_ID_TOKEN` is set (even empty); the value verbatim. This
//!    is also GitLab CI's: a job declares `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`.
//! 4. `filesystem`: enabled when `/var/run/sigstore/cosign/oidc-token` exists; its contents.
//!
//! Not implemented (named in errors, never guessed at): `google-workload-identity`,
//! `google-impersonate`, `spiffe`.
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
    /// `BUILDKITE` (`true` in a Buildkite job).
    pub buildkite: Option<String>,
    /// `PATH`, where the `buildkite-agent` provider looks for the agent.
    pub path: Option<String>,
}

impl Default for AmbientEnv {
    fn default() -> Self {
        Self {
            sigstore_id_token: None,
            actions_id_token_request_url: None,
            actions_id_token_request_token: None,
            cosign_token_file: PathBuf::from(COSIGN_TOKEN_FILE),
            buildkite: None,
            path: None,
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
            buildkite: lookup("BUILDKITE"),
            path: lookup("PATH"),
        }
    }
}

/// One ambient provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmbientProvider {
    /// GitHub Actions' OIDC token service.
    GitHubActions,
    /// `buildkite-agent oidc request-token`.
    Buildkite,
    /// `SIGSTORE_ID_TOKEN`.
    EnvVar,
    /// cosign's token file.
    Filesystem,
}

/// Names gitsign accepts that gitseal does not implement.
const UNSUPPORTED: &[&str] = &["google-workload-identity", "google-impersonate", "spiffe"];

/// The enabled providers, in cosign's registration order.
pub fn enabled_providers(env: &AmbientEnv) -> Vec<AmbientProvider> {
    [
        AmbientProvider::GitHubActions,
        AmbientProvider::Buildkite,
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
            AmbientProvider::Buildkite => "buildkite-agent",
            AmbientProvider::EnvVar => "envvar",
            AmbientProvider::Filesystem => "filesystem",
        }
    }

    /// Looks a name up.
    pub fn from_name(name: &str) -> Result<Self, OidcError> {
        match name {
            "github-actions" => Ok(AmbientProvider::GitHubActions),
            "buildkite-agent" => Ok(AmbientProvider::Buildkite),
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
            AmbientProvider::Buildkite => {
                env.buildkite.as_deref() == Some("true") && buildkite_agent(env).is_some()
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
            AmbientProvider::Buildkite => {
                if env.buildkite.as_deref() != Some("true") {
                    return Err(unavailable(
                        "BUILDKITE is not \"true\": not a Buildkite job",
                    ));
                }
                let agent = buildkite_agent(env)
                    .ok_or_else(|| unavailable("no executable buildkite-agent on PATH"))?;
                request_buildkite_token(&agent, audience, BUILDKITE_AGENT_TIMEOUT)
                    .map_err(|reason| unavailable(&reason))
            }
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

/// The `buildkite-agent` executable on `env.path`, first match in `PATH` order.
fn buildkite_agent(env: &AmbientEnv) -> Option<PathBuf> {
    let path = env.path.as_deref()?;
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join("buildkite-agent"))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &std::path::Path) -> bool {
    p.is_file()
}

/// How long the agent may take: it asks the Buildkite agent API over the network, which
/// answers in well under a second; a hung agent must not hang `git commit`.
const BUILDKITE_AGENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `agent oidc request-token --audience <audience>` and parses the token it prints. The
/// token never leaves memory (zeroized); the agent's stderr (no token in it) is quoted,
/// shortened, in the error. The agent is killed after [`BUILDKITE_AGENT_TIMEOUT`].
fn request_buildkite_token(
    agent: &std::path::Path,
    audience: &str,
    timeout: std::time::Duration,
) -> Result<IdentityToken, String> {
    use std::io::Read;
    use std::process::Stdio;
    // Starting the Buildkite agent is this provider's job: one of the places gitseal starts a
    // process (scripts/clippy.toml; pinned in tests/integration/docs.rs).
    #[allow(clippy::disallowed_methods)]
    let mut child = std::process::Command::new(agent)
        .args(["oidc", "request-token", "--audience", audience])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", agent.display()))?;
    // Drain both pipes on threads so a chatty agent cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Zeroizing::new(Vec::new());
            if let Some(p) = pipe {
                let _ = p.take(64 * 1024).read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`buildkite-agent oidc request-token` did not finish within {} ms",
                    timeout.as_millis()
                ));
            }
            Err(e) => return Err(format!("waiting for buildkite-agent: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let err = String::from_utf8_lossy(&stderr);
        let err: String = err.trim().chars().take(300).collect();
        return Err(format!(
            "`buildkite-agent oidc request-token` failed ({status}): {err}"
        ));
    }
    let text = std::str::from_utf8(&stdout)
        .map_err(|_| "`buildkite-agent oidc request-token` printed no UTF-8 token".to_string())?;
    IdentityToken::parse(text.trim())
        .map_err(|e| format!("`buildkite-agent oidc request-token` printed no token: {e}"))
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

    /// A directory holding an executable `buildkite-agent` script with `body`; it records its
    /// arguments in `args` beside itself.
    fn fake_agent(tag: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("gitseal-bk-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("buildkite-agent");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\n{body}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    fn buildkite_env(buildkite: Option<&str>, dir: &std::path::Path) -> AmbientEnv {
        AmbientEnv {
            buildkite: buildkite.map(str::to_string),
            path: Some(format!("/nonexistent/bin:{}", dir.display())),
            cosign_token_file: "/nonexistent/gitseal/oidc-token".into(),
            ..AmbientEnv::default()
        }
    }

    #[test]
    fn buildkite_agent_is_run_only_in_a_buildkite_job_with_the_agent_on_path() {
        let token = jwt();
        let dir = fake_agent("ok", &format!("echo '{token}'"));
        let env = buildkite_env(Some("true"), &dir);
        assert_eq!(enabled_providers(&env), vec![AmbientProvider::Buildkite]);
        let t = AmbientProvider::Buildkite
            .fetch(&env, "sigstore", &fast_transport())
            .unwrap();
        assert_eq!(t.expose_secret(), token);
        let args = std::fs::read_to_string(dir.join("args")).unwrap();
        assert_eq!(args, "oidc\nrequest-token\n--audience\nsigstore\n");
        assert_eq!(
            AmbientProvider::from_name("buildkite-agent").unwrap(),
            AmbientProvider::Buildkite
        );

        // Not a Buildkite job (BUILDKITE unset or not "true"): not enabled, and not run.
        std::fs::remove_file(dir.join("args")).unwrap();
        for b in [None, Some("false"), Some("1")] {
            let env = buildkite_env(b, &dir);
            assert!(enabled_providers(&env).is_empty(), "{b:?}");
            assert!(
                AmbientProvider::Buildkite
                    .fetch(&env, "sigstore", &fast_transport())
                    .is_err()
            );
        }
        assert!(
            !dir.join("args").exists(),
            "the agent ran outside a Buildkite job"
        );

        // No agent on PATH, or a file that cannot be executed, or a relative PATH entry.
        let empty = std::env::temp_dir().join(format!("gitseal-bk-none-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        assert!(!AmbientProvider::Buildkite.enabled(&buildkite_env(Some("true"), &empty)));
        let noexec = fake_agent("noexec", "true");
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(
                noexec.join("buildkite-agent"),
                std::fs::Permissions::from_mode(0o644),
            )
            .unwrap();
        }
        assert!(!AmbientProvider::Buildkite.enabled(&buildkite_env(Some("true"), &noexec)));
        let relative = AmbientEnv {
            path: Some("bin".into()),
            ..buildkite_env(Some("true"), &empty)
        };
        assert!(!AmbientProvider::Buildkite.enabled(&relative));
        for d in [&dir, &empty, &noexec] {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    #[test]
    fn buildkite_agent_failure_is_reported() {
        let dir = fake_agent("fail", "echo 'oidc: job not permitted' >&2; exit 3");
        let env = buildkite_env(Some("true"), &dir);
        let e = AmbientProvider::Buildkite
            .fetch(&env, "sigstore", &fast_transport())
            .unwrap_err()
            .to_string();
        assert!(e.contains("job not permitted"), "{e}");
        assert!(e.contains("buildkite-agent"), "{e}");
        let dir2 = fake_agent("garbage", "echo 'not a token'");
        let e = AmbientProvider::Buildkite
            .fetch(
                &buildkite_env(Some("true"), &dir2),
                "sigstore",
                &fast_transport(),
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("printed no token"), "{e}");
        assert!(
            !e.contains("not a token"),
            "the agent's output is not echoed: {e}"
        );
        // A hung agent is killed at the deadline.
        let dir3 = fake_agent("hang", "exec sleep 30");
        let started = std::time::Instant::now();
        let e = request_buildkite_token(
            &dir3.join("buildkite-agent"),
            "sigstore",
            std::time::Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(e.contains("did not finish within 300 ms"), "{e}");
        let took = started.elapsed();
        assert!(took >= std::time::Duration::from_millis(300), "{took:?}");
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
        let _ = std::fs::remove_dir_all(&dir3);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&dir2);
    }
}
