//! Verification through real git: `git verify-commit` / `git verify-tag` with gitseal as
//! `gpg.x509.program`, and the human `gitseal verify` / `verify-tag` commands.

use super::common::{TestRepo, corpus};

fn verify_raw(repo: &TestRepo, kind: &str, id: &str) -> (bool, String) {
    let sub = if kind == "tag" {
        "verify-tag"
    } else {
        "verify-commit"
    };
    let out = repo.git(&[sub, "--raw", id]);
    // --raw prints gpg's status lines on stderr.
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_offline_corpus_object_verifies_through_git() {
    let repo = TestRepo::new();
    let offline: Vec<_> = corpus()
        .into_iter()
        .filter(|o| o.mode == "offline")
        .collect();
    assert_eq!(offline.len(), 22, "20 commits and 2 tags");
    for o in offline {
        let id = repo.write_object(&o.kind, &o.raw);
        assert_eq!(id, o.sha);
        let (ok, status) = verify_raw(&repo, &o.kind, &id);
        assert!(ok, "{} failed: {status}", o.sha);
        assert!(status.contains("\n[GNUPG:] GOODSIG "), "{status}");
        assert!(status.contains("[GNUPG:] TRUST_FULLY"), "{status}");
        assert!(
            status.contains(&o.identity),
            "uid names the signer: {status}"
        );
    }
}

#[test]
fn online_corpus_objects_are_honestly_unverifiable() {
    let repo = TestRepo::new();
    // No Rekor lookups (the tests have no network): the honest answer is "cannot check".
    repo.git_ok(&["config", "gitseal.offline", "true"]);
    let online: Vec<_> = corpus()
        .into_iter()
        .filter(|o| o.mode == "online")
        .step_by(25)
        .collect();
    for o in online {
        let id = repo.write_object(&o.kind, &o.raw);
        let sub = if o.kind == "tag" {
            "verify-tag"
        } else {
            "verify-commit"
        };
        let out = repo.git(&[sub, "--raw", &id]);
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}", o.sha);
        assert!(text.contains("[GNUPG:] ERRSIG "), "{text}");
        assert!(!text.contains("GOODSIG"), "{text}");
        // Without --raw git shows gitseal's explanation.
        let human = repo.git(&[sub, &id]);
        let human = String::from_utf8_lossy(&human.stderr);
        assert!(human.contains("[tlog-lookup-required]"), "{human}");
    }
}

const SUBJECT: &str = "dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8";

fn subject() -> super::common::CorpusObject {
    corpus().into_iter().find(|o| o.sha == SUBJECT).unwrap()
}

#[test]
fn policy_in_git_config_sets_the_trust_level() {
    let repo = TestRepo::new();
    let o = subject();
    repo.write_object("commit", &o.raw);
    // Allowed identity and issuer: fully trusted.
    repo.git_ok(&["config", "gitseal.identity", "billy@chainguard.dev"]);
    repo.git_ok(&["config", "gitseal.issuer", "https://accounts.google.com"]);
    let (ok, status) = verify_raw(&repo, "commit", SUBJECT);
    assert!(ok && status.contains("TRUST_FULLY"), "{status}");
    // Someone else only: the signature is genuine, the signer is not allowed.
    repo.git_ok(&[
        "config",
        "--replace-all",
        "gitseal.identity",
        "alice@example.com",
    ]);
    let (ok, status) = verify_raw(&repo, "commit", SUBJECT);
    assert!(
        !ok,
        "verify-commit must fail for a signer outside the policy"
    );
    assert!(
        status.contains("GOODSIG") && status.contains("TRUST_NEVER"),
        "{status}"
    );
    // Multi-valued: any allowed value passes; regexps are honoured.
    repo.git_ok(&[
        "config",
        "--add",
        "gitseal.identityRegexp",
        "^billy@chainguard\\.dev$",
    ]);
    let (ok, status) = verify_raw(&repo, "commit", SUBJECT);
    assert!(ok && status.contains("TRUST_FULLY"), "{status}");
    // Wrong issuer.
    repo.git_ok(&[
        "config",
        "--replace-all",
        "gitseal.issuer",
        "https://github.com/login/oauth",
    ]);
    let (ok, status) = verify_raw(&repo, "commit", SUBJECT);
    assert!(!ok && status.contains("TRUST_NEVER"), "{status}");
}

#[test]
fn committer_rule_without_policy() {
    let repo = TestRepo::new();
    let o = subject();
    // The same signature over a payload whose committer is someone else is no longer valid
    // (the payload changed), so test the rule through the library instead: the signer email
    // equals the committer in every corpus object, giving TRUST_FULLY above. Here check that
    // `%G?` is G through git's own formatting of the status.
    repo.write_object("commit", &o.raw);
    let out = repo.git(&["verify-commit", "-v", SUBJECT]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Good signature from [billy@chainguard.dev](https://accounts.google.com)"),
        "{text}"
    );
    assert!(text.contains("trust fully"), "{text}");
}

#[test]
fn human_verify_with_identity_flags() {
    let repo = TestRepo::new();
    let o = subject();
    repo.write_object("commit", &o.raw);
    let good = repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity",
        "billy@chainguard.dev",
        "--certificate-oidc-issuer",
        "https://accounts.google.com",
    ]);
    let text = String::from_utf8_lossy(&good.stdout);
    assert!(
        good.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(text.contains("Validated Rekor entry: true"), "{text}");
    let bad = repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity",
        "mallory@example.com",
        "--certificate-oidc-issuer",
        "https://accounts.google.com",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let json = repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity-regexp",
        "@chainguard\\.dev$",
        "--certificate-oidc-issuer-regexp",
        ".*",
        "--format",
        "json",
    ]);
    // The first line is the object; the last one the summary.
    let stdout = String::from_utf8_lossy(&json.stdout);
    let line: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["outcome"], "good");
    assert_eq!(line["object"], SUBJECT);
    assert_eq!(line["identity"], "billy@chainguard.dev");
    assert!(line["log_index"].as_u64().is_some_and(|i| i > 0));
    assert!(
        line["integrated_time"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000)
    );
    assert_eq!(line["reason"], serde_json::Value::Null);
}

#[test]
fn human_verify_tag() {
    let repo = TestRepo::new();
    let tag = corpus()
        .into_iter()
        .find(|o| o.kind == "tag" && o.mode == "offline")
        .unwrap();
    let id = repo.write_object("tag", &tag.raw);
    // Stored under the name it gives itself (under another name it is refused:
    // attacks::pre_receive).
    let name =
        String::from_utf8(gitseal::git::header::tag_name(&tag.raw).unwrap().to_vec()).unwrap();
    repo.git_ok(&["update-ref", &format!("refs/tags/{name}"), &id]);
    let out = repo.gitseal(&[
        "verify-tag",
        &name,
        "--certificate-identity",
        &tag.identity,
        "--certificate-oidc-issuer",
        &tag.issuer,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Not a verdict: a tag that does not exist is a usage error (issue 11).
    let missing = repo.gitseal(&["verify-tag", "nope"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn gpg_argv_errors_match_gitsign() {
    let repo = TestRepo::new();
    let out = repo.gitseal(&["--verify", "-a", "x", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("armor cannot be specified"));
    let out = repo.gitseal(&["-s", "--verify", "x", "-"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("specify --help, --sign, or --verify"));
    let out = repo.gitseal(&["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("gitseal version "));
}

#[test]
fn garbage_signature_is_errsig_not_a_crash() {
    let repo = TestRepo::new();
    let sig = repo.path().join("sig");
    for junk in [
        &b"Usage: gitsign [flags]\n"[..],
        b"",
        b"\x30\x82\xff\xff",
        b"-----BEGIN SIGNED MESSAGE-----\n%%%\n-----END SIGNED MESSAGE-----\n",
    ] {
        std::fs::write(&sig, junk).unwrap();
        let out = repo
            .cmd(env!("CARGO_BIN_EXE_gitseal"))
            .args(["--status-fd=1", "--verify", sig.to_str().unwrap(), "-"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{status}");
        assert!(
            status.starts_with("[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG "),
            "{status}"
        );
    }
}

#[test]
fn trust_root_overrides_are_honoured() {
    let repo = TestRepo::new();
    let o = subject();
    repo.write_object("commit", &o.raw);
    let staging = super::common::shared_dir().join("trust/staging-trusted_root.json");
    // GITSEAL_TRUSTED_ROOT replaces the embedded root: production signatures are then
    // untrusted (BADSIG chain-untrusted), never good.
    let out = repo
        .cmd("git")
        .env("GITSEAL_TRUSTED_ROOT", &staging)
        .args(["verify-commit", "--raw", SUBJECT])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("[GNUPG:] BADSIG "), "{text}");
    // git config gitseal.trustedRoot does the same; an unreadable file is a clear error.
    repo.git_ok(&[
        "config",
        "gitseal.trustedRoot",
        "/nonexistent/trusted_root.json",
    ]);
    let out = repo.git(&["verify-commit", SUBJECT]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        text.contains("cannot read trust material /nonexistent/trusted_root.json"),
        "{text}"
    );
    // A readable other root in git config: the signature is untrusted. (gitseal starts
    // verifying before `git config` has answered, with the trust root the environment
    // alone names; that first pass must be thrown away here, never reported.)
    repo.git_ok(&["config", "gitseal.trustedRoot", staging.to_str().unwrap()]);
    let out = repo.git(&["verify-commit", "--raw", SUBJECT]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("[GNUPG:] BADSIG "), "{text}");
    assert!(!text.contains("GOODSIG"), "{text}");
    repo.git_ok(&["config", "--unset", "gitseal.trustedRoot"]);
    // The same through `git -c` (GIT_CONFIG_PARAMETERS) and gitsign's key for Fulcio CAs.
    let out = repo.git(&[
        "-c",
        &format!("gitseal.trustedRoot={}", staging.display()),
        "verify-commit",
        "--raw",
        SUBJECT,
    ]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("[GNUPG:] BADSIG "),
        "{text}"
    );
    let other_ca = repo.path().join("other-ca.pem");
    let staging_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&staging).unwrap()).unwrap();
    // Staging's Fulcio chain (intermediate and root) as gitsign's PEM bundle.
    let pem: String = staging_json["certificateAuthorities"][0]["certChain"]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let b64 = c["rawBytes"].as_str().unwrap().as_bytes();
            let body: String = b64
                .chunks(64)
                .map(|l| format!("{}\n", String::from_utf8_lossy(l)))
                .collect();
            format!("-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n")
        })
        .collect();
    std::fs::write(&other_ca, pem).unwrap();
    repo.git_ok(&["config", "gitsign.fulcioRoot", other_ca.to_str().unwrap()]);
    let out = repo.git(&["verify-commit", "--raw", SUBJECT]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("[GNUPG:] BADSIG "),
        "{text}"
    );
    repo.git_ok(&["config", "--unset", "gitsign.fulcioRoot"]);
    let (ok, status) = verify_raw(&repo, "commit", SUBJECT);
    assert!(ok && status.contains("GOODSIG"), "{status}");
    // gitsign's SIGSTORE_REKOR_PUBLIC_KEY replaces the Rekor keys. The real public-good key
    // (rekor.pub) verifies; a fresh key means the log is unknown, which cannot be checked
    // (ERRSIG), never a good signature.
    let rekor_pub = repo.path().join("rekor.pub");
    std::fs::write(
        &rekor_pub,
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr\nkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let with_key = |key: &std::path::Path| {
        let out = repo
            .cmd("git")
            .env("SIGSTORE_REKOR_PUBLIC_KEY", key)
            .args(["verify-commit", "--raw", SUBJECT])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, text) = with_key(&rekor_pub);
    assert!(ok && text.contains("GOODSIG"), "{text}");
    let other = repo.path().join("other.pem");
    let key = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl ecparam -name prime256v1 -genkey -noout | openssl ec -pubout -out {} 2>/dev/null",
            other.display()
        ))
        .status()
        .unwrap();
    assert!(key.success(), "openssl is needed for this test");
    let (ok, text) = with_key(&other);
    assert!(!ok);
    assert!(text.contains("[GNUPG:] ERRSIG "), "{text}");
}

#[test]
fn jj_style_invocation_with_a_data_file() {
    // jj's gpgsm backend runs `--verify SIGFILE DATAFILE` and signs with `-abu KEY`.
    let repo = TestRepo::new();
    let o = subject();
    let split =
        gitseal::git::object::split_commit(&o.raw, gitseal::git::object::HashKind::Sha1).unwrap();
    let (sig, data) = (repo.path().join("sig"), repo.path().join("data"));
    std::fs::write(&sig, &split.signature).unwrap();
    std::fs::write(&data, &split.payload).unwrap();
    let out = repo.gitseal(&[
        "--status-fd=1",
        "--verify",
        sig.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{status}");
    assert!(
        status.starts_with("[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG "),
        "{status}"
    );
    let parsed = gitseal::cli::plan(
        <gitseal::cli::commands::Cli as clap::Parser>::try_parse_from([
            "gitseal",
            "--status-fd=2",
            "-abu",
            "me@example.com",
        ])
        .unwrap(),
    )
    .unwrap();
    assert!(matches!(parsed, gitseal::cli::Plan::Sign(ref a) if a.status_fd == Some(2)));
}

#[test]
fn gitsign_pem_overrides_for_fulcio_and_ct() {
    let repo = TestRepo::new();
    let o = subject();
    repo.write_object("commit", &o.raw);
    // GITSIGN_FULCIO_ROOT / SIGSTORE_ROOT_FILE: a PEM bundle replaces the CAs. The public-good
    // CA 2 (intermediate + root) keeps the signature good; the staging CA makes it untrusted.
    let pem_bundle = |trusted_root: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(trusted_root).unwrap();
        use base64::Engine as _;
        let mut out = String::new();
        for ca in v["certificateAuthorities"].as_array().unwrap() {
            for c in ca["certChain"]["certificates"].as_array().unwrap() {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(c["rawBytes"].as_str().unwrap())
                    .unwrap();
                out.push_str(&gitseal::armor::pem("CERTIFICATE", &der));
            }
        }
        out
    };
    let prod = repo.path().join("prod.pem");
    std::fs::write(&prod, pem_bundle(gitseal::trust::PUBLIC_GOOD_TRUSTED_ROOT)).unwrap();
    let staging = repo.path().join("staging.pem");
    let staging_root = std::fs::read_to_string(
        super::common::shared_dir().join("trust/staging-trusted_root.json"),
    )
    .unwrap();
    std::fs::write(&staging, pem_bundle(&staging_root)).unwrap();
    let run = |var: &str, path: &std::path::Path| {
        let out = repo
            .cmd("git")
            .env(var, path)
            .args(["verify-commit", "--raw", SUBJECT])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, text) = run("GITSIGN_FULCIO_ROOT", &prod);
    assert!(ok && text.contains("GOODSIG"), "{text}");
    let (ok, text) = run("SIGSTORE_ROOT_FILE", &staging);
    assert!(!ok && text.contains("BADSIG"), "{text}");
    // SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: another CT key means the SCT no longer verifies.
    let ct = repo.path().join("ct.pem");
    let key = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl ecparam -name prime256v1 -genkey -noout | openssl ec -pubout -out {} 2>/dev/null",
            ct.display()
        ))
        .status()
        .unwrap();
    assert!(key.success());
    let (ok, text) = run("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", &ct);
    assert!(!ok && text.contains("BADSIG"), "{text}");
    let human = repo
        .cmd("git")
        .env("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", &ct)
        .args(["verify-commit", SUBJECT])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&human.stderr).contains("[sct-invalid]"));
}
