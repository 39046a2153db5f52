//! A deterministic mutation fuzzer that runs on the stable toolchain in every `cargo test`:
//! real signatures and objects from the corpus are bit-flipped, truncated, spliced and
//! extended, then fed to every parser and to the full verifier. Nothing may panic, and a
//! mutated signature must never verify. (There are no cargo-fuzz targets in the repository:
//! the entry points below are public library functions, so a cargo-fuzz harness on a nightly
//! toolchain could call them as they are.)

use super::common::corpus;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::rekor::{checkpoint::Checkpoint, entry::LogEntry};
use gitseal::trust::TrustRoot;
use gitseal::verify::{Context, Outcome, verify_detached};
use gitseal::{armor, cms, x509};
use gitseal::{check::lookup, rekor::client, rekor::entry, rekor::merkle};
use serde_json::json;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, so a failure reproduces.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut d = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        match rng.below(5) {
            0 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            1 if !d.is_empty() => d.truncate(rng.below(d.len())),
            2 => {
                let i = rng.below(d.len() + 1);
                d.insert(i, rng.next() as u8);
            }
            3 if d.len() > 8 => {
                let i = rng.below(d.len() - 4);
                d[i] = [0x00, 0x80, 0x81, 0xff][rng.below(4)];
            }
            _ if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] = rng.next() as u8;
            }
            _ => {}
        }
    }
    d
}

/// Every parser entry point on arbitrary bytes (the same list the cargo-fuzz targets use).
pub fn parse_everything(data: &[u8]) {
    let _ = armor::decode(data);
    if let Ok(p) = cms::decode::parse(data) {
        for s in &p.signers {
            let _ = s.tlog_entry();
            let _ = s.message_digest();
            let _ = s.content_type();
            let _ = s.signing_time();
        }
        for c in &p.certificates {
            if let Ok(cert) = x509::Cert::from_der(c) {
                let _ = cert.sans();
                let _ = cert.oidc_issuer();
                if let Ok(c) = cert.claims() {
                    let _ = c.pipeline();
                }
                let _ = cert.embedded_scts();
                let _ = cert.precert_tbs();
            }
        }
    }
    let _ = x509::Cert::from_der(data);
    let _ = x509::parse_sct_list(data);
    // Fulcio's claim extension values, in both encodings (issue 16).
    for claim in x509::claims::Claim::ALL {
        let _ = x509::claims::decode_value(claim.oid(), claim.encoding(), data);
    }
    let _ = x509::claims::parse([
        (gitseal::oids::FULCIO_ISSUER_V2, data),
        (gitseal::oids::FULCIO_BUILD_CONFIG_URI, data),
    ]);
    let _ = LogEntry::from_protobuf(data);
    let _ = LogEntry::from_rest_response(data);
    let _ = Checkpoint::parse(&String::from_utf8_lossy(data));
    let _ = object::split_commit(data, HashKind::Sha1);
    let _ = object::split_tag(data);
    let _ = object::signer_email(Kind::Commit, data);
    let _ = object::signer_email(Kind::Tag, data);
    // The one header parser (issue 11: pushed objects are the pusher's to choose).
    for hash in [HashKind::Sha1, HashKind::Sha256] {
        let _ = gitseal::git::header::parse_commit(data, hash);
        let _ = gitseal::git::header::parse_tag(data, hash);
    }
    let _ = gitseal::git::header::links(data);
    let _ = gitseal::git::header::tag_target(data);
    let _ = gitseal::git::header::tag_name(data);
    let _ = gitseal::git::header::parse_ident(data);
    let _ = object::check_signed(Kind::Commit, data, data);
    let _ = object::check_signed(Kind::Tag, data, data);
    parse_rekor_answer(data);
    parse_trust_config(data);
    parse_timestamp(data);
    parse_rekor_v2(data);
}

/// The signing config and client trust config parsers (issue 14: both arrive from a TUF
/// repository or a file a private instance hands out), and selection from what they accept.
pub fn parse_trust_config(data: &[u8]) {
    use gitseal::trust::client_config::ClientTrustConfig;
    use gitseal::trust::signing_config::SigningConfig;
    if let Ok(c) = SigningConfig::from_json(data) {
        for now in [0, 1_800_000_000, i64::MAX] {
            let _ = c.fulcio(now);
            let _ = c.oidc_issuer(now);
            let _ = c.rekor_logs(&[1, 2], now);
            let _ = c.timestamp_authorities(now);
        }
    }
    let _ = ClientTrustConfig::from_json(data, "fuzz");
}

#[test]
fn mutated_trust_configs_never_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let signing = br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json",
"caUrls":[{"url":"https://f","majorApiVersion":1,"validFor":{"start":"2024-01-01T00:00:00Z"},"operator":"o"}],
"oidcUrls":[{"url":"https://i","majorApiVersion":1,"operator":"o"}],
"rekorTlogUrls":[{"url":"https://r","majorApiVersion":1,"validFor":{"start":"2024-01-01T00:00:00Z","end":"2030-01-01T00:00:00Z"},"operator":"o"}],
"tsaUrls":[{"url":"https://t","majorApiVersion":1,"operator":"o"}],
"rekorTlogConfig":{"selector":"EXACT","count":1},"tsaConfig":{"selector":"ANY"}}"#;
    assert!(gitseal::trust::signing_config::SigningConfig::from_json(signing).is_ok());
    let client = format!(
        r#"{{"mediaType":"application/vnd.dev.sigstore.clienttrustconfig.v0.1+json","trustedRoot":{},"signingConfig":{}}}"#,
        gitseal::trust::PUBLIC_GOOD_TRUSTED_ROOT,
        String::from_utf8_lossy(signing)
    );
    assert!(
        gitseal::trust::client_config::ClientTrustConfig::from_json(client.as_bytes(), "seed")
            .is_ok()
    );
    for seed in [signing.as_slice(), client.as_bytes()] {
        for _ in 0..300 {
            parse_trust_config(&mutate(&mut rng, seed));
        }
    }
}

/// Every RFC 3161 parser (issue 15: a TSA's reply and a token in a pushed signature are
/// hostile): the reply as the client reads it, the token, the TSTInfo.
pub fn parse_timestamp(data: &[u8]) {
    use der::Decode as _;
    if let Ok(req) = gitseal::tsa::client::request_with_nonce(b"sig", &[0x42; 16]) {
        let _ = gitseal::tsa::client::parse_response(data, &req);
    }
    if let Ok(t) = gitseal::tsa::token::parse_token(data) {
        let _ = gitseal::tsa::asn1::gen_time_unix(&t.tst_info.gen_time);
        let _ = gitseal::tsa::token::verify_parsed(&t, b"sig", &[]);
    }
    if let Ok(i) = gitseal::tsa::asn1::TstInfo::from_der(data) {
        let _ = gitseal::tsa::asn1::gen_time_unix(&i.gen_time);
        let _ = i.accuracy.map(|a| a.ceil_seconds());
    }
    let _ = gitseal::tsa::asn1::TimeStampResp::from_der(data);
}

/// A real reply from the testbed's TSA, mutated: the client never panics, and no mutated
/// token verifies (every byte of a token is signed or held to one form, `tsa::token`).
#[cfg(feature = "testbed")]
#[test]
fn mutated_timestamp_replies_never_panic_and_never_verify() {
    use gitseal::testbed::{Testbed, TestbedConfig};
    use gitseal::tsa::client::{TsaClient, request_with_nonce};
    let tb = Testbed::start(TestbedConfig::default()).unwrap();
    let trust = TrustRoot::from_file(tb.trusted_root_path()).unwrap();
    let sig = b"a CMS signature value";
    let transport = std::sync::Arc::new(gitseal::transport::HttpTransport::new(
        gitseal::transport::TransportConfig {
            max_retries: 0,
            ..Default::default()
        },
    ));
    let token = TsaClient::new(transport, tb.tsa_url())
        .timestamp(sig)
        .unwrap();
    assert!(gitseal::tsa::verify_token(&token, sig, &trust).is_ok());
    // The reply around it, as the TSA sends it.
    let mut reply = vec![0x30, 0x03, 0x02, 0x01, 0x00];
    reply.extend_from_slice(&token);
    let mut reply_der = gitseal::tlv::header(0x30, reply.len());
    reply_der.extend(reply);
    let req = request_with_nonce(sig, &[0x42; 16]).unwrap();
    let mut rng = Rng(0x51_7cc1_b727_220a);
    for _ in 0..600 {
        parse_timestamp(&mutate(&mut rng, &reply_der));
        let _ = gitseal::tsa::client::parse_response(&mutate(&mut rng, &reply_der), &req);
        let m = mutate(&mut rng, &token);
        parse_everything(&m);
        if m != token {
            assert!(
                gitseal::tsa::verify_token(&m, sig, &trust).is_err(),
                "a mutated token verified"
            );
        }
    }
}

/// Every Rekor v2 parser (issue 15): the log's `TransparencyLogEntry` answer, signed-note
/// checkpoints against a v2 log of the trust root, tile paths and entry bundles, tiles as a
/// Merkle source, Ed25519 keys and signatures; and the v2 proof checks on what parsed.
pub fn parse_rekor_v2(data: &[u8]) {
    use gitseal::rekor::v2::{client as v2client, entry as v2entry, note, tiles};
    let text = String::from_utf8_lossy(data);
    let trust = TrustRoot::public_good().unwrap();
    let v2log = trust.tlogs.iter().find(|l| l.ed25519.is_some()).unwrap();
    let _ = note::verify_checkpoint(&text, v2log);
    let _ = note::origin_for_base_url(&text);
    let _ = tiles::parse_index(&text);
    let _ = tiles::split_entry_bundle(data);
    if let Ok(k) = gitseal::pubkey::Ed25519Key::from_spki_der(data) {
        let _ = k.verify(data, data);
    }
    let size = u64::from(data.first().copied().unwrap_or(0)) * 3;
    let mut reader = tiles::TileReader::new(size, |_: &str| Some(data.to_vec()));
    let _ = reader.root();
    let _ = reader.inclusion_proof(size / 2);
    let _ = v2client::parse_create_response("http://127.0.0.1:1/api/v2/log/entries", data);
    if let Ok(e) = v2entry::entry_from_json(data) {
        let body = e.body.clone().unwrap_or_default();
        let _ = gitseal::verify::tlog_v2::is_v2(&e);
        let _ = gitseal::verify::tlog_v2::verify_proofs(&e, &body, &trust);
        let _ = e.to_protobuf();
    }
}

/// Every parser of a Rekor answer (`rekor::client`; issue 11: a lookup answer is the log's to
/// choose), and what the lookup and the verifier's proof checks do with an entry the client
/// accepted.
pub fn parse_rekor_answer(data: &[u8]) {
    const URL: &str = "http://127.0.0.1:1/api/v1/log/entries/x";
    let _ = client::parse_search_result(URL, data);
    let _ = client::parse_log_info(URL, data);
    let _ = client::parse_public_key(URL, data);
    let _ = client::error_message(data);
    let _ = client::conflict_uuid(Some(&String::from_utf8_lossy(data)));
    let requested = [REKOR_UUID_PREFIX.repeat(8), "€".repeat(22)];
    let _ = client::parse_entry_list(URL, data, &requested);
    if let Ok((_, e)) = client::parse_entry_response(URL, data) {
        let _ = lookup::logged_candidate(&e, &["0".repeat(40)], b"leaf");
        let _ = lookup::to_anon(&e);
        let body = e.body.clone().unwrap_or_default();
        let _ = entry::set_payload(&body, e.integrated_time, &e.log_id, e.log_index);
        if let Some(p) = &e.inclusion_proof {
            let _ = merkle::verify_inclusion(
                &merkle::leaf_hash(&body),
                p.log_index,
                p.tree_size,
                &p.hashes,
                &p.root_hash,
            );
            if let Some(c) = &p.checkpoint {
                let _ = Checkpoint::parse(c);
            }
        }
    }
}

/// Eight of these make a UUID-shaped string.
const REKOR_UUID_PREFIX: &str = "24296fb2";

/// Answers a Rekor could give, built from a real gitsign entry (the corpus's offline-mode
/// signatures embed theirs: real log id, SET, inclusion proof and checkpoint) with its body
/// rebuilt, plus the shapes a hostile log would try: non-ASCII keys, numbers out of every
/// integer range, negative indices, deep nesting, empty and foreign documents.
fn rekor_answer_seeds() -> Vec<Vec<u8>> {
    let o = corpus()
        .into_iter()
        .find(|o| o.mode == "offline" && o.kind == "commit")
        .expect("an offline-mode corpus commit");
    let split = object::split(Kind::Commit, &o.raw, HashKind::Sha1).unwrap();
    let cms = cms::decode::parse(&armor::decode(&split.signature).unwrap()).unwrap();
    let signer = &cms.signers[0];
    let (mut e, _) = signer.tlog_entry().unwrap().expect("an embedded entry");
    let body = entry::hashedrekord_body(&[0x5a; 32], &signer.signature, &cms.certificates[0]);
    e.body = Some(body.clone());
    let uuid = hex::encode(merkle::leaf_hash(&body));
    let anon = serde_json::to_value(lookup::to_anon(&e)).unwrap();
    let one = json!({ uuid.clone(): anon.clone() });
    let with = |field: &str, v: serde_json::Value| {
        let mut a = anon.clone();
        a[field] = v;
        serde_json::to_vec(&json!({ uuid.clone(): a })).unwrap()
    };
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(200), close.repeat(200)).into_bytes();
    vec![
        serde_json::to_vec(&one).unwrap(),
        serde_json::to_vec(&json!([one])).unwrap(),
        serde_json::to_vec(&json!([uuid, format!("{REKOR_UUID_PREFIX}{uuid}")])).unwrap(),
        serde_json::to_vec(&json!({ "€".repeat(22): anon })).unwrap(),
        serde_json::to_vec(&json!({ format!("é{}", &uuid[1..]): anon })).unwrap(),
        with("logIndex", json!(-1)),
        with("logIndex", json!(u64::MAX)),
        with("integratedTime", json!(i64::MIN)),
        with("integratedTime", json!(1e308)),
        br#"{"rootHash":"00","treeSize":18446744073709551615,"signedTreeHead":"n","treeID":"1","inactiveShards":[{"rootHash":"","treeSize":-1,"signedTreeHead":"","treeID":""}]}"#.to_vec(),
        br#"{"code":409,"message":"An equivalent entry already exists in the transparency log"}"#.to_vec(),
        b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n".to_vec(),
        deep("[", "]"),
        deep("{\"a\":", "}"),
        b"{}".to_vec(),
        b"[]".to_vec(),
        b"[{}]".to_vec(),
        Vec::new(),
    ]
}

#[test]
fn mutated_rekor_answers_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let seeds = rekor_answer_seeds();
    // The unmutated real entry goes all the way through the client's checks.
    assert!(client::parse_entry_response("http://x", &seeds[0]).is_ok());
    for seed in &seeds {
        parse_rekor_answer(seed);
        for _ in 0..300 {
            parse_rekor_answer(&mutate(&mut rng, seed));
        }
    }
}

/// A Rekor v2 answer and checkpoint as rekor-tiles writes them (protojson, the public-good
/// v2 log's origin), plus tile paths, mutated: no parser may panic.
#[test]
fn mutated_rekor_v2_answers_never_panic() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let body = gitseal::rekor::v2::entry::hashedrekord_v002_body(
        &[1; 32],
        &[2; 70],
        &[3; 500],
        "PKIX_ECDSA_P256_SHA_256",
    );
    let note = format!(
        "log2025-1.rekor.sigstore.dev\n2\n{}\n\n\u{2014} log2025-1.rekor.sigstore.dev {}\n",
        B64.encode([7u8; 32]),
        B64.encode([[0xcf, 0x11, 0x99, 0x15].as_slice(), &[0u8; 64]].concat())
    );
    let answer = json!({
        "logIndex": "1",
        "logId": {"keyId": "zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A="},
        "kindVersion": {"kind": "hashedrekord", "version": "0.0.2"},
        "inclusionProof": {
            "logIndex": "1",
            "rootHash": B64.encode([7u8; 32]),
            "treeSize": "2",
            "hashes": [B64.encode(gitseal::rekor::merkle::leaf_hash(b"x"))],
            "checkpoint": {"envelope": note},
        },
        "canonicalizedBody": B64.encode(&body),
    });
    let seeds = [
        serde_json::to_vec(&answer).unwrap(),
        note.into_bytes(),
        b"x001/x234/067.p/17".to_vec(),
        vec![0, 3, 1, 2, 3, 0, 1, 9],
        hex::decode("302a300506032b6570032100").unwrap(),
    ];
    assert!(gitseal::rekor::v2::entry::entry_from_json(&seeds[0]).is_ok());
    // The note parses and reaches the signature check (a zero signature: refused).
    let v2log = TrustRoot::public_good().unwrap().tlogs[1].clone();
    assert_eq!(
        gitseal::rekor::v2::note::verify_checkpoint(&String::from_utf8_lossy(&seeds[1]), &v2log),
        Err(gitseal::rekor::v2::note::NoteError::BadSignature)
    );
    for seed in &seeds {
        parse_rekor_v2(seed);
        for _ in 0..300 {
            parse_rekor_v2(&mutate(&mut rng, seed));
        }
    }
}

#[test]
fn mutated_inputs_never_panic_and_never_verify() {
    let trust = TrustRoot::public_good().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<_> = corpus()
        .into_iter()
        .filter(|o| o.mode == "offline")
        .take(4)
        .collect();
    for o in &seeds {
        let kind = if o.kind == "tag" {
            Kind::Tag
        } else {
            Kind::Commit
        };
        let split = object::split(kind, &o.raw, HashKind::Sha1).unwrap();
        let der = armor::decode(&split.signature).unwrap();
        for _ in 0..400 {
            let m = mutate(&mut rng, &der);
            parse_everything(&m);
            parse_everything(&mutate(&mut rng, &o.raw));
            if m != der {
                let out = verify_detached(
                    &split.payload,
                    armor::encode(&m).as_bytes(),
                    &trust,
                    &Context::default(),
                );
                // A mutation outside every signed or proven byte (e.g. in a CMS field nobody
                // signs, like the unused CRL slot) cannot exist in this layout: any accepted
                // mutation is a bug.
                assert!(
                    !matches!(out, Outcome::Verified(_)),
                    "a mutated signature of {} verified",
                    o.sha
                );
            }
        }
    }
}

/// Every TUF metadata parser (issue 14: metadata is the repository's, or an attacker's, to
/// choose) and the trusted-root check on what parses.
pub fn parse_tuf_metadata(data: &[u8]) {
    use gitseal::tuf::metadata::{Envelope, RoleName, Root, Snapshot, Targets, Timestamp};
    for role in [
        RoleName::Root,
        RoleName::Timestamp,
        RoleName::Snapshot,
        RoleName::Targets,
    ] {
        if let Ok(env) = Envelope::parse(role, data) {
            let _ = Timestamp::from_signed(&env.signed);
            let _ = Snapshot::from_signed(&env.signed);
            let _ = Targets::from_signed(&env.signed);
            if let Ok(root) = Root::from_signed(&env.signed) {
                let _ = env.verify_by(&root, RoleName::Root, role);
            }
        }
    }
    let _ = gitseal::tuf::client::load_trusted_root(data);
}

/// Sigstore's real root metadata, mutated: nothing panics, and no mutation of `signed` keeps
/// three valid signatures.
#[test]
fn mutated_tuf_metadata_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seed = gitseal::tuf::PUBLIC_GOOD_ROOT.as_bytes();
    assert!(gitseal::tuf::client::load_trusted_root(seed).is_ok());
    parse_tuf_metadata(seed);
    for _ in 0..300 {
        let m = mutate(&mut rng, seed);
        parse_tuf_metadata(&m);
        // Whatever verifies must be the same signed content (a mutation of whitespace or of
        // a surplus signature may still verify; one of `signed` may not).
        if let Ok((env, _)) = gitseal::tuf::client::load_trusted_root(&m) {
            let orig = gitseal::tuf::metadata::Envelope::parse(
                gitseal::tuf::metadata::RoleName::Root,
                seed,
            )
            .unwrap();
            assert_eq!(env.canonical, orig.canonical, "a changed root verified");
        }
    }
}
