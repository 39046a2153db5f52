//! On-disk state of a testbed directory, so a restart keeps its keys, CA certificates and log.
//!
//! Layout under `DIR/state/` (all written by this module only):
//!
//! | file | what |
//! |---|---|
//! | `state.json` | creation time, Rekor tree id and shard offset |
//! | `keys/{root,intermediate}.key.pem` | Fulcio CA keys, P-384, PKCS#8 PEM, mode 0600 |
//! | `keys/{ctlog,rekor,oidc}.key.pem` | CT log, Rekor and OIDC signing keys, P-256, PKCS#8 PEM, mode 0600 |
//! | `fulcio-root.crt.pem`, `fulcio-intermediate.crt.pem` | the CA certificates |
//! | `rekor-log.jsonl` | the append-only Rekor log: one `{"body":"<b64>","integratedTime":N}` line per entry |
//! | `rekor-v2-log.jsonl`, `keys/rekor-v2.key.pem` | the Rekor v2 log (same line format, time 0) and its Ed25519 key |
//!
//! Log appends are flushed and `fsync`ed before the entry is acknowledged, so a crash loses no
//! acknowledged entry; a torn last line from a crash mid-write is dropped (and cut off) on load.
//! This module reads and writes bytes; it does not decide what a key or an entry means, and it
//! never logs key material.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};

use super::TestbedError;

/// Persistent facts about the instance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct State {
    /// Layout version of the directory.
    pub format_version: u32,
    /// Unix seconds when the keys were made (trust material is valid from a day before).
    pub created_at: u64,
    /// Rekor tree id, decimal (the checkpoint origin's digits and the 16-hex UUID prefix).
    pub tree_id: String,
    /// Added to the shard-local index to give Rekor's global `logIndex`.
    pub shard_offset: u64,
}

/// One persisted log entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEntry {
    /// Canonical hashedrekord body, base64.
    pub body: String,
    /// Unix seconds.
    pub integrated_time: i64,
}

/// A testbed state directory.
pub struct Store {
    dir: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TestbedError + '_ {
    move |source| TestbedError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Store {
    /// Open (creating) `root/state`.
    pub fn open(root: &Path) -> Result<Store, TestbedError> {
        let dir = root.join("state");
        fs::create_dir_all(dir.join("keys")).map_err(io_err(&dir))?;
        Ok(Store { dir })
    }

    /// Path of a file in the state directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Load `state.json`, or create it with `make` when absent.
    pub fn load_or_init_state(
        &self,
        make: impl FnOnce() -> Result<State, TestbedError>,
    ) -> Result<(State, bool), TestbedError> {
        let path = self.path("state.json");
        if path.exists() {
            let text = fs::read_to_string(&path).map_err(io_err(&path))?;
            let state: State = serde_json::from_str(&text).map_err(|e| {
                TestbedError::State(format!("{} is not valid: {e}", path.display()))
            })?;
            if state.format_version != 1 {
                return Err(TestbedError::State(format!(
                    "{} has unsupported formatVersion {}",
                    path.display(),
                    state.format_version
                )));
            }
            return Ok((state, false));
        }
        let state = make()?;
        let text =
            serde_json::to_string_pretty(&state).map_err(|e| TestbedError::State(e.to_string()))?;
        write_atomic(&path, text.as_bytes(), false)?;
        Ok((state, true))
    }

    /// Load a P-256 key, or generate and save one. The bool says whether it was created.
    pub fn p256_key(&self, name: &str) -> Result<(p256::ecdsa::SigningKey, bool), TestbedError> {
        let path = self.path(&format!("keys/{name}.key.pem"));
        if path.exists() {
            let pem = fs::read_to_string(&path).map_err(io_err(&path))?;
            let key = p256::ecdsa::SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                TestbedError::State(format!("{}: not a P-256 PKCS#8 key: {e}", path.display()))
            })?;
            return Ok((key, false));
        }
        let key = super::crypto::new_p256()?;
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| TestbedError::Crypto(e.to_string()))?;
        write_atomic(&path, pem.as_bytes(), true)?;
        Ok((key, true))
    }

    /// Load a P-384 key, or generate and save one. The bool says whether it was created.
    pub fn p384_key(&self, name: &str) -> Result<(p384::ecdsa::SigningKey, bool), TestbedError> {
        let path = self.path(&format!("keys/{name}.key.pem"));
        if path.exists() {
            let pem = fs::read_to_string(&path).map_err(io_err(&path))?;
            let key = p384::ecdsa::SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                TestbedError::State(format!("{}: not a P-384 PKCS#8 key: {e}", path.display()))
            })?;
            return Ok((key, false));
        }
        let key = super::crypto::new_p384()?;
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| TestbedError::Crypto(e.to_string()))?;
        write_atomic(&path, pem.as_bytes(), true)?;
        Ok((key, true))
    }

    /// Read a text file in the state directory if it exists.
    pub fn read_optional(&self, name: &str) -> Result<Option<String>, TestbedError> {
        let path = self.path(name);
        match fs::read_to_string(&path) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// Write a (public) file in the state directory.
    pub fn write(&self, name: &str, data: &[u8]) -> Result<(), TestbedError> {
        write_atomic(&self.path(name), data, false)
    }

    /// Read every entry of the log and open it for appending.
    pub fn open_log(&self) -> Result<(Vec<StoredEntry>, LogFile), TestbedError> {
        self.open_log_named("rekor-log.jsonl")
    }

    /// [`Store::open_log`] for the log file `name` (the Rekor v2 log has its own).
    pub fn open_log_named(&self, name: &str) -> Result<(Vec<StoredEntry>, LogFile), TestbedError> {
        let path = self.path(name);
        let mut entries = Vec::new();
        let mut good_len: u64 = 0;
        if path.exists() {
            let f = File::open(&path).map_err(io_err(&path))?;
            let mut reader = BufReader::new(f);
            let mut line = String::new();
            let mut line_no = 0usize;
            loop {
                line.clear();
                let n = reader.read_line(&mut line).map_err(io_err(&path))?;
                if n == 0 {
                    break;
                }
                line_no += 1;
                let complete = line.ends_with('\n');
                match serde_json::from_str::<StoredEntry>(line.trim_end()) {
                    Ok(e) if complete && B64.decode(&e.body).is_ok() => {
                        entries.push(e);
                        good_len += n as u64;
                    }
                    _ if !complete => break, // torn final write: dropped below
                    _ => {
                        return Err(TestbedError::State(format!(
                            "{} line {line_no} is corrupt",
                            path.display()
                        )));
                    }
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        // Cut a torn tail so the next append starts on a fresh line.
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len != good_len {
            file.set_len(good_len).map_err(io_err(&path))?;
        }
        Ok((entries, LogFile { file, path }))
    }
}

/// The append side of the log.
pub struct LogFile {
    file: File,
    path: PathBuf,
}

impl LogFile {
    /// Append one entry durably.
    pub fn append(&mut self, entry: &StoredEntry) -> Result<(), TestbedError> {
        let mut line =
            serde_json::to_string(entry).map_err(|e| TestbedError::State(e.to_string()))?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .and_then(|()| self.file.sync_data())
            .map_err(io_err(&self.path))
    }
}

/// Write `data` to `path` through a temporary file and a rename, so readers (and a test waiting
/// for the `env` file) never see a half-written file.
pub fn write_atomic(path: &Path, data: &[u8], private: bool) -> Result<(), TestbedError> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
        f.write_all(data)
            .and_then(|()| f.sync_all())
            .map_err(io_err(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(io_err(path))
}
