//! Deliberate misbehaviour of the testbed's services, switchable at run time.
//!
//! Owns the fault registry: which endpoint misbehaves, how, and for how many requests. Faults are
//! set from Rust tests through [`Faults`] (shared with the running server) or over HTTP through
//! `POST /__testbed/faults` (see [`FaultSpec`] for the JSON shape). Each rule is either
//! **one-shot / counted** (`times: Some(n)`: it applies to the next `n` matching requests, then
//! disappears) or **sticky** (`times: None`: it applies until cleared). Several rules may be set
//! on one endpoint at once; they all apply to the same request (for example a delay plus a wrong
//! SCT). This module only decides *which* faults apply; the HTTP layer and the services carry
//! them out. It must never make a fault outlive the testbed: hangs are bounded by
//! `TestbedConfig::hang_limit` and end when the testbed stops.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An endpoint of the testbed that faults can be attached to. The string form (used by the admin
/// API and `gitseal-testbed fault`) is given on each variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// `oidc.discovery`: `GET /oidc/.well-known/openid-configuration`.
    OidcDiscovery,
    /// `oidc.jwks`: `GET /oidc/keys`.
    OidcJwks,
    /// `oidc.authorize`: `GET /oidc/auth`.
    OidcAuthorize,
    /// `oidc.token`: `POST /oidc/token` (code exchange and device polling).
    OidcToken,
    /// `oidc.device`: `POST /oidc/device/code` (RFC 8628 device authorization request).
    OidcDeviceAuthorization,
    /// `fulcio.signingCert.v2`: `POST /api/v2/signingCert`.
    FulcioSigningCertV2,
    /// `fulcio.signingCert.v1`: `POST /api/v1/signingCert` (gitsign's legacy API).
    FulcioSigningCertV1,
    /// `fulcio.trustBundle`: `GET /api/v2/trustBundle`.
    FulcioTrustBundle,
    /// `fulcio.rootCert`: `GET /api/v1/rootCert`.
    FulcioRootCert,
    /// `rekor.createEntry`: `POST /api/v1/log/entries`.
    RekorCreateEntry,
    /// `rekor.getEntry`: `GET /api/v1/log/entries/{uuid}` and `GET /api/v1/log/entries?logIndex=`.
    RekorGetEntry,
    /// `rekor.retrieveEntries`: `POST /api/v1/log/entries/retrieve`.
    RekorRetrieveEntries,
    /// `rekor.searchIndex`: `POST /api/v1/index/retrieve`.
    RekorSearchIndex,
    /// `rekor.logInfo`: `GET /api/v1/log`.
    RekorLogInfo,
    /// `rekor.publicKey`: `GET /api/v1/log/publicKey`.
    RekorPublicKey,
    /// `rekor.proof`: `GET /api/v1/log/proof` (consistency proofs).
    RekorConsistencyProof,
    /// `tuf.metadata`: `GET /tuf/*` (every file of the TUF repository, metadata and targets).
    TufMetadata,
    /// `tsa.timestamp`: `POST /api/v1/timestamp` (RFC 3161).
    TsaTimestamp,
    /// `tsa.certchain`: `GET /api/v1/timestamp/certchain`.
    TsaCertChain,
    /// `rekorV2.createEntry`: `POST /api/v2/log/entries` (Rekor v2).
    RekorV2CreateEntry,
    /// `rekorV2.checkpoint`: `GET /checkpoint` (Rekor v2).
    RekorV2Checkpoint,
    /// `rekorV2.tile`: `GET /tile/…` (Rekor v2 hash tiles and entry bundles).
    RekorV2Tile,
}

impl Endpoint {
    /// Every endpoint, in a stable order.
    pub const ALL: [Endpoint; 22] = [
        Endpoint::OidcDiscovery,
        Endpoint::OidcJwks,
        Endpoint::OidcAuthorize,
        Endpoint::OidcToken,
        Endpoint::OidcDeviceAuthorization,
        Endpoint::FulcioSigningCertV2,
        Endpoint::FulcioSigningCertV1,
        Endpoint::FulcioTrustBundle,
        Endpoint::FulcioRootCert,
        Endpoint::RekorCreateEntry,
        Endpoint::RekorGetEntry,
        Endpoint::RekorRetrieveEntries,
        Endpoint::RekorSearchIndex,
        Endpoint::RekorLogInfo,
        Endpoint::RekorPublicKey,
        Endpoint::RekorConsistencyProof,
        Endpoint::TufMetadata,
        Endpoint::TsaTimestamp,
        Endpoint::TsaCertChain,
        Endpoint::RekorV2CreateEntry,
        Endpoint::RekorV2Checkpoint,
        Endpoint::RekorV2Tile,
    ];

    /// The name used by the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::OidcDiscovery => "oidc.discovery",
            Endpoint::OidcJwks => "oidc.jwks",
            Endpoint::OidcAuthorize => "oidc.authorize",
            Endpoint::OidcToken => "oidc.token",
            Endpoint::OidcDeviceAuthorization => "oidc.device",
            Endpoint::FulcioSigningCertV2 => "fulcio.signingCert.v2",
            Endpoint::FulcioSigningCertV1 => "fulcio.signingCert.v1",
            Endpoint::FulcioTrustBundle => "fulcio.trustBundle",
            Endpoint::FulcioRootCert => "fulcio.rootCert",
            Endpoint::RekorCreateEntry => "rekor.createEntry",
            Endpoint::RekorGetEntry => "rekor.getEntry",
            Endpoint::RekorRetrieveEntries => "rekor.retrieveEntries",
            Endpoint::RekorSearchIndex => "rekor.searchIndex",
            Endpoint::RekorLogInfo => "rekor.logInfo",
            Endpoint::RekorPublicKey => "rekor.publicKey",
            Endpoint::RekorConsistencyProof => "rekor.proof",
            Endpoint::TufMetadata => "tuf.metadata",
            Endpoint::TsaTimestamp => "tsa.timestamp",
            Endpoint::TsaCertChain => "tsa.certchain",
            Endpoint::RekorV2CreateEntry => "rekorV2.createEntry",
            Endpoint::RekorV2Checkpoint => "rekorV2.checkpoint",
            Endpoint::RekorV2Tile => "rekorV2.tile",
        }
    }

    fn is_fulcio_issuance(self) -> bool {
        matches!(
            self,
            Endpoint::FulcioSigningCertV2 | Endpoint::FulcioSigningCertV1
        )
    }

    fn returns_rekor_entries(self) -> bool {
        matches!(
            self,
            Endpoint::RekorCreateEntry | Endpoint::RekorGetEntry | Endpoint::RekorRetrieveEntries
        )
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Endpoint {
    type Err = FaultError;
    fn from_str(s: &str) -> Result<Self, FaultError> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| FaultError::UnknownEndpoint(s.to_owned()))
    }
}

/// One kind of misbehaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status (any endpoint; meant for 5xx) and a service-shaped error body.
    Status(u16),
    /// Hold the request without answering until `hang_limit` passes or the testbed stops, then
    /// abandon it (the HTTP layer answers an abandoned request with an empty 500) (any endpoint).
    Hang,
    /// Wait this long, then answer normally (any endpoint).
    Delay(Duration),
    /// Answer with the normal status but a truncated, unparseable JSON (or PEM) body. Side effects
    /// (a logged entry, a consumed code) still happen (any endpoint).
    MalformedJson,
    /// Issue a leaf whose validity window ended ten minutes ago (Fulcio issuance only).
    ExpiredCertificate,
    /// Issue a leaf whose validity starts twenty minutes from now (Fulcio issuance only).
    NotYetValidCertificate,
    /// Embed an SCT whose signature does not verify over the precertificate (Fulcio issuance only).
    WrongSct,
    /// Issue the leaf from the intermediate with no SCT list extension at all, as a CA that
    /// skipped its CT log would (Fulcio issuance only). Public Fulcio has embedded SCTs since
    /// its intermediate CA (2022-07); only root-issued leaves before that lack one.
    MissingSct,
    /// Issue a leaf whose extendedKeyUsage is emailProtection instead of codeSigning, as a CA
    /// misissuing an S/MIME certificate would; its SCT and everything else are genuine
    /// (Fulcio issuance only).
    NotForCodeSigning,
    /// Sign the entry timestamp (SET) with a key that is not in the trust root (Rekor entries only).
    WrongSetKey,
    /// Sign the checkpoint with a key that is not in the trust root, keeping the real key hint
    /// (Rekor entries and `rekor.logInfo`).
    WrongCheckpointKey,
    /// Return an inclusion proof whose first hash is corrupted (Rekor entries only).
    WrongInclusionProof,
    /// Log (and return, with a valid SET and proof) an entry for a different digest than the one
    /// uploaded (`rekor.createEntry` only).
    MismatchedEntry,
    /// Timestamp a different message imprint than the one requested (`tsa.timestamp` only).
    TsaWrongImprint,
    /// Echo a different nonce than the one requested (`tsa.timestamp` only).
    TsaWrongNonce,
    /// Answer PKIStatus 1 (grantedWithMods) with a token (`tsa.timestamp` only).
    TsaGrantedWithMods,
    /// Answer PKIStatus 2 (rejection) without a token (`tsa.timestamp` only).
    TsaRejection,
    /// Sign the token with a TSA certificate that is in no trust root (`tsa.timestamp` only).
    TsaUnknown,
    /// Stamp a genTime an hour after now, past a ten-minute leaf's validity (`tsa.timestamp`
    /// only).
    TsaLateGenTime,
    /// Name another certificate in the ESS signingCertificateV2 attribute (`tsa.timestamp`
    /// only).
    TsaWrongSigningCertificate,
    /// Return a genuine checkpoint of another log: its own origin, Ed25519 key and key hint
    /// (`rekorV2.createEntry`, `rekorV2.checkpoint`).
    OtherLogCheckpoint,
    /// Serve hash tiles with their first hash corrupted (`rekorV2.tile`).
    CorruptTile,
}

impl Fault {
    /// The name used by the admin API.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Status(_) => "status",
            Fault::Hang => "hang",
            Fault::Delay(_) => "delay",
            Fault::MalformedJson => "malformedJson",
            Fault::ExpiredCertificate => "expiredCertificate",
            Fault::NotYetValidCertificate => "notYetValidCertificate",
            Fault::WrongSct => "wrongSct",
            Fault::MissingSct => "missingSct",
            Fault::NotForCodeSigning => "notForCodeSigning",
            Fault::WrongSetKey => "wrongSetKey",
            Fault::WrongCheckpointKey => "wrongCheckpointKey",
            Fault::WrongInclusionProof => "wrongInclusionProof",
            Fault::MismatchedEntry => "mismatchedEntry",
            Fault::TsaWrongImprint => "wrongImprint",
            Fault::TsaWrongNonce => "wrongNonce",
            Fault::TsaGrantedWithMods => "grantedWithMods",
            Fault::TsaRejection => "rejection",
            Fault::TsaUnknown => "unknownTsa",
            Fault::TsaLateGenTime => "lateGenTime",
            Fault::TsaWrongSigningCertificate => "wrongSigningCertificate",
            Fault::OtherLogCheckpoint => "otherLogCheckpoint",
            Fault::CorruptTile => "corruptTile",
        }
    }

    /// Whether this fault means anything on `endpoint`.
    pub fn applies_to(self, endpoint: Endpoint) -> bool {
        match self {
            Fault::Status(_) | Fault::Hang | Fault::Delay(_) | Fault::MalformedJson => true,
            Fault::ExpiredCertificate
            | Fault::NotYetValidCertificate
            | Fault::WrongSct
            | Fault::MissingSct
            | Fault::NotForCodeSigning => endpoint.is_fulcio_issuance(),
            Fault::WrongSetKey => endpoint.returns_rekor_entries(),
            Fault::WrongInclusionProof => {
                endpoint.returns_rekor_entries() || endpoint == Endpoint::RekorV2CreateEntry
            }
            Fault::WrongCheckpointKey => {
                endpoint.returns_rekor_entries()
                    || endpoint == Endpoint::RekorLogInfo
                    || endpoint == Endpoint::RekorV2CreateEntry
                    || endpoint == Endpoint::RekorV2Checkpoint
            }
            Fault::MismatchedEntry => endpoint == Endpoint::RekorCreateEntry,
            Fault::TsaWrongImprint
            | Fault::TsaWrongNonce
            | Fault::TsaGrantedWithMods
            | Fault::TsaRejection
            | Fault::TsaUnknown
            | Fault::TsaLateGenTime
            | Fault::TsaWrongSigningCertificate => endpoint == Endpoint::TsaTimestamp,
            Fault::OtherLogCheckpoint => matches!(
                endpoint,
                Endpoint::RekorV2CreateEntry | Endpoint::RekorV2Checkpoint
            ),
            Fault::CorruptTile => endpoint == Endpoint::RekorV2Tile,
        }
    }
}

/// Errors from setting faults.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// The endpoint name is not one of [`Endpoint::ALL`].
    #[error("unknown endpoint {0:?}")]
    UnknownEndpoint(String),
    /// The fault name is not known, or a required parameter is missing.
    #[error("bad fault: {0}")]
    BadFault(String),
    /// The fault cannot happen on that endpoint (for example a wrong SCT on Rekor).
    #[error("fault {fault} does not apply to endpoint {endpoint}")]
    NotApplicable {
        /// The fault's name.
        fault: &'static str,
        /// The endpoint.
        endpoint: Endpoint,
    },
}

/// JSON shape of one rule for the admin API, e.g.
/// `{"endpoint":"rekor.createEntry","fault":"status","status":503,"times":1}` or
/// `{"endpoint":"fulcio.signingCert.v2","fault":"delay","delayMs":1500}` (sticky: no `times`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// Endpoint name ([`Endpoint::as_str`]).
    pub endpoint: String,
    /// Fault name ([`Fault::name`]).
    pub fault: String,
    /// HTTP status for `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Milliseconds for `delay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// How many requests the rule applies to; absent = sticky.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl FaultSpec {
    /// Parse into an endpoint, a fault and a count, checking the fault applies.
    pub fn parse(&self) -> Result<(Endpoint, Fault, Option<u32>), FaultError> {
        let endpoint: Endpoint = self.endpoint.parse()?;
        let fault = match self.fault.as_str() {
            "status" => {
                let s = self
                    .status
                    .ok_or_else(|| FaultError::BadFault("status needs \"status\"".into()))?;
                if !(100..=599).contains(&s) {
                    return Err(FaultError::BadFault(format!("status {s} out of range")));
                }
                Fault::Status(s)
            }
            "hang" => Fault::Hang,
            "delay" => {
                Fault::Delay(Duration::from_millis(self.delay_ms.ok_or_else(|| {
                    FaultError::BadFault("delay needs \"delayMs\"".into())
                })?))
            }
            "malformedJson" => Fault::MalformedJson,
            "expiredCertificate" => Fault::ExpiredCertificate,
            "notYetValidCertificate" => Fault::NotYetValidCertificate,
            "wrongSct" => Fault::WrongSct,
            "missingSct" => Fault::MissingSct,
            "notForCodeSigning" => Fault::NotForCodeSigning,
            "wrongSetKey" => Fault::WrongSetKey,
            "wrongCheckpointKey" => Fault::WrongCheckpointKey,
            "wrongInclusionProof" => Fault::WrongInclusionProof,
            "mismatchedEntry" => Fault::MismatchedEntry,
            "wrongImprint" => Fault::TsaWrongImprint,
            "wrongNonce" => Fault::TsaWrongNonce,
            "grantedWithMods" => Fault::TsaGrantedWithMods,
            "rejection" => Fault::TsaRejection,
            "unknownTsa" => Fault::TsaUnknown,
            "lateGenTime" => Fault::TsaLateGenTime,
            "wrongSigningCertificate" => Fault::TsaWrongSigningCertificate,
            "otherLogCheckpoint" => Fault::OtherLogCheckpoint,
            "corruptTile" => Fault::CorruptTile,
            other => return Err(FaultError::BadFault(format!("unknown fault {other:?}"))),
        };
        if !fault.applies_to(endpoint) {
            return Err(FaultError::NotApplicable {
                fault: fault.name(),
                endpoint,
            });
        }
        Ok((endpoint, fault, self.times))
    }

    fn from_rule(endpoint: Endpoint, rule: &Rule) -> FaultSpec {
        let (status, delay_ms) = match rule.fault {
            Fault::Status(s) => (Some(s), None),
            Fault::Delay(d) => (None, Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))),
            _ => (None, None),
        };
        FaultSpec {
            endpoint: endpoint.as_str().to_owned(),
            fault: rule.fault.name().to_owned(),
            status,
            delay_ms,
            times: rule.remaining,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Rule {
    fault: Fault,
    /// `None` = sticky.
    remaining: Option<u32>,
}

#[derive(Default)]
struct Inner {
    rules: BTreeMap<Endpoint, Vec<Rule>>,
    hits: BTreeMap<Endpoint, u64>,
}

/// The fault switchboard, shared between the test (or admin API) and the running server.
/// Cloning gives another handle to the same switches.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("rules", &self.list())
            .finish()
    }
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the maps half-updated, so a poisoned lock
        // is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Add a sticky rule: `fault` applies to every request on `endpoint` until cleared.
    pub fn set(&self, endpoint: Endpoint, fault: Fault) -> Result<(), FaultError> {
        self.add(endpoint, fault, None)
    }

    /// Add a one-shot rule: `fault` applies to the next request on `endpoint` only.
    pub fn once(&self, endpoint: Endpoint, fault: Fault) -> Result<(), FaultError> {
        self.add(endpoint, fault, Some(1))
    }

    /// Add a rule for the next `times` requests on `endpoint` (`None` = sticky).
    pub fn add(
        &self,
        endpoint: Endpoint,
        fault: Fault,
        times: Option<u32>,
    ) -> Result<(), FaultError> {
        if !fault.applies_to(endpoint) {
            return Err(FaultError::NotApplicable {
                fault: fault.name(),
                endpoint,
            });
        }
        if times == Some(0) {
            return Ok(());
        }
        self.lock().rules.entry(endpoint).or_default().push(Rule {
            fault,
            remaining: times,
        });
        Ok(())
    }

    /// Add a rule given in the admin API's JSON shape.
    pub fn add_spec(&self, spec: &FaultSpec) -> Result<(), FaultError> {
        let (endpoint, fault, times) = spec.parse()?;
        self.add(endpoint, fault, times)
    }

    /// Remove every rule on `endpoint`.
    pub fn clear(&self, endpoint: Endpoint) {
        self.lock().rules.remove(&endpoint);
    }

    /// Remove every rule.
    pub fn clear_all(&self) {
        self.lock().rules.clear();
    }

    /// The rules still pending, in the admin API's JSON shape.
    pub fn list(&self) -> Vec<FaultSpec> {
        let inner = self.lock();
        inner
            .rules
            .iter()
            .flat_map(|(e, rules)| rules.iter().map(|r| FaultSpec::from_rule(*e, r)))
            .collect()
    }

    /// How many requests `endpoint` has received since the testbed started (faulted or not).
    pub fn hits(&self, endpoint: Endpoint) -> u64 {
        self.lock().hits.get(&endpoint).copied().unwrap_or(0)
    }

    /// Count a request on `endpoint` and return the faults that apply to it, using up one-shot
    /// rules. Called once per request by the dispatcher.
    pub(crate) fn take(&self, endpoint: Endpoint) -> Vec<Fault> {
        let mut inner = self.lock();
        *inner.hits.entry(endpoint).or_insert(0) += 1;
        let Some(rules) = inner.rules.get_mut(&endpoint) else {
            return Vec::new();
        };
        let out = rules.iter().map(|r| r.fault).collect();
        for r in rules.iter_mut() {
            if let Some(n) = r.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        rules.retain(|r| r.remaining != Some(0));
        if rules.is_empty() {
            inner.rules.remove(&endpoint);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_and_sticky() {
        let f = Faults::default();
        f.once(Endpoint::RekorCreateEntry, Fault::Status(503))
            .expect("applies");
        f.set(Endpoint::RekorCreateEntry, Fault::WrongSetKey)
            .expect("applies");
        assert_eq!(
            f.take(Endpoint::RekorCreateEntry),
            vec![Fault::Status(503), Fault::WrongSetKey]
        );
        assert_eq!(f.take(Endpoint::RekorCreateEntry), vec![Fault::WrongSetKey]);
        assert_eq!(f.hits(Endpoint::RekorCreateEntry), 2);
        f.clear_all();
        assert!(f.take(Endpoint::RekorCreateEntry).is_empty());
        assert!(f.set(Endpoint::RekorLogInfo, Fault::WrongSct).is_err());
    }

    #[test]
    fn spec_round_trip() {
        let spec: FaultSpec = serde_json::from_str(
            r#"{"endpoint":"fulcio.signingCert.v2","fault":"delay","delayMs":250,"times":2}"#,
        )
        .expect("json");
        let f = Faults::default();
        f.add_spec(&spec).expect("valid");
        assert_eq!(f.list(), vec![spec]);
        let bad = FaultSpec {
            endpoint: "rekor.logInfo".into(),
            fault: "wrongSct".into(),
            status: None,
            delay_ms: None,
            times: None,
        };
        assert!(f.add_spec(&bad).is_err());
    }

    #[test]
    fn certificate_faults_apply_to_issuance_only() {
        for name in ["missingSct", "notForCodeSigning"] {
            let spec = |endpoint: &str| FaultSpec {
                endpoint: endpoint.into(),
                fault: name.into(),
                status: None,
                delay_ms: None,
                times: Some(1),
            };
            for endpoint in ["fulcio.signingCert.v2", "fulcio.signingCert.v1"] {
                let (_, fault, _) = spec(endpoint).parse().expect("applies");
                assert_eq!(fault.name(), name, "the name round-trips");
            }
            for endpoint in ["fulcio.trustBundle", "rekor.createEntry"] {
                assert!(
                    matches!(
                        spec(endpoint).parse(),
                        Err(FaultError::NotApplicable { .. })
                    ),
                    "{name} on {endpoint}"
                );
            }
        }
    }
}
