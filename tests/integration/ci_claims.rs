//! CI identities end to end (issue 16): `git commit -S` / `git tag -s` with a GitLab CI-shaped
//! ambient token (`SIGSTORE_ID_TOKEN`) against the testbed, whose Fulcio maps the token's claims
//! to extensions as Fulcio's `gitlabcom` principal does; then `gitseal verify` under policies
//! and flags that name the pipeline's claims (allowed), or another project, another ref, a
//! self-hosted runner or a claim the certificate lacks (refused: TRUST_NEVER, exit 1); unknown
//! claim names (exit 2); the JSON report's claims and the human line naming the pipeline; and a
//! pre-receive push of a release tag.
#![cfg(feature = "testbed")]

use super::common::TestRepo;
use gitseal::testbed::{Testbed, TestbedConfig, TokenRequest};
use serde_json::Value;
use std::process::{Output, Stdio};

const SAN: &str = "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main";

struct Ci {
    tb: Testbed,
    repo: TestRepo,
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
}

impl Ci {
    /// A repository with one commit and one tag, both signed by the GitLab pipeline of
    /// acme/app on main, on a GitLab-hosted runner.
    fn new() -> Self {
        let tb = Testbed::start(TestbedConfig::default()).unwrap();
        let repo = TestRepo::new();
        repo.git_ok(&["config", "user.name", "Release Bot"]);
        repo.git_ok(&["config", "user.email", "release-bot@example.com"]);
        let dir = tempfile::tempdir().unwrap();
        let ci = Ci {
            tb,
            repo,
            dir: dir.path().to_path_buf(),
            _dir: dir,
        };
        let token = ci
            .tb
            .mint_token(&TokenRequest::gitlab_pipeline(
                "acme/app",
                "refs/heads/main",
                "gitlab-hosted",
            ))
            .unwrap();
        std::fs::write(ci.repo.path().join("file"), "release\n").unwrap();
        ci.repo.git_ok(&["add", "file"]);
        let env = [("SIGSTORE_ID_TOKEN", token.as_str())];
        let o = ci.run("git", &["commit", "-q", "-S", "-m", "release"], &env);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = ci.run("git", &["tag", "-s", "v1.0.0", "-m", "v1.0.0"], &env);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        ci
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITSEAL_FULCIO_URL".into(), self.tb.fulcio_url()),
            ("GITSEAL_REKOR_URL".into(), self.tb.rekor_url()),
            ("GITSEAL_OIDC_ISSUER".into(), self.tb.issuer_url()),
            (
                "GITSEAL_TRUSTED_ROOT".into(),
                self.tb.trusted_root_path().display().to_string(),
            ),
            ("GITSEAL_URL_OPENER".into(), "false {{.URL}}".into()),
            ("GITSEAL_HTTP_RETRIES".into(), "0".into()),
            ("GITSEAL".into(), env!("CARGO_BIN_EXE_gitseal").into()),
        ]
    }

    fn run(&self, program: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut c = self.repo.cmd(program);
        c.envs(self.env()).args(args).stdin(Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn gitseal(&self, args: &[&str]) -> Output {
        self.run(env!("CARGO_BIN_EXE_gitseal"), args, &[])
    }

    /// A policy file with one rule for the pipeline's identity and `claims`.
    fn policy(&self, name: &str, claims: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(
            &path,
            format!(
                "[[allow]]\nname = \"release pipeline\"\nidentity = \"{SAN}\"\nissuer = \"{}\"\nclaims = {claims}\n",
                self.tb.issuer_url()
            ),
        )
        .unwrap();
        path.display().to_string()
    }

    fn json(&self, args: &[&str]) -> (Option<i32>, Value, String) {
        let mut all = vec!["verify", "--format", "json"];
        all.extend_from_slice(args);
        let o = self.gitseal(&all);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let first = text
            .lines()
            .next()
            .map(|l| serde_json::from_str(l).unwrap())
            .unwrap_or(Value::Null);
        (
            o.status.code(),
            first,
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    }
}

const GOOD: &str = r#"{ source-repository-uri = "https://gitlab.com/acme/app", source-repository-ref = "refs/heads/main", runner-environment = "gitlab-hosted" }"#;

#[test]
fn gitlab_pipeline_claims_policy_allows_and_refuses() {
    let ci = Ci::new();
    let good = ci.policy("good.toml", GOOD);
    let (code, line, err) = ci.json(&["--policy", &good, "HEAD"]);
    assert_eq!(code, Some(0), "{line}\n{err}");
    assert_eq!(line["outcome"], "good", "{line}");
    assert_eq!(line["identity"], SAN);
    // The claims read, by Sigstore name.
    let claims = &line["claims"];
    assert_eq!(
        claims["source-repository-uri"],
        "https://gitlab.com/acme/app"
    );
    assert_eq!(claims["source-repository-ref"], "refs/heads/main");
    assert_eq!(claims["runner-environment"], "gitlab-hosted");
    assert_eq!(claims["build-config-uri"], SAN);
    assert_eq!(claims["build-trigger"], "push");
    assert_eq!(
        claims["run-invocation-uri"],
        "https://gitlab.com/acme/app/-/jobs/8000"
    );
    assert_eq!(claims["source-repository-visibility-at-signing"], "private");
    assert!(claims.get("github-workflow-ref").is_none(), "{claims}");

    // The tag too, with a regexp rule.
    let tags = ci.policy(
        "tags.toml",
        r#"{ source-repository-ref-regexp = "^refs/heads/main$", build-config-uri-regexp = "//\\.gitlab-ci\\.yml@" }"#,
    );
    let o = ci.gitseal(&["verify-tag", "--policy", &tags, "v1.0.0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Another project, another ref, a self-hosted runner, a claim it lacks: refused.
    for (name, claims, why) in [
        (
            "project.toml",
            r#"{ source-repository-uri = "https://gitlab.com/acme/other" }"#,
            "source-repository-uri",
        ),
        (
            "ref.toml",
            r#"{ source-repository-ref = "refs/heads/release" }"#,
            "source-repository-ref",
        ),
        (
            "runner.toml",
            r#"{ runner-environment = "self-hosted" }"#,
            "runner-environment",
        ),
        (
            "missing.toml",
            r#"{ github-workflow-repository = "acme/app" }"#,
            "has no github-workflow-repository claim",
        ),
    ] {
        let p = ci.policy(name, claims);
        let (code, line, err) = ci.json(&["--policy", &p, "HEAD"]);
        assert_eq!(code, Some(1), "{name}: {line}\n{err}");
        assert_eq!(line["outcome"], "untrusted-signer", "{name}: {line}");
        assert_eq!(line["pass"], false);
        let detail = line["detail"].as_str().unwrap();
        assert!(detail.contains(why), "{name}: {detail}");
        // git's own path (gitseal.policy) says TRUST_NEVER and fails.
        let o = ci.run(
            "git",
            &[
                "-c",
                &format!("gitseal.policy={p}"),
                "verify-commit",
                "--raw",
                "HEAD",
            ],
            &[],
        );
        let status = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{name}: {status}");
        assert!(status.contains("TRUST_NEVER"), "{name}: {status}");
    }
    let o = ci.run(
        "git",
        &[
            "-c",
            &format!("gitseal.policy={good}"),
            "verify-commit",
            "--raw",
            "HEAD",
        ],
        &[],
    );
    let status = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{status}");
    assert!(status.contains("TRUST_FULLY"), "{status}");

    // An unknown claim name is a configuration error (exit 2) naming it.
    let bad = ci.policy("bad.toml", r#"{ source-repo = "x" }"#);
    let o = ci.gitseal(&["verify", "--policy", &bad, "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("unknown certificate claim \"source-repo\""),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn claim_flags_and_human_output() {
    let ci = Ci::new();
    let issuer = ci.tb.issuer_url();
    let flags = |extra: &[&str]| {
        let mut a = vec![
            "verify",
            "--certificate-identity",
            SAN,
            "--certificate-oidc-issuer",
            &issuer,
        ];
        a.extend_from_slice(extra);
        a.push("HEAD");
        ci.gitseal(&a.iter().map(|s| &**s).collect::<Vec<&str>>())
    };
    let o = flags(&[
        "--certificate-claim",
        "source-repository-uri=https://gitlab.com/acme/app",
        "--certificate-claim-regexp",
        "runner-environment=^gitlab-hosted$",
    ]);
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{text}");
    // The human summary names the pipeline, not just the URI.
    assert!(
        text.contains(
            "gitseal: signed by GitLab CI pipeline acme/app .gitlab-ci.yml@refs/heads/main (gitlab-hosted)"
        ),
        "{text}"
    );
    for (flag, value) in [
        ("--certificate-claim", "runner-environment=self-hosted"),
        (
            "--certificate-claim",
            "source-repository-ref=refs/heads/dev",
        ),
        (
            "--certificate-claim-regexp",
            "source-repository-uri=/other$",
        ),
        ("--certificate-claim", "source-repository-digest=ffff"),
        // cosign's GitHub flag reads .1.5, which a GitLab certificate does not have.
        ("--certificate-github-workflow-repository", "acme/app"),
    ] {
        let o = flags(&[flag, value]);
        assert_eq!(o.status.code(), Some(1), "{flag} {value}");
    }
    for (flag, value) in [
        ("--certificate-claim", "runner=gitlab-hosted"),
        ("--certificate-claim", "runner-environment"),
        ("--certificate-claim-regexp", "build-trigger=("),
    ] {
        let o = flags(&[flag, value]);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}");
    }
}

/// A pre-receive push of the release tag: accepted on `refs/tags/*` only when the rule's
/// claims match.
#[test]
fn pre_receive_accepts_the_tag_only_when_the_claims_match() {
    let ci = Ci::new();
    let server = tempfile::tempdir().unwrap();
    let server_git = server.path().join("server.git");
    ci.repo
        .git_ok(&["init", "-q", "--bare", server_git.to_str().unwrap()]);
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pre-receive"),
        server_git.join("hooks/pre-receive"),
    )
    .unwrap();
    let issuer = ci.tb.issuer_url();
    let policy = |runner: &str| {
        format!(
            "unsigned = \"allow\"\n[[allow]]\nidentity = \"{SAN}\"\nissuer = \"{issuer}\"\n\
             claims = {{ source-repository-uri = \"https://gitlab.com/acme/app\", runner-environment = \"{runner}\" }}\n\
             refs = \"refs/tags/*\"\n"
        )
    };
    let push = |refspec: &str| ci.run("git", &["push", server_git.to_str().unwrap(), refspec], &[]);
    let set_policy = |text: String| {
        std::fs::write(server_git.join("policy.toml"), text).unwrap();
        let dir = format!("--git-dir={}", server_git.display());
        ci.repo
            .git_ok(&[&dir, "config", "gitseal.policy", "policy.toml"]);
    };
    set_policy(policy("self-hosted"));
    let o = push("refs/tags/v1.0.0:refs/tags/v1.0.0");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("runner-environment"), "{err}");
    set_policy(policy("gitlab-hosted"));
    let o = push("refs/tags/v1.0.0:refs/tags/v1.0.0");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The testbed's Fulcio checks a GitLab token as Fulcio's `gitlabcom` principal does: a token
/// without a claim it requires, or with a `ref_type` other than branch or tag, gets no
/// certificate, so nothing is signed.
#[test]
fn fulcio_refuses_an_incomplete_gitlab_token() {
    let ci = Ci::new();
    for bad in [
        TokenRequest::gitlab_pipeline("acme/app", "refs/heads/main", "gitlab-hosted")
            .with_claim("ref_type", Value::String("merge_request".into())),
        TokenRequest::gitlab_pipeline("acme/app", "refs/heads/main", "gitlab-hosted")
            .with_claim("runner_environment", Value::String(String::new())),
    ] {
        let token = ci.tb.mint_token(&bad).unwrap();
        std::fs::write(ci.repo.path().join("file"), "again\n").unwrap();
        ci.repo.git_ok(&["add", "file"]);
        let o = ci.run(
            "git",
            &["commit", "-q", "-S", "-m", "again"],
            &[("SIGSTORE_ID_TOKEN", &token)],
        );
        assert!(
            !o.status.success(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// A Buildkite job: `BUILDKITE=true` and a `buildkite-agent` on PATH (a fake that prints a
/// testbed Buildkite token and records its arguments). `git commit -S` signs with the
/// pipeline's identity, which verifies as `https://buildkite.com/<org>/<pipeline>`; without
/// `BUILDKITE=true` the agent is not run.
#[test]
fn buildkite_agent_token_signs_a_commit() {
    use std::os::unix::fs::PermissionsExt as _;
    let ci = Ci::new();
    let token = ci
        .tb
        .mint_token(&TokenRequest::buildkite_job(
            "acme",
            "app",
            "refs/heads/main",
        ))
        .unwrap();
    let bin = ci.dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let agent = bin.join("buildkite-agent");
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\necho \"$@\" >> \"{}\"\necho '{token}'\n",
            ci.dir.join("agent-args").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // Not a Buildkite job: the agent is not run, even when named as the provider.
    std::fs::write(ci.repo.path().join("file"), "not buildkite\n").unwrap();
    ci.repo.git_ok(&["add", "file"]);
    let o = ci.run(
        "git",
        &["commit", "-q", "-S", "-m", "no"],
        &[
            ("PATH", &path),
            ("GITSIGN_TOKEN_PROVIDER", "buildkite-agent"),
        ],
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a Buildkite job"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!ci.dir.join("agent-args").exists());

    let o = ci.run(
        "git",
        &["commit", "-q", "-S", "-m", "buildkite"],
        &[("PATH", &path), ("BUILDKITE", "true")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(ci.dir.join("agent-args")).unwrap(),
        "oidc request-token --audience sigstore\n"
    );
    let o = ci.gitseal(&[
        "verify",
        "--certificate-identity",
        "https://buildkite.com/acme/app",
        "--certificate-oidc-issuer",
        &ci.tb.issuer_url(),
        "HEAD",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = ci.gitseal(&[
        "verify",
        "--certificate-identity",
        "https://buildkite.com/acme/other",
        "--certificate-oidc-issuer",
        &ci.tb.issuer_url(),
        "HEAD",
    ]);
    assert_eq!(o.status.code(), Some(1));
}
