//! Issue 13, networks where real users are: the HTTPS-only rule (refused before any
//! connection), TLS trust (testbed `--tls`, `SSL_CERT_FILE`, `gitseal.caBundle`) and proxies
//! (curl's variables, through a real CONNECT proxy started here).

use super::common::TestRepo;
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
