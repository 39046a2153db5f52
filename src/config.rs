//! Effective configuration: git config (gitseal's keys and gitsign's) and environment
//! variables, merged with a documented precedence, turned into plain values.
//!
//! Precedence, lowest first (gitsign's order, compat §9.2, with gitseal's names on top):
//! built-in default < git config `gitsign.*` < git config `gitseal.*` < `SIGSTORE_*` env <
//! `GITSIGN_*` env < `GITSEAL_*` env < command-line flags. An environment variable counts only
//! when set. This module reads (git config via one `git config` call, the environment it is
//! handed) and never touches the network.

use crate::trust::{TrustError, TrustRoot};
use crate::verify::policy::{GITHUB_CLAIMS, Matcher, Policy};
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
}

/// The process environment as plain data (tests pass their own).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Snapshot of the real environment (non-UTF-8 variables are skipped).
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

/// git config entries (keys lower-cased by git, multi-valued keys kept in order).
#[derive(Debug, Clone, Default)]
pub struct GitConfig {
    entries: Vec<(String, String)>,
}

impl GitConfig {
    /// Reads `gitseal.*`, `gitsign.*`, `user.*` and `gpg.*` from all scopes, as `git config`
    /// sees them from `cwd`. Outside a repository only global/system config is read.
    pub fn load(cwd: &Path) -> Result<Self, ConfigError> {
        #[allow(clippy::disallowed_methods)] // the one place gitseal runs `git config`
        let out = std::process::Command::new("git")
            .current_dir(cwd)
            .args([
                "config",
                "-z",
                "--get-regexp",
                r"^(gitseal|gitsign|user|gpg)\.",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| ConfigError::Git(format!("cannot run git: {e}")))?;
        // Exit 1 with no output means "no matching keys" (git-config(1) EXIT STATUS).
        let no_match = out.status.code() == Some(1) && out.stdout.is_empty();
        if !out.status.success() && !no_match {
            return Err(ConfigError::Git(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(Self::parse_z(&out.stdout))
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

/// Identity-policy values before validation (flags or config).
#[derive(Debug, Clone, Default)]
pub struct PolicyArgs {
    /// `--certificate-identity`.
    pub identities: Vec<String>,
    /// `--certificate-identity-regexp`.
    pub identity_regexps: Vec<String>,
    /// `--certificate-oidc-issuer`.
    pub issuers: Vec<String>,
    /// `--certificate-oidc-issuer-regexp`.
    pub issuer_regexps: Vec<String>,
    /// `--certificate-github-workflow-<claim>` values, keyed by claim name.
    pub github: Vec<(String, String)>,
}

impl PolicyArgs {
    /// True when nothing is given.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
            && self.identity_regexps.is_empty()
            && self.issuers.is_empty()
            && self.issuer_regexps.is_empty()
            && self.github.is_empty()
    }

    /// The policy configured in git config (`gitseal.identity`, `gitseal.identityRegexp`,
    /// `gitseal.issuer`, `gitseal.issuerRegexp`, all multi-valued).
    pub fn from_git_config(git: &GitConfig) -> Self {
        let all = |k: &str| git.get_all(k).into_iter().map(str::to_string).collect();
        Self {
            identities: all("gitseal.identity"),
            identity_regexps: all("gitseal.identityRegexp"),
            issuers: all("gitseal.issuer"),
            issuer_regexps: all("gitseal.issuerRegexp"),
            github: Vec::new(),
        }
    }

    /// Validates into a [`Policy`].
    pub fn build(&self) -> Result<Policy, ConfigError> {
        let invalid = |key: &str, detail: String| ConfigError::Invalid {
            key: key.into(),
            detail,
        };
        let mut identities: Vec<Matcher> = self
            .identities
            .iter()
            .cloned()
            .map(Matcher::Exact)
            .collect();
        for r in &self.identity_regexps {
            identities.push(Matcher::regexp(r).map_err(|e| invalid("identity regexp", e))?);
        }
        let mut issuers: Vec<Matcher> = self.issuers.iter().cloned().map(Matcher::Exact).collect();
        for r in &self.issuer_regexps {
            issuers.push(Matcher::regexp(r).map_err(|e| invalid("issuer regexp", e))?);
        }
        let claims = self
            .github
            .iter()
            .map(|(name, value)| {
                GITHUB_CLAIMS
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, oid)| (*oid, value.clone()))
                    .ok_or_else(|| invalid("GitHub workflow claim", name.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            identities,
            issuers,
            claims,
        })
    }
}

/// Loads the trust root: `flag` (`--trusted-root`) > `GITSEAL_TRUSTED_ROOT` >
/// `gitseal.trustedRoot` > the embedded public-good root; then gitsign's part overrides:
/// Fulcio CAs from `gitsign.fulcioRoot` < `SIGSTORE_ROOT_FILE` < `SIGSTORE_FULCIO_ROOT` <
/// `GITSIGN_FULCIO_ROOT` (a PEM bundle), Rekor keys from `SIGSTORE_REKOR_PUBLIC_KEY`, CT log
/// keys from `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`.
pub fn load_trust_root(
    flag: Option<&Path>,
    env: &Env,
    git: &GitConfig,
) -> Result<TrustRoot, ConfigError> {
    let file: Option<PathBuf> = flag
        .map(Path::to_path_buf)
        .or_else(|| env.get("GITSEAL_TRUSTED_ROOT").map(PathBuf::from))
        .or_else(|| git.get("gitseal.trustedRoot").map(PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty());
    let mut root = match file {
        Some(p) => TrustRoot::from_file(&p)?,
        None => TrustRoot::public_good()?,
    };
    let read = |path: &str| {
        std::fs::read(path).map_err(|source| TrustError::Read {
            path: path.into(),
            source,
        })
    };
    let fulcio = env
        .last_set(&[
            "SIGSTORE_ROOT_FILE",
            "SIGSTORE_FULCIO_ROOT",
            "GITSIGN_FULCIO_ROOT",
        ])
        .or_else(|| git.get("gitsign.fulcioRoot"))
        .filter(|p| !p.is_empty());
    if let Some(path) = fulcio {
        root = root.with_fulcio_pem_bundle(&read(path)?, path)?;
    }
    if let Some(path) = env
        .get("SIGSTORE_REKOR_PUBLIC_KEY")
        .filter(|p| !p.is_empty())
    {
        root.tlogs = TrustRoot::pem_log_keys(&read(path)?, path)?;
    }
    if let Some(path) = env
        .get("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE")
        .filter(|p| !p.is_empty())
    {
        root.ctlogs = TrustRoot::pem_log_keys(&read(path)?, path)?;
    }
    Ok(root)
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
    fn bad_regexp_is_a_config_error() {
        let p = PolicyArgs {
            identity_regexps: vec!["(".into()],
            ..Default::default()
        };
        assert!(p.build().is_err());
    }
}
