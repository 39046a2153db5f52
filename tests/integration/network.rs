//! Issue 13, networks where real users are: the HTTPS-only rule (refused before any
//! connection), TLS trust (testbed `--tls`, `SSL_CERT_FILE`, `gitseal.caBundle`) and proxies
//! (curl's variables, through a real CONNECT proxy started here).

use super::common::TestRepo;
use gitseal::testbed::{Testbed, TestbedConfig, TokenRequest};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const COMMIT: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Alice <alice@example.com> 1 +0000\ncommitter Alice <alice@example.com> 1 +0000\n\nmsg\n";

/// Runs `gitseal -bsau` (what git runs to sign) on a commit body with `env`.
fn sign(repo: &TestRepo, env: &[(&str, &str)]) -> Output {
    let mut c = repo.cmd(env!("CARGO_BIN_EXE_gitseal"));
    c.args(["--status-fd=2", "-bsau", "alice@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(COMMIT).unwrap();
    child.wait_with_output().unwrap()
}

/// A listener that records every connection made to it (each one's first line).
struct Tripwire {
    port: u16,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Tripwire {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let h = hits.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(stream) = conn else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                let _ = BufReader::new(stream).read_line(&mut line);
                h.lock().unwrap().push(line);
            }
        });
        Self { port, hits }
    }
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

#[test]
fn plain_http_service_urls_are_refused_before_any_connection() {
    let repo = TestRepo::new();
    // Every proxy variable points at the tripwire: any attempt to reach the non-loopback
    // host would arrive there.
    let trip = Tripwire::start();
    let proxy = trip.url();
    let proxies = [
        ("HTTPS_PROXY", proxy.as_str()),
        ("HTTP_PROXY", proxy.as_str()),
        ("http_proxy", proxy.as_str()),
        ("ALL_PROXY", proxy.as_str()),
    ];
    for (name, value) in [
        ("GITSEAL_FULCIO_URL", "http://fulcio.example"),
        ("GITSEAL_REKOR_URL", "http://rekor.example:8080/"),
        ("GITSEAL_OIDC_ISSUER", "http://oauth2.example/auth"),
    ] {
        let mut env = proxies.to_vec();
        env.push((name, value));
        let start = Instant::now();
        let out = sign(&repo, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "no signature");
        assert!(stderr.contains(&format!("invalid {name}")), "{stderr}");
        assert!(stderr.contains("https://"), "{stderr}");
        assert!(start.elapsed() < Duration::from_secs(5), "fails fast");
    }
    // Verification with an online-mode lookup configured at a plain-HTTP Rekor.
    let out = repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .args(["verify", "HEAD"])
        .envs(proxies)
        .env("GITSEAL_REKOR_URL", "http://rekor.example")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid GITSEAL_REKOR_URL"), "{stderr}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        trip.hits().is_empty(),
        "connections made: {:?}",
        trip.hits()
    );
}

const EMAIL: &str = "alice@example.com";

/// A repository signing with the testbed at `tb` (online mode: verification looks the entry
/// up in Rekor, so it crosses TLS too).
fn tls_env(tb: &Testbed) -> Vec<(String, String)> {
    vec![
        ("GITSEAL_FULCIO_URL".into(), tb.fulcio_url()),
        ("GITSEAL_REKOR_URL".into(), tb.rekor_url()),
        ("GITSEAL_OIDC_ISSUER".into(), tb.issuer_url()),
        (
            "GITSEAL_TRUSTED_ROOT".into(),
            tb.trusted_root_path().display().to_string(),
        ),
        ("GITSEAL_REKOR_MODE".into(), "online".into()),
        ("GITSEAL_HTTP_RETRIES".into(), "0".into()),
        ("GITSEAL_URL_OPENER".into(), "false {{.URL}}".into()),
    ]
}

fn run(repo: &TestRepo, env: &[(String, String)], program: &str, args: &[&str]) -> Output {
    repo.cmd(program)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn commit(repo: &TestRepo, env: &[(String, String)], msg: &str) -> Output {
    std::fs::write(repo.path().join("file"), msg).unwrap();
    repo.git_ok(&["add", "file"]);
    run(repo, env, "git", &["commit", "-q", "-S", "-m", msg])
}

fn with(env: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut e = env.to_vec();
    e.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    e
}

#[test]
fn signing_and_online_verification_over_testbed_tls() {
    let tb = Testbed::start(TestbedConfig {
        identity: EMAIL.into(),
        tls: true,
        ..TestbedConfig::default()
    })
    .unwrap();
    assert!(tb.fulcio_url().starts_with("https://127.0.0.1:"));
    let ca = tb.tls_ca_path().unwrap();
    let ca = ca.to_str().unwrap();
    let repo = TestRepo::new();
    repo.git_ok(&["config", "user.name", "Alice"]);
    repo.git_ok(&["config", "user.email", EMAIL]);
    let token = tb.mint_token(&TokenRequest::email(EMAIL)).unwrap();
    let base = with(&tls_env(&tb), &[("SIGSTORE_ID_TOKEN", &token)]);

    // Without the CA: no signature, one clear line naming the service and the TLS failure.
    let out = commit(&repo, &base, "untrusted");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("gitseal: ") && !l.starts_with("gitseal: hint"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains("TLS with Fulcio"), "{stderr}");
    assert!(line.to_lowercase().contains("certificate"), "{stderr}");
    assert!(
        repo.git(&["rev-parse", "-q", "--verify", "HEAD"])
            .stdout
            .is_empty()
    );

    // SSL_CERT_FILE names the testbed's CA (replacing the system store).
    let trusted = with(&base, &[("SSL_CERT_FILE", ca)]);
    let out = commit(&repo, &trusted, "over tls");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = run(&repo, &trusted, "git", &["verify-commit", "--raw", "HEAD"]);
    let status = String::from_utf8_lossy(&v.stderr);
    assert!(
        v.status.success() && status.contains("TRUST_FULLY"),
        "{status}"
    );
    // The online-mode lookup is the only network use of verification: without the CA it
    // fails, and says why.
    let v = run(
        &repo,
        &base,
        env!("CARGO_BIN_EXE_gitseal"),
        &["verify", "--no-cache", "HEAD"],
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(!v.status.success(), "{text}");
    assert!(text.contains("TLS with Rekor"), "{text}");

    // gitseal.caBundle adds the CA to the system store; this time through the browser flow
    // (OIDC discovery, token endpoint and JWKS over TLS too).
    repo.git_ok(&["config", "gitseal.caBundle", ca]);
    let opener = format!(
        "{} open-url --ca-file {ca} {{{{.URL}}}}",
        env!("CARGO_BIN_EXE_gitseal-testbed")
    );
    let browser = with(&tls_env(&tb), &[("GITSEAL_URL_OPENER", &opener)]);
    let out = commit(&repo, &browser, "bundle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = run(
        &repo,
        &browser,
        env!("CARGO_BIN_EXE_gitseal"),
        &[
            "verify",
            "HEAD",
            "--certificate-identity",
            EMAIL,
            "--certificate-oidc-issuer",
            &tb.issuer_url(),
        ],
    );
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

/// A child process killed (and reaped) when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `gitseal-testbed serve --tls` as a user runs it: `DIR/env` alone points gitseal at it.
#[test]
fn testbed_serve_tls_writes_https_urls_and_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let _serving = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_gitseal-testbed"))
            .args(["serve", "--tls", "--identity", EMAIL, "--dir"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let env_path = dir.path().join("env");
    let start = Instant::now();
    while !env_path.exists() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&env_path).unwrap();
    let vars: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect();
    let var = |k: &str| {
        vars.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{k} in {text}"))
    };
    for k in [
        "GITSEAL_FULCIO_URL",
        "GITSEAL_REKOR_URL",
        "GITSEAL_OIDC_ISSUER",
    ] {
        assert!(var(k).starts_with("https://127.0.0.1:"), "{text}");
    }
    let ca = dir.path().join("tls-ca.pem");
    assert_eq!(var("GITSEAL_CA_BUNDLE"), ca.display().to_string());
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(
        var("GITSEAL_URL_OPENER").contains(" open-url --ca-file "),
        "{text}"
    );
    // The admin calls reach the HTTPS testbed too.
    let minted = std::process::Command::new(env!("CARGO_BIN_EXE_gitseal-testbed"))
        .args(["mint-token", "--email", EMAIL, "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let token = String::from_utf8(minted.stdout).unwrap();
    // Signing with exactly what DIR/env says, plus the token.
    let repo = TestRepo::new();
    let mut env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("SIGSTORE_ID_TOKEN", token.trim()));
    let out = sign(&repo, &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.starts_with(b"-----BEGIN SIGNED MESSAGE-----"));
}

/// A small HTTP CONNECT proxy on 127.0.0.1 (RFC 9110 §9.3.6): it logs each request line,
/// opens the tunnel and copies bytes both ways.
struct ConnectProxy {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { continue };
                let log = log2.clone();
                std::thread::spawn(move || Self::tunnel(client, &log));
            }
        });
        Self { port, log }
    }

    fn tunnel(client: std::net::TcpStream, log: &Mutex<Vec<String>>) {
        let mut reader = BufReader::new(client.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        log.lock().unwrap().push(line.trim_end().to_owned());
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
        }
        let mut client = client;
        let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let Ok(upstream) = std::net::TcpStream::connect(&target) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
            return;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
        let mut client_w = client;
        std::thread::spawn(move || {
            // Bytes the client sent after the request head are already in `reader`.
            let _ = std::io::copy(&mut reader, &mut up_w);
            let _ = up_w.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut up_r, &mut client_w);
        let _ = client_w.shutdown(std::net::Shutdown::Write);
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

#[test]
fn signing_goes_through_a_connect_proxy_unless_no_proxy_says_otherwise() {
    let tb = Testbed::start(TestbedConfig {
        identity: EMAIL.into(),
        tls: true,
        ..TestbedConfig::default()
    })
    .unwrap();
    let proxy = ConnectProxy::start();
    let repo = TestRepo::new();
    let token = tb.mint_token(&TokenRequest::email(EMAIL)).unwrap();
    let ca = tb.tls_ca_path().unwrap().display().to_string();
    let mut env = tls_env(&tb);
    env.retain(|(k, _)| k != "GITSEAL_REKOR_MODE"); // offline mode: Fulcio and Rekor
    let env = with(
        &env,
        &[
            ("SIGSTORE_ID_TOKEN", &token),
            ("GITSEAL_CA_BUNDLE", &ca),
            ("HTTPS_PROXY", &proxy.url()),
        ],
    );
    let args: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = sign(&repo, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let connect = format!("CONNECT 127.0.0.1:{} HTTP/1.1", tb.port());
    let log = proxy.log();
    // Fulcio and Rekor share the testbed's address, so one kept-alive tunnel may carry both.
    assert!(!log.is_empty(), "signing went through the proxy: {log:?}");
    assert!(log.iter().all(|l| *l == connect), "{log:?}");

    // NO_PROXY with the testbed's address (among others, spaced as people write them):
    // straight to the testbed, the proxy sees nothing more.
    let mut bypass = args.clone();
    bypass.push(("NO_PROXY", "localhost, .corp.example , 127.0.0.0/8"));
    let out = sign(&repo, &bypass);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(proxy.log(), log, "no new CONNECT");

    // A proxy that does not answer is an error naming the service, not a hang.
    let dead = Tripwire::start();
    let mut broken = args.clone();
    broken.retain(|(k, _)| *k != "HTTPS_PROXY");
    let dead_url = dead.url();
    broken.push(("HTTPS_PROXY", &dead_url));
    broken.push(("GITSEAL_HTTP_TIMEOUT", "2"));
    let out = sign(&repo, &broken);
    assert!(!out.status.success());
    assert!(
        !dead.hits().is_empty(),
        "the request went to the configured proxy"
    );
}
