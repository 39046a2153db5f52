//! Effective configuration: git config (gitseal's keys and gitsign's) and environment
//! variables, merged with a documented precedence, turned into plain values.
//!
//! Precedence, lowest first (gitsign's order, compat §9.2, with gitseal's names on top):
//! built-in default < git config `gitsign.*` < git config `gitseal.*` < `SIGSTORE_*` env <
//! `GITSIGN_*` env < `GITSEAL_*` env < command-line flags. An environment variable counts only
//! when set. This module reads (git config via one `git config` call, the environment it is
//! handed) and never touches the network. It is also the one place git is run at all
//! ([`run_git`]: `gitseal setup` writes git config through it, `gitseal doctor` asks git's
//! version). Every key and variable is named once, in [`table`].

pub mod service_urls;
pub mod table;

use crate::trust::{TrustError, TrustRoot};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `git config` could not run or failed.
    #[error("cannot read git config: {0}")]
    Git(String),
    /// A value is invalid.
    #[error("invalid {key}: {detail}")]
    Invalid {
        /// The key or variable.
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// Trust material failed to load.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// Identity rules that pin who signed but not which OIDC issuer vouched for it (or the
    /// reverse). cosign refuses these in keyless mode (compat §6.1: "one of identity/
    /// identity-regexp and one of issuer/issuer-regexp are mandatory") and so does the policy
    /// file: an email is only an identity together with the issuer that verified it.
    #[error(
        "{given} without {missing}: identity rules need both who signed and which OIDC issuer vouched for it; hint: {hint}"
    )]
    IncompletePolicy {
        /// The flag or key that was given.
        given: &'static str,
        /// The flag or key that is missing.
        missing: &'static str,
        /// What to add.
        hint: &'static str,
    },
}

/// The process environment as plain data (tests pass their own).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Snapshot of the real environment (non-UTF-8 variables are skipped). `main.rs` takes it
    /// once and hands it down; nothing else reads the process environment (`std::env::var*`
    /// are `disallowed-methods` in scripts/clippy.toml), so every setting has one source and
    /// tests pass their own [`Env`].
    #[allow(clippy::disallowed_methods)] // the one read of the process environment
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// From pairs.
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Self {
            vars: pairs.into_iter().collect(),
        }
    }

    /// A variable, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The value of the last set variable among `names` (later names win).
    pub fn last_set(&self, names: &[&str]) -> Option<&str> {
        names.iter().rev().find_map(|n| self.get(n))
    }
}

/// A `git config` read in progress ([`GitConfig::start`]). Dropped unfinished, git is left
/// to finish on its own.
#[derive(Debug)]
pub struct PendingGitConfig {
    child: Result<std::process::Child, String>,
}

impl PendingGitConfig {
    /// Waits for git and parses what it printed (both pipes are drained together, so git
    /// never blocks on a full one).
    pub fn finish(self) -> Result<GitConfig, ConfigError> {
        let out = self
            .child
            .and_then(|c| {
                c.wait_with_output()
                    .map_err(|e| format!("cannot read git config: {e}"))
            })
            .map_err(ConfigError::Git)?;
        // Exit 1 with no output means "no matching keys" (git-config(1) EXIT STATUS).
        let no_match = out.status.code() == Some(1) && out.stdout.is_empty();
        if !out.status.success() && !no_match {
            return Err(ConfigError::Git(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(GitConfig::parse_z(&out.stdout))
    }
}

/// git config entries (keys lower-cased by git, multi-valued keys kept in order).
#[derive(Debug, Clone, Default)]
pub struct GitConfig {
    entries: Vec<(String, String)>,
}

impl GitConfig {
    /// Reads `gitseal.*`, `gitsign.*`, `user.*` and `gpg.*` from all scopes, as `git config`
    /// sees them from `cwd`. Outside a repository only global/system config is read.
    pub fn load(cwd: &Path) -> Result<Self, ConfigError> {
        Self::start(cwd).finish()
    }

    /// Starts the `git config` read of [`GitConfig::load`] and returns once git is running,
    /// so the caller can do work that needs no configuration while git reads the files
    /// (running a process costs more than a millisecond, a third of a `git verify-commit`).
    /// Git itself reads them: scopes, includes, `git -c` (GIT_CONFIG_PARAMETERS) and the
    /// GIT_CONFIG_* variables mean exactly what they mean to git. (Starting it from a thread
    /// instead was measured slower: `scripts/bench`, per-invocation row.)
    pub fn start(cwd: &Path) -> PendingGitConfig {
        let child = spawn_git(cwd, &["config", "-z", "--get-regexp", Self::KEYS]);
        PendingGitConfig { child }
    }

    /// The keys gitseal reads (and `gitseal config` shows): `gitseal.*`, `gitsign.*`,
    /// `user.*` and `gpg.*`.
    const KEYS: &str = r"^(gitseal|gitsign|user|gpg)\.";

    /// [`GitConfig::load`] together with the scope of each entry (`git config
    /// --show-scope`), for `gitseal config`, which says where each value came from.
    pub fn load_scoped(cwd: &Path) -> Result<(Self, table::Scopes), ConfigError> {
        let out = run_git(
            cwd,
            &["config", "-z", "--show-scope", "--get-regexp", Self::KEYS],
        )?;
        let no_match = out.status.code() == Some(1) && out.stdout.is_empty();
        if !out.status.success() && !no_match {
            return Err(ConfigError::Git(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(table::Scopes::parse_z(&out.stdout))
    }

    /// Parses `git config -z --get-regexp` output: `key\nvalue\0` (no `\n` for valueless keys).
    pub fn parse_z(bytes: &[u8]) -> Self {
        let entries = bytes
            .split(|&b| b == 0)
            .filter(|r| !r.is_empty())
            .map(|rec| {
                let text = String::from_utf8_lossy(rec);
                match text.split_once('\n') {
                    Some((k, v)) => (k.to_ascii_lowercase(), v.to_string()),
                    None => (text.to_ascii_lowercase(), "true".to_string()),
                }
            })
            .collect();
        Self { entries }
    }

    /// From pairs (tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self {
            entries: pairs
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
        }
    }

    /// The last value of `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a multi-valued key, in order.
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        let key = key.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Starts `git ARGS` in `cwd` with stdin closed and stdout and stderr piped.
fn spawn_git(cwd: &Path, args: &[&str]) -> Result<std::process::Child, String> {
    // The one place gitseal runs git (and, with `oidc::opener`, one of two that start a
    // process; scripts/clippy.toml): git itself reads and writes its configuration files,
    // and `gitseal doctor` asks it its version.
    #[allow(clippy::disallowed_methods)]
    std::process::Command::new("git")
        .current_dir(cwd)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))
}

/// Runs `git ARGS` in `cwd` to completion (`git config` reads and writes for `gitseal
/// setup`, `git --version` for `gitseal doctor`). The exit status is the caller's to judge.
pub fn run_git(cwd: &Path, args: &[&str]) -> Result<std::process::Output, ConfigError> {
    spawn_git(cwd, args)
        .and_then(|c| {
            c.wait_with_output()
                .map_err(|e| format!("cannot run git: {e}"))
        })
        .map_err(ConfigError::Git)
}

/// Where signing appends its messages when there is no terminal and no log file is configured
/// (`gitsign.logPath` / `GITSEAL_LOG`): git shows a signing program's stderr only when signing
/// fails, so from an IDE or GUI the messages (the Rekor entry's index, a device-flow code)
/// would otherwise be lost. `$XDG_STATE_HOME/gitseal/sign.log` (absolute only, as the XDG
/// Base Directory spec requires), else `~/.local/state/gitseal/sign.log`.
pub fn no_terminal_log_path(env: &Env) -> Option<PathBuf> {
    env.get("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .map(|p| p.join("gitseal"))
        .or_else(|| {
            env.get("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| Path::new(h).join(".local/state/gitseal"))
        })
        .map(|d| d.join("sign.log"))
}

/// Which files make up the trust root, as plain data ([`TrustRootInputs::resolve`]), so two
/// configurations can be compared before anything is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustRootInputs {
    /// A `trusted_root.json`; `None` is the embedded public-good root.
    pub file: Option<PathBuf>,
    /// A PEM bundle replacing the Fulcio CAs.
    pub fulcio_pem: Option<String>,
    /// A PEM file replacing the Rekor keys.
    pub rekor_keys: Option<String>,
    /// A PEM file replacing the CT log keys.
    pub ct_keys: Option<String>,
    /// A client trust config (`gitseal.trustConfig`): its trusted root is used when no
    /// `trustedRoot` is set.
    pub trust_config: Option<PathBuf>,
    /// The TUF state directory whose last good refresh stored a `trusted_root.json`
    /// ([`crate::tuf::cache::trusted_root_dir`]), used when neither a file nor a trust config
    /// is given (issue 14).
    pub tuf_cache: Option<PathBuf>,
    /// A PEM chain replacing the timestamp authorities (`gitsign.timestampCertChain`).
    pub tsa_chain: Option<String>,
}

impl TrustRootInputs {
    /// `flag` (`--trusted-root`) > `GITSEAL_TRUSTED_ROOT` > `gitseal.trustedRoot` > the
    /// last good TUF refresh of the configured repository (issue 14) > the
    /// embedded public-good root; then gitsign's part overrides: Fulcio CAs from
    /// `gitsign.fulcioRoot` < `SIGSTORE_ROOT_FILE` < `SIGSTORE_FULCIO_ROOT` <
    /// `GITSIGN_FULCIO_ROOT` (a PEM bundle), Rekor keys from `SIGSTORE_REKOR_PUBLIC_KEY`, CT
    /// log keys from `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`. Pure but for finding the TUF cache
    /// (`remote.json`, one `stat`).
    pub fn resolve(flag: Option<&Path>, env: &Env, git: &GitConfig) -> Self {
        let file = flag
            .map(Path::to_path_buf)
            .or_else(|| table::TRUSTED_ROOT.value(git, env).map(PathBuf::from))
            .filter(|p| !p.as_os_str().is_empty());
        let path = |s: &table::Setting| s.value(git, env).filter(|p| !p.is_empty());
        let trust_config = table::TRUST_CONFIG.value(git, env).map(PathBuf::from);
        // Only when no file or trust config is given: an explicit root wins over the TUF
        // cache.
        let tuf_cache = if file.is_none() && trust_config.is_none() {
            crate::tuf::cache::trusted_root_dir(git, env)
        } else {
            None
        };
        Self {
            file,
            fulcio_pem: path(&table::FULCIO_ROOT),
            rekor_keys: path(&table::REKOR_PUBLIC_KEY),
            ct_keys: path(&table::CT_LOG_PUBLIC_KEY),
            trust_config,
            tuf_cache,
            tsa_chain: path(&table::TIMESTAMP_CERT_CHAIN),
        }
    }

    /// Reads and parses the files.
    pub fn load(&self) -> Result<TrustRoot, ConfigError> {
        let mut root = match (&self.file, &self.trust_config, &self.tuf_cache) {
            (Some(p), _, _) => TrustRoot::from_file(p)?,
            // An explicit trustedRoot wins over the trust config's (README "Trust config").
            (None, Some(tc), _) => {
                crate::trust::client_config::ClientTrustConfig::from_file(tc)
                    .map_err(TrustError::from)?
                    .trusted_root
            }
            // The last good TUF refresh, checked against its record; never the network.
            (None, None, Some(dir)) => crate::tuf::cache::load_trusted_root(dir)?,
            (None, None, None) => TrustRoot::public_good()?,
        };
        let read = |path: &str| {
            std::fs::read(path).map_err(|source| TrustError::Read {
                path: path.into(),
                source,
            })
        };
        if let Some(path) = &self.fulcio_pem {
            root = root.with_fulcio_pem_bundle(&read(path)?, path)?;
        }
        if let Some(path) = &self.rekor_keys {
            root.tlogs = TrustRoot::pem_log_keys(&read(path)?, path)?;
        }
        if let Some(path) = &self.ct_keys {
            root.ctlogs = TrustRoot::pem_log_keys(&read(path)?, path)?;
        }
        if let Some(path) = &self.tsa_chain {
            root.timestamp_authorities =
                vec![TrustRoot::pem_timestamp_authority(&read(path)?, path)?];
        }
        Ok(root)
    }
}

/// Loads the trust root ([`TrustRootInputs`] says from what).
pub fn load_trust_root(
    flag: Option<&Path>,
    env: &Env,
    git: &GitConfig,
) -> Result<TrustRoot, ConfigError> {
    TrustRootInputs::resolve(flag, env, git).load()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_config_z_output() {
        let g = GitConfig::parse_z(
            b"gitseal.identity\na@x\0gitseal.identity\nb@x\0gitsign.matchcommitter\0",
        );
        assert_eq!(g.get_all("gitseal.Identity"), vec!["a@x", "b@x"]);
        assert_eq!(g.get("gitsign.matchCommitter"), Some("true"));
    }

    #[test]
    fn later_env_names_win() {
        let env = Env::from_pairs([
            ("SIGSTORE_ROOT_FILE".to_string(), "a".to_string()),
            ("GITSIGN_FULCIO_ROOT".to_string(), "b".to_string()),
        ]);
        assert_eq!(
            env.last_set(&[
                "SIGSTORE_ROOT_FILE",
                "SIGSTORE_FULCIO_ROOT",
                "GITSIGN_FULCIO_ROOT"
            ]),
            Some("b")
        );
    }

    #[test]
    fn git_booleans_are_strict() {
        for (v, want) in [
            ("true", true),
            ("YES", true),
            ("on", true),
            ("1", true),
            ("false", false),
            ("No", false),
            ("off", false),
            ("0", false),
            ("", false),
        ] {
            assert_eq!(parse_bool("k", v).unwrap(), want, "{v}");
        }
        for v in ["maybe", "yes?", "ture", "2", " true"] {
            let e = parse_bool("gitseal.offline", v).unwrap_err();
            assert!(e.to_string().starts_with("invalid gitseal.offline"), "{e}");
        }
    }
}

/// A setting read from git config keys and environment variables with gitseal's precedence
/// (module docs): the git keys in order (later wins), then the variables in order (later
/// wins). Empty values count as set, like gitsign's.
pub fn setting(
    git: &GitConfig,
    env: &Env,
    git_keys: &[&str],
    env_names: &[&str],
) -> Option<String> {
    env.last_set(env_names).map(str::to_string).or_else(|| {
        git_keys
            .iter()
            .rev()
            .find_map(|k| git.get(k))
            .map(str::to_string)
    })
}

/// [`setting`] together with the name it came from (the variable or git key), for errors.
pub fn setting_named(
    git: &GitConfig,
    env: &Env,
    git_keys: &[&str],
    env_names: &[&str],
) -> Option<(String, String)> {
    env_names
        .iter()
        .rev()
        .find_map(|n| env.get(n).map(|v| (n.to_string(), v.to_string())))
        .or_else(|| {
            git_keys
                .iter()
                .rev()
                .find_map(|k| git.get(k).map(|v| (k.to_string(), v.to_string())))
        })
}

/// gitsign's boolean parsing: `true` in any case is true, anything else false (compat §9.2);
/// gitseal additionally accepts git's `yes`, `on` and `1`. Only for settings where a typo
/// weakens nothing (gitsign.autoclose); see [`parse_bool`].
pub fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
}

/// git's boolean syntax (git-config(1) "Values", boolean): `true`/`yes`/`on`/`1` and
/// `false`/`no`/`off`/`0`/empty, in any case. Anything else is an error naming `key`, for
/// settings where a misspelt value must not silently mean "off" (gitseal.offline on a
/// server that must not reach the network, gitsign.matchCommitter).
pub fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" | "" => Ok(false),
        _ => Err(ConfigError::Invalid {
            key: key.into(),
            detail: format!("{v:?} (expected true/false, yes/no, on/off or 1/0)"),
        }),
    }
}

/// HTTP timeout and retries, the one parser signing ([`SignSettings`]) and verification's
/// lookups ([`VerifySettings`]) share; only the defaults differ ([`Http::SIGNING`],
/// [`Http::VERIFICATION`]).
///
/// The keys are gitseal's own: `gitseal.httpTimeout` < `GITSEAL_HTTP_TIMEOUT` (seconds) and
/// `gitseal.httpRetries` < `GITSEAL_HTTP_RETRIES`. gitsign has no such setting (compat §9.2
/// lists every key it reads; its clients' timeouts and retries are fixed in code, §3.2), so no `gitsign.*`
/// spelling is read on either side. Signing used to accept `gitsign.httpTimeout` too, and
/// named `gitseal.httpTimeout` in every error; verification read `gitseal.*` only and named
/// the key or variable the bad value came from. Verification's rules won: there is no gitsign
/// key to be compatible with, and an error must point at where the value actually is.
///
/// A set but empty value means the default. A timeout is a whole number of seconds, at least
/// 1 (0 would fail every request); it fits a `u32` (136 years), so adding it to an instant
/// cannot overflow. Retries are a whole number, 0 allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http {
    /// Per-request timeout.
    pub timeout: std::time::Duration,
    /// Retries after a timeout, a dropped connection or a 5xx.
    pub retries: u32,
}

impl Http {
    /// Signing's defaults: 30 s and 3 retries (one signature, worth waiting for).
    pub const SIGNING: Self = Self {
        timeout: std::time::Duration::from_secs(30),
        retries: 3,
    };
    /// Verification's defaults: 10 s and 1 retry. Verification runs once per object (`git log
    /// --show-signature`), so a dead network must fail fast.
    pub const VERIFICATION: Self = Self {
        timeout: std::time::Duration::from_secs(10),
        retries: 1,
    };

    /// Reads the two settings over `defaults`; an invalid value is an error naming the key or
    /// variable it came from.
    pub fn resolve(git: &GitConfig, env: &Env, defaults: Self) -> Result<Self, ConfigError> {
        let number = |s: &table::Setting, min: u32| -> Result<Option<u32>, ConfigError> {
            match s.named(git, env) {
                None => Ok(None),
                Some((_, s)) if s.is_empty() => Ok(None),
                Some((name, s)) => match s.parse::<u32>().ok().filter(|n| *n >= min) {
                    Some(n) => Ok(Some(n)),
                    None => Err(ConfigError::Invalid {
                        key: name,
                        detail: format!("{s:?} (expected a whole number, at least {min})"),
                    }),
                },
            }
        };
        let timeout = number(&table::HTTP_TIMEOUT, 1)?.map_or(defaults.timeout, |n| {
            std::time::Duration::from_secs(u64::from(n))
        });
        let retries = number(&table::HTTP_RETRIES, 0)?.unwrap_or(defaults.retries);
        Ok(Self { timeout, retries })
    }
}

/// Everything signing needs, resolved. No secrets are held here except the client secret,
/// which is read from its file only when signing starts.
#[derive(Debug, Clone)]
pub struct SignSettings {
    /// Fulcio base URL.
    pub fulcio_url: String,
    /// Rekor base URL.
    pub rekor_url: String,
    /// Offline (embed the entry, gitseal's default) or online (gitsign's default).
    pub rekor_mode: crate::sign::RekorMode,
    /// Token provider name (empty = automatic).
    pub token_provider: String,
    /// OIDC issuer.
    pub issuer: String,
    /// OIDC client id.
    pub client_id: String,
    /// Path of a file holding the OIDC client secret.
    pub client_secret_file: Option<PathBuf>,
    /// Fixed loopback redirect URL.
    pub redirect_url: String,
    /// Dex connector id.
    pub connector_id: String,
    /// URL opener command template.
    pub url_opener: String,
    /// Close the success page automatically.
    pub autoclose: bool,
    /// Seconds before it closes.
    pub autoclose_timeout: u32,
    /// Refuse when the certificate identity is not the committer.
    pub match_committer: bool,
    /// The Rekor API to log in: 1 or 2 (`gitsign.rekorVersion`).
    pub rekor_version: u8,
    /// `user.name`.
    pub committer_name: String,
    /// `user.email`.
    pub committer_email: String,
    /// Also write human messages to this file.
    pub log_path: Option<PathBuf>,
    /// RFC 3161 timestamp authority endpoint (`gitsign.timestampServerURL`, else the signing
    /// config's first TSA); `None`: no timestamp.
    pub timestamp_server_url: Option<String>,
    /// Per-request HTTP timeout.
    pub http_timeout: std::time::Duration,
    /// Retries after a connection error or 5xx.
    pub http_retries: u32,
    /// TLS trust (and, later, proxies): [`crate::net::NetSettings`].
    pub net: crate::net::NetSettings,
}

/// The default public-good Fulcio.
pub const DEFAULT_FULCIO_URL: &str = "https://fulcio.sigstore.dev";
/// The default public-good Rekor.
pub const DEFAULT_REKOR_URL: &str = "https://rekor.sigstore.dev";
/// The default public-good Rekor v2 log (`gitsign.rekorVersion=2` without a `rekor` URL): the
/// `baseUrl` of the Ed25519 log in the embedded trusted root.
pub const DEFAULT_REKOR_V2_URL: &str = "https://log2025-1.rekor.sigstore.dev";

impl SignSettings {
    /// Resolves every signing setting (README "Configuration" lists the keys and variables).
    pub fn resolve(git: &GitConfig, env: &Env) -> Result<Self, ConfigError> {
        use table::*;
        let get = |s: &Setting| s.value(git, env);
        let mode = get(&REKOR_MODE);
        let rekor_mode = match mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("offline") => crate::sign::RekorMode::Offline,
            Some("online") => crate::sign::RekorMode::Online,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: "gitsign.rekorMode".into(),
                    detail: format!("{other:?} (expected offline or online)"),
                });
            }
        };
        let version_named = REKOR_VERSION.named(git, env);
        let version_key = || {
            version_named
                .as_ref()
                .map_or_else(|| "gitsign.rekorVersion".into(), |(k, _)| k.clone())
        };
        let rekor_version = match version_named.as_ref().map(|(_, v)| v.trim()) {
            None | Some("") | Some("1") => 1,
            Some("2") => 2,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: version_key(),
                    detail: format!("{other:?} (expected 1 or 2)"),
                });
            }
        };
        if rekor_version == 2 && rekor_mode == crate::sign::RekorMode::Online {
            return Err(ConfigError::Invalid {
                key: version_key(),
                detail: "2 needs gitsign.rekorMode=offline: online mode finds its entry by \
                         searching Rekor v1's index, which a Rekor v2 log does not have"
                    .into(),
            });
        }
        let Http {
            timeout: http_timeout,
            retries: http_retries,
        } = Http::resolve(git, env, Http::SIGNING)?;
        // Fulcio, Rekor, issuer and TSA: a setting, else the signing config, else the default.
        let known = service_urls::signing_config_from_settings(git, env)?;
        let urls = service_urls::resolve_for(
            git,
            env,
            known.as_ref(),
            crate::clock::Clock::unix_now(&crate::clock::SystemClock),
            rekor_version,
        )?;
        // A Rekor v2 log records no time: the time of signing can only come from an RFC 3161
        // timestamp, and a v2 signature without one is ERRSIG `timestamp-missing` for every
        // verifier, forever. Refuse to make it (gitsign makes it; compat §11.7).
        if rekor_version == 2 && urls.tsa.is_none() {
            return Err(ConfigError::Invalid {
                key: version_key(),
                detail: format!(
                    "2 needs a timestamp authority: a Rekor v2 log records no time, so without \
                     an RFC 3161 timestamp nobody could ever check when the signature was made \
                     (set {}, or use a trust config or TUF repository whose signing config \
                     lists one)",
                    TIMESTAMP_SERVER_URL.names
                ),
            });
        }
        let autoclose_timeout = get(&AUTOCLOSE_TIMEOUT)
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(6);
        Self {
            fulcio_url: urls.fulcio.url,
            rekor_url: urls.rekor.url,
            rekor_mode,
            rekor_version,
            token_provider: get(&TOKEN_PROVIDER).unwrap_or_default(),
            issuer: urls.issuer.url,
            client_id: get(&CLIENT_ID)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| crate::oidc::DEFAULT_CLIENT_ID.into()),
            client_secret_file: get(&CLIENT_SECRET_FILE)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            redirect_url: get(&REDIRECT_URL).unwrap_or_default(),
            connector_id: get(&CONNECTOR_ID).unwrap_or_default(),
            url_opener: get(&URL_OPENER).unwrap_or_default(),
            autoclose: get(&AUTOCLOSE).is_none_or(|v| truthy(&v)),
            autoclose_timeout,
            match_committer: match get(&MATCH_COMMITTER) {
                Some(v) => parse_bool("gitsign.matchCommitter", &v)?,
                None => false,
            },
            committer_name: get(&USER_NAME).unwrap_or_default(),
            committer_email: get(&USER_EMAIL).unwrap_or_default(),
            log_path: get(&LOG_PATH).filter(|s| !s.is_empty()).map(PathBuf::from),
            timestamp_server_url: urls.tsa.map(|t| t.url),
            http_timeout,
            http_retries,
            net: crate::net::NetSettings::resolve(git, env)?,
        }
        .https_only(git, env)
    }

    /// The HTTPS-only rule ([`crate::net::https`]) for the three service URLs, before any
    /// connection: a plain `http://` URL to a non-loopback host is a configuration error
    /// naming the key or variable it came from.
    fn https_only(self, git: &GitConfig, env: &Env) -> Result<Self, ConfigError> {
        require_https(git, env, &table::FULCIO, &self.fulcio_url)?;
        require_https(git, env, &table::REKOR, &self.rekor_url)?;
        require_https(git, env, &table::ISSUER, &self.issuer)?;
        if let Some(url) = &self.timestamp_server_url {
            require_https(git, env, &table::TIMESTAMP_SERVER_URL, url)?;
        }
        Ok(self)
    }

    /// The effective configuration as `key = value` lines, with no secrets (the client secret
    /// file's path is shown, never its contents; tokens are never part of the configuration).
    pub fn describe(&self) -> String {
        let mode = match self.rekor_mode {
            crate::sign::RekorMode::Offline => "offline",
            crate::sign::RekorMode::Online => "online",
        };
        let opt = |s: &str| {
            if s.is_empty() {
                "(unset)".to_string()
            } else {
                s.to_string()
            }
        };
        format!(
            "fulcio = {}\nrekor = {}\nrekorMode = {mode}\nrekorVersion = {}\ntokenProvider = {}\nissuer = {}\n\
             clientID = {}\nclientSecretFile = {}\nredirectURL = {}\nconnectorID = {}\n\
             urlOpener = {}\nautoclose = {}\nautocloseTimeout = {}\nmatchCommitter = {}\n\
             user.name = {}\nuser.email = {}\nlogPath = {}\nhttpTimeout = {}s\nhttpRetries = {}\n",
            self.fulcio_url,
            self.rekor_url,
            self.rekor_version,
            opt(&self.token_provider),
            self.issuer,
            self.client_id,
            self.client_secret_file
                .as_ref()
                .map_or("(unset)".into(), |p| p.display().to_string()),
            opt(&self.redirect_url),
            opt(&self.connector_id),
            opt(&self.url_opener),
            self.autoclose,
            self.autoclose_timeout,
            self.match_committer,
            opt(&self.committer_name),
            opt(&self.committer_email),
            self.log_path
                .as_ref()
                .map_or("(unset)".into(), |p| p.display().to_string()),
            self.http_timeout.as_secs(),
            self.http_retries,
        )
    }
}

/// The Rekor URL: `gitsign.rekor` < `gitseal.rekor` < `SIGSTORE_REKOR_URL` <
/// `GITSIGN_REKOR_URL` < `GITSEAL_REKOR_URL`, default the public instance.
pub fn rekor_url(git: &GitConfig, env: &Env) -> String {
    table::REKOR
        .value(git, env)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_REKOR_URL.into())
}

/// [`crate::net::https::check`] for a URL setting's value, as a [`ConfigError`] naming the
/// key or variable in force (a default never fails: the defaults are `https://`).
fn require_https(
    git: &GitConfig,
    env: &Env,
    setting: &table::Setting,
    url: &str,
) -> Result<(), ConfigError> {
    crate::net::https::check(url).map_err(|e| ConfigError::Invalid {
        key: setting
            .named(git, env)
            .map_or_else(|| setting.names.to_string(), |(n, _)| n),
        detail: format!("{url:?}: {e}"),
    })
}

/// What verification needs besides the trust root and the identity flags: where (and whether)
/// to look up online-mode entries, where to cache them, and which policy file applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySettings {
    /// Rekor base URL ([`rekor_url`]).
    pub rekor_url: String,
    /// No network: `gitseal.offline` < `GITSEAL_OFFLINE` (true/yes/on/1); `--offline` too.
    pub offline: bool,
    /// Entry cache: `GITSEAL_CACHE_DIR` > `$XDG_CACHE_HOME/gitseal` (absolute only, as the
    /// XDG Base Directory spec requires) > `$HOME/.cache/gitseal`; `None` when none is known.
    pub cache_dir: Option<PathBuf>,
    /// Policy file: `gitseal.policy` < `GITSEAL_POLICY`; relative paths are relative to the
    /// directory git runs gitseal and hooks in (the top of the work tree, or the git directory
    /// of a bare repository: `git::repo::repository_top`), wherever gitseal itself is started, and
    /// a leading `~/` is the home directory.
    pub policy_file: Option<PathBuf>,
    /// Per-request HTTP timeout (`gitseal.httpTimeout` < `GITSEAL_HTTP_TIMEOUT`, seconds).
    pub http_timeout: std::time::Duration,
    /// Retries (`gitseal.httpRetries` < `GITSEAL_HTTP_RETRIES`).
    pub http_retries: u32,
}

impl VerifySettings {
    /// Resolves the settings; `top` gives the directory a relative policy path is anchored
    /// at (the repository's top, [`VerifySettings::policy_file`]). It is asked only for a
    /// relative path: finding the repository costs a repository discovery, and `git
    /// verify-commit` runs gitseal once per object.
    pub fn resolve(
        git: &GitConfig,
        env: &Env,
        top: impl FnOnce() -> PathBuf,
    ) -> Result<Self, ConfigError> {
        let offline = match table::OFFLINE.named(git, env) {
            Some((name, v)) => parse_bool(&name, &v)?,
            None => false,
        };
        // gitseal's own path settings: set but empty is a mistake (`GITSEAL_POLICY=$UNSET`),
        // never "none". An empty policy would fall back to the gitseal.identity keys or the
        // committer rule, an empty trust root to the public-good one: both wider than what
        // was configured.
        for s in [&table::POLICY, &table::TRUSTED_ROOT, &table::TRUST_CONFIG] {
            if let Some((name, v)) = s.named(git, env)
                && v.trim().is_empty()
            {
                return Err(ConfigError::Invalid {
                    key: name,
                    detail: "set but empty (unset it, or name a file)".into(),
                });
            }
        }
        let cache_dir = table::CACHE_DIR
            .value(git, env)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                env.get("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|p| p.join("gitseal"))
            })
            .or_else(|| {
                env.get("HOME")
                    .filter(|s| !s.is_empty())
                    .map(|h| Path::new(h).join(".cache").join("gitseal"))
            });
        let policy_file = table::POLICY
            .value(git, env)
            .filter(|s| !s.is_empty())
            .map(|p| match (p.strip_prefix("~/"), env.get("HOME")) {
                (Some(rest), Some(home)) => Path::new(home).join(rest),
                _ if Path::new(&p).is_absolute() => PathBuf::from(p),
                _ => top().join(p),
            });
        let Http {
            timeout: http_timeout,
            retries: http_retries,
        } = Http::resolve(git, env, Http::VERIFICATION)?;
        let rekor = if offline {
            rekor_url(git, env)
        } else {
            // With a trust config, the Rekor its signing config names (`service_urls`).
            let r = service_urls::rekor_for_lookups(
                git,
                env,
                crate::clock::Clock::unix_now(&crate::clock::SystemClock),
            )?;
            if matches!(
                r.source,
                service_urls::UrlSource::Setting(_) | service_urls::UrlSource::Default
            ) {
                require_https(git, env, &table::REKOR, &r.url)?;
            }
            r.url
        };
        Ok(Self {
            rekor_url: rekor,
            offline,
            cache_dir,
            policy_file,
            http_timeout,
            http_retries,
        })
    }
}

#[cfg(test)]
mod verify_settings_tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn cache_dir_precedence() {
        let cwd = || PathBuf::from("/repo");
        let git = GitConfig::default();
        let s = |e: &[(&str, &str)]| VerifySettings::resolve(&git, &env(e), cwd).unwrap();
        assert_eq!(
            s(&[("HOME", "/h")]).cache_dir,
            Some("/h/.cache/gitseal".into())
        );
        assert_eq!(
            s(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")]).cache_dir,
            Some("/x/gitseal".into())
        );
        assert_eq!(
            s(&[("HOME", "/h"), ("XDG_CACHE_HOME", "relative")]).cache_dir,
            Some("/h/.cache/gitseal".into())
        );
        assert_eq!(
            s(&[("XDG_CACHE_HOME", "/x"), ("GITSEAL_CACHE_DIR", "/c")]).cache_dir,
            Some("/c".into())
        );
        assert_eq!(s(&[]).cache_dir, None);
    }

    #[test]
    fn policy_offline_and_rekor() {
        let git = GitConfig::from_pairs(&[
            ("gitseal.policy", "policy.toml"),
            ("gitseal.offline", "true"),
            ("gitsign.rekor", "https://r.example"),
        ]);
        let s = VerifySettings::resolve(&git, &env(&[("HOME", "/h")]), || PathBuf::from("/repo"))
            .unwrap();
        assert_eq!(s.policy_file, Some("/repo/policy.toml".into()));
        assert!(s.offline);
        assert_eq!(s.rekor_url, "https://r.example");
        let s = VerifySettings::resolve(
            &git,
            &env(&[
                ("HOME", "/h"),
                ("GITSEAL_POLICY", "~/p.toml"),
                ("GITSEAL_OFFLINE", "0"),
                ("GITSEAL_REKOR_URL", "http://127.0.0.1:1"),
            ]),
            || PathBuf::from("/repo"),
        )
        .unwrap();
        assert_eq!(s.policy_file, Some("/h/p.toml".into()));
        assert!(!s.offline);
        assert_eq!(s.rekor_url, "http://127.0.0.1:1");
        let bad = GitConfig::from_pairs(&[("gitseal.httpRetries", "many")]);
        assert!(VerifySettings::resolve(&bad, &env(&[]), || PathBuf::from("/")).is_err());
    }

    #[test]
    fn only_a_relative_policy_path_is_anchored_at_the_repository_top() {
        let never = || -> PathBuf { panic!("the repository top was looked up") };
        for (value, expected) in [("/etc/p.toml", "/etc/p.toml"), ("~/p.toml", "/h/p.toml")] {
            let git = GitConfig::from_pairs(&[("gitseal.policy", value)]);
            let s = VerifySettings::resolve(&git, &env(&[("HOME", "/h")]), never).unwrap();
            assert_eq!(s.policy_file, Some(expected.into()));
        }
        let s = VerifySettings::resolve(&GitConfig::default(), &env(&[]), never).unwrap();
        assert_eq!(s.policy_file, None);
        // A bare repository's top is its git directory (git::repo::repository_top).
        let top = || PathBuf::from("/srv/repo.git");
        let git = GitConfig::from_pairs(&[("gitseal.policy", "policy/main.toml")]);
        let s = VerifySettings::resolve(&git, &env(&[]), top).unwrap();
        assert_eq!(s.policy_file, Some("/srv/repo.git/policy/main.toml".into()));
        let vars = env(&[("GITSEAL_POLICY", "other.toml")]);
        let s = VerifySettings::resolve(&git, &vars, top).unwrap();
        assert_eq!(s.policy_file, Some("/srv/repo.git/other.toml".into()));
    }

    #[test]
    fn misspelt_offline_is_an_error_naming_its_source() {
        let root = || PathBuf::from("/");
        let git = GitConfig::from_pairs(&[("gitseal.offline", "maybe")]);
        let e = VerifySettings::resolve(&git, &env(&[]), root).unwrap_err();
        assert!(e.to_string().contains("gitseal.offline"), "{e}");
        let e = VerifySettings::resolve(
            &GitConfig::default(),
            &env(&[("GITSEAL_OFFLINE", "yes?")]),
            root,
        )
        .unwrap_err();
        assert!(e.to_string().contains("GITSEAL_OFFLINE"), "{e}");
        // The variable wins over git config, as for every setting.
        let s = VerifySettings::resolve(&git, &env(&[("GITSEAL_OFFLINE", "on")]), root).unwrap();
        assert!(s.offline);
    }

    #[test]
    fn empty_policy_or_trust_root_is_an_error() {
        let root = || PathBuf::from("/");
        let git = GitConfig::from_pairs(&[("gitseal.policy", "/etc/gitseal/p.toml")]);
        for (git, vars) in [
            (&git, &[("GITSEAL_POLICY", "")][..]),
            (&GitConfig::from_pairs(&[("gitseal.policy", "")]), &[]),
            (&GitConfig::default(), &[("GITSEAL_TRUSTED_ROOT", " ")]),
            (&GitConfig::from_pairs(&[("gitseal.trustedRoot", "")]), &[]),
        ] {
            let e = VerifySettings::resolve(git, &env(vars), root).unwrap_err();
            assert!(e.to_string().contains("set but empty"), "{e}");
        }
    }

    #[test]
    fn timeouts_and_retries_match_signing() {
        let root = || PathBuf::from("/");
        let resolve = |k: &str, v: &str| {
            VerifySettings::resolve(&GitConfig::from_pairs(&[(k, v)]), &env(&[]), root)
        };
        assert!(resolve("gitseal.httpTimeout", "0").is_err());
        assert!(resolve("gitseal.httpRetries", "99999999999").is_err());
        assert!(resolve("gitseal.httpRetries", "-1").is_err());
        let s = resolve("gitseal.httpRetries", "0").unwrap();
        assert_eq!(s.http_retries, 0);
        let s = resolve("gitseal.httpTimeout", "3").unwrap();
        assert_eq!(s.http_timeout, std::time::Duration::from_secs(3));
        assert!(
            SignSettings::resolve(
                &GitConfig::from_pairs(&[("gitseal.httpTimeout", "0")]),
                &Env::default()
            )
            .is_err()
        );
    }
}

/// [`Http`]: one parser, each side's defaults, checked through both resolvers.
#[cfg(test)]
mod http_settings_tests {
    use super::*;
    use std::time::Duration;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    /// (signing, verification) as each resolver sees `git` and `vars`.
    fn both(git: &[(&str, &str)], vars: &[(&str, &str)]) -> [Result<Http, String>; 2] {
        let (git, vars) = (GitConfig::from_pairs(git), env(vars));
        let sign = SignSettings::resolve(&git, &vars).map(|s| Http {
            timeout: s.http_timeout,
            retries: s.http_retries,
        });
        let verify = VerifySettings::resolve(&git, &vars, || PathBuf::from("/")).map(|s| Http {
            timeout: s.http_timeout,
            retries: s.http_retries,
        });
        [sign, verify].map(|r| r.map_err(|e| e.to_string()))
    }

    fn http(secs: u64, retries: u32) -> Result<Http, String> {
        Ok(Http {
            timeout: Duration::from_secs(secs),
            retries,
        })
    }

    #[test]
    fn each_side_keeps_its_defaults() {
        assert_eq!(both(&[], &[]), [http(30, 3), http(10, 1)]);
        // Set but empty is the default, in git config and in the environment.
        let empty = [("gitseal.httpTimeout", ""), ("gitseal.httpRetries", "")];
        assert_eq!(both(&empty, &[]), [http(30, 3), http(10, 1)]);
        let empty = [("GITSEAL_HTTP_TIMEOUT", ""), ("GITSEAL_HTTP_RETRIES", "")];
        assert_eq!(both(&[], &empty), [http(30, 3), http(10, 1)]);
    }

    #[test]
    fn the_same_values_mean_the_same_on_both_sides() {
        let git = [("gitseal.httpTimeout", "7"), ("gitseal.httpRetries", "0")];
        assert_eq!(both(&git, &[]), [http(7, 0), http(7, 0)]);
        // The variable wins over git config; each setting on its own.
        let vars = [("GITSEAL_HTTP_TIMEOUT", "2")];
        assert_eq!(both(&git, &vars), [http(2, 0), http(2, 0)]);
        let vars = [("GITSEAL_HTTP_RETRIES", "5")];
        assert_eq!(both(&git, &vars), [http(7, 5), http(7, 5)]);
        assert_eq!(
            both(&[("gitseal.httpTimeout", "4294967295")], &[]),
            [http(4_294_967_295, 3), http(4_294_967_295, 1)]
        );
    }

    /// gitsign defines no HTTP timeout key (compat §9.2), so its spelling is not read: signing
    /// used to accept `gitsign.httpTimeout` / `gitsign.httpRetries`, verification never did.
    #[test]
    fn gitsign_spellings_are_not_read_on_either_side() {
        let git = [("gitsign.httpTimeout", "5"), ("gitsign.httpRetries", "9")];
        assert_eq!(both(&git, &[]), [http(30, 3), http(10, 1)]);
        let git = [
            ("gitsign.httpTimeout", "zero"),
            ("gitsign.httpRetries", "-1"),
        ];
        assert_eq!(both(&git, &[]), [http(30, 3), http(10, 1)]);
    }

    #[test]
    fn errors_name_where_the_bad_value_is() {
        for (git, vars, named, value) in [
            (
                &[("gitseal.httpTimeout", "0")][..],
                &[][..],
                "gitseal.httpTimeout",
                "0",
            ),
            (
                &[("gitseal.httpTimeout", "1.5")],
                &[],
                "gitseal.httpTimeout",
                "1.5",
            ),
            (
                &[],
                &[("GITSEAL_HTTP_TIMEOUT", "30s")],
                "GITSEAL_HTTP_TIMEOUT",
                "30s",
            ),
            (
                &[("gitseal.httpTimeout", "4294967296")],
                &[],
                "gitseal.httpTimeout",
                "4294967296",
            ),
            (
                &[("gitseal.httpRetries", "-1")],
                &[],
                "gitseal.httpRetries",
                "-1",
            ),
            (
                &[],
                &[("GITSEAL_HTTP_RETRIES", "many")],
                "GITSEAL_HTTP_RETRIES",
                "many",
            ),
            // A good git value does not hide a bad variable, which is the one in force.
            (
                &[("gitseal.httpRetries", "2")],
                &[("GITSEAL_HTTP_RETRIES", " 2")],
                "GITSEAL_HTTP_RETRIES",
                " 2",
            ),
        ] {
            for got in both(git, vars) {
                let e = got.unwrap_err();
                assert!(e.starts_with(&format!("invalid {named}: {value:?}")), "{e}");
                assert!(e.contains("expected a whole number, at least"), "{e}");
            }
        }
    }
}

#[cfg(test)]
mod sign_settings_tests {
    use super::*;

    #[test]
    fn precedence_and_defaults() {
        let git = GitConfig::from_pairs(&[
            ("gitsign.fulcio", "https://a"),
            ("gitseal.fulcio", "https://b"),
            ("gitsign.rekorMode", "online"),
            ("gitsign.matchCommitter", "TRUE"),
        ]);
        let s = SignSettings::resolve(&git, &Env::default()).unwrap();
        assert_eq!(s.fulcio_url, "https://b");
        assert_eq!(s.rekor_url, DEFAULT_REKOR_URL);
        assert_eq!(s.rekor_mode, crate::sign::RekorMode::Online);
        assert!(s.match_committer);
        let env = Env::from_pairs([
            ("SIGSTORE_FULCIO_URL".to_string(), "https://c".to_string()),
            ("GITSEAL_FULCIO_URL".to_string(), "https://d".to_string()),
        ]);
        let s = SignSettings::resolve(&git, &env).unwrap();
        assert_eq!(s.fulcio_url, "https://d");
        let default = SignSettings::resolve(&GitConfig::default(), &Env::default()).unwrap();
        assert_eq!(default.rekor_mode, crate::sign::RekorMode::Offline);
        assert!(default.describe().contains("rekorMode = offline"));
    }

    /// `rekorVersion`: 1 by default, 2 selects the v2 API (and, with no `rekor` URL, the
    /// public-good v2 log); anything else, or 2 with online mode, is a configuration error
    /// naming the key or variable in force.
    #[test]
    fn rekor_version() {
        let resolve = |git: &[(&str, &str)], env: &[(&str, &str)]| {
            SignSettings::resolve(
                &GitConfig::from_pairs(git),
                &Env::from_pairs(env.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
            )
        };
        let s = resolve(&[], &[]).unwrap();
        assert_eq!(
            (s.rekor_version, s.rekor_url.as_str()),
            (1, DEFAULT_REKOR_URL)
        );
        assert!(s.describe().contains("rekorVersion = 1"));
        // Version 2 without a timestamp authority: refused, naming both settings.
        let e = resolve(&[("gitsign.rekorVersion", "2")], &[]).unwrap_err();
        assert!(
            e.to_string().contains("gitsign.rekorVersion")
                && e.to_string().contains("timestampServerURL"),
            "{e}"
        );
        let tsa = ("gitsign.timestampServerURL", "https://tsa.example");
        let s = resolve(&[("gitsign.rekorVersion", "2"), tsa], &[]).unwrap();
        assert_eq!(
            (s.rekor_version, s.rekor_url.as_str()),
            (2, DEFAULT_REKOR_V2_URL)
        );
        let s = resolve(
            &[("gitseal.rekorVersion", "1"), tsa],
            &[
                ("GITSIGN_REKOR_VERSION", "2"),
                ("GITSEAL_REKOR_URL", "http://127.0.0.1:1"),
            ],
        )
        .unwrap();
        assert_eq!(
            (s.rekor_version, s.rekor_url.as_str()),
            (2, "http://127.0.0.1:1")
        );
        let s = resolve(&[tsa], &[("SIGSTORE_REKOR_VERSION", "2")]).unwrap();
        assert_eq!(s.rekor_version, 2);
        for bad in ["3", "v2", "0", "2.0", "two"] {
            let e = resolve(&[("gitsign.rekorVersion", bad)], &[]).unwrap_err();
            assert!(e.to_string().contains("gitsign.rekorVersion"), "{e}");
        }
        let e = resolve(&[], &[("GITSEAL_REKOR_VERSION", "x")]).unwrap_err();
        assert!(e.to_string().contains("GITSEAL_REKOR_VERSION"), "{e}");
        let e = resolve(
            &[
                ("gitsign.rekorVersion", "2"),
                ("gitsign.rekorMode", "online"),
            ],
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("rekorMode=offline"), "{e}");
    }

    #[test]
    fn misspelt_match_committer_is_an_error() {
        let git = GitConfig::from_pairs(&[("gitsign.matchCommitter", "ture")]);
        let e = SignSettings::resolve(&git, &Env::default()).unwrap_err();
        assert!(e.to_string().contains("gitsign.matchCommitter"), "{e}");
        let git = GitConfig::from_pairs(&[("gitsign.matchCommitter", "false")]);
        assert!(
            !SignSettings::resolve(&git, &Env::default())
                .unwrap()
                .match_committer
        );
    }

    #[test]
    fn plain_http_service_urls_are_config_errors_naming_the_setting() {
        for (git, vars, named) in [
            (
                &[("gitsign.fulcio", "http://fulcio.example")][..],
                &[][..],
                "gitsign.fulcio",
            ),
            (
                &[("gitsign.fulcio", "https://fulcio.example")],
                &[("SIGSTORE_FULCIO_URL", "http://f.example")],
                "SIGSTORE_FULCIO_URL",
            ),
            (
                &[("gitseal.rekor", "http://rekor.example")],
                &[],
                "gitseal.rekor",
            ),
            (
                &[],
                &[("GITSEAL_REKOR_URL", "http://10.0.0.1")],
                "GITSEAL_REKOR_URL",
            ),
            (
                &[("gitsign.issuer", "http://oauth2.example")],
                &[],
                "gitsign.issuer",
            ),
            (
                &[],
                &[("GITSIGN_OIDC_ISSUER", "http://idp.example")],
                "GITSIGN_OIDC_ISSUER",
            ),
        ] {
            let env = Env::from_pairs(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let e = SignSettings::resolve(&GitConfig::from_pairs(git), &env).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with(&format!("invalid {named}: ")), "{msg}");
            assert!(msg.contains("https://"), "{msg}");
        }
        // Loopback over plain HTTP is fine (the testbed).
        let git = GitConfig::from_pairs(&[
            ("gitsign.fulcio", "http://127.0.0.1:5555"),
            ("gitsign.rekor", "http://localhost:5556"),
            ("gitsign.issuer", "http://[::1]:5557/dex"),
        ]);
        assert!(SignSettings::resolve(&git, &Env::default()).is_ok());
        // Verification: only when it would look entries up.
        let git = GitConfig::from_pairs(&[("gitsign.rekor", "http://rekor.example")]);
        let root = || PathBuf::from("/");
        let e = VerifySettings::resolve(&git, &Env::default(), root).unwrap_err();
        assert!(e.to_string().starts_with("invalid gitsign.rekor: "), "{e}");
        let offline = Env::from_pairs([("GITSEAL_OFFLINE".to_string(), "1".to_string())]);
        assert!(VerifySettings::resolve(&git, &offline, root).is_ok());
    }

    #[test]
    fn bad_mode_is_an_error() {
        let git = GitConfig::from_pairs(&[("gitsign.rekorMode", "sometimes")]);
        assert!(SignSettings::resolve(&git, &Env::default()).is_err());
    }

    /// `timestampServerURL` (issue 15): gitsign's key and variables, empty means none, and the
    /// HTTPS-only rule names where a plain-HTTP URL came from.
    #[test]
    fn timestamp_server_url() {
        let resolve = |git: &[(&str, &str)], vars: &[(&str, &str)]| {
            let env = Env::from_pairs(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            SignSettings::resolve(&GitConfig::from_pairs(git), &env)
        };
        assert_eq!(resolve(&[], &[]).unwrap().timestamp_server_url, None);
        let s = resolve(
            &[("gitsign.timestampServerURL", "https://tsa.example/a")],
            &[],
        )
        .unwrap();
        assert_eq!(
            s.timestamp_server_url.as_deref(),
            Some("https://tsa.example/a")
        );
        let s = resolve(
            &[("gitsign.timestampServerURL", "https://tsa.example/a")],
            &[
                ("SIGSTORE_TIMESTAMP_SERVER_URL", "https://s.example"),
                ("GITSIGN_TIMESTAMP_SERVER_URL", "https://g.example"),
            ],
        )
        .unwrap();
        assert_eq!(s.timestamp_server_url.as_deref(), Some("https://g.example"));
        let s = resolve(
            &[("gitsign.timestampServerURL", "https://tsa.example/a")],
            &[("GITSIGN_TIMESTAMP_SERVER_URL", "")],
        )
        .unwrap();
        assert_eq!(s.timestamp_server_url, None);
        let e = resolve(
            &[],
            &[("GITSIGN_TIMESTAMP_SERVER_URL", "http://tsa.example")],
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid GITSIGN_TIMESTAMP_SERVER_URL: "),
            "{e}"
        );
        assert!(
            resolve(
                &[(
                    "gitsign.timestampServerURL",
                    "http://127.0.0.1:9/api/v1/timestamp"
                )],
                &[]
            )
            .is_ok()
        );
    }
}
