//! Attacks through the command line and the configuration (issue 11, items 6 and 7): a word, a
//! flag or a setting that gitseal used to accept while verifying less than asked — or nothing —
//! and still exiting 0. A CI step is only as strong as its exit status, so every case here
//! asserts the exit status first (2 = usage or configuration error, 1 = verification failed)
//! and then the message that says what to fix.
//!
//! The cases run the real binary in an isolated repository holding a real gitsign-signed
//! commit and tag from the shared corpus (signed by billy@chainguard.dev through
//! https://accounts.google.com, offline mode: verifiable with no network), and real git where
//! git is the caller (`git verify-commit` runs `gitseal --status-fd=1 --verify SIG -`).
//! Where a refusal could be mistaken for a broken setup, a control run with the corrected
//! command shows the same object verifying.

use super::super::common::{TestRepo, corpus, shared_dir};
use std::process::Output;

/// The corpus commit (offline mode) and its signer.
const SUBJECT: &str = "dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8";
const SIGNER: &str = "billy@chainguard.dev";
const ISSUER: &str = "https://accounts.google.com";

/// A repository holding the corpus commit `SUBJECT` and an offline corpus tag as
/// `refs/tags/release`; returns the tag's signer identity and issuer too.
fn subject_repo() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    let all = corpus();
    let commit = all.iter().find(|o| o.sha == SUBJECT).unwrap();
    assert_eq!(repo.write_object("commit", &commit.raw), SUBJECT);
    let tag = all
        .iter()
        .find(|o| o.kind == "tag" && o.mode == "offline")
        .unwrap();
    let id = repo.write_object("tag", &tag.raw);
    repo.git_ok(&["update-ref", "refs/tags/release", &id]);
    (repo, tag.identity.clone(), tag.issuer.clone())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts a usage/configuration error: exit 2, nothing on stdout (no help text, no verdict
/// a script could parse), and `needles` on stderr. Returns stderr.
fn assert_usage_error(out: &Output, needles: &[&str]) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "stdout: {}", text(&out.stdout));
    for n in needles {
        assert!(stderr.contains(n), "{n:?} missing from: {stderr}");
    }
    stderr
}

fn assert_passes(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}stderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

// --- Item 6: typos and unknown words on the command line. ---

#[test]
fn misspelt_subcommand_is_an_error_not_help_and_success() {
    let (repo, _, _) = subject_repo();
    // `gitseal verfiy HEAD` printed help and exited 0: the CI step "passed".
    let out = repo.gitseal(&["verfiy", SUBJECT]);
    assert_usage_error(
        &out,
        &["unrecognized subcommand 'verfiy'", "similar", "'verify'"],
    );
    // Control: spelt right, it verifies.
    assert_passes(&repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity",
        SIGNER,
        "--certificate-oidc-issuer",
        ISSUER,
    ]));
}

#[test]
fn plural_verify_tags_is_not_a_subcommand() {
    let (repo, _, _) = subject_repo();
    let out = repo.gitseal(&["verify-tags", "release"]);
    assert_usage_error(
        &out,
        &["unrecognized subcommand 'verify-tags'", "'verify-tag'"],
    );
}

#[test]
fn unknown_word_is_not_taken_for_a_file() {
    let (repo, _, _) = subject_repo();
    for word in ["nonsense", "check", "HEAD", SUBJECT] {
        let out = repo.gitseal(&[word]);
        assert_usage_error(&out, &[&format!("unrecognized subcommand '{word}'")]);
    }
}

#[test]
fn global_flag_before_the_subcommand_still_verifies() {
    // `--trusted-root` is global, but before the subcommand it turned `verify` into a FILE
    // argument: help, exit 0, nothing verified. Under a trust root that does not contain the
    // signer's CA the object must fail (1), and under the right one pass (0).
    let (repo, _, _) = subject_repo();
    let staging = shared_dir().join("trust/staging-trusted_root.json");
    let out = repo.gitseal(&[
        "--trusted-root",
        staging.to_str().unwrap(),
        "verify",
        SUBJECT,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("chain-untrusted"),
        "{}",
        text(&out.stdout)
    );
    let public_good = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/trust/public-good.trusted_root.json"
    );
    assert_passes(&repo.gitseal(&["--trusted-root", public_good, "verify", SUBJECT]));
}

#[test]
fn gpg_flags_next_to_a_subcommand_are_refused() {
    let (repo, _, _) = subject_repo();
    for args in [
        &["--status-fd=1", "verify", SUBJECT][..],
        &["--verify", "verify", SUBJECT],
        &["-bsau", "KEY", "verify-tag", "release"],
    ] {
        let out = repo.gitseal(args);
        assert_usage_error(&out, &["cannot be combined with a subcommand"]);
    }
}

#[test]
fn misspelt_option_is_a_usage_error() {
    let (repo, _, _) = subject_repo();
    let out = repo.gitseal(&["verify", SUBJECT, "--certificate-identiy", SIGNER]);
    assert_usage_error(&out, &["unexpected argument '--certificate-identiy'"]);
    let out = repo.gitseal(&["verify", SUBJECT, "--format", "jsno"]);
    assert_usage_error(&out, &["invalid value 'jsno'"]);
    let out = repo.gitseal(&["verify", SUBJECT, "--trusted-root", ""]);
    assert_usage_error(&out, &["--trusted-root"]);
}

#[test]
fn flags_without_a_mode_are_an_error_not_help() {
    let (repo, _, _) = subject_repo();
    for args in [&["-a"][..], &["-u", "KEY"], &["--status-fd=1"]] {
        let out = repo.gitseal(args);
        assert_usage_error(&out, &["nothing to do"]);
    }
    // No arguments at all: the help, on stderr, and exit 2 (gitsign exits 0).
    let out = repo.gitseal(&[]);
    assert_usage_error(&out, &["Usage: gitseal"]);
    // Asking for help or the version is success.
    for args in [&["--help"][..], &["-h"], &["help"], &["verify", "--help"]] {
        let out = repo.gitseal(args);
        assert_passes(&out);
        assert!(text(&out.stdout).contains("Usage: gitseal"), "{args:?}");
    }
    let out = repo.gitseal(&["--version"]);
    assert_passes(&out);
    assert!(text(&out.stdout).starts_with("gitseal version "));
}

#[test]
fn git_invocations_are_unchanged() {
    // What git runs (gpg-interface.c): `--status-fd=1 --verify SIGFILE -` with the payload on
    // stdin. The bundled short flags of signing are covered by `sign_e2e` and unit tests.
    let (repo, _, _) = subject_repo();
    let out = repo.git(&["verify-commit", "--raw", SUBJECT]);
    let status = text(&out.stderr);
    assert!(out.status.success(), "{status}");
    assert!(status.contains("\n[GNUPG:] GOODSIG "), "{status}");
}

// --- Item 6: revisions that do not exist are usage errors, not verdicts. ---

#[test]
fn missing_full_length_id_is_an_unknown_revision() {
    let (repo, _, _) = subject_repo();
    let ghost = "0123456789abcdef0123456789abcdef01234567";
    let out = repo.gitseal(&["verify", ghost]);
    let err = assert_usage_error(&out, &["unknown revision", ghost]);
    assert!(!err.contains("couldn't parse"), "{err}");
}

#[test]
fn missing_branch_is_an_unknown_revision() {
    let (repo, _, _) = subject_repo();
    let out = repo.gitseal(&["verify", "nosuchbranch"]);
    assert_usage_error(&out, &["unknown revision", "nosuchbranch"]);
    let out = repo.gitseal(&["verify", &format!("{SUBJECT}..nosuchbranch")]);
    assert_usage_error(&out, &["unknown revision", "nosuchbranch"]);
}

#[test]
fn missing_tag_is_an_unknown_revision() {
    let (repo, signer, issuer) = subject_repo();
    let out = repo.gitseal(&["verify-tag", "nosuchtag"]);
    assert_usage_error(&out, &["unknown revision", "nosuchtag"]);
    // One missing name among good ones still fails the whole command.
    let args = [
        "verify-tag",
        "release",
        "nosuchtag",
        "--certificate-identity",
        &signer,
        "--certificate-oidc-issuer",
        &issuer,
    ];
    assert_usage_error(&repo.gitseal(&args), &["nosuchtag"]);
}

#[test]
fn ref_to_a_missing_object_is_an_unknown_revision() {
    // A ref file naming an object the repository does not have (a partial fetch, a
    // hand-written ref): nothing can be verified, and that must not look like a verdict.
    let (repo, _, _) = subject_repo();
    let ghost = "fedcba9876543210fedcba9876543210fedcba98";
    std::fs::write(
        repo.path().join(".git/refs/heads/ghost"),
        format!("{ghost}\n"),
    )
    .unwrap();
    let out = repo.gitseal(&["verify", "ghost"]);
    assert_usage_error(&out, &["unknown revision", "ghost"]);
}

#[test]
fn tree_or_blob_selects_nothing_and_must_not_pass() {
    // `gitseal verify HEAD^{tree}` selected no commit, verified nothing and exited 0.
    let (repo, _, _) = subject_repo();
    repo.git_ok(&[
        "-c",
        "user.name=u",
        "-c",
        "user.email=u@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "unsigned",
    ]);
    let out = repo.gitseal(&["verify", "HEAD^{tree}"]);
    assert_usage_error(&out, &["names a tree, not a commit or tag"]);
    // Control: the commit itself is selected, and fails (unsigned).
    let out = repo.gitseal(&["verify", "HEAD"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let blob = repo.write_object("blob", b"not a commit\n");
    let out = repo.gitseal(&["verify", &blob]);
    assert_usage_error(&out, &["names a blob"]);
}

// --- Item 7: identity rules without an issuer (and the reverse). ---

#[test]
fn identity_flag_without_issuer_is_refused() {
    let (repo, _, _) = subject_repo();
    let out = repo.gitseal(&["verify", SUBJECT, "--certificate-identity", SIGNER]);
    assert_usage_error(
        &out,
        &[
            "--certificate-identity without --certificate-oidc-issuer",
            "hint: add --certificate-oidc-issuer URL",
        ],
    );
    let out = repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity-regexp",
        "@chainguard\\.dev$",
    ]);
    assert_usage_error(
        &out,
        &["--certificate-identity-regexp without --certificate-oidc-issuer"],
    );
}

#[test]
fn identity_flag_without_issuer_is_refused_by_verify_tag() {
    let (repo, signer, _) = subject_repo();
    let out = repo.gitseal(&["verify-tag", "release", "--certificate-identity", &signer]);
    assert_usage_error(&out, &["without --certificate-oidc-issuer"]);
}

#[test]
fn issuer_flag_without_identity_is_refused() {
    let (repo, _, _) = subject_repo();
    let out = repo.gitseal(&["verify", SUBJECT, "--certificate-oidc-issuer", ISSUER]);
    assert_usage_error(
        &out,
        &[
            "--certificate-oidc-issuer without --certificate-identity",
            "--certificate-identity-regexp",
        ],
    );
}

#[test]
fn github_claim_flags_alone_are_refused() {
    let (repo, _, _) = subject_repo();
    let out = repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-github-workflow-trigger",
        "push",
    ]);
    assert_usage_error(&out, &["--certificate-github-workflow-* without"]);
}

#[test]
fn explicit_any_issuer_is_accepted() {
    // The way to say "any issuer" is to say it: `--certificate-oidc-issuer-regexp '.*'`.
    let (repo, _, _) = subject_repo();
    assert_passes(&repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity",
        SIGNER,
        "--certificate-oidc-issuer-regexp",
        ".*",
    ]));
    // And the identity is still enforced under it.
    let out = repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity",
        "mallory@example.com",
        "--certificate-oidc-issuer-regexp",
        ".*",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn empty_identity_regexp_is_refused() {
    // `--certificate-identity-regexp "$ALLOWED"` with the variable unset: an empty regular
    // expression matches every identity, so any signer through that issuer passed.
    let (repo, _, _) = subject_repo();
    let out = repo.gitseal(&[
        "verify",
        SUBJECT,
        "--certificate-identity-regexp",
        "",
        "--certificate-oidc-issuer",
        ISSUER,
    ]);
    assert_usage_error(&out, &["--certificate-identity-regexp", "empty value"]);
}

#[test]
fn git_config_identity_without_issuer_is_refused_by_verify() {
    let (repo, _, _) = subject_repo();
    repo.git_ok(&["config", "gitseal.identity", SIGNER]);
    let out = repo.gitseal(&["verify", SUBJECT]);
    assert_usage_error(
        &out,
        &[
            "gitseal.identity without gitseal.issuer",
            "hint: set gitseal.issuer",
        ],
    );
    // Control: with the issuer the same rule verifies.
    repo.git_ok(&["config", "gitseal.issuer", ISSUER]);
    assert_passes(&repo.gitseal(&["verify", SUBJECT]));
}

#[test]
fn git_config_identity_without_issuer_fails_git_verify_commit() {
    // git's own path (`git verify-commit`, `%G?`): the configuration error is an ERRSIG and
    // exit 2, never a GOODSIG — as for any configuration error.
    let (repo, _, _) = subject_repo();
    repo.git_ok(&["config", "gitseal.identity", SIGNER]);
    let out = repo.git(&["verify-commit", "--raw", SUBJECT]);
    let status = text(&out.stderr);
    assert!(!out.status.success(), "{status}");
    assert!(status.contains("[GNUPG:] ERRSIG "), "{status}");
    assert!(!status.contains("GOODSIG"), "{status}");
    // Without --raw git shows gitseal's message.
    let out = repo.git(&["verify-commit", SUBJECT]);
    let human = text(&out.stderr);
    assert!(
        human.contains("gitseal.identity without gitseal.issuer"),
        "{human}"
    );
    // The reverse: an issuer alone.
    repo.git_ok(&["config", "--unset", "gitseal.identity"]);
    repo.git_ok(&["config", "gitseal.issuerRegexp", ".*"]);
    let out = repo.git(&["verify-commit", SUBJECT]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("gitseal.issuerRegexp without gitseal.identity"),
        "{}",
        text(&out.stderr)
    );
    // Control: both keys, and git's verification is good and fully trusted.
    repo.git_ok(&["config", "gitseal.identity", SIGNER]);
    let out = repo.git(&["verify-commit", "--raw", SUBJECT]);
    let status = text(&out.stderr);
    assert!(out.status.success(), "{status}");
    assert!(status.contains("TRUST_FULLY"), "{status}");
}

// --- The same class elsewhere: settings whose typo or emptiness widened verification. ---

#[test]
fn misspelt_offline_setting_is_refused() {
    // `gitseal.offline ture` on a server meant to stay off the network meant "online".
    let (repo, _, _) = subject_repo();
    repo.git_ok(&["config", "gitseal.offline", "ture"]);
    let out = repo.gitseal(&["verify", SUBJECT]);
    assert_usage_error(&out, &["invalid gitseal.offline", "\"ture\""]);
    let out = repo.git(&["verify-commit", "--raw", SUBJECT]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("[GNUPG:] ERRSIG "));
    repo.git_ok(&["config", "gitseal.offline", "true"]);
    let out = repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .env("GITSEAL_OFFLINE", "yes?")
        .args(["verify", SUBJECT])
        .output()
        .unwrap();
    assert_usage_error(&out, &["invalid GITSEAL_OFFLINE"]);
    // Control: git's boolean spellings.
    repo.git_ok(&["config", "gitseal.offline", "Yes"]);
    assert_passes(&repo.gitseal(&["verify", SUBJECT]));
}

#[test]
fn empty_policy_variable_does_not_drop_the_policy() {
    // The policy file (git config) allows only alice. `GITSEAL_POLICY=` (an unset CI variable)
    // made gitseal ignore it and fall back to the committer rule, under which the commit's
    // own committer passes.
    let (repo, _, _) = subject_repo();
    let policy = repo.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[allow]]\nidentity = \"alice@example.com\"\nissuer = \"https://accounts.google.com\"\n",
    )
    .unwrap();
    repo.git_ok(&["config", "gitseal.policy", policy.to_str().unwrap()]);
    let out = repo.gitseal(&["verify", SUBJECT]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .env("GITSEAL_POLICY", "")
        .args(["verify", SUBJECT])
        .output()
        .unwrap();
    assert_usage_error(&out, &["GITSEAL_POLICY", "set but empty"]);
}

#[test]
fn empty_trusted_root_variable_does_not_fall_back_to_public_good() {
    // gitseal.trustedRoot names a private root (here: staging, which does not hold the
    // corpus signer's CA). `GITSEAL_TRUSTED_ROOT=` replaced it with the embedded public-good
    // root, under which the commit is good.
    let (repo, _, _) = subject_repo();
    let staging = shared_dir().join("trust/staging-trusted_root.json");
    repo.git_ok(&["config", "gitseal.trustedRoot", staging.to_str().unwrap()]);
    let out = repo.gitseal(&["verify", SUBJECT]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .env("GITSEAL_TRUSTED_ROOT", "")
        .args(["verify", SUBJECT])
        .output()
        .unwrap();
    assert_usage_error(&out, &["GITSEAL_TRUSTED_ROOT", "set but empty"]);
    let out = repo
        .cmd("git")
        .env("GITSEAL_TRUSTED_ROOT", "")
        .args(["verify-commit", "--raw", SUBJECT])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        !text(&out.stderr).contains("GOODSIG"),
        "{}",
        text(&out.stderr)
    );
}

/// `--ref main` (not `refs/heads/main`) matched no ref-limited policy rule, so the objects
/// were judged as if on no protected ref at all: a usage error now.
#[test]
fn short_ref_name_is_refused() {
    let (repo, _, _) = subject_repo();
    for short in ["main", "heads/main", "refs/"] {
        let out = repo.gitseal(&["verify", "--ref", short, SUBJECT]);
        assert_usage_error(&out, &["not a full ref name"]);
    }
    let out = repo.gitseal(&[
        "verify",
        "--ref",
        "refs/heads/main",
        "--certificate-identity",
        SIGNER,
        "--certificate-oidc-issuer",
        ISSUER,
        SUBJECT,
    ]);
    assert_passes(&out);
}

/// A full-length id names that object, as git takes it (`get_oid_basic`: a full-length hex
/// name is the id itself, whatever refs exist), in either case: a branch named like the
/// signed commit's id, pointing at an unsigned commit, does not stand in for it. And gitseal
/// names the same object git does, so `gitseal verify X` and `git verify-commit X` agree.
#[test]
fn a_full_length_id_is_the_object_not_a_ref_of_that_name() {
    let (repo, _, _) = subject_repo();
    let tree = repo.write_object("tree", b"");
    let unsigned = repo.write_object(
        "commit",
        format!("tree {tree}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nu\n").as_bytes(),
    );
    repo.git_ok(&["update-ref", &format!("refs/heads/{SUBJECT}"), &unsigned]);
    for name in [SUBJECT.to_string(), SUBJECT.to_uppercase()] {
        assert_eq!(repo.git_ok(&["rev-parse", &name]).trim(), SUBJECT);
        let out = repo.gitseal(&["verify", "--format", "json", &name]);
        assert_passes(&out);
        let first = text(&out.stdout);
        assert!(first.lines().next().unwrap().contains(SUBJECT), "{first}");
    }
    // The branch by its ref name is the unsigned commit: a failed verification, not the
    // signed one.
    let out = repo.gitseal(&["verify", &format!("refs/heads/{SUBJECT}")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains(&unsigned),
        "{}",
        text(&out.stdout)
    );
    // A full-length id of an object the repository does not have is an unknown revision.
    let missing = "0123456789abcdef0123456789abcdef01234567";
    assert_usage_error(
        &repo.gitseal(&["verify", missing]),
        &["unknown revision", missing, "not in this repository"],
    );
}
