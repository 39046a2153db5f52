//! A newcomer's first hour (issue 17): `gitseal config` shows every setting with where it came
//! from and checks the policy file; a broken policy file is explained where git shows
//! gitseal's messages; shell completions; `gitseal setup`.

use super::common::{TestRepo, shared_dir};
use std::process::Output;

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The line `gitseal config` prints for `name`.
fn config_line(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} line in:\n{stdout}"))
        .to_string()
}

#[test]
fn config_shows_each_setting_its_source_and_scope() {
    let repo = TestRepo::new();
    let global = repo.path().join("global.gitconfig");
    std::fs::write(&global, "[gitseal]\n\tidentity = g@example.com\n").unwrap();
    repo.git_ok(&["config", "gitseal.issuer", "https://issuer.example"]);
    repo.git_ok(&["config", "gitseal.offline", "true"]);
    let run = |extra: &[(&str, &str)]| {
        let mut c = repo.cmd(env!("CARGO_BIN_EXE_gitseal"));
        c.arg("config").env("GIT_CONFIG_GLOBAL", &global);
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = run(&[("GITSEAL_FULCIO_URL", "http://127.0.0.1:9")]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    for (name, want) in [
        (
            "identity",
            "= g@example.com  [git config gitseal.identity (global); verify]",
        ),
        (
            "verifyIssuer",
            "= https://issuer.example  [git config gitseal.issuer (local); verify]",
        ),
        (
            "offline",
            "= true  [git config gitseal.offline (local); verify]",
        ),
        (
            "fulcio",
            "= http://127.0.0.1:9  [environment GITSEAL_FULCIO_URL; sign]",
        ),
        ("policy", "[default; verify]"),
        ("trustedRoot", "[default; sign+verify]"),
    ] {
        let line = config_line(&out, name);
        assert!(line.contains(want), "{name}: {line}");
    }
    assert!(
        out.contains("verification rules: the gitseal.identity* / gitseal.issuer* keys (valid)"),
        "{out}"
    );
    // Without the identity keys the same command says so: the output follows the settings.
    let bare = TestRepo::new();
    let (plain, _) = text(&bare.gitseal(&["config"]));
    assert!(config_line(&plain, "identity").contains("[default; verify]"));
    assert!(plain.contains("verification rules: no policy"), "{plain}");
}

#[test]
fn config_checks_the_policy_file_it_names() {
    let repo = TestRepo::new();
    std::fs::write(
        repo.path().join("policy.toml"),
        "[[allow]]\nidentity = \"a@example.com\"\nissuer = \"https://i.example\"\n",
    )
    .unwrap();
    repo.git_ok(&["config", "gitseal.policy", "policy.toml"]);
    let o = repo.gitseal(&["config"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        config_line(&out, "policy")
            .contains("= policy.toml  [git config gitseal.policy (local); verify]")
    );
    assert!(
        out.contains("verification rules: the policy file (valid"),
        "{out}"
    );
    // Broken: exit 2, and the parser's reason.
    std::fs::write(repo.path().join("policy.toml"), "[[allow]]\nidentity = [\n").unwrap();
    let o = repo.gitseal(&["config"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        err.contains("policy file") && err.contains("policy.toml"),
        "{err}"
    );
    // A key the format does not have is refused too.
    std::fs::write(repo.path().join("policy.toml"), "unsgined = \"allow\"\n").unwrap();
    assert_eq!(repo.gitseal(&["config"]).status.code(), Some(2));
    // Missing file.
    repo.git_ok(&["config", "gitseal.policy", "nope.toml"]);
    let o = repo.gitseal(&["config"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("cannot read policy file"),
        "{:?}",
        text(&o)
    );
}

/// A commit carrying a real gitsign signature (it need not verify: the configuration is read
/// first), with no parent so git can show it on its own.
fn signed_commit(repo: &TestRepo) -> String {
    let raw =
        std::fs::read(shared_dir().join("corpus/dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8.commit"))
            .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let empty_tree = repo.write_object("tree", b"");
    let mut lines: Vec<String> = Vec::new();
    for l in raw.lines() {
        if l.starts_with("parent ") {
            continue;
        }
        if l.starts_with("tree ") {
            lines.push(format!("tree {empty_tree}"));
        } else {
            lines.push(l.to_string());
        }
    }
    repo.write_object("commit", (lines.join("\n") + "\n").as_bytes())
}

#[test]
fn a_broken_policy_file_is_explained_where_git_shows_gitseals_messages() {
    let repo = TestRepo::new();
    let id = signed_commit(&repo);
    std::fs::write(repo.path().join("policy.toml"), "[[allow]\n").unwrap();
    repo.git_ok(&["config", "gitseal.policy", "policy.toml"]);
    let cause = |s: &str| {
        s.contains("policy file")
            && s.contains("policy.toml")
            && s.contains("hint: nothing can be verified until the policy file is fixed")
            && s.contains("gitseal.policy")
    };
    // `%G?` alone is only `E`; `%GG` carries the cause.
    let o = repo.git(&["show", "-s", "--format=%G?%n%GG", &id]);
    let (out, err) = text(&o);
    assert!(out.starts_with("E\n"), "{out}{err}");
    assert!(cause(&out), "%GG: {out}");
    let o = repo.git(&["show", "-s", "--show-signature", &id]);
    let (out, err) = text(&o);
    assert!(cause(&out) || cause(&err), "--show-signature: {out}{err}");
    let o = repo.git(&["verify-commit", &id]);
    assert!(!o.status.success());
    assert!(cause(&text(&o).1), "verify-commit: {:?}", text(&o));
}
