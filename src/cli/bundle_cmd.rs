//! `gitseal bundle REV --bundle FILE --artifact FILE`: export a commit's (or annotated tag's)
//! signature as a Sigstore bundle v0.3 plus the artifact it signs, so cosign or sigstore-python
//! can check it independently. Only a signature that gitseal itself verifies is exported.

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, TOOL, cwd, eprint_line, load_verify_config};
use crate::config::Env;
use crate::git::object::{self, Kind};
use crate::git::repo::ObjectStore;
use crate::git::walk::RevOptions;
use crate::verify::{self, Context, LogSource, Outcome};
use crate::{armor, bundle, cms};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Runs the export; returns the exit code.
pub(super) fn run(
    rev: &str,
    bundle_path: &Path,
    artifact_path: &Path,
    trusted_root: Option<&Path>,
    env: &Env,
) -> u8 {
    let fail = |msg: String, code: u8| {
        eprint_line(&format!("{TOOL}: {msg}"));
        code
    };
    let (trust, policy) = match load_verify_config(trusted_root, env, None) {
        Ok(x) => x,
        Err(e) => return fail(e.to_string(), EXIT_USAGE),
    };
    let store = match ObjectStore::open(&cwd(), &[]) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string(), EXIT_USAGE),
    };
    // Like `gitsign show`: an annotated tag of that name first, else the revision's object.
    let id = match store.tag_ref(rev) {
        Ok(id) => id,
        Err(_) => match store.select(&[rev.to_string()], RevOptions::default()) {
            Ok(targets) => match targets.into_iter().next() {
                Some(t) => t.id,
                None => return fail(format!("{rev} names no commit or tag"), EXIT_USAGE),
            },
            Err(e) => return fail(e.to_string(), EXIT_USAGE),
        },
    };
    let obj = match store.read(&id) {
        Ok(o) => o,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let Some(split) = object::split(obj.kind, &obj.data, store.hash_kind()) else {
        return fail(
            format!("{} {} is not signed", obj.kind.name(), obj.id),
            EXIT_FAILED,
        );
    };
    let email = object::signer_email(obj.kind, &split.payload);
    let outcome = verify::verify_detached(
        &split.payload,
        &split.signature,
        &trust,
        &policy,
        &Context {
            signer_email: email.as_deref(),
            looked_up_entry: None,
            object_id: Some(&obj.id),
        },
    );
    let v = match outcome {
        Outcome::Verified(v) => v,
        Outcome::Rejected(r) if r.reason == crate::verify::reason::Reason::TlogLookupRequired => {
            return fail(
                format!(
                    "{} {} is an online-mode signature: its Rekor entry is not embedded, and \
                     `gitseal bundle` exports only offline-mode signatures (`gitseal verify` \
                     verifies it with a Rekor lookup)",
                    obj.kind.name(),
                    obj.id
                ),
                EXIT_FAILED,
            );
        }
        Outcome::Rejected(r) => {
            return fail(
                format!(
                    "{} {} does not verify, so it is not exported: {} [{}]",
                    obj.kind.name(),
                    obj.id,
                    r.detail,
                    r.reason.code()
                ),
                EXIT_FAILED,
            );
        }
    };
    // No entry was handed to the verifier, so a verified signature embeds its own.
    if v.log_source == LogSource::Lookup {
        return fail(
            "internal error: an online-mode signature verified without a lookup".into(),
            EXIT_FAILED,
        );
    }
    // Verified above, so every piece below exists; failures here are reported, not unwrapped.
    let parts = armor::decode(&split.signature)
        .ok()
        .and_then(|der| cms::decode::parse(&der).ok())
        .and_then(|cms| {
            let signer = cms.signers.into_iter().next()?;
            let (entry, _) = signer.tlog_entry().ok()??;
            let leaf = cms.certificates.into_iter().find(|c| {
                crate::x509::Cert::from_der(c)
                    .is_ok_and(|c| c.fingerprint() == v.signer.fingerprint)
            })?;
            Some((signer.signed_attrs_der?, signer.signature, entry, leaf))
        });
    let Some((artifact, signature, entry, leaf)) = parts else {
        return fail(
            "internal error: a verified signature lost its parts".into(),
            EXIT_FAILED,
        );
    };
    let body = verify::offline_body(&artifact, &signature, &leaf);
    let digest: [u8; 32] = Sha256::digest(&artifact).into();
    let json = bundle::message_signature_bundle(&leaf, &entry, &body, &digest, &signature);
    let text = match serde_json::to_string_pretty(&json) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string(), EXIT_FAILED),
    };
    if let Err(e) = std::fs::write(bundle_path, text) {
        return fail(
            format!("cannot write {}: {e}", bundle_path.display()),
            EXIT_FAILED,
        );
    }
    if let Err(e) = std::fs::write(artifact_path, &artifact) {
        return fail(
            format!("cannot write {}: {e}", artifact_path.display()),
            EXIT_FAILED,
        );
    }
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
    EXIT_OK
}
