//! Sigstore's `SigningConfig` v0.2 (protobuf-specs `dev.sigstore.trustroot.v1.SigningConfig`,
//! media type `application/vnd.dev.sigstore.signingconfig.v0.2+json`): which Fulcio, OIDC
//! issuer, Rekor logs and timestamp authorities a client signs with, and the selection of those
//! services by API version, validity window and operator.
//!
//! It owns parsing (strict, as sigstore-python's pydantic models and sigstore-go's protojson
//! are: unknown fields, unknown selectors and a wrong media type are errors, and a file larger
//! than [`MAX_SIGNING_CONFIG_BYTES`] is refused before parsing) and selection, which follows
//! sigstore-go's `SelectService`/`SelectServices` (`pkg/root/signing_config.go`): services
//! valid at `now` with a supported major API version, newest `validFor.start` first, the highest
//! supported version that has any, at most one service per operator; then the selector — `ALL`
//! every one, `ANY` one, `EXACT` exactly `count` (fewer is an error). Where sigstore-go picks at
//! random (`ANY`, `EXACT`), this takes the newest, so a choice is reproducible and a test can
//! pin it. It is pure: the caller gives the time ([`crate::clock`]), and nothing here reads a
//! file, fetches, or decides trust (the trusted root does that).

use serde::Deserialize;

use super::{Validity, parse_rfc3339};

/// The one media type accepted.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// The largest signing config accepted (the public-good one is under 2 KiB).
pub const MAX_SIGNING_CONFIG_BYTES: usize = 256 * 1024;

/// Fulcio API versions gitseal speaks (`/api/v2/signingCert` is Fulcio's API "v1" service in
/// the signing config's numbering, as sigstore-python's `FULCIO_VERSIONS = [1]`).
pub const FULCIO_API_VERSIONS: &[u32] = &[1];
/// OIDC issuer "API versions" (always 1).
pub const OIDC_API_VERSIONS: &[u32] = &[1];
/// Rekor API versions gitseal can write to: v1 and v2. Which one signing uses is
/// `gitsign.rekorVersion` (default 1, as gitsign), so selection asks for one at a time.
pub const REKOR_API_VERSIONS: &[u32] = &[1, 2];
/// RFC 3161 timestamp authority API versions (1).
pub const TSA_API_VERSIONS: &[u32] = &[1];

/// Why a signing config is unusable, or a selection found nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningConfigError {
    /// Larger than [`MAX_SIGNING_CONFIG_BYTES`].
    #[error("signing config is {0} bytes (limit {MAX_SIGNING_CONFIG_BYTES})")]
    TooLarge(usize),
    /// Not JSON, or not the SigningConfig shape.
    #[error("not a Sigstore signing config: {0}")]
    Json(String),
    /// A media type other than v0.2.
    #[error("unsupported signing config media type {0:?} (expected {SIGNING_CONFIG_MEDIA_TYPE})")]
    MediaType(String),
    /// A service entry is malformed.
    #[error("signing config {field}[{index}]: {detail}")]
    Service {
        /// `caUrls`, `oidcUrls`, `rekorTlogUrls` or `tsaUrls`.
        field: &'static str,
        /// Position in the list.
        index: usize,
        /// What is wrong.
        detail: String,
    },
    /// A selector is malformed (`EXACT` without a positive count, an unknown name).
    #[error("signing config {field}: {detail}")]
    Selector {
        /// `rekorTlogConfig` or `tsaConfig`.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// No service of that kind is valid now with a supported API version.
    #[error("signing config lists no {kind} valid now with API version {versions:?}")]
    NoService {
        /// `Fulcio`, `OIDC issuer`, `Rekor log` or `timestamp authority`.
        kind: &'static str,
        /// The versions asked for.
        versions: Vec<u32>,
    },
    /// `EXACT` asked for more distinct-operator services than are valid.
    #[error("signing config asks for exactly {count} {kind}(s), {found} are valid now")]
    NotEnough {
        /// `Rekor log` or `timestamp authority`.
        kind: &'static str,
        /// The count asked for.
        count: u32,
        /// How many were found.
        found: usize,
    },
}

/// One service: a URL with its API version, validity window and operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Base URL.
    pub url: String,
    /// Major API version (Rekor 1 or 2, others 1).
    pub major_api_version: u32,
    /// When the service may be used.
    pub valid_for: Validity,
    /// Who runs it (one service per operator is selected).
    pub operator: String,
}

/// How many of a list of services to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// Every valid service (one per operator).
    All,
    /// One of them.
    Any,
    /// Exactly this many (more than 0).
    Exact(u32),
}

/// A parsed signing config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningConfig {
    /// Fulcio instances.
    pub ca_urls: Vec<Service>,
    /// OIDC issuers.
    pub oidc_urls: Vec<Service>,
    /// Rekor logs.
    pub rekor_tlog_urls: Vec<Service>,
    /// How many Rekor logs to write to.
    pub rekor_tlog_config: Selector,
    /// RFC 3161 timestamp authorities.
    pub tsa_urls: Vec<Service>,
    /// How many timestamp authorities to ask.
    pub tsa_config: Selector,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigJson {
    media_type: String,
    #[serde(default)]
    ca_urls: Vec<ServiceJson>,
    #[serde(default)]
    oidc_urls: Vec<ServiceJson>,
    #[serde(default)]
    rekor_tlog_urls: Vec<ServiceJson>,
    #[serde(default)]
    rekor_tlog_config: Option<SelectorJson>,
    #[serde(default)]
    tsa_urls: Vec<ServiceJson>,
    #[serde(default)]
    tsa_config: Option<SelectorJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ServiceJson {
    url: String,
    #[serde(default)]
    major_api_version: Option<serde_json::Value>,
    #[serde(default)]
    valid_for: Option<ValidForJson>,
    #[serde(default)]
    operator: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidForJson {
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorJson {
    selector: String,
    #[serde(default)]
    count: Option<serde_json::Value>,
}

/// A protobuf-JSON uint32: a number, or (proto3 JSON allows it) a decimal string.
fn uint32(v: &serde_json::Value) -> Option<u32> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        serde_json::Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

fn services(
    list: Vec<ServiceJson>,
    field: &'static str,
) -> Result<Vec<Service>, SigningConfigError> {
    list.into_iter()
        .enumerate()
        .map(|(index, s)| {
            let bad = |detail: String| SigningConfigError::Service {
                field,
                index,
                detail,
            };
            if s.url.is_empty() {
                return Err(bad("empty url".into()));
            }
            let major_api_version = match &s.major_api_version {
                Some(v) => uint32(v).ok_or_else(|| bad(format!("majorApiVersion {v}")))?,
                None => return Err(bad("no majorApiVersion".into())),
            };
            let time = |t: &Option<String>, what: &str| match t {
                None => Ok(None),
                Some(t) => parse_rfc3339(t)
                    .map(Some)
                    .ok_or_else(|| bad(format!("validFor.{what} {t:?} is not an RFC 3339 time"))),
            };
            let valid_for = match &s.valid_for {
                Some(v) => Validity {
                    start: time(&v.start, "start")?,
                    end: time(&v.end, "end")?,
                },
                None => Validity::default(),
            };
            Ok(Service {
                url: s.url,
                major_api_version,
                valid_for,
                operator: s.operator,
            })
        })
        .collect()
}

fn selector(s: Option<SelectorJson>, field: &'static str) -> Result<Selector, SigningConfigError> {
    let bad = |detail: String| SigningConfigError::Selector { field, detail };
    let Some(s) = s else {
        // Absent: sigstore-python and sigstore-go both take every valid service.
        return Ok(Selector::All);
    };
    match s.selector.as_str() {
        "ALL" => Ok(Selector::All),
        "ANY" => Ok(Selector::Any),
        "EXACT" => match s.count.as_ref().and_then(uint32) {
            Some(n) if n > 0 => Ok(Selector::Exact(n)),
            _ => Err(bad("EXACT needs a count greater than 0".into())),
        },
        other => Err(bad(format!(
            "unknown selector {other:?} (ALL, ANY or EXACT)"
        ))),
    }
}

impl SigningConfig {
    /// Parse a `signing_config.json` (or a TUF target `signing_config.v0.2.json`).
    pub fn from_json(bytes: &[u8]) -> Result<SigningConfig, SigningConfigError> {
        if bytes.len() > MAX_SIGNING_CONFIG_BYTES {
            return Err(SigningConfigError::TooLarge(bytes.len()));
        }
        let j: ConfigJson =
            serde_json::from_slice(bytes).map_err(|e| SigningConfigError::Json(e.to_string()))?;
        Self::from_parsed(j)
    }

    /// Parse the `signingConfig` member of a client trust config.
    pub fn from_value(v: serde_json::Value) -> Result<SigningConfig, SigningConfigError> {
        let j: ConfigJson =
            serde_json::from_value(v).map_err(|e| SigningConfigError::Json(e.to_string()))?;
        Self::from_parsed(j)
    }

    fn from_parsed(j: ConfigJson) -> Result<SigningConfig, SigningConfigError> {
        if j.media_type != SIGNING_CONFIG_MEDIA_TYPE {
            return Err(SigningConfigError::MediaType(j.media_type));
        }
        Ok(SigningConfig {
            ca_urls: services(j.ca_urls, "caUrls")?,
            oidc_urls: services(j.oidc_urls, "oidcUrls")?,
            rekor_tlog_urls: services(j.rekor_tlog_urls, "rekorTlogUrls")?,
            rekor_tlog_config: selector(j.rekor_tlog_config, "rekorTlogConfig")?,
            tsa_urls: services(j.tsa_urls, "tsaUrls")?,
            tsa_config: selector(j.tsa_config, "tsaConfig")?,
        })
    }

    /// The Fulcio to request certificates from.
    pub fn fulcio(&self, now: i64) -> Result<&Service, SigningConfigError> {
        select_service(&self.ca_urls, FULCIO_API_VERSIONS, now).ok_or_else(|| {
            SigningConfigError::NoService {
                kind: "Fulcio",
                versions: FULCIO_API_VERSIONS.to_vec(),
            }
        })
    }

    /// The OIDC issuer to log in with.
    pub fn oidc_issuer(&self, now: i64) -> Result<&Service, SigningConfigError> {
        select_service(&self.oidc_urls, OIDC_API_VERSIONS, now).ok_or_else(|| {
            SigningConfigError::NoService {
                kind: "OIDC issuer",
                versions: OIDC_API_VERSIONS.to_vec(),
            }
        })
    }

    /// The Rekor logs to write to, for a client speaking `versions`.
    pub fn rekor_logs(
        &self,
        versions: &[u32],
        now: i64,
    ) -> Result<Vec<&Service>, SigningConfigError> {
        select_services(
            &self.rekor_tlog_urls,
            self.rekor_tlog_config,
            versions,
            now,
            "Rekor log",
        )
    }

    /// The timestamp authorities to ask; empty when the config lists none (timestamps are
    /// optional for Fulcio-certificate signatures).
    pub fn timestamp_authorities(&self, now: i64) -> Result<Vec<&Service>, SigningConfigError> {
        if self.tsa_urls.is_empty() {
            return Ok(Vec::new());
        }
        select_services(
            &self.tsa_urls,
            self.tsa_config,
            TSA_API_VERSIONS,
            now,
            "timestamp authority",
        )
    }
}

/// `services` valid at `now` with a major version in `versions`, newest `validFor.start` first
/// (no start sorts oldest; equal starts keep the file's order), grouped by the highest version
/// that has any.
fn candidates<'a>(services: &'a [Service], versions: &[u32], now: i64) -> Vec<&'a Service> {
    let mut sorted: Vec<&Service> = services.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.valid_for.start));
    let mut versions = versions.to_vec();
    versions.sort_unstable_by_key(|v| std::cmp::Reverse(*v));
    for v in versions {
        let found: Vec<&Service> = sorted
            .iter()
            .copied()
            .filter(|s| s.major_api_version == v && s.valid_for.contains(now))
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// sigstore-go's `SelectService`: the newest service valid at `now` with the highest supported
/// major API version.
pub fn select_service<'a>(
    services: &'a [Service],
    versions: &[u32],
    now: i64,
) -> Option<&'a Service> {
    candidates(services, versions, now).into_iter().next()
}

/// sigstore-go's `SelectServices`: one service per operator (the newest), from the highest
/// supported API version that has any, then `selector` applied (deterministically: the newest).
pub fn select_services<'a>(
    services: &'a [Service],
    selector: Selector,
    versions: &[u32],
    now: i64,
    kind: &'static str,
) -> Result<Vec<&'a Service>, SigningConfigError> {
    let mut operators: Vec<&str> = Vec::new();
    let mut chosen = Vec::new();
    for s in candidates(services, versions, now) {
        if !operators.contains(&s.operator.as_str()) {
            operators.push(&s.operator);
            chosen.push(s);
        }
    }
    if chosen.is_empty() {
        return Err(SigningConfigError::NoService {
            kind,
            versions: versions.to_vec(),
        });
    }
    match selector {
        Selector::All => Ok(chosen),
        Selector::Any => {
            chosen.truncate(1);
            Ok(chosen)
        }
        Selector::Exact(n) => {
            let count = usize::try_from(n).unwrap_or(usize::MAX);
            if chosen.len() < count {
                return Err(SigningConfigError::NotEnough {
                    kind,
                    count: n,
                    found: chosen.len(),
                });
            }
            chosen.truncate(count);
            Ok(chosen)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T2024: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z
    const T2025: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z

    fn svc(url: &str, v: u32, start: Option<i64>, end: Option<i64>, op: &str) -> Service {
        Service {
            url: url.into(),
            major_api_version: v,
            valid_for: Validity { start, end },
            operator: op.into(),
        }
    }

    fn parse(v: serde_json::Value) -> Result<SigningConfig, SigningConfigError> {
        SigningConfig::from_json(v.to_string().as_bytes())
    }

    fn public_good_like() -> serde_json::Value {
        json!({
            "mediaType": SIGNING_CONFIG_MEDIA_TYPE,
            "caUrls": [{"url": "https://fulcio.sigstore.dev", "majorApiVersion": 1,
                        "validFor": {"start": "2023-04-14T21:38:40Z"}, "operator": "sigstore.dev"}],
            "oidcUrls": [{"url": "https://oauth2.sigstore.dev/auth", "majorApiVersion": 1,
                          "validFor": {"start": "2025-04-16T00:00:00Z"}, "operator": "sigstore.dev"}],
            "rekorTlogUrls": [
                {"url": "https://log2025-1.rekor.sigstore.dev", "majorApiVersion": 2,
                 "validFor": {"start": "2025-09-23T00:00:00Z"}, "operator": "sigstore.dev"},
                {"url": "https://rekor.sigstore.dev", "majorApiVersion": 1,
                 "validFor": {"start": "2021-01-12T11:53:27Z"}, "operator": "sigstore.dev"}],
            "tsaUrls": [{"url": "https://timestamp.sigstore.dev/api/v1/timestamp", "majorApiVersion": 1,
                         "validFor": {"start": "2025-07-04T00:00:00Z"}, "operator": "sigstore.dev"}],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"}
        })
    }

    #[test]
    fn parses_the_public_good_shape_and_selects_by_api_version() {
        let c = parse(public_good_like()).expect("parses");
        let now = 1_790_000_000; // 2026-09
        assert_eq!(
            c.fulcio(now).expect("fulcio").url,
            "https://fulcio.sigstore.dev"
        );
        assert_eq!(
            c.oidc_issuer(now).expect("oidc").url,
            "https://oauth2.sigstore.dev/auth"
        );
        // A v1-only client gets the v1 log; a v2 client the v2 log.
        let v1 = c.rekor_logs(&[1], now).expect("rekor");
        assert_eq!(v1.len(), 1);
        assert_eq!(v1[0].url, "https://rekor.sigstore.dev");
        let v2 = c.rekor_logs(&[1, 2], now).expect("rekor");
        assert_eq!(v2[0].url, "https://log2025-1.rekor.sigstore.dev");
        // Before the v2 log started, the v2-capable client falls back to v1.
        let early = c.rekor_logs(&[1, 2], T2025).expect("rekor");
        assert_eq!(early[0].url, "https://rekor.sigstore.dev");
        assert_eq!(
            c.timestamp_authorities(now).expect("tsa")[0].url,
            "https://timestamp.sigstore.dev/api/v1/timestamp"
        );
        // Before the TSA's window: none valid, and that is an error once one is listed.
        assert!(matches!(
            c.timestamp_authorities(T2025),
            Err(SigningConfigError::NoService { .. })
        ));
    }

    #[test]
    fn validity_windows_bound_selection() {
        let list = [
            svc("https://old", 1, Some(T2024 - 100), Some(T2024), "a"),
            svc("https://new", 1, Some(T2025), None, "a"),
        ];
        assert_eq!(
            select_service(&list, &[1], T2024).map(|s| s.url.as_str()),
            Some("https://old")
        );
        // Between the windows: nothing (end and start are inclusive bounds).
        assert_eq!(select_service(&list, &[1], T2024 + 1), None);
        assert_eq!(
            select_service(&list, &[1], T2025).map(|s| s.url.as_str()),
            Some("https://new")
        );
        assert_eq!(select_service(&list, &[1], T2024 - 101), None);
        // Unsupported versions are never chosen.
        assert_eq!(select_service(&list, &[2], T2025), None);
        assert_eq!(select_service(&list, &[], T2025), None);
    }

    #[test]
    fn newest_first_and_one_per_operator() {
        let list = [
            svc("https://a-old", 1, Some(T2024), None, "a"),
            svc("https://b", 1, Some(T2024 + 10), None, "b"),
            svc("https://a-new", 1, Some(T2025), None, "a"),
            svc("https://c", 1, None, None, "c"),
        ];
        let now = T2025 + 1;
        let all = select_services(&list, Selector::All, &[1], now, "x").expect("all");
        let urls: Vec<&str> = all.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, ["https://a-new", "https://b", "https://c"]);
        let any = select_services(&list, Selector::Any, &[1], now, "x").expect("any");
        assert_eq!(any.len(), 1);
        assert_eq!(any[0].url, "https://a-new");
        let two = select_services(&list, Selector::Exact(2), &[1], now, "x").expect("exact");
        assert_eq!(two.len(), 2);
        assert_eq!(
            select_services(&list, Selector::Exact(4), &[1], now, "x"),
            Err(SigningConfigError::NotEnough {
                kind: "x",
                count: 4,
                found: 3
            })
        );
        assert!(matches!(
            select_services(&list, Selector::All, &[2], now, "x"),
            Err(SigningConfigError::NoService { .. })
        ));
        // Only the highest supported version that has services counts: a v2 service hides
        // every v1 one (sigstore-go does not mix versions).
        let mixed = [
            svc("https://v1", 1, Some(T2024), None, "a"),
            svc("https://v2", 2, Some(T2024), None, "b"),
        ];
        let got = select_services(&mixed, Selector::All, &[1, 2], now, "x").expect("v2");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].url, "https://v2");
    }

    #[test]
    fn refuses_what_it_does_not_understand() {
        let mut bad_media = public_good_like();
        bad_media["mediaType"] = json!("application/vnd.dev.sigstore.signingconfig.v0.1+json");
        assert!(matches!(
            parse(bad_media),
            Err(SigningConfigError::MediaType(_))
        ));
        let mut unknown = public_good_like();
        unknown["extra"] = json!(1);
        assert!(matches!(parse(unknown), Err(SigningConfigError::Json(_))));
        let mut no_count = public_good_like();
        no_count["rekorTlogConfig"] = json!({"selector": "EXACT"});
        assert!(matches!(
            parse(no_count),
            Err(SigningConfigError::Selector { .. })
        ));
        let mut zero = public_good_like();
        zero["tsaConfig"] = json!({"selector": "EXACT", "count": 0});
        assert!(matches!(
            parse(zero),
            Err(SigningConfigError::Selector { .. })
        ));
        let mut undefined = public_good_like();
        undefined["tsaConfig"] = json!({"selector": "SERVICE_SELECTOR_UNDEFINED"});
        assert!(matches!(
            parse(undefined),
            Err(SigningConfigError::Selector { .. })
        ));
        let mut bad_time = public_good_like();
        bad_time["caUrls"][0]["validFor"]["start"] = json!("yesterday");
        assert!(matches!(
            parse(bad_time),
            Err(SigningConfigError::Service {
                field: "caUrls",
                ..
            })
        ));
        let mut no_version = public_good_like();
        no_version["oidcUrls"][0]
            .as_object_mut()
            .expect("object")
            .remove("majorApiVersion");
        assert!(matches!(
            parse(no_version),
            Err(SigningConfigError::Service { .. })
        ));
        let mut negative = public_good_like();
        negative["caUrls"][0]["majorApiVersion"] = json!(-1);
        assert!(matches!(
            parse(negative),
            Err(SigningConfigError::Service { .. })
        ));
        assert!(matches!(
            SigningConfig::from_json(b"{\"mediaType\":"),
            Err(SigningConfigError::Json(_))
        ));
        let big = vec![b' '; MAX_SIGNING_CONFIG_BYTES + 1];
        assert!(matches!(
            SigningConfig::from_json(&big),
            Err(SigningConfigError::TooLarge(_))
        ));
        // proto3 JSON: a uint32 may be a decimal string; EXACT with a count parses.
        let mut strings = public_good_like();
        strings["caUrls"][0]["majorApiVersion"] = json!("1");
        strings["rekorTlogConfig"] = json!({"selector": "EXACT", "count": "1"});
        let c = parse(strings).expect("parses");
        assert_eq!(c.rekor_tlog_config, Selector::Exact(1));
        // Absent selectors mean ALL.
        let mut absent = public_good_like();
        absent
            .as_object_mut()
            .expect("object")
            .remove("rekorTlogConfig");
        assert_eq!(
            parse(absent).expect("parses").rekor_tlog_config,
            Selector::All
        );
    }
}
