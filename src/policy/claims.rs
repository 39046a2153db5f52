//! Claim rules: which Fulcio certificate claims a signer must carry, by their Sigstore names
//! (`x509::claims::Claim`, every forge) — the policy file's `claims = { … }` table,
//! `--certificate-claim[-regexp] NAME=VALUE` — and the older GitHub spellings that map onto
//! the same rules: cosign's `--certificate-github-workflow-*` flags and the file's
//! `github = { … }` table ([`GithubClaim`]).
//!
//! The GitHub names are Fulcio's first, raw-string extensions 1.3.6.1.4.1.57264.1.2–.6
//! (Fulcio `docs/oid-info.md`, "deprecated" in favour of the DER-encoded .1.8 onwards, but
//! still the ones cosign's `--certificate-github-workflow-*` flags match, exactly; compat
//! §6.5). Unknown names are refused with the list of known ones: a misspelt claim must not
//! quietly drop a requirement.

use super::Matcher;
use crate::oids;
use crate::x509::claims::Claim;
use const_oid::ObjectIdentifier as Oid;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A required claim: which, and the rule its value must satisfy.
pub type ClaimRule = (Claim, Matcher);

/// The suffix that turns a claim name into a regular-expression rule.
pub const REGEXP_SUFFIX: &str = "-regexp";

/// The rule for key `key` (`NAME` or `NAME-regexp`) and value `value`; the error says what is
/// wrong in one sentence (unknown name with the known ones, empty value, bad regexp).
pub fn rule(key: &str, value: &str) -> Result<ClaimRule, String> {
    let (name, regexp) = match key.strip_suffix(REGEXP_SUFFIX) {
        Some(n) => (n, true),
        None => (key, false),
    };
    let claim = Claim::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Claim::ALL.iter().map(|c| c.name()).collect();
        format!(
            "unknown certificate claim {name:?}; known claims (each also as NAME{REGEXP_SUFFIX}): {}",
            known.join(", ")
        )
    })?;
    if value.is_empty() {
        return Err(format!(
            "claim {key}: empty value (an unset variable?): an empty rule would match nothing or everything"
        ));
    }
    let m = if regexp {
        Matcher::regexp(value).map_err(|e| format!("claim {key}: {e}"))?
    } else {
        Matcher::Exact(value.to_string())
    };
    Ok((claim, m))
}

/// The policy file's `claims = { NAME = "value", NAME-regexp = "re", … }` table → rules
/// (in key order).
pub(crate) fn rules_from_table(table: BTreeMap<String, String>) -> Result<Vec<ClaimRule>, String> {
    table.iter().map(|(k, v)| rule(k, v)).collect()
}

/// A `--certificate-claim NAME=VALUE` argument (`regexp`: `--certificate-claim-regexp`).
pub fn rule_from_arg(arg: &str, regexp: bool) -> Result<ClaimRule, String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?} is not NAME=VALUE"))?;
    if regexp {
        rule(&format!("{name}{REGEXP_SUFFIX}"), value)
    } else if name.ends_with(REGEXP_SUFFIX) {
        Err(format!(
            "{name:?}: use --certificate-claim-regexp {}=REGEX for a regular expression",
            name.trim_end_matches(REGEXP_SUFFIX)
        ))
    } else {
        rule(name, value)
    }
}

/// One GitHub workflow claim a policy may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GithubClaim {
    /// The event that triggered the workflow (`push`, …).
    Trigger,
    /// The commit the workflow ran on.
    Sha,
    /// The workflow's name (`workflow` in the token).
    Name,
    /// `owner/repo`.
    Repository,
    /// The git ref the workflow ran on.
    Ref,
}

impl GithubClaim {
    /// Every claim, in the order the flags are listed (cosign's order).
    pub const ALL: [Self; 5] = [
        Self::Trigger,
        Self::Sha,
        Self::Name,
        Self::Repository,
        Self::Ref,
    ];

    /// The Fulcio certificate extension holding the claim.
    pub fn oid(self) -> Oid {
        match self {
            Self::Trigger => oids::FULCIO_GITHUB_WORKFLOW_TRIGGER,
            Self::Sha => oids::FULCIO_GITHUB_WORKFLOW_SHA,
            Self::Name => oids::FULCIO_GITHUB_WORKFLOW_NAME,
            Self::Repository => oids::FULCIO_GITHUB_WORKFLOW_REPOSITORY,
            Self::Ref => oids::FULCIO_GITHUB_WORKFLOW_REF,
        }
    }

    /// The certificate claim it is (`x509::claims`, which reads it).
    pub fn claim(self) -> crate::x509::claims::Claim {
        use crate::x509::claims::Claim;
        match self {
            Self::Trigger => Claim::GithubWorkflowTrigger,
            Self::Sha => Claim::GithubWorkflowSha,
            Self::Name => Claim::GithubWorkflowName,
            Self::Repository => Claim::GithubWorkflowRepository,
            Self::Ref => Claim::GithubWorkflowRef,
        }
    }

    /// The name in the flag `--certificate-github-workflow-<name>` (cosign's flag names).
    pub fn flag_name(self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Sha => "sha",
            Self::Name => "name",
            Self::Repository => "repository",
            Self::Ref => "ref",
        }
    }

    /// The key in the policy file's `github = { … }` table (`FileClaims`): the token's claim
    /// names, so the workflow name is `workflow`.
    pub fn file_key(self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Sha => "sha",
            Self::Name => "workflow",
            Self::Repository => "repository",
            Self::Ref => "ref",
        }
    }
}

/// The policy file's `github = { … }` table. Its serde names are [`GithubClaim::file_key`]
/// (a unit test holds them equal); unknown keys are refused by the TOML parser, with the line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileClaims {
    repository: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    workflow: Option<String>,
    trigger: Option<String>,
    sha: Option<String>,
}

impl FileClaims {
    /// The required claims, in the table's documented order (repository, ref, workflow,
    /// trigger, sha): the first that does not hold is the one a refusal names.
    pub(crate) fn into_claims(self) -> Vec<(GithubClaim, String)> {
        [
            (GithubClaim::Repository, self.repository),
            (GithubClaim::Ref, self.git_ref),
            (GithubClaim::Name, self.workflow),
            (GithubClaim::Trigger, self.trigger),
            (GithubClaim::Sha, self.sha),
        ]
        .into_iter()
        .filter_map(|(c, v)| v.map(|v| (c, v)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each claim's file key parses as that claim, and nothing else does.
    #[test]
    fn file_keys_are_the_tables_keys() {
        for claim in GithubClaim::ALL {
            let text = format!("{} = \"v\"", claim.file_key());
            let parsed: FileClaims = toml::from_str(&text).unwrap();
            assert_eq!(parsed.into_claims(), vec![(claim, "v".to_string())]);
        }
        assert!(toml::from_str::<FileClaims>("name = \"v\"").is_err());
    }

    /// Each claim's flag exists on `gitseal verify` and gives that claim.
    #[test]
    fn flag_names_are_the_flags() {
        use clap::Parser as _;
        for claim in GithubClaim::ALL {
            let flag = format!("--certificate-github-workflow-{}", claim.flag_name());
            let cli = crate::cli::commands::Cli::try_parse_from(["gitseal", "verify", &flag, "v"])
                .unwrap_or_else(|e| panic!("{flag}: {e}"));
            let crate::cli::commands::Command::Verify(v) = cli.command.unwrap() else {
                panic!("{flag}: not verify");
            };
            assert_eq!(
                v.identity.policy_args().github,
                vec![(claim, "v".to_string())]
            );
        }
    }

    #[test]
    fn oids_are_fulcios_github_extensions() {
        let arcs: Vec<String> = GithubClaim::ALL
            .iter()
            .map(|c| c.oid().to_string())
            .collect();
        assert_eq!(
            arcs,
            ["2", "3", "4", "5", "6"].map(|n| format!("1.3.6.1.4.1.57264.1.{n}"))
        );
    }
}
