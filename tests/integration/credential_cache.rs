//! The credential cache (issue 12) end to end: real `git commit -S` / `git rebase -S` with
//! gitseal against the local Sigstore testbed, browser logins through `gitseal-testbed
//! open-url` behind a counting opener script, and the cache in the real kernel keyring
//! (keyutils) or the runtime-directory file. Each test has its own testbed, so its own Fulcio
//! URL and so its own cache key: tests sharing the session keyring never see each other's
//! entries.
#![cfg(feature = "testbed")]

use super::common::TestRepo;
use gitseal::config::Env;
use gitseal::credcache::{self, Backend, CacheKey, Identity, Mode};
use gitseal::testbed::{Testbed, TestbedConfig, TokenRequest};
use gitseal::trust::TrustRoot;
use p256::elliptic_curve::Generate as _;
use p256::pkcs8::EncodePrivateKey as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::rc::Rc;
use std::time::Duration;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

/// A testbed, a repository, a private runtime directory and a URL opener that counts logins.
struct Setup {
    tb: Rc<Testbed>,
    repo: TestRepo,
    /// Holds the opener, its counter and the signing log (outside HOME).
    tools: tempfile::TempDir,
    /// A private `$XDG_RUNTIME_DIR` (0700, outside HOME), when the test wants one.
    runtime: Option<Rc<tempfile::TempDir>>,
    email: String,
}

fn start(config: TestbedConfig) -> Testbed {
    Testbed::start(TestbedConfig {
        identity: ALICE.into(),
        ..config
    })
    .unwrap()
}

impl Setup {
    fn new(tb: Testbed, email: &str, runtime: bool) -> Self {
        let runtime = runtime.then(|| {
            use std::os::unix::fs::PermissionsExt as _;
            let d = tempfile::tempdir().unwrap();
            std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
            Rc::new(d)
        });
        Self::with(Rc::new(tb), email, runtime)
    }

    /// Another repository (user.email `email`) on `tb`, with its own opener and log.
    fn with(tb: Rc<Testbed>, email: &str, runtime: Option<Rc<tempfile::TempDir>>) -> Self {
        let repo = TestRepo::new();
        repo.git_ok(&["config", "user.name", "Someone"]);
        repo.git_ok(&["config", "user.email", email]);
        let tools = tempfile::tempdir().unwrap();
        let opener = tools.path().join("opener.sh");
        std::fs::write(
            &opener,
            format!(
                "#!/bin/sh\necho login >> '{}'\nsleep \"${{OPENER_DELAY:-0}}\"\nexec '{}' open-url \"$1\"\n",
                tools.path().join("logins").display(),
                env!("CARGO_BIN_EXE_gitseal-testbed")
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self {
            tb,
            repo,
            tools,
            runtime,
            email: email.into(),
        }
    }

    fn log(&self) -> PathBuf {
        self.tools.path().join("signing.log")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }

    fn logins(&self) -> usize {
        std::fs::read_to_string(self.tools.path().join("logins"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn env(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("GITSEAL_FULCIO_URL".into(), self.tb.fulcio_url()),
            ("GITSEAL_REKOR_URL".into(), self.tb.rekor_url()),
            ("GITSEAL_OIDC_ISSUER".into(), self.tb.issuer_url()),
            (
                "GITSEAL_TRUSTED_ROOT".into(),
                self.tb.trusted_root_path().display().to_string(),
            ),
            (
                "GITSEAL_URL_OPENER".into(),
                format!(
                    "{} {{{{.URL}}}}",
                    self.tools.path().join("opener.sh").display()
                ),
            ),
            ("GITSEAL_HTTP_RETRIES".into(), "1".into()),
            ("GITSEAL_LOG".into(), self.log().display().to_string()),
        ];
        if let Some(r) = &self.runtime {
            v.push(("XDG_RUNTIME_DIR".into(), r.path().display().to_string()));
        }
        v
    }

    fn cmd_in(&self, dir: &Path, program: &str, extra: &[(&str, &str)]) -> Command {
        let mut c = self.repo.cmd(program);
        c.current_dir(dir).envs(self.env()).stdin(Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    }

    fn run(&self, program: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
        self.cmd_in(self.repo.path(), program, extra)
            .args(args)
            .output()
            .unwrap()
    }

    fn commit(&self, msg: &str, extra: &[(&str, &str)]) -> Output {
        std::fs::write(self.repo.path().join("file"), msg).unwrap();
        self.repo.git_ok(&["add", "file"]);
        self.run("git", &["commit", "-q", "-S", "-m", msg], extra)
    }

    fn commit_ok(&self, msg: &str) {
        let o = self.commit(msg, &[]);
        assert!(
            o.status.success(),
            "commit {msg}: {}\nlog: {}",
            String::from_utf8_lossy(&o.stderr),
            self.log_text()
        );
    }

    fn gitseal(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        self.run(env!("CARGO_BIN_EXE_gitseal"), args, extra)
    }

    fn status(&self) -> String {
        let o = self.gitseal(&["cache", "status"], &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn assert_verified(&self, rev: &str) {
        let v = self.run("git", &["verify-commit", "--raw", rev], &[]);
        let status = String::from_utf8_lossy(&v.stderr);
        assert!(
            v.status.success() && status.contains("TRUST_FULLY"),
            "{rev}: {status}"
        );
    }

    fn id(&self) -> (String, String, String) {
        (
            self.tb.fulcio_url(),
            self.tb.issuer_url(),
            self.email.clone(),
        )
    }

    fn key(&self) -> CacheKey {
        let (f, i, e) = self.id();
        CacheKey::new(&Identity {
            fulcio_url: &f,
            issuer: &i,
            client_id: "sigstore",
            connector_id: "",
            email: &e,
        })
    }

    fn backend(&self, mode: Mode) -> Backend {
        let env = Env::from_pairs(
            self.runtime
                .iter()
                .map(|r| ("XDG_RUNTIME_DIR".into(), r.path().display().to_string())),
        );
        Backend::open(mode, &env).unwrap()
    }

    fn trust(&self) -> TrustRoot {
        TrustRoot::from_file(self.tb.trusted_root_path()).unwrap()
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            files_under(&p, out);
        } else if t.is_file() {
            out.push(p);
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The kernel's view of the entry's key (proc(5) /proc/keys: id, flags, usage, timeout, ...,
/// description), or `None` when it is not there.
fn proc_keys_line(key: &CacheKey) -> Option<String> {
    let desc = format!("keyring:{}@{}", key.hex(), credcache::store::SERVICE);
    std::fs::read_to_string("/proc/keys")
        .ok()?
        .lines()
        .find(|l| l.contains(&desc))
        .map(str::to_string)
}

#[test]
fn keyring_one_login_for_five_commits_and_a_rebase_then_clear() {
    let s = Setup::new(start(TestbedConfig::default()), ALICE, false);
    let before = s.status();
    assert!(
        before.contains("cache: kernel keyring (keyutils)"),
        "{before}"
    );
    assert!(before.contains("entry: none"), "{before}");

    for i in 0..5 {
        s.commit_ok(&format!("commit {i}"));
    }
    assert_eq!(s.logins(), 1, "five commits, one login: {}", s.log_text());
    let log = s.log_text();
    assert_eq!(
        log.matches("using the cached certificate for alice@example.com (valid ")
            .count(),
        4,
        "{log}"
    );
    assert!(log.contains(" min more)"), "{log}");

    // A rebase re-signs four commits: still no login, one Rekor entry per signature.
    // (Another committer date: a rebased commit identical to its original, made in the same
    // second, would get the identical RFC 6979 signature from the cached key, and Rekor would
    // keep one entry for both.)
    let r = s.run(
        "git",
        &["rebase", "-q", "-f", "-S", "HEAD~4"],
        &[("GIT_COMMITTER_DATE", "2030-01-01T00:00:00Z")],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(s.logins(), 1);
    assert_eq!(s.tb.rekor_tree_size(), 9);
    for i in 0..5 {
        s.assert_verified(&format!("HEAD~{i}"));
    }

    // The entry is in the kernel keyring with the certificate's expiry set on the key.
    let line = proc_keys_line(&s.key()).expect("the entry is a kernel key");
    let timeout = line.split_whitespace().nth(3).unwrap();
    assert_ne!(timeout, "perm", "the kernel key must expire: {line}");
    let status = s.status();
    assert!(
        status.contains(&format!(
            "entry: certificate for {ALICE} from {}",
            s.tb.issuer_url()
        )),
        "{status}"
    );
    assert!(status.contains("valid until 20"), "{status}");

    // No private key bytes in any file under HOME (the repository is HOME here).
    let cred =
        credcache::decode(&s.backend(Mode::Keyring).get(&s.key()).unwrap().unwrap()).unwrap();
    let scalar = cred.key.to_bytes().to_vec();
    let pkcs8 = cred.key.to_pkcs8_der().unwrap().as_bytes().to_vec();
    let mut files = Vec::new();
    files_under(s.repo.path(), &mut files);
    assert!(files.len() > 10, "{files:?}");
    for f in files {
        let data = std::fs::read(&f).unwrap();
        for needle in [&scalar, &pkcs8, &hex::encode(&scalar).into_bytes()] {
            assert!(!contains(&data, needle), "key material in {}", f.display());
        }
    }

    // `cache clear` forces a login.
    let c = s.gitseal(&["cache", "clear"], &[]);
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    assert!(
        String::from_utf8_lossy(&c.stdout)
            .contains("cleared the cached certificate for alice@example.com")
    );
    assert!(s.backend(Mode::Keyring).get(&s.key()).unwrap().is_none());
    assert!(s.status().contains("entry: none"));
    s.commit_ok("after clear");
    assert_eq!(s.logins(), 2);
    s.assert_verified("HEAD");
}

#[test]
fn ambient_tokens_are_never_cached_and_the_cache_can_be_turned_off() {
    let s = Setup::new(start(TestbedConfig::default()), ALICE, false);
    let token = s.tb.mint_token(&TokenRequest::email(ALICE)).unwrap();
    let o = s.commit("ci", &[("SIGSTORE_ID_TOKEN", &token)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(s.logins(), 0);
    assert!(s.backend(Mode::Keyring).get(&s.key()).unwrap().is_none());

    // Off: a login per signature, and nothing stored.
    for (k, v) in [
        ("GITSEAL_CREDENTIAL_CACHE", "0"),
        ("GITSEAL_CREDENTIAL_CACHE", "false"),
    ] {
        let o = s.commit(&format!("off {v}"), &[(k, v)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(s.logins(), 2);
    assert!(s.backend(Mode::Keyring).get(&s.key()).unwrap().is_none());
    s.repo
        .git_ok(&["config", "gitseal.credentialCache", "false"]);
    assert!(s.status().contains("cache: off"));
    s.commit_ok("off in git config");
    assert_eq!(s.logins(), 3);
    // gitsign's variable (its daemon's socket path, ignored) means "cache".
    let sock = [("GITSIGN_CREDENTIAL_CACHE", "/nonexistent/cache.sock")];
    for i in 0..2 {
        let o = s.commit(&format!("gitsign var {i}"), &sock);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(s.logins(), 4);
    // A value that is none of the accepted ones is a configuration error (exit 2).
    let o = s.gitseal(
        &["cache", "status"],
        &[("GITSEAL_CREDENTIAL_CACHE", "maybe")],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn file_fallback_and_no_store_at_all() {
    // The file store in a private runtime directory.
    let s = Setup::new(start(TestbedConfig::default()), ALICE, true);
    let file = [("GITSEAL_CREDENTIAL_CACHE", "file")];
    for i in 0..3 {
        let o = s.commit(&format!("file {i}"), &file);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(s.logins(), 1, "{}", s.log_text());
    let runtime = s.runtime.as_ref().unwrap().path();
    let path = runtime
        .join("gitseal")
        .join(format!("cred-{}", s.key().hex()));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(s.backend(Mode::Keyring).get(&s.key()).unwrap().is_none());
    let st = s.gitseal(&["cache", "status"], &file);
    assert!(String::from_utf8_lossy(&st.stdout).contains("cache: file "));
    s.assert_verified("HEAD");

    // A runtime directory others can open is not used: a login per commit, one line why.
    std::fs::set_permissions(runtime, std::fs::Permissions::from_mode(0o755)).unwrap();
    for i in 0..2 {
        let o = s.commit(&format!("open dir {i}"), &file);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(s.logins(), 3);
    assert!(s.log_text().contains(
        "not caching the signing certificate: no private runtime directory for the file cache"
    ));
    assert!(s.log_text().contains("is open to others (mode 755)"));

    // No XDG_RUNTIME_DIR at all.
    let s = Setup::new(start(TestbedConfig::default()), ALICE, false);
    for i in 0..2 {
        let o = s.commit(&format!("none {i}"), &file);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(s.logins(), 2);
    assert_eq!(
        s.log_text()
            .matches("(XDG_RUNTIME_DIR is not set); logging in for each signature")
            .count(),
        2,
        "{}",
        s.log_text()
    );
}

/// Signs once in `s` (file store) and returns the entry bytes it cached.
fn entry_of(s: &Setup) -> Vec<u8> {
    let o = s.commit("seed", &[("GITSEAL_CREDENTIAL_CACHE", "file")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    s.backend(Mode::File)
        .get(&s.key())
        .unwrap()
        .unwrap()
        .to_vec()
}

#[test]
fn tampered_entries_are_refused_and_replaced() {
    let file = [("GITSEAL_CREDENTIAL_CACHE", "file")];
    let s = Setup::new(start(TestbedConfig::default()), ALICE, true);
    let original = entry_of(&s);
    assert_eq!(s.logins(), 1);
    let store = s.backend(Mode::File);
    let trust = s.trust();

    let mut expected_logins = 1;
    let mut refuse = |bytes: &[u8], why: &str| {
        store.put(&s.key(), bytes, 600).unwrap();
        let o = s.commit(why, &file);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        expected_logins += 1;
        assert_eq!(s.logins(), expected_logins, "{why}: {}", s.log_text());
        assert!(s.log_text().contains(why), "{why}: {}", s.log_text());
        s.assert_verified("HEAD");
        // Replaced by a fresh, valid entry.
        let now_bytes = store.get(&s.key()).unwrap().unwrap();
        assert_ne!(now_bytes.as_slice(), bytes);
        let fresh = credcache::decode(&now_bytes).unwrap();
        let now = gitseal::clock::Clock::unix_now(&gitseal::clock::SystemClock);
        credcache::check(fresh, &trust, ALICE, now).unwrap();
    };

    // Wrong key: the right certificate with another private key.
    let c = credcache::decode(&original).unwrap();
    let other = p256::ecdsa::SigningKey::try_generate().unwrap();
    let wrong_key = credcache::encode(&other, &c.leaf_der).unwrap();
    refuse(&wrong_key, "its key does not match its certificate");

    // Another email: Bob's entry from the same Sigstore, put in Alice's slot.
    s.tb.set_identity(BOB);
    let bob = Setup::with(s.tb.clone(), BOB, s.runtime.clone());
    let bobs = entry_of(&bob);
    s.tb.set_identity(ALICE);
    refuse(
        &bobs,
        "the certificate is for bob@example.com, not alice@example.com",
    );

    // A certificate from another CA (another testbed), for Alice and with its own key.
    let other_ca = Setup::new(start(TestbedConfig::default()), ALICE, true);
    let foreign = entry_of(&other_ca);
    refuse(
        &foreign,
        "the certificate does not verify against the trust root",
    );

    // Garbage.
    refuse(b"not an entry at all", "the entry is malformed");
}

#[test]
fn an_expiring_entry_is_refused_and_replaced() {
    // Certificates of 34 s: cached (more than MIN_REMAINING left), refused 5 s later.
    let s = Setup::new(
        start(TestbedConfig {
            cert_lifetime: Duration::from_secs(34),
            ..TestbedConfig::default()
        }),
        ALICE,
        false,
    );
    s.commit_ok("first");
    let first = s
        .backend(Mode::Keyring)
        .get(&s.key())
        .unwrap()
        .expect("cached");
    // The kernel expires the key with the certificate (proc(5): timeout in seconds here).
    let line = proc_keys_line(&s.key()).expect("the entry is a kernel key");
    let timeout = line.split_whitespace().nth(3).unwrap();
    assert!(timeout.ends_with('s'), "{line}");
    std::thread::sleep(Duration::from_secs(5));
    s.commit_ok("second");
    assert_eq!(s.logins(), 2, "{}", s.log_text());
    let second = s
        .backend(Mode::Keyring)
        .get(&s.key())
        .unwrap()
        .expect("replaced");
    assert_ne!(first.as_slice(), second.as_slice());
    assert!(!s.log_text().contains("using the cached certificate"));
    s.assert_verified("HEAD");
    s.assert_verified("HEAD~1");
}

#[test]
fn two_concurrent_commits_log_in_once() {
    let s = Setup::new(start(TestbedConfig::default()), ALICE, false);
    s.repo
        .git_ok(&["commit", "-q", "--allow-empty", "-m", "unsigned base"]);
    let wt = tempfile::tempdir().unwrap();
    let wt2 = wt.path().join("wt2");
    s.repo.git_ok(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        wt2.to_str().unwrap(),
    ]);
    let spawn = |dir: &Path, msg: &str| {
        std::fs::write(dir.join("file"), msg).unwrap();
        let add = s
            .cmd_in(dir, "git", &[])
            .args(["add", "file"])
            .output()
            .unwrap();
        assert!(add.status.success());
        // The opener waits 2 s, so the second signer arrives during the first one's login.
        s.cmd_in(dir, "git", &[("OPENER_DELAY", "2")])
            .args(["commit", "-q", "-S", "-m", msg])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn(s.repo.path(), "from the main worktree");
    let b = spawn(&wt2, "from the second worktree");
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(s.logins(), 1, "{}", s.log_text());
    assert_eq!(
        s.log_text()
            .matches("using the cached certificate for alice@example.com")
            .count(),
        1
    );
    s.assert_verified("HEAD");
    s.assert_verified("other");
    assert!(
        s.status()
            .contains("entry: certificate for alice@example.com")
    );
}
