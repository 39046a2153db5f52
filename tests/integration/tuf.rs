//! The TUF client against python-tuf (issue 14): repositories built and attacked with
//! python-tuf's Metadata API (`tests/tuf/repo.py`, the independent implementation), served
//! over HTTP on 127.0.0.1, refreshed through the real binary (`gitseal trust init`, `gitseal
//! trust update`). Every attack the TUF specification names is refused with exit 1 and one
//! line naming why, and the last good `trusted_root.json` stays as it was.
//!
//! python-tuf comes from the peers venv (`scripts/install-peers`). Without it the tests skip
//! with a message, except under CI (`CI` set), where a missing venv fails them.

use super::common::{TestRepo, shared_dir};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The venv's python, or `None` (skip) when it is absent outside CI.
fn python() -> Option<PathBuf> {
    let peers = std::env::var_os("GITSEAL_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/gitseal-peers")
        });
    let py = peers.join("venv/bin/python");
    if py.exists() {
        return Some(py);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "python-tuf is missing at {}: run scripts/install-peers first",
        py.display()
    );
    eprintln!(
        "SKIPPED: python-tuf is missing at {} (run scripts/install-peers)",
        py.display()
    );
    None
}

/// Serves the files under `root` on 127.0.0.1 (GET only; 404 for anything absent), one
/// connection at a time, for the life of the test process.
fn serve(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let file = root.join(path.trim_start_matches('/'));
            let body = (!path.contains(".."))
                .then(|| std::fs::read(&file).ok())
                .flatten();
            let (status, body) = match body {
                Some(b) => ("200 OK", b),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// One python-tuf repository, its server, and a gitseal with an isolated HOME.
struct Fixture {
    py: PathBuf,
    dir: tempfile::TempDir,
    home: TestRepo,
    url: String,
}

impl Fixture {
    /// A repository with the public-good trusted root and a signing config, and gitseal
    /// initialised against it.
    fn new() -> Option<Self> {
        let py = python()?;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo")).unwrap();
        let url = serve(dir.path().join("repo"));
        let f = Self {
            py,
            dir,
            home: TestRepo::new(),
            url,
        };
        let trust = shared_dir().join("trust");
        f.op(&[
            "init",
            trust.join("prod-trusted_root.json").to_str().unwrap(),
            trust.join("staging-trusted_root.json").to_str().unwrap(),
        ]);
        let root = f.dir.path().join("root.json");
        let out = f.gitseal(&[
            "trust",
            "init",
            "--mirror",
            &f.url,
            "--root",
            root.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "init: {}", stderr(&out));
        assert_eq!(
            f.cached_root(),
            std::fs::read(trust.join("prod-trusted_root.json")).unwrap()
        );
        assert!(
            f.python_tuf_accepts(),
            "python-tuf refuses the fresh repository"
        );
        Some(f)
    }

    /// Runs a repo.py op.
    fn op(&self, args: &[&str]) {
        let out = self.repo_py(args);
        assert!(out.status.success(), "repo.py {args:?}: {}", stderr(&out));
    }

    fn repo_py(&self, args: &[&str]) -> Output {
        std::process::Command::new(&self.py)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tuf/repo.py"))
            .arg(self.dir.path())
            .args(args)
            .output()
            .unwrap()
    }

    /// python-tuf's own client on the same repository, with its own last good state: the
    /// independent verdict `gitseal trust update` must agree with.
    fn python_tuf_accepts(&self) -> bool {
        let out = self.repo_py(&["client", &self.url]);
        let err = stderr(&out);
        assert!(
            out.status.success() || err.contains("python-tuf refused"),
            "{err}"
        );
        out.status.success()
    }

    fn gitseal(&self, args: &[&str]) -> Output {
        self.home.gitseal(args)
    }

    fn state_dir(&self) -> PathBuf {
        let name: String = self
            .url
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        self.home.path().join(".cache/gitseal/tuf").join(name)
    }

    fn cached_root(&self) -> Vec<u8> {
        let record: serde_json::Value = serde_json::from_slice(&self.record()).unwrap();
        let sha = record["targets"]["trusted_root.json"].as_str().unwrap();
        std::fs::read(
            self.state_dir()
                .join(format!("targets/{sha}.trusted_root.json")),
        )
        .unwrap()
    }

    fn record(&self) -> Vec<u8> {
        std::fs::read(self.state_dir().join("refreshed.json")).unwrap()
    }

    fn update_ok(&self) {
        let out = self.gitseal(&["trust", "update"]);
        assert!(out.status.success(), "update: {}", stderr(&out));
        assert!(
            self.python_tuf_accepts(),
            "python-tuf refuses what gitseal accepted"
        );
    }

    /// `gitseal trust update` is refused with one line containing `why`, and the last good
    /// state is untouched.
    fn refused(&self, why: &str) {
        let (root, record) = (self.cached_root(), self.record());
        let out = self.gitseal(&["trust", "update"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with(&format!("gitseal: TUF refresh from {} refused: ", self.url)),
            "{err}"
        );
        assert!(err.contains(why), "expected {why:?} in: {err}");
        assert!(err.contains("keeping the last good trust root"), "{err}");
        assert_eq!(self.cached_root(), root, "trusted_root.json changed");
        assert_eq!(self.record(), record, "refreshed.json changed");
        assert!(
            !self.python_tuf_accepts(),
            "python-tuf accepts what gitseal refused: {why}"
        );
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn staging_root() -> PathBuf {
    shared_dir().join("trust/staging-trusted_root.json")
}

#[test]
fn good_refresh_new_target_and_show() {
    let Some(f) = Fixture::new() else { return };
    f.op(&[
        "set-target",
        "trusted_root.json",
        staging_root().to_str().unwrap(),
    ]);
    f.update_ok();
    assert_eq!(f.cached_root(), std::fs::read(staging_root()).unwrap());
    let out = f.gitseal(&["trust", "show"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains(&format!("repository: {}", f.url)), "{text}");
    assert!(text.contains("(root v1, timestamp v2"), "{text}");
    assert!(
        text.contains("signing config: from the repository"),
        "{text}"
    );
    assert!(
        text.contains("trust root in use: trusted_root.json from the TUF repository"),
        "{text}"
    );
    // The staging root has four Rekor logs and four CT logs.
    assert!(text.contains("transparency logs: 4"), "{text}");
    // An explicit file wins over the cache.
    let prod = shared_dir().join("trust/prod-trusted_root.json");
    let out = f.gitseal(&["--trusted-root", prod.to_str().unwrap(), "trust", "show"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("trust root in use: {}", prod.display())),
        "{text}"
    );
    let out = f.gitseal(&["trust", "show", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["root_version"], 1);
    assert_eq!(j["ctlogs"].as_array().unwrap().len(), 4);
    // Nothing new: a second update succeeds without fetching the target again.
    let out = f.gitseal(&["trust", "update"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("targets: unchanged"));
    // SIGSTORE_NO_CACHE: nothing cached is read (the refresh starts from TUF_ROOT_JSON), the
    // refresh succeeds, and nothing is stored.
    let record = f.record();
    let out = f
        .home
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .args(["trust", "update"])
        .env("SIGSTORE_NO_CACHE", "1")
        .env("TUF_MIRROR", &f.url)
        .env("TUF_ROOT_JSON", f.dir.path().join("root.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not stored"));
    assert_eq!(f.record(), record);
    // A mirror of its own with neither a cached root nor TUF_ROOT_JSON: a configuration error.
    let out = f
        .home
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .args(["trust", "update"])
        .env("TUF_MIRROR", "https://tuf.invalid")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("gitseal trust init --mirror https://tuf.invalid"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn expired_roles_are_refused() {
    for (role, why) in [
        ("timestamp", "timestamp v2 expired at"),
        ("snapshot", "snapshot v2 expired at"),
        ("targets", "targets v2 expired at"),
        ("root", "root v2 expired at"),
    ] {
        let Some(f) = Fixture::new() else { return };
        f.op(&["expire", role]);
        f.refused(why);
    }
}

#[test]
fn rollbacks_are_refused() {
    for (role, why) in [
        (
            "timestamp",
            "timestamp version 1 is older than the trusted version 2 (rollback attack)",
        ),
        (
            "snapshot",
            "the snapshot version in timestamp version 1 is older than the trusted version 2",
        ),
        (
            "targets",
            "targets.json (in snapshot) version 1 is older than the trusted version 2",
        ),
    ] {
        let Some(f) = Fixture::new() else { return };
        f.op(&["bump"]);
        f.update_ok();
        f.op(&["rollback", role]);
        f.refused(why);
    }
    let Some(f) = Fixture::new() else { return };
    f.op(&["rollback", "root"]);
    f.refused("2.root.json has version 1, expected 2");
}

#[test]
fn target_hash_and_length_must_match() {
    let Some(f) = Fixture::new() else { return };
    f.op(&["bad-target-hash", staging_root().to_str().unwrap()]);
    f.refused("trusted_root.json does not match its metadata: its sha256 hash differs");
    let Some(f) = Fixture::new() else { return };
    f.op(&["bad-target-length", staging_root().to_str().unwrap()]);
    f.refused("trusted_root.json does not match its metadata: its length is 8248 bytes, the metadata says 8249");
    // Longer than the metadata says: cut at the length (endless data), never read whole.
    f.op(&["bad-target-longer", staging_root().to_str().unwrap()]);
    f.refused("sent more than 8249 bytes");
}

#[test]
fn root_rotation_needs_old_and_new_thresholds() {
    let Some(f) = Fixture::new() else { return };
    f.op(&["rotate-root"]);
    f.update_ok();
    let out = f.gitseal(&["trust", "show", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["root_version"], 2);
    // The rotated root is trusted from now on: its keys sign the next root.
    f.op(&["expire", "root"]);
    f.refused("root v3 expired at");

    let Some(f) = Fixture::new() else { return };
    f.op(&["rotate-root-old-only"]);
    f.refused(
        "root metadata has 0 valid signature(s) from the root (root v2) role's keys, 2 required",
    );
}

#[test]
fn mix_and_match_is_refused() {
    let Some(f) = Fixture::new() else { return };
    f.op(&["mix-and-match"]);
    f.refused("targets has version 1, but snapshot says 2 (mix-and-match attack?)");
}

#[test]
fn endless_data_is_refused() {
    let Some(f) = Fixture::new() else { return };
    f.op(&["endless", "timestamp"]);
    f.refused("sent more than 16384 bytes");
    let Some(f) = Fixture::new() else { return };
    f.op(&["endless", "root"]);
    f.refused("sent more than 512000 bytes");
}

/// A repository that stops updating: its last timestamp runs out, and the refresh that
/// follows is refused rather than trusting stale metadata for ever.
#[test]
fn freeze_attack_is_refused() {
    let Some(f) = Fixture::new() else { return };
    f.op(&["bump", "4"]);
    f.update_ok();
    std::thread::sleep(std::time::Duration::from_secs(5));
    f.refused("timestamp v2 expired at");
}

#[test]
fn init_refuses_a_root_url_and_a_bad_root() {
    let Some(f) = Fixture::new() else { return };
    let out = f.gitseal(&[
        "trust",
        "init",
        "--mirror",
        &f.url,
        "--root",
        &format!("{}/1.root.json", f.url),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--root must be a file"),
        "{}",
        stderr(&out)
    );
    let bad = f.dir.path().join("bad-root.json");
    let mut root: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.dir.path().join("root.json")).unwrap()).unwrap();
    root["signed"]["version"] = 7.into();
    std::fs::write(&bad, serde_json::to_vec(&root).unwrap()).unwrap();
    let out = f.gitseal(&[
        "trust",
        "init",
        "--mirror",
        &f.url,
        "--root",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a usable TUF root"),
        "{}",
        stderr(&out)
    );
    let out = f.gitseal(&[
        "trust",
        "init",
        "--mirror",
        "http://tuf.example",
        "--root",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = f.gitseal(&["trust", "init", "--mirror", &f.url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--root FILE is required"),
        "{}",
        stderr(&out)
    );
}

/// Signing's refresh (`gitseal::tuf::refresh_if_stale`): nothing while the last refresh is
/// less than a day old, a refresh once it is older, and on a refusal one line and the last
/// good root kept.
#[test]
fn signing_refreshes_a_stale_root_and_falls_back() {
    use gitseal::config::{Env, GitConfig};
    let Some(f) = Fixture::new() else { return };
    let env = Env::from_pairs([(
        "HOME".to_string(),
        f.home.path().to_str().unwrap().to_string(),
    )]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let transport = gitseal::transport::TransportConfig {
        use_env_proxy: false,
        ..Default::default()
    };
    let budget = std::time::Duration::from_secs(5);
    let refresh = || {
        gitseal::tuf::refresh_if_stale(&GitConfig::default(), &env, now, transport.clone(), budget)
    };
    let age = |secs: i64| {
        let p = f.state_dir().join("refreshed.json");
        let mut r: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        r["refreshed"] = (now - secs).into();
        std::fs::write(&p, serde_json::to_vec(&r).unwrap()).unwrap();
    };
    // Fresh (an hour old): not even the new timestamp is looked at.
    f.op(&[
        "set-target",
        "trusted_root.json",
        staging_root().to_str().unwrap(),
    ]);
    age(3600);
    assert_eq!(refresh(), None);
    assert_ne!(f.cached_root(), std::fs::read(staging_root()).unwrap());
    // Two days old: refreshed.
    age(2 * 86400);
    assert_eq!(refresh(), None);
    assert_eq!(f.cached_root(), std::fs::read(staging_root()).unwrap());
    // Stale again and the repository frozen: one line, the last good root stays.
    f.op(&["expire", "timestamp"]);
    age(2 * 86400);
    let good = f.cached_root();
    let line = refresh().expect("a refusal is reported");
    assert!(
        line.starts_with("trust root not refreshed, using the last good one: TUF refresh from"),
        "{line}"
    );
    assert!(line.contains("expired"), "{line}");
    assert!(!line.contains('\n'), "{line}");
    assert_eq!(f.cached_root(), good);
}

/// Verification uses the last good refresh, from the cache alone: an offline-mode gitsign
/// commit of the public-good instance verifies while the repository serves the public-good
/// trusted root, and no longer once it serves the staging one.
#[test]
fn verification_uses_the_refreshed_root() {
    let Some(f) = Fixture::new() else { return };
    let o = super::common::corpus()
        .into_iter()
        .find(|o| o.mode == "offline" && o.kind == "commit")
        .unwrap();
    let id = f.home.write_object(&o.kind, &o.raw);
    f.home.git_ok(&["config", "gitseal.offline", "true"]);
    let status = |f: &Fixture| {
        let out = f.home.git(&["verify-commit", "--raw", &id]);
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(status(&f).contains("\n[GNUPG:] GOODSIG "), "{}", status(&f));
    f.op(&[
        "set-target",
        "trusted_root.json",
        staging_root().to_str().unwrap(),
    ]);
    f.update_ok();
    let s = status(&f);
    assert!(!s.contains("GOODSIG"), "{s}");
    assert!(
        s.contains("[GNUPG:] ERRSIG") || s.contains("[GNUPG:] BADSIG"),
        "{s}"
    );
}

/// `gitseal trust show` prints names and windows from a trust root, which is a file or
/// metadata from a repository: a control character in one (here an escape sequence in a CA's
/// URI) is shown escaped, never sent to the terminal.
#[test]
fn trust_show_escapes_what_it_prints() {
    let repo = TestRepo::new();
    let mut root: serde_json::Value =
        serde_json::from_str(gitseal::trust::PUBLIC_GOOD_TRUSTED_ROOT).unwrap();
    root["certificateAuthorities"][0]["uri"] = "https://ca\u{1b}[2J.example\nforged line".into();
    let path = repo.path().join("root.json");
    std::fs::write(&path, serde_json::to_vec(&root).unwrap()).unwrap();
    let out = repo.gitseal(&["--trusted-root", path.to_str().unwrap(), "trust", "show"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains("\nforged line"), "{text:?}");
    assert!(
        text.contains("https://ca\\u{1b}[2J.example\\nforged line"),
        "{text:?}"
    );
}
