//! What the network needs from configuration, decided before any socket is opened: which URLs
//! may be used at all ([`https`]: HTTPS only, loopback excepted), which certificate
//! authorities TLS trusts ([`tls`]: the operating system's store, `SSL_CERT_FILE` /
//! `SSL_CERT_DIR`, `gitseal.caBundle`), and which proxy a request goes through ([`proxy`]:
//! curl's rules).
//!
//! Every decision here is a function of plain data (a URL, a [`crate::config::Env`], a
//! [`crate::config::GitConfig`], file contents) so it is unit-tested as a table. This module
//! never opens a socket: [`crate::transport`] is the one place that does, and it asks here
//! first.

pub mod https;
pub mod proxy;
pub mod tls;

use crate::config::{ConfigError, Env, GitConfig};

/// The network settings [`crate::transport::HttpTransport`] applies to every request.
/// `Default`: the built-in Mozilla roots (library users and tests that configure nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetSettings {
    /// TLS trust anchors, already read.
    pub tls: tls::TrustAnchors,
    /// The proxy variables in force.
    pub proxy: proxy::ProxyEnv,
}

impl NetSettings {
    /// Resolves the settings from git config and the environment and reads the trust
    /// anchors. Fails on an unusable value (an unreadable `gitseal.caBundle`, an
    /// `SSL_CERT_FILE` that does not exist, a proxy URL with an unknown scheme), naming it.
    pub fn resolve(git: &GitConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            tls: tls::TrustAnchors::resolve(git, env)?,
            proxy: proxy::ProxyEnv::from_env(env)?,
        })
    }
}
