//! A local, faithful Sigstore for tests and demos: OIDC issuer, Fulcio, CT log and Rekor on
//! 127.0.0.1, with trust material for clients and switchable faults.
//!
//! This module owns the public API ([`Testbed`], [`TestbedConfig`], [`TokenRequest`],
//! [`TrustMaterial`], the fault switches re-exported from [`faults`]) and the request dispatcher
//! that routes one loopback port to the services:
//!
//! | URL | service |
//! |---|---|
//! | `{base}/oidc` | OIDC issuer (`oidc.rs`): discovery, JWKS, `/auth`, `/consent`, `/token`, `/device/code` |
//! | `{base}` | Fulcio (`fulcio.rs`): `/api/v2/signingCert`, `/api/v2/trustBundle`, `/api/v1/signingCert`, `/api/v1/rootCert` |
//! | `{base}` | Rekor v1 (`rekor.rs`): `/api/v1/log…`, `/api/v1/index/retrieve` |
//! | `{base}/tuf/` | the testbed's trust as a TUF repository (`tuf.rs`): `trusted_root.json`, `signing_config.v0.2.json` |
//! | `{base}` | RFC 3161 TSA (`tsa.rs`): `/api/v1/timestamp`, `/api/v1/timestamp/certchain` |
//! | `{base}` | Rekor v2 (`rekor_v2.rs`): `/api/v2/log/entries`, `/checkpoint`, `/tile/…` |
//! | `{base}/__testbed` | admin: `faults`, `token`, `identity`, `info`, `tuf` (not part of any real service) |
//!
//! Fulcio trusts the testbed's own issuer and, like a real Fulcio's `OIDCIssuers`, any other
//! issuers listed in [`TestbedConfig::extra_issuers`] ([`OidcIssuerConfig`]: issuer URL, client
//! id, Fulcio issuer type), whose keys it fetches on demand from their discovery documents
//! (`federation.rs`); they must be on loopback.
//!
//! Faults are switched per endpoint, one-shot/counted or sticky, from Rust
//! (`tb.faults().once(Endpoint::RekorCreateEntry, Fault::Status(503))`,
//! `tb.faults().set(Endpoint::FulcioSigningCertV2, Fault::WrongSct)`) or over HTTP
//! (`POST /__testbed/faults` with `{"endpoint":"rekor.createEntry","fault":"status","status":503,"times":1}`;
//! `GET` lists, `DELETE [?endpoint=…]` clears); see [`faults`] for the catalogue.
//!
//! It is never part of the signing binary's behaviour (it sits behind the `testbed` feature),
//! binds loopback only, never reaches the network, and never depends on other `gitseal` modules:
//! it is an independent implementation of the server side, so the client and verifier code can
//! be tested against it rather than against themselves.

mod canon;
mod crypto;
mod ct;
pub mod faults;
mod federation;
mod fulcio;
mod http;
mod merkle;
mod oidc;
mod rekor;
mod rekor_v2;
mod rotate;
mod store;
pub mod tls;
mod trust;
pub mod tsa;
pub mod tuf;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};

pub use faults::{Endpoint, Fault, FaultError, FaultSpec, Faults};
pub use federation::{IssuerType, OidcIssuerConfig};

use http::{HttpServer, Request, Response, StopSignal};

/// Everything that can go wrong starting or driving the testbed.
#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    /// A file in the testbed directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The listener could not be bound or started.
    #[error("HTTP server: {0}")]
    Http(String),
    /// Key generation, signing or certificate encoding failed.
    #[error("crypto: {0}")]
    Crypto(String),
    /// The testbed directory holds inconsistent or corrupt state.
    #[error("testbed state: {0}")]
    State(String),
    /// The configuration or a request to the API is not usable.
    #[error("configuration: {0}")]
    Config(String),
}

/// How to start a testbed. `TestbedConfig::default()` is ready for tests.
#[derive(Clone, Debug)]
pub struct TestbedConfig {
    /// Directory for keys, certificates, the Rekor log and the trust files. `None` makes a
    /// private temporary directory that is removed when the testbed stops. Reusing a directory
    /// keeps keys and log entries across restarts.
    pub dir: Option<PathBuf>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The email address the browser and device flows approve.
    pub identity: String,
    /// The only OAuth client id the issuer accepts (also the required token audience).
    pub client_id: String,
    /// Lifetime of ID tokens.
    pub token_lifetime: Duration,
    /// Lifetime of authorization codes.
    pub code_lifetime: Duration,
    /// Validity of issued certificates (Fulcio: 10 minutes).
    pub cert_lifetime: Duration,
    /// Minimum time between device-flow polls; faster polls get `slow_down`. Reported to
    /// clients rounded up to whole seconds (at least 1).
    pub device_interval: Duration,
    /// How much each `slow_down` adds to the interval (RFC 8628 §3.5: 5 seconds).
    pub device_slow_down_increment: Duration,
    /// How many well-paced polls answer `authorization_pending` before the token is issued.
    pub device_approve_after_polls: u32,
    /// Lifetime of device codes.
    pub device_code_lifetime: Duration,
    /// Offset from Rekor's shard-local index to the global `logIndex`; used only when the
    /// directory is created (it is persisted).
    pub rekor_shard_offset: u64,
    /// Upper bound of a `hang` fault (it also ends when the testbed stops).
    pub hang_limit: Duration,
    /// Other OIDC issuers Fulcio accepts tokens from (Fulcio's `OIDCIssuers`); loopback only.
    pub extra_issuers: Vec<OidcIssuerConfig>,
    /// Show a consent page at `/oidc/auth` (approve or deny, as a certified provider does for
    /// native clients) instead of redirecting straight back with a code. Off by default, so
    /// clients that only follow the redirect keep working; `gitseal-testbed serve` turns it on.
    pub consent_page: bool,
    /// Put `email`/`email_verified` in ID tokens when the `email` scope was requested (true, what
    /// Sigstore's Dex and Fulcio need). False behaves like an OpenID-conformant provider that
    /// returns scope-requested claims only from userinfo: the ID token carries no email.
    pub email_in_id_token: bool,
    /// Make Fulcio write this text into every leaf's OIDC-issuer extensions
    /// (1.3.6.1.4.1.57264.1.1 and .1.8) instead of the token's `iss`: a misconfigured or
    /// compromised CA that certifies whatever issuer it is told, for testing what verifiers do
    /// with hostile issuer text (newlines, NULs). `None` (the default): the token's `iss`, as
    /// Fulcio does.
    pub certificate_issuer: Option<String>,
    /// Serve every service over HTTPS ([`tls`]): a CA of the testbed's own, written as
    /// `DIR/tls-ca.pem`, and `https://127.0.0.1:<port>` URLs. Clients must trust the CA
    /// (`SSL_CERT_FILE` or `gitseal.caBundle`).
    pub tls: bool,
}

impl Default for TestbedConfig {
    fn default() -> Self {
        TestbedConfig {
            dir: None,
            port: 0,
            identity: "gitseal-testbed@example.com".into(),
            client_id: "sigstore".into(),
            token_lifetime: Duration::from_secs(600),
            code_lifetime: Duration::from_secs(60),
            cert_lifetime: Duration::from_secs(600),
            device_interval: Duration::from_secs(5),
            device_slow_down_increment: Duration::from_secs(5),
            device_approve_after_polls: 2,
            device_code_lifetime: Duration::from_secs(300),
            rekor_shard_offset: 1_000_000,
            hang_limit: Duration::from_secs(60),
            extra_issuers: Vec::new(),
            consent_page: false,
            email_in_id_token: true,
            certificate_issuer: None,
            tls: false,
        }
    }
}

/// What to put in a token minted directly by a test (no browser flow).
///
/// `TokenRequest::email(..)` gives an email identity (`email_verified: true`); `subject(..)` a
/// CI-style URI subject; `github_workflow(..)` a GitHub Actions-shaped token and
/// `gitlab_pipeline(..)` a GitLab CI-shaped one, whose claims Fulcio turns into the CI
/// extensions. The other fields override defaults to make bad tokens.
/// Also accepted as JSON by `POST /__testbed/token` (camelCase field names).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TokenRequest {
    /// `email` claim.
    pub email: Option<String>,
    /// `email_verified` (default true when `email` is set).
    pub email_verified: Option<bool>,
    /// `sub` (default: an opaque id derived from the email).
    pub subject: Option<String>,
    /// `aud` (default: the client id).
    pub audience: Option<String>,
    /// `iss` (default: the testbed issuer).
    pub issuer: Option<String>,
    /// `iat` in Unix seconds (default: now).
    pub issued_at: Option<u64>,
    /// `exp` in Unix seconds (default: `iat` + token lifetime).
    pub expires_at: Option<u64>,
    /// `nbf` in Unix seconds (default: absent).
    pub not_before: Option<u64>,
    /// `nonce` (default: absent).
    pub nonce: Option<String>,
    /// Extra claims, e.g. GitHub workflow claims.
    pub claims: Map<String, Value>,
    /// Sign with a throwaway key instead of the issuer's (a token that fails verification).
    pub untrusted_key: bool,
}

impl TokenRequest {
    /// An email identity.
    pub fn email(email: &str) -> TokenRequest {
        TokenRequest {
            email: Some(email.to_owned()),
            ..TokenRequest::default()
        }
    }

    /// A URI subject without email (CI-style); Fulcio puts it in a URI SAN.
    pub fn subject(uri: &str) -> TokenRequest {
        TokenRequest {
            subject: Some(uri.to_owned()),
            ..TokenRequest::default()
        }
    }

    /// A GitHub Actions-style token for `repository` (`owner/name`) running
    /// `.github/workflows/<workflow_file>` at `git_ref` and commit `sha`. The certificate's URI
    /// SAN becomes `https://github.com/<repository>/.github/workflows/<workflow_file>@<git_ref>`.
    pub fn github_workflow(
        repository: &str,
        workflow_file: &str,
        git_ref: &str,
        sha: &str,
    ) -> TokenRequest {
        let owner = repository.split('/').next().unwrap_or(repository);
        let wf_ref = format!("{repository}/.github/workflows/{workflow_file}@{git_ref}");
        let mut claims = Map::new();
        for (k, v) in [
            ("job_workflow_ref", wf_ref.as_str()),
            ("job_workflow_sha", sha),
            ("workflow_ref", wf_ref.as_str()),
            ("workflow_sha", sha),
            (
                "workflow",
                workflow_file
                    .trim_end_matches(".yml")
                    .trim_end_matches(".yaml"),
            ),
            ("repository", repository),
            ("repository_owner", owner),
            ("repository_id", "100001"),
            ("repository_owner_id", "200002"),
            ("repository_visibility", "public"),
            ("event_name", "push"),
            ("ref", git_ref),
            ("sha", sha),
            ("run_id", "300003"),
            ("run_attempt", "1"),
            ("runner_environment", "github-hosted"),
        ] {
            claims.insert(k.into(), Value::String(v.into()));
        }
        TokenRequest {
            subject: Some(format!("repo:{repository}:ref:{git_ref}")),
            claims,
            ..TokenRequest::default()
        }
    }

    /// A GitLab CI `id_tokens` token (`aud: sigstore`) for project `project` (`group/name`)
    /// running `.gitlab-ci.yml` on `git_ref` (`refs/heads/…` or `refs/tags/…`) on a
    /// `runner_environment` runner (`gitlab-hosted` or `self-hosted`), with the claims GitLab's
    /// tokens carry and Fulcio's `gitlabcom` principal requires
    /// (`pkg/identity/gitlabcom/principal.go`). The certificate's URI SAN becomes
    /// `https://gitlab.com/<project>//.gitlab-ci.yml@<git_ref>`.
    pub fn gitlab_pipeline(project: &str, git_ref: &str, runner_environment: &str) -> TokenRequest {
        let namespace = project.rsplit_once('/').map_or(project, |(ns, _)| ns);
        let (ref_type, short_ref) = match git_ref.strip_prefix("refs/tags/") {
            Some(t) => ("tag", t),
            None => (
                "branch",
                git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref),
            ),
        };
        let mut claims = Map::new();
        for (k, v) in [
            ("namespace_id", "4000"),
            ("namespace_path", namespace),
            ("project_id", "5000"),
            ("project_path", project),
            ("user_id", "6000"),
            ("user_login", "release-bot"),
            ("pipeline_id", "7000"),
            ("pipeline_source", "push"),
            ("job_id", "8000"),
            ("ref", short_ref),
            ("ref_type", ref_type),
            ("ref_path", git_ref),
            ("ref_protected", "true"),
            ("runner_environment", runner_environment),
            ("sha", "0123456789abcdef0123456789abcdef01234567"),
            ("project_visibility", "private"),
            (
                "ci_config_ref_uri",
                &format!("gitlab.com/{project}//.gitlab-ci.yml@{git_ref}"),
            ),
            ("ci_config_sha", "89abcdef0123456789abcdef0123456789abcdef"),
        ] {
            claims.insert(k.into(), Value::String(v.into()));
        }
        // GitLab sends runner_id as a number (Fulcio reads an int64).
        claims.insert("runner_id".into(), Value::from(9000));
        TokenRequest {
            subject: Some(format!(
                "project_path:{project}:ref_type:{ref_type}:ref:{short_ref}"
            )),
            claims,
            ..TokenRequest::default()
        }
    }

    /// A Buildkite job token (`buildkite-agent oidc request-token`) for pipeline
    /// `organization/pipeline` building `git_ref`. Fulcio's `buildkite` principal makes the SAN
    /// `https://buildkite.com/<organization>/<pipeline>` and adds only the issuer extensions.
    pub fn buildkite_job(organization: &str, pipeline: &str, git_ref: &str) -> TokenRequest {
        let mut claims = Map::new();
        for (k, v) in [
            ("organization_slug", organization),
            ("pipeline_slug", pipeline),
            (
                "build_branch",
                git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref),
            ),
            ("build_commit", "0123456789abcdef0123456789abcdef01234567"),
            ("build_number", "42"),
            ("step_key", "sign"),
            ("job_id", "0190-job"),
            ("agent_id", "0190-agent"),
        ] {
            claims.insert(k.into(), Value::String(v.into()));
        }
        TokenRequest {
            subject: Some(format!(
                "organization:{organization}:pipeline:{pipeline}:ref:{git_ref}:commit:0123456789abcdef0123456789abcdef01234567:step:sign"
            )),
            claims,
            ..TokenRequest::default()
        }
    }

    /// Add or replace a claim.
    pub fn with_claim(mut self, name: &str, value: Value) -> TokenRequest {
        self.claims.insert(name.to_owned(), value);
        self
    }
}

/// Trust material of a running testbed: the documents clients load and the raw keys and
/// certificates behind them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TrustMaterial {
    /// `trusted_root.json` text.
    pub trusted_root_json: String,
    /// `signing_config.json` text.
    pub signing_config_json: String,
    /// `client_trust_config.json` text (sigstore-python's `--trust-config`).
    pub client_trust_config_json: String,
    /// Where `trusted_root.json` was written.
    pub trusted_root_path: PathBuf,
    /// Where `signing_config.json` was written.
    pub signing_config_path: PathBuf,
    /// Where `client_trust_config.json` was written.
    pub client_trust_config_path: PathBuf,
    /// Fulcio root certificate (P-384, self-signed), PEM.
    pub fulcio_root_pem: String,
    /// Fulcio intermediate certificate (P-384), PEM.
    pub fulcio_intermediate_pem: String,
    /// Fulcio root certificate, DER.
    pub fulcio_root_der: Vec<u8>,
    /// Fulcio intermediate certificate, DER.
    pub fulcio_intermediate_der: Vec<u8>,
    /// Rekor public key, DER SubjectPublicKeyInfo (P-256).
    pub rekor_public_key_der: Vec<u8>,
    /// Rekor public key, PEM.
    pub rekor_public_key_pem: String,
    /// Rekor log id = SHA-256 of the DER SubjectPublicKeyInfo.
    pub rekor_log_id: [u8; 32],
    /// Rekor tree id (decimal in checkpoint origins, 16 hex digits in entry UUIDs).
    pub rekor_tree_id: u64,
    /// Global `logIndex` = shard-local index + this.
    pub rekor_shard_offset: u64,
    /// Checkpoint origin line, `gitseal-testbed - <tree id>`.
    pub checkpoint_origin: String,
    /// Rekor v2 log key, DER SubjectPublicKeyInfo (Ed25519).
    pub rekor_v2_public_key_der: Vec<u8>,
    /// Rekor v2 log id: the C2SP signed-note key id of its key under its origin.
    pub rekor_v2_log_id: [u8; 32],
    /// Rekor v2 checkpoint origin (and signer name): the host of the testbed's URL.
    pub rekor_v2_origin: String,
    /// CT log public key, DER SubjectPublicKeyInfo (P-256).
    pub ct_public_key_der: Vec<u8>,
    /// CT log public key, PEM.
    pub ct_public_key_pem: String,
    /// CT log id = SHA-256 of the DER SubjectPublicKeyInfo.
    pub ct_log_id: [u8; 32],
    /// The issuer's JWKS document.
    pub oidc_jwks_json: String,
    /// Unix time every `validFor.start` names (a day before the keys were made).
    pub valid_from_unix: u64,
    /// The TSA's RFC 3161 endpoint (`{base}/api/v1/timestamp`).
    pub tsa_url: String,
    /// The TSA chain as PEM, signing certificate first (also `DIR/tsa-chain.pem`).
    pub tsa_chain_pem: String,
    /// The TSA signing certificate, DER.
    pub tsa_leaf_der: Vec<u8>,
    /// The TSA root certificate, DER.
    pub tsa_root_der: Vec<u8>,
}

struct App {
    issuer: oidc::Issuer,
    federation: federation::Federation,
    /// Swapped by a CA rotation (`rotate.rs`); read through [`App::fulcio`].
    fulcio: std::sync::RwLock<Arc<fulcio::Fulcio>>,
    /// The trust published at `{base}/tuf/`.
    tuf: tuf::TufRepo,
    /// The documents behind the trust files and TUF targets.
    published: std::sync::Mutex<rotate::Published>,
    dir: PathBuf,
    rekor: rekor::Rekor,
    tsa: tsa::Tsa,
    rekor_v2: rekor_v2::RekorV2,
    faults: Faults,
    stop: Arc<StopSignal>,
    hang_limit: Duration,
    info: Value,
}

/// A running testbed. Stops (and removes its private directory, if it made one) on drop.
pub struct Testbed {
    /// The TLS front (`tls`), stopped before the server it relays to.
    tls_front: Option<tls::TlsFront>,
    server: HttpServer,
    app: Arc<App>,
    dir: PathBuf,
    remove_dir_on_drop: bool,
    base_url: String,
    trust: TrustMaterial,
    client_id: String,
}

impl std::fmt::Debug for Testbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Testbed")
            .field("base_url", &self.base_url)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn random_tree_id() -> Result<u64, TestbedError> {
    let b = crypto::random_bytes(8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(&b);
    // A positive int64 with 19 decimal digits, like Trillian tree ids on the public log.
    Ok(1_000_000_000_000_000_000 + u64::from_be_bytes(a) % 8_000_000_000_000_000_000)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TestbedError + '_ {
    move |source| TestbedError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Testbed {
    /// Start a testbed. Loads or creates the keys, CA and log in the directory, binds
    /// 127.0.0.1, writes `trusted_root.json`, `signing_config.json`, `client_trust_config.json`
    /// (and `fulcio-root.pem`, `fulcio-intermediate.pem`, `rekor.pub`, `ctfe.pub`,
    /// `testbed.json`) into the directory, publishes the first two as a TUF repository
    /// (`tuf/`, first root `tuf-root.json`; [`tuf`]), and starts serving.
    pub fn start(config: TestbedConfig) -> Result<Testbed, TestbedError> {
        let (dir, remove_dir_on_drop) = match &config.dir {
            Some(d) => (d.clone(), false),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "gitseal-testbed-{}-{}",
                    std::process::id(),
                    hex::encode(crypto::random_bytes(6)?)
                ));
                (d, true)
            }
        };
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        match Self::start_in(config, dir.clone(), remove_dir_on_drop) {
            Ok(t) => Ok(t),
            Err(e) => {
                if remove_dir_on_drop {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                Err(e)
            }
        }
    }

    fn start_in(
        config: TestbedConfig,
        dir: PathBuf,
        remove_dir_on_drop: bool,
    ) -> Result<Testbed, TestbedError> {
        if config.client_id.is_empty() {
            return Err(TestbedError::Config("client_id must not be empty".into()));
        }
        let federation = federation::Federation::new(config.extra_issuers.clone())?;
        let store = store::Store::open(&dir)?;
        let (state, _) = store.load_or_init_state(|| {
            Ok(store::State {
                format_version: 1,
                created_at: crypto::now_unix(),
                tree_id: random_tree_id()?.to_string(),
                shard_offset: config.rekor_shard_offset,
            })
        })?;
        let tree_id: u64 = state
            .tree_id
            .parse()
            .map_err(|_| TestbedError::State("treeId in state.json is not a number".into()))?;
        let (root_key, root_new) = store.p384_key("root")?;
        let (inter_key, inter_new) = store.p384_key("intermediate")?;
        let (ct_key, _) = store.p256_key("ctlog")?;
        let (rekor_key, _) = store.p256_key("rekor")?;
        let (oidc_key, _) = store.p256_key("oidc")?;

        let root_pem = store.read_optional("fulcio-root.crt.pem")?;
        let inter_pem = store.read_optional("fulcio-intermediate.crt.pem")?;
        let (root_der, inter_der) = match (root_pem, inter_pem) {
            (Some(r), Some(i)) if !root_new && !inter_new => {
                let first = |text: &str, what: &str| {
                    crate::armor::blocks(text.as_bytes(), "CERTIFICATE")
                        .into_iter()
                        .next()
                        .ok_or_else(|| {
                            TestbedError::State(format!("{what} certificate is unreadable"))
                        })
                };
                (first(&r, "root")?, first(&i, "intermediate")?)
            }
            _ => {
                let (r, i) = fulcio::create_ca_certs(&root_key, &inter_key, state.created_at)?;
                store.write(
                    "fulcio-root.crt.pem",
                    crate::armor::pem("CERTIFICATE", &r).as_bytes(),
                )?;
                store.write(
                    "fulcio-intermediate.crt.pem",
                    crate::armor::pem("CERTIFICATE", &i).as_bytes(),
                )?;
                (r, i)
            }
        };
        drop(root_key);
        let (entries, log_file) = store.open_log()?;

        let stop = Arc::new(StopSignal::default());
        // With TLS the front takes the configured port and the plain listener any free one.
        let plain_port = if config.tls { 0 } else { config.port };
        let mut server =
            HttpServer::bind(plain_port, Arc::clone(&stop)).map_err(TestbedError::Http)?;
        let tls_front = if config.tls {
            let ca = tls::TlsCa::new("gitseal-testbed-tls")?;
            store::write_atomic(&dir.join("tls-ca.pem"), ca.ca_pem().as_bytes(), false)?;
            Some(tls::TlsFront::start(&ca, config.port, server.port())?)
        } else {
            None
        };
        let base_url = match &tls_front {
            Some(front) => format!("https://127.0.0.1:{}", front.port()),
            None => format!("http://127.0.0.1:{}", server.port()),
        };
        let issuer_url = format!("{base_url}/oidc");

        let issuer = oidc::Issuer::new(
            oidc_key,
            issuer_url.clone(),
            config.identity.clone(),
            oidc::OidcSettings {
                client_id: config.client_id.clone(),
                token_lifetime: config.token_lifetime,
                code_lifetime: config.code_lifetime,
                device_interval: config.device_interval,
                device_slow_down_increment: config.device_slow_down_increment,
                device_approve_after_polls: config.device_approve_after_polls,
                device_code_lifetime: config.device_code_lifetime,
                consent_page: config.consent_page,
                email_in_id_token: config.email_in_id_token,
            },
        )?;
        if federation.issuer(&issuer_url).is_some() {
            return Err(TestbedError::Config(format!(
                "{issuer_url} is the testbed's own issuer; it cannot also be an extra issuer"
            )));
        }
        let ct_spki = crypto::spki_p256(ct_key.verifying_key())?;
        let fulcio = fulcio::Fulcio::new(
            inter_key,
            root_der.clone(),
            inter_der.clone(),
            ct_key,
            config.cert_lifetime,
        )?
        .with_certificate_issuer(config.certificate_issuer.clone());
        let rekor_spki = crypto::spki_p256(rekor_key.verifying_key())?;
        let rekor = rekor::Rekor::new(rekor_key, tree_id, state.shard_offset, entries, log_file)?;
        // Sigstore clients take a v2 log's checkpoint origin from the host of its baseUrl.
        let rekor_v2 = rekor_v2::RekorV2::open(&store, "127.0.0.1")?;

        let valid_from = state.created_at.saturating_sub(86_400);
        let ct_url = format!("{base_url}/ct");
        let tsa = tsa::Tsa::load_or_create(&store, state.created_at)?;
        let tsa_url = format!("{base_url}{}", tsa::TIMESTAMP_PATH);
        let docs = trust::documents(&trust::TrustInputs {
            fulcio_url: &base_url,
            rekor_url: &base_url,
            issuer_url: &issuer_url,
            ct_url: &ct_url,
            root_der: &root_der,
            intermediate_der: &inter_der,
            rekor_spki: &rekor_spki,
            rekor_v2_spki: rekor_v2.spki(),
            rekor_v2_log_id: &rekor_v2.log_id(),
            ct_spki: &ct_spki,
            valid_from_unix: valid_from,
            tsa_url: &tsa_url,
            tsa_chain_der: &[tsa.leaf_der(), tsa.root_der()],
        })?;
        // Fulcio CA rotations made earlier in this directory stay in force (`rotate.rs`).
        let (fulcio, docs) = rotate::restore(&dir, fulcio, docs)?;
        let pretty = |v: &Value| {
            serde_json::to_string_pretty(v).map_err(|e| TestbedError::State(e.to_string()))
        };
        let trust = TrustMaterial {
            trusted_root_json: pretty(&docs.trusted_root)?,
            signing_config_json: pretty(&docs.signing_config)?,
            client_trust_config_json: pretty(&docs.client_trust_config)?,
            trusted_root_path: dir.join("trusted_root.json"),
            signing_config_path: dir.join("signing_config.json"),
            client_trust_config_path: dir.join("client_trust_config.json"),
            fulcio_root_pem: fulcio.root_pem().to_owned(),
            fulcio_intermediate_pem: fulcio.intermediate_pem().to_owned(),
            fulcio_root_der: fulcio.root_der().to_vec(),
            fulcio_intermediate_der: fulcio.intermediate_der().to_vec(),
            rekor_public_key_pem: crate::armor::pem("PUBLIC KEY", &rekor_spki),
            rekor_log_id: crypto::key_id(&rekor_spki),
            rekor_public_key_der: rekor_spki,
            rekor_tree_id: tree_id,
            rekor_shard_offset: state.shard_offset,
            checkpoint_origin: rekor.origin().to_owned(),
            rekor_v2_public_key_der: rekor_v2.spki().to_vec(),
            rekor_v2_log_id: rekor_v2.log_id(),
            rekor_v2_origin: rekor_v2.origin().to_owned(),
            ct_public_key_pem: crate::armor::pem("PUBLIC KEY", &ct_spki),
            ct_log_id: crypto::key_id(&ct_spki),
            ct_public_key_der: ct_spki,
            oidc_jwks_json: issuer.jwks().to_string(),
            valid_from_unix: valid_from,
            tsa_url: tsa_url.clone(),
            tsa_chain_pem: tsa.chain_pem(),
            tsa_leaf_der: tsa.leaf_der().to_vec(),
            tsa_root_der: tsa.root_der().to_vec(),
        };
        let write =
            |name: &str, text: &str| store::write_atomic(&dir.join(name), text.as_bytes(), false);
        write("trusted_root.json", &trust.trusted_root_json)?;
        write("signing_config.json", &trust.signing_config_json)?;
        write("client_trust_config.json", &trust.client_trust_config_json)?;
        write("fulcio-root.pem", &trust.fulcio_root_pem)?;
        write("fulcio-intermediate.pem", &trust.fulcio_intermediate_pem)?;
        write("rekor.pub", &trust.rekor_public_key_pem)?;
        write("ctfe.pub", &trust.ct_public_key_pem)?;
        let info = json!({
            "fulcioUrl": base_url,
            "rekorUrl": base_url,
            "tsaUrl": tsa_url,
            "issuerUrl": issuer_url,
            "clientId": config.client_id,
            "trustedIssuers": federation.issuers().iter().map(|i| json!({
                "IssuerURL": i.issuer_url,
                "ClientID": i.client_id,
                "Type": i.issuer_type.as_str(),
                "SubjectDomain": i.subject_domain,
            })).collect::<Vec<_>>(),
            "dir": dir.display().to_string(),
            "pid": std::process::id(),
        });
        let published = rotate::Published {
            trusted_root: docs.trusted_root,
            signing_config: docs.signing_config,
            client_trust_config: docs.client_trust_config,
        };
        let tuf = tuf::TufRepo::open(&dir, published.targets()?)?;
        let mut info = info;
        if let Some(m) = info.as_object_mut() {
            m.insert("tufUrl".into(), json!(format!("{base_url}/tuf")));
            m.insert(
                "tufRoot".into(),
                json!(tuf.initial_root_path().display().to_string()),
            );
        }
        write("testbed.json", &pretty(&info)?)?;

        let app = Arc::new(App {
            issuer,
            federation,
            fulcio: std::sync::RwLock::new(Arc::new(fulcio)),
            tuf,
            published: std::sync::Mutex::new(published),
            dir: dir.clone(),
            rekor,
            tsa,
            rekor_v2,
            faults: Faults::default(),
            stop,
            hang_limit: config.hang_limit,
            info,
        });
        let handler_app = Arc::clone(&app);
        server
            .serve(Arc::new(move |req| handler_app.handle(req)))
            .map_err(TestbedError::Http)?;
        Ok(Testbed {
            tls_front,
            server,
            app,
            dir,
            remove_dir_on_drop,
            base_url,
            trust,
            client_id: config.client_id,
        })
    }

    /// `http://127.0.0.1:<port>` (`https://` with [`TestbedConfig::tls`]).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound port (the TLS front's with [`TestbedConfig::tls`]).
    pub fn port(&self) -> u16 {
        self.tls_front
            .as_ref()
            .map_or_else(|| self.server.port(), tls::TlsFront::port)
    }

    /// `DIR/tls-ca.pem`, the CA of the testbed's HTTPS certificate, with
    /// [`TestbedConfig::tls`].
    pub fn tls_ca_path(&self) -> Option<PathBuf> {
        self.tls_front.as_ref().map(|_| self.dir.join("tls-ca.pem"))
    }

    /// Fulcio's base URL (same as [`base_url`](Self::base_url)).
    pub fn fulcio_url(&self) -> String {
        self.base_url.clone()
    }

    /// Rekor's base URL (same as [`base_url`](Self::base_url)).
    pub fn rekor_url(&self) -> String {
        self.base_url.clone()
    }

    /// The TSA's RFC 3161 endpoint (`{base}/api/v1/timestamp`).
    pub fn tsa_url(&self) -> String {
        self.trust.tsa_url.clone()
    }

    /// The OIDC issuer URL (`{base}/oidc`), exactly the `iss` of its tokens.
    pub fn issuer_url(&self) -> String {
        self.app.issuer.url().to_owned()
    }

    /// The OAuth client id the issuer accepts.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The testbed directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Trust material (documents and raw keys).
    pub fn trust(&self) -> &TrustMaterial {
        &self.trust
    }

    /// `trusted_root.json` text.
    pub fn trusted_root_json(&self) -> &str {
        &self.trust.trusted_root_json
    }

    /// Path of `trusted_root.json`.
    pub fn trusted_root_path(&self) -> &Path {
        &self.trust.trusted_root_path
    }

    /// Path of `client_trust_config.json`.
    pub fn client_trust_config_path(&self) -> &Path {
        &self.trust.client_trust_config_path
    }

    /// Path of `signing_config.json`.
    pub fn signing_config_path(&self) -> &Path {
        &self.trust.signing_config_path
    }

    /// The fault switches (shared with the running server).
    pub fn faults(&self) -> &Faults {
        &self.app.faults
    }

    /// Mint an ID token signed by the issuer (or, with `untrusted_key`, by a stranger).
    pub fn mint_token(&self, req: &TokenRequest) -> Result<String, TestbedError> {
        self.app.issuer.mint(req)
    }

    /// The identity the browser and device flows approve.
    pub fn identity(&self) -> String {
        self.app.issuer.identity()
    }

    /// Approve a different identity from now on.
    pub fn set_identity(&self, email: &str) {
        self.app.issuer.set_identity(email);
    }

    /// Make device grants end in `access_denied` (true) or approval (false, the default).
    pub fn set_device_denied(&self, deny: bool) {
        self.app.issuer.set_deny_device(deny);
    }

    /// Number of entries in the Rekor log (shard-local tree size).
    pub fn rekor_tree_size(&self) -> usize {
        self.app.rekor.size()
    }

    /// Number of entries in the Rekor v2 log.
    pub fn rekor_v2_tree_size(&self) -> usize {
        self.app.rekor_v2.size()
    }

    /// Write `DIR/env`: shell `export` lines pointing gitseal at this testbed. `url_opener` is
    /// the `GITSEAL_URL_OPENER` command (it must contain `{{.URL}}`). Written atomically, so a
    /// reader never sees half a file.
    pub fn write_env_file(&self, url_opener: &str) -> Result<PathBuf, TestbedError> {
        let path = self.dir.join("env");
        let vars = [
            ("GITSEAL_FULCIO_URL", self.fulcio_url()),
            ("GITSEAL_REKOR_URL", self.rekor_url()),
            ("GITSEAL_TIMESTAMP_SERVER_URL", self.tsa_url()),
            ("GITSEAL_OIDC_ISSUER", self.issuer_url()),
            (
                "GITSEAL_TRUSTED_ROOT",
                self.trust.trusted_root_path.display().to_string(),
            ),
            ("GITSEAL_URL_OPENER", url_opener.to_owned()),
            ("GITSEAL_TESTBED_IDENTITY", self.identity()),
        ];
        // With TLS, gitseal must trust the testbed's CA: added to the system's, not instead.
        let ca = self
            .tls_ca_path()
            .map(|p| ("GITSEAL_CA_BUNDLE", p.display().to_string()));
        let mut text = String::from("# gitseal testbed: source this file to point gitseal at it\n");
        for (k, v) in vars.into_iter().chain(ca) {
            text.push_str(&format!("export {k}={}\n", shell_quote(&v)));
        }
        store::write_atomic(&path, text.as_bytes(), false)?;
        Ok(path)
    }

    /// Stop serving now (also done on drop).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut front) = self.tls_front.take() {
            front.shutdown();
        }
        self.server.shutdown();
        if self.remove_dir_on_drop {
            let _ = std::fs::remove_dir_all(&self.dir);
            self.remove_dir_on_drop = false;
        }
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// POSIX single-quoting.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl App {
    fn handle(&self, req: Request) -> Option<Response> {
        let path = if req.path.len() > 1 {
            req.path.trim_end_matches('/')
        } else {
            req.path.as_str()
        };
        if let Some(admin) = path.strip_prefix("/__testbed/") {
            return Some(self.admin(admin, &req));
        }
        let (endpoint, method) = match path {
            "/oidc/.well-known/openid-configuration" => (Endpoint::OidcDiscovery, "GET"),
            "/oidc/keys" => (Endpoint::OidcJwks, "GET"),
            "/oidc/auth" => (Endpoint::OidcAuthorize, "GET"),
            "/oidc/token" => (Endpoint::OidcToken, "POST"),
            "/oidc/device/code" => (Endpoint::OidcDeviceAuthorization, "POST"),
            "/oidc/device" => {
                return Some(self.issuer.device_page());
            }
            "/oidc/consent" => {
                if req.method != "POST" {
                    return Some(
                        Response::rekor_error(405, &format!("method {} not allowed", req.method))
                            .with_header("Allow", "POST"),
                    );
                }
                return Some(
                    self.issuer
                        .consent(&req)
                        .unwrap_or_else(|e| Response::rekor_error(500, &e.to_string())),
                );
            }
            "/api/v2/signingCert" => (Endpoint::FulcioSigningCertV2, "POST"),
            "/api/v1/signingCert" => (Endpoint::FulcioSigningCertV1, "POST"),
            "/api/v2/trustBundle" => (Endpoint::FulcioTrustBundle, "GET"),
            "/api/v1/rootCert" => (Endpoint::FulcioRootCert, "GET"),
            "/api/v1/log/entries" if req.method == "GET" => (Endpoint::RekorGetEntry, "GET"),
            "/api/v1/log/entries" => (Endpoint::RekorCreateEntry, "POST"),
            "/api/v1/log/entries/retrieve" => (Endpoint::RekorRetrieveEntries, "POST"),
            "/api/v1/index/retrieve" => (Endpoint::RekorSearchIndex, "POST"),
            "/api/v1/log" => (Endpoint::RekorLogInfo, "GET"),
            "/api/v1/log/publicKey" => (Endpoint::RekorPublicKey, "GET"),
            "/api/v1/log/proof" => (Endpoint::RekorConsistencyProof, "GET"),
            tsa::TIMESTAMP_PATH => (Endpoint::TsaTimestamp, "POST"),
            tsa::CERTCHAIN_PATH => (Endpoint::TsaCertChain, "GET"),
            p if p.starts_with("/api/v1/log/entries/") => (Endpoint::RekorGetEntry, "GET"),
            p if p.starts_with("/tuf/") => (Endpoint::TufMetadata, "GET"),
            "/api/v2/log/entries" => (Endpoint::RekorV2CreateEntry, "POST"),
            "/checkpoint" | "/api/v2/checkpoint" => (Endpoint::RekorV2Checkpoint, "GET"),
            p if p.starts_with("/tile/") || p.starts_with("/api/v2/tile/") => {
                (Endpoint::RekorV2Tile, "GET")
            }
            _ => {
                return Some(Response::rekor_error(
                    404,
                    &format!("path {} was not found", req.path),
                ));
            }
        };
        if req.method != method && !(method == "GET" && req.method == "HEAD") {
            return Some(
                Response::rekor_error(405, &format!("method {} not allowed", req.method))
                    .with_header("Allow", method),
            );
        }
        let faults = self.faults.take(endpoint);
        for f in &faults {
            if let Fault::Delay(d) = f
                && self.stop.sleep(*d)
            {
                return Some(Response::rekor_error(503, "testbed stopping"));
            }
        }
        if faults.contains(&Fault::Hang) {
            self.stop.sleep(self.hang_limit);
            return None;
        }
        if let Some(status) = faults.iter().find_map(|f| match f {
            Fault::Status(s) => Some(*s),
            _ => None,
        }) {
            return Some(fault_status_response(endpoint, status));
        }
        let result = self.dispatch(endpoint, path, &req, &faults);
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => Response::rekor_error(500, &e.to_string()),
        };
        if faults.contains(&Fault::MalformedJson) {
            let keep = resp.body.len() / 2;
            resp.body.truncate(keep);
            if resp.body.is_empty() {
                resp.body = b"{\"".to_vec();
            }
        }
        Some(resp)
    }

    fn dispatch(
        &self,
        endpoint: Endpoint,
        path: &str,
        req: &Request,
        faults: &[Fault],
    ) -> Result<Response, TestbedError> {
        Ok(match endpoint {
            Endpoint::OidcDiscovery => self.issuer.discovery(),
            Endpoint::OidcJwks => self.issuer.jwks_response(),
            Endpoint::OidcAuthorize => self.issuer.authorize(req)?,
            Endpoint::OidcToken => self.issuer.token(req)?,
            Endpoint::OidcDeviceAuthorization => self.issuer.device_authorization(req)?,
            Endpoint::FulcioSigningCertV2 => {
                self.fulcio()
                    .signing_cert_v2(&self.issuer, &self.federation, req, faults)
            }
            Endpoint::FulcioSigningCertV1 => {
                self.fulcio()
                    .signing_cert_v1(&self.issuer, &self.federation, req, faults)
            }
            Endpoint::FulcioTrustBundle => self.fulcio().trust_bundle(),
            Endpoint::FulcioRootCert => self.fulcio().root_cert(),
            Endpoint::RekorCreateEntry => self.rekor.create(req, faults)?,
            Endpoint::RekorGetEntry => match path.strip_prefix("/api/v1/log/entries/") {
                Some(uuid) => self.rekor.get_by_uuid(uuid, faults)?,
                None => self.rekor.get_by_index(req, faults)?,
            },
            Endpoint::RekorRetrieveEntries => self.rekor.retrieve(req, faults)?,
            Endpoint::RekorSearchIndex => self.rekor.search_index(req)?,
            Endpoint::RekorLogInfo => self.rekor.log_info(faults),
            Endpoint::RekorPublicKey => self.rekor.public_key_response(),
            Endpoint::RekorConsistencyProof => self.rekor.consistency(req),
            Endpoint::TufMetadata => self
                .tuf
                .serve(req.path.strip_prefix("/tuf/").unwrap_or_default()),
            Endpoint::TsaTimestamp => self.tsa.timestamp(req, faults)?,
            Endpoint::TsaCertChain => self.tsa.certchain_response(),
            Endpoint::RekorV2CreateEntry => self.rekor_v2.create(req, faults)?,
            Endpoint::RekorV2Checkpoint => self.rekor_v2.latest_checkpoint(faults),
            Endpoint::RekorV2Tile => {
                let rest = path
                    .trim_start_matches("/api/v2")
                    .trim_start_matches("/tile/");
                self.rekor_v2.tile(rest, faults)
            }
        })
    }

    /// `/__testbed/*`: test control, not part of any real service.
    fn admin(&self, what: &str, req: &Request) -> Response {
        let json_body = || serde_json::from_slice::<Value>(&req.body);
        match (req.method.as_str(), what) {
            ("GET", "info") => {
                let mut info = self.info.clone();
                if let Some(m) = info.as_object_mut() {
                    m.insert("identity".into(), Value::String(self.issuer.identity()));
                    m.insert("treeSize".into(), json!(self.rekor.size()));
                }
                Response::json(200, &info)
            }
            ("GET", "faults") => Response::json(200, &json!(self.faults.list())),
            ("DELETE", "faults") => {
                match req.query_param("endpoint").map(str::parse::<Endpoint>) {
                    None => self.faults.clear_all(),
                    Some(Ok(e)) => self.faults.clear(e),
                    Some(Err(e)) => return Response::rekor_error(400, &e.to_string()),
                }
                Response::json(200, &json!(self.faults.list()))
            }
            ("POST", "faults") => {
                let specs: Vec<FaultSpec> = match json_body() {
                    Ok(Value::Array(a)) => match serde_json::from_value(Value::Array(a)) {
                        Ok(s) => s,
                        Err(e) => return Response::rekor_error(400, &e.to_string()),
                    },
                    Ok(v) => match serde_json::from_value(v) {
                        Ok(s) => vec![s],
                        Err(e) => return Response::rekor_error(400, &e.to_string()),
                    },
                    Err(e) => return Response::rekor_error(400, &e.to_string()),
                };
                // Validate all before applying any.
                if let Some(e) = specs.iter().find_map(|s| s.parse().err()) {
                    return Response::rekor_error(400, &e.to_string());
                }
                for s in &specs {
                    if let Err(e) = self.faults.add_spec(s) {
                        return Response::rekor_error(400, &e.to_string());
                    }
                }
                Response::json(200, &json!(self.faults.list()))
            }
            ("POST", "token") => {
                let tr: TokenRequest = match json_body().and_then(serde_json::from_value) {
                    Ok(t) => t,
                    Err(e) => return Response::rekor_error(400, &e.to_string()),
                };
                match self.issuer.mint(&tr) {
                    Ok(t) => Response::json(200, &json!({"idToken": t})),
                    Err(e) => Response::rekor_error(400, &e.to_string()),
                }
            }
            ("POST", "identity") => {
                match json_body()
                    .ok()
                    .and_then(|v| v.get("email").and_then(Value::as_str).map(str::to_owned))
                {
                    Some(e) => {
                        self.issuer.set_identity(&e);
                        Response::json(200, &json!({"identity": e}))
                    }
                    None => Response::rekor_error(400, "body must be {\"email\": \"...\"}"),
                }
            }
            ("GET", "tuf") => Response::json(200, &json!(self.tuf.versions())),
            ("POST", "tuf") => match json_body()
                .and_then(serde_json::from_value::<tuf::TufAction>)
                .map_err(|e| TestbedError::Config(e.to_string()))
                .and_then(|a| self.tuf_action(&a))
            {
                Ok(()) => Response::json(200, &json!(self.tuf.versions())),
                Err(e) => Response::rekor_error(400, &e.to_string()),
            },
            _ => Response::rekor_error(404, &format!("no admin endpoint {} {what}", req.method)),
        }
    }
}

/// The error body a real service would send with `status`.
fn fault_status_response(endpoint: Endpoint, status: u16) -> Response {
    let name = endpoint.as_str();
    if name.starts_with("oidc.") {
        let error = if status == 503 {
            "temporarily_unavailable"
        } else {
            "server_error"
        };
        Response::oauth_error(status, error, "injected by the gitseal testbed")
    } else if name.starts_with("fulcio.") {
        Response::fulcio_error(status, "injected by the gitseal testbed", "status fault")
    } else {
        Response::rekor_error(status, "injected by the gitseal testbed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_thread_safe() {
        fn is<T: Send + Sync>() {}
        is::<Testbed>();
        is::<Faults>();
        is::<TrustMaterial>();
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
