//! A deterministic mutation fuzzer that runs on the stable toolchain in every `cargo test`:
//! real signatures and objects from the corpus are bit-flipped, truncated, spliced and
//! extended, then fed to every parser and to the full verifier. Nothing may panic, and a
//! mutated signature must never verify. (`tests/fuzz/` holds the same entry points as
//! cargo-fuzz targets for machines with a nightly toolchain.)

use super::common::corpus;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::rekor::{checkpoint::Checkpoint, entry::LogEntry};
use gitseal::trust::TrustRoot;
use gitseal::verify::{Context, Outcome, policy::Policy, verify_detached};
use gitseal::{armor, cms, x509};

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
                let _ = cert.embedded_scts();
                let _ = cert.precert_tbs();
            }
        }
    }
    let _ = x509::Cert::from_der(data);
    let _ = x509::parse_sct_list(data);
    let _ = LogEntry::from_protobuf(data);
    let _ = LogEntry::from_rest_response(data);
    let _ = Checkpoint::parse(&String::from_utf8_lossy(data));
    let _ = object::split_commit(data, HashKind::Sha1);
    let _ = object::split_tag(data);
    let _ = object::signer_email(Kind::Commit, data);
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
                    &Policy::default(),
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
