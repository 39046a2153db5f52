//! Where signing's service URLs come from: an explicit setting, else the signing config in
//! force, else the public-good default — and which one it was, for `gitseal config`.
//!
//! The signing config in force is the `signingConfig` of the client trust config named by
//! `gitseal.trustConfig` / `GITSEAL_TRUST_CONFIG`, else the `signing_config.v0.2.json` of the
//! configured TUF repository's last good refresh ([`signing_config_from_settings`]). From a
//! signing config, Fulcio, the OIDC issuer, the Rekor log and the timestamp authority are
//! selected as sigstore-go's `SelectService` does ([`crate::trust::signing_config`]). A URL from
//! a signing config passes the same HTTPS-only rule as one from a setting, with the error naming
//! the file. A signing config that lists Fulcio or Rekor services but none usable now is an
//! error, never a silent fall-back to the public-good instance (that would send a private
//! instance's token to the public Fulcio); an empty OIDC list falls back to the default issuer,
//! an empty TSA list means no timestamp authority. This module only resolves names to URLs; it
//! never connects.

use std::fmt;
use std::path::PathBuf;

use super::{ConfigError, DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, Env, GitConfig, table};
use crate::trust::client_config::ClientTrustConfig;
use crate::trust::signing_config::{REKOR_API_VERSIONS, SigningConfig, SigningConfigError};

/// Where a URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// A git config key or environment variable (its name).
    Setting(String),
    /// A signing config; the string says which (a file path, or a TUF repository).
    SigningConfig(String),
    /// gitseal's built-in default (the public-good instance).
    Default,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSource::Setting(name) => f.write_str(name),
            UrlSource::SigningConfig(from) => write!(f, "signing config ({from})"),
            UrlSource::Default => f.write_str("default"),
        }
    }
}

/// One resolved URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrl {
    /// The URL.
    pub url: String,
    /// Where it came from.
    pub source: UrlSource,
    /// The service's major API version when a signing config says it (Rekor 1 or 2); `None`
    /// for a setting or default (gitsign's services: Rekor v1).
    pub api_version: Option<u32>,
}

/// The services signing uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrls {
    /// Fulcio.
    pub fulcio: ServiceUrl,
    /// Rekor.
    pub rekor: ServiceUrl,
    /// The OIDC issuer.
    pub issuer: ServiceUrl,
    /// An RFC 3161 timestamp authority, when the signing config lists one (no setting names
    /// one yet: the part that adds timestamps reads this).
    pub tsa: Option<ServiceUrl>,
}

/// A signing config together with where it came from.
#[derive(Debug, Clone)]
pub struct KnownSigningConfig {
    /// The config.
    pub config: SigningConfig,
    /// A file path, or a TUF repository URL, for messages.
    pub source: String,
}

/// The trust config file `gitseal.trustConfig` / `GITSEAL_TRUST_CONFIG` names; set but empty
/// is an error (as for `trustedRoot`: an empty value must not mean "the public-good instance").
pub fn trust_config_path(git: &GitConfig, env: &Env) -> Result<Option<PathBuf>, ConfigError> {
    match table::TRUST_CONFIG.named(git, env) {
        None => Ok(None),
        Some((name, v)) if v.trim().is_empty() => Err(ConfigError::Invalid {
            key: name,
            detail: "set but empty (unset it, or name a file)".into(),
        }),
        Some((_, v)) => Ok(Some(PathBuf::from(v))),
    }
}

/// The signing config of the trust config the settings name, if any.
pub fn signing_config_from_settings(
    git: &GitConfig,
    env: &Env,
) -> Result<Option<KnownSigningConfig>, ConfigError> {
    let Some(path) = trust_config_path(git, env)? else {
        return signing_config_from_tuf(git, env);
    };
    let tc = ClientTrustConfig::from_file(&path).map_err(|e| ConfigError::Invalid {
        key: table::TRUST_CONFIG.names.into(),
        detail: e.to_string(),
    })?;
    Ok(Some(KnownSigningConfig {
        config: tc.signing_config,
        source: tc.source,
    }))
}

/// The signing config of the configured TUF repository's last good refresh (`gitseal trust
/// update`), when there is one: files only, never the network. An unusable TUF configuration
/// (a bad `TUF_MIRROR`) or a damaged cache is an error, as it is for the trust root.
fn signing_config_from_tuf(
    git: &GitConfig,
    env: &Env,
) -> Result<Option<KnownSigningConfig>, ConfigError> {
    let invalid = |detail: String| ConfigError::Invalid {
        key: table::TUF_MIRROR.names.into(),
        detail,
    };
    let repo =
        crate::tuf::cache::Repository::resolve(git, env).map_err(|e| invalid(e.to_string()))?;
    let Some(bytes) = crate::tuf::cache::cached_target(&repo, crate::tuf::cache::SIGNING_CONFIG)
        .map_err(|e| invalid(e.to_string()))?
    else {
        return Ok(None);
    };
    let config = SigningConfig::from_json(&bytes).map_err(|e| {
        invalid(format!(
            "{} of {}: {e}",
            crate::tuf::cache::SIGNING_CONFIG,
            repo.mirror
        ))
    })?;
    Ok(Some(KnownSigningConfig {
        config,
        source: format!("TUF {}", repo.mirror),
    }))
}

/// Picks a service's URL and major API version from a signing config (`None`: it lists none).
type Pick<'a> = &'a dyn Fn(&SigningConfig) -> Result<Option<(String, u32)>, SigningConfigError>;

/// Resolve the service URLs: an explicit (non-empty) setting wins, then `known`'s selection at
/// `now` (Unix seconds), then the default.
pub fn resolve(
    git: &GitConfig,
    env: &Env,
    known: Option<&KnownSigningConfig>,
    now: i64,
) -> Result<ServiceUrls, ConfigError> {
    resolve_for(git, env, known, now, 1)
}

/// [`resolve`] for signing to Rekor API `rekor_version` (`gitsign.rekorVersion`, 1 or 2): the
/// signing config's log is chosen among that version's, and the default is the public-good
/// log of that version.
pub fn resolve_for(
    git: &GitConfig,
    env: &Env,
    known: Option<&KnownSigningConfig>,
    now: i64,
    rekor_version: u8,
) -> Result<ServiceUrls, ConfigError> {
    let explicit = |s: &table::Setting| {
        s.named(git, env)
            .filter(|(_, v)| !v.is_empty())
            .map(|(name, url)| ServiceUrl {
                url,
                source: UrlSource::Setting(name),
                api_version: None,
            })
    };
    let from_config = |pick: Pick<'_>| -> Result<Option<ServiceUrl>, ConfigError> {
        let Some(k) = known else { return Ok(None) };
        let bad = |detail: String| ConfigError::Invalid {
            key: format!("signing config ({})", k.source),
            detail,
        };
        let Some((url, version)) = pick(&k.config).map_err(|e| bad(e.to_string()))? else {
            return Ok(None);
        };
        crate::net::https::check(&url).map_err(|e| bad(format!("{url:?}: {e}")))?;
        Ok(Some(ServiceUrl {
            url,
            source: UrlSource::SigningConfig(k.source.clone()),
            api_version: Some(version),
        }))
    };
    let default = |url: &str| ServiceUrl {
        url: url.to_owned(),
        source: UrlSource::Default,
        api_version: None,
    };
    let chosen = |s: &crate::trust::signing_config::Service| (s.url.clone(), s.major_api_version);
    let fulcio = match explicit(&table::FULCIO) {
        Some(u) => u,
        None => from_config(&|c| c.fulcio(now).map(|s| Some(chosen(s))))?
            .unwrap_or_else(|| default(DEFAULT_FULCIO_URL)),
    };
    let rekor = match explicit(&table::REKOR) {
        Some(u) => u,
        // gitseal writes to one log: the first the selector gives.
        None => from_config(&|c| {
            let versions = [u32::from(rekor_version)];
            debug_assert!(REKOR_API_VERSIONS.contains(&versions[0]));
            c.rekor_logs(&versions, now)
                .map(|l| l.first().map(|s| chosen(s)))
        })?
        .unwrap_or_else(|| {
            default(if rekor_version == 2 {
                super::DEFAULT_REKOR_V2_URL
            } else {
                DEFAULT_REKOR_URL
            })
        }),
    };
    let issuer = match explicit(&table::ISSUER) {
        Some(u) => u,
        None => from_config(&|c| {
            if c.oidc_urls.is_empty() {
                return Ok(None);
            }
            c.oidc_issuer(now).map(|s| Some(chosen(s)))
        })?
        .unwrap_or_else(|| default(crate::oidc::DEFAULT_ISSUER)),
    };
    let tsa = match explicit(&table::TIMESTAMP_SERVER_URL) {
        Some(u) => Some(u),
        None => from_config(&|c| {
            c.timestamp_authorities(now)
                .map(|l| l.first().map(|s| chosen(s)))
        })?,
    };
    Ok(ServiceUrls {
        fulcio,
        rekor,
        issuer,
        tsa,
    })
}

/// The Rekor verification looks online-mode entries up in: the one signing would write to
/// with the same settings (an explicit setting, else the trust config's signing config, else
/// the default), so a repository whose only setting is `gitseal.trustConfig` verifies what it
/// signed in either Rekor mode.
pub fn rekor_for_lookups(git: &GitConfig, env: &Env, now: i64) -> Result<ServiceUrl, ConfigError> {
    if let Some((name, url)) = table::REKOR.named(git, env).filter(|(_, v)| !v.is_empty()) {
        return Ok(ServiceUrl {
            url,
            source: UrlSource::Setting(name),
            api_version: None,
        });
    }
    let known = signing_config_from_settings(git, env)?;
    Ok(resolve(git, env, known.as_ref(), now)?.rekor)
}

/// `gitseal config`'s lines for the resolved URLs: `NAME = URL  [SOURCE]`.
pub fn describe(urls: &ServiceUrls) -> String {
    let mut out = String::new();
    let tsa_none = ServiceUrl {
        url: "(none)".into(),
        source: UrlSource::Default,
        api_version: None,
    };
    for (name, u) in [
        ("fulcio", &urls.fulcio),
        ("rekor", &urls.rekor),
        ("issuer", &urls.issuer),
        ("tsa", urls.tsa.as_ref().unwrap_or(&tsa_none)),
    ] {
        out.push_str(&format!("  {name:6} = {}  [{}]\n", u.url, u.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn known(v: serde_json::Value) -> KnownSigningConfig {
        KnownSigningConfig {
            config: SigningConfig::from_json(v.to_string().as_bytes()).expect("parses"),
            source: "/x/trust.json".into(),
        }
    }

    fn sc(fulcio: &str) -> serde_json::Value {
        json!({
            "mediaType": crate::trust::signing_config::SIGNING_CONFIG_MEDIA_TYPE,
            "caUrls": [{"url": fulcio, "majorApiVersion": 1, "operator": "o",
                        "validFor": {"start": "2024-01-01T00:00:00Z"}}],
            "oidcUrls": [{"url": "https://issuer.example", "majorApiVersion": 1, "operator": "o"}],
            "rekorTlogUrls": [
                {"url": "https://rekor-v2.example", "majorApiVersion": 2, "operator": "o"},
                {"url": "https://rekor.example", "majorApiVersion": 1, "operator": "o"}],
            "tsaUrls": [{"url": "https://tsa.example", "majorApiVersion": 1, "operator": "o"}],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"}
        })
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn settings_win_then_the_signing_config_then_defaults() {
        let k = known(sc("https://fulcio.example"));
        let git = GitConfig::from_pairs(&[("gitsign.fulcio", "https://mine.example")]);
        let u = resolve(&git, &env(&[]), Some(&k), NOW).expect("resolves");
        assert_eq!(u.fulcio.url, "https://mine.example");
        assert_eq!(u.fulcio.source, UrlSource::Setting("gitsign.fulcio".into()));
        assert_eq!(
            u.rekor.url, "https://rekor.example",
            "v1: what gitseal writes"
        );
        assert_eq!(u.rekor.source.to_string(), "signing config (/x/trust.json)");
        assert_eq!(u.issuer.url, "https://issuer.example");
        assert_eq!(
            u.tsa.as_ref().map(|t| t.url.as_str()),
            Some("https://tsa.example")
        );
        // An environment variable beats the signing config too; empty means unset.
        let e = env(&[
            ("GITSEAL_REKOR_URL", "https://r.example"),
            ("GITSEAL_OIDC_ISSUER", ""),
        ]);
        let u = resolve(&GitConfig::default(), &e, Some(&k), NOW).expect("resolves");
        assert_eq!(
            u.rekor.source,
            UrlSource::Setting("GITSEAL_REKOR_URL".into())
        );
        assert_eq!(u.issuer.url, "https://issuer.example");
        // No signing config: defaults.
        let u = resolve(&GitConfig::default(), &env(&[]), None, NOW).expect("resolves");
        assert_eq!(u.fulcio.url, DEFAULT_FULCIO_URL);
        assert_eq!(u.fulcio.source, UrlSource::Default);
        assert_eq!(u.tsa, None);
        assert!(describe(&u).contains("  tsa    = (none)  [default]"));
    }

    #[test]
    fn an_unusable_signing_config_is_an_error_not_the_public_instance() {
        // Fulcio's window has not started.
        let mut future = sc("https://fulcio.example");
        future["caUrls"][0]["validFor"]["start"] = json!("2099-01-01T00:00:00Z");
        let e = resolve(&GitConfig::default(), &env(&[]), Some(&known(future)), NOW)
            .expect_err("no Fulcio");
        assert!(
            e.to_string().contains("signing config (/x/trust.json)"),
            "{e}"
        );
        // Plain http to a remote host is refused, naming the file.
        let e = resolve(
            &GitConfig::default(),
            &env(&[]),
            Some(&known(sc("http://fulcio.example"))),
            NOW,
        )
        .expect_err("http");
        assert!(
            e.to_string().contains("signing config (/x/trust.json)"),
            "{e}"
        );
        // Loopback http is allowed (the testbed).
        assert!(
            resolve(
                &GitConfig::default(),
                &env(&[]),
                Some(&known(sc("http://127.0.0.1:9"))),
                NOW
            )
            .is_ok()
        );
        // An empty OIDC list falls back to the default issuer.
        let mut no_oidc = sc("https://fulcio.example");
        no_oidc["oidcUrls"] = json!([]);
        let u = resolve(&GitConfig::default(), &env(&[]), Some(&known(no_oidc)), NOW)
            .expect("resolves");
        assert_eq!(u.issuer.source, UrlSource::Default);
    }

    #[test]
    fn an_empty_trust_config_setting_is_an_error() {
        let e = trust_config_path(
            &GitConfig::default(),
            &env(&[("GITSEAL_TRUST_CONFIG", " ")]),
        )
        .expect_err("empty");
        assert!(e.to_string().contains("GITSEAL_TRUST_CONFIG"), "{e}");
        assert_eq!(
            trust_config_path(&GitConfig::default(), &env(&[])).expect("unset"),
            None
        );
        let e = signing_config_from_settings(
            &GitConfig::from_pairs(&[("gitseal.trustConfig", "/nonexistent/tc.json")]),
            &env(&[]),
        )
        .expect_err("missing file");
        assert!(e.to_string().contains("/nonexistent/tc.json"), "{e}");
    }
}
