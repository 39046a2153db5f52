//! `gitseal pre-receive`: git's pre-receive hook (githooks(5)). Reads `<old> <new> <ref>` lines
//! on standard input and verifies, for each update of a ref R, everything R newly reaches
//! under R's rules: the commits reachable from `<new>` and from no ref whose rules are a
//! subset of R's (R itself before the push among them: for an update that is `<old>..<new>`),
//! every annotated tag on the chain `<new>` names, and a tree or blob it ends at (unsigned).
//! Rules are per ref, so acceptance is too: a commit accepted on a contributors' branch is
//! judged again when `main` moves to it. It prints one line per rejected object and exits
//! non-zero to reject the whole push.
//!
//! What it assumes: the refs the repository already has were accepted by this hook under
//! the same policy (install it before the first push, and re-check history with `gitseal
//! verify --all` after tightening a policy).
//!
//! It reads the pushed objects from the quarantine directory git names in the hook's
//! environment, needs no network for offline-mode signatures, and never lets a configuration
//! problem through: anything it cannot decide rejects the push. It must not write to the
//! repository. Output goes to standard error, which git relays to the pusher as `remote:`
//! lines.

use super::commands::ScaleFlags;
use super::verify_cmd::quarantine_dirs;
use super::{CommandError, TOOL, cwd, eprint_line, git_config, render};
use crate::check::{Checker, Item, Report, Rules, jobs, run_parallel};
use crate::config::Env;
use crate::git::repo::{ObjectStore, WalkError};
use gix::ObjectId;
use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;

/// One line of pre-receive input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The ref's current value (all zeros: it is being created).
    pub old: ObjectId,
    /// The pushed value (all zeros: it is being deleted).
    pub new: ObjectId,
    /// The full ref name.
    pub name: String,
}

/// Parses one `<old> <new> <ref>` line (githooks(5) "pre-receive"). Pure.
pub fn parse_update(line: &str) -> Result<RefUpdate, String> {
    let mut fields = line.split_whitespace();
    let (Some(old), Some(new), Some(name), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(format!("expected `<old> <new> <ref>`, got {line:?}"));
    };
    let id = |s: &str| {
        ObjectId::from_hex(s.as_bytes()).map_err(|_| format!("{s:?} is not an object id"))
    };
    Ok(RefUpdate {
        old: id(old)?,
        new: id(new)?,
        name: name.to_string(),
    })
}

/// One `remote:` line per rejected object. The ref name comes from the hook input and the
/// detail from the pushed certificate and object: control characters in them are escaped
/// ([`render::printable`]), so a pusher cannot add lines to what git relays.
fn rejection_line(r: &Report) -> String {
    let reason = r.reason().map(|c| format!(" [{c}]")).unwrap_or_default();
    let merge = if r.merge { " (merge)" } else { "" };
    format!(
        "{TOOL}: rejected {ref_name}: {kind} {id}{merge}: {outcome}{reason}: {detail}",
        ref_name = render::printable(r.ref_name.as_deref().unwrap_or("?")),
        kind = r.kind.name(),
        id = r.id,
        outcome = r.outcome_word(),
        detail = render::printable(&r.detail()),
    )
}

/// Whether every element of `a` is in `b` (both sorted, as `Rules::applicable_set` gives).
fn is_subset(a: &[usize], b: &[usize]) -> bool {
    a.iter().all(|x| b.binary_search(x).is_ok())
}

/// What each update brings onto its ref, to be judged under that ref's rules (module docs).
/// History already on a ref whose applicable rules are a subset of the updated ref's — the
/// ref itself before the push, among others — passed rules at least as strict and is not
/// walked again; anything else the ref newly reaches is, even if another ref with laxer
/// rules (a contributors' branch) already has it. An object several updates bring under the
/// same rules (and, for a tag a ref names directly, as the same name) is judged once.
fn items(
    store: &ObjectStore,
    rules: &Rules,
    updates: &[RefUpdate],
) -> Result<Vec<Item>, WalkError> {
    let tips: Vec<(Vec<usize>, ObjectId)> = store
        .direct_refs()?
        .into_iter()
        .map(|(name, id)| (rules.applicable_set(&name), id))
        .collect();
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for u in updates {
        if u.new.is_null() {
            continue; // a deletion introduces nothing
        }
        let set = rules.applicable_set(&u.name);
        let known: Vec<ObjectId> = tips
            .iter()
            .filter(|(s, _)| is_subset(s, &set))
            .map(|(_, id)| *id)
            .collect();
        for t in store.introduced(u.new, &known, &u.name)? {
            // The name a tag must give itself is part of what is judged: the same tag object
            // pushed as two tag refs is checked against each name.
            if seen.insert((t.id, set.clone(), t.stored_as.clone())) {
                items.push((t, Some(u.name.clone())));
            }
        }
    }
    Ok(items)
}

/// Runs the hook; `input` is git's standard input.
pub(super) fn run(
    scale: &ScaleFlags,
    trusted_root: Option<&Path>,
    env: &Env,
    input: &mut dyn BufRead,
) -> Result<(), CommandError> {
    let (rejected, total) = match check_push(scale, trusted_root, env, input) {
        Ok(counts) => counts,
        // Anything the hook cannot decide rejects the push (module docs).
        Err(e) => {
            super::report(&e);
            eprint_line(&format!("{TOOL}: push rejected"));
            return Err(e);
        }
    };
    if rejected > 0 {
        let e = CommandError::failed(format!(
            "push rejected: {rejected} of {total} new object(s) failed verification"
        ));
        super::report(&e);
        Err(e)
    } else {
        eprint_line(&format!("{TOOL}: {total} new object(s) verified"));
        Ok(())
    }
}

/// Reads the updates, then the configuration, and judges what the push brings; returns how
/// many objects were rejected, of how many. Each rejection is shown as it is found.
fn check_push(
    scale: &ScaleFlags,
    trusted_root: Option<&Path>,
    env: &Env,
    input: &mut dyn BufRead,
) -> Result<(usize, usize), CommandError> {
    let mut updates = Vec::new();
    for line in input.lines() {
        match line {
            Ok(l) if l.trim().is_empty() => {}
            Ok(l) => updates.push(
                parse_update(&l)
                    .map_err(|e| CommandError::usage(format!("pre-receive input: {e}")))?,
            ),
            Err(e) => {
                return Err(CommandError::usage(format!(
                    "cannot read pre-receive input: {e}"
                )));
            }
        }
    }
    let dir = cwd();
    let git = git_config(&dir)?;
    let checker = Checker::from_config(&git, &dir, trusted_root, env, None, &scale.options())?;
    let store = ObjectStore::open(&dir, &quarantine_dirs(env))
        .map_err(|e| CommandError::usage(e.to_string()))?;
    let items = items(&store, checker.rules(), &updates)
        .map_err(|e| CommandError::failed(e.to_string()))?;
    let total = items.len();
    let mut rejected = 0usize;
    {
        let rejected = &mut rejected;
        run_parallel(items, &store, &checker, jobs(scale.jobs), move |r| {
            if !r.pass {
                *rejected += 1;
                eprint_line(&rejection_line(r));
            }
        });
    }
    Ok((rejected, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hook_input() {
        let zero = "0".repeat(40);
        let a = "a".repeat(40);
        let u = parse_update(&format!("{zero} {a} refs/heads/main")).unwrap();
        assert!(u.old.is_null());
        assert_eq!(u.new.to_string(), a);
        assert_eq!(u.name, "refs/heads/main");
        assert!(parse_update("x y").is_err());
        assert!(parse_update(&format!("{zero} nothex refs/heads/main")).is_err());
        assert!(parse_update(&format!("{zero} {a} refs/heads/main extra")).is_err());
    }
}
