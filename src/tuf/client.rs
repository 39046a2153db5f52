//! The TUF client workflow (TUF specification 1.0 §5 "Detailed client workflow") over a
//! [`Fetcher`]: from the trusted metadata (the last good state, or the bootstrap root) to a
//! new consistent state with the target files gitseal wants, or a refusal that names why.
//!
//! Steps, each cited where it is done: §5.3 root rotation chain, §5.4 timestamp, §5.5
//! snapshot, §5.6 targets, §5.7 target files. The result is all or nothing: the caller
//! stores a [`Refreshed`] only when every step held, so a refusal leaves the last good state
//! as it was. Checks follow python-tuf 7's `TrustedMetadataSet`, the independent
//! implementation the tests compare against.
//!
//! Scope: top-level targets only. Sigstore's repositories list `trusted_root.json` and
//! `signing_config.v0.2.json` in the top-level `targets` role (the public-good repository
//! delegates only `registry.npmjs.org/*`, which gitseal never asks for). TUF's search order
//! looks at top-level targets first (§5.6.7.1), so a target found there is the correct answer;
//! one that is not there while delegations exist is refused with a clear error instead of
//! being looked up in delegated roles.
//!
//! Pure: the network is the [`Fetcher`], the time is the `now` argument.

use super::metadata::{
    Envelope, FileInfo, FileMismatch, MetadataError, RoleName, Root, Snapshot, Targets, Timestamp,
};
use std::collections::BTreeMap;

/// Fetches bytes by URL.
pub trait Fetcher {
    /// The body at `url`, at most `max_len` bytes; `Ok(None)` when the repository says the
    /// file is not there (HTTP 403 or 404, as python-tuf reads the end of the root chain).
    fn fetch(&self, url: &str, max_len: u64) -> Result<Option<Vec<u8>>, FetchError>;
}

/// Why a fetch gave no body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The body is longer than allowed ("endless data", TUF spec §5 threat list).
    #[error("{url} sent more than {limit} bytes (endless-data attack or a wrong limit)")]
    TooLarge {
        /// URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// An HTTP status other than success, 403 or 404.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// URL.
        url: String,
        /// Status.
        status: u16,
    },
    /// No answer (connection, TLS, timeout, HTTPS-only rule).
    #[error("{0}")]
    Transport(String),
}

/// Size and rotation bounds (python-tuf's `UpdaterConfig` defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest root metadata file.
    pub root: u64,
    /// Largest timestamp metadata file.
    pub timestamp: u64,
    /// Largest snapshot metadata file when timestamp gives no length.
    pub snapshot: u64,
    /// Largest targets metadata file when snapshot gives no length.
    pub targets: u64,
    /// Most root versions fetched in one refresh.
    pub max_root_rotations: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            root: 512_000,
            timestamp: 16_384,
            snapshot: 2_000_000,
            targets: 5_000_000,
            max_root_rotations: 256,
        }
    }
}

/// Why a refresh was refused. Each is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TufError {
    /// A file could not be fetched.
    #[error("cannot fetch {role}: {source}")]
    Fetch {
        /// Which file.
        role: String,
        /// Why.
        #[source]
        source: FetchError,
    },
    /// A file the workflow needs is not in the repository.
    #[error("{url} is not in the repository (HTTP 403/404)")]
    Missing {
        /// URL.
        url: String,
    },
    /// Metadata is malformed or not signed by a threshold.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// The trusted (starting) root is not usable.
    #[error("the trusted root is not usable: {0}")]
    TrustedRoot(MetadataError),
    /// `N+1.root.json` does not have version N+1 (§5.3.5).
    #[error("{got_file} has version {got}, expected {want}")]
    RootVersion {
        /// File name.
        got_file: String,
        /// Version in the file.
        got: u64,
        /// Expected.
        want: u64,
    },
    /// More root versions than [`Limits::max_root_rotations`].
    #[error("more than {0} new root versions in one refresh")]
    TooManyRotations(u64),
    /// Metadata is expired (§5.3.10, §5.4.5, §5.5.6, §5.6.5): a freeze attack or a
    /// repository that stopped updating.
    #[error(
        "{role} v{version} expired at {expires} (freeze attack, or the repository stopped updating)"
    )]
    Expired {
        /// Role.
        role: RoleName,
        /// Its version.
        version: u64,
        /// Its expiry as written.
        expires: String,
    },
    /// A version went back (§5.4.3, §5.4.4, §5.5.5).
    #[error("{what} version {got} is older than the trusted version {had} (rollback attack)")]
    Rollback {
        /// Which version.
        what: String,
        /// Offered.
        got: u64,
        /// Trusted.
        had: u64,
    },
    /// A file the trusted snapshot lists is gone from the new one (§5.5.5).
    #[error("the new snapshot no longer lists {0}, which the trusted snapshot does")]
    SnapshotDropped(String),
    /// A role's version is not what the role above it says (§5.5.4, §5.6.4).
    #[error("{role} has version {got}, but {by} says {want} (mix-and-match attack?)")]
    VersionMismatch {
        /// Role.
        role: RoleName,
        /// Its version.
        got: u64,
        /// Which role said otherwise.
        by: RoleName,
        /// What it said.
        want: u64,
    },
    /// Bytes do not match their length or hashes (§5.5.2, §5.6.2, §5.7.3).
    #[error("{file} does not match its metadata: {source}")]
    Mismatch {
        /// File.
        file: String,
        /// How.
        #[source]
        source: FileMismatch,
    },
    /// A wanted target is not listed.
    #[error("target {0} is not in the repository's targets metadata")]
    TargetMissing(String),
    /// A wanted target is not in top-level targets and the repository has delegations
    /// (module docs: not followed).
    #[error(
        "target {0} is not in the top-level targets and the repository delegates; gitseal does not follow delegated targets"
    )]
    Delegated(String),
}

impl TufError {
    /// Whether the repository answered and the answer was refused (an attack or a broken
    /// repository), as opposed to no answer at all (network, server error).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::Fetch {
                source: FetchError::Transport(_) | FetchError::Status { .. },
                ..
            }
        )
    }
}

/// The trusted metadata bytes (the last good state): what a refresh starts from and what it
/// produces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedMetadata {
    /// The latest trusted root.
    pub root: Vec<u8>,
    /// The last good timestamp.
    pub timestamp: Option<Vec<u8>>,
    /// The last good snapshot.
    pub snapshot: Option<Vec<u8>>,
    /// The last good top-level targets.
    pub targets: Option<Vec<u8>>,
}

/// A target gitseal wants.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// Its path in targets metadata.
    pub name: &'a str,
    /// Whether a repository without it is refused.
    pub required: bool,
}

/// A successful refresh.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// The new trusted metadata.
    pub metadata: TrustedMetadata,
    /// Versions of root, timestamp, snapshot, targets.
    pub versions: [u64; 4],
    /// Expiry of the timestamp (the earliest to run out), as written.
    pub timestamp_expires: String,
    /// The wanted targets found, verified, by name.
    pub targets: BTreeMap<String, Vec<u8>>,
    /// Which of them were fetched (the rest came from the cache, still matching).
    pub fetched: Vec<String>,
}

/// Loads a trusted root: well formed and signed by a threshold of its own root keys (what
/// python-tuf requires of the bootstrap root). Expiry is not checked here: an expired
/// trusted root is normal before rotation (§5.3).
pub fn load_trusted_root(bytes: &[u8]) -> Result<(Envelope, Root), MetadataError> {
    let env = Envelope::parse(RoleName::Root, bytes)?;
    let root = Root::from_signed(&env.signed)?;
    env.verify_by(&root, RoleName::Root, RoleName::Root)?;
    Ok((env, root))
}

fn fetch_required(
    fetcher: &dyn Fetcher,
    role: &str,
    url: &str,
    max: u64,
) -> Result<Vec<u8>, TufError> {
    match fetcher.fetch(url, max) {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(TufError::Missing { url: url.into() }),
        Err(source) => Err(TufError::Fetch {
            role: role.into(),
            source,
        }),
    }
}

/// Parses and verifies cached metadata of `role` against `root`; `None` when it does not
/// verify any more (keys rotated: §5.3.11 says to discard it).
fn cached<T>(
    bytes: Option<&Vec<u8>>,
    role: RoleName,
    root: &Root,
    parse: fn(&serde_json::Value) -> Result<T, MetadataError>,
) -> Option<T> {
    let env = Envelope::parse(role, bytes?).ok()?;
    env.verify_by(root, role, role).ok()?;
    parse(&env.signed).ok()
}

/// The metadata base URL (the mirror with one trailing slash).
pub fn metadata_base(mirror: &str) -> String {
    format!("{}/", mirror.trim_end_matches('/'))
}

/// Runs the workflow (module docs) from `trusted`, at time `now` (Unix seconds, fixed for the
/// whole refresh), for `wanted`. `cached_targets` are target files kept from the last refresh:
/// reused when they still match the new targets metadata.
pub fn refresh(
    mirror: &str,
    trusted: &TrustedMetadata,
    cached_targets: &BTreeMap<String, Vec<u8>>,
    wanted: &[Wanted<'_>],
    now: i64,
    fetcher: &dyn Fetcher,
    limits: &Limits,
) -> Result<Refreshed, TufError> {
    let base = metadata_base(mirror);
    // §5.2: load the trusted root.
    let (_, mut root) = load_trusted_root(&trusted.root).map_err(TufError::TrustedRoot)?;
    let mut root_bytes = trusted.root.clone();

    // §5.3: root rotation. Fetch N+1.root.json until the repository has no such file; each
    // must be signed by a threshold of the trusted root's root keys (§5.3.4) and of its own
    // (§5.3.5), and carry version N+1.
    let mut rotations = 0u64;
    loop {
        let next = root.common.version.saturating_add(1);
        let file = format!("{next}.root.json");
        let url = format!("{base}{file}");
        let bytes = match fetcher.fetch(&url, limits.root) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(source) => {
                return Err(TufError::Fetch { role: file, source });
            }
        };
        rotations += 1;
        if rotations > limits.max_root_rotations {
            return Err(TufError::TooManyRotations(limits.max_root_rotations));
        }
        let env = Envelope::parse(RoleName::Root, &bytes)?;
        env.verify_by(&root, RoleName::Root, RoleName::Root)?;
        let new_root = Root::from_signed(&env.signed)?;
        env.verify_by(&new_root, RoleName::Root, RoleName::Root)?;
        if new_root.common.version != next {
            return Err(TufError::RootVersion {
                got_file: file,
                got: new_root.common.version,
                want: next,
            });
        }
        root = new_root;
        root_bytes = bytes;
    }
    // §5.3.10: the final root must not be expired.
    if root.common.is_expired(now) {
        return Err(TufError::Expired {
            role: RoleName::Root,
            version: root.common.version,
            expires: root.common.expires_text.clone(),
        });
    }

    // §5.4 timestamp. The trusted one (if it still verifies under the final root: §5.3.11)
    // guards against rollback even when it is itself expired, as python-tuf's intermediate
    // timestamp does.
    let old_ts = cached(
        trusted.timestamp.as_ref(),
        RoleName::Timestamp,
        &root,
        Timestamp::from_signed,
    );
    let ts_bytes = fetch_required(
        fetcher,
        "timestamp.json",
        &format!("{base}timestamp.json"),
        limits.timestamp,
    )?;
    let env = Envelope::parse(RoleName::Timestamp, &ts_bytes)?;
    env.verify_by(&root, RoleName::Timestamp, RoleName::Timestamp)?;
    let ts = Timestamp::from_signed(&env.signed)?;
    if let Some(old) = &old_ts {
        if ts.common.version < old.common.version {
            return Err(TufError::Rollback {
                what: "timestamp".into(),
                got: ts.common.version,
                had: old.common.version,
            });
        }
        let (new_sv, old_sv) = (
            ts.snapshot.version.unwrap_or(0),
            old.snapshot.version.unwrap_or(0),
        );
        if new_sv < old_sv {
            return Err(TufError::Rollback {
                what: "the snapshot version in timestamp".into(),
                got: new_sv,
                had: old_sv,
            });
        }
    }
    if ts.common.is_expired(now) {
        return Err(TufError::Expired {
            role: RoleName::Timestamp,
            version: ts.common.version,
            expires: ts.common.expires_text.clone(),
        });
    }

    // §5.5 snapshot: length and hashes from timestamp, signature, version as timestamp says,
    // no version of a listed file going back from the trusted snapshot, not expired.
    let old_snap = cached(
        trusted.snapshot.as_ref(),
        RoleName::Snapshot,
        &root,
        Snapshot::from_signed,
    );
    let snap_version = ts.snapshot.version.unwrap_or(0);
    let snap_file = if root.consistent_snapshot {
        format!("{snap_version}.snapshot.json")
    } else {
        "snapshot.json".into()
    };
    let snap_bytes = fetch_required(
        fetcher,
        &snap_file,
        &format!("{base}{snap_file}"),
        ts.snapshot.length.unwrap_or(limits.snapshot),
    )?;
    check_file(&ts.snapshot, &snap_bytes, "snapshot.json")?;
    let env = Envelope::parse(RoleName::Snapshot, &snap_bytes)?;
    env.verify_by(&root, RoleName::Snapshot, RoleName::Snapshot)?;
    let snap = Snapshot::from_signed(&env.signed)?;
    if snap.common.version != snap_version {
        return Err(TufError::VersionMismatch {
            role: RoleName::Snapshot,
            got: snap.common.version,
            by: RoleName::Timestamp,
            want: snap_version,
        });
    }
    if let Some(old) = &old_snap {
        if snap.common.version < old.common.version {
            return Err(TufError::Rollback {
                what: "snapshot".into(),
                got: snap.common.version,
                had: old.common.version,
            });
        }
        for (name, fi) in &old.meta {
            let had = fi.version.unwrap_or(0);
            let got = snap
                .version_of(name)
                .ok_or_else(|| TufError::SnapshotDropped(name.clone()))?;
            if got < had {
                return Err(TufError::Rollback {
                    what: format!("{name} (in snapshot)"),
                    got,
                    had,
                });
            }
        }
    }
    if snap.common.is_expired(now) {
        return Err(TufError::Expired {
            role: RoleName::Snapshot,
            version: snap.common.version,
            expires: snap.common.expires_text.clone(),
        });
    }

    // §5.6 targets: length/hashes and version from snapshot, signature, not expired.
    let old_targets = cached(
        trusted.targets.as_ref(),
        RoleName::Targets,
        &root,
        Targets::from_signed,
    );
    let tmeta = snap.meta.get("targets.json").cloned().unwrap_or(FileInfo {
        version: None,
        length: None,
        hashes: BTreeMap::new(),
    });
    let targets_version = tmeta.version.unwrap_or(0);
    let targets_file = if root.consistent_snapshot {
        format!("{targets_version}.targets.json")
    } else {
        "targets.json".into()
    };
    let targets_bytes = fetch_required(
        fetcher,
        &targets_file,
        &format!("{base}{targets_file}"),
        tmeta.length.unwrap_or(limits.targets),
    )?;
    check_file(&tmeta, &targets_bytes, "targets.json")?;
    let env = Envelope::parse(RoleName::Targets, &targets_bytes)?;
    env.verify_by(&root, RoleName::Targets, RoleName::Targets)?;
    let targets = Targets::from_signed(&env.signed)?;
    if targets.common.version != targets_version {
        return Err(TufError::VersionMismatch {
            role: RoleName::Targets,
            got: targets.common.version,
            by: RoleName::Snapshot,
            want: targets_version,
        });
    }
    if let Some(old) = &old_targets
        && targets.common.version < old.common.version
    {
        return Err(TufError::Rollback {
            what: "targets".into(),
            got: targets.common.version,
            had: old.common.version,
        });
    }
    if targets.common.is_expired(now) {
        return Err(TufError::Expired {
            role: RoleName::Targets,
            version: targets.common.version,
            expires: targets.common.expires_text.clone(),
        });
    }

    // §5.7 target files: reuse a cached copy that still matches, else fetch
    // `<hash>.<name>` (consistent snapshots, §5.7.3) or `<name>` and check length and hashes.
    let targets_base = format!("{base}targets/");
    let mut out = BTreeMap::new();
    let mut fetched = Vec::new();
    for w in wanted {
        let Some(info) = targets.targets.get(w.name) else {
            if !targets.delegated_roles.is_empty() && w.required {
                return Err(TufError::Delegated(w.name.into()));
            }
            if w.required {
                return Err(TufError::TargetMissing(w.name.into()));
            }
            continue;
        };
        if let Some(bytes) = cached_targets.get(w.name)
            && info.check(bytes).is_ok()
        {
            out.insert(w.name.to_string(), bytes.clone());
            continue;
        }
        let path = if root.consistent_snapshot {
            // python-tuf prefixes with the first hash listed; sha256 when there is one.
            let digest = info
                .hashes
                .get("sha256")
                .or_else(|| info.hashes.values().next())
                .map(hex::encode)
                .unwrap_or_default();
            match w.name.rsplit_once('/') {
                Some((dir, file)) => format!("{dir}/{digest}.{file}"),
                None => format!("{digest}.{}", w.name),
            }
        } else {
            w.name.to_string()
        };
        let bytes = fetch_required(
            fetcher,
            w.name,
            &format!("{targets_base}{path}"),
            info.length.unwrap_or(0),
        )?;
        check_file(info, &bytes, w.name)?;
        out.insert(w.name.to_string(), bytes);
        fetched.push(w.name.to_string());
    }

    Ok(Refreshed {
        metadata: TrustedMetadata {
            root: root_bytes,
            timestamp: Some(ts_bytes),
            snapshot: Some(snap_bytes),
            targets: Some(targets_bytes),
        },
        versions: [
            root.common.version,
            ts.common.version,
            snap.common.version,
            targets.common.version,
        ],
        timestamp_expires: ts.common.expires_text,
        targets: out,
        fetched,
    })
}

fn check_file(info: &FileInfo, bytes: &[u8], file: &str) -> Result<(), TufError> {
    info.check(bytes).map_err(|source| TufError::Mismatch {
        file: file.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    //! The workflow on an in-memory repository signed here with Ed25519 (the python-tuf
    //! attack tests are in `tests/integration/tuf.rs`): what those repositories do not
    //! exercise — hashes in timestamp, thresholds above one, server errors, the rotation
    //! bound, delegations, wrong role types.

    use super::*;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
    use serde_json::{Value, json};
    use sha2::Digest as _;
    use std::cell::RefCell;

    const NOW: i64 = 1_800_000_000;
    const LATER: &str = "2030-01-01T00:00:00Z";

    struct Repo {
        files: RefCell<BTreeMap<String, Result<Vec<u8>, u16>>>,
        keys: Vec<Ed25519KeyPair>,
    }

    impl Fetcher for Repo {
        fn fetch(&self, url: &str, max_len: u64) -> Result<Option<Vec<u8>>, FetchError> {
            let path = url.trim_start_matches("https://tuf.test/");
            match self.files.borrow().get(path) {
                None => Ok(None),
                Some(Err(status)) => Err(FetchError::Status {
                    url: url.into(),
                    status: *status,
                }),
                Some(Ok(b)) if b.len() as u64 > max_len => Err(FetchError::TooLarge {
                    url: url.into(),
                    limit: max_len,
                }),
                Some(Ok(b)) => Ok(Some(b.clone())),
            }
        }
    }

    fn id(k: &Ed25519KeyPair) -> String {
        hex::encode(&sha2::Sha256::digest(k.public_key().as_ref())[..8])
    }

    fn key_json(k: &Ed25519KeyPair) -> Value {
        json!({"keytype": "ed25519", "scheme": "ed25519",
               "keyval": {"public": hex::encode(k.public_key().as_ref())}})
    }

    /// `signed` signed by `signers` (indices into the repository's keys).
    fn envelope(repo: &Repo, signed: Value, signers: &[usize]) -> Vec<u8> {
        let msg = super::super::cjson::encode(&signed).unwrap();
        let sigs: Vec<Value> = signers
            .iter()
            .map(|&i| {
                let k = &repo.keys[i];
                json!({"keyid": id(k), "sig": hex::encode(k.sign(&msg).as_ref())})
            })
            .collect();
        serde_json::to_vec_pretty(&json!({"signed": signed, "signatures": sigs})).unwrap()
    }

    fn root_signed(repo: &Repo, version: u64, root_keys: &[usize], threshold: u64) -> Value {
        let mut keys = serde_json::Map::new();
        for k in &repo.keys {
            keys.insert(id(k), key_json(k));
        }
        let ids = |v: &[usize]| v.iter().map(|&i| id(&repo.keys[i])).collect::<Vec<_>>();
        json!({"_type": "root", "spec_version": "1.0.31", "version": version, "expires": LATER,
               "consistent_snapshot": true, "keys": keys,
               "roles": {"root": {"keyids": ids(root_keys), "threshold": threshold},
                         "timestamp": {"keyids": ids(&[1, 2]), "threshold": 1},
                         "snapshot": {"keyids": ids(&[1]), "threshold": 1},
                         "targets": {"keyids": ids(&[1]), "threshold": 1}}})
    }

    const TARGET: &[u8] = b"{\"mediaType\": \"trusted root\"}";

    /// Root v1 (key 0), timestamp/snapshot/targets v1 (key 1), one target.
    fn fresh() -> (Repo, TrustedMetadata) {
        let keys = (0..4)
            .map(|i| Ed25519KeyPair::from_seed_unchecked(&[i as u8 + 1; 32]).unwrap())
            .collect();
        let repo = Repo {
            files: RefCell::new(BTreeMap::new()),
            keys,
        };
        let root = envelope(&repo, root_signed(&repo, 1, &[0], 1), &[0]);
        let digest = hex::encode(sha2::Sha256::digest(TARGET));
        let targets = envelope(
            &repo,
            json!({"_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": LATER,
                   "targets": {"trusted_root.json": {"length": TARGET.len(),
                                                     "hashes": {"sha256": digest}}}}),
            &[1],
        );
        let snapshot = envelope(
            &repo,
            json!({"_type": "snapshot", "spec_version": "1.0", "version": 1, "expires": LATER,
                   "meta": {"targets.json": {"version": 1}}}),
            &[1],
        );
        let snap_hash = hex::encode(sha2::Sha256::digest(&snapshot));
        let timestamp = envelope(
            &repo,
            json!({"_type": "timestamp", "spec_version": "1.0.31", "version": 1, "expires": LATER,
                   "meta": {"snapshot.json": {"version": 1, "length": snapshot.len(),
                                              "hashes": {"sha256": snap_hash}}}}),
            &[1],
        );
        {
            let mut f = repo.files.borrow_mut();
            f.insert("1.root.json".into(), Ok(root.clone()));
            f.insert("timestamp.json".into(), Ok(timestamp));
            f.insert("1.snapshot.json".into(), Ok(snapshot));
            f.insert("1.targets.json".into(), Ok(targets));
            f.insert(
                format!("targets/{digest}.trusted_root.json"),
                Ok(TARGET.to_vec()),
            );
        }
        let trusted = TrustedMetadata {
            root,
            ..TrustedMetadata::default()
        };
        (repo, trusted)
    }

    fn run(repo: &Repo, trusted: &TrustedMetadata, limits: &Limits) -> Result<Refreshed, TufError> {
        refresh(
            "https://tuf.test/",
            trusted,
            &BTreeMap::new(),
            &[Wanted {
                name: "trusted_root.json",
                required: true,
            }],
            NOW,
            repo,
            limits,
        )
    }

    fn put(repo: &Repo, path: &str, v: Result<Vec<u8>, u16>) {
        repo.files.borrow_mut().insert(path.into(), v);
    }

    #[test]
    fn refreshes_and_refuses() {
        let (repo, trusted) = fresh();
        let ok = run(&repo, &trusted, &Limits::default()).unwrap();
        assert_eq!(ok.targets["trusted_root.json"], TARGET);
        assert_eq!(ok.versions, [1, 1, 1, 1]);

        // The snapshot must match the hash timestamp gives (one byte of whitespace differs).
        let mut snap = repo.files.borrow()["1.snapshot.json"].clone().unwrap();
        snap.push(b' ');
        snap.remove(1);
        put(&repo, "1.snapshot.json", Ok(snap));
        let e = run(&repo, &trusted, &Limits::default()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("snapshot.json does not match its metadata: its sha256 hash differs"),
            "{e}"
        );

        // A server error is a refusal, not "no such file".
        let (repo, trusted) = repo_with("timestamp.json", Err(503));
        let e = run(&repo, &trusted, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("answered HTTP 503"), "{e}");
        // A 500 in the root chain is not its end either.
        let (repo, trusted) = repo_with("2.root.json", Err(500));
        assert!(run(&repo, &trusted, &Limits::default()).is_err());
        // Timestamp metadata served where timestamp is expected, but it is a snapshot.
        let (repo, trusted) = fresh();
        let snap = repo.files.borrow()["1.snapshot.json"].clone();
        put(&repo, "timestamp.json", snap);
        let e = run(&repo, &trusted, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("_type is \"snapshot\""), "{e}");
    }

    fn repo_with(path: &str, v: Result<Vec<u8>, u16>) -> (Repo, TrustedMetadata) {
        let (repo, trusted) = fresh();
        put(&repo, path, v);
        (repo, trusted)
    }

    #[test]
    fn thresholds_above_one_and_rotation_bound() {
        let (repo, trusted) = fresh();
        // Root v2 raises the root threshold to 2 of keys 2 and 3: signed by key 0 (old) and
        // key 2 only, the new threshold is not met.
        let v2 = root_signed(&repo, 2, &[2, 3], 2);
        put(
            &repo,
            "2.root.json",
            Ok(envelope(&repo, v2.clone(), &[0, 2])),
        );
        let e = run(&repo, &trusted, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("1 valid signature(s)"), "{e}");
        // The same key's signature twice is still one.
        put(
            &repo,
            "2.root.json",
            Ok(envelope(&repo, v2.clone(), &[0, 2, 2])),
        );
        assert!(run(&repo, &trusted, &Limits::default()).is_err());
        // Both new keys and the old one: accepted.
        put(&repo, "2.root.json", Ok(envelope(&repo, v2, &[0, 2, 3])));
        assert_eq!(
            run(&repo, &trusted, &Limits::default()).unwrap().versions[0],
            2
        );
        // v3 signed by the v2 keys; at most one rotation allowed: refused.
        let v3 = root_signed(&repo, 3, &[2, 3], 2);
        put(&repo, "3.root.json", Ok(envelope(&repo, v3, &[2, 3])));
        let limits = Limits {
            max_root_rotations: 1,
            ..Limits::default()
        };
        let e = run(&repo, &trusted, &limits).unwrap_err();
        assert_eq!(e, TufError::TooManyRotations(1));
        assert_eq!(
            run(&repo, &trusted, &Limits::default()).unwrap().versions[0],
            3
        );
    }

    #[test]
    fn delegated_targets_are_refused_clearly() {
        let (repo, trusted) = fresh();
        let targets = envelope(
            &repo,
            json!({"_type": "targets", "spec_version": "1.0.31", "version": 1, "expires": LATER,
                   "targets": {},
                   "delegations": {"keys": {}, "roles": [{"name": "registry.npmjs.org",
                       "keyids": [], "threshold": 1, "terminating": true,
                       "paths": ["registry.npmjs.org/*"]}]}}),
            &[1],
        );
        put(&repo, "1.targets.json", Ok(targets));
        let e = run(&repo, &trusted, &Limits::default()).unwrap_err();
        assert_eq!(e, TufError::Delegated("trusted_root.json".into()));
    }

    /// Without consistent snapshots: `snapshot.json`, `targets.json`, `targets/<name>`.
    #[test]
    fn plain_snapshots_use_unversioned_names() {
        let (repo, _) = fresh();
        let mut signed = root_signed(&repo, 1, &[0], 1);
        signed["consistent_snapshot"] = false.into();
        let trusted = TrustedMetadata {
            root: envelope(&repo, signed, &[0]),
            ..TrustedMetadata::default()
        };
        let e = run(&repo, &trusted, &Limits::default()).unwrap_err();
        assert!(
            matches!(&e, TufError::Missing { url } if url.ends_with("/snapshot.json")),
            "{e}"
        );
        {
            let mut f = repo.files.borrow_mut();
            let digest = hex::encode(sha2::Sha256::digest(TARGET));
            for (from, to) in [
                ("1.snapshot.json".to_string(), "snapshot.json"),
                ("1.targets.json".to_string(), "targets.json"),
                (
                    format!("targets/{digest}.trusted_root.json"),
                    "targets/trusted_root.json",
                ),
            ] {
                let v = f[&from].clone();
                f.insert(to.to_string(), v);
            }
        }
        let r = run(&repo, &trusted, &Limits::default()).unwrap();
        assert_eq!(r.targets["trusted_root.json"], TARGET);
    }

    #[test]
    fn cached_targets_are_reused_only_when_they_match() {
        let (repo, trusted) = fresh();
        let wanted = [Wanted {
            name: "trusted_root.json",
            required: true,
        }];
        let go = |cached: &BTreeMap<String, Vec<u8>>| {
            refresh(
                "https://tuf.test",
                &trusted,
                cached,
                &wanted,
                NOW,
                &repo,
                &Limits::default(),
            )
            .unwrap()
        };
        let good: BTreeMap<_, _> = [("trusted_root.json".to_string(), TARGET.to_vec())].into();
        assert!(go(&good).fetched.is_empty());
        let stale: BTreeMap<_, _> = [("trusted_root.json".to_string(), b"old".to_vec())].into();
        let r = go(&stale);
        assert_eq!(r.fetched, ["trusted_root.json"]);
        assert_eq!(r.targets["trusted_root.json"], TARGET);
    }
}
