//! Malleability: fields of a signature that nothing signs (issue 11, item 5).
//!
//! The ECDSA signature of a gitsign CMS covers only its signed attributes; the embedded Rekor
//! entry covers those, the signature value and the leaf; the checkpoint signature covers the
//! note text. Every other byte — SignedData and SignerInfo versions, `digestAlgorithms`,
//! algorithm parameters, the certificate set, the CRL slot, unsigned attributes, the protobuf
//! encoding of the entry, the checkpoint's signature line, the PEM armor — can be changed by
//! anyone holding a signed commit. Each change gives a *different commit id* carrying a
//! signature that the old gitseal still called good (`G`): not a forgery, but a way to mint
//! look-alike commits that verify. Each test below applies one such change to a real
//! offline-mode gitsign commit from the corpus (dc68e8ce), writes the re-signed commit into a
//! repository, and runs the real binary through `git verify-commit`: the commit id differs,
//! and the verdict must be "not good" with a stable reason code. The first test proves the
//! harness itself keeps an untouched signature good, so each rejection is its edit's doing.
//!
//! That no real gitsign signature is refused by the strict rules is `corpus::whole_corpus`
//! (all 290 objects keep their outcome) and `git_verify::every_offline_corpus_object_...`.

use super::super::common::{TestRepo, corpus};
use gitseal::armor;
use gitseal::cms::decode;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::tlv;

/// The newest offline-mode commit in the corpus (dc68e8ce, 2026-08-05).
const SUBJECT: &str = "dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8";
/// Another offline-mode commit, whose leaf certificate is a stranger to SUBJECT.
const OTHER: &str = "a283a6f3a15bb0f4544c36f1a6329c78f1403d45";

/// Payload and signature DER of a corpus commit.
fn object(sha: &str) -> (Vec<u8>, Vec<u8>) {
    let o = corpus().into_iter().find(|o| o.sha == sha).unwrap();
    let s = object::split(Kind::Commit, &o.raw, HashKind::Sha1).unwrap();
    (s.payload, armor::decode(&s.signature).unwrap())
}

/// What git and gitseal say about SUBJECT's payload carrying `armored` as its signature.
struct Verdict {
    id: String,
    ok: bool,
    status: String,
    human: String,
}

fn verdict_armored(armored: &[u8]) -> Verdict {
    let (payload, _) = object(SUBJECT);
    let raw = object::signed_object(Kind::Commit, &payload, armored, HashKind::Sha1);
    let repo = TestRepo::new();
    // Offline-mode signatures need no network; make sure none is ever tried.
    repo.git_ok(&["config", "gitseal.offline", "true"]);
    let id = repo.write_object("commit", &raw);
    let out = repo.git(&["verify-commit", "--raw", &id]);
    let human = repo.git(&["verify-commit", &id]);
    Verdict {
        id,
        ok: out.status.success(),
        status: String::from_utf8_lossy(&out.stderr).into_owned(),
        human: String::from_utf8_lossy(&human.stderr).into_owned(),
    }
}

fn verdict(der: &[u8]) -> Verdict {
    verdict_armored(armor::encode(der).as_bytes())
}

/// The edit gives another commit id, and git hears "not good" for the stated reason.
fn assert_refused(v: &Verdict, code: &str, gpg_status: &str) {
    assert_ne!(v.id, SUBJECT, "the edit must change the commit id");
    assert!(!v.ok, "{}: accepted: {}", v.id, v.status);
    assert!(!v.status.contains("GOODSIG"), "{}", v.status);
    assert!(
        v.status.contains(&format!("[GNUPG:] {gpg_status} ")),
        "{}",
        v.status
    );
    assert!(
        v.human.contains(&format!("[{code}]")),
        "want [{code}]: {}",
        v.human
    );
}

use tlv::encode as wrap;

fn raw_children(contents: &[u8]) -> Vec<Vec<u8>> {
    tlv::children(contents)
        .unwrap()
        .iter()
        .map(|t| t.raw.to_vec())
        .collect()
}

/// Rebuilds the ContentInfo after `f` edits the SignedData fields and `g` the single
/// SignerInfo's fields (raw TLVs; lengths are recomputed, everything else is kept).
fn edit(
    der: &[u8],
    f: impl FnOnce(&mut Vec<Vec<u8>>),
    g: impl FnOnce(&mut Vec<Vec<u8>>),
) -> Vec<u8> {
    let ci = tlv::read_only(der, 0x30).unwrap();
    let parts = tlv::children(ci.value).unwrap();
    let sd = tlv::read_only(parts[1].value, 0x30).unwrap();
    let mut fields = raw_children(sd.value);
    f(&mut fields);
    let set = fields.last_mut().unwrap();
    let signer = tlv::read_only(tlv::read_only(set, 0x31).unwrap().value, 0x30).unwrap();
    let mut sf = raw_children(signer.value);
    g(&mut sf);
    *set = wrap(0x31, &wrap(0x30, &sf.concat()));
    let content = wrap(0xa0, &wrap(0x30, &fields.concat()));
    wrap(0x30, &[parts[0].raw, &content].concat())
}

fn edit_signed_data(der: &[u8], f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    edit(der, f, |_| {})
}

fn edit_signer(der: &[u8], g: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    edit(der, |_| {}, g)
}

/// SignedData field indexes in gitsign's layout (compat §2.2).
const SD_VERSION: usize = 0;
const SD_DIGEST_ALGORITHMS: usize = 1;
const SD_CERTIFICATES: usize = 3;
/// SignerInfo field indexes.
const SI_VERSION: usize = 0;
const SI_SID: usize = 1;
const SI_DIGEST_ALGORITHM: usize = 2;
const SI_SIGNATURE_ALGORITHM: usize = 4;

const SHA256: &[u8] = &[
    0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];
const SHA256_NULL: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
];
const SHA384: &[u8] = &[
    0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
];

/// Replaces the embedded log entry's checkpoint note with `f(note)`, re-encoding the entry
/// exactly as gitsign does (so only the note differs).
fn with_checkpoint(der: &[u8], f: impl FnOnce(&str) -> String) -> Vec<u8> {
    let cms = decode::parse(der).unwrap();
    let (mut entry, _) = cms.signers[0].tlog_entry().unwrap().unwrap();
    let proof = entry.inclusion_proof.as_mut().unwrap();
    let note = proof.checkpoint.take().unwrap();
    proof.checkpoint = Some(f(&note));
    with_unsigned(der, &[tlog_attribute(&entry.to_protobuf())])
}

/// Attribute 1.3.6.1.4.1.57264.3.1 holding `protobuf`.
fn tlog_attribute(protobuf: &[u8]) -> Vec<u8> {
    let oid = der::Encode::to_der(&gitseal::oids::GITSIGN_TLOG_ENTRY).unwrap();
    wrap(0x30, &[oid, wrap(0x31, &wrap(0x04, protobuf))].concat())
}

/// Replaces the unsigned attributes with `attrs` (each a full Attribute TLV, kept in order).
fn with_unsigned(der: &[u8], attrs: &[Vec<u8>]) -> Vec<u8> {
    edit_signer(der, |sf| {
        assert_eq!(
            sf.last().unwrap()[0],
            0xa1,
            "offline mode: unsigned attributes"
        );
        *sf.last_mut().unwrap() = wrap(0xa1, &attrs.concat());
    })
}

fn tlog_attribute_of(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    edit_signer(der, |sf| {
        let u = tlv::read_only(sf.last().unwrap(), 0xa1).unwrap();
        out = raw_children(u.value).remove(0);
    });
    out
}

#[test]
fn untouched_reassembly_verifies() {
    let (_, der) = object(SUBJECT);
    // Rebuilding with no edit is byte-identical, through git it is the corpus commit, good.
    assert_eq!(edit(&der, |_| {}, |_| {}), der);
    assert_eq!(with_unsigned(&der, &[tlog_attribute_of(&der)]), der);
    assert_eq!(with_checkpoint(&der, str::to_owned), der);
    let v = verdict(&der);
    assert_eq!(v.id, SUBJECT);
    assert!(
        v.ok && v.status.contains("[GNUPG:] GOODSIG "),
        "{}",
        v.status
    );
}

#[test]
fn digest_algorithms_with_an_extra_element() {
    let (_, der) = object(SUBJECT);
    let d = edit_signed_data(&der, |f| {
        f[SD_DIGEST_ALGORITHMS] = wrap(0x31, &[SHA256, SHA384].concat());
    });
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn digest_algorithms_naming_another_algorithm() {
    let (_, der) = object(SUBJECT);
    let d = edit_signed_data(&der, |f| f[SD_DIGEST_ALGORITHMS] = wrap(0x31, SHA384));
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn digest_algorithms_with_null_parameters() {
    let (_, der) = object(SUBJECT);
    let d = edit_signed_data(&der, |f| f[SD_DIGEST_ALGORITHMS] = wrap(0x31, SHA256_NULL));
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn digest_algorithms_empty() {
    let (_, der) = object(SUBJECT);
    let d = edit_signed_data(&der, |f| f[SD_DIGEST_ALGORITHMS] = vec![0x31, 0x00]);
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn signer_digest_algorithm_with_null_parameters() {
    // NULL parameters in the SignerInfo and, consistently, in digestAlgorithms.
    let (_, der) = object(SUBJECT);
    let d = edit(
        &der,
        |f| f[SD_DIGEST_ALGORITHMS] = wrap(0x31, SHA256_NULL),
        |sf| sf[SI_DIGEST_ALGORITHM] = SHA256_NULL.to_vec(),
    );
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn signature_algorithm_with_null_parameters() {
    let (_, der) = object(SUBJECT);
    let d = edit_signer(&der, |sf| {
        let alg = tlv::read_only(&sf[SI_SIGNATURE_ALGORITHM], 0x30).unwrap();
        sf[SI_SIGNATURE_ALGORITHM] = wrap(0x30, &[alg.value, &[0x05, 0x00]].concat());
    });
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn signer_info_version() {
    let (_, der) = object(SUBJECT);
    for v in [0u8, 2, 3] {
        let d = edit_signer(&der, |sf| sf[SI_VERSION] = vec![0x02, 0x01, v]);
        assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
    }
}

#[test]
fn signed_data_version() {
    let (_, der) = object(SUBJECT);
    for v in [0u8, 2, 3, 4, 5] {
        let d = edit_signed_data(&der, |f| f[SD_VERSION] = vec![0x02, 0x01, v]);
        assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
    }
}

#[test]
fn signer_named_by_subject_key_identifier() {
    // The RFC-consistent SKI form (SignerInfo and SignedData version 3) names the same leaf:
    // the old verifier found it and said good.
    let (_, der) = object(SUBJECT);
    let leaf =
        gitseal::x509::Cert::from_der(&decode::parse(&der).unwrap().certificates[0]).unwrap();
    let (_, ext) = leaf
        .extensions(const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .into_iter()
        .next()
        .unwrap();
    let ski = tlv::read_only(ext, 0x04).unwrap().value.to_vec();
    let d = edit(
        &der,
        |f| f[SD_VERSION] = vec![0x02, 0x01, 3],
        |sf| {
            sf[SI_VERSION] = vec![0x02, 0x01, 3];
            sf[SI_SID] = wrap(0x80, &ski);
        },
    );
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn revocation_information_added() {
    let (_, der) = object(SUBJECT);
    let d = edit_signed_data(&der, |f| {
        let at = f.len() - 1;
        f.insert(at, vec![0xa1, 0x00]);
    });
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn certificate_repeated() {
    let (_, der) = object(SUBJECT);
    let d = edit_signed_data(&der, |f| {
        let leaf = tlv::read_only(&f[SD_CERTIFICATES], 0xa0)
            .unwrap()
            .value
            .to_vec();
        f[SD_CERTIFICATES] = wrap(0xa0, &[leaf.clone(), leaf].concat());
    });
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn foreign_certificate_added() {
    // Another signer's (valid, Fulcio-issued) leaf beside ours, in DER SET OF order.
    let (_, der) = object(SUBJECT);
    let (_, other) = object(OTHER);
    let stranger = decode::parse(&other).unwrap().certificates.remove(0);
    let d = edit_signed_data(&der, |f| {
        let leaf = tlv::read_only(&f[SD_CERTIFICATES], 0xa0)
            .unwrap()
            .value
            .to_vec();
        let mut certs = [leaf, stranger];
        certs.sort();
        f[SD_CERTIFICATES] = wrap(0xa0, &certs.concat());
    });
    assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
}

#[test]
fn unsigned_attribute_added() {
    // An attribute nobody verifies, and something in the RFC 3161 timestamp token slot that
    // is no token (a NULL), each placed in DER order beside the log entry. (A token-shaped
    // value is accepted, as gitsign writes one with a TSA: `cms::decode`.)
    let (_, der) = object(SUBJECT);
    let tlog = tlog_attribute_of(&der);
    for oid in ["2.5.4.3", "1.2.840.113549.1.9.16.2.14"] {
        let oid = const_oid::ObjectIdentifier::new_unwrap(oid);
        let attr = wrap(
            0x30,
            &[wrap(0x06, oid.as_bytes()), wrap(0x31, &[0x05, 0x00])].concat(),
        );
        let mut attrs = [attr, tlog.clone()];
        attrs.sort();
        let d = with_unsigned(&der, &attrs);
        assert_refused(&verdict(&d), "signature-malformed", "ERRSIG");
    }
}

#[test]
fn log_entry_protobuf_reencoded() {
    // The same entry with an unknown protobuf field appended: every protobuf decoder skips it.
    let (_, der) = object(SUBJECT);
    let entry = decode::parse(&der).unwrap().signers[0]
        .tlog_entry()
        .unwrap()
        .unwrap()
        .0;
    let mut pb = entry.to_protobuf();
    pb.extend_from_slice(&[0x78, 0x01]);
    let d = with_unsigned(&der, &[tlog_attribute(&pb)]);
    assert_refused(&verdict(&d), "tlog-entry-malformed", "BADSIG");
}

#[test]
fn checkpoint_key_name() {
    // The signature line's name is not signed; Rekor signs as the origin's log name.
    let (_, der) = object(SUBJECT);
    for name in ["rekor.sigstore.dew", "sigstore", "rekor.sigstore.dev.", "x"] {
        let d = with_checkpoint(&der, |note| {
            assert!(note.contains("\n\u{2014} rekor.sigstore.dev "));
            note.replace(
                "\n\u{2014} rekor.sigstore.dev ",
                &format!("\n\u{2014} {name} "),
            )
        });
        assert_refused(&verdict(&d), "checkpoint-invalid", "BADSIG");
    }
}

#[test]
fn checkpoint_signature_line_repeated() {
    let (_, der) = object(SUBJECT);
    let d = with_checkpoint(&der, |note| {
        let line = note.rsplit_once("\n\n").unwrap().1;
        format!("{note}{line}")
    });
    assert_refused(&verdict(&d), "checkpoint-invalid", "BADSIG");
}

#[test]
fn checkpoint_without_final_newline() {
    let (_, der) = object(SUBJECT);
    let d = with_checkpoint(&der, |note| note.strip_suffix('\n').unwrap().to_owned());
    assert_refused(&verdict(&d), "checkpoint-invalid", "BADSIG");
}

#[test]
fn armor_line_length() {
    // The same DER in 76-column lines (MIME's width) instead of Go's 64.
    let (_, der) = object(SUBJECT);
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let text = format!(
        "-----BEGIN SIGNED MESSAGE-----\n{}\n-----END SIGNED MESSAGE-----\n",
        lines.join("\n")
    );
    assert_refused(
        &verdict_armored(text.as_bytes()),
        "signature-malformed",
        "ERRSIG",
    );
}

#[test]
fn armor_with_crlf_line_ends() {
    let (_, der) = object(SUBJECT);
    let text = armor::encode(&der).replace('\n', "\r\n");
    assert_refused(
        &verdict_armored(text.as_bytes()),
        "signature-malformed",
        "ERRSIG",
    );
}
