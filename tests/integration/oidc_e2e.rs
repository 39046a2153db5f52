//! The end-to-end login tier: gitseal's OIDC flows against a real, OpenID-certified provider
//! (panva `oidc-provider` 9, `tests/e2e/provider.mjs`) driven by a real headless browser
//! (Debian's Chromium through `playwright-core`, `tests/e2e/open-url`), with the testbed's
//! Fulcio trusting that provider as an extra issuer (Fulcio's `OIDCIssuers` model).
//!
//! * the browser flow through `gitseal::oidc` with the opener as `gitsign.urlOpener`: login and
//!   consent pages, loopback callback, token, then a Fulcio certificate for the provider's
//!   identity (RS256 and ES256 providers), and a real `git commit -S` that `git verify-commit`
//!   accepts (`%G?` = `G`, the provider's identity and issuer);
//! * the device flow: the prompt goes to the terminal sink (captured here, never stdout), the
//!   browser enters the code (complete URL, or typed), gitseal polls at the 5 s default (the
//!   provider sends no `interval`) and honours `slow_down`; and through `git commit -S`, the
//!   code read from gitseal's log file;
//! * failures a user can meet: the browser is closed, consent is denied (browser and device),
//!   a callback with a forged `state`, an ID token with the wrong `nonce` or `aud`, a provider
//!   that keeps `email` out of the ID token: each a one-line error and no token;
//! * PKCE evidence: the real provider refuses a login without a code challenge and a code
//!   exchanged with the wrong verifier.
//!
//! Needs `scripts/install-e2e` (Chromium and `tests/e2e/node_modules`); without them every test
//! here fails, naming that script. Nothing leaves 127.0.0.1.
#![cfg(feature = "testbed")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use der::Decode;
use gitseal::fulcio::{FulcioChain, FulcioClient};
use gitseal::oidc::discovery::{self, Pkce};
use gitseal::oidc::interactive::{self, Loopback};
use gitseal::oidc::jwt::JwtError;
use gitseal::oidc::{
    self, IdentityToken, OidcContext, OidcError, SystemClock, TokenSourceConfig, opener,
};
use gitseal::testbed::{OidcIssuerConfig, Testbed, TestbedConfig};
use gitseal::transport::{HttpTransport, TransportConfig};
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::Generate;
use serde_json::Value;
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use super::common::TestRepo;

/// The login the browser types; the provider makes it `sub` and `email`.
const LOGIN: &str = "e2e@example.test";
const E2E_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e");

// ---------------------------------------------------------------------------------------------
// Prerequisites: fail (never skip) with the fix.

fn chromium() -> PathBuf {
    std::env::var_os("OIDC_E2E_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn require_kit() {
    let e2e = Path::new(E2E_DIR);
    let mut missing = Vec::new();
    if !chromium().exists() {
        missing.push(format!("{} is not installed", chromium().display()));
    }
    for p in ["oidc-provider", "playwright-core"] {
        if !e2e
            .join("node_modules")
            .join(p)
            .join("package.json")
            .exists()
        {
            missing.push(format!("tests/e2e/node_modules/{p} is missing"));
        }
    }
    if missing.is_empty() {
        // install-e2e stamps node_modules with the lockfile it installed.
        let lock = std::fs::read(e2e.join("package-lock.json")).expect("package-lock.json");
        let want = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&lock));
        let have = std::fs::read_to_string(e2e.join("node_modules/.gitseal-lock.sha256"))
            .unwrap_or_default();
        if have.trim() != want {
            missing.push("tests/e2e/node_modules is stale (package-lock.json changed)".into());
        }
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => missing.push("node is not on PATH".into()),
    }
    assert!(
        missing.is_empty(),
        "the e2e login tier cannot run: {}. Run scripts/install-e2e (it installs Debian's chromium \
         and `npm ci`s tests/e2e).",
        missing.join("; ")
    );
}

// ---------------------------------------------------------------------------------------------
// The provider process.

/// `node tests/e2e/provider.mjs`, killed on drop.
struct Provider {
    child: Child,
    issuer: String,
    dir: tempfile::TempDir,
}

impl Provider {
    fn start(args: &[&str]) -> Provider {
        require_kit();
        let dir = tempfile::tempdir().expect("tempdir");
        let ready = dir.path().join("ready.json");
        let log = std::fs::File::create(dir.path().join("provider.log")).expect("log");
        let child = Command::new("node")
            .arg(Path::new(E2E_DIR).join("provider.mjs"))
            .arg("--ready-file")
            .arg(&ready)
            .arg("--events")
            .arg(dir.path().join("events.jsonl"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn node tests/e2e/provider.mjs");
        let mut p = Provider {
            child,
            issuer: String::new(),
            dir,
        };
        let t0 = Instant::now();
        while !ready.exists() {
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("the provider exited ({status}):\n{}", p.log());
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "the provider did not start:\n{}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let info: Value =
            serde_json::from_str(&std::fs::read_to_string(&ready).expect("ready file"))
                .expect("ready JSON");
        p.issuer = info["issuer"].as_str().expect("issuer").to_owned();
        p
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("provider.log")).unwrap_or_default()
    }

    /// Token and device-authorization endpoint calls, in order.
    fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("events.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn token_calls(&self) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["endpoint"] == "token")
            .collect()
    }

    /// A testbed whose Fulcio trusts this provider as an `email` issuer for client `sigstore`.
    fn testbed(&self) -> Testbed {
        Testbed::start(TestbedConfig {
            extra_issuers: vec![OidcIssuerConfig::email(&self.issuer, "sigstore")],
            ..TestbedConfig::default()
        })
        .expect("testbed starts")
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// gitseal's flows.

/// Scratch space for one test: the opener's log and artifacts.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Scratch {
        Scratch(tempfile::tempdir().expect("tempdir"))
    }
    fn opener_log_path(&self) -> PathBuf {
        self.0.path().join("opener.log")
    }
    fn opener_log(&self) -> String {
        std::fs::read_to_string(self.opener_log_path()).unwrap_or_default()
    }
    /// The opener's log once it has exited (gitseal does not wait for its opener: the flow can
    /// end while the browser is still closing).
    fn finished_opener_log(&self) -> String {
        let t0 = Instant::now();
        loop {
            let log = self.opener_log();
            if log.contains("] exit ") || t0.elapsed() > Duration::from_secs(30) {
                return log;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    /// The `gitsign.urlOpener` command for the headless browser, with extra opener options.
    fn opener(&self, extra: &[&str]) -> String {
        let mut words = vec![
            format!("{E2E_DIR}/open-url"),
            "--timeout-ms".into(),
            "45000".into(),
            "--log".into(),
            self.opener_log_path().display().to_string(),
            "--artifacts".into(),
            self.0.path().join("artifacts").display().to_string(),
        ];
        words.extend(extra.iter().map(|s| (*s).to_owned()));
        words.push("{{.URL}}".into());
        // gitsign's splitting: single quotes group (paths here have no quotes).
        words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Drop for Scratch {
    /// gitseal does not wait for its opener; let a still-running browser finish (it has its own
    /// deadline) before its log directory goes away.
    fn drop(&mut self) {
        if self.opener_log_path().exists() {
            let _ = self.finished_opener_log();
        }
    }
}

fn transport() -> HttpTransport {
    HttpTransport::new(TransportConfig {
        use_env_proxy: false,
        max_retries: 0,
        ..TransportConfig::default()
    })
}

fn config(
    p: &Provider,
    provider: &str,
    url_opener: String,
    timeout: Duration,
) -> TokenSourceConfig {
    TokenSourceConfig {
        provider: provider.into(),
        issuer: p.issuer.clone(),
        client_id: "sigstore".into(),
        url_opener,
        interactive_timeout: timeout,
        ..TokenSourceConfig::default()
    }
}

/// A terminal sink the test can read while the flow runs.
#[derive(Clone, Default)]
struct Tap(Arc<Mutex<Vec<u8>>>);

impl Write for Tap {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("tap").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Tap {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("tap")).into_owned()
    }
}

/// Runs gitseal's token flow (`choose_source` + `obtain_token`) with the configured opener.
fn login(cfg: &TokenSourceConfig, terminal: &Tap) -> Result<IdentityToken, OidcError> {
    let t = transport();
    let opener = opener::from_config(Some(&cfg.url_opener))?;
    let mut sink = terminal.clone();
    let mut ctx = OidcContext {
        transport: &t,
        terminal: &mut sink,
        clock: &SystemClock,
        opener: opener.as_ref(),
    };
    oidc::obtain_token(cfg, &mut ctx)
}

/// The browser flow with the headless browser as `gitsign.urlOpener`.
fn browser_login(
    p: &Provider,
    s: &Scratch,
    opener_args: &[&str],
    timeout: Duration,
) -> (Result<IdentityToken, OidcError>, String) {
    let cfg = config(p, "interactive", s.opener(opener_args), timeout);
    let tap = Tap::default();
    let r = login(&cfg, &tap);
    (r, tap.text())
}

/// The device prompt gitseal wrote: (user code, URL).
fn device_prompt(terminal: &str) -> Option<(String, String)> {
    let line = terminal
        .lines()
        .find(|l| l.starts_with("Enter the verification code "))?;
    let rest = line.strip_prefix("Enter the verification code ")?;
    let (code, url) = rest.split_once(" in your browser at: ")?;
    Some((code.trim().to_owned(), url.trim().to_owned()))
}

/// How the "user" answers the device prompt.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DeviceUser {
    /// Opens `verification_uri_complete`.
    CompleteUri,
    /// Opens `verification_uri` and types the code.
    TypedCode,
    /// Opens the complete URL and presses Abort.
    Deny,
}

/// Waits for `text()` to show the device prompt, optionally for the first poll, then plays the
/// user in the browser. Returns the opener's exit status.
fn play_device_user(
    text: impl Fn() -> String,
    first_poll: Option<&Provider>,
    user: DeviceUser,
    s: &Scratch,
) -> std::process::ExitStatus {
    let t0 = Instant::now();
    let (code, url) = loop {
        if let Some(found) = device_prompt(&text()) {
            break found;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no device prompt on the terminal: {}",
            text()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    if let Some(p) = first_poll {
        while p.token_calls().is_empty() {
            assert!(t0.elapsed() < Duration::from_secs(30), "no device poll");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mut cmd = Command::new(Path::new(E2E_DIR).join("open-url"));
    cmd.args(["--timeout-ms", "45000", "--log"])
        .arg(s.opener_log_path())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    match user {
        DeviceUser::CompleteUri => cmd.arg(&url),
        DeviceUser::Deny => cmd.args(["--action", "deny"]).arg(&url),
        DeviceUser::TypedCode => {
            let base = url.split('?').next().unwrap_or(&url).to_owned();
            cmd.args(["--user-code", &code]).arg(base)
        }
    };
    cmd.status().expect("run the opener")
}

/// The device flow with a browser answering the prompt as `user`.
fn device_login(
    p: &Provider,
    s: &Scratch,
    user: DeviceUser,
    wait_for_first_poll: bool,
) -> (
    Result<IdentityToken, OidcError>,
    String,
    std::process::ExitStatus,
) {
    let cfg = config(p, "device", String::new(), Duration::from_secs(60));
    let tap = Tap::default();
    let r = std::thread::scope(|scope| {
        let watcher_tap = tap.clone();
        let first_poll = wait_for_first_poll.then_some(p);
        let user_thread =
            scope.spawn(move || play_device_user(|| watcher_tap.text(), first_poll, user, s));
        let r = login(&cfg, &tap);
        (r, user_thread.join().expect("device user thread"))
    });
    (r.0, tap.text(), r.1)
}

/// A fresh key, its proof of possession over the token's subject, and the certificate the
/// testbed's Fulcio issues for it through gitseal's Fulcio client.
fn certificate(tb: &Testbed, token: &IdentityToken) -> Result<FulcioChain, String> {
    let key = p256::ecdsa::SigningKey::try_generate().expect("key");
    let subject = token.fulcio_subject().map_err(|e| e.to_string())?;
    let proof: p256::ecdsa::Signature = key.sign(subject.as_bytes());
    FulcioClient::new(tb.fulcio_url(), Arc::new(transport()))
        .request_certificate(token, key.verifying_key(), &proof.to_der().to_bytes())
        .map_err(|e| e.to_string())
}

/// (SAN email, Fulcio OIDC-issuer extension 1.3.6.1.4.1.57264.1.8) of a leaf.
fn leaf_identity(leaf_der: &[u8]) -> (String, String) {
    let cert = Certificate::from_der(leaf_der).expect("leaf parses");
    let exts = cert.tbs_certificate().extensions().expect("extensions");
    let ext = |oid: &str| {
        exts.iter()
            .find(|e| e.extn_id.to_string() == oid)
            .unwrap_or_else(|| panic!("extension {oid}"))
    };
    let san = SubjectAltName::from_der(ext("2.5.29.17").extn_value.as_bytes()).expect("SAN");
    let email = match san.0.as_slice() {
        [GeneralName::Rfc822Name(e)] => e.as_str().to_owned(),
        other => panic!("SAN {other:?}"),
    };
    let issuer =
        der::asn1::Utf8StringRef::from_der(ext("1.3.6.1.4.1.57264.1.8").extn_value.as_bytes())
            .expect("issuer extension")
            .as_str()
            .to_owned();
    (email, issuer)
}

/// A login error must be one line, with a hint, and no token.
fn assert_one_line(err: &OidcError) {
    let text = err.to_string();
    assert!(!text.contains('\n'), "one line: {text:?}");
    assert!(!err.hint().is_empty());
}

fn the_url_param(terminal: &str, name: &str) -> String {
    let url = terminal
        .lines()
        .find(|l| l.starts_with("http://") && l.contains("/auth?"))
        .unwrap_or_else(|| panic!("no authorization URL on the terminal: {terminal}"));
    gitseal::transport::form_decode(url.split_once('?').map_or("", |(_, q)| q))
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{name} in {url}"))
}

// ---------------------------------------------------------------------------------------------
// (a) The browser flow.

fn browser_login_gets_a_certificate(alg: &str) {
    let p = Provider::start(&["--alg", alg]);
    let tb = p.testbed();
    let s = Scratch::new();
    let (r, terminal) = browser_login(&p, &s, &[], Duration::from_secs(60));
    let token = r.unwrap_or_else(|e| {
        panic!(
            "login failed: {e}\nterminal:\n{terminal}\nopener:\n{}\nprovider:\n{}",
            s.opener_log(),
            p.log()
        )
    });
    // A real login: the stock login and consent pages were shown and answered.
    let opener_log = s.finished_opener_log();
    assert!(opener_log.contains("] login"), "{opener_log}");
    assert!(opener_log.contains("consent: Continue"), "{opener_log}");
    assert!(
        opener_log.contains("callback answered HTTP 200"),
        "{opener_log}"
    );
    assert!(
        terminal.starts_with("Your browser will now be opened to:\n"),
        "{terminal}"
    );
    let c = token.claims();
    assert_eq!(c.issuer, p.issuer);
    assert_eq!(c.subject, LOGIN);
    assert_eq!(c.email.as_deref(), Some(LOGIN));
    assert!(c.email_verified);
    assert_eq!(c.audience, vec!["sigstore".to_owned()]);
    assert_eq!(token.header().alg, alg);
    // The nonce gitseal sent came back (and was checked by gitseal's verifier).
    assert_eq!(
        c.nonce.as_deref(),
        Some(the_url_param(&terminal, "nonce").as_str())
    );
    // PKCE S256 went with the request; the code exchange succeeded once.
    assert_eq!(the_url_param(&terminal, "code_challenge_method"), "S256");
    let calls = p.token_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["grantType"], "authorization_code");
    assert_eq!(calls[0]["status"], 200);

    let chain = certificate(&tb, &token).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        leaf_identity(&chain.leaf_der),
        (LOGIN.to_owned(), p.issuer.clone())
    );
}

#[test]
fn browser_login_rs256_provider_gets_a_fulcio_certificate() {
    browser_login_gets_a_certificate("RS256");
}

#[test]
fn browser_login_es256_provider_gets_a_fulcio_certificate() {
    browser_login_gets_a_certificate("ES256");
}

// ---------------------------------------------------------------------------------------------
// (b) The device flow.

#[test]
fn device_flow_with_the_complete_uri_at_the_default_interval() {
    let p = Provider::start(&[]);
    let tb = p.testbed();
    let s = Scratch::new();
    // The provider sends no `interval` (RFC 8628 §3.2 default: 5 s).
    let auth = ureq::post(format!("{}/device/auth", p.issuer))
        .send_form([("client_id", "sigstore"), ("scope", "openid email")])
        .expect("device authorization")
        .body_mut()
        .read_json::<Value>()
        .expect("JSON");
    assert!(auth.get("interval").is_none(), "{auth}");
    assert!(auth["verification_uri_complete"].is_string(), "{auth}");

    let (r, terminal, opener) = device_login(&p, &s, DeviceUser::CompleteUri, false);
    let token = r.unwrap_or_else(|e| {
        panic!(
            "device login failed: {e}\n{terminal}\n{}\n{}",
            s.opener_log(),
            p.log()
        )
    });
    assert!(opener.success(), "{}", s.opener_log());
    assert!(
        s.opener_log().contains("Sign-in Success"),
        "{}",
        s.opener_log()
    );
    let (code, url) = device_prompt(&terminal).expect("prompt");
    assert!(
        url.starts_with(&format!("{}/device?user_code=", p.issuer)),
        "{url}"
    );
    assert!(url.ends_with(&code), "{url}");
    assert!(terminal.contains("Token received!"), "{terminal}");
    // Device-flow ID tokens carry no nonce; gitseal expects none.
    assert_eq!(token.claims().nonce, None);
    assert_eq!(token.claims().email.as_deref(), Some(LOGIN));

    // Polling: the first poll 5 s after the device authorization, then every 5 s.
    let events = p.events();
    let start = events
        .iter()
        .rev()
        .find(|e| e["endpoint"] == "device_authorization")
        .and_then(|e| e["t"].as_u64())
        .expect("device authorization event");
    let polls: Vec<u64> = p
        .token_calls()
        .iter()
        .filter_map(|e| e["t"].as_u64())
        .collect();
    assert!(!polls.is_empty());
    let mut prev = start;
    for t in &polls {
        assert!(
            t - prev >= 4_800,
            "polls too fast: start {start}, polls {polls:?}"
        );
        prev = *t;
    }
    let chain = certificate(&tb, &token).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        leaf_identity(&chain.leaf_der),
        (LOGIN.to_owned(), p.issuer.clone())
    );
}

#[test]
fn device_flow_with_a_typed_code_honours_slow_down() {
    // The first pending poll is answered `slow_down`: the next one must come 10 s later.
    let p = Provider::start(&["--slow-down", "1"]);
    let tb = p.testbed();
    let s = Scratch::new();
    let (r, terminal, opener) = device_login(&p, &s, DeviceUser::TypedCode, true);
    let token = r.unwrap_or_else(|e| {
        panic!(
            "device login failed: {e}\n{terminal}\n{}\n{}",
            s.opener_log(),
            p.log()
        )
    });
    assert!(opener.success(), "{}", s.opener_log());
    let polls = p.token_calls();
    assert!(polls.len() >= 2, "{polls:?}");
    assert_eq!(polls[0]["error"], "slow_down", "{polls:?}");
    let t = |i: usize| polls[i]["t"].as_u64().expect("t");
    assert!(t(1) - t(0) >= 9_800, "slow_down not honoured: {polls:?}");
    assert_eq!(polls.last().expect("poll")["status"], 200);
    certificate(&tb, &token).unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------------------------
// (c) Failures a user can meet: one line, no token.

#[test]
fn browser_closed_before_login_times_out() {
    let p = Provider::start(&[]);
    let s = Scratch::new();
    let (r, _) = browser_login(&p, &s, &["--action", "close"], Duration::from_secs(6));
    let err = r.expect_err("no token without a callback");
    assert!(matches!(err, OidcError::CallbackTimeout(_)), "{err}");
    assert_one_line(&err);
    assert!(err.to_string().contains("timed out"), "{err}");
    let opener_log = s.finished_opener_log();
    assert!(
        opener_log.contains("closing the browser on the login page"),
        "{opener_log}"
    );
    assert!(p.token_calls().is_empty());
}

#[test]
fn consent_denied_is_access_denied() {
    let p = Provider::start(&[]);
    let s = Scratch::new();
    let (r, _) = browser_login(&p, &s, &["--action", "deny"], Duration::from_secs(60));
    let err = r.expect_err("denied");
    match &err {
        OidcError::Denied { error, .. } => assert_eq!(error, "access_denied"),
        other => panic!("{other}\n{}", s.opener_log()),
    }
    assert_one_line(&err);
    assert!(p.token_calls().is_empty());
}

#[test]
fn device_request_aborted_in_the_browser_is_access_denied() {
    let p = Provider::start(&[]);
    let s = Scratch::new();
    let (r, terminal, opener) = device_login(&p, &s, DeviceUser::Deny, false);
    assert!(opener.success(), "{}", s.opener_log());
    let err = r.expect_err("denied");
    match &err {
        OidcError::Denied { error, .. } => assert_eq!(error, "access_denied"),
        other => panic!("{other}\n{terminal}\n{}", s.opener_log()),
    }
    assert_one_line(&err);
}

/// The browser brings back a valid code with a `state` gitseal did not send (a login some
/// other page started): gitseal refuses the callback and never redeems the code. If gitseal's
/// state check were missing, this code would be exchanged successfully (it is a genuine code for
/// gitseal's own PKCE challenge) and the test would fail.
#[test]
fn callback_with_a_forged_state_is_refused() {
    let p = Provider::start(&[]);
    let s = Scratch::new();
    let (r, _) = browser_login(
        &p,
        &s,
        &["--set", "state=forged-by-another-page"],
        Duration::from_secs(60),
    );
    let err = r.expect_err("forged state");
    assert!(
        matches!(err, OidcError::StateMismatch),
        "{err}\n{}",
        s.opener_log()
    );
    assert_one_line(&err);
    // The provider did issue a code (the callback arrived with one) ...
    let opener_log = s.finished_opener_log();
    assert!(
        opener_log.contains("callback answered HTTP 400"),
        "{opener_log}"
    );
    // ... and gitseal never tried to redeem it.
    assert!(p.token_calls().is_empty(), "{:?}", p.token_calls());
}

/// The provider's genuine key signs an ID token whose `nonce` is not the login's: gitseal's
/// verifier refuses it (without the nonce check the token would be accepted: it is otherwise
/// valid).
#[test]
fn id_token_with_a_wrong_nonce_is_refused() {
    let p = Provider::start(&["--id-token-override", r#"{"nonce":"not-the-login-nonce"}"#]);
    let s = Scratch::new();
    let (r, _) = browser_login(&p, &s, &[], Duration::from_secs(60));
    let err = r.expect_err("wrong nonce");
    assert!(
        matches!(err, OidcError::Jwt(JwtError::NonceMismatch)),
        "{err}\n{}",
        p.log()
    );
    assert_one_line(&err);
    assert_eq!(p.token_calls().len(), 1);
}

#[test]
fn id_token_for_another_audience_is_refused() {
    let p = Provider::start(&["--id-token-override", r#"{"aud":"some-other-client"}"#]);
    let s = Scratch::new();
    let (r, _) = browser_login(&p, &s, &[], Duration::from_secs(60));
    let err = r.expect_err("wrong aud");
    assert!(
        matches!(err, OidcError::Jwt(JwtError::WrongAudience { .. })),
        "{err}\n{}",
        p.log()
    );
    assert_one_line(&err);
}

/// An OpenID-conformant provider keeps scope-requested claims out of the ID token: gitseal gets
/// a valid token, and Fulcio (an `email` issuer) refuses it with a one-line reason.
#[test]
fn id_token_without_email_is_refused_by_fulcio() {
    let p = Provider::start(&["--conform-id-token-claims"]);
    let tb = p.testbed();
    let s = Scratch::new();
    let (r, terminal) = browser_login(&p, &s, &[], Duration::from_secs(60));
    let token = r.unwrap_or_else(|e| panic!("{e}\n{terminal}\n{}", s.opener_log()));
    assert_eq!(token.claims().email, None);
    let err = certificate(&tb, &token).expect_err("Fulcio refuses a token without email");
    assert!(err.contains("HTTP 400"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

// ---------------------------------------------------------------------------------------------
// PKCE: the real provider holds gitseal to it.

/// A login request without a code challenge (what a gitseal that dropped PKCE would send) is
/// refused by the provider: the browser comes back with `invalid_request`.
#[test]
fn provider_refuses_a_login_without_pkce() {
    let p = Provider::start(&[]);
    let s = Scratch::new();
    let (r, _) = browser_login(
        &p,
        &s,
        &[
            "--drop",
            "code_challenge",
            "--drop",
            "code_challenge_method",
        ],
        Duration::from_secs(60),
    );
    let err = r.expect_err("no PKCE, no login");
    match &err {
        OidcError::Denied { error, description } => {
            assert_eq!(error, "invalid_request");
            assert!(
                description.as_deref().unwrap_or("").contains("PKCE"),
                "{description:?}"
            );
        }
        other => panic!("{other}\n{}", s.opener_log()),
    }
    assert!(p.token_calls().is_empty());
}

/// gitseal's own pieces (discovery, PKCE, loopback listener, authorization URL) with a real
/// login, then the code redeemed with a verifier that does not match the challenge: the
/// provider refuses it. A gitseal that mixed up verifiers would fail the tier here.
#[test]
fn provider_refuses_a_code_with_the_wrong_verifier() {
    let p = Provider::start(&[]);
    let s = Scratch::new();
    let t = transport();
    let meta = discovery::discover(&t, &p.issuer).expect("discovery");
    assert!(discovery::supports_s256(&meta));
    let sent = Pkce::generate().expect("pkce");
    let other = Pkce::generate().expect("pkce");
    let state = discovery::random_b64url(16).expect("state");
    let nonce = discovery::random_b64url(16).expect("nonce");
    let lb = Loopback::bind("").expect("loopback");
    let cfg = config(&p, "interactive", s.opener(&[]), Duration::from_secs(60));
    let url = interactive::authorization_url(
        &meta.authorization_endpoint,
        &cfg,
        &sent.challenge,
        &state,
        &nonce,
        &lb.redirect_uri,
    );
    opener::from_config(Some(&cfg.url_opener))
        .expect("opener")
        .open(&url)
        .expect("open");
    let code = lb
        .wait_for_code(
            &state,
            &meta.issuer,
            Duration::from_secs(60),
            &interactive::success_page(&cfg),
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", s.opener_log()));
    let exchange = |verifier: &str| {
        let mut resp = ureq::post(&meta.token_endpoint)
            .config()
            .http_status_as_error(false)
            .build()
            .send_form([
                ("grant_type", "authorization_code"),
                ("client_id", "sigstore"),
                ("code", code.as_str()),
                ("redirect_uri", lb.redirect_uri.as_str()),
                ("code_verifier", verifier),
            ])
            .expect("token endpoint answers");
        let status = resp.status().as_u16();
        (
            status,
            resp.body_mut().read_json::<Value>().unwrap_or(Value::Null),
        )
    };
    let (status, body) = exchange(&other.verifier);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        p.log()
            .contains("code_verifier does not match code_challenge"),
        "{body}\n{}",
        p.log()
    );
}

// ---------------------------------------------------------------------------------------------
// `git commit -S` with the real provider and browser.

/// A repository signing with the built gitseal against the testbed and the provider.
struct GitSetup {
    p: Provider,
    tb: Testbed,
    repo: TestRepo,
    s: Scratch,
}

impl GitSetup {
    fn new() -> GitSetup {
        let p = Provider::start(&[]);
        let tb = p.testbed();
        let repo = TestRepo::new();
        repo.git_ok(&["config", "user.name", "E2E User"]);
        repo.git_ok(&["config", "user.email", LOGIN]);
        GitSetup {
            p,
            tb,
            repo,
            s: Scratch::new(),
        }
    }

    fn gitseal_log(&self) -> PathBuf {
        self.s.0.path().join("gitseal.log")
    }

    fn cmd(&self, program: &str, extra: &[(&str, String)]) -> Command {
        let mut c = self.repo.cmd(program);
        c.env("GITSEAL_FULCIO_URL", self.tb.fulcio_url())
            .env("GITSEAL_REKOR_URL", self.tb.rekor_url())
            .env("GITSEAL_OIDC_ISSUER", &self.p.issuer)
            .env("GITSEAL_TRUSTED_ROOT", self.tb.trusted_root_path())
            .env("GITSEAL_LOG", self.gitseal_log())
            .env("GITSEAL_LOGIN_TIMEOUT", "60")
            .env("GITSEAL_HTTP_RETRIES", "1")
            .stdin(Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    }

    fn commit(&self, extra: &[(&str, String)]) -> std::process::Child {
        std::fs::write(
            self.repo.path().join("file"),
            "signed through a real provider\n",
        )
        .expect("write");
        self.repo.git_ok(&["add", "file"]);
        self.cmd("git", extra)
            .args(["commit", "-q", "-S", "-m", "e2e login"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("git commit -S")
    }

    fn assert_good_head(&self) {
        let out =
            |program: &str, args: &[&str]| self.cmd(program, &[]).args(args).output().expect("run");
        let v = out("git", &["verify-commit", "--raw", "HEAD"]);
        let status = String::from_utf8_lossy(&v.stderr);
        assert!(v.status.success(), "{status}");
        assert!(status.contains("TRUST_FULLY"), "{status}");
        let g = out("git", &["log", "-1", "--format=%G?|%GS"]);
        let line = String::from_utf8_lossy(&g.stdout).trim().to_owned();
        let (validity, signer) = line.split_once('|').expect("format");
        assert_eq!(validity, "G", "{line}");
        assert!(signer.starts_with(LOGIN), "{line}");
        let v = out(
            env!("CARGO_BIN_EXE_gitseal"),
            &[
                "verify",
                "HEAD",
                "--certificate-identity",
                LOGIN,
                "--certificate-oidc-issuer",
                &self.p.issuer,
            ],
        );
        assert!(
            v.status.success(),
            "{}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
    }

    fn wait(&self, child: std::process::Child) {
        let out = child.wait_with_output().expect("git");
        assert!(
            out.status.success(),
            "git commit -S failed: {}\ngitseal log:\n{}\nopener:\n{}\nprovider:\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.gitseal_log()).unwrap_or_default(),
            self.s.opener_log(),
            self.p.log()
        );
    }
}

#[test]
fn git_commit_signed_through_the_browser_login_verifies() {
    let g = GitSetup::new();
    let child = g.commit(&[
        ("GITSEAL_TOKEN_PROVIDER", "interactive".into()),
        ("GITSEAL_URL_OPENER", g.s.opener(&[])),
    ]);
    g.wait(child);
    let opener_log = g.s.finished_opener_log();
    assert!(
        opener_log.contains("callback answered HTTP 200"),
        "{opener_log}"
    );
    g.assert_good_head();
}

#[test]
fn git_commit_signed_through_the_device_flow_verifies() {
    let g = GitSetup::new();
    let child = g.commit(&[("GITSEAL_TOKEN_PROVIDER", "device".into())]);
    // The prompt reaches the user through gitseal's terminal (here: its log file, since the test
    // has no TTY and git holds gitseal's stderr), never stdout.
    let log = g.gitseal_log();
    let opener = play_device_user(
        || std::fs::read_to_string(&log).unwrap_or_default(),
        None,
        DeviceUser::CompleteUri,
        &g.s,
    );
    assert!(opener.success(), "{}", g.s.opener_log());
    g.wait(child);
    g.assert_good_head();
}

// ---------------------------------------------------------------------------------------------
// The testbed: Fulcio's issuer configuration, and its own issuer made as strict as the real
// provider (consent page, `email` only for the `email` scope, `iss` in the callback). These
// need neither node nor Chromium.

fn raw_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .new_agent()
}

/// POSTs a v2 signing-certificate request; returns (status, the testbed's reason header).
fn fulcio_answer(tb: &Testbed, token: &str, subject: &str) -> (u16, String) {
    ServedFulcio(tb.fulcio_url()).answer(token, subject)
}

fn claims_of(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON")
}

#[test]
fn testbed_fulcio_trusts_configured_issuers_only() {
    use gitseal::testbed::TokenRequest;
    // Another issuer (a second testbed's, ES256 with discovery at {base}/oidc).
    let other = Testbed::start(TestbedConfig::default()).expect("other");
    let stranger = Testbed::start(TestbedConfig::default()).expect("stranger");
    let tb = Testbed::start(TestbedConfig {
        extra_issuers: vec![
            OidcIssuerConfig::email(&other.issuer_url(), "sigstore"),
            OidcIssuerConfig::uri(&stranger.issuer_url(), "ci-client", "http://ci.localhost"),
        ],
        ..TestbedConfig::default()
    })
    .expect("testbed");
    let mint = |t: &Testbed, r: &TokenRequest| t.mint_token(r).expect("mint");

    // An email issuer: the SAN is the verified email, the issuer extension the other issuer.
    let token = mint(&other, &TokenRequest::email("fed@example.com"));
    let chain = certificate(&tb, &IdentityToken::parse(&token).expect("jwt"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        leaf_identity(&chain.leaf_der),
        ("fed@example.com".to_owned(), other.issuer_url())
    );
    // Its tokens must carry the configured client id, an email, a verified email, and its key.
    let refused = |t: &Testbed, r: &TokenRequest, subject: &str, why: &str| {
        let (status, reason) = fulcio_answer(&tb, &mint(t, r), subject);
        assert_eq!(status, 400, "{why}: {reason}");
        assert!(reason.contains(why), "{why}: {reason}");
    };
    let mut wrong_aud = TokenRequest::email("fed@example.com");
    wrong_aud.audience = Some("other-client".into());
    refused(&other, &wrong_aud, "fed@example.com", "audience");
    refused(
        &other,
        &TokenRequest::subject("http://ci.localhost/job/1"),
        "http://ci.localhost/job/1",
        "token missing email claim",
    );
    let mut unverified = TokenRequest::email("fed@example.com");
    unverified.email_verified = Some(false);
    refused(
        &other,
        &unverified,
        "fed@example.com",
        "email_verified claim was false",
    );
    let mut forged = TokenRequest::email("fed@example.com");
    forged.untrusted_key = true;
    refused(&other, &forged, "fed@example.com", "does not verify");

    // A uri issuer: `sub` must be on the SubjectDomain, and the audience is its own client id.
    let mut ci = TokenRequest::subject("http://ci.localhost/pipelines/7");
    ci.audience = Some("ci-client".into());
    let (status, reason) = fulcio_answer(
        &tb,
        &mint(&stranger, &ci),
        "http://ci.localhost/pipelines/7",
    );
    assert_eq!(status, 200, "{reason}");
    let mut elsewhere = TokenRequest::subject("http://evil.localhost/pipelines/7");
    elsewhere.audience = Some("ci-client".into());
    refused(
        &stranger,
        &elsewhere,
        "http://evil.localhost/pipelines/7",
        "must match expected domain",
    );

    // An issuer nobody configured.
    let third = Testbed::start(TestbedConfig::default()).expect("third");
    refused(
        &third,
        &TokenRequest::email("x@example.com"),
        "x@example.com",
        "is not configured in Fulcio's OIDCIssuers",
    );
    // Configuration is validated as Fulcio validates it, and stays on loopback.
    for bad in [
        OidcIssuerConfig::email("https://accounts.google.com", "sigstore"),
        OidcIssuerConfig::email(&other.issuer_url(), ""),
    ] {
        assert!(
            Testbed::start(TestbedConfig {
                extra_issuers: vec![bad.clone()],
                ..TestbedConfig::default()
            })
            .is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn testbed_issuer_consent_page_approve_and_deny() {
    let tb = Testbed::start(TestbedConfig {
        consent_page: true,
        identity: "consent@example.com".into(),
        ..TestbedConfig::default()
    })
    .expect("testbed");
    let opener = |extra: &str| {
        format!(
            "{} open-url {extra} {{{{.URL}}}}",
            env!("CARGO_BIN_EXE_gitseal-testbed")
        )
    };
    let cfg = |url_opener: String| TokenSourceConfig {
        provider: "interactive".into(),
        issuer: tb.issuer_url(),
        client_id: "sigstore".into(),
        url_opener,
        interactive_timeout: Duration::from_secs(30),
        ..TokenSourceConfig::default()
    };
    // gitseal's browser flow through the consent page (the testbed's own opener approves it).
    let token = login(&cfg(opener("")), &Tap::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(token.claims().email.as_deref(), Some("consent@example.com"));
    assert!(token.claims().nonce.is_some());
    // Cancel on the consent page: access_denied, as the certified provider answers.
    let err = login(&cfg(opener("--deny")), &Tap::default()).expect_err("denied");
    assert!(
        matches!(&err, OidcError::Denied { error, .. } if error == "access_denied"),
        "{err}"
    );

    // Over HTTP: /auth shows a page (no redirect); the decision redirects with code, state, iss.
    let t = transport();
    let meta = discovery::discover(&t, &tb.issuer_url()).expect("discovery");
    let pkce = Pkce::generate().expect("pkce");
    let url = interactive::authorization_url(
        &meta.authorization_endpoint,
        &cfg(String::new()),
        &pkce.challenge,
        "st-1",
        "n-1",
        "http://localhost:41234/auth/callback",
    );
    let agent = raw_agent();
    let mut page = agent.get(&url).call().expect("auth");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.headers().get("location").is_none());
    let html = page.body_mut().read_to_string().expect("html");
    assert!(html.contains("<form id=\"consent\""), "{html}");
    let interaction = html
        .split("name=\"interaction\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("interaction id");
    let decide = |decision: &str| {
        let r = agent
            .post(format!("{}/consent", tb.issuer_url()))
            .send_form([("interaction", interaction), ("decision", decision)])
            .expect("consent");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, location)
    };
    let (status, location) = decide("approve");
    assert_eq!(status, 302);
    let params = gitseal::transport::form_decode(location.split_once('?').expect("query").1);
    let get = |k: &str| params.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    assert!(get("code").is_some(), "{location}");
    assert_eq!(get("state"), Some("st-1"));
    assert_eq!(get("iss"), Some(tb.issuer_url().as_str()), "RFC 9207");
    // The interaction is single-use.
    assert_eq!(decide("approve").0, 400);
}

#[test]
fn testbed_issuer_puts_email_in_id_tokens_only_when_configured() {
    let poll_token = |tb: &Testbed, scope: &str| -> Value {
        let agent = raw_agent();
        let d: Value = agent
            .post(format!("{}/device/code", tb.issuer_url()))
            .send_form([("client_id", "sigstore"), ("scope", scope)])
            .expect("device code")
            .body_mut()
            .read_json()
            .expect("JSON");
        let device_code = d["device_code"].as_str().expect("device_code").to_owned();
        std::thread::sleep(Duration::from_millis(250));
        let r: Value = agent
            .post(format!("{}/token", tb.issuer_url()))
            .send_form([
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", device_code.as_str()),
                ("client_id", "sigstore"),
            ])
            .expect("token")
            .body_mut()
            .read_json()
            .expect("JSON");
        claims_of(r["id_token"].as_str().unwrap_or_else(|| panic!("{r}")))
    };
    let quick = || TestbedConfig {
        device_interval: Duration::from_millis(200),
        device_approve_after_polls: 0,
        identity: "scoped@example.com".into(),
        ..TestbedConfig::default()
    };
    let tb = Testbed::start(quick()).expect("testbed");
    let with = poll_token(&tb, "openid email");
    assert_eq!(with["email"], "scoped@example.com");
    assert!(
        with.get("nonce").is_none(),
        "device-flow tokens carry no nonce"
    );
    let without = poll_token(&tb, "openid");
    assert!(without.get("email").is_none(), "{without}");
    assert_eq!(without["sub"], with["sub"]);

    // An issuer that keeps email out of ID tokens (OpenID-conformant claims): Fulcio refuses.
    let conformant = Testbed::start(TestbedConfig {
        email_in_id_token: false,
        ..quick()
    })
    .expect("testbed");
    let claims = poll_token(&conformant, "openid email");
    assert!(claims.get("email").is_none(), "{claims}");
}

#[test]
fn testbed_program_trusts_an_issuer_from_the_command_line() {
    use gitseal::testbed::TokenRequest;
    let other = Testbed::start(TestbedConfig::default()).expect("other");
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitseal-testbed"))
        .args(["serve", "--stop-on-stdin-eof", "--trust-issuer"])
        .arg(format!("{},sigstore,email", other.issuer_url()))
        .arg("--dir")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("gitseal-testbed serve");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut stdout, &mut line).expect("read") > 0 {
        lines.push(line.trim().to_owned());
        line.clear();
        if lines.last().is_some_and(|l| l.starts_with("env: ")) {
            break;
        }
    }
    let fulcio = lines
        .iter()
        .find_map(|l| l.strip_prefix("fulcio: "))
        .unwrap_or_else(|| panic!("{lines:?}"))
        .to_owned();
    assert!(
        lines.contains(&format!(
            "trusted issuer: {} (client sigstore, type email)",
            other.issuer_url()
        )),
        "{lines:?}"
    );
    let info: Value = raw_agent()
        .get(format!("{fulcio}/__testbed/info"))
        .call()
        .expect("info")
        .body_mut()
        .read_json()
        .expect("JSON");
    assert_eq!(info["trustedIssuers"][0]["IssuerURL"], other.issuer_url());
    // The served issuer shows a consent page by default, as a certified provider does.
    let auth = format!(
        "{}/auth?client_id=sigstore&redirect_uri=http%3A%2F%2Flocalhost%3A1%2Fcb&response_type=code\
         &scope=openid+email&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
         &code_challenge_method=S256&state=s",
        info["issuerUrl"].as_str().expect("issuerUrl")
    );
    let r = raw_agent().get(&auth).call().expect("auth");
    assert_eq!(r.status().as_u16(), 200);
    // Its Fulcio issues for the other issuer's tokens.
    let token = other
        .mint_token(&TokenRequest::email("cli@example.com"))
        .expect("mint");
    let served = ServedFulcio(fulcio);
    let (status, reason) = served.answer(&token, "cli@example.com");
    assert_eq!(status, 200, "{reason}");
    drop(child.stdin.take());
    let _ = child.wait();
}

/// A Fulcio reached by URL (the program's), for [`fulcio_answer`]-style requests.
struct ServedFulcio(String);

impl ServedFulcio {
    fn answer(&self, token: &str, subject: &str) -> (u16, String) {
        use base64::Engine as _;
        use spki::EncodePublicKey as _;
        let key = p256::ecdsa::SigningKey::try_generate().expect("key");
        let pem = key
            .verifying_key()
            .to_public_key_pem(der::pem::LineEnding::LF)
            .expect("pem");
        let proof: p256::ecdsa::Signature = key.sign(subject.as_bytes());
        let body = serde_json::json!({
            "credentials": {"oidcIdentityToken": token},
            "publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": pem},
                "proofOfPossession": base64::engine::general_purpose::STANDARD
                    .encode(proof.to_der().as_bytes()),
            },
        });
        let resp = raw_agent()
            .post(format!("{}/api/v2/signingCert", self.0))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("Fulcio answers");
        let reason = resp
            .headers()
            .get("x-testbed-error")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (resp.status().as_u16(), reason)
    }
}

/// A browser the opener started and the user leaves open must not hold `git commit -S`: git
/// reads gitseal's stderr (`--status-fd=2`) until EOF, so an opener that inherits that pipe keeps
/// git waiting after gitseal has exited. The `sleep` stands for such a browser process.
#[test]
fn git_commit_does_not_wait_for_a_browser_left_open() {
    let g = GitSetup::new();
    let opener = format!(
        "sh -c '\"$0\" --log \"$1\" \"$2\" && {{ sleep 20 & }}' {E2E_DIR}/open-url {} {{{{.URL}}}}",
        g.s.opener_log_path().display()
    );
    let t0 = Instant::now();
    let child = g.commit(&[
        ("GITSEAL_TOKEN_PROVIDER", "interactive".into()),
        ("GITSEAL_URL_OPENER", opener),
    ]);
    g.wait(child);
    let took = t0.elapsed();
    g.assert_good_head();
    assert!(
        took < Duration::from_secs(15),
        "git commit -S took {took:?}: it waited for the opener's lingering child"
    );
}

/// Issue 12, one login per rebase: five `git commit -S`, then `git rebase -S` over them and a
/// `git rebase --exec 'git commit --amend --no-edit -S'`, make exactly one authorization-code
/// exchange at the certified provider (its token-endpoint calls, from `--events`); every
/// signature is its own Rekor entry and verifies. `gitseal cache clear` makes the next commit
/// log in again.
#[test]
fn five_commits_and_two_rebases_make_one_login() {
    let g = GitSetup::new();
    let env = [
        ("GITSEAL_TOKEN_PROVIDER", "interactive".to_string()),
        ("GITSEAL_URL_OPENER", g.s.opener(&[])),
    ];
    // Each rewrite gets its own committer date: an amended commit identical to the one it
    // replaces (same second) would be signed identically (RFC 6979 ECDSA, same cached key) and
    // Rekor would keep one entry for both.
    let run_at = |args: &[&str], date: Option<&str>| {
        let mut c = g.cmd("git", &env);
        if let Some(d) = date {
            c.env("GIT_COMMITTER_DATE", d);
        }
        let out = c.args(args).output().expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}\ngitseal log:\n{}\nopener:\n{}\nprovider:\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(g.gitseal_log()).unwrap_or_default(),
            g.s.opener_log(),
            g.p.log()
        );
    };
    let commit = |i: usize| {
        std::fs::write(g.repo.path().join("file"), format!("change {i}\n")).expect("write");
        g.repo.git_ok(&["add", "file"]);
        run_at(&["commit", "-q", "-S", "-m", &format!("change {i}")], None);
    };
    let code_exchanges = || {
        g.p.token_calls()
            .into_iter()
            .filter(|e| e["grantType"] == "authorization_code")
            .count()
    };
    for i in 0..5 {
        commit(i);
    }
    run_at(
        &["rebase", "-q", "-f", "-S", "HEAD~4"],
        Some("2030-01-01T00:00:00Z"),
    );
    run_at(
        &[
            "rebase",
            "-q",
            "--exec",
            "git commit -q --amend --no-edit -S",
            "HEAD~4",
        ],
        Some("2031-01-01T00:00:00Z"),
    );
    assert_eq!(
        code_exchanges(),
        1,
        "token endpoint calls: {:?}",
        g.p.token_calls()
    );
    // 5 commits + 4 rebased + 4 amended, each logged.
    assert_eq!(g.tb.rekor_tree_size(), 13);
    for i in 0..5 {
        let v = g
            .cmd("git", &[])
            .args(["verify-commit", &format!("HEAD~{i}")])
            .output()
            .expect("git");
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    }
    g.assert_good_head();
    let log = std::fs::read_to_string(g.gitseal_log()).unwrap_or_default();
    assert!(
        log.contains(&format!("using the cached certificate for {LOGIN} (valid ")),
        "{log}"
    );

    let clear = g
        .cmd(env!("CARGO_BIN_EXE_gitseal"), &[])
        .args(["cache", "clear"])
        .output()
        .expect("gitseal cache clear");
    assert!(clear.status.success());
    commit(5);
    assert_eq!(code_exchanges(), 2, "cache clear forces a new login");
    g.assert_good_head();
}
