//! The testbed's Rekor: a v1 REST transparency log of hashedrekord v0.0.1 entries.
//!
//! Owns entry validation and canonicalisation, the append-only log (persisted through
//! [`super::store`]), the search index, and every signed artefact a client checks:
//!
//! * the stored body is the RFC 8785 canonical JSON of the hashedrekord with the certificate
//!   re-encoded as 64-column PEM and the signature re-encoded as standard base64, as Rekor's
//!   `Canonicalize()` does (gitsign-compat §3.4);
//! * leaves and proofs follow RFC 6962 ([`super::merkle`]); proofs are computed at the current
//!   tree size and carry the **shard-local** index, while the entry's `logIndex` is global
//!   (local + shard offset), as on the sharded public log (gitsign-compat §3.6);
//! * the signed entry timestamp (SET) is ECDSA P-256 over canonical
//!   `{"body","integratedTime","logID","logIndex"}` with the global index (§3.5);
//! * checkpoints are signed notes: `"<origin>\n<size>\n<b64 root>\n"`, a blank line, then
//!   `"— <name> <b64(keyhint(4) ‖ DER sig)>\n"` with key hint = first 4 bytes of the log id,
//!   origin `gitseal-testbed - <tree id>`;
//! * entry UUIDs are answered as 80 hex digits (16-hex tree id + 64-hex leaf hash); 64-hex UUIDs
//!   are accepted on input.
//!
//! Response shapes follow Rekor's OpenAPI (`LogEntry`, `LogInfo`, `ConsistencyProof`,
//! `SearchIndex`, `SearchLogQuery`, `Error`). Only P-256 keys are accepted in entries.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::{Decode, Encode};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use serde_json::{Value, json};
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use super::TestbedError;
use super::canon::to_canonical_json;
use super::crypto;
use super::faults::Fault;
use super::http::{Request, Response};
use super::merkle::{self, Hash};
use super::store::{LogFile, StoredEntry};

/// The name in checkpoint signature lines (no spaces: verifiers match it with `\S+`).
pub const NOTE_NAME: &str = "gitseal-testbed";

struct Entry {
    body: Vec<u8>,
    integrated_time: i64,
}

struct LogState {
    entries: Vec<Entry>,
    leaves: Vec<Hash>,
    by_leaf: HashMap<Hash, usize>,
    index: HashMap<String, Vec<usize>>,
    file: LogFile,
}

/// The log.
pub struct Rekor {
    key: p256::ecdsa::SigningKey,
    /// Signs SETs and checkpoints when a test asks for a wrong key.
    other_key: p256::ecdsa::SigningKey,
    log_id: [u8; 32],
    tree_id: u64,
    shard_offset: u64,
    origin: String,
    public_key_pem: String,
    state: Mutex<LogState>,
}

/// What a proposed entry turned into.
struct Canonical {
    body: Vec<u8>,
}

fn bad(msg: impl Into<String>) -> Response {
    Response::rekor_error(400, &msg.into())
}

fn hex_str(v: &Value, what: &str) -> Result<String, Response> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("{what} must be a string")))
}

/// Parse the `publicKey.content` bytes of a hashedrekord: PEM certificate(s) or a PEM public key.
/// Returns the canonical PEM (what Rekor stores), the P-256 key, and the certificate if any.
fn parse_entry_key(
    pem_bytes: &[u8],
) -> Result<(String, p256::ecdsa::VerifyingKey, Option<Certificate>), String> {
    let text = std::str::from_utf8(pem_bytes).map_err(|_| "publicKey is not PEM text")?;
    let certs = crate::armor::blocks(text.as_bytes(), "CERTIFICATE");
    if let Some(first) = certs.first() {
        let cert = Certificate::from_der(first).map_err(|e| format!("certificate: {e}"))?;
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| e.to_string())?;
        let vk = <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(&spki)
            .map_err(|_| "only ECDSA P-256 keys are supported")?;
        let mut canonical = String::new();
        for c in &certs {
            // Re-encode through a parse so the stored PEM is exactly 64-column DER.
            let der = Certificate::from_der(c)
                .and_then(|c| c.to_der())
                .map_err(|e| format!("certificate: {e}"))?;
            canonical.push_str(&crate::armor::pem("CERTIFICATE", &der));
        }
        return Ok((canonical, vk, Some(cert)));
    }
    let keys = crate::armor::blocks(text.as_bytes(), "PUBLIC KEY");
    let der = keys
        .first()
        .ok_or("publicKey holds neither a CERTIFICATE nor a PUBLIC KEY PEM block")?;
    let vk = <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(der)
        .map_err(|_| "only ECDSA P-256 keys are supported")?;
    Ok((crate::armor::pem("PUBLIC KEY", der), vk, None))
}

/// Emails and URIs of a certificate's SAN, lower-cased (Rekor indexes these as subjects).
fn cert_subjects(cert: &Certificate) -> Vec<String> {
    let Ok(Some(san)) = cert.tbs_certificate().get_extension::<SubjectAltName>() else {
        return Vec::new();
    };
    san.1
        .0
        .iter()
        .filter_map(|g| match g {
            GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => {
                Some(s.as_str().to_ascii_lowercase())
            }
            _ => None,
        })
        .collect()
}

/// Validate a proposed hashedrekord v0.0.1 and build its canonical body. `mismatch` swaps in a
/// different digest after validation (the `mismatchedEntry` fault).
fn canonicalize(entry: &Value, verify: bool, mismatch: bool) -> Result<Canonical, Response> {
    let kind = entry.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "hashedrekord" {
        return Err(bad(format!(
            "entry kind {kind:?} is not supported (only hashedrekord)"
        )));
    }
    let version = entry
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if version != "0.0.1" {
        return Err(bad(format!(
            "hashedrekord apiVersion {version:?} is not supported (only 0.0.1)"
        )));
    }
    let spec = entry.get("spec").ok_or_else(|| bad("spec is required"))?;
    let hash = spec
        .pointer("/data/hash")
        .ok_or_else(|| bad("spec.data.hash is required"))?;
    let alg = hex_str(
        hash.get("algorithm").unwrap_or(&Value::Null),
        "data.hash.algorithm",
    )?;
    if alg != "sha256" {
        return Err(bad(format!("hash algorithm {alg:?} is not supported")));
    }
    let mut value = hex_str(hash.get("value").unwrap_or(&Value::Null), "data.hash.value")?;
    let digest = hex::decode(&value)
        .ok()
        .filter(|d| d.len() == 32)
        .ok_or_else(|| bad("data.hash.value must be 64 hex digits"))?;
    let sig_b64 = spec
        .pointer("/signature/content")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("signature.content is required"))?;
    let sig = B64
        .decode(sig_b64)
        .map_err(|_| bad("signature.content is not base64"))?;
    let key_b64 = spec
        .pointer("/signature/publicKey/content")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("signature.publicKey.content is required"))?;
    let key_pem = B64
        .decode(key_b64)
        .map_err(|_| bad("signature.publicKey.content is not base64"))?;
    let (canonical_pem, vk, _) = parse_entry_key(&key_pem).map_err(bad)?;
    if verify {
        let der = p256::ecdsa::DerSignature::from_bytes(&sig)
            .map_err(|_| bad("signature.content is not a DER ECDSA signature"))?;
        vk.verify_prehash(&digest, &der).map_err(|_| {
            bad("verifying signature: invalid signature when validating ASN.1 encoded signature")
        })?;
    }
    if mismatch {
        value = hex::encode(crypto::sha256(
            format!("gitseal-testbed mismatch {value}").as_bytes(),
        ));
    }
    let obj = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": value}},
            "signature": {"content": B64.encode(&sig), "publicKey": {"content": B64.encode(canonical_pem.as_bytes())}},
        },
    });
    let body = to_canonical_json(&obj).map_err(|e| Response::rekor_error(500, &e.to_string()))?;
    Ok(Canonical {
        body: body.into_bytes(),
    })
}

/// Index keys of a stored body: `sha256:<hex>`, the hex SHA-256 of the canonical key PEM, and
/// the certificate's SAN subjects.
fn index_keys(body: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return keys;
    };
    if let Some(h) = v.pointer("/spec/data/hash/value").and_then(Value::as_str) {
        keys.push(format!("sha256:{}", h.to_ascii_lowercase()));
    }
    if let Some(pem) = v
        .pointer("/spec/signature/publicKey/content")
        .and_then(Value::as_str)
        .and_then(|c| B64.decode(c).ok())
    {
        keys.push(hex::encode(crypto::sha256(&pem)));
        if let Ok((_, _, Some(cert))) = parse_entry_key(&pem) {
            keys.extend(cert_subjects(&cert));
        }
    }
    keys
}

fn lock(m: &Mutex<LogState>) -> MutexGuard<'_, LogState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Rekor {
    /// A log with `key`, loaded with the persisted `entries`.
    pub fn new(
        key: p256::ecdsa::SigningKey,
        tree_id: u64,
        shard_offset: u64,
        entries: Vec<StoredEntry>,
        file: LogFile,
    ) -> Result<Rekor, TestbedError> {
        let spki = crypto::spki_p256(key.verifying_key())?;
        let mut state = LogState {
            entries: Vec::new(),
            leaves: Vec::new(),
            by_leaf: HashMap::new(),
            index: HashMap::new(),
            file,
        };
        for e in entries {
            let body = B64
                .decode(&e.body)
                .map_err(|_| TestbedError::State("stored entry body is not base64".into()))?;
            push_entry(&mut state, body, e.integrated_time);
        }
        Ok(Rekor {
            other_key: crypto::new_p256()?,
            log_id: crypto::key_id(&spki),
            public_key_pem: crate::armor::pem("PUBLIC KEY", &spki),
            origin: format!("{NOTE_NAME} - {tree_id}"),
            key,
            tree_id,
            shard_offset,
            state: Mutex::new(state),
        })
    }

    /// Checkpoint origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Number of entries (shard-local tree size).
    pub fn size(&self) -> usize {
        lock(&self.state).entries.len()
    }

    fn uuid(&self, leaf: &Hash) -> String {
        format!("{:016x}{}", self.tree_id, hex::encode(leaf))
    }

    fn location(&self, uuid: &str) -> String {
        format!("/api/v1/log/entries/{uuid}")
    }

    /// A signed checkpoint (signed note) for a tree of `size` leaves with `root`.
    fn checkpoint(&self, size: usize, root: &Hash, wrong_key: bool) -> String {
        let note = format!("{}\n{size}\n{}\n", self.origin, crypto::b64(root));
        let key = if wrong_key {
            &self.other_key
        } else {
            &self.key
        };
        let sig: p256::ecdsa::DerSignature = key.sign(note.as_bytes());
        let mut blob = self.log_id[..4].to_vec();
        blob.extend_from_slice(sig.as_bytes());
        format!("{note}\n\u{2014} {NOTE_NAME} {}\n", crypto::b64(&blob))
    }

    /// The signed entry timestamp over the canonical `{body, integratedTime, logID, logIndex}`.
    fn set(
        &self,
        body_b64: &str,
        integrated_time: i64,
        global_index: u64,
        wrong_key: bool,
    ) -> Result<String, TestbedError> {
        let payload = to_canonical_json(&json!({
            "body": body_b64,
            "integratedTime": integrated_time,
            "logID": hex::encode(self.log_id),
            "logIndex": global_index,
        }))
        .map_err(|e| TestbedError::State(e.to_string()))?;
        let key = if wrong_key {
            &self.other_key
        } else {
            &self.key
        };
        let sig: p256::ecdsa::DerSignature = key.sign(payload.as_bytes());
        Ok(crypto::b64(sig.as_bytes()))
    }

    /// `{"<uuid>": LogEntryAnon}` for local index `i`, with an inclusion proof at the current
    /// tree size.
    fn entry_json(
        &self,
        st: &LogState,
        root: &Hash,
        i: usize,
        faults: &[Fault],
    ) -> Result<(String, Value), TestbedError> {
        let entry = st
            .entries
            .get(i)
            .ok_or_else(|| TestbedError::State(format!("no entry {i}")))?;
        let size = st.leaves.len();
        let mut hashes: Vec<String> = merkle::inclusion_proof(i, &st.leaves)
            .unwrap_or_default()
            .iter()
            .map(hex::encode)
            .collect();
        if faults.contains(&Fault::WrongInclusionProof) {
            match hashes.first_mut() {
                Some(h) => {
                    // Flip the last hex digit: still 64 hex digits, no longer the sibling.
                    let last = if h.ends_with('0') { "1" } else { "0" };
                    h.truncate(63);
                    h.push_str(last);
                }
                None => hashes.push(hex::encode([0u8; 32])),
            }
        }
        let body_b64 = B64.encode(&entry.body);
        let global = self.shard_offset + i as u64;
        let set = self.set(
            &body_b64,
            entry.integrated_time,
            global,
            faults.contains(&Fault::WrongSetKey),
        )?;
        let uuid = self.uuid(&st.leaves[i]);
        let v = json!({
            "body": body_b64,
            "integratedTime": entry.integrated_time,
            "logID": hex::encode(self.log_id),
            "logIndex": global,
            "verification": {
                "inclusionProof": {
                    "checkpoint": self.checkpoint(size, root, faults.contains(&Fault::WrongCheckpointKey)),
                    "hashes": hashes,
                    "logIndex": i,
                    "rootHash": hex::encode(root),
                    "treeSize": size,
                },
                "signedEntryTimestamp": set,
            },
        });
        Ok((uuid, v))
    }

    fn entries_map(
        &self,
        st: &LogState,
        indices: &[usize],
        faults: &[Fault],
    ) -> Result<Vec<Value>, TestbedError> {
        let root = merkle::root(&st.leaves);
        indices
            .iter()
            .map(|&i| {
                let (uuid, v) = self.entry_json(st, &root, i, faults)?;
                let mut m = serde_json::Map::new();
                m.insert(uuid, v);
                Ok(Value::Object(m))
            })
            .collect()
    }

    /// `POST /api/v1/log/entries`.
    pub fn create(&self, req: &Request, faults: &[Fault]) -> Result<Response, TestbedError> {
        let Ok(proposed) = serde_json::from_slice::<Value>(&req.body) else {
            return Ok(bad("request body is not a JSON proposed entry"));
        };
        let mismatch = faults.contains(&Fault::MismatchedEntry);
        let canonical = match canonicalize(&proposed, true, mismatch) {
            Ok(c) => c,
            Err(resp) => return Ok(resp),
        };
        let leaf = merkle::leaf_hash(&canonical.body);
        let mut st = lock(&self.state);
        if st.by_leaf.contains_key(&leaf) {
            let uuid = self.uuid(&leaf);
            return Ok(Response::rekor_error(
                409,
                &format!(
                    "An equivalent entry already exists in the transparency log with UUID {uuid}"
                ),
            )
            .with_header("Location", &self.location(&uuid)));
        }
        let integrated_time = i64::try_from(crypto::now_unix()).unwrap_or(i64::MAX);
        st.file.append(&StoredEntry {
            body: B64.encode(&canonical.body),
            integrated_time,
        })?;
        let i = push_entry(&mut st, canonical.body, integrated_time);
        let root = merkle::root(&st.leaves);
        let (uuid, v) = self.entry_json(&st, &root, i, faults)?;
        let mut m = serde_json::Map::new();
        m.insert(uuid.clone(), v);
        Ok(Response::json(201, &Value::Object(m))
            .with_header("ETag", &uuid)
            .with_header("Location", &self.location(&uuid)))
    }

    /// Resolve a 64- or 80-hex UUID to a local index.
    fn find_uuid(&self, st: &LogState, uuid: &str) -> Option<usize> {
        let uuid = uuid.to_ascii_lowercase();
        let leaf_hex = match uuid.len() {
            64 => uuid.as_str(),
            80 => {
                let (tree, leaf) = uuid.split_at(16);
                if u64::from_str_radix(tree, 16).ok()? != self.tree_id {
                    return None;
                }
                leaf
            }
            _ => return None,
        };
        let leaf: Hash = hex::decode(leaf_hex).ok()?.try_into().ok()?;
        st.by_leaf.get(&leaf).copied()
    }

    /// `GET /api/v1/log/entries/{uuid}`.
    pub fn get_by_uuid(&self, uuid: &str, faults: &[Fault]) -> Result<Response, TestbedError> {
        let valid =
            (uuid.len() == 64 || uuid.len() == 80) && uuid.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Ok(bad(format!(
                "entryUUID {uuid:?} must be 64 or 80 hexadecimal digits"
            )));
        }
        let st = lock(&self.state);
        let Some(i) = self.find_uuid(&st, uuid) else {
            return Ok(Response::rekor_error(
                404,
                &format!("entry {uuid} not found"),
            ));
        };
        let mut list = self.entries_map(&st, &[i], faults)?;
        Ok(Response::json(200, &list.pop().unwrap_or(Value::Null)))
    }

    /// `GET /api/v1/log/entries?logIndex=N` (global index).
    pub fn get_by_index(&self, req: &Request, faults: &[Fault]) -> Result<Response, TestbedError> {
        let Some(Ok(global)) = req.query_param("logIndex").map(str::parse::<u64>) else {
            return Ok(bad("logIndex must be a non-negative integer"));
        };
        let st = lock(&self.state);
        let local = global
            .checked_sub(self.shard_offset)
            .and_then(|l| usize::try_from(l).ok())
            .filter(|l| *l < st.entries.len());
        let Some(i) = local else {
            return Ok(Response::rekor_error(
                404,
                &format!("no entry at logIndex {global}"),
            ));
        };
        let mut list = self.entries_map(&st, &[i], faults)?;
        Ok(Response::json(200, &list.pop().unwrap_or(Value::Null)))
    }

    /// `POST /api/v1/log/entries/retrieve` (`SearchLogQuery`).
    pub fn retrieve(&self, req: &Request, faults: &[Fault]) -> Result<Response, TestbedError> {
        let Ok(q) = serde_json::from_slice::<Value>(&req.body) else {
            return Ok(bad("request body is not a JSON SearchLogQuery"));
        };
        let uuids = q.get("entryUUIDs").and_then(Value::as_array);
        let indexes = q.get("logIndexes").and_then(Value::as_array);
        let proposed = q.get("entries").and_then(Value::as_array);
        if uuids.is_none() && indexes.is_none() && proposed.is_none() {
            return Ok(bad("one of entryUUIDs, logIndexes or entries is required"));
        }
        let mut leaves_wanted = Vec::new();
        for p in proposed.into_iter().flatten() {
            match canonicalize(p, false, false) {
                Ok(c) => leaves_wanted.push(merkle::leaf_hash(&c.body)),
                Err(resp) => return Ok(resp),
            }
        }
        let st = lock(&self.state);
        let mut found = Vec::new();
        for u in uuids.into_iter().flatten() {
            let Some(u) = u.as_str() else {
                return Ok(bad("entryUUIDs must be strings"));
            };
            if let Some(i) = self.find_uuid(&st, u) {
                found.push(i);
            }
        }
        for ix in indexes.into_iter().flatten() {
            let Some(global) = ix.as_u64() else {
                return Ok(bad("logIndexes must be non-negative integers"));
            };
            if let Some(l) = global.checked_sub(self.shard_offset)
                && let Ok(l) = usize::try_from(l)
                && l < st.entries.len()
            {
                found.push(l);
            }
        }
        for leaf in leaves_wanted {
            if let Some(i) = st.by_leaf.get(&leaf) {
                found.push(*i);
            }
        }
        let list = self.entries_map(&st, &found, faults)?;
        Ok(Response::json(200, &Value::Array(list)))
    }

    /// `POST /api/v1/index/retrieve` (`SearchIndex`): by `hash`, `publicKey` (x509) or `email`,
    /// combined with `operator` `or` (default) or `and`.
    pub fn search_index(&self, req: &Request) -> Result<Response, TestbedError> {
        let Ok(q) = serde_json::from_slice::<Value>(&req.body) else {
            return Ok(bad("request body is not a JSON SearchIndex"));
        };
        let mut criteria: Vec<String> = Vec::new();
        if let Some(h) = q.get("hash").and_then(Value::as_str) {
            let h = h.to_ascii_lowercase();
            let hexpart = h.strip_prefix("sha256:").unwrap_or(&h);
            if hexpart.len() != 64 || !hexpart.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(bad("hash must be sha256:<64 hex digits>"));
            }
            criteria.push(format!("sha256:{hexpart}"));
        }
        if let Some(pk) = q.get("publicKey") {
            let format = pk.get("format").and_then(Value::as_str).unwrap_or("");
            if format != "x509" {
                return Ok(bad(format!(
                    "publicKey format {format:?} is not supported by this log (only x509)"
                )));
            }
            if pk.get("url").is_some() {
                return Ok(bad("publicKey.url is not supported; send content"));
            }
            let Some(content) = pk.get("content").and_then(Value::as_str) else {
                return Ok(bad("publicKey.content is required"));
            };
            let Ok(raw) = B64.decode(content) else {
                return Ok(bad("publicKey.content is not base64"));
            };
            // Accept PEM (what gitsign sends) or a bare DER certificate.
            let pem_bytes = if raw.starts_with(b"-----") {
                raw
            } else {
                crate::armor::pem("CERTIFICATE", &raw).into_bytes()
            };
            match parse_entry_key(&pem_bytes) {
                Ok((canonical, _, _)) => {
                    criteria.push(hex::encode(crypto::sha256(canonical.as_bytes())));
                }
                Err(e) => return Ok(bad(format!("publicKey: {e}"))),
            }
        }
        if let Some(email) = q.get("email").and_then(Value::as_str) {
            criteria.push(email.to_ascii_lowercase());
        }
        if criteria.is_empty() {
            return Ok(bad("one of hash, publicKey or email is required"));
        }
        let and = match q.get("operator").and_then(Value::as_str) {
            None | Some("or") => false,
            Some("and") => true,
            Some(other) => return Ok(bad(format!("operator {other:?} must be and/or"))),
        };
        let st = lock(&self.state);
        let sets: Vec<HashSet<usize>> = criteria
            .iter()
            .map(|k| {
                st.index
                    .get(k)
                    .map(|v| v.iter().copied().collect())
                    .unwrap_or_default()
            })
            .collect();
        let mut result: Vec<usize> = if and {
            let mut it = sets.into_iter();
            let first = it.next().unwrap_or_default();
            it.fold(first, |acc, s| acc.intersection(&s).copied().collect())
                .into_iter()
                .collect()
        } else {
            sets.into_iter()
                .flatten()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect()
        };
        result.sort_unstable();
        let uuids: Vec<String> = result.iter().map(|&i| self.uuid(&st.leaves[i])).collect();
        Ok(Response::json(200, &json!(uuids)))
    }

    /// `GET /api/v1/log` (`LogInfo`).
    pub fn log_info(&self, faults: &[Fault]) -> Response {
        let st = lock(&self.state);
        let root = merkle::root(&st.leaves);
        Response::json(
            200,
            &json!({
                "rootHash": hex::encode(root),
                "signedTreeHead": self.checkpoint(st.leaves.len(), &root, faults.contains(&Fault::WrongCheckpointKey)),
                "treeID": self.tree_id.to_string(),
                "treeSize": st.leaves.len(),
            }),
        )
    }

    /// `GET /api/v1/log/publicKey`.
    pub fn public_key_response(&self) -> Response {
        Response::new(200, "application/x-pem-file", self.public_key_pem.clone())
    }

    /// `GET /api/v1/log/proof?firstSize=&lastSize=[&treeID=]` (`ConsistencyProof`).
    pub fn consistency(&self, req: &Request) -> Response {
        let parse = |name: &str| req.query_param(name).map(str::parse::<usize>);
        let first = match parse("firstSize") {
            None => 1,
            Some(Ok(n)) => n,
            Some(Err(_)) => return bad("firstSize must be an integer"),
        };
        let last = match parse("lastSize") {
            Some(Ok(n)) => n,
            _ => return bad("lastSize is required and must be an integer"),
        };
        if let Some(t) = req.query_param("treeID")
            && t != self.tree_id.to_string()
        {
            return bad(format!("treeID {t} is not this log's tree"));
        }
        let st = lock(&self.state);
        if first < 1 || first > last || last > st.leaves.len() {
            return bad(format!(
                "firstSize ({first}) must be between 1 and lastSize ({last}), which must not exceed the tree size ({})",
                st.leaves.len()
            ));
        }
        let leaves = &st.leaves[..last];
        let hashes: Vec<String> = merkle::consistency_proof(first, leaves)
            .unwrap_or_default()
            .iter()
            .map(hex::encode)
            .collect();
        Response::json(
            200,
            &json!({"rootHash": hex::encode(merkle::root(leaves)), "hashes": hashes}),
        )
    }
}

fn push_entry(st: &mut LogState, body: Vec<u8>, integrated_time: i64) -> usize {
    let leaf = merkle::leaf_hash(&body);
    let i = st.entries.len();
    for k in index_keys(&body) {
        st.index.entry(k).or_default().push(i);
    }
    st.leaves.push(leaf);
    st.by_leaf.entry(leaf).or_insert(i);
    st.entries.push(Entry {
        body,
        integrated_time,
    });
    i
}
