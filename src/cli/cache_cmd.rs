//! `gitseal cache status` and `gitseal cache clear`: the credential cache entry
//! ([`crate::credcache`]) of the identity the current configuration signs as. Status shows
//! for whom, the OIDC issuer, until when and where — never the key. Clear deletes the entry
//! from every store it can reach, whatever `gitseal.credentialCache` says, so turning the
//! cache off and clearing it leaves nothing behind.

use super::{CommandError, cwd, git_config};
use crate::cli::commands::CacheCommand;
use crate::clock::{Clock as _, SystemClock};
use crate::config::{self, Env, SignSettings};
use crate::credcache::{self, Backend, Identity, Mode, Status};
use std::io::Write;

/// Runs `gitseal cache <command>`; `cli::execute` reports the error.
pub(super) fn run(command: CacheCommand, env: &Env) -> Result<(), CommandError> {
    let git = git_config(&cwd())?;
    let s = SignSettings::resolve(&git, env)?;
    let mode = Mode::resolve(&git, env)?;
    let id = Identity {
        fulcio_url: &s.fulcio_url,
        issuer: &s.issuer,
        client_id: &s.client_id,
        connector_id: &s.connector_id,
        email: &s.committer_email,
    };
    let key = credcache::CacheKey::new(&id);
    let mut out = super::stdout().lock();
    match command {
        CacheCommand::Clear => {
            let mut cleared = Vec::new();
            let mut errors = Vec::new();
            for m in [Mode::Keyring, Mode::File] {
                if let Ok(b) = Backend::open(m, env) {
                    match b.delete(&key) {
                        Ok(()) => cleared.push(b.name()),
                        Err(e) => errors.push(format!("{}: {e}", b.name())),
                    }
                }
            }
            if !errors.is_empty() {
                return Err(CommandError::failed(format!(
                    "cannot clear the credential cache: {}",
                    errors.join("; ")
                )));
            }
            let _ = writeln!(
                out,
                "cleared the cached certificate for {} ({}); the next signature logs in",
                or_unset(id.email),
                if cleared.is_empty() {
                    "no store was available".to_string()
                } else {
                    cleared.join(", ")
                }
            );
            Ok(())
        }
        CacheCommand::Status => {
            let _ = writeln!(out, "for: {} (user.email)", or_unset(id.email));
            let _ = writeln!(out, "fulcio: {}", id.fulcio_url);
            let _ = writeln!(out, "issuer: {} (client id {})", id.issuer, id.client_id);
            if mode == Mode::Off {
                let _ = writeln!(
                    out,
                    "cache: off ({})",
                    crate::config::table::CREDENTIAL_CACHE.names
                );
                return Ok(());
            }
            let backend = match Backend::open(mode, env) {
                Ok(b) => b,
                Err(why) => {
                    let _ = writeln!(out, "cache: unavailable ({why}); every signature logs in");
                    return Ok(());
                }
            };
            let _ = writeln!(out, "cache: {}", backend.name());
            let trust = config::load_trust_root(None, env, &git)?;
            let now = SystemClock.unix_now();
            let line = match credcache::status(&backend, &id, &trust, now).map_err(|e| {
                CommandError::failed(format!("cannot read the credential cache: {e}"))
            })? {
                Status::Empty => "entry: none (the next signature logs in)".to_string(),
                Status::Valid {
                    email,
                    issuer,
                    not_after,
                    remaining,
                } => format!(
                    "entry: certificate for {email}{}, valid until {} ({} more)",
                    issuer.map(|i| format!(" from {i}")).unwrap_or_default(),
                    credcache::utc_text(not_after),
                    credcache::remaining_text(remaining)
                ),
                Status::Unusable(why) => {
                    format!("entry: unusable ({why}); the next signature deletes it and logs in")
                }
            };
            let _ = writeln!(out, "{line}");
            Ok(())
        }
    }
}

fn or_unset(s: &str) -> &str {
    if s.is_empty() {
        "(user.email unset)"
    } else {
        s
    }
}
