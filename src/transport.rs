//! The HTTP client every Sigstore and OIDC call goes through, and the only module that opens
//! sockets to services.
//!
//! It owns the [`Transport`] trait (one request in, one response out), the blocking
//! implementation [`HttpTransport`] on ureq 3 with rustls, and the policy that belongs to the
//! wire rather than to a protocol: connect and overall timeouts, an optional deadline per
//! request set by the caller (every attempt and backoff delay ends by it), bounded retries with
//! exponential backoff on timeouts, dropped connections and 5xx answers (never on 4xx: a
//! rejected token or a malformed entry does not get better by asking again; nor when the name
//! does not resolve or the host refuses the connection: those are answers, and they will not be
//! different a second later), a response size limit, the
//! `User-Agent: gitseal/<version>` header, and **no redirects** (a redirect could carry a bearer
//! token or a POST body to another host; compare the OAuth 2.0 security BCP, RFC 9700 §4.11).
//!
//! It must not know Sigstore semantics: callers (`fulcio`, `rekor::client`, `oidc`) decide what a
//! status code means. It never logs: requests carry identity tokens, PKCE verifiers and client
//! secrets, so [`Request`]'s `Debug` shows only the method, the URL without its query, and the
//! header names, and errors name the service and the URL without its query string.

use std::fmt;
use std::io::Read as _;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

/// The remote party a request is for; named in every error so the user knows which service
/// (and so which config key) is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// The Fulcio certificate authority (`gitsign.fulcio`).
    Fulcio,
    /// The Rekor transparency log (`gitsign.rekor`).
    Rekor,
    /// The OIDC provider: discovery, JWKS, token and device endpoints (`gitsign.issuer`).
    OidcProvider,
    /// A CI system's token service (GitHub Actions' `ACTIONS_ID_TOKEN_REQUEST_URL`).
    CiTokenService,
    /// A TUF repository serving the trust root (`gitseal trust`, issue 14).
    TufRepository,
    /// An RFC 3161 timestamp authority (`gitsign.timestampServerURL`).
    TimestampAuthority,
}

impl Service {
    /// Where the user sets this service's URL, for errors that must name the setting.
    pub fn setting(&self) -> &'static str {
        match self {
            Service::Fulcio => "gitsign.fulcio / GITSEAL_FULCIO_URL",
            Service::Rekor => "gitsign.rekor / GITSEAL_REKOR_URL",
            Service::OidcProvider => {
                "gitsign.issuer / GITSEAL_OIDC_ISSUER, or the provider's discovery document"
            }
            Service::CiTokenService => "ACTIONS_ID_TOKEN_REQUEST_URL",
            Service::TufRepository => {
                "gitseal trust init --mirror / gitseal.tufMirror / TUF_MIRROR"
            }
            Service::TimestampAuthority => {
                "gitsign.timestampServerURL / GITSEAL_TIMESTAMP_SERVER_URL"
            }
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Fulcio => "Fulcio",
            Service::Rekor => "Rekor",
            Service::OidcProvider => "the OIDC provider",
            Service::CiTokenService => "the CI token service",
            Service::TufRepository => "the TUF repository",
            Service::TimestampAuthority => "the timestamp authority",
        })
    }
}

/// HTTP method; only the two the Sigstore and OAuth protocols use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// Whether a request may be sent again after a connection failure or a 5xx answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Sending it twice is harmless (GETs, Fulcio and Rekor POSTs: Rekor answers a duplicate
    /// with 409, Fulcio just issues another certificate).
    Allowed,
    /// Sending it twice can fail or mislead: an OAuth authorization-code exchange (the code is
    /// single-use, RFC 6749 §4.1.2) or a device-flow poll (the flow has its own pacing).
    Never,
}

/// One HTTP request. The body is zeroized when dropped because it may hold a token or a PKCE
/// verifier.
#[derive(Clone)]
pub struct Request {
    /// Which service this is for (error messages).
    pub service: Service,
    /// GET or POST.
    pub method: Method,
    /// Absolute `http`/`https` URL.
    pub url: String,
    /// Extra headers. Values may be secrets (`Authorization`); they never appear in `Debug`.
    pub headers: Vec<(String, Zeroizing<String>)>,
    /// Request body, if any.
    pub body: Option<Zeroizing<Vec<u8>>>,
    /// Retry policy.
    pub retry: Retry,
    /// When the caller stops waiting: every attempt gets at most the time left, no retry or
    /// backoff delay runs past it. `None`: only the transport's own limits apply.
    pub deadline: Option<Instant>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.as_ref().map(|b| b.len()))
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Request {
    /// A GET request.
    pub fn get(service: Service, url: impl Into<String>) -> Self {
        Self {
            service,
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            retry: Retry::Allowed,
            deadline: None,
        }
    }

    /// A POST with a JSON body (`Content-Type: application/json`).
    pub fn post_json<T: Serialize + ?Sized>(
        service: Service,
        url: impl Into<String>,
        body: &T,
    ) -> Result<Self, TransportError> {
        let url = url.into();
        let bytes = serde_json::to_vec(body).map_err(|e| TransportError::Encode {
            service,
            url: redact_url(&url),
            reason: e.to_string(),
        })?;
        Ok(Self {
            service,
            method: Method::Post,
            url,
            headers: vec![(
                "Content-Type".into(),
                Zeroizing::new("application/json".into()),
            )],
            body: Some(Zeroizing::new(bytes)),
            retry: Retry::Allowed,
            deadline: None,
        })
    }

    /// A POST with an `application/x-www-form-urlencoded` body (OAuth token and device
    /// endpoints, RFC 6749 §4.1.3, RFC 8628 §3.1).
    pub fn post_form(service: Service, url: impl Into<String>, fields: &[(&str, &str)]) -> Self {
        Self {
            service,
            method: Method::Post,
            url: url.into(),
            headers: vec![(
                "Content-Type".into(),
                Zeroizing::new("application/x-www-form-urlencoded".into()),
            )],
            body: Some(Zeroizing::new(form_encode(fields).into_bytes())),
            retry: Retry::Allowed,
            deadline: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), Zeroizing::new(value.to_owned())));
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        let value = Zeroizing::new(format!("Bearer {token}"));
        self.header("Authorization", &value)
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the deadline (see [`Request::deadline`]); an earlier one already set is kept.
    pub fn deadline(mut self, at: Instant) -> Self {
        self.deadline = Some(self.deadline.map_or(at, |d| d.min(at)));
        self
    }
}

/// One HTTP response, whatever its status: callers interpret statuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The whole body (at most the configured limit).
    pub body: Vec<u8>,
}

impl Response {
    /// First header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// A short, printable excerpt of the body for error messages: at most 300 characters,
    /// control characters replaced, so a hostile server cannot paint the terminal.
    pub fn body_excerpt(&self) -> String {
        excerpt(&self.body)
    }
}

/// A short printable excerpt of server-provided bytes (see [`Response::body_excerpt`]).
pub fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out.trim().to_owned()
}

/// Why a request produced no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The URL is not an absolute http(s) URL.
    #[error("the {service} URL {url:?} is not a valid http(s) URL")]
    BadUrl {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
    },
    /// The URL breaks the HTTPS-only rule ([`crate::net::https`]): refused before any
    /// connection.
    #[error("the {service} URL {url} ({setting}) is refused: {reason}")]
    Insecure {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// Where the URL is set ([`Service::setting`]).
        setting: &'static str,
        /// The rule it breaks.
        reason: crate::net::https::UrlRefused,
    },
    /// No connection could be made (refused, unreachable, DNS failure), after all retries
    /// (none for a refused connection or a name that does not resolve).
    #[error("could not connect to {service} at {url} ({attempts} attempts): {reason}")]
    Connect {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// What the OS or client library said.
        reason: String,
    },
    /// A timeout expired.
    #[error("{service} at {url} did not answer in time ({attempts} attempts; limit {limit:?})")]
    Timeout {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The overall per-request limit in force.
        limit: Duration,
    },
    /// The TLS handshake failed (certificate not trusted, wrong host name, protocol).
    #[error("TLS with {service} at {url} failed: {reason}")]
    Tls {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// Details.
        reason: String,
    },
    /// The caller's deadline ([`Request::deadline`]) passed before an answer arrived.
    #[error("{service} at {url} did not answer before the deadline ({attempts} attempts)")]
    DeadlineExceeded {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// Attempts made (0: the deadline had passed before the first one).
        attempts: u32,
    },
    /// The response body exceeded the size limit.
    #[error("{service} at {url} sent a response larger than {limit} bytes")]
    TooLarge {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The server spoke broken HTTP.
    #[error("{service} at {url} sent an invalid HTTP response: {reason}")]
    Protocol {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// Details.
        reason: String,
    },
    /// The request body could not be serialised (a bug, not a network problem).
    #[error("could not encode the request to {service} at {url}: {reason}")]
    Encode {
        /// Service.
        service: Service,
        /// The URL (query removed).
        url: String,
        /// Details.
        reason: String,
    },
}

impl TransportError {
    /// The service the failing request was for.
    pub fn service(&self) -> Service {
        match self {
            TransportError::BadUrl { service, .. }
            | TransportError::Insecure { service, .. }
            | TransportError::Connect { service, .. }
            | TransportError::Timeout { service, .. }
            | TransportError::DeadlineExceeded { service, .. }
            | TransportError::Tls { service, .. }
            | TransportError::TooLarge { service, .. }
            | TransportError::Protocol { service, .. }
            | TransportError::Encode { service, .. } => *service,
        }
    }
}

/// Sends requests. Implemented by [`HttpTransport`]; tests and the in-process testbed may
/// provide their own.
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the response, whatever its status. Errors mean no usable
    /// HTTP response arrived. An implementation must not wait past [`Request::deadline`].
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }
}

/// Timeouts, retries and limits for [`HttpTransport`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportConfig {
    /// Limit for DNS + TCP connect + TLS handshake.
    pub connect_timeout: Duration,
    /// Limit for one whole attempt (connect, send, receive).
    pub timeout: Duration,
    /// Extra attempts after the first one, for connection failures and 5xx answers.
    pub max_retries: u32,
    /// Delay before the first retry; doubles on each further retry.
    pub initial_backoff: Duration,
    /// Upper bound for one backoff delay.
    pub max_backoff: Duration,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// Send requests through the proxies `net.proxy` names (curl's rules,
    /// [`crate::net::proxy`]); false connects directly whatever they say (tests).
    pub use_env_proxy: bool,
    /// TLS trust anchors and proxies, from configuration ([`crate::net::NetSettings::resolve`]);
    /// the default trusts the built-in Mozilla set and names no proxy.
    pub net: crate::net::NetSettings,
}

impl Default for TransportConfig {
    /// 10 s to connect, 30 s per attempt (sigstore-go's Fulcio and Rekor timeout), 3 retries
    /// starting at 1 s (gitsign's retryablehttp uses 3), 4 MiB bodies (a Rekor entry with its
    /// proof is a few kB; a JWKS or discovery document far less).
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_retries: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            max_response_bytes: 4 * 1024 * 1024,
            use_env_proxy: true,
            net: crate::net::NetSettings::default(),
        }
    }
}

/// The `User-Agent` sent with every request.
pub fn user_agent() -> String {
    format!("gitseal/{}", env!("CARGO_PKG_VERSION"))
}

/// The blocking HTTP client (ureq 3, rustls on aws-lc-rs, the trust anchors of [`crate::net::tls`]).
pub struct HttpTransport {
    /// Built at the first request, not with the transport: building it reads the operating
    /// system's trust store (every file of /etc/ssl/certs, milliseconds), and most
    /// transports never connect (verifying offline-mode signatures, issue 18's per-call cost).
    agent: std::sync::OnceLock<ureq::Agent>,
    build: std::sync::Mutex<Option<AgentBuilder>>,
    config: TransportConfig,
}

/// What builds the agent on first use.
type AgentBuilder = Box<dyn FnOnce() -> ureq::Agent + Send>;

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

/// What one attempt produced, before the retry decision.
enum Attempt {
    Done(Response),
    Retryable(TransportError),
    Fatal(TransportError),
}

impl HttpTransport {
    /// Builds the client.
    pub fn new(config: TransportConfig) -> Self {
        Self::with_resolver(
            config,
            ureq::unversioned::resolver::DefaultResolver::default(),
        )
    }

    /// Builds the client on a given name resolver (tests: a resolver that fails without asking
    /// any DNS server). Whatever it is, its failures are made final ([`FinalResolveErrors`]).
    fn with_resolver(
        config: TransportConfig,
        resolver: impl ureq::unversioned::resolver::Resolver,
    ) -> Self {
        let net = config.net.clone();
        let (connect_timeout, timeout) = (config.connect_timeout, config.timeout);
        let build: AgentBuilder =
            Box::new(move || Self::agent(&net, connect_timeout, timeout, resolver));
        Self {
            agent: std::sync::OnceLock::new(),
            build: std::sync::Mutex::new(Some(build)),
            config,
        }
    }

    /// The agent, built on first use.
    fn client(&self) -> &ureq::Agent {
        self.agent.get_or_init(|| {
            // `get_or_init` runs this once, so the builder is there. Without it (a poisoned
            // lock after a panicking builder) the same agent is built from the stored
            // configuration with the default resolver: same anchors, proxies and rules.
            let build = self.build.lock().ok().and_then(|mut b| b.take());
            match build {
                Some(f) => f(),
                None => Self::agent(
                    &self.config.net,
                    self.config.connect_timeout,
                    self.config.timeout,
                    ureq::unversioned::resolver::DefaultResolver::default(),
                ),
            }
        })
    }

    /// The ureq agent for `net` (module docs: no redirects, every status a response, the
    /// proxy chosen per request).
    fn agent(
        net: &crate::net::NetSettings,
        connect_timeout: Duration,
        timeout: Duration,
        resolver: impl ureq::unversioned::resolver::Resolver,
    ) -> ureq::Agent {
        let agent_config = ureq::Agent::config_builder()
            // Every status comes back as a response; the protocol modules interpret them
            // (token endpoints answer errors as 400 + JSON, Rekor's 409 carries a Location).
            .http_status_as_error(false)
            // Never follow redirects (module docs).
            .max_redirects(0)
            .https_only(false)
            // rustls with the aws-lc-rs provider (the crate's one cryptography library, see
            // Cargo.toml) and the anchors net::tls resolved.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .unversioned_rustls_crypto_provider(crate::net::tls::crypto_provider())
                    .root_certs(net.tls.root_certs())
                    .build(),
            )
            .user_agent(user_agent())
            // The proxy is chosen per request (attempt): it depends on the URL's scheme and host.
            .proxy(None)
            .timeout_connect(Some(connect_timeout))
            .timeout_global(Some(timeout))
            // Drop pooled connections before common servers close them (Node's http server, as
            // behind oidc-provider: keepAliveTimeout 5 s). A request sent on a connection the
            // server is closing at that instant dies with "connection reset", and the token
            // POST is never retried (single-use codes): seen when a login took ~5 s (issue 12).
            .max_idle_age(std::time::Duration::from_secs(4))
            .build();
        ureq::Agent::with_parts(
            agent_config,
            ureq::unversioned::transport::DefaultConnector::default(),
            FinalResolveErrors(resolver),
        )
    }

    /// The configuration in force.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// One attempt, limited to `limit` from start to the last body byte (ureq's global
    /// timeout covers resolving, connecting, sending and reading the body).
    fn attempt(&self, request: &Request, attempts: u32, limit: Duration) -> Attempt {
        let url = redact_url(&request.url);
        let service = request.service;
        let proxy = match self.proxy_for(&request.url) {
            Ok(p) => p,
            Err(reason) => {
                return Attempt::Fatal(TransportError::Protocol {
                    service,
                    url,
                    reason,
                });
            }
        };
        let result = match request.method {
            Method::Get => {
                let mut b = self
                    .client()
                    .get(&request.url)
                    .config()
                    .timeout_global(Some(limit))
                    .proxy(proxy)
                    .build();
                for (k, v) in &request.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                b.call()
            }
            Method::Post => {
                let mut b = self
                    .client()
                    .post(&request.url)
                    .config()
                    .timeout_global(Some(limit))
                    .proxy(proxy)
                    .build();
                for (k, v) in &request.headers {
                    b = b.header(k.as_str(), v.as_str());
                }
                let body: &[u8] = request.body.as_deref().map(|b| b.as_slice()).unwrap_or(&[]);
                b.send(body)
            }
        };
        let mut response = match result {
            Ok(r) => r,
            Err(e) => return classify(e, service, url, attempts, limit),
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // Read at most limit+1 bytes: one byte more than allowed proves the body is too large
        // without buffering an unbounded answer.
        let max = self.config.max_response_bytes;
        let mut body = Vec::new();
        let read = response
            .body_mut()
            .as_reader()
            .take(max.saturating_add(1))
            .read_to_end(&mut body);
        if let Err(e) = read {
            let err = ureq::Error::from(e);
            return classify(err, service, url, attempts, limit);
        }
        if body.len() as u64 > max {
            return Attempt::Fatal(TransportError::TooLarge {
                service,
                url,
                limit: max,
            });
        }
        Attempt::Done(Response {
            status,
            headers,
            body,
        })
    }

    /// The proxy for `url` ([`crate::net::proxy`] decides), as ureq wants it.
    fn proxy_for(&self, url: &str) -> Result<Option<ureq::Proxy>, String> {
        if !self.config.use_env_proxy {
            return Ok(None);
        }
        match self.config.net.proxy.proxy_for(url) {
            None => Ok(None),
            Some(p) => ureq::Proxy::new(p)
                .map(Some)
                .map_err(|e| format!("unusable proxy {}: {e}", redact_url(p))),
        }
    }

    fn backoff(&self, retry_number: u32) -> Duration {
        let factor = 1u32.checked_shl(retry_number).unwrap_or(u32::MAX);
        self.config
            .initial_backoff
            .saturating_mul(factor)
            .min(self.config.max_backoff)
    }
}

/// The time left before `deadline`, `None` for no deadline; zero once it has passed.
fn time_left(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

impl Transport for HttpTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        if !(request.url.starts_with("https://") || request.url.starts_with("http://")) {
            return Err(TransportError::BadUrl {
                service: request.service,
                url: redact_url(&request.url),
            });
        }
        // Before any connection: a bearer token must not travel over plain HTTP (net::https).
        // Configured URLs were checked when the settings were read; this catches the ones
        // learnt at run time (discovery documents, CI token URLs).
        if let Err(reason) = crate::net::https::check(&request.url) {
            return Err(TransportError::Insecure {
                service: request.service,
                url: redact_url(&request.url),
                setting: request.service.setting(),
                reason,
            });
        }
        let max_attempts = match request.retry {
            Retry::Allowed => self.config.max_retries.saturating_add(1),
            Retry::Never => 1,
        };
        let past_deadline = |attempts| TransportError::DeadlineExceeded {
            service: request.service,
            url: redact_url(&request.url),
            attempts,
        };
        let mut attempts = 0u32;
        loop {
            // Each attempt gets the per-attempt limit or the time left, whichever is shorter:
            // the caller's deadline bounds the whole exchange, retries included.
            let limit = match time_left(request.deadline) {
                Some(left) if left.is_zero() => return Err(past_deadline(attempts)),
                Some(left) => left.min(self.config.timeout),
                None => self.config.timeout,
            };
            attempts += 1;
            let outcome = self.attempt(request, attempts, limit);
            let last = attempts >= max_attempts;
            // What to give back if no further attempt is made.
            let give_back = match outcome {
                Attempt::Done(r) if r.status >= 500 && !last => Ok(r),
                Attempt::Done(r) => return Ok(r),
                Attempt::Retryable(e) if !last => Err(e),
                Attempt::Retryable(e) | Attempt::Fatal(e) => return Err(e),
            };
            let pause = self.backoff(attempts - 1);
            // A retry that could not start before the deadline is not worth the wait: the
            // last answer (or error) is the result.
            if time_left(request.deadline).is_some_and(|left| left <= pause) {
                return give_back;
            }
            std::thread::sleep(pause);
        }
    }
}

/// A resolver whose failures are final: ureq reports a name that does not resolve as an I/O
/// error (`getaddrinfo`'s `EAI_NONAME`, or `EAI_AGAIN` with no network at all), which
/// [`classify`] would retry like a dropped connection. Resolving again a moment later gives
/// the same answer, so each retry only added its backoff delay to every request. They become
/// [`ureq::Error::HostNotFound`], which is not retried. A resolver timeout stays a timeout.
#[derive(Debug)]
struct FinalResolveErrors<R>(R);

impl<R: ureq::unversioned::resolver::Resolver> ureq::unversioned::resolver::Resolver
    for FinalResolveErrors<R>
{
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        self.0.resolve(uri, config, timeout).map_err(|e| match e {
            ureq::Error::Io(_) => ureq::Error::HostNotFound,
            other => other,
        })
    }
}

/// Maps a ureq error to our error and decides whether it is worth retrying.
fn classify(
    err: ureq::Error,
    service: Service,
    url: String,
    attempts: u32,
    limit: Duration,
) -> Attempt {
    use ureq::Error as E;
    match err {
        E::Timeout(kind) => {
            let e = TransportError::Timeout {
                service,
                url,
                attempts,
                limit,
            };
            // A connect timeout is a connection failure; an answer that started and then
            // stalled past the overall limit is not retried (the user already waited).
            if matches!(kind, ureq::Timeout::Connect | ureq::Timeout::Resolve) {
                Attempt::Retryable(e)
            } else {
                Attempt::Fatal(e)
            }
        }
        // The host answered "no" (RST to our SYN), or this machine has no route at all: asking
        // again at once gets the same answer (ureq has already tried every resolved address).
        E::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NetworkUnreachable
            ) =>
        {
            Attempt::Fatal(TransportError::Connect {
                service,
                url,
                attempts,
                reason: io.to_string(),
            })
        }
        E::Io(io) => match tls_cause(&io) {
            // rustls reports a failed handshake (an untrusted certificate, a wrong host name)
            // as an I/O error wrapping its own: that is a TLS answer, final, with the reason.
            Some(reason) => Attempt::Fatal(TransportError::Tls {
                service,
                url,
                reason,
            }),
            // A connection reset or dropped mid-exchange may well work on the next attempt.
            None => Attempt::Retryable(TransportError::Connect {
                service,
                url,
                attempts,
                reason: io.to_string(),
            }),
        },
        E::ConnectionFailed => Attempt::Retryable(TransportError::Connect {
            service,
            url,
            attempts,
            reason: "connection failed".into(),
        }),
        E::HostNotFound => Attempt::Fatal(TransportError::Connect {
            service,
            url,
            attempts,
            reason: "the host name does not resolve".into(),
        }),
        E::BadUri(_) => Attempt::Fatal(TransportError::BadUrl { service, url }),
        E::BodyExceedsLimit(limit) => Attempt::Fatal(TransportError::TooLarge {
            service,
            url,
            limit,
        }),
        E::Tls(reason) => Attempt::Fatal(TransportError::Tls {
            service,
            url,
            reason: reason.into(),
        }),
        E::Rustls(e) => Attempt::Fatal(TransportError::Tls {
            service,
            url,
            reason: describe_tls(&e),
        }),
        other => Attempt::Fatal(TransportError::Protocol {
            service,
            url,
            reason: other.to_string(),
        }),
    }
}

/// The TLS failure inside an I/O error, described, if it is one.
fn tls_cause(io: &std::io::Error) -> Option<String> {
    io.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .map(describe_tls)
}

/// A TLS failure in words a user can act on (which trust setting to look at).
fn describe_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    const TRUST: &str = "add its CA with gitseal.caBundle / GITSEAL_CA_BUNDLE, or SSL_CERT_FILE";
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            format!("the server's certificate is not issued by a trusted CA ({TRUST})")
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => "the server's certificate is not valid for this host name".into(),
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the server's certificate has expired".into()
        }
        other => other.to_string(),
    }
}

/// The URL without query string or fragment (which may carry tokens: GitHub's token request
/// URL, OAuth callback parameters) and without userinfo.
pub fn redact_url(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let base = &url[..cut];
    // Drop `user:pass@` from the authority.
    if let Some(scheme_end) = base.find("://") {
        let rest = &base[scheme_end + 3..];
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            return format!("{}{}", &base[..scheme_end + 3], &rest[at + 1..]);
        }
    }
    base.to_owned()
}

/// Percent-encodes one component for `application/x-www-form-urlencoded` bodies and URL
/// queries (the WHATWG URL Standard's form serializer, `form_urlencoded`): ASCII letters,
/// digits and `*-._` kept, space as `+`, every other byte `%XX`. Go's `url.QueryEscape` (what
/// gitsign sends) differs only in `*` and `~`, which every form decoder reads the same either way.
pub fn form_component(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `k1=v1&k2=v2`, each component form-encoded.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// Parses `a=b&c=d` into decoded pairs (`+` is a space, `%XX` a byte; a `%` not followed by
/// two hex digits stays literal, invalid UTF-8 is replaced), as the WHATWG form parser does.
pub fn form_decode(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Joins a service base URL and an absolute API path without doubling or losing the slash
/// (`https://rekor.example/` + `/api/v1/log`).
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod test_server {
    //! A scripted HTTP/1.1 server on 127.0.0.1 for wire-format tests: it records every request
    //! and answers each with what the handler returns. One request per connection.

    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;
    use std::time::Duration;

    /// A request as the server saw it.
    #[derive(Clone, Debug)]
    pub struct Seen {
        pub method: String,
        /// Path and query.
        pub target: String,
        /// Lower-cased names.
        pub headers: Vec<(String, String)>,
        pub body: Vec<u8>,
    }

    impl Seen {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
        pub fn path(&self) -> &str {
            self.target.split('?').next().unwrap_or("")
        }
        pub fn json(&self) -> serde_json::Value {
            serde_json::from_slice(&self.body).unwrap()
        }
        pub fn form(&self) -> Vec<(String, String)> {
            super::form_decode(std::str::from_utf8(&self.body).unwrap())
        }
        pub fn form_value(&self, k: &str) -> Option<String> {
            self.form()
                .into_iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v)
        }
    }

    /// What to answer.
    #[derive(Clone, Debug)]
    pub struct Reply {
        pub status: u16,
        pub headers: Vec<(String, String)>,
        pub body: Vec<u8>,
        /// Sleep before answering (timeout tests).
        pub delay: Option<Duration>,
        /// Close the connection without answering.
        pub hang_up: bool,
    }

    impl Reply {
        pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
            Self {
                status,
                headers: Vec::new(),
                body: body.into(),
                delay: None,
                hang_up: false,
            }
        }
        pub fn json(status: u16, v: &serde_json::Value) -> Self {
            Self::new(status, serde_json::to_vec(v).unwrap())
                .with_header("Content-Type", "application/json")
        }
        pub fn with_header(mut self, k: &str, v: &str) -> Self {
            self.headers.push((k.into(), v.into()));
            self
        }
        pub fn delayed(mut self, d: Duration) -> Self {
            self.delay = Some(d);
            self
        }
        pub fn hang_up() -> Self {
            let mut r = Self::new(0, Vec::new());
            r.hang_up = true;
            r
        }
    }

    type Handler = Box<dyn FnMut(&Seen) -> Reply + Send>;

    pub struct FakeServer {
        pub port: u16,
        seen: Arc<Mutex<Vec<Seen>>>,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl FakeServer {
        pub fn start(handler: impl FnMut(&Seen) -> Reply + Send + 'static) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let seen = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let (seen2, stop2) = (seen.clone(), stop.clone());
            let mut handler: Handler = Box::new(handler);
            let thread = std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = conn else { continue };
                    serve(stream, &mut handler, &seen2);
                }
            });
            Self {
                port,
                seen,
                stop,
                thread: Some(thread),
            }
        }

        pub fn url(&self) -> String {
            format!("http://127.0.0.1:{}", self.port)
        }

        pub fn seen(&self) -> Vec<Seen> {
            self.seen.lock().unwrap().clone()
        }
    }

    impl Drop for FakeServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn serve(stream: TcpStream, handler: &mut Handler, seen: &Mutex<Vec<Seen>>) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let target = parts.next().unwrap_or("").to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                break;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        let req = Seen {
            method,
            target,
            headers,
            body,
        };
        seen.lock().unwrap().push(req.clone());
        let reply = handler(&req);
        let mut stream = reader.into_inner();
        if let Some(d) = reply.delay {
            std::thread::sleep(d);
        }
        if reply.hang_up {
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(&reply.body);
        let _ = stream.flush();
    }

    /// A transport with fast retries and short timeouts for tests.
    pub fn fast_transport() -> super::HttpTransport {
        super::HttpTransport::new(super::TransportConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            max_retries: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_response_bytes: 64 * 1024,
            use_env_proxy: false,
            ..super::TransportConfig::default()
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::test_server::{FakeServer, Reply, fast_transport};
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// The client (and with it the operating system's trust store) is built at the first
    /// request, not with the transport: a verification that never connects never pays for
    /// reading /etc/ssl/certs (issue 18). Built once, then reused.
    #[test]
    fn the_client_is_built_at_the_first_request() {
        let server = FakeServer::start(|_| Reply::json(200, &serde_json::json!({"ok": true})));
        let t = HttpTransport::new(TransportConfig {
            net: crate::net::NetSettings::resolve(
                &crate::config::GitConfig::default(),
                &crate::config::Env::default(),
            )
            .unwrap(),
            ..TransportConfig::default()
        });
        assert!(t.agent.get().is_none(), "built before any request");
        assert!(
            t.config().net.tls.certificates().is_empty(),
            "system store read early"
        );
        let req = Request::get(Service::Rekor, join_url(&server.url(), "/a"));
        assert_eq!(t.send(&req).unwrap().status, 200);
        assert!(t.agent.get().is_some());
        assert_eq!(t.send(&req).unwrap().status, 200);
        assert_eq!(server.seen().len(), 2);
    }

    #[test]
    fn sends_user_agent_headers_and_body() {
        let server = FakeServer::start(|_| Reply::json(200, &serde_json::json!({"ok": true})));
        let t = fast_transport();
        let req = Request::post_json(
            Service::Rekor,
            join_url(&server.url(), "/api/v1/x"),
            &serde_json::json!({"a": 1}),
        )
        .unwrap()
        .bearer("secret-token");
        let resp = t.send(&req).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("Content-Type"), Some("application/json"));
        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].path(), "/api/v1/x");
        assert_eq!(seen[0].header("user-agent"), Some(user_agent().as_str()));
        assert_eq!(seen[0].header("authorization"), Some("Bearer secret-token"));
        assert_eq!(seen[0].header("content-type"), Some("application/json"));
        assert_eq!(seen[0].json(), serde_json::json!({"a": 1}));
        // The secret never shows in Debug.
        let dbg = format!("{req:?}");
        assert!(!dbg.contains("secret-token"), "{dbg}");
    }

    #[test]
    fn retries_5xx_then_succeeds() {
        let n = Arc::new(AtomicU32::new(0));
        let n2 = n.clone();
        let server = FakeServer::start(move |_| {
            if n2.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::new(503, "busy")
            } else {
                Reply::new(200, "ok")
            }
        });
        let resp = fast_transport()
            .send(&Request::get(Service::Fulcio, server.url()))
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"ok");
        assert_eq!(server.seen().len(), 3);
    }

    #[test]
    fn gives_back_last_5xx_after_retries() {
        let server = FakeServer::start(|_| Reply::new(500, "down"));
        let resp = fast_transport()
            .send(&Request::get(Service::Fulcio, server.url()))
            .unwrap();
        assert_eq!(resp.status, 500);
        assert_eq!(server.seen().len(), 3, "1 try + 2 retries");
    }

    #[test]
    fn no_retry_on_4xx_or_when_forbidden() {
        let server = FakeServer::start(|_| Reply::new(400, "bad"));
        let resp = fast_transport()
            .send(&Request::get(Service::Rekor, server.url()))
            .unwrap();
        assert_eq!(resp.status, 400);
        assert_eq!(server.seen().len(), 1);

        let server = FakeServer::start(|_| Reply::new(502, "bad gateway"));
        let resp = fast_transport()
            .send(&Request::get(Service::Rekor, server.url()).retry(Retry::Never))
            .unwrap();
        assert_eq!(resp.status, 502);
        assert_eq!(server.seen().len(), 1);
    }

    #[test]
    fn redirects_are_not_followed() {
        let server = FakeServer::start(|_| {
            Reply::new(302, "").with_header("Location", "http://127.0.0.1:1/elsewhere")
        });
        let resp = fast_transport()
            .send(&Request::get(Service::OidcProvider, server.url()))
            .unwrap();
        assert_eq!(resp.status, 302);
        assert_eq!(server.seen().len(), 1);
    }

    #[test]
    fn oversized_response_is_rejected() {
        let server = FakeServer::start(|_| Reply::new(200, vec![b'x'; 64 * 1024 + 1]));
        let err = fast_transport()
            .send(&Request::get(Service::Rekor, server.url()))
            .unwrap_err();
        assert!(
            matches!(err, TransportError::TooLarge { limit: 65536, .. }),
            "{err}"
        );
        // Exactly at the limit is fine.
        let server = FakeServer::start(|_| Reply::new(200, vec![b'x'; 64 * 1024]));
        let resp = fast_transport()
            .send(&Request::get(Service::Rekor, server.url()))
            .unwrap();
        assert_eq!(resp.body.len(), 64 * 1024);
    }

    #[test]
    fn timeout_names_service_and_url() {
        let server =
            FakeServer::start(|_| Reply::new(200, "late").delayed(Duration::from_millis(1500)));
        let t = HttpTransport::new(TransportConfig {
            timeout: Duration::from_millis(300),
            max_retries: 0,
            use_env_proxy: false,
            ..TransportConfig::default()
        });
        let url = format!("{}/api?token=hunter2", server.url());
        let err = t.send(&Request::get(Service::Fulcio, url)).unwrap_err();
        assert!(matches!(err, TransportError::Timeout { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("Fulcio"), "{msg}");
        assert!(msg.contains("/api"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    /// A port on 127.0.0.1 nobody listens on (bound, then released).
    fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Retries with long backoff delays: a retry shows in the elapsed time.
    fn slow_retry_transport() -> HttpTransport {
        HttpTransport::new(TransportConfig {
            max_retries: 3,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(8),
            use_env_proxy: false,
            ..TransportConfig::default()
        })
    }

    #[test]
    fn connection_refused_is_final() {
        // Issue 11: a refused connection was retried with backoff, so every request to a
        // dead log cost the whole backoff series (2 + 4 + 8 s here) for the same answer.
        let url = format!("http://127.0.0.1:{}/", closed_port());
        let start = std::time::Instant::now();
        let err = slow_retry_transport()
            .send(&Request::get(Service::Rekor, url))
            .unwrap_err();
        match &err {
            TransportError::Connect {
                attempts, reason, ..
            } => {
                assert_eq!(*attempts, 1, "{err}");
                assert!(reason.to_lowercase().contains("refused"), "{err}");
            }
            other => panic!("{other:?}"),
        }
        assert!(start.elapsed() < Duration::from_secs(2), "{err}");
    }

    /// A resolver that fails the way the system resolver does for a name that does not
    /// resolve (ureq turns `getaddrinfo`'s error into an I/O error), without asking any DNS
    /// server, and counts how often it was asked.
    #[derive(Debug, Default)]
    struct NoSuchName(Arc<AtomicU32>);

    impl ureq::unversioned::resolver::Resolver for NoSuchName {
        fn resolve(
            &self,
            _uri: &ureq::http::Uri,
            _config: &ureq::config::Config,
            _timeout: ureq::unversioned::transport::NextTimeout,
        ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(ureq::Error::Io(std::io::Error::other(
                "failed to lookup address information: Name or service not known",
            )))
        }
    }

    #[test]
    fn unresolvable_name_is_final() {
        let asked = Arc::new(AtomicU32::new(0));
        let t = HttpTransport::with_resolver(
            TransportConfig {
                use_env_proxy: false,
                ..slow_retry_transport().config().clone()
            },
            NoSuchName(asked.clone()),
        );
        let start = std::time::Instant::now();
        let err = t
            .send(&Request::get(
                Service::Rekor,
                "https://rekor.invalid/api/v1/log",
            ))
            .unwrap_err();
        assert!(
            matches!(err, TransportError::Connect { attempts: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("does not resolve"), "{err}");
        assert_eq!(asked.load(Ordering::SeqCst), 1, "resolved exactly once");
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn dropped_connections_and_5xx_are_still_retried() {
        // Only refusals and unknown names became final: a server that accepts and then
        // closes without answering is asked again, as before.
        let server = FakeServer::start(|_| Reply::hang_up());
        let _ = fast_transport().send(&Request::get(Service::Rekor, server.url()));
        assert_eq!(server.seen().len(), 3, "1 try + 2 retries");
    }

    #[test]
    fn deadline_cuts_a_slow_answer() {
        let server =
            FakeServer::start(|_| Reply::new(200, "late").delayed(Duration::from_millis(2500)));
        let t = HttpTransport::new(TransportConfig {
            timeout: Duration::from_secs(30),
            use_env_proxy: false,
            ..TransportConfig::default()
        });
        let start = std::time::Instant::now();
        let err = t
            .send(
                &Request::get(Service::Rekor, server.url())
                    .deadline(start + Duration::from_millis(300)),
            )
            .unwrap_err();
        assert!(matches!(err, TransportError::Timeout { .. }), "{err:?}");
        assert!(start.elapsed() < Duration::from_millis(2000), "{err}");
    }

    #[test]
    fn deadline_stops_retries_and_backoff() {
        let server = FakeServer::start(|_| Reply::new(503, "busy"));
        let start = std::time::Instant::now();
        let resp = slow_retry_transport()
            .send(
                &Request::get(Service::Rekor, server.url())
                    .deadline(start + Duration::from_millis(500)),
            )
            .unwrap();
        // The 2 s backoff would end after the deadline: no retry, the 503 is the answer.
        assert_eq!(resp.status, 503);
        assert_eq!(server.seen().len(), 1);
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn past_deadline_sends_nothing() {
        let server = FakeServer::start(|_| Reply::new(200, "ok"));
        let now = std::time::Instant::now();
        let req = Request::get(Service::Rekor, server.url())
            .deadline(now + Duration::from_secs(60))
            .deadline(now);
        assert_eq!(req.deadline, Some(now), "the earlier deadline wins");
        let err = fast_transport().send(&req).unwrap_err();
        assert!(
            matches!(err, TransportError::DeadlineExceeded { attempts: 0, .. }),
            "{err:?}"
        );
        assert!(server.seen().is_empty());
    }

    #[test]
    fn hang_up_is_a_connection_error() {
        let server = FakeServer::start(|_| Reply::hang_up());
        let err = fast_transport()
            .send(&Request::get(Service::Rekor, server.url()).retry(Retry::Never))
            .unwrap_err();
        assert!(
            matches!(
                err,
                TransportError::Connect { .. } | TransportError::Protocol { .. }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn plain_http_to_a_non_loopback_host_is_refused_before_connecting() {
        // A resolver that counts: the refusal must come before name resolution, so no
        // connection can have been attempted.
        let asked = Arc::new(AtomicU32::new(0));
        let t = HttpTransport::with_resolver(
            fast_transport().config().clone(),
            NoSuchName(asked.clone()),
        );
        for (service, url) in [
            (Service::Fulcio, "http://fulcio.example/api/v2/signingCert"),
            (
                Service::CiTokenService,
                "http://ci.example/token?audience=x",
            ),
            (Service::OidcProvider, "http://10.1.2.3:8080/token"),
        ] {
            let err = t.send(&Request::get(service, url)).unwrap_err();
            assert!(
                matches!(&err, TransportError::Insecure { service: s, .. } if *s == service),
                "{err:?}"
            );
            let msg = err.to_string();
            assert!(msg.contains(service.setting()), "{msg}");
            assert!(msg.contains("https://"), "{msg}");
            assert!(!msg.contains("audience=x"), "{msg}");
        }
        assert_eq!(asked.load(Ordering::SeqCst), 0, "nothing was resolved");
        // Loopback stays usable over plain HTTP (the testbed, the fake servers here).
        let server = FakeServer::start(|_| Reply::new(200, "ok"));
        let local = server.url().replace("127.0.0.1", "localhost");
        assert_eq!(
            fast_transport()
                .send(&Request::get(Service::Rekor, local))
                .unwrap()
                .status,
            200
        );
    }

    #[test]
    fn rejects_non_http_urls() {
        let err = fast_transport()
            .send(&Request::get(Service::Rekor, "file:///etc/passwd"))
            .unwrap_err();
        assert!(matches!(err, TransportError::BadUrl { .. }));
    }

    #[test]
    fn url_helpers() {
        assert_eq!(
            redact_url("https://u:p@host.example/a/b?x=1#f"),
            "https://host.example/a/b"
        );
        assert_eq!(
            join_url("https://r.example/", "/api/v1/log"),
            "https://r.example/api/v1/log"
        );
        assert_eq!(
            form_encode(&[("scope", "openid email"), ("x", "a&b=c/ü")]),
            "scope=openid+email&x=a%26b%3Dc%2F%C3%BC"
        );
        assert_eq!(
            form_decode("scope=openid+email&x=a%26b%3Dc%2F%C3%BC&bad=%zz&t=%4"),
            vec![
                ("scope".into(), "openid email".into()),
                ("x".into(), "a&b=c/ü".into()),
                ("bad".into(), "%zz".into()),
                ("t".into(), "%4".into()),
            ]
        );
        // The hand-written decoder read `%+1` as the byte 0x01 (`from_str_radix` accepts a
        // sign); it is a literal `%` followed by a space and `1`.
        assert_eq!(
            form_decode("a=%+1&b=%-1&c=%2b1&d=%ff"),
            vec![
                ("a".into(), "% 1".into()),
                ("b".into(), "%-1".into()),
                ("c".into(), "+1".into()),
                ("d".into(), "\u{fffd}".into()),
            ]
        );
        // Round trip of everything a PKCE verifier, state or redirect URI may hold.
        let odd = "a b+c%d&e=f~g*h/i?j#k\u{0}l\u{e9}";
        let encoded = form_encode(&[(odd, odd), ("", "")]);
        assert_eq!(
            form_decode(&encoded),
            vec![(odd.into(), odd.into()), (String::new(), String::new())]
        );
        assert_eq!(form_component(odd), encoded.split('=').next().unwrap());
        assert_eq!(excerpt(b"line1\nline2\x1b[31m"), "line1 line2 [31m");
    }
}
