//! The browser login: OAuth 2.0 authorization code flow with PKCE (RFC 7636, S256) and a
//! loopback redirect (RFC 8252 §7.3), as gitsign runs it (compat §5.2).
//!
//! 1. Discovery; the provider must offer S256.
//! 2. Fresh PKCE verifier (48 random bytes), `state` and `nonce` (16 random bytes each).
//! 3. A listener on 127.0.0.1 (random port unless `gitsign.redirectURL` fixes one); redirect URI
//!    `http://localhost:<port>/auth/callback`.
//! 4. The authorization URL with gitsign's sorted parameters, opened with the injected
//!    [`super::UrlOpener`]; if that fails the URL is shown on the terminal instead.
//! 5. The listener answers requests until the callback arrives: other paths (favicon, probes)
//!    get a 404 and are ignored; a wrong `state` aborts the flow (RFC 6749 §10.12); an `error`
//!    parameter (e.g. `access_denied`) ends it with that error; a `code` gets a success page.
//!    No callback within the timeout ends it with a clear message.
//! 6. Code exchange with the `code_verifier`; the ID token is verified (JWKS, `iss`, `aud`,
//!    `exp`, `nonce`).
//!
//! Unlike gitsign there is no out-of-band (`urn:ietf:wg:oauth:2.0:oob`) fallback — providers
//! have retired it; a user without a local browser should use the device flow. Nothing here
//! prints to stdout.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::discovery::{self, Pkce, TokenReply};
use super::{IdentityToken, OidcContext, OidcError, TokenSourceConfig, say};
use crate::transport::form_decode;

/// The default callback path (gitsign, sigstore oauthflow).
pub const CALLBACK_PATH: &str = "/auth/callback";

/// Largest callback request head read (a browser GET with a code is well under 8 KiB).
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// A bound loopback listener and the redirect URI that reaches it.
pub struct Loopback {
    listener: TcpListener,
    /// The `redirect_uri` to send.
    pub redirect_uri: String,
    path: String,
}

impl Loopback {
    /// Binds per `gitsign.redirectURL` (empty: 127.0.0.1 on a random port, URI host
    /// `localhost`). A configured URL must be `http://` on a loopback host with an explicit
    /// port (0 for random) — RFC 8252 §8.3: never listen on other interfaces.
    pub fn bind(redirect_url: &str) -> Result<Self, OidcError> {
        let (addr, uri_host, path) = if redirect_url.is_empty() {
            (
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                "localhost".to_owned(),
                CALLBACK_PATH.to_owned(),
            )
        } else {
            parse_redirect(redirect_url)?
        };
        let listener = TcpListener::bind(addr).map_err(|e| OidcError::Listener(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| OidcError::Listener(e.to_string()))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|e| OidcError::Listener(e.to_string()))?;
        Ok(Self {
            listener,
            redirect_uri: format!("http://{uri_host}:{port}{path}"),
            path,
        })
    }

    /// Serves requests until the callback for `state` arrives or `timeout` passes; returns the
    /// authorization code.
    pub fn wait_for_code(
        &self,
        state: &str,
        issuer: &str,
        timeout: Duration,
        success_page: &str,
    ) -> Result<String, OidcError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(outcome) = self.handle(stream, state, issuer, success_page) {
                        return outcome;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(OidcError::CallbackTimeout(timeout));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(OidcError::Listener(e.to_string())),
            }
        }
    }

    /// Handles one connection; `None` means "not the callback, keep waiting".
    fn handle(
        &self,
        mut stream: TcpStream,
        state: &str,
        issuer: &str,
        success_page: &str,
    ) -> Option<Result<String, OidcError>> {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let head = read_head(&mut stream)?;
        let mut first = head.lines().next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("");
        let target = first.next().unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if method != "GET" {
            respond(&mut stream, 405, "Method Not Allowed", "method not allowed");
            return None;
        }
        if path != self.path {
            respond(&mut stream, 404, "Not Found", "not found");
            return None;
        }
        let params = form_decode(query);
        let get = |k: &str| params.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
        // Any request on the callback path must carry our state: that is what ties it to the
        // login this process started.
        if get("state") != Some(state) {
            respond(
                &mut stream,
                400,
                "Bad Request",
                &error_page("state mismatch"),
            );
            return Some(Err(OidcError::StateMismatch));
        }
        if let Some(iss) = get("iss")
            && iss != issuer
        {
            respond(
                &mut stream,
                400,
                "Bad Request",
                &error_page("issuer mismatch"),
            );
            return Some(Err(OidcError::CallbackIssuerMismatch(
                iss.chars().take(200).collect(),
            )));
        }
        if let Some(error) = get("error") {
            let error = crate::transport::excerpt(error.as_bytes());
            let description =
                get("error_description").map(|d| crate::transport::excerpt(d.as_bytes()));
            respond(&mut stream, 200, "OK", &error_page(&error));
            return Some(Err(OidcError::Denied { error, description }));
        }
        match get("code") {
            Some(code) if !code.is_empty() => {
                respond(&mut stream, 200, "OK", success_page);
                Some(Ok(code.to_owned()))
            }
            _ => {
                respond(&mut stream, 400, "Bad Request", &error_page("no code"));
                Some(Err(OidcError::NoCode))
            }
        }
    }
}

/// Reads the request head (up to the blank line); `None` when the peer sent nothing usable.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > MAX_REQUEST_HEAD {
            respond(stream, 431, "Request Header Fields Too Large", "too large");
            return None;
        }
    }
    if buf.is_empty() {
        return None;
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn respond(stream: &mut TcpStream, status: u16, reason: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
    let _ = stream.flush();
}

fn html_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn error_page(error: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>gitseal</title></head>\
         <body><h1>Sigstore authentication failed</h1><p>{}</p>\
         <p>Return to the terminal for details.</p></body></html>",
        html_escape(error)
    )
}

/// The page shown after a successful login. Like gitsign, it closes itself only when
/// `autoclose` is on and a connector id is configured.
pub fn success_page(cfg: &TokenSourceConfig) -> String {
    let autoclose = if cfg.autoclose && !cfg.connector_id.is_empty() {
        let n = cfg.autoclose_timeout.max(1);
        format!(
            "<p>This page will close automatically in {n} seconds...</p>\
             <script>setTimeout(function () {{ window.close(); }}, {});</script>",
            u64::from(n) * 1000
        )
    } else {
        String::new()
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>gitseal</title></head>\
         <body><h1>Sigstore authentication successful!</h1>\
         <p>You may now close this page and return to the terminal.</p>{autoclose}</body></html>"
    )
}

/// `gitsign.redirectURL` → (bind address, host for the URI, path).
fn parse_redirect(url: &str) -> Result<(SocketAddr, String, String), OidcError> {
    let bad = |reason| OidcError::RedirectUrl {
        url: url.to_owned(),
        reason,
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// loopback redirects are supported"))?;
    if rest.contains(['?', '#']) {
        return Err(bad("it must not have a query or fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or_else(|| bad("it needs an explicit port (0 for a random one)"))?;
    let port: u16 = port.parse().map_err(|_| bad("the port is not a number"))?;
    let ip: std::net::IpAddr = match host {
        "localhost" | "127.0.0.1" => Ipv4Addr::LOCALHOST.into(),
        "[::1]" => Ipv6Addr::LOCALHOST.into(),
        _ => return Err(bad("the host must be localhost, 127.0.0.1 or [::1]")),
    };
    Ok((SocketAddr::new(ip, port), host.to_owned(), path.to_owned()))
}

/// Text from the provider made safe for a terminal (control characters dropped).
pub(crate) fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// The authorization request URL: gitsign's parameters in Go's sorted order.
pub fn authorization_url(
    authorization_endpoint: &str,
    cfg: &TokenSourceConfig,
    code_challenge: &str,
    state: &str,
    nonce: &str,
    redirect_uri: &str,
) -> String {
    let mut params: Vec<(&str, &str)> = vec![
        ("access_type", "online"),
        ("client_id", &cfg.client_id),
        ("code_challenge", code_challenge),
        ("code_challenge_method", "S256"),
    ];
    if !cfg.connector_id.is_empty() {
        params.push(("connector_id", &cfg.connector_id));
    }
    params.extend_from_slice(&[
        ("nonce", nonce),
        ("redirect_uri", redirect_uri),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", state),
    ]);
    let query = crate::transport::form_encode(&params);
    let sep = if authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{authorization_endpoint}{sep}{query}")
}

/// Runs the whole flow.
pub fn run(cfg: &TokenSourceConfig, ctx: &mut OidcContext<'_>) -> Result<IdentityToken, OidcError> {
    let meta = discovery::discover(ctx.transport, &cfg.issuer)?;
    if !discovery::supports_s256(&meta) {
        return Err(OidcError::PkceUnsupported(cfg.issuer.clone()));
    }
    let pkce = Pkce::generate()?;
    let state = discovery::random_b64url(16)?;
    let nonce = discovery::random_b64url(16)?;
    let loopback = Loopback::bind(&cfg.redirect_url)?;
    let url = authorization_url(
        &meta.authorization_endpoint,
        cfg,
        &pkce.challenge,
        &state,
        &nonce,
        &loopback.redirect_uri,
    );
    say(
        ctx.terminal,
        &format!("Your browser will now be opened to:\n{}\n", printable(&url)),
    )?;
    if let Err(e) = ctx.opener.open(&url) {
        say(
            ctx.terminal,
            &format!(
                "error opening browser: {e}\nOpen the link above in a browser on this machine to \
                 sign in (waiting up to {} s).\n",
                cfg.interactive_timeout.as_secs()
            ),
        )?;
    }
    let redirect_uri = loopback.redirect_uri.clone();
    let code = zeroize::Zeroizing::new(loopback.wait_for_code(
        &state,
        &meta.issuer,
        cfg.interactive_timeout,
        &success_page(cfg),
    )?);
    drop(loopback);
    let reply = discovery::token_request(
        ctx.transport,
        &meta.token_endpoint,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            // RFC 6749 §4.1.3: the identical value sent in the authorization request.
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &pkce.verifier),
        ],
        cfg,
    )?;
    match reply {
        TokenReply::Tokens(Some(id)) => {
            discovery::verify_obtained(&id, &meta, cfg, Some(&nonce), ctx.transport, ctx.clock)
        }
        TokenReply::Tokens(None) => Err(OidcError::NoIdToken(cfg.client_id.clone())),
        TokenReply::Error {
            status,
            error,
            description,
        } => Err(OidcError::Endpoint {
            endpoint: "token",
            status,
            error,
            description,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::clock::testing::FakeClock;
    use crate::oidc::discovery::fake_provider::{FakeProvider, ProviderOptions};
    use crate::oidc::{OpenerError, UrlOpener};
    use crate::transport::form_component;
    use crate::transport::test_server::fast_transport;
    use std::sync::{Arc, Mutex};

    /// Given the auth URL params, returns the raw request targets to send to the loopback.
    type Script = Box<dyn Fn(&[(String, String)]) -> Vec<String> + Send + Sync>;

    /// Plays the browser: records the URL and, in a thread, sends the scripted callback(s).
    struct FakeBrowser {
        script: Script,
        provider: Option<Arc<Mutex<crate::oidc::discovery::fake_provider::ProviderState>>>,
        pub responses: Arc<Mutex<Vec<String>>>,
        pub opened: Arc<Mutex<Vec<String>>>,
    }

    impl UrlOpener for FakeBrowser {
        fn open(&self, url: &str) -> Result<(), OpenerError> {
            self.opened.lock().unwrap().push(url.to_owned());
            let params = form_decode(url.split_once('?').unwrap().1);
            let get = |k: &str| params.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
            if let Some(p) = &self.provider {
                let mut p = p.lock().unwrap();
                p.nonce = get("nonce");
                p.code_challenge = get("code_challenge");
            }
            let redirect = get("redirect_uri").unwrap();
            let port: u16 = redirect
                .trim_start_matches("http://localhost:")
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let targets = (self.script)(&params);
            let responses = self.responses.clone();
            std::thread::spawn(move || {
                for t in targets {
                    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    write!(s, "GET {t} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n").unwrap();
                    let mut out = String::new();
                    let _ = s.read_to_string(&mut out);
                    responses.lock().unwrap().push(out);
                }
            });
            Ok(())
        }
    }

    fn browser(
        provider: &FakeProvider,
        script: impl Fn(&[(String, String)]) -> Vec<String> + Send + Sync + 'static,
    ) -> FakeBrowser {
        FakeBrowser {
            script: Box::new(script),
            provider: Some(provider.state.clone()),
            responses: Arc::new(Mutex::new(Vec::new())),
            opened: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn param(params: &[(String, String)], k: &str) -> String {
        params.iter().find(|(a, _)| a == k).unwrap().1.clone()
    }

    fn cfg(provider: &FakeProvider) -> TokenSourceConfig {
        TokenSourceConfig {
            issuer: provider.issuer(),
            interactive_timeout: Duration::from_secs(10),
            ..TokenSourceConfig::default()
        }
    }

    fn run_with(
        provider: &FakeProvider,
        cfg: &TokenSourceConfig,
        b: &FakeBrowser,
    ) -> (Result<IdentityToken, OidcError>, String) {
        let transport = fast_transport();
        let clock = FakeClock::at_unix(provider.now());
        let mut terminal = Vec::new();
        let mut ctx = OidcContext {
            transport: &transport,
            terminal: &mut terminal,
            clock: &clock,
            opener: b,
        };
        let r = run(cfg, &mut ctx);
        (r, String::from_utf8(terminal).unwrap())
    }

    #[test]
    fn full_flow_with_pkce_state_nonce() {
        let provider = FakeProvider::start(ProviderOptions::default());
        let issuer = provider.issuer();
        let b = browser(&provider, move |p| {
            vec![
                "/favicon.ico".to_owned(),
                format!(
                    "/auth/callback?code=good-code&state={}&iss={}",
                    form_component(&param(p, "state")),
                    form_component(&issuer)
                ),
            ]
        });
        let (r, terminal) = run_with(&provider, &cfg(&provider), &b);
        let token = r.unwrap();
        assert_eq!(token.claims().email.as_deref(), Some("user@example.test"));
        assert!(terminal.contains("Your browser will now be opened to:\nhttp://127.0.0.1:"));

        // Authorization URL: gitsign's parameters, sorted.
        let url = b.opened.lock().unwrap()[0].clone();
        let params = form_decode(url.split_once('?').unwrap().1);
        let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "access_type",
                "client_id",
                "code_challenge",
                "code_challenge_method",
                "nonce",
                "redirect_uri",
                "response_type",
                "scope",
                "state"
            ]
        );
        assert_eq!(param(&params, "scope"), "openid email");
        assert!(url.contains("scope=openid+email"));
        assert_eq!(param(&params, "code_challenge_method"), "S256");
        let redirect = param(&params, "redirect_uri");
        assert!(redirect.starts_with("http://localhost:") && redirect.ends_with("/auth/callback"));
        assert_eq!(param(&params, "state").len(), 22);
        assert_eq!(param(&params, "nonce").len(), 22);

        // Token request: code, verifier whose S256 is the challenge, same redirect_uri.
        let token_req = provider
            .server
            .seen()
            .into_iter()
            .find(|r| r.path() == "/token")
            .unwrap();
        assert_eq!(
            token_req.form_value("grant_type").unwrap(),
            "authorization_code"
        );
        assert_eq!(token_req.form_value("code").unwrap(), "good-code");
        assert_eq!(token_req.form_value("client_id").unwrap(), "sigstore");
        assert_eq!(token_req.form_value("redirect_uri").unwrap(), redirect);
        let verifier = token_req.form_value("code_verifier").unwrap();
        assert_eq!(verifier.len(), 64);
        assert_eq!(
            Pkce::from_verifier(zeroize::Zeroizing::new(verifier)).challenge,
            param(&params, "code_challenge")
        );
        assert!(token_req.header("authorization").is_none(), "public client");

        // The favicon got a 404, the callback the success page. The browser thread records
        // the callback's answer after reading it to the end, which may be after the flow
        // returned: wait for it (a few seconds at most).
        let start = std::time::Instant::now();
        while b.responses.lock().unwrap().len() < 2 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let responses = b.responses.lock().unwrap().clone();
        assert!(responses[0].starts_with("HTTP/1.1 404"));
        assert!(responses[1].starts_with("HTTP/1.1 200"));
        assert!(responses[1].contains("authentication successful"));
    }

    #[test]
    fn state_mismatch_is_rejected() {
        let provider = FakeProvider::start(ProviderOptions::default());
        let b = browser(&provider, |_| {
            vec!["/auth/callback?code=good-code&state=forged".to_owned()]
        });
        let (r, _) = run_with(&provider, &cfg(&provider), &b);
        assert!(matches!(r, Err(OidcError::StateMismatch)), "{r:?}");
        assert!(
            !provider.server.seen().iter().any(|r| r.path() == "/token"),
            "no code exchange after a state mismatch"
        );
    }

    #[test]
    fn access_denied_is_reported() {
        let provider = FakeProvider::start(ProviderOptions::default());
        let b = browser(&provider, |p| {
            vec![format!(
                "/auth/callback?error=access_denied&error_description=User+said+no&state={}",
                form_component(&param(p, "state"))
            )]
        });
        let (r, _) = run_with(&provider, &cfg(&provider), &b);
        match r {
            Err(OidcError::Denied { error, description }) => {
                assert_eq!(error, "access_denied");
                assert_eq!(description.as_deref(), Some("User said no"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn callback_from_another_issuer_is_rejected() {
        let provider = FakeProvider::start(ProviderOptions::default());
        let b = browser(&provider, |p| {
            vec![format!(
                "/auth/callback?code=good-code&state={}&iss=https%3A%2F%2Fevil.example",
                form_component(&param(p, "state"))
            )]
        });
        let (r, _) = run_with(&provider, &cfg(&provider), &b);
        assert!(
            matches!(r, Err(OidcError::CallbackIssuerMismatch(_))),
            "{r:?}"
        );
    }

    #[test]
    fn wrong_nonce_in_token_is_rejected() {
        let provider = FakeProvider::start(ProviderOptions {
            force_nonce: Some("not-the-one".into()),
            ..ProviderOptions::default()
        });
        let b = browser(&provider, |p| {
            vec![format!(
                "/auth/callback?code=good-code&state={}",
                form_component(&param(p, "state"))
            )]
        });
        let (r, _) = run_with(&provider, &cfg(&provider), &b);
        assert!(
            matches!(
                r,
                Err(OidcError::Jwt(crate::oidc::jwt::JwtError::NonceMismatch))
            ),
            "{r:?}"
        );
    }

    #[test]
    fn bad_code_gives_the_token_endpoint_error() {
        let provider = FakeProvider::start(ProviderOptions::default());
        let b = browser(&provider, |p| {
            vec![format!(
                "/auth/callback?code=stale&state={}",
                form_component(&param(p, "state"))
            )]
        });
        let (r, _) = run_with(&provider, &cfg(&provider), &b);
        match r {
            Err(OidcError::Endpoint { status, error, .. }) => {
                assert_eq!(status, 400);
                assert_eq!(error, "invalid_grant");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn timeout_when_nobody_comes_back() {
        let provider = FakeProvider::start(ProviderOptions::default());
        let b = browser(&provider, |_| Vec::new());
        let mut c = cfg(&provider);
        c.interactive_timeout = Duration::from_millis(200);
        let (r, _) = run_with(&provider, &c, &b);
        let err = r.unwrap_err();
        assert!(matches!(err, OidcError::CallbackTimeout(_)), "{err:?}");
        assert!(err.to_string().contains("timed out"));
    }

    #[test]
    fn provider_without_s256_is_refused() {
        let provider = FakeProvider::start(ProviderOptions {
            pkce_methods: vec!["plain".into()],
            ..ProviderOptions::default()
        });
        let b = browser(&provider, |_| Vec::new());
        let (r, _) = run_with(&provider, &cfg(&provider), &b);
        assert!(matches!(r, Err(OidcError::PkceUnsupported(_))), "{r:?}");
    }

    #[test]
    fn confidential_client_uses_basic_auth() {
        let provider = FakeProvider::start(ProviderOptions::default());
        let b = browser(&provider, |p| {
            vec![format!(
                "/auth/callback?code=good-code&state={}",
                form_component(&param(p, "state"))
            )]
        });
        let mut c = cfg(&provider);
        c.client_secret = Some(zeroize::Zeroizing::new("s3cr3t".into()));
        let (r, _) = run_with(&provider, &c, &b);
        r.unwrap();
        let token_req = provider
            .server
            .seen()
            .into_iter()
            .find(|r| r.path() == "/token")
            .unwrap();
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("sigstore:s3cr3t")
        );
        assert_eq!(token_req.header("authorization"), Some(expected.as_str()));
    }

    #[test]
    fn redirect_url_parsing() {
        assert!(parse_redirect("http://localhost:0/cb").is_ok());
        assert!(parse_redirect("http://[::1]:8080/cb").is_ok());
        assert!(parse_redirect("https://localhost:1/cb").is_err());
        assert!(parse_redirect("http://0.0.0.0:1/cb").is_err());
        assert!(parse_redirect("http://localhost/cb").is_err());
        assert!(parse_redirect("http://localhost:1/cb?x=1").is_err());
        let lb = Loopback::bind("http://127.0.0.1:0/custom/path").unwrap();
        assert!(lb.redirect_uri.starts_with("http://127.0.0.1:"));
        assert!(lb.redirect_uri.ends_with("/custom/path"));
    }

    #[test]
    fn success_page_autocloses_only_with_connector() {
        let mut c = TokenSourceConfig::default();
        assert!(!success_page(&c).contains("<script>"));
        c.connector_id = "https://github.com/login/oauth".into();
        assert!(success_page(&c).contains("close automatically in 6 seconds"));
        c.autoclose = false;
        assert!(!success_page(&c).contains("<script>"));
    }
}
