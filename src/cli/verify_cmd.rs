//! `gitseal verify` / `gitseal verify-tag`: select objects ([`crate::git::walk`]), verify them in
//! parallel on all cores ([`crate::check::run_parallel`]), print one result per object (human
//! lines or JSON lines) in the selection's order, then a summary; exit 0 only when every object
//! passes.
//!
//! Argument handling, selection wiring and printing only: judging an object (the checker, its
//! rules and lookups, reports, the parallel runner) is [`crate::check`]'s.

use super::commands::{Format, IdentityFlags, RangeFlags, ScaleFlags};
use super::{CommandError, TOOL, cwd, git_config, render, reported};
use crate::check::{Checker, Item, LoadError, Report, Summary, Verdict, jobs, run_parallel};
use crate::config::Env;
use crate::git::object::Kind;
use crate::git::repo::{self, ObjectStore};
use crate::git::walk::{RevOptions, Target};
use crate::policy::Judged;
use std::io::Write;
use std::path::Path;

impl From<LoadError> for CommandError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Usage(_) => CommandError::usage(e.to_string()),
            LoadError::Config(_) | LoadError::Policy(_) => CommandError::config(e.to_string()),
        }
    }
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
        &scale.options(),
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
        run_parallel(items, &store, &checker, jobs(scale.jobs), move |r| {
            summary.add(r);
            let text = match format {
                Format::Json => format!("{}\n", super::render::json_text(&r.json())),
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
        Format::Json => super::render::json_text(&summary.json()),
        Format::Human => render::summary_line(&summary, TOOL),
    };
    let _ = writeln!(super::stdout(), "{last}");
    Ok(summary)
}
