//! `gitseal verify` / `gitseal verify-tag`: select objects ([`crate::git::walk`]), verify them in
//! parallel on all cores, print one result per object (human lines or JSON lines) in the
//! selection's order, then a summary; exit 0 only when every object passes.
//!
//! This module also holds what the other verifying commands share: [`Checker`] (trust root,
//! rules, lookups: one object in, one [`Report`] out, no I/O but the lookup's) and
//! [`run_parallel`] (deterministic output order whatever the thread timing). It owns the
//! mapping from a report to "passes or not" under the rules: a good signature passes when the
//! signer is trusted fully; unsigned and foreign-format objects pass only when a policy file
//! says so. It must not parse CMS or decide trust itself (that is `verify` and `policy`).

use super::commands::{Format, IdentityFlags, RangeFlags, ScaleFlags};
use super::{CommandError, TOOL, cwd, git_config, render, reported};
use crate::config::{ConfigError, Env, GitConfig, TrustRootInputs, VerifySettings};
use crate::git::object::RawObject;
use crate::git::object::{self, HashKind, Kind, SignatureFormat};
use crate::git::repo::{self, ObjectStore};
use crate::git::walk::{self, RevOptions, Target};
use crate::online::{Cache, Lookup, Signed, first_pass};
use crate::policy::file::{PolicyFile, PolicyFileError};
use crate::policy::{self, Judged, Policy, PolicyArgs, TrustLevel};
use crate::rekor::client::RekorClient;
use crate::transport::{HttpTransport, TransportConfig};
use crate::trust::TrustRoot;
use crate::verify::Outcome;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Why verification could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
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

impl From<LoadError> for CommandError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Usage(_) => CommandError::usage(e.to_string()),
            LoadError::Config(_) | LoadError::Policy(_) => CommandError::config(e.to_string()),
        }
    }
}

/// The rules objects are judged by.
#[derive(Debug, Clone)]
pub(crate) enum Rules {
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

/// What was found about one object.
#[derive(Debug, Clone)]
pub(crate) enum Verdict {
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
pub(crate) struct Report {
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
            Verdict::Checked(o) => render::outcome_word(o),
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
        let policy = |pass: bool| {
            if pass {
                "allowed by the policy"
            } else {
                "not allowed by the policy"
            }
        };
        match &self.verdict {
            Verdict::Unsigned => format!("not signed ({})", policy(self.pass)),
            Verdict::Foreign(f) => {
                let f = match f {
                    SignatureFormat::OpenPgp => "OpenPGP",
                    SignatureFormat::Ssh => "SSH",
                    SignatureFormat::X509 | SignatureFormat::Unknown => "other",
                };
                format!(
                    "{f} signature, not checked by gitseal ({})",
                    policy(self.pass)
                )
            }
            Verdict::Checked(Judged::Verified(v)) => format!(
                "{} ({}), tlog index {}: trust {}: {}",
                v.signer.identity.as_deref().unwrap_or("unknown identity"),
                v.signer.issuer.as_deref().unwrap_or("unknown issuer"),
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

    /// The JSON object (module docs of `render` for the common keys), plus `pass`, `merge`,
    /// `ref` and `detail`.
    pub fn json(&self) -> serde_json::Value {
        let kind = self.kind.name();
        let mut v = match &self.verdict {
            Verdict::Checked(o) => render::json_value(&self.id, kind, Some(o)),
            _ => render::json_value(&self.id, kind, None),
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
pub(crate) struct Summary {
    counts: BTreeMap<&'static str, usize>,
    /// Objects that pass.
    pub passed: usize,
    /// Objects that do not.
    pub failed: usize,
}

/// Every outcome word, in the order the summary lists them.
pub(crate) const OUTCOMES: [&str; 7] = [
    "good",
    "bad",
    "untrusted-signer",
    "unverifiable-offline",
    "unsigned",
    "foreign-format",
    "error",
];

impl Summary {
    fn add(&mut self, r: &Report) {
        *self.counts.entry(r.outcome_word()).or_insert(0) += 1;
        if r.pass {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }

    fn total(&self) -> usize {
        self.passed + self.failed
    }

    fn json(&self) -> serde_json::Value {
        let mut counts = serde_json::Map::new();
        counts.insert("objects".into(), self.total().into());
        counts.insert("passed".into(), self.passed.into());
        counts.insert("failed".into(), self.failed.into());
        for w in OUTCOMES {
            counts.insert(w.into(), self.counts.get(w).copied().unwrap_or(0).into());
        }
        serde_json::json!({ "summary": counts })
    }

    fn human(&self) -> String {
        let parts: Vec<String> = OUTCOMES
            .iter()
            .filter_map(|w| {
                self.counts
                    .get(w)
                    .filter(|n| **n > 0)
                    .map(|n| format!("{n} {w}"))
            })
            .collect();
        let breakdown = if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        };
        format!(
            "{TOOL}: {} object(s){breakdown}: {} passed, {} failed",
            self.total(),
            self.passed,
            self.failed
        )
    }
}

/// Trust root, rules and lookups: everything needed to judge one object.
#[derive(Debug)]
pub(crate) struct Checker {
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
        scale: &ScaleFlags,
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
        let rules = match (&scale.policy, flags) {
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
        let cache = if scale.no_cache {
            None
        } else {
            settings.cache_dir.clone().map(Cache::new)
        };
        let lookup = if scale.offline || settings.offline {
            Lookup::offline(cache)
        } else {
            let transport = Arc::new(HttpTransport::new(TransportConfig {
                timeout: settings.http_timeout,
                max_retries: settings.http_retries,
                ..TransportConfig::default()
            }));
            Lookup::new(Some(RekorClient::new(settings.rekor_url, transport)), cache)
                .with_time_limit(crate::online::lookup_time_limit(settings.http_timeout))
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
            Rules::Flags(policy) => policy.decide(leaf, email.as_deref()),
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

/// One unit of work: an object and the ref it is judged for.
pub(crate) type Item = (Target, Option<String>);

/// Reads each item's object (on this thread: the repository handle is not shared), verifies
/// on `jobs` threads, and calls `emit` with every report in the items' order, as soon as all
/// earlier ones are done. Items are taken from `items` only as workers free up (a bounded
/// queue), so a streamed walk is never held in memory whole.
pub(crate) fn run_parallel<F>(
    items: impl IntoIterator<Item = Item>,
    store: &ObjectStore,
    checker: &Checker,
    jobs: usize,
    emit: F,
) where
    F: FnMut(&Report) + Send,
{
    use std::sync::mpsc;
    let hash = store.hash_kind();
    let jobs = jobs.max(1);
    type Work = (usize, Target, Option<String>, Result<RawObject, String>);
    let (work_tx, work_rx) = mpsc::sync_channel::<Work>(jobs * 4);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Report)>();
    // At most this many items between being read and being emitted: one slow item (a Rekor
    // lookup) must not let the reports after it pile up without bound. A token is sent for
    // each item read and taken back for each report emitted.
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(jobs * 64);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            s.spawn(move || {
                loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    let Ok((i, target, ref_name, object)) = next else {
                        break;
                    };
                    let report = checker.check(&target, object, hash, ref_name.as_deref());
                    if done_tx.send((i, report)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut emit = emit;
        s.spawn(move || {
            let mut pending = BTreeMap::new();
            let mut next = 0usize;
            for (i, report) in done_rx {
                pending.insert(i, report);
                while let Some(r) = pending.remove(&next) {
                    emit(&r);
                    let _ = token_rx.recv();
                    next += 1;
                }
            }
        });
        for (i, (target, ref_name)) in items.into_iter().enumerate() {
            if token_tx.send(()).is_err() {
                break;
            }
            let object = match (&target.problem, target.kind) {
                (Some(p), _) => Err(p.clone()),
                // Trees and blobs are judged by kind alone (Checker::check); never read.
                (None, Kind::Tree | Kind::Blob) => Ok(RawObject {
                    id: target.id.to_string(),
                    kind: target.kind,
                    data: Vec::new(),
                }),
                (None, _) => store.read(&target.id),
            };
            if work_tx.send((i, target, ref_name, object)).is_err() {
                break;
            }
        }
        drop(work_tx);
    });
}

/// The thread count: `--jobs`, else every core.
pub(crate) fn jobs(scale: &ScaleFlags) -> usize {
    scale
        .jobs
        .map(std::num::NonZeroUsize::get)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(std::num::NonZeroUsize::get)
                .unwrap_or(1)
        })
}

/// The object directories of a push's quarantine, from the environment git gives hooks.
pub(crate) fn quarantine_dirs(env: &Env) -> Vec<std::path::PathBuf> {
    repo::extra_object_dirs(
        env.get("GIT_OBJECT_DIRECTORY"),
        env.get("GIT_ALTERNATE_OBJECT_DIRECTORIES"),
    )
}

fn human_block(r: &Report) -> String {
    match &r.verdict {
        Verdict::Checked(Judged::Verified(v)) => render::verified_summary(v, TOOL),
        Verdict::Checked(Judged::Rejected(rej)) => render::rejection(rej, TOOL),
        _ => format!(
            "{TOOL}: {} {}: {}: {}\n",
            r.kind.name(),
            r.id,
            r.outcome_word(),
            render::printable(&r.detail())
        ),
    }
}

/// One line per object. The detail quotes certificate and object text (identity, issuer,
/// the committer email, a reader's error): its control characters are escaped so it stays
/// one line ([`render::printable`]); the JSON form keeps the raw text, which JSON escapes.
fn human_line(r: &Report) -> String {
    let merge = if r.merge { " (merge)" } else { "" };
    let code = r.reason().map(|c| format!(" [{c}]")).unwrap_or_default();
    format!(
        "{} {}{merge} {}{code}: {}",
        r.kind.name(),
        r.id,
        r.outcome_word(),
        render::printable(&r.detail())
    )
}

/// A selection that failed before anything was verified. A name that does not resolve (a
/// typo, an unfetched id) is a usage error, as git's "unknown revision" is fatal: a failed
/// verification is kept for verdicts, so a script can tell "the signature is bad" from "you
/// asked for something that is not there". A lightweight tag given to verify-tag is a failed
/// verification (git verify-tag exits 1), and so is a repository that cannot be read.
fn walk_error(e: &repo::WalkError) -> CommandError {
    use repo::WalkError as W;
    match e {
        W::UnknownRevision { .. }
        | W::NotACommit { .. }
        | W::PathSpec(_)
        | W::NotARepository(_) => CommandError::usage(e.to_string()),
        // NotAnnotatedTag, Refs, MergeBase, ObjectDir.
        _ => CommandError::failed(e.to_string()),
    }
}

/// `gitseal verify` (`tags_mode: false`: revisions) / `verify-tag` (`true`: tag names).
pub(super) fn human_verify(
    tags_mode: bool,
    args: &[String],
    range: &RangeFlags,
    scale: &ScaleFlags,
    flags: &IdentityFlags,
    trusted_root: Option<&Path>,
    env: &Env,
) -> Result<(), CommandError> {
    let summary = reported(verify_and_print(
        tags_mode,
        args,
        range,
        scale,
        flags,
        trusted_root,
        env,
    ))?;
    if summary.failed == 0 {
        Ok(())
    } else {
        // Each failure is on stdout already, with the summary.
        Err(CommandError::failed(format!(
            "{} of {} object(s) failed verification",
            summary.failed,
            summary.total()
        )))
    }
}

/// Selects the objects, verifies them and prints each result and the summary. `Err` when
/// nothing could be verified (configuration, repository, selection).
fn verify_and_print(
    tags_mode: bool,
    args: &[String],
    range: &RangeFlags,
    scale: &ScaleFlags,
    flags: &IdentityFlags,
    trusted_root: Option<&Path>,
    env: &Env,
) -> Result<Summary, CommandError> {
    let dir = cwd();
    let git = git_config(&dir)?;
    let checker = Checker::from_config(
        &git,
        &dir,
        trusted_root,
        env,
        Some(flags.policy_args()),
        scale,
    )?;
    let store = ObjectStore::open(&dir, &quarantine_dirs(env))
        .map_err(|e| CommandError::usage(e.to_string()))?;
    let items: Box<dyn Iterator<Item = Item> + '_> = if tags_mode {
        let mut items = Vec::new();
        for name in args {
            // An error is not a verdict about a signature: nothing was verified.
            let id = store.tag_ref(name).map_err(|e| walk_error(&e))?;
            items.push((
                Target {
                    id,
                    kind: Kind::Tag,
                    problem: None,
                    stored_as: Some(name.clone()),
                },
                Some(format!("refs/tags/{name}")),
            ));
        }
        Box::new(items.into_iter())
    } else {
        let revs: Vec<String> = if args.is_empty() && !range.all {
            vec!["HEAD".into()]
        } else {
            args.to_vec()
        };
        let opts = RevOptions {
            all: range.all,
            tags: range.tags,
            walk: range.walk,
        };
        let ref_name = range.ref_name.clone();
        let targets = store.select_iter(&revs, opts).map_err(|e| walk_error(&e))?;
        Box::new(targets.map(move |t| (t, ref_name.clone())))
    };
    // One object gets the full human block; knowing that takes only the first two items.
    let mut items = items;
    let head: Vec<Item> = items.by_ref().take(2).collect();
    let single = head.len() == 1;
    let items = head.into_iter().chain(items);
    let format = flags.format;
    let mut summary = Summary::default();
    {
        let summary = &mut summary;
        run_parallel(items, &store, &checker, jobs(scale), move |r| {
            summary.add(r);
            let text = match format {
                Format::Json => format!("{}\n", r.json()),
                Format::Human if single => human_block(r),
                Format::Human if r.pass => format!("{}\n", human_line(r)),
                Format::Human => match &r.verdict {
                    Verdict::Checked(Judged::Rejected(rej)) => {
                        format!("{}\n{}", human_line(r), render::rejection(rej, TOOL))
                    }
                    _ => format!("{}\n", human_line(r)),
                },
            };
            let mut out = super::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        });
    }
    let last = match format {
        Format::Json => summary.json().to_string(),
        Format::Human => summary.human(),
    };
    let _ = writeln!(super::stdout(), "{last}");
    Ok(summary)
}
