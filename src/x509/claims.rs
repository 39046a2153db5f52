//! Fulcio's certificate claims: the facts Fulcio copies from the ID token into extensions
//! 1.3.6.1.4.1.57264.1.1–.1.22 (Fulcio `docs/oid-info.md`), their Sigstore names, and the one
//! parser that reads them ([`parse`]), for every forge (GitHub Actions, GitLab CI, Buildkite, …).
//!
//! Two encodings exist. The first extensions, .1.1 (issuer) and .1.2–.1.6 (GitHub workflow
//! trigger, sha, name, repository, ref), hold the value's bytes as they are; .1.8 (issuer, V2)
//! and .1.9–.1.22 hold a DER UTF8String. The rules follow sigstore-go's
//! `certificate.ParseExtensions` (`pkg/fulcio/certificate/extensions.go`, a copy of Fulcio's
//! `pkg/certificate/extensions.go`):
//!
//! * The deprecated GitHub claims .1.2–.1.6 are claims of their own, never merged with their
//!   successors (`github-workflow-trigger` is .1.2 only, `build-trigger` is .1.20 only), as
//!   sigstore-go keeps `GithubWorkflowTrigger` and `BuildTrigger` apart and cosign's
//!   `--certificate-github-workflow-*` flags read .1.2–.1.6.
//! * The issuer is the one claim with two extensions: sigstore-go takes whichever of .1.1 and
//!   .1.8 comes last. Fulcio writes both with the same text; gitseal takes that text and
//!   refuses a certificate whose two issuers differ, so on every certificate gitseal accepts
//!   its issuer is sigstore-go's.
//! * A DER claim that is not one DER string with nothing after it fails the whole parse
//!   (sigstore-go's `ParseDERString` error fails `ParseExtensions`, so the certificate fails
//!   verification). gitseal reads UTF8String, the only type Fulcio writes
//!   (`asn1.MarshalWithParams(v, "utf8")`); the other string types Go's `asn1.Unmarshal`
//!   would also take are refused (fail closed).
//! * An extension twice is refused (Go's `x509.ParseCertificate` refuses duplicate
//!   extensions before sigstore-go sees them). Text must be UTF-8 (Go's `string(bytes)` would
//!   take any bytes; no real token claim is anything else).
//!
//! Pure: extension values in, [`Claims`] out. It decides nothing: which claims a signer must
//! have is `policy`'s. Besides the facts it offers one plain summary of them,
//! [`Claims::pipeline`] (forge, project, build config, runner), which the JSON detail and the
//! human renderers quote; their layout stays theirs.

use crate::oids;
use crate::tlv;
use const_oid::ObjectIdentifier as Oid;
use std::collections::BTreeMap;

/// Why the claim extensions cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// The same claim extension appears twice.
    #[error("certificate claim extension {oid} appears twice")]
    Duplicate {
        /// The extension.
        oid: Oid,
    },
    /// A .1.8+ extension is not exactly one DER UTF8String.
    #[error("certificate claim extension {oid} is not a DER UTF8String")]
    NotUtf8String {
        /// The extension.
        oid: Oid,
    },
    /// The value is not UTF-8 text.
    #[error("certificate claim extension {oid} is not UTF-8 text")]
    NotText {
        /// The extension.
        oid: Oid,
    },
    /// .1.1 and .1.8 name different issuers.
    #[error("OIDC issuer extensions 1.1 and 1.8 disagree")]
    IssuersDisagree,
}

/// How an extension holds its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The value's bytes are the text (.1.1–.1.6).
    Raw,
    /// A DER UTF8String (.1.8 onwards).
    Der,
}

/// One claim a certificate may carry (all but the issuer, which policies pin with their own
/// `issuer` rules). Declared in OID order, which is the order reports list them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Claim {
    /// .1.2 GitHub workflow trigger (deprecated; the token's `event_name`).
    GithubWorkflowTrigger,
    /// .1.3 GitHub workflow SHA (deprecated; `sha`).
    GithubWorkflowSha,
    /// .1.4 GitHub workflow name (deprecated; `workflow`).
    GithubWorkflowName,
    /// .1.5 GitHub workflow repository (deprecated; `repository`).
    GithubWorkflowRepository,
    /// .1.6 GitHub workflow ref (deprecated; `ref`).
    GithubWorkflowRef,
    /// .1.9 the build instructions that signed.
    BuildSignerUri,
    /// .1.10 their immutable version.
    BuildSignerDigest,
    /// .1.11 `github-hosted`, `gitlab-hosted`, `self-hosted`.
    RunnerEnvironment,
    /// .1.12 the source repository's URL.
    SourceRepositoryUri,
    /// .1.13 the source commit.
    SourceRepositoryDigest,
    /// .1.14 the source ref (`refs/heads/main`).
    SourceRepositoryRef,
    /// .1.15 the repository's immutable id.
    SourceRepositoryIdentifier,
    /// .1.16 the owner's URL.
    SourceRepositoryOwnerUri,
    /// .1.17 the owner's immutable id.
    SourceRepositoryOwnerIdentifier,
    /// .1.18 the top-level build instructions.
    BuildConfigUri,
    /// .1.19 their immutable version.
    BuildConfigDigest,
    /// .1.20 the event that started the build (`push`, `tag`, …).
    BuildTrigger,
    /// .1.21 the run's URL.
    RunInvocationUri,
    /// .1.22 `public`, `private`, `internal` when signed.
    SourceRepositoryVisibilityAtSigning,
}

impl Claim {
    /// Every claim, in OID order.
    pub const ALL: [Self; 19] = [
        Self::GithubWorkflowTrigger,
        Self::GithubWorkflowSha,
        Self::GithubWorkflowName,
        Self::GithubWorkflowRepository,
        Self::GithubWorkflowRef,
        Self::BuildSignerUri,
        Self::BuildSignerDigest,
        Self::RunnerEnvironment,
        Self::SourceRepositoryUri,
        Self::SourceRepositoryDigest,
        Self::SourceRepositoryRef,
        Self::SourceRepositoryIdentifier,
        Self::SourceRepositoryOwnerUri,
        Self::SourceRepositoryOwnerIdentifier,
        Self::BuildConfigUri,
        Self::BuildConfigDigest,
        Self::BuildTrigger,
        Self::RunInvocationUri,
        Self::SourceRepositoryVisibilityAtSigning,
    ];

    /// The Sigstore name in kebab case (sigstore-go's JSON field names, `buildSignerURI` →
    /// `build-signer-uri`): the policy file's `claims` keys, `--certificate-claim` names and
    /// the JSON report's keys. Stable.
    pub fn name(self) -> &'static str {
        match self {
            Self::GithubWorkflowTrigger => "github-workflow-trigger",
            Self::GithubWorkflowSha => "github-workflow-sha",
            Self::GithubWorkflowName => "github-workflow-name",
            Self::GithubWorkflowRepository => "github-workflow-repository",
            Self::GithubWorkflowRef => "github-workflow-ref",
            Self::BuildSignerUri => "build-signer-uri",
            Self::BuildSignerDigest => "build-signer-digest",
            Self::RunnerEnvironment => "runner-environment",
            Self::SourceRepositoryUri => "source-repository-uri",
            Self::SourceRepositoryDigest => "source-repository-digest",
            Self::SourceRepositoryRef => "source-repository-ref",
            Self::SourceRepositoryIdentifier => "source-repository-identifier",
            Self::SourceRepositoryOwnerUri => "source-repository-owner-uri",
            Self::SourceRepositoryOwnerIdentifier => "source-repository-owner-identifier",
            Self::BuildConfigUri => "build-config-uri",
            Self::BuildConfigDigest => "build-config-digest",
            Self::BuildTrigger => "build-trigger",
            Self::RunInvocationUri => "run-invocation-uri",
            Self::SourceRepositoryVisibilityAtSigning => "source-repository-visibility-at-signing",
        }
    }

    /// The claim with Sigstore name `name` (exact, lower case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The extension holding it.
    pub fn oid(self) -> Oid {
        match self {
            Self::GithubWorkflowTrigger => oids::FULCIO_GITHUB_WORKFLOW_TRIGGER,
            Self::GithubWorkflowSha => oids::FULCIO_GITHUB_WORKFLOW_SHA,
            Self::GithubWorkflowName => oids::FULCIO_GITHUB_WORKFLOW_NAME,
            Self::GithubWorkflowRepository => oids::FULCIO_GITHUB_WORKFLOW_REPOSITORY,
            Self::GithubWorkflowRef => oids::FULCIO_GITHUB_WORKFLOW_REF,
            Self::BuildSignerUri => oids::FULCIO_BUILD_SIGNER_URI,
            Self::BuildSignerDigest => oids::FULCIO_BUILD_SIGNER_DIGEST,
            Self::RunnerEnvironment => oids::FULCIO_RUNNER_ENVIRONMENT,
            Self::SourceRepositoryUri => oids::FULCIO_SOURCE_REPOSITORY_URI,
            Self::SourceRepositoryDigest => oids::FULCIO_SOURCE_REPOSITORY_DIGEST,
            Self::SourceRepositoryRef => oids::FULCIO_SOURCE_REPOSITORY_REF,
            Self::SourceRepositoryIdentifier => oids::FULCIO_SOURCE_REPOSITORY_IDENTIFIER,
            Self::SourceRepositoryOwnerUri => oids::FULCIO_SOURCE_REPOSITORY_OWNER_URI,
            Self::SourceRepositoryOwnerIdentifier => {
                oids::FULCIO_SOURCE_REPOSITORY_OWNER_IDENTIFIER
            }
            Self::BuildConfigUri => oids::FULCIO_BUILD_CONFIG_URI,
            Self::BuildConfigDigest => oids::FULCIO_BUILD_CONFIG_DIGEST,
            Self::BuildTrigger => oids::FULCIO_BUILD_TRIGGER,
            Self::RunInvocationUri => oids::FULCIO_RUN_INVOCATION_URI,
            Self::SourceRepositoryVisibilityAtSigning => {
                oids::FULCIO_SOURCE_REPOSITORY_VISIBILITY_AT_SIGNING
            }
        }
    }

    /// How its extension holds the text.
    pub fn encoding(self) -> Encoding {
        match self {
            Self::GithubWorkflowTrigger
            | Self::GithubWorkflowSha
            | Self::GithubWorkflowName
            | Self::GithubWorkflowRepository
            | Self::GithubWorkflowRef => Encoding::Raw,
            _ => Encoding::Der,
        }
    }
}

/// The claims a certificate carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The OIDC issuer (.1.8, or .1.1; see the module doc).
    pub issuer: Option<String>,
    values: BTreeMap<Claim, String>,
}

impl Claims {
    /// The value of `claim`, if the certificate has it.
    pub fn get(&self, claim: Claim) -> Option<&str> {
        self.values.get(&claim).map(String::as_str)
    }

    /// The claims present (issuer aside), in OID order.
    pub fn iter(&self) -> impl Iterator<Item = (Claim, &str)> {
        self.values.iter().map(|(c, v)| (*c, v.as_str()))
    }

    /// The claims present as a JSON object keyed by Sigstore name (the JSON report's
    /// `claims`; serde_json keeps keys sorted by name).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.iter()
                .map(|(c, v)| (c.name().to_string(), v.into()))
                .collect(),
        )
    }

    /// The CI pipeline that signed, in words, when the certificate has CI claims:
    /// `GitLab CI pipeline acme/app .gitlab-ci.yml@refs/heads/main (gitlab-hosted)`. The
    /// forge is named by the issuer or by the shape of the build config URI (GitLab's
    /// `project//file@ref`, GitHub's `.github/workflows/`); the project is the source
    /// repository URI's path; the config is the build config URI relative to the repository.
    /// Raw certificate text: callers escape it for terminals.
    pub fn pipeline(&self) -> Option<String> {
        let repo_uri = self.get(Claim::SourceRepositoryUri);
        let config = self.get(Claim::BuildConfigUri);
        let legacy_repo = self.get(Claim::GithubWorkflowRepository);
        if repo_uri.is_none() && config.is_none() && legacy_repo.is_none() {
            return None;
        }
        let issuer = self.issuer.as_deref().unwrap_or("");
        let any =
            |needle: &str| issuer.contains(needle) || config.is_some_and(|c| c.contains(needle));
        let forge = if issuer == "https://token.actions.githubusercontent.com"
            || any("/.github/workflows/")
            || legacy_repo.is_some()
        {
            "GitHub Actions workflow"
        } else if any("gitlab") {
            "GitLab CI pipeline"
        } else if issuer == "https://agent.buildkite.com" {
            "Buildkite pipeline"
        } else {
            "CI pipeline"
        };
        let project = repo_uri
            .map(|u| path_of(u).to_string())
            .or_else(|| legacy_repo.map(str::to_string));
        let config_text = match (config, repo_uri) {
            (Some(c), Some(r)) => Some(
                c.strip_prefix(r)
                    .map(|rest| rest.trim_start_matches('/'))
                    .filter(|rest| !rest.is_empty())
                    .unwrap_or(c)
                    .to_string(),
            ),
            (Some(c), None) => Some(c.to_string()),
            (None, _) => match (
                self.get(Claim::GithubWorkflowName),
                self.get(Claim::GithubWorkflowRef),
            ) {
                (Some(n), Some(r)) => Some(format!("{n}@{r}")),
                (Some(n), None) => Some(n.to_string()),
                _ => None,
            },
        };
        let mut out = forge.to_string();
        for part in [project, config_text].into_iter().flatten() {
            out.push(' ');
            out.push_str(&part);
        }
        if let Some(runner) = self.get(Claim::RunnerEnvironment) {
            out.push_str(&format!(" ({runner})"));
        }
        Some(out)
    }
}

/// `https://host/a/b` → `a/b`; anything else as it is.
fn path_of(uri: &str) -> &str {
    uri.split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(uri, |(_, path)| path.trim_end_matches('/'))
}

/// The text of one extension value in `encoding`.
pub fn decode_value(oid: Oid, encoding: Encoding, value: &[u8]) -> Result<String, ClaimsError> {
    let bytes = match encoding {
        Encoding::Raw => value,
        // `read_only`: exactly one DER TLV with this tag, minimal lengths, nothing after it
        // (sigstore-go's "unexpected trailing bytes").
        Encoding::Der => {
            tlv::read_only(value, 0x0c)
                .map_err(|_| ClaimsError::NotUtf8String { oid })?
                .value
        }
    };
    String::from_utf8(bytes.to_vec()).map_err(|_| ClaimsError::NotText { oid })
}

/// Reads every Fulcio claim from a certificate's extensions, given as (extnID, extnValue
/// contents) in certificate order; other extensions are skipped.
pub fn parse<'a>(
    extensions: impl IntoIterator<Item = (Oid, &'a [u8])>,
) -> Result<Claims, ClaimsError> {
    let mut out = Claims::default();
    let (mut issuer_v1, mut issuer_v2) = (None, None);
    for (oid, value) in extensions {
        let slot = if oid == oids::FULCIO_ISSUER_V1 {
            Some((&mut issuer_v1, Encoding::Raw))
        } else if oid == oids::FULCIO_ISSUER_V2 {
            Some((&mut issuer_v2, Encoding::Der))
        } else {
            None
        };
        if let Some((slot, encoding)) = slot {
            if slot.is_some() {
                return Err(ClaimsError::Duplicate { oid });
            }
            *slot = Some(decode_value(oid, encoding, value)?);
            continue;
        }
        let Some(claim) = Claim::ALL.into_iter().find(|c| c.oid() == oid) else {
            continue;
        };
        let text = decode_value(oid, claim.encoding(), value)?;
        if out.values.insert(claim, text).is_some() {
            return Err(ClaimsError::Duplicate { oid });
        }
    }
    out.issuer = match (issuer_v2, issuer_v1) {
        (Some(a), Some(b)) if a != b => return Err(ClaimsError::IssuersDisagree),
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(s: &str) -> Vec<u8> {
        let mut v = tlv::header(0x0c, s.len());
        v.extend_from_slice(s.as_bytes());
        v
    }

    fn arc(n: u32) -> Oid {
        Oid::new_unwrap(&format!("1.3.6.1.4.1.57264.1.{n}"))
    }

    /// A GitLab pipeline leaf's extensions, as Fulcio's `gitlabcom` principal writes them.
    fn gitlab() -> Vec<(Oid, Vec<u8>)> {
        [
            (
                9,
                "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
            ),
            (11, "gitlab-hosted"),
            (12, "https://gitlab.com/acme/app"),
            (14, "refs/heads/main"),
            (
                18,
                "https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
            ),
            (20, "push"),
            (22, "private"),
        ]
        .into_iter()
        .map(|(n, v)| (arc(n), der(v)))
        .chain([
            (oids::FULCIO_ISSUER_V1, b"https://gitlab.com".to_vec()),
            (oids::FULCIO_ISSUER_V2, der("https://gitlab.com")),
        ])
        .collect()
    }

    fn run(exts: &[(Oid, Vec<u8>)]) -> Result<Claims, ClaimsError> {
        parse(exts.iter().map(|(o, v)| (*o, v.as_slice())))
    }

    #[test]
    fn names_oids_and_encodings_are_fulcios() {
        // OIDs .1.2–.1.6 then .1.9–.1.22, strictly increasing: declaration order is OID order.
        let arcs: Vec<String> = Claim::ALL.iter().map(|c| c.oid().to_string()).collect();
        let want: Vec<String> = (2..=6).chain(9..=22).map(|n| arc(n).to_string()).collect();
        assert_eq!(arcs, want);
        for c in Claim::ALL {
            assert_eq!(Claim::from_name(c.name()), Some(c));
            let raw = matches!(c.encoding(), Encoding::Raw);
            assert_eq!(raw, c.name().starts_with("github-workflow-"), "{c:?}");
        }
        assert_eq!(Claim::from_name("Build-Trigger"), None);
        assert_eq!(Claim::from_name("issuer"), None);
        assert_eq!(Claim::BuildConfigUri.name(), "build-config-uri");
        assert_eq!(
            Claim::SourceRepositoryVisibilityAtSigning.name(),
            "source-repository-visibility-at-signing"
        );
    }

    #[test]
    fn reads_a_gitlab_leaf() {
        let c = run(&gitlab()).unwrap();
        assert_eq!(c.issuer.as_deref(), Some("https://gitlab.com"));
        assert_eq!(c.get(Claim::RunnerEnvironment), Some("gitlab-hosted"));
        assert_eq!(c.get(Claim::SourceRepositoryRef), Some("refs/heads/main"));
        assert_eq!(c.get(Claim::GithubWorkflowRef), None);
        assert_eq!(c.iter().count(), 7);
        let j = c.to_json();
        assert_eq!(j["source-repository-uri"], "https://gitlab.com/acme/app");
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "build-config-uri");
        assert_eq!(
            c.pipeline().unwrap(),
            "GitLab CI pipeline acme/app .gitlab-ci.yml@refs/heads/main (gitlab-hosted)"
        );
    }

    #[test]
    fn legacy_github_claims_are_raw_and_separate() {
        let exts = vec![
            (arc(2), b"push".to_vec()),
            (arc(6), b"refs/heads/main".to_vec()),
            (arc(5), b"acme/app".to_vec()),
            (arc(4), b"release".to_vec()),
            (arc(20), der("workflow_dispatch")),
        ];
        let c = run(&exts).unwrap();
        assert_eq!(c.get(Claim::GithubWorkflowTrigger), Some("push"));
        // .1.20 does not overwrite .1.2 nor the reverse: sigstore-go's two fields.
        assert_eq!(c.get(Claim::BuildTrigger), Some("workflow_dispatch"));
        assert_eq!(
            c.pipeline().unwrap(),
            "GitHub Actions workflow acme/app release@refs/heads/main"
        );
        // A raw claim given DER-encoded keeps its bytes (as `string(e.Value)`), tag and all.
        let c = run(&[(arc(2), der("push"))]).unwrap();
        assert_eq!(c.get(Claim::GithubWorkflowTrigger), Some("\u{c}\u{4}push"));
    }

    #[test]
    fn issuer_from_either_extension_and_they_must_agree() {
        let v1 = (oids::FULCIO_ISSUER_V1, b"https://a".to_vec());
        let v2 = (oids::FULCIO_ISSUER_V2, der("https://a"));
        for exts in [
            vec![v1.clone()],
            vec![v2.clone()],
            vec![v1.clone(), v2.clone()],
            vec![v2.clone(), v1.clone()],
        ] {
            assert_eq!(run(&exts).unwrap().issuer.as_deref(), Some("https://a"));
        }
        let other = (oids::FULCIO_ISSUER_V2, der("https://b"));
        assert_eq!(run(&[v1, other]), Err(ClaimsError::IssuersDisagree));
        assert_eq!(run(&[]).unwrap(), Claims::default());
        assert_eq!(Claims::default().pipeline(), None);
    }

    #[test]
    fn malformed_claims_fail_the_parse() {
        let oid = arc(12);
        for bad in [
            Vec::new(),
            b"https://gitlab.com/acme/app".to_vec(), // raw where DER belongs
            {
                let mut v = der("x");
                v.push(0); // trailing byte
                v
            },
            vec![0x13, 1, b'x'],       // PrintableString: not what Fulcio writes
            vec![0x0c, 0x81, 1, b'x'], // non-minimal length
            vec![0x0c, 5, b'x'],       // truncated
        ] {
            assert_eq!(
                run(&[(oid, bad.clone())]),
                Err(ClaimsError::NotUtf8String { oid }),
                "{bad:?}"
            );
        }
        assert_eq!(
            run(&[(oid, vec![0x0c, 1, 0xff])]),
            Err(ClaimsError::NotText { oid })
        );
        assert_eq!(
            run(&[(arc(2), vec![0xff])]),
            Err(ClaimsError::NotText { oid: arc(2) })
        );
        assert_eq!(
            run(&[(oid, der("a")), (oid, der("a"))]),
            Err(ClaimsError::Duplicate { oid })
        );
        let v1 = oids::FULCIO_ISSUER_V1;
        assert_eq!(
            run(&[(v1, b"i".to_vec()), (v1, b"i".to_vec())]),
            Err(ClaimsError::Duplicate { oid: v1 })
        );
        // Extensions that are not claims are not read at all.
        assert_eq!(
            run(&[(arc(7), vec![0xff]), (arc(23), vec![0xff])]).unwrap(),
            Claims::default()
        );
    }

    #[test]
    fn pipeline_wording_per_forge() {
        let claims = |issuer: &str, pairs: &[(Claim, &str)]| Claims {
            issuer: Some(issuer.into()),
            values: pairs.iter().map(|(c, v)| (*c, v.to_string())).collect(),
        };
        let gh = claims(
            "https://token.actions.githubusercontent.com",
            &[
                (Claim::SourceRepositoryUri, "https://github.com/acme/app"),
                (
                    Claim::BuildConfigUri,
                    "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1",
                ),
                (Claim::RunnerEnvironment, "github-hosted"),
            ],
        );
        assert_eq!(
            gh.pipeline().unwrap(),
            "GitHub Actions workflow acme/app .github/workflows/release.yml@refs/tags/v1 (github-hosted)"
        );
        let bk = claims(
            "https://agent.buildkite.com",
            &[(Claim::SourceRepositoryUri, "https://github.com/acme/app")],
        );
        assert_eq!(bk.pipeline().unwrap(), "Buildkite pipeline acme/app");
        let other = claims(
            "https://ci.example",
            &[(Claim::BuildConfigUri, "https://ci.example/x.yml")],
        );
        assert_eq!(
            other.pipeline().unwrap(),
            "CI pipeline https://ci.example/x.yml"
        );
    }
}
