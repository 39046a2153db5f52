//! Which certificate authorities TLS trusts, decided once from configuration and read from
//! disk before any connection.
//!
//! The anchors, in order of the rules (curl and Go agree on the first two; gitsign, being Go,
//! follows them):
//!
//! 1. `SSL_CERT_FILE` (a PEM bundle) and `SSL_CERT_DIR` (`:`-separated directories of PEM
//!    files, as `openssl rehash` lays them out), when either is set: they replace the
//!    operating system's store, as in OpenSSL and Go's `crypto/x509`.
//! 2. Otherwise the operating system's store (`rustls-native-certs`: the distribution's bundle
//!    and directory on Linux and the BSDs, the Keychain on macOS, the system store on
//!    Windows), so a company CA installed the usual way (`update-ca-certificates`) is trusted.
//! 3. Plus, always, `gitseal.caBundle` / `GITSEAL_CA_BUNDLE`: an extra PEM bundle added to the
//!    above (a private Sigstore's CA, a TLS-intercepting proxy's CA) without replacing it.
//! 4. When the operating system's store is empty (a minimal container with no CA package) and
//!    no extra bundle is given, the Mozilla set built into the binary (`webpki-roots`, what
//!    gitseal trusted before). With an extra bundle, that bundle alone is the trust; an
//!    `SSL_CERT_FILE` that holds nothing trusts nothing (never a silent widening).
//!
//! A configured source that cannot be used (an unreadable file, a bundle with no certificate)
//! is a configuration error naming the setting, never a silent fallback to a wider set. This
//! module reads files; it never connects ([`crate::transport`] hands the anchors to rustls,
//! with aws-lc-rs as its crypto provider).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{ConfigError, Env, GitConfig};

/// The rustls crypto provider every TLS connection gitseal (and its testbed) makes uses:
/// aws-lc-rs, the crate's one cryptography library (Cargo.toml, README "Performance"). ureq is
/// built without a provider of its own (`rustls-no-provider`), so an agent that is not given
/// this one fails at its first https:// request instead of silently using another library.
pub fn crypto_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<std::sync::Arc<rustls::crypto::CryptoProvider>> =
        std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .clone()
}

/// Where the trust anchors came from (shown by errors and `Debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The Mozilla set built into the binary (no store found, nothing configured).
    BuiltIn,
    /// The operating system's store.
    System,
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR`.
    SslCertEnv,
    /// Only the extra bundle (no store found).
    BundleOnly,
}

/// The trust anchors for TLS: DER certificates, or the built-in Mozilla set.
#[derive(Clone, PartialEq, Eq)]
pub struct TrustAnchors {
    /// DER certificates; empty with [`Source::BuiltIn`]. While `system_pending`, only the
    /// extra bundle's.
    certs: Arc<Vec<Vec<u8>>>,
    source: Source,
    /// The base set is still to be read (see [`TrustAnchors::loaded`]).
    pending: Option<Pending>,
}

/// A base set of anchors not read yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    /// The operating system's store.
    System,
    /// `SSL_CERT_FILE` and the `SSL_CERT_DIR` directories (checked to exist at resolution).
    SslCertEnv {
        file: Option<String>,
        dirs: Vec<String>,
    },
}

impl Default for TrustAnchors {
    /// The built-in Mozilla set (what ureq trusts by default): for library users and tests
    /// that configure nothing.
    fn default() -> Self {
        Self {
            certs: Arc::new(Vec::new()),
            source: Source::BuiltIn,
            pending: None,
        }
    }
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchors")
            .field("source", &self.source)
            .field("certificates", &self.certs.len())
            .field("pending", &self.pending)
            .finish()
    }
}

impl TrustAnchors {
    /// Where they came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The certificates (DER); empty for [`Source::BuiltIn`].
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certs
    }

    /// The anchors with the base set read, if it was still pending. Reading the operating
    /// system's store or `SSL_CERT_FILE`/`SSL_CERT_DIR` costs milliseconds (a bundle of ~150
    /// certificates, every file of a directory), so [`TrustAnchors::resolve`] only checks that
    /// what is named exists and leaves the reading to the first connection
    /// ([`crate::transport::HttpTransport`] builds its client then): verifying an offline-mode
    /// signature never pays for it (issue 18).
    pub fn loaded(&self) -> std::borrow::Cow<'_, Self> {
        let extra = || self.certs.as_ref().clone();
        match &self.pending {
            None => std::borrow::Cow::Borrowed(self),
            Some(Pending::System) => {
                // Errors here are per file (a dangling link in /etc/ssl/certs): what loaded is
                // used, as OpenSSL does.
                let found = rustls_native_certs::load_native_certs();
                let certs = found.certs.iter().map(|c| c.as_ref().to_vec()).collect();
                std::borrow::Cow::Owned(Self::combine(certs, Source::System, extra()))
            }
            Some(Pending::SslCertEnv { file, dirs }) => {
                let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
                // Checked to exist at resolution; a file that became unreadable since, or one
                // that does not parse, leaves the bundle alone: trusting less, never more (the
                // connection then fails as "not issued by a trusted CA", naming the settings).
                let certs = ssl_cert_env(file.as_deref(), &dirs).unwrap_or_default();
                std::borrow::Cow::Owned(Self::combine(certs, Source::SslCertEnv, extra()))
            }
        }
    }

    /// ureq's root setting for these anchors (reading the system store if still pending).
    pub(crate) fn root_certs(&self) -> ureq::tls::RootCerts {
        let this = self.loaded();
        match this.source {
            Source::BuiltIn => ureq::tls::RootCerts::WebPki,
            _ => ureq::tls::RootCerts::new_with_certs(
                &this
                    .certs
                    .iter()
                    .map(|c| ureq::tls::Certificate::from_der(c).to_owned())
                    .collect::<Vec<_>>(),
            ),
        }
    }

    /// Resolves and reads the anchors (module docs) from `SSL_CERT_FILE`, `SSL_CERT_DIR`,
    /// the operating system's store and `gitseal.caBundle` / `GITSEAL_CA_BUNDLE`.
    pub fn resolve(git: &GitConfig, env: &Env) -> Result<Self, ConfigError> {
        use crate::config::table;
        let extra = match table::CA_BUNDLE.named(git, env) {
            None => Vec::new(),
            Some((name, v)) if v.trim().is_empty() => {
                return Err(ConfigError::Invalid {
                    key: name,
                    detail: "set but empty (unset it, or name a PEM file)".into(),
                });
            }
            Some((name, v)) => read_bundle(&name, &expand_home(&v, env))?,
        };
        let file = env.get(table::SSL_CERT_FILE.name).filter(|s| !s.is_empty());
        let dirs: Vec<&str> = env
            .get(table::SSL_CERT_DIR.name)
            .map(|d| d.split(':').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        // The base set is read at the first connection ([`TrustAnchors::loaded`]); what
        // `SSL_CERT_FILE`/`SSL_CERT_DIR` name must exist now, so a typo is a configuration
        // error naming the variable, as before anything connects.
        let (pending, source) = if file.is_some() || !dirs.is_empty() {
            let exists = |var: &str, path: &str, dir: bool| match std::fs::metadata(path) {
                Ok(m) if m.is_dir() == dir => Ok(()),
                Ok(_) => Err(ConfigError::Invalid {
                    key: var.to_owned(),
                    detail: format!("{path}: not a {}", if dir { "directory" } else { "file" }),
                }),
                Err(e) => Err(ConfigError::Invalid {
                    key: var.to_owned(),
                    detail: format!("{path}: {e}"),
                }),
            };
            if let Some(f) = file {
                exists(table::SSL_CERT_FILE.name, f, false)?;
            }
            for d in &dirs {
                exists(table::SSL_CERT_DIR.name, d, true)?;
            }
            let pending = Pending::SslCertEnv {
                file: file.map(str::to_owned),
                dirs: dirs.iter().map(|d| (*d).to_owned()).collect(),
            };
            (pending, Source::SslCertEnv)
        } else {
            (Pending::System, Source::System)
        };
        Ok(Self {
            certs: Arc::new(extra),
            source,
            pending: Some(pending),
        })
    }

    /// The base set plus the extra bundle (module docs, rule 4 for an empty base).
    fn combine(mut base: Vec<Vec<u8>>, source: Source, extra: Vec<Vec<u8>>) -> Self {
        let source = match (base.is_empty(), extra.is_empty(), source) {
            (true, true, Source::System) => return Self::default(),
            (true, false, Source::System) => Source::BundleOnly,
            (_, _, s) => s,
        };
        base.extend(extra);
        base.sort_unstable();
        base.dedup();
        Self {
            certs: Arc::new(base),
            source,
            pending: None,
        }
    }
}

/// `~/` at the start of a path is the home directory (as for `gitseal.policy`).
fn expand_home(path: &str, env: &Env) -> PathBuf {
    match (path.strip_prefix("~/"), env.get("HOME")) {
        (Some(rest), Some(home)) => Path::new(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// The certificates of the extra bundle: a readable file with at least one `CERTIFICATE`
/// block (read leniently, like every configuration bundle: `armor::blocks`).
fn read_bundle(name: &str, path: &Path) -> Result<Vec<Vec<u8>>, ConfigError> {
    let invalid = |detail: String| ConfigError::Invalid {
        key: name.to_owned(),
        detail,
    };
    let text =
        std::fs::read(path).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    let certs = crate::armor::blocks(&text, "CERTIFICATE");
    if certs.is_empty() {
        return Err(invalid(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

/// The certificates named by `SSL_CERT_FILE` and `SSL_CERT_DIR`. A file that cannot be read
/// or a directory that cannot be listed is an error naming the variable: trusting nothing
/// (every TLS connection failing as "unknown issuer") would hide the cause.
fn ssl_cert_env(file: Option<&str>, dirs: &[&str]) -> Result<Vec<Vec<u8>>, ConfigError> {
    let mut certs = Vec::new();
    let mut load = |var: &str, file: Option<&Path>, dir: Option<&Path>| {
        let found = rustls_native_certs::load_certs_from_paths(file, dir);
        if let Some(e) = found.errors.first() {
            return Err(ConfigError::Invalid {
                key: var.to_owned(),
                detail: e.to_string(),
            });
        }
        certs.extend(found.certs.iter().map(|c| c.as_ref().to_vec()));
        Ok(())
    };
    if let Some(f) = file {
        load("SSL_CERT_FILE", Some(Path::new(f)), None)?;
    }
    for d in dirs {
        load("SSL_CERT_DIR", None, Some(Path::new(d)))?;
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    /// A CA certificate as (PEM, DER): the public-good Fulcio roots embedded in the binary
    /// serve as arbitrary, well-formed CA certificates.
    fn cert_pem(i: usize) -> (String, Vec<u8>) {
        let root = crate::trust::TrustRoot::public_good().unwrap();
        let der = root.certificate_authorities[i].chain[0].der.clone();
        (crate::armor::pem("CERTIFICATE", &der), der)
    }

    #[test]
    fn ca_bundle_adds_to_the_ssl_cert_file_set() {
        let dir = tempfile::tempdir().unwrap();
        let (a_pem, a) = cert_pem(0);
        let (b_pem, b) = cert_pem(1);
        let fa = dir.path().join("a.pem");
        let fb = dir.path().join("b.pem");
        std::fs::write(&fa, format!("junk before\n{a_pem}")).unwrap();
        std::fs::write(&fb, &b_pem).unwrap();
        let vars = env(&[("SSL_CERT_FILE", fa.to_str().unwrap())]);
        let t = TrustAnchors::resolve(&GitConfig::default(), &vars).unwrap();
        assert_eq!(t.source(), Source::SslCertEnv);
        // Read at the first connection, not at resolution (issue 18's per-call cost).
        assert!(t.certificates().is_empty());
        assert_eq!(t.loaded().certificates(), std::slice::from_ref(&a));
        let git = GitConfig::from_pairs(&[("gitseal.caBundle", fb.to_str().unwrap())]);
        let t = TrustAnchors::resolve(&git, &vars).unwrap();
        let mut want = vec![a.clone(), b.clone()];
        want.sort();
        assert_eq!(t.loaded().certificates(), want.as_slice());
        // SSL_CERT_DIR alone, several directories.
        let d2 = tempfile::tempdir().unwrap();
        std::fs::write(d2.path().join("b.pem"), &b_pem).unwrap();
        let dirs = format!("{}:{}", dir.path().display(), d2.path().display());
        let t =
            TrustAnchors::resolve(&GitConfig::default(), &env(&[("SSL_CERT_DIR", &dirs)])).unwrap();
        assert_eq!(t.loaded().certificates(), want.as_slice());
    }

    #[test]
    fn unusable_sources_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let missing = dir.path().join("missing.pem");
        for (git, vars, named) in [
            (
                vec![("gitseal.caBundle", missing.to_str().unwrap())],
                vec![],
                "gitseal.caBundle",
            ),
            (
                vec![("gitseal.caBundle", empty.to_str().unwrap())],
                vec![],
                "gitseal.caBundle",
            ),
            (
                vec![],
                vec![("GITSEAL_CA_BUNDLE", " ")],
                "GITSEAL_CA_BUNDLE",
            ),
            (
                vec![],
                vec![("SSL_CERT_FILE", missing.to_str().unwrap())],
                "SSL_CERT_FILE",
            ),
            (
                vec![],
                vec![("SSL_CERT_DIR", missing.to_str().unwrap())],
                "SSL_CERT_DIR",
            ),
        ] {
            let e = TrustAnchors::resolve(&GitConfig::from_pairs(&git), &env(&vars))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(&format!("invalid {named}: ")), "{e}");
        }
    }

    #[test]
    fn an_empty_store_falls_back_to_the_built_in_set_unless_a_bundle_is_given() {
        assert_eq!(
            TrustAnchors::combine(Vec::new(), Source::System, Vec::new()),
            TrustAnchors::default()
        );
        let t = TrustAnchors::combine(Vec::new(), Source::System, vec![vec![1]]);
        assert_eq!(t.source(), Source::BundleOnly);
        assert_eq!(t.certificates(), &[vec![1]]);
        // An SSL_CERT_FILE with no certificate in it trusts nothing (never the built-in set).
        let t = TrustAnchors::combine(Vec::new(), Source::SslCertEnv, Vec::new());
        assert_eq!(t.source(), Source::SslCertEnv);
        assert!(t.certificates().is_empty());
        assert!(matches!(
            TrustAnchors::default().root_certs(),
            ureq::tls::RootCerts::WebPki
        ));
    }
}
