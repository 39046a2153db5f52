//! [`Fetcher`] over gitseal's one HTTP client ([`crate::transport`]): its timeouts, proxies,
//! TLS anchors, no redirects and the HTTPS-only rule (plain `http://` only to loopback).
//!
//! Each fetch gets a transport whose response limit is the file's own limit, so an endless
//! timestamp is cut at 16 KB, not at the largest limit. 403 and 404 are "not there"; any other
//! non-success status is an error. It decides nothing about TUF.

use super::client::{FetchError, Fetcher};
use crate::transport::{
    HttpTransport, Request, Service, Transport as _, TransportConfig, TransportError,
};
use std::time::Instant;

/// Fetches over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    /// Timeouts, retries, TLS and proxies; `max_response_bytes` is replaced per fetch.
    pub config: TransportConfig,
    /// When the whole refresh stops waiting (signing's short refresh).
    pub deadline: Option<Instant>,
}

impl Fetcher for HttpFetcher {
    fn fetch(&self, url: &str, max_len: u64) -> Result<Option<Vec<u8>>, FetchError> {
        let transport = HttpTransport::new(TransportConfig {
            max_response_bytes: max_len,
            ..self.config.clone()
        });
        let mut req = Request::get(Service::TufRepository, url);
        if let Some(d) = self.deadline {
            req = req.deadline(d);
        }
        match transport.send(&req) {
            Ok(r) if r.is_success() => Ok(Some(r.body)),
            Ok(r) if r.status == 403 || r.status == 404 => Ok(None),
            Ok(r) => Err(FetchError::Status {
                url: url.into(),
                status: r.status,
            }),
            Err(TransportError::TooLarge { limit, .. }) => Err(FetchError::TooLarge {
                url: crate::transport::redact_url(url),
                limit,
            }),
            Err(e) => Err(FetchError::Transport(e.to_string())),
        }
    }
}
