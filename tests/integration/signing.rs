//! A signer's world on the testbed, shared by the end-to-end signing tests (`sign_e2e`,
//! `timestamps`, `rekor_v2`): a testbed whose logins answer as one person, a repository with
//! that person as its user and gitseal as its `gpg.x509.program`, and the environment the
//! testbed gives a user; plus reading a commit's signature back and asking sigstore-python,
//! an independent verifier, about an exported bundle.
#![cfg(feature = "testbed")]

use super::common::TestRepo;
use gitseal::git::object::{HashKind, split_commit};
use gitseal::testbed::{Testbed, TestbedConfig};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A testbed and a repository whose user is the testbed's identity.
pub struct Signing {
    pub tb: Testbed,
    pub repo: TestRepo,
    /// What every command run through [`Signing::run`] gets; a test may change it.
    pub vars: Vec<(String, String)>,
}

impl Signing {
    /// A testbed (`config`, with logins as `email`) and a repository for `name <email>`,
    /// with [`Signing::testbed_vars`] as the environment.
    pub fn start(config: TestbedConfig, name: &str, email: &str) -> Self {
        let tb = Testbed::start(TestbedConfig {
            identity: email.into(),
            ..config
        })
        .unwrap();
        let repo = TestRepo::new();
        repo.git_ok(&["config", "user.name", name]);
        repo.git_ok(&["config", "user.email", email]);
        let vars = Self::testbed_vars(&tb);
        Self { tb, repo, vars }
    }

    /// The environment a user gets from `gitseal-testbed serve`'s `env` file (the service
    /// URLs, the trusted root, the browser opener), with one HTTP retry.
    pub fn testbed_vars(tb: &Testbed) -> Vec<(String, String)> {
        vec![
            ("GITSEAL_FULCIO_URL".into(), tb.fulcio_url()),
            ("GITSEAL_REKOR_URL".into(), tb.rekor_url()),
            ("GITSEAL_OIDC_ISSUER".into(), tb.issuer_url()),
            (
                "GITSEAL_TRUSTED_ROOT".into(),
                tb.trusted_root_path().display().to_string(),
            ),
            ("GITSEAL_URL_OPENER".into(), Self::opener()),
            ("GITSEAL_HTTP_RETRIES".into(), "1".into()),
        ]
    }

    /// The testbed's automated browser: `gitseal-testbed open-url URL`.
    pub fn opener() -> String {
        format!(
            "{} open-url {{{{.URL}}}}",
            env!("CARGO_BIN_EXE_gitseal-testbed")
        )
    }

    /// A copy of the environment (to filter or extend for one command).
    pub fn env(&self) -> Vec<(String, String)> {
        self.vars.clone()
    }

    /// Runs `program` in the repository with the environment, then `extra`; no stdin.
    pub fn run(&self, program: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut c = self.repo.cmd(program);
        c.envs(self.env()).args(args).stdin(Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// `git commit -S -m msg` of a change to `file`.
    pub fn commit(&self, msg: &str, extra: &[(&str, &str)]) -> Output {
        std::fs::write(self.repo.path().join("file"), msg).unwrap();
        self.repo.git_ok(&["add", "file"]);
        self.run("git", &["commit", "-q", "-S", "-m", msg], extra)
    }

    /// `gitseal <sub> <name> --certificate-identity <identity>` with the testbed's issuer.
    pub fn gitseal_verify(&self, sub: &str, name: &str, identity: &str) -> Output {
        let issuer = self.tb.issuer_url();
        let args = [
            sub,
            name,
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            &issuer,
        ];
        self.run(env!("CARGO_BIN_EXE_gitseal"), &args, &[])
    }

    /// HEAD's id, if there is a commit.
    pub fn head(&self) -> Option<String> {
        let o = self.repo.git(&["rev-parse", "-q", "--verify", "HEAD"]);
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    }
}

/// The payload and signature DER of commit `rev`.
pub fn signature_of(repo: &TestRepo, rev: &str) -> (Vec<u8>, Vec<u8>) {
    let raw = repo.git(&["cat-file", "commit", rev]).stdout;
    let split = split_commit(&raw, HashKind::Sha1).unwrap();
    (
        split.payload,
        gitseal::armor::decode(&split.signature).unwrap(),
    )
}

/// sigstore-python's `verify identity --offline` of `b.sigstore.json` over `artifact` in
/// `dir` (what `gitseal bundle HEAD --bundle b.sigstore.json --artifact artifact` wrote),
/// trusting only the client trust config at `trust_config`, for `identity` from `issuer`.
pub fn sigstore_python_verify(
    dir: &Path,
    trust_config: &Path,
    identity: &str,
    issuer: &str,
) -> Output {
    let xdg = dir.join("xdg");
    Command::new(super::common::sigstore_python())
        .current_dir(dir)
        .env("XDG_CACHE_HOME", &xdg)
        .env("XDG_DATA_HOME", &xdg)
        .arg("--trust-config")
        .arg(trust_config)
        .args([
            "verify",
            "identity",
            "--offline",
            "--bundle",
            "b.sigstore.json",
            "--cert-identity",
            identity,
            "--cert-oidc-issuer",
            issuer,
            "artifact",
        ])
        .output()
        .unwrap()
}
