//! Keyless signing end to end: real `git commit -S` / `git tag -s` with gitseal as
//! `gpg.x509.program` against the local Sigstore testbed, with each way of getting a token,
//! then `git verify-commit` / `verify-tag`; independent checks with openssl; and every
//! failure a service can cause, through the testbed's fault switches.
#![cfg(feature = "testbed")]

use gitseal::testbed::faults::{Endpoint, Fault};
use gitseal::testbed::{TestbedConfig, TokenRequest};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const EMAIL: &str = "alice@example.com";

use super::signing::{Signing as Setup, sigstore_python_verify};

fn setup_with(config: TestbedConfig) -> Setup {
    Setup::start(config, "Alice", EMAIL)
}

fn setup() -> Setup {
    setup_with(TestbedConfig::default())
}

/// HEAD is a good signature by Alice, fully trusted, to git and to `gitseal verify`.
fn assert_good_head(s: &Setup) {
    let v = s.run("git", &["verify-commit", "--raw", "HEAD"], &[]);
    let status = String::from_utf8_lossy(&v.stderr);
    assert!(v.status.success(), "{status}");
    assert!(status.contains("TRUST_FULLY"), "{status}");
    let g = s.run("git", &["log", "-1", "--format=%G? %GS"], &[]);
    let line = String::from_utf8_lossy(&g.stdout);
    assert!(
        line.starts_with(&format!("G {EMAIL} (")),
        "%G? %GS = {line}"
    );
    let v = s.gitseal_verify("verify", "HEAD", EMAIL);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

fn ok(o: &Output) -> bool {
    if !o.status.success() {
        eprintln!("stderr: {}", String::from_utf8_lossy(&o.stderr));
    }
    o.status.success()
}

#[test]
fn commit_and_tag_with_browser_login() {
    let s = setup();
    assert!(ok(&s.commit("browser login", &[])));
    assert_good_head(&s);
    let t = s.run("git", &["tag", "-s", "v1", "-m", "release v1"], &[]);
    assert!(ok(&t));
    let v = s.run("git", &["verify-tag", "--raw", "v1"], &[]);
    let status = String::from_utf8_lossy(&v.stderr);
    assert!(
        v.status.success() && status.contains("TRUST_FULLY"),
        "{status}"
    );
    let v = s.gitseal_verify("verify-tag", "v1", EMAIL);
    assert!(ok(&v));
}

#[test]
fn commit_with_device_code() {
    let s = setup_with(TestbedConfig {
        device_interval: Duration::from_secs(1),
        device_approve_after_polls: 1,
        ..TestbedConfig::default()
    });
    let log = s.repo.path().join("gitseal.log");
    let out = s.commit(
        "device flow",
        &[
            ("GITSEAL_TOKEN_PROVIDER", "device"),
            ("GITSEAL_LOG", log.to_str().unwrap()),
        ],
    );
    assert!(ok(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("code"),
        "the user code is shown on the terminal/log: {text}"
    );
    assert_good_head(&s);
}

#[test]
fn device_flow_is_chosen_when_no_browser_can_open() {
    let s = setup_with(TestbedConfig {
        device_interval: Duration::from_secs(1),
        device_approve_after_polls: 1,
        ..TestbedConfig::default()
    });
    // No opener, no DISPLAY (the test environment has none): gitseal must not wait for a
    // browser callback; it falls back to the device flow.
    let log = s.repo.path().join("gitseal.log");
    let mut c = s.repo.cmd("git");
    c.envs(
        s.env()
            .into_iter()
            .filter(|(k, _)| k != "GITSEAL_URL_OPENER"),
    )
    .env("GITSIGN_LOG", &log);
    std::fs::write(s.repo.path().join("file"), "x").unwrap();
    s.repo.git_ok(&["add", "file"]);
    let out = c
        .args(["commit", "-q", "-S", "-m", "headless"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(ok(&out));
    // git shows the program's stderr only on failure; the terminal text is in the log.
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(err.contains("using the device flow"), "{err}");
    assert!(err.contains("Enter the verification code"), "{err}");
}

#[test]
fn commit_with_ambient_ci_token() {
    let s = setup();
    let token = s.tb.mint_token(&TokenRequest::email(EMAIL)).unwrap();
    assert!(ok(&s.commit(
        "ci token",
        &[
            ("SIGSTORE_ID_TOKEN", &token),
            ("GITSEAL_URL_OPENER", "false {{.URL}}")
        ]
    )));
    assert_good_head(&s);
}

fn sign_directly(s: &Setup, extra: &[(&str, &str)]) -> Output {
    let mut c = s.repo.cmd(env!("CARGO_BIN_EXE_gitseal"));
    c.envs(s.env())
        .args(["--status-fd=2", "-bsau", EMAIL])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Alice <alice@example.com> 1 +0000\ncommitter Alice <alice@example.com> 1 +0000\n\nmsg\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn stdout_carries_only_the_signature_in_every_flow() {
    let s = setup_with(TestbedConfig {
        device_interval: Duration::from_secs(1),
        device_approve_after_polls: 1,
        ..TestbedConfig::default()
    });
    let token = s.tb.mint_token(&TokenRequest::email(EMAIL)).unwrap();
    for extra in [
        vec![("SIGSTORE_ID_TOKEN", token.as_str())],
        vec![("GITSEAL_TOKEN_PROVIDER", "device")],
        vec![("GITSEAL_TOKEN_PROVIDER", "interactive")],
    ] {
        let out = sign_directly(&s, &extra);
        let stdout = String::from_utf8(out.stdout.clone()).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{extra:?}: {stderr}");
        assert!(
            stdout.starts_with("-----BEGIN SIGNED MESSAGE-----\n"),
            "{extra:?}: {stdout}"
        );
        assert!(
            stdout.ends_with("-----END SIGNED MESSAGE-----\n"),
            "{extra:?}: {stdout}"
        );
        assert_eq!(stdout.matches("-----BEGIN").count(), 1);
        assert!(
            stdout
                .lines()
                .skip(1)
                .take_while(|l| !l.starts_with("-----"))
                .all(|l| l
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))),
            "only base64 between the armor lines: {stdout}"
        );
        assert!(
            stderr.contains("\n[GNUPG:] SIG_CREATED D 19 9 00 ")
                || stderr.starts_with("[GNUPG:] SIG_CREATED"),
            "{stderr}"
        );
        assert!(stderr.contains("[GNUPG:] BEGIN_SIGNING"), "{stderr}");
        assert!(!stderr.contains(&token), "the token is never printed");
    }
}

#[test]
fn openssl_accepts_the_cms_over_the_commit() {
    let s = setup();
    assert!(ok(&s.commit("for openssl", &[])));
    let raw = s.repo.git_ok(&["cat-file", "commit", "HEAD"]);
    let split =
        gitseal::git::object::split_commit(raw.as_bytes(), gitseal::git::object::HashKind::Sha1)
            .unwrap();
    let der = gitseal::armor::decode(&split.signature).unwrap();
    let dir = s.repo.path();
    std::fs::write(dir.join("sig.der"), &der).unwrap();
    std::fs::write(dir.join("payload"), &split.payload).unwrap();
    let tm = s.tb.trust();
    std::fs::write(
        dir.join("ca.pem"),
        format!("{}{}", tm.fulcio_root_pem, tm.fulcio_intermediate_pem),
    )
    .unwrap();
    let cms = gitseal::cms::decode::parse(&der).unwrap();
    let at = cms.signers[0].signing_time().unwrap();
    let openssl_verify = || {
        Command::new("openssl")
            .current_dir(dir)
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "sig.der",
                "-content",
                "payload",
                "-CAfile",
                "ca.pem",
                "-no-CApath",
                "-no-CAstore",
                "-purpose",
                "any",
                "-attime",
            ])
            .arg(at.to_string())
            .args(["-out", "/dev/null"])
            .output()
            .unwrap()
    };
    let out = openssl_verify();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Verification successful"));
    // And rejects another payload.
    std::fs::write(dir.join("payload"), b"tampered").unwrap();
    assert!(!openssl_verify().status.success());
}

#[test]
fn match_committer_refuses_another_identity() {
    let s = setup();
    s.repo.git_ok(&["config", "gitsign.matchCommitter", "true"]);
    s.repo.git_ok(&["config", "user.email", "bob@example.com"]);
    let out = s.commit("not bob", &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("matchCommitter"), "{err}");
    assert!(s.head().is_none(), "no commit was made");
}

/// Each service failure: a one-line error naming the service plus a hint on stderr, git's
/// "gpg failed to sign the data", and no commit.
#[test]
fn service_failures_give_a_clear_error_and_no_signature() {
    let cases: Vec<(Endpoint, Fault, &str)> = vec![
        (Endpoint::FulcioSigningCertV2, Fault::Status(503), "Fulcio"),
        (Endpoint::RekorCreateEntry, Fault::Status(503), "Rekor"),
        (
            Endpoint::FulcioSigningCertV2,
            Fault::MalformedJson,
            "Fulcio",
        ),
        (Endpoint::RekorCreateEntry, Fault::MalformedJson, "Rekor"),
        (
            Endpoint::FulcioSigningCertV2,
            Fault::Delay(Duration::from_secs(4)),
            "Fulcio",
        ),
        (Endpoint::RekorCreateEntry, Fault::Hang, "Rekor"),
        (
            Endpoint::FulcioSigningCertV2,
            Fault::WrongSct,
            "sct-invalid",
        ),
        (
            Endpoint::FulcioSigningCertV2,
            Fault::MissingSct,
            "[sct-missing]",
        ),
        (
            Endpoint::FulcioSigningCertV2,
            Fault::NotForCodeSigning,
            "[certificate-not-for-code-signing]",
        ),
        (
            Endpoint::FulcioSigningCertV2,
            Fault::NotYetValidCertificate,
            "not valid now",
        ),
        (
            Endpoint::FulcioSigningCertV2,
            Fault::ExpiredCertificate,
            "not valid now",
        ),
        (
            Endpoint::RekorCreateEntry,
            Fault::WrongSetKey,
            "verification",
        ),
        (
            Endpoint::RekorCreateEntry,
            Fault::WrongInclusionProof,
            "verification",
        ),
        (Endpoint::RekorCreateEntry, Fault::MismatchedEntry, "Rekor"),
    ];
    let s = setup_with(TestbedConfig {
        hang_limit: Duration::from_secs(5),
        ..TestbedConfig::default()
    });
    let token = s.tb.mint_token(&TokenRequest::email(EMAIL)).unwrap();
    for (endpoint, fault, word) in cases {
        s.tb.faults().clear_all();
        s.tb.faults().set(endpoint, fault).unwrap();
        let logged_before = s.tb.rekor_tree_size();
        let out = s.commit(
            &format!("{endpoint:?} {fault:?}"),
            &[
                ("SIGSTORE_ID_TOKEN", &token),
                ("GITSEAL_HTTP_TIMEOUT", "2"),
                ("GITSEAL_HTTP_RETRIES", "0"),
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{endpoint:?} {fault:?} signed anyway"
        );
        assert!(err.contains("gpg failed to sign the data"), "{err}");
        let ours: Vec<&str> = err.lines().filter(|l| l.starts_with("gitseal: ")).collect();
        assert!(
            ours.iter().any(|l| l.contains(word))
                && ours.iter().any(|l| l.starts_with("gitseal: hint: ")),
            "{endpoint:?} {fault:?}: {err}"
        );
        assert!(
            !err.contains("BEGIN SIGNED MESSAGE"),
            "no signature leaked: {err}"
        );
        assert!(
            s.head().is_none(),
            "{endpoint:?} {fault:?} produced a commit"
        );
        if matches!(endpoint, Endpoint::FulcioSigningCertV2) {
            // A certificate that fails is never used: nothing reaches the log.
            assert_eq!(s.tb.rekor_tree_size(), logged_before, "{fault:?}");
        }
    }
    s.tb.faults().clear_all();
    assert!(ok(&s.commit("recovered", &[("SIGSTORE_ID_TOKEN", &token)])));
}

#[test]
fn online_mode_signs_without_embedding() {
    let s = setup();
    let token = s.tb.mint_token(&TokenRequest::email(EMAIL)).unwrap();
    assert!(ok(&s.commit(
        "online",
        &[
            ("SIGSTORE_ID_TOKEN", &token),
            ("GITSEAL_REKOR_MODE", "online")
        ]
    )));
    let raw = s.repo.git_ok(&["cat-file", "commit", "HEAD"]);
    let split =
        gitseal::git::object::split_commit(raw.as_bytes(), gitseal::git::object::HashKind::Sha1)
            .unwrap();
    let der = gitseal::armor::decode(&split.signature).unwrap();
    let cms = gitseal::cms::decode::parse(&der).unwrap();
    assert!(
        cms.signers[0].tlog_entry().unwrap().is_none(),
        "online mode embeds nothing"
    );
    // The entry Rekor holds is for sha256 of this commit's id (found by hash search).
    let id = s.head().unwrap();
    let rekor = gitseal::rekor::client::RekorClient::new(
        s.tb.rekor_url(),
        std::sync::Arc::new(gitseal::transport::HttpTransport::new(Default::default())),
    );
    let digest = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(id.as_bytes()))
    };
    assert_eq!(rekor.search_index_by_hash(&digest).unwrap().len(), 1);
    // The round trip: git's verify path looks the entry up in the testbed's Rekor.
    assert_good_head(&s);
    // Bundle export covers offline-mode signatures only, and says so.
    let out = s.run(
        env!("CARGO_BIN_EXE_gitseal"),
        &[
            "bundle",
            "HEAD",
            "--bundle",
            "b.json",
            "--artifact",
            "a.bin",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is an online-mode signature"), "{err}");
    assert!(!s.repo.path().join("b.json").exists());
}

#[test]
fn sigstore_python_verifies_the_exported_bundle() {
    let s = setup();
    assert!(ok(&s.commit("bundle me", &[])));
    let dir = s.repo.path();
    let out = s.run(
        env!("CARGO_BIN_EXE_gitseal"),
        &[
            "bundle",
            "HEAD",
            "--bundle",
            "b.sigstore.json",
            "--artifact",
            "artifact",
        ],
        &[],
    );
    assert!(ok(&out));
    let verify = || {
        sigstore_python_verify(
            dir,
            s.tb.client_trust_config_path(),
            EMAIL,
            &s.tb.issuer_url(),
        )
    };
    let good = verify();
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    // One changed artifact byte: rejected.
    let mut artifact = std::fs::read(dir.join("artifact")).unwrap();
    let last = artifact.len() - 1;
    artifact[last] ^= 1;
    std::fs::write(dir.join("artifact"), artifact).unwrap();
    let bad = verify();
    assert!(
        !bad.status.success(),
        "sigstore-python accepted a changed artifact"
    );
}
