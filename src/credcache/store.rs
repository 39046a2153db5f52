//! Where cache entries live: the OS secret store through the keyring ecosystem's native stores
//! ([`Keyring`]: Linux kernel keyutils, macOS Keychain, Windows Credential Manager; never a
//! D-Bus store, never keyring's mock store), else a 0600 file in a private `$XDG_RUNTIME_DIR`
//! ([`FileStore`]); and the cross-process [`Lock`] that lets concurrent signers share one login.
//!
//! This module moves opaque bytes (already encoded by [`super::encode`]); it must not interpret
//! them, and must never write them anywhere but the secret store or the runtime directory
//! (never under HOME: home directories are backed up, synced and kept for years).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use keyring_core::api::CredentialStore;
use zeroize::Zeroizing;

use super::{CacheKey, MAX_ENTRY, Mode};
use crate::clock::Clock;
use crate::config::Env;

/// The keyring service name every entry is filed under (the account is the [`CacheKey`] hex).
pub const SERVICE: &str = "gitseal-credential-cache";

/// A place entries can be kept.
pub enum Backend {
    /// The OS secret store.
    Keyring(Keyring),
    /// The runtime-directory file.
    File(FileStore),
}

impl Backend {
    /// The backend `mode` allows, trying the secret store before the file. `Err` says why
    /// there is none, in one line.
    pub fn open(mode: Mode, env: &Env) -> Result<Self, String> {
        match mode {
            Mode::Off => Err(format!(
                "disabled by {}",
                crate::config::table::CREDENTIAL_CACHE.names
            )),
            Mode::Keyring => Keyring::open().map(Self::Keyring),
            Mode::File => FileStore::open(env).map(Self::File),
            Mode::Auto => match Keyring::open() {
                Ok(k) => Ok(Self::Keyring(k)),
                Err(k) => FileStore::open(env)
                    .map(Self::File)
                    .map_err(|f| format!("{k}; {f}")),
            },
        }
    }

    /// For people: which store.
    pub fn name(&self) -> String {
        match self {
            Self::Keyring(k) => k.name.to_string(),
            Self::File(f) => format!("file {}", f.dir.display()),
        }
    }

    /// The entry, if there is one.
    pub fn get(&self, key: &CacheKey) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
        match self {
            Self::Keyring(k) => k.get(key),
            Self::File(f) => f.get(key),
        }
    }

    /// Stores `bytes`, to expire (where the store can) after `ttl` seconds.
    pub fn put(&self, key: &CacheKey, bytes: &[u8], ttl: i64) -> Result<(), String> {
        if bytes.len() > MAX_ENTRY {
            return Err(format!("the entry is over {MAX_ENTRY} bytes"));
        }
        match self {
            Self::Keyring(k) => k.put(key, bytes, ttl),
            Self::File(f) => f.put(key, bytes),
        }
    }

    /// Removes the entry (no entry is not an error).
    pub fn delete(&self, key: &CacheKey) -> Result<(), String> {
        match self {
            Self::Keyring(k) => k.delete(key),
            Self::File(f) => f.delete(key),
        }
    }
}

/// The OS secret store.
pub struct Keyring {
    store: Arc<CredentialStore>,
    name: &'static str,
}

#[cfg(target_os = "linux")]
fn native_store() -> keyring_core::Result<(Arc<CredentialStore>, &'static str)> {
    let s: Arc<CredentialStore> = linux_keyutils_keyring_store::Store::new()?;
    Ok((s, "kernel keyring (keyutils)"))
}

#[cfg(target_os = "macos")]
fn native_store() -> keyring_core::Result<(Arc<CredentialStore>, &'static str)> {
    let s: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok((s, "macOS Keychain"))
}

#[cfg(windows)]
fn native_store() -> keyring_core::Result<(Arc<CredentialStore>, &'static str)> {
    let s: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok((s, "Windows Credential Manager"))
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn native_store() -> keyring_core::Result<(Arc<CredentialStore>, &'static str)> {
    Err(keyring_core::Error::NotSupportedByStore(
        "no native secret store on this platform".into(),
    ))
}

impl Keyring {
    /// The platform's store, probed with a read (a container whose seccomp profile refuses
    /// `keyctl` fails here, not at the first signature).
    pub fn open() -> Result<Self, String> {
        let unavailable =
            |e: keyring_core::Error| format!("the OS secret store is unavailable ({e})");
        let (store, name) = native_store().map_err(unavailable)?;
        let k = Self { store, name };
        let probe =
            keyring_core::Entry::new_in_store(&k.store, SERVICE, "probe").map_err(unavailable)?;
        match probe.get_secret() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(k),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn entry(&self, key: &CacheKey) -> Result<keyring_core::Entry, String> {
        keyring_core::Entry::new_in_store(&self.store, SERVICE, &key.hex())
            .map_err(|e| e.to_string())
    }

    fn get(&self, key: &CacheKey) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
        match self.entry(key)?.get_secret() {
            Ok(b) => Ok(Some(Zeroizing::new(b))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn put(&self, key: &CacheKey, bytes: &[u8], ttl: i64) -> Result<(), String> {
        let entry = self.entry(key)?;
        entry.set_secret(bytes).map_err(|e| e.to_string())?;
        // An entry must never outlive its certificate: if the expiry cannot be set, remove it.
        if let Err(e) = set_expiry(key, ttl) {
            let _ = entry.delete_credential();
            return Err(e);
        }
        Ok(())
    }

    fn delete(&self, key: &CacheKey) -> Result<(), String> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The kernel expiry of the entry's key (keyctl_set_timeout(3)): the kernel removes it when
/// the certificate ends even if gitseal never runs again. The description is the one
/// linux-keyutils-keyring-store builds (`keyring:{user}@{service}`).
#[cfg(target_os = "linux")]
fn set_expiry(key: &CacheKey, ttl: i64) -> Result<(), String> {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    let secs = usize::try_from(ttl.max(1)).map_err(|e| e.to_string())?;
    let description = format!("keyring:{}@{SERVICE}", key.hex());
    KeyRing::from_special_id(KeyRingIdentifier::Session, false)
        .and_then(|ring| ring.search(&description))
        .and_then(|k| k.set_timeout(secs))
        .map_err(|e| format!("cannot set the kernel key expiry: {e:?}"))
}

/// Keychain and Credential Manager entries have no expiry; the entry is checked on every read
/// and deleted once the certificate is within [`super::MIN_REMAINING`] of its end.
#[cfg(not(target_os = "linux"))]
fn set_expiry(_key: &CacheKey, _ttl: i64) -> Result<(), String> {
    Ok(())
}

/// Entries as 0600 files in `$XDG_RUNTIME_DIR/gitseal` (a per-login tmpfs on systemd systems,
/// removed at logout).
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// Usable only when `$XDG_RUNTIME_DIR` is set, absolute, not under HOME, a real directory
    /// owned by us and closed to everyone else (mode 0700, as the XDG Base Directory spec
    /// requires of it).
    #[cfg(unix)]
    pub fn open(env: &Env) -> Result<Self, String> {
        use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
        let why = |d: String| format!("no private runtime directory for the file cache ({d})");
        let runtime = match env.get("XDG_RUNTIME_DIR") {
            Some(d) if Path::new(d).is_absolute() => PathBuf::from(d),
            Some(_) => return Err(why("XDG_RUNTIME_DIR is not absolute".into())),
            None => return Err(why("XDG_RUNTIME_DIR is not set".into())),
        };
        if let Some(home) = env.get("HOME").filter(|h| !h.is_empty())
            && runtime.starts_with(home)
        {
            return Err(why("XDG_RUNTIME_DIR is under HOME".into()));
        }
        let private = |p: &Path| -> Result<std::fs::Metadata, String> {
            let m = std::fs::symlink_metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if !m.is_dir() {
                return Err(format!("{} is not a directory", p.display()));
            }
            if m.mode() & 0o077 != 0 {
                return Err(format!(
                    "{} is open to others (mode {:o})",
                    p.display(),
                    m.mode() & 0o777
                ));
            }
            Ok(m)
        };
        let parent = private(&runtime).map_err(why)?;
        let dir = runtime.join("gitseal");
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(why(format!("{}: {e}", dir.display()))),
        }
        let own = private(&dir).map_err(why)?;
        // Who "we" are, without libc: the owner of a file we just created.
        let probe = dir.join(format!(".probe-{}", std::process::id()));
        let me = File::create(&probe)
            .and_then(|f| f.metadata())
            .map(|m| m.uid())
            .map_err(|e| why(format!("{}: {e}", dir.display())))?;
        let _ = std::fs::remove_file(&probe);
        if parent.uid() != me || own.uid() != me {
            return Err(why(format!("{} is not owned by us", runtime.display())));
        }
        Ok(Self { dir })
    }

    /// No file fallback off Unix (no owner/mode checks to rely on).
    #[cfg(not(unix))]
    pub fn open(_env: &Env) -> Result<Self, String> {
        Err("the file cache needs a Unix runtime directory".into())
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("cred-{}", key.hex()))
    }

    fn get(&self, key: &CacheKey) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
        let p = self.path(key);
        let m = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", p.display())),
        };
        if !m.is_file() || m.len() > MAX_ENTRY as u64 {
            return Err(format!("{} is not a cache entry", p.display()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            if m.mode() & 0o077 != 0 {
                return Err(format!("{} is open to others", p.display()));
            }
        }
        std::fs::read(&p)
            .map(|b| Some(Zeroizing::new(b)))
            .map_err(|e| format!("{}: {e}", p.display()))
    }

    /// Written to a new 0600 file, then renamed over the entry: a reader sees the old entry or
    /// the new one, never half of one.
    fn put(&self, key: &CacheKey, bytes: &[u8]) -> Result<(), String> {
        use std::io::Write as _;
        let p = self.path(key);
        let tmp = self
            .dir
            .join(format!(".cred-{}.{}.tmp", key.hex(), std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let written = opts
            .open(&tmp)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, &p));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("{}: {e}", p.display()));
        }
        Ok(())
    }

    fn delete(&self, key: &CacheKey) -> Result<(), String> {
        let p = self.path(key);
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("{}: {e}", p.display())),
        }
    }
}

/// Where the lock files go: the private runtime directory when there is one (the file
/// store's), else the user's cache directory (`GITSEAL_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/gitseal`, else `$HOME/.cache/gitseal`; under `locks/`). A lock file is empty: it holds no secret, so
/// HOME is fine for it; a shared directory such as /tmp is not (another user could hold it).
pub fn lock_dir(backend: &Backend, env: &Env) -> Option<PathBuf> {
    if let Backend::File(f) = backend {
        return Some(f.dir.clone());
    }
    if let Ok(f) = FileStore::open(env) {
        return Some(f.dir);
    }
    let absolute = |v: Option<&str>| v.filter(|d| Path::new(d).is_absolute()).map(PathBuf::from);
    if let Some(d) = absolute(env.get("GITSEAL_CACHE_DIR")) {
        return Some(d.join("locks"));
    }
    if let Some(d) = absolute(env.get("XDG_CACHE_HOME")) {
        return Some(d.join("gitseal").join("locks"));
    }
    absolute(env.get("HOME")).map(|h| h.join(".cache").join("gitseal").join("locks"))
}

/// An exclusive advisory lock on `lock-<key>` (flock(2) / LockFileEx through `File::lock`),
/// released when dropped (or when the process dies, so a crashed signer never wedges others).
pub struct Lock(#[allow(dead_code)] File);

/// How long a signer waits for another one's login before logging in itself: the browser
/// login's own timeout plus a margin.
pub const LOCK_WAIT: Duration = Duration::from_secs(150);

impl Lock {
    /// Takes the lock, waiting up to [`LOCK_WAIT`]; `None` when there is no lock directory or
    /// it cannot be used (signing then goes on unlocked: at worst two logins).
    pub fn acquire(dir: &Option<PathBuf>, key: &CacheKey, clock: &dyn Clock) -> Option<Self> {
        let dir = dir.as_ref()?;
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(dir).ok()?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("lock-{}", key.hex())))
            .ok()?;
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(Self(file)),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    clock.sleep(Duration::from_millis(50));
                }
                Err(_) => return None,
            }
        }
    }
}
