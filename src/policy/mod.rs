//! Who may sign: the one place trust is decided. Verification (`verify`) proves *what* holds —
//! this signature, this certificate, this log entry; this module says whether that signer is
//! one the rules admit, and at which trust level.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`TrustLevel`], [`TrustDecision`], [`Policy::decide`] and the committer rule; [`Judged`], a verification outcome with its decision ([`judge`]) |
//! | [`committer`] | `gitsign.matchCommitter`, the signing-time rule: is the certificate Fulcio issued the configured committer's ([`committer::matches`])? |
//! | [`matcher`] | exact and regular-expression string rules ([`Matcher`]) |
//! | [`claims`] | claim rules by Sigstore name (`claims = { … }`, `--certificate-claim`), and the GitHub workflow spellings that map onto them ([`GithubClaim`]) |
//! | [`args`] | identity flags or `gitseal.identity*` git config → a validated [`Policy`] ([`PolicyArgs::build`]) |
//! | [`file`](mod@file) | the TOML policy file: allow rules per ref, unsigned and foreign-format objects ([`file::PolicyFile::decide`]) |
//!
//! Semantics follow cosign's `--certificate-identity[-regexp]` / `--certificate-oidc-issuer
//! [-regexp]` (compat §6.5): any SAN may match; several values of one kind are alternatives;
//! regular expressions are unanchored like Go's `MatchString` (anchor them with `^…$` when you
//! mean a whole value); certificate claims (any forge's CI claims, by Sigstore name) match
//! exactly or by regular expression, each required claim must be present and match, and a
//! missing claim never matches. With no rule at all the signer is
//! trusted fully only when the certificate email is the committer's (or tagger's) email in the
//! signed payload. Pure apart from [`file::PolicyFile::load`]: certificate facts in, decision
//! out.

pub mod args;
pub mod claims;
pub mod committer;
pub mod file;
pub mod matcher;

pub use args::{PolicyArgs, PolicySource};
pub use claims::{ClaimRule, GithubClaim};
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
    /// Required Fulcio certificate claims: every one must be present and match.
    pub claims: Vec<ClaimRule>,
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
        if !self.claims.is_empty() {
            let claims = match leaf.claims() {
                Ok(c) => c,
                Err(e) => return never(format!("the certificate's claims cannot be read: {e}")),
            };
            for (claim, rule) in &self.claims {
                match claims.get(*claim) {
                    None => {
                        return never(format!(
                            "the certificate has no {} claim, the policy requires {}",
                            claim.name(),
                            rule.describe()
                        ));
                    }
                    Some(got) if !rule.matches(got) => {
                        return never(format!(
                            "certificate claim {} is {got:?}, the policy requires {}",
                            claim.name(),
                            rule.describe()
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        TrustDecision {
            level: TrustLevel::Fully,
            why: "the signer satisfies the configured identity policy".into(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use crate::x509::claims::Claim;
    use p256::elliptic_curve::Generate as _;
    use x509_cert::builder::{Builder as _, CertificateBuilder, profile};

    /// The GitLab pipeline identity the tests use (Fulcio's `gitlabcom` SAN).
    pub(crate) const GITLAB_SAN: &str =
        "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main";

    struct Exts(Vec<x509_cert::ext::Extension>);

    impl profile::BuilderProfile for Exts {
        fn get_issuer(&self, _subject: &x509_cert::name::Name) -> x509_cert::name::Name {
            x509_cert::name::Name::default()
        }
        fn get_subject(&self) -> x509_cert::name::Name {
            x509_cert::name::Name::default()
        }
        fn build_extensions(
            &self,
            _spk: spki::SubjectPublicKeyInfoRef<'_>,
            _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
            _tbs: &x509_cert::TbsCertificate,
        ) -> x509_cert::builder::Result<Vec<x509_cert::ext::Extension>> {
            Ok(self.0.clone())
        }
    }

    /// A leaf with a URI SAN, issuer `https://gitlab.com` (.1.1 and .1.8) and `claims` as
    /// Fulcio encodes them (raw for .1.2–.1.6, DER UTF8String after).
    pub(crate) fn ci_leaf(san: &str, claims: &[(Claim, &str)]) -> Cert {
        let utf8 = |s: &str| {
            let mut v = crate::tlv::header(0x0c, s.len());
            v.extend_from_slice(s.as_bytes());
            v
        };
        let raw: Vec<(const_oid::ObjectIdentifier, Vec<u8>)> = claims
            .iter()
            .map(|(c, v)| {
                let value = match c.encoding() {
                    crate::x509::claims::Encoding::Raw => v.as_bytes().to_vec(),
                    crate::x509::claims::Encoding::Der => utf8(v),
                };
                (c.oid(), value)
            })
            .collect();
        leaf_with(san, &raw)
    }

    /// A leaf with a URI SAN, issuer `https://gitlab.com` and extensions `exts` as given.
    fn leaf_with(san: &str, exts_in: &[(const_oid::ObjectIdentifier, Vec<u8>)]) -> Cert {
        use x509_cert::ext::ToExtension as _;
        use x509_cert::ext::pkix::{SubjectAltName, name::GeneralName};
        let ext = |oid, value: Vec<u8>| x509_cert::ext::Extension {
            extn_id: oid,
            critical: false,
            extn_value: der::asn1::OctetString::new(value).unwrap(),
        };
        let utf8 = |s: &str| {
            let mut v = crate::tlv::header(0x0c, s.len());
            v.extend_from_slice(s.as_bytes());
            v
        };
        let issuer = "https://gitlab.com";
        let mut exts = vec![
            SubjectAltName(vec![GeneralName::UniformResourceIdentifier(
                der::asn1::Ia5String::new(san).unwrap(),
            )])
            .to_extension(&x509_cert::name::Name::default(), &[])
            .unwrap(),
            ext(crate::oids::FULCIO_ISSUER_V1, issuer.as_bytes().to_vec()),
            ext(crate::oids::FULCIO_ISSUER_V2, utf8(issuer)),
        ];
        for (oid, value) in exts_in {
            exts.push(ext(*oid, value.clone()));
        }
        let key = p256::ecdsa::SigningKey::generate();
        let spki = spki::SubjectPublicKeyInfoOwned::from_key(key.verifying_key()).unwrap();
        let validity =
            x509_cert::time::Validity::from_now(std::time::Duration::from_secs(600)).unwrap();
        let serial = x509_cert::serial_number::SerialNumber::new(&[1]).unwrap();
        let cert = CertificateBuilder::new(Exts(exts), serial, validity, spki)
            .unwrap()
            .build::<_, p256::ecdsa::DerSignature>(&key)
            .unwrap();
        Cert::from_der(&der::Encode::to_der(&cert).unwrap()).unwrap()
    }

    /// The claims of a GitLab.com pipeline on main, on a GitLab-hosted runner.
    pub(crate) fn gitlab_claims() -> Vec<(Claim, &'static str)> {
        vec![
            (Claim::BuildSignerUri, GITLAB_SAN),
            (Claim::RunnerEnvironment, "gitlab-hosted"),
            (Claim::SourceRepositoryUri, "https://gitlab.com/acme/app"),
            (Claim::SourceRepositoryRef, "refs/heads/main"),
            (Claim::BuildConfigUri, GITLAB_SAN),
            (Claim::BuildTrigger, "push"),
        ]
    }

    fn policy(rules: &[(&str, &str)]) -> Policy {
        Policy {
            identities: vec![Matcher::Exact(GITLAB_SAN.into())],
            issuers: vec![Matcher::Exact("https://gitlab.com".into())],
            claims: rules
                .iter()
                .map(|(k, v)| claims::rule(k, v).unwrap())
                .collect(),
        }
    }

    #[test]
    fn claim_rules_admit_the_pipeline_they_name() {
        let leaf = ci_leaf(GITLAB_SAN, &gitlab_claims());
        for rules in [
            vec![
                ("source-repository-uri", "https://gitlab.com/acme/app"),
                ("source-repository-ref", "refs/heads/main"),
                ("runner-environment", "gitlab-hosted"),
            ],
            vec![(
                "source-repository-ref-regexp",
                "^refs/(heads/main|tags/v.*)$",
            )],
            vec![
                ("build-trigger", "push"),
                ("build-config-uri-regexp", "//\\.gitlab-ci\\.yml@"),
            ],
        ] {
            let d = policy(&rules).decide(&leaf, None);
            assert_eq!(d.level, TrustLevel::Fully, "{rules:?}: {}", d.why);
        }
    }

    /// Every way a claim can fail refuses the signer: TRUST_NEVER, naming the claim.
    #[test]
    fn a_mismatching_or_missing_claim_is_never_trusted() {
        let leaf = ci_leaf(GITLAB_SAN, &gitlab_claims());
        for (rule, value, why) in [
            (
                "source-repository-uri",
                "https://gitlab.com/acme/other",
                "is \"https://gitlab.com/acme/app\"",
            ),
            (
                "source-repository-ref",
                "refs/heads/dev",
                "source-repository-ref is",
            ),
            (
                "runner-environment",
                "self-hosted",
                "runner-environment is \"gitlab-hosted\"",
            ),
            ("build-trigger", "web", "build-trigger"),
            // Exact means whole: a prefix is not a match.
            (
                "source-repository-uri",
                "https://gitlab.com/acme",
                "source-repository-uri",
            ),
            (
                "source-repository-ref-regexp",
                "^refs/tags/",
                "/^refs/tags//",
            ),
            ("runner-environment-regexp", "^self", "runner-environment"),
            // Claims the leaf does not carry.
            (
                "source-repository-digest",
                "0123",
                "has no source-repository-digest claim",
            ),
            (
                "github-workflow-ref",
                "refs/heads/main",
                "has no github-workflow-ref claim",
            ),
            (
                "source-repository-visibility-at-signing-regexp",
                ".*",
                "has no source-repository-visibility-at-signing",
            ),
        ] {
            // Together with rules that hold, so the failing one alone decides.
            let p = policy(&[("runner-environment", "gitlab-hosted"), (rule, value)]);
            let d = p.decide(&leaf, None);
            assert_eq!(d.level, TrustLevel::Never, "{rule}={value}");
            assert!(d.why.contains(why), "{rule}={value}: {}", d.why);
        }
        // The GitHub spellings map onto the same rules, and a GitLab leaf has none of them.
        let mut p = policy(&[]);
        p.claims.push((
            GithubClaim::Repository.claim(),
            Matcher::Exact("acme/app".into()),
        ));
        assert_eq!(p.decide(&leaf, None).level, TrustLevel::Never);
        // A leaf with no claims at all fails any claim rule.
        let bare = ci_leaf(GITLAB_SAN, &[]);
        assert_eq!(
            policy(&[("source-repository-ref-regexp", ".*")])
                .decide(&bare, None)
                .level,
            TrustLevel::Never
        );
    }

    #[test]
    fn github_legacy_claims_are_read_raw() {
        let leaf = ci_leaf(
            "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main",
            &[
                (Claim::GithubWorkflowRepository, "acme/app"),
                (Claim::GithubWorkflowTrigger, "push"),
            ],
        );
        let mut p = policy(&[]);
        p.identities = vec![Matcher::regexp("^https://github.com/acme/").unwrap()];
        p.claims = vec![
            (
                GithubClaim::Repository.claim(),
                Matcher::Exact("acme/app".into()),
            ),
            (GithubClaim::Trigger.claim(), Matcher::Exact("push".into())),
        ];
        assert_eq!(p.decide(&leaf, None).level, TrustLevel::Fully);
        p.claims[1].1 = Matcher::Exact("pull_request".into());
        assert_eq!(p.decide(&leaf, None).level, TrustLevel::Never);
    }

    /// A certificate whose claims cannot be read satisfies no claim rule (verification refuses
    /// it before; the policy fails closed on its own too).
    #[test]
    fn unreadable_claims_are_never_trusted() {
        let bad = leaf_with(
            GITLAB_SAN,
            &[(Claim::RunnerEnvironment.oid(), b"gitlab-hosted".to_vec())],
        );
        let mut p = policy(&[("runner-environment", "gitlab-hosted")]);
        assert_eq!(p.decide(&bad, None).level, TrustLevel::Never);
        // (The issuer is unreadable too, which already fails; without an issuer rule the claim
        // rule itself refuses.)
        p.issuers.clear();
        let d = p.decide(&bad, None);
        assert_eq!(d.level, TrustLevel::Never);
        assert!(d.why.contains("cannot be read"), "{}", d.why);
    }
}
