//! Getting an OIDC identity token for Fulcio: from the CI environment (ambient), through the
//! browser with PKCE and a loopback redirect (interactive), or with the device authorization
//! grant (device).
//!
//! The choice is explicit data: [`TokenSourceConfig`] (a plain struct the CLI fills from git
//! config and the environment; this module reads neither) → [`choose_source`] → a
//! [`TokenSource`] value → [`obtain_token`]. The rules are gitsign's (compat §5.1): an empty
//! `gitsign.tokenProvider` uses the first ambient provider that is enabled and succeeds, else the
//! interactive flow; `interactive` and `device` force those flows; any other name selects that
//! ambient provider alone.
//!
//! What this module must not do: talk to Fulcio, print to stdout (every prompt goes to the
//! injected terminal sink: while git signs, stdout is the signature, gitsign §11.5), or reveal
//! the token (see [`token::IdentityToken`]). Sockets are opened only through
//! [`crate::transport`] and the loopback listener of [`interactive`].

pub mod ambient;
pub mod device;
pub mod discovery;
pub mod interactive;
pub mod jwt;
pub mod opener;
pub mod token;

use std::io::Write;
use std::time::Duration;

use zeroize::Zeroizing;

pub use ambient::{AmbientEnv, AmbientProvider};
pub use opener::{OpenerError, UrlOpener};
pub use token::{IdentityToken, TokenError, UnverifiedClaims};

use crate::transport::{Transport, TransportError};

/// Sigstore's public OIDC issuer (Dex), gitsign's default `gitsign.issuer`.
pub const DEFAULT_ISSUER: &str = "https://oauth2.sigstore.dev/auth";
/// gitsign's default `gitsign.clientID`; also the audience requested from ambient providers.
pub const DEFAULT_CLIENT_ID: &str = "sigstore";

// The clock lives in `crate::clock` (one clock for the whole crate); the flows here take it
// injected, and callers have always named it through this module and `sign`.
pub use crate::clock::{Clock, SystemClock};

/// Everything that decides how a token is obtained. Plain data: the CLI maps `gitsign.*` keys
/// and `SIGSTORE_*`/`GITSIGN_*` variables into it (compat §9.2).
#[derive(Clone, Debug)]
pub struct TokenSourceConfig {
    /// `gitsign.tokenProvider` / `*_TOKEN_PROVIDER`: empty for automatic, `interactive`,
    /// `device`, or an ambient provider name (`github-actions`, `envvar`, `filesystem`).
    pub provider: String,
    /// `gitsign.issuer` / `*_OIDC_ISSUER`.
    pub issuer: String,
    /// `gitsign.clientID` / `*_OIDC_CLIENT_ID`.
    pub client_id: String,
    /// Contents of `gitsign.clientSecretFile` (already read and trimmed by the caller).
    pub client_secret: Option<Zeroizing<String>>,
    /// `gitsign.redirectURL` / `*_OIDC_REDIRECT_URL`: a fixed loopback redirect such as
    /// `http://localhost:8080/auth/callback`; empty for a random port.
    pub redirect_url: String,
    /// `gitsign.connectorID` / `*_CONNECTOR_ID` (Dex connector, e.g.
    /// `https://github.com/login/oauth`).
    pub connector_id: String,
    /// `gitsign.urlOpener` / `GITSIGN_URL_OPENER`: a command template, empty for the system
    /// browser.
    pub url_opener: String,
    /// How long the interactive flow waits for the browser to come back (gitsign: 120 s).
    pub interactive_timeout: Duration,
    /// `gitsign.autoclose`: close the success page by script (only with a connector id, as in
    /// gitsign).
    pub autoclose: bool,
    /// `gitsign.autocloseTimeout`, seconds.
    pub autoclose_timeout: u32,
    /// Ambient-provider inputs (environment values, passed in).
    pub ambient: AmbientEnv,
}

impl Default for TokenSourceConfig {
    fn default() -> Self {
        Self {
            provider: String::new(),
            issuer: DEFAULT_ISSUER.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            client_secret: None,
            redirect_url: String::new(),
            connector_id: String::new(),
            url_opener: String::new(),
            interactive_timeout: Duration::from_secs(120),
            autoclose: true,
            autoclose_timeout: 6,
            ambient: AmbientEnv::default(),
        }
    }
}

/// Where the token will come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// Ambient providers, tried in this order; the first success wins.
    Ambient(Vec<AmbientProvider>),
    /// Browser login with PKCE and a loopback redirect (RFC 7636, RFC 8252).
    Interactive,
    /// Device authorization grant (RFC 8628).
    Device,
}

/// The services a flow uses, injected.
pub struct OidcContext<'a> {
    /// HTTP.
    pub transport: &'a dyn Transport,
    /// The user's terminal (or stderr when there is none); never stdout.
    pub terminal: &'a mut dyn Write,
    /// Time.
    pub clock: &'a dyn Clock,
    /// Opens the login page (interactive flow).
    pub opener: &'a dyn UrlOpener,
}

/// Why no token could be obtained. [`OidcError::hint`] names the setting to change.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// No HTTP answer from the provider or CI token service.
    #[error(transparent)]
    Transport(TransportError),
    /// The token is not a usable JWT.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The ID token failed verification.
    #[error(transparent)]
    Jwt(#[from] jwt::JwtError),
    /// The opener failed (validation of `gitsign.urlOpener`).
    #[error(transparent)]
    Opener(#[from] OpenerError),
    /// `gitsign.tokenProvider` names no provider.
    #[error(
        "{0:?} is not a valid token provider (known: interactive, device, github-actions, envvar, filesystem)"
    )]
    UnknownProvider(String),
    /// A provider gitsign knows but gitseal does not implement yet.
    #[error("token provider {0:?} is not supported by gitseal yet")]
    UnsupportedProvider(String),
    /// A named ambient provider is not enabled in this environment.
    #[error("token provider {provider} is not available here: {reason}")]
    ProviderUnavailable {
        /// Provider name.
        provider: &'static str,
        /// Why.
        reason: String,
    },
    /// Every enabled ambient provider failed.
    #[error("no ambient token provider succeeded: {}", .0.join("; "))]
    AmbientFailed(Vec<String>),
    /// The discovery document is missing or malformed.
    #[error("OIDC discovery for {issuer} failed: {reason}")]
    Discovery {
        /// Configured issuer.
        issuer: String,
        /// Why.
        reason: String,
    },
    /// The discovery document names another issuer (OIDC Discovery §4.3).
    #[error("the OIDC provider at {expected} says its issuer is {got:?}")]
    IssuerMismatch {
        /// Configured issuer.
        expected: String,
        /// Issuer in the document.
        got: String,
    },
    /// The provider does not offer PKCE with S256.
    #[error("the OIDC provider {0} does not support PKCE with S256")]
    PkceUnsupported(String),
    /// The provider has no device authorization endpoint.
    #[error("the OIDC provider {0} does not support the device flow")]
    DeviceFlowUnsupported(String),
    /// An OAuth endpoint answered with an error.
    #[error("the OIDC provider's {endpoint} endpoint answered HTTP {status}: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Endpoint {
        /// Which endpoint.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// OAuth `error` code, or an excerpt of the body.
        error: String,
        /// `error_description`.
        description: Option<String>,
    },
    /// The authorization server sent the user back with an error (RFC 6749 §4.1.2.1), or the
    /// user denied a device request (RFC 8628 §3.5).
    #[error("the login was refused: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        /// OAuth error code (`access_denied`, …).
        error: String,
        /// `error_description`.
        description: Option<String>,
    },
    /// The callback's `state` does not match (CSRF, RFC 6749 §10.12).
    #[error(
        "the login callback carried the wrong state; ignoring it (possible cross-site request forgery)"
    )]
    StateMismatch,
    /// The callback's `iss` (RFC 9207) names another issuer.
    #[error("the login callback came from issuer {0:?}, not the configured one")]
    CallbackIssuerMismatch(String),
    /// The callback had neither `code` nor `error`.
    #[error("the login callback carried no authorization code")]
    NoCode,
    /// Nobody completed the login in time.
    #[error("timed out after {0:?} waiting for the browser login to finish")]
    CallbackTimeout(Duration),
    /// The device code expired before the user approved it.
    #[error("the device code expired before the login was completed")]
    DeviceCodeExpired,
    /// The token response had no `id_token`.
    #[error(
        "the OIDC provider returned no ID token (is the `openid` scope allowed for client {0:?}?)"
    )]
    NoIdToken(String),
    /// `gitsign.redirectURL` is unusable.
    #[error("gitsign.redirectURL {url:?} is unusable: {reason}")]
    RedirectUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// The loopback listener could not be opened or read.
    #[error("the login callback listener failed: {0}")]
    Listener(String),
    /// Writing a prompt to the terminal failed.
    #[error("could not write to the terminal: {0}")]
    Terminal(String),
    /// The OS random generator failed.
    #[error("the system random number generator failed")]
    Random,
}

impl From<TransportError> for OidcError {
    fn from(e: TransportError) -> Self {
        OidcError::Transport(e)
    }
}

impl OidcError {
    /// A one-line hint naming the setting to check.
    pub fn hint(&self) -> &'static str {
        match self {
            OidcError::Transport(e) if e.service() == crate::transport::Service::CiTokenService => {
                "check ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN (the job needs `permissions: id-token: write`)"
            }
            OidcError::Transport(_)
            | OidcError::Discovery { .. }
            | OidcError::IssuerMismatch { .. }
            | OidcError::PkceUnsupported(_)
            | OidcError::DeviceFlowUnsupported(_) => crate::config::table::ISSUER.check,
            OidcError::UnknownProvider(_)
            | OidcError::UnsupportedProvider(_)
            | OidcError::ProviderUnavailable { .. }
            | OidcError::AmbientFailed(_) => crate::config::table::TOKEN_PROVIDER.check,
            OidcError::Opener(_) => crate::config::table::URL_OPENER.check,
            OidcError::RedirectUrl { .. } | OidcError::Listener(_) => {
                crate::config::table::REDIRECT_URL.check
            }
            OidcError::Endpoint { .. } | OidcError::NoIdToken(_) => {
                "check gitsign.clientID and gitsign.clientSecretFile for this issuer"
            }
            OidcError::CallbackTimeout(_) | OidcError::DeviceCodeExpired => {
                "finish the login in the browser sooner, or set gitsign.tokenProvider=device on machines without a browser"
            }
            OidcError::Token(TokenError::EmailNotVerified(_)) => {
                "verify the email address with your identity provider"
            }
            OidcError::Token(_) | OidcError::Jwt(_) => {
                "the identity provider sent an unusable token; check gitsign.issuer and the system clock"
            }
            OidcError::Denied { .. }
            | OidcError::StateMismatch
            | OidcError::CallbackIssuerMismatch(_)
            | OidcError::NoCode => "sign in again and approve the request",
            OidcError::Terminal(_) | OidcError::Random => "this is a local system problem",
        }
    }
}

/// Picks the token source (compat §5.1). Reads nothing but `cfg` (and, for the filesystem
/// provider, whether its token file exists).
pub fn choose_source(cfg: &TokenSourceConfig) -> Result<TokenSource, OidcError> {
    match cfg.provider.as_str() {
        "" => {
            let enabled = ambient::enabled_providers(&cfg.ambient);
            if enabled.is_empty() {
                Ok(TokenSource::Interactive)
            } else {
                Ok(TokenSource::Ambient(enabled))
            }
        }
        "interactive" => Ok(TokenSource::Interactive),
        "device" => Ok(TokenSource::Device),
        name => Ok(TokenSource::Ambient(vec![AmbientProvider::from_name(
            name,
        )?])),
    }
}

/// Runs `source` and returns the token.
pub fn run_source(
    source: &TokenSource,
    cfg: &TokenSourceConfig,
    ctx: &mut OidcContext<'_>,
) -> Result<IdentityToken, OidcError> {
    match source {
        TokenSource::Interactive => interactive::run(cfg, ctx),
        TokenSource::Device => {
            say(ctx.terminal, "using device authorization flow\n")?;
            device::run(cfg, ctx)
        }
        TokenSource::Ambient(providers) => {
            if !cfg.provider.is_empty() {
                say(
                    ctx.terminal,
                    &format!("using token provider {}\n", cfg.provider),
                )?;
            }
            let mut errors = Vec::new();
            for p in providers {
                match p.fetch(&cfg.ambient, &cfg.client_id, ctx.transport) {
                    Ok(t) => return Ok(t),
                    // A single, explicitly named provider reports its own error.
                    Err(e) if providers.len() == 1 => return Err(e),
                    Err(e) => errors.push(format!("{}: {e}", p.name())),
                }
            }
            Err(OidcError::AmbientFailed(errors))
        }
    }
}

/// [`choose_source`] then [`run_source`].
pub fn obtain_token(
    cfg: &TokenSourceConfig,
    ctx: &mut OidcContext<'_>,
) -> Result<IdentityToken, OidcError> {
    let source = choose_source(cfg)?;
    run_source(&source, cfg, ctx)
}

/// Writes a prompt to the terminal sink.
pub(crate) fn say(terminal: &mut dyn Write, text: &str) -> Result<(), OidcError> {
    terminal
        .write_all(text.as_bytes())
        .and_then(|()| terminal.flush())
        .map_err(|e| OidcError::Terminal(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;

    fn cfg_with(provider: &str, ambient: AmbientEnv) -> TokenSourceConfig {
        TokenSourceConfig {
            provider: provider.into(),
            ambient,
            ..TokenSourceConfig::default()
        }
    }

    fn no_file() -> AmbientEnv {
        AmbientEnv {
            cosign_token_file: "/nonexistent/gitseal/oidc-token".into(),
            ..AmbientEnv::default()
        }
    }

    #[test]
    fn source_selection_follows_gitsign() {
        assert_eq!(
            choose_source(&cfg_with("", no_file())).unwrap(),
            TokenSource::Interactive
        );
        let mut env = no_file();
        env.sigstore_id_token = Some(Zeroizing::new("x".into()));
        env.actions_id_token_request_url = Some("http://a".into());
        env.actions_id_token_request_token = Some(Zeroizing::new("t".into()));
        assert_eq!(
            choose_source(&cfg_with("", env.clone())).unwrap(),
            TokenSource::Ambient(vec![
                AmbientProvider::GitHubActions,
                AmbientProvider::EnvVar
            ])
        );
        assert_eq!(
            choose_source(&cfg_with("interactive", env.clone())).unwrap(),
            TokenSource::Interactive
        );
        assert_eq!(
            choose_source(&cfg_with("device", env.clone())).unwrap(),
            TokenSource::Device
        );
        assert_eq!(
            choose_source(&cfg_with("envvar", env)).unwrap(),
            TokenSource::Ambient(vec![AmbientProvider::EnvVar])
        );
        assert!(matches!(
            choose_source(&cfg_with("nope", no_file())),
            Err(OidcError::UnknownProvider(_))
        ));
        assert!(matches!(
            choose_source(&cfg_with("spiffe", no_file())),
            Err(OidcError::UnsupportedProvider(_))
        ));
        assert_eq!(
            choose_source(&cfg_with("buildkite-agent", no_file())).unwrap(),
            TokenSource::Ambient(vec![AmbientProvider::Buildkite])
        );
    }

    #[test]
    fn every_error_has_a_hint() {
        let e = OidcError::UnknownProvider("x".into());
        assert!(e.hint().contains("gitsign.tokenProvider"));
        let e = OidcError::CallbackTimeout(Duration::from_secs(1));
        assert!(e.to_string().contains("timed out"));
    }
}
