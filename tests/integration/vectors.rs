//! Conformance vectors as files (rage's testkit style): `tests/vectors/*.vector`, each one git
//! object with its expected outcome in a readable header, run through the real verifier as
//! git runs it (`git verify-commit` / `git verify-tag` with gitseal as `gpg.x509.program`),
//! or, for the two things git's gpg path never passes on, as `gitseal verify` runs it.
//!
//! A vector file is header lines `key: value`, one empty line, then the raw object exactly as
//! `git cat-file <kind> <id>` prints it:
//!
//! | key | meaning |
//! |---|---|
//! | `expect` | the status git hears: `GOODSIG`, `BADSIG` or `ERRSIG` |
//! | `reason` | the stable reason code gitseal gives (`src/verify/reason.rs`), or `none` |
//! | `kind` | `commit` or `tag` |
//! | `from` | the corpus object (`../shared/corpus`) it was made from, or `testbed (recorded)` |
//! | `mutation` | what was changed, in words |
//! | `trust` | `public-good` (built in), or a trusted_root.json in `tests/vectors/` |
//! | `via` | `git` (`git verify-commit`/`verify-tag`, gitseal as `gpg.x509.program`) or `gitseal verify` (gitseal's own command: for what git's gpg path never passes on) |
//! | `ref` | optional: the ref a tag is stored under (`via: gitseal verify` tags) |
//! | `config` | optional, repeatable: `key=value` set in the repository's git config |
//!
//! Every vector runs with `gitseal.offline=true`: the files are the whole input, no network.
//! The files are committed and are the test input; they were made from real corpus objects by
//! the deterministic mutations in [`generate`] (the DER surgery of `tamper.rs`), and
//! `GITSEAL_UPDATE_VECTORS=1 cargo test --test integration vectors` writes them again. The
//! exceptions are the `testbed-*` vectors: a trusted CA's defective leaf cannot be made by
//! editing a real object, so those were signed through the local testbed and recorded with its
//! trust root (see [`RECORDED`]).
//! `every_reason_has_a_rejecting_vector` fails for a reason code with neither a vector nor an
//! entry in [`EXCEPTIONS`], so a new reason cannot arrive untested.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::common::{TestRepo, corpus};
use super::tamper::{
    edit_signed_data, edit_signer, entry_of, find, flip_at, object, with_tlog_attribute, wrap,
};
use gitseal::armor;
use gitseal::cms::decode;
use gitseal::git::object::{HashKind, Kind, signed_object};
use gitseal::tlv;
use gitseal::verify::reason::{Class, Reason};

/// Reasons no static vector can reach: (reason, the file that covers it, a string that file
/// must contain (the covering test's name or assertion), why no file can carry it).
const EXCEPTIONS: &[(Reason, &str, &str, &str)] = &[
    (
        Reason::IntegratedTimeOutsideValidity,
        "tests/integration/sign_clients.rs",
        "fn integrated_time_outside_the_certificate_is_rejected",
        "needs a log that integrated an entry outside the leaf's validity, with a genuine \
         SET (any edit of a real entry's time breaks its SET): the testbed's \
         ExpiredCertificate fault",
    ),
    (
        Reason::TlogEntryMismatch,
        "tests/integration/scale.rs",
        "fn an_entry_for_another_object_never_counts",
        "only a looked-up entry can be about something else: an embedded entry has one \
         encoding (`cms::decode` refuses any other), which carries no body and always says \
         hashedrekord 0.0.1, and substituting another signature's entry breaks its SET",
    ),
    (
        Reason::TlogEntryNotFound,
        "tests/integration/scale.rs",
        "fn wrong_or_missing_entries_fail_with_their_reason",
        "an online lookup: needs a Rekor (the testbed) without the entry",
    ),
    (
        Reason::TimestampMissing,
        "tests/integration/rekor_v2.rs",
        "fn a_v2_signature_without_a_timestamp_is_errsig_timestamp_missing",
        "needs a Rekor v2 entry whose log is in the trust root: the corpus holds no Rekor v2 \
         signature, and the testbed's v2 log key is made per run",
    ),
    (
        Reason::TlogLookupFailed,
        "tests/integration/attacks/hostile_rekor.rs",
        "fn refused_connection_is_reported_at_once_not_retried",
        "an online lookup: needs a Rekor that fails or cannot be reached",
    ),
    (
        Reason::TimestampInvalid,
        "tests/integration/timestamps.rs",
        "fn tampered_or_foreign_timestamps_are_badsig",
        "a timestamp token is a fresh ECDSA signature by a TSA with a random serial, so no \
         deterministic mutation of a corpus object can carry one; the testbed's TSA makes them \
         (tampered, for another signature, from an unknown TSA, genTime after the leaf)",
    ),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// One parsed vector file.
#[derive(Debug)]
struct Vector {
    name: String,
    header: Vec<(String, String)>,
    raw: Vec<u8>,
}

impl Vector {
    fn get(&self, key: &str) -> &str {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{}: no `{key}:` line", self.name))
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.header
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn reason(&self) -> Option<Reason> {
        match self.get("reason") {
            "none" => None,
            code => Some(
                *Reason::ALL
                    .iter()
                    .find(|r| r.code() == code)
                    .unwrap_or_else(|| panic!("{}: unknown reason code {code}", self.name)),
            ),
        }
    }
}

fn parse(name: &str, bytes: &[u8]) -> Vector {
    let end = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .unwrap_or_else(|| panic!("{name}: no empty line after the header"));
    let header = std::str::from_utf8(&bytes[..end])
        .unwrap_or_else(|_| panic!("{name}: the header is not UTF-8"))
        .lines()
        .map(|l| {
            let (k, v) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("{name}: header line {l:?} is not `key: value`"));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    Vector {
        name: name.to_owned(),
        header,
        raw: bytes[end + 2..].to_vec(),
    }
}

fn vectors() -> Vec<Vector> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/vectors exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vector"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            parse(&name, &std::fs::read(p).unwrap())
        })
        .collect()
}

/// What git and gitseal said about one vector.
struct Heard {
    status: Option<&'static str>,
    reason: Option<Reason>,
    ok: bool,
    text: String,
}

/// Stores the object in a fresh repository and asks git, as a user would.
fn run(v: &Vector) -> Heard {
    let repo = TestRepo::new();
    repo.git_ok(&["config", "gitseal.offline", "true"]);
    match v.get("trust") {
        "public-good" => {}
        file => {
            let path = dir().join(file);
            assert!(path.exists(), "{}: no {}", v.name, path.display());
            repo.git_ok(&["config", "gitseal.trustedRoot", path.to_str().unwrap()]);
        }
    }
    for kv in v.all("config") {
        let (k, val) = kv.split_once('=').unwrap();
        repo.git_ok(&["config", "--add", k, val]);
    }
    let kind = v.get("kind");
    let id = repo.write_object(kind, &v.raw);
    match v.get("via") {
        "git" => via_git(v, &repo, kind, &id),
        "gitseal verify" => via_gitseal_verify(v, &repo, kind, &id),
        other => panic!("{}: unknown `via: {other}`", v.name),
    }
}

/// `git verify-commit` / `git verify-tag`, with gitseal as `gpg.x509.program`.
fn via_git(v: &Vector, repo: &TestRepo, kind: &str, id: &str) -> Heard {
    let sub = format!("verify-{kind}");
    let raw = repo.git(&[&sub, "--raw", id]);
    let status_text = String::from_utf8_lossy(&raw.stderr).into_owned();
    let status = ["GOODSIG", "BADSIG", "ERRSIG"]
        .into_iter()
        .find(|s| status_text.contains(&format!("[GNUPG:] {s} ")));
    // Without --raw, git shows what gitseal said on standard error: the `[code]`.
    let human = repo.git(&[&sub, id]);
    let human_text = String::from_utf8_lossy(&human.stderr).into_owned();
    let reasons: Vec<Reason> = Reason::ALL
        .iter()
        .copied()
        .filter(|r| human_text.contains(&format!("[{}]", r.code())))
        .collect();
    assert!(reasons.len() <= 1, "{}: {human_text}", v.name);
    // A good signature from a signer the repository does not allow is not a rejection on
    // git's path: gpg's protocol says it as GOODSIG with a trust level below FULLY, and
    // gitseal's own commands call that `identity-mismatch` (`Report::reason`).
    let untrusted = status == Some("GOODSIG")
        && ["TRUST_NEVER", "TRUST_UNDEFINED"]
            .iter()
            .any(|t| status_text.contains(&format!("[GNUPG:] {t} ")));
    if untrusted {
        assert!(reasons.is_empty(), "{}: {human_text}", v.name);
    }
    Heard {
        status,
        reason: if untrusted {
            Some(Reason::IdentityMismatch)
        } else {
            reasons.first().copied()
        },
        ok: raw.status.success() && human.status.success(),
        text: format!("{status_text}\n{human_text}"),
    }
}

/// `gitseal verify --format json ID` (commits) or `gitseal verify-tag --format json NAME`
/// (tags, stored under the vector's `ref`): the paths that know what git's gpg path does
/// not (the ref a tag is stored under; signatures in other formats, which git never hands
/// to `gpg.x509.program`). The JSON's outcome word says the status git would hear.
fn via_gitseal_verify(v: &Vector, repo: &TestRepo, kind: &str, id: &str) -> Heard {
    let out = if kind == "tag" {
        let r = v.get("ref");
        let name = r
            .strip_prefix("refs/tags/")
            .unwrap_or_else(|| panic!("{}: ref {r} is not a tag ref", v.name));
        repo.git_ok(&["update-ref", r, id]);
        repo.gitseal(&["verify-tag", "--format", "json", name])
    } else {
        repo.gitseal(&["verify", "--format", "json", id])
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = text
        .lines()
        .find_map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .filter(|j| j.get("object").is_some())
        })
        .unwrap_or_else(|| panic!("{}: no object line: {text}", v.name));
    let status = match line["outcome"].as_str() {
        Some("good" | "untrusted-signer") => Some("GOODSIG"),
        Some("bad") => Some("BADSIG"),
        Some("error" | "unverifiable-offline" | "foreign-format") => Some("ERRSIG"),
        _ => None,
    };
    let reason = line["reason"].as_str().map(|code| {
        *Reason::ALL
            .iter()
            .find(|r| r.code() == code)
            .unwrap_or_else(|| panic!("{}: unknown reason {code}", v.name))
    });
    Heard {
        status,
        reason,
        ok: out.status.success(),
        text,
    }
}

#[test]
fn every_vector_gives_its_expected_outcome() {
    let all = vectors();
    assert!(all.len() >= 20, "only {} vectors", all.len());
    for v in &all {
        let want_status = v.get("expect");
        let want_reason = v.reason();
        // The header is consistent with the reason's fixed class (reason.rs).
        match want_reason.map(Reason::class) {
            None => assert_eq!(want_status, "GOODSIG", "{}", v.name),
            Some(Class::Bad) => {
                assert!(matches!(want_status, "BADSIG" | "GOODSIG"), "{}", v.name)
            }
            Some(Class::CannotCheck) => assert_eq!(want_status, "ERRSIG", "{}", v.name),
        }
        let heard = run(v);
        assert_eq!(
            heard.status,
            Some(want_status),
            "{}: {}",
            v.name,
            heard.text
        );
        assert_eq!(heard.reason, want_reason, "{}: {}", v.name, heard.text);
        // git accepts exactly the good, trusted ones.
        assert_eq!(
            heard.ok,
            want_reason.is_none(),
            "{}: git's exit status: {}",
            v.name,
            heard.text
        );
    }
}

#[test]
fn every_reason_has_a_rejecting_vector() {
    let covered: BTreeMap<&str, Vec<String>> =
        vectors()
            .into_iter()
            .fold(BTreeMap::new(), |mut m: BTreeMap<&str, Vec<String>>, v| {
                if let Some(r) = v.reason() {
                    m.entry(r.code()).or_default().push(v.name);
                }
                m
            });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for r in Reason::ALL {
        let exception = EXCEPTIONS.iter().find(|e| e.0 == *r);
        match (covered.get(r.code()), exception) {
            (Some(names), Some(_)) => missing.push(format!(
                "{}: has vectors {names:?}; remove its exception",
                r.code()
            )),
            (Some(_), None) => {}
            (None, Some((_, file, needle, _))) => {
                // The named coverage must still exist.
                let text = std::fs::read_to_string(root.join(file)).unwrap();
                if !text.contains(needle) {
                    missing.push(format!(
                        "{}: its exception names {needle:?} in {file}, which is gone",
                        r.code()
                    ));
                }
            }
            (None, None) => missing.push(format!(
                "{}: no vector in tests/vectors and no exception",
                r.code()
            )),
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

// --- Generation (GITSEAL_UPDATE_VECTORS=1). ---

/// The newest offline-mode commit in the corpus (dc68e8ce, 2026-08-05), as in `tamper.rs`.
const SUBJECT: &str = "dc68e8ce155fe12ab8fd7c55de6ef336ce716ee8";
/// An offline-mode tag.
const TAG: &str = "138f9d7cb3097a5f04192621a186e54f86390df0";
/// An online-mode commit (no embedded log entry).
const ONLINE: &str = "023cf429a61e375b1afeca0b685c69b83395ffdb";

struct Made {
    name: &'static str,
    expect: &'static str,
    reason: Option<Reason>,
    kind: &'static str,
    from: &'static str,
    mutation: &'static str,
    trust: &'static str,
    config: &'static [&'static str],
    via: &'static str,
    git_ref: Option<&'static str>,
    raw: Vec<u8>,
}

fn commit(payload: &[u8], der: &[u8]) -> Vec<u8> {
    commit_armored(payload, armor::encode(der).as_bytes())
}

fn commit_armored(payload: &[u8], armored: &[u8]) -> Vec<u8> {
    signed_object(Kind::Commit, payload, armored, HashKind::Sha1)
}

/// Every vector, from the corpus by fixed edits.
fn generate() -> (Vec<Made>, Vec<(&'static str, Vec<u8>)>) {
    let (payload, der) = object(SUBJECT);
    let raw_of = |sha: &str| corpus().into_iter().find(|o| o.sha == sha).unwrap().raw;
    let bad = |name, reason: Reason, mutation, raw| Made {
        name,
        expect: expect_of(Some(reason)),
        reason: Some(reason),
        kind: "commit",
        from: SUBJECT,
        mutation,
        trust: "public-good",
        config: &[],
        via: "git",
        git_ref: None,
        raw,
    };
    let cms = decode::parse(&der).unwrap();
    let signer = &cms.signers[0];
    let entry = entry_of(&der);
    let with_entry = |e: &gitseal::rekor::entry::LogEntry| {
        commit(
            &payload,
            &with_tlog_attribute(&der, wrap(0x04, &e.to_protobuf())),
        )
    };
    // Flip the last byte of a signed attribute's value (its last occurrence: id-data also
    // appears as eContentType).
    let attr_flip = |i: usize| {
        let value = &signer.signed_attrs[i].values[0];
        let at = der
            .windows(value.len())
            .rposition(|w| w == value.as_slice())
            .unwrap()
            + value.len()
            - 1;
        commit(&payload, &flip_at(&der, at))
    };
    let mut v = vec![
        Made {
            name: "good-offline-commit",
            expect: "GOODSIG",
            reason: None,
            kind: "commit",
            from: SUBJECT,
            mutation: "none",
            trust: "public-good",
            config: &[],
            via: "git",
            git_ref: None,
            raw: raw_of(SUBJECT),
        },
        Made {
            name: "good-offline-tag",
            expect: "GOODSIG",
            reason: None,
            kind: "tag",
            from: TAG,
            mutation: "none",
            trust: "public-good",
            config: &[],
            via: "git",
            git_ref: None,
            raw: raw_of(TAG),
        },
        Made {
            name: "online-mode-needs-a-lookup",
            expect: "ERRSIG",
            reason: Some(Reason::TlogLookupRequired),
            kind: "commit",
            from: ONLINE,
            mutation: "none (online mode: no embedded log entry; verified offline)",
            trust: "public-good",
            config: &[],
            via: "git",
            git_ref: None,
            raw: raw_of(ONLINE),
        },
        Made {
            name: "identity-not-allowed",
            expect: "GOODSIG",
            reason: Some(Reason::IdentityMismatch),
            kind: "commit",
            from: SUBJECT,
            mutation: "none; the repository allows only someone@else.example",
            trust: "public-good",
            config: &[
                "gitseal.identity=someone@else.example",
                "gitseal.issuer=https://accounts.google.com",
            ],
            via: "git",
            git_ref: None,
            raw: raw_of(SUBJECT),
        },
    ];
    let mut p = payload.clone();
    p[10] ^= 1;
    v.push(bad(
        "payload-byte-flipped",
        Reason::MessageDigestMismatch,
        "bit 0 of payload byte 10 flipped (the tree id)",
        commit(&p, &der),
    ));
    let mut p = payload.clone();
    let at = p.len() - 1;
    p.insert(at, 0);
    v.push(bad(
        "nul-in-message",
        Reason::ObjectMalformed,
        "a NUL inserted before the message's final newline (git log shows the message up to it)",
        commit(&p, &der),
    ));
    v.push(bad(
        "content-type-attribute",
        Reason::ContentTypeMismatch,
        "last byte of the signed contentType attribute's OID flipped",
        attr_flip(0),
    ));
    v.push(bad(
        "signing-time-attribute",
        Reason::SignatureInvalid,
        "last byte of the signed signingTime attribute flipped",
        attr_flip(1),
    ));
    v.push(bad(
        "message-digest-attribute",
        Reason::MessageDigestMismatch,
        "last byte of the signed messageDigest attribute flipped",
        attr_flip(2),
    ));
    let at = find(&der, &signer.signature) + signer.signature.len() - 1;
    v.push(bad(
        "signature-value",
        Reason::SignatureInvalid,
        "last byte of the ECDSA signature's s flipped",
        commit(&payload, &flip_at(&der, at)),
    ));
    let at = find(&der, b"billy@chainguard.dev");
    v.push(bad(
        "certificate-san-byte",
        Reason::ChainUntrusted,
        "bit 0 of the first byte of the leaf's SAN email flipped (the CA's signature breaks)",
        commit(&payload, &flip_at(&der, at)),
    ));
    let mut d = der.clone();
    let at = find(&d, b"billy@chainguard.dev") + 5;
    d[at] = b'\n';
    v.push(bad(
        "certificate-san-control-character",
        Reason::CertificateMalformed,
        "the @ of the leaf's SAN email replaced by a newline (no CA issues such a name)",
        commit(&payload, &d),
    ));
    let set = entry.signed_entry_timestamp.clone().unwrap();
    let at = find(&der, &set) + set.len() - 2;
    v.push(bad(
        "signed-entry-timestamp",
        Reason::SetInvalid,
        "second-to-last byte of the SET flipped",
        commit(&payload, &flip_at(&der, at)),
    ));
    let proof = entry.inclusion_proof.clone().unwrap();
    let at = find(&der, &proof.hashes[0]) + 5;
    v.push(bad(
        "inclusion-proof-hash",
        Reason::InclusionProofInvalid,
        "byte 5 of the first inclusion-proof hash flipped",
        commit(&payload, &flip_at(&der, at)),
    ));
    let note = proof.checkpoint.clone().unwrap();
    let mut d = der.clone();
    let at = find(&d, note.as_bytes()) + 2;
    d[at] = if d[at] == b'A' { b'B' } else { b'A' };
    v.push(bad(
        "checkpoint-origin",
        Reason::CheckpointInvalid,
        "byte 2 of the checkpoint's origin line changed (signed text)",
        commit(&payload, &d),
    ));
    v.push(bad(
        "truncated-der",
        Reason::SignatureMalformed,
        "the last 7 bytes of the DER cut off",
        commit(&payload, &der[..der.len() - 7]),
    ));
    // git hands a PGP block to gpg.program, never to gpg.x509.program; gitseal's own
    // commands see one and name its format.
    v.push(Made {
        via: "gitseal verify",
        ..bad(
            "pgp-signature",
            Reason::UnsupportedSignatureFormat,
            "the signature replaced by a PGP SIGNATURE armor block",
            commit_armored(
                &payload,
                b"-----BEGIN PGP SIGNATURE-----\nAA==\n-----END PGP SIGNATURE-----\n",
            ),
        )
    });
    // A good tag stored under another tag's name vouches for that name (`git show v9.9.9`
    // would say `tag v0.17.0`).
    v.push(Made {
        kind: "tag",
        from: TAG,
        via: "gitseal verify",
        git_ref: Some("refs/tags/v9.9.9"),
        ..bad(
            "tag-stored-under-another-name",
            Reason::TagNameMismatch,
            "none; the tag (tag v0.17.0) is stored as refs/tags/v9.9.9",
            raw_of(TAG),
        )
    });
    if let decode::SignerId::IssuerAndSerial { serial, .. } = &signer.sid {
        let at = der
            .windows(serial.len())
            .rposition(|w| w == serial.as_slice())
            .unwrap();
        v.push(bad(
            "signer-serial",
            Reason::CertificateMissing,
            "byte 1 of the SignerInfo's serial number flipped (no certificate matches)",
            commit(&payload, &flip_at(&der, at + 1)),
        ));
    }
    let two = edit_signed_data(&der, |f| {
        let set = f.last().unwrap().clone();
        let si = tlv::read_only(&set, 0x31).unwrap().value.to_vec();
        *f.last_mut().unwrap() = wrap(0x31, &[si.clone(), si].concat());
    });
    v.push(bad(
        "two-signers",
        Reason::MultipleSigners,
        "the SignerInfo repeated",
        commit(&payload, &two),
    ));
    let attached = edit_signed_data(&der, |f| {
        let eci = tlv::read_only(&f[2], 0x30).unwrap();
        let oid = tlv::children(eci.value).unwrap()[0].raw.to_vec();
        f[2] = wrap(0x30, &[oid, wrap(0xa0, &wrap(0x04, &payload))].concat());
    });
    v.push(bad(
        "content-attached",
        Reason::SignatureNotDetached,
        "the payload embedded as eContent",
        commit(&payload, &attached),
    ));
    let sha384_alg = vec![
        0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    ];
    let sha384 = edit_signer(&der, |sf| sf[2] = sha384_alg.clone());
    let sha384 = edit_signed_data(&sha384, |f| f[1] = wrap(0x31, &sha384_alg));
    v.push(bad(
        "sha384-digest",
        Reason::UnsupportedAlgorithm,
        "SHA-384 as the SignerInfo digest algorithm and in digestAlgorithms",
        commit(&payload, &sha384),
    ));
    let bare = edit_signer(&der, |sf| {
        sf.remove(3);
    });
    v.push(bad(
        "no-signed-attributes",
        Reason::SignedAttributesMissing,
        "the signed attributes removed",
        commit(&payload, &bare),
    ));
    v.push(bad(
        "log-entry-not-protobuf",
        Reason::TlogEntryMalformed,
        "the 57264.3.1 attribute value replaced by OCTET STRING ff ff ff",
        commit(
            &payload,
            &with_tlog_attribute(&der, wrap(0x04, &[0xff, 0xff, 0xff])),
        ),
    ));
    let mut e = entry.clone();
    e.signed_entry_timestamp = None;
    v.push(bad(
        "log-entry-without-set",
        Reason::SetMissing,
        "the signed entry timestamp removed from the embedded entry",
        with_entry(&e),
    ));
    let mut e = entry.clone();
    e.inclusion_proof = None;
    v.push(bad(
        "log-entry-without-proof",
        Reason::InclusionProofMissing,
        "the inclusion proof removed from the embedded entry",
        with_entry(&e),
    ));
    let mut e = entry.clone();
    e.inclusion_proof.as_mut().unwrap().checkpoint = None;
    v.push(bad(
        "log-entry-without-checkpoint",
        Reason::CheckpointMissing,
        "the checkpoint removed from the embedded entry's proof",
        with_entry(&e),
    ));
    let mut e = entry.clone();
    e.log_id[0] ^= 1;
    v.push(bad(
        "log-entry-unknown-log",
        Reason::TlogUnknownLog,
        "bit 0 of the embedded entry's log id flipped",
        with_entry(&e),
    ));
    // A trust root without CT logs: the same signature's SCT has no trusted key.
    let mut root: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../../src/trust/public-good.trusted_root.json"
    ))
    .unwrap();
    root.as_object_mut().unwrap().remove("ctlogs");
    let trust_file = "public-good-without-ctlogs.trusted_root.json";
    v.push(Made {
        trust: trust_file,
        mutation: "none; the trust root is public-good with its CT logs removed",
        ..bad(
            "sct-from-unknown-ct-log",
            Reason::SctInvalid,
            "",
            raw_of(SUBJECT),
        )
    });
    let mut text = serde_json::to_string_pretty(&root).unwrap();
    text.push('\n');
    let (testbed, testbed_trust) = read_recorded();
    v.extend(testbed);
    (
        v,
        vec![
            (trust_file, text.into_bytes()),
            (TESTBED_TRUST, testbed_trust),
        ],
    )
}

/// One vector file: the header, an empty line, the raw object.
fn render(m: &Made) -> Vec<u8> {
    let mut out = format!(
        "expect: {}\nreason: {}\nkind: {}\nfrom: {}\nmutation: {}\ntrust: {}\n",
        m.expect,
        m.reason.map_or("none", Reason::code),
        m.kind,
        m.from,
        m.mutation,
        m.trust
    )
    .into_bytes();
    out.extend_from_slice(format!("via: {}\n", m.via).as_bytes());
    if let Some(r) = m.git_ref {
        out.extend_from_slice(format!("ref: {r}\n").as_bytes());
    }
    for c in m.config {
        out.extend_from_slice(format!("config: {c}\n").as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(&m.raw);
    out
}

// --- Recorded through the local testbed (GITSEAL_RECORD_TESTBED_VECTORS=1). ---

/// The testbed's trust root, committed beside the vectors signed through it (3 KB: its two
/// CA certificates and its Rekor and CT log keys; `validFor` has a start only, and every
/// check of these objects is at their log's integrated time, so they stay valid).
const TESTBED_TRUST: &str = "testbed.trusted_root.json";

/// Vectors no edit of a real object can make: a *trusted* CA's leaf that is defective (any
/// edit of a real leaf breaks the CA's signature and gives `chain-untrusted`). They are
/// commits signed through the local testbed's Fulcio with a fault switched on, recorded by
/// `scale.rs::certificates_a_misissuing_ca_would_make_are_rejected` in this order, with a
/// control signed the same way with no fault (proving the committed trust root is the one
/// they chain to). The testbed's keys are random per run, so the objects cannot be rebuilt
/// byte for byte: [`generate`] reads them back from the committed files and writes only their
/// headers; `GITSEAL_RECORD_TESTBED_VECTORS=1 cargo test --test integration
/// certificates_a_misissuing_ca` records new ones (and the trust root).
const RECORDED: [(&str, Option<Reason>, &str); 3] = [
    (
        "testbed-good-commit",
        None,
        "none; signed through the local testbed (Fulcio, CT log, Rekor), offline mode",
    ),
    (
        "testbed-leaf-without-sct",
        Some(Reason::SctMissing),
        "the testbed's Fulcio issued the leaf from its intermediate with no SCT list extension \
         (fault missingSct); the entry is genuinely logged",
    ),
    (
        "testbed-leaf-for-email-protection",
        Some(Reason::CertificateNotForCodeSigning),
        "the testbed's Fulcio issued the leaf with extKeyUsage emailProtection instead of \
         codeSigning (fault notForCodeSigning); SCT and entry genuine",
    ),
];

fn expect_of(reason: Option<Reason>) -> &'static str {
    match reason.map(Reason::class) {
        None => "GOODSIG",
        Some(Class::Bad) => "BADSIG",
        Some(Class::CannotCheck) => "ERRSIG",
    }
}

fn recorded(
    name: &'static str,
    reason: Option<Reason>,
    mutation: &'static str,
    raw: Vec<u8>,
) -> Made {
    Made {
        name,
        expect: expect_of(reason),
        reason,
        kind: "commit",
        from: "testbed (recorded)",
        mutation,
        trust: TESTBED_TRUST,
        config: &[],
        via: "git",
        git_ref: None,
        raw,
    }
}

/// Writes the recorded vectors and the testbed's trust root (`objects` in [`RECORDED`]'s
/// order, as `git cat-file commit` prints them).
pub(crate) fn record_testbed(objects: &[Vec<u8>], trusted_root: &[u8]) {
    assert_eq!(objects.len(), RECORDED.len());
    for ((name, reason, mutation), raw) in RECORDED.into_iter().zip(objects) {
        let m = recorded(name, reason, mutation, raw.clone());
        std::fs::write(dir().join(format!("{name}.vector")), render(&m)).unwrap();
    }
    std::fs::write(dir().join(TESTBED_TRUST), trusted_root).unwrap();
}

/// The recorded vectors and trust root, read back from the committed files.
fn read_recorded() -> (Vec<Made>, Vec<u8>) {
    let read = |file: &str| {
        let path = dir().join(file);
        std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; record it: GITSEAL_RECORD_TESTBED_VECTORS=1 cargo test --test \
                 integration certificates_a_misissuing_ca",
                path.display()
            )
        })
    };
    let made = RECORDED
        .into_iter()
        .map(|(name, reason, mutation)| {
            let file = format!("{name}.vector");
            recorded(name, reason, mutation, parse(&file, &read(&file)).raw)
        })
        .collect();
    (made, read(TESTBED_TRUST))
}

/// The committed vectors are what [`generate`] makes, so the regeneration command documented
/// above reproduces them (and `GITSEAL_UPDATE_VECTORS=1` writes them).
#[test]
fn committed_vectors_are_the_generated_ones() {
    let (made, files) = generate();
    let mut want: BTreeMap<String, Vec<u8>> = files
        .into_iter()
        .map(|(name, bytes)| (name.to_owned(), bytes))
        .collect();
    for m in made {
        assert!(
            want.insert(format!("{}.vector", m.name), render(&m))
                .is_none(),
            "two vectors named {}",
            m.name
        );
    }
    let dir = dir();
    if std::env::var_os("GITSEAL_UPDATE_VECTORS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &want {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
    let have: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    let stale: Vec<&String> = have.keys().filter(|k| !want.contains_key(*k)).collect();
    let differ: Vec<&String> = want
        .keys()
        .filter(|k| have.get(*k) != want.get(*k))
        .collect();
    assert!(
        stale.is_empty() && differ.is_empty(),
        "tests/vectors is out of date (GITSEAL_UPDATE_VECTORS=1 cargo test --test integration \
         vectors): not generated {stale:?}, missing or different {differ:?}"
    );
}
