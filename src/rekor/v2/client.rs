//! The Rekor v2 write API: `POST {log}/api/v2/log/entries` with a `hashedrekord` v0.0.2
//! request (rekor-tiles `CreateEntry`, CLIENTS.md), answered `201` with the entry's
//! `TransparencyLogEntry`: inclusion proof and signed checkpoint, no promise, no time.
//!
//! It checks only what the answer must say about *our* request (the canonical body rebuilt
//! from what we sent, the kind and version); signatures and proofs are `verify`'s. The answer
//! is read by the pure [`super::entry::entry_from_json`], so any bytes give an error, never a
//! panic.

use std::sync::Arc;

use crate::rekor::client::{RekorError, error_message};
use crate::rekor::entry::{EntryError, LogEntry};
use crate::rekor::merkle::leaf_hash;
use crate::rekor::v2::entry::{self, KEY_DETAILS_P256};
use crate::transport::{Request, Service, Transport, join_url, redact_url};

/// A Rekor v2 client bound to one log URL.
#[derive(Clone)]
pub struct RekorV2Client {
    base_url: String,
    transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for RekorV2Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekorV2Client")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl RekorV2Client {
    /// A client for the v2 log at `base_url` (e.g. `https://log2025-1.rekor.sigstore.dev`).
    pub fn new(base_url: impl Into<String>, transport: Arc<dyn Transport>) -> Self {
        Self {
            base_url: base_url.into(),
            transport,
        }
    }

    /// The log URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Logs `signature` (ECDSA P-256, DER) over `digest` (SHA-256 of the artifact) with the
    /// leaf certificate. Returns the hex leaf hash (v2 has no entry UUIDs; this names the
    /// entry in messages) and the entry, whose body is checked to be the v0.0.2 body of what
    /// was sent.
    pub fn create_hashedrekord(
        &self,
        digest: &[u8; 32],
        signature: &[u8],
        cert_der: &[u8],
    ) -> Result<(String, LogEntry), RekorError> {
        let url = join_url(&self.base_url, "/api/v2/log/entries");
        let body = entry::create_request(digest, signature, cert_der, KEY_DETAILS_P256);
        let req = Request::post_json(Service::Rekor, url.clone(), &body)?
            .header("Accept", "application/json");
        let resp = self.transport.send(&req)?;
        // rekor-tiles answers 201 (its gateway maps the gRPC header); 200 is tolerated as the
        // gateway's default.
        if resp.status != 201 && resp.status != 200 {
            return Err(RekorError::Status {
                url: redact_url(&url),
                status: resp.status,
                message: error_message(&resp.body),
            });
        }
        let entry = parse_create_response(&url, &resp.body)?;
        let expected = entry::hashedrekord_v002_body(digest, signature, cert_der, KEY_DETAILS_P256);
        if entry.body.as_deref() != Some(expected.as_slice())
            || (entry.kind.as_str(), entry.version.as_str()) != (entry::KIND, entry::VERSION)
        {
            return Err(RekorError::Entry(EntryError::Invalid(
                "entry (the log recorded something other than the request)",
            )));
        }
        Ok((hex::encode(leaf_hash(&expected)), entry))
    }
}

/// Reads the answer to `POST /api/v2/log/entries`.
pub fn parse_create_response(url: &str, body: &[u8]) -> Result<LogEntry, RekorError> {
    entry::entry_from_json(body).map_err(|e| match e {
        EntryError::Json(reason) => RekorError::Malformed {
            url: redact_url(url),
            what: "Rekor v2 log entry",
            reason: crate::transport::excerpt(reason.as_bytes()),
        },
        other => RekorError::Entry(other),
    })
}
