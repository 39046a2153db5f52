//! Who may sign: the one place trust is decided. Verification (`verify`) proves *what* holds —
//! this signature, this certificate, this log entry; this module says whether that signer is
//! one the rules admit, and at which trust level.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`TrustLevel`], [`TrustDecision`], [`Policy::decide`] and the committer rule; [`Judged`], a verification outcome with its decision ([`judge`]) |
//! | [`committer`] | `gitsign.matchCommitter`, the signing-time rule: is the certificate Fulcio issued the configured committer's ([`committer::matches`])? |
//! | [`matcher`] | exact and regular-expression string rules ([`Matcher`]) |
//! | [`claims`] | Fulcio's GitHub workflow claims: OIDs and their flag and file names ([`GithubClaim`]) |
//! | [`args`] | identity flags or `gitseal.identity*` git config → a validated [`Policy`] ([`PolicyArgs::build`]) |
//! | [`file`](mod@file) | the TOML policy file: allow rules per ref, unsigned and foreign-format objects ([`file::PolicyFile::decide`]) |
//!
//! Semantics follow cosign's `--certificate-identity[-regexp]` / `--certificate-oidc-issuer
//! [-regexp]` (compat §6.5): any SAN may match; several values of one kind are alternatives;
//! regular expressions are unanchored like Go's `MatchString` (anchor them with `^…$` when you
//! mean a whole value); GitHub workflow claims match exactly. With no rule at all the signer is
//! trusted fully only when the certificate email is the committer's (or tagger's) email in the
//! signed payload. Pure apart from [`file::PolicyFile::load`]: certificate facts in, decision
//! out.

pub mod args;
pub mod claims;
pub mod committer;
pub mod file;
pub mod matcher;

pub use args::{PolicyArgs, PolicySource};
pub use claims::GithubClaim;
pub use matcher::Matcher;

use crate::verify::{self, Rejection, Verified};
use crate::x509::{Cert, San};

/// The allowed signers.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Allowed identities (any SAN); empty = any.
    pub identities: Vec<Matcher>,
    /// Allowed OIDC issuers; empty = any.
    pub issuers: Vec<Matcher>,
    /// Required Fulcio GitHub workflow claims (exact values).
    pub claims: Vec<(GithubClaim, String)>,
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

/// A verified signature and the trust decision on it. It reads as the [`Verified`] evidence
/// (`Deref`), plus [`Trusted::trust`].
#[derive(Debug, Clone)]
pub struct Trusted {
    evidence: Box<Verified>,
    /// The decision on the evidence's leaf.
    pub trust: TrustDecision,
}

impl std::ops::Deref for Trusted {
    type Target = Verified;

    fn deref(&self) -> &Verified {
        &self.evidence
    }
}

/// One signature judged: verification's outcome with the trust decision made on it, what
/// every caller reports (git's status lines, `gitseal verify`, pre-receive).
#[derive(Debug, Clone)]
pub enum Judged {
    /// Signature, chain and log proof all hold; the trust level says whether the signer is
    /// allowed.
    Verified(Box<Trusted>),
    /// Not a good signature; the reason's class says BADSIG or ERRSIG.
    Rejected(Rejection),
}

/// Decides trust once on a verification outcome: `decide` sees the verified leaf (the one the
/// evidence carries) and gives the level; a rejection stays as it is.
pub fn judge(outcome: verify::Outcome, decide: impl FnOnce(&Cert) -> TrustDecision) -> Judged {
    match outcome {
        verify::Outcome::Verified(evidence) => {
            let trust = decide(evidence.leaf());
            Judged::Verified(Box::new(Trusted { evidence, trust }))
        }
        verify::Outcome::Rejected(r) => Judged::Rejected(r),
    }
}

impl Policy {
    /// True when no rule is configured (the committer rule applies).
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty() && self.issuers.is_empty() && self.claims.is_empty()
    }

    /// Decides the trust level for a certificate. `signer_email` is the committer (commit) or
    /// tagger (tag) email from the signed payload, used only when the policy is empty.
    pub fn decide(&self, leaf: &Cert, signer_email: Option<&str>) -> TrustDecision {
        self.decide_as(
            leaf,
            signer_email,
            "the signer's email in the signed object",
        )
    }

    /// [`Policy::decide`], with `whose` saying whose email `signer_email` is ("the committer's
    /// email in the commit", "the tagger's email in the tag"), so the explanation names the
    /// one that applied.
    pub fn decide_as(&self, leaf: &Cert, signer_email: Option<&str>, whose: &str) -> TrustDecision {
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
                    why: format!("no policy is configured and the certificate email is {whose}"),
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
        for (claim, want) in &self.claims {
            let got = leaf.fulcio_string(claim.oid()).ok().flatten();
            if got.as_deref() != Some(want.as_str()) {
                return never(format!(
                    "certificate claim {} is {:?}, the policy requires {want:?}",
                    claim.oid(),
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
