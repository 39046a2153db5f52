//! The real gitsign corpus through the library verifier.

use super::common::corpus;
use gitseal::git::object::{self, HashKind, Kind};
use gitseal::trust::TrustRoot;
use gitseal::verify::{Context, Outcome, policy::Policy, reason::Reason, verify_detached};

#[test]
fn corpus_smoke() {
    let trust = TrustRoot::public_good().unwrap();
    let mut summary = std::collections::BTreeMap::new();
    for o in corpus() {
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
            &Policy::default(),
            &Context {
                signer_email: email.as_deref(),
                looked_up_entry: None,
            },
        );
        let key = match &out {
            Outcome::Verified(v) => format!("{} verified {:?}", o.mode, v.trust.level),
            Outcome::Rejected(r) => format!(
                "{} {} {}",
                o.mode,
                r.reason.code(),
                if r.reason == Reason::TlogLookupRequired {
                    ""
                } else {
                    &r.detail
                }
            ),
        };
        if !key.contains("verified") && o.mode == "offline"
            || (o.mode == "online" && !key.contains("tlog-lookup"))
        {
            eprintln!("{} {}", o.sha, key);
        }
        *summary.entry(key).or_insert(0) += 1;
    }
    eprintln!("{summary:#?}");
}
