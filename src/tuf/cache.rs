//! The TUF cache on disk: which repository is configured, and its last good state.
//!
//! Layout, under the TUF directory (`TUF_ROOT`, else `$XDG_CACHE_HOME/gitseal/tuf`, else
//! `~/.cache/gitseal/tuf`):
//!
//! ```text
//! remote.json                       {"mirror": URL}: `gitseal trust init` (gitsign's file and form)
//! <repository>/root.json            the latest trusted root
//! <repository>/timestamp.json       the last good timestamp, snapshot and targets metadata
//! <repository>/snapshot.json
//! <repository>/targets.json
//! <repository>/targets/<sha256>.trusted_root.json          the verified target files
//! <repository>/targets/<sha256>.signing_config.v0.2.json
//! <repository>/refreshed.json       when, which versions, and the SHA-256 of each target file
//! ```
//!
//! `<repository>` is the mirror URL percent-encoded with no safe characters (sigstore-python's
//! `parse.quote(url, safe="")`), so one directory per repository and no path separators.
//! Every file is written to a temporary name and renamed over the old one; `refreshed.json`
//! is written last, and readers take a target file only when its SHA-256 matches the record.
//! Target files are named by their SHA-256, so the file a record names is never replaced:
//! a reader racing a refresh (or two refreshes racing each other, which also take a lock)
//! finds the file its record names, and a refresh interrupted half-way is never read as a
//! good state. Target files no record names any more are removed an hour later.
//!
//! This module reads and writes files; it never fetches and never decides what is trusted
//! (that is [`super::client`]).

use crate::config::{Env, GitConfig, table};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The public-good TUF repository (sigstore-python's `DEFAULT_TUF_URL`).
pub const DEFAULT_MIRROR: &str = "https://tuf-repo-cdn.sigstore.dev";

/// The trust root target.
pub const TRUSTED_ROOT: &str = "trusted_root.json";
/// The signing config target (issue 14, T2 reads it with [`cached_target`]).
pub const SIGNING_CONFIG: &str = "signing_config.v0.2.json";

/// Why the cache or the repository configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Reading or writing failed.
    #[error("TUF cache {path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A file of the cache is not what gitseal wrote.
    #[error("TUF cache {path} is damaged: {detail} (run gitseal trust update)")]
    Damaged {
        /// Path.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// A setting is wrong.
    #[error("invalid {key}: {detail}")]
    Setting {
        /// Key or variable.
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// No trusted root is known for a mirror other than the public-good one.
    #[error(
        "no trusted root for the TUF repository {mirror}: run gitseal trust init --mirror {mirror} --root ROOT.json (or set TUF_ROOT_JSON)"
    )]
    NoRoot {
        /// Mirror.
        mirror: String,
    },
}

/// The configured repository and where its state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Mirror URL, no trailing slash.
    pub mirror: String,
    /// Where the mirror came from, for `gitseal trust show`.
    pub mirror_source: String,
    /// The TUF directory (`remote.json` lives here); `None` when no home or cache dir is
    /// known.
    pub base: Option<PathBuf>,
    /// `SIGSTORE_NO_CACHE`: neither read nor write the state.
    pub no_cache: bool,
    /// `TUF_ROOT_JSON`: the root to start from when nothing is cached.
    pub root_json: Option<PathBuf>,
}

/// The TUF directory ([module docs](self)).
pub fn base_dir(git: &GitConfig, env: &Env) -> Option<PathBuf> {
    if let Some(d) = table::TUF_ROOT.value(git, env).filter(|s| !s.is_empty()) {
        return Some(PathBuf::from(d));
    }
    env.get("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .map(|p| p.join("gitseal").join("tuf"))
        .or_else(|| {
            env.get("HOME")
                .filter(|s| !s.is_empty())
                .map(|h| Path::new(h).join(".cache").join("gitseal").join("tuf"))
        })
}

/// The directory name of a mirror ([module docs](self)): percent-encoding of every byte
/// outside `A-Z a-z 0-9 _ . - ~` (Python's `quote(url, safe="")`).
pub fn repository_dir_name(mirror: &str) -> String {
    let mut out = String::with_capacity(mirror.len() * 2);
    for b in mirror.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a setting is a true boolean the way gitsign reads `SIGSTORE_NO_CACHE` (any
/// non-empty value but `0`/`false`).
fn truthy(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RemoteJson {
    mirror: String,
}

impl Repository {
    /// The configured repository: mirror from `TUF_MIRROR` > `gitseal.tufMirror` >
    /// `remote.json` (written by `gitseal trust init`, or gitsign's `initialize` when
    /// `TUF_ROOT` points at its directory) > the public-good repository. The URL must pass
    /// the HTTPS-only rule.
    pub fn resolve(git: &GitConfig, env: &Env) -> Result<Self, CacheError> {
        let base = base_dir(git, env);
        let (mirror, mirror_source) = match table::TUF_MIRROR.named(git, env) {
            Some((name, v)) if !v.trim().is_empty() => (v, name),
            _ => match base.as_ref().map(|b| b.join("remote.json")) {
                Some(p) if p.is_file() => {
                    let bytes = read(&p)?;
                    let r: RemoteJson =
                        serde_json::from_slice(&bytes).map_err(|e| CacheError::Damaged {
                            path: p.display().to_string(),
                            detail: e.to_string(),
                        })?;
                    (r.mirror, p.display().to_string())
                }
                _ => (DEFAULT_MIRROR.to_string(), "default".to_string()),
            },
        };
        let mirror = mirror.trim().trim_end_matches('/').to_string();
        check_mirror(&mirror).map_err(|detail| CacheError::Setting {
            key: mirror_source.clone(),
            detail,
        })?;
        let no_cache = table::TUF_NO_CACHE
            .value(git, env)
            .is_some_and(|v| truthy(&v));
        let root_json = table::TUF_ROOT_JSON
            .value(git, env)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        Ok(Self {
            mirror,
            mirror_source,
            base,
            no_cache,
            root_json,
        })
    }

    /// This repository's state directory, `None` when there is no cache (no directory
    /// known, or `SIGSTORE_NO_CACHE`).
    pub fn dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.base
            .as_ref()
            .map(|b| b.join(repository_dir_name(&self.mirror)))
    }

    /// Whether this is the public-good repository (its root is embedded).
    pub fn is_public_good(&self) -> bool {
        self.mirror == DEFAULT_MIRROR
    }
}

/// An `https://` URL (or `http://` to a loopback host: [`crate::net::https`]) with a host.
pub fn check_mirror(mirror: &str) -> Result<(), String> {
    let lower = mirror.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("{mirror:?} is not an https:// URL"))?;
    if rest.is_empty() || rest.contains(['?', '#']) {
        return Err(format!("{mirror:?} is not a repository URL"));
    }
    crate::net::https::check(mirror).map_err(|e| e.to_string())
}

fn read(p: &Path) -> Result<Vec<u8>, CacheError> {
    std::fs::read(p).map_err(|source| CacheError::Io {
        path: p.display().to_string(),
        source,
    })
}

fn read_opt(p: &Path) -> Result<Option<Vec<u8>>, CacheError> {
    match std::fs::read(p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CacheError::Io {
            path: p.display().to_string(),
            source,
        }),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// a reader sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let io = |source| CacheError::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    // Only a unique temporary name: the time decides nothing here.
    let nonce = crate::clock::Clock::now(&crate::clock::SystemClock)
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{nonce}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// What `refreshed.json` records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// The mirror refreshed from.
    pub mirror: String,
    /// When, Unix seconds.
    pub refreshed: i64,
    /// Versions of root, timestamp, snapshot, targets.
    pub versions: [u64; 4],
    /// The timestamp's expiry as written.
    pub timestamp_expires: String,
    /// SHA-256 (hex) of each target file stored.
    pub targets: BTreeMap<String, String>,
}

/// The last good state of a repository directory.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Trusted metadata (root may be empty: nothing cached).
    pub metadata: super::client::TrustedMetadata,
    /// Target files (only those matching the record).
    pub targets: BTreeMap<String, Vec<u8>>,
    /// The record, if a refresh completed.
    pub record: Option<Record>,
}

const ROLE_FILES: [&str; 4] = [
    "root.json",
    "timestamp.json",
    "snapshot.json",
    "targets.json",
];

/// Reads the state in `dir` (missing files are simply absent).
pub fn load(dir: &Path) -> Result<State, CacheError> {
    let [root, ts, snap, targets] = ROLE_FILES.map(|f| read_opt(&dir.join(f)));
    let record = match read_opt(&dir.join("refreshed.json"))? {
        None => None,
        Some(b) => Some(
            serde_json::from_slice::<Record>(&b).map_err(|e| CacheError::Damaged {
                path: dir.join("refreshed.json").display().to_string(),
                detail: e.to_string(),
            })?,
        ),
    };
    let mut files = BTreeMap::new();
    if let Some(r) = &record {
        for (name, sha) in &r.targets {
            let Some(path) = target_path(dir, name, sha) else {
                continue;
            };
            if let Some(b) = read_opt(&path)?
                && hex::encode(Sha256::digest(&b)) == *sha
            {
                files.insert(name.clone(), b);
            }
        }
    }
    Ok(State {
        metadata: super::client::TrustedMetadata {
            root: root?.unwrap_or_default(),
            timestamp: ts?,
            snapshot: snap?,
            targets: targets?,
        },
        targets: files,
        record,
    })
}

/// `targets/<sha256>.<name>`; `None` when `sha` (read from the record) is not 64 hex digits.
fn target_path(dir: &Path, name: &str, sha: &str) -> Option<PathBuf> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Target names gitseal asks for are fixed file names; anything with a separator would
    // leave the directory, so it is encoded like a repository name.
    Some(
        dir.join("targets")
            .join(format!("{sha}.{}", repository_dir_name(name))),
    )
}

/// How old an unreferenced target file must be before a refresh removes it: far longer than
/// any reader holds a record before opening the file it names.
const PRUNE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Stores a successful refresh: target files, then metadata, then the record.
pub fn store(
    dir: &Path,
    mirror: &str,
    refreshed: &super::client::Refreshed,
    now: i64,
) -> Result<Record, CacheError> {
    let io = |source| CacheError::Io {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    // One refresh writes at a time (two signatures starting together after a day).
    let lock = std::fs::File::create(dir.join(".lock")).map_err(io)?;
    lock.lock().map_err(io)?;
    let mut hashes = BTreeMap::new();
    for (name, bytes) in &refreshed.targets {
        let sha = hex::encode(Sha256::digest(bytes));
        if let Some(path) = target_path(dir, name, &sha) {
            write_atomic(&path, bytes)?;
        }
        hashes.insert(name.clone(), sha);
    }
    let m = &refreshed.metadata;
    write_atomic(&dir.join("root.json"), &m.root)?;
    for (file, bytes) in [
        ("timestamp.json", &m.timestamp),
        ("snapshot.json", &m.snapshot),
        ("targets.json", &m.targets),
    ] {
        if let Some(b) = bytes {
            write_atomic(&dir.join(file), b)?;
        }
    }
    let record = Record {
        mirror: mirror.to_string(),
        refreshed: now,
        versions: refreshed.versions,
        timestamp_expires: refreshed.timestamp_expires.clone(),
        targets: hashes,
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|e| CacheError::Damaged {
        path: dir.display().to_string(),
        detail: e.to_string(),
    })?;
    write_atomic(&dir.join("refreshed.json"), &json)?;
    prune(dir, &record);
    Ok(record)
}

/// Removes target files the record does not name, once older than [`PRUNE_AFTER`]. Best
/// effort: a file left behind costs a few kilobytes.
fn prune(dir: &Path, record: &Record) {
    let keep: Vec<PathBuf> = record
        .targets
        .iter()
        .filter_map(|(name, sha)| target_path(dir, name, sha))
        .collect();
    let Ok(entries) = std::fs::read_dir(dir.join("targets")) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > PRUNE_AFTER);
        if old && !keep.contains(&path) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Writes `remote.json` in `base` (`gitseal trust init`).
pub fn write_remote(base: &Path, mirror: &str) -> Result<(), CacheError> {
    let json = serde_json::to_vec(&RemoteJson {
        mirror: mirror.to_string(),
    })
    .map_err(|e| CacheError::Damaged {
        path: base.display().to_string(),
        detail: e.to_string(),
    })?;
    write_atomic(&base.join("remote.json"), &json)
}

/// A target file of the configured repository's last good refresh, checked against its
/// record; `None` when there is none (never refreshed, `SIGSTORE_NO_CACHE`, not in the
/// repository). Reads files only: never the network. T2's signing config reads
/// [`SIGNING_CONFIG`] through this.
pub fn cached_target(repo: &Repository, name: &str) -> Result<Option<Vec<u8>>, CacheError> {
    let Some(dir) = repo.dir() else {
        return Ok(None);
    };
    let Some(bytes) = read_opt(&dir.join("refreshed.json"))? else {
        return Ok(None);
    };
    let record: Record = serde_json::from_slice(&bytes).map_err(|e| CacheError::Damaged {
        path: dir.join("refreshed.json").display().to_string(),
        detail: e.to_string(),
    })?;
    if record.mirror != repo.mirror {
        return Ok(None);
    }
    let Some(want) = record.targets.get(name) else {
        return Ok(None);
    };
    let path = target_path(&dir, name, want).ok_or_else(|| CacheError::Damaged {
        path: dir.join("refreshed.json").display().to_string(),
        detail: format!("the SHA-256 recorded for {name} is not 64 hex digits"),
    })?;
    let b = read(&path)?;
    if hex::encode(Sha256::digest(&b)) != *want {
        return Err(CacheError::Damaged {
            path: path.display().to_string(),
            detail: "its SHA-256 differs from the one recorded at the last refresh".into(),
        });
    }
    Ok(Some(b))
}

/// [`cached_target`] of the configured repository (`TUF_MIRROR` / `gitseal.tufMirror` /
/// `remote.json` / public good): what signing-config resolution calls with
/// [`SIGNING_CONFIG`].
pub fn configured_target(
    git: &GitConfig,
    env: &Env,
    name: &str,
) -> Result<Option<Vec<u8>>, CacheError> {
    cached_target(&Repository::resolve(git, env)?, name)
}

/// The directory of the configured repository when its last refresh stored a
/// `trusted_root.json` (what [`crate::config::TrustRootInputs`] records; loading goes
/// through [`cached_target`]). One `stat`; `None` when there is none or the configuration
/// cannot be read (verification then uses the embedded root, and `gitseal trust show` says
/// why).
pub fn trusted_root_dir(git: &GitConfig, env: &Env) -> Option<PathBuf> {
    let repo = Repository::resolve(git, env).ok()?;
    let dir = repo.dir()?;
    // Every stored refresh has a trusted_root.json (it is a required target).
    dir.join("refreshed.json").is_file().then_some(dir)
}

/// Loads the `trusted_root.json` of the last good refresh stored in `dir` (from
/// [`trusted_root_dir`]), checked against the record; its source names the repository and
/// when it was refreshed. Files only: never the network.
pub fn load_trusted_root(dir: &Path) -> Result<crate::trust::TrustRoot, crate::trust::TrustError> {
    let damaged = |detail: String| crate::trust::TrustError::Material {
        path: dir.display().to_string(),
        detail: format!("TUF cache is damaged: {detail} (run gitseal trust update)"),
    };
    let record: Record = std::fs::read(dir.join("refreshed.json"))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        .map_err(|e| damaged(format!("refreshed.json: {e}")))?;
    let sha = record
        .targets
        .get(TRUSTED_ROOT)
        .cloned()
        .unwrap_or_default();
    let path = target_path(dir, TRUSTED_ROOT, &sha)
        .ok_or_else(|| damaged(format!("no valid SHA-256 recorded for {TRUSTED_ROOT}")))?;
    let bytes = std::fs::read(&path).map_err(|source| crate::trust::TrustError::Read {
        path: path.display().to_string(),
        source,
    })?;
    if record.targets.get(TRUSTED_ROOT) != Some(&hex::encode(Sha256::digest(&bytes))) {
        return Err(damaged(format!(
            "{} differs from the one recorded at the last refresh",
            path.display()
        )));
    }
    crate::trust::TrustRoot::from_json(
        &bytes,
        &format!(
            "trusted_root.json from {} (TUF, refreshed {})",
            record.mirror,
            crate::credcache::utc_text(record.refreshed)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn directory_names_are_filesystem_safe() {
        assert_eq!(
            repository_dir_name("https://tuf-repo-cdn.sigstore.dev"),
            "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
        );
        assert_eq!(repository_dir_name("../x/y"), "..%2Fx%2Fy");
    }

    #[test]
    fn base_dir_precedence() {
        let g = GitConfig::default();
        assert_eq!(base_dir(&g, &env(&[])), None);
        assert_eq!(
            base_dir(&g, &env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.cache/gitseal/tuf"))
        );
        assert_eq!(
            base_dir(&g, &env(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")])),
            Some(PathBuf::from("/x/gitseal/tuf"))
        );
        assert_eq!(
            base_dir(&g, &env(&[("XDG_CACHE_HOME", "/x"), ("TUF_ROOT", "/t")])),
            Some(PathBuf::from("/t"))
        );
    }

    #[test]
    fn mirror_resolution_and_https_rule() {
        let g = GitConfig::default();
        let r = Repository::resolve(&g, &env(&[("HOME", "/nonexistent-home")])).unwrap();
        assert!(r.is_public_good());
        let r = Repository::resolve(&g, &env(&[("TUF_MIRROR", "https://tuf.example/")])).unwrap();
        assert_eq!(r.mirror, "https://tuf.example");
        assert_eq!(r.mirror_source, "TUF_MIRROR");
        let e = Repository::resolve(&g, &env(&[("TUF_MIRROR", "http://tuf.example")])).unwrap_err();
        assert!(e.to_string().contains("TUF_MIRROR"), "{e}");
        assert!(Repository::resolve(&g, &env(&[("TUF_MIRROR", "http://127.0.0.1:1")])).is_ok());
        assert!(Repository::resolve(&g, &env(&[("TUF_MIRROR", "file:///x")])).is_err());
        let r =
            Repository::resolve(&g, &env(&[("HOME", "/h"), ("SIGSTORE_NO_CACHE", "1")])).unwrap();
        assert_eq!(r.dir(), None);
    }

    #[test]
    fn cached_target_checks_the_record() {
        let tmp = std::env::temp_dir().join(format!("gitseal-tuf-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let e = env(&[("TUF_ROOT", tmp.to_str().unwrap())]);
        let repo = Repository::resolve(&GitConfig::default(), &e).unwrap();
        assert_eq!(cached_target(&repo, TRUSTED_ROOT).unwrap(), None);
        let dir = repo.dir().unwrap();
        let refreshed = super::super::client::Refreshed {
            metadata: super::super::client::TrustedMetadata {
                root: b"{}".to_vec(),
                ..Default::default()
            },
            versions: [1, 1, 1, 1],
            timestamp_expires: "2030-01-01T00:00:00Z".into(),
            targets: [(TRUSTED_ROOT.to_string(), b"root bytes".to_vec())]
                .into_iter()
                .collect(),
            fetched: vec![],
        };
        store(&dir, &repo.mirror, &refreshed, 5).unwrap();
        assert_eq!(
            cached_target(&repo, TRUSTED_ROOT).unwrap().as_deref(),
            Some(&b"root bytes"[..])
        );
        assert_eq!(cached_target(&repo, SIGNING_CONFIG).unwrap(), None);
        assert!(trusted_root_dir(&GitConfig::default(), &e).is_some());
        // A changed file is refused, not used.
        let sha = hex::encode(Sha256::digest(b"root bytes"));
        std::fs::write(
            dir.join("targets").join(format!("{sha}.{TRUSTED_ROOT}")),
            b"other",
        )
        .unwrap();
        assert!(cached_target(&repo, TRUSTED_ROOT).is_err());
        assert!(load(&dir).unwrap().targets.is_empty());
        // A newer refresh with another file: the record names the new one, the old file is
        // still there for a reader holding the old record, and a record naming a path
        // instead of a hash is damaged, not followed.
        let mut newer = refreshed.clone();
        newer.targets.insert(TRUSTED_ROOT.into(), b"newer".to_vec());
        store(&dir, &repo.mirror, &newer, 6).unwrap();
        assert_eq!(
            cached_target(&repo, TRUSTED_ROOT).unwrap().as_deref(),
            Some(&b"newer"[..])
        );
        assert!(
            dir.join("targets")
                .join(format!("{sha}.{TRUSTED_ROOT}"))
                .is_file()
        );
        let rec = dir.join("refreshed.json");
        let text = std::fs::read_to_string(&rec).unwrap();
        let newer_sha = hex::encode(Sha256::digest(b"newer"));
        std::fs::write(&rec, text.replace(&newer_sha, "../../../../etc/passwd")).unwrap();
        let e = cached_target(&repo, TRUSTED_ROOT).unwrap_err();
        assert!(e.to_string().contains("not 64 hex digits"), "{e}");
        assert!(load_trusted_root(&dir).is_err());
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
