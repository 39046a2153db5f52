//! Verification at scale: online-mode signatures verified by Rekor lookup (and from the cache
//! once verified), ranges with a policy file and JSON output, a real `git push` through the
//! `scripts/pre-receive` hook, the whole gitsign corpus by id and in ranges, and deterministic
//! output from parallel verification.
//!
//! Signed commits are made through the library against the local Sigstore testbed
//! (`gitseal::sign` with a minted token per identity), written with `git hash-object`, so every
//! test controls identities, modes, parents and timestamps, and can break what it needs.

use super::common::{TestRepo, corpus};
use serde_json::Value;
use std::collections::HashMap;
use std::process::Output;

/// The JSON lines of a `--format json` run: per-object lines by id, and the summary.
fn json_lines(out: &Output) -> (Vec<Value>, Value) {
    json_text(&out.stdout)
}

fn json_text(stdout: &[u8]) -> (Vec<Value>, Value) {
    let text = String::from_utf8_lossy(stdout);
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{text}")))
        .collect();
    let summary = lines.pop().expect("a summary line");
    assert!(summary.get("summary").is_some(), "last line: {summary}");
    (lines, summary["summary"].clone())
}

fn by_id(lines: &[Value]) -> HashMap<String, Value> {
    lines
        .iter()
        .map(|l| (l["object"].as_str().unwrap().to_string(), l.clone()))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A repository holding every corpus object (loose, unconnected: their parents are absent).
fn corpus_repo() -> (TestRepo, Vec<super::common::CorpusObject>) {
    let repo = TestRepo::new();
    let objects = corpus();
    for o in &objects {
        let id = repo.write_object(&o.kind, &o.raw);
        assert_eq!(id, o.sha);
    }
    (repo, objects)
}

#[test]
fn corpus_offline_objects_pass_by_id_and_in_a_range() {
    let (repo, objects) = corpus_repo();
    let offline_commits: Vec<&str> = objects
        .iter()
        .filter(|o| o.mode == "offline" && o.kind == "commit")
        .map(|o| o.sha.as_str())
        .collect();
    assert_eq!(offline_commits.len(), 20);

    // By id: bare revisions name single objects.
    let mut args = vec!["verify", "--format", "json", "--offline", "--no-cache"];
    args.extend(&offline_commits);
    let out = repo.gitseal(&args);
    let (lines, summary) = json_lines(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lines.len(), 20);
    for (line, o) in lines.iter().zip(&offline_commits) {
        let want = objects.iter().find(|c| c.sha == *o).unwrap();
        assert_eq!(line["object"], *o);
        assert_eq!(line["outcome"], "good", "{line}");
        assert_eq!(line["pass"], true);
        assert_eq!(line["identity"], want.identity.as_str());
        assert_eq!(line["issuer"], want.issuer.as_str());
        assert!(line["log_index"].as_u64().is_some());
    }
    assert_eq!(summary["good"], 20);
    assert_eq!(summary["passed"], 20);
    assert_eq!(summary["failed"], 0);

    // The offline tags through verify-tag (by ref name: the name each tag gives itself, as
    // a tag stored under another name is refused).
    let mut names = Vec::new();
    for o in objects
        .iter()
        .filter(|o| o.mode == "offline" && o.kind == "tag")
    {
        let name =
            String::from_utf8(gitseal::git::header::tag_name(&o.raw).unwrap().to_vec()).unwrap();
        repo.git_ok(&["update-ref", &format!("refs/tags/{name}"), &o.sha]);
        names.push(name);
    }
    let mut args = vec!["verify-tag", "--format", "json", "--offline"];
    args.extend(names.iter().map(String::as_str));
    let out = repo.gitseal(&args);
    let (lines, summary) = json_lines(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        lines
            .iter()
            .all(|l| l["outcome"] == "good" && l["type"] == "tag")
    );
    assert_eq!(summary["good"], 2);

    // In a range: refs at every offline commit, `--all`. Their parents are missing from this
    // repository: those are reported as errors, and the walk goes on.
    for (i, sha) in offline_commits.iter().enumerate() {
        repo.git_ok(&["update-ref", &format!("refs/heads/c{i}"), sha]);
    }
    let out = repo.gitseal(&[
        "verify",
        "--all",
        "--format",
        "json",
        "--offline",
        "--no-cache",
    ]);
    let (lines, summary) = json_lines(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let seen = by_id(&lines);
    for sha in &offline_commits {
        assert_eq!(seen[*sha]["outcome"], "good", "{}", seen[*sha]);
    }
    for l in &lines {
        let outcome = l["outcome"].as_str().unwrap();
        match outcome {
            "good" => {}
            // Corpus objects that are parents of others, in online mode.
            "unverifiable-offline" => assert!(objects.iter().any(|o| o.sha == l["object"])),
            "error" => assert!(l["detail"].as_str().unwrap().contains("missing"), "{l}"),
            other => panic!("unexpected {other}: {l}"),
        }
    }
    assert!(summary["error"].as_u64().unwrap() > 0);
    assert_eq!(summary["objects"].as_u64().unwrap() as usize, lines.len());
}

#[test]
fn corpus_online_objects_are_unverifiable_offline() {
    let (repo, objects) = corpus_repo();
    let online: Vec<&str> = objects
        .iter()
        .filter(|o| o.mode == "online" && o.kind == "commit")
        .map(|o| o.sha.as_str())
        .collect();
    assert_eq!(online.len(), 242);
    let mut args = vec!["verify", "--format", "json", "--offline"];
    args.extend(&online);
    let out = repo.gitseal(&args);
    assert_eq!(out.status.code(), Some(1));
    let (lines, summary) = json_lines(&out);
    assert_eq!(lines.len(), online.len());
    for (l, sha) in lines.iter().zip(&online) {
        assert_eq!(l["object"], *sha);
        assert_eq!(l["outcome"], "unverifiable-offline", "{l}");
        assert_eq!(l["reason"], "tlog-lookup-required");
        assert_eq!(l["pass"], false);
        // The signer is known even though the log evidence is not.
        assert!(l["identity"].is_string(), "{l}");
    }
    assert_eq!(summary["unverifiable-offline"], 242);
    assert_eq!(summary["failed"], 242);

    let mut names = Vec::new();
    for o in objects
        .iter()
        .filter(|o| o.mode == "online" && o.kind == "tag")
    {
        let name = format!("t-{}", &o.sha[..8]);
        repo.git_ok(&["update-ref", &format!("refs/tags/{name}"), &o.sha]);
        names.push(name);
    }
    assert_eq!(names.len(), 26);
    let mut args = vec!["verify-tag", "--format", "json", "--offline"];
    args.extend(names.iter().map(String::as_str));
    let out = repo.gitseal(&args);
    let (lines, summary) = json_lines(&out);
    assert!(
        lines
            .iter()
            .all(|l| l["outcome"] == "unverifiable-offline" && l["type"] == "tag"),
        "{lines:?}"
    );
    assert_eq!(summary["unverifiable-offline"], 26);

    // GITSEAL_OFFLINE does the same as --offline.
    let out = repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .args(["verify", "--format", "json", online[0]])
        .env("GITSEAL_OFFLINE", "1")
        .output()
        .unwrap();
    let (lines, _) = json_lines(&out);
    assert_eq!(lines[0]["outcome"], "unverifiable-offline");
}

#[test]
fn parallel_verification_output_is_deterministic() {
    let (repo, objects) = corpus_repo();
    // Every commit by id, in a scrambled but fixed order: the output must follow the
    // arguments whatever the number of threads.
    let mut ids: Vec<&str> = objects
        .iter()
        .filter(|o| o.kind == "commit")
        .map(|o| o.sha.as_str())
        .collect();
    ids.sort_by_key(|s| s.chars().rev().collect::<String>());
    let run = |jobs: Option<&str>| {
        let mut args = vec!["verify", "--format", "json", "--offline"];
        if let Some(j) = jobs {
            args.extend(["--jobs", j]);
        }
        args.extend(&ids);
        repo.gitseal(&args).stdout
    };
    let one = run(Some("1"));
    let (lines, summary) = json_text(&one);
    assert_eq!(summary["objects"].as_u64().unwrap() as usize, ids.len());
    let order: Vec<&str> = lines
        .iter()
        .map(|l| l["object"].as_str().unwrap())
        .collect();
    assert_eq!(order, ids);
    for jobs in [Some("2"), Some("7"), None, Some("32")] {
        assert_eq!(run(jobs), one, "--jobs {jobs:?}");
    }

    // A walked history comes out in `git rev-list` order.
    let plain = TestRepo::new();
    let env = |t: u32| {
        vec![
            (
                "GIT_AUTHOR_DATE".to_string(),
                format!("@{} +0000", 1_700_000_000 + t),
            ),
            (
                "GIT_COMMITTER_DATE".to_string(),
                format!("@{} +0000", 1_700_000_000 + t),
            ),
        ]
    };
    let git_at = |t: u32, args: &[&str]| {
        let out = plain
            .cmd("git")
            .args(["-c", "user.name=U", "-c", "user.email=u@example.com"])
            .args(args)
            .envs(env(t))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    for t in 0..12 {
        git_at(
            t,
            &["commit", "-q", "--allow-empty", "-m", &format!("c{t}")],
        );
        if t == 5 {
            git_at(t, &["checkout", "-q", "-b", "side", "HEAD~2"]);
        }
        if t == 8 {
            git_at(t, &["checkout", "-q", "-"]);
            git_at(t, &["merge", "-q", "--no-edit", "side"]);
        }
    }
    let want = plain.git_ok(&["rev-list", "--all"]);
    let want: Vec<&str> = want.lines().collect();
    for jobs in ["1", "5"] {
        let out = plain.gitseal(&["verify", "--all", "--format", "json", "--jobs", jobs]);
        let (lines, summary) = json_lines(&out);
        let got: Vec<&str> = lines
            .iter()
            .map(|l| l["object"].as_str().unwrap())
            .collect();
        assert_eq!(got, want);
        assert_eq!(summary["unsigned"].as_u64().unwrap() as usize, want.len());
        assert!(lines.iter().any(|l| l["merge"] == true));
    }
    let range = plain.git_ok(&["rev-list", "HEAD~3..HEAD"]);
    let out = plain.gitseal(&["verify", "HEAD~3..HEAD", "--format", "json"]);
    let (lines, _) = json_lines(&out);
    let got: Vec<&str> = lines
        .iter()
        .map(|l| l["object"].as_str().unwrap())
        .collect();
    assert_eq!(got, range.lines().collect::<Vec<_>>());
}

#[test]
fn ci_examples_and_hook_are_shipped() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let hook = std::fs::read_to_string(root.join("scripts/pre-receive")).unwrap();
    assert!(hook.starts_with("#!/bin/sh"));
    assert!(hook.contains("pre-receive"));
    for f in ["scripts/ci/github-actions.yml", "scripts/ci/gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root.join(f)).unwrap();
        assert!(text.contains("gitseal verify"), "{f}");
        assert!(text.contains("--policy"), "{f}");
        assert!(text.contains("--format json"), "{f}");
    }
}

/// A relative `gitseal.policy` (or `GITSEAL_POLICY`) is anchored where git runs gitseal and
/// its hooks: the git directory of a bare repository for the pre-receive hook (githooks(5):
/// hooks run "in $GIT_DIR in a bare repository"), the top of the work tree otherwise, and so
/// also for `gitseal verify` started in a subdirectory (it used to look in the subdirectory,
/// while `git verify-commit` from the same place looked at the top: git runs
/// `gpg.x509.program` there). The policy allows unsigned commits; without it the default
/// rejects them, so a pass proves the file was found.
#[test]
fn relative_policy_path_is_anchored_at_the_repository_top() {
    const POLICY: &str = "unsigned = \"allow\"\n\n[[allow]]\nidentity = \"nobody@example.com\"\nissuer = \"https://issuer.example\"\n";
    let repo = TestRepo::new();
    std::fs::create_dir(repo.path().join("sub")).unwrap();
    std::fs::write(repo.path().join("sub/file"), "one\n").unwrap();
    repo.git_ok(&["add", "sub/file"]);
    let commit = |msg: &str| {
        repo.git_ok(&[
            "-c",
            "user.name=A U Thor",
            "-c",
            "user.email=author@example.com",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            msg,
        ]);
        repo.git_ok(&["rev-parse", "HEAD"]).trim().to_string()
    };
    let first = commit("unsigned one");
    let verify_from_sub = |vars: &[(&str, &str)]| {
        repo.cmd(env!("CARGO_BIN_EXE_gitseal"))
            .current_dir(repo.path().join("sub"))
            .envs(vars.iter().copied())
            .args(["verify", &first])
            .output()
            .unwrap()
    };

    // A work tree: the policy at the top, gitseal started in `sub/`.
    std::fs::create_dir(repo.path().join(".gitseal")).unwrap();
    std::fs::write(repo.path().join(".gitseal/policy.toml"), POLICY).unwrap();
    let out = verify_from_sub(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    repo.git_ok(&["config", "gitseal.policy", ".gitseal/policy.toml"]);
    let out = verify_from_sub(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = verify_from_sub(&[("GITSEAL_POLICY", ".gitseal/policy.toml")]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Not the subdirectory: a policy only there is not found (a usage error naming the path
    // at the top).
    std::fs::write(repo.path().join("sub/only-here.toml"), POLICY).unwrap();
    let out = verify_from_sub(&[("GITSEAL_POLICY", "only-here.toml")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let at_top = repo.path().join("only-here.toml");
    assert!(
        stderr(&out).contains(&at_top.display().to_string()),
        "{}",
        stderr(&out)
    );
    repo.git_ok(&["config", "--unset", "gitseal.policy"]);

    // A bare repository with the hook: `policies/main.toml` is inside its git directory.
    let server = tempfile::tempdir().unwrap();
    let server_git = server.path().join("server.git");
    repo.git_ok(&["init", "-q", "--bare", server_git.to_str().unwrap()]);
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pre-receive"),
        server_git.join("hooks/pre-receive"),
    )
    .unwrap();
    std::fs::create_dir(server_git.join("policies")).unwrap();
    std::fs::write(server_git.join("policies/main.toml"), POLICY).unwrap();
    let server_config = |v: &str| {
        let dir = format!("--git-dir={}", server_git.display());
        repo.git_ok(&[&dir, "config", "gitseal.policy", v]);
    };
    let push = || {
        repo.cmd("git")
            .arg("push")
            .arg(&server_git)
            .arg("HEAD:refs/heads/main")
            .env("GITSEAL", env!("CARGO_BIN_EXE_gitseal"))
            .output()
            .unwrap()
    };
    server_config("policies/main.toml");
    let out = push();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gitseal: 1 new object(s) verified"),
        "{}",
        stderr(&out)
    );
    // The control: the same relative name for a file that is not in the git directory is an
    // error naming the path the hook looked at, and the push is refused.
    std::fs::write(server.path().join("elsewhere.toml"), POLICY).unwrap();
    server_config("elsewhere.toml");
    commit("unsigned two");
    let out = push();
    assert!(!out.status.success(), "{}", stderr(&out));
    let looked_at = server_git.join("elsewhere.toml");
    assert!(
        stderr(&out).contains(&looked_at.display().to_string()),
        "{}",
        stderr(&out)
    );
}

#[cfg(feature = "testbed")]
pub(crate) mod with_testbed {
    use super::*;
    use gitseal::cms::encode::IncludeCerts;
    use gitseal::fulcio::FulcioClient;
    use gitseal::oidc::IdentityToken;
    use gitseal::rekor::client::{RekorClient, RekorError};
    use gitseal::rekor::entry::{LogEntry, hashedrekord_body};
    use gitseal::sign::{
        Candidate, ObjectFormat, RekorMode, Services, SignRequest, SystemClock, TransparencyLog,
    };
    use gitseal::testbed::{Endpoint, Fault, Testbed, TestbedConfig, TokenRequest};
    use gitseal::transport::{HttpTransport, Transport, TransportConfig};
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    pub(crate) const ALICE: &str = "alice@example.com";
    pub(crate) const BOB: &str = "bob@example.com";
    pub(crate) const MALLORY: &str = "mallory@example.net";
    /// git's empty tree.
    pub(crate) const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

    fn transport() -> Arc<dyn Transport> {
        Arc::new(HttpTransport::new(TransportConfig {
            use_env_proxy: false,
            max_retries: 0,
            ..TransportConfig::default()
        }))
    }

    /// A repository, a testbed and a private cache directory.
    pub(crate) struct World {
        tb: Option<Testbed>,
        pub(crate) repo: TestRepo,
        cache: tempfile::TempDir,
        /// Holds a copy of the trust root, which outlives the testbed (stopping it removes
        /// its directory).
        _keep: tempfile::TempDir,
        trusted_root: PathBuf,
        rekor_url: String,
        pub(crate) issuer: String,
        fulcio: FulcioClient,
        rekor: RekorClient,
    }

    /// A log that records the entry but tells the signer it recorded exactly what was asked
    /// (so a signer cannot notice the testbed's `MismatchedEntry` fault).
    struct HideMismatch<'a>(&'a RekorClient);

    impl TransparencyLog for HideMismatch<'_> {
        fn create_hashedrekord(
            &self,
            digest: &[u8; 32],
            signature: &[u8],
            cert_der: &[u8],
        ) -> Result<(String, LogEntry), RekorError> {
            let (uuid, mut entry) = self.0.create_hashedrekord(digest, signature, cert_der)?;
            entry.body = Some(hashedrekord_body(digest, signature, cert_der));
            Ok((uuid, entry))
        }
    }

    /// A log that records nothing (a signer that skipped Rekor).
    struct NoLog;

    impl TransparencyLog for NoLog {
        fn create_hashedrekord(
            &self,
            digest: &[u8; 32],
            signature: &[u8],
            cert_der: &[u8],
        ) -> Result<(String, LogEntry), RekorError> {
            Ok((
                "0".repeat(64),
                LogEntry {
                    log_index: 0,
                    log_id: [0; 32],
                    kind: "hashedrekord".into(),
                    version: "0.0.1".into(),
                    integrated_time: 0,
                    signed_entry_timestamp: None,
                    inclusion_proof: None,
                    body: Some(hashedrekord_body(digest, signature, cert_der)),
                },
            ))
        }
    }

    #[derive(Clone, Copy)]
    pub(crate) enum Log {
        Real,
        HideMismatch,
        Nothing,
    }

    impl World {
        pub(crate) fn new() -> Self {
            let tb = Testbed::start(TestbedConfig::default()).unwrap();
            let repo = TestRepo::new();
            assert_eq!(repo.write_object("tree", b""), EMPTY_TREE);
            let t = transport();
            let keep = tempfile::tempdir().unwrap();
            let trusted_root = keep.path().join("trusted_root.json");
            std::fs::copy(tb.trusted_root_path(), &trusted_root).unwrap();
            Self {
                trusted_root,
                _keep: keep,
                rekor_url: tb.rekor_url(),
                issuer: tb.issuer_url(),
                fulcio: FulcioClient::new(tb.fulcio_url(), t.clone()),
                rekor: RekorClient::new(tb.rekor_url(), t),
                tb: Some(tb),
                repo,
                cache: tempfile::tempdir().unwrap(),
            }
        }

        fn tb(&self) -> &Testbed {
            self.tb.as_ref().unwrap()
        }

        pub(crate) fn env(&self) -> Vec<(String, String)> {
            vec![
                (
                    "GITSEAL_TRUSTED_ROOT".into(),
                    self.trusted_root.display().to_string(),
                ),
                ("GITSEAL_REKOR_URL".into(), self.rekor_url.clone()),
                (
                    "GITSEAL_CACHE_DIR".into(),
                    self.cache.path().display().to_string(),
                ),
                ("GITSEAL_HTTP_RETRIES".into(), "0".into()),
            ]
        }

        pub(crate) fn gitseal(&self, args: &[&str]) -> Output {
            self.repo
                .cmd(env!("CARGO_BIN_EXE_gitseal"))
                .args(args)
                .envs(self.env())
                .output()
                .unwrap()
        }

        fn cached_files(&self) -> usize {
            fn count(p: &Path) -> usize {
                std::fs::read_dir(p).map_or(0, |r| {
                    r.filter_map(Result::ok)
                        .map(|e| {
                            let p = e.path();
                            if p.is_dir() {
                                count(&p)
                            } else {
                                usize::from(p.extension().is_some_and(|x| x == "json"))
                            }
                        })
                        .sum()
                })
            }
            count(self.cache.path())
        }

        pub(crate) fn sign(
            &self,
            who: &TokenRequest,
            payload: &[u8],
            mode: RekorMode,
            log: Log,
        ) -> String {
            let raw = self.tb().mint_token(who).unwrap();
            let mut tokens = || -> Result<IdentityToken, gitseal::oidc::OidcError> {
                IdentityToken::parse(&raw).map_err(Into::into)
            };
            let hide = HideMismatch(&self.rekor);
            let log: &dyn TransparencyLog = match log {
                Log::Real => &self.rekor,
                Log::HideMismatch => &hide,
                Log::Nothing => &NoLog,
            };
            let mut services = Services {
                tokens: &mut tokens,
                ca: &self.fulcio,
                log,
                clock: &SystemClock,
                certificate_check: None,
                timestamps: None,
            };
            let request = SignRequest {
                payload,
                mode,
                object_format: ObjectFormat::Sha1,
                include_certs: IncludeCerts::LeafOnly,
                match_committer: None,
            };
            let out =
                gitseal::sign::sign(&request, &mut services, &mut |_c: &Candidate<'_>| Ok(()))
                    .unwrap();
            out.armored
        }

        /// Writes a commit; `signer: None` leaves it unsigned. `tamper` edits the message after
        /// signing.
        pub(crate) fn commit(&self, c: CommitSpec<'_>) -> String {
            let mut payload = format!("tree {EMPTY_TREE}\n");
            for p in c.parents {
                payload.push_str(&format!("parent {p}\n"));
            }
            let when = 1_700_000_000 + c.time;
            payload.push_str(&format!(
                "author {0} <{0}> {when} +0000\ncommitter {0} <{0}> {when} +0000\n\n{1}\n",
                c.committer, c.message
            ));
            let raw = match c.signer {
                None => payload.into_bytes(),
                Some((who, mode, log)) => {
                    let sig = self.sign(who, payload.as_bytes(), mode, log);
                    let raw = gitseal::git::object::signed_object(
                        gitseal::git::object::Kind::Commit,
                        payload.as_bytes(),
                        sig.as_bytes(),
                        gitseal::git::object::HashKind::Sha1,
                    );
                    match c.tamper {
                        Some((from, to)) => {
                            let text = String::from_utf8(raw).unwrap();
                            assert!(text.contains(from));
                            text.replacen(from, to, 1).into_bytes()
                        }
                        None => raw,
                    }
                }
            };
            self.repo.write_object("commit", &raw)
        }

        /// A commit with a signature in another format.
        /// Writes an annotated tag of `target`, signed by `who` (tagger: the same email).
        pub(crate) fn tag(
            &self,
            target: &str,
            name: &str,
            who: (&str, &TokenRequest),
            mode: RekorMode,
        ) -> String {
            let payload = format!(
                "object {target}\ntype commit\ntag {name}\ntagger {0} <{0}> 1700000100 +0000\n\nrelease {name}\n",
                who.0
            );
            let sig = self.sign(who.1, payload.as_bytes(), mode, Log::Real);
            let raw = gitseal::git::object::signed_object(
                gitseal::git::object::Kind::Tag,
                payload.as_bytes(),
                sig.as_bytes(),
                gitseal::git::object::HashKind::Sha1,
            );
            let id = self.repo.write_object("tag", &raw);
            self.repo
                .git_ok(&["update-ref", &format!("refs/tags/{name}"), &id]);
            id
        }

        fn foreign_commit(&self, parent: &str, time: u32) -> String {
            let when = 1_700_000_000 + time;
            let raw = format!(
                "tree {EMPTY_TREE}\nparent {parent}\nauthor D <d@x> {when} +0000\ncommitter D <d@x> {when} +0000\n\
                 gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nopenpgp\n"
            );
            self.repo.write_object("commit", raw.as_bytes())
        }

        pub(crate) fn stop(&mut self) {
            if let Some(tb) = self.tb.take() {
                tb.stop();
            }
        }
    }

    #[derive(Clone, Copy)]
    pub(crate) struct CommitSpec<'a> {
        pub(crate) parents: &'a [&'a str],
        pub(crate) committer: &'a str,
        pub(crate) message: &'a str,
        pub(crate) time: u32,
        pub(crate) signer: Option<(&'a TokenRequest, RekorMode, Log)>,
        pub(crate) tamper: Option<(&'a str, &'a str)>,
    }

    pub(crate) fn spec<'a>(parents: &'a [&'a str], message: &'a str, time: u32) -> CommitSpec<'a> {
        CommitSpec {
            parents,
            committer: ALICE,
            message,
            time,
            signer: None,
            tamper: None,
        }
    }

    fn one(w: &World, args: &[&str]) -> Value {
        let out = w.gitseal(args);
        let (lines, _) = json_lines(&out);
        assert_eq!(lines.len(), 1, "{lines:?}\n{}", stderr(&out));
        lines[0].clone()
    }

    #[test]
    fn online_commits_verify_by_lookup_then_from_the_cache() {
        let mut w = World::new();
        let alice = TokenRequest::email(ALICE);
        let a = w.commit(CommitSpec {
            signer: Some((&alice, RekorMode::Online, Log::Real)),
            ..spec(&[], "first", 1)
        });
        let b = w.commit(CommitSpec {
            signer: Some((&alice, RekorMode::Online, Log::Real)),
            ..spec(&[&a], "second", 2)
        });
        w.repo.git_ok(&["update-ref", "refs/heads/main", &b]);

        let searches = w.tb().faults().hits(Endpoint::RekorSearchIndex);
        let out = w.gitseal(&["verify", "--walk", "main", "--format", "json"]);
        let (lines, summary) = json_lines(&out);
        assert!(out.status.success(), "{lines:?}\n{}", stderr(&out));
        assert_eq!(
            lines
                .iter()
                .map(|l| l["object"].as_str().unwrap())
                .collect::<Vec<_>>(),
            vec![b.as_str(), a.as_str()]
        );
        for l in &lines {
            assert_eq!(l["outcome"], "good", "{l}");
            assert_eq!(l["identity"], ALICE);
            assert_eq!(l["issuer"], w.issuer.as_str());
            assert!(l["log_index"].as_u64().is_some_and(|i| i >= 1_000_000));
            assert!(
                l["integrated_time"]
                    .as_i64()
                    .is_some_and(|t| t > 1_700_000_000)
            );
        }
        assert_eq!(summary["good"], 2);
        assert!(w.tb().faults().hits(Endpoint::RekorSearchIndex) > searches);
        assert!(w.tb().faults().hits(Endpoint::RekorGetEntry) >= 2);
        assert_eq!(w.cached_files(), 2);

        // Again: the cache answers, the log is not asked.
        let (searches, gets) = (
            w.tb().faults().hits(Endpoint::RekorSearchIndex),
            w.tb().faults().hits(Endpoint::RekorGetEntry),
        );
        let out = w.gitseal(&["verify", "--walk", "main", "--format", "json"]);
        assert!(out.status.success());
        assert_eq!(w.tb().faults().hits(Endpoint::RekorSearchIndex), searches);
        assert_eq!(w.tb().faults().hits(Endpoint::RekorGetEntry), gets);

        // With the testbed gone: still good, through `gitseal verify` and through git.
        w.stop();
        let out = w.gitseal(&["verify", "--walk", "main", "--format", "json"]);
        let (lines, _) = json_lines(&out);
        assert!(out.status.success(), "{lines:?}");
        assert!(lines.iter().all(|l| l["outcome"] == "good"));
        let out = w
            .repo
            .cmd("git")
            .args(["verify-commit", "-v", &b])
            .envs(w.env())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("Rekor lookup"), "{}", stderr(&out));
        // Human output names the lookup too.
        let out = w.gitseal(&["verify", &a]);
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("Rekor lookup"));

        // The cache is evidence, not trust: a cached entry is verified every time, so one
        // whose signed entry timestamp was altered on disk fails.
        let dir = w
            .cache
            .path()
            .join("rekor-entries")
            .join(&a[..2])
            .join(&a[2..]);
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut record: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let entry = record["entry"]
            .as_object_mut()
            .unwrap()
            .values_mut()
            .next()
            .unwrap();
        let set = entry["verification"]["signedEntryTimestamp"]
            .as_str()
            .unwrap()
            .to_string();
        let flipped = if set.starts_with('M') {
            set.replacen('M', "N", 1)
        } else {
            format!("M{}", &set[1..])
        };
        entry["verification"]["signedEntryTimestamp"] = Value::String(flipped);
        std::fs::write(&file, serde_json::to_vec(&record).unwrap()).unwrap();
        let l = one(&w, &["verify", "--format", "json", "--offline", &a]);
        assert_eq!(l["outcome"], "bad", "{l}");
        assert_eq!(l["reason"], "set-invalid", "{l}");
        assert_eq!(
            one(&w, &["verify", "--format", "json", "--offline", &b])["outcome"],
            "good"
        );
    }

    /// Two commits signed with one certificate (gitsign's credential cache reuses a key and
    /// certificate for ten minutes); only the first is logged. The first one's genuine entry
    /// must never stand in for the second, neither from the log nor planted in the cache.
    #[test]
    fn an_entry_for_another_object_never_counts() {
        use gitseal::cms::encode::DetachedSignature;
        use p256::ecdsa::signature::Signer as _;
        use p256::elliptic_curve::Generate as _;
        use sha2::{Digest as _, Sha256};

        let w = World::new();
        let token =
            IdentityToken::parse(&w.tb().mint_token(&TokenRequest::email(ALICE)).unwrap()).unwrap();
        let key = p256::ecdsa::SigningKey::try_generate().unwrap();
        let proof: p256::ecdsa::Signature = key.sign(token.fulcio_subject().unwrap().as_bytes());
        let chain = w
            .fulcio
            .request_certificate(&token, key.verifying_key(), &proof.to_der().to_bytes())
            .unwrap();
        let mut ids = Vec::new();
        for (msg, log) in [("logged", true), ("never logged", false)] {
            let payload = format!(
                "tree {EMPTY_TREE}\nauthor {ALICE} <{ALICE}> 1700000000 +0000\n\
                 committer {ALICE} <{ALICE}> 1700000000 +0000\n\n{msg}\n"
            );
            let digest: [u8; 32] = Sha256::digest(payload.as_bytes()).into();
            let cms = DetachedSignature::sign(
                &digest,
                std::time::SystemTime::now(),
                &chain.leaf_der,
                &chain.chain_der,
                IncludeCerts::LeafOnly,
                &key,
            )
            .unwrap();
            let armored = cms.to_pem().unwrap();
            let id =
                gitseal::sign::predict_object_id(payload.as_bytes(), &armored, ObjectFormat::Sha1)
                    .unwrap();
            if log {
                let sig: p256::ecdsa::Signature = key.sign(id.as_bytes());
                let id_digest: [u8; 32] = Sha256::digest(id.as_bytes()).into();
                w.rekor
                    .create_hashedrekord(&id_digest, &sig.to_der().to_bytes(), &chain.leaf_der)
                    .unwrap();
            }
            let raw = gitseal::git::object::signed_object(
                gitseal::git::object::Kind::Commit,
                payload.as_bytes(),
                armored.as_bytes(),
                gitseal::git::object::HashKind::Sha1,
            );
            assert_eq!(w.repo.write_object("commit", &raw), id);
            ids.push(id);
        }
        let (logged, unlogged) = (&ids[0], &ids[1]);
        assert_eq!(
            one(&w, &["verify", "--format", "json", logged])["outcome"],
            "good"
        );
        // From the log: the certificate search finds the other commit's entry: a mismatch.
        let l = one(&w, &["verify", "--format", "json", "--no-cache", unlogged]);
        assert_eq!(l["outcome"], "bad", "{l}");
        assert_eq!(l["reason"], "tlog-entry-mismatch");
        // Planted in the cache under the unlogged commit's id: ignored.
        let dir = |id: &str| {
            w.cache
                .path()
                .join("rekor-entries")
                .join(&id[..2])
                .join(&id[2..])
        };
        let src = std::fs::read_dir(dir(logged))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut record: Value = serde_json::from_slice(&std::fs::read(&src).unwrap()).unwrap();
        record["object"] = Value::String(unlogged.clone());
        std::fs::create_dir_all(dir(unlogged)).unwrap();
        std::fs::write(
            dir(unlogged).join(src.file_name().unwrap()),
            serde_json::to_vec(&record).unwrap(),
        )
        .unwrap();
        let l = one(&w, &["verify", "--format", "json", "--offline", unlogged]);
        assert_eq!(l["outcome"], "unverifiable-offline", "{l}");
    }

    #[test]
    fn offline_makes_no_request() {
        let w = World::new();
        let bob = TokenRequest::email(BOB);
        let c = w.commit(CommitSpec {
            committer: BOB,
            signer: Some((&bob, RekorMode::Online, Log::Real)),
            ..spec(&[], "online", 1)
        });
        let before: Vec<u64> = [Endpoint::RekorSearchIndex, Endpoint::RekorGetEntry]
            .iter()
            .map(|e| w.tb().faults().hits(*e))
            .collect();
        let l = one(&w, &["verify", "--offline", "--format", "json", &c]);
        assert_eq!(l["outcome"], "unverifiable-offline", "{l}");
        assert_eq!(l["reason"], "tlog-lookup-required");
        assert_eq!(l["identity"], BOB);
        let out = w
            .repo
            .cmd(env!("CARGO_BIN_EXE_gitseal"))
            .args(["verify", "--format", "json", &c])
            .envs(w.env())
            .env("GITSEAL_OFFLINE", "true")
            .output()
            .unwrap();
        assert_eq!(json_lines(&out).0[0]["outcome"], "unverifiable-offline");
        let after: Vec<u64> = [Endpoint::RekorSearchIndex, Endpoint::RekorGetEntry]
            .iter()
            .map(|e| w.tb().faults().hits(*e))
            .collect();
        assert_eq!(before, after);
        assert_eq!(w.cached_files(), 0);
        // Online, the same commit is good.
        assert_eq!(
            one(&w, &["verify", "--format", "json", &c])["outcome"],
            "good"
        );
    }

    #[test]
    fn online_mode_tags_verify_by_lookup_with_tags() {
        let w = World::new();
        let alice = TokenRequest::email(ALICE);
        let mallory = TokenRequest::email(MALLORY);
        let c = w.commit(CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            ..spec(&[], "tagged", 1)
        });
        w.repo.git_ok(&["update-ref", "refs/heads/main", &c]);
        let v1 = w.tag(&c, "v1", (ALICE, &alice), RekorMode::Online);
        let v2 = w.tag(&c, "v2", (MALLORY, &mallory), RekorMode::Offline);
        // Without --tags only the commit; with it, the tags on it too (after the commits).
        let out = w.gitseal(&["verify", "--walk", "main", "--format", "json"]);
        assert_eq!(json_lines(&out).0.len(), 1);
        let out = w.gitseal(&[
            "verify",
            "--walk",
            "main",
            "--tags",
            "--format",
            "json",
            "--certificate-identity",
            ALICE,
            "--certificate-oidc-issuer",
            &w.issuer,
        ]);
        let (lines, summary) = json_lines(&out);
        let ids: Vec<&str> = lines
            .iter()
            .map(|l| l["object"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![c.as_str(), v1.as_str(), v2.as_str()]);
        assert_eq!(lines[1]["type"], "tag");
        assert_eq!(lines[1]["outcome"], "good", "{}", lines[1]);
        assert_eq!(lines[2]["outcome"], "untrusted-signer", "{}", lines[2]);
        assert_eq!(summary["good"], 2);
        // verify-tag judges a tag for its own ref.
        let l = one(&w, &["verify-tag", "--format", "json", "v1"]);
        assert_eq!(l["outcome"], "good", "{l}");
        assert_eq!(l["ref"], "refs/tags/v1");
        // And git verify-tag, through the same lookup (now from the cache).
        let out = w
            .repo
            .cmd("git")
            .args(["verify-tag", "v1"])
            .envs(w.env())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }

    #[test]
    fn wrong_or_missing_entries_fail_with_their_reason() {
        let w = World::new();
        let alice = TokenRequest::email(ALICE);
        let signed = |msg: &str, log: Log| {
            w.commit(CommitSpec {
                signer: Some((&alice, RekorMode::Online, log)),
                ..spec(&[], msg, 1)
            })
        };
        let good = signed("good", Log::Real);
        for (fault, reason) in [
            (Fault::WrongInclusionProof, "inclusion-proof-invalid"),
            (Fault::WrongSetKey, "set-invalid"),
            (Fault::WrongCheckpointKey, "checkpoint-invalid"),
        ] {
            w.tb().faults().set(Endpoint::RekorGetEntry, fault).unwrap();
            let l = one(&w, &["verify", "--format", "json", &good]);
            assert_eq!(l["outcome"], "bad", "{fault:?}: {l}");
            assert_eq!(l["reason"], reason, "{fault:?}: {l}");
            w.tb().faults().clear_all();
        }
        assert_eq!(w.cached_files(), 0, "failures are not cached");
        assert_eq!(
            one(&w, &["verify", "--format", "json", &good])["outcome"],
            "good"
        );

        // The log recorded a different digest than the signer sent.
        w.tb()
            .faults()
            .once(Endpoint::RekorCreateEntry, Fault::MismatchedEntry)
            .unwrap();
        let mismatched = signed("mismatched", Log::HideMismatch);
        let l = one(&w, &["verify", "--format", "json", &mismatched]);
        assert_eq!(l["outcome"], "bad", "{l}");
        assert_eq!(l["reason"], "tlog-entry-mismatch");

        // Never logged at all.
        let unlogged = signed("unlogged", Log::Nothing);
        let l = one(&w, &["verify", "--format", "json", &unlogged]);
        assert_eq!(l["outcome"], "error", "{l}");
        assert_eq!(l["reason"], "tlog-entry-not-found");

        // The log cannot be reached.
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", dead.local_addr().unwrap());
        drop(dead);
        let out = w
            .repo
            .cmd(env!("CARGO_BIN_EXE_gitseal"))
            .args(["verify", "--format", "json", "--no-cache", &good])
            .envs(w.env())
            .env("GITSEAL_REKOR_URL", &url)
            .output()
            .unwrap();
        let l = &json_lines(&out).0[0];
        assert_eq!(l["outcome"], "error", "{l}");
        assert_eq!(l["reason"], "tlog-lookup-failed");
        assert!(l["detail"].as_str().unwrap().contains(&url), "{l}");
        // Through git: ERRSIG, exit 1.
        let out = w
            .repo
            .cmd("git")
            .args(["verify-commit", "--raw", &unlogged])
            .envs(w.env())
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(stderr(&out).contains("[GNUPG:] ERRSIG"), "{}", stderr(&out));
    }

    /// The mixed repository of the policy and push tests.
    struct Mixed {
        base: String,
        alice: String,
        bob_online: String,
        mallory: String,
        unsigned: String,
        tampered: String,
        foreign: String,
        side: String,
        merge: String,
        bot: String,
    }

    pub(crate) fn policy_text(issuer: &str) -> String {
        format!(
            r#"# A team of people, and a release bot limited to main.
unsigned = "reject"
foreign-format = "reject"

[merges]
unsigned = "allow"

[[allow]]
name = "team"
identity = ["{ALICE}", "{BOB}"]
issuer = "{issuer}"

[[allow]]
name = "release bot"
identity-regexp = '^https://github\.com/acme/app/\.github/workflows/release\.yml@'
issuer = "{issuer}"
github = {{ repository = "acme/app", workflow = "release", trigger = "push" }}
refs = ["refs/heads/main"]
"#
        )
    }

    fn mixed(w: &World) -> Mixed {
        let alice = TokenRequest::email(ALICE);
        let bob = TokenRequest::email(BOB);
        let mallory = TokenRequest::email(MALLORY);
        let bot = TokenRequest::github_workflow(
            "acme/app",
            "release.yml",
            "refs/heads/main",
            "0123456789abcdef0123456789abcdef01234567",
        );
        let base = w.commit(spec(&[], "base", 1));
        let c1 = w.commit(CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            ..spec(&[&base], "alice", 2)
        });
        let c2 = w.commit(CommitSpec {
            committer: BOB,
            signer: Some((&bob, RekorMode::Online, Log::Real)),
            ..spec(&[&c1], "bob, online mode", 3)
        });
        let c3 = w.commit(CommitSpec {
            committer: MALLORY,
            signer: Some((&mallory, RekorMode::Offline, Log::Real)),
            ..spec(&[&c2], "mallory", 4)
        });
        let c4 = w.commit(spec(&[&c3], "unsigned", 5));
        let c5 = w.commit(CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            tamper: Some(("\n\ntampered\n", "\n\nTAMPERED\n")),
            ..spec(&[&c4], "tampered", 6)
        });
        let c6 = w.foreign_commit(&c5, 7);
        let side = w.commit(CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            ..spec(&[&c1], "side", 8)
        });
        let merge = w.commit(spec(&[&c6, &side], "merge", 9));
        let bot_commit = w.commit(CommitSpec {
            committer: "bot@example.com",
            signer: Some((&bot, RekorMode::Offline, Log::Real)),
            ..spec(&[&merge], "release", 10)
        });
        Mixed {
            base,
            alice: c1,
            bob_online: c2,
            mallory: c3,
            unsigned: c4,
            tampered: c5,
            foreign: c6,
            side,
            merge,
            bot: bot_commit,
        }
    }

    #[test]
    fn range_with_a_policy_file_gives_one_outcome_per_commit() {
        let w = World::new();
        let m = mixed(&w);
        let policy = w.repo.path().join("policy.toml");
        std::fs::write(&policy, policy_text(&w.issuer)).unwrap();
        let policy = policy.to_str().unwrap();
        let range = format!("{}..{}", m.base, m.bot);
        let out = w.gitseal(&[
            "verify",
            "--policy",
            policy,
            &range,
            "--format",
            "json",
            "--ref",
            "refs/heads/main",
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let (lines, summary) = json_lines(&out);
        let got = by_id(&lines);
        assert_eq!(lines.len(), 9, "{lines:?}");
        assert!(!got.contains_key(&m.base));
        let check = |id: &str, outcome: &str, reason: Option<&str>, pass: bool| {
            let l = &got[id];
            assert_eq!(l["outcome"], outcome, "{l}");
            assert_eq!(l["reason"].as_str(), reason, "{l}");
            assert_eq!(l["pass"], pass, "{l}");
            assert_eq!(l["type"], "commit");
            assert_eq!(l["ref"], "refs/heads/main");
            for key in ["identity", "issuer", "log_index", "integrated_time"] {
                assert!(l.get(key).is_some(), "{key} missing: {l}");
            }
        };
        check(&m.alice, "good", None, true);
        assert_eq!(got[&m.alice]["identity"], ALICE);
        check(&m.bob_online, "good", None, true);
        assert_eq!(got[&m.bob_online]["identity"], BOB);
        check(
            &m.mallory,
            "untrusted-signer",
            Some("identity-mismatch"),
            false,
        );
        assert_eq!(got[&m.mallory]["identity"], MALLORY);
        check(&m.unsigned, "unsigned", None, false);
        check(&m.tampered, "bad", Some("message-digest-mismatch"), false);
        check(
            &m.foreign,
            "foreign-format",
            Some("unsupported-signature-format"),
            false,
        );
        check(&m.side, "good", None, true);
        check(&m.merge, "unsigned", None, true);
        assert_eq!(got[&m.merge]["merge"], true);
        check(&m.bot, "good", None, true);
        assert!(
            got[&m.bot]["identity"]
                .as_str()
                .unwrap()
                .starts_with("https://github.com/acme/app/.github/workflows/release.yml@")
        );
        let want_summary = serde_json::json!({
            "objects": 9, "passed": 5, "failed": 4, "good": 4, "bad": 1,
            "untrusted-signer": 1, "unverifiable-offline": 0, "unsigned": 2,
            "foreign-format": 1, "error": 0,
        });
        assert_eq!(summary, want_summary);

        // The bot's rule is limited to main: for another ref (or none) it does not apply.
        for extra in [&["--ref", "refs/heads/dev"][..], &[][..]] {
            let mut args = vec!["verify", "--policy", policy, "--format", "json", &m.bot];
            args.extend(extra);
            let l = one(&w, &args);
            assert_eq!(l["outcome"], "untrusted-signer", "{extra:?}: {l}");
        }

        // The same policy through git config drives git's own verification.
        w.repo.git_ok(&["config", "gitseal.policy", policy]);
        let git = |id: &str| {
            w.repo
                .cmd("git")
                .args(["verify-commit", "--raw", id])
                .envs(w.env())
                .output()
                .unwrap()
        };
        let out = git(&m.alice);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("TRUST_FULLY"));
        let out = git(&m.mallory);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("TRUST_NEVER"), "{}", stderr(&out));
        let out = git(&m.bob_online);
        assert!(out.status.success(), "{}", stderr(&out));

        // Human output: one line per object, explanations for failures, a summary.
        let out = w.gitseal(&["verify", &range]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!(
                "commit {} bad [message-digest-mismatch]",
                m.tampered
            )),
            "{text}"
        );
        assert!(text.contains("hint:"), "{text}");
        assert!(text.trim_end().ends_with("4 passed, 5 failed"), "{text}");

        // An invalid policy file is a usage error, never a pass.
        std::fs::write(
            w.repo.path().join("bad.toml"),
            "[[allow]]\nissuer = \"x\"\n",
        )
        .unwrap();
        let out = w.gitseal(&["verify", "--policy", "bad.toml", &m.alice]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("identity"), "{}", stderr(&out));
    }

    #[test]
    fn pre_receive_hook_accepts_good_pushes_and_rejects_bad_ones() {
        let mut w = World::new();
        let m = mixed(&w);
        let alice = TokenRequest::email(ALICE);
        let good_tip = w.commit(CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            ..spec(&[&m.side], "good on side", 11)
        });
        // Signed now: the testbed stops before the pushes.
        w.tag(&good_tip, "v1", (ALICE, &alice), RekorMode::Offline);
        let server = tempfile::tempdir().unwrap();
        let server_git = server.path().join("server.git");
        let init = w
            .repo
            .cmd("git")
            .args(["init", "-q", "--bare"])
            .arg(&server_git)
            .output()
            .unwrap();
        assert!(init.status.success());
        let hook = server_git.join("hooks/pre-receive");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pre-receive"),
            &hook,
        )
        .unwrap();
        let policy = server.path().join("policy.toml");
        std::fs::write(&policy, policy_text(&w.issuer)).unwrap();
        let config = |k: &str, v: &str| {
            let o = w
                .repo
                .cmd("git")
                .arg("--git-dir")
                .arg(&server_git)
                .args(["config", k, v])
                .output()
                .unwrap();
            assert!(o.status.success());
        };
        config("gitseal.policy", policy.to_str().unwrap());
        // The server has no network: offline-mode signatures must be enough.
        config("gitseal.offline", "true");
        w.stop();

        let push = |refspec: &str| {
            w.repo
                .cmd("git")
                .arg("push")
                .arg(&server_git)
                .arg(refspec)
                .envs(w.env())
                .env("GITSEAL", env!("CARGO_BIN_EXE_gitseal"))
                .output()
                .unwrap()
        };
        let server_ref = |r: &str| {
            let o = w
                .repo
                .cmd("git")
                .arg("--git-dir")
                .arg(&server_git)
                .args(["rev-parse", "-q", "--verify", r])
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        };

        // base is unsigned, so pushing the whole of `side` is refused...
        let out = push(&format!("{}:refs/heads/main", m.side));
        assert!(!out.status.success());
        let text = stderr(&out);
        assert!(
            text.contains(&format!(
                "remote: gitseal: rejected refs/heads/main: commit {}: unsigned",
                m.base
            )),
            "{text}"
        );
        assert!(text.contains("pre-receive hook declined"), "{text}");
        assert_eq!(server_ref("refs/heads/main"), "");

        // ...until the base is there (fetched by an admin: fetching runs no hook).
        w.repo.git_ok(&["update-ref", "refs/heads/base", &m.base]);
        let o = w
            .repo
            .cmd("git")
            .arg("--git-dir")
            .arg(&server_git)
            .args(["fetch", "-q"])
            .arg(w.repo.path())
            .arg("refs/heads/base:refs/heads/main")
            // The accepted baseline, on a ref no ref-limited rule names: its rules are a
            // subset of every ref's, so no ref has to re-verify it (README "Pre-receive").
            .arg("refs/heads/base:refs/heads/base")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(server_ref("refs/heads/main"), m.base);

        // A good push: only the new commits are verified, offline, and all pass.
        let out = push(&format!("{good_tip}:refs/heads/main"));
        let text = stderr(&out);
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("remote: gitseal: 3 new object(s) verified"),
            "{text}"
        );
        assert_eq!(server_ref("refs/heads/main"), good_tip);

        // A bad (forced) push: one clear line per rejected commit; the ref does not move.
        let out = push(&format!("+{}:refs/heads/main", m.bot));
        let text = stderr(&out);
        assert!(!out.status.success(), "{text}");
        for (id, what) in [
            (&m.mallory, "untrusted-signer [identity-mismatch]"),
            (&m.unsigned, "unsigned"),
            (&m.tampered, "bad [message-digest-mismatch]"),
            (&m.foreign, "foreign-format [unsupported-signature-format]"),
            // Online mode on a server without network.
            (&m.bob_online, "unverifiable-offline [tlog-lookup-required]"),
        ] {
            let line = format!("remote: gitseal: rejected refs/heads/main: commit {id}: {what}");
            assert!(text.contains(&line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains(&format!("commit {}:", m.alice)), "{text}");
        assert!(
            !text.contains(&format!("commit {} (merge)", m.merge)),
            "{text}"
        );
        assert!(text.contains("push rejected: 5 of"), "{text}");
        assert_eq!(server_ref("refs/heads/main"), good_tip);

        // Tags: a signed release tag is accepted, an unsigned one is not. Rules are per ref:
        // main's history (main allows the release bot, tags do not) is judged again under
        // the tags' rules, except the baseline: the three commits since base, and the tag.
        let out = push("refs/tags/v1:refs/tags/v1");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("gitseal: 4 new object(s) verified"),
            "{}",
            stderr(&out)
        );
        let unsigned_tag = w.repo.write_object(
            "tag",
            format!(
                "object {good_tip}\ntype commit\ntag v2\ntagger M <m@x> 1700000200 +0000\n\nunsigned\n"
            )
            .as_bytes(),
        );
        w.repo
            .git_ok(&["update-ref", "refs/tags/v2", &unsigned_tag]);
        let out = push("refs/tags/v2:refs/tags/v2");
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains(&format!(
                "remote: gitseal: rejected refs/tags/v2: tag {unsigned_tag}: unsigned"
            )),
            "{}",
            stderr(&out)
        );
    }

    /// What a misissuing CA would hand out, from the testbed's Fulcio (`missingSct`: a leaf
    /// from the intermediate, issued now, with no SCT list, so the pre-2022 root-issued
    /// exemption of `verify/mod.rs` cannot apply; `notForCodeSigning`: emailProtection where
    /// codeSigning belongs, with a genuine SCT). Signed through the library without the
    /// signer's certificate check (`World::sign`: `certificate_check: None`), offline mode, so
    /// the entry is genuinely in the log and the certificate is the only defect. git hears
    /// BADSIG with the reason (`%G?` = B, the `[code]` on stderr), and the same payload signed
    /// with the fault off is good (the control). With `GITSEAL_RECORD_TESTBED_VECTORS=1` the
    /// three objects and the testbed's trust root become static vectors (`vectors.rs`).
    #[test]
    fn certificates_a_misissuing_ca_would_make_are_rejected() {
        let w = World::new();
        let alice = TokenRequest::email(ALICE);
        let mut recorded = Vec::new();
        for (fault, status, reason, pretty) in [
            (None, "GOODSIG", None, "G"),
            (Some(Fault::MissingSct), "BADSIG", Some("sct-missing"), "B"),
            (
                Some(Fault::NotForCodeSigning),
                "BADSIG",
                Some("certificate-not-for-code-signing"),
                "B",
            ),
        ] {
            let before = w.tb().faults().hits(Endpoint::FulcioSigningCertV2);
            if let Some(f) = fault {
                w.tb()
                    .faults()
                    .set(Endpoint::FulcioSigningCertV2, f)
                    .unwrap();
            }
            let id = w.commit(CommitSpec {
                signer: Some((&alice, RekorMode::Offline, Log::Real)),
                ..spec(&[], "a certificate from the testbed", 1)
            });
            w.tb().faults().clear_all();
            // The faulty certificate came from where the fault was set.
            assert_eq!(
                w.tb().faults().hits(Endpoint::FulcioSigningCertV2),
                before + 1
            );
            let git = |args: &[&str]| w.repo.cmd("git").args(args).envs(w.env()).output().unwrap();
            let raw = git(&["verify-commit", "--raw", &id]);
            assert!(
                stderr(&raw).contains(&format!("[GNUPG:] {status} ")),
                "{fault:?}: {}",
                stderr(&raw)
            );
            assert_eq!(raw.status.success(), fault.is_none(), "{fault:?}");
            let human = stderr(&git(&["verify-commit", &id]));
            match reason {
                Some(code) => assert!(human.contains(&format!("[{code}]")), "{human}"),
                // The control: no reason code at all.
                None => assert!(
                    !human.contains("[sct-") && !human.contains("[certificate-"),
                    "{human}"
                ),
            }
            let shown = git(&["log", "-1", "--format=%G?", &id]);
            assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), pretty);
            recorded.push(w.repo.git(&["cat-file", "commit", &id]).stdout);
        }
        if std::env::var_os("GITSEAL_RECORD_TESTBED_VECTORS").is_some() {
            super::super::vectors::record_testbed(
                &recorded,
                &std::fs::read(&w.trusted_root).unwrap(),
            );
        }
    }
}

#[test]
fn readme_policy_examples_are_valid() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 2);
    for b in blocks {
        let p = gitseal::policy::file::PolicyFile::parse(b, "README.md")
            .unwrap_or_else(|e| panic!("{e}\n{b}"));
        assert!(!p.rules.is_empty());
    }
}
