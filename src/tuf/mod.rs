//! Keeping the trust root current through Sigstore's TUF repository (issue 14): a TUF client
//! ([`client`], TUF specification 1.0 §5) with its metadata ([`metadata`]), keys
//! ([`keys`]), canonical JSON ([`cjson`]), the on-disk last good state ([`cache`]) and the
//! HTTP fetcher ([`fetch`]).
//!
//! This module owns the refresh: start from the latest trusted root (the cache, else
//! `TUF_ROOT_JSON`, else the embedded public-good root), run the workflow, and store the
//! result only when every check held. It never runs during verification (verification reads
//! the cache through [`cache::cached_target`] and never the network) and never decides
//! whether a signature is good. The embedded `public-good.root.json` is Sigstore's root v15,
//! byte for byte the `prod-root.json` of the sigstore 4.5.1 wheel (`/work/shared/trust`,
//! sha256 `73747011…9ca8`); it is expired, which is normal: a refresh rotates from it.

pub mod cache;
pub mod cjson;
pub mod client;
pub mod fetch;
pub mod keys;
pub mod metadata;

use cache::{CacheError, Record, Repository};
use client::{Fetcher, Limits, TrustedMetadata, TufError, Wanted};

/// The public-good TUF root (module docs).
pub const PUBLIC_GOOD_ROOT: &str = include_str!("public-good.root.json");

/// How long a refresh stays fresh for signing (issue 14: "older than a day").
pub const SIGNING_MAX_AGE_SECS: i64 = 24 * 60 * 60;

/// The targets gitseal asks a repository for.
pub const WANTED: [Wanted<'static>; 2] = [
    Wanted {
        name: cache::TRUSTED_ROOT,
        required: true,
    },
    Wanted {
        name: cache::SIGNING_CONFIG,
        required: false,
    },
];

/// Why an update did not happen.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The cache or configuration is unusable.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The repository's answer was refused, or it could not be reached (the last good state
    /// is kept).
    #[error("TUF refresh from {mirror} {}: {source}", if source.is_refusal() { "refused" } else { "failed" })]
    Refused {
        /// Mirror.
        mirror: String,
        /// Why.
        #[source]
        source: TufError,
    },
    /// The starting root file is unusable.
    #[error("the TUF root {path} is not usable: {detail}")]
    Root {
        /// Where it came from.
        path: String,
        /// Why.
        detail: String,
    },
}

/// A completed update.
#[derive(Debug, Clone)]
pub struct Updated {
    /// What was recorded (or would have been, with no cache).
    pub record: Record,
    /// Target files fetched this time.
    pub fetched: Vec<String>,
    /// Whether the state was written (false with `SIGSTORE_NO_CACHE` or no cache directory).
    pub stored: bool,
    /// The verified `trusted_root.json`.
    pub trusted_root: Vec<u8>,
}

/// The root a refresh of `repo` starts from when nothing is cached: `TUF_ROOT_JSON`, else
/// the embedded root for the public-good repository.
fn bootstrap_root(repo: &Repository) -> Result<Vec<u8>, UpdateError> {
    if let Some(p) = &repo.root_json {
        return std::fs::read(p).map_err(|e| UpdateError::Root {
            path: p.display().to_string(),
            detail: e.to_string(),
        });
    }
    if repo.is_public_good() {
        return Ok(PUBLIC_GOOD_ROOT.as_bytes().to_vec());
    }
    Err(CacheError::NoRoot {
        mirror: repo.mirror.clone(),
    }
    .into())
}

/// Refreshes `repo` at time `now`. With `init_root` (`gitseal trust init`) the refresh starts
/// from that root and forgets the cached state; otherwise from the cached state. The new
/// state is stored only if the refresh succeeds.
pub fn update(
    repo: &Repository,
    now: i64,
    fetcher: &dyn Fetcher,
    init_root: Option<Vec<u8>>,
) -> Result<Updated, UpdateError> {
    let dir = repo.dir();
    let state = match (&dir, &init_root) {
        (Some(d), None) => cache::load(d)?,
        _ => cache::State::default(),
    };
    let trusted = match init_root {
        Some(root) => TrustedMetadata {
            root,
            ..TrustedMetadata::default()
        },
        None if state.metadata.root.is_empty() => TrustedMetadata {
            root: bootstrap_root(repo)?,
            ..TrustedMetadata::default()
        },
        None => state.metadata.clone(),
    };
    let refreshed = client::refresh(
        &repo.mirror,
        &trusted,
        &state.targets,
        &WANTED,
        now,
        fetcher,
        &Limits::default(),
    )
    .map_err(|source| UpdateError::Refused {
        mirror: repo.mirror.clone(),
        source,
    })?;
    let trusted_root = refreshed
        .targets
        .get(cache::TRUSTED_ROOT)
        .cloned()
        .unwrap_or_default();
    // The target must be a trusted root gitseal can load before it replaces the last good
    // one: a signed but unusable file would leave verification with nothing.
    crate::trust::TrustRoot::from_json(&trusted_root, cache::TRUSTED_ROOT).map_err(|e| {
        UpdateError::Refused {
            mirror: repo.mirror.clone(),
            source: TufError::TargetMissing(format!("{} (unusable: {e})", cache::TRUSTED_ROOT)),
        }
    })?;
    let (record, stored) = match &dir {
        Some(d) => (cache::store(d, &repo.mirror, &refreshed, now)?, true),
        None => (
            Record {
                mirror: repo.mirror.clone(),
                refreshed: now,
                versions: refreshed.versions,
                timestamp_expires: refreshed.timestamp_expires.clone(),
                targets: Default::default(),
            },
            false,
        ),
    };
    Ok(Updated {
        record,
        fetched: refreshed.fetched,
        stored,
        trusted_root,
    })
}

/// Signing's refresh (issue 14, "When it runs"): when the configured repository's last
/// refresh is older than [`SIGNING_MAX_AGE_SECS`], refresh with a short deadline; when no
/// refresh ever happened there is nothing to keep current and nothing is fetched. Returns the one line to show when that failed (signing then goes on with the
/// last good root); `None` when nothing was due or it worked. Never called when an explicit
/// trust root is configured, and nothing is done without a cache directory.
pub fn refresh_if_stale(
    git: &crate::config::GitConfig,
    env: &crate::config::Env,
    now: i64,
    config: crate::transport::TransportConfig,
    budget: std::time::Duration,
) -> Option<String> {
    let repo = match Repository::resolve(git, env) {
        Ok(r) => r,
        Err(e) => return Some(format!("trust root not refreshed: {e}")),
    };
    let dir = repo.dir()?;
    // Only a root that was refreshed before is kept current: with none (the embedded root;
    // `gitseal trust init` / `update` never run) signing makes no network call of its own.
    let record = cache::load(&dir).ok().and_then(|s| s.record)?;
    if record.mirror == repo.mirror && now - record.refreshed < SIGNING_MAX_AGE_SECS {
        return None;
    }
    let fetcher = fetch::HttpFetcher {
        config: crate::transport::TransportConfig {
            max_retries: 0,
            timeout: budget,
            connect_timeout: budget,
            ..config
        },
        deadline: Some(std::time::Instant::now() + budget),
    };
    match update(&repo, now, &fetcher, None) {
        Ok(_) => None,
        Err(e) => Some(format!(
            "trust root not refreshed, using the last good one: {e}"
        )),
    }
}
