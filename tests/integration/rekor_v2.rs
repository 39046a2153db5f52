//! Rekor v2 end to end through the testbed: `gitsign.rekorVersion=2` signs to the tile log,
//! the embedded entry is hashedrekord 0.0.2 with an inclusion proof and a signed checkpoint,
//! with the RFC 3161 timestamp signing asks for it is a good signature, and without one `git
//! verify-commit` says ERRSIG `timestamp-missing`;
//! every broken piece of v2 evidence is BADSIG with its own reason, timestamp or not. The
//! tiles the testbed serves prove its checkpoints (read with `rekor::v2::tiles`), and
//! sigstore-python's own Rekor v2 code checks an entry's body, inclusion proof and checkpoint.
#![cfg(feature = "testbed")]

use super::common::{TestRepo, sigstore_python};
use super::signing::{Signing, signature_of, sigstore_python_verify};
use super::tamper::{entry_of, with_tlog_attribute, wrap};
use gitseal::armor;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::rekor::entry::LogEntry;
use gitseal::rekor::merkle::{leaf_hash, verify_inclusion};
use gitseal::rekor::v2::{note, tiles};
use gitseal::testbed::faults::{Endpoint, Fault};
use gitseal::testbed::{Testbed, TestbedConfig};
use gitseal::trust::TrustRoot;
use gitseal::verify::reason::{Class, Reason};
use gitseal::verify::{Context, Outcome, verify_detached};
use std::process::{Command, Output};
use std::time::Duration;

const EMAIL: &str = "vera@example.com";

type Setup = Signing;

fn setup() -> Setup {
    let s = Signing::start(TestbedConfig::default(), "Vera", EMAIL);
    to_v2(s.tb, s.repo)
}

/// `repo` signing to `tb`'s Rekor v2 log, with its TSA.
fn to_v2(tb: Testbed, repo: TestRepo) -> Setup {
    let mut vars = Signing::testbed_vars(&tb);
    vars.push(("GITSEAL_REKOR_VERSION".into(), "2".into()));
    // A v2 log records no time: signing to it needs a timestamp authority.
    vars.push(("GITSEAL_TIMESTAMP_SERVER_URL".into(), tb.tsa_url()));
    Signing { tb, repo, vars }
}

fn trust(s: &Setup) -> TrustRoot {
    TrustRoot::from_file(s.tb.trusted_root_path()).unwrap()
}

/// GET `path` of the testbed's Rekor (tiles, checkpoint): status and body.
fn get(s: &Setup, path: &str) -> (u16, Vec<u8>) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .new_agent();
    let mut resp = agent
        .get(format!("{}/{path}", s.tb.rekor_url()))
        .call()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_vec().unwrap())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn outcome(payload: &[u8], der: &[u8], trust: &TrustRoot) -> Outcome {
    verify_detached(
        payload,
        armor::encode(der).as_bytes(),
        trust,
        &Context::default(),
    )
}

fn reason(o: &Outcome) -> Reason {
    match o {
        Outcome::Verified(_) => panic!("verified without a trusted timestamp"),
        Outcome::Rejected(r) => r.reason,
    }
}

/// The signature with `entry` embedded instead of its own.
fn with_entry(der: &[u8], entry: &LogEntry) -> Vec<u8> {
    with_tlog_attribute(der, wrap(0x04, &entry.to_protobuf()))
}

#[test]
fn a_v2_signature_without_a_timestamp_is_errsig_timestamp_missing() {
    let s = setup();
    let out = s.commit("to the tile log", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!((s.tb.rekor_v2_tree_size(), s.tb.rekor_tree_size()), (1, 0));

    // What is embedded: the true label, proof and checkpoint, no promise, no time.
    let (payload, der) = signature_of(&s.repo, "HEAD");
    let entry = entry_of(&der);
    assert_eq!(
        (entry.kind.as_str(), entry.version.as_str()),
        ("hashedrekord", "0.0.2")
    );
    assert!(entry.signed_entry_timestamp.is_none());
    assert_eq!(entry.integrated_time, 0);
    assert_eq!(entry.log_id, s.tb.trust().rekor_v2_log_id);
    let cp = entry
        .inclusion_proof
        .as_ref()
        .unwrap()
        .checkpoint
        .clone()
        .unwrap();
    assert!(cp.starts_with("127.0.0.1\n1\n"), "{cp}");

    // With its RFC 3161 timestamp (signing to v2 asks the TSA): git says GOODSIG, and the
    // time of signing is the timestamp's genTime.
    let v = s.run("git", &["verify-commit", "--raw", "HEAD"], &[]);
    let text = stderr(&v);
    assert!(
        v.status.success() && text.contains("[GNUPG:] GOODSIG"),
        "{text}"
    );
    let v = s.run(
        env!("CARGO_BIN_EXE_gitseal"),
        &["verify", "--format", "json", "HEAD"],
        &[],
    );
    let json = String::from_utf8_lossy(&v.stdout).into_owned();
    assert!(v.status.success(), "{json}{}", stderr(&v));
    assert!(json.contains("\"gen_time\""), "{json}");
    let trust = trust(&s);
    assert!(matches!(
        outcome(&payload, &der, &trust),
        Outcome::Verified(_)
    ));

    // The same signature without its timestamp (gitsign's v2 output without a TSA; the
    // entry re-embedded alone): git says ERRSIG, never GOODSIG or BADSIG, and `gitseal
    // verify` names `timestamp-missing`.
    let bare = with_entry(&der, &entry);
    let o = outcome(&payload, &bare, &trust);
    assert_eq!(reason(&o), Reason::TimestampMissing);
    assert_eq!(Reason::TimestampMissing.class(), Class::CannotCheck);
    let raw = object::signed_object(
        Kind::Commit,
        &payload,
        armor::encode(&bare).as_bytes(),
        HashKind::Sha1,
    );
    let id = s.repo.write_object("commit", &raw);
    let v = s.run("git", &["verify-commit", "--raw", &id], &[]);
    let text = stderr(&v);
    assert!(!v.status.success(), "{text}");
    assert!(text.contains("[GNUPG:] ERRSIG"), "{text}");
    assert!(
        !text.contains("GOODSIG") && !text.contains("BADSIG"),
        "{text}"
    );
    let v = s.run(env!("CARGO_BIN_EXE_gitseal"), &["verify", &id], &[]);
    let text = format!("{}{}", String::from_utf8_lossy(&v.stdout), stderr(&v));
    assert!(!v.status.success(), "{text}");
    assert!(text.contains("timestamp-missing"), "{text}");

    // gitsign's v2 output (`toAttributes` of the v2 answer): labelled 0.0.1, with an empty
    // InclusionPromise message. Same evidence, same verdict.
    let mut relabelled = entry.clone();
    relabelled.version = "0.0.1".into();
    relabelled.signed_entry_timestamp = Some(Vec::new());
    let proto = relabelled.to_protobuf();
    assert!(proto.windows(2).any(|w| w == [0x2a, 0x00]), "empty promise");
    let d = with_entry(&der, &relabelled);
    assert_eq!(
        reason(&outcome(&payload, &d, &trust)),
        Reason::TimestampMissing
    );

    // Without the v2 log in the trust root: an unknown log (ERRSIG), not a good proof.
    let mut no_v2 = trust.clone();
    no_v2.tlogs.retain(|l| l.ed25519.is_none());
    assert_eq!(
        reason(&outcome(&payload, &der, &no_v2)),
        Reason::TlogUnknownLog
    );
}

#[test]
fn broken_v2_evidence_is_badsig_with_its_reason() {
    let s = setup();
    // Two entries, so the second's proof has a hash to break.
    assert!(s.commit("first", &[]).status.success());
    let out = s.commit("second", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (payload, der) = signature_of(&s.repo, "HEAD");
    let trust = trust(&s);
    let entry = entry_of(&der);
    let bad = |e: &LogEntry| reason(&outcome(&payload, &with_entry(&der, e), &trust));

    let mut e = entry.clone();
    e.inclusion_proof.as_mut().unwrap().hashes[0][7] ^= 1;
    assert_eq!(bad(&e), Reason::InclusionProofInvalid);
    // With gitsign's label too: the label carries no evidence.
    e.version = "0.0.1".into();
    assert_eq!(bad(&e), Reason::InclusionProofInvalid);

    let mut e = entry.clone();
    e.inclusion_proof.as_mut().unwrap().root_hash[0] ^= 1;
    assert_eq!(bad(&e), Reason::InclusionProofInvalid);

    let mut e = entry.clone();
    e.log_index = 0;
    assert_eq!(bad(&e), Reason::InclusionProofInvalid);

    // The checkpoint: a changed size, another log's (genuinely signed, its own origin and
    // key), this log's name under a key not in the trust root.
    let mut e = entry.clone();
    let p = e.inclusion_proof.as_mut().unwrap();
    p.checkpoint = p
        .checkpoint
        .as_ref()
        .map(|c| c.replacen("\n2\n", "\n3\n", 1));
    assert_eq!(bad(&e), Reason::CheckpointInvalid);
    for fault in [Fault::OtherLogCheckpoint, Fault::WrongCheckpointKey] {
        s.tb.faults()
            .once(Endpoint::RekorV2Checkpoint, fault)
            .unwrap();
        let (status, note_text) = get(&s, "checkpoint");
        assert_eq!(status, 200);
        let mut e = entry.clone();
        e.inclusion_proof.as_mut().unwrap().checkpoint =
            Some(String::from_utf8(note_text).unwrap());
        assert_eq!(bad(&e), Reason::CheckpointInvalid, "{fault:?}");
    }
    // The genuine latest checkpoint is the one embedded: control.
    let (_, genuine) = get(&s, "checkpoint");
    let mut e = entry.clone();
    e.inclusion_proof.as_mut().unwrap().checkpoint = Some(String::from_utf8(genuine).unwrap());
    assert_eq!(bad(&e), Reason::TimestampMissing);

    // No checkpoint, no proof: cannot be checked.
    let mut e = entry.clone();
    e.inclusion_proof.as_mut().unwrap().checkpoint = None;
    assert_eq!(bad(&e), Reason::CheckpointMissing);
    let mut e = entry.clone();
    e.inclusion_proof = None;
    assert_eq!(bad(&e), Reason::InclusionProofMissing);

    // Bad evidence in git: BADSIG, whatever the timestamp situation.
    let mut e = entry.clone();
    e.inclusion_proof.as_mut().unwrap().hashes[0][0] ^= 1;
    assert_eq!(bad(&e).class(), Class::Bad);
}

#[test]
fn signing_refuses_a_v2_log_answer_that_does_not_verify() {
    let s = setup();
    assert!(s.commit("a first entry", &[]).status.success());
    let before = s.repo.git_ok(&["rev-parse", "HEAD"]);
    for (fault, code) in [
        (Fault::WrongInclusionProof, "inclusion-proof-invalid"),
        (Fault::OtherLogCheckpoint, "checkpoint-invalid"),
        (Fault::WrongCheckpointKey, "checkpoint-invalid"),
    ] {
        s.tb.faults()
            .once(Endpoint::RekorV2CreateEntry, fault)
            .unwrap();
        let out = s.commit(&format!("refused {fault:?}"), &[]);
        let text = stderr(&out);
        assert!(!out.status.success(), "{fault:?} signed: {text}");
        assert!(text.contains(code), "{fault:?}: {text}");
        assert_eq!(s.repo.git_ok(&["rev-parse", "HEAD"]), before);
    }
    // Online mode stays Rekor v1: a configuration error (exit 2), before any login.
    let out = s.run(
        env!("CARGO_BIN_EXE_gitseal"),
        &["--status-fd=2", "-bsau", EMAIL],
        &[("GITSEAL_REKOR_MODE", "online")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rekorMode=offline"),
        "{}",
        stderr(&out)
    );
    let out = s.run(
        env!("CARGO_BIN_EXE_gitseal"),
        &["--status-fd=2", "-bsau", EMAIL],
        &[("GITSEAL_REKOR_VERSION", "3")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("GITSEAL_REKOR_VERSION"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tiles_prove_the_checkpoint_and_every_entry() {
    let s = setup();
    for i in 0..3 {
        assert!(s.commit(&format!("entry {i}"), &[]).status.success());
    }
    let trust = trust(&s);
    let log = trust.tlogs.iter().find(|l| l.ed25519.is_some()).unwrap();
    let (status, text) = get(&s, "checkpoint");
    assert_eq!(status, 200);
    let cp = note::verify_checkpoint(&String::from_utf8(text).unwrap(), log).unwrap();
    assert_eq!(cp.tree_size, 3);

    // The entry bundle holds the canonical bodies; their leaf hashes, read back from the
    // hash tiles, give the checkpoint's root and every audit path.
    let (status, bundle) = get(&s, &tiles::entries_path(0, 3));
    assert_eq!(status, 200);
    let bodies = tiles::split_entry_bundle(&bundle).unwrap();
    assert_eq!(bodies.len(), 3);
    let fetch = |p: &str| {
        let (status, b) = get(&s, p);
        (status == 200).then_some(b)
    };
    let mut reader = tiles::TileReader::new(cp.tree_size, fetch);
    assert_eq!(reader.root().unwrap(), cp.root_hash);
    for (m, body) in bodies.iter().enumerate() {
        let path = reader.inclusion_proof(m as u64).unwrap();
        verify_inclusion(&leaf_hash(body), m as u64, 3, &path, &cp.root_hash).unwrap();
    }
    // The same under the API prefix; a full tile that does not exist yet is 404.
    assert_eq!(get(&s, "api/v2/tile/0/000.p/3").0, 200);
    assert_eq!(get(&s, "tile/0/000").0, 404);
    assert_eq!(get(&s, "tile/0/000.p/4").0, 404);
    assert_eq!(get(&s, "tile/0/x000/000.p/3").0, 404);

    // An independent reader: Python's `cryptography` and `hashlib` only, from the specs.
    let python = sigstore_python().parent().unwrap().join("python");
    let script = r#"import sys, base64, hashlib, urllib.request
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
base, spki, origin = sys.argv[1], base64.b64decode(sys.argv[2]), sys.argv[3]
get = lambda p: urllib.request.urlopen(base + "/" + p, timeout=20).read()
note = get("checkpoint").decode()
text, sigs = note.split("\n\n", 1)
text += "\n"
lines = text.split("\n")
assert lines[0] == origin, lines[0]
size, root = int(lines[1]), base64.b64decode(lines[2])
name, sig = sigs[len("\u2014 "):].rstrip("\n").split(" ")
assert name == origin
raw = base64.b64decode(sig)
key = spki[-32:]
kid = hashlib.sha256(origin.encode() + b"\n\x01" + key).digest()
assert raw[:4] == kid[:4], "key hint"
Ed25519PublicKey.from_public_bytes(key).verify(raw[4:], text.encode())
tile = get("tile/0/000.p/%d" % size)
leaves = [tile[i:i + 32] for i in range(0, len(tile), 32)]
bundle = get("tile/entries/000.p/%d" % size)
i = 0
for leaf in leaves:
    n = int.from_bytes(bundle[i:i + 2], "big")
    assert hashlib.sha256(b"\0" + bundle[i + 2:i + 2 + n]).digest() == leaf
    i += 2 + n
assert i == len(bundle)
def mth(h):
    if len(h) == 1:
        return h[0]
    k = 1
    while k * 2 < len(h):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(h[:k]) + mth(h[k:])).digest()
assert mth(leaves) == root, "root"
print("tiles ok")
"#;
    let python_reads_tiles = || {
        let out = Command::new(&python)
            .arg("-c")
            .arg(script)
            .arg(s.tb.rekor_url())
            .arg(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &s.tb.trust().rekor_v2_public_key_der,
            ))
            .arg(&s.tb.trust().rekor_v2_origin)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).contains("tiles ok"),
            stderr(&out),
        )
    };
    let (ok, text) = python_reads_tiles();
    assert!(ok, "{text}");

    // A corrupted tile gives another root: a client reading tiles notices.
    s.tb.faults()
        .set(Endpoint::RekorV2Tile, Fault::CorruptTile)
        .unwrap();
    let mut reader = tiles::TileReader::new(cp.tree_size, fetch);
    assert_ne!(reader.root().unwrap(), cp.root_hash);
    let (ok, text) = python_reads_tiles();
    assert!(!ok && text.contains("AssertionError"), "{text}");
    s.tb.faults().clear(Endpoint::RekorV2Tile);
}

/// sigstore-python's own code (its Rekor v2 entry-body rebuild, Merkle inclusion and signed
/// checkpoint checks, with the testbed's trust root) accepts the entry gitseal embedded, and
/// rejects it with one proof hash changed.
#[test]
fn sigstore_python_checks_the_v2_entry() {
    let python = sigstore_python().parent().unwrap().join("python");
    let s = setup();
    assert!(s.commit("one", &[]).status.success());
    assert!(s.commit("two", &[]).status.success());
    let (_, der) = signature_of(&s.repo, "HEAD");
    let entry = entry_of(&der);
    let cms = gitseal::cms::decode::parse(&der).unwrap();
    let signer = &cms.signers[0];
    let artifact = signer.signed_attrs_der.clone().unwrap();
    let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&artifact).into();
    let leaf = cms
        .certificates
        .iter()
        .find(|c| gitseal::x509::Cert::from_der(c).is_ok())
        .unwrap()
        .clone();
    let body = gitseal::rekor::v2::entry::hashedrekord_v002_body(
        &digest,
        &signer.signature,
        &leaf,
        gitseal::rekor::v2::entry::KEY_DETAILS_P256,
    );
    let work = tempfile::tempdir().unwrap();
    let write = |name: &str, e: &LogEntry| {
        let b =
            gitseal::bundle::message_signature_bundle(&leaf, e, &body, &digest, &signer.signature);
        let path = work.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(&b).unwrap()).unwrap();
        path
    };
    let good = write("good.json", &entry);
    let mut tampered = entry.clone();
    tampered.inclusion_proof.as_mut().unwrap().hashes[0][3] ^= 1;
    let bad = write("bad.json", &tampered);
    let artifact_path = work.path().join("artifact");
    std::fs::write(&artifact_path, &artifact).unwrap();
    // sigstore-python's Bundle refuses an entry with no promise unless it carries RFC 3161
    // timestamps, so its TransparencyLogEntry is built directly from the bundle's tlog entry,
    // and its body rebuild is `_validate_hashedrekord_v002_entry_body`'s, step by step.
    let script = r#"
import sys, json, base64, hashlib
from cryptography import x509
from sigstore.models import ClientTrustConfig, TransparencyLogEntry
from sigstore._internal.trust import KeyringPurpose
from sigstore.verify.verifier import _v2_verifier_from_certificate
from sigstore_models.rekor.v1 import TransparencyLogEntry as Inner
from sigstore_models.rekor import v2
from sigstore_models.common import v1
config = ClientTrustConfig.from_json(open(sys.argv[1]).read())
b = json.load(open(sys.argv[2]))
entry = TransparencyLogEntry(Inner.from_dict(b["verificationMaterial"]["tlogEntries"][0]))
assert entry._inner.kind_version.version == "0.0.2"
assert entry._inner.inclusion_promise is None
entry._verify(config.trusted_root.rekor_keyring(KeyringPurpose.VERIFY))
cert = x509.load_der_x509_certificate(base64.b64decode(b["verificationMaterial"]["certificate"]["rawBytes"]))
digest = hashlib.sha256(open(sys.argv[3], "rb").read()).digest()
expected = v2.entry.Entry(
    kind="hashedrekord", api_version="0.0.2",
    spec=v2.entry.Spec(hashed_rekord_v002=v2.hashedrekord.HashedRekordLogEntryV002(
        data=v1.HashOutput(algorithm=v1.HashAlgorithm.SHA2_256, digest=base64.b64encode(digest)),
        signature=v2.verifier.Signature(
            content=base64.b64encode(base64.b64decode(b["messageSignature"]["signature"])),
            verifier=_v2_verifier_from_certificate(cert)))))
assert expected == v2.entry.Entry.from_json(entry._inner.canonicalized_body), "body differs"
print("entry ok")
"#;
    let run = |bundle: &std::path::Path| {
        Command::new(&python)
            .arg("-c")
            .arg(script)
            .arg(s.tb.client_trust_config_path())
            .arg(bundle)
            .arg(&artifact_path)
            .output()
            .unwrap()
    };
    let ok = run(&good);
    assert!(
        ok.status.success() && String::from_utf8_lossy(&ok.stdout).contains("entry ok"),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        stderr(&ok)
    );
    let rejected = run(&bad);
    assert!(
        !rejected.status.success(),
        "sigstore-python accepted a wrong proof"
    );
    assert!(
        stderr(&rejected).contains("inclusion") || stderr(&rejected).contains("root"),
        "{}",
        stderr(&rejected)
    );
}

/// The v2 log is kept on disk: a testbed restarted on its directory has the same key (log id)
/// and the same entries, and its checkpoint still proves the old entry's tiles.
#[test]
fn the_v2_log_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = || TestbedConfig {
        dir: Some(dir.path().to_path_buf()),
        identity: EMAIL.into(),
        ..TestbedConfig::default()
    };
    let repo = TestRepo::new();
    repo.git_ok(&["config", "user.name", "Vera"]);
    repo.git_ok(&["config", "user.email", EMAIL]);
    let first = to_v2(Testbed::start(config()).unwrap(), repo);
    assert!(first.commit("kept", &[]).status.success());
    let log_id = first.tb.trust().rekor_v2_log_id;
    let Signing { tb, repo, .. } = first;
    drop(tb);
    let again = to_v2(Testbed::start(config()).unwrap(), repo);
    assert_eq!(again.tb.trust().rekor_v2_log_id, log_id);
    assert_eq!(again.tb.rekor_v2_tree_size(), 1);
    let trust = trust(&again);
    let (payload, der) = signature_of(&again.repo, "HEAD");
    // The restarted log's key and the restarted TSA's chain are the ones it signed with.
    assert!(matches!(
        outcome(&payload, &der, &trust),
        Outcome::Verified(_)
    ));
    assert!(again.commit("appended", &[]).status.success());
    assert_eq!(again.tb.rekor_v2_tree_size(), 2);
}

/// Issue 15's independent proof: a commit signed to the Rekor v2 log with its RFC 3161
/// timestamp, exported by `gitseal bundle` as a v0.3 bundle (the v2 entry: kind version
/// 0.0.2, proof and checkpoint, no promise, no time; the token in `rfc3161Timestamps`), is
/// accepted by sigstore-python's `verify identity --offline` with the testbed's trust config,
/// whose only source of time for a v2 entry is that timestamp; a changed artifact is refused.
#[test]
fn sigstore_python_verifies_the_v2_bundle_with_its_timestamp() {
    let s = setup();
    let out = s.commit("bundled", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = s.repo.path();
    let out = s.run(
        env!("CARGO_BIN_EXE_gitseal"),
        &[
            "bundle",
            "HEAD",
            "--bundle",
            "b.sigstore.json",
            "--artifact",
            "artifact",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("b.sigstore.json")).unwrap()).unwrap();
    let vm = &bundle["verificationMaterial"];
    let tle = &vm["tlogEntries"][0];
    assert_eq!(tle["kindVersion"]["version"], "0.0.2", "{bundle}");
    assert!(tle.get("inclusionPromise").is_none(), "{bundle}");
    assert!(
        tle["inclusionProof"]["checkpoint"]["envelope"].is_string(),
        "{bundle}"
    );
    assert!(
        vm["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"].is_string(),
        "{bundle}"
    );
    let verify = || {
        sigstore_python_verify(
            dir,
            s.tb.client_trust_config_path(),
            EMAIL,
            &s.tb.issuer_url(),
        )
    };
    let good = verify();
    assert!(
        good.status.success(),
        "{}{}",
        String::from_utf8_lossy(&good.stdout),
        stderr(&good)
    );
    let mut artifact = std::fs::read(dir.join("artifact")).unwrap();
    let last = artifact.len() - 1;
    artifact[last] ^= 1;
    std::fs::write(dir.join("artifact"), artifact).unwrap();
    assert!(
        !verify().status.success(),
        "sigstore-python accepted a changed artifact"
    );
}
