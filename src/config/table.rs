//! The one table of settings: every git config key and environment variable gitseal reads, with
//! its precedence (module docs of [`crate::config`]), default, what it affects and what it
//! means. Resolution ([`super::SignSettings::resolve`], [`super::VerifySettings::resolve`]),
//! hints that name a setting, `gitseal config` and the `gitseal-config(7)` man page all read
//! it, so a key or variable named in one place is named in all of them.
//!
//! Adding a setting is one entry in [`settings!`] below; the entry's constant is what the
//! resolver passes to [`Setting::value`] (the same lookup as [`super::setting`]). This module
//! decides no semantics beyond "which names, in which order": parsing and validation stay
//! with the resolvers. It reads nothing itself.

use super::{Env, GitConfig};

/// What a setting changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affects {
    /// Signing (`git commit -S`, `git tag -s`).
    Sign,
    /// Verification (`git verify-commit`, `git log --show-signature`, `gitseal verify`, the hook).
    Verify,
    /// Both.
    Both,
}

impl Affects {
    /// `sign`, `verify` or `sign+verify`.
    pub fn word(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::Verify => "verify",
            Self::Both => "sign+verify",
        }
    }
}

/// One setting: its names in precedence order (lowest first) and its documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The short name `gitseal config` prints.
    pub name: &'static str,
    /// git config keys, lowest precedence first (a later key wins).
    pub git_keys: &'static [&'static str],
    /// Environment variables, lowest precedence first; any variable that is set wins over
    /// every git key.
    pub env: &'static [&'static str],
    /// The value when nothing is set, as a human reads it.
    pub default: &'static str,
    /// What it changes.
    pub affects: Affects,
    /// Several values (git config keys given more than once all count).
    pub multi: bool,
    /// One or two sentences for `gitseal-config(7)`.
    pub doc: &'static str,
    /// Every name, highest precedence first, joined with ` / ` (for hints).
    pub names: &'static str,
    /// `check NAMES`: the hint for a service or file at fault.
    pub check: &'static str,
}

/// Joins literals with ` / ` at compile time.
macro_rules! join {
    ($first:literal $(, $rest:literal)* $(,)?) => { concat!($first $(, " / ", $rest)*) };
}

/// Defines each setting's constant and [`ALL`], in one entry per setting. The names are given
/// lowest precedence first (as [`super::setting`] takes them) and listed in hints highest first.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $id:ident = $name:literal, git [$($git:literal),* $(,)?], env [$($env:literal),* $(,)?],
            default $default:expr, $affects:ident $(, $multi:ident)?;
    )*) => {
        $(
            $(#[doc = $doc])+
            pub const $id: Setting = Setting {
                name: $name,
                git_keys: &[$($git),*],
                env: &[$($env),*],
                default: $default,
                affects: Affects::$affects,
                multi: settings!(@multi $($multi)?),
                doc: concat!($($doc),+),
                names: settings!(@names [$($git),*] [$($env),*]),
                check: concat!("check ", settings!(@names [$($git),*] [$($env),*])),
            };
        )*
        /// Every setting, in the order `gitseal config` and `gitseal-config(7)` show them.
        pub const ALL: &[&Setting] = &[$(&$id),*];
    };
    (@multi) => { false };
    (@multi multi) => { true };
    // Highest precedence first: the variables (last one first), then the git keys.
    (@names [$($git:literal),*] [$($env:literal),*]) => {
        settings!(@rev [] $($git)* $($env)*)
    };
    (@rev [$($done:literal)*]) => { join!($($done),*) };
    (@rev [$($done:literal)*] $head:literal $($tail:literal)*) => {
        settings!(@rev [$head $($done)*] $($tail)*)
    };
}

settings! {
    /// Fulcio, the certificate authority that issues the short-lived signing certificate.
    FULCIO = "fulcio",
        git ["gitsign.fulcio", "gitseal.fulcio"],
        env ["SIGSTORE_FULCIO_URL", "GITSIGN_FULCIO_URL", "GITSEAL_FULCIO_URL"],
        default super::DEFAULT_FULCIO_URL, Sign;
    /// Rekor, the transparency log signatures are recorded in; verification looks online-mode
    /// entries up there.
    REKOR = "rekor",
        git ["gitsign.rekor", "gitseal.rekor"],
        env ["SIGSTORE_REKOR_URL", "GITSIGN_REKOR_URL", "GITSEAL_REKOR_URL"],
        default super::DEFAULT_REKOR_URL, Both;
    /// `offline` embeds the Rekor entry in the signature (verifies with no network);
    /// `online` logs the commit id instead, as gitsign does by default.
    REKOR_MODE = "rekorMode",
        git ["gitsign.rekorMode", "gitseal.rekorMode"],
        env ["GITSIGN_REKOR_MODE", "GITSEAL_REKOR_MODE"],
        default "offline", Sign;
    /// Which Rekor API to log in: `1` (the default) or `2`, a tile-based Rekor v2 log
    /// (hashedrekord v0.0.2, no signed entry timestamp; offline mode only). With `2` and no
    /// `rekor` URL set, the public-good v2 log is used.
    REKOR_VERSION = "rekorVersion",
        git ["gitsign.rekorVersion", "gitseal.rekorVersion"],
        env ["SIGSTORE_REKOR_VERSION", "GITSIGN_REKOR_VERSION", "GITSEAL_REKOR_VERSION"],
        default "1", Sign;
    /// How to get the identity token: `interactive`, `device`, `envvar`, `filesystem` or
    /// `github-actions`; unset (or empty) tries an ambient CI token, then the browser.
    TOKEN_PROVIDER = "tokenProvider",
        git ["gitsign.tokenProvider", "gitseal.tokenProvider"],
        env ["SIGSTORE_TOKEN_PROVIDER", "GITSIGN_TOKEN_PROVIDER", "GITSEAL_TOKEN_PROVIDER"],
        default "automatic", Sign;
    /// The OIDC issuer to log in with. (`gitseal.issuer` is also read by verification as a
    /// required issuer, see `verifyIssuer`.)
    ISSUER = "issuer",
        git ["gitsign.issuer", "gitseal.issuer"],
        env ["SIGSTORE_OIDC_ISSUER", "GITSIGN_OIDC_ISSUER", "GITSEAL_OIDC_ISSUER"],
        default crate::oidc::DEFAULT_ISSUER, Sign;
    /// The OIDC client id.
    CLIENT_ID = "clientID",
        git ["gitsign.clientID", "gitseal.clientID"],
        env ["SIGSTORE_OIDC_CLIENT_ID", "GITSIGN_OIDC_CLIENT_ID", "GITSEAL_OIDC_CLIENT_ID"],
        default crate::oidc::DEFAULT_CLIENT_ID, Sign;
    /// A file holding the OIDC client secret (only its path is ever shown).
    CLIENT_SECRET_FILE = "clientSecretFile",
        git ["gitsign.clientSecretFile", "gitseal.clientSecretFile"],
        env [
            "SIGSTORE_OIDC_CLIENT_SECRET_FILE",
            "GITSIGN_OIDC_CLIENT_SECRET_FILE",
            "GITSEAL_OIDC_CLIENT_SECRET_FILE",
        ],
        default "(none)", Sign;
    /// A fixed loopback redirect URL for the browser login; unset (or empty) uses a random
    /// loopback port.
    REDIRECT_URL = "redirectURL",
        git ["gitsign.redirectURL", "gitseal.redirectURL"],
        env ["SIGSTORE_OIDC_REDIRECT_URL", "GITSIGN_OIDC_REDIRECT_URL", "GITSEAL_OIDC_REDIRECT_URL"],
        default "a random loopback port", Sign;
    /// The Dex connector to log in with.
    CONNECTOR_ID = "connectorID",
        git ["gitsign.connectorID", "gitseal.connectorID"],
        env ["SIGSTORE_CONNECTOR_ID", "GITSIGN_CONNECTOR_ID", "GITSEAL_CONNECTOR_ID"],
        default "(none)", Sign;
    /// The command that opens the login page (gitsign's syntax, with `{{.URL}}`).
    URL_OPENER = "urlOpener",
        git ["gitsign.urlOpener", "gitseal.urlOpener"],
        env ["GITSIGN_URL_OPENER", "GITSEAL_URL_OPENER"],
        default "the system browser", Sign;
    /// Close the login success page automatically.
    AUTOCLOSE = "autoclose",
        git ["gitsign.autoclose", "gitseal.autoclose"],
        env ["SIGSTORE_AUTOCLOSE", "GITSIGN_AUTOCLOSE", "GITSEAL_AUTOCLOSE"],
        default "true", Sign;
    /// Seconds before the success page closes.
    AUTOCLOSE_TIMEOUT = "autocloseTimeout",
        git ["gitsign.autocloseTimeout", "gitseal.autocloseTimeout"],
        env ["SIGSTORE_AUTOCLOSE_TIMEOUT", "GITSIGN_AUTOCLOSE_TIMEOUT", "GITSEAL_AUTOCLOSE_TIMEOUT"],
        default "6", Sign;
    /// Seconds to wait for the browser login.
    LOGIN_TIMEOUT = "loginTimeout",
        git [],
        env ["GITSEAL_LOGIN_TIMEOUT"],
        default "120", Sign;
    /// Keep an interactive or device login's ephemeral key and certificate until the
    /// certificate expires, so a rebase logs in once: `true` (OS keyring, else a private
    /// runtime-dir file), `keyring`, `file` or `false`. gitsign's `GITSIGN_CREDENTIAL_CACHE`
    /// (its daemon's socket path) means "cache"; the path is ignored.
    CREDENTIAL_CACHE = "credentialCache",
        git ["gitseal.credentialCache"],
        env ["GITSIGN_CREDENTIAL_CACHE", "GITSEAL_CREDENTIAL_CACHE"],
        default "true", Sign;
    /// Refuse to sign when the certificate identity is not `user.email`.
    MATCH_COMMITTER = "matchCommitter",
        git ["gitsign.matchCommitter", "gitseal.matchCommitter"],
        env [],
        default "false", Sign;
    /// The committer name git records.
    USER_NAME = "user.name",
        git ["user.name"],
        env [],
        default "(none)", Sign;
    /// The committer email git records (`matchCommitter` compares the certificate with it).
    USER_EMAIL = "user.email",
        git ["user.email"],
        env [],
        default "(none)", Sign;
    /// A file every message shown while signing is appended to (useful when git runs with no
    /// terminal, e.g. from an IDE).
    LOG_PATH = "logPath",
        git ["gitsign.logPath", "gitseal.logPath"],
        env ["GITSIGN_LOG", "GITSEAL_LOG"],
        default "(none; with no terminal, $XDG_STATE_HOME/gitseal/sign.log or ~/.local/state/gitseal/sign.log)", Sign;
    /// Per-request HTTP timeout in seconds (a whole number, at least 1).
    HTTP_TIMEOUT = "httpTimeout",
        git ["gitseal.httpTimeout"],
        env ["GITSEAL_HTTP_TIMEOUT"],
        default "30 signing, 10 verification", Both;
    /// Retries after a timeout, a dropped connection or a 5xx (a whole number).
    HTTP_RETRIES = "httpRetries",
        git ["gitseal.httpRetries"],
        env ["GITSEAL_HTTP_RETRIES"],
        default "3 signing, 1 verification", Both;
    /// A PEM bundle of CA certificates TLS trusts in addition to the system's (a private
    /// Sigstore's CA, a TLS-inspecting proxy's CA).
    CA_BUNDLE = "caBundle",
        git ["gitseal.caBundle"],
        env ["GITSEAL_CA_BUNDLE"],
        default "(none)", Both;
    /// A PEM bundle that replaces the system's TLS trust store (with `SSL_CERT_DIR`).
    SSL_CERT_FILE = "SSL_CERT_FILE",
        git [],
        env ["SSL_CERT_FILE"],
        default "(the system trust store)", Both;
    /// `:`-separated directories of PEM files that replace the system's TLS trust store.
    SSL_CERT_DIR = "SSL_CERT_DIR",
        git [],
        env ["SSL_CERT_DIR"],
        default "(the system trust store)", Both;
    /// The proxy for `https://` URLs, as curl reads it (lower case first; empty means unset).
    HTTPS_PROXY = "https_proxy",
        git [],
        env ["HTTPS_PROXY", "https_proxy"],
        default "(none)", Both;
    /// The proxy for `http://` URLs (loopback only); upper-case `HTTP_PROXY` is never read.
    HTTP_PROXY = "http_proxy",
        git [],
        env ["http_proxy"],
        default "(none)", Both;
    /// The proxy for URLs with no scheme-specific one.
    ALL_PROXY = "all_proxy",
        git [],
        env ["ALL_PROXY", "all_proxy"],
        default "(none)", Both;
    /// Hosts, domains, addresses and CIDR ranges reached without a proxy (`*`: all).
    NO_PROXY = "no_proxy",
        git [],
        env ["NO_PROXY", "no_proxy"],
        default "(none)", Both;
    /// A Sigstore `trusted_root.json` replacing the embedded public-good trust root
    /// (`--trusted-root` wins over both).
    TRUSTED_ROOT = "trustedRoot",
        git ["gitseal.trustedRoot"],
        env ["GITSEAL_TRUSTED_ROOT"],
        default "the embedded public-good root", Both;
    /// A Sigstore `client_trust_config.json` (ClientTrustConfig: a trusted root and a signing
    /// config, what sigstore-python's `--trust-config` takes): its trusted root is used unless
    /// `trustedRoot` is set, and its signing config gives the Fulcio, Rekor, OIDC issuer and
    /// timestamp URLs that no setting names.
    TRUST_CONFIG = "trustConfig",
        git ["gitseal.trustConfig"],
        env ["GITSEAL_TRUST_CONFIG"],
        default "(none)", Both;
    /// A PEM bundle replacing the trust root's Fulcio certificate authorities (gitsign's).
    FULCIO_ROOT = "fulcioRoot",
        git ["gitsign.fulcioRoot"],
        env ["SIGSTORE_ROOT_FILE", "SIGSTORE_FULCIO_ROOT", "GITSIGN_FULCIO_ROOT"],
        default "(from the trust root)", Both;
    /// A PEM file replacing the trust root's Rekor keys.
    REKOR_PUBLIC_KEY = "rekorPublicKey",
        git [],
        env ["SIGSTORE_REKOR_PUBLIC_KEY"],
        default "(from the trust root)", Both;
    /// A PEM file replacing the trust root's certificate transparency log keys.
    CT_LOG_PUBLIC_KEY = "ctLogPublicKey",
        git [],
        env ["SIGSTORE_CT_LOG_PUBLIC_KEY_FILE"],
        default "(from the trust root)", Both;
    /// An RFC 3161 timestamp authority's endpoint (e.g.
    /// `https://timestamp.sigstore.dev/api/v1/timestamp`): every signature then carries a
    /// timestamp over its signature value, as gitsign writes it. Unset or empty: none.
    TIMESTAMP_SERVER_URL = "timestampServerURL",
        git ["gitsign.timestampServerURL", "gitseal.timestampServerURL"],
        env [
            "SIGSTORE_TIMESTAMP_SERVER_URL",
            "GITSIGN_TIMESTAMP_SERVER_URL",
            "GITSEAL_TIMESTAMP_SERVER_URL",
        ],
        default "(none: no timestamp)", Sign;
    /// A PEM chain (the TSA's signing certificate first, its self-signed root last) replacing
    /// the trust root's timestamp authorities (gitsign's).
    TIMESTAMP_CERT_CHAIN = "timestampCertChain",
        git ["gitsign.timestampCertChain", "gitseal.timestampCertChain"],
        env [
            "SIGSTORE_TIMESTAMP_CERT_CHAIN",
            "GITSIGN_TIMESTAMP_CERT_CHAIN",
            "GITSEAL_TIMESTAMP_CERT_CHAIN",
        ],
        default "(from the trust root)", Both;
    /// The policy file (TOML, `gitseal-policy(5)`); a relative path is relative to the top of
    /// the repository. `--policy` wins over both.
    POLICY = "policy",
        git ["gitseal.policy"],
        env ["GITSEAL_POLICY"],
        default "(none: the identity keys, else the committer rule)", Verify;
    /// Required signer identity (email or URI), without a policy file; needs an issuer rule.
    IDENTITY = "identity",
        git ["gitseal.identity"],
        env [],
        default "(none)", Verify, multi;
    /// Regular expression the signer identity must match, without a policy file.
    IDENTITY_REGEXP = "identityRegexp",
        git ["gitseal.identityRegexp"],
        env [],
        default "(none)", Verify, multi;
    /// Required OIDC issuer of the signer, without a policy file.
    VERIFY_ISSUER = "verifyIssuer",
        git ["gitseal.issuer"],
        env [],
        default "(none)", Verify, multi;
    /// Regular expression the signer's OIDC issuer must match, without a policy file.
    VERIFY_ISSUER_REGEXP = "verifyIssuerRegexp",
        git ["gitseal.issuerRegexp"],
        env [],
        default "(none)", Verify, multi;
    /// No network while verifying: online-mode signatures are unverifiable unless cached
    /// (`--offline` too).
    OFFLINE = "offline",
        git ["gitseal.offline"],
        env ["GITSEAL_OFFLINE"],
        default "false", Verify;
    /// The cache of verified Rekor entries (else `$XDG_CACHE_HOME/gitseal`, else
    /// `~/.cache/gitseal`).
    CACHE_DIR = "cacheDir",
        git [],
        env ["GITSEAL_CACHE_DIR"],
        default "$XDG_CACHE_HOME/gitseal or ~/.cache/gitseal", Verify;
    /// The TUF repository the trust root is refreshed from (`gitseal trust update`); gitsign's
    /// and cosign's `TUF_MIRROR`. Unset: the mirror `gitseal trust init` recorded, else the
    /// public-good repository.
    TUF_MIRROR = "tufMirror",
        git ["gitseal.tufMirror"],
        env ["TUF_MIRROR"],
        default "remote.json from gitseal trust init, else https://tuf-repo-cdn.sigstore.dev", Both;
    /// The TUF directory: `remote.json` and one state directory per repository (gitsign's
    /// `TUF_ROOT`).
    TUF_ROOT = "tufRoot",
        git [],
        env ["TUF_ROOT"],
        default "$XDG_CACHE_HOME/gitseal/tuf or ~/.cache/gitseal/tuf", Both;
    /// The TUF root metadata a repository other than the public-good one starts from when
    /// nothing is cached (cosign's `TUF_ROOT_JSON`).
    TUF_ROOT_JSON = "tufRootJson",
        git [],
        env ["TUF_ROOT_JSON"],
        default "(the embedded root, for the public-good repository)", Both;
    /// Neither read nor write the TUF cache (gitsign's `SIGSTORE_NO_CACHE`): verification uses
    /// the embedded root, signing does not refresh.
    TUF_NO_CACHE = "tufNoCache",
        git [],
        env ["SIGSTORE_NO_CACHE"],
        default "false", Both;
}

impl Setting {
    /// The effective raw value ([`super::setting`]: a set variable wins, then the last git key).
    pub fn value(&self, git: &GitConfig, env: &Env) -> Option<String> {
        super::setting(git, env, self.git_keys, self.env)
    }

    /// [`Setting::value`] with the name it came from, for errors.
    pub fn named(&self, git: &GitConfig, env: &Env) -> Option<(String, String)> {
        super::setting_named(git, env, self.git_keys, self.env)
    }

    /// Where the effective value comes from ([`Source`]); `scopes` says which git config file
    /// holds a key (`None`: unknown).
    pub fn source(&self, git: &GitConfig, env: &Env, scopes: &Scopes) -> Source {
        if let Some(n) = self.env.iter().rev().find(|n| env.get(n).is_some()) {
            return Source::Env(n);
        }
        match self.git_keys.iter().rev().find(|k| git.get(k).is_some()) {
            Some(k) => Source::Git {
                key: k,
                scope: scopes.scope_of(k).map(str::to_string),
            },
            None => Source::Default,
        }
    }

    /// The effective values as `gitseal config` shows them: every value of a multi-valued key.
    pub fn values(&self, git: &GitConfig, env: &Env) -> Vec<String> {
        if self.multi {
            if let Some(n) = self.env.iter().rev().find_map(|n| env.get(n)) {
                return vec![n.to_string()];
            }
            if let Some(k) = self.git_keys.iter().rev().find(|k| git.get(k).is_some()) {
                return git.get_all(k).into_iter().map(str::to_string).collect();
            }
            return Vec::new();
        }
        self.value(git, env).into_iter().collect()
    }
}

/// Where a setting's effective value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Nothing is set.
    Default,
    /// A git config key, in a scope (`system`, `global`, `local`, `worktree`, `command`).
    Git {
        /// The key.
        key: &'static str,
        /// The scope, when known.
        scope: Option<String>,
    },
    /// An environment variable.
    Env(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => write!(f, "default"),
            Self::Git {
                key,
                scope: Some(s),
            } => write!(f, "git config {key} ({s})"),
            Self::Git { key, scope: None } => write!(f, "git config {key}"),
            Self::Env(n) => write!(f, "environment {n}"),
        }
    }
}

/// The scope of each git config entry, from `git config --show-scope -z` (`scope\0key\nvalue\0`).
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    entries: Vec<(String, String)>,
}

impl Scopes {
    /// Parses `git config --show-scope -z --get-regexp` output into the configuration and
    /// the scope of each entry.
    pub fn parse_z(bytes: &[u8]) -> (GitConfig, Self) {
        let mut fields = bytes.split(|&b| b == 0);
        let mut plain = Vec::new();
        let mut entries = Vec::new();
        while let (Some(scope), Some(rec)) = (fields.next(), fields.next()) {
            if scope.is_empty() && rec.is_empty() {
                break;
            }
            let key = rec.split(|&b| b == b'\n').next().unwrap_or_default();
            entries.push((
                String::from_utf8_lossy(scope).into_owned(),
                String::from_utf8_lossy(key).to_ascii_lowercase(),
            ));
            plain.extend_from_slice(rec);
            plain.push(0);
        }
        (GitConfig::parse_z(&plain), Self { entries })
    }

    /// The scope of the last value of `key` (case-insensitive).
    pub fn scope_of(&self, key: &str) -> Option<&str> {
        let key = key.to_ascii_lowercase();
        self.entries
            .iter()
            .rev()
            .find(|(_, k)| *k == key)
            .map(|(s, _)| s.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn hints_name_every_spelling_highest_first() {
        assert_eq!(
            FULCIO.names,
            "GITSEAL_FULCIO_URL / GITSIGN_FULCIO_URL / SIGSTORE_FULCIO_URL / gitseal.fulcio / gitsign.fulcio"
        );
        assert!(FULCIO.check.starts_with("check GITSEAL_FULCIO_URL / "));
        assert_eq!(
            MATCH_COMMITTER.names,
            "gitseal.matchCommitter / gitsign.matchCommitter"
        );
        assert_eq!(LOGIN_TIMEOUT.names, "GITSEAL_LOGIN_TIMEOUT");
    }

    #[test]
    fn names_are_unique_and_every_setting_has_a_name_to_set() {
        let mut seen = std::collections::BTreeSet::new();
        for s in ALL {
            assert!(seen.insert(s.name), "{} twice", s.name);
            assert!(!s.git_keys.is_empty() || !s.env.is_empty(), "{}", s.name);
            assert!(!s.doc.trim().is_empty(), "{}", s.name);
        }
    }

    #[test]
    fn source_follows_precedence() {
        let git = GitConfig::from_pairs(&[("gitsign.fulcio", "a"), ("gitseal.fulcio", "b")]);
        let (_, scopes) = Scopes::parse_z(b"global\0gitsign.fulcio\na\0local\0gitseal.fulcio\nb\0");
        assert_eq!(FULCIO.value(&git, &env(&[])).as_deref(), Some("b"));
        assert_eq!(
            FULCIO.source(&git, &env(&[]), &scopes).to_string(),
            "git config gitseal.fulcio (local)"
        );
        let vars = env(&[("SIGSTORE_FULCIO_URL", "c"), ("GITSIGN_FULCIO_URL", "d")]);
        assert_eq!(FULCIO.value(&git, &vars).as_deref(), Some("d"));
        assert_eq!(
            FULCIO.source(&git, &vars, &scopes).to_string(),
            "environment GITSIGN_FULCIO_URL"
        );
        assert_eq!(
            FULCIO.source(&GitConfig::default(), &env(&[]), &scopes),
            Source::Default
        );
    }

    #[test]
    fn scoped_output_parses_like_plain_output() {
        let (git, scopes) = Scopes::parse_z(
            b"system\0gitseal.identity\na@x\0local\0gitseal.identity\nb@x\0command\0gitseal.offline\0",
        );
        assert_eq!(git.get_all("gitseal.identity"), ["a@x", "b@x"]);
        assert_eq!(git.get("gitseal.offline"), Some("true"));
        assert_eq!(scopes.scope_of("gitseal.Identity"), Some("local"));
        assert_eq!(scopes.scope_of("gitseal.offline"), Some("command"));
        assert_eq!(
            IDENTITY.values(&git, &env(&[])),
            ["a@x".to_string(), "b@x".to_string()]
        );
    }
}

/// Hints name every spelling of a setting: a hint elsewhere in the source that names a
/// setting "(or VARIABLE ...)" by hand would drift from this table, so none may.
#[cfg(test)]
mod no_hand_written_hints {
    #[test]
    fn hints_come_from_the_table() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    files(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut all = Vec::new();
        files(&root.join("src"), &mut all);
        let names: Vec<&str> = super::ALL
            .iter()
            .flat_map(|s| s.env.iter().copied())
            .collect();
        for f in all {
            if f.ends_with("config/table.rs") || f.components().any(|c| c.as_os_str() == "testbed")
            {
                continue;
            }
            for (n, line) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
                let l = line.trim_start();
                // A hint that lists one setting's spellings: `"check KEY (or VARIABLE / ...)"`.
                if l.starts_with("//") || !l.contains("\"check ") || !l.contains(" (or ") {
                    continue;
                }
                if let Some(name) = names.iter().find(|v| l.contains(*v)) {
                    panic!(
                        "{}:{}: a hint names {name} by hand; use the setting's `check` from config::table",
                        f.display(),
                        n + 1
                    );
                }
            }
        }
    }
}
