//! The OAuth 2.0 device authorization grant (RFC 8628), for machines without a local browser.
//!
//! 1. Discovery; `device_authorization_endpoint` must be present (RFC 8628 §4).
//! 2. Device authorization request (§3.1): `client_id`, `scope=openid email`, and a PKCE S256
//!    challenge as gitsign sends it (providers that do not use it ignore it).
//! 3. The prompt — user code, verification URL (the `_complete` form when offered), lifetime —
//!    goes to the injected terminal sink, never to stdout (gitsign prints it to stdout, which
//!    corrupts the signature, §11.5).
//! 4. Polling the token endpoint (§3.4) every `interval` seconds (5 when the server gives none,
//!    §3.2): `authorization_pending` keeps polling, `slow_down` adds 5 seconds to the interval
//!    (§3.5), `access_denied` and `expired_token` end the flow, as does reaching `expires_in`.
//! 5. The ID token is verified (JWKS, `iss`, `aud`, `exp`); no nonce is expected, device-flow
//!    tokens usually carry none.
//!
//! Waiting goes through the injected [`super::Clock`], so tests run instantly.

use std::time::Duration;

use serde::Deserialize;

use super::discovery::{self, Pkce, TokenReply};
use super::{IdentityToken, OidcContext, OidcError, TokenSourceConfig, say};

/// RFC 8628 §3.2: the default polling interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// RFC 8628 §3.5: what `slow_down` adds.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Upper bounds on server-provided timing, so a hostile value cannot hang the signer.
const MAX_INTERVAL_SECS: u64 = 60;
const MAX_EXPIRES_SECS: u64 = 3600;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Deserialize)]
struct DeviceAuthorization {
    device_code: String,
    user_code: String,
    /// Google historically spells it `verification_url`.
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
}

/// Runs the whole flow.
pub fn run(cfg: &TokenSourceConfig, ctx: &mut OidcContext<'_>) -> Result<IdentityToken, OidcError> {
    let meta = discovery::discover(ctx.transport, &cfg.issuer)?;
    let endpoint = meta
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| OidcError::DeviceFlowUnsupported(cfg.issuer.clone()))?;
    let pkce = Pkce::generate()?;

    let resp = discovery::post_form(
        ctx.transport,
        &endpoint,
        &[
            ("scope", "openid email"),
            ("code_challenge_method", "S256"),
            ("code_challenge", &pkce.challenge),
        ],
        cfg,
    )?;
    if resp.status != 200 {
        let (error, description) = discovery::oauth_error(&resp);
        return Err(OidcError::Endpoint {
            endpoint: "device authorization",
            status: resp.status,
            error,
            description,
        });
    }
    let auth: DeviceAuthorization = resp.json().map_err(|e| OidcError::Endpoint {
        endpoint: "device authorization",
        status: resp.status,
        error: format!("malformed response: {e}"),
        description: None,
    })?;
    let device_code = zeroize::Zeroizing::new(auth.device_code);

    let url = super::interactive::printable(
        auth.verification_uri_complete
            .as_deref()
            .unwrap_or(&auth.verification_uri),
    );
    let expires = discovery::secs(auth.expires_in.unwrap_or(600), MAX_EXPIRES_SECS);
    say(
        ctx.terminal,
        &format!(
            "Enter the verification code {} in your browser at: {url}\n\
             Code will be valid for {} seconds\n",
            crate::transport::excerpt(auth.user_code.as_bytes()),
            expires.as_secs()
        ),
    )?;

    let mut interval = auth
        .interval
        .map(|s| discovery::secs(s, MAX_INTERVAL_SECS))
        .unwrap_or(DEFAULT_INTERVAL);
    let started = ctx.clock.now();
    loop {
        ctx.clock.sleep(interval);
        let elapsed = ctx
            .clock
            .now()
            .duration_since(started)
            .unwrap_or(Duration::ZERO);
        if elapsed > expires {
            return Err(OidcError::DeviceCodeExpired);
        }
        let reply = discovery::token_request(
            ctx.transport,
            &meta.token_endpoint,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", &device_code),
                ("code_verifier", &pkce.verifier),
            ],
            cfg,
        )?;
        match reply {
            TokenReply::Tokens(Some(id)) => {
                say(ctx.terminal, "Token received!\n")?;
                return discovery::verify_obtained(&id, &meta, cfg, None, ctx.transport, ctx.clock);
            }
            TokenReply::Tokens(None) => return Err(OidcError::NoIdToken(cfg.client_id.clone())),
            TokenReply::Error { error, .. } if error == "authorization_pending" => {}
            TokenReply::Error { error, .. } if error == "slow_down" => {
                interval = (interval + SLOW_DOWN_STEP).min(Duration::from_secs(MAX_INTERVAL_SECS));
            }
            TokenReply::Error { error, .. } if error == "expired_token" => {
                return Err(OidcError::DeviceCodeExpired);
            }
            TokenReply::Error {
                error, description, ..
            } if error == "access_denied" => {
                return Err(OidcError::Denied { error, description });
            }
            TokenReply::Error {
                status,
                error,
                description,
            } => {
                return Err(OidcError::Endpoint {
                    endpoint: "token",
                    status,
                    error,
                    description,
                });
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::clock::testing::FakeClock;
    use crate::oidc::SystemClock;
    use crate::oidc::discovery::fake_provider::{FakeProvider, ProviderOptions};
    use crate::oidc::opener::SystemBrowser;
    use crate::transport::test_server::fast_transport;

    fn run_device(
        provider: &FakeProvider,
        clock: &dyn crate::oidc::Clock,
    ) -> (Result<IdentityToken, OidcError>, String) {
        let cfg = TokenSourceConfig {
            issuer: provider.issuer(),
            ..TokenSourceConfig::default()
        };
        let transport = fast_transport();
        let mut terminal = Vec::new();
        let opener = SystemBrowser;
        let mut ctx = OidcContext {
            transport: &transport,
            terminal: &mut terminal,
            clock,
            opener: &opener,
        };
        let r = run(&cfg, &mut ctx);
        (r, String::from_utf8(terminal).unwrap())
    }

    #[test]
    fn pending_then_slow_down_then_success() {
        let provider = FakeProvider::start(ProviderOptions {
            device_script: vec![
                "authorization_pending",
                "slow_down",
                "authorization_pending",
            ],
            ..ProviderOptions::default()
        });
        let clock = FakeClock::at_unix(provider.now());
        let (r, terminal) = run_device(&provider, &clock);
        let token = r.unwrap();
        assert_eq!(token.claims().subject, "user-123");
        assert!(token.claims().nonce.is_none());
        // Default interval 5 s; slow_down adds 5 s for the following polls.
        let slept = clock.slept.lock().unwrap().clone();
        assert_eq!(
            slept,
            [5, 5, 10, 10].map(Duration::from_secs).to_vec(),
            "{slept:?}"
        );
        let url = format!("{}/device?user_code=ABCD-EFGH", provider.issuer());
        assert!(
            terminal.contains(&format!(
                "Enter the verification code ABCD-EFGH in your browser at: {url}\n"
            )),
            "{terminal}"
        );
        assert!(terminal.contains("Code will be valid for 600 seconds"));

        let seen = provider.server.seen();
        let auth = seen.iter().find(|r| r.path() == "/device/auth").unwrap();
        assert_eq!(auth.form_value("client_id").unwrap(), "sigstore");
        assert_eq!(auth.form_value("scope").unwrap(), "openid email");
        assert_eq!(auth.form_value("code_challenge_method").unwrap(), "S256");
        let challenge = auth.form_value("code_challenge").unwrap();
        let polls: Vec<_> = seen.iter().filter(|r| r.path() == "/token").collect();
        assert_eq!(polls.len(), 4);
        for p in &polls {
            assert_eq!(
                p.form_value("grant_type").unwrap(),
                "urn:ietf:params:oauth:grant-type:device_code"
            );
            assert_eq!(p.form_value("device_code").unwrap(), "dev-code");
            let v = p.form_value("code_verifier").unwrap();
            assert_eq!(
                Pkce::from_verifier(zeroize::Zeroizing::new(v)).challenge,
                challenge
            );
        }
    }

    #[test]
    fn server_interval_is_used() {
        let provider = FakeProvider::start(ProviderOptions {
            device_interval: Some(2),
            device_script: vec!["authorization_pending"],
            ..ProviderOptions::default()
        });
        let clock = FakeClock::at_unix(provider.now());
        run_device(&provider, &clock).0.unwrap();
        assert_eq!(
            clock.slept.lock().unwrap().clone(),
            vec![Duration::from_secs(2); 2]
        );
    }

    #[test]
    fn denied_and_expired() {
        let provider = FakeProvider::start(ProviderOptions {
            device_script: vec!["authorization_pending", "access_denied"],
            ..ProviderOptions::default()
        });
        let clock = FakeClock::at_unix(provider.now());
        let r = run_device(&provider, &clock).0;
        assert!(
            matches!(&r, Err(OidcError::Denied { error, .. }) if error == "access_denied"),
            "{r:?}"
        );

        let provider = FakeProvider::start(ProviderOptions {
            device_script: vec!["expired_token"],
            ..ProviderOptions::default()
        });
        let clock = FakeClock::at_unix(provider.now());
        assert!(matches!(
            run_device(&provider, &clock).0,
            Err(OidcError::DeviceCodeExpired)
        ));

        // Pending forever: the flow gives up at expires_in.
        let provider = FakeProvider::start(ProviderOptions {
            device_expires_in: 12,
            device_script: vec!["authorization_pending"; 10],
            ..ProviderOptions::default()
        });
        let clock = FakeClock::at_unix(provider.now());
        assert!(matches!(
            run_device(&provider, &clock).0,
            Err(OidcError::DeviceCodeExpired)
        ));
        assert_eq!(provider.state.lock().unwrap().device_polls, 2);
    }

    #[test]
    fn provider_without_device_endpoint() {
        let provider = FakeProvider::start(ProviderOptions {
            device_endpoint: false,
            ..ProviderOptions::default()
        });
        assert!(matches!(
            run_device(&provider, &SystemClock).0,
            Err(OidcError::DeviceFlowUnsupported(_))
        ));
    }
}
