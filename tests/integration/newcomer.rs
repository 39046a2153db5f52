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
    // `--trusted-root` is checked like the settings.
    let o = repo.gitseal(&["config", "--trusted-root", "/nonexistent/trusted_root.json"]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(
        text(&o).1.contains("/nonexistent/trusted_root.json"),
        "{:?}",
        text(&o)
    );
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

#[test]
fn completions_parse_and_register_in_bash() {
    let repo = TestRepo::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = repo.gitseal(&["completions", shell]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{shell}: {err}");
        assert!(
            out.contains("gitseal") && out.contains("verify-tag"),
            "{shell}"
        );
    }
    let script = repo.path().join("gitseal.bash");
    std::fs::write(&script, repo.gitseal(&["completions", "bash"]).stdout).unwrap();
    let o = repo.cmd("bash").arg("-n").arg(&script).output().unwrap();
    assert!(o.status.success(), "bash -n: {}", text(&o).1);
    let o = repo
        .cmd("bash")
        .arg("-c")
        .arg(format!(". '{}' && complete -p gitseal", script.display()))
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("-F _gitseal gitseal"), "{out}");
    // An unknown shell is a usage error.
    assert_eq!(
        repo.gitseal(&["completions", "tcsh"]).status.code(),
        Some(2)
    );
}

#[test]
fn setup_writes_what_install_asks_for_once() {
    let repo = TestRepo::new();
    repo.git_ok(&["config", "--unset", "gpg.format"]);
    repo.git_ok(&["config", "--unset", "gpg.x509.program"]);
    // PATH without the built binary (whatever the caller's PATH holds).
    let setup = || {
        repo.cmd(env!("CARGO_BIN_EXE_gitseal"))
            .arg("setup")
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap()
    };
    let o = setup();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("gpg.format: (unset) -> x509"), "{out}");
    // PATH does not lead to the built binary here: the absolute path is written.
    let exe = env!("CARGO_BIN_EXE_gitseal");
    assert!(
        out.contains(&format!("gpg.x509.program: (unset) -> {exe}")),
        "{out}"
    );
    assert_eq!(
        repo.git_ok(&["config", "--local", "gpg.format"]).trim(),
        "x509"
    );
    assert_eq!(
        repo.git_ok(&["config", "--local", "gpg.x509.program"])
            .trim(),
        exe
    );
    // Idempotent.
    let (again, _) = text(&setup());
    assert!(again.contains("nothing changed"), "{again}");
    // Only what differs is changed.
    repo.git_ok(&["config", "gpg.format", "openpgp"]);
    let (out, _) = text(&setup());
    assert!(out.contains("gpg.format: openpgp -> x509"), "{out}");
    assert!(!out.contains("gpg.x509.program"), "{out}");
    // With this binary first on PATH, the name alone.
    let bin = std::path::Path::new(exe).parent().unwrap();
    let global = repo.path().join("global.gitconfig");
    let o = repo
        .cmd(exe)
        .args(["setup", "--global"])
        .env("GIT_CONFIG_GLOBAL", &global)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("changed global git config"), "{out}");
    let written = std::fs::read_to_string(&global).unwrap();
    assert!(written.contains("program = gitseal"), "{written}");
    // Outside a repository, without --global: a usage error naming the way out.
    let outside = tempfile::tempdir().unwrap();
    let o = repo
        .cmd(exe)
        .arg("setup")
        .current_dir(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("use --global"), "{:?}", text(&o));
}

#[cfg(feature = "testbed")]
mod doctor {
    use super::*;
    use gitseal::testbed::{Testbed, TestbedConfig};

    struct Env {
        tb: Testbed,
        repo: TestRepo,
    }

    fn setup() -> Env {
        let tb = Testbed::start(TestbedConfig {
            identity: "alice@example.com".into(),
            ..TestbedConfig::default()
        })
        .unwrap();
        let repo = TestRepo::new();
        repo.git_ok(&["config", "user.email", "alice@example.com"]);
        Env { tb, repo }
    }

    impl Env {
        fn doctor(&self, args: &[&str], vars: &[(&str, String)]) -> (Option<i32>, String) {
            let mut c = self.repo.cmd(env!("CARGO_BIN_EXE_gitseal"));
            c.arg("doctor").args(args);
            c.env("GITSEAL_FULCIO_URL", self.tb.fulcio_url())
                .env("GITSEAL_REKOR_URL", self.tb.rekor_url())
                .env("GITSEAL_OIDC_ISSUER", self.tb.issuer_url())
                .env("GITSEAL_TRUSTED_ROOT", self.tb.trusted_root_path());
            for (k, v) in vars {
                c.env(k, v);
            }
            let o = c.output().unwrap();
            let (out, err) = text(&o);
            (o.status.code(), out + &err)
        }
    }

    fn line<'a>(out: &'a str, name: &str) -> &'a str {
        out.lines()
            .find(|l| l[6..].starts_with(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} line:\n{out}"))
    }

    #[test]
    fn all_good_against_the_testbed() {
        let e = setup();
        let (code, out) = e.doctor(&[], &[]);
        assert_eq!(code, Some(0), "{out}");
        for name in [
            "git",
            "gpg.format",
            "gpg.x509.program",
            "user.email",
            "trust root",
            "Fulcio",
            "Fulcio in trust root",
            "Rekor",
            "Rekor in trust root",
            "OIDC issuer",
            "credential cache",
        ] {
            assert!(line(&out, name).starts_with("ok"), "{name}:\n{out}");
        }
        assert!(
            line(&out, "gpg.x509.program").contains("is this gitseal"),
            "{out}"
        );
        assert!(
            line(&out, "gpg.format").contains("local git config"),
            "{out}"
        );
        assert!(out.contains("signing should work"), "{out}");
        assert!(!line(&out, "clock").starts_with("FAIL"), "{out}");
        // --offline contacts nothing.
        let (code, out) = e.doctor(&["--offline"], &[]);
        assert_eq!(code, Some(0), "{out}");
        assert!(!out.lines().any(|l| l[6..].starts_with("Fulcio")), "{out}");
        assert!(line(&out, "network").contains("skipped"), "{out}");
    }

    /// The credential cache line says where a login would be kept, that it is off, or that
    /// its setting is unusable (which fails: signing would refuse it).
    #[test]
    fn doctor_reports_the_credential_cache() {
        let e = setup();
        let (code, out) = e.doctor(
            &["--offline"],
            &[("GITSEAL_CREDENTIAL_CACHE", "0".to_string())],
        );
        assert_eq!(code, Some(0), "{out}");
        assert!(
            line(&out, "credential cache").contains("off: every signature logs in"),
            "{out}"
        );
        let (code, out) = e.doctor(
            &["--offline"],
            &[("GITSEAL_CREDENTIAL_CACHE", "sometimes".to_string())],
        );
        assert_eq!(code, Some(1), "{out}");
        let l = line(&out, "credential cache");
        assert!(
            l.starts_with("FAIL") && l.contains("GITSEAL_CREDENTIAL_CACHE"),
            "{out}"
        );
        // The file store alone, without a private runtime directory: signing still works.
        let (code, out) = e.doctor(
            &["--offline"],
            &[
                ("GITSEAL_CREDENTIAL_CACHE", "file".to_string()),
                ("XDG_RUNTIME_DIR", "relative/dir".to_string()),
            ],
        );
        assert_eq!(code, Some(0), "{out}");
        let l = line(&out, "credential cache");
        assert!(
            l.starts_with("warn") && l.contains("every signature logs in"),
            "{out}"
        );
    }

    #[test]
    fn the_last_signature_is_compared_with_user_email() {
        let e = setup();
        e.repo.git_ok(&["config", "user.name", "Alice"]);
        let (_, out) = e.doctor(&["--offline"], &[]);
        // No commit yet: nothing to compare, and no line.
        assert!(!out.contains("last signature"), "{out}");
        e.repo
            .git_ok(&["commit", "-q", "--allow-empty", "-m", "unsigned"]);
        let (_, out) = e.doctor(&["--offline"], &[]);
        assert!(
            line(&out, "last signature").contains("no signed commit"),
            "{out}"
        );
        let o = e
            .repo
            .cmd("setsid")
            .args([
                "-w",
                "git",
                "commit",
                "-q",
                "-S",
                "--allow-empty",
                "-m",
                "signed",
            ])
            .env("GITSEAL_FULCIO_URL", e.tb.fulcio_url())
            .env("GITSEAL_REKOR_URL", e.tb.rekor_url())
            .env("GITSEAL_OIDC_ISSUER", e.tb.issuer_url())
            .env("GITSEAL_TRUSTED_ROOT", e.tb.trusted_root_path())
            .env(
                "GITSEAL_URL_OPENER",
                format!(
                    "{} open-url {{{{.URL}}}}",
                    env!("CARGO_BIN_EXE_gitseal-testbed")
                ),
            )
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{:?}", text(&o));
        e.repo
            .git_ok(&["commit", "-q", "--allow-empty", "-m", "unsigned again"]);
        let (code, out) = e.doctor(&["--offline"], &[]);
        assert_eq!(code, Some(0), "{out}");
        let l = line(&out, "last signature");
        assert!(
            l.starts_with("ok") && l.contains("signed as alice@example.com"),
            "{l}"
        );
        e.repo.git_ok(&["config", "user.email", "bob@example.com"]);
        let (code, out) = e.doctor(&["--offline"], &[]);
        assert_eq!(code, Some(0), "a warning is not a failure: {out}");
        let l = line(&out, "last signature");
        assert!(
            l.starts_with("warn") && l.contains("not user.email (bob@example.com)"),
            "{l}"
        );
    }

    #[test]
    fn program_not_on_path() {
        let e = setup();
        e.repo.git_ok(&["config", "gpg.x509.program", "gitseal"]);
        let (code, out) = e.doctor(&["--offline"], &[("PATH", "/usr/bin:/bin".into())]);
        assert_eq!(code, Some(1), "{out}");
        let l = line(&out, "gpg.x509.program");
        assert!(l.starts_with("FAIL") && l.contains("not on PATH"), "{l}");
        assert!(l.contains("fix: gitseal setup"), "{l}");
        // And without gpg.format, git would not run gitseal at all.
        e.repo.git_ok(&["config", "--unset", "gpg.format"]);
        let (_, out) = e.doctor(&["--offline"], &[]);
        assert!(line(&out, "gpg.format").starts_with("FAIL"), "{out}");
    }

    #[test]
    fn fulcio_down() {
        let e = setup();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let (code, out) = e.doctor(&[], &[("GITSEAL_FULCIO_URL", url.clone())]);
        assert_eq!(code, Some(1), "{out}");
        let l = line(&out, "Fulcio");
        assert!(l.starts_with("FAIL") && l.contains(&url), "{l}");
        assert!(l.contains("GITSEAL_FULCIO_URL"), "{l}");
        assert!(line(&out, "Rekor").starts_with("ok"), "{out}");
    }

    #[test]
    fn wrong_trust_root() {
        let e = setup();
        // The public-good root does not hold the testbed's CA or log key.
        let (_, out) = e.doctor(&[], &[("GITSEAL_TRUSTED_ROOT", String::new())]);
        let vars_without_root = {
            let mut c = e.repo.cmd(env!("CARGO_BIN_EXE_gitseal"));
            c.arg("doctor")
                .env("GITSEAL_FULCIO_URL", e.tb.fulcio_url())
                .env("GITSEAL_REKOR_URL", e.tb.rekor_url())
                .env("GITSEAL_OIDC_ISSUER", e.tb.issuer_url());
            let o = c.output().unwrap();
            let (a, b) = text(&o);
            (o.status.code(), a + &b)
        };
        let (code, out2) = vars_without_root;
        assert_eq!(code, Some(1), "{out2}");
        let l = line(&out2, "Fulcio in trust root");
        assert!(
            l.starts_with("FAIL") && l.contains("is in the trust root"),
            "{l}"
        );
        assert!(l.contains("fix: point the trust root"), "{l}");
        assert!(
            line(&out2, "Rekor in trust root").starts_with("FAIL"),
            "{out2}"
        );
        assert!(line(&out2, "trust root").contains("public-good"), "{out2}");
        // Set but empty selects no other root: the same failure.
        assert!(
            line(&out, "Fulcio in trust root").starts_with("FAIL"),
            "{out}"
        );
    }
}

/// `--format json` prints keys in the README's order, and an unsigned commit with no policy
/// says it is unsigned (not "not allowed by the policy": there is none).
#[test]
fn json_keys_in_documented_order_and_unsigned_wording() {
    let repo = TestRepo::new();
    repo.git_ok(&["config", "user.email", "a@example.com"]);
    repo.git_ok(&["config", "user.name", "A"]);
    repo.git_ok(&["commit", "-q", "--allow-empty", "-m", "unsigned"]);
    let o = repo.gitseal(&["verify", "HEAD", "--format", "json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    assert!(first.starts_with(r#"{"object":""#), "{first}");
    let keys: Vec<String> = {
        let re = regex::Regex::new(r#"[{,]"([a-z_]+)":"#).unwrap();
        re.captures_iter(first).map(|c| c[1].to_string()).collect()
    };
    assert_eq!(
        keys,
        [
            "object",
            "type",
            "outcome",
            "reason",
            "identity",
            "issuer",
            "log_index",
            "integrated_time",
            "claims",
            "timestamp",
            "pass",
            "merge",
            "ref",
            "detail"
        ]
    );
    assert!(first.ends_with(r#""detail":"not signed"}"#), "{first}");
    let summary = lines.next().unwrap();
    assert!(
        summary.starts_with(r#"{"summary":{"objects":1,"passed":0,"failed":1,"good":0,"bad":0,"#),
        "{summary}"
    );
}

#[cfg(feature = "testbed")]
#[test]
fn signing_with_no_terminal_logs_to_a_file() {
    use gitseal::testbed::{Testbed, TestbedConfig};
    let tb = Testbed::start(TestbedConfig {
        identity: "alice@example.com".into(),
        ..TestbedConfig::default()
    })
    .unwrap();
    let repo = TestRepo::new();
    repo.git_ok(&["config", "user.email", "alice@example.com"]);
    repo.git_ok(&["config", "user.name", "Alice"]);
    // `setsid`: no controlling terminal, as under an IDE.
    let git = |args: &[&str]| {
        repo.cmd("setsid")
            .args(["-w", "git"])
            .args(args)
            .env("GITSEAL_FULCIO_URL", tb.fulcio_url())
            .env("GITSEAL_REKOR_URL", tb.rekor_url())
            .env("GITSEAL_OIDC_ISSUER", tb.issuer_url())
            .env("GITSEAL_TRUSTED_ROOT", tb.trusted_root_path())
            .env(
                "GITSEAL_URL_OPENER",
                format!(
                    "{} open-url {{{{.URL}}}}",
                    env!("CARGO_BIN_EXE_gitseal-testbed")
                ),
            )
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let o = git(&["commit", "-q", "-S", "--allow-empty", "-m", "m"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    // With no policy, the trust explanation says whose email matched.
    let (_, err) = text(&git(&["verify-commit", "HEAD"]));
    assert!(
        err.contains("the certificate email is the committer's email in the commit"),
        "{err}"
    );
    assert!(git(&["tag", "-s", "v1", "-m", "t"]).status.success());
    let (_, err) = text(&git(&["verify-tag", "v1"]));
    assert!(
        err.contains("the certificate email is the tagger's email in the tag"),
        "{err}"
    );
    let log = repo.path().join(".local/state/gitseal/sign.log");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("tlog entry created with index"),
        "{}: {logged:?}",
        log.display()
    );
    // gitseal config names it.
    let (cfg, _) = text(&repo.gitseal(&["config"]));
    assert!(config_line(&cfg, "logPath").contains("sign.log"), "{cfg}");
}

/// The testbed's URL opener (what `GITSEAL_URL_OPENER` runs while signing) completes a login
/// silently, as a browser does; `--verbose` says how it ended.
#[cfg(feature = "testbed")]
#[test]
fn the_testbed_opener_is_quiet_unless_verbose() {
    use base64::Engine;
    use gitseal::testbed::{Testbed, TestbedConfig};
    use sha2::Digest;
    use std::io::{Read, Write};
    let tb = Testbed::start(TestbedConfig {
        identity: "alice@example.com".into(),
        ..TestbedConfig::default()
    })
    .unwrap();
    let open = |verbose: bool| {
        // The loopback callback a signing gitseal would be listening on.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let redirect = format!("http://{}/auth/callback", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .unwrap();
        });
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            sha2::Sha256::digest(b"a-verifier-of-enough-length-for-pkce-0123456789"),
        );
        let enc = |s: &str| s.replace(':', "%3A").replace('/', "%2F");
        let url = format!(
            "{}/auth?access_type=online&client_id=sigstore&code_challenge={challenge}\
             &code_challenge_method=S256&nonce=n-1&redirect_uri={}&response_type=code\
             &scope=openid%20email&state=s-1",
            tb.issuer_url(),
            enc(&redirect)
        );
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_gitseal-testbed"));
        c.arg("open-url");
        if verbose {
            c.arg("--verbose");
        }
        let o = c.arg(&url).output().unwrap();
        server.join().unwrap();
        o
    };
    let quiet = open(false);
    assert!(quiet.status.success(), "{:?}", text(&quiet));
    assert_eq!(text(&quiet), (String::new(), String::new()));
    let loud = open(true);
    assert!(loud.status.success(), "{:?}", text(&loud));
    assert!(
        text(&loud)
            .1
            .contains("login completed (callback answered 200)"),
        "{:?}",
        text(&loud)
    );
}
