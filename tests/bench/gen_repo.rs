//! `bench-repo DIR COMMITS SIGNERS`: a git repository of offline-mode gitsign-style commits,
//! signed through the local Sigstore testbed, for `scripts/bench`'s batch-throughput run.
//!
//! Going through `git commit -S` costs two process starts and a git object write per commit,
//! so thousands of commits would take minutes; this builds the commit objects directly with the
//! library's signing sequence ([`gitseal::sign::sign`] with real Fulcio and Rekor HTTP clients
//! against an in-process testbed), which is exactly what `gitseal -bsau` does for git, and
//! writes them with one `git hash-object --stdin-paths`. Each commit gets a fresh key and
//! certificate, as with gitsign without a credential cache; signer `i % SIGNERS` signs commit
//! `i` and is also its committer, so the default policy (committer email = certificate
//! email) trusts every commit. The history is linear, `main` points at the tip, and
//! `DIR/trusted_root.json` is the testbed's trust root (pass it to `--trusted-root`).
//!
//! Built with `--features testbed`; only ever talks to 127.0.0.1.
// A generator program, not the library: it runs git and prints what it made.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::disallowed_macros
)]

use gitseal::cms::encode::IncludeCerts;
use gitseal::fulcio::FulcioClient;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::oidc::IdentityToken;
use gitseal::rekor::client::RekorClient;
use gitseal::sign::{Candidate, ObjectFormat, RekorMode, Services, SignRequest};
use gitseal::testbed::{Testbed, TestbedConfig, TokenRequest};
use gitseal::transport::{HttpTransport, TransportConfig};
use std::error::Error;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The empty tree, which every generated commit points at: verification never reads trees.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

fn git(repo: &Path, args: &[&str]) -> Res<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Branches signed in parallel.
const BRANCHES: usize = 16;

/// What the signing threads share.
struct Gen<'a> {
    tb: &'a Testbed,
    ca: FulcioClient,
    log: RekorClient,
    staging: &'a Path,
    signers: usize,
    done: AtomicUsize,
    started: Instant,
}

impl Gen<'_> {
    /// Signs commit number `i` (signer and committer `i % signers`) on top of `parents`,
    /// stages the object, and returns its id.
    fn commit(&self, i: usize, parents: &[String]) -> Res<String> {
        let n = i % self.signers;
        let email = format!("signer{n}@bench.example");
        let time = 1_800_000_000 + i;
        let mut payload = format!("tree {EMPTY_TREE}\n");
        for p in parents {
            payload.push_str(&format!("parent {p}\n"));
        }
        payload.push_str(&format!(
            "author Signer {n} <{email}> {time} +0000\ncommitter Signer {n} <{email}> {time} +0000\n\nbench commit {i}\n"
        ));
        let raw_token = self.tb.mint_token(&TokenRequest::email(&email))?;
        let mut tokens = || -> Result<IdentityToken, gitseal::oidc::OidcError> {
            Ok(IdentityToken::parse(&raw_token)?)
        };
        let mut services = Services {
            tokens: &mut tokens,
            ca: &self.ca,
            log: &self.log,
            clock: &gitseal::sign::SystemClock,
            certificate_check: None,
            timestamps: None,
        };
        let request = SignRequest {
            payload: payload.as_bytes(),
            mode: RekorMode::Offline,
            object_format: ObjectFormat::Sha1,
            include_certs: IncludeCerts::LeafOnly,
            match_committer: None,
        };
        // The verifier under test checks the result later; no self-check here.
        let mut no_check =
            |_: &Candidate<'_>| -> Result<(), Box<dyn Error + Send + Sync>> { Ok(()) };
        let out = gitseal::sign::sign(&request, &mut services, &mut no_check)
            .map_err(|e| format!("signing commit {i}: {e}"))?;
        let raw = object::signed_object(
            Kind::Commit,
            payload.as_bytes(),
            out.armored.as_bytes(),
            HashKind::Sha1,
        );
        let id = object::object_id(Kind::Commit, &raw, HashKind::Sha1);
        std::fs::write(self.staging.join(&id), &raw)?;
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(500) {
            eprintln!(
                "bench-repo: {done} commits signed ({:.0}/s)",
                done as f64 / self.started.elapsed().as_secs_f64()
            );
        }
        Ok(id)
    }
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, commits, signers] = args.as_slice() else {
        return Err("usage: bench-repo DIR COMMITS SIGNERS".into());
    };
    let (dir, commits, signers): (&Path, usize, usize) =
        (Path::new(dir), commits.parse()?, signers.parse()?);
    if signers == 0 {
        return Err("SIGNERS must be at least 1".into());
    }
    std::fs::create_dir_all(dir)?;
    // Absolute: `git -C repo hash-object --stdin-paths` reads paths relative to the repository.
    let dir = &std::fs::canonicalize(dir)?;
    let repo = dir.join("repo");
    if repo.exists() {
        return Err(format!("{} exists", repo.display()).into());
    }
    // The testbed makes its log durable after every append; on a disk that is an fsync per
    // commit (~100 ms per commit here), on tmpfs nothing.
    let shm = Path::new("/dev/shm");
    let tb_dir = if shm.is_dir() { shm } else { dir }
        .join(format!("gitseal-bench-testbed-{}", std::process::id()));
    let tb = Testbed::start(TestbedConfig {
        dir: Some(tb_dir.clone()),
        // Certificates outlive the run: integrated times must fall inside them.
        cert_lifetime: Duration::from_secs(3600),
        token_lifetime: Duration::from_secs(3600),
        ..TestbedConfig::default()
    })?;
    std::fs::copy(tb.trusted_root_path(), dir.join("trusted_root.json"))?;
    let transport = Arc::new(HttpTransport::new(TransportConfig {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(60),
        max_retries: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        max_response_bytes: 1 << 22,
        use_env_proxy: false,
        ..TransportConfig::default()
    }));
    std::fs::create_dir_all(&repo)?;
    git(&repo, &["init", "-q", "-b", "main"])?;
    let tree = git(&repo, &["hash-object", "-w", "-t", "tree", "/dev/null"])?;
    if tree.trim() != EMPTY_TREE {
        return Err(format!("unexpected empty tree id {tree}").into());
    }
    let staging = dir.join("objects.tmp");
    std::fs::create_dir_all(&staging)?;
    let maker = Gen {
        tb: &tb,
        ca: FulcioClient::new(tb.fulcio_url(), transport.clone()),
        log: RekorClient::new(tb.rekor_url(), transport),
        staging: &staging,
        signers,
        done: AtomicUsize::new(0),
        started: Instant::now(),
    };

    // Each signature is two loopback round trips that mostly wait, so BRANCHES branches are
    // signed in parallel, then merged into main one by one (BRANCHES - 1 signed merges): a
    // history of exactly COMMITS commits.
    let branches = BRANCHES.min(commits.div_ceil(2)).max(1);
    let on_branches = commits - (branches - 1);
    let results: Vec<Res<Vec<String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..branches)
            .map(|b| {
                let maker = &maker;
                let range = (b * on_branches / branches)..((b + 1) * on_branches / branches);
                scope.spawn(move || {
                    let mut ids: Vec<String> = Vec::with_capacity(range.len());
                    for i in range {
                        let parents: Vec<String> = ids.last().cloned().into_iter().collect();
                        ids.push(maker.commit(i, &parents)?);
                    }
                    Ok(ids)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a signing thread panicked".into()))
            })
            .collect()
    });
    let mut ids = Vec::with_capacity(commits);
    let mut tips = Vec::new();
    for r in results {
        let branch = r?;
        tips.extend(branch.last().cloned());
        ids.extend(branch);
    }
    let mut tip = tips.first().cloned().ok_or("no commits")?;
    for (k, other) in tips.iter().skip(1).enumerate() {
        tip = maker.commit(on_branches + k, &[tip, other.clone()])?;
        ids.push(tip.clone());
    }
    let paths: String = ids
        .iter()
        .map(|id| format!("{}\n", staging.join(id).display()))
        .collect();
    let started = maker.started;
    tb.stop();
    std::fs::remove_dir_all(&tb_dir)?;

    // The path list goes in from a file: git answers each path with an id as it reads, so
    // feeding a pipe while not reading its output would deadlock once the output pipe fills.
    let list = dir.join("objects.list");
    std::fs::write(&list, paths)?;
    let out = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["hash-object", "-w", "-t", "commit", "--stdin-paths"])
        .stdin(std::fs::File::open(&list)?)
        .output()?;
    std::fs::remove_file(&list)?;
    let written: Vec<&str> = std::str::from_utf8(&out.stdout)?.lines().collect();
    if !out.status.success() || written != ids {
        return Err("git hash-object wrote different object ids than predicted".into());
    }
    std::fs::remove_dir_all(&staging)?;
    git(&repo, &["update-ref", "refs/heads/main", &tip])?;
    // One pack, as a real repository would have after gc.
    git(&repo, &["repack", "-adq"])?;
    git(&repo, &["prune-packed"])?;
    println!(
        "{commits} commits from {signers} signers in {} ({:.1} s)",
        repo.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
