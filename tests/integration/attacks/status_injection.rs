//! Status-line injection (issue 11, item 1): a certificate from a trusted CA whose SAN or OIDC
//! issuer carries `\n[GNUPG:] TRUST_FULLY 0 shell\n\0`. Unescaped in the GOODSIG uid, the
//! newline starts a forged trust line and the NUL ends git's reading of the status
//! (`gpg-interface.c` walks it as a C string) before the real `TRUST_UNDEFINED`: `%G?` = G,
//! `git verify-commit` passes `gpg.minTrustLevel=fully`, `git merge --verify-signatures`
//! accepts. The same newlines forge lines in `gitseal verify`'s and the hook's human output.
//!
//! The certificates are real: the local testbed's Fulcio issues them (the email claim is taken
//! verbatim; `TestbedConfig::certificate_issuer` for the issuer), Rekor logs them, and the
//! commit is signed the way a hostile signer would sign it (gitseal's own signer now refuses
//! to emit such a signature, because its verify-before-emit check rejects it). Every test runs
//! real git with gitseal as `gpg.x509.program`.
#![cfg(feature = "testbed")]

use super::super::common::TestRepo;
use gitseal::cms::encode::IncludeCerts;
use gitseal::fulcio::FulcioClient;
use gitseal::git::object::{HashKind, Kind, signed_object};
use gitseal::oidc::IdentityToken;
use gitseal::rekor::client::RekorClient;
use gitseal::sign::{Candidate, ObjectFormat, RekorMode, Services, SignRequest, SystemClock};
use gitseal::testbed::{Testbed, TestbedConfig, TokenRequest};
use gitseal::transport::{HttpTransport, TransportConfig};
use std::io::Write as _;
use std::process::{Output, Stdio};
use std::sync::Arc;

/// What the attacker appends: a forged trust line, then a NUL so git never reads the real one.
const FORGED: &str = "\n[GNUPG:] TRUST_FULLY 0 shell\n\0";
const MALLORY: &str = "mallory@evil.com";
const ALICE: &str = "alice@example.com";
/// git's empty tree.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// A repository whose `main` has one unsigned commit, and a testbed to sign with.
struct World {
    tb: Testbed,
    repo: TestRepo,
    base: String,
}

impl World {
    fn new(config: TestbedConfig) -> Self {
        let tb = Testbed::start(config).unwrap();
        let repo = TestRepo::new();
        assert_eq!(repo.write_object("tree", b""), EMPTY_TREE);
        repo.git_ok(&[
            "config",
            "gitseal.trustedRoot",
            tb.trusted_root_path().to_str().unwrap(),
        ]);
        repo.git_ok(&["config", "user.name", "Alice"]);
        repo.git_ok(&["config", "user.email", ALICE]);
        // Offline-mode signatures need no log lookup; make sure none is tried.
        repo.git_ok(&["config", "gitseal.offline", "true"]);
        let base = repo.write_object("commit", commit_payload(None, "base").as_bytes());
        repo.git_ok(&["update-ref", "refs/heads/main", &base]);
        repo.git_ok(&["symbolic-ref", "HEAD", "refs/heads/main"]);
        repo.git_ok(&["reset", "-q", "--hard"]);
        Self { tb, repo, base }
    }

    /// Signs `payload` with a certificate for `who`, as a hostile signer would: the real
    /// signing sequence against the testbed, without gitseal's verify-before-emit check.
    fn sign(&self, who: &TokenRequest, payload: &[u8]) -> String {
        let transport = Arc::new(HttpTransport::new(TransportConfig {
            use_env_proxy: false,
            max_retries: 0,
            ..TransportConfig::default()
        }));
        let fulcio = FulcioClient::new(self.tb.fulcio_url(), transport.clone());
        let rekor = RekorClient::new(self.tb.rekor_url(), transport);
        let raw = self.tb.mint_token(who).unwrap();
        let mut tokens = || -> Result<IdentityToken, gitseal::oidc::OidcError> {
            IdentityToken::parse(&raw).map_err(Into::into)
        };
        let mut services = Services {
            tokens: &mut tokens,
            ca: &fulcio,
            log: &rekor,
            clock: &SystemClock,
            certificate_check: None,
            timestamps: None,
        };
        let request = SignRequest {
            payload,
            mode: RekorMode::Offline,
            object_format: ObjectFormat::Sha1,
            include_certs: IncludeCerts::LeafOnly,
            match_committer: None,
        };
        gitseal::sign::sign(&request, &mut services, &mut |_c: &Candidate<'_>| Ok(()))
            .unwrap()
            .armored
    }

    /// A commit on top of `main` by Alice, signed with `who`'s certificate, on branch `evil`.
    /// Returns (commit id, payload, signature).
    fn evil_commit(&self, who: &TokenRequest) -> (String, String, String) {
        let payload = commit_payload(Some(&self.base), "innocent change");
        let sig = self.sign(who, payload.as_bytes());
        let raw = signed_object(
            Kind::Commit,
            payload.as_bytes(),
            sig.as_bytes(),
            HashKind::Sha1,
        );
        let id = self.repo.write_object("commit", &raw);
        (id, payload, sig)
    }

    fn git_c(&self, config: &[&str], args: &[&str]) -> Output {
        let mut all = Vec::new();
        for c in config {
            all.extend(["-c", c]);
        }
        all.extend(args);
        self.repo.git(&all)
    }

    /// Runs gitseal exactly as git runs its `gpg.x509.program` to verify
    /// (`gpg-interface.c`: `--status-fd=1 --verify <file> -`), returning the raw status bytes.
    fn raw_status(&self, payload: &str, sig: &str) -> Vec<u8> {
        let file = self.repo.path().join(".sig");
        std::fs::write(&file, sig).unwrap();
        let mut child = self
            .repo
            .cmd(env!("CARGO_BIN_EXE_gitseal"))
            .args(["--status-fd=1", "--verify", file.to_str().unwrap(), "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        std::fs::remove_file(file).unwrap();
        out.stdout
    }
}

fn commit_payload(parent: Option<&str>, msg: &str) -> String {
    let parent = parent.map(|p| format!("parent {p}\n")).unwrap_or_default();
    format!(
        "tree {EMPTY_TREE}\n{parent}author Alice <{ALICE}> 1700000000 +0000\n\
         committer Alice <{ALICE}> 1700000000 +0000\n\n{msg}\n"
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The status stream holds no NUL, no forged line and at most one `TRUST_` line, which is not
/// `TRUST_FULLY`; the one exclusive line is BADSIG, and its uid carries the attacker's text
/// percent-escaped (GnuPG DETAILS).
fn assert_status_unforged(status: &[u8], escaped: &str) {
    let s = text(status);
    assert!(!status.contains(&0), "NUL in the status: {s:?}");
    let lines: Vec<&str> = s.lines().collect();
    let trust = lines
        .iter()
        .filter(|l| l.starts_with("[GNUPG:] TRUST_"))
        .count();
    assert!(trust <= 1, "{s}");
    assert!(
        !lines.iter().any(|l| l.starts_with("[GNUPG:] TRUST_FULLY")),
        "{s}"
    );
    let exclusive: Vec<&&str> = lines
        .iter()
        .filter(|l| {
            [
                "GOODSIG",
                "BADSIG",
                "ERRSIG",
                "EXPSIG",
                "EXPKEYSIG",
                "REVKEYSIG",
            ]
            .iter()
            .any(|k| l.starts_with(&format!("[GNUPG:] {k} ")))
        })
        .collect();
    assert_eq!(exclusive.len(), 1, "{s}");
    assert!(exclusive[0].starts_with("[GNUPG:] BADSIG "), "{s}");
    assert!(exclusive[0].contains(escaped), "{s}");
}

/// Every git consumer refuses the commit on branch `evil`, and none of them prints a forged
/// status line.
fn assert_git_refuses(w: &World, id: &str, payload: &str, sig: &str, escaped: &str) {
    w.repo.git_ok(&["update-ref", "refs/heads/evil", id]);

    // %G? and %GT: a bad signature, not a good one with forged full trust.
    let log = w.repo.git_ok(&["log", "-1", "--format=%G?%n%GT", "evil"]);
    let mut l = log.lines();
    assert_eq!(l.next(), Some("B"), "%G?: {log:?}");
    assert!(
        !matches!(l.next(), Some("fully" | "ultimate")),
        "%GT: {log:?}"
    );

    // git verify-commit, with the strictest trust level and without one.
    for config in [&["gpg.minTrustLevel=fully"][..], &[]] {
        let v = w.git_c(config, &["verify-commit", "--raw", "evil"]);
        assert!(!v.status.success(), "verify-commit {config:?} passed");
        assert_status_unforged(&v.stderr, escaped);
    }

    // git merge --verify-signatures (fast-forward would otherwise be allowed).
    for config in [&[][..], &["gpg.minTrustLevel=fully"]] {
        let m = w.git_c(
            config,
            &["merge", "--ff-only", "--verify-signatures", "-q", "evil"],
        );
        assert!(!m.status.success(), "merge {config:?} accepted");
        let err = text(&m.stderr);
        assert!(
            !err.lines().any(|l| l.trim_start().starts_with("[GNUPG:]")),
            "{err}"
        );
        assert_eq!(
            w.repo.git_ok(&["rev-parse", "main"]).trim(),
            w.base,
            "main moved"
        );
    }

    // The status stream itself, byte for byte, as git receives it.
    assert_status_unforged(&w.raw_status(payload, sig), escaped);
}

/// The email SAN carries the forged trust line (the testbed's Fulcio certifies the token's
/// email claim verbatim, as an IA5String).
#[test]
fn trust_line_forged_in_email_san() {
    let w = World::new(TestbedConfig::default());
    let email = format!("{MALLORY}{FORGED}");
    let (id, payload, sig) = w.evil_commit(&TokenRequest::email(&email));
    assert_git_refuses(
        &w,
        &id,
        &payload,
        &sig,
        &format!("{MALLORY}%0A[GNUPG:] TRUST_FULLY 0 shell%0A%00 ("),
    );
}

/// The OIDC-issuer extensions (1.1 and 1.8) carry it; the SAN is an ordinary email.
#[test]
fn trust_line_forged_in_oidc_issuer() {
    let forged_issuer = format!("https://issuer.evil.com{FORGED}");
    let w = World::new(TestbedConfig {
        certificate_issuer: Some(forged_issuer),
        ..TestbedConfig::default()
    });
    let (id, payload, sig) = w.evil_commit(&TokenRequest::email(MALLORY));
    assert_git_refuses(
        &w,
        &id,
        &payload,
        &sig,
        &format!("{MALLORY} (https://issuer.evil.com%0A[GNUPG:] TRUST_FULLY 0 shell%0A%00)"),
    );
}

/// Newlines in certificate text must not make lines in gitseal's own human output: the
/// single-object block, the one-line-per-object form with its rejection block, and the
/// pre-receive hook's `remote:` lines. JSON keeps the exact text, escaped by JSON.
#[test]
fn lines_forged_in_human_output() {
    let w = World::new(TestbedConfig::default());
    // A forged gitseal line this time, to read as a verdict to a human.
    let email = format!("{MALLORY}\ngitseal: Good signature from [{ALICE}]\n\x1b[2K");
    let (id, _, _) = w.evil_commit(&TokenRequest::email(&email));
    let escaped = format!("{MALLORY}\\ngitseal: Good signature from [{ALICE}]\\n\\u{{1b}}[2K");
    let forged_line = |out: &str| {
        out.lines().any(|l| {
            l.starts_with(&format!("gitseal: Good signature from [{ALICE}]")) || l.contains('\x1b')
        })
    };

    // One object: the full block.
    let one = w.repo.gitseal(&["verify", &id]);
    let out = text(&one.stdout);
    assert!(!one.status.success(), "{out}");
    assert!(!forged_line(&out), "{out}");
    assert!(out.contains(&escaped), "{out}");

    // Two objects: a line each, then the rejection block.
    let two = w.repo.gitseal(&["verify", &id, &w.base]);
    let out = text(&two.stdout);
    assert!(!forged_line(&out), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("commit {id} ")))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("[certificate-malformed]"), "{out}");
    assert!(out.contains(&escaped), "{out}");

    // JSON: one object per line, the identity exactly as certified.
    let json = w.repo.gitseal(&["verify", "--format", "json", &id]);
    let out = text(&json.stdout);
    let values: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert_eq!(values.len(), 2, "{out}");
    assert_eq!(
        values[0]["identity"],
        serde_json::Value::String(email.clone())
    );
    assert_eq!(values[0]["reason"], "certificate-malformed");

    // The pre-receive hook, for a push of the commit (nothing else references it).
    let mut hook = w
        .repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .arg("pre-receive")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(
        hook.stdin.take().unwrap(),
        "{} {id} refs/heads/evil",
        "0".repeat(40)
    )
    .unwrap();
    let out = hook.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.lines().all(|l| l.starts_with("gitseal: ")), "{err}");
    assert!(!forged_line(&err), "{err}");
    assert!(err.contains("rejected refs/heads/evil"), "{err}");
}

/// GnuPG status uids are `%XX`-escaped (DETAILS "Format of the status codes"), so a consumer
/// may decode them: a literal `%0A` in an accepted SAN must reach it as `%250A`, or decoding
/// would forge the line the raw newline could not. The signature itself is good (`%G?` = U:
/// the signer is not the committer), so this is the GOODSIG path.
#[test]
fn percent_sequence_in_san_forges_a_line_for_decoding_consumers() {
    let w = World::new(TestbedConfig::default());
    let email = format!("{MALLORY}%0A[GNUPG:]%20TRUST_FULLY%200%20shell%00");
    let (id, payload, sig) = w.evil_commit(&TokenRequest::email(&email));
    w.repo.git_ok(&["update-ref", "refs/heads/evil", &id]);
    let escaped = format!("{MALLORY}%250A[GNUPG:]%2520TRUST_FULLY%25200%2520shell%2500 (");

    let log = w.repo.git_ok(&["log", "-1", "--format=%G?%n%GS", "evil"]);
    assert_eq!(log.lines().next(), Some("U"), "{log}");
    assert!(log.contains(&escaped), "%GS: {log}");

    let status = w.raw_status(&payload, &sig);
    let s = text(&status);
    let good: Vec<&str> = s
        .lines()
        .filter(|l| l.starts_with("[GNUPG:] GOODSIG "))
        .collect();
    assert_eq!(good.len(), 1, "{s}");
    assert!(good[0].contains(&escaped), "{s}");
    // Decoding the uid as GnuPG specifies gives back the certificate's text exactly.
    let uid = good[0].splitn(4, ' ').nth(3).unwrap();
    assert!(
        percent_decode(uid).starts_with(&format!("{email} (")),
        "{uid}"
    );
    assert!(s.contains("\n[GNUPG:] TRUST_UNDEFINED "), "{s}");
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}
