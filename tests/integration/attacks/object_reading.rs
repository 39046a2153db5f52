//! Objects git would show differently from what was signed (issue 11, item 2). Each object
//! here carries a genuine signature from a trusted CA over its exact bytes, and `git fsck`
//! accepts it; what differs is what a person is shown. gitseal reads headers as git does
//! (`git::header`) and refuses such objects as `object-malformed` (BADSIG), never G.

#[cfg(feature = "testbed")]
mod with_testbed {
    use crate::integration::scale::with_testbed::{ALICE, EMPTY_TREE, Log, MALLORY, World, spec};
    use gitseal::git::object::{HashKind, Kind, signed_object};
    use gitseal::sign::RekorMode;
    use gitseal::testbed::TokenRequest;
    use std::process::Output;

    fn git(w: &World, args: &[&str]) -> Output {
        w.repo.cmd("git").args(args).envs(w.env()).output().unwrap()
    }

    fn text(o: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    }

    /// Signs `payload` as `who` (offline mode) and stores the signed commit.
    fn signed_commit(w: &World, who: &str, payload: &str) -> String {
        let sig = w.sign(
            &TokenRequest::email(who),
            payload.as_bytes(),
            RekorMode::Offline,
            Log::Real,
        );
        let raw = signed_object(
            Kind::Commit,
            payload.as_bytes(),
            sig.as_bytes(),
            HashKind::Sha1,
        );
        w.repo.write_object("commit", &raw)
    }

    /// `%G?` of a commit as git computes it with gitseal as its x509 program.
    fn g(w: &World, id: &str) -> String {
        let o = git(w, &["log", "-1", "--format=%G?", id]);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    fn assert_refused(w: &World, id: &str, kind: &str) {
        if kind == "commit" {
            assert_eq!(g(w, id), "B", "git must see a bad signature");
        }
        let v = git(w, &[&format!("verify-{kind}"), "--raw", id]);
        assert!(!v.status.success(), "{}", text(&v));
        let raw = text(&v);
        assert!(raw.contains("[GNUPG:] BADSIG"), "{raw}");
        assert!(!raw.contains("GOODSIG") && !raw.contains("TRUST_"), "{raw}");
        // Without --raw, git shows what gitseal said on standard error: the reason.
        let v = git(w, &[&format!("verify-{kind}"), id]);
        assert!(text(&v).contains("[object-malformed]"), "{}", text(&v));
        let sub = if kind == "tag" {
            "verify-tag"
        } else {
            "verify"
        };
        let name = if kind == "tag" { "t" } else { id };
        let o = w.gitseal(&[sub, "--format", "json", name]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("\"reason\":\"object-malformed\""),
            "{}",
            text(&o)
        );
    }

    /// Mallory signs a commit with two `committer` headers: hers first, Alice's last.
    /// `git log` shows Alice as the committer (pretty.c takes the last); a reader that takes
    /// the first matched Mallory's certificate to her own line and reported G.
    #[test]
    fn second_committer_header_does_not_impersonate() {
        let w = World::new();
        let when = 1_700_000_000;
        let payload = format!(
            "tree {EMPTY_TREE}\nauthor Alice <{ALICE}> {when} +0000\n\
             committer Mallory <{MALLORY}> {when} +0000\n\
             committer Alice <{ALICE}> {when} +0000\n\nrelease\n"
        );
        let id = signed_commit(&w, MALLORY, &payload);
        // What a person sees, and that git's own checker has no objection.
        let shown = git(&w, &["log", "-1", "--format=%ce", &id]);
        assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), ALICE);
        let fsck = git(&w, &["fsck", "--strict", "--no-dangling"]);
        assert!(fsck.status.success(), "{}", text(&fsck));
        assert_refused(&w, &id, "commit");
    }

    /// A `parent` line after `committer` is no parent to git (commit.c reads parents only
    /// right after `tree`), so this unsigned commit is not a merge and gets no `[merges]`
    /// exemption.
    #[test]
    fn parent_line_after_committer_is_not_a_merge() {
        let w = World::new();
        let base = w.commit(spec(&[], "base", 1));
        let when = 1_700_000_002;
        let raw = format!(
            "tree {EMPTY_TREE}\nparent {base}\nauthor A <{ALICE}> {when} +0000\n\
             committer A <{ALICE}> {when} +0000\nparent {base}\n\nnot a merge\n"
        );
        let id = w.repo.write_object("commit", raw.as_bytes());
        let parents = git(&w, &["rev-list", "--parents", "-1", &id]);
        assert_eq!(
            String::from_utf8_lossy(&parents.stdout)
                .split_whitespace()
                .count(),
            2,
            "git sees one parent"
        );
        let policy = w.repo.path().join("policy.toml");
        std::fs::write(
            &policy,
            format!(
                "unsigned = \"reject\"\n[merges]\nunsigned = \"allow\"\n\n[[allow]]\nidentity = \"{ALICE}\"\nissuer = \"{}\"\n",
                w.issuer
            ),
        )
        .unwrap();
        let o = w.gitseal(&[
            "verify",
            "--format",
            "json",
            "--policy",
            policy.to_str().unwrap(),
            &id,
        ]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(out.contains("\"merge\":false"), "{out}");
        assert!(out.contains("\"pass\":false"), "{out}");
    }

    /// Text after a tag's signature block: `git show` prints it as part of the tag, the CMS
    /// ignores it.
    #[test]
    fn text_after_tag_signature_is_refused() {
        let w = World::new();
        let target = w.commit(spec(&[], "base", 1));
        let payload = format!(
            "object {target}\ntype commit\ntag t\ntagger Alice <{ALICE}> 1700000100 +0000\n\nrelease\n"
        );
        let sig = w.sign(
            &TokenRequest::email(ALICE),
            payload.as_bytes(),
            RekorMode::Offline,
            Log::Real,
        );
        let good = signed_object(
            Kind::Tag,
            payload.as_bytes(),
            sig.as_bytes(),
            HashKind::Sha1,
        );
        let good_id = w.repo.write_object("tag", &good);
        w.repo.git_ok(&["update-ref", "refs/tags/t", &good_id]);
        // The control: the same tag without the trailer verifies.
        let ok = git(&w, &["verify-tag", "--raw", "t"]);
        assert!(ok.status.success(), "{}", text(&ok));
        let bad = [&good[..], b"Reviewed and approved by the security team.\n"].concat();
        let bad_id = w.repo.write_object("tag", &bad);
        w.repo.git_ok(&["update-ref", "refs/tags/t", &bad_id]);
        let shown = git(&w, &["cat-file", "-p", "t"]);
        assert!(String::from_utf8_lossy(&shown.stdout).contains("approved by the security"));
        assert_refused(&w, &bad_id, "tag");
    }

    /// Two `gpgsig` headers: git hands both blocks over as one signature and shows both.
    #[test]
    fn second_signature_header_is_refused() {
        let w = World::new();
        let when = 1_700_000_000;
        let payload = format!(
            "tree {EMPTY_TREE}\nauthor Alice <{ALICE}> {when} +0000\n\
             committer Alice <{ALICE}> {when} +0000\n\nrelease\n"
        );
        let sig = w.sign(
            &TokenRequest::email(ALICE),
            payload.as_bytes(),
            RekorMode::Offline,
            Log::Real,
        );
        let once = signed_object(
            Kind::Commit,
            payload.as_bytes(),
            sig.as_bytes(),
            HashKind::Sha1,
        );
        let control = w.repo.write_object("commit", &once);
        assert_eq!(g(&w, &control), "G");
        let twice = signed_object(Kind::Commit, &once, sig.as_bytes(), HashKind::Sha1);
        let id = w.repo.write_object("commit", &twice);
        assert_refused(&w, &id, "commit");
    }

    /// A NUL in the message: `git log` shows the message up to it, the signature covers all.
    #[test]
    fn nul_in_a_signed_commit_is_refused() {
        let w = World::new();
        let when = 1_700_000_000;
        let payload = format!(
            "tree {EMPTY_TREE}\nauthor Alice <{ALICE}> {when} +0000\n\
             committer Alice <{ALICE}> {when} +0000\n\nshown\0hidden\n"
        );
        let id = signed_commit(&w, ALICE, &payload);
        assert_refused(&w, &id, "commit");
    }
}
