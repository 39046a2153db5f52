//! The policy file (TOML): which signers are allowed, optionally per ref, and whether unsigned
//! and foreign-format (OpenPGP, SSH) objects pass — for `gitseal verify`, `gitseal
//! pre-receive` and git's `--verify` path alike.
//!
//! This module owns the file format, its validation (unknown keys, missing identity or issuer
//! constraints and bad regular expressions are errors, never silently ignored) and the pure
//! evaluation of a certificate the pipeline has already verified. Each allow rule is turned
//! into a [`Policy`] so identity matching has exactly the semantics of [`super`] (cosign's
//! flags, compat §6.5). It must not verify signatures or read git config; reading the file in
//! [`PolicyFile::load`] is its only I/O.
//!
//! ```toml
//! unsigned = "reject"          # or "allow"
//! foreign-format = "reject"    # OpenPGP / SSH signatures, which gitseal does not check
//! [merges]                     # optional overrides for merge commits
//! unsigned = "allow"
//!
//! [[allow]]
//! name = "maintainers"
//! identity = ["alice@example.com", "bob@example.com"]
//! issuer = "https://accounts.google.com"
//!
//! [[allow]]
//! name = "release bot"
//! identity-regexp = '^https://github\.com/acme/app/\.github/workflows/release\.yml@'
//! issuer = "https://token.actions.githubusercontent.com"
//! github = { repository = "acme/app", trigger = "push" }
//! refs = ["refs/heads/main", "refs/tags/*"]
//!
//! [[allow]]
//! name = "GitLab release pipeline"
//! identity = "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main"
//! issuer = "https://gitlab.com"
//! claims = { source-repository-uri = "https://gitlab.com/acme/app", source-repository-ref = "refs/heads/main", runner-environment = "gitlab-hosted" }
//! ```
//!
//! `claims` keys are Sigstore claim names (`x509::claims::Claim::name`), each exact or with
//! `-regexp`; an unknown name is an error.

use super::claims::{self, FileClaims};
use super::{Matcher, Policy, TrustDecision, TrustLevel};
use crate::x509::{Cert, San};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a policy file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    /// The file could not be read.
    #[error("cannot read policy file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not valid TOML, or keys this format does not have (the TOML parser's message, with the
    /// line and column).
    #[error("policy file {origin}: {detail}")]
    Syntax {
        /// The file name (for messages).
        origin: String,
        /// What is wrong.
        detail: String,
    },
    /// A value is not acceptable.
    #[error("policy file {origin}: {location}: {detail}")]
    Invalid {
        /// The file name (for messages).
        origin: String,
        /// Where (`allow rule 2 ("bots")`, `version`).
        location: String,
        /// What is wrong.
        detail: String,
    },
}

/// Whether objects of a kind pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    /// They pass.
    Allow,
    /// They fail.
    Reject,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

fn many(v: Option<OneOrMany>) -> Vec<String> {
    v.map(OneOrMany::into_vec).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    version: Option<i64>,
    unsigned: Option<Disposition>,
    foreign_format: Option<Disposition>,
    merges: Option<RawMerges>,
    #[serde(default)]
    allow: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMerges {
    unsigned: Option<Disposition>,
    foreign_format: Option<Disposition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    name: Option<String>,
    identity: Option<OneOrMany>,
    identity_regexp: Option<OneOrMany>,
    issuer: Option<OneOrMany>,
    issuer_regexp: Option<OneOrMany>,
    github: Option<FileClaims>,
    claims: Option<BTreeMap<String, String>>,
    refs: Option<OneOrMany>,
}

/// One allow rule.
#[derive(Debug, Clone)]
pub struct AllowRule {
    /// `allow rule N ("name")`, for messages.
    pub label: String,
    /// The signer constraints, never empty.
    pub signer: Policy,
    /// Ref patterns the rule is limited to; empty = every ref (and objects with no ref).
    pub refs: Vec<String>,
}

impl AllowRule {
    /// Whether the rule applies to an object on `ref_name` (`None`: no ref is known, and only
    /// rules not limited to refs apply).
    pub fn applies(&self, ref_name: Option<&str>) -> bool {
        self.refs.is_empty()
            || ref_name.is_some_and(|n| self.refs.iter().any(|p| ref_matches(p, n)))
    }
}

/// A validated policy file.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    /// Where it came from (for messages).
    pub origin: String,
    /// The allow rules, in file order.
    pub rules: Vec<AllowRule>,
    /// Unsigned commits and tags.
    pub unsigned: Disposition,
    /// OpenPGP and SSH signatures.
    pub foreign_format: Disposition,
    /// Unsigned merge commits.
    pub merge_unsigned: Disposition,
    /// Merge commits with OpenPGP or SSH signatures (e.g. a forge's merge button).
    pub merge_foreign_format: Disposition,
}

/// Whether `name` (a full ref name) matches `pattern`: exact, or with `*` standing for any run
/// of characters (including `/`, as in git refspecs).
pub fn ref_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: exact.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl PolicyFile {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Self, PolicyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and validates policy text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self, PolicyFileError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| PolicyFileError::Syntax {
            origin: origin.into(),
            detail: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |location: String, detail: String| PolicyFileError::Invalid {
            origin: origin.into(),
            location,
            detail,
        };
        if let Some(v) = raw.version
            && v != 1
        {
            return Err(invalid(
                "version".into(),
                format!("{v} is not supported (this gitseal reads version 1)"),
            ));
        }
        let unsigned = raw.unsigned.unwrap_or(Disposition::Reject);
        let foreign_format = raw.foreign_format.unwrap_or(Disposition::Reject);
        let (merge_unsigned, merge_foreign_format) = match raw.merges {
            Some(m) => (
                m.unsigned.unwrap_or(unsigned),
                m.foreign_format.unwrap_or(foreign_format),
            ),
            None => (unsigned, foreign_format),
        };
        let mut rules = Vec::with_capacity(raw.allow.len());
        for (i, r) in raw.allow.into_iter().enumerate() {
            let label = match &r.name {
                Some(n) => format!("allow rule {} ({n:?})", i + 1),
                None => format!("allow rule {}", i + 1),
            };
            rules.push(build_rule(r, label).map_err(|(loc, d)| invalid(loc, d))?);
        }
        Ok(Self {
            origin: origin.into(),
            rules,
            unsigned,
            foreign_format,
            merge_unsigned,
            merge_foreign_format,
        })
    }

    /// Whether an unsigned object passes (`merge`: a commit with two or more parents).
    pub fn admits_unsigned(&self, merge: bool) -> bool {
        let d = if merge {
            self.merge_unsigned
        } else {
            self.unsigned
        };
        d == Disposition::Allow
    }

    /// Whether an OpenPGP- or SSH-signed object passes.
    pub fn admits_foreign_format(&self, merge: bool) -> bool {
        let d = if merge {
            self.merge_foreign_format
        } else {
            self.foreign_format
        };
        d == Disposition::Allow
    }

    /// The rules that apply to an object on `ref_name` (`None`: the ref is not known, as on
    /// git's `--verify` path; then only rules without `refs` apply).
    pub fn applicable<'a>(
        &'a self,
        ref_name: Option<&'a str>,
    ) -> impl Iterator<Item = &'a AllowRule> {
        self.rules.iter().filter(move |r| r.applies(ref_name))
    }

    /// The positions (0-based, file order) of the rules that apply on `ref_name`.
    pub fn applicable_indices(&self, ref_name: Option<&str>) -> Vec<usize> {
        (0..self.rules.len())
            .filter(|&i| self.rules[i].applies(ref_name))
            .collect()
    }

    /// The trust decision for a verified leaf: fully when an applicable rule admits it, never
    /// otherwise. Pure.
    pub fn decide(&self, leaf: &Cert, ref_name: Option<&str>) -> TrustDecision {
        let mut considered = 0usize;
        let mut last_why = String::new();
        for rule in self.applicable(ref_name) {
            considered += 1;
            let d = rule.signer.decide(leaf, None);
            if d.level == TrustLevel::Fully {
                return TrustDecision {
                    level: TrustLevel::Fully,
                    why: format!("allowed by {} of policy {}", rule.label, self.origin),
                };
            }
            last_why = format!("{}: {}", rule.label, d.why);
        }
        let sans: Vec<String> = leaf
            .sans()
            .unwrap_or_default()
            .iter()
            .map(|s| San::value(s).to_string())
            .collect();
        let issuer = leaf.oidc_issuer().ok().flatten().unwrap_or_default();
        let scope = match ref_name {
            Some(r) => format!("that apply to {r}"),
            None => "that apply without a ref".into(),
        };
        let skipped = self.rules.len() - considered;
        let skipped_note = if skipped > 0 {
            format!(" ({skipped} rule(s) limited to other refs were not considered)")
        } else {
            String::new()
        };
        let detail = if considered == 1 {
            format!("; {last_why}")
        } else {
            String::new()
        };
        TrustDecision {
            level: TrustLevel::Never,
            why: format!(
                "signer {sans:?} ({issuer}) matches none of the {considered} allow rule(s) \
                 {scope} in policy {}{skipped_note}{detail}",
                self.origin
            ),
        }
    }
}

fn build_rule(r: RawRule, label: String) -> Result<AllowRule, (String, String)> {
    let err = |d: String| (label.clone(), d);
    let mut identities: Vec<Matcher> = many(r.identity).into_iter().map(Matcher::Exact).collect();
    for re in many(r.identity_regexp) {
        identities.push(Matcher::regexp(&re).map_err(err)?);
    }
    let mut issuers: Vec<Matcher> = many(r.issuer).into_iter().map(Matcher::Exact).collect();
    for re in many(r.issuer_regexp) {
        issuers.push(Matcher::regexp(&re).map_err(err)?);
    }
    // cosign's keyless rule (compat §6.1): both who and which issuer must be pinned, or any
    // Fulcio certificate from anywhere would pass.
    if identities.is_empty() {
        return Err(err("an identity or identity-regexp is required".into()));
    }
    if issuers.is_empty() {
        return Err(err("an issuer or issuer-regexp is required".into()));
    }
    // Fulcio's GitHub workflow extensions, matched exactly (as cosign's
    // `--certificate-github-workflow-*` flags; the table's keys are in `claims`), then the
    // `claims` table by Sigstore name: all are required.
    let mut claims: Vec<claims::ClaimRule> = r
        .github
        .map(FileClaims::into_claims)
        .unwrap_or_default()
        .into_iter()
        .map(|(c, v)| (c.claim(), Matcher::Exact(v)))
        .collect();
    if let Some(table) = r.claims {
        claims.extend(claims::rules_from_table(table).map_err(err)?);
    }
    let refs = many(r.refs);
    if let Some(bad) = refs.iter().find(|p| !p.starts_with("refs/")) {
        return Err(err(format!(
            "ref pattern {bad:?} must be a full ref name starting with refs/ (e.g. refs/heads/main)"
        )));
    }
    Ok(AllowRule {
        label,
        signer: Policy {
            identities,
            issuers,
            claims,
        },
        refs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_patterns() {
        assert!(ref_matches("refs/heads/main", "refs/heads/main"));
        assert!(!ref_matches("refs/heads/main", "refs/heads/main2"));
        assert!(ref_matches(
            "refs/heads/release/*",
            "refs/heads/release/1.0"
        ));
        assert!(ref_matches("refs/tags/*", "refs/tags/a/b"));
        assert!(ref_matches("refs/*/main", "refs/heads/main"));
        assert!(!ref_matches("refs/tags/v*", "refs/heads/v1"));
        assert!(ref_matches("refs/tags/v*.0", "refs/tags/v2.0"));
        assert!(!ref_matches("refs/tags/v*.0", "refs/tags/v2.1"));
        assert!(!ref_matches("refs/a*a", "refs/a"));
    }

    #[test]
    fn parses_a_full_file() {
        let p = PolicyFile::parse(
            r#"
            version = 1
            unsigned = "reject"
            foreign-format = "allow"
            [merges]
            unsigned = "allow"

            [[allow]]
            name = "people"
            identity = ["alice@example.com", "bob@example.com"]
            issuer = "https://accounts.google.com"

            [[allow]]
            identity-regexp = '^https://github\.com/acme/'
            issuer-regexp = "^https://token\\.actions\\.githubusercontent\\.com$"
            github = { repository = "acme/app", ref = "refs/heads/main", workflow = "release", trigger = "push" }
            refs = "refs/heads/main"
            "#,
            "test.toml",
        )
        .unwrap();
        assert_eq!(p.rules.len(), 2);
        assert!(!p.admits_unsigned(false));
        assert!(p.admits_unsigned(true));
        assert!(p.admits_foreign_format(false));
        assert!(p.admits_foreign_format(true));
        assert_eq!(p.rules[0].label, "allow rule 1 (\"people\")");
        assert_eq!(p.rules[1].signer.claims.len(), 4);
        assert_eq!(p.applicable(None).count(), 1);
        assert_eq!(p.applicable(Some("refs/heads/main")).count(), 2);
        assert_eq!(p.applicable(Some("refs/heads/dev")).count(), 1);
    }

    #[test]
    fn rejects_what_it_does_not_understand() {
        for (text, want) in [
            ("unsigned = \"maybe\"", "unsigned"),
            (
                "[[allow]]\nidentity = \"a@x\"\nissuer = \"i\"\nidentty = \"b\"",
                "identty",
            ),
            ("[[allow]]\nissuer = \"i\"", "identity"),
            ("[[allow]]\nidentity = \"a@x\"", "issuer"),
            (
                "[[allow]]\nidentity-regexp = \"(\"\nissuer = \"i\"",
                "regular expression",
            ),
            (
                "[[allow]]\nidentity = \"a\"\nissuer = \"i\"\nrefs = [\"main\"]",
                "refs/",
            ),
            ("version = 2", "version"),
            (
                "[[allow]]\nidentity = \"a\"\nissuer = \"i\"\ngithub = { branch = \"x\" }",
                "branch",
            ),
        ] {
            let e = PolicyFile::parse(text, "p.toml").unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(e.contains("p.toml"), "{e}");
        }
    }

    #[test]
    fn defaults_reject_everything_but_allowed_signers() {
        let p = PolicyFile::parse("", "empty").unwrap();
        assert!(p.rules.is_empty());
        assert!(!p.admits_unsigned(false) && !p.admits_unsigned(true));
        assert!(!p.admits_foreign_format(false) && !p.admits_foreign_format(true));
    }

    const GITLAB_RULE: &str = r#"
        [[allow]]
        name = "release pipeline"
        identity = "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main"
        issuer = "https://gitlab.com"
        claims = { source-repository-uri = "https://gitlab.com/acme/app", source-repository-ref = "refs/heads/main", runner-environment-regexp = "^gitlab-hosted$" }
        refs = "refs/tags/*"
    "#;

    #[test]
    fn claims_table_admits_only_its_pipeline() {
        use crate::policy::tests::{GITLAB_SAN, ci_leaf, gitlab_claims};
        use crate::x509::claims::Claim;
        let p = PolicyFile::parse(GITLAB_RULE, "p.toml").unwrap();
        assert_eq!(p.rules[0].signer.claims.len(), 3);
        let good = ci_leaf(GITLAB_SAN, &gitlab_claims());
        let d = p.decide(&good, Some("refs/tags/v1"));
        assert_eq!(d.level, TrustLevel::Fully, "{}", d.why);
        // Not on a ref the rule is for.
        assert_eq!(
            p.decide(&good, Some("refs/heads/main")).level,
            TrustLevel::Never
        );
        for (claim, value) in [
            (Claim::SourceRepositoryUri, "https://gitlab.com/acme/other"),
            (Claim::SourceRepositoryRef, "refs/heads/feature"),
            (Claim::RunnerEnvironment, "self-hosted"),
        ] {
            let claims: Vec<_> = gitlab_claims()
                .into_iter()
                .map(|(c, v)| if c == claim { (c, value) } else { (c, v) })
                .collect();
            let d = p.decide(&ci_leaf(GITLAB_SAN, &claims), Some("refs/tags/v1"));
            assert_eq!(d.level, TrustLevel::Never, "{claim:?}");
            assert!(d.why.contains(claim.name()), "{}", d.why);
            // And with the claim missing altogether.
            let without: Vec<_> = gitlab_claims()
                .into_iter()
                .filter(|(c, _)| *c != claim)
                .collect();
            let d = p.decide(&ci_leaf(GITLAB_SAN, &without), Some("refs/tags/v1"));
            assert_eq!(d.level, TrustLevel::Never, "{claim:?} missing");
            assert!(d.why.contains("has no"), "{}", d.why);
        }
    }

    #[test]
    fn claims_table_refuses_unknown_names_and_bad_values() {
        for (table, want) in [
            (
                "{ source-repo-uri = \"x\" }",
                "unknown certificate claim \"source-repo-uri\"",
            ),
            ("{ issuer = \"x\" }", "unknown certificate claim \"issuer\""),
            ("{ Build-Trigger = \"push\" }", "unknown certificate claim"),
            (
                "{ build-trigger-regex = \"x\" }",
                "unknown certificate claim",
            ),
            ("{ build-trigger = \"\" }", "empty value"),
            ("{ build-trigger-regexp = \"(\" }", "regular expression"),
            ("{ build-trigger = 1 }", "claims"),
        ] {
            let text = format!("[[allow]]\nidentity = \"a\"\nissuer = \"i\"\nclaims = {table}");
            let e = PolicyFile::parse(&text, "p.toml").unwrap_err().to_string();
            assert!(e.contains(want), "{table}: {e}");
            assert!(e.contains("p.toml"), "{e}");
        }
        let e = PolicyFile::parse(
            "[[allow]]\nidentity = \"a\"\nissuer = \"i\"\nclaims = { nope = \"x\" }",
            "p.toml",
        )
        .unwrap_err()
        .to_string();
        // The message lists the names that exist.
        assert!(e.contains("source-repository-visibility-at-signing"), "{e}");
    }
}
