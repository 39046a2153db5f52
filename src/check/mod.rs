//! Judging one repository object: a library a forge, a CI tool or gitseal's own commands can
//! call (issue 19: "a thin CLI"). One object (or one signature) in, one [`Report`] (or
//! [`Judged`]) out; no printing, no exit codes, no argument parsing: those are `cli`'s.
//!
//! * [`Checker`] (this module): the trust root, the [`Rules`] (identity flags or a policy
//!   file) and the [`lookup::Lookup`]; [`Checker::check_signature`] verifies one signature
//!   and is the one caller of [`policy::judge`] for git's path, `gitseal verify` and
//!   pre-receive; [`Checker::check`] judges one object read from a repository (unsigned,
//!   foreign-format, tree/blob, a tag stored under another name).
//! * [`report`]: what was found ([`Verdict`]), one object's [`Report`] with its stable
//!   outcome word, reason code and JSON, and the per-outcome [`Summary`].
//! * [`runner`]: [`run_parallel`] (verification on `jobs` threads, reports in the items'
//!   order whatever the thread timing) and the default thread count.
//! * [`lookup`]: Rekor lookups for online-mode signatures; [`cache`]: the on-disk cache of
//!   verified entries.
//!
//! It owns the mapping from a report to "passes or not" under the rules: a good signature
//! passes when the signer is trusted fully; unsigned and foreign-format objects pass only when
//! a policy file says so. It must not parse CMS or decide trust itself (that is `verify` and
//! `policy`).

pub mod cache;
pub mod lookup;
pub mod report;
pub mod runner;

pub use report::{OUTCOMES, Report, Summary, Verdict};
pub use runner::{Item, jobs, run_parallel};

use crate::config::{ConfigError, Env, GitConfig, TrustRootInputs, VerifySettings};
use crate::git::object::RawObject;
use crate::git::object::{self, HashKind, Kind, SignatureFormat};
use crate::git::repo;
use crate::git::walk::{self, Target};
use crate::policy::file::{PolicyFile, PolicyFileError};
use crate::policy::{self, Judged, Policy, PolicyArgs, TrustLevel};
use crate::rekor::client::RekorClient;
use crate::transport::{HttpTransport, TransportConfig};
use crate::trust::TrustRoot;
use crate::verify::Outcome;
use lookup::{Cache, Lookup, Signed, first_pass};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why verification could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Configuration or trust root.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The policy file.
    #[error(transparent)]
    Policy(#[from] PolicyFileError),
    /// Contradictory arguments.
    #[error("{0}")]
    Usage(String),
}

/// How a [`Checker`] is built beyond the git configuration: what `gitseal verify`'s and
/// pre-receive's `--policy`, `--offline` and `--no-cache` say (plain data, so a caller outside
/// the CLI needs no clap types).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A policy file that overrides `gitseal.policy` / `GITSEAL_POLICY`.
    pub policy: Option<PathBuf>,
    /// No network: online-mode signatures are unverifiable unless their entry is cached.
    pub offline: bool,
    /// Neither read nor write the cache of verified Rekor entries.
    pub no_cache: bool,
}

/// The rules objects are judged by.
#[derive(Debug, Clone)]
pub enum Rules {
    /// Identity flags or git config `gitseal.identity*` (or none: the committer rule).
    Flags(Policy),
    /// A policy file.
    File(PolicyFile),
}

impl Rules {
    /// The allow rules that apply on `ref_name`, as indices into the policy file (identity
    /// flags apply everywhere alike: always the empty set). A commit that passed on a ref
    /// whose set is a subset of another ref's passes there too (a rule admitting it is among
    /// the other ref's), which is what lets a push hook skip history it already accepted.
    pub fn applicable_set(&self, ref_name: &str) -> Vec<usize> {
        match self {
            Rules::Flags(_) => Vec::new(),
            Rules::File(f) => f.applicable_indices(Some(ref_name)),
        }
    }

    fn admits_unsigned(&self, merge: bool) -> bool {
        matches!(self, Rules::File(f) if f.admits_unsigned(merge))
    }

    fn admits_foreign_format(&self, merge: bool) -> bool {
        matches!(self, Rules::File(f) if f.admits_foreign_format(merge))
    }
}

/// Trust root, rules and lookups: everything needed to judge one object.
#[derive(Debug)]
pub struct Checker {
    trust_inputs: TrustRootInputs,
    trust: TrustRoot,
    rules: Rules,
    lookup: Lookup,
}

impl Checker {
    /// The rules in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Builds the checker from the git configuration read from `dir` (module docs of
    /// `config`): the trust root; the rules — `--policy`, else identity flags, else
    /// `GITSEAL_POLICY` / `gitseal.policy`, else the `gitseal.identity*` keys, else the
    /// committer rule; the lookup settings.
    pub fn from_config(
        git: &GitConfig,
        dir: &Path,
        trusted_root: Option<&Path>,
        env: &Env,
        flags: Option<PolicyArgs>,
        options: &Options,
    ) -> Result<Self, LoadError> {
        let trust_inputs = TrustRootInputs::resolve(trusted_root, env, git);
        let trust = trust_inputs.load()?;
        // A relative policy path is anchored where git runs gitseal and hooks (the top of the
        // work tree, or a bare repository's git directory), not in whatever subdirectory
        // `gitseal verify` was started from; outside a repository, `dir`.
        let settings = VerifySettings::resolve(git, env, || {
            repo::repository_top(dir).unwrap_or_else(|| dir.to_path_buf())
        })?;
        let flags = flags.filter(|f| !f.is_empty());
        let rules = match (&options.policy, flags) {
            (Some(_), Some(_)) => {
                return Err(LoadError::Usage(
                    "--policy and the --certificate-* flags cannot be combined: put the \
                     identities in the policy file"
                        .into(),
                ));
            }
            (Some(p), None) => Rules::File(PolicyFile::load(p)?),
            (None, Some(f)) => Rules::Flags(f.build()?),
            (None, None) => match &settings.policy_file {
                Some(p) => Rules::File(PolicyFile::load(p)?),
                None => Rules::Flags(PolicyArgs::from_git_config(git).build()?),
            },
        };
        let cache = if options.no_cache {
            None
        } else {
            settings.cache_dir.clone().map(Cache::new)
        };
        let lookup = if options.offline || settings.offline {
            Lookup::offline(cache)
        } else {
            let transport = Arc::new(HttpTransport::new(TransportConfig {
                timeout: settings.http_timeout,
                max_retries: settings.http_retries,
                net: crate::net::NetSettings::resolve(git, env)?,
                ..TransportConfig::default()
            }));
            Lookup::new(Some(RekorClient::new(settings.rekor_url, transport)), cache)
                .with_time_limit(lookup::lookup_time_limit(settings.http_timeout))
        };
        Ok(Self {
            trust_inputs,
            trust,
            rules,
            lookup,
        })
    }

    /// Whether a [`first_pass`] run with the trust root from `inputs` can stand for this
    /// checker's own: it can when the trust root comes from the same files, because the
    /// pipeline is a function of its arguments and knows no rules (the trust level is decided
    /// afterwards, by [`Checker::check_signature`], under this checker's rules).
    pub fn first_pass_applies(&self, inputs: &TrustRootInputs) -> bool {
        self.trust_inputs == *inputs
    }

    /// Verifies one signature (x509, or whatever the pipeline makes of unknown text) and
    /// applies the rules. `object_id: None` (a payload that is neither a commit nor a tag)
    /// means no lookup is possible. `first`, when given, is an outcome of [`first_pass`] for
    /// which [`Checker::first_pass_applies`] held: it stands for
    /// the pipeline's own first pass.
    #[allow(clippy::too_many_arguments)]
    pub fn check_signature(
        &self,
        kind: Option<Kind>,
        payload: &[u8],
        signature: &[u8],
        object_id: Option<&str>,
        hash: HashKind,
        ref_name: Option<&str>,
        first: Option<Outcome>,
    ) -> Judged {
        // What people see of the object must be what was signed: an object git could show
        // with another committer, other parents or unsigned text is refused before its
        // signature is looked at (git::header).
        if let Some(k) = kind
            && let Err(e) = object::check_signed(k, payload, signature)
        {
            return Judged::Rejected(crate::verify::Rejection {
                reason: crate::verify::reason::Reason::ObjectMalformed,
                detail: format!("{}: {e}", k.name()),
                signer: None,
            });
        }
        let email = kind.and_then(|k| object::signer_email(k, payload));
        let first = first.unwrap_or_else(|| first_pass(payload, signature, &self.trust));
        let outcome = match (kind, object_id) {
            (Some(kind), Some(object_id)) => self.lookup.verify_from(
                &Signed {
                    kind,
                    payload,
                    signature,
                    object_id,
                    hash,
                },
                &self.trust,
                first,
            ),
            _ => first,
        };
        // Trust is decided once, here, on the leaf the evidence carries: the identity rules
        // (with the committer rule when there are none), or the policy file's rules for
        // `ref_name`.
        policy::judge(outcome, |leaf| match &self.rules {
            Rules::Flags(policy) => match kind {
                Some(Kind::Tag) => {
                    policy.decide_as(leaf, email.as_deref(), "the tagger's email in the tag")
                }
                _ => policy.decide_as(
                    leaf,
                    email.as_deref(),
                    "the committer's email in the commit",
                ),
            },
            Rules::File(file) => file.decide(leaf, ref_name),
        })
    }

    /// Judges one object read from a repository.
    pub fn check(
        &self,
        target: &Target,
        object: Result<RawObject, String>,
        hash: HashKind,
        ref_name: Option<&str>,
    ) -> Report {
        let mut report = Report {
            id: target.id.to_string(),
            kind: target.kind,
            merge: false,
            ref_name: ref_name.map(str::to_string),
            verdict: Verdict::Unreadable(String::new()),
            pass: false,
        };
        let obj = match object {
            Ok(o) => o,
            Err(e) => {
                report.verdict = Verdict::Unreadable(e);
                return report;
            }
        };
        report.kind = obj.kind;
        // Nothing is read of a tree or blob a ref points at: it is never signed.
        if matches!(obj.kind, Kind::Tree | Kind::Blob) {
            report.verdict = Verdict::Unsigned;
            report.pass = self.rules.admits_unsigned(false);
            return report;
        }
        report.merge = obj.kind == Kind::Commit && walk::parent_count(&obj.data) > 1;
        let Some(split) = object::split(obj.kind, &obj.data, hash) else {
            report.verdict = Verdict::Unsigned;
            report.pass = self.rules.admits_unsigned(report.merge);
            return report;
        };
        let format = object::signature_format(&split.signature);
        if matches!(format, SignatureFormat::OpenPgp | SignatureFormat::Ssh) {
            report.verdict = Verdict::Foreign(format);
            report.pass = self.rules.admits_foreign_format(report.merge);
            return report;
        }
        let mut outcome = self.check_signature(
            Some(obj.kind),
            &split.payload,
            &split.signature,
            Some(&obj.id),
            hash,
            ref_name,
            None,
        );
        // A good signature on a tag stored under another name vouches for that other name
        // (`git show v1.0` would say `tag v0.9`): refused, keeping who signed.
        if let (Some(name), Judged::Verified(v)) = (&target.stored_as, &outcome)
            && !crate::git::header::tag_named(&split.payload, name)
        {
            let got = crate::git::header::tag_name(&split.payload).unwrap_or_default();
            outcome = Judged::Rejected(crate::verify::Rejection {
                reason: crate::verify::reason::Reason::TagNameMismatch,
                detail: format!(
                    "the tag calls itself {:?} but is stored as refs/tags/{name}",
                    String::from_utf8_lossy(got)
                ),
                signer: Some(v.signer.clone()),
            });
        }
        report.pass = matches!(&outcome, Judged::Verified(v) if v.trust.level == TrustLevel::Fully);
        report.verdict = Verdict::Checked(outcome);
        report
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::verify::reason::Reason;

    /// What a forge or CI tool does: build a checker from plain data (no clap types, no
    /// process environment, no printing) and judge a signature and whole objects with it.
    #[test]
    fn a_checker_is_usable_without_the_cli() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            offline: true,
            no_cache: true,
            ..Options::default()
        };
        let checker = Checker::from_config(
            &GitConfig::default(),
            dir.path(),
            None,
            &Env::from_pairs(Vec::new()),
            None,
            &options,
        )
        .unwrap();
        assert!(matches!(checker.rules(), Rules::Flags(_)));
        let raw = crate::cms::encode::tests::shared_vector("internal_e2e_testdata_offline.commit");
        let split = object::split_commit(&raw, HashKind::Sha1).unwrap();
        let id = object::object_id(Kind::Commit, &raw, HashKind::Sha1);
        let judge = |payload: &[u8]| {
            checker.check_signature(
                Some(Kind::Commit),
                payload,
                &split.signature,
                Some(&id),
                HashKind::Sha1,
                None,
                None,
            )
        };
        assert!(matches!(judge(&split.payload), Judged::Verified(_)));
        let mut changed = split.payload.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert!(
            matches!(judge(&changed), Judged::Rejected(r) if r.reason == Reason::MessageDigestMismatch)
        );

        // Whole objects: the signed commit is checked; the same commit without its signature
        // is unsigned, which identity rules never let pass.
        let target = |data: &[u8]| Target {
            id: gix::ObjectId::from_hex(
                object::object_id(Kind::Commit, data, HashKind::Sha1).as_bytes(),
            )
            .unwrap(),
            kind: Kind::Commit,
            problem: None,
            stored_as: None,
        };
        let read = |data: &[u8]| {
            Ok(RawObject {
                id: object::object_id(Kind::Commit, data, HashKind::Sha1),
                kind: Kind::Commit,
                data: data.to_vec(),
            })
        };
        let signed = checker.check(&target(&raw), read(&raw), HashKind::Sha1, None);
        assert!(
            matches!(signed.verdict, Verdict::Checked(Judged::Verified(_))),
            "{signed:?}"
        );
        assert_eq!(signed.id, id);
        let unsigned = checker.check(
            &target(&split.payload),
            read(&split.payload),
            HashKind::Sha1,
            None,
        );
        assert!(
            matches!(unsigned.verdict, Verdict::Unsigned),
            "{unsigned:?}"
        );
        assert!(!unsigned.pass);
        assert_eq!(unsigned.json()["outcome"], "unsigned");
        let unreadable = checker.check(
            &target(&raw),
            Err("object is corrupt".into()),
            HashKind::Sha1,
            None,
        );
        assert!(!unreadable.pass);
        assert_eq!(unreadable.outcome_word(), "error");
        assert_eq!(unreadable.detail(), "object is corrupt");
    }
}
