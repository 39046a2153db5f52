//! Who may sign: identity and OIDC-issuer rules, and the trust level they give.
//!
//! Semantics follow cosign's `--certificate-identity[-regexp]` / `--certificate-oidc-issuer
//! [-regexp]` (compat §6.5): any SAN may match; several values of one kind are alternatives;
//! regular expressions are unanchored like Go's `MatchString` (anchor them with `^…$` when you
//! mean a whole value); GitHub workflow claims match exactly. With no rule at all the signer is
//! trusted fully only when the certificate email is the committer's (or tagger's) email in the
//! signed payload. Pure: certificate facts in, decision out.

use crate::oids;
use crate::x509::{Cert, San};
use const_oid::ObjectIdentifier as Oid;
use regex::Regex;

/// A string rule.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Exact equality.
    Exact(String),
    /// Unanchored regular expression.
    Regexp(Regex),
}

impl Matcher {
    /// Builds a regexp matcher; the error is the regex crate's message.
    pub fn regexp(pattern: &str) -> Result<Self, String> {
        Regex::new(pattern)
            .map(Self::Regexp)
            .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(s) => s == value,
            Self::Regexp(r) => r.is_match(value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Exact(s) => format!("{s:?}"),
            Self::Regexp(r) => format!("/{}/", r.as_str()),
        }
    }
}

/// The allowed signers.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Allowed identities (any SAN); empty = any.
    pub identities: Vec<Matcher>,
    /// Allowed OIDC issuers; empty = any.
    pub issuers: Vec<Matcher>,
    /// Required Fulcio GitHub workflow claims (extension OID, exact value).
    pub claims: Vec<(Oid, String)>,
}

/// Trust level, as gpg reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustLevel {
    /// The signer is one the policy (or the committer rule) allows.
    Fully,
    /// No policy and the signer is not the committer: good signature, unknown signer.
    Undefined,
    /// A policy is configured and the signer is outside it.
    Never,
}

/// The decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustDecision {
    /// The level.
    pub level: TrustLevel,
    /// One sentence for humans.
    pub why: String,
}

/// The GitHub claim flags cosign knows, with their (deprecated, raw) extension OIDs.
pub const GITHUB_CLAIMS: &[(&str, Oid)] = &[
    ("trigger", oids::FULCIO_GITHUB_WORKFLOW_TRIGGER),
    ("sha", oids::FULCIO_GITHUB_WORKFLOW_SHA),
    ("name", oids::FULCIO_GITHUB_WORKFLOW_NAME),
    ("repository", oids::FULCIO_GITHUB_WORKFLOW_REPOSITORY),
    ("ref", oids::FULCIO_GITHUB_WORKFLOW_REF),
];

impl Policy {
    /// True when no rule is configured (the committer rule applies).
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty() && self.issuers.is_empty() && self.claims.is_empty()
    }

    /// Decides the trust level for a certificate. `signer_email` is the committer (commit) or
    /// tagger (tag) email from the signed payload, used only when the policy is empty.
    pub fn decide(&self, leaf: &Cert, signer_email: Option<&str>) -> TrustDecision {
        let sans = leaf.sans().unwrap_or_default();
        let issuer = leaf.oidc_issuer().ok().flatten();
        if self.is_empty() {
            let email_match = signer_email.is_some_and(|want| {
                sans.iter()
                    .any(|s| matches!(s, San::Email(e) if e.eq_ignore_ascii_case(want)))
            });
            return if email_match {
                TrustDecision {
                    level: TrustLevel::Fully,
                    why: "no policy is configured and the certificate email is the committer's (tagger's)"
                        .into(),
                }
            } else {
                TrustDecision {
                    level: TrustLevel::Undefined,
                    why: format!(
                        "no policy is configured and the certificate identity is not the committer ({})",
                        signer_email.unwrap_or("no committer email in the payload")
                    ),
                }
            };
        }
        let never = |why: String| TrustDecision {
            level: TrustLevel::Never,
            why,
        };
        if !self.identities.is_empty()
            && !sans
                .iter()
                .any(|s| self.identities.iter().any(|m| m.matches(s.value())))
        {
            let want: Vec<String> = self.identities.iter().map(Matcher::describe).collect();
            let got: Vec<&str> = sans.iter().map(San::value).collect();
            return never(format!(
                "identity {got:?} matches none of the allowed identities [{}]",
                want.join(", ")
            ));
        }
        if !self.issuers.is_empty()
            && !issuer
                .as_deref()
                .is_some_and(|i| self.issuers.iter().any(|m| m.matches(i)))
        {
            let want: Vec<String> = self.issuers.iter().map(Matcher::describe).collect();
            return never(format!(
                "issuer {:?} matches none of the allowed issuers [{}]",
                issuer.unwrap_or_default(),
                want.join(", ")
            ));
        }
        for (oid, want) in &self.claims {
            let got = leaf.fulcio_string(*oid).ok().flatten();
            if got.as_deref() != Some(want.as_str()) {
                return never(format!(
                    "certificate claim {oid} is {:?}, the policy requires {want:?}",
                    got.unwrap_or_default()
                ));
            }
        }
        TrustDecision {
            level: TrustLevel::Fully,
            why: "the signer satisfies the configured identity policy".into(),
        }
    }
}
