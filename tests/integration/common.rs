//! Shared helpers for integration tests: the shared corpus, isolated git environments, and
//! running the real binaries.

use std::path::{Path, PathBuf};

/// `../shared` next to the repository, where the real gitsign corpus lives (or
/// `GITSEAL_SHARED_DIR`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("GITSEAL_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// One row of `corpus/index.tsv`.
#[derive(Debug, Clone)]
pub struct CorpusObject {
    pub sha: String,
    pub kind: String,
    pub mode: String,
    pub identity: String,
    pub issuer: String,
    pub raw: Vec<u8>,
}

/// Every corpus object. Panics (test failure) if the shared corpus is absent.
pub fn corpus() -> Vec<CorpusObject> {
    let dir = shared_dir().join("corpus");
    let index = std::fs::read_to_string(dir.join("index.tsv"))
        .expect("the shared corpus (../shared/corpus/index.tsv) must exist");
    index
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let raw = std::fs::read(dir.join(format!("{}.{}", f[0], f[1]))).unwrap();
            CorpusObject {
                sha: f[0].into(),
                kind: f[1].into(),
                mode: f[2].into(),
                identity: f[4].into(),
                issuer: f[5].into(),
                raw,
            }
        })
        .collect()
}

/// A temporary git repository with an isolated HOME and no global or system config, set up to
/// use the built gitseal as its x509 program.
pub struct TestRepo {
    pub dir: tempfile::TempDir,
}

impl TestRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let r = Self { dir };
        r.git_ok(&["init", "-q"]);
        r.git_ok(&["config", "gpg.format", "x509"]);
        r.git_ok(&["config", "gpg.x509.program", env!("CARGO_BIN_EXE_gitseal")]);
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command with the isolated environment.
    pub fn cmd(&self, program: &str) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TMPDIR", std::env::temp_dir());
        c
    }

    pub fn git(&self, args: &[&str]) -> std::process::Output {
        self.cmd("git").args(args).output().unwrap()
    }

    pub fn git_ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn gitseal(&self, args: &[&str]) -> std::process::Output {
        self.cmd(env!("CARGO_BIN_EXE_gitseal"))
            .args(args)
            .output()
            .unwrap()
    }

    /// Writes a raw object (as `git hash-object --literally` does) and returns its id.
    pub fn write_object(&self, kind: &str, raw: &[u8]) -> String {
        let f = self.path().join(".obj");
        std::fs::write(&f, raw).unwrap();
        let id = self.git_ok(&["hash-object", "-t", kind, "-w", "--literally", ".obj"]);
        std::fs::remove_file(f).unwrap();
        id.trim().to_string()
    }
}

/// sigstore-python's CLI from the venv `scripts/install-peers` makes. Fails the test (rather
/// than skipping) when it is missing.
pub fn sigstore_python() -> PathBuf {
    let peers = std::env::var_os("GITSEAL_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/gitseal-peers")
        });
    let cli = peers.join("venv/bin/sigstore");
    assert!(
        cli.exists(),
        "sigstore-python is missing at {}: run scripts/install-peers first",
        cli.display()
    );
    cli
}
