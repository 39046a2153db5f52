//! Tampering with a real offline-mode gitsign signature, one field at a time: every change
//! must give BADSIG or ERRSIG with the right stable reason code, never a good signature.

use super::common::corpus;
use gitseal::armor;
use gitseal::cms::decode;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::rekor::entry::LogEntry;
use gitseal::tlv;
use gitseal::trust::TrustRoot;
use gitseal::verify::reason::{Class, Reason};
use gitseal::verify::{Context, Outcome, verify_detached};

/// The newest offline-mode commit in the corpus (dc68e8ce, 2026-08-05).
const SUBJECT: &str = "dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8";
/// Another offline-mode commit whose log entry we substitute.
const OTHER: &str = "a283a6f3a15bb0f4544c36f1a6329c78f1403d45";

pub(super) fn object(sha: &str) -> (Vec<u8>, Vec<u8>) {
    let o = corpus().into_iter().find(|o| o.sha == sha).unwrap();
    let s = object::split(Kind::Commit, &o.raw, HashKind::Sha1).unwrap();
    (s.payload, armor::decode(&s.signature).unwrap())
}

fn verify(payload: &[u8], der: &[u8], trust: &TrustRoot) -> Outcome {
    verify_detached(
        payload,
        armor::encode(der).as_bytes(),
        trust,
        &Context::default(),
    )
}

fn reason(o: &Outcome) -> Reason {
    match o {
        Outcome::Verified(_) => panic!("tampered signature verified"),
        Outcome::Rejected(r) => r.reason,
    }
}

pub(super) fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in signature")
}

pub(super) fn flip_at(der: &[u8], at: usize) -> Vec<u8> {
    let mut d = der.to_vec();
    d[at] ^= 0x01;
    d
}

pub(super) fn entry_of(der: &[u8]) -> LogEntry {
    let cms = decode::parse(der).unwrap();
    cms.signers[0].tlog_entry().unwrap().unwrap().0
}

#[test]
fn untouched_signature_verifies() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    assert!(matches!(
        verify(&payload, &der, &trust),
        Outcome::Verified(_)
    ));
}

#[test]
fn payload_byte() {
    let (mut payload, der) = object(SUBJECT);
    payload[10] ^= 1;
    let trust = TrustRoot::public_good().unwrap();
    let r = reason(&verify(&payload, &der, &trust));
    assert_eq!(r, Reason::MessageDigestMismatch);
    assert_eq!(r.class(), Class::Bad);
}

#[test]
fn each_signed_attribute() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    let cms = decode::parse(&der).unwrap();
    let signer = &cms.signers[0];
    let expected = [
        Reason::ContentTypeMismatch,   // contentType value OID changed
        Reason::SignatureInvalid,      // signingTime changed: no longer what was signed
        Reason::MessageDigestMismatch, // messageDigest changed
    ];
    assert_eq!(signer.signed_attrs.len(), 3);
    for (attr, want) in signer.signed_attrs.iter().zip(expected) {
        let value = &attr.values[0];
        // Flip the last byte of the attribute value, inside the signed attributes: the last
        // occurrence (id-data also appears earlier, as encapContentInfo's eContentType).
        let at = der
            .windows(value.len())
            .rposition(|w| w == value.as_slice())
            .unwrap()
            + value.len()
            - 1;
        let got = reason(&verify(&payload, &flip_at(&der, at), &trust));
        assert_eq!(got, want, "attribute {}", attr.oid);
    }
}

#[test]
fn signature_value() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    let sig = decode::parse(&der).unwrap().signers[0].signature.clone();
    // The last byte of s in the DER ECDSA signature.
    let at = find(&der, &sig) + sig.len() - 1;
    assert_eq!(
        reason(&verify(&payload, &flip_at(&der, at), &trust)),
        Reason::SignatureInvalid
    );
}

#[test]
fn certificate_byte() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    // Change the SAN email inside the certificate: the CA's signature no longer holds.
    let at = find(&der, b"billy@chainguard.dev");
    assert_eq!(
        reason(&verify(&payload, &flip_at(&der, at), &trust)),
        Reason::ChainUntrusted
    );
}

#[test]
fn signed_entry_timestamp() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    let set = entry_of(&der).signed_entry_timestamp.unwrap();
    let at = find(&der, &set) + set.len() - 2;
    let r = reason(&verify(&payload, &flip_at(&der, at), &trust));
    assert_eq!(r, Reason::SetInvalid);
}

#[test]
fn each_proof_hash_and_the_root() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    let proof = entry_of(&der).inclusion_proof.unwrap();
    assert!(!proof.hashes.is_empty());
    for h in &proof.hashes {
        let at = find(&der, h) + 5;
        assert_eq!(
            reason(&verify(&payload, &flip_at(&der, at), &trust)),
            Reason::InclusionProofInvalid
        );
    }
    let at = find(&der, &proof.root_hash) + 3;
    assert_eq!(
        reason(&verify(&payload, &flip_at(&der, at), &trust)),
        Reason::InclusionProofInvalid
    );
}

#[test]
fn checkpoint_text_and_signature() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    let note = entry_of(&der).inclusion_proof.unwrap().checkpoint.unwrap();
    let start = find(&der, note.as_bytes());
    // A byte of the origin line (signed text) and a byte of the signature's base64.
    for offset in [2, note.len() - 10] {
        let mut d = der.clone();
        d[start + offset] = if d[start + offset] == b'A' {
            b'B'
        } else {
            b'A'
        };
        assert_eq!(
            reason(&verify(&payload, &d, &trust)),
            Reason::CheckpointInvalid,
            "offset {offset}"
        );
    }
}

#[test]
fn substituted_log_entry() {
    let (payload, der) = object(SUBJECT);
    let (_, other) = object(OTHER);
    let trust = TrustRoot::public_good().unwrap();
    // Swap the whole 57264.3.1 attribute value for the other commit's (same length class:
    // re-encode the SignerInfo would be needed otherwise, so only swap when lengths agree).
    let mine = entry_of(&der).to_protobuf();
    let theirs = entry_of(&other).to_protobuf();
    let a = find(&der, &mine);
    let b = find(&other, &theirs);
    if mine.len() == theirs.len() {
        let mut d = der.clone();
        d[a..a + mine.len()].copy_from_slice(&other[b..b + theirs.len()]);
        let r = reason(&verify(&payload, &d, &trust));
        assert!(
            matches!(r, Reason::SetInvalid | Reason::TlogEntryMismatch),
            "{r:?}"
        );
    } else {
        // Lengths differ: substitute field by field (SET and proof) instead.
        let mut d = der.clone();
        let set_a = entry_of(&der).signed_entry_timestamp.unwrap();
        let set_b = entry_of(&other).signed_entry_timestamp.unwrap();
        let n = set_a.len().min(set_b.len());
        let at = find(&d, &set_a);
        d[at..at + n].copy_from_slice(&set_b[..n]);
        let r = reason(&verify(&payload, &d, &trust));
        assert!(
            matches!(r, Reason::SetInvalid | Reason::SignatureMalformed),
            "{r:?}"
        );
    }
}

#[test]
fn other_trust_root_rejects() {
    let (payload, der) = object(SUBJECT);
    let staging = TrustRoot::from_json(
        &std::fs::read(super::common::shared_dir().join("trust/staging-trusted_root.json"))
            .unwrap(),
        "staging",
    )
    .unwrap();
    let r = reason(&verify(&payload, &der, &staging));
    assert_eq!(r, Reason::ChainUntrusted);
}

#[test]
fn unknown_rekor_and_ct_keys() {
    let (payload, der) = object(SUBJECT);
    let mut trust = TrustRoot::public_good().unwrap();
    trust.ctlogs.clear();
    assert_eq!(reason(&verify(&payload, &der, &trust)), Reason::SctInvalid);
    let mut trust = TrustRoot::public_good().unwrap();
    trust.tlogs.clear();
    let r = reason(&verify(&payload, &der, &trust));
    assert_eq!(r, Reason::TlogUnknownLog);
    assert_eq!(r.class(), Class::CannotCheck);
}

#[test]
fn integrated_time_must_be_inside_the_trust_windows() {
    // A CA whose validity window ends before the signature was made is not trusted then.
    let (payload, der) = object(SUBJECT);
    let mut trust = TrustRoot::public_good().unwrap();
    for ca in &mut trust.certificate_authorities {
        ca.valid_for.end = Some(1_700_000_000);
    }
    assert_eq!(
        reason(&verify(&payload, &der, &trust)),
        Reason::ChainUntrusted
    );
}

#[test]
fn structural_rejections() {
    let trust = TrustRoot::public_good().unwrap();
    let (payload, der) = object(SUBJECT);
    let pem = |d: &[u8]| armor::encode(d);
    let run = |sig: &[u8]| reason(&verify_detached(&payload, sig, &trust, &Context::default()));
    // Not a signature at all (gitsign's help text appears in real history).
    assert_eq!(
        run(b"Usage:\n  gitsign [flags]\n"),
        Reason::SignatureMalformed
    );
    assert_eq!(
        run(b"-----BEGIN PGP SIGNATURE-----\nAA==\n-----END PGP SIGNATURE-----\n"),
        Reason::UnsupportedSignatureFormat
    );
    // Truncated DER.
    assert_eq!(
        run(pem(&der[..der.len() - 7]).as_bytes()),
        Reason::SignatureMalformed
    );
    // Empty certificate set: drop the certificates by pointing to a signature with none is
    // hard to synthesise; a wrong issuer serial has the same effect.
    let cms = decode::parse(&der).unwrap();
    if let decode::SignerId::IssuerAndSerial { serial, .. } = &cms.signers[0].sid {
        let at = der
            .windows(serial.len())
            .rposition(|w| w == serial.as_slice())
            .unwrap();
        assert_eq!(
            run(pem(&flip_at(&der, at + 1)).as_bytes()),
            Reason::CertificateMissing
        );
    }
}

// --- Structural and missing-evidence rejections, by DER surgery on the real signature. ---
// The CMS signature covers only the signed attributes, so SignerInfo's other fields and the
// unsigned attributes (where gitsign embeds the log entry) can be changed without touching it.

pub(super) use tlv::encode as wrap;

/// Rebuilds the ContentInfo after `f` edits the SignedData fields (raw TLVs).
pub(super) fn edit_signed_data(der: &[u8], f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let ci = tlv::read_only(der, 0x30).unwrap();
    let parts = tlv::children(ci.value).unwrap();
    let sd = tlv::read_only(parts[1].value, 0x30).unwrap();
    let mut fields: Vec<Vec<u8>> = tlv::children(sd.value)
        .unwrap()
        .iter()
        .map(|t| t.raw.to_vec())
        .collect();
    f(&mut fields);
    let content = wrap(0xa0, &wrap(0x30, &fields.concat()));
    wrap(0x30, &[parts[0].raw, &content].concat())
}

/// Rebuilds after `f` edits the single SignerInfo's fields.
pub(super) fn edit_signer(der: &[u8], f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    edit_signed_data(der, |fields| {
        let set = fields.last_mut().unwrap();
        let set_tlv = tlv::read_only(set, 0x31).unwrap();
        let signer = tlv::read_only(set_tlv.value, 0x30).unwrap();
        let mut sf: Vec<Vec<u8>> = tlv::children(signer.value)
            .unwrap()
            .iter()
            .map(|t| t.raw.to_vec())
            .collect();
        f(&mut sf);
        *set = wrap(0x31, &wrap(0x30, &sf.concat()));
    })
}

/// Replaces the unsigned attributes with one 57264.3.1 attribute holding `value` (DER).
pub(super) fn with_tlog_attribute(der: &[u8], value: Vec<u8>) -> Vec<u8> {
    let oid = der::Encode::to_der(&gitseal::oids::GITSIGN_TLOG_ENTRY).unwrap();
    let attr = wrap(0x30, &[oid, wrap(0x31, &value)].concat());
    edit_signer(der, |sf| {
        assert_eq!(
            sf.last().unwrap()[0],
            0xa1,
            "the signature has unsigned attributes"
        );
        *sf.last_mut().unwrap() = wrap(0xa1, &attr);
    })
}

#[test]
fn surgery_without_change_still_verifies() {
    // The helpers rebuild byte-identical DER, so every rejection below is the edit's doing.
    let (payload, der) = object(SUBJECT);
    assert_eq!(edit_signer(&der, |_| {}), der);
    let entry = entry_of(&der);
    let same = with_tlog_attribute(&der, wrap(0x04, &entry.to_protobuf()));
    let trust = TrustRoot::public_good().unwrap();
    assert!(matches!(
        verify(&payload, &same, &trust),
        Outcome::Verified(_)
    ));
}

#[test]
fn structure_the_verifier_refuses() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    let check = |d: &[u8], want: Reason| {
        let r = reason(&verify(&payload, d, &trust));
        assert_eq!(r, want);
        r.class()
    };
    // Two signers.
    let two = edit_signed_data(&der, |f| {
        let set = f.last().unwrap().clone();
        let si = tlv::read_only(&set, 0x31).unwrap().value.to_vec();
        *f.last_mut().unwrap() = wrap(0x31, &[si.clone(), si].concat());
    });
    assert_eq!(check(&two, Reason::MultipleSigners), Class::CannotCheck);
    // Content embedded (not detached).
    let attached = edit_signed_data(&der, |f| {
        let eci = tlv::read_only(&f[2], 0x30).unwrap();
        let oid = tlv::children(eci.value).unwrap()[0].raw.to_vec();
        f[2] = wrap(0x30, &[oid, wrap(0xa0, &wrap(0x04, &payload))].concat());
    });
    check(&attached, Reason::SignatureNotDetached);
    // SHA-384 as the SignerInfo digest algorithm (and, as RFC 5652 §5.1 requires, as the
    // one element of digestAlgorithms).
    let sha384_alg = vec![
        0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    ];
    let sha384 = edit_signer(&der, |sf| sf[2] = sha384_alg.clone());
    let sha384 = edit_signed_data(&sha384, |f| f[1] = wrap(0x31, &sha384_alg));
    check(&sha384, Reason::UnsupportedAlgorithm);
    // No signed attributes: nothing binds the signature to the payload.
    let bare = edit_signer(&der, |sf| {
        assert_eq!(sf[3][0], 0xa0);
        sf.remove(3);
    });
    assert_eq!(check(&bare, Reason::SignedAttributesMissing), Class::Bad);
}

#[test]
fn missing_or_broken_log_evidence() {
    let (payload, der) = object(SUBJECT);
    let trust = TrustRoot::public_good().unwrap();
    let run = |value: Vec<u8>| reason(&verify(&payload, &with_tlog_attribute(&der, value), &trust));
    // Not a protobuf at all.
    assert_eq!(
        run(wrap(0x04, &[0xff, 0xff, 0xff])),
        Reason::TlogEntryMalformed
    );
    // Not even an OCTET STRING.
    assert_eq!(run(vec![0x05, 0x00]), Reason::TlogEntryMalformed);
    let entry = entry_of(&der);
    let mut e = entry.clone();
    e.signed_entry_timestamp = None;
    assert_eq!(run(wrap(0x04, &e.to_protobuf())), Reason::SetMissing);
    let mut e = entry.clone();
    e.inclusion_proof = None;
    assert_eq!(
        run(wrap(0x04, &e.to_protobuf())),
        Reason::InclusionProofMissing
    );
    let mut e = entry.clone();
    e.inclusion_proof.as_mut().unwrap().checkpoint = None;
    assert_eq!(run(wrap(0x04, &e.to_protobuf())), Reason::CheckpointMissing);
    // A forged integrated time: the SET no longer covers it.
    let mut e = entry;
    e.integrated_time += 1;
    assert_eq!(run(wrap(0x04, &e.to_protobuf())), Reason::SetInvalid);
    for r in [
        Reason::SetMissing,
        Reason::InclusionProofMissing,
        Reason::CheckpointMissing,
    ] {
        assert_eq!(r.class(), Class::CannotCheck);
    }
}
