//! Micro-benchmarks of the verification pipeline on a real gitsign commit (issue 6).
//!
//! `cargo bench --bench verify` (criterion; `-- <filter>` to pick groups). Every input is an
//! offline-mode object of the shared gitsign corpus (`../shared/corpus`, or
//! `GITSEAL_SHARED_DIR`), so the numbers are for the certificates, proofs and signature sizes
//! the public Sigstore instance really produces:
//!
//! - `step/*`: one pipeline step each (CMS parsing, leaf parsing, chain, SCT, canonical JSON
//!   body, SET, inclusion proof, checkpoint), as `verify_detached` runs it;
//! - `verify_detached/*`: the whole pipeline for one commit, and for the 22 offline objects;
//! - `backend/*`: the ECDSA verifications a commit needs, on the same real signatures, with
//!   RustCrypto (`p256`, `p384`) and through `src/pubkey.rs` (aws-lc-rs); `tests/bench/backends`
//!   compares RustCrypto, ring and aws-lc-rs on synthetic keys, outside the crate.
//!
//! A benchmark, not a test: nothing here asserts a time. Setup failures panic, which is how a
//! `harness = false` bench reports a broken input.
// A benchmark program, not the library: it reads GITSEAL_SHARED_DIR and prints its numbers.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::disallowed_macros
)]

use criterion::{Criterion, criterion_group, criterion_main};
use gitseal::cms::decode::{self, ParsedSignature, Signer};
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::policy::{self, Judged, Policy};
use gitseal::pubkey::Hash;
use gitseal::rekor::checkpoint::Checkpoint;
use gitseal::rekor::entry::{LogEntry, set_payload};
use gitseal::rekor::merkle;
use gitseal::trust::TrustRoot;
use gitseal::verify::{self, Context, chain, sct, tlog};
use gitseal::x509::Cert;
use std::hint::black_box;
use std::path::PathBuf;

/// One corpus object, split.
struct Object {
    sha: String,
    kind: Kind,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

fn shared_dir() -> PathBuf {
    std::env::var_os("GITSEAL_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// The offline-mode objects of the corpus (`index.tsv` column 3).
fn offline_objects() -> Vec<Object> {
    let dir = shared_dir().join("corpus");
    let index = std::fs::read_to_string(dir.join("index.tsv"))
        .expect("the shared corpus (../shared/corpus/index.tsv, or GITSEAL_SHARED_DIR)");
    index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (f.get(2) == Some(&"offline")).then(|| {
                let kind = if f[1] == "tag" {
                    Kind::Tag
                } else {
                    Kind::Commit
                };
                let raw = std::fs::read(dir.join(format!("{}.{}", f[0], f[1]))).unwrap();
                let split = object::split(kind, &raw, HashKind::Sha1).unwrap();
                Object {
                    sha: f[0].to_string(),
                    kind,
                    payload: split.payload,
                    signature: split.signature,
                }
            })
        })
        .collect()
}

/// Everything the step benchmarks need from one commit, decoded once.
struct Pieces {
    der: Vec<u8>,
    signer: Signer,
    leaf: Cert,
    issuer: Cert,
    entry: LogEntry,
    body: Vec<u8>,
}

fn pieces(o: &Object, trust: &TrustRoot) -> Pieces {
    let der = gitseal::armor::decode(&o.signature).unwrap();
    let cms: ParsedSignature = decode::parse(&der).unwrap();
    let signer = cms.signers[0].clone();
    let leaf = cms
        .certificates
        .iter()
        .map(|c| Cert::from_der(c).unwrap())
        .find(|c| matches!(c.is_ca(), Ok(false)))
        .unwrap();
    let (entry, _) = signer.tlog_entry().unwrap().unwrap();
    let issuer = chain::verify(&leaf, trust, entry.integrated_time)
        .unwrap()
        .issuer;
    let body = verify::offline_body(
        signer.signed_attrs_der.as_ref().unwrap(),
        &signer.signature,
        &leaf.der,
    );
    Pieces {
        der,
        signer,
        leaf,
        issuer,
        entry,
        body,
    }
}

/// A commit whose leaf was issued by the Fulcio intermediate (the common, post-2022 case:
/// one P-384 verification for the leaf, plus the cached CA path).
fn typical(objects: &[Object], trust: &TrustRoot) -> usize {
    objects
        .iter()
        .position(|o| o.kind == Kind::Commit && !pieces(o, trust).issuer.is_self_issued())
        .unwrap()
}

fn verify_one(o: &Object, trust: &TrustRoot, policy: &Policy) -> bool {
    let email = object::signer_email(o.kind, &o.payload);
    let out = verify::verify_detached(
        &o.payload,
        &o.signature,
        trust,
        &Context {
            looked_up_entry: None,
            object_id: None,
        },
    );
    // The pipeline and then the trust decision, as every caller runs them.
    let judged = policy::judge(out, |leaf| policy.decide(leaf, email.as_deref()));
    matches!(judged, Judged::Verified(_))
}

fn steps(c: &mut Criterion) {
    let trust = TrustRoot::public_good().unwrap();
    let objects = offline_objects();
    let o = &objects[typical(&objects, &trust)];
    let p = pieces(o, &trust);
    let at = p.entry.integrated_time;
    let rekor = trust.tlog(&p.entry.log_id, at).unwrap();
    let rekor_key = rekor.key.clone().unwrap();
    let proof = p.entry.inclusion_proof.clone().unwrap();
    let note = proof.checkpoint.clone().unwrap();
    let set = p.entry.signed_entry_timestamp.clone().unwrap();
    let mut g = c.benchmark_group("step");
    g.bench_function("armor_and_cms_parse", |b| {
        b.iter(|| decode::parse(&gitseal::armor::decode(black_box(&o.signature)).unwrap()))
    });
    g.bench_function("cms_parse", |b| b.iter(|| decode::parse(black_box(&p.der))));
    g.bench_function("leaf_parse", |b| {
        b.iter(|| Cert::from_der(black_box(&p.leaf.der)))
    });
    g.bench_function("tlog_entry_decode", |b| {
        b.iter(|| black_box(&p.signer).tlog_entry())
    });
    g.bench_function("cms_signature_p256", |b| {
        let key = p.leaf.public_key().unwrap();
        let attrs = p.signer.signed_attrs_der.clone().unwrap();
        b.iter(|| key.verify(Hash::Sha256, black_box(&attrs), &p.signer.signature))
    });
    // Leaf by intermediate (P-384) plus the CA path, which is memoised after the first call.
    g.bench_function("chain", |b| {
        b.iter(|| chain::verify(black_box(&p.leaf), &trust, at).is_ok())
    });
    g.bench_function("sct", |b| {
        b.iter(|| sct::verify(black_box(&p.leaf), &p.issuer, &trust).is_ok())
    });
    g.bench_function("canonical_json_body", |b| {
        let attrs = p.signer.signed_attrs_der.clone().unwrap();
        b.iter(|| verify::offline_body(black_box(&attrs), &p.signer.signature, &p.leaf.der))
    });
    g.bench_function("set_p256", |b| {
        b.iter(|| {
            let payload = set_payload(black_box(&p.body), at, &p.entry.log_id, p.entry.log_index);
            rekor_key.verify(Hash::Sha256, &payload, &set)
        })
    });
    g.bench_function("inclusion_proof", |b| {
        b.iter(|| {
            merkle::verify_inclusion(
                &merkle::leaf_hash(black_box(&p.body)),
                proof.log_index,
                proof.tree_size,
                &proof.hashes,
                &proof.root_hash,
            )
        })
    });
    g.bench_function("checkpoint", |b| {
        b.iter(|| {
            let cp = Checkpoint::parse(black_box(&note)).unwrap();
            cp.signatures.iter().any(|s| {
                rekor_key
                    .verify(Hash::Sha256, cp.signed_text.as_bytes(), &s.signature)
                    .is_ok()
            })
        })
    });
    g.bench_function("tlog_all", |b| {
        b.iter(|| {
            tlog::verify(
                black_box(&p.entry),
                &p.body,
                &trust,
                p.leaf.not_before,
                p.leaf.not_after,
            )
            .is_ok()
        })
    });
    g.finish();
}

fn whole(c: &mut Criterion) {
    let trust = TrustRoot::public_good().unwrap();
    let policy = Policy::default();
    let objects = offline_objects();
    let o = &objects[typical(&objects, &trust)];
    assert!(verify_one(o, &trust, &policy), "{} must verify", o.sha);
    let mut g = c.benchmark_group("verify_detached");
    g.bench_function("one_offline_commit", |b| {
        b.iter(|| verify_one(black_box(o), &trust, &policy))
    });
    g.sample_size(20);
    g.bench_function("all_22_offline_objects", |b| {
        b.iter(|| {
            objects
                .iter()
                .all(|o| verify_one(black_box(o), &trust, &policy))
        })
    });
    // What a `git verify-commit` process pays before the first signature: the embedded
    // trusted root (JSON, base64, X.509) parsed again.
    g.bench_function("trust_root_load", |b| b.iter(TrustRoot::public_good));
    g.finish();
}

fn backends(c: &mut Criterion) {
    use p256::ecdsa::signature::Verifier as _;
    let trust = TrustRoot::public_good().unwrap();
    let objects = offline_objects();
    let p = pieces(&objects[typical(&objects, &trust)], &trust);
    // P-256: the leaf's CMS signature over the signed attributes (like SCT, SET, checkpoint).
    let msg256 = p.signer.signed_attrs_der.clone().unwrap();
    let sig256 = p.signer.signature.clone();
    let spki256 = p.leaf.spki_der.clone();
    // P-384: the Fulcio intermediate's ecdsa-with-SHA384 signature over the leaf's TBS.
    let msg384 = p.leaf.tbs_der.clone();
    let sig384 = p.leaf.signature.clone();
    let spki384 = p.issuer.spki_der.clone();
    use spki::DecodePublicKey as _;
    let rc256 = p256::ecdsa::VerifyingKey::from_public_key_der(&spki256).unwrap();
    let rc384 = p384::ecdsa::VerifyingKey::from_public_key_der(&spki384).unwrap();
    let mut g = c.benchmark_group("backend");
    g.bench_function("p256_rustcrypto", |b| {
        b.iter(|| {
            let s = p256::ecdsa::Signature::from_der(&sig256).unwrap();
            rc256.verify(black_box(&msg256), &s).is_ok()
        })
    });
    g.bench_function("p384_rustcrypto", |b| {
        b.iter(|| {
            let s = p384::ecdsa::Signature::from_der(&sig384).unwrap();
            rc384.verify(black_box(&msg384), &s).is_ok()
        })
    });
    // The crate's dispatch, which the pipeline uses.
    g.bench_function("p256_gitseal", |b| {
        let k = gitseal::pubkey::PublicKey::from_spki_der(&spki256).unwrap();
        b.iter(|| k.verify(Hash::Sha256, black_box(&msg256), &sig256).is_ok())
    });
    g.bench_function("p384_gitseal", |b| {
        let k = gitseal::pubkey::PublicKey::from_spki_der(&spki384).unwrap();
        b.iter(|| k.verify(Hash::Sha384, black_box(&msg384), &sig384).is_ok())
    });
    g.finish();
}

criterion_group!(benches, steps, whole, backends);
criterion_main!(benches);
