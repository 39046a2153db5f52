//! The credential cache (issue 12): one login per certificate lifetime instead of one per
//! signature, with no daemon.
//!
//! After an interactive or device login, the ephemeral P-256 key (PKCS#8) and the Fulcio leaf
//! are kept — never the chain (it comes from the trust root), never an ID or refresh token (a
//! token can mint certificates for any key; a key + leaf pair dies with the leaf, 10 minutes),
//! never anything from an ambient CI token (the CLI does not open a cache for those). The entry
//! is keyed by [`CacheKey`], a hash of everything that decides who the certificate speaks for
//! (Fulcio URL, OIDC issuer, client id, connector id, `user.email`), and lives in the OS secret
//! store ([`store::Keyring`]: kernel keyutils with the key's own kernel expiry, macOS Keychain,
//! Windows Credential Manager), else in a 0600 file under a private `$XDG_RUNTIME_DIR`
//! ([`store::FileStore`]), else nowhere (a login per signature, with one line saying why).
//!
//! On read, before use ([`check`]): the key matches the leaf, the leaf is for `user.email`,
//! chains to the trust root with the codeSigning EKU and carries a verified SCT
//! ([`crate::sign::check_issued_certificate`], the same check a fresh certificate gets), and
//! stays valid [`MIN_REMAINING`] seconds more; anything else is deleted and the user logs in.
//! A cross-process lock ([`store::Lock`]) around "read, else log in and store" makes two
//! concurrent `git commit -S` share one login.
//!
//! This module must not print (messages go to the sink it is handed), read the process
//! environment (it gets [`Env`]), or decide signing: [`crate::sign::sign_with_cache`] runs
//! every signing check on a cached credential exactly as on a fresh one, and every signature
//! still gets its own Rekor entry. Unlike gitsign's cache daemon (compat §8, §11.10) nothing
//! here is fatal: an unusable cache means a login, never a failed signature.

pub mod store;

use std::io::Write;

use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use sha2::{Digest as _, Sha256};
use spki::EncodePublicKey as _;
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::config::{ConfigError, Env, GitConfig};
use crate::fulcio::FulcioChain;
use crate::trust::TrustRoot;
use crate::x509::{Cert, San};
pub use store::{Backend, FileStore, Keyring, Lock};

/// A cached certificate is used only while it stays valid this many seconds more (clock skew,
/// the Rekor round trip; gitsign's cache client uses the same margin, compat §8).
pub const MIN_REMAINING: i64 = 30;

/// The largest entry stored: Windows Credential Manager's blob limit (CRED_MAX_CREDENTIAL_BLOB_SIZE,
/// 5 * 512 bytes). A P-256 PKCS#8 key and a Fulcio leaf take about 1 KiB.
pub const MAX_ENTRY: usize = 2560;

/// Format tag of an entry (the first bytes); a change of layout changes it.
const MAGIC: &[u8] = b"gitseal-credential-v1\0";

/// Whether and where to cache (`gitseal.credentialCache` < `GITSIGN_CREDENTIAL_CACHE` <
/// `GITSEAL_CREDENTIAL_CACHE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Never cache.
    Off,
    /// The OS secret store, else the runtime-directory file (the default).
    Auto,
    /// The OS secret store only.
    Keyring,
    /// The runtime-directory file only.
    File,
}

impl Mode {
    /// Reads the setting. Values: `true`/`yes`/`on`/`1`/`auto`/empty (the default, [`Mode::Auto`]),
    /// `false`/`no`/`off`/`0`, `keyring`, `file`. gitsign's `GITSIGN_CREDENTIAL_CACHE` holds its
    /// daemon's socket path: any value means "cache" ([`Mode::Auto`]), the path is ignored. Any
    /// other value is a configuration error (a typo must not silently change where keys go).
    pub fn resolve(git: &GitConfig, env: &Env) -> Result<Self, ConfigError> {
        let Some((name, value)) = crate::config::table::CREDENTIAL_CACHE.named(git, env) else {
            return Ok(Self::Auto);
        };
        if name == "GITSIGN_CREDENTIAL_CACHE" {
            return Ok(Self::Auto);
        }
        match value.to_ascii_lowercase().as_str() {
            "" | "auto" | "true" | "yes" | "on" | "1" => Ok(Self::Auto),
            "false" | "no" | "off" | "0" => Ok(Self::Off),
            "keyring" => Ok(Self::Keyring),
            "file" => Ok(Self::File),
            _ => Err(ConfigError::Invalid {
                key: name,
                detail: format!("{value:?} (expected true, false, keyring or file)"),
            }),
        }
    }
}

/// Who a cached certificate speaks for: everything that decides it.
#[derive(Clone, Copy, Debug)]
pub struct Identity<'a> {
    /// Fulcio base URL.
    pub fulcio_url: &'a str,
    /// OIDC issuer.
    pub issuer: &'a str,
    /// OIDC client id.
    pub client_id: &'a str,
    /// Dex connector id (may be empty).
    pub connector_id: &'a str,
    /// `user.email`, the committer the certificate must name.
    pub email: &'a str,
}

/// The entry's name: SHA-256 over the length-prefixed [`Identity`] fields, so no two
/// identities share an entry (no separator can be smuggled into a field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of `id`.
    pub fn new(id: &Identity<'_>) -> Self {
        let mut h = Sha256::new();
        h.update(b"gitseal credential cache v1\0");
        for field in [
            id.fulcio_url,
            id.issuer,
            id.client_id,
            id.connector_id,
            id.email,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        Self(h.finalize().into())
    }

    /// Lower-hex form (entry and file names).
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// Why a cache entry cannot be read or used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    /// Not an entry gitseal wrote.
    #[error("the entry is malformed: {0}")]
    Malformed(String),
    /// The private key is not the certificate's.
    #[error("its key does not match its certificate")]
    WrongKey,
    /// The certificate names someone else.
    #[error("the certificate is for {found}, not {want} (user.email)")]
    OtherIdentity {
        /// The certificate's email, or "no email".
        found: String,
        /// `user.email`.
        want: String,
    },
    /// Expired, or about to.
    #[error("the certificate expires in {remaining} s (at least {MIN_REMAINING} s are needed)")]
    Expiring {
        /// Seconds left (negative when expired).
        remaining: i64,
    },
    /// Not yet valid by our clock.
    #[error("the certificate is not valid yet")]
    NotYetValid,
    /// Chain, codeSigning or SCT check failed.
    #[error("the certificate does not verify against the trust root: {0}")]
    Untrusted(String),
}

/// A decoded entry: the key (zeroized on drop) and the leaf.
pub struct Credential {
    /// The ephemeral key.
    pub key: SigningKey,
    /// Fulcio leaf DER.
    pub leaf_der: Vec<u8>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("key", &"<redacted>")
            .field("leaf_der", &self.leaf_der.len())
            .finish()
    }
}

/// The entry bytes: [`MAGIC`], then the PKCS#8 DER key and the leaf DER, each with a 2-byte
/// big-endian length. The buffer zeroizes itself when dropped.
pub fn encode(key: &SigningKey, leaf_der: &[u8]) -> Result<Zeroizing<Vec<u8>>, Refusal> {
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|e| Refusal::Malformed(format!("cannot encode the key: {e}")))?;
    let k = pkcs8.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(
        MAGIC.len() + 4 + k.len() + leaf_der.len(),
    ));
    out.extend_from_slice(MAGIC);
    for part in [k, leaf_der] {
        let len = u16::try_from(part.len())
            .map_err(|_| Refusal::Malformed("a part is over 64 KiB".into()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part);
    }
    if out.len() > MAX_ENTRY {
        return Err(Refusal::Malformed(format!(
            "{} bytes, over the {MAX_ENTRY}-byte limit",
            out.len()
        )));
    }
    Ok(out)
}

/// Parses [`encode`]'s bytes (hostile input: anything in the store may have been written by
/// another program of the same user).
pub fn decode(bytes: &[u8]) -> Result<Credential, Refusal> {
    let bad = |d: &str| Refusal::Malformed(d.into());
    if bytes.len() > MAX_ENTRY {
        return Err(bad("too large"));
    }
    let mut rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("unknown format"))?;
    let mut part = || -> Result<&[u8], Refusal> {
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| bad("truncated"))?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(bad("truncated"));
        }
        let (p, tail) = tail.split_at(len);
        rest = tail;
        Ok(p)
    };
    let key_der = part()?;
    let leaf_der = part()?.to_vec();
    if !rest.is_empty() {
        return Err(bad("trailing bytes"));
    }
    let key =
        SigningKey::from_pkcs8_der(key_der).map_err(|_| bad("the key is not P-256 PKCS#8"))?;
    Ok(Credential { key, leaf_der })
}

/// A credential that passed [`check`].
pub struct Checked {
    /// The key.
    pub key: SigningKey,
    /// The leaf and the chain from the trust root (for `--include-certs`).
    pub chain: FulcioChain,
    /// The certificate's email.
    pub email: String,
    /// The certificate's OIDC issuer extension, if any.
    pub issuer: Option<String>,
    /// notAfter, Unix seconds.
    pub not_after: i64,
}

/// The checks before a cached credential is used (module docs): key ↔ leaf, the leaf names
/// `email`, it is valid now and [`MIN_REMAINING`] seconds more, and it passes the trust-root
/// check a fresh certificate gets ([`crate::sign::check_issued_certificate`]: chain to a
/// Fulcio CA of `trust`, codeSigning EKU, verified SCT).
pub fn check(
    cred: Credential,
    trust: &TrustRoot,
    email: &str,
    now: i64,
) -> Result<Checked, Refusal> {
    let leaf = Cert::from_der(&cred.leaf_der).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let found = key_and_identity(&cred.key, &leaf, email)?;
    if now < leaf.not_before - crate::sign::CLOCK_SKEW {
        return Err(Refusal::NotYetValid);
    }
    let remaining = leaf.not_after - now;
    if remaining < MIN_REMAINING {
        return Err(Refusal::Expiring { remaining });
    }
    let fulcio = FulcioChain {
        leaf_der: cred.leaf_der,
        chain_der: Vec::new(),
        detached_sct: None,
    };
    crate::sign::check_issued_certificate(&fulcio, trust, now).map_err(Refusal::Untrusted)?;
    let chain_der = trust_chain(&leaf, trust, now);
    Ok(Checked {
        key: cred.key,
        chain: FulcioChain {
            chain_der,
            ..fulcio
        },
        email: found,
        issuer: leaf.oidc_issuer().ok().flatten(),
        not_after: leaf.not_after,
    })
}

/// The CA certificates from the leaf's issuer up, as the trust root holds them (what Fulcio
/// would have returned as the chain).
fn trust_chain(leaf: &Cert, trust: &TrustRoot, now: i64) -> Vec<Vec<u8>> {
    let Ok(verified) = crate::verify::chain::verify(leaf, trust, now.min(leaf.not_after)) else {
        return Vec::new();
    };
    trust
        .certificate_authorities
        .iter()
        .find_map(|ca| {
            let i = ca.chain.iter().position(|c| c.der == verified.issuer.der)?;
            Some(ca.chain[i..].iter().map(|c| c.der.clone()).collect())
        })
        .unwrap_or_default()
}

/// "7 min" / "45 s": how long a certificate stays valid, for people.
pub fn remaining_text(seconds: i64) -> String {
    if seconds >= 60 {
        format!("{} min", seconds / 60)
    } else {
        format!("{} s", seconds.max(0))
    }
}

/// `2026-12-03T10:47:00Z`: a Unix time as RFC 3339 UTC ([`crate::clock::civil_from_days`]).
pub fn utc_text(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = crate::clock::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The cache as signing uses it ([`crate::sign::CredentialCache`]): one backend, one entry,
/// held under the cross-process lock from [`Cache::open`] until the fresh credential is stored
/// (or the cache is dropped, e.g. when the login fails).
pub struct Cache<'a> {
    backend: Backend,
    key: CacheKey,
    email: String,
    trust: &'a TrustRoot,
    clock: &'a dyn Clock,
    lock: Option<Lock>,
    out: Box<dyn Write + 'a>,
}

/// The prefix of every line the cache writes.
const TOOL: &str = "gitseal";

impl<'a> Cache<'a> {
    /// Opens the backend `mode` allows and takes the entry's lock. `Err` is the one line that
    /// says why there is no cache (the caller shows it and logs in for this signature).
    pub fn open(
        mode: Mode,
        id: &Identity<'_>,
        env: &Env,
        trust: &'a TrustRoot,
        clock: &'a dyn Clock,
        out: Box<dyn Write + 'a>,
    ) -> Result<Self, String> {
        if id.email.is_empty() {
            return Err("user.email is not set, and the cache is keyed by it".into());
        }
        let backend = Backend::open(mode, env)?;
        let key = CacheKey::new(id);
        let lock = Lock::acquire(&store::lock_dir(&backend, env), &key, clock);
        Ok(Self {
            backend,
            key,
            email: id.email.to_string(),
            trust,
            clock,
            lock,
            out,
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    fn say(&mut self, line: &str) {
        let _ = writeln!(self.out, "{TOOL}: {line}");
        let _ = self.out.flush();
    }
}

impl crate::sign::CredentialCache for Cache<'_> {
    fn load(&mut self) -> Option<(SigningKey, FulcioChain)> {
        let bytes = match self.backend.get(&self.key) {
            Ok(Some(b)) => b,
            Ok(None) => return None,
            Err(e) => {
                self.say(&format!(
                    "cannot read the credential cache ({}): {e}; logging in",
                    self.backend.name()
                ));
                return None;
            }
        };
        let now = self.clock.unix_now();
        match decode(&bytes).and_then(|c| check(c, self.trust, &self.email, now)) {
            Ok(c) => {
                let left = remaining_text(c.not_after - now);
                self.say(&format!(
                    "using the cached certificate for {} (valid {left} more)",
                    c.email
                ));
                // Nothing will be stored: other signers need not wait for this one's Rekor entry.
                self.lock = None;
                Some((c.key, c.chain))
            }
            Err(r) => {
                let _ = self.backend.delete(&self.key);
                // An entry that merely ran out is routine; anything else is worth a line.
                if !matches!(r, Refusal::Expiring { .. }) {
                    self.say(&format!(
                        "the cached certificate was not used: {r}; logging in"
                    ));
                }
                None
            }
        }
    }

    fn store(&mut self, key: &SigningKey, chain: &FulcioChain) {
        let now = self.clock.unix_now();
        let stored = Cert::from_der(&chain.leaf_der)
            .map_err(|e| e.to_string())
            .and_then(|leaf| {
                // Only a certificate that speaks for user.email is cached under its key; one
                // for another identity would be refused on every read.
                key_and_identity(key, &leaf, &self.email).map_err(|e| e.to_string())?;
                let bytes = encode(key, &chain.leaf_der).map_err(|e| e.to_string())?;
                let ttl = leaf.not_after - now;
                if ttl < MIN_REMAINING {
                    return Err("the certificate is about to expire".into());
                }
                self.backend.put(&self.key, &bytes, ttl)
            });
        if let Err(e) = stored {
            self.say(&format!(
                "the certificate was not cached ({e}); the next signature logs in again"
            ));
        }
        // Concurrent signers waiting on the lock may now read the entry.
        self.lock = None;
    }
}

/// The key and identity parts of [`check`], also applied before storing: `key` is the
/// leaf's, and the leaf's email is `email` (ASCII case-insensitively). Returns that email.
fn key_and_identity(key: &SigningKey, leaf: &Cert, email: &str) -> Result<String, Refusal> {
    let spki = key
        .verifying_key()
        .to_public_key_der()
        .map_err(|_| Refusal::WrongKey)?;
    if spki.as_bytes() != leaf.spki_der.as_slice() {
        return Err(Refusal::WrongKey);
    }
    let found = leaf
        .sans()
        .map_err(|e| Refusal::Malformed(e.to_string()))?
        .into_iter()
        .find_map(|s| match s {
            San::Email(e) => Some(e),
            _ => None,
        });
    match found {
        Some(f) if !email.is_empty() && f.eq_ignore_ascii_case(email) => Ok(f),
        other => Err(Refusal::OtherIdentity {
            found: other.unwrap_or_else(|| "no email".into()),
            want: email.to_string(),
        }),
    }
}

/// What `gitseal cache status` reports for one entry (never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Nothing cached for this identity.
    Empty,
    /// A usable entry.
    Valid {
        /// Certificate email.
        email: String,
        /// OIDC issuer extension.
        issuer: Option<String>,
        /// notAfter, Unix seconds.
        not_after: i64,
        /// Seconds left.
        remaining: i64,
    },
    /// An entry that would be refused (and is deleted on the next signature).
    Unusable(String),
}

/// The entry's state, checked as signing would check it (read-only: nothing is deleted).
pub fn status(
    backend: &Backend,
    id: &Identity<'_>,
    trust: &TrustRoot,
    now: i64,
) -> Result<Status, String> {
    let key = CacheKey::new(id);
    let Some(bytes) = backend.get(&key)? else {
        return Ok(Status::Empty);
    };
    Ok(
        match decode(&bytes).and_then(|c| check(c, trust, id.email, now)) {
            Ok(c) => Status::Valid {
                email: c.email,
                issuer: c.issuer,
                not_after: c.not_after,
                remaining: c.not_after - now,
            },
            Err(r) => Status::Unusable(r.to_string()),
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests;
