//! `gitseal bundle REV --bundle FILE --artifact FILE`: export a commit's (or annotated tag's)
//! signature as a Sigstore bundle v0.3 plus the artifact it signs, so cosign or sigstore-python
//! can check it independently. Only a signature that gitseal itself verifies is exported.

use super::{CommandError, TOOL, cwd, eprint_line, git_config};
use crate::bundle;
use crate::config::{self, Env};
use crate::git::object::{self, Kind};
use crate::git::repo::ObjectStore;
use crate::git::walk::RevOptions;
use crate::policy::PolicyArgs;
use crate::verify::{self, Context, LogSource, Outcome};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Runs the export; `cli::execute` reports its error.
pub(super) fn run(
    rev: &str,
    bundle_path: &Path,
    artifact_path: &Path,
    trusted_root: Option<&Path>,
    env: &Env,
) -> Result<(), CommandError> {
    let dir = cwd();
    let git = git_config(&dir)?;
    let trust = config::load_trust_root(trusted_root, env, &git)?;
    // The identity rules decide nothing here (a signature that verifies is exported whoever
    // signed it), but a malformed rule is still the configuration error it is everywhere else.
    PolicyArgs::from_git_config(&git).build()?;
    let usage = |e: String| CommandError::usage(e);
    let store = ObjectStore::open(&dir, &[]).map_err(|e| usage(e.to_string()))?;
    // Like `gitsign show`: an annotated tag of that name first, else the revision's object.
    let id = match store.tag_ref(rev) {
        Ok(id) => id,
        Err(_) => {
            store
                .select(&[rev.to_string()], RevOptions::default())
                .map_err(|e| usage(e.to_string()))?
                .into_iter()
                .next()
                .ok_or_else(|| usage(format!("{rev} names no commit or tag")))?
                .id
        }
    };
    let obj = store.read(&id).map_err(usage)?;
    let Some(split) = object::split(obj.kind, &obj.data, store.hash_kind()) else {
        return Err(CommandError::failed(format!(
            "{} {} is not signed",
            obj.kind.name(),
            obj.id
        )));
    };
    let outcome = verify::verify_detached(
        &split.payload,
        &split.signature,
        &trust,
        &Context {
            looked_up_entry: None,
            object_id: Some(&obj.id),
        },
    );
    let v = match outcome {
        Outcome::Verified(v) => v,
        Outcome::Rejected(r) if r.reason == crate::verify::reason::Reason::TlogLookupRequired => {
            return Err(CommandError::failed(format!(
                "{} {} is an online-mode signature: its Rekor entry is not embedded, and \
                 `gitseal bundle` exports only offline-mode signatures (`gitseal verify` \
                 verifies it with a Rekor lookup)",
                obj.kind.name(),
                obj.id
            )));
        }
        Outcome::Rejected(r) => {
            return Err(CommandError::failed(format!(
                "{} {} does not verify, so it is not exported: {} [{}]",
                obj.kind.name(),
                obj.id,
                r.detail,
                r.reason.code()
            )));
        }
    };
    // No entry was handed to the verifier, so a verified signature embeds its own.
    if v.log_source == LogSource::Lookup {
        return Err(CommandError::failed(
            "internal error: an online-mode signature verified without a lookup",
        ));
    }
    // The evidence carries what was verified: no second parse of the signature (issue 19).
    let leaf = &v.leaf().der;
    let (artifact, signature, entry) = (v.signed_attrs(), v.signature(), v.entry());
    // A Rekor v2 entry comes back from the verifier with the v0.0.2 body its proof covers;
    // a v1 entry's body is rebuilt (gitsign clears it from the attribute).
    let body = match &entry.body {
        Some(b) => b.clone(),
        None => verify::offline_body(artifact, signature, leaf),
    };
    let digest: [u8; 32] = Sha256::digest(artifact).into();
    let mut json = bundle::message_signature_bundle(leaf, entry, &body, &digest, signature);
    // The verified RFC 3161 timestamp, if any (issue 15).
    let tokens: Vec<&[u8]> = v.timestamp.iter().map(|t| t.token_der.as_slice()).collect();
    bundle::add_rfc3161_timestamps(&mut json, &tokens);
    let text =
        serde_json::to_string_pretty(&json).map_err(|e| CommandError::failed(e.to_string()))?;
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes)
            .map_err(|e| CommandError::failed(format!("cannot write {}: {e}", path.display())))
    };
    write(bundle_path, text.as_bytes())?;
    write(artifact_path, artifact)?;
    let what = if obj.kind == Kind::Tag {
        "tag"
    } else {
        "commit"
    };
    eprint_line(&format!(
        "{TOOL}: wrote the bundle for {what} {} to {} and its artifact (the signed CMS attributes) to {}",
        obj.id,
        bundle_path.display(),
        artifact_path.display()
    ));
    Ok(())
}
