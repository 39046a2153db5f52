//! Online-mode signatures (gitsign's default): the signature embeds no Rekor entry, so the
//! entry is looked up, and entries already verified are kept in an on-disk cache.
//!
//! This module (part of [`crate::check`]) owns the lookup orchestration; [`super::cache`] owns
//! the cache. The lookup follows gitsign (compat §3.1, §3.3): online mode logs a
//! `hashedrekord` over SHA-256 of the object id *string*, so the log is searched by that
//! hash — for the id of the object as stored, the id git would give it if the signature were
//! inserted canonically, and for tags also the commit-form id gitsign v0.16.x computed
//! (compat §11.15) — and, when that finds nothing made with this signature's certificate, by
//! the certificate (gitsign's `Search`). Each candidate entry is fetched (the
//! client checks the UUID and body hash) and then verified exactly like an embedded entry by
//! [`verify::verify_detached`] with [`Context::looked_up_entry`]: body rebuilt and compared,
//! SET, inclusion proof, checkpoint, integrated time inside the certificate window, and the
//! certificate equal to the CMS leaf.
//!
//! A lookup is bounded twice over, because the log's answers and timing are the attacker's: at
//! most [`MAX_FETCHED_ENTRIES`] fetches, and one time limit for the whole lookup of one object
//! (every search and fetch, retries included; [`lookup_time_limit`]). A log that accepts the
//! search and then answers slowly or never costs that limit, not 32 request timeouts.
//!
//! The cache ([`super::cache`]) holds entries that verified, keyed by object id and entry UUID, written
//! atomically (temporary file + rename). It is evidence, not trust: a cached entry goes
//! through the same verification every time, against the current trust root, and one that no
//! longer verifies is looked up again. It must not decide trust itself, print, or read
//! configuration.

pub use super::cache::{Cache, CacheError, CachedEntry, to_anon};
use crate::git::object::{self, HashKind, Kind};
use crate::rekor::client::{RekorClient, RekorError};
use crate::rekor::entry::{LogEntry, certificate_pem};
use crate::trust::TrustRoot;
use crate::verify::reason::Reason;
use crate::verify::{self, Context, Outcome, Rejection};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// At most this many entries are fetched for one signature (a search by a popular hash or a
/// long-lived certificate must not turn into an unbounded crawl).
pub const MAX_FETCHED_ENTRIES: usize = 32;

/// The whole lookup of one object may take this many per-request timeouts
/// (`gitseal.httpTimeout`). A normal lookup is a handful of quick requests; three timeouts
/// leave room for one slow request and its retry, and bound a hostile log at 30 s with the
/// default 10 s timeout, where 32 fetches could otherwise each take a full timeout.
pub const LOOKUP_TIMEOUT_FACTOR: u32 = 3;

/// The time limit for one object's lookup given the per-request HTTP timeout
/// ([`LOOKUP_TIMEOUT_FACTOR`] times it).
pub fn lookup_time_limit(http_timeout: Duration) -> Duration {
    http_timeout.saturating_mul(LOOKUP_TIMEOUT_FACTOR)
}

/// The lookup time limit of a [`Lookup`] nobody set one for: that of the verification
/// default timeout of 10 s (`config::VerifySettings`).
pub const DEFAULT_LOOKUP_TIME_LIMIT: Duration = Duration::from_secs(30);

/// A signed object as the lookup needs it.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// Commit or tag.
    pub kind: Kind,
    /// The signed payload.
    pub payload: &'a [u8],
    /// The signature text.
    pub signature: &'a [u8],
    /// The object's id as stored (or as predicted on git's `--verify` path).
    pub object_id: &'a str,
    /// The repository's object format.
    pub hash: HashKind,
}

/// The id strings an online-mode entry may log for this object, most likely first, without
/// duplicates: the stored id; the id of the canonical insertion of this signature (compat
/// §3.1: the signer predicts it before git writes the object); and for tags the commit-form id
/// gitsign v0.16.x computed (compat §11.15: the tag text with a `gpgsig` header, hashed as a
/// commit, always SHA-1). Pure.
pub fn logged_id_candidates(s: &Signed<'_>) -> Vec<String> {
    let mut out = vec![s.object_id.to_ascii_lowercase()];
    let predicted = object::object_id(
        s.kind,
        &object::signed_object(s.kind, s.payload, s.signature, s.hash),
        s.hash,
    );
    out.push(predicted);
    if s.kind == Kind::Tag {
        let commit_form =
            object::signed_object(Kind::Commit, s.payload, s.signature, HashKind::Sha1);
        out.push(object::object_id(
            Kind::Commit,
            &commit_form,
            HashKind::Sha1,
        ));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|id| seen.insert(id.clone()));
    out
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Which candidate id an entry logs, if it was made with `leaf_der` (compat §3.3: hash value
/// equal, and the public key a certificate equal to the leaf). Pure.
pub fn logged_candidate<'c>(
    entry: &LogEntry,
    candidates: &'c [String],
    leaf_der: &[u8],
) -> Option<&'c String> {
    let body: serde_json::Value = serde_json::from_slice(entry.body.as_deref()?).ok()?;
    let value = body.pointer("/spec/data/hash/value")?.as_str()?;
    let pem_b64 = body
        .pointer("/spec/signature/publicKey/content")?
        .as_str()?;
    let pem = String::from_utf8(B64.decode(pem_b64).ok()?).ok()?;
    let certs = crate::armor::certificates(&pem).ok()?;
    if !certs.iter().any(|c| c.as_slice() == leaf_der) {
        return None;
    }
    candidates
        .iter()
        .find(|c| sha256_hex(c).eq_ignore_ascii_case(value))
}

struct Fetched {
    uuid: String,
    entry: LogEntry,
}

/// The pipeline on the signature alone, with no looked-up entry: the whole verdict for a
/// signature that embeds its log entry, `tlog-lookup-required` for one that does not. It
/// needs no network and no configuration beyond its arguments, so git's `--verify` path
/// can run it while `git config` is still running.
pub fn first_pass(payload: &[u8], signature: &[u8], trust: &TrustRoot) -> Outcome {
    verify::verify_detached(
        payload,
        signature,
        trust,
        &Context {
            looked_up_entry: None,
            object_id: None,
        },
    )
}

/// Looks up and verifies online-mode entries; `client: None` is `--offline`.
#[derive(Debug, Clone)]
pub struct Lookup {
    client: Option<RekorClient>,
    cache: Option<Cache>,
    time_limit: Duration,
}

impl Lookup {
    /// A lookup through `client` (none: offline) with an optional cache, and
    /// [`DEFAULT_LOOKUP_TIME_LIMIT`] per object.
    pub fn new(client: Option<RekorClient>, cache: Option<Cache>) -> Self {
        Self {
            client,
            cache,
            time_limit: DEFAULT_LOOKUP_TIME_LIMIT,
        }
    }

    /// No network: only embedded and cached entries count.
    pub fn offline(cache: Option<Cache>) -> Self {
        Self::new(None, cache)
    }

    /// The time one object's lookup may take in all (see [`lookup_time_limit`]).
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = limit;
        self
    }

    /// The time limit per object.
    pub fn time_limit(&self) -> Duration {
        self.time_limit
    }

    /// Whether lookups may use the network.
    pub fn is_online(&self) -> bool {
        self.client.is_some()
    }

    /// Verifies a signature; when it embeds no log entry, its entry comes from the cache or a
    /// Rekor lookup (module docs). Outcomes from the lookup itself: `tlog-entry-not-found`
    /// (nothing in the log made with this certificate), `tlog-lookup-failed` (the log could
    /// not be asked), `tlog-entry-mismatch` (the log's entries for this certificate log
    /// something else), or whatever verifying the found entry says.
    pub fn verify(&self, s: &Signed<'_>, trust: &TrustRoot) -> Outcome {
        let first = first_pass(s.payload, s.signature, trust);
        self.verify_from(s, trust, first)
    }

    /// [`Lookup::verify`] given its first pass (`first_pass` with the same arguments), which
    /// is final unless the signature embeds no log entry.
    pub fn verify_from(&self, s: &Signed<'_>, trust: &TrustRoot, first: Outcome) -> Outcome {
        let rejection = match &first {
            Outcome::Rejected(r) if r.reason == Reason::TlogLookupRequired => r.clone(),
            _ => return first,
        };
        let with_entry = |entry: &LogEntry, logged: &str| {
            verify::verify_detached(
                s.payload,
                s.signature,
                trust,
                &Context {
                    looked_up_entry: Some(entry),
                    object_id: Some(logged),
                },
            )
        };

        // 1. The cache: evidence to re-verify, never a verdict by itself. The id a cached
        //    entry claims to log must be one this object can have: a genuine entry for
        //    another object (same certificate, e.g. a reused one) planted under this id must
        //    not stand in for this object's own.
        let candidates = logged_id_candidates(s);
        let mut cached_failure = None;
        if let Some(cache) = &self.cache {
            for c in cache.entries(s.object_id) {
                if !candidates.contains(&c.logged_id.to_ascii_lowercase()) {
                    continue;
                }
                match with_entry(&c.entry, &c.logged_id) {
                    v @ Outcome::Verified(_) => return v,
                    r @ Outcome::Rejected(_) => {
                        cached_failure.get_or_insert(r);
                    }
                }
            }
        }
        let Some(client) = &self.client else {
            if let Some(r) = cached_failure {
                return r;
            }
            return Outcome::Rejected(Rejection {
                detail: format!("{} (offline: no Rekor lookup was made)", rejection.detail),
                ..rejection
            });
        };

        // 2. The log.
        // The leaf the pipeline found (its summary carries the DER): the signature is not
        // parsed again here.
        let Some(leaf_der) = rejection.signer.as_ref().map(|sig| sig.leaf_der.clone()) else {
            return Outcome::Rejected(rejection);
        };
        // One deadline for everything this object's lookup asks the log.
        let client = client.with_time_limit(self.time_limit);
        let fetched = match search(&client, &candidates, &leaf_der) {
            Ok(f) => f,
            Err(e) => {
                return Outcome::Rejected(Rejection {
                    reason: Reason::TlogLookupFailed,
                    detail: format!(
                        "looking up the entry in Rekor at {} failed: {e}",
                        client.base_url()
                    ),
                    signer: rejection.signer,
                });
            }
        };
        let mut first_failure = None;
        for f in &fetched {
            let Some(logged) = logged_candidate(&f.entry, &candidates, &leaf_der) else {
                continue;
            };
            match with_entry(&f.entry, logged) {
                v @ Outcome::Verified(_) => {
                    if let Some(cache) = &self.cache {
                        // Best effort: a cache that cannot be written costs a lookup next time.
                        let _ = cache.store(
                            s.object_id,
                            &CachedEntry {
                                uuid: f.uuid.clone(),
                                logged_id: logged.clone(),
                                entry: f.entry.clone(),
                            },
                        );
                    }
                    return v;
                }
                r => {
                    first_failure.get_or_insert(r);
                }
            }
        }
        if let Some(r) = first_failure {
            return r;
        }
        if let Some(f) = fetched.first() {
            // The log has entries made with this certificate, but none logs this object: the
            // pipeline compares the body and says how it differs (tlog-entry-mismatch).
            return with_entry(&f.entry, s.object_id);
        }
        Outcome::Rejected(Rejection {
            reason: Reason::TlogEntryNotFound,
            detail: format!(
                "Rekor at {} has no entry for object id {} made with this signature's \
                 certificate (searched by the SHA-256 of the object id and by certificate)",
                client.base_url(),
                s.object_id
            ),
            signer: rejection.signer,
        })
    }
}

/// Search by hash of each candidate id; fall back to the certificate when that finds nothing
/// made with it (gitsign's search). Fetches at most [`MAX_FETCHED_ENTRIES`]; an entry that
/// cannot be fetched is skipped unless nothing at all could be.
///
/// When the client's time limit runs out ([`RekorError::DeadlineExceeded`]) nothing more is
/// asked: the entries fetched so far stand if one of them was made with this certificate for
/// one of the candidate ids (it is verified like any other), otherwise the lookup fails with
/// the time limit as its reason — the log was not searched completely, so neither "not found"
/// nor "mismatch" could be claimed.
fn search(
    client: &RekorClient,
    candidates: &[String],
    leaf_der: &[u8],
) -> Result<Vec<Fetched>, RekorError> {
    let mut s = Searcher {
        client,
        asked: Vec::new(),
        fetched: Vec::new(),
        last_error: None,
    };
    let matched = |fetched: &[Fetched]| {
        fetched
            .iter()
            .any(|f| logged_candidate(&f.entry, candidates, leaf_der).is_some())
    };
    let out_of_time = |s: Searcher<'_>, e: RekorError| {
        if matched(&s.fetched) {
            Ok(s.fetched)
        } else {
            Err(e)
        }
    };
    // A log that cannot search by hash may still search by certificate (gitsign only does the
    // latter): a failed hash search is remembered, not fatal.
    let mut search_error = None;
    for id in candidates {
        match client.search_index_by_hash(&sha256_hex(id)) {
            Ok(uuids) => {
                if let Err(e) = s.fetch_new(uuids) {
                    return out_of_time(s, e);
                }
            }
            Err(e @ RekorError::DeadlineExceeded { .. }) => return out_of_time(s, e),
            Err(e) => search_error = Some(e),
        }
    }
    if !matched(&s.fetched) {
        match client.search_index_by_public_key(&certificate_pem(leaf_der)) {
            Ok(uuids) => {
                if let Err(e) = s.fetch_new(uuids) {
                    return out_of_time(s, e);
                }
            }
            Err(e @ RekorError::DeadlineExceeded { .. }) => return out_of_time(s, e),
            Err(e) if s.fetched.is_empty() => return Err(e),
            Err(_) => {}
        }
    }
    match (s.fetched.is_empty(), search_error.or(s.last_error)) {
        (true, Some(e)) => Err(e),
        _ => Ok(s.fetched),
    }
}

/// The fetching half of [`search`]: what was asked and what came back.
struct Searcher<'c> {
    client: &'c RekorClient,
    asked: Vec<String>,
    fetched: Vec<Fetched>,
    last_error: Option<RekorError>,
}

impl Searcher<'_> {
    /// Fetches the UUIDs not asked yet, up to [`MAX_FETCHED_ENTRIES`] in all. A failed fetch
    /// is remembered and skipped; running out of time stops the whole search (the error).
    fn fetch_new(&mut self, uuids: Vec<String>) -> Result<(), RekorError> {
        for uuid in uuids {
            let uuid = uuid.to_ascii_lowercase();
            if self.asked.len() >= MAX_FETCHED_ENTRIES
                || self.asked.iter().any(|a| same_entry(a, &uuid))
            {
                continue;
            }
            self.asked.push(uuid.clone());
            match self.client.get_entry(&uuid) {
                Ok(entry) => self.fetched.push(Fetched { uuid, entry }),
                Err(e @ RekorError::DeadlineExceeded { .. }) => return Err(e),
                Err(e) => self.last_error = Some(e),
            }
        }
        Ok(())
    }
}

/// UUIDs name the same entry when their 64-hex leaf hashes are equal (a tree-id prefix is
/// optional, compat §3.2). Compared as bytes: the strings come from the log, and slicing a
/// `str` at a byte offset that is not a character boundary panics.
fn same_entry(a: &str, b: &str) -> bool {
    fn tail(s: &str) -> &[u8] {
        let bytes = s.as_bytes();
        &bytes[bytes.len().saturating_sub(64)..]
    }
    tail(a).eq_ignore_ascii_case(tail(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::check::cache::tests::entry;
    use crate::rekor::entry::hashedrekord_body;
    use crate::rekor::merkle::leaf_hash;
    use crate::transport::test_server::{FakeServer, Reply, fast_transport};
    use serde_json::json;
    use std::sync::Arc;
    use std::time::Instant;

    /// `{uuid: LogEntryAnon}` for a body, and its UUID.
    fn rest_entry(body: &[u8]) -> (String, serde_json::Value) {
        let uuid = hex::encode(leaf_hash(body));
        let anon = to_anon(&LogEntry {
            body: Some(body.to_vec()),
            ..entry()
        });
        (uuid.clone(), json!({ uuid: anon }))
    }

    #[test]
    fn candidates_cover_both_tag_forms() {
        let payload = b"object 0123456789abcdef0123456789abcdef01234567\ntype commit\ntag v1\ntagger T <t@x> 1 +0000\n\nmsg\n";
        let sig = b"-----BEGIN SIGNED MESSAGE-----\nAA\n-----END SIGNED MESSAGE-----\n";
        let raw = object::signed_object(Kind::Tag, payload, sig, HashKind::Sha1);
        let id = object::object_id(Kind::Tag, &raw, HashKind::Sha1);
        let s = Signed {
            kind: Kind::Tag,
            payload,
            signature: sig,
            object_id: &id,
            hash: HashKind::Sha1,
        };
        let c = logged_id_candidates(&s);
        assert_eq!(c.len(), 2, "stored and predicted ids coincide: {c:?}");
        assert_eq!(c[0], id);
        assert_eq!(c[1].len(), 40);
        assert_ne!(c[1], id);
    }

    #[test]
    fn uuid_comparison_ignores_tree_ids() {
        let h = "b".repeat(64);
        assert!(same_entry(&h, &format!("{}{h}", "0".repeat(16))));
        assert!(!same_entry(&h, &"c".repeat(64)));
    }

    #[test]
    fn a_slow_log_costs_the_time_limit_not_32_timeouts() {
        // Issue 11: the search is answered at once with 32 UUIDs, then every fetch takes
        // 400 ms — each in time for the per-request timeout, 13 s in all.
        let uuids: Vec<String> = (0..32u8).map(|i| hex::encode([i; 32])).collect();
        let server = FakeServer::start(move |req| {
            if req.method == "POST" {
                Reply::json(200, &json!(uuids))
            } else {
                Reply::new(404, "{}").delayed(Duration::from_millis(400))
            }
        });
        let client = RekorClient::new(server.url(), Arc::new(fast_transport()))
            .with_time_limit(Duration::from_millis(1000));
        let start = Instant::now();
        let err = search(&client, &["a".repeat(40)], b"leaf")
            .err()
            .expect("no entry was found in time");
        assert!(
            matches!(err, RekorError::DeadlineExceeded { .. }),
            "{err:?}"
        );
        assert!(
            start.elapsed() < Duration::from_millis(2500),
            "{:?}",
            start.elapsed()
        );
        let gets = server.seen().iter().filter(|r| r.method == "GET").count();
        assert!(gets < 6, "{gets} fetches after the deadline");
    }

    #[test]
    fn entries_found_before_the_deadline_still_count() {
        // The first candidate's entry is found and matches; the log then stalls on the
        // second candidate's search. The matching entry is kept (it is verified like any
        // other); only a search that found nothing usable fails on the time limit.
        let leaf = b"leaf certificate der".to_vec();
        let candidates = vec!["1".repeat(40), "2".repeat(40)];
        let digest: [u8; 32] = Sha256::digest(candidates[0].as_bytes()).into();
        let body = hashedrekord_body(&digest, &[0x30, 0], &leaf);
        let (uuid, entry_json) = rest_entry(&body);
        let first_search = json!({ "hash": format!("sha256:{}", sha256_hex(&candidates[0])) });
        let server = FakeServer::start(move |req| match req.method.as_str() {
            "POST" if req.json() == first_search => Reply::json(200, &json!([uuid])),
            "POST" => Reply::json(200, &json!([])).delayed(Duration::from_millis(1500)),
            _ => Reply::json(200, &entry_json),
        });
        let client = RekorClient::new(server.url(), Arc::new(fast_transport()))
            .with_time_limit(Duration::from_millis(700));
        let found = search(&client, &candidates, &leaf).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            logged_candidate(&found[0].entry, &candidates, &leaf),
            Some(&candidates[0])
        );

        // The same stall with nothing matching found first: the time limit is the answer.
        let server = FakeServer::start(|_| {
            Reply::json(200, &json!([])).delayed(Duration::from_millis(1500))
        });
        let client = RekorClient::new(server.url(), Arc::new(fast_transport()))
            .with_time_limit(Duration::from_millis(300));
        assert!(matches!(
            search(&client, &candidates, &leaf).err(),
            Some(RekorError::DeadlineExceeded { .. })
        ));
    }

    #[test]
    fn lookup_time_limit_is_derived_from_the_http_timeout() {
        assert_eq!(
            lookup_time_limit(Duration::from_secs(10)),
            DEFAULT_LOOKUP_TIME_LIMIT
        );
        assert_eq!(
            lookup_time_limit(Duration::from_secs(2)),
            Duration::from_secs(6)
        );
        assert_eq!(lookup_time_limit(Duration::MAX), Duration::MAX);
        let l = Lookup::new(None, None);
        assert_eq!(l.time_limit(), DEFAULT_LOOKUP_TIME_LIMIT);
        assert_eq!(
            l.with_time_limit(Duration::from_secs(4)).time_limit(),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn same_entry_on_non_ascii_strings() {
        let h = "b".repeat(64);
        assert!(!same_entry(&"€".repeat(22), &h));
        assert!(!same_entry(&h, &"€".repeat(22)));
    }
}
