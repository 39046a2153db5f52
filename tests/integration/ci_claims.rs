//! CI identities end to end (issue 16): `git commit -S` / `git tag -s` with a GitLab CI-shaped
//! ambient token (`SIGSTORE_ID_TOKEN`) against the testbed, whose Fulcio maps the token's claims
//! to extensions as Fulcio's `gitlabcom` principal does; then `gitseal verify` under policies
//! and flags that name the pipeline's claims (allowed), or another project, another ref, a
//! self-hosted runner or a claim the certificate lacks (refused: TRUST_NEVER, exit 1); unknown
//! claim names (exit 2); the JSON report's claims and the human line naming the pipeline; and a
//! pre-receive push of a release tag.
#![cfg(feature = "testbed")]

use super::common::TestRepo;
use super::signing::sigstore_python_verify;
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
        let token = tb
            .mint_token(&TokenRequest::gitlab_pipeline(
                "acme/app",
                "refs/heads/main",
                "gitlab-hosted",
            ))
            .unwrap();
        Self::signed(tb, &token)
    }

    /// [`Ci::new`] against `tb`, signing with `token`.
    fn signed(tb: Testbed, token: &str) -> Self {
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
        std::fs::write(ci.repo.path().join("file"), "release\n").unwrap();
        ci.repo.git_ok(&["add", "file"]);
        let env = [("SIGSTORE_ID_TOKEN", token)];
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

/// The script of job `job` in `scripts/ci/gitlab-ci.yml` as one shell text: the `.gitseal`
/// template's `before_script` (minus `cargo install`: the binary under test is on PATH) and the
/// job's `script`. A reader for the subset of YAML the file uses (list items that are plain,
/// `|` literal or `>-` folded scalars); the file's full YAML validity is not this test's
/// business, its shell is.
fn gitlab_job_script(job: &str) -> String {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ci/gitlab-ci.yml"),
    )
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let items = |job: &str, key: &str| -> Vec<String> {
        let start = lines
            .iter()
            .position(|l| *l == format!("{job}:"))
            .unwrap_or_else(|| panic!("no job {job}"));
        let end = lines[start + 1..]
            .iter()
            .position(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with('#'))
            .map_or(lines.len(), |n| start + 1 + n);
        let Some(k) = lines[start..end]
            .iter()
            .position(|l| *l == format!("  {key}:"))
            .map(|n| start + n)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = k + 1;
        while i < end && lines[i].starts_with("    ") {
            if lines[i].trim_start().starts_with('#') {
                i += 1;
                continue;
            }
            let item = lines[i]
                .strip_prefix("    - ")
                .unwrap_or_else(|| panic!("line {}: {:?}", i + 1, lines[i]));
            i += 1;
            let mut body = Vec::new();
            while i < end && (lines[i].starts_with("      ") || lines[i].is_empty()) {
                body.push(lines[i].get(6..).unwrap_or(""));
                i += 1;
            }
            out.push(match item {
                "|" => body.join("\n"),
                ">-" => body.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" "),
                plain => plain.to_string(),
            });
        }
        out
    };
    let mut script: Vec<String> = items(".gitseal", "before_script")
        .into_iter()
        .filter(|s| !s.starts_with("cargo install"))
        .collect();
    assert!(!script.is_empty());
    script.extend(items(job, "script"));
    assert!(script.len() > 2, "{job}: {script:?}");
    script.join("\n")
}

/// `scripts/ci/gitlab-ci.yml` runs: its jobs' shell, with GitLab's variables set as a pipeline
/// would, against a repository whose `origin` is a local bare repository and the testbed as
/// Sigstore. The release job signs a tag with `git tag -s` and the pipeline's ambient token,
/// checks it and pushes it; the tag job verifies it; the merge request job verifies the range.
/// A self-hosted runner's signature fails each job with the reason, and nothing is pushed.
#[test]
fn gitlab_ci_pipeline_signs_and_verifies() {
    let ci = Ci::new();
    let origin = ci.dir.join("origin.git");
    ci.repo
        .git_ok(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    let policy = format!(
        "[[allow]]\nname = \"release pipeline\"\nidentity = \"{SAN}\"\nissuer = \"{}\"\n\
         claims = {GOOD}\nrefs = [\"refs/heads/*\", \"refs/tags/*\"]\n",
        ci.tb.issuer_url()
    );
    std::fs::create_dir_all(ci.repo.path().join(".gitseal")).unwrap();
    std::fs::write(ci.repo.path().join(".gitseal/policy.toml"), policy).unwrap();
    ci.repo.git_ok(&["add", ".gitseal/policy.toml"]);
    let token = |runner: &str| {
        ci.tb
            .mint_token(&TokenRequest::gitlab_pipeline(
                "acme/app",
                "refs/heads/main",
                runner,
            ))
            .unwrap()
    };
    let hosted = token("gitlab-hosted");
    let o = ci.run(
        "git",
        &["commit", "-q", "-S", "-m", "policy"],
        &[("SIGSTORE_ID_TOKEN", &hosted)],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ci.repo.git_ok(&["branch", "-M", "main"]);
    ci.repo
        .git_ok(&["remote", "add", "origin", origin.to_str().unwrap()]);
    ci.repo.git_ok(&["push", "-q", "origin", "main"]);
    let main = ci.repo.git_ok(&["rev-parse", "HEAD"]).trim().to_string();

    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_gitseal"))
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let job = |name: &str, vars: &[(&str, &str)]| {
        let mut all = vec![
            ("PATH", path.as_str()),
            ("GITSEAL_POLICY_PATH", ".gitseal/policy.toml"),
            ("CI_DEFAULT_BRANCH", "main"),
            ("GITLAB_USER_NAME", "Release Bot"),
            ("GITLAB_USER_EMAIL", "release-bot@example.com"),
        ];
        all.extend_from_slice(vars);
        let o = ci.run("sh", &["-e", "-c", &gitlab_job_script(name)], &all);
        let text =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        (o.status.code(), text)
    };
    let remote_tags = || {
        let dir = format!("--git-dir={}", origin.display());
        ci.repo.git_ok(&[&dir, "tag", "--list"])
    };

    // A self-hosted runner's release: signed, refused by the policy, not pushed.
    let self_hosted = token("self-hosted");
    let (code, text) = job(
        "gitseal-release",
        &[
            ("RELEASE_TAG", "v2.0.0"),
            ("CI_COMMIT_SHA", &main),
            ("SIGSTORE_ID_TOKEN", &self_hosted),
            ("RELEASE_REMOTE", origin.to_str().unwrap()),
        ],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("gitseal: not allowed (exit 1)"), "{text}");
    assert!(text.contains("runner-environment"), "{text}");
    assert_eq!(remote_tags(), "");
    ci.repo.git_ok(&["tag", "-d", "v2.0.0"]);

    // The GitLab-hosted release: signed, checked, pushed.
    let (code, text) = job(
        "gitseal-release",
        &[
            ("RELEASE_TAG", "v2.0.0"),
            ("CI_COMMIT_SHA", &main),
            ("SIGSTORE_ID_TOKEN", &hosted),
            ("RELEASE_REMOTE", origin.to_str().unwrap()),
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(remote_tags().trim(), "v2.0.0");
    let report = std::fs::read_to_string(ci.repo.path().join("gitseal-release.jsonl")).unwrap();
    assert!(report.contains("\"pass\":true"), "{report}");
    assert!(
        report.contains("\"runner-environment\":\"gitlab-hosted\""),
        "{report}"
    );

    // The tag pipeline verifies it under main's policy.
    let (code, text) = job("gitseal-verify-tag", &[("CI_COMMIT_TAG", "v2.0.0")]);
    assert_eq!(code, Some(0), "{text}");

    // A merge request: one commit from the hosted pipeline passes; one more from a
    // self-hosted runner fails the job with its reason, and the report stays.
    // (The release job set `gpg.x509.program gitseal`, for its PATH; back to the binary's path.)
    ci.repo
        .git_ok(&["config", "gpg.x509.program", env!("CARGO_BIN_EXE_gitseal")]);
    ci.repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    let mr_commit = |msg: &str, token: &str| {
        std::fs::write(ci.repo.path().join("file"), msg).unwrap();
        ci.repo.git_ok(&["add", "file"]);
        let o = ci.run(
            "git",
            &["commit", "-q", "-S", "-m", msg],
            &[("SIGSTORE_ID_TOKEN", token)],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        ci.repo.git_ok(&["rev-parse", "HEAD"]).trim().to_string()
    };
    let mr_vars = |head: &str| {
        vec![
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main".to_string()),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", main.clone()),
            ("CI_COMMIT_SHA", head.to_string()),
        ]
    };
    let run_mr = |head: &str| {
        let vars = mr_vars(head);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        job("gitseal-verify-mr", &vars)
    };
    let good = mr_commit("feature one\n", &hosted);
    let (code, text) = run_mr(&good);
    assert_eq!(code, Some(0), "{text}");
    let bad = mr_commit("feature two\n", &self_hosted);
    let (code, text) = run_mr(&bad);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&bad), "{text}");
    assert!(
        !text.contains(&format!("\"object\":\"{good}\"")),
        "only failures are printed: {text}"
    );
    let report = std::fs::read_to_string(ci.repo.path().join("gitseal.jsonl")).unwrap();
    assert_eq!(
        report.lines().count(),
        3,
        "two commits and the summary: {report}"
    );
}

/// Interop: sigstore-python verifies the exported bundle of a commit signed by the GitLab
/// pipeline with the pipeline's identity and issuer (its own reading of the certificate), and
/// refuses another project's identity.
#[test]
fn sigstore_python_verifies_a_gitlab_signed_commit() {
    let ci = Ci::new();
    let o = ci.gitseal(&[
        "bundle",
        "HEAD",
        "--bundle",
        "b.sigstore.json",
        "--artifact",
        "artifact",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = ci.repo.path();
    let verify = |identity: &str| {
        sigstore_python_verify(
            dir,
            ci.tb.client_trust_config_path(),
            identity,
            &ci.tb.issuer_url(),
        )
    };
    let good = verify(SAN);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let other = verify("https://gitlab.com/acme/other//.gitlab-ci.yml@refs/heads/main");
    assert!(
        !other.status.success(),
        "sigstore-python accepted another project"
    );
}

/// The same for a GitHub Actions workflow: its claims (both encodings) under a claims policy,
/// allowed, and refused for another ref or runner; cosign's GitHub flag reads the raw .1.5.
#[test]
fn github_workflow_claims_policy() {
    let ci = Ci::new();
    let req = TokenRequest::github_workflow(
        "acme/app",
        "release.yml",
        "refs/heads/main",
        "0123456789abcdef0123456789abcdef01234567",
    );
    let token = ci.tb.mint_token(&req).unwrap();
    std::fs::write(ci.repo.path().join("file"), "github\n").unwrap();
    ci.repo.git_ok(&["add", "file"]);
    let o = ci.run(
        "git",
        &["commit", "-q", "-S", "-m", "github"],
        &[("SIGSTORE_ID_TOKEN", &token)],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let san = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
    let issuer = ci.tb.issuer_url();
    let run = |extra: &[&str]| {
        let mut a = vec![
            "verify",
            "--format",
            "json",
            "--certificate-identity",
            san,
            "--certificate-oidc-issuer",
            &issuer,
        ];
        a.extend_from_slice(extra);
        a.push("HEAD");
        ci.gitseal(&a)
    };
    let o = run(&[
        "--certificate-claim",
        "source-repository-uri=https://github.com/acme/app",
        "--certificate-claim",
        "runner-environment=github-hosted",
        "--certificate-github-workflow-repository",
        "acme/app",
        "--certificate-github-workflow-trigger",
        "push",
    ]);
    let line: Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().next().unwrap()).unwrap();
    assert!(o.status.success(), "{line}");
    assert_eq!(line["claims"]["github-workflow-repository"], "acme/app");
    assert_eq!(line["claims"]["github-workflow-name"], "release");
    assert_eq!(line["claims"]["source-repository-ref"], "refs/heads/main");
    for (flag, value) in [
        (
            "--certificate-claim",
            "source-repository-ref=refs/heads/dev",
        ),
        ("--certificate-claim", "runner-environment=self-hosted"),
        ("--certificate-github-workflow-repository", "acme/other"),
        ("--certificate-github-workflow-ref", "refs/heads/dev"),
    ] {
        assert_eq!(run(&[flag, value]).status.code(), Some(1), "{flag} {value}");
    }
}

/// Fulcio's `gitlab-pipeline` issuer type: a Fulcio that trusts another issuer (here a second
/// testbed standing in for gitlab.com) as a GitLab issuer certifies its pipeline tokens with
/// that issuer and the CI claims; the claims policy names that issuer.
#[test]
fn federated_gitlab_pipeline_issuer() {
    use gitseal::testbed::{IssuerType, OidcIssuerConfig};
    let gitlab = Testbed::start(TestbedConfig::default()).unwrap();
    let tb = Testbed::start(TestbedConfig {
        extra_issuers: vec![OidcIssuerConfig {
            issuer_url: gitlab.issuer_url(),
            client_id: "sigstore".into(),
            issuer_type: IssuerType::GitlabPipeline,
            subject_domain: None,
        }],
        ..TestbedConfig::default()
    })
    .unwrap();
    let token = gitlab
        .mint_token(&TokenRequest::gitlab_pipeline(
            "acme/app",
            "refs/heads/main",
            "self-hosted",
        ))
        .unwrap();
    let ci = Ci::signed(tb, &token);
    let run = |runner: &str| {
        ci.gitseal(&[
            "verify",
            "--certificate-identity",
            SAN,
            "--certificate-oidc-issuer",
            &gitlab.issuer_url(),
            "--certificate-claim",
            &format!("runner-environment={runner}"),
            "HEAD",
        ])
    };
    let o = run("self-hosted");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(run("gitlab-hosted").status.code(), Some(1));
}
