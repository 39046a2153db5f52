//! `gitseal.trustConfig`: a Sigstore client trust config (the testbed's
//! `DIR/client_trust_config.json`, the file sigstore-python's `--trust-config` takes) is all a
//! user needs to sign and verify against a private instance: Fulcio, Rekor and the OIDC issuer
//! come from its signing config, verification trusts its trusted root, explicit settings still
//! win, and `gitseal config` says where each URL came from.
#![cfg(feature = "testbed")]

use super::common::TestRepo;
use gitseal::testbed::{Testbed, TestbedConfig};
use std::process::{Output, Stdio};

const EMAIL: &str = "tess@example.com";

fn testbed() -> Testbed {
    Testbed::start(TestbedConfig {
        identity: EMAIL.into(),
        ..TestbedConfig::default()
    })
    .expect("testbed")
}

/// A repository whose only Sigstore setting is `gitseal.trustConfig`.
fn repo(tb: &Testbed) -> TestRepo {
    let repo = TestRepo::new();
    repo.git_ok(&["config", "user.name", "Tess"]);
    repo.git_ok(&["config", "user.email", EMAIL]);
    repo.git_ok(&[
        "config",
        "gitseal.trustConfig",
        tb.client_trust_config_path().to_str().expect("utf-8"),
    ]);
    repo
}

/// Runs `program` with only the browser opener set (no Fulcio, Rekor, issuer or trust root).
fn run(repo: &TestRepo, program: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut c = repo.cmd(program);
    c.env(
        "GITSEAL_URL_OPENER",
        format!(
            "{} open-url {{{{.URL}}}}",
            env!("CARGO_BIN_EXE_gitseal-testbed")
        ),
    )
    .env("GITSEAL_HTTP_RETRIES", "0")
    // Every commit gets a fresh certificate (the rotation test needs one from the new CA).
    .env("GITSEAL_CREDENTIAL_CACHE", "false")
    .args(args)
    .stdin(Stdio::null());
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().expect("runs")
}

fn commit(repo: &TestRepo, msg: &str, extra: &[(&str, &str)]) -> Output {
    std::fs::write(repo.path().join("file"), msg).expect("write");
    repo.git_ok(&["add", "file"]);
    run(repo, "git", &["commit", "-q", "-S", "-m", msg], extra)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn verifies(repo: &TestRepo, rev: &str) -> (bool, String) {
    let v = run(repo, "git", &["verify-commit", "--raw", rev], &[]);
    let status = text(&v.stderr);
    (v.status.success() && status.contains("GOODSIG"), status)
}

#[test]
fn the_trust_config_alone_signs_and_verifies() {
    let tb = testbed();
    let repo = repo(&tb);
    let o = commit(&repo, "first", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (ok, status) = verifies(&repo, "HEAD");
    assert!(ok, "{status}");
    // The certificate came from the testbed's Fulcio after a login at the testbed's issuer:
    // both URLs were taken from the signing config.
    let v = run(
        &repo,
        env!("CARGO_BIN_EXE_gitseal"),
        &[
            "verify",
            "HEAD",
            "--certificate-identity",
            EMAIL,
            "--certificate-oidc-issuer",
            &tb.issuer_url(),
        ],
        &[],
    );
    assert!(v.status.success(), "{}", text(&v.stdout));

    // `gitseal config` names the signing config as the source of each URL.
    let c = run(&repo, env!("CARGO_BIN_EXE_gitseal"), &["config"], &[]);
    let out = text(&c.stdout);
    assert!(c.status.success(), "{out}{}", text(&c.stderr));
    let source = format!(
        "[signing config ({})]",
        tb.client_trust_config_path().display()
    );
    // The testbed's signing config lists its TSA too (`tsaUrls`): signing timestamps.
    for (name, url) in [
        ("fulcio", tb.fulcio_url()),
        ("rekor", tb.rekor_url()),
        ("issuer", tb.issuer_url()),
        ("tsa", tb.tsa_url()),
    ] {
        let line = format!("  {name:6} = {url}  {source}");
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
    // The settings table says the same instead of the public-good defaults.
    for (url, affects) in [
        (tb.fulcio_url(), "sign"),
        (tb.rekor_url(), "sign+verify"),
        (tb.issuer_url(), "sign"),
    ] {
        let line = format!(
            "= {url}  [signing config ({}); {affects}]",
            tb.client_trust_config_path().display()
        );
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains("fulcio.sigstore.dev"), "{out}");
    assert!(
        out.contains(&format!(
            "trust root: {} (trustedRoot)",
            tb.client_trust_config_path().display()
        )),
        "{out}"
    );
}

#[test]
fn explicit_settings_win_over_the_signing_config() {
    let tb = testbed();
    let repo = repo(&tb);
    // A Fulcio nobody listens on: signing must go there, and fail, rather than to the testbed.
    let dead = "http://127.0.0.1:9";
    repo.git_ok(&["config", "gitsign.fulcio", dead]);
    let c = run(&repo, env!("CARGO_BIN_EXE_gitseal"), &["config"], &[]);
    let out = text(&c.stdout);
    assert!(
        out.contains(&format!("  fulcio = {dead}  [gitsign.fulcio]")),
        "{out}"
    );
    let o = commit(&repo, "to the dead fulcio", &[]);
    assert!(!o.status.success(), "signing must fail");
    assert!(
        text(&o.stderr).contains("127.0.0.1:9"),
        "{}",
        text(&o.stderr)
    );
    // An environment variable wins too, and the testbed's Fulcio works again through it.
    let o = commit(
        &repo,
        "env fulcio",
        &[("GITSEAL_FULCIO_URL", &tb.fulcio_url())],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(verifies(&repo, "HEAD").0);
}

#[test]
fn verification_trusts_the_configs_root_and_nothing_else() {
    let tb = testbed();
    let other = testbed();
    let repo = repo(&tb);
    let o = commit(&repo, "signed by tb", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(verifies(&repo, "HEAD").0);
    // Another instance's trust config does not vouch for this signature.
    repo.git_ok(&[
        "config",
        "gitseal.trustConfig",
        other.client_trust_config_path().to_str().expect("utf-8"),
    ]);
    let (ok, status) = verifies(&repo, "HEAD");
    assert!(!ok, "{status}");
    // An explicit trusted root wins over the trust config's.
    let (ok, status) = {
        let v = run(
            &repo,
            "git",
            &["verify-commit", "--raw", "HEAD"],
            &[(
                "GITSEAL_TRUSTED_ROOT",
                tb.trusted_root_path().to_str().expect("utf-8"),
            )],
        );
        let s = text(&v.stderr);
        (v.status.success() && s.contains("GOODSIG"), s)
    };
    assert!(ok, "{status}");
    // A broken trust config is a one-line configuration error, for signing and `gitseal config`.
    let bad = repo.path().join("bad.json");
    std::fs::write(&bad, b"{\"mediaType\":\"x\"}").expect("write");
    repo.git_ok(&[
        "config",
        "gitseal.trustConfig",
        bad.to_str().expect("utf-8"),
    ]);
    let c = run(&repo, env!("CARGO_BIN_EXE_gitseal"), &["config"], &[]);
    assert_eq!(c.status.code(), Some(2), "{}", text(&c.stderr));
    assert!(text(&c.stderr).contains("bad.json"), "{}", text(&c.stderr));
    let o = commit(&repo, "with a bad trust config", &[]);
    assert!(!o.status.success());
}

#[test]
fn a_rotated_fulcio_ca_reaches_signers_through_the_trust_config() {
    let mut tb = testbed();
    let repo = repo(&tb);
    let o = commit(&repo, "before", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let old_root = repo.path().join("old_trusted_root.json");
    std::fs::write(&old_root, tb.trusted_root_json()).expect("write");
    tb.rotate_fulcio_ca().expect("rotates");
    // The rewritten trust config lists both CAs: the new certificate and the old one verify.
    let o = commit(&repo, "after", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (ok, status) = verifies(&repo, "HEAD");
    assert!(ok, "{status}");
    let (ok, status) = verifies(&repo, "HEAD~1");
    assert!(ok, "{status}");
    // The new certificate really is from the new CA: the old root does not vouch for it.
    let v = run(
        &repo,
        "git",
        &["verify-commit", "--raw", "HEAD"],
        &[("GITSEAL_TRUSTED_ROOT", old_root.to_str().expect("utf-8"))],
    );
    assert!(!v.status.success(), "{}", text(&v.stderr));
}

/// sigstore-python itself bootstraps from the testbed's TUF repository (`sigstore --instance
/// URL trust-instance DIR/tuf-root.json`) and learns of a Fulcio CA rotation only through it:
/// with the trust it fetched before the rotation (`--offline`: no refresh) a certificate from
/// the new CA is refused; after a refresh it verifies.
#[test]
fn sigstore_python_follows_a_ca_rotation_through_the_testbed_tuf_repository() {
    let cli = super::common::sigstore_python();
    let mut tb = testbed();
    let repo = repo(&tb);
    let dir = repo.path().to_owned();
    let xdg = dir.join("xdg");
    let sigstore = |args: &[&str]| {
        std::process::Command::new(&cli)
            .current_dir(&dir)
            .env("XDG_CACHE_HOME", &xdg)
            .env("XDG_DATA_HOME", &xdg)
            .arg("--instance")
            .arg(tb.tuf_url())
            .args(args)
            .output()
            .expect("sigstore-python runs")
    };
    let init = sigstore(&[
        "trust-instance",
        tb.tuf_root_path().to_str().expect("utf-8"),
    ]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    tb.rotate_fulcio_ca().expect("rotates");
    let o = commit(&repo, "from the new CA", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = run(
        &repo,
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
    assert!(out.status.success(), "{}", text(&out.stderr));
    let verify = |offline: bool| {
        let mut c = std::process::Command::new(&cli);
        c.current_dir(&dir)
            .env("XDG_CACHE_HOME", &xdg)
            .env("XDG_DATA_HOME", &xdg)
            .arg("--instance")
            .arg(tb.tuf_url())
            .args(["verify", "identity"]);
        if offline {
            c.arg("--offline");
        }
        c.args([
            "--bundle",
            "b.sigstore.json",
            "--cert-identity",
            EMAIL,
            "--cert-oidc-issuer",
            &tb.issuer_url(),
            "artifact",
        ])
        .output()
        .expect("sigstore-python runs")
    };
    let stale = verify(true);
    assert!(
        !stale.status.success() && text(&stale.stderr).contains("certificate chain"),
        "the pre-rotation trust must not know the new CA: {}",
        text(&stale.stderr)
    );
    let fresh = verify(false);
    assert!(fresh.status.success(), "{}", text(&fresh.stderr));
}

#[test]
fn online_mode_looks_entries_up_in_the_signing_configs_rekor() {
    let tb = testbed();
    let repo = repo(&tb);
    repo.git_ok(&["config", "gitsign.rekorMode", "online"]);
    let o = commit(&repo, "online", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The signature embeds no entry: verification must find it in the testbed's Rekor, which
    // only the signing config names (with an empty entry cache, so nothing is remembered).
    let verify_fresh = |extra: &[(&str, &str)], cache: &str| {
        let cache_dir = repo.path().join(cache);
        let mut env = vec![("GITSEAL_CACHE_DIR", cache_dir.to_str().expect("utf-8"))];
        env.extend_from_slice(extra);
        let v = run(&repo, "git", &["verify-commit", "--raw", "HEAD"], &env);
        text(&v.stderr)
    };
    let status = verify_fresh(&[], "cache-a");
    assert!(status.contains("GOODSIG"), "{status}");
    let c = run(&repo, env!("CARGO_BIN_EXE_gitseal"), &["config"], &[]);
    assert!(c.status.success(), "{}", text(&c.stderr));
    // An explicit rekor setting wins for lookups too: a dead Rekor cannot vouch.
    let status = verify_fresh(&[("GITSEAL_REKOR_URL", "http://127.0.0.1:9")], "cache-b");
    assert!(!status.contains("GOODSIG"), "{status}");
}

/// Issue 14's whole path with no trust setting at all: `gitseal trust init` against the
/// testbed's TUF repository is all a user does; signing takes Fulcio, Rekor and the issuer
/// from the refreshed signing config, verification trusts the refreshed root, and a Fulcio CA
/// rotated through TUF reaches gitseal with `gitseal trust update`.
#[test]
fn trust_init_against_the_testbed_tuf_repository_is_all_it_takes() {
    let mut tb = testbed();
    let repo = TestRepo::new();
    repo.git_ok(&["config", "user.name", "Tess"]);
    repo.git_ok(&["config", "user.email", EMAIL]);
    let xdg = repo.path().join("xdg-cache");
    let cache = [("XDG_CACHE_HOME", xdg.to_str().expect("utf-8"))];
    let gitseal = |args: &[&str]| run(&repo, env!("CARGO_BIN_EXE_gitseal"), args, &cache);
    let tuf_url = tb.tuf_url();
    let init = gitseal(&[
        "trust",
        "init",
        "--mirror",
        &tuf_url,
        "--root",
        tb.tuf_root_path().to_str().expect("utf-8"),
    ]);
    assert!(init.status.success(), "{}", text(&init.stderr));

    let o = commit(&repo, "first", &cache);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let verify = |rev: &str| {
        let v = run(&repo, "git", &["verify-commit", "--raw", rev], &cache);
        let status = text(&v.stderr);
        (v.status.success() && status.contains("GOODSIG"), status)
    };
    let (ok, status) = verify("HEAD");
    assert!(ok, "{status}");
    // Without the refreshed state (another cache), the embedded public-good root does not
    // know the testbed's CA: the GOODSIG above came from TUF.
    let other = repo.path().join("empty-cache");
    let v = run(
        &repo,
        "git",
        &["verify-commit", "--raw", "HEAD"],
        &[("XDG_CACHE_HOME", other.to_str().expect("utf-8"))],
    );
    assert!(!v.status.success(), "{}", text(&v.stderr));
    // `gitseal config` says the URLs came from the TUF repository's signing config.
    let c = gitseal(&["config"]);
    assert!(
        text(&c.stdout).contains(&format!("signing config (TUF {tuf_url}")),
        "{}",
        text(&c.stdout)
    );

    tb.rotate_fulcio_ca().expect("rotates");
    // The cached root does not know the new CA yet: signing refuses the certificate rather
    // than emit a signature nobody could verify.
    let refused = commit(&repo, "before the update", &cache);
    assert!(!refused.status.success(), "{}", text(&refused.stderr));
    let update = gitseal(&["trust", "update"]);
    assert!(update.status.success(), "{}", text(&update.stderr));
    let o = commit(&repo, "after the update", &cache);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for rev in ["HEAD", "HEAD~1"] {
        let (ok, status) = verify(rev);
        assert!(ok, "{rev}: {status}");
    }
}

/// Signing asks a TUF repository for nothing unless trust comes from it: not with a trust
/// config, and not before the first `gitseal trust init` / `update` (the embedded root is then
/// in use, and an install that never asked for TUF must not talk to a TUF CDN on every
/// commit). Counted at the testbed's TUF repository, which `TUF_MIRROR` names throughout.
#[test]
fn signing_fetches_no_tuf_metadata_unless_trust_comes_from_tuf() {
    use gitseal::testbed::faults::Endpoint;
    let tb = testbed();
    let repo = repo(&tb);
    let xdg = repo.path().join("xdg-cache");
    let tuf_url = tb.tuf_url();
    let env = [
        ("XDG_CACHE_HOME", xdg.to_str().expect("utf-8")),
        ("TUF_MIRROR", tuf_url.as_str()),
    ];
    let o = commit(&repo, "trust config", &env);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(tb.faults().hits(Endpoint::TufMetadata), 0);

    // No trust config, no refresh ever made: the embedded root, which does not know the
    // testbed's CA, so signing fails, but still without a TUF request.
    repo.git_ok(&["config", "--unset", "gitseal.trustConfig"]);
    let urls = [
        ("GITSEAL_FULCIO_URL", tb.fulcio_url()),
        ("GITSEAL_REKOR_URL", tb.rekor_url()),
        ("GITSEAL_OIDC_ISSUER", tb.issuer_url()),
    ];
    let mut all: Vec<(&str, &str)> = env.to_vec();
    all.extend(urls.iter().map(|(k, v)| (*k, v.as_str())));
    let o = commit(&repo, "embedded root", &all);
    assert!(!o.status.success(), "{}", text(&o.stderr));
    assert_eq!(tb.faults().hits(Endpoint::TufMetadata), 0);
}

/// `gitseal trust show` lists the trust root verification uses: with only a trust config
/// set, the config's trusted root (the testbed's CA and logs), not the embedded one.
#[test]
fn trust_show_lists_the_trust_configs_root() {
    let tb = testbed();
    let repo = repo(&tb);
    let out = run(
        &repo,
        env!("CARGO_BIN_EXE_gitseal"),
        &["trust", "show"],
        &[],
    );
    let text = text(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "trust root in use: the trustedRoot of {}",
            tb.client_trust_config_path().display()
        )),
        "{text}"
    );
    assert!(text.contains(&tb.rekor_url()), "{text}");
    assert!(!text.contains("rekor.sigstore.dev"), "{text}");
}
