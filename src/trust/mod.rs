//! The Sigstore trust root: Fulcio certificate authorities, Rekor log keys and CT log keys,
//! each with the time window in which it may be used.
//!
//! The public-good `trusted_root.json` (sigstore protobuf-specs `TrustedRoot`, from the
//! sigstore-python 4.5.1 wheel; see `src/trust/README.md`) is embedded, so verifying an
//! offline-mode signature needs no network. Other roots come from a file; gitsign's PEM
//! overrides (`GITSIGN_FULCIO_ROOT`, `SIGSTORE_REKOR_PUBLIC_KEY`, …) replace single parts.
//! This module loads and selects; it never fetches (a TUF refresh would be an explicit
//! command) and never decides whether a signature is good.

pub mod client_config;
pub mod signing_config;

use crate::pubkey::{Ed25519Key, PublicKey};
use crate::x509::Cert;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The embedded public-good trusted root.
pub const PUBLIC_GOOD_TRUSTED_ROOT: &str = include_str!("public-good.trusted_root.json");

/// The only media type sigstore clients accept for a trusted root (interop-peers §1.2).
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// Why trust material could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The file could not be read.
    #[error("cannot read trust material {path}: {source}")]
    Read {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The JSON is not a trusted root.
    #[error("{path} is not a Sigstore trusted_root.json: {detail}")]
    Json {
        /// Path or "embedded".
        path: String,
        /// Parser message.
        detail: String,
    },
    /// A certificate or key inside is malformed.
    #[error("{path}: {detail}")]
    Material {
        /// Path.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

/// A time window; `None` bounds are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validity {
    /// Inclusive start, Unix seconds.
    pub start: Option<i64>,
    /// Inclusive end, Unix seconds.
    pub end: Option<i64>,
}

impl Validity {
    /// Whether `t` lies in the window.
    pub fn contains(&self, t: i64) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t <= e)
    }
}

/// A Fulcio CA: its chain from the issuing certificate up to the self-signed root.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    /// Service URI, for messages.
    pub uri: String,
    /// Certificates, intermediates first, root last.
    pub chain: Vec<Cert>,
    /// When this CA may have issued leaves.
    pub valid_for: Validity,
}

/// A Rekor or CT log key.
#[derive(Debug, Clone)]
pub struct LogKey {
    /// Base URL, for messages.
    pub base_url: String,
    /// The log ID: SHA-256 of the key's DER SubjectPublicKeyInfo.
    pub log_id: [u8; 32],
    /// The ECDSA key, or `None` for other key types (Ed25519 Rekor v2 keys are in
    /// [`LogKey::ed25519`]).
    pub key: Option<PublicKey>,
    /// Key details as stated (`PKIX_ECDSA_P256_SHA_256`, …).
    pub key_details: String,
    /// When the key may have signed.
    pub valid_for: Validity,
    /// The key as Ed25519 (Rekor v2 logs, `PKIX_ED25519`), when it is one; `key` is then
    /// `None`. Only checkpoint verification reads it (`rekor::v2::note`).
    pub ed25519: Option<Ed25519Key>,
    /// The DER SubjectPublicKeyInfo as the trust root gives it (a C2SP signed-note key id
    /// of an ECDSA log is SHA-256 of it).
    pub spki_der: Vec<u8>,
}

/// Everything verification trusts.
#[derive(Debug, Clone, Default)]
pub struct TrustRoot {
    /// Where it came from, for messages.
    pub source: String,
    /// Fulcio CAs.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// Rekor logs.
    pub tlogs: Vec<LogKey>,
    /// CT logs.
    pub ctlogs: Vec<LogKey>,
    /// RFC 3161 timestamp authorities (`timestampAuthorities`): each chain starts with the
    /// TSA's signing certificate and ends with its self-signed root (protobuf-specs
    /// `CertificateAuthority`, as the public-good root lists its TSA).
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustedRootJson {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<LogJson>,
    #[serde(default)]
    certificate_authorities: Vec<CaJson>,
    #[serde(default)]
    ctlogs: Vec<LogJson>,
    #[serde(default)]
    timestamp_authorities: Vec<CaJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    #[serde(default)]
    base_url: String,
    public_key: PublicKeyJson,
    log_id: LogIdJson,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdJson {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyJson {
    #[serde(default)]
    raw_bytes: String,
    #[serde(default)]
    key_details: String,
    #[serde(default)]
    valid_for: Option<ValidForJson>,
}

#[derive(Deserialize)]
struct ValidForJson {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaJson {
    #[serde(default)]
    uri: String,
    cert_chain: CertChainJson,
    #[serde(default)]
    valid_for: Option<ValidForJson>,
}

#[derive(Deserialize)]
struct CertChainJson {
    certificates: Vec<RawBytesJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBytesJson {
    raw_bytes: String,
}

/// Parses an RFC 3339 UTC timestamp (`2021-03-07T03:20:29Z`, fractional seconds allowed and
/// truncated) into Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u16>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let rest = &s[19..];
    let rest = match rest.strip_prefix('.') {
        Some(frac) => frac.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    if rest != "Z" {
        return None;
    }
    let dt = der::DateTime::new(y, mo as u8, d as u8, h as u8, mi as u8, se as u8).ok()?;
    i64::try_from(dt.unix_duration().as_secs()).ok()
}

fn validity(v: Option<&ValidForJson>) -> Result<Validity, String> {
    let Some(v) = v else {
        return Ok(Validity::default());
    };
    let parse = |s: &Option<String>| -> Result<Option<i64>, String> {
        s.as_deref()
            .map(|t| parse_rfc3339(t).ok_or_else(|| format!("bad timestamp {t:?}")))
            .transpose()
    };
    Ok(Validity {
        start: parse(&v.start)?,
        end: parse(&v.end)?,
    })
}

fn log_key(l: &LogJson) -> Result<LogKey, String> {
    let raw = B64
        .decode(&l.public_key.raw_bytes)
        .map_err(|_| "log key is not base64".to_string())?;
    let log_id = B64
        .decode(&l.log_id.key_id)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or("log id is not base64 of 32 bytes")?;
    // Keys gitseal cannot use (Ed25519, RSA CT logs) are kept as known-but-unusable so that an
    // entry from such a log is "cannot check" (ERRSIG), not "unknown log".
    let key = PublicKey::from_spki_der(&raw).ok();
    // Ed25519 (Rekor v2 checkpoints) is read only when the trust root says so, so a key's
    // type is never guessed from its bytes alone.
    let ed25519 = if l.public_key.key_details == "PKIX_ED25519" {
        Some(Ed25519Key::from_spki_der(&raw).map_err(|e| format!("Ed25519 log key: {e}"))?)
    } else {
        None
    };
    Ok(LogKey {
        base_url: l.base_url.clone(),
        log_id,
        key,
        key_details: l.public_key.key_details.clone(),
        valid_for: validity(l.public_key.valid_for.as_ref())?,
        ed25519,
        spki_der: raw,
    })
}

/// `certificateAuthorities` or `timestampAuthorities`: each with a non-empty chain (leaf
/// first, root last) and its validity window. `cert` names a certificate of the list in
/// messages ("CA", "TSA"), `authority` one of its entries.
fn authorities(
    list: &[CaJson],
    cert: &str,
    authority: &str,
) -> Result<Vec<CertificateAuthority>, String> {
    list.iter()
        .map(|ca| {
            let chain = ca
                .cert_chain
                .certificates
                .iter()
                .map(|c| {
                    let der = B64
                        .decode(&c.raw_bytes)
                        .map_err(|_| format!("{cert} certificate is not base64"))?;
                    Cert::from_der(&der).map_err(|e| format!("{cert} certificate: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if chain.is_empty() {
                return Err(format!("a {authority} has an empty chain"));
            }
            Ok(CertificateAuthority {
                uri: ca.uri.clone(),
                chain,
                valid_for: validity(ca.valid_for.as_ref())?,
            })
        })
        .collect()
}

impl TrustRoot {
    /// The embedded public-good root. It is a constant of the binary, so it is parsed once
    /// per process (the JSON and every certificate in it) and cloned after that.
    pub fn public_good() -> Result<Self, TrustError> {
        static PARSED: std::sync::OnceLock<TrustRoot> = std::sync::OnceLock::new();
        if let Some(root) = PARSED.get() {
            return Ok(root.clone());
        }
        let root = Self::from_json(
            PUBLIC_GOOD_TRUSTED_ROOT.as_bytes(),
            "embedded public-good trusted root",
        )?;
        Ok(PARSED.get_or_init(|| root).clone())
    }

    /// Reads a `trusted_root.json` file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, TrustError> {
        let bytes = std::fs::read(path).map_err(|source| TrustError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&bytes, &path.display().to_string())
    }

    /// Parses trusted-root JSON.
    pub fn from_json(bytes: &[u8], source: &str) -> Result<Self, TrustError> {
        let json_err = |detail: String| TrustError::Json {
            path: source.to_string(),
            detail,
        };
        let material = |detail: String| TrustError::Material {
            path: source.to_string(),
            detail,
        };
        let tr: TrustedRootJson =
            serde_json::from_slice(bytes).map_err(|e| json_err(e.to_string()))?;
        if !tr
            .media_type
            .starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(json_err(format!(
                "unexpected mediaType {:?}",
                tr.media_type
            )));
        }
        let cas = authorities(&tr.certificate_authorities, "CA", "certificate authority")
            .map_err(material)?;
        let logs = |v: &[LogJson]| -> Result<Vec<LogKey>, TrustError> {
            v.iter().map(|l| log_key(l).map_err(material)).collect()
        };
        Ok(Self {
            source: source.to_string(),
            certificate_authorities: cas,
            tlogs: logs(&tr.tlogs)?,
            ctlogs: logs(&tr.ctlogs)?,
            timestamp_authorities: authorities(
                &tr.timestamp_authorities,
                "TSA",
                "timestamp authority",
            )
            .map_err(material)?,
        })
    }

    /// Replaces the Fulcio CAs with a PEM bundle (gitsign's `fulcioRoot`,
    /// `SIGSTORE_ROOT_FILE`, `GITSIGN_FULCIO_ROOT`): self-signed certificates are roots, the
    /// rest intermediates; each root with the intermediates that chain to it forms one CA
    /// with an open validity window.
    pub fn with_fulcio_pem_bundle(mut self, pem: &[u8], source: &str) -> Result<Self, TrustError> {
        let certs = crate::armor::blocks(pem, "CERTIFICATE")
            .into_iter()
            .map(|der| Cert::from_der(&der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TrustError::Material {
                path: source.into(),
                detail: e.to_string(),
            })?;
        let (roots, intermediates): (Vec<Cert>, Vec<Cert>) =
            certs.into_iter().partition(|c| c.is_self_issued());
        if roots.is_empty() {
            return Err(TrustError::Material {
                path: source.into(),
                detail: "the PEM bundle holds no self-signed root certificate".into(),
            });
        }
        self.certificate_authorities = roots
            .into_iter()
            .map(|root| {
                let mut chain: Vec<Cert> = intermediates
                    .iter()
                    .filter(|i| i.verify_signed_by(&root).is_ok())
                    .cloned()
                    .collect();
                chain.push(root);
                CertificateAuthority {
                    uri: source.into(),
                    chain,
                    valid_for: Validity::default(),
                }
            })
            .collect();
        Ok(self)
    }

    /// Replaces the Rekor keys (`SIGSTORE_REKOR_PUBLIC_KEY`) or CT log keys
    /// (`SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`) with the PEM public keys in a file.
    pub fn pem_log_keys(pem: &[u8], source: &str) -> Result<Vec<LogKey>, TrustError> {
        let keys: Vec<LogKey> = crate::armor::blocks(pem, "PUBLIC KEY")
            .into_iter()
            .map(|der| {
                let key = PublicKey::from_spki_der(&der).map_err(|e| TrustError::Material {
                    path: source.into(),
                    detail: e.to_string(),
                })?;
                Ok(LogKey {
                    base_url: source.into(),
                    log_id: Sha256::digest(&der).into(),
                    key: Some(key),
                    key_details: "PEM".into(),
                    valid_for: Validity::default(),
                    ed25519: None,
                    spki_der: der,
                })
            })
            .collect::<Result<_, TrustError>>()?;
        if keys.is_empty() {
            return Err(TrustError::Material {
                path: source.into(),
                detail: "no PUBLIC KEY block".into(),
            });
        }
        Ok(keys)
    }

    /// One timestamp authority from a PEM chain (gitsign's `timestampCertChain`): the TSA's
    /// signing certificate first, its self-signed root last, open validity.
    pub fn pem_timestamp_authority(
        pem: &[u8],
        source: &str,
    ) -> Result<CertificateAuthority, TrustError> {
        let material = |detail: String| TrustError::Material {
            path: source.into(),
            detail,
        };
        let chain = crate::armor::blocks(pem, "CERTIFICATE")
            .into_iter()
            .map(|der| Cert::from_der(&der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| material(e.to_string()))?;
        match chain.last() {
            Some(root) if root.is_self_issued() => Ok(CertificateAuthority {
                uri: source.into(),
                chain,
                valid_for: Validity::default(),
            }),
            _ => Err(material(
                "the timestamp certificate chain must end with a self-signed root".into(),
            )),
        }
    }

    /// Rekor keys with this log ID that were valid at `t`.
    pub fn tlog(&self, log_id: &[u8; 32], t: i64) -> Option<&LogKey> {
        find_log(&self.tlogs, log_id, t)
    }

    /// CT log keys with this log ID valid at `t`.
    pub fn ctlog(&self, log_id: &[u8; 32], t: i64) -> Option<&LogKey> {
        find_log(&self.ctlogs, log_id, t)
    }
}

fn find_log<'a>(logs: &'a [LogKey], log_id: &[u8; 32], t: i64) -> Option<&'a LogKey> {
    logs.iter()
        .find(|l| &l.log_id == log_id && l.valid_for.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_root_loads() {
        let tr = TrustRoot::public_good().unwrap();
        assert_eq!(tr.certificate_authorities.len(), 2);
        assert_eq!(tr.tlogs.len(), 2);
        assert!(tr.tlogs[0].key.is_some(), "P-256 Rekor key usable");
        assert!(
            tr.tlogs[1].key.is_none(),
            "Ed25519 Rekor v2 key is no ECDSA key"
        );
        assert!(tr.tlogs[0].ed25519.is_none());
        assert!(
            tr.tlogs[1].ed25519.is_some(),
            "Ed25519 Rekor v2 key usable for checkpoints"
        );
        assert_eq!(
            hex::encode(tr.tlogs[0].log_id),
            "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
        );
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2022-12-31T23:59:59.999Z"), Some(1672531199));
        assert_eq!(parse_rfc3339("2022-12-31 23:59:59Z"), None);
        assert_eq!(parse_rfc3339("2022-12-31T23:59:59+01:00"), None);
    }

    #[test]
    fn wrong_media_type_is_rejected() {
        let err = TrustRoot::from_json(br#"{"mediaType":"x"}"#, "t").unwrap_err();
        assert!(err.to_string().contains("mediaType"));
    }
}
