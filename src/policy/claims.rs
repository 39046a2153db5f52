//! Fulcio's GitHub workflow claims: the one place their extension OIDs and their names (for
//! the `--certificate-github-workflow-*` flags and for the policy file's `github` table) live.
//!
//! These are Fulcio's first, raw-string extensions 1.3.6.1.4.1.57264.1.2–.6 (Fulcio
//! `docs/oid-info.md`, "deprecated" in favour of the DER-encoded .1.8 onwards, but still the
//! ones cosign's `--certificate-github-workflow-*` flags match, exactly; compat §6.5).

use crate::oids;
use const_oid::ObjectIdentifier as Oid;
use serde::Deserialize;

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
