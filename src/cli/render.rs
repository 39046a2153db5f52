//! Human-readable text: gitsign-style summaries, rejection explanations with a hint, and the
//! JSON line format. Formatting only: it neither decides outcomes nor exit codes.

use crate::verify::policy::TrustLevel;
use crate::verify::reason::{Class, Reason};
use crate::verify::{LogSource, Outcome, Rejection, SignerSummary, Verified};
use crate::x509::San;

fn sans(s: &SignerSummary) -> String {
    s.sans.iter().map(San::value).collect::<Vec<_>>().join(" ")
}

/// The uid for GOODSIG/BADSIG: who signed, never empty (an empty uid makes git skip the next
/// status line, compat §1.5 / interop G3).
pub fn uid(s: Option<&SignerSummary>) -> String {
    match s {
        Some(s) => {
            let id = s
                .identity
                .clone()
                .unwrap_or_else(|| "unknown-identity".into());
            match &s.issuer {
                Some(i) => format!("{id} ({i})"),
                None => id,
            }
        }
        None => "unknown-signer".into(),
    }
}

/// gitsign's summary (compat §6.6) plus the trust explanation.
pub fn verified_summary(v: &Verified, tool: &str) -> String {
    let s = &v.signer;
    let trust = match v.trust.level {
        TrustLevel::Fully => "fully",
        TrustLevel::Undefined => "undefined",
        TrustLevel::Never => "never",
    };
    let source = match v.log_source {
        LogSource::Embedded => "embedded entry",
        LogSource::EmbeddedPerField => "embedded entry, early per-field encoding",
        LogSource::Lookup => "Rekor lookup",
    };
    format!(
        "tlog index: {index}\n\
         {tool}: Signature made using certificate ID 0x{fpr} | {dn}\n\
         {tool}: Good signature from [{sans}]({issuer})\n\
         Validated Git signature: true\n\
         Validated Rekor entry: true ({source}, {log}, integrated {time})\n\
         Validated certificate transparency: {ct}\n\
         Validated Certificate claims: {claims}\n\
         {tool}: trust {trust}: {why}\n",
        index = v.tlog.log_index,
        fpr = s.fingerprint,
        dn = s.issuer_dn,
        sans = sans(s),
        issuer = s.issuer.as_deref().unwrap_or(""),
        log = v.tlog.log_url,
        time = v.tlog.integrated_time,
        ct = v.ct_log_url.as_deref().map_or(
            "no embedded SCT (a May 2022 certificate issued before SCTs were embedded)".to_string(),
            |u| format!("true ({u})")
        ),
        claims = v.trust.level == TrustLevel::Fully,
        why = v.trust.why,
    )
}

/// What to do about a rejection.
pub fn hint(reason: Reason) -> &'static str {
    match reason {
        Reason::TlogLookupRequired => {
            "verify without --offline (and without gitseal.offline / GITSEAL_OFFLINE) so \
             gitseal can look the entry up in Rekor; sign with `gitsign.rekorMode=offline` \
             (gitseal's default) to embed the entry instead"
        }
        Reason::TlogEntryNotFound | Reason::TlogLookupFailed => {
            "check gitsign.rekor (or GITSEAL_REKOR_URL / GITSIGN_REKOR_URL / SIGSTORE_REKOR_URL) \
             names the log the signer used, and that it can be reached"
        }
        Reason::ChainUntrusted | Reason::TlogUnknownLog | Reason::SctInvalid => {
            "if this was signed against another Sigstore instance, point --trusted-root, \
             GITSEAL_TRUSTED_ROOT or gitseal.trustedRoot at its trusted_root.json"
        }
        Reason::UnsupportedSignatureFormat => {
            "this is not an x509 signature; verify it with the tool that made it (gpg, ssh-keygen)"
        }
        Reason::IdentityMismatch => {
            "check gitseal.identity / gitseal.issuer (or --certificate-identity / \
             --certificate-oidc-issuer)"
        }
        _ => "do not trust this commit or tag until it is signed again",
    }
}

/// Explanation of a rejection.
pub fn rejection(r: &Rejection, tool: &str) -> String {
    let class = match r.reason.class() {
        Class::Bad => "BAD signature",
        Class::CannotCheck => "signature cannot be checked",
    };
    let mut out = format!(
        "{tool}: {class}: {} [{}]\n{tool}:   {}\n",
        r.reason.description(),
        r.reason.code(),
        r.detail
    );
    if let Some(s) = &r.signer {
        out.push_str(&format!(
            "{tool}:   certificate 0x{} claims [{}]({})\n",
            s.fingerprint,
            sans(s),
            s.issuer.as_deref().unwrap_or("")
        ));
    }
    out.push_str(&format!("{tool}: hint: {}\n", hint(r.reason)));
    out
}

/// The JSON outcome word for an outcome (verification-at-scale vocabulary).
pub fn outcome_word(o: &Outcome) -> &'static str {
    match o {
        Outcome::Verified(v) => match v.trust.level {
            TrustLevel::Fully => "good",
            TrustLevel::Undefined | TrustLevel::Never => "untrusted-signer",
        },
        Outcome::Rejected(r) => match (r.reason, r.reason.class()) {
            (Reason::TlogLookupRequired, _) => "unverifiable-offline",
            (Reason::UnsupportedSignatureFormat, _) => "foreign-format",
            (_, Class::Bad) => "bad",
            (_, Class::CannotCheck) => "error",
        },
    }
}

/// One JSON line for an object.
pub fn json_line(id: &str, kind: &str, o: Option<&Outcome>) -> String {
    json_value(id, kind, o).to_string()
}

/// The JSON object for an object (`None`: unsigned); [`json_line`] prints it.
pub fn json_value(id: &str, kind: &str, o: Option<&Outcome>) -> serde_json::Value {
    match o {
        None => serde_json::json!({
            "object": id, "type": kind, "outcome": "unsigned", "reason": null,
            "identity": null, "issuer": null, "log_index": null, "integrated_time": null,
        }),
        Some(o @ Outcome::Verified(v)) => serde_json::json!({
            "object": id, "type": kind, "outcome": outcome_word(o),
            "reason": (v.trust.level != TrustLevel::Fully).then_some(Reason::IdentityMismatch.code()),
            "identity": v.signer.identity, "issuer": v.signer.issuer,
            "log_index": v.tlog.log_index, "integrated_time": v.tlog.integrated_time,
        }),
        Some(o @ Outcome::Rejected(r)) => serde_json::json!({
            "object": id, "type": kind, "outcome": outcome_word(o),
            "reason": r.reason.code(),
            "identity": r.signer.as_ref().and_then(|s| s.identity.clone()),
            "issuer": r.signer.as_ref().and_then(|s| s.issuer.clone()),
            "log_index": null, "integrated_time": null,
        }),
    }
}
