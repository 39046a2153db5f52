//! RFC 3161 timestamps end to end (issue 15): real `git commit -S` with gitseal as
//! `gpg.x509.program` against the testbed, whose TSA the testbed's `DIR/env` names
//! (`GITSEAL_TIMESTAMP_SERVER_URL`); `git verify-commit` and `gitseal verify` with both times
//! checked; every TSA fault failing signing with one clear line; tokens tampered with or from
//! elsewhere after signing giving `BADSIG` `timestamp-invalid`; and independent verifiers
//! (sigstore-python on the exported bundle, `openssl ts -verify` on the token).
#![cfg(feature = "testbed")]

use super::common::TestRepo;
use super::signing::{Signing, signature_of, sigstore_python_verify};
use gitseal::cms::decode;
use gitseal::git::object::{HashKind, Kind, signed_object};
use gitseal::oids;
use gitseal::testbed::faults::{Endpoint, Fault};
use gitseal::testbed::{Testbed, TestbedConfig};
use std::process::{Command, Output};

const EMAIL: &str = "alice@example.com";

type Setup = Signing;

fn setup() -> Setup {
    let mut s = Signing::start(TestbedConfig::default(), "Alice", EMAIL);
    s.vars = dir_env(&s.tb);
    s
}

/// Exactly the variables of the testbed's `DIR/env` file, plus no retries.
fn dir_env(tb: &Testbed) -> Vec<(String, String)> {
    let path = tb.write_env_file(&Signing::opener()).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let mut vars: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.trim_matches('\'').to_string())
        })
        .collect();
    vars.push(("GITSEAL_HTTP_RETRIES".into(), "0".into()));
    vars
}

/// (status line word, `[reason]` text) git hears for `rev`.
fn verify(s: &Setup, rev: &str) -> (Option<&'static str>, String) {
    let raw = s.run("git", &["verify-commit", "--raw", rev], &[]);
    let status = String::from_utf8_lossy(&raw.stderr).into_owned();
    let word = ["GOODSIG", "BADSIG", "ERRSIG"]
        .into_iter()
        .find(|w| status.contains(&format!("[GNUPG:] {w} ")));
    let human = s.run("git", &["verify-commit", rev], &[]);
    (word, String::from_utf8_lossy(&human.stderr).into_owned())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The timestamp token the signature of `rev` carries.
fn token_of(repo: &TestRepo, rev: &str) -> Vec<u8> {
    let (_, der) = signature_of(repo, rev);
    let cms = decode::parse(&der).unwrap();
    let attr = cms.signers[0]
        .unsigned_attrs
        .iter()
        .find(|a| a.oid == oids::TIMESTAMP_TOKEN)
        .expect("a timestamp attribute");
    attr.values[0].clone()
}

/// Commit `rev` again with its timestamp token replaced by `token` (through the `cms` types:
/// the attribute set stays in DER order); returns the new commit id.
fn with_token(repo: &TestRepo, rev: &str, token: &[u8]) -> String {
    use der::{Decode as _, Encode as _};
    let (payload, der) = signature_of(repo, rev);
    let ci = cms::content_info::ContentInfo::from_der(&der).unwrap();
    let mut sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    let mut infos = sd.signer_infos.0.clone().into_vec();
    let mut attrs: Vec<x509_cert::attr::Attribute> = infos[0]
        .unsigned_attrs
        .take()
        .unwrap()
        .into_vec()
        .into_iter()
        .filter(|a| a.oid != oids::TIMESTAMP_TOKEN)
        .collect();
    let mut values = der::asn1::SetOfVec::new();
    values
        .insert(der::asn1::Any::from_der(token).unwrap())
        .unwrap();
    attrs.push(x509_cert::attr::Attribute {
        oid: oids::TIMESTAMP_TOKEN,
        values,
    });
    infos[0].unsigned_attrs = Some(der::asn1::SetOfVec::try_from(attrs).unwrap());
    sd.signer_infos = cms::signed_data::SignerInfos::try_from(infos).unwrap();
    let ci = cms::content_info::ContentInfo {
        content_type: ci.content_type,
        content: der::asn1::Any::encode_from(&sd).unwrap(),
    };
    let armored = gitseal::armor::encode(&ci.to_der().unwrap());
    let raw = signed_object(Kind::Commit, &payload, armored.as_bytes(), HashKind::Sha1);
    repo.write_object("commit", &raw)
}

#[test]
fn a_timestamped_commit_verifies_with_both_times() {
    let s = setup();
    let log = s.repo.path().join("sign.log");
    s.repo
        .git_ok(&["config", "gitsign.logPath", log.to_str().unwrap()]);
    let o = s.commit("timestamped", &[]);
    assert!(o.status.success(), "{}", text(&o));
    // The signing terminal (and its log) says who timestamped it.
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains(&format!("timestamped by {} at genTime", s.tb.tsa_url())),
        "{said}"
    );
    let head = s.head().unwrap();
    let (word, human) = verify(&s, &head);
    assert_eq!(word, Some("GOODSIG"), "{human}");
    // Both attributes, DER-sorted: the Rekor entry (…57264.3.1) after the token (…9.16.2.14)
    // only if its encoding sorts later; whatever the order, the decoder accepted it as DER.
    let (_, der) = signature_of(&s.repo, &head);
    let cms = decode::parse(&der).unwrap();
    let oids: Vec<_> = cms.signers[0]
        .unsigned_attrs
        .iter()
        .map(|a| a.oid.to_string())
        .collect();
    assert_eq!(oids.len(), 2, "{oids:?}");
    assert!(oids.contains(&"1.2.840.113549.1.9.16.2.14".to_string()));
    assert!(oids.contains(&"1.3.6.1.4.1.57264.3.1".to_string()));

    let v = s.gitseal_verify("verify", "HEAD", EMAIL);
    let out = text(&v);
    assert!(v.status.success(), "{out}");
    assert!(out.contains("Validated timestamp: true"), "{out}");
    assert!(out.contains(&s.tb.tsa_url()), "{out}");
    let j = s.run(
        env!("CARGO_BIN_EXE_gitseal"),
        &["verify", "HEAD", "--format", "json"],
        &[],
    );
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&j.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["timestamp"]["tsa"], s.tb.tsa_url(), "{line}");
    assert!(line["timestamp"]["gen_time"].as_i64().unwrap() > 0);

    // Online mode: the object id covers the signature with its timestamp.
    let o = s.run(
        "git",
        &[
            "-c",
            "gitsign.rekorMode=online",
            "commit",
            "-q",
            "--allow-empty",
            "-S",
            "-m",
            "online",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let (word, human) = verify(&s, "HEAD");
    assert_eq!(word, Some("GOODSIG"), "{human}");
    let _ = token_of(&s.repo, "HEAD");
}

#[test]
fn tsa_faults_fail_signing_with_one_clear_line() {
    let s = setup();
    assert!(s.commit("first", &[]).status.success());
    let before = s.head();
    for (fault, words) in [
        (Fault::TsaWrongImprint, "message imprint differs"),
        (Fault::TsaWrongNonce, "nonce is missing or differs"),
        (Fault::TsaGrantedWithMods, "PKIStatus 1"),
        (Fault::TsaRejection, "PKIStatus 2"),
        (
            Fault::TsaUnknown,
            "not a timestamp authority of the trust root",
        ),
        (Fault::TsaLateGenTime, "outside the certificate's validity"),
        (Fault::Status(503), "HTTP 503"),
    ] {
        s.tb.faults().once(Endpoint::TsaTimestamp, fault).unwrap();
        let o = s.commit(&format!("{fault:?}"), &[]);
        let t = text(&o);
        assert!(!o.status.success(), "{fault:?} signed: {t}");
        assert!(t.contains(words), "{fault:?}: {t}");
        assert!(t.contains("TimestampAuthority failed"), "{fault:?}: {t}");
        assert!(t.contains("timestampServerURL"), "{fault:?}: {t}");
        assert_eq!(s.head(), before, "{fault:?} made a commit");
    }
    // The faults were one-shot: signing works again.
    assert!(s.commit("again", &[]).status.success());
}

#[test]
fn tampered_or_foreign_timestamps_are_badsig() {
    let s = setup();
    assert!(s.commit("signed", &[]).status.success());
    let head = s.head().unwrap();
    let good = token_of(&s.repo, &head);
    // Control: putting the same token back verifies.
    let same = with_token(&s.repo, &head, &good);
    assert_eq!(same, head, "re-encoding changed the commit");

    let expect_bad = |id: &str, what: &str, detail: &str| {
        let (word, human) = verify(&s, id);
        assert_eq!(word, Some("BADSIG"), "{what}: {human}");
        assert!(human.contains("[timestamp-invalid]"), "{what}: {human}");
        assert!(human.contains(detail), "{what}: {human}");
    };
    // A byte of the TSA's signature flipped (the last bytes of the token are its ECDSA value).
    let mut tampered = good.clone();
    let n = tampered.len();
    tampered[n - 3] ^= 0x01;
    expect_bad(
        &with_token(&s.repo, &head, &tampered),
        "tampered",
        "does not verify",
    );
    // A genuine token of the TSA, over another signature.
    s.tb.faults().clear_all();
    assert!(s.commit("another", &[]).status.success());
    let other = token_of(&s.repo, "HEAD");
    expect_bad(&with_token(&s.repo, &head, &other), "other", "imprint");
    // A token from a TSA outside the trust root, and one stamped after the leaf expired: made
    // by asking the testbed TSA directly for this signature's imprint.
    let (_, der) = signature_of(&s.repo, &head);
    let sig = decode::parse(&der).unwrap().signers[0].signature.clone();
    let ask = |fault: Option<Fault>| {
        if let Some(f) = fault {
            s.tb.faults().once(Endpoint::TsaTimestamp, f).unwrap();
        }
        let transport = std::sync::Arc::new(gitseal::transport::HttpTransport::new(
            gitseal::transport::TransportConfig {
                max_retries: 0,
                ..Default::default()
            },
        ));
        gitseal::tsa::TsaClient::new(transport, s.tb.tsa_url())
            .timestamp(&sig)
            .unwrap()
    };
    expect_bad(
        &with_token(&s.repo, &head, &ask(Some(Fault::TsaUnknown))),
        "unknown TSA",
        "not a timestamp authority",
    );
    expect_bad(
        &with_token(&s.repo, &head, &ask(Some(Fault::TsaLateGenTime))),
        "late genTime",
        "outside the certificate's validity",
    );
    // And a fresh genuine token for this very signature verifies.
    let fresh = with_token(&s.repo, &head, &ask(None));
    assert_eq!(verify(&s, &fresh).0, Some("GOODSIG"));
}

#[test]
fn independent_verifiers_accept_the_timestamp() {
    let s = setup();
    assert!(s.commit("interop", &[]).status.success());
    let dir = s.repo.path();
    // openssl ts -verify on the token, against the testbed's TSA chain.
    let token = token_of(&s.repo, "HEAD");
    let (_, der) = signature_of(&s.repo, "HEAD");
    let sig = decode::parse(&der).unwrap().signers[0].signature.clone();
    std::fs::write(dir.join("token.der"), &token).unwrap();
    std::fs::write(
        dir.join("tsa-root.pem"),
        gitseal::armor::pem("CERTIFICATE", &s.tb.trust().tsa_root_der),
    )
    .unwrap();
    std::fs::write(
        dir.join("tsa-leaf.pem"),
        gitseal::armor::pem("CERTIFICATE", &s.tb.trust().tsa_leaf_der),
    )
    .unwrap();
    let digest = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&sig))
    };
    let ossl = Command::new("openssl")
        .current_dir(dir)
        .args([
            "ts",
            "-verify",
            "-token_in",
            "-in",
            "token.der",
            "-digest",
            &digest,
            "-CAfile",
            "tsa-root.pem",
            "-untrusted",
            "tsa-leaf.pem",
        ])
        .output()
        .unwrap();
    assert!(
        ossl.status.success() && text(&ossl).contains("Verification: OK"),
        "{}",
        text(&ossl)
    );

    // sigstore-python on the exported v0.3 bundle, with the testbed's trust config.
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
    assert!(out.status.success(), "{}", text(&out));
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("b.sigstore.json")).unwrap()).unwrap();
    assert!(
        bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
            ["signedTimestamp"]
            .is_string(),
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
    assert!(good.status.success(), "{}", text(&good));
    let mut artifact = std::fs::read(dir.join("artifact")).unwrap();
    let last = artifact.len() - 1;
    artifact[last] ^= 1;
    std::fs::write(dir.join("artifact"), artifact).unwrap();
    assert!(
        !verify().status.success(),
        "sigstore-python accepted a changed artifact"
    );
}

/// `gitseal doctor` asks the TSA for a timestamp and verifies it against the trust root.
#[test]
fn doctor_checks_the_timestamp_authority() {
    let s = setup();
    let line = |out: &str| {
        out.lines()
            .find(|l| l.contains("timestamp authority:"))
            .unwrap_or_else(|| panic!("no TSA line:\n{out}"))
            .to_string()
    };
    let o = s.run(env!("CARGO_BIN_EXE_gitseal"), &["doctor"], &[]);
    let out = text(&o);
    assert!(line(&out).trim_start().starts_with("ok"), "{out}");
    assert!(line(&out).contains("its token verifies"), "{out}");
    s.tb.faults()
        .set(Endpoint::TsaTimestamp, Fault::TsaUnknown)
        .unwrap();
    let o = s.run(env!("CARGO_BIN_EXE_gitseal"), &["doctor"], &[]);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    let l = line(&out);
    assert!(
        l.trim_start().starts_with("FAIL") && l.contains("[timestamp-invalid]"),
        "{out}"
    );
    // --offline contacts nothing.
    let o = s.run(env!("CARGO_BIN_EXE_gitseal"), &["doctor", "--offline"], &[]);
    assert!(!text(&o).contains("timestamp authority:"), "{}", text(&o));
}

/// `gitsign.timestampCertChain` replaces the trust root's TSAs: with the testbed's own chain
/// signing and verifying still work; with another chain the testbed's tokens are refused.
#[test]
fn timestamp_cert_chain_replaces_the_trust_roots_tsas() {
    let s = setup();
    std::fs::write(s.repo.path().join("tsa.pem"), &s.tb.trust().tsa_chain_pem).unwrap();
    s.repo
        .git_ok(&["config", "gitsign.timestampCertChain", "tsa.pem"]);
    let o = s.commit("own chain", &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(verify(&s, "HEAD").0, Some("GOODSIG"));
    // The Fulcio root is no TSA chain (a self-signed root that never signed the token).
    std::fs::write(s.repo.path().join("tsa.pem"), &s.tb.trust().fulcio_root_pem).unwrap();
    let (word, human) = verify(&s, "HEAD");
    assert_eq!(word, Some("BADSIG"), "{human}");
    assert!(human.contains("[timestamp-invalid]"), "{human}");
    let o = s.commit("foreign chain", &[]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("not a timestamp authority"),
        "{}",
        text(&o)
    );
    // A chain without a self-signed root is a configuration error.
    std::fs::write(
        s.repo.path().join("tsa.pem"),
        gitseal::armor::pem("CERTIFICATE", &s.tb.trust().tsa_leaf_der),
    )
    .unwrap();
    let o = s.commit("no root", &[]);
    assert!(!o.status.success());
    assert!(text(&o).contains("self-signed root"), "{}", text(&o));
}
