//! `gitseal verify` / `gitseal verify-tag`: verify objects read in-process from the
//! repository, print a summary (or JSON lines) per object, exit 0 only when all pass.

use super::commands::{Format, IdentityFlags};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, TOOL, cwd, eprint_line, load_verify_config, render};
use crate::config::Env;
use crate::git::object::{self, SignatureFormat};
use crate::git::repo::{RawObject, Repo};
use crate::verify::policy::TrustLevel;
use crate::verify::{self, Context, Outcome};
use std::io::Write;
use std::path::Path;

fn read_targets(
    repo: &Repo,
    tags: bool,
    targets: &[String],
) -> Vec<(String, Result<RawObject, String>)> {
    targets
        .iter()
        .map(|t| {
            let r = if tags { repo.tag(t) } else { repo.commit(t) };
            (t.clone(), r.map_err(|e| e.to_string()))
        })
        .collect()
}

/// `gitseal verify` / `verify-tag`: verify objects read in-process; exit 0 only when every
/// object passes (good signature from an allowed signer).
pub(super) fn human_verify(
    tags: bool,
    targets: &[String],
    flags: &IdentityFlags,
    trusted_root: Option<&Path>,
    env: &Env,
) -> u8 {
    let mut out = std::io::stdout().lock();
    let (trust, policy) = match load_verify_config(trusted_root, env, Some(flags.policy_args())) {
        Ok(x) => x,
        Err(e) => {
            eprint_line(&format!("{TOOL}: {e}"));
            return EXIT_USAGE;
        }
    };
    let repo = match Repo::discover(&cwd()) {
        Ok(r) => r,
        Err(e) => {
            eprint_line(&format!("{TOOL}: {e}"));
            return EXIT_USAGE;
        }
    };
    let mut all_pass = true;
    for (target, obj) in read_targets(&repo, tags, targets) {
        let obj = match obj {
            Ok(o) => o,
            Err(e) => {
                eprint_line(&format!("{TOOL}: {e}"));
                all_pass = false;
                continue;
            }
        };
        let split = object::split(obj.kind, &obj.data, repo.hash_kind());
        let outcome = split.as_ref().map(|s| {
            if object::signature_format(&s.signature) != SignatureFormat::X509 {
                // Not ours to judge: report it as a foreign format, never as BAD.
                let detail = format!("{:?} signature", object::signature_format(&s.signature));
                return Outcome::Rejected(verify::Rejection {
                    reason: crate::verify::reason::Reason::UnsupportedSignatureFormat,
                    detail,
                    signer: None,
                });
            }
            let email = object::signer_email(obj.kind, &s.payload);
            verify::verify_detached(
                &s.payload,
                &s.signature,
                &trust,
                &policy,
                &Context {
                    signer_email: email.as_deref(),
                    looked_up_entry: None,
                    object_id: None,
                },
            )
        });
        let pass =
            matches!(&outcome, Some(Outcome::Verified(v)) if v.trust.level == TrustLevel::Fully);
        all_pass &= pass;
        match flags.format {
            Format::Json => {
                let _ = writeln!(
                    out,
                    "{}",
                    render::json_line(&obj.id, obj.kind.name(), outcome.as_ref())
                );
            }
            Format::Human => {
                let text = match &outcome {
                    None => format!(
                        "{TOOL}: {} {target} ({}) is not signed\n",
                        obj.kind.name(),
                        obj.id
                    ),
                    Some(Outcome::Verified(v)) => render::verified_summary(v, TOOL),
                    Some(Outcome::Rejected(r)) => render::rejection(r, TOOL),
                };
                let _ = write!(out, "{text}");
            }
        }
    }
    if all_pass { EXIT_OK } else { EXIT_FAILED }
}
