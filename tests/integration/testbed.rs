//! The local Sigstore testbed, exercised over real loopback HTTP with an independent client:
//! OIDC flows, Fulcio issuance (checked with OpenSSL and a hand-written SCT verifier), Rekor
//! proofs, SETs and checkpoints (checked with a hand-written RFC 9162 verifier), every fault
//! switch, restart persistence, program mode, and sigstore-python verifying a bundle made
//! through the testbed.
//!
//! Nothing here uses the testbed's own helpers to check the testbed: the verifiers below are
//! written from the RFCs and the Sigstore docs.
#![cfg(feature = "testbed")]
// Test code: a failed expectation is a panic with a message.
#![allow(clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use der::{Decode, Encode};
use gitseal::testbed::{Endpoint, Fault, FaultSpec, Testbed, TestbedConfig, TokenRequest};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::elliptic_curve::Generate;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use x509_cert::certificate::Certificate;

// ---------------------------------------------------------------------------------------------
// Plumbing

fn quick_config() -> TestbedConfig {
    TestbedConfig {
        device_interval: Duration::from_millis(500),
        device_slow_down_increment: Duration::from_millis(100),
        device_approve_after_polls: 2,
        hang_limit: Duration::from_secs(30),
        ..TestbedConfig::default()
    }
}

fn start() -> Testbed {
    Testbed::start(quick_config()).expect("testbed starts")
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn agent_with_timeout(t: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(t))
        .build()
        .new_agent()
}

fn into_resp(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
    let mut r = r.expect("HTTP transport works");
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = r.body_mut().read_to_vec().expect("body readable");
    Resp {
        status,
        headers,
        body,
    }
}

fn get(url: &str) -> Resp {
    into_resp(agent_with_timeout(Duration::from_secs(20)).get(url).call())
}

fn post_json(url: &str, body: &Value) -> Resp {
    into_resp(
        agent_with_timeout(Duration::from_secs(20))
            .post(url)
            .header("Content-Type", "application/json")
            .send(body.to_string()),
    )
}

fn post_form(url: &str, form: &[(&str, &str)]) -> Resp {
    into_resp(
        agent_with_timeout(Duration::from_secs(20))
            .post(url)
            .send_form(form.iter().copied()),
    )
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b = B64.encode(der);
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn pem_certs(text: &str) -> Vec<Vec<u8>> {
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|block| {
            let body: String = block
                .split("-----END CERTIFICATE-----")
                .next()
                .expect("END line")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            B64.decode(body).expect("PEM base64")
        })
        .collect()
}

fn new_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::try_generate().expect("RNG")
}

fn spki_der(key: &p256::ecdsa::VerifyingKey) -> Vec<u8> {
    use spki::EncodePublicKey;
    key.to_public_key_der().expect("SPKI").as_bytes().to_vec()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("gitseal-testbed-test")
        .tempdir()
        .expect("tempdir")
}

// ---------------------------------------------------------------------------------------------
// Independent verifiers

/// RFC 9162 §2.1.3.2 inclusion proof verification.
fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    path: &[[u8; 32]],
    root: [u8; 32],
) -> bool {
    let node = |l: &[u8; 32], r: &[u8; 32]| -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(l);
        h.update(r);
        h.finalize().into()
    };
    if index >= size {
        return false;
    }
    let (mut fnn, mut snn) = (index, size - 1);
    let mut r = leaf;
    for p in path {
        if snn == 0 {
            return false;
        }
        if fnn & 1 == 1 || fnn == snn {
            r = node(p, &r);
            while fnn & 1 == 0 && fnn != 0 {
                fnn >>= 1;
                snn >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        fnn >>= 1;
        snn >>= 1;
    }
    snn == 0 && r == root
}

fn node_hash(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// RFC 9162 §2.1.4.2 consistency proof verification.
fn verify_consistency(
    first: u64,
    second: u64,
    first_root: [u8; 32],
    second_root: [u8; 32],
    proof: &[[u8; 32]],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<[u8; 32]> = proof.to_vec();
    if first.is_power_of_two() {
        path.insert(0, first_root);
    }
    let (mut fnn, mut snn) = (first - 1, second - 1);
    while fnn & 1 == 1 {
        fnn >>= 1;
        snn >>= 1;
    }
    let Some((c0, rest)) = path.split_first() else {
        return false;
    };
    let (mut fr, mut sr) = (*c0, *c0);
    for c in rest {
        if snn == 0 {
            return false;
        }
        if fnn & 1 == 1 || fnn == snn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnn & 1 == 0 && fnn != 0 {
                fnn >>= 1;
                snn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnn >>= 1;
        snn >>= 1;
    }
    fr == first_root && sr == second_root && snn == 0
}

fn rekor_key(tb: &Testbed) -> p256::ecdsa::VerifyingKey {
    <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(
        &tb.trust().rekor_public_key_der,
    )
    .expect("rekor key")
}

/// Verify a signed-note checkpoint; returns (origin, size, root).
fn verify_checkpoint(
    text: &str,
    key: &p256::ecdsa::VerifyingKey,
    log_id: &[u8; 32],
) -> Result<(String, u64, [u8; 32]), String> {
    let (note, sigs) = text.split_once("\n\n").ok_or("no blank line")?;
    let note = format!("{note}\n");
    let mut lines = note.lines();
    let origin = lines.next().ok_or("no origin")?.to_owned();
    let size: u64 = lines
        .next()
        .ok_or("no size")?
        .parse()
        .map_err(|_| "size not a number")?;
    let root: [u8; 32] = B64
        .decode(lines.next().ok_or("no root")?)
        .map_err(|_| "root not base64")?
        .try_into()
        .map_err(|_| "root not 32 bytes")?;
    let line = sigs.lines().next().ok_or("no signature line")?;
    let rest = line
        .strip_prefix("\u{2014} ")
        .ok_or("signature line must start with an em dash")?;
    let (name, sig_b64) = rest.split_once(' ').ok_or("no signature")?;
    if name.is_empty() || name.contains(' ') {
        return Err("bad key name".into());
    }
    let blob = B64.decode(sig_b64).map_err(|_| "signature not base64")?;
    if blob.len() < 5 || blob[..4] != log_id[..4] {
        return Err("key hint is not the first 4 bytes of the log id".into());
    }
    let sig = p256::ecdsa::DerSignature::from_bytes(&blob[4..]).map_err(|_| "not DER")?;
    key.verify(note.as_bytes(), &sig)
        .map_err(|_| "checkpoint signature does not verify".to_owned())?;
    Ok((origin, size, root))
}

/// Verify a Rekor `LogEntryAnon`: inclusion proof, checkpoint, SET. Returns the decoded body.
fn verify_entry(tb: &Testbed, uuid: &str, e: &Value) -> Result<Vec<u8>, String> {
    let body = B64
        .decode(e["body"].as_str().ok_or("body")?)
        .map_err(|_| "body b64")?;
    let leaf = {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(&body);
        <[u8; 32]>::from(h.finalize())
    };
    if uuid.len() != 80 || !uuid.ends_with(&hex::encode(leaf)) {
        return Err(format!("uuid {uuid} is not tree id + leaf hash"));
    }
    let proof = &e["verification"]["inclusionProof"];
    let local = proof["logIndex"].as_u64().ok_or("proof logIndex")?;
    let size = proof["treeSize"].as_u64().ok_or("treeSize")?;
    let root: [u8; 32] = hex::decode(proof["rootHash"].as_str().ok_or("rootHash")?)
        .map_err(|_| "rootHash hex")?
        .try_into()
        .map_err(|_| "rootHash len")?;
    let hashes: Vec<[u8; 32]> = proof["hashes"]
        .as_array()
        .ok_or("hashes")?
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap_or(""))
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or("hash")
        })
        .collect::<Result<_, _>>()?;
    if !verify_inclusion(local, size, leaf, &hashes, root) {
        return Err("inclusion proof does not verify".into());
    }
    let global = e["logIndex"].as_u64().ok_or("logIndex")?;
    if global != local + tb.trust().rekor_shard_offset {
        return Err("global logIndex is not local + shard offset".into());
    }
    let log_id = tb.trust().rekor_log_id;
    if e["logID"].as_str() != Some(hex::encode(log_id).as_str()) {
        return Err("logID".into());
    }
    let (origin, ck_size, ck_root) = verify_checkpoint(
        proof["checkpoint"].as_str().ok_or("checkpoint")?,
        &rekor_key(tb),
        &log_id,
    )?;
    if origin != tb.trust().checkpoint_origin || ck_size != size || ck_root != root {
        return Err("checkpoint does not match the proof".into());
    }
    // SET: RFC 8785 of {body, integratedTime, logID, logIndex}, keys already sorted.
    let payload = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        e["body"].as_str().ok_or("body")?,
        e["integratedTime"].as_i64().ok_or("integratedTime")?,
        hex::encode(log_id),
        global
    );
    let set = B64
        .decode(
            e["verification"]["signedEntryTimestamp"]
                .as_str()
                .ok_or("SET")?,
        )
        .map_err(|_| "SET b64")?;
    let set = p256::ecdsa::DerSignature::from_bytes(&set).map_err(|_| "SET DER")?;
    rekor_key(tb)
        .verify(payload.as_bytes(), &set)
        .map_err(|_| "SET does not verify".to_owned())?;
    Ok(body)
}

/// A minimal DER TLV reader (single-byte tags) for taking certificates apart by hand.
fn tlv(b: &[u8]) -> (u8, usize, usize) {
    let tag = b[0];
    let first = b[1];
    if first < 0x80 {
        (tag, 2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        let len = b[2..2 + n]
            .iter()
            .fold(0usize, |a, x| a << 8 | usize::from(*x));
        (tag, 2 + n, len)
    }
}

fn children(content: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (_, h, l) = tlv(rest);
        out.push(&rest[..h + l]);
        rest = &rest[h + l..];
    }
    out
}

fn wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// DER of OID 1.3.6.1.4.1.11129.2.4.2 (the embedded SCT list).
const SCT_OID_DER: [u8; 12] = [
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02,
];

/// From a leaf's DER: the precertificate TBS (TBS without the SCT extension, RFC 6962 §3.2)
/// and the TLS-encoded SCT list; also whether the SCT extension was the last one.
fn precert_and_scts(cert_der: &[u8]) -> (Vec<u8>, Vec<u8>, bool) {
    let (_, h, l) = tlv(cert_der);
    let cert_parts = children(&cert_der[h..h + l]);
    let tbs = cert_parts[0];
    let (_, th, tl) = tlv(tbs);
    let mut fields = children(&tbs[th..th + tl]);
    let ext_wrapper = fields.pop().expect("TBS has extensions");
    assert_eq!(ext_wrapper[0], 0xa3, "extensions are the last TBS field");
    let (_, wh, wl) = tlv(ext_wrapper);
    let seq = &ext_wrapper[wh..wh + wl];
    let (_, sh, sl) = tlv(seq);
    let exts = children(&seq[sh..sh + sl]);
    let mut kept = Vec::new();
    let mut sct_list = None;
    let mut sct_last = false;
    for (i, e) in exts.iter().enumerate() {
        let (_, eh, el) = tlv(e);
        let parts = children(&e[eh..eh + el]);
        if parts[0] == SCT_OID_DER {
            let value = parts.last().expect("extnValue");
            let (_, vh, vl) = tlv(value);
            let inner = &value[vh..vh + vl];
            let (itag, ih, il) = tlv(inner);
            assert_eq!(itag, 0x04, "SCT list is wrapped in an inner OCTET STRING");
            sct_list = Some(inner[ih..ih + il].to_vec());
            sct_last = i == exts.len() - 1;
        } else {
            kept.extend_from_slice(e);
        }
    }
    let mut tbs_content: Vec<u8> = fields.concat();
    tbs_content.extend(wrap(0xa3, &wrap(0x30, &kept)));
    (
        wrap(0x30, &tbs_content),
        sct_list.expect("SCT extension present"),
        sct_last,
    )
}

/// Verify the single embedded SCT (RFC 6962 §3.2) under the CT log key.
fn verify_sct(tb: &Testbed, leaf_der: &[u8], intermediate_der: &[u8]) -> Result<(), String> {
    let (tbs, list, last) = precert_and_scts(leaf_der);
    if !last {
        return Err("the SCT extension is not the last extension".into());
    }
    let total = usize::from(u16::from_be_bytes([list[0], list[1]]));
    let sct_len = usize::from(u16::from_be_bytes([list[2], list[3]]));
    if total != list.len() - 2 || sct_len != total - 2 {
        return Err("SCT list must hold exactly one SCT".into());
    }
    let sct = &list[4..];
    if sct[0] != 0 {
        return Err("SCT version".into());
    }
    let log_id = &sct[1..33];
    let ts = &sct[33..41];
    let ext_len = usize::from(u16::from_be_bytes([sct[41], sct[42]]));
    let ext = &sct[43..43 + ext_len];
    let rest = &sct[43 + ext_len..];
    if rest[0] != 4 || rest[1] != 3 {
        return Err("SCT must be SHA-256 / ECDSA".into());
    }
    let sig_len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
    let sig = &rest[4..4 + sig_len];
    let ct_spki = &tb.trust().ct_public_key_der;
    if log_id != sha256(ct_spki) {
        return Err("SCT log id is not the CT key id".into());
    }
    let inter = Certificate::from_der(intermediate_der).map_err(|e| e.to_string())?;
    let issuer_spki = inter
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| e.to_string())?;
    let mut signed = vec![0u8, 0u8];
    signed.extend_from_slice(ts);
    signed.extend_from_slice(&[0, 1]);
    signed.extend_from_slice(&sha256(&issuer_spki));
    signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
    signed.extend_from_slice(&tbs);
    signed.extend_from_slice(&(ext_len as u16).to_be_bytes());
    signed.extend_from_slice(ext);
    let key = <p256::ecdsa::VerifyingKey as spki::DecodePublicKey>::from_public_key_der(ct_spki)
        .map_err(|e| e.to_string())?;
    let sig = p256::ecdsa::DerSignature::from_bytes(sig).map_err(|e| e.to_string())?;
    key.verify(&signed, &sig)
        .map_err(|_| "SCT signature does not verify over the precertificate".to_owned())
}

/// Verify an ES256 JWT against a JWKS document; returns the claims.
fn verify_jwt(token: &str, jwks: &Value) -> Result<Value, String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("not a JWS".into());
    }
    let header: Value =
        serde_json::from_slice(&B64URL.decode(parts[0]).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if header["alg"] != "ES256" {
        return Err("alg".into());
    }
    let jwk = jwks["keys"]
        .as_array()
        .ok_or("keys")?
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .ok_or("kid not in JWKS")?;
    let mut point = vec![4u8];
    point.extend(
        B64URL
            .decode(jwk["x"].as_str().ok_or("x")?)
            .map_err(|e| e.to_string())?,
    );
    point.extend(
        B64URL
            .decode(jwk["y"].as_str().ok_or("y")?)
            .map_err(|e| e.to_string())?,
    );
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|e| e.to_string())?;
    let sig =
        p256::ecdsa::Signature::from_slice(&B64URL.decode(parts[2]).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .map_err(|_| "JWT signature does not verify".to_owned())?;
    serde_json::from_slice(&B64URL.decode(parts[1]).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

fn openssl_verify(root_pem: &str, intermediate_pem: &str, leaf_pem: &str) -> (bool, String) {
    let dir = tempdir();
    let w = |n: &str, t: &str| {
        let p = dir.path().join(n);
        std::fs::write(&p, t).expect("write pem");
        p
    };
    let root = w("root.pem", root_pem);
    let inter = w("inter.pem", intermediate_pem);
    let leaf = w("leaf.pem", leaf_pem);
    let out = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(&root)
        .arg("-untrusted")
        .arg(&inter)
        .arg(&leaf)
        .output()
        .expect("openssl is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

// ---------------------------------------------------------------------------------------------
// Client-side flows

/// A signing identity with a Fulcio certificate.
struct Enrolled {
    key: p256::ecdsa::SigningKey,
    chain: Vec<String>,
}

fn fulcio_v2_request(token: &str, key: &p256::ecdsa::SigningKey, challenge: &str) -> Value {
    let pop: p256::ecdsa::DerSignature = key.sign(challenge.as_bytes());
    json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": pem("PUBLIC KEY", &spki_der(key.verifying_key()))},
            "proofOfPossession": B64.encode(pop.as_bytes()),
        },
    })
}

fn fulcio_sign_up(tb: &Testbed, email: &str) -> Enrolled {
    let key = new_key();
    let token = tb.mint_token(&TokenRequest::email(email)).expect("token");
    let r = post_json(
        &format!("{}/api/v2/signingCert", tb.fulcio_url()),
        &fulcio_v2_request(&token, &key, email),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let chain: Vec<String> = v["signedCertificateEmbeddedSct"]["chain"]["certificates"]
        .as_array()
        .expect("chain")
        .iter()
        .map(|c| c.as_str().expect("PEM string").to_owned())
        .collect();
    assert_eq!(chain.len(), 3);
    Enrolled { key, chain }
}

fn hashedrekord(signer: &Enrolled, artifact: &[u8]) -> Value {
    let sig: p256::ecdsa::DerSignature = signer.key.sign(artifact);
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(sha256(artifact))}},
            "signature": {"content": B64.encode(sig.as_bytes()), "publicKey": {"content": B64.encode(signer.chain[0].as_bytes())}},
        },
    })
}

fn single_entry(v: &Value) -> (String, Value) {
    let m = v.as_object().expect("LogEntry is an object");
    assert_eq!(m.len(), 1);
    let (k, e) = m.iter().next().expect("one entry");
    (k.clone(), e.clone())
}

fn upload(tb: &Testbed, signer: &Enrolled, artifact: &[u8]) -> Resp {
    post_json(
        &format!("{}/api/v1/log/entries", tb.rekor_url()),
        &hashedrekord(signer, artifact),
    )
}

/// Parse `Location` of an authorization redirect into its query parameters.
fn redirect_params(r: &Resp) -> Vec<(String, String)> {
    assert_eq!(r.status, 302, "{}", r.text());
    let loc = r.header("location").expect("Location");
    let q = loc.split_once('?').expect("query").1;
    q.split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), urldecode(v))
        })
        .collect()
}

fn urldecode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex escape"));
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf8")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn param<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

fn pkce() -> (String, String) {
    let verifier = B64URL.encode(
        (0..48u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(now() as u8))
            .collect::<Vec<_>>(),
    );
    let challenge = B64URL.encode(sha256(verifier.as_bytes()));
    (verifier, challenge)
}

fn auth_url(tb: &Testbed, params: &[(&str, &str)]) -> String {
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    format!("{}/auth?{}", tb.issuer_url(), q.join("&"))
}

fn standard_auth(tb: &Testbed, redirect: &str, challenge: &str, method: Option<&str>) -> String {
    let mut p = vec![
        ("access_type", "online"),
        ("client_id", "sigstore"),
        ("code_challenge", challenge),
        ("nonce", "nonce-123"),
        ("redirect_uri", redirect),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "state-xyz"),
    ];
    if let Some(m) = method {
        p.push(("code_challenge_method", m));
    }
    auth_url(tb, &p)
}

// ---------------------------------------------------------------------------------------------
// OIDC

#[test]
fn oidc_discovery_and_jwks() {
    let tb = start();
    let r = get(&format!(
        "{}/.well-known/openid-configuration",
        tb.issuer_url()
    ));
    assert_eq!(r.status, 200);
    let d = r.json();
    assert_eq!(d["issuer"], tb.issuer_url());
    for k in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "device_authorization_endpoint",
    ] {
        let url = d[k].as_str().unwrap_or_else(|| panic!("{k} missing"));
        assert!(url.starts_with(&tb.issuer_url()), "{k} = {url}");
    }
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert!(
        d["id_token_signing_alg_values_supported"]
            .as_array()
            .expect("algs")
            .contains(&json!("ES256"))
    );
    let jwks = get(d["jwks_uri"].as_str().expect("jwks_uri")).json();
    let k = &jwks["keys"][0];
    assert_eq!(
        (k["kty"].as_str(), k["crv"].as_str(), k["alg"].as_str()),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    // A minted token verifies under the published key.
    let token = tb
        .mint_token(&TokenRequest::email("alice@example.com"))
        .expect("token");
    let claims = verify_jwt(&token, &jwks).expect("verifies");
    assert_eq!(claims["iss"], tb.issuer_url());
    assert_eq!(claims["aud"], "sigstore");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert!(claims["exp"].as_u64().expect("exp") > now());
}

#[test]
fn oidc_authorization_code_with_pkce() {
    let tb = start();
    tb.set_identity("carol@example.com");
    let token_url = format!("{}/token", tb.issuer_url());
    let redirect = "http://localhost:49321/auth/callback";
    let (verifier, challenge) = pkce();

    // Happy path: state and nonce round-trip, the ID token verifies under the JWKS.
    let p = redirect_params(&get(&standard_auth(
        &tb,
        redirect,
        &challenge,
        Some("S256"),
    )));
    assert_eq!(param(&p, "state"), Some("state-xyz"));
    let code = param(&p, "code").expect("code").to_owned();
    let r = post_form(
        &token_url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
            ("client_id", "sigstore"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.json();
    let jwks = get(&format!("{}/keys", tb.issuer_url())).json();
    let claims =
        verify_jwt(t["id_token"].as_str().expect("id_token"), &jwks).expect("ID token verifies");
    assert_eq!(claims["nonce"], "nonce-123");
    assert_eq!(claims["email"], "carol@example.com");
    assert_eq!(claims["aud"], "sigstore");
    assert_eq!(claims["iss"], tb.issuer_url());
    for k in ["sub", "iat", "exp"] {
        assert!(!claims[k].is_null(), "{k}");
    }
    // The code is single-use.
    let again = post_form(
        &token_url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
            ("client_id", "sigstore"),
        ],
    );
    assert_eq!(
        (again.status, again.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // A wrong verifier is rejected (and burns the code).
    let p = redirect_params(&get(&standard_auth(
        &tb,
        redirect,
        &challenge,
        Some("S256"),
    )));
    let code = param(&p, "code").expect("code").to_owned();
    let (other_verifier, _) = (format!("{}x", &verifier[..verifier.len() - 1]), ());
    let r = post_form(
        &token_url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &other_verifier),
            ("client_id", "sigstore"),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // redirect_uri must match the authorization request exactly (another port is another URI);
    // client authentication by HTTP Basic works too.
    let p = redirect_params(&get(&standard_auth(
        &tb,
        redirect,
        &challenge,
        Some("S256"),
    )));
    let code = param(&p, "code").expect("code").to_owned();
    let r = into_resp(
        agent_with_timeout(Duration::from_secs(10))
            .post(&token_url)
            .header(
                "Authorization",
                &format!("Basic {}", B64.encode("sigstore:")),
            )
            .send_form([
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://localhost:49322/auth/callback"),
                ("code_verifier", verifier.as_str()),
            ]),
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Unknown client at the token endpoint.
    let r = post_form(
        &token_url,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", "other"),
        ],
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[test]
fn oidc_authorization_rejections() {
    let tb = start();
    let (_, challenge) = pkce();
    // Non-loopback redirect: error shown, never redirected.
    for bad in [
        "https://127.0.0.1:1/cb",
        "http://example.com:8080/cb",
        "http://127.0.0.1.nip.io/cb",
    ] {
        let r = get(&standard_auth(&tb, bad, &challenge, Some("S256")));
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.header("location").is_none());
        assert_eq!(r.json()["error"], "invalid_request");
    }
    // Unknown client id: error shown.
    let r = get(&auth_url(
        &tb,
        &[
            ("client_id", "evil"),
            ("redirect_uri", "http://127.0.0.1:5/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
    ));
    assert_eq!(r.status, 400);
    // PKCE missing, or plain: redirected back with an error and the state.
    let redirect = "http://127.0.0.1:40001/cb";
    let missing = redirect_params(&get(&auth_url(
        &tb,
        &[
            ("client_id", "sigstore"),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("state", "s1"),
        ],
    )));
    assert_eq!(param(&missing, "error"), Some("invalid_request"));
    assert_eq!(param(&missing, "state"), Some("s1"));
    assert!(param(&missing, "code").is_none());
    let plain = redirect_params(&get(&standard_auth(
        &tb,
        redirect,
        &challenge,
        Some("plain"),
    )));
    assert_eq!(param(&plain, "error"), Some("invalid_request"));
    let absent_method = redirect_params(&get(&standard_auth(&tb, redirect, &challenge, None)));
    assert_eq!(param(&absent_method, "error"), Some("invalid_request"));
    // Loopback with IPv6 literal is fine.
    let ok = redirect_params(&get(&standard_auth(
        &tb,
        "http://[::1]:40002/cb",
        &challenge,
        Some("S256"),
    )));
    assert!(param(&ok, "code").is_some());
}

#[test]
fn oidc_device_flow() {
    let tb = start();
    tb.set_identity("dave@example.com");
    let (verifier, challenge) = pkce();
    let r = post_form(
        &format!("{}/device/code", tb.issuer_url()),
        &[
            ("client_id", "sigstore"),
            ("scope", "openid email"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let d = r.json();
    for k in [
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    ] {
        assert!(!d[k].is_null(), "{k}");
    }
    let device_code = d["device_code"].as_str().expect("device_code").to_owned();
    let poll = || {
        post_form(
            &format!("{}/token", tb.issuer_url()),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", &device_code),
                ("client_id", "sigstore"),
                ("code_verifier", &verifier),
            ],
        )
    };
    let err = |r: &Resp| r.json()["error"].as_str().map(str::to_owned);
    let first = poll();
    assert_eq!(
        (first.status, err(&first).as_deref()),
        (400, Some("authorization_pending"))
    );
    let too_fast = poll();
    assert_eq!(err(&too_fast).as_deref(), Some("slow_down"));
    // The interval is now 600 ms (500 + one 100 ms slow_down); a generous 500 ms window keeps the
    // "too fast" poll too fast even on a loaded machine.
    std::thread::sleep(Duration::from_millis(650));
    let second = poll();
    assert_eq!(err(&second).as_deref(), Some("authorization_pending"));
    std::thread::sleep(Duration::from_millis(650));
    let done = poll();
    assert_eq!(done.status, 200, "{}", done.text());
    let jwks = get(&format!("{}/keys", tb.issuer_url())).json();
    let claims =
        verify_jwt(done.json()["id_token"].as_str().expect("id_token"), &jwks).expect("verifies");
    assert_eq!(claims["email"], "dave@example.com");
    // Used up.
    std::thread::sleep(Duration::from_millis(650));
    assert_eq!(err(&poll()).as_deref(), Some("invalid_grant"));
}

// ---------------------------------------------------------------------------------------------
// Fulcio

fn ext<'a>(cert: &'a Certificate, oid: &str) -> Option<&'a x509_cert::ext::Extension> {
    cert.tbs_certificate()
        .extensions()
        .and_then(|e| e.iter().find(|x| x.extn_id.to_string() == oid))
}

fn check_leaf(tb: &Testbed, chain: &[String], san: &str, is_email: bool) -> Certificate {
    let leaf_der = &pem_certs(&chain[0])[0];
    let inter_der = &pem_certs(&chain[1])[0];
    assert_eq!(pem_certs(&chain[2])[0], tb.trust().fulcio_root_der);
    assert_eq!(*inter_der, tb.trust().fulcio_intermediate_der);
    let cert = Certificate::from_der(leaf_der).expect("leaf parses");
    let tbs = cert.tbs_certificate();
    assert!(tbs.subject().is_empty(), "empty subject");
    assert_eq!(
        cert.signature_algorithm().oid.to_string(),
        "1.2.840.10045.4.3.3",
        "ecdsa-with-SHA384"
    );
    let nb = tbs.validity().not_before.to_unix_duration().as_secs();
    let na = tbs.validity().not_after.to_unix_duration().as_secs();
    assert_eq!(na - nb, 600, "10-minute validity");
    assert!(nb <= now() + 1 && now() < na);
    let ku = ext(&cert, "2.5.29.15").expect("KU");
    assert!(ku.critical);
    let ku = x509_cert::ext::pkix::KeyUsage::from_der(ku.extn_value.as_bytes()).expect("KU");
    assert!(ku.digital_signature());
    let eku = ext(&cert, "2.5.29.37").expect("EKU");
    let eku =
        x509_cert::ext::pkix::ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).expect("EKU");
    assert!(eku.0.iter().any(|o| o.to_string() == "1.3.6.1.5.5.7.3.3"));
    assert!(ext(&cert, "2.5.29.14").is_some(), "SKI");
    let aki = ext(&cert, "2.5.29.35").expect("AKI");
    let aki = x509_cert::ext::pkix::AuthorityKeyIdentifier::from_der(aki.extn_value.as_bytes())
        .expect("AKI");
    let inter = Certificate::from_der(inter_der).expect("intermediate");
    let inter_ski = ext(&inter, "2.5.29.14").expect("intermediate SKI");
    let inter_ski =
        x509_cert::ext::pkix::SubjectKeyIdentifier::from_der(inter_ski.extn_value.as_bytes())
            .expect("SKI");
    assert_eq!(aki.key_identifier.expect("AKI key id"), inter_ski.0);
    let san_ext = ext(&cert, "2.5.29.17").expect("SAN");
    assert!(san_ext.critical, "SAN critical with an empty subject");
    let names =
        x509_cert::ext::pkix::SubjectAltName::from_der(san_ext.extn_value.as_bytes()).expect("SAN");
    let found = names.0.iter().any(|g| match g {
        x509_cert::ext::pkix::name::GeneralName::Rfc822Name(s) => is_email && s.as_str() == san,
        x509_cert::ext::pkix::name::GeneralName::UniformResourceIdentifier(s) => {
            !is_email && s.as_str() == san
        }
        _ => false,
    });
    assert!(found, "SAN {san}");
    let issuer = tb.issuer_url();
    assert_eq!(
        ext(&cert, "1.3.6.1.4.1.57264.1.1")
            .expect("1.1")
            .extn_value
            .as_bytes(),
        issuer.as_bytes()
    );
    let mut v2 = vec![0x0c, issuer.len() as u8];
    v2.extend_from_slice(issuer.as_bytes());
    assert_eq!(
        ext(&cert, "1.3.6.1.4.1.57264.1.8")
            .expect("1.8")
            .extn_value
            .as_bytes(),
        v2.as_slice()
    );
    verify_sct(tb, leaf_der, inter_der).expect("SCT verifies");
    let (ok, out) = openssl_verify(&tb.trust().fulcio_root_pem, &chain[1], &chain[0]);
    assert!(ok, "openssl verify: {out}");
    cert
}

#[test]
fn fulcio_v2_issues_a_complete_leaf() {
    let tb = start();
    let signer = fulcio_sign_up(&tb, "erin@example.com");
    check_leaf(&tb, &signer.chain, "erin@example.com", true);
    // Trust bundle.
    let b = get(&format!("{}/api/v2/trustBundle", tb.fulcio_url()));
    assert_eq!(b.status, 200);
    let certs = &b.json()["chains"][0]["certificates"];
    assert_eq!(certs.as_array().map(Vec::len), Some(2));
    assert_eq!(
        certs[1].as_str().map(pem_certs),
        Some(vec![tb.trust().fulcio_root_der.clone()])
    );
}

#[test]
fn fulcio_v1_legacy_api() {
    let tb = start();
    let key = new_key();
    let email = "frank@example.com";
    let token = tb.mint_token(&TokenRequest::email(email)).expect("token");
    let pop: p256::ecdsa::DerSignature = key.sign(email.as_bytes());
    // gitsign's body: base64 SPKI DER, lower-case "ecdsa", base64 signedEmailAddress.
    let body = format!(
        r#"{{"publicKey":{{"content":"{}","algorithm":"ecdsa"}},"signedEmailAddress":"{}","certificateSigningRequest":null}}"#,
        B64.encode(spki_der(key.verifying_key())),
        B64.encode(pop.as_bytes())
    );
    let r = into_resp(
        agent_with_timeout(Duration::from_secs(20))
            .post(&format!("{}/api/v1/signingCert", tb.fulcio_url()))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/pem-certificate-chain")
    );
    let text = r.text();
    let ders = pem_certs(&text);
    assert_eq!(ders.len(), 3);
    let chain: Vec<String> = ders.iter().map(|d| pem("CERTIFICATE", d)).collect();
    check_leaf(&tb, &chain, email, true);
    let root = get(&format!("{}/api/v1/rootCert", tb.fulcio_url()));
    assert_eq!(pem_certs(&root.text()).len(), 2);
}

#[test]
fn fulcio_csr_and_ci_identity() {
    use x509_cert::builder::{Builder, RequestBuilder};
    let tb = start();
    let key = new_key();
    let req = TokenRequest::github_workflow(
        "octo/widget",
        "release.yml",
        "refs/heads/main",
        "0123456789abcdef0123456789abcdef01234567",
    );
    let token = tb.mint_token(&req).expect("token");
    let csr = RequestBuilder::new(x509_cert::name::Name::default())
        .expect("builder")
        .build::<_, p256::ecdsa::DerSignature>(&key)
        .expect("CSR");
    let csr_pem = pem("CERTIFICATE REQUEST", &csr.to_der().expect("DER"));
    let r = post_json(
        &format!("{}/api/v2/signingCert", tb.fulcio_url()),
        &json!({"credentials": {"oidcIdentityToken": token}, "certificateSigningRequest": B64.encode(csr_pem)}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let chain: Vec<String> = r.json()["signedCertificateEmbeddedSct"]["chain"]["certificates"]
        .as_array()
        .expect("chain")
        .iter()
        .map(|c| c.as_str().expect("pem").to_owned())
        .collect();
    let san = "https://github.com/octo/widget/.github/workflows/release.yml@refs/heads/main";
    let cert = check_leaf(&tb, &chain, san, false);
    // Deprecated raw extensions .2–.6.
    assert_eq!(
        ext(&cert, "1.3.6.1.4.1.57264.1.2")
            .expect(".2")
            .extn_value
            .as_bytes(),
        b"push"
    );
    assert_eq!(
        ext(&cert, "1.3.6.1.4.1.57264.1.5")
            .expect(".5")
            .extn_value
            .as_bytes(),
        b"octo/widget"
    );
    assert_eq!(
        ext(&cert, "1.3.6.1.4.1.57264.1.6")
            .expect(".6")
            .extn_value
            .as_bytes(),
        b"refs/heads/main"
    );
    // DER UTF8String extensions .9+.
    let utf8 = |oid: &str| {
        let v = ext(&cert, oid)
            .unwrap_or_else(|| panic!("{oid}"))
            .extn_value
            .as_bytes();
        assert_eq!(v[0], 0x0c, "{oid} is a UTF8String");
        String::from_utf8(v[2..].to_vec()).expect("utf8")
    };
    assert_eq!(utf8("1.3.6.1.4.1.57264.1.9"), san);
    assert_eq!(
        utf8("1.3.6.1.4.1.57264.1.12"),
        "https://github.com/octo/widget"
    );
    assert_eq!(utf8("1.3.6.1.4.1.57264.1.14"), "refs/heads/main");
    assert_eq!(
        utf8("1.3.6.1.4.1.57264.1.21"),
        "https://github.com/octo/widget/actions/runs/300003/attempts/1"
    );
    // The certificate's key is the CSR's.
    assert_eq!(
        cert.tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .expect("spki"),
        spki_der(key.verifying_key())
    );
    // A plain URI subject gets a URI SAN.
    let token = tb
        .mint_token(&TokenRequest::subject("https://ci.example.com/pipelines/7"))
        .expect("token");
    let key = new_key();
    let r = post_json(
        &format!("{}/api/v2/signingCert", tb.fulcio_url()),
        &fulcio_v2_request(&token, &key, "https://ci.example.com/pipelines/7"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn fulcio_rejects_bad_requests() {
    let tb = start();
    let url = format!("{}/api/v2/signingCert", tb.fulcio_url());
    let email = "grace@example.com";
    let key = new_key();
    let rejected = |token: String, challenge: &str, what: &str| {
        let r = post_json(&url, &fulcio_v2_request(&token, &key, challenge));
        assert_eq!(r.status, 400, "{what}: {}", r.text());
        assert_eq!(r.json()["code"], 3, "{what}: grpc INVALID_ARGUMENT");
        r.header("x-testbed-error").unwrap_or("").to_owned()
    };
    let good = tb.mint_token(&TokenRequest::email(email)).expect("token");
    // Tampered signature.
    let mut bad_sig = good.clone();
    let last = bad_sig.pop().expect("char");
    bad_sig.push(if last == 'A' { 'B' } else { 'A' });
    rejected(bad_sig, email, "tampered token");
    // Signed by a stranger.
    let stranger = TokenRequest {
        untrusted_key: true,
        ..TokenRequest::email(email)
    };
    rejected(
        tb.mint_token(&stranger).expect("token"),
        email,
        "untrusted key",
    );
    // Wrong audience.
    let aud = TokenRequest {
        audience: Some("not-sigstore".into()),
        ..TokenRequest::email(email)
    };
    assert!(rejected(tb.mint_token(&aud).expect("token"), email, "audience").contains("aud"));
    // Expired.
    let expired = TokenRequest {
        issued_at: Some(now() - 1000),
        expires_at: Some(now() - 10),
        ..TokenRequest::email(email)
    };
    assert!(
        rejected(tb.mint_token(&expired).expect("token"), email, "expired").contains("expired")
    );
    // Wrong issuer.
    let iss = TokenRequest {
        issuer: Some("https://accounts.example.com".into()),
        ..TokenRequest::email(email)
    };
    rejected(tb.mint_token(&iss).expect("token"), email, "issuer");
    // Unverified email.
    let unverified = TokenRequest {
        email_verified: Some(false),
        ..TokenRequest::email(email)
    };
    rejected(
        tb.mint_token(&unverified).expect("token"),
        email,
        "email_verified",
    );
    // Proof of possession over another identity.
    let r = post_json(&url, &fulcio_v2_request(&good, &key, "mallory@example.com"));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "The signature supplied in the request could not be verified"
    );
    // And the good request still works.
    assert_eq!(
        post_json(&url, &fulcio_v2_request(&good, &key, email)).status,
        200
    );
}

// ---------------------------------------------------------------------------------------------
// Rekor

#[test]
fn rekor_upload_proofs_and_lookups() {
    let tb = start();
    let signer = fulcio_sign_up(&tb, "heidi@example.com");
    let rekor = tb.rekor_url();
    // A few entries before ours, so the proof has several hashes.
    for i in 0..4u8 {
        assert_eq!(upload(&tb, &signer, &[b'x', i]).status, 201);
    }
    let artifact = b"artifact for the testbed\n";
    let r = upload(&tb, &signer, artifact);
    assert_eq!(r.status, 201, "{}", r.text());
    let (uuid, entry) = single_entry(&r.json());
    assert_eq!(r.header("etag"), Some(uuid.as_str()));
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/log/entries/{uuid}").as_str())
    );
    let body = verify_entry(&tb, &uuid, &entry).expect("entry verifies");
    assert_eq!(entry["verification"]["inclusionProof"]["logIndex"], 4);
    assert_eq!(
        entry["logIndex"].as_u64(),
        Some(tb.trust().rekor_shard_offset + 4)
    );
    // The stored body is the RFC 8785 canonical hashedrekord with a 64-column cert PEM.
    let sig_b64 = hashedrekord(&signer, artifact)["spec"]["signature"]["content"]
        .as_str()
        .expect("sig")
        .to_owned();
    let expected = format!(
        r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
        hex::encode(sha256(artifact)),
        sig_b64,
        B64.encode(signer.chain[0].as_bytes())
    );
    assert_eq!(String::from_utf8(body).expect("utf8"), expected);

    // Duplicate → 409 with Location.
    let dup = upload(&tb, &signer, artifact);
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json()["code"], 409);
    assert!(dup.header("location").expect("Location").ends_with(&uuid));

    // Get by 80- and 64-hex UUID, and by global index.
    for id in [
        uuid.clone(),
        uuid[16..].to_owned(),
        uuid.to_ascii_uppercase(),
    ] {
        let g = get(&format!("{rekor}/api/v1/log/entries/{id}"));
        assert_eq!(g.status, 200, "{id}");
        let (k, e) = single_entry(&g.json());
        assert_eq!(k, uuid);
        verify_entry(&tb, &k, &e).expect("GET entry verifies");
    }
    let by_index = get(&format!(
        "{rekor}/api/v1/log/entries?logIndex={}",
        tb.trust().rekor_shard_offset + 4
    ));
    assert_eq!(single_entry(&by_index.json()).0, uuid);
    assert_eq!(
        get(&format!("{rekor}/api/v1/log/entries/{}", "ab".repeat(32))).status,
        404
    );
    assert_eq!(
        get(&format!("{rekor}/api/v1/log/entries?logIndex=3")).status,
        404
    );

    // Retrieve by UUIDs, indexes and proposed entries.
    let r = post_json(
        &format!("{rekor}/api/v1/log/entries/retrieve"),
        &json!({"entryUUIDs": [uuid[16..].to_owned()], "logIndexes": [tb.trust().rekor_shard_offset], "entries": [hashedrekord(&signer, artifact)]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let list = r.json();
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    assert_eq!(single_entry(&list[2]).0, uuid);

    // Index search by hash and by public key.
    let search = |q: Value| {
        let r = post_json(&format!("{rekor}/api/v1/index/retrieve"), &q);
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let by_hash = search(json!({"hash": format!("sha256:{}", hex::encode(sha256(artifact)))}));
    assert_eq!(by_hash, json!([uuid]));
    let by_key = search(
        json!({"publicKey": {"format": "x509", "content": B64.encode(signer.chain[0].as_bytes())}}),
    );
    assert_eq!(by_key.as_array().map(Vec::len), Some(5));
    assert!(by_key.as_array().expect("list").contains(&json!(uuid)));
    let by_email = search(json!({"email": "HEIDI@example.com"}));
    assert_eq!(by_email.as_array().map(Vec::len), Some(5));
    let both = search(
        json!({"hash": hex::encode(sha256(artifact)), "publicKey": {"format": "x509", "content": B64.encode(signer.chain[0].as_bytes())}, "operator": "and"}),
    );
    assert_eq!(both, json!([uuid]));

    // Log info: checkpoint signature verifies and matches.
    let info = get(&format!("{rekor}/api/v1/log")).json();
    assert_eq!(info["treeSize"], 5);
    assert_eq!(info["treeID"], tb.trust().rekor_tree_id.to_string());
    let (origin, size, root) = verify_checkpoint(
        info["signedTreeHead"].as_str().expect("STH"),
        &rekor_key(&tb),
        &tb.trust().rekor_log_id,
    )
    .expect("checkpoint verifies");
    assert_eq!(
        origin,
        format!("gitseal-testbed - {}", tb.trust().rekor_tree_id)
    );
    assert_eq!(
        (size, hex::encode(root)),
        (5, info["rootHash"].as_str().expect("root").to_owned())
    );

    // Public key endpoint serves the trusted key.
    let pk = get(&format!("{rekor}/api/v1/log/publicKey"));
    assert_eq!(pk.text(), tb.trust().rekor_public_key_pem);

    // Consistency proof 2 → 5, checked with RFC 9162 §2.1.4.2 against the size-2 root
    // computed from the first two entries.
    let leaf_at = |global: u64| {
        let v = get(&format!("{rekor}/api/v1/log/entries?logIndex={global}")).json();
        let (_, e) = single_entry(&v);
        let body = B64.decode(e["body"].as_str().expect("body")).expect("b64");
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(&body);
        <[u8; 32]>::from(h.finalize())
    };
    let off = tb.trust().rekor_shard_offset;
    let root2 = node_hash(&leaf_at(off), &leaf_at(off + 1));
    let c = get(&format!("{rekor}/api/v1/log/proof?firstSize=2&lastSize=5")).json();
    assert_eq!(c["rootHash"], info["rootHash"]);
    let proof: Vec<[u8; 32]> = c["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| {
            hex::decode(h.as_str().expect("hex"))
                .expect("hex")
                .try_into()
                .expect("32")
        })
        .collect();
    assert!(
        verify_consistency(2, 5, root2, root, &proof),
        "consistency proof verifies"
    );
    assert!(!verify_consistency(2, 5, [7u8; 32], root, &proof));
    assert_eq!(
        get(&format!("{rekor}/api/v1/log/proof?firstSize=6&lastSize=5")).status,
        400
    );
}

#[test]
fn rekor_rejects_bad_entries() {
    let tb = start();
    let signer = fulcio_sign_up(&tb, "ivan@example.com");
    let url = format!("{}/api/v1/log/entries", tb.rekor_url());
    let mut wrong_digest = hashedrekord(&signer, b"one");
    wrong_digest["spec"]["data"]["hash"]["value"] = json!(hex::encode(sha256(b"two")));
    let r = post_json(&url, &wrong_digest);
    assert_eq!((r.status, r.json()["code"].as_u64()), (400, Some(400)));
    let mut kind = hashedrekord(&signer, b"one");
    kind["kind"] = json!("rekord");
    assert_eq!(post_json(&url, &kind).status, 400);
    assert_eq!(tb.rekor_tree_size(), 0);
}

#[test]
fn restart_keeps_entries_and_keys() {
    let dir = tempdir();
    let config = TestbedConfig {
        dir: Some(dir.path().to_owned()),
        ..quick_config()
    };
    let (uuid, trust_root, rekor_pem) = {
        let tb = Testbed::start(config.clone()).expect("first start");
        let signer = fulcio_sign_up(&tb, "judy@example.com");
        let r = upload(&tb, &signer, b"persist me");
        assert_eq!(r.status, 201);
        (
            single_entry(&r.json()).0,
            tb.trust().fulcio_root_der.clone(),
            tb.trust().rekor_public_key_pem.clone(),
        )
    };
    let tb = Testbed::start(config).expect("restart");
    assert_eq!(tb.trust().fulcio_root_der, trust_root);
    assert_eq!(tb.trust().rekor_public_key_pem, rekor_pem);
    assert_eq!(tb.rekor_tree_size(), 1);
    let g = get(&format!("{}/api/v1/log/entries/{uuid}", tb.rekor_url()));
    assert_eq!(g.status, 200);
    let (k, e) = single_entry(&g.json());
    verify_entry(&tb, &k, &e).expect("entry still verifies after restart");
    // New entries continue the same tree.
    let signer = fulcio_sign_up(&tb, "judy@example.com");
    let r = upload(&tb, &signer, b"after restart");
    let (_, e) = single_entry(&r.json());
    assert_eq!(e["verification"]["inclusionProof"]["logIndex"], 1);
    assert!(dir.path().join("trusted_root.json").exists());
}

// ---------------------------------------------------------------------------------------------
// Faults

#[test]
fn faults_http_level() {
    let tb = TestbedConfig {
        hang_limit: Duration::from_secs(20),
        ..quick_config()
    };
    let tb = Testbed::start(tb).expect("start");
    let info = format!("{}/api/v1/log", tb.rekor_url());
    // 5xx, one-shot.
    tb.faults()
        .once(Endpoint::RekorLogInfo, Fault::Status(503))
        .expect("fault");
    let r = get(&info);
    assert_eq!((r.status, r.json()["code"].as_u64()), (503, Some(503)));
    assert_eq!(get(&info).status, 200);
    // Sticky until cleared.
    tb.faults()
        .set(Endpoint::FulcioTrustBundle, Fault::Status(500))
        .expect("fault");
    let tbundle = format!("{}/api/v2/trustBundle", tb.fulcio_url());
    assert_eq!(get(&tbundle).status, 500);
    assert_eq!(get(&tbundle).status, 500);
    tb.faults().clear(Endpoint::FulcioTrustBundle);
    assert_eq!(get(&tbundle).status, 200);
    // Slow response.
    tb.faults()
        .once(
            Endpoint::OidcDiscovery,
            Fault::Delay(Duration::from_millis(400)),
        )
        .expect("fault");
    let t0 = Instant::now();
    assert_eq!(
        get(&format!(
            "{}/.well-known/openid-configuration",
            tb.issuer_url()
        ))
        .status,
        200
    );
    assert!(t0.elapsed() >= Duration::from_millis(400));
    // Malformed JSON (normal status).
    tb.faults()
        .once(Endpoint::RekorLogInfo, Fault::MalformedJson)
        .expect("fault");
    let r = get(&info);
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    // Hang: the client times out; the testbed stays responsive elsewhere.
    tb.faults()
        .once(Endpoint::RekorLogInfo, Fault::Hang)
        .expect("fault");
    let t0 = Instant::now();
    let hung = agent_with_timeout(Duration::from_millis(500))
        .get(&info)
        .call();
    assert!(hung.is_err(), "the hung request must not complete");
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert_eq!(get(&tbundle).status, 200);
    // Counting.
    assert_eq!(tb.faults().hits(Endpoint::RekorLogInfo), 4);
    // Faults that make no sense on an endpoint are refused.
    assert!(
        tb.faults()
            .set(Endpoint::RekorLogInfo, Fault::WrongSct)
            .is_err()
    );
}

#[test]
fn fault_hang_ends_when_testbed_stops() {
    let tb = start();
    tb.faults()
        .set(Endpoint::RekorPublicKey, Fault::Hang)
        .expect("fault");
    let url = format!("{}/api/v1/log/publicKey", tb.rekor_url());
    let client = std::thread::spawn(move || {
        let t0 = Instant::now();
        let _ = agent_with_timeout(Duration::from_secs(60)).get(&url).call();
        t0.elapsed()
    });
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    drop(tb);
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "stopping is not held up by a hang"
    );
    let waited = client.join().expect("client thread");
    assert!(
        waited < Duration::from_secs(10),
        "hung request ended with the testbed"
    );
}

#[test]
fn faults_fulcio_certificates() {
    let tb = start();
    let email = "kim@example.com";
    let url = format!("{}/api/v2/signingCert", tb.fulcio_url());
    let issue = || {
        let key = new_key();
        let token = tb.mint_token(&TokenRequest::email(email)).expect("token");
        let r = post_json(&url, &fulcio_v2_request(&token, &key, email));
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        let c = &v["signedCertificateEmbeddedSct"]["chain"]["certificates"];
        (
            pem_certs(c[0].as_str().expect("leaf"))[0].clone(),
            pem_certs(c[1].as_str().expect("inter"))[0].clone(),
        )
    };
    let validity = |der: &[u8]| {
        let c = Certificate::from_der(der).expect("cert");
        let v = c.tbs_certificate().validity();
        (
            v.not_before.to_unix_duration().as_secs(),
            v.not_after.to_unix_duration().as_secs(),
        )
    };
    tb.faults()
        .once(Endpoint::FulcioSigningCertV2, Fault::ExpiredCertificate)
        .expect("fault");
    let (leaf, inter) = issue();
    assert!(validity(&leaf).1 < now(), "expired");
    verify_sct(&tb, &leaf, &inter).expect("SCT still valid");
    tb.faults()
        .once(Endpoint::FulcioSigningCertV2, Fault::NotYetValidCertificate)
        .expect("fault");
    let (leaf, _) = issue();
    assert!(validity(&leaf).0 > now(), "not yet valid");
    tb.faults()
        .once(Endpoint::FulcioSigningCertV2, Fault::WrongSct)
        .expect("fault");
    let (leaf, inter) = issue();
    assert!(
        verify_sct(&tb, &leaf, &inter).is_err(),
        "wrong SCT detected"
    );
    // A leaf with no SCT list at all, still issued by the intermediate (which signs it: OpenSSL
    // accepts the chain).
    tb.faults()
        .once(Endpoint::FulcioSigningCertV2, Fault::MissingSct)
        .expect("fault");
    let (leaf, inter) = issue();
    let cert = Certificate::from_der(&leaf).expect("leaf");
    assert!(
        ext(&cert, "1.3.6.1.4.1.11129.2.4.2").is_none(),
        "no SCT list extension"
    );
    assert_eq!(
        cert.tbs_certificate().issuer().to_der().expect("issuer"),
        Certificate::from_der(&inter)
            .expect("inter")
            .tbs_certificate()
            .subject()
            .to_der()
            .expect("subject"),
        "issued by the intermediate"
    );
    let (ok, out) = openssl_verify(
        &tb.trust().fulcio_root_pem,
        &pem("CERTIFICATE", &inter),
        &pem("CERTIFICATE", &leaf),
    );
    assert!(ok, "openssl verify: {out}");
    // A leaf for email protection, not code signing; its SCT still verifies.
    tb.faults()
        .once(Endpoint::FulcioSigningCertV2, Fault::NotForCodeSigning)
        .expect("fault");
    let (leaf, inter) = issue();
    let cert = Certificate::from_der(&leaf).expect("leaf");
    let eku = ext(&cert, "2.5.29.37").expect("EKU");
    let eku =
        x509_cert::ext::pkix::ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).expect("EKU");
    let purposes: Vec<String> = eku.0.iter().map(ToString::to_string).collect();
    assert_eq!(purposes, ["1.3.6.1.5.5.7.3.4"], "emailProtection only");
    verify_sct(&tb, &leaf, &inter).expect("SCT genuine");
    let (leaf, inter) = issue();
    verify_sct(&tb, &leaf, &inter).expect("back to normal");
    let cert = Certificate::from_der(&leaf).expect("leaf");
    let eku = ext(&cert, "2.5.29.37").expect("EKU");
    let eku =
        x509_cert::ext::pkix::ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).expect("EKU");
    assert!(eku.0.iter().any(|o| o.to_string() == "1.3.6.1.5.5.7.3.3"));
}

#[test]
fn faults_rekor_entries() {
    let tb = start();
    let signer = fulcio_sign_up(&tb, "lee@example.com");
    upload(&tb, &signer, b"padding-1");
    upload(&tb, &signer, b"padding-2");
    let cases = [
        (Fault::WrongSetKey, "SET"),
        (Fault::WrongCheckpointKey, "checkpoint"),
        (Fault::WrongInclusionProof, "inclusion proof"),
    ];
    for (i, (fault, what)) in cases.into_iter().enumerate() {
        tb.faults()
            .once(Endpoint::RekorCreateEntry, fault)
            .expect("fault");
        let r = upload(&tb, &signer, format!("faulty-{i}").as_bytes());
        assert_eq!(r.status, 201);
        let (uuid, e) = single_entry(&r.json());
        let err = verify_entry(&tb, &uuid, &e).expect_err(what);
        assert!(err.contains(what), "{what}: {err}");
        // The same entry fetched without a fault is fine: the fault was in the answer only.
        let g = get(&format!("{}/api/v1/log/entries/{uuid}", tb.rekor_url()));
        let (k, e) = single_entry(&g.json());
        verify_entry(&tb, &k, &e).expect("clean GET verifies");
        // And on GET.
        tb.faults()
            .once(Endpoint::RekorGetEntry, fault)
            .expect("fault");
        let g = get(&format!("{}/api/v1/log/entries/{uuid}", tb.rekor_url()));
        let (k, e) = single_entry(&g.json());
        assert!(verify_entry(&tb, &k, &e).is_err(), "{what} on GET");
    }
    tb.faults()
        .once(Endpoint::RekorLogInfo, Fault::WrongCheckpointKey)
        .expect("fault");
    let info = get(&format!("{}/api/v1/log", tb.rekor_url())).json();
    assert!(
        verify_checkpoint(
            info["signedTreeHead"].as_str().expect("sth"),
            &rekor_key(&tb),
            &tb.trust().rekor_log_id
        )
        .is_err()
    );

    // An entry that does not match the upload: fully valid, but for another digest.
    tb.faults()
        .once(Endpoint::RekorCreateEntry, Fault::MismatchedEntry)
        .expect("fault");
    let artifact = b"what I uploaded";
    let r = upload(&tb, &signer, artifact);
    assert_eq!(r.status, 201);
    let (uuid, e) = single_entry(&r.json());
    let body: Value =
        serde_json::from_slice(&verify_entry(&tb, &uuid, &e).expect("valid entry")).expect("json");
    assert_ne!(
        body["spec"]["data"]["hash"]["value"],
        json!(hex::encode(sha256(artifact)))
    );
}

#[test]
fn faults_over_the_admin_api() {
    let tb = start();
    let admin = format!("{}/__testbed/faults", tb.base_url());
    let r = post_json(
        &admin,
        &json!({"endpoint": "rekor.createEntry", "fault": "status", "status": 502, "times": 2}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let listed: Vec<FaultSpec> = serde_json::from_slice(&r.body).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].times, Some(2));
    let bad = post_json(
        &admin,
        &json!({"endpoint": "rekor.logInfo", "fault": "wrongSct"}),
    );
    assert_eq!(bad.status, 400);
    let unknown = post_json(&admin, &json!({"endpoint": "nope", "fault": "hang"}));
    assert_eq!(unknown.status, 400);
    let signer = fulcio_sign_up(&tb, "mia@example.com");
    assert_eq!(upload(&tb, &signer, b"a").status, 502);
    assert_eq!(upload(&tb, &signer, b"a").status, 502);
    assert_eq!(upload(&tb, &signer, b"a").status, 201);
    post_json(
        &admin,
        &json!([{"endpoint": "fulcio.signingCert.v2", "fault": "delay", "delayMs": 100}, {"endpoint": "oidc.token", "fault": "hang"}]),
    );
    assert_eq!(get(&admin).json().as_array().map(Vec::len), Some(2));
    let cleared = into_resp(
        agent_with_timeout(Duration::from_secs(5))
            .delete(&admin)
            .call(),
    );
    assert_eq!(cleared.json(), json!([]));
    // Minting through the admin API.
    let t = post_json(
        &format!("{}/__testbed/token", tb.base_url()),
        &json!({"email": "ops@example.com"}),
    );
    let jwks: Value = serde_json::from_str(&tb.trust().oidc_jwks_json).expect("jwks");
    let claims =
        verify_jwt(t.json()["idToken"].as_str().expect("idToken"), &jwks).expect("verifies");
    assert_eq!(claims["email"], "ops@example.com");
}

// ---------------------------------------------------------------------------------------------
// sigstore-python interop (the acceptance test)

fn sigstore_cli() -> PathBuf {
    super::common::sigstore_python()
}

fn b64_of_hex(h: &Value) -> String {
    B64.encode(hex::decode(h.as_str().expect("hex")).expect("hex"))
}

/// A Sigstore bundle v0.3 (message-signature form) for `artifact` made through the testbed.
fn make_bundle(tb: &Testbed, email: &str, artifact: &[u8]) -> Value {
    let signer = fulcio_sign_up(tb, email);
    let sig: p256::ecdsa::DerSignature = signer.key.sign(artifact);
    // The signature is over SHA-256(artifact), so it verifies as a prehash of the digest.
    signer
        .key
        .verifying_key()
        .verify_prehash(&sha256(artifact), &sig)
        .expect("prehash signature");
    let r = upload(tb, &signer, artifact);
    assert_eq!(r.status, 201, "{}", r.text());
    let (uuid, e) = single_entry(&r.json());
    verify_entry(tb, &uuid, &e).expect("entry verifies");
    let proof = &e["verification"]["inclusionProof"];
    json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": B64.encode(&pem_certs(&signer.chain[0])[0])},
            "tlogEntries": [{
                "logIndex": e["logIndex"].as_u64().expect("logIndex").to_string(),
                "logId": {"keyId": b64_of_hex(&e["logID"])},
                "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                "integratedTime": e["integratedTime"].as_i64().expect("integratedTime").to_string(),
                "inclusionPromise": {"signedEntryTimestamp": e["verification"]["signedEntryTimestamp"]},
                "inclusionProof": {
                    "logIndex": proof["logIndex"].as_u64().expect("logIndex").to_string(),
                    "rootHash": b64_of_hex(&proof["rootHash"]),
                    "treeSize": proof["treeSize"].as_u64().expect("treeSize").to_string(),
                    "hashes": proof["hashes"].as_array().expect("hashes").iter().map(b64_of_hex).collect::<Vec<_>>(),
                    "checkpoint": {"envelope": proof["checkpoint"]},
                },
                "canonicalizedBody": e["body"],
            }],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(sha256(artifact))},
            "signature": B64.encode(sig.as_bytes()),
        },
    })
}

fn run_sigstore_verify(
    tb: &Testbed,
    work: &Path,
    bundle: &Path,
    artifact: &Path,
    identity: &str,
) -> (bool, String) {
    let out = Command::new(sigstore_cli())
        .arg("--trust-config")
        .arg(tb.client_trust_config_path())
        .args(["verify", "identity", "--offline", "--bundle"])
        .arg(bundle)
        .args([
            "--cert-identity",
            identity,
            "--cert-oidc-issuer",
            &tb.issuer_url(),
        ])
        .arg(artifact)
        .env("XDG_CACHE_HOME", work.join("xdg-cache"))
        .env("XDG_DATA_HOME", work.join("xdg-data"))
        .output()
        .expect("sigstore-python runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn sigstore_python_verifies_a_bundle_made_through_the_testbed() {
    let _ = sigstore_cli();
    let tb = start();
    let work = tempdir();
    let email = "nina@example.com";
    // Some unrelated entries first, so the proof is not trivial.
    let other = fulcio_sign_up(&tb, "other@example.com");
    for i in 0..3u8 {
        upload(&tb, &other, &[i; 7]);
    }
    let artifact: Vec<u8> = (0..2048u32).map(|i| (i * 7 % 251) as u8).collect();
    let bundle = make_bundle(&tb, email, &artifact);
    let bundle_path = work.path().join("artifact.sigstore.json");
    let artifact_path = work.path().join("artifact");
    std::fs::write(
        &bundle_path,
        serde_json::to_string_pretty(&bundle).expect("json"),
    )
    .expect("write");
    std::fs::write(&artifact_path, &artifact).expect("write");

    let (ok, out) = run_sigstore_verify(&tb, work.path(), &bundle_path, &artifact_path, email);
    assert!(ok, "sigstore-python must accept the bundle:\n{out}");

    // One changed byte must fail.
    let mut tampered = artifact.clone();
    tampered[100] ^= 0x01;
    let tampered_path = work.path().join("tampered");
    std::fs::write(&tampered_path, &tampered).expect("write");
    let (ok, out) = run_sigstore_verify(&tb, work.path(), &bundle_path, &tampered_path, email);
    assert!(
        !ok,
        "sigstore-python must reject a changed artifact:\n{out}"
    );
    // And so must the wrong identity.
    let (ok, _) = run_sigstore_verify(
        &tb,
        work.path(),
        &bundle_path,
        &artifact_path,
        "someone@example.com",
    );
    assert!(!ok, "wrong identity must fail");
    // The chain also verifies with OpenSSL.
    let leaf_der = B64
        .decode(
            bundle["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .expect("rawBytes"),
        )
        .expect("b64");
    let (ok, out) = openssl_verify(
        &tb.trust().fulcio_root_pem,
        &tb.trust().fulcio_intermediate_pem,
        &pem("CERTIFICATE", &leaf_der),
    );
    assert!(ok, "{out}");
}

// ---------------------------------------------------------------------------------------------
// Program mode

fn wait_for(path: &Path, timeout: Duration) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < timeout {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Kills the child on drop, so a failed assertion does not leave a server running.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn program_mode_serve_env_open_url_and_mint_token() {
    let exe = env!("CARGO_BIN_EXE_gitseal-testbed");
    let dir = tempdir();
    let child = Command::new(exe)
        .args(["serve", "--identity", "olga@example.com", "--dir"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn gitseal-testbed");
    let mut child = Child(child);
    let env_path = dir.path().join("env");
    assert!(
        wait_for(&env_path, Duration::from_secs(30)),
        "DIR/env appears"
    );
    let env_text = std::fs::read_to_string(&env_path).expect("env");
    let vars: std::collections::HashMap<String, String> = env_text
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect();
    for k in [
        "GITSEAL_FULCIO_URL",
        "GITSEAL_REKOR_URL",
        "GITSEAL_OIDC_ISSUER",
        "GITSEAL_TRUSTED_ROOT",
        "GITSEAL_URL_OPENER",
        "GITSEAL_TESTBED_IDENTITY",
    ] {
        assert!(vars.contains_key(k), "{k} in env:\n{env_text}");
    }
    assert_eq!(vars["GITSEAL_TESTBED_IDENTITY"], "olga@example.com");
    assert!(vars["GITSEAL_URL_OPENER"].ends_with(" open-url {{.URL}}"));
    assert_eq!(
        PathBuf::from(&vars["GITSEAL_TRUSTED_ROOT"]),
        dir.path().join("trusted_root.json")
    );
    let issuer = &vars["GITSEAL_OIDC_ISSUER"];
    let d = get(&format!("{issuer}/.well-known/openid-configuration")).json();
    assert_eq!(d["issuer"].as_str(), Some(issuer.as_str()));
    let tr: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("trusted_root.json")).expect("trusted root"),
    )
    .expect("json");
    assert_eq!(
        tr["mediaType"],
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    );
    let ctc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("client_trust_config.json")).expect("ctc"),
    )
    .expect("json");
    assert_eq!(
        ctc["mediaType"],
        "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
    );
    assert_eq!(
        ctc["signingConfig"]["mediaType"],
        "application/vnd.dev.sigstore.signingconfig.v0.2+json"
    );
    // stdout names the URLs.
    let mut first = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("line");
    assert_eq!(
        first.trim(),
        format!("fulcio: {}", vars["GITSEAL_FULCIO_URL"])
    );

    // The URL opener completes a browser login against a loopback callback, as gitsign's would.
    let listener = TcpListener::bind("127.0.0.1:0").expect("callback listener");
    let redirect = format!(
        "http://localhost:{}/auth/callback",
        listener.local_addr().expect("addr").port()
    );
    let (verifier, challenge) = pkce();
    let url = format!(
        "{issuer}/auth?client_id=sigstore&code_challenge={challenge}&code_challenge_method=S256&nonce=n&redirect_uri={}&response_type=code&scope=openid+email&state=st",
        urlencode(&redirect)
    );
    let callback = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("callback connection");
        let mut reader = BufReader::new(conn.try_clone().expect("clone"));
        let mut request_line = String::new();
        reader.read_line(&mut request_line).expect("request line");
        conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            .expect("respond");
        request_line
    });
    let opener = vars["GITSEAL_URL_OPENER"].replace("{{.URL}}", &url);
    let mut argv = opener.split(' ');
    let status = Command::new(argv.next().expect("program"))
        .args(argv)
        .status()
        .expect("run opener");
    assert!(status.success(), "open-url succeeded");
    let request_line = callback.join().expect("callback thread");
    assert!(
        request_line.starts_with("GET /auth/callback?code="),
        "{request_line}"
    );
    assert!(request_line.contains("state=st"));
    let code = request_line
        .split("code=")
        .nth(1)
        .and_then(|r| r.split(['&', ' ']).next())
        .map(urldecode)
        .expect("code");
    let r = post_form(
        &format!("{issuer}/token"),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect),
            ("code_verifier", &verifier),
            ("client_id", "sigstore"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());

    // mint-token prints a token Fulcio accepts.
    let out = Command::new(exe)
        .args(["mint-token", "--email", "pat@example.com", "--dir"])
        .arg(dir.path())
        .output()
        .expect("mint-token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned();
    let key = new_key();
    let r = post_json(
        &format!("{}/api/v2/signingCert", vars["GITSEAL_FULCIO_URL"]),
        &fulcio_v2_request(&token, &key, "pat@example.com"),
    );
    assert_eq!(r.status, 200, "{}", r.text());

    // mint-token --ci gitlab prints a GitLab-shaped token; Fulcio issues the pipeline's leaf
    // (SAN = the pipeline definition; the proof of possession signs `sub`).
    let out = Command::new(exe)
        .args([
            "mint-token",
            "--ci",
            "gitlab",
            "--project",
            "acme/app",
            "--ref",
            "refs/tags/v1",
            "--runner",
            "self-hosted",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .expect("mint-token --ci");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned();
    let r = post_json(
        &format!("{}/api/v2/signingCert", vars["GITSEAL_FULCIO_URL"]),
        &fulcio_v2_request(&token, &key, "project_path:acme/app:ref_type:tag:ref:v1"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let leaf = r.json()["signedCertificateEmbeddedSct"]["chain"]["certificates"][0]
        .as_str()
        .expect("leaf pem")
        .to_owned();
    let leaf = gitseal::x509::Cert::from_der(&pem_certs(&leaf)[0]).expect("leaf");
    assert_eq!(
        leaf.sans().expect("sans")[0].value(),
        "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/tags/v1"
    );
    let claims = leaf.claims().expect("claims");
    use gitseal::x509::claims::Claim;
    assert_eq!(claims.get(Claim::RunnerEnvironment), Some("self-hosted"));
    assert_eq!(claims.get(Claim::SourceRepositoryRef), Some("refs/tags/v1"));
    // --ci buildkite: the pipeline URL is the SAN.
    let out = Command::new(exe)
        .args([
            "mint-token",
            "--ci",
            "buildkite",
            "--project",
            "acme/app",
            "--ref",
            "refs/heads/main",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .expect("mint-token --ci buildkite");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned();
    let sub = "organization:acme:pipeline:app:ref:refs/heads/main:commit:0123456789abcdef0123456789abcdef01234567:step:sign";
    let r = post_json(
        &format!("{}/api/v2/signingCert", vars["GITSEAL_FULCIO_URL"]),
        &fulcio_v2_request(&token, &key, sub),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let leaf = r.json()["signedCertificateEmbeddedSct"]["chain"]["certificates"][0]
        .as_str()
        .expect("leaf pem")
        .to_owned();
    let leaf = gitseal::x509::Cert::from_der(&pem_certs(&leaf)[0]).expect("leaf");
    assert_eq!(
        leaf.sans().expect("sans")[0].value(),
        "https://buildkite.com/acme/app"
    );

    // fault sets a switch over HTTP.
    let out = Command::new(exe)
        .args([
            "fault",
            "--endpoint",
            "rekor.logInfo",
            "--fault",
            "status",
            "--status",
            "503",
            "--times",
            "1",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .expect("fault");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        get(&format!("{}/api/v1/log", vars["GITSEAL_REKOR_URL"])).status,
        503
    );
    assert_eq!(
        get(&format!("{}/api/v1/log", vars["GITSEAL_REKOR_URL"])).status,
        200
    );
}
