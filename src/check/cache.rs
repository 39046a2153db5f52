//! The on-disk cache of verified Rekor entries for online-mode signatures
//! (`<dir>/rekor-entries/<id[..2]>/<id[2..]>/<uuid>.json`), written atomically (a temporary
//! file, then a rename). It is evidence, not trust: [`super::lookup::Lookup`] re-verifies a
//! cached entry every time, against the current trust root, and looks up again one that no
//! longer verifies. It must not decide trust itself, print, or read configuration.

use crate::rekor::client::is_uuid;
use crate::rekor::entry::{InclusionProofJson, LogEntry, LogEntryAnon, VerificationJson};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why the cache could not store an entry.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// An id that cannot name a file.
    #[error("{0:?} is not an object id or entry UUID")]
    BadKey(String),
    /// The file system refused.
    #[error("cannot write the cache at {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A log entry as cached: which id string it logs and under which UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedEntry {
    /// The entry UUID.
    pub uuid: String,
    /// The object id string whose SHA-256 the entry logs.
    pub logged_id: String,
    /// The entry, with its body.
    pub entry: LogEntry,
}

#[derive(Serialize, Deserialize)]
struct CacheRecord {
    format: String,
    object: String,
    logged_id: String,
    entry: BTreeMap<String, LogEntryAnon>,
}

const CACHE_FORMAT: &str = "gitseal-rekor-entry-v1";

fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The REST shape of an entry (the inverse of [`LogEntry::from_anon`]), for the cache.
pub fn to_anon(e: &LogEntry) -> LogEntryAnon {
    LogEntryAnon {
        body: B64.encode(e.body.as_deref().unwrap_or_default()),
        integrated_time: e.integrated_time,
        log_id: hex::encode(e.log_id),
        log_index: i64::try_from(e.log_index).unwrap_or(i64::MAX),
        verification: Some(VerificationJson {
            inclusion_proof: e.inclusion_proof.as_ref().map(|p| InclusionProofJson {
                checkpoint: p.checkpoint.clone().unwrap_or_default(),
                hashes: p.hashes.iter().map(hex::encode).collect(),
                log_index: i64::try_from(p.log_index).unwrap_or(i64::MAX),
                root_hash: hex::encode(p.root_hash),
                tree_size: i64::try_from(p.tree_size).unwrap_or(i64::MAX),
            }),
            signed_entry_timestamp: e.signed_entry_timestamp.as_ref().map(|s| B64.encode(s)),
        }),
    }
}

/// Verified Rekor entries on disk: `<dir>/rekor-entries/<id[..2]>/<id[2..]>/<uuid>.json`.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn object_dir(&self, object_id: &str) -> Option<PathBuf> {
        is_object_id(object_id).then(|| {
            let id = object_id.to_ascii_lowercase();
            self.dir.join("rekor-entries").join(&id[..2]).join(&id[2..])
        })
    }

    /// Every readable entry cached for `object_id`, by UUID. Unreadable or foreign files are
    /// skipped: they are only a missed shortcut, never a verdict.
    pub fn entries(&self, object_id: &str) -> Vec<CachedEntry> {
        let Some(dir) = self.object_dir(object_id) else {
            return Vec::new();
        };
        let Ok(read) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut out: Vec<CachedEntry> = read
            .filter_map(Result::ok)
            .filter(|d| d.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|d| std::fs::read(d.path()).ok())
            .filter_map(|bytes| parse_record(&bytes, object_id))
            .collect();
        out.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        out
    }

    /// Stores a verified entry for `object_id`, atomically.
    pub fn store(&self, object_id: &str, e: &CachedEntry) -> Result<PathBuf, CacheError> {
        let dir = self
            .object_dir(object_id)
            .ok_or_else(|| CacheError::BadKey(object_id.into()))?;
        if !is_uuid(&e.uuid) {
            return Err(CacheError::BadKey(e.uuid.clone()));
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CacheError::Io { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let record = CacheRecord {
            format: CACHE_FORMAT.into(),
            object: object_id.to_ascii_lowercase(),
            logged_id: e.logged_id.clone(),
            entry: BTreeMap::from([(e.uuid.to_ascii_lowercase(), to_anon(&e.entry))]),
        };
        let json = serde_json::to_vec_pretty(&record).map_err(|err| CacheError::Io {
            path: dir.clone(),
            source: std::io::Error::other(err),
        })?;
        let path = dir.join(format!("{}.json", e.uuid.to_ascii_lowercase()));
        // Only a unique temporary name: the time decides nothing here.
        let nonce = crate::clock::Clock::now(&crate::clock::SystemClock)
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(
            ".{}.{}.{nonce}.tmp",
            e.uuid.to_ascii_lowercase(),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(source) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(CacheError::Io { path, source });
        }
        Ok(path)
    }
}

fn parse_record(bytes: &[u8], object_id: &str) -> Option<CachedEntry> {
    let r: CacheRecord = serde_json::from_slice(bytes).ok()?;
    if r.format != CACHE_FORMAT || !r.object.eq_ignore_ascii_case(object_id) {
        return None;
    }
    let mut it = r.entry.into_iter();
    let (uuid, anon) = it.next()?;
    if it.next().is_some() || !is_uuid(&uuid) {
        return None;
    }
    Some(CachedEntry {
        uuid,
        logged_id: r.logged_id,
        entry: LogEntry::from_anon(&anon).ok()?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use crate::rekor::entry::InclusionProof;

    pub(crate) fn entry() -> LogEntry {
        LogEntry {
            log_index: 1_000_004,
            log_id: [7; 32],
            kind: "hashedrekord".into(),
            version: "0.0.1".into(),
            integrated_time: 1_700_000_000,
            signed_entry_timestamp: Some(vec![1, 2, 3]),
            inclusion_proof: Some(InclusionProof {
                log_index: 4,
                root_hash: [9; 32],
                tree_size: 5,
                hashes: vec![[1; 32], [2; 32]],
                checkpoint: Some("origin\n5\nAAAA\n\n— x sig\n".into()),
            }),
            body: Some(br#"{"apiVersion":"0.0.1","kind":"hashedrekord"}"#.to_vec()),
        }
    }

    #[test]
    fn anon_round_trip() {
        let e = entry();
        assert_eq!(LogEntry::from_anon(&to_anon(&e)).unwrap(), e);
    }

    #[test]
    fn cache_round_trip_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let oid = "0123456789abcdef0123456789abcdef01234567";
        let uuid = "a".repeat(80);
        let c = CachedEntry {
            uuid: uuid.clone(),
            logged_id: oid.into(),
            entry: entry(),
        };
        let path = cache.store(oid, &c).unwrap();
        assert!(path.starts_with(dir.path().join("rekor-entries/01")));
        assert_eq!(cache.entries(oid), vec![c.clone()]);
        assert!(cache.entries(&"1".repeat(40)).is_empty());
        // Storing again replaces the file; no temporary files are left behind.
        cache.store(oid, &c).unwrap();
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|d| d.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(cache.store("../../etc", &c).is_err());
        let bad_uuid = CachedEntry {
            uuid: "../x".into(),
            ..c
        };
        assert!(cache.store(oid, &bad_uuid).is_err());
        // Garbage in the directory is ignored.
        std::fs::write(path.with_file_name("junk.json"), b"{").unwrap();
        assert_eq!(cache.entries(oid).len(), 1);
    }
}
