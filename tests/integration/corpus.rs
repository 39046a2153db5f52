//! The real gitsign corpus through the library verifier: every offline-mode object verifies;
//! every online-mode object gets the honest "needs a log lookup" outcome after its CMS,
//! chain and (where present) SCT checked out.

use super::common::corpus;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::policy::{Judged, Matcher, Policy, TrustLevel, judge};
use gitseal::trust::TrustRoot;
use gitseal::verify::{Context, offline_body, reason::Reason, tlog, verify_detached};

/// Each corpus object verified, then judged under `policy` (the committer rule when empty).
fn run(policy: &Policy) -> Vec<(super::common::CorpusObject, Judged)> {
    let trust = TrustRoot::public_good().unwrap();
    corpus()
        .into_iter()
        .map(|o| {
            let kind = if o.kind == "tag" {
                Kind::Tag
            } else {
                Kind::Commit
            };
            let split = object::split(kind, &o.raw, HashKind::Sha1).unwrap();
            let email = object::signer_email(kind, &split.payload);
            let out = verify_detached(
                &split.payload,
                &split.signature,
                &trust,
                &Context {
                    looked_up_entry: None,
                    object_id: None,
                },
            );
            let judged = judge(out, |leaf| policy.decide(leaf, email.as_deref()));
            (o, judged)
        })
        .collect()
}

#[test]
fn whole_corpus() {
    let results = run(&Policy::default());
    assert_eq!(results.len(), 290);
    let trust = TrustRoot::public_good().unwrap();
    for (o, out) in &results {
        match (o.mode.as_str(), out) {
            ("offline", Judged::Verified(v)) => {
                assert_eq!(v.trust.level, TrustLevel::Fully, "{}", o.sha);
                assert_eq!(v.signer.identity.as_deref(), Some(o.identity.as_str()));
                assert_eq!(v.signer.issuer.as_deref(), Some(o.issuer.as_str()));
                // The sealed evidence carries what was verified (issue 19): the leaf the summary
                // names, and the parts the logged body is rebuilt from. An embedded entry holds
                // no body, so its SET and inclusion proof are checked again over that rebuild.
                let leaf = v.leaf();
                assert_eq!(leaf.fingerprint(), v.signer.fingerprint, "{}", o.sha);
                assert_eq!(leaf.der, v.signer.leaf_der, "{}", o.sha);
                let body = offline_body(v.signed_attrs(), v.signature(), &leaf.der);
                let again = tlog::verify(v.entry(), &body, &trust, leaf.not_before, leaf.not_after)
                    .unwrap_or_else(|e| panic!("{}: {e:?}", o.sha));
                assert_eq!(again.log_index, v.tlog.log_index, "{}", o.sha);
            }
            ("online", Judged::Rejected(r)) => {
                assert_eq!(
                    r.reason,
                    Reason::TlogLookupRequired,
                    "{}: {}",
                    o.sha,
                    r.detail
                );
            }
            (mode, other) => panic!("{} ({mode}): {other:?}", o.sha),
        }
    }
}

#[test]
fn wrong_identity_is_never_trusted() {
    let policy = Policy {
        identities: vec![Matcher::Exact("someone@else.example".into())],
        ..Policy::default()
    };
    for (o, out) in run(&policy) {
        if let Judged::Verified(v) = out {
            assert_eq!(v.trust.level, TrustLevel::Never, "{}", o.sha);
        }
    }
}

#[test]
fn object_ids_are_predicted_byte_for_byte() {
    // Online mode logs sha256 of the object id, which the signer must predict before git
    // writes the object: rebuilding every corpus object from its split must give its id.
    for o in corpus() {
        let kind = if o.kind == "tag" {
            Kind::Tag
        } else {
            Kind::Commit
        };
        let split = object::split(kind, &o.raw, HashKind::Sha1).unwrap();
        let raw = object::signed_object(kind, &split.payload, &split.signature, HashKind::Sha1);
        assert_eq!(object::object_id(kind, &raw, HashKind::Sha1), o.sha);
    }
}
