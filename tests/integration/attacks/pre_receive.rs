//! Pushes that bring already-stored objects onto a ref with stricter rules (issue 11, item
//! 3). Rules are per ref, so the pre-receive hook judges, per updated ref, everything that
//! ref newly reaches under that ref's rules — not only objects new to the repository.

#[cfg(feature = "testbed")]
mod with_testbed {
    use crate::integration::scale::with_testbed::{ALICE, EMPTY_TREE, Log, MALLORY, World, spec};
    use gitseal::git::object::{HashKind, Kind, signed_object};
    use gitseal::sign::RekorMode;
    use gitseal::testbed::TokenRequest;
    use std::path::{Path, PathBuf};
    use std::process::Output;

    /// A bare server repository with the hook installed, offline, under a policy where only
    /// Alice may sign for `main` and tags and contributors (Alice, Mallory) for `feature/*`.
    struct Server {
        _dir: tempfile::TempDir,
        git_dir: PathBuf,
    }

    impl Server {
        fn new(w: &World) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let git_dir = dir.path().join("server.git");
            let o = w
                .repo
                .cmd("git")
                .args(["init", "-q", "--bare"])
                .arg(&git_dir)
                .output()
                .unwrap();
            assert!(o.status.success());
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pre-receive"),
                git_dir.join("hooks/pre-receive"),
            )
            .unwrap();
            let policy = dir.path().join("policy.toml");
            std::fs::write(
                &policy,
                format!(
                    r#"unsigned = "reject"

[[allow]]
name = "maintainers"
identity = "{ALICE}"
issuer = "{issuer}"
refs = ["refs/heads/main", "refs/tags/*"]

[[allow]]
name = "contributors"
identity = ["{ALICE}", "{MALLORY}"]
issuer = "{issuer}"
refs = ["refs/heads/feature/*"]
"#,
                    issuer = w.issuer
                ),
            )
            .unwrap();
            let s = Self { _dir: dir, git_dir };
            s.git(w, &["config", "gitseal.policy", policy.to_str().unwrap()]);
            s.git(w, &["config", "gitseal.offline", "true"]);
            s
        }

        fn git(&self, w: &World, args: &[&str]) -> Output {
            let o = w
                .repo
                .cmd("git")
                .arg("--git-dir")
                .arg(&self.git_dir)
                .args(args)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            o
        }

        fn push(&self, w: &World, refspec: &str) -> (bool, String) {
            self.push_many(w, &[refspec])
        }

        fn push_many(&self, w: &World, refspecs: &[&str]) -> (bool, String) {
            let o = w
                .repo
                .cmd("git")
                .arg("push")
                .arg(&self.git_dir)
                .args(refspecs)
                .envs(w.env())
                .env("GITSEAL", env!("CARGO_BIN_EXE_gitseal"))
                .output()
                .unwrap();
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        }

        fn has_ref(&self, w: &World, r: &str) -> bool {
            let o = w
                .repo
                .cmd("git")
                .arg("--git-dir")
                .arg(&self.git_dir)
                .args(["rev-parse", "-q", "--verify", r])
                .output()
                .unwrap();
            o.status.success()
        }
    }

    fn signed(who: &str) -> TokenRequest {
        TokenRequest::email(who)
    }

    /// Mallory may sign on `feature/*`; her commit is accepted there. Fast-forwarding `main`
    /// to it brings no new object into the repository, but a new commit onto `main`, where
    /// only Alice may sign: refused.
    #[test]
    fn commit_accepted_on_a_laxer_ref_is_judged_again_on_main() {
        let mut w = World::new();
        let (alice, mallory) = (signed(ALICE), signed(MALLORY));
        let base = w.commit(crate::integration::scale::with_testbed::CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            ..spec(&[], "base", 1)
        });
        let evil = w.commit(crate::integration::scale::with_testbed::CommitSpec {
            committer: MALLORY,
            signer: Some((&mallory, RekorMode::Offline, Log::Real)),
            ..spec(&[&base], "looks harmless", 2)
        });
        let server = Server::new(&w);
        w.stop();
        let (ok, text) = server.push(&w, &format!("{base}:refs/heads/main"));
        assert!(ok, "{text}");
        let (ok, text) = server.push(&w, &format!("{evil}:refs/heads/feature/x"));
        assert!(ok, "contributors may sign feature branches: {text}");
        let (ok, text) = server.push(&w, &format!("{evil}:refs/heads/main"));
        assert!(!ok, "{text}");
        assert!(
            text.contains(&format!(
                "gitseal: rejected refs/heads/main: commit {evil}: untrusted-signer [identity-mismatch]"
            )),
            "{text}"
        );
        // Creating a new ref under main's rules is judged the same way.
        let (ok, text) = server.push(&w, &format!("{evil}:refs/tags/v1-lightweight"));
        assert!(!ok, "{text}");
        assert!(
            text.contains(&format!("commit {evil}: untrusted-signer")),
            "{text}"
        );
    }

    /// A ref may point at a tree or a blob (through tags or directly): never signed, so with
    /// `unsigned = "reject"` such a push is refused.
    #[test]
    fn ref_to_an_unsigned_tree_or_blob_is_refused() {
        let mut w = World::new();
        let blob = w.repo.write_object("blob", b"payload\n");
        let server = Server::new(&w);
        w.stop();
        for (id, kind) in [(EMPTY_TREE, "tree"), (blob.as_str(), "blob")] {
            let (ok, text) = server.push(&w, &format!("{id}:refs/tags/{kind}"));
            assert!(!ok, "{text}");
            assert!(
                text.contains(&format!(
                    "gitseal: rejected refs/tags/{kind}: {kind} {id}: unsigned"
                )),
                "{text}"
            );
            assert!(!server.has_ref(&w, &format!("refs/tags/{kind}")));
        }
    }

    /// A signed outer tag over a new unsigned inner tag: the outer signature says nothing
    /// about the inner tag's message or tagger, so every tag on the chain is judged.
    #[test]
    fn every_tag_in_a_chain_is_judged() {
        let mut w = World::new();
        let alice = signed(ALICE);
        let base = w.commit(crate::integration::scale::with_testbed::CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            ..spec(&[], "base", 1)
        });
        let inner = w.repo.write_object(
            "tag",
            format!(
                "object {base}\ntype commit\ntag inner\ntagger Mallory <{MALLORY}> 1700000050 +0000\n\nunsigned\n"
            )
            .as_bytes(),
        );
        let payload = format!(
            "object {inner}\ntype tag\ntag outer\ntagger Alice <{ALICE}> 1700000100 +0000\n\nrelease\n"
        );
        let sig = w.sign(&alice, payload.as_bytes(), RekorMode::Offline, Log::Real);
        let outer = w.repo.write_object(
            "tag",
            &signed_object(
                Kind::Tag,
                payload.as_bytes(),
                sig.as_bytes(),
                HashKind::Sha1,
            ),
        );
        let server = Server::new(&w);
        w.stop();
        let (ok, text) = server.push(&w, &format!("{base}:refs/heads/main"));
        assert!(ok, "{text}");
        let (ok, text) = server.push(&w, &format!("{outer}:refs/tags/outer"));
        assert!(!ok, "{text}");
        assert!(
            text.contains(&format!(
                "gitseal: rejected refs/tags/outer: tag {inner}: unsigned"
            )),
            "{text}"
        );
        // The outer tag itself is fine: it is not what was rejected.
        assert!(!text.contains(&format!("tag {outer}:")), "{text}");
    }

    /// A genuine signed tag `v0.9` stored as `refs/tags/v1.0`: `git verify-tag v1.0` would
    /// vouch for a release nobody signed as v1.0. Refused as `tag-name-mismatch`, in the hook
    /// and in `gitseal verify-tag`; under its own name it passes.
    #[test]
    fn signed_tag_reused_under_another_name_is_refused() {
        let mut w = World::new();
        let alice = signed(ALICE);
        let base = w.commit(crate::integration::scale::with_testbed::CommitSpec {
            signer: Some((&alice, RekorMode::Offline, Log::Real)),
            ..spec(&[], "base", 1)
        });
        let old = w.tag(&base, "v0.9", (ALICE, &alice), RekorMode::Offline);
        w.repo.git_ok(&["update-ref", "refs/tags/v1.0", &old]);
        let server = Server::new(&w);
        w.stop();
        let o = w.gitseal(&["verify-tag", "v1.0"]);
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(out.contains("[tag-name-mismatch]"), "{out}");
        let o = w.gitseal(&["verify-tag", "v0.9"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let (ok, text) = server.push(&w, &format!("{base}:refs/heads/main"));
        assert!(ok, "{text}");
        let (ok, text) = server.push(&w, "refs/tags/v1.0:refs/tags/v1.0");
        assert!(!ok, "{text}");
        assert!(
            text.contains(&format!(
                "rejected refs/tags/v1.0: tag {old}: bad [tag-name-mismatch]"
            )),
            "{text}"
        );
        // Both names in one push: the object is judged once per name, not once in all.
        let (ok, text) = server.push_many(
            &w,
            &[
                "refs/tags/v0.9:refs/tags/v0.9",
                "refs/tags/v1.0:refs/tags/v1.0",
            ],
        );
        assert!(!ok, "{text}");
        assert!(text.contains("rejected refs/tags/v1.0:"), "{text}");
        let (ok, text) = server.push(&w, "refs/tags/v0.9:refs/tags/v0.9");
        assert!(ok, "{text}");
    }
}
