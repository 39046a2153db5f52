//! Sigstore's `ClientTrustConfig` (protobuf-specs `dev.sigstore.trustroot.v1.ClientTrustConfig`,
//! media type `application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`): a trusted root and a
//! signing config in one file, what sigstore-python's `--trust-config` takes and what a private
//! Sigstore instance hands its users. gitseal reads it from `gitseal.trustConfig` /
//! `GITSEAL_TRUST_CONFIG`.
//!
//! It owns parsing the envelope (strict: unknown members, a wrong media type, a missing part
//! and a file over [`MAX_CLIENT_TRUST_CONFIG_BYTES`] are errors) and hands the parts to
//! [`super::TrustRoot::from_json`] and [`SigningConfig`]. What the parts are used for, and below
//! which explicit settings, is decided by the configuration (`config::service_urls` and
//! `config::TrustRootInputs`), not here.

use serde::Deserialize;

use super::signing_config::{SigningConfig, SigningConfigError};
use super::{TrustError, TrustRoot};

/// The one media type accepted.
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// The largest trust config accepted (the public-good trusted root is under 8 KiB).
pub const MAX_CLIENT_TRUST_CONFIG_BYTES: u64 = 1024 * 1024;

/// Why a trust config is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ClientConfigError {
    /// The file could not be read.
    #[error("cannot read trust config {path}: {source}")]
    Read {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Larger than [`MAX_CLIENT_TRUST_CONFIG_BYTES`].
    #[error("trust config {path} is larger than {MAX_CLIENT_TRUST_CONFIG_BYTES} bytes")]
    TooLarge {
        /// Path.
        path: String,
    },
    /// Not JSON, or not the ClientTrustConfig shape.
    #[error("{path} is not a Sigstore client trust config: {detail}")]
    Json {
        /// Path.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// Its trusted root is unusable.
    #[error("{path}: trustedRoot: {source}")]
    TrustedRoot {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: TrustError,
    },
    /// Its signing config is unusable.
    #[error("{path}: signingConfig: {source}")]
    SigningConfig {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: SigningConfigError,
    },
}

impl From<ClientConfigError> for TrustError {
    fn from(e: ClientConfigError) -> TrustError {
        match e {
            ClientConfigError::Read { path, source } => TrustError::Read { path, source },
            ClientConfigError::TrustedRoot { source, .. } => source,
            other => TrustError::Material {
                path: "trust config".into(),
                detail: other.to_string(),
            },
        }
    }
}

/// A parsed client trust config.
#[derive(Debug, Clone)]
pub struct ClientTrustConfig {
    /// Where it came from (the path), for messages and `gitseal config`.
    pub source: String,
    /// The trust root verification uses (unless an explicit trusted root is set).
    pub trusted_root: TrustRoot,
    /// The services signing uses (unless explicit URLs are set).
    pub signing_config: SigningConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Envelope {
    media_type: String,
    trusted_root: serde_json::Value,
    signing_config: serde_json::Value,
}

impl ClientTrustConfig {
    /// Read and parse a trust config file (bounded by [`MAX_CLIENT_TRUST_CONFIG_BYTES`]).
    pub fn from_file(path: &std::path::Path) -> Result<ClientTrustConfig, ClientConfigError> {
        use std::io::Read as _;
        let shown = path.display().to_string();
        let read_err = |source| ClientConfigError::Read {
            path: shown.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let mut bytes = Vec::new();
        file.take(MAX_CLIENT_TRUST_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        Self::from_json(&bytes, &shown)
    }

    /// Parse a trust config; `source` names it in messages.
    pub fn from_json(bytes: &[u8], source: &str) -> Result<ClientTrustConfig, ClientConfigError> {
        let path = source.to_owned();
        if bytes.len() as u64 > MAX_CLIENT_TRUST_CONFIG_BYTES {
            return Err(ClientConfigError::TooLarge { path });
        }
        let env: Envelope = serde_json::from_slice(bytes).map_err(|e| ClientConfigError::Json {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        if env.media_type != CLIENT_TRUST_CONFIG_MEDIA_TYPE {
            return Err(ClientConfigError::Json {
                path,
                detail: format!(
                    "media type {:?} (expected {CLIENT_TRUST_CONFIG_MEDIA_TYPE})",
                    env.media_type
                ),
            });
        }
        let root_bytes =
            serde_json::to_vec(&env.trusted_root).map_err(|e| ClientConfigError::Json {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        let trusted_root = TrustRoot::from_json(&root_bytes, &format!("{source} (trustedRoot)"))
            .map_err(|e| ClientConfigError::TrustedRoot {
                path: path.clone(),
                source: e,
            })?;
        let signing_config = SigningConfig::from_value(env.signing_config).map_err(|e| {
            ClientConfigError::SigningConfig {
                path: path.clone(),
                source: e,
            }
        })?;
        Ok(ClientTrustConfig {
            source: path,
            trusted_root,
            signing_config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> serde_json::Value {
        json!({
            "mediaType": CLIENT_TRUST_CONFIG_MEDIA_TYPE,
            "trustedRoot": serde_json::from_str::<serde_json::Value>(super::super::PUBLIC_GOOD_TRUSTED_ROOT)
                .expect("embedded root"),
            "signingConfig": {
                "mediaType": super::super::signing_config::SIGNING_CONFIG_MEDIA_TYPE,
                "caUrls": [{"url": "https://fulcio.example", "majorApiVersion": 1,
                            "validFor": {"start": "2024-01-01T00:00:00Z"}, "operator": "example"}],
                "rekorTlogUrls": [{"url": "https://rekor.example", "majorApiVersion": 1,
                                   "operator": "example"}],
                "rekorTlogConfig": {"selector": "ANY"}
            }
        })
    }

    fn parse(v: &serde_json::Value) -> Result<ClientTrustConfig, ClientConfigError> {
        ClientTrustConfig::from_json(v.to_string().as_bytes(), "t.json")
    }

    #[test]
    fn parses_both_parts() {
        let c = parse(&config()).expect("parses");
        assert!(!c.trusted_root.certificate_authorities.is_empty());
        assert_eq!(
            c.signing_config.fulcio(1_800_000_000).expect("fulcio").url,
            "https://fulcio.example"
        );
        assert!(c.trusted_root.source.contains("t.json"));
    }

    #[test]
    fn refuses_bad_envelopes() {
        let mut media = config();
        media["mediaType"] = json!("application/json");
        assert!(matches!(parse(&media), Err(ClientConfigError::Json { .. })));
        let mut extra = config();
        extra["comment"] = json!("hi");
        assert!(matches!(parse(&extra), Err(ClientConfigError::Json { .. })));
        for part in ["trustedRoot", "signingConfig"] {
            let mut missing = config();
            missing.as_object_mut().expect("object").remove(part);
            assert!(
                matches!(parse(&missing), Err(ClientConfigError::Json { .. })),
                "{part}"
            );
        }
        let mut bad_root = config();
        bad_root["trustedRoot"]["mediaType"] = json!("nope");
        assert!(matches!(
            parse(&bad_root),
            Err(ClientConfigError::TrustedRoot { .. })
        ));
        let mut bad_signing = config();
        bad_signing["signingConfig"]["rekorTlogConfig"] = json!({"selector": "SOME"});
        let e = parse(&bad_signing).expect_err("bad selector");
        assert!(matches!(e, ClientConfigError::SigningConfig { .. }));
        assert!(e.to_string().starts_with("t.json: signingConfig:"), "{e}");
        let big = vec![b' '; usize::try_from(MAX_CLIENT_TRUST_CONFIG_BYTES).expect("fits") + 1];
        assert!(matches!(
            ClientTrustConfig::from_json(&big, "big"),
            Err(ClientConfigError::TooLarge { .. })
        ));
        assert!(matches!(
            ClientTrustConfig::from_file(std::path::Path::new("/nonexistent/t.json")),
            Err(ClientConfigError::Read { .. })
        ));
    }
}
