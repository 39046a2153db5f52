//! What judging an object found, as data: the [`Verdict`], one object's [`Report`] (its
//! outcome word, stable reason code, one-line detail and JSON object) and the per-outcome
//! [`Summary`]. The outcome words and JSON keys are the verification-at-scale vocabulary
//! `gitseal verify --format json` prints; human text is rendered by `cli::render` and the
//! commands, not here.

use crate::git::object::{Kind, SignatureFormat};
use crate::policy::{Judged, TrustLevel};
use crate::verify::reason::{Class, Reason};
use std::collections::BTreeMap;

/// The JSON outcome word for an outcome (verification-at-scale vocabulary).
pub fn outcome_word(o: &Judged) -> &'static str {
    match o {
        Judged::Verified(v) => match v.trust.level {
            TrustLevel::Fully => "good",
            TrustLevel::Undefined | TrustLevel::Never => "untrusted-signer",
        },
        Judged::Rejected(r) => match (r.reason, r.reason.class()) {
            (Reason::TlogLookupRequired, _) => "unverifiable-offline",
            (Reason::UnsupportedSignatureFormat, _) => "foreign-format",
            (_, Class::Bad) => "bad",
            (_, Class::CannotCheck) => "error",
        },
    }
}

/// The Fulcio claims of a verified leaf as JSON, keyed by Sigstore name
/// (`x509::claims::Claim::name`; `{}` for a leaf without CI claims). A rejected or missing
/// signature has `null`: an unverified certificate's claims are nobody's word.
fn claims_json(o: Option<&Judged>) -> serde_json::Value {
    match o {
        Some(Judged::Verified(v)) => v
            .leaf()
            .claims()
            .map_or(serde_json::Value::Null, |c| c.to_json()),
        _ => serde_json::Value::Null,
    }
}

/// The CI pipeline that signed, in words (`x509::claims::Claims::pipeline`), for a verified
/// leaf with CI claims.
pub fn pipeline(o: &Judged) -> Option<String> {
    match o {
        Judged::Verified(v) => v.leaf().claims().ok().and_then(|c| c.pipeline()),
        Judged::Rejected(_) => None,
    }
}

/// The JSON object for an object (`None`: unsigned); `cli::render::json_line` prints it.
pub fn json_value(id: &str, kind: &str, o: Option<&Judged>) -> serde_json::Value {
    let mut v = json_value_base(id, kind, o);
    if let Some(map) = v.as_object_mut() {
        map.insert("claims".into(), claims_json(o));
        map.insert("timestamp".into(), timestamp_json(o));
    }
    v
}

/// The verified RFC 3161 timestamp (issue 15): `{"tsa", "subject", "gen_time"}`, or null.
fn timestamp_json(o: Option<&Judged>) -> serde_json::Value {
    match o {
        Some(Judged::Verified(v)) => v.timestamp.as_ref().map_or(serde_json::Value::Null, |t| {
            serde_json::json!({"tsa": t.tsa_uri, "subject": t.tsa_subject, "gen_time": t.gen_time})
        }),
        _ => serde_json::Value::Null,
    }
}

fn json_value_base(id: &str, kind: &str, o: Option<&Judged>) -> serde_json::Value {
    match o {
        None => serde_json::json!({
            "object": id, "type": kind, "outcome": "unsigned", "reason": null,
            "identity": null, "issuer": null, "log_index": null, "integrated_time": null,
        }),
        Some(o @ Judged::Verified(v)) => serde_json::json!({
            "object": id, "type": kind, "outcome": outcome_word(o),
            "reason": (v.trust.level != TrustLevel::Fully).then_some(Reason::IdentityMismatch.code()),
            "identity": v.signer.identity, "issuer": v.signer.issuer,
            "log_index": v.tlog.log_index, "integrated_time": v.tlog.integrated_time,
        }),
        Some(o @ Judged::Rejected(r)) => serde_json::json!({
            "object": id, "type": kind, "outcome": outcome_word(o),
            "reason": r.reason.code(),
            "identity": r.signer.as_ref().and_then(|s| s.identity.clone()),
            "issuer": r.signer.as_ref().and_then(|s| s.issuer.clone()),
            "log_index": null, "integrated_time": null,
        }),
    }
}

/// What was found about one object.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// No signature for this repository's hash.
    Unsigned,
    /// An OpenPGP or SSH signature (gitseal does not check them).
    Foreign(SignatureFormat),
    /// An x509 signature, checked.
    Checked(Judged),
    /// The object could not be read.
    Unreadable(String),
}

/// One object's result.
#[derive(Debug, Clone)]
pub struct Report {
    /// Object id.
    pub id: String,
    /// Commit or tag.
    pub kind: Kind,
    /// A commit with two or more parents.
    pub merge: bool,
    /// The ref it was judged for.
    pub ref_name: Option<String>,
    /// What was found.
    pub verdict: Verdict,
    /// Whether it passes under the rules.
    pub pass: bool,
}

impl Report {
    /// The outcome word of the JSON format.
    pub fn outcome_word(&self) -> &'static str {
        match &self.verdict {
            Verdict::Unsigned => "unsigned",
            Verdict::Foreign(_) => "foreign-format",
            Verdict::Checked(o) => outcome_word(o),
            Verdict::Unreadable(_) => "error",
        }
    }

    /// The stable reason code, if any.
    pub fn reason(&self) -> Option<&'static str> {
        match &self.verdict {
            Verdict::Unsigned | Verdict::Unreadable(_) => None,
            Verdict::Foreign(_) => {
                Some(crate::verify::reason::Reason::UnsupportedSignatureFormat.code())
            }
            Verdict::Checked(Judged::Verified(v)) => (v.trust.level != TrustLevel::Fully)
                .then_some(crate::verify::reason::Reason::IdentityMismatch.code()),
            Verdict::Checked(Judged::Rejected(r)) => Some(r.reason.code()),
        }
    }

    /// Why, in one line.
    pub fn detail(&self) -> String {
        // Only a policy file lets unsigned or foreign-format objects pass; without one there
        // is no policy to speak of, so a failure says what the object is, nothing more.
        let policy = |pass: bool| {
            if pass {
                " (allowed by the policy file)"
            } else {
                ""
            }
        };
        match &self.verdict {
            Verdict::Unsigned => format!("not signed{}", policy(self.pass)),
            Verdict::Foreign(f) => {
                let f = match f {
                    SignatureFormat::OpenPgp => "OpenPGP",
                    SignatureFormat::Ssh => "SSH",
                    SignatureFormat::X509 | SignatureFormat::Unknown => "other",
                };
                format!("{f} signature, not checked by gitseal{}", policy(self.pass))
            }
            Verdict::Checked(o @ Judged::Verified(v)) => format!(
                "{} ({}){}, tlog index {}: trust {}: {}",
                v.signer.identity.as_deref().unwrap_or("unknown identity"),
                v.signer.issuer.as_deref().unwrap_or("unknown issuer"),
                pipeline(o).map(|p| format!(", {p}")).unwrap_or_default(),
                v.tlog.log_index,
                match v.trust.level {
                    TrustLevel::Fully => "fully",
                    TrustLevel::Undefined => "undefined",
                    TrustLevel::Never => "never",
                },
                v.trust.why
            ),
            Verdict::Checked(Judged::Rejected(r)) => r.detail.clone(),
            Verdict::Unreadable(e) => e.clone(),
        }
    }

    /// The JSON object ([`json_value`] for the common keys), plus `pass`, `merge`,
    /// `ref` and `detail`.
    pub fn json(&self) -> serde_json::Value {
        let kind = self.kind.name();
        let mut v = match &self.verdict {
            Verdict::Checked(o) => json_value(&self.id, kind, Some(o)),
            _ => json_value(&self.id, kind, None),
        };
        if let Some(map) = v.as_object_mut() {
            map.insert("outcome".into(), self.outcome_word().into());
            map.insert("reason".into(), self.reason().into());
            map.insert("pass".into(), self.pass.into());
            map.insert("merge".into(), self.merge.into());
            map.insert("ref".into(), self.ref_name.clone().into());
            map.insert("detail".into(), self.detail().into());
        }
        v
    }
}

/// Per-outcome counts.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    counts: BTreeMap<&'static str, usize>,
    /// Objects that pass.
    pub passed: usize,
    /// Objects that do not.
    pub failed: usize,
}

/// Every outcome word, in the order the summary lists them.
pub const OUTCOMES: [&str; 7] = [
    "good",
    "bad",
    "untrusted-signer",
    "unverifiable-offline",
    "unsigned",
    "foreign-format",
    "error",
];

impl Summary {
    /// Counts one report.
    pub fn add(&mut self, r: &Report) {
        *self.counts.entry(r.outcome_word()).or_insert(0) += 1;
        if r.pass {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }

    /// Objects counted.
    pub fn total(&self) -> usize {
        self.passed + self.failed
    }

    /// Objects counted with outcome word `word` (one of [`OUTCOMES`]).
    pub fn count(&self, word: &str) -> usize {
        self.counts.get(word).copied().unwrap_or(0)
    }

    /// The JSON summary line's object: `{"summary": {objects, passed, failed, <outcome>...}}`.
    pub fn json(&self) -> serde_json::Value {
        let mut counts = serde_json::Map::new();
        counts.insert("objects".into(), self.total().into());
        counts.insert("passed".into(), self.passed.into());
        counts.insert("failed".into(), self.failed.into());
        for w in OUTCOMES {
            counts.insert(w.into(), self.counts.get(w).copied().unwrap_or(0).into());
        }
        serde_json::json!({ "summary": counts })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;

    fn report(verdict: Verdict, pass: bool) -> Report {
        Report {
            id: "a".repeat(40),
            kind: Kind::Commit,
            merge: false,
            ref_name: Some("refs/heads/main".into()),
            verdict,
            pass,
        }
    }

    #[test]
    fn summary_counts_outcomes_and_passes() {
        let mut s = Summary::default();
        s.add(&report(Verdict::Unsigned, true));
        s.add(&report(Verdict::Unsigned, false));
        s.add(&report(Verdict::Foreign(SignatureFormat::Ssh), false));
        assert_eq!((s.total(), s.passed, s.failed), (3, 1, 2));
        assert_eq!(s.count("unsigned"), 2);
        assert_eq!(s.count("foreign-format"), 1);
        assert_eq!(s.count("good"), 0);
        let j = s.json();
        assert_eq!(j["summary"]["objects"], 3);
        assert_eq!(j["summary"]["unsigned"], 2);
        assert_eq!(j["summary"]["good"], 0);
        assert_eq!(
            j["summary"].as_object().unwrap().len(),
            3 + OUTCOMES.len(),
            "{j}"
        );
        assert_eq!(
            crate::cli::render::summary_line(&s, "gitseal"),
            "gitseal: 3 object(s) (2 unsigned, 1 foreign-format): 1 passed, 2 failed"
        );
    }

    #[test]
    fn report_words_reasons_and_json() {
        let r = report(Verdict::Foreign(SignatureFormat::OpenPgp), true);
        assert_eq!(r.outcome_word(), "foreign-format");
        assert_eq!(r.reason(), Some("unsupported-signature-format"));
        assert_eq!(
            r.detail(),
            "OpenPGP signature, not checked by gitseal (allowed by the policy file)"
        );
        let j = r.json();
        assert_eq!(j["pass"], true);
        assert_eq!(j["ref"], "refs/heads/main");
        assert_eq!(j["type"], "commit");
        let r = report(Verdict::Unsigned, false);
        assert_eq!(r.reason(), None);
        assert_eq!(r.detail(), "not signed");
    }
}
