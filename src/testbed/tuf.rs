//! The testbed's trust, published as a TUF repository at `{base}/tuf/`, as Sigstore publishes
//! its public-good trust at `https://tuf-repo-cdn.sigstore.dev`.
//!
//! Owns the repository: its four top-level roles (TUF specification §2.1: root, targets,
//! snapshot, timestamp), their keys (one ECDSA P-256 key per role, threshold 1, scheme
//! `ecdsa-sha2-nistp256` with PEM public keys as in Sigstore's `root.json`), the metadata files
//! (signatures over the OLPC canonical JSON of `signed`, §4.2), consistent snapshots (§4.4:
//! `N.root.json`, `N.snapshot.json`, `N.targets.json`, `targets/<sha256>.<name>`; only
//! `timestamp.json` is unversioned) and two targets, `trusted_root.json` and
//! `signing_config.v0.2.json` (the names sigstore clients ask for). Snapshot and timestamp
//! record the length and SHA-256 of the file they point at, so a client can check both (§5.4.2,
//! §5.5.2).
//!
//! The switches misbehave on purpose, so clients can be shown to refuse: rotate the root key
//! (a new root version signed by the old and the new key, §5.3.4), expire a role (a validly
//! signed new version whose `expires` is in the past), roll a role's version back (replay the
//! previous timestamp, or point timestamp/snapshot at an older snapshot/targets), and publish
//! fresh good versions of everything. Every version ever published stays served, so a
//! repository can always move forward again.
//!
//! State lives in the testbed directory: the served files in `DIR/tuf/`, the keys (PKCS#8 PEM,
//! 0600) in `DIR/state/keys/tuf-*.key.pem`, versions in `DIR/state/tuf.json`, replayable old
//! timestamps in `DIR/state/tuf-timestamps/`; the first root is also `DIR/tuf-root.json`, the
//! file a client is given out of band. It never verifies anything (that is the client's job,
//! and python-tuf's in the tests) and never reads beyond the testbed directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use p256::ecdsa::signature::Signer;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::TestbedError;
use super::crypto;
use super::http::Response;
use super::store;

/// The target names sigstore clients fetch.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";
/// The signing config target (`SigningConfig` v0.2).
pub const SIGNING_CONFIG_TARGET: &str = "signing_config.v0.2.json";

/// The TUF specification version written into every role (python-tuf 7 requires major 1).
const SPEC_VERSION: &str = "1.0.31";
/// Lifetimes of good metadata, in seconds (root a year, targets 90 days, snapshot a week,
/// timestamp a day: the shape of Sigstore's repository, shortened where only tests read it).
const ROOT_LIFETIME: u64 = 365 * 86_400;
const TARGETS_LIFETIME: u64 = 90 * 86_400;
const SNAPSHOT_LIFETIME: u64 = 7 * 86_400;
const TIMESTAMP_LIFETIME: u64 = 86_400;
/// How far in the past an expired role's `expires` lies.
const EXPIRED_BY: u64 = 3_600;

/// A top-level TUF role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// `root`: the keys of every role.
    Root,
    /// `targets`: the target files' lengths and hashes.
    Targets,
    /// `snapshot`: the version of `targets`.
    Snapshot,
    /// `timestamp`: the version of `snapshot`.
    Timestamp,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Root, Role::Targets, Role::Snapshot, Role::Timestamp];

    /// The role's name (`root`, `targets`, `snapshot`, `timestamp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Root => "root",
            Role::Targets => "targets",
            Role::Snapshot => "snapshot",
            Role::Timestamp => "timestamp",
        }
    }
}

impl FromStr for Role {
    type Err = TestbedError;
    fn from_str(s: &str) -> Result<Role, TestbedError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                TestbedError::Config(format!(
                    "unknown TUF role {s:?} (root, targets, snapshot or timestamp)"
                ))
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the switches act on, in the admin API's JSON shape (`POST /__testbed/tuf`):
/// `{"action":"rotateRoot"}`, `{"action":"expire","role":"timestamp"}`,
/// `{"action":"rollback","role":"snapshot"}`, `{"action":"publish"}`,
/// `{"action":"rotateFulcioCa"}`, `{"action":"tamperTarget","target":"trusted_root.json"}`,
/// `{"action":"endlessTimestamp","bytes":4194304}`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TufAction {
    /// `rotateRoot`, `expire`, `rollback`, `publish` or `rotateFulcioCa`.
    pub action: String,
    /// The role for `expire` and `rollback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The target name for `tamperTarget`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The size for `endlessTimestamp` (default [`ENDLESS_DEFAULT_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// How large `endlessTimestamp` makes `timestamp.json` unless told: far beyond python-tuf's
/// 16 KiB limit for timestamp metadata and any sane client's.
pub const ENDLESS_DEFAULT_BYTES: u64 = 4 * 1024 * 1024;
/// The largest `endlessTimestamp` accepted (the file is held in memory).
pub const ENDLESS_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Versions and key generation, persisted in `DIR/state/tuf.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TufVersions {
    /// The version clients currently get, per role.
    pub root: u64,
    /// Current targets version (what the current snapshot names).
    pub targets: u64,
    /// Current snapshot version (what the current timestamp names).
    pub snapshot: u64,
    /// Current timestamp version.
    pub timestamp: u64,
    /// The highest version ever published, per role (a new version is one above it).
    pub highest: BTreeMap<String, u64>,
    /// Which root key is in force (`tuf-root-<n>.key.pem`); 1 until the first rotation.
    pub root_key_generation: u64,
}

impl TufVersions {
    fn highest(&self, role: Role) -> u64 {
        self.highest.get(role.as_str()).copied().unwrap_or(0)
    }

    fn next(&mut self, role: Role) -> u64 {
        let v = self.highest(role) + 1;
        self.highest.insert(role.as_str().to_owned(), v);
        v
    }
}

struct RoleKey {
    key: p256::ecdsa::SigningKey,
    /// The TUF key object (`keytype`, `scheme`, `keyval.public`).
    public: Value,
    /// Hex SHA-256 of the canonical JSON of `public` (the keyid convention of TUF §4.2 and
    /// Sigstore's repository).
    id: String,
}

impl RoleKey {
    fn new(key: p256::ecdsa::SigningKey) -> Result<RoleKey, TestbedError> {
        let spki = crypto::spki_p256(key.verifying_key())?;
        let public = json!({
            "keytype": "ecdsa",
            "scheme": "ecdsa-sha2-nistp256",
            "keyval": {"public": crate::armor::pem("PUBLIC KEY", &spki)},
        });
        let id = hex::encode(crypto::sha256(&canonical(&public)?));
        Ok(RoleKey { key, public, id })
    }

    /// `{"keyid", "sig"}`: hex DER ECDSA signature over `data` (securesystemslib's encoding).
    fn sign(&self, data: &[u8]) -> Value {
        let sig: p256::ecdsa::Signature = self.key.sign(data);
        json!({"keyid": self.id, "sig": hex::encode(sig.to_der().as_bytes())})
    }
}

/// OLPC canonical JSON (what TUF signatures cover): the client's encoder, so the bytes the
/// testbed signs and the bytes gitseal checks come from one place (python-tuf checks both).
pub fn canonical(v: &Value) -> Result<Vec<u8>, TestbedError> {
    crate::tuf::cjson::encode(v).map_err(|e| TestbedError::State(format!("canonical JSON: {e}")))
}

fn expires_at(unix: u64) -> Result<String, TestbedError> {
    crypto::rfc3339(unix)
}

struct Inner {
    versions: TufVersions,
    root_keys: Vec<RoleKey>,
    targets_key: RoleKey,
    snapshot_key: RoleKey,
    timestamp_key: RoleKey,
    /// Served files, by path below `/tuf/`.
    files: BTreeMap<String, Arc<Vec<u8>>>,
    /// Current target contents, by target name.
    targets: BTreeMap<String, Vec<u8>>,
}

/// The repository, shared by the HTTP handler and the switches.
pub struct TufRepo {
    dir: PathBuf,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for TufRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TufRepo")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TestbedError + '_ {
    move |source| TestbedError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A P-256 key in `DIR/state/keys/NAME.key.pem`, made when absent.
fn load_key(dir: &Path, name: &str) -> Result<p256::ecdsa::SigningKey, TestbedError> {
    let path = dir.join("state/keys").join(format!("{name}.key.pem"));
    if path.exists() {
        let pem = fs::read_to_string(&path).map_err(io_err(&path))?;
        return p256::ecdsa::SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            TestbedError::State(format!("{}: not a P-256 PKCS#8 key: {e}", path.display()))
        });
    }
    let key = crypto::new_p256()?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| TestbedError::Crypto(e.to_string()))?;
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    store::write_atomic(&path, pem.as_bytes(), true)?;
    Ok(key)
}

/// A served path is a plain file name, or `targets/` and one: no traversal, no hidden files.
fn safe_name(name: &str) -> bool {
    let file = name.strip_prefix("targets/").unwrap_or(name);
    !file.is_empty()
        && !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl TufRepo {
    /// Open the repository in `dir` (creating keys and version 1 of every role the first time)
    /// and publish `targets` (name → content): when they differ from what the current targets
    /// role lists, a new targets, snapshot and timestamp version is published, so clients that
    /// refreshed before a restart see the change as an update, never a rollback. A timestamp
    /// that would expire within half its lifetime is renewed.
    pub fn open(dir: &Path, targets: BTreeMap<String, Vec<u8>>) -> Result<TufRepo, TestbedError> {
        let state_path = dir.join("state/tuf.json");
        let existing: Option<TufVersions> = match fs::read_to_string(&state_path) {
            Ok(text) => Some(serde_json::from_str(&text).map_err(|e| {
                TestbedError::State(format!("{} is not valid: {e}", state_path.display()))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(&state_path)(e)),
        };
        let versions = existing.clone().unwrap_or(TufVersions {
            root_key_generation: 1,
            ..TufVersions::default()
        });
        let root_key = load_key(dir, &format!("tuf-root-{}", versions.root_key_generation))?;
        let inner = Inner {
            root_keys: vec![RoleKey::new(root_key)?],
            targets_key: RoleKey::new(load_key(dir, "tuf-targets")?)?,
            snapshot_key: RoleKey::new(load_key(dir, "tuf-snapshot")?)?,
            timestamp_key: RoleKey::new(load_key(dir, "tuf-timestamp")?)?,
            versions,
            files: BTreeMap::new(),
            targets: targets.clone(),
        };
        for sub in ["tuf/targets", "state/tuf-timestamps"] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).map_err(io_err(&d))?;
        }
        let repo = TufRepo {
            dir: dir.to_owned(),
            inner: Mutex::new(inner),
        };
        let mut g = repo.lock();
        if existing.is_none() {
            let now = crypto::now_unix();
            repo.publish_root(&mut g, now + ROOT_LIFETIME, &[])?;
            let root = g
                .files
                .get("1.root.json")
                .cloned()
                .ok_or_else(|| TestbedError::State("root 1 was not published".into()))?;
            store::write_atomic(&dir.join("tuf-root.json"), &root, false)?;
            repo.publish_chain(&mut g, Role::Targets, None)?;
        } else {
            repo.load_files(&mut g)?;
            let listed = repo.listed_targets(&g)?;
            let changed = targets.iter().any(|(name, content)| {
                listed.get(name) != Some(&hex::encode(crypto::sha256(content)))
            }) || listed.len() != targets.len();
            let ts_expires = repo.current_expires(&g, Role::Timestamp)?;
            if changed {
                repo.publish_chain(&mut g, Role::Targets, None)?;
            } else if ts_expires < crypto::now_unix() + TIMESTAMP_LIFETIME / 2 {
                repo.publish_chain(&mut g, Role::Timestamp, None)?;
            }
        }
        drop(g);
        Ok(repo)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update writes files before it changes the maps; a panic in between leaves the
        // previous state served, which is still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The first root (what `DIR/tuf-root.json` holds).
    pub fn initial_root_path(&self) -> PathBuf {
        self.dir.join("tuf-root.json")
    }

    /// The current versions.
    pub fn versions(&self) -> TufVersions {
        self.lock().versions.clone()
    }

    /// Answer `GET /tuf/<name>` (`name` without the prefix).
    pub fn serve(&self, name: &str) -> Response {
        if !safe_name(name) {
            return Response::new(404, "text/plain", "not found\n");
        }
        match self.lock().files.get(name) {
            Some(bytes) => {
                let ct = if name.ends_with(".json") {
                    "application/json"
                } else {
                    "application/octet-stream"
                };
                Response::new(200, ct, bytes.as_slice())
            }
            None => Response::new(404, "text/plain", "not found\n"),
        }
    }

    /// Replace the targets (e.g. a new `trusted_root.json`) and publish them as a new targets
    /// version with a new snapshot and timestamp.
    pub fn set_targets(&self, targets: BTreeMap<String, Vec<u8>>) -> Result<(), TestbedError> {
        let mut g = self.lock();
        g.targets = targets;
        self.publish_chain(&mut g, Role::Targets, None)
    }

    /// Publish fresh, good versions of targets, snapshot and timestamp (undoing `expire` and
    /// `rollback` of those), and a new root version if the current root is expired.
    pub fn publish(&self) -> Result<(), TestbedError> {
        let mut g = self.lock();
        let now = crypto::now_unix();
        if self.current_expires(&g, Role::Root)? <= now {
            self.publish_root(&mut g, now + ROOT_LIFETIME, &[])?;
        }
        self.publish_chain(&mut g, Role::Targets, None)
    }

    /// Rotate the root key: root version N+1 lists a new root key and is signed by both the old
    /// and the new key (TUF §5.3.4: a threshold of each), so clients holding version N accept
    /// it and, from then on, only the new key.
    pub fn rotate_root(&self) -> Result<(), TestbedError> {
        let mut g = self.lock();
        let generation = g.versions.root_key_generation + 1;
        let new_key = RoleKey::new(load_key(&self.dir, &format!("tuf-root-{generation}"))?)?;
        let old = std::mem::replace(&mut g.root_keys, vec![new_key]);
        g.versions.root_key_generation = generation;
        self.publish_root(&mut g, crypto::now_unix() + ROOT_LIFETIME, &old)
    }

    /// Publish a new, validly signed version of `role` whose `expires` is an hour in the past
    /// (and, for targets and snapshot, new versions of the roles above it that point at it).
    pub fn expire(&self, role: Role) -> Result<(), TestbedError> {
        let mut g = self.lock();
        let past = crypto::now_unix().saturating_sub(EXPIRED_BY);
        match role {
            Role::Root => self.publish_root(&mut g, past, &[]),
            other => self.publish_chain(&mut g, other, Some((other, past))),
        }
    }

    /// Roll `role` back: timestamp replays the previous timestamp file byte for byte; snapshot
    /// publishes a new timestamp naming the previous snapshot version; targets a new snapshot
    /// (and timestamp) naming the previous targets version. Root cannot be rolled back
    /// (clients fetch root by version number).
    pub fn rollback(&self, role: Role) -> Result<(), TestbedError> {
        let mut g = self.lock();
        match role {
            Role::Root => Err(TestbedError::Config(
                "root cannot be rolled back: clients fetch root by version, N+1.root.json".into(),
            )),
            Role::Timestamp => {
                let prev = g.versions.timestamp.saturating_sub(1);
                let path = self.timestamp_history(prev);
                let bytes = match fs::read(&path) {
                    Ok(b) if prev > 0 => b,
                    _ => {
                        return Err(TestbedError::Config(format!(
                            "no timestamp before version {} to roll back to (publish first)",
                            g.versions.timestamp
                        )));
                    }
                };
                let v: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| TestbedError::State(format!("{}: {e}", path.display())))?;
                self.put(&mut g, "timestamp.json", bytes)?;
                g.versions.timestamp = prev;
                g.versions.snapshot = signed_u64(&v, &["meta", "snapshot.json", "version"])?;
                self.save_versions(&g)
            }
            Role::Snapshot | Role::Targets => {
                let current = if role == Role::Snapshot {
                    g.versions.snapshot
                } else {
                    g.versions.targets
                };
                if current < 2 {
                    return Err(TestbedError::Config(format!(
                        "no {role} before version {current} to roll back to (publish first)"
                    )));
                }
                if role == Role::Snapshot {
                    g.versions.snapshot = current - 1;
                    self.publish_chain(&mut g, Role::Timestamp, None)
                } else {
                    g.versions.targets = current - 1;
                    self.publish_chain(&mut g, Role::Snapshot, None)
                }
            }
        }
    }

    /// Serve other bytes of the same length (the last byte changed) under the current target
    /// `name`'s hash-prefixed path: a target whose hash does not match what targets lists, so
    /// only a client that checks the hash, not just the length, refuses it (TUF §5.7.3).
    /// `publish` restores it.
    pub fn tamper_target(&self, name: &str) -> Result<(), TestbedError> {
        let mut g = self.lock();
        let content = g
            .targets
            .get(name)
            .ok_or_else(|| TestbedError::Config(format!("no target {name:?}")))?;
        let path = format!("targets/{}.{name}", hex::encode(crypto::sha256(content)));
        let mut bad = content.clone();
        match bad.last_mut() {
            Some(b) => *b ^= 0x01,
            None => bad.push(b' '),
        }
        self.put(&mut g, &path, bad)
    }

    /// Endless data: serve the current `timestamp.json` followed by whitespace up to `bytes`
    /// (its signature still verifies over `signed`), so a client must stop reading at its
    /// length limit (TUF §5.3.1 / §5.4.1: timestamp's length is unknown, so an upper bound
    /// is the client's). `publish` restores it.
    pub fn endless_timestamp(&self, bytes: u64) -> Result<(), TestbedError> {
        if bytes > ENDLESS_MAX_BYTES {
            return Err(TestbedError::Config(format!(
                "{bytes} bytes is over the {ENDLESS_MAX_BYTES}-byte limit"
            )));
        }
        let mut g = self.lock();
        let mut padded = g
            .files
            .get("timestamp.json")
            .map(|b| b.as_slice().to_vec())
            .ok_or_else(|| TestbedError::State("timestamp.json is not published".into()))?;
        let want = usize::try_from(bytes).unwrap_or(usize::MAX);
        if padded.len() < want {
            padded.resize(want, b' ');
        }
        self.put(&mut g, "timestamp.json", padded)
    }

    fn timestamp_history(&self, version: u64) -> PathBuf {
        self.dir
            .join("state/tuf-timestamps")
            .join(format!("{version}.timestamp.json"))
    }

    /// Sign `signed` with `keys` into a metadata file's bytes.
    fn sign(signed: &Value, keys: &[&RoleKey]) -> Result<Vec<u8>, TestbedError> {
        let bytes = canonical(signed)?;
        let mut seen = Vec::new();
        let signatures: Vec<Value> = keys
            .iter()
            .filter(|k| {
                let fresh = !seen.contains(&k.id);
                seen.push(k.id.clone());
                fresh
            })
            .map(|k| k.sign(&bytes))
            .collect();
        let file = json!({"signatures": signatures, "signed": signed});
        let mut text = serde_json::to_vec_pretty(&file)
            .map_err(|e| TestbedError::State(format!("metadata: {e}")))?;
        text.push(b'\n');
        Ok(text)
    }

    /// Write a served file (disk first, then the map).
    fn put(&self, g: &mut Inner, name: &str, bytes: Vec<u8>) -> Result<(), TestbedError> {
        store::write_atomic(&self.dir.join("tuf").join(name), &bytes, false)?;
        g.files.insert(name.to_owned(), Arc::new(bytes));
        Ok(())
    }

    fn save_versions(&self, g: &Inner) -> Result<(), TestbedError> {
        let text = serde_json::to_vec_pretty(&g.versions)
            .map_err(|e| TestbedError::State(e.to_string()))?;
        store::write_atomic(&self.dir.join("state/tuf.json"), &text, false)
    }

    /// Publish root version highest+1 with the current keys, expiring at `expires`, signed by
    /// the current root keys and `also_signed_by` (the previous root keys, for a rotation).
    fn publish_root(
        &self,
        g: &mut Inner,
        expires: u64,
        also_signed_by: &[RoleKey],
    ) -> Result<(), TestbedError> {
        let version = g.versions.next(Role::Root);
        let mut keys = serde_json::Map::new();
        for k in g
            .root_keys
            .iter()
            .chain([&g.targets_key, &g.snapshot_key, &g.timestamp_key])
        {
            keys.insert(k.id.clone(), k.public.clone());
        }
        let role = |ks: &[&RoleKey]| json!({"keyids": ks.iter().map(|k| k.id.clone()).collect::<Vec<_>>(), "threshold": 1});
        let root_ids: Vec<&RoleKey> = g.root_keys.iter().collect();
        let signed = json!({
            "_type": "root",
            "spec_version": SPEC_VERSION,
            "version": version,
            "expires": expires_at(expires)?,
            "consistent_snapshot": true,
            "keys": keys,
            "roles": {
                "root": role(&root_ids),
                "targets": role(&[&g.targets_key]),
                "snapshot": role(&[&g.snapshot_key]),
                "timestamp": role(&[&g.timestamp_key]),
            },
        });
        let signers: Vec<&RoleKey> = g.root_keys.iter().chain(also_signed_by).collect();
        let bytes = Self::sign(&signed, &signers)?;
        self.put(g, &format!("{version}.root.json"), bytes.clone())?;
        self.put(g, "root.json", bytes)?;
        g.versions.root = version;
        self.save_versions(g)
    }

    /// Publish new versions from `from` up to the timestamp: `Targets` publishes targets, then a
    /// snapshot naming it, then a timestamp naming that; `Snapshot` starts at the snapshot (naming
    /// the current targets version); `Timestamp` publishes only a timestamp. `expired` makes that
    /// one role's `expires` the given (past) time.
    fn publish_chain(
        &self,
        g: &mut Inner,
        from: Role,
        expired: Option<(Role, u64)>,
    ) -> Result<(), TestbedError> {
        let now = crypto::now_unix();
        let expiry = |role: Role, lifetime: u64| match expired {
            Some((r, at)) if r == role => at,
            _ => now + lifetime,
        };
        if from == Role::Targets {
            let version = g.versions.next(Role::Targets);
            let mut listed = serde_json::Map::new();
            let mut blobs = Vec::new();
            for (name, content) in &g.targets {
                let digest = hex::encode(crypto::sha256(content));
                listed.insert(
                    name.clone(),
                    json!({"length": content.len(), "hashes": {"sha256": digest}}),
                );
                blobs.push((format!("targets/{digest}.{name}"), content.clone()));
            }
            let signed = json!({
                "_type": "targets",
                "spec_version": SPEC_VERSION,
                "version": version,
                "expires": expires_at(expiry(Role::Targets, TARGETS_LIFETIME))?,
                "targets": listed,
            });
            let bytes = Self::sign(&signed, &[&g.targets_key])?;
            for (path, content) in blobs {
                self.put(g, &path, content)?;
            }
            self.put(g, &format!("{version}.targets.json"), bytes)?;
            g.versions.targets = version;
        }
        if matches!(from, Role::Targets | Role::Snapshot) {
            let version = g.versions.next(Role::Snapshot);
            let targets_name = format!("{}.targets.json", g.versions.targets);
            let signed = json!({
                "_type": "snapshot",
                "spec_version": SPEC_VERSION,
                "version": version,
                "expires": expires_at(expiry(Role::Snapshot, SNAPSHOT_LIFETIME))?,
                "meta": {"targets.json": self.meta(g, &targets_name, g.versions.targets)?},
            });
            let bytes = Self::sign(&signed, &[&g.snapshot_key])?;
            self.put(g, &format!("{version}.snapshot.json"), bytes)?;
            g.versions.snapshot = version;
        }
        let version = g.versions.next(Role::Timestamp);
        let snapshot_name = format!("{}.snapshot.json", g.versions.snapshot);
        let signed = json!({
            "_type": "timestamp",
            "spec_version": SPEC_VERSION,
            "version": version,
            "expires": expires_at(expiry(Role::Timestamp, TIMESTAMP_LIFETIME))?,
            "meta": {"snapshot.json": self.meta(g, &snapshot_name, g.versions.snapshot)?},
        });
        let bytes = Self::sign(&signed, &[&g.timestamp_key])?;
        store::write_atomic(&self.timestamp_history(version), &bytes, false)?;
        self.put(g, "timestamp.json", bytes)?;
        g.versions.timestamp = version;
        self.save_versions(g)
    }

    /// `{"version", "length", "hashes": {"sha256"}}` of a served metadata file.
    fn meta(&self, g: &Inner, name: &str, version: u64) -> Result<Value, TestbedError> {
        let bytes = g
            .files
            .get(name)
            .ok_or_else(|| TestbedError::State(format!("{name} is not published")))?;
        Ok(json!({
            "version": version,
            "length": bytes.len(),
            "hashes": {"sha256": hex::encode(crypto::sha256(bytes))},
        }))
    }

    /// Load the served files from `DIR/tuf/` after a restart.
    fn load_files(&self, g: &mut Inner) -> Result<(), TestbedError> {
        let repo = self.dir.join("tuf");
        for sub in ["", "targets/"] {
            let d = repo.join(sub);
            for entry in fs::read_dir(&d).map_err(io_err(&d))? {
                let entry = entry.map_err(io_err(&d))?;
                let name = format!("{sub}{}", entry.file_name().to_string_lossy());
                let is_file = entry.file_type().map_err(io_err(&d))?.is_file();
                if is_file && safe_name(&name) && !name.ends_with(".tmp") {
                    let path = entry.path();
                    let bytes = fs::read(&path).map_err(io_err(&path))?;
                    g.files.insert(name, Arc::new(bytes));
                }
            }
        }
        for role in [Role::Root, Role::Targets, Role::Snapshot] {
            let v = match role {
                Role::Root => g.versions.root,
                Role::Targets => g.versions.targets,
                _ => g.versions.snapshot,
            };
            let name = format!("{v}.{role}.json");
            if !g.files.contains_key(&name) {
                return Err(TestbedError::State(format!(
                    "{} names {name}, which is missing from {}",
                    self.dir.join("state/tuf.json").display(),
                    repo.display()
                )));
            }
        }
        if !g.files.contains_key("timestamp.json") {
            return Err(TestbedError::State(format!(
                "{} has no timestamp.json",
                repo.display()
            )));
        }
        Ok(())
    }

    /// The `signed` part of the current file of `role`.
    fn current_signed(&self, g: &Inner, role: Role) -> Result<Value, TestbedError> {
        let name = match role {
            Role::Root => format!("{}.root.json", g.versions.root),
            Role::Targets => format!("{}.targets.json", g.versions.targets),
            Role::Snapshot => format!("{}.snapshot.json", g.versions.snapshot),
            Role::Timestamp => "timestamp.json".to_owned(),
        };
        let bytes = g
            .files
            .get(&name)
            .ok_or_else(|| TestbedError::State(format!("{name} is not published")))?;
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| TestbedError::State(format!("{name}: {e}")))?;
        v.get("signed")
            .cloned()
            .ok_or_else(|| TestbedError::State(format!("{name} has no signed part")))
    }

    fn current_expires(&self, g: &Inner, role: Role) -> Result<u64, TestbedError> {
        let signed = self.current_signed(g, role)?;
        signed
            .get("expires")
            .and_then(Value::as_str)
            .and_then(|s| der::DateTime::from_str(s).ok())
            .map(|d| d.unix_duration().as_secs())
            .ok_or_else(|| TestbedError::State(format!("current {role} has no valid expires")))
    }

    /// Target name → hex SHA-256, as the current targets role lists them.
    fn listed_targets(&self, g: &Inner) -> Result<BTreeMap<String, String>, TestbedError> {
        let signed = self.current_signed(g, Role::Targets)?;
        let mut out = BTreeMap::new();
        if let Some(map) = signed.get("targets").and_then(Value::as_object) {
            for (name, info) in map {
                let digest = info
                    .pointer("/hashes/sha256")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                out.insert(name.clone(), digest.to_owned());
            }
        }
        Ok(out)
    }
}

fn signed_u64(v: &Value, path: &[&str]) -> Result<u64, TestbedError> {
    let mut cur = v.get("signed");
    for p in path {
        cur = cur.and_then(|c| c.get(p));
    }
    cur.and_then(Value::as_u64)
        .ok_or_else(|| TestbedError::State(format!("metadata lacks signed.{}", path.join("."))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_is_olpc() {
        // Sorted keys, no whitespace, only `"` and `\` escaped (OLPC canonical JSON).
        let v = json!({"b": [1, true, null], "a": "x\"y\\z\n"});
        assert_eq!(
            canonical(&v).expect("canonical"),
            b"{\"a\":\"x\\\"y\\\\z\n\",\"b\":[1,true,null]}".to_vec()
        );
    }

    #[test]
    fn key_ids_are_the_hash_of_the_canonical_key() {
        let k = RoleKey::new(crypto::new_p256().expect("key")).expect("role key");
        assert_eq!(
            k.id,
            hex::encode(crypto::sha256(&canonical(&k.public).expect("canonical")))
        );
        assert_eq!(k.public["scheme"], "ecdsa-sha2-nistp256");
        assert!(
            k.public["keyval"]["public"]
                .as_str()
                .is_some_and(|p| p.starts_with("-----BEGIN PUBLIC KEY-----\n"))
        );
    }

    #[test]
    fn only_plain_names_are_served() {
        for ok in [
            "1.root.json",
            "timestamp.json",
            "targets/ab12.trusted_root.json",
        ] {
            assert!(safe_name(ok), "{ok}");
        }
        for bad in [
            "",
            "../state/tuf.json",
            "targets/../x",
            ".hidden",
            "targets/",
            "targets/.x",
            "a/b.json",
            "x%2e.json",
        ] {
            assert!(!safe_name(bad), "{bad}");
        }
    }

    #[test]
    fn roles_parse_by_name_only() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().expect("parses"), r);
        }
        assert!("Root".parse::<Role>().is_err());
        assert!("mirrors".parse::<Role>().is_err());
    }
}
