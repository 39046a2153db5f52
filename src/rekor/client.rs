//! The Rekor v1 REST client: create a `hashedrekord` entry, fetch entries by UUID, search the
//! index, read the log info and the log's public key — over [`Transport`], with hand-written
//! serde wire types that follow Rekor's OpenAPI (`openapi.yaml`: `createLogEntry`,
//! `getLogEntryByUUID`, `searchIndex`, `searchLogQuery`, `getLogInfo`, `getPublicKey`).
//!
//! It checks what gitsign checks on the wire (`internal/rekor/tlog`, compat §3.2): a fetched
//! entry must come back under the UUID asked for, and SHA-256(0x00 ‖ body) — the RFC 6962 leaf
//! hash — must equal the UUID's 64-hex suffix. Those are consistency checks on the response, not
//! trust decisions: this module never looks at signatures, SETs, proofs or keys; `verify` does.
//!
//! Every byte of an answer is the server's: the answers are read by pure functions
//! ([`parse_search_result`], [`parse_entry_response`], [`parse_entry_list`],
//! [`parse_log_info`], [`parse_public_key`], [`conflict_uuid`], [`error_message`]) that return
//! a [`RekorError`] for anything unexpected and never panic, whatever the bytes (the mutation
//! fuzzer in `tests/integration/fuzz.rs` drives them). Server text reaches error messages only
//! as a short excerpt with control characters removed. A client may carry a deadline
//! ([`RekorClient::with_time_limit`]) that bounds every request it makes, retries included.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::rekor::entry::{EntryError, LogEntry, LogEntryAnon, certificate_pem};
use crate::rekor::merkle::leaf_hash;
use crate::transport::{Request, Response, Service, Transport, TransportError, join_url};

/// Why a Rekor call failed.
#[derive(Debug, thiserror::Error)]
pub enum RekorError {
    /// No HTTP answer (connection, timeout, TLS, size).
    #[error(transparent)]
    Transport(TransportError),
    /// Rekor answered with an unexpected HTTP status.
    #[error("Rekor at {url} answered HTTP {status}: {message}")]
    Status {
        /// The endpoint.
        url: String,
        /// HTTP status.
        status: u16,
        /// Rekor's `message` field, or an excerpt of the body (server text, truncated).
        message: String,
    },
    /// The answer was not the JSON Rekor's API defines.
    #[error("Rekor at {url} sent a malformed {what}: {reason}")]
    Malformed {
        /// The endpoint.
        url: String,
        /// Which document.
        what: &'static str,
        /// Details.
        reason: String,
    },
    /// The entry came back under another UUID than the one requested.
    #[error("Rekor returned entry {got} when asked for {requested}")]
    UuidMismatch {
        /// Requested UUID.
        requested: String,
        /// UUID in the response.
        got: String,
    },
    /// The entry body does not hash to its UUID.
    #[error("the body of Rekor entry {uuid} does not hash to its UUID")]
    BodyHashMismatch {
        /// The UUID.
        uuid: String,
    },
    /// A UUID that is not 64 or 80 hex digits.
    #[error("{0:?} is not a Rekor entry UUID")]
    BadUuid(String),
    /// A 409 without a usable `Location` header.
    #[error("Rekor reported the entry already exists but gave no usable Location ({0:?})")]
    ConflictWithoutLocation(Option<String>),
    /// The entry JSON did not convert.
    #[error("the entry Rekor returned is invalid: {0}")]
    Entry(#[source] EntryError),
    /// The client's time limit ran out (a slow or silent log), whatever was still to be asked.
    #[error("Rekor at {url} did not answer within the lookup's time limit of {} s", limit.as_secs_f64())]
    DeadlineExceeded {
        /// The endpoint being asked when time ran out.
        url: String,
        /// The time limit the client was given.
        limit: Duration,
    },
}

impl From<TransportError> for RekorError {
    fn from(e: TransportError) -> Self {
        RekorError::Transport(e)
    }
}

// ---- wire types (Rekor OpenAPI) ----------------------------------------------------------------

/// `ProposedEntry` of kind `hashedrekord`, `apiVersion` 0.0.1.
#[derive(Serialize, Debug)]
struct ProposedHashedRekord<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    spec: HashedRekordSpec,
}

#[derive(Serialize, Debug)]
struct HashedRekordSpec {
    data: HashedRekordData,
    signature: HashedRekordSignature,
}

#[derive(Serialize, Debug)]
struct HashedRekordData {
    hash: HashValue,
}

#[derive(Serialize, Debug)]
struct HashValue {
    algorithm: &'static str,
    value: String,
}

#[derive(Serialize, Debug)]
struct HashedRekordSignature {
    /// Base64 of the DER signature.
    content: String,
    #[serde(rename = "publicKey")]
    public_key: PublicKeyContent,
}

#[derive(Serialize, Debug)]
struct PublicKeyContent {
    /// Base64 of the PEM certificate.
    content: String,
}

/// `SearchIndex` request.
#[derive(Serialize, Debug, Default)]
struct SearchIndex {
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
    #[serde(rename = "publicKey", skip_serializing_if = "Option::is_none")]
    public_key: Option<SearchPublicKey>,
}

#[derive(Serialize, Debug)]
struct SearchPublicKey {
    format: &'static str,
    content: String,
}

/// `SearchLogQuery` request (only the UUID form).
#[derive(Serialize, Debug)]
struct SearchLogQuery<'a> {
    #[serde(rename = "entryUUIDs")]
    entry_uuids: &'a [String],
}

/// Rekor's `Error` definition.
#[derive(Deserialize, Debug)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
}

/// `LogInfo` (`GET /api/v1/log`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LogInfo {
    /// Hex root hash of the active shard.
    pub root_hash: String,
    /// Size of the active shard.
    pub tree_size: u64,
    /// The signed checkpoint (note text).
    pub signed_tree_head: String,
    /// Tree id of the active shard (decimal string).
    #[serde(rename = "treeID")]
    pub tree_id: String,
    /// Frozen shards.
    #[serde(default)]
    pub inactive_shards: Vec<InactiveShardLogInfo>,
}

/// `InactiveShardLogInfo`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InactiveShardLogInfo {
    /// Hex root hash.
    pub root_hash: String,
    /// Final size.
    pub tree_size: u64,
    /// Its last signed checkpoint.
    pub signed_tree_head: String,
    /// Tree id.
    #[serde(rename = "treeID")]
    pub tree_id: String,
}

// ---- client ------------------------------------------------------------------------------------

/// A Rekor v1 client bound to one log URL (`gitsign.rekor`).
#[derive(Clone)]
pub struct RekorClient {
    base_url: String,
    transport: Arc<dyn Transport>,
    /// When every request of this client must be over, and the limit it came from.
    deadline: Option<(Instant, Duration)>,
}

impl std::fmt::Debug for RekorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekorClient")
            .field("base_url", &self.base_url)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl RekorClient {
    /// A client for the log at `base_url` (e.g. `https://rekor.sigstore.dev`).
    pub fn new(base_url: impl Into<String>, transport: Arc<dyn Transport>) -> Self {
        Self {
            base_url: base_url.into(),
            transport,
            deadline: None,
        }
    }

    /// This client with a deadline `limit` from now: every request it sends afterwards,
    /// retries and backoff included, ends by then, and once it has passed nothing more is
    /// sent ([`RekorError::DeadlineExceeded`]). One lookup uses one such client, so however
    /// many searches and fetches it makes, it cannot outlast `limit`.
    pub fn with_time_limit(&self, limit: Duration) -> Self {
        let at = Instant::now().checked_add(limit);
        Self {
            deadline: at.map(|at| (at, limit)),
            ..self.clone()
        }
    }

    /// Sends through the transport under this client's deadline.
    fn send(&self, request: Request) -> Result<Response, RekorError> {
        let Some((at, limit)) = self.deadline else {
            return Ok(self.transport.send(&request)?);
        };
        let url = crate::transport::redact_url(&request.url);
        let out_of_time = || RekorError::DeadlineExceeded {
            url: url.clone(),
            limit,
        };
        if Instant::now() >= at {
            return Err(out_of_time());
        }
        let request = request.deadline(at);
        match self.transport.send(&request) {
            Ok(r) => Ok(r),
            // Whatever the transport saw last (a timeout cut short by the deadline, a retry
            // not started), the reason the lookup ends is the time limit.
            Err(_) if Instant::now() >= at => Err(out_of_time()),
            Err(e) => Err(e.into()),
        }
    }

    /// The log URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn url(&self, path: &str) -> String {
        join_url(&self.base_url, path)
    }

    /// `POST /api/v1/log/entries` with a `hashedrekord` v0.0.1 entry over `digest` (SHA-256 of
    /// the artifact), `signature` (DER ECDSA) and the leaf certificate (sent as base64 of its
    /// PEM, as gitsign does, compat §3.2). Returns the entry UUID and the entry. A 409 (the entry
    /// already exists) is followed by fetching the existing entry, as gitsign's legacy path does.
    pub fn create_hashedrekord(
        &self,
        digest: &[u8; 32],
        signature: &[u8],
        cert_der: &[u8],
    ) -> Result<(String, LogEntry), RekorError> {
        let url = self.url("/api/v1/log/entries");
        let proposed = ProposedHashedRekord {
            api_version: "0.0.1",
            kind: "hashedrekord",
            spec: HashedRekordSpec {
                data: HashedRekordData {
                    hash: HashValue {
                        algorithm: "sha256",
                        value: hex::encode(digest),
                    },
                },
                signature: HashedRekordSignature {
                    content: B64.encode(signature),
                    public_key: PublicKeyContent {
                        content: B64.encode(certificate_pem(cert_der)),
                    },
                },
            },
        };
        let req = Request::post_json(Service::Rekor, url.clone(), &proposed)?
            .header("Accept", "application/json");
        let resp = self.send(req)?;
        match resp.status {
            201 => parse_entry_response(&url, &resp.body),
            409 => {
                let uuid = conflict_uuid(resp.header("location"))?;
                // Only the UUID is taken from Location; the GET goes to the configured log, never
                // to a host the server names.
                let entry = self.get_entry(&uuid)?;
                Ok((uuid, entry))
            }
            _ => Err(status_error(&url, &resp)),
        }
    }

    /// `GET /api/v1/log/entries/{uuid}` with gitsign's validation: the response key must be the
    /// requested UUID (tree-id prefixes compared only when both carry one) and the body must hash
    /// to the UUID.
    pub fn get_entry(&self, uuid: &str) -> Result<LogEntry, RekorError> {
        if !is_uuid(uuid) {
            return Err(RekorError::BadUuid(uuid.chars().take(100).collect()));
        }
        let url = self.url(&format!("/api/v1/log/entries/{uuid}"));
        let resp = self
            .send(Request::get(Service::Rekor, url.clone()).header("Accept", "application/json"))?;
        if resp.status != 200 {
            return Err(status_error(&url, &resp));
        }
        let (got, entry) = parse_entry_response(&url, &resp.body)?;
        if !same_uuid(uuid, &got) {
            return Err(RekorError::UuidMismatch {
                requested: uuid.to_owned(),
                got,
            });
        }
        Ok(entry)
    }

    /// `POST /api/v1/index/retrieve` `{"hash":"sha256:<hex>"}`: UUIDs of entries over that
    /// artifact digest (64 hex digits).
    pub fn search_index_by_hash(&self, sha256_hex: &str) -> Result<Vec<String>, RekorError> {
        let hex = sha256_hex.to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RekorError::Malformed {
                url: self.url("/api/v1/index/retrieve"),
                what: "search request",
                reason: "the hash must be 64 hex digits".into(),
            });
        }
        self.search(&SearchIndex {
            hash: Some(format!("sha256:{hex}")),
            public_key: None,
        })
    }

    /// `POST /api/v1/index/retrieve` `{"publicKey":{"format":"x509","content":b64(PEM)}}`: UUIDs
    /// of entries made with that certificate (gitsign's online-mode lookup, compat §3.2).
    pub fn search_index_by_public_key(&self, cert_pem: &str) -> Result<Vec<String>, RekorError> {
        self.search(&SearchIndex {
            hash: None,
            public_key: Some(SearchPublicKey {
                format: "x509",
                content: B64.encode(cert_pem.as_bytes()),
            }),
        })
    }

    fn search(&self, query: &SearchIndex) -> Result<Vec<String>, RekorError> {
        let url = self.url("/api/v1/index/retrieve");
        let resp = self.send(Request::post_json(Service::Rekor, url.clone(), query)?)?;
        if resp.status != 200 {
            return Err(status_error(&url, &resp));
        }
        parse_search_result(&url, &resp.body)
    }

    /// `POST /api/v1/log/entries/retrieve` `{"entryUUIDs":[…]}`: the entries that exist, each
    /// checked against its UUID. Entries Rekor does not know are simply absent from the answer.
    pub fn retrieve_entries(
        &self,
        uuids: &[String],
    ) -> Result<Vec<(String, LogEntry)>, RekorError> {
        if let Some(bad) = uuids.iter().find(|u| !is_uuid(u)) {
            return Err(RekorError::BadUuid(bad.chars().take(100).collect()));
        }
        let url = self.url("/api/v1/log/entries/retrieve");
        let resp = self.send(Request::post_json(
            Service::Rekor,
            url.clone(),
            &SearchLogQuery { entry_uuids: uuids },
        )?)?;
        if resp.status != 200 {
            return Err(status_error(&url, &resp));
        }
        parse_entry_list(&url, &resp.body, uuids)
    }

    /// `GET /api/v1/log`: tree size, root hash and signed checkpoint of the active shard.
    pub fn log_info(&self) -> Result<LogInfo, RekorError> {
        let url = self.url("/api/v1/log");
        let resp = self.send(Request::get(Service::Rekor, url.clone()))?;
        if resp.status != 200 {
            return Err(status_error(&url, &resp));
        }
        parse_log_info(&url, &resp.body)
    }

    /// `GET /api/v1/log/publicKey[?treeID=…]`: the log's public key as PEM text. Untrusted: the
    /// trust root decides which keys count.
    pub fn public_key(&self, tree_id: Option<&str>) -> Result<String, RekorError> {
        let mut url = self.url("/api/v1/log/publicKey");
        if let Some(id) = tree_id {
            url.push_str("?treeID=");
            url.push_str(&crate::transport::form_component(id));
        }
        let resp = self.send(Request::get(Service::Rekor, url.clone()))?;
        if resp.status != 200 {
            return Err(status_error(&url, &resp));
        }
        parse_public_key(&url, &resp.body)
    }
}

/// 64 hex digits (entry leaf hash), optionally prefixed by a 16-hex tree id (80 digits).
pub fn is_uuid(s: &str) -> bool {
    (s.len() == 64 || s.len() == 80) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The 64-hex leaf-hash part of a UUID; `None` for anything that is not a UUID. Checking
/// first is what makes the slice safe: a server's string of 64+ bytes may have a multi-byte
/// character where the suffix would start, and slicing there panicked (issue 11).
fn uuid_hash(s: &str) -> Option<&str> {
    if !is_uuid(s) {
        return None;
    }
    s.get(s.len() - 64..)
}

/// gitsign's comparison: the hash parts must match; tree ids only when both have one. Never
/// true when either is not a UUID.
fn same_uuid(requested: &str, got: &str) -> bool {
    match (uuid_hash(requested), uuid_hash(got)) {
        (Some(a), Some(b)) if requested.len() == 80 && got.len() == 80 => {
            a.eq_ignore_ascii_case(b) && requested.eq_ignore_ascii_case(got)
        }
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// A server string for an error message: at most 100 characters, Debug-escaped by the
/// message's `{:?}`.
fn bad_uuid(s: &str) -> RekorError {
    RekorError::BadUuid(s.chars().take(100).collect())
}

fn check_body_hash(uuid: &str, entry: &LogEntry) -> Result<(), RekorError> {
    let Some(hash) = uuid_hash(uuid) else {
        return Err(bad_uuid(uuid));
    };
    let body = entry.body.as_deref().unwrap_or_default();
    if !hex::encode(leaf_hash(body)).eq_ignore_ascii_case(hash) {
        return Err(RekorError::BodyHashMismatch {
            uuid: uuid.to_owned(),
        });
    }
    Ok(())
}

/// `Malformed` with the parser's message cut to an excerpt: serde quotes the offending value,
/// and the value is the server's (it could be megabytes long or carry terminal escapes).
fn malformed(url: &str, what: &'static str, reason: impl std::fmt::Display) -> RekorError {
    RekorError::Malformed {
        url: crate::transport::redact_url(url),
        what,
        reason: crate::transport::excerpt(reason.to_string().as_bytes()),
    }
}

// ---- response parsing (pure; every input is the server's) --------------------------------------

/// The answer to `POST /api/v1/index/retrieve`: a JSON array of entry UUIDs, each one checked.
pub fn parse_search_result(url: &str, body: &[u8]) -> Result<Vec<String>, RekorError> {
    let uuids: Vec<String> =
        serde_json::from_slice(body).map_err(|e| malformed(url, "search result", e))?;
    if let Some(bad) = uuids.iter().find(|u| !is_uuid(u)) {
        return Err(bad_uuid(bad));
    }
    Ok(uuids)
}

/// The answer to `GET /api/v1/log/entries/{uuid}` or a create's 201: exactly one
/// `{"<uuid>": LogEntryAnon}`, whose key is a UUID and whose body hashes to it (RFC 6962
/// §2.1 leaf hash). Returns the key as sent and the entry.
pub fn parse_entry_response(url: &str, body: &[u8]) -> Result<(String, LogEntry), RekorError> {
    let (uuid, entry) = LogEntry::from_rest_response(body).map_err(|e| match e {
        EntryError::Json(reason) => malformed(url, "log entry", reason),
        other => RekorError::Entry(other),
    })?;
    check_body_hash(&uuid, &entry)?;
    Ok((uuid, entry))
}

/// The answer to `POST /api/v1/log/entries/retrieve`: an array of `{uuid: LogEntryAnon}`
/// maps, each key one of `requested` and each body hashing to its key.
pub fn parse_entry_list(
    url: &str,
    body: &[u8],
    requested: &[String],
) -> Result<Vec<(String, LogEntry)>, RekorError> {
    let maps: Vec<std::collections::BTreeMap<String, LogEntryAnon>> =
        serde_json::from_slice(body).map_err(|e| malformed(url, "entry list", e))?;
    let mut out = Vec::new();
    for map in maps {
        for (uuid, anon) in map {
            if !is_uuid(&uuid) {
                return Err(bad_uuid(&uuid));
            }
            if !requested.iter().any(|u| same_uuid(u, &uuid)) {
                return Err(RekorError::UuidMismatch {
                    requested: requested.join(","),
                    got: uuid,
                });
            }
            let entry = LogEntry::from_anon(&anon).map_err(|e| match e {
                EntryError::Json(reason) => malformed(url, "log entry", reason),
                other => RekorError::Entry(other),
            })?;
            check_body_hash(&uuid, &entry)?;
            out.push((uuid, entry));
        }
    }
    Ok(out)
}

/// The answer to `GET /api/v1/log`.
pub fn parse_log_info(url: &str, body: &[u8]) -> Result<LogInfo, RekorError> {
    serde_json::from_slice(body).map_err(|e| malformed(url, "log info", e))
}

/// The answer to `GET /api/v1/log/publicKey`: PEM text (untrusted; the trust root decides).
pub fn parse_public_key(url: &str, body: &[u8]) -> Result<String, RekorError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed(url, "public key", "not UTF-8"))?;
    if !text.contains("-----BEGIN PUBLIC KEY-----") {
        return Err(malformed(url, "public key", "not a PEM `PUBLIC KEY` block"));
    }
    Ok(text.to_owned())
}

/// The entry UUID in a 409's `Location` header (its last path segment), if it is one.
pub fn conflict_uuid(location: Option<&str>) -> Result<String, RekorError> {
    location
        .and_then(|l| l.split(['?', '#']).next())
        .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
        .filter(|u| is_uuid(u))
        .map(str::to_owned)
        .ok_or_else(|| {
            RekorError::ConflictWithoutLocation(
                location.map(|l| crate::transport::excerpt(l.as_bytes())),
            )
        })
}

/// Rekor's `message` from an error body (its `Error` definition), else an excerpt of the
/// body: short and printable either way.
pub fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.message)
        .map(|m| crate::transport::excerpt(m.as_bytes()))
        .unwrap_or_else(|| crate::transport::excerpt(body))
}

fn status_error(url: &str, resp: &Response) -> RekorError {
    RekorError::Status {
        url: crate::transport::redact_url(url),
        status: resp.status,
        message: error_message(&resp.body),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::transport::test_server::{FakeServer, Reply, fast_transport};
    use serde_json::json;
    use std::time::{Duration, Instant};

    /// A well-formed `{uuid: LogEntryAnon}` for a body, with the UUID derived from it.
    fn entry_json(body: &[u8], tree_prefix: bool) -> (String, serde_json::Value) {
        let mut uuid = hex::encode(leaf_hash(body));
        if tree_prefix {
            uuid = format!("24296fb24b8ad77a{uuid}");
        }
        let v = json!({ uuid.clone(): {
            "body": B64.encode(body),
            "integratedTime": 1681496844,
            "logID": "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d",
            "logIndex": 17974796,
            "verification": {
                "inclusionProof": {
                    "checkpoint": "note\n",
                    "hashes": [hex::encode([1u8; 32])],
                    "logIndex": 13811365,
                    "rootHash": hex::encode([2u8; 32]),
                    "treeSize": 13811366
                },
                "signedEntryTimestamp": B64.encode([3u8, 4, 5])
            }
        }});
        (uuid, v)
    }

    fn client(server: &FakeServer) -> RekorClient {
        RekorClient::new(server.url(), Arc::new(fast_transport()))
    }

    #[test]
    fn create_sends_exact_hashedrekord_and_parses_201() {
        let cert = vec![0x30, 0x03, 1, 2, 3];
        let digest = [0xabu8; 32];
        let sig = vec![0x30, 0x06, 2, 1, 1, 2, 1, 1];
        let body = crate::rekor::entry::hashedrekord_body(&digest, &sig, &cert);
        let (uuid, v) = entry_json(&body, true);
        let v2 = v.clone();
        let server = FakeServer::start(move |_| Reply::json(201, &v2));
        let (got_uuid, entry) = client(&server)
            .create_hashedrekord(&digest, &sig, &cert)
            .unwrap();
        assert_eq!(got_uuid, uuid);
        assert_eq!(entry.log_index, 17974796);
        assert_eq!(entry.body.as_deref(), Some(body.as_slice()));
        let seen = &server.seen()[0];
        assert_eq!(seen.method, "POST");
        assert_eq!(seen.path(), "/api/v1/log/entries");
        assert_eq!(
            seen.json(),
            json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
                    "signature": {
                        "content": B64.encode(&sig),
                        "publicKey": {"content": B64.encode(certificate_pem(&cert))}
                    }
                }
            })
        );
        // The request body, canonicalised, is exactly Rekor's canonical body.
        let canon: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(seen.json(), canon);
    }

    #[test]
    fn create_409_follows_location_uuid_on_configured_host() {
        let body = b"{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\"}".to_vec();
        let (uuid, v) = entry_json(&body, false);
        let uuid2 = uuid.clone();
        let server = FakeServer::start(move |req| {
            if req.method == "POST" {
                Reply::json(409, &json!({"code": 409, "message": "An equivalent entry already exists in the transparency log"}))
                    .with_header(
                        "Location",
                        &format!("http://evil.example/api/v1/log/entries/{uuid2}"),
                    )
            } else {
                Reply::json(200, &v)
            }
        });
        let (got, entry) = client(&server)
            .create_hashedrekord(&[0; 32], &[1], &[2])
            .unwrap();
        assert_eq!(got, uuid);
        assert_eq!(entry.log_index, 17974796);
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].method, "GET");
        assert_eq!(seen[1].path(), format!("/api/v1/log/entries/{uuid}"));
    }

    #[test]
    fn create_409_without_location_is_an_error() {
        let server = FakeServer::start(|_| Reply::new(409, "{}"));
        let err = client(&server)
            .create_hashedrekord(&[0; 32], &[1], &[2])
            .unwrap_err();
        assert!(
            matches!(err, RekorError::ConflictWithoutLocation(None)),
            "{err}"
        );
    }

    #[test]
    fn create_error_status_reports_rekor_message() {
        let server = FakeServer::start(|_| {
            Reply::json(
                400,
                &json!({"code": 400, "message": "error processing entry: bad sig"}),
            )
        });
        let err = client(&server)
            .create_hashedrekord(&[0; 32], &[1], &[2])
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("HTTP 400"), "{msg}");
        assert!(msg.contains("bad sig"), "{msg}");
        assert_eq!(server.seen().len(), 1, "4xx is not retried");
    }

    #[test]
    fn get_entry_validates_uuid_and_body_hash() {
        let body = b"{\"kind\":\"hashedrekord\",\"apiVersion\":\"0.0.1\"}".to_vec();
        let (uuid, v) = entry_json(&body, true);
        let v2 = v.clone();
        let server = FakeServer::start(move |_| Reply::json(200, &v2));
        let c = client(&server);
        // By full 80-hex UUID and by its 64-hex suffix.
        assert_eq!(c.get_entry(&uuid).unwrap().integrated_time, 1681496844);
        assert!(c.get_entry(&uuid[16..]).is_ok());
        // Another UUID: mismatch.
        let other = hex::encode([9u8; 32]);
        assert!(matches!(
            c.get_entry(&other).unwrap_err(),
            RekorError::UuidMismatch { .. }
        ));
        // Bad input never reaches the network.
        assert!(matches!(
            c.get_entry("../../etc").unwrap_err(),
            RekorError::BadUuid(_)
        ));

        // A body that does not hash to the UUID.
        let mut tampered = v.clone();
        tampered[&uuid]["body"] =
            json!(B64.encode(b"{\"kind\":\"rekord\",\"apiVersion\":\"0.0.1\"}"));
        let server = FakeServer::start(move |_| Reply::json(200, &tampered));
        assert!(matches!(
            client(&server).get_entry(&uuid).unwrap_err(),
            RekorError::BodyHashMismatch { .. }
        ));
    }

    #[test]
    fn search_requests_match_openapi() {
        let u = hex::encode([7u8; 32]);
        let u2 = u.clone();
        let server = FakeServer::start(move |_| Reply::json(200, &json!([u2])));
        let c = client(&server);
        assert_eq!(
            c.search_index_by_hash(&"AB".repeat(32)).unwrap(),
            vec![u.clone()]
        );
        assert_eq!(
            c.search_index_by_public_key("-----BEGIN CERTIFICATE-----\n")
                .unwrap(),
            vec![u]
        );
        let seen = server.seen();
        assert_eq!(seen[0].path(), "/api/v1/index/retrieve");
        assert_eq!(
            seen[0].json(),
            json!({"hash": format!("sha256:{}", "ab".repeat(32))})
        );
        assert_eq!(
            seen[1].json(),
            json!({"publicKey": {"format": "x509", "content": B64.encode("-----BEGIN CERTIFICATE-----\n")}})
        );
        assert!(c.search_index_by_hash("xyz").is_err());
    }

    #[test]
    fn retrieve_entries_checks_each() {
        let body = b"{\"kind\":\"hashedrekord\",\"apiVersion\":\"0.0.1\"}".to_vec();
        let (uuid, v) = entry_json(&body, false);
        let v2 = v.clone();
        let server = FakeServer::start(move |_| Reply::json(200, &json!([v2])));
        let got = client(&server)
            .retrieve_entries(std::slice::from_ref(&uuid))
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, uuid);
        assert_eq!(server.seen()[0].json(), json!({"entryUUIDs": [uuid]}));
    }

    #[test]
    fn log_info_and_public_key() {
        let server = FakeServer::start(|req| {
            if req.path() == "/api/v1/log" {
                Reply::json(
                    200,
                    &json!({"rootHash": "00", "treeSize": 5, "signedTreeHead": "n", "treeID": "123",
                            "inactiveShards": [{"rootHash": "01", "treeSize": 2, "signedTreeHead": "m", "treeID": "9"}]}),
                )
            } else {
                Reply::new(
                    200,
                    "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n",
                )
            }
        });
        let c = client(&server);
        let info = c.log_info().unwrap();
        assert_eq!(info.tree_size, 5);
        assert_eq!(info.inactive_shards[0].tree_id, "9");
        assert!(
            c.public_key(Some("9"))
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        assert_eq!(server.seen()[1].target, "/api/v1/log/publicKey?treeID=9");
    }

    /// A key of 64+ bytes whose 64-byte suffix starts inside a character: 22 × "€" (3 bytes
    /// each) is 66 bytes, and byte 2 is the middle of the first "€".
    fn non_ascii_key() -> String {
        "€".repeat(22)
    }

    #[test]
    fn non_ascii_entry_key_is_an_error_not_a_panic() {
        // Issue 11: `uuid_hash` sliced the server's key at `len - 64` bytes and panicked
        // (exit 101, the whole `gitseal verify` run lost).
        let body = b"{\"kind\":\"hashedrekord\",\"apiVersion\":\"0.0.1\"}".to_vec();
        let (uuid, v) = entry_json(&body, false);
        let mut hostile = serde_json::Map::new();
        hostile.insert(non_ascii_key(), v[&uuid].clone());
        let hostile = serde_json::Value::Object(hostile);
        let (h1, h2) = (hostile.clone(), hostile.clone());
        let server = FakeServer::start(move |req| {
            if req.method == "GET" {
                Reply::json(200, &h1)
            } else {
                Reply::json(200, &json!([h2]))
            }
        });
        let c = client(&server);
        assert!(matches!(
            c.get_entry(&uuid).unwrap_err(),
            RekorError::BadUuid(_)
        ));
        assert!(matches!(
            c.retrieve_entries(std::slice::from_ref(&uuid)).unwrap_err(),
            RekorError::BadUuid(_)
        ));
        // The comparison helpers themselves never slice inside a character.
        assert!(!same_uuid(&uuid, &non_ascii_key()));
        assert!(!same_uuid(&non_ascii_key(), &uuid));
        assert_eq!(uuid_hash(&non_ascii_key()), None);
    }

    #[test]
    fn search_result_must_be_uuids() {
        let url = "http://rekor.test/api/v1/index/retrieve";
        assert_eq!(
            parse_search_result(url, b"[]").unwrap(),
            Vec::<String>::new()
        );
        let u = "ab".repeat(32);
        assert_eq!(
            parse_search_result(url, format!("[\"{u}\"]").as_bytes()).unwrap(),
            vec![u]
        );
        for bad in [
            &b"{}"[..],
            b"",
            b"null",
            b"[1]",
            b"[\"../../etc/passwd\"]",
            "[\"€€€€€€€€€€€€€€€€€€€€€€\"]".as_bytes(),
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]",
        ] {
            assert!(parse_search_result(url, bad).is_err(), "{bad:?}");
        }
        // Nesting far beyond serde_json's recursion limit is an error, not a stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_search_result(url, deep.as_bytes()).is_err());
    }

    #[test]
    fn entry_numbers_out_of_range_are_errors() {
        let body = b"{\"kind\":\"hashedrekord\",\"apiVersion\":\"0.0.1\"}".to_vec();
        let (uuid, v) = entry_json(&body, false);
        let url = "http://rekor.test/api/v1/log/entries/x";
        let with = |path: &[&str], value: serde_json::Value| {
            let mut v = v.clone();
            let mut at = &mut v[&uuid];
            for p in path {
                at = &mut at[*p];
            }
            *at = value;
            serde_json::to_vec(&v).unwrap()
        };
        assert!(parse_entry_response(url, &serde_json::to_vec(&v).unwrap()).is_ok());
        for (path, value) in [
            (&["logIndex"][..], json!(-1)),
            (&["logIndex"], json!(u64::MAX)),
            (&["logIndex"], json!(1e300)),
            (&["integratedTime"], json!(u64::MAX)),
            (&["integratedTime"], json!("now")),
            (&["verification", "inclusionProof", "treeSize"], json!(-5)),
            (&["verification", "inclusionProof", "logIndex"], json!(-1)),
            (&["verification", "inclusionProof", "hashes"], json!(["zz"])),
            (&["verification", "inclusionProof", "rootHash"], json!("€€")),
            (&["logID"], json!({})),
            (&["body"], json!("%%%")),
        ] {
            assert!(
                parse_entry_response(url, &with(path, value.clone())).is_err(),
                "{path:?} = {value}"
            );
        }
        // Literal numbers larger than any integer type are errors too.
        let huge = serde_json::to_string(&v)
            .unwrap()
            .replace("17974796", "340282366920938463463374607431768211456");
        assert!(parse_entry_response(url, huge.as_bytes()).is_err());
        // Empty, nested and foreign shapes.
        for bad in [&b"{}"[..], b"[]", b"{\"a\":{}}", b"{\"a\":[]}", b"\"x\""] {
            assert!(parse_entry_response(url, bad).is_err(), "{bad:?}");
        }
        let deep = format!(
            "{{\"{uuid}\":{}{}}}",
            "{\"a\":".repeat(50_000),
            "1}".repeat(50_000)
        );
        assert!(parse_entry_response(url, deep.as_bytes()).is_err());
    }

    #[test]
    fn server_text_in_errors_is_short_and_printable() {
        let url = "http://rekor.test/api/v1/log";
        let long = format!("{{\"treeSize\": \"{}\x1b[31m\"}}", "A".repeat(1_000_000));
        let msg = parse_log_info(url, long.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(msg.len() < 1_000, "{} bytes", msg.len());
        assert!(!msg.contains('\x1b'), "{msg}");
        let msg =
            error_message(format!("{{\"message\":\"{}\"}}", "\\u001b".repeat(10_000)).as_bytes());
        assert!(msg.len() < 1_000 && !msg.contains('\x1b'), "{msg}");
        let err = conflict_uuid(Some(&"\x1b]0;x\x07".repeat(1000))).unwrap_err();
        assert!(err.to_string().len() < 2_000, "{err}");
        assert!(conflict_uuid(Some(&format!("/api/v1/log/entries/{}", "€".repeat(22)))).is_err());
        assert!(parse_public_key(url, &[0xff, 0xfe]).is_err());
        assert!(parse_public_key(url, b"hello").is_err());
    }

    #[test]
    fn time_limit_bounds_a_silent_log() {
        let server =
            FakeServer::start(|_| Reply::new(200, "[]").delayed(Duration::from_millis(2500)));
        let c = client(&server).with_time_limit(Duration::from_millis(300));
        let start = Instant::now();
        let err = c.search_index_by_hash(&"ab".repeat(32)).unwrap_err();
        assert!(
            matches!(err, RekorError::DeadlineExceeded { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("time limit of 0.3 s"), "{err}");
        assert!(start.elapsed() < Duration::from_millis(2000));
        // Once it has passed, nothing more is sent.
        let before = server.seen().len();
        assert!(matches!(
            c.get_entry(&"ab".repeat(32)).unwrap_err(),
            RekorError::DeadlineExceeded { .. }
        ));
        assert_eq!(server.seen().len(), before);
    }
}
