//! TUF metadata (TUF spec 1.0 §4): the signed envelope and the four top-level roles, as
//! python-tuf 7 writes them (`{"signed": {...}, "signatures": [{"keyid", "sig"}]}`).
//!
//! Parsing checks the shape the spec requires (the `_type`, a `spec_version` of major 1,
//! `version` ≥ 1, `expires` as `YYYY-MM-DDTHH:MM:SSZ`, the four roles in root with a threshold
//! ≥ 1 and unique key ids, hashes as hex) and keeps the canonical bytes of `signed`
//! ([`super::cjson`]) for the signature check. Unknown fields are ignored, as the spec asks
//! (§4.2 "implementations SHOULD ignore unrecognized fields"); they are still covered by the
//! signature. Pure: no I/O, no clock (expiry is compared against a time the caller gives).

use super::cjson;
use super::keys::{Key, KeyJson, SignatureJson, count_valid};
use serde::Deserialize;
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;

/// The four top-level roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleName {
    /// `root`.
    Root,
    /// `timestamp`.
    Timestamp,
    /// `snapshot`.
    Snapshot,
    /// `targets`.
    Targets,
}

impl RoleName {
    /// The role's name in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Timestamp => "timestamp",
            Self::Snapshot => "snapshot",
            Self::Targets => "targets",
        }
    }
}

impl std::fmt::Display for RoleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why metadata is not acceptable as such (the client adds version, expiry and hash checks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// Not JSON, or not the role's shape.
    #[error("{role} metadata is malformed: {detail}")]
    Malformed {
        /// Role.
        role: RoleName,
        /// What is wrong.
        detail: String,
    },
    /// Fewer valid signatures than the threshold.
    #[error(
        "{role} metadata has {valid} valid signature(s) from the {signer} role's keys, {threshold} required"
    )]
    Threshold {
        /// The role whose metadata it is.
        role: RoleName,
        /// Whose keys were counted (`root` for a new root checked by the old one).
        signer: String,
        /// Valid signatures found.
        valid: usize,
        /// Required.
        threshold: usize,
    },
}

/// A parsed envelope: the canonical bytes of `signed`, its JSON and the signatures.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// OLPC canonical JSON of `signed`: what the signatures cover.
    pub canonical: Vec<u8>,
    /// `signed`.
    pub signed: serde_json::Value,
    /// `signatures`.
    pub signatures: Vec<SignatureJson>,
}

#[derive(Deserialize)]
struct EnvelopeJson {
    signed: serde_json::Value,
    signatures: Vec<SignatureJson>,
}

impl Envelope {
    /// Parses the outer envelope of `role`'s metadata.
    pub fn parse(role: RoleName, bytes: &[u8]) -> Result<Self, MetadataError> {
        let bad = |detail: String| MetadataError::Malformed { role, detail };
        let e: EnvelopeJson = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        let canonical = cjson::encode(&e.signed).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            canonical,
            signed: e.signed,
            signatures: e.signatures,
        })
    }

    /// Checks that `role`'s keys in `root` reach its threshold over this envelope.
    pub fn verify_by(
        &self,
        root: &Root,
        signer: RoleName,
        role: RoleName,
    ) -> Result<(), MetadataError> {
        let r = root.role(signer);
        let valid = count_valid(&self.canonical, &self.signatures, &r.keyids, &root.keys);
        if valid >= r.threshold {
            Ok(())
        } else {
            Err(MetadataError::Threshold {
                role,
                signer: format!("{signer} (root v{})", root.common.version),
                valid,
                threshold: r.threshold,
            })
        }
    }
}

/// Fields every role has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// `version`.
    pub version: u64,
    /// `expires`, Unix seconds.
    pub expires: i64,
    /// `expires` as written.
    pub expires_text: String,
}

impl Common {
    /// Whether the metadata is expired at `now` (TUF spec §5.3.10: "expiration timestamp is
    /// less than or equal to the current time" is not allowed; python-tuf: `now >= expires`).
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires
    }
}

#[derive(Deserialize)]
struct CommonJson {
    #[serde(rename = "_type")]
    typ: String,
    spec_version: String,
    version: u64,
    expires: String,
}

fn common(role: RoleName, signed: &serde_json::Value) -> Result<Common, MetadataError> {
    let bad = |detail: String| MetadataError::Malformed { role, detail };
    let c = CommonJson::deserialize(signed).map_err(|e| bad(e.to_string()))?;
    if c.typ != role.as_str() {
        return Err(bad(format!("_type is {:?}, expected {role:?}", c.typ)));
    }
    // python-tuf: "major.minor[.patch]" with major 1 (SPECIFICATION_VERSION 1.0.x).
    let parts: Vec<&str> = c.spec_version.split('.').collect();
    if !(2..=3).contains(&parts.len()) || parts[0] != "1" {
        return Err(bad(format!(
            "unsupported spec_version {:?}",
            c.spec_version
        )));
    }
    if c.version == 0 {
        return Err(bad("version must be at least 1".into()));
    }
    let expires = parse_expires(&c.expires).ok_or_else(|| {
        bad(format!(
            "expires {:?} is not YYYY-MM-DDTHH:MM:SSZ",
            c.expires
        ))
    })?;
    Ok(Common {
        version: c.version,
        expires,
        expires_text: c.expires,
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly (python-tuf's `strptime` format).
fn parse_expires(s: &str) -> Option<i64> {
    if s.len() != 20 {
        return None;
    }
    crate::trust::parse_rfc3339(s)
}

/// A role entry of root: its keys and threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKeys {
    /// Key ids.
    pub keyids: Vec<String>,
    /// Signatures required.
    pub threshold: usize,
}

#[derive(Deserialize)]
struct RoleJson {
    keyids: Vec<String>,
    threshold: u64,
}

/// Root metadata (§4.3).
#[derive(Debug, Clone)]
pub struct Root {
    /// Version and expiry.
    pub common: Common,
    /// `consistent_snapshot` (absent: false, as python-tuf).
    pub consistent_snapshot: bool,
    /// Keys by id.
    pub keys: BTreeMap<String, Key>,
    /// The four roles.
    pub roles: BTreeMap<RoleName, RoleKeys>,
}

#[derive(Deserialize)]
struct RootJson {
    #[serde(default)]
    consistent_snapshot: Option<bool>,
    keys: BTreeMap<String, KeyJson>,
    roles: BTreeMap<String, RoleJson>,
}

impl Root {
    /// Parses root's `signed`.
    pub fn from_signed(signed: &serde_json::Value) -> Result<Self, MetadataError> {
        let role = RoleName::Root;
        let bad = |detail: String| MetadataError::Malformed { role, detail };
        let common = common(role, signed)?;
        let r = RootJson::deserialize(signed).map_err(|e| bad(e.to_string()))?;
        let mut keys = BTreeMap::new();
        for (id, k) in &r.keys {
            let key = Key::from_json(k).map_err(|e| bad(format!("key {id}: {e}")))?;
            keys.insert(id.clone(), key);
        }
        let mut roles = BTreeMap::new();
        for name in [
            RoleName::Root,
            RoleName::Timestamp,
            RoleName::Snapshot,
            RoleName::Targets,
        ] {
            let rj = r
                .roles
                .get(name.as_str())
                .ok_or_else(|| bad(format!("no {name} role")))?;
            if rj.threshold < 1 {
                return Err(bad(format!("the {name} role's threshold is 0")));
            }
            let mut ids = rj.keyids.clone();
            ids.sort();
            ids.dedup();
            if ids.len() != rj.keyids.len() {
                return Err(bad(format!("the {name} role lists a key id twice")));
            }
            if let Some(id) = rj.keyids.iter().find(|id| !keys.contains_key(*id)) {
                return Err(bad(format!("the {name} role names unknown key {id}")));
            }
            roles.insert(
                name,
                RoleKeys {
                    keyids: rj.keyids.clone(),
                    threshold: usize::try_from(rj.threshold).unwrap_or(usize::MAX),
                },
            );
        }
        Ok(Self {
            common,
            consistent_snapshot: r.consistent_snapshot.unwrap_or(false),
            keys,
            roles,
        })
    }

    /// A role's keys (all four exist: [`Root::from_signed`]).
    pub fn role(&self, name: RoleName) -> &RoleKeys {
        static NONE: RoleKeys = RoleKeys {
            keyids: Vec::new(),
            threshold: usize::MAX,
        };
        self.roles.get(&name).unwrap_or(&NONE)
    }
}

/// Hashes of a file by algorithm name, decoded from hex.
pub type Hashes = BTreeMap<String, Vec<u8>>;

/// A file's expected version, length and hashes (`METAFILES`, §4.4) or length and hashes
/// (`TARGETS`, §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// `version` (metadata files only).
    pub version: Option<u64>,
    /// `length`.
    pub length: Option<u64>,
    /// `hashes`.
    pub hashes: Hashes,
}

#[derive(Deserialize)]
struct FileInfoJson {
    #[serde(default)]
    version: Option<u64>,
    #[serde(default)]
    length: Option<u64>,
    #[serde(default)]
    hashes: Option<BTreeMap<String, String>>,
}

fn file_info(j: &FileInfoJson, what: &str) -> Result<FileInfo, String> {
    let mut hashes = BTreeMap::new();
    if let Some(h) = &j.hashes {
        if h.is_empty() {
            return Err(format!("{what}: empty hashes"));
        }
        for (alg, hex_digest) in h {
            let d =
                hex::decode(hex_digest).map_err(|_| format!("{what}: {alg} hash is not hex"))?;
            hashes.insert(alg.clone(), d);
        }
    }
    Ok(FileInfo {
        version: j.version,
        length: j.length,
        hashes,
    })
}

/// Why bytes do not match a [`FileInfo`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileMismatch {
    /// Length differs.
    #[error("its length is {got} bytes, the metadata says {want}")]
    Length {
        /// Received.
        got: u64,
        /// Expected.
        want: u64,
    },
    /// A hash differs.
    #[error("its {alg} hash differs from the metadata's")]
    Hash {
        /// Algorithm.
        alg: String,
    },
    /// A hash algorithm gitseal does not compute (fail closed).
    #[error("the metadata names hash algorithm {alg:?}, which gitseal does not support")]
    UnknownHash {
        /// Algorithm.
        alg: String,
    },
}

impl FileInfo {
    /// Checks `bytes` against the length and every hash given (TUF spec §5.5.2, §5.7.3).
    pub fn check(&self, bytes: &[u8]) -> Result<(), FileMismatch> {
        if let Some(want) = self.length
            && bytes.len() as u64 != want
        {
            return Err(FileMismatch::Length {
                got: bytes.len() as u64,
                want,
            });
        }
        for (alg, want) in &self.hashes {
            let got = match alg.as_str() {
                "sha256" => Sha256::digest(bytes).to_vec(),
                "sha512" => Sha512::digest(bytes).to_vec(),
                _ => return Err(FileMismatch::UnknownHash { alg: alg.clone() }),
            };
            if &got != want {
                return Err(FileMismatch::Hash { alg: alg.clone() });
            }
        }
        Ok(())
    }
}

/// Timestamp metadata (§4.6): the snapshot's file info.
#[derive(Debug, Clone)]
pub struct Timestamp {
    /// Version and expiry.
    pub common: Common,
    /// `meta["snapshot.json"]`.
    pub snapshot: FileInfo,
}

#[derive(Deserialize)]
struct MetaJson {
    meta: BTreeMap<String, FileInfoJson>,
}

impl Timestamp {
    /// Parses timestamp's `signed`.
    pub fn from_signed(signed: &serde_json::Value) -> Result<Self, MetadataError> {
        let role = RoleName::Timestamp;
        let bad = |detail: String| MetadataError::Malformed { role, detail };
        let common = common(role, signed)?;
        let m = MetaJson::deserialize(signed).map_err(|e| bad(e.to_string()))?;
        let j = m
            .meta
            .get("snapshot.json")
            .ok_or_else(|| bad("no meta for snapshot.json".into()))?;
        let snapshot = file_info(j, "snapshot.json").map_err(bad)?;
        if snapshot.version.is_none_or(|v| v == 0) {
            return Err(bad("snapshot.json has no version".into()));
        }
        Ok(Self { common, snapshot })
    }
}

/// Snapshot metadata (§4.4): every targets metadata file's version.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Version and expiry.
    pub common: Common,
    /// `meta`, by file name (`targets.json`, delegated roles' files).
    pub meta: BTreeMap<String, FileInfo>,
}

impl Snapshot {
    /// Parses snapshot's `signed`.
    pub fn from_signed(signed: &serde_json::Value) -> Result<Self, MetadataError> {
        let role = RoleName::Snapshot;
        let bad = |detail: String| MetadataError::Malformed { role, detail };
        let common = common(role, signed)?;
        let m = MetaJson::deserialize(signed).map_err(|e| bad(e.to_string()))?;
        let mut meta = BTreeMap::new();
        for (name, j) in &m.meta {
            let fi = file_info(j, name).map_err(bad)?;
            if fi.version.is_none_or(|v| v == 0) {
                return Err(bad(format!("{name} has no version")));
            }
            meta.insert(name.clone(), fi);
        }
        if !meta.contains_key("targets.json") {
            return Err(bad("no meta for targets.json".into()));
        }
        Ok(Self { common, meta })
    }

    /// The version of a listed file.
    pub fn version_of(&self, name: &str) -> Option<u64> {
        self.meta.get(name).and_then(|f| f.version)
    }
}

/// Targets metadata (§4.5).
#[derive(Debug, Clone)]
pub struct Targets {
    /// Version and expiry.
    pub common: Common,
    /// Target files by path.
    pub targets: BTreeMap<String, FileInfo>,
    /// Names of delegated roles (not followed: [`super::client`]).
    pub delegated_roles: Vec<String>,
}

#[derive(Deserialize)]
struct TargetsJson {
    targets: BTreeMap<String, FileInfoJson>,
    #[serde(default)]
    delegations: Option<DelegationsJson>,
}

#[derive(Deserialize)]
struct DelegationsJson {
    #[serde(default)]
    roles: Vec<DelegatedRoleJson>,
}

#[derive(Deserialize)]
struct DelegatedRoleJson {
    name: String,
}

impl Targets {
    /// Parses targets' `signed`.
    pub fn from_signed(signed: &serde_json::Value) -> Result<Self, MetadataError> {
        let role = RoleName::Targets;
        let bad = |detail: String| MetadataError::Malformed { role, detail };
        let common = common(role, signed)?;
        let t = TargetsJson::deserialize(signed).map_err(|e| bad(e.to_string()))?;
        let mut targets = BTreeMap::new();
        for (path, j) in &t.targets {
            let fi = file_info(j, path).map_err(bad)?;
            // A target file needs both (§4.5 TARGETS: LENGTH and HASHES are required).
            if fi.length.is_none() || fi.hashes.is_empty() {
                return Err(bad(format!("target {path} lacks a length or hashes")));
            }
            targets.insert(path.clone(), fi);
        }
        Ok(Self {
            common,
            targets,
            delegated_roles: t
                .delegations
                .map(|d| d.roles.into_iter().map(|r| r.name).collect())
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded public-good root (v15, 3 of 5 P-256 keys) verifies against itself: proves
    /// the canonical form and the ECDSA key handling on Sigstore's real bytes.
    #[test]
    fn public_good_root_is_self_signed() {
        let bytes = super::super::PUBLIC_GOOD_ROOT.as_bytes();
        let env = Envelope::parse(RoleName::Root, bytes).unwrap();
        let root = Root::from_signed(&env.signed).unwrap();
        assert_eq!(root.common.version, 15);
        assert!(root.consistent_snapshot);
        assert_eq!(root.role(RoleName::Root).threshold, 3);
        env.verify_by(&root, RoleName::Root, RoleName::Root)
            .unwrap();
        assert_eq!(
            count_valid(
                &env.canonical,
                &env.signatures,
                &root.role(RoleName::Root).keyids,
                &root.keys
            ),
            5
        );
        // One changed byte in `signed` and no signature holds.
        let tampered = String::from_utf8(bytes.to_vec()).unwrap().replacen(
            "\"version\": 15",
            "\"version\": 16",
            1,
        );
        let env2 = Envelope::parse(RoleName::Root, tampered.as_bytes()).unwrap();
        let err = env2
            .verify_by(&root, RoleName::Root, RoleName::Root)
            .unwrap_err();
        assert!(err.to_string().contains("0 valid signature"), "{err}");
    }

    #[test]
    fn shape_checks() {
        let root = |extra: &str| {
            format!(
                r#"{{"_type":"root","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","keys":{{}},"roles":{{{extra}}}}}"#
            )
        };
        let v: serde_json::Value = serde_json::from_str(&root("")).unwrap();
        assert!(
            Root::from_signed(&v)
                .unwrap_err()
                .to_string()
                .contains("no root role")
        );
        let v: serde_json::Value =
            serde_json::from_str(&root("").replace("\"_type\":\"root\"", "\"_type\":\"targets\""))
                .unwrap();
        assert!(
            Root::from_signed(&v)
                .unwrap_err()
                .to_string()
                .contains("_type")
        );
        let v: serde_json::Value =
            serde_json::from_str(&root("").replace("1.0.31", "2.0.0")).unwrap();
        assert!(
            Root::from_signed(&v)
                .unwrap_err()
                .to_string()
                .contains("spec_version")
        );
        let v: serde_json::Value = serde_json::from_str(
            &root("").replace("2030-01-01T00:00:00Z", "2030-01-01T00:00:00.5Z"),
        )
        .unwrap();
        assert!(
            Root::from_signed(&v)
                .unwrap_err()
                .to_string()
                .contains("expires")
        );
    }

    #[test]
    fn file_info_checks() {
        let fi = FileInfo {
            version: None,
            length: Some(3),
            hashes: [("sha256".to_string(), Sha256::digest(b"abc").to_vec())]
                .into_iter()
                .collect(),
        };
        assert_eq!(fi.check(b"abc"), Ok(()));
        assert!(matches!(
            fi.check(b"abcd"),
            Err(FileMismatch::Length { .. })
        ));
        assert!(matches!(fi.check(b"abd"), Err(FileMismatch::Hash { .. })));
        let odd = FileInfo {
            hashes: [("md5".to_string(), vec![0])].into_iter().collect(),
            ..fi
        };
        assert!(matches!(
            odd.check(b"abc"),
            Err(FileMismatch::UnknownHash { .. })
        ));
    }
}
