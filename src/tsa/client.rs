//! The RFC 3161 client: the request gitsign sends, the checks it makes on the reply, over
//! [`Transport`].
//!
//! Request (compat §10, gitsign `internal/fork/ietf-cms/timestamp.go`): `TimeStampReq { version
//! 1, messageImprint { sha256 with parameters absent, SHA-256(SignerInfo.signature) }, nonce (16
//! random bytes as a positive INTEGER), certReq TRUE }`, no policy, no extensions, `POST <url>`
//! with `Content-Type: application/timestamp-query` (RFC 3161 §3.4). Reply: HTTP 200,
//! `Content-Type: application/timestamp-reply` exactly (gitsign's test), at most
//! [`MAX_RESPONSE_BYTES`], a DER `TimeStampResp` whose PKIStatus is 0 (`granted`; gitsign rejects
//! 1 `grantedWithMods` too, and so does gitseal), a token whose `TSTInfo` echoes the imprint
//! and the nonce. The token returned is the `ContentInfo` DER as received, what the CMS
//! attribute stores. Whether the token is *trusted* is not decided here: the signer runs
//! [`super::token::verify_token`] on it (so a TSA outside the trust root fails signing).
//!
//! Every reply byte is hostile: [`parse_response`] is pure, never panics, and is a fuzz target.

use der::asn1::{OctetString, Uint};
use der::{Decode as _, Encode as _};
use sha2::{Digest as _, Sha256};
use spki::AlgorithmIdentifierOwned;
use std::sync::Arc;
use zeroize::Zeroizing;

use super::asn1::{MessageImprint, TimeStampReq, TimeStampResp};
use crate::oids;
use crate::transport::{Method, Request, Retry, Service, Transport, TransportError, redact_url};

/// Replies larger than this are refused (a reply with a two-certificate chain is ~2 KiB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// RFC 3161 §3.4 media types.
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
/// RFC 3161 §3.4 reply media type.
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";

/// Why no timestamp was obtained.
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// No HTTP answer.
    #[error(transparent)]
    Transport(TransportError),
    /// The TSA answered with an HTTP error.
    #[error("the timestamp authority at {url} answered HTTP {status}: {excerpt}")]
    Status {
        /// Endpoint (credentials redacted).
        url: String,
        /// HTTP status.
        status: u16,
        /// Start of the body, control characters removed.
        excerpt: String,
    },
    /// The reply is not an RFC 3161 reply.
    #[error("the timestamp authority sent a malformed reply: {0}")]
    Malformed(String),
    /// The TSA refused (PKIStatus other than 0).
    #[error("the timestamp authority did not grant the timestamp: PKIStatus {status}{text}")]
    NotGranted {
        /// PKIStatus (1 grantedWithMods, 2 rejection, ...).
        status: String,
        /// `statusString`, if any, prefixed with ": " (server text, sanitised).
        text: String,
    },
    /// The token is not for our request.
    #[error("the timestamp authority's token does not match the request: {0}")]
    Mismatch(&'static str),
    /// Building the request failed (RNG or encoding).
    #[error("cannot build the timestamp request: {0}")]
    Request(String),
}

/// A request ready to send, with what the reply must echo.
#[derive(Debug, Clone)]
pub struct TimestampRequest {
    /// The DER `TimeStampReq`.
    pub der: Vec<u8>,
    /// The message imprint sent.
    pub imprint: MessageImprint,
    /// The nonce sent.
    pub nonce: Uint,
}

/// The request for timestamping `signature` with this `nonce` (16 bytes; [`new_request`] draws
/// it from the OS RNG).
pub fn request_with_nonce(
    signature: &[u8],
    nonce: &[u8; 16],
) -> Result<TimestampRequest, TsaError> {
    let enc = |e: der::Error| TsaError::Request(e.to_string());
    let imprint = MessageImprint {
        // RFC 5754 §2: SHA-2 AlgorithmIdentifiers are written with parameters absent (as Go's
        // pkix.AlgorithmIdentifier with no Parameters is).
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: oids::SHA256,
            parameters: None,
        },
        hashed_message: OctetString::new(Sha256::digest(signature).to_vec()).map_err(enc)?,
    };
    // Go's `new(big.Int).SetBytes(buf)`: a non-negative INTEGER, minimal encoding.
    let nonce = Uint::new(nonce).map_err(enc)?;
    let req = TimeStampReq {
        version: 1,
        message_imprint: imprint.clone(),
        req_policy: None,
        nonce: Some(nonce.clone()),
        cert_req: true,
        extensions: None,
    };
    Ok(TimestampRequest {
        der: req.to_der().map_err(enc)?,
        imprint,
        nonce,
    })
}

/// [`request_with_nonce`] with 16 random bytes (gitsign's `nonceBytes`).
pub fn new_request(signature: &[u8]) -> Result<TimestampRequest, TsaError> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|e| TsaError::Request(format!("OS RNG failed: {e}")))?;
    request_with_nonce(signature, &nonce)
}

/// Checks a reply body against the request and returns the token (`ContentInfo` DER).
pub fn parse_response(body: &[u8], req: &TimestampRequest) -> Result<Vec<u8>, TsaError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(TsaError::Malformed(format!(
            "{} bytes, more than {MAX_RESPONSE_BYTES}",
            body.len()
        )));
    }
    let resp = TimeStampResp::from_der(body)
        .map_err(|e| TsaError::Malformed(format!("not a DER TimeStampResp: {e}")))?;
    let status = resp.status.status.as_bytes();
    if status != [0] {
        let status = match status {
            [n] => n.to_string(),
            _ => format!("0x{}", hex::encode(status)),
        };
        let text = resp
            .status
            .status_string
            .as_ref()
            .map(|v| format!(": {}", crate::transport::excerpt(v.join("; ").as_bytes())))
            .unwrap_or_default();
        return Err(TsaError::NotGranted { status, text });
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| TsaError::Malformed("status granted but no token".into()))?
        .to_der()
        .map_err(|e| TsaError::Malformed(e.to_string()))?;
    let parsed = super::token::parse_token(&token).map_err(|(_, d)| TsaError::Malformed(d))?;
    let info = &parsed.tst_info;
    if info.message_imprint != req.imprint {
        return Err(TsaError::Mismatch("the message imprint differs"));
    }
    // Compare the INTEGER encodings: the same value has one DER encoding.
    let ours = req
        .nonce
        .to_der()
        .map_err(|e| TsaError::Request(e.to_string()))?;
    let theirs = info
        .nonce
        .as_ref()
        .map(|n| n.to_der())
        .transpose()
        .map_err(|e| TsaError::Malformed(e.to_string()))?;
    if theirs.as_deref() != Some(ours.as_slice()) {
        return Err(TsaError::Mismatch("the nonce is missing or differs"));
    }
    Ok(token)
}

/// A TSA endpoint.
#[derive(Clone)]
pub struct TsaClient {
    transport: Arc<dyn Transport>,
    url: String,
}

impl std::fmt::Debug for TsaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsaClient")
            .field("url", &redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

impl TsaClient {
    /// A client for the TSA at `url` (the full RFC 3161 endpoint, e.g.
    /// `https://timestamp.sigstore.dev/api/v1/timestamp`).
    pub fn new(transport: Arc<dyn Transport>, url: impl Into<String>) -> Self {
        Self {
            transport,
            url: url.into(),
        }
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests a timestamp over `signature` and returns the token, checked against the
    /// request (not yet against the trust root).
    pub fn timestamp(&self, signature: &[u8]) -> Result<Vec<u8>, TsaError> {
        let req = new_request(signature)?;
        let http = Request {
            service: Service::TimestampAuthority,
            method: Method::Post,
            url: self.url.clone(),
            headers: vec![(
                "Content-Type".into(),
                Zeroizing::new(QUERY_CONTENT_TYPE.into()),
            )],
            body: Some(Zeroizing::new(req.der.clone())),
            retry: Retry::Allowed,
            deadline: None,
        };
        let resp = self.transport.send(&http).map_err(TsaError::Transport)?;
        if resp.status != 200 {
            return Err(TsaError::Status {
                url: redact_url(&self.url),
                status: resp.status,
                excerpt: resp.body_excerpt(),
            });
        }
        match resp.header("content-type") {
            Some(ct) if ct == REPLY_CONTENT_TYPE => {}
            other => {
                return Err(TsaError::Malformed(format!(
                    "Content-Type {:?}, not {REPLY_CONTENT_TYPE}",
                    other.map(|c| crate::transport::excerpt(c.as_bytes()))
                )));
            }
        }
        parse_response(&resp.body, &req)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;

    /// The exact bytes gitsign's `asn1.Marshal(Request{...})` writes for this input (built by
    /// hand from RFC 3161 §2.4.1 and X.690: SEQUENCE { INTEGER 1, SEQUENCE { SEQUENCE { OID
    /// sha256 }, OCTET STRING }, INTEGER nonce, BOOLEAN TRUE }).
    #[test]
    fn request_bytes_are_gitsigns() {
        let sig = b"signature";
        let nonce = [0x80u8; 16];
        let r = request_with_nonce(sig, &nonce).unwrap();
        let mut want = vec![0x02, 0x01, 0x01];
        let digest = Sha256::digest(sig);
        let mut mi = vec![
            0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04,
            0x20,
        ];
        mi.extend_from_slice(&digest);
        want.push(0x30);
        want.push(mi.len() as u8);
        want.extend(mi);
        // High bit set: a leading zero keeps it positive.
        want.extend([0x02, 0x11, 0x00]);
        want.extend(nonce);
        want.extend([0x01, 0x01, 0xff]);
        let mut full = vec![0x30, want.len() as u8];
        full.extend(want);
        assert_eq!(r.der, full);
    }

    #[test]
    fn random_nonces_differ() {
        let a = new_request(b"x").unwrap();
        let b = new_request(b"x").unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(a.imprint, b.imprint);
    }

    #[test]
    fn garbage_replies_are_malformed() {
        let r = request_with_nonce(b"x", &[1; 16]).unwrap();
        for body in [
            &b""[..],
            b"\x30\x80\x00\x00",
            b"<html>",
            &[0x30, 0x03, 0x30, 0x01, 0x02],
        ] {
            assert!(matches!(
                parse_response(body, &r),
                Err(TsaError::Malformed(_))
            ));
        }
        let big = vec![0u8; MAX_RESPONSE_BYTES + 1];
        assert!(matches!(
            parse_response(&big, &r),
            Err(TsaError::Malformed(_))
        ));
    }

    #[test]
    fn statuses_other_than_granted_are_refused() {
        let r = request_with_nonce(b"x", &[1; 16]).unwrap();
        // TimeStampResp { PKIStatusInfo { status 1, statusString { "mods" } } }, no token.
        let body = [
            0x30, 0x0d, 0x30, 0x0b, 0x02, 0x01, 0x01, 0x30, 0x06, 0x0c, 0x04, b'm', b'o', b'd',
            b's',
        ];
        match parse_response(&body, &r) {
            Err(TsaError::NotGranted { status, text }) => {
                assert_eq!(status, "1");
                assert_eq!(text, ": mods");
            }
            other => panic!("{other:?}"),
        }
        // Status 0 with no token.
        let body = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00];
        assert!(matches!(
            parse_response(&body, &r),
            Err(TsaError::Malformed(_))
        ));
    }
}
