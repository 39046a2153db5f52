//! Identity rules given as settings — `gitseal verify`'s `--certificate-*` flags or git
//! config `gitseal.identity*` / `gitseal.issuer*` — validated into a [`Policy`]. `config`
//! reads git config; the rules about what makes a usable policy (cosign's keyless rule that
//! identity and issuer are both pinned, compat §6.1; no empty values) live here, beside the
//! [`Policy`] they build.

use super::{GithubClaim, Matcher, Policy};
use crate::config::{ConfigError, GitConfig};

/// Where identity-policy values come from; errors name that source's flags or keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicySource {
    /// `--certificate-*` flags.
    #[default]
    Flags,
    /// git config `gitseal.identity*` / `gitseal.issuer*`.
    GitConfig,
}

/// The user-facing names of one source's settings.
struct PolicyNames {
    identity: &'static str,
    identity_regexp: &'static str,
    issuer: &'static str,
    issuer_regexp: &'static str,
    github: &'static str,
    add_identity: &'static str,
    add_issuer: &'static str,
}

impl PolicySource {
    fn names(self) -> PolicyNames {
        match self {
            Self::Flags => PolicyNames {
                identity: "--certificate-identity",
                identity_regexp: "--certificate-identity-regexp",
                issuer: "--certificate-oidc-issuer",
                issuer_regexp: "--certificate-oidc-issuer-regexp",
                github: "--certificate-github-workflow-*",
                add_identity: "add --certificate-identity ID or --certificate-identity-regexp REGEX",
                add_issuer: "add --certificate-oidc-issuer URL, or --certificate-oidc-issuer-regexp '.*' to accept any issuer explicitly",
            },
            Self::GitConfig => PolicyNames {
                identity: "gitseal.identity",
                identity_regexp: "gitseal.identityRegexp",
                issuer: "gitseal.issuer",
                issuer_regexp: "gitseal.issuerRegexp",
                github: "GitHub workflow claims",
                add_identity: "set gitseal.identity or gitseal.identityRegexp",
                add_issuer: "set gitseal.issuer URL, or gitseal.issuerRegexp '.*' to accept any issuer explicitly",
            },
        }
    }
}

/// Identity-policy values before validation (flags or config).
#[derive(Debug, Clone, Default)]
pub struct PolicyArgs {
    /// Flags or git config: names the settings in errors.
    pub source: PolicySource,
    /// `--certificate-identity`.
    pub identities: Vec<String>,
    /// `--certificate-identity-regexp`.
    pub identity_regexps: Vec<String>,
    /// `--certificate-oidc-issuer`.
    pub issuers: Vec<String>,
    /// `--certificate-oidc-issuer-regexp`.
    pub issuer_regexps: Vec<String>,
    /// `--certificate-github-workflow-<claim>` values.
    pub github: Vec<(GithubClaim, String)>,
    /// `--certificate-claim NAME=VALUE` arguments, as given.
    pub claims: Vec<String>,
    /// `--certificate-claim-regexp NAME=REGEX` arguments, as given.
    pub claim_regexps: Vec<String>,
}

impl PolicyArgs {
    /// True when nothing is given.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
            && self.identity_regexps.is_empty()
            && self.issuers.is_empty()
            && self.issuer_regexps.is_empty()
            && self.github.is_empty()
            && self.claims.is_empty()
            && self.claim_regexps.is_empty()
    }

    /// The policy configured in git config (`gitseal.identity`, `gitseal.identityRegexp`,
    /// `gitseal.issuer`, `gitseal.issuerRegexp`, all multi-valued).
    pub fn from_git_config(git: &GitConfig) -> Self {
        let all = |k: &str| git.get_all(k).into_iter().map(str::to_string).collect();
        Self {
            source: PolicySource::GitConfig,
            identities: all("gitseal.identity"),
            identity_regexps: all("gitseal.identityRegexp"),
            issuers: all("gitseal.issuer"),
            issuer_regexps: all("gitseal.issuerRegexp"),
            github: Vec::new(),
            claims: Vec::new(),
            claim_regexps: Vec::new(),
        }
    }

    /// Validates into a [`Policy`]. Fails closed on what would widen the rules unnoticed:
    /// an empty value (an empty regular expression matches every identity; typically an
    /// unset shell variable), and identity rules without issuer rules or the reverse
    /// ([`ConfigError::IncompletePolicy`]). No values at all is valid: the committer rule.
    pub fn build(&self) -> Result<Policy, ConfigError> {
        let invalid = |key: &str, detail: String| ConfigError::Invalid {
            key: key.into(),
            detail,
        };
        let n = self.source.names();
        for (name, values) in [
            (n.identity, &self.identities),
            (n.identity_regexp, &self.identity_regexps),
            (n.issuer, &self.issuers),
            (n.issuer_regexp, &self.issuer_regexps),
        ] {
            if values.iter().any(String::is_empty) {
                return Err(invalid(
                    name,
                    "empty value (an unset variable?): an empty regular expression would \
                     match every value"
                        .into(),
                ));
            }
        }
        if let Some((claim, _)) = self.github.iter().find(|(_, v)| v.is_empty()) {
            return Err(invalid(
                &format!("GitHub workflow {} claim", claim.flag_name()),
                "empty value".into(),
            ));
        }
        let given_identity = if !self.identities.is_empty() {
            Some(n.identity)
        } else if !self.identity_regexps.is_empty() {
            Some(n.identity_regexp)
        } else {
            None
        };
        let given_issuer = if !self.issuers.is_empty() {
            Some(n.issuer)
        } else if !self.issuer_regexps.is_empty() {
            Some(n.issuer_regexp)
        } else {
            None
        };
        let claims_given = if !self.github.is_empty() {
            Some(n.github)
        } else if !self.claims.is_empty() {
            Some("--certificate-claim")
        } else if !self.claim_regexps.is_empty() {
            Some("--certificate-claim-regexp")
        } else {
            None
        };
        // Claim names and values are checked before the completeness rule, so a misspelt
        // name is reported as such.
        let mut claims: Vec<super::ClaimRule> = self
            .github
            .iter()
            .map(|(c, v)| (c.claim(), Matcher::Exact(v.clone())))
            .collect();
        for (args, regexp, key) in [
            (&self.claims, false, "--certificate-claim"),
            (&self.claim_regexps, true, "--certificate-claim-regexp"),
        ] {
            for a in args {
                claims.push(super::claims::rule_from_arg(a, regexp).map_err(|d| invalid(key, d))?);
            }
        }
        match (given_identity, given_issuer) {
            (Some(given), None) => {
                return Err(ConfigError::IncompletePolicy {
                    given,
                    missing: n.issuer,
                    hint: n.add_issuer,
                });
            }
            (None, Some(given)) => {
                return Err(ConfigError::IncompletePolicy {
                    given,
                    missing: n.identity,
                    hint: n.add_identity,
                });
            }
            (None, None) => {
                // cosign requires identity and issuer for keyless verification whatever else
                // is given: a claim alone (say, trigger=push) admits any workflow of anyone.
                if let Some(given) = claims_given {
                    return Err(ConfigError::IncompletePolicy {
                        given,
                        missing: n.identity,
                        hint: n.add_identity,
                    });
                }
            }
            (Some(_), Some(_)) => {}
        }
        let mut identities: Vec<Matcher> = self
            .identities
            .iter()
            .cloned()
            .map(Matcher::Exact)
            .collect();
        for r in &self.identity_regexps {
            identities.push(Matcher::regexp(r).map_err(|e| invalid("identity regexp", e))?);
        }
        let mut issuers: Vec<Matcher> = self.issuers.iter().cloned().map(Matcher::Exact).collect();
        for r in &self.issuer_regexps {
            issuers.push(Matcher::regexp(r).map_err(|e| invalid("issuer regexp", e))?);
        }
        Ok(Policy {
            identities,
            issuers,
            claims,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(identities: &[&str], issuers: &[&str]) -> PolicyArgs {
        PolicyArgs {
            identities: identities.iter().map(|s| s.to_string()).collect(),
            issuers: issuers.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn identity_without_issuer_is_refused_with_the_flag_to_add() {
        let e = flags(&["a@x"], &[]).build().unwrap_err();
        assert!(matches!(e, ConfigError::IncompletePolicy { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with("--certificate-identity without --certificate-oidc-issuer"),
            "{text}"
        );
        assert!(
            text.contains("--certificate-oidc-issuer-regexp '.*'"),
            "{text}"
        );
        let regexp_only = PolicyArgs {
            identity_regexps: vec!["@x$".into()],
            ..Default::default()
        };
        assert!(
            regexp_only
                .build()
                .unwrap_err()
                .to_string()
                .starts_with("--certificate-identity-regexp without --certificate-oidc-issuer")
        );
    }

    #[test]
    fn issuer_without_identity_is_refused() {
        let e = flags(&[], &["https://i"]).build().unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--certificate-oidc-issuer without --certificate-identity"),
            "{e}"
        );
    }

    #[test]
    fn github_claims_alone_are_refused() {
        let p = PolicyArgs {
            github: vec![(GithubClaim::Trigger, "push".into())],
            ..Default::default()
        };
        assert!(matches!(
            p.build(),
            Err(ConfigError::IncompletePolicy {
                missing: "--certificate-identity",
                ..
            })
        ));
        let p = PolicyArgs {
            github: vec![(GithubClaim::Trigger, "push".into())],
            ..flags(&["a@x"], &["https://i"])
        };
        assert_eq!(p.build().unwrap().claims.len(), 1);
    }

    #[test]
    fn git_config_errors_name_the_keys() {
        let git = GitConfig::from_pairs(&[("gitseal.identity", "a@x")]);
        let e = PolicyArgs::from_git_config(&git).build().unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("gitseal.identity without gitseal.issuer"),
            "{text}"
        );
        assert!(text.contains("gitseal.issuerRegexp '.*'"), "{text}");
        let git = GitConfig::from_pairs(&[("gitseal.issuerRegexp", ".*")]);
        let e = PolicyArgs::from_git_config(&git).build().unwrap_err();
        assert!(e.to_string().contains("set gitseal.identity"), "{e}");
    }

    #[test]
    fn explicit_any_issuer_is_accepted() {
        let p = PolicyArgs {
            identities: vec!["a@x".into()],
            issuer_regexps: vec![".*".into()],
            ..Default::default()
        };
        let policy = p.build().unwrap();
        assert_eq!((policy.identities.len(), policy.issuers.len()), (1, 1));
        assert!(PolicyArgs::default().build().unwrap().is_empty());
    }

    #[test]
    fn empty_values_are_refused() {
        for p in [
            flags(&[""], &["https://i"]),
            flags(&["a@x"], &[""]),
            PolicyArgs {
                identity_regexps: vec![String::new()],
                ..flags(&[], &["https://i"])
            },
            PolicyArgs {
                issuer_regexps: vec![String::new()],
                ..flags(&["a@x"], &[])
            },
            PolicyArgs {
                github: vec![(GithubClaim::Repository, String::new())],
                ..flags(&["a@x"], &["https://i"])
            },
        ] {
            let e = p.build().unwrap_err();
            assert!(e.to_string().contains("empty value"), "{p:?}: {e}");
        }
    }

    #[test]
    fn bad_regexp_is_a_config_error() {
        let p = PolicyArgs {
            identity_regexps: vec!["(".into()],
            ..Default::default()
        };
        assert!(p.build().is_err());
    }

    #[test]
    fn claim_flags_are_validated() {
        let base = || flags(&["a@x"], &["https://i"]);
        let p = PolicyArgs {
            claims: vec!["source-repository-ref=refs/heads/main".into()],
            claim_regexps: vec!["runner-environment=^gitlab-".into()],
            ..base()
        };
        let policy = p.build().unwrap();
        assert_eq!(policy.claims.len(), 2);
        for (claims, regexps, want) in [
            (
                vec!["source-ref=refs/heads/main"],
                vec![],
                "unknown certificate claim \"source-ref\"",
            ),
            (vec!["source-repository-ref"], vec![], "is not NAME=VALUE"),
            (vec!["source-repository-ref="], vec![], "empty value"),
            (
                vec!["source-repository-ref-regexp=x"],
                vec![],
                "--certificate-claim-regexp",
            ),
            (vec![], vec!["nope=x"], "unknown certificate claim"),
            (vec![], vec!["build-trigger=("], "regular expression"),
        ] {
            let p = PolicyArgs {
                claims: claims.into_iter().map(String::from).collect(),
                claim_regexps: regexps.into_iter().map(String::from).collect(),
                ..base()
            };
            let e = p.build().unwrap_err();
            assert!(matches!(e, ConfigError::Invalid { .. }), "{e:?}");
            assert!(e.to_string().contains(want), "{e}");
        }
        // Claims alone pin nobody: refused like the GitHub flags.
        let alone = PolicyArgs {
            claims: vec!["build-trigger=push".into()],
            ..Default::default()
        };
        assert!(matches!(
            alone.build(),
            Err(ConfigError::IncompletePolicy {
                given: "--certificate-claim",
                ..
            })
        ));
    }

    #[test]
    fn claim_flags_parse_from_the_command_line() {
        use clap::Parser as _;
        let cli = crate::cli::commands::Cli::try_parse_from([
            "gitseal",
            "verify",
            "--certificate-claim",
            "build-trigger=push",
            "--certificate-claim",
            "source-repository-ref=refs/heads/main",
            "--certificate-claim-regexp",
            "runner-environment=hosted$",
            "v",
        ])
        .unwrap();
        let Some(crate::cli::commands::Command::Verify(v)) = cli.command else {
            panic!("not verify");
        };
        let a = v.identity.policy_args();
        assert_eq!(
            a.claims,
            [
                "build-trigger=push",
                "source-repository-ref=refs/heads/main"
            ]
        );
        assert_eq!(a.claim_regexps, ["runner-environment=hosted$"]);
    }
}
