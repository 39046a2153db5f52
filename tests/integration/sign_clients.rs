//! The signing-path clients (`transport`, `fulcio`, `rekor::client`, `oidc`, `cms::encode`,
//! `sign`) through the public API.
//!
//! Always built: the ambient token source, Fulcio and Rekor over real loopback HTTP against a
//! scripted fake. With `--features testbed`: end-to-end signing against the local Sigstore
//! (minted, browser and device-flow tokens; offline and online modes; injected faults), each
//! signature checked by gitseal's own verifier and by `openssl cms -verify`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gitseal::oidc::{self, AmbientEnv, OidcContext, TokenSourceConfig};
use gitseal::transport::{HttpTransport, TransportConfig};

/// A request the fake server saw.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A one-request-per-connection HTTP server on 127.0.0.1 answering from a closure.
struct Fake {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn start(
        handler: impl Fn(&Seen) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or("").to_owned();
                let target = parts.next().unwrap_or("").to_owned();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.trim_end().split_once(':') {
                        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                    }
                }
                let len = headers
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
                seen2.lock().unwrap().push(req.clone());
                let (status, hdrs, body) = handler(&req);
                let mut stream = reader.into_inner();
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in hdrs {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn transport() -> Arc<HttpTransport> {
    Arc::new(HttpTransport::new(TransportConfig {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        max_retries: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_response_bytes: 1 << 20,
        use_env_proxy: false,
        ..TransportConfig::default()
    }))
}

fn b64url(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn unsigned_jwt(claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"ES256"}"#),
        b64url(&serde_json::to_vec(claims).unwrap()),
        b64url(b"sig")
    )
}

/// Terminal sink that must never be stdout: a buffer we can inspect.
fn ctx<'a>(
    t: &'a HttpTransport,
    terminal: &'a mut Vec<u8>,
    opener: &'a dyn oidc::UrlOpener,
) -> OidcContext<'a> {
    OidcContext {
        transport: t,
        terminal,
        clock: &oidc::SystemClock,
        opener,
    }
}

#[test]
fn github_actions_token_over_loopback() {
    let jwt = unsigned_jwt(&serde_json::json!({
        "iss": "https://token.actions.githubusercontent.com", "sub": "repo:o/r:ref:refs/heads/main",
        "aud": "sigstore"
    }));
    let jwt2 = jwt.clone();
    let fake = Fake::start(move |_| {
        (
            200,
            vec![("Content-Type".into(), "application/json".into())],
            serde_json::to_vec(&serde_json::json!({"value": jwt2})).unwrap(),
        )
    });
    let cfg = TokenSourceConfig {
        ambient: AmbientEnv::from_lookup(|k| match k {
            "ACTIONS_ID_TOKEN_REQUEST_URL" => Some(format!("{}/tok?api-version=2.0", fake.url)),
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN" => Some("runner-token".into()),
            _ => None,
        }),
        ..TokenSourceConfig::default()
    };
    let t = transport();
    let mut terminal = Vec::new();
    let opener = oidc::opener::SystemBrowser;
    let token = oidc::obtain_token(&cfg, &mut ctx(&t, &mut terminal, &opener)).unwrap();
    assert_eq!(token.expose_secret(), jwt);
    assert_eq!(
        token.fulcio_subject().unwrap(),
        "repo:o/r:ref:refs/heads/main"
    );
    let seen = fake.seen();
    assert_eq!(seen[0].method, "GET");
    assert!(seen[0].body.is_empty());
    assert_eq!(seen[0].target, "/tok?api-version=2.0&audience=sigstore");
    assert!(
        seen[0]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "bearer runner-token")
    );
    // The token never appears in Debug output.
    assert!(!format!("{token:?}").contains(&jwt[..30]));
}

#[test]
fn rekor_retries_5xx_then_reports_4xx() {
    let hits = Arc::new(Mutex::new(0u32));
    let h2 = hits.clone();
    let fake = Fake::start(move |_| {
        let mut n = h2.lock().unwrap();
        *n += 1;
        if *n == 1 {
            (503, vec![], b"busy".to_vec())
        } else {
            (
                400,
                vec![("Content-Type".into(), "application/json".into())],
                br#"{"code":400,"message":"invalid signature"}"#.to_vec(),
            )
        }
    });
    let client = gitseal::rekor::client::RekorClient::new(fake.url.clone(), transport());
    let err = client
        .create_hashedrekord(&[1; 32], &[0x30, 0], &[0x30, 0])
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("HTTP 400") && msg.contains("invalid signature"),
        "{msg}"
    );
    assert_eq!(fake.seen().len(), 2, "one retry after 503, none after 400");
}

#[cfg(feature = "testbed")]
mod with_testbed {
    use super::*;
    use gitseal::cms::encode::IncludeCerts;
    use gitseal::fulcio::{FulcioApi, FulcioClient};
    use gitseal::oidc::IdentityToken;
    use gitseal::rekor::client::RekorClient;
    use gitseal::sign::{
        Candidate, ObjectFormat, RekorMode, Services, SignError, SignOutput, SignRequest,
        TokenProvider,
    };
    use gitseal::testbed::{Endpoint, Fault, Testbed, TestbedConfig, TokenRequest};
    use gitseal::trust::TrustRoot;
    use gitseal::verify::reason::Reason;
    use gitseal::verify::{Context, Outcome, Rejection, verify_detached};
    use sha2::{Digest as _, Sha256};

    const PAYLOAD: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Dev <gitseal-testbed@example.com> 1800000000 +0000\ncommitter Dev <gitseal-testbed@example.com> 1800000000 +0000\n\nsigned against the testbed\n";

    fn testbed() -> Testbed {
        Testbed::start(TestbedConfig {
            device_interval: Duration::from_secs(1),
            device_slow_down_increment: Duration::from_secs(1),
            device_approve_after_polls: 1,
            ..TestbedConfig::default()
        })
        .expect("testbed starts")
    }

    /// The verifier's refusal, kept typed through `SignError::SelfCheck`'s boxed error so a
    /// test matches the [`Reason`] value itself, not its `Debug` spelling.
    #[derive(Debug)]
    struct Refused(Box<Rejection>);

    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{}: {}", self.0.reason.code(), self.0.detail)
        }
    }

    impl std::error::Error for Refused {}

    fn verify(
        tb: &Testbed,
        payload: &[u8],
        armored: &[u8],
        object_id: Option<&str>,
        entry: Option<&gitseal::rekor::entry::LogEntry>,
    ) -> Result<(), Refused> {
        let trust = TrustRoot::from_file(tb.trusted_root_path()).expect("testbed trust root");
        let ctx = Context {
            looked_up_entry: entry,
            object_id,
        };
        match verify_detached(payload, armored, &trust, &ctx) {
            Outcome::Verified(_) => Ok(()),
            Outcome::Rejected(r) => Err(Refused(Box::new(r))),
        }
    }

    fn openssl_ok(der: &[u8], payload: &[u8]) -> bool {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s"), der).unwrap();
        std::fs::write(dir.path().join("p"), payload).unwrap();
        std::process::Command::new("openssl")
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-noverify",
                "-out",
                "/dev/null",
            ])
            .arg("-in")
            .arg(dir.path().join("s"))
            .arg("-content")
            .arg(dir.path().join("p"))
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn sign_with(
        tb: &Testbed,
        tokens: &mut dyn TokenProvider,
        mode: RekorMode,
        api: FulcioApi,
    ) -> Result<SignOutput, SignError> {
        let t = transport();
        let ca = FulcioClient::new(tb.fulcio_url(), t.clone()).with_api(api);
        let log = RekorClient::new(tb.rekor_url(), t);
        let mut services = Services {
            tokens,
            ca: &ca,
            log: &log,
            clock: &gitseal::sign::SystemClock,
            certificate_check: None,
            timestamps: None,
        };
        let request = SignRequest {
            payload: PAYLOAD,
            mode,
            object_format: ObjectFormat::Sha1,
            include_certs: IncludeCerts::LeafOnly,
            match_committer: None,
        };
        let mut self_check =
            |c: &Candidate<'_>| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
                let entry = (c.mode == RekorMode::Online).then_some(c.log_entry);
                verify(tb, c.payload, c.armored.as_bytes(), c.object_id, entry).map_err(Into::into)
            };
        gitseal::sign::sign(&request, &mut services, &mut self_check)
    }

    fn minted(
        tb: &Testbed,
    ) -> impl FnMut() -> Result<IdentityToken, gitseal::oidc::OidcError> + '_ {
        move || {
            let raw = tb
                .mint_token(&TokenRequest::email("gitseal-testbed@example.com"))
                .unwrap();
            Ok(IdentityToken::parse(&raw)?)
        }
    }

    #[test]
    fn offline_signature_verifies_end_to_end() {
        let tb = testbed();
        let mut tokens = minted(&tb);
        let out = sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap();
        assert!(out.armored.starts_with("-----BEGIN SIGNED MESSAGE-----\n"));
        assert_eq!(out.sig_created.pk_algo, 19);
        assert_eq!(
            out.sig_created.hash_algo, 9,
            "testbed intermediate signs with SHA-384"
        );
        verify(&tb, PAYLOAD, out.armored.as_bytes(), None, None).unwrap();
        assert!(openssl_ok(&out.der, PAYLOAD));
        // Tampered payload fails our verifier.
        assert!(
            verify(
                &tb,
                b"tree x\n\nother\n",
                out.armored.as_bytes(),
                None,
                None
            )
            .is_err()
        );
        // The entry is in the log under the UUID returned.
        let log = RekorClient::new(tb.rekor_url(), transport());
        let fetched = log.get_entry(&out.log_uuid).unwrap();
        assert_eq!(fetched.log_index, out.log_entry.log_index);
    }

    /// A certificate the log saw outside its validity (Fulcio clock off, or a replayed
    /// certificate): the SET, proof and checkpoint are genuine, and the verifier still
    /// rejects it with `integrated-time-outside-validity`.
    #[test]
    fn integrated_time_outside_the_certificate_is_rejected() {
        for fault in [Fault::ExpiredCertificate, Fault::NotYetValidCertificate] {
            let tb = testbed();
            tb.faults()
                .set(Endpoint::FulcioSigningCertV2, fault)
                .unwrap();
            let mut tokens = minted(&tb);
            match sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto) {
                Err(SignError::SelfCheck(e)) => {
                    let refused = e
                        .downcast_ref::<Refused>()
                        .unwrap_or_else(|| panic!("{fault:?}: not a verifier refusal: {e}"));
                    assert_eq!(
                        refused.0.reason,
                        Reason::IntegratedTimeOutsideValidity,
                        "{fault:?}: {e}"
                    );
                }
                other => panic!("{fault:?}: {:?}", other.map(|o| o.log_uuid)),
            }
        }
    }

    #[test]
    fn legacy_v1_fulcio_api_also_works() {
        let tb = testbed();
        let mut tokens = minted(&tb);
        let hits = |e| tb.faults().hits(e);
        sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::V1).unwrap();
        // V1 asked for exactly one certificate over gitsign's legacy call, and never tried v2.
        assert_eq!(hits(Endpoint::FulcioSigningCertV1), 1);
        assert_eq!(hits(Endpoint::FulcioSigningCertV2), 0);
        // And Auto falls back when v2 is gone: one v2 call answered 404 (not retried: a
        // server without the API gives the same answer again, src/fulcio.rs), then one v1.
        tb.faults()
            .set(Endpoint::FulcioSigningCertV2, Fault::Status(404))
            .unwrap();
        sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap();
        assert_eq!(hits(Endpoint::FulcioSigningCertV2), 1);
        assert_eq!(hits(Endpoint::FulcioSigningCertV1), 2);
    }

    #[test]
    fn online_signature_is_findable_by_object_id() {
        let tb = testbed();
        let mut tokens = minted(&tb);
        let out = sign_with(&tb, &mut tokens, RekorMode::Online, FulcioApi::Auto).unwrap();
        let id = out.object_id.clone().unwrap();
        let log = RekorClient::new(tb.rekor_url(), transport());
        let uuids = log
            .search_index_by_hash(&hex::encode(Sha256::digest(id.as_bytes())))
            .unwrap();
        assert!(
            uuids
                .iter()
                .any(|u| u.ends_with(&out.log_uuid[out.log_uuid.len() - 64..])),
            "{uuids:?} vs {}",
            out.log_uuid
        );
        let by_cert = log
            .search_index_by_public_key(&gitseal::rekor::entry::certificate_pem(&out.leaf_der))
            .unwrap();
        assert!(!by_cert.is_empty());
        let got = log.retrieve_entries(&uuids).unwrap();
        assert_eq!(got.len(), uuids.len());
    }

    #[test]
    fn transient_rekor_failure_is_retried() {
        let tb = testbed();
        tb.faults()
            .once(Endpoint::RekorCreateEntry, Fault::Status(503))
            .unwrap();
        let mut tokens = minted(&tb);
        sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap();
        // The 503 was answered and the entry made on the retry: exactly two requests (no
        // retry after the success), and the one-shot fault is used up.
        assert_eq!(tb.faults().hits(Endpoint::RekorCreateEntry), 2);
        assert!(tb.faults().list().is_empty(), "{:?}", tb.faults().list());
    }

    #[test]
    fn bad_log_evidence_is_never_emitted() {
        let tb = testbed();
        let mut tokens = minted(&tb);
        tb.faults()
            .set(Endpoint::RekorCreateEntry, Fault::WrongSetKey)
            .unwrap();
        let err = sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap_err();
        assert!(matches!(err, SignError::SelfCheck(_)), "{err}");
        tb.faults().clear_all();
        tb.faults()
            .set(Endpoint::RekorCreateEntry, Fault::MismatchedEntry)
            .unwrap();
        let err = sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap_err();
        // The log answered with a well-formed entry for *another* body: caught before embedding.
        assert!(matches!(err, SignError::RekorEntryMismatch { .. }), "{err}");
        assert_eq!(err.service(), Some(gitseal::transport::Service::Rekor));
    }

    #[test]
    fn fulcio_rejects_an_untrusted_token() {
        let tb = testbed();
        let mut tokens = || {
            let raw = tb
                .mint_token(&TokenRequest {
                    untrusted_key: true,
                    ..TokenRequest::email("gitseal-testbed@example.com")
                })
                .unwrap();
            Ok(IdentityToken::parse(&raw)?)
        };
        let err = sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap_err();
        match &err {
            SignError::Fulcio(gitseal::fulcio::FulcioError::Rejected { status, .. }) => {
                assert!(*status == 401 || *status == 403 || *status == 400, "{err}")
            }
            other => panic!("{other}"),
        }
        assert_eq!(err.service(), Some(gitseal::transport::Service::Fulcio));
    }

    /// Plays the browser: follows the testbed's authorization redirect to our loopback.
    struct RedirectFollower;

    impl oidc::UrlOpener for RedirectFollower {
        fn open(&self, url: &str) -> Result<(), oidc::OpenerError> {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .max_redirects(0)
                    .http_status_as_error(false)
                    .proxy(None)
                    .build()
                    .into();
                let resp = agent.get(&url).call().unwrap();
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                assert!(location.starts_with("http://localhost:"), "{location}");
                let mut r = agent.get(&location).call().unwrap();
                let _ = r.body_mut().read_to_string();
            });
            Ok(())
        }
    }

    #[test]
    fn browser_flow_token_signs() {
        let tb = testbed();
        let cfg = TokenSourceConfig {
            provider: "interactive".into(),
            issuer: tb.issuer_url(),
            client_id: tb.client_id().into(),
            interactive_timeout: Duration::from_secs(30),
            ..TokenSourceConfig::default()
        };
        let t = transport();
        let mut terminal = Vec::new();
        let opener = RedirectFollower;
        let token = {
            let mut c = ctx(&t, &mut terminal, &opener);
            oidc::obtain_token(&cfg, &mut c).unwrap()
        };
        assert_eq!(token.fulcio_subject().unwrap(), tb.identity());
        assert!(String::from_utf8_lossy(&terminal).contains("Your browser will now be opened to:"));
        let mut once = Some(token);
        let mut tokens = move || Ok(once.take().expect("one token"));
        sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap();
    }

    #[test]
    fn device_flow_token_signs() {
        let tb = testbed();
        let cfg = TokenSourceConfig {
            provider: "device".into(),
            issuer: tb.issuer_url(),
            client_id: tb.client_id().into(),
            ..TokenSourceConfig::default()
        };
        let t = transport();
        let mut terminal = Vec::new();
        let opener = oidc::opener::SystemBrowser;
        let token = {
            let mut c = ctx(&t, &mut terminal, &opener);
            oidc::obtain_token(&cfg, &mut c).unwrap()
        };
        let shown = String::from_utf8_lossy(&terminal).into_owned();
        assert!(shown.contains("Enter the verification code"), "{shown}");
        let mut once = Some(token);
        let mut tokens = move || Ok(once.take().expect("one token"));
        sign_with(&tb, &mut tokens, RekorMode::Offline, FulcioApi::Auto).unwrap();
    }

    #[test]
    fn device_flow_denied() {
        let tb = testbed();
        tb.set_device_denied(true);
        let cfg = TokenSourceConfig {
            provider: "device".into(),
            issuer: tb.issuer_url(),
            client_id: tb.client_id().into(),
            ..TokenSourceConfig::default()
        };
        let t = transport();
        let mut terminal = Vec::new();
        let opener = oidc::opener::SystemBrowser;
        let mut c = ctx(&t, &mut terminal, &opener);
        let err = oidc::obtain_token(&cfg, &mut c).unwrap_err();
        assert!(matches!(err, oidc::OidcError::Denied { .. }), "{err}");
    }
}
