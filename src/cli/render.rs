//! Human-readable text: gitsign-style summaries, rejection explanations with a hint, and the
//! JSON line format. Formatting only: it neither decides outcomes nor exit codes.
//!
//! Every string that comes from a certificate, a log, a pushed object or the trust root goes
//! through [`printable`] before it reaches human text: a newline in a SAN must not start a
//! line of its own (a forged "Good signature" line), and escape sequences must not reach the
//! terminal. JSON needs nothing more: `serde_json` escapes control characters in strings
//! (RFC 8259 §7). Status lines are escaped by `gpg_status` itself.

use std::borrow::Cow;

use crate::check::Summary;
use crate::check::report::OUTCOMES;
use crate::policy::TrustLevel;
use crate::policy::{Judged, Trusted};
use crate::verify::reason::{Class, Reason};
// The JSON vocabulary is data about a report (`check::report`); re-exported where it was.
pub use crate::check::report::{json_value, outcome_word};
use crate::verify::{LogSource, Rejection, SignerSummary};

/// `s` with every control character (C0, DEL, C1: [`char::is_control`]) shown as a Rust-style
/// escape (`\n`, `\r`, `\t`, `\0`, `\u{1b}`), so one field stays on one line and cannot
/// drive the terminal. Other text, including all printable Unicode, is unchanged. Pure.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn sans(s: &SignerSummary) -> String {
    s.sans
        .iter()
        .map(|s| printable(s.value()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The uid for GOODSIG/BADSIG: who signed, never empty (an empty uid makes git skip the next
/// status line, compat §1.5 / interop G3). Raw certificate text: `gpg_status` percent-escapes it.
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
pub fn verified_summary(v: &Trusted, tool: &str) -> String {
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
         {timestamp}\
         Validated Certificate claims: {claims}\n\
         {pipeline}\
         {tool}: trust {trust}: {why}\n",
        index = v.tlog.log_index,
        fpr = s.fingerprint,
        dn = printable(&s.issuer_dn),
        sans = sans(s),
        issuer = printable(s.issuer.as_deref().unwrap_or("")),
        log = printable(&v.tlog.log_url),
        time = v.tlog.integrated_time,
        ct = v.ct_log_url.as_deref().map_or(
            "no embedded SCT (a May 2022 certificate issued before SCTs were embedded)".to_string(),
            |u| format!("true ({})", printable(u))
        ),
        claims = v.trust.level == TrustLevel::Fully,
        // Only when the signature carries an RFC 3161 timestamp (issue 15).
        timestamp = v.timestamp.as_ref().map_or(String::new(), |t| format!(
            "Validated timestamp: true ({}, {}, genTime {})\n",
            printable(&t.tsa_uri),
            printable(&t.tsa_subject),
            t.gen_time
        )),
        // The CI pipeline a certificate's claims name (issue 16), on a line of its own.
        pipeline =
            v.leaf()
                .claims()
                .ok()
                .and_then(|c| c.pipeline())
                .map_or(String::new(), |p| format!(
                    "{tool}: signed by {}\n",
                    printable(&p)
                )),
        why = printable(&v.trust.why),
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
        // The setting's names come from the table (`config::table`), so they cannot drift:
        // "check GITSEAL_REKOR_URL / ... / gitsign.rekor".
        Reason::TlogEntryNotFound | Reason::TlogLookupFailed => crate::config::table::REKOR.check,
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
        Reason::TimestampInvalid => {
            "if its timestamp authority is one you trust but the trust root does not list, \
             name its chain with gitsign.timestampCertChain / GITSEAL_TIMESTAMP_CERT_CHAIN; \
             otherwise do not trust this commit or tag"
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
        printable(&r.detail)
    );
    if let Some(s) = &r.signer {
        out.push_str(&format!(
            "{tool}:   certificate 0x{} claims [{}]({})\n",
            s.fingerprint,
            sans(s),
            printable(s.issuer.as_deref().unwrap_or(""))
        ));
    }
    out.push_str(&format!("{tool}: hint: {}\n", hint(r.reason)));
    out
}

/// The summary line `gitseal verify` ends with: the object count, the per-outcome breakdown
/// (in [`OUTCOMES`] order, zero counts left out) and how many passed and failed.
pub fn summary_line(s: &Summary, tool: &str) -> String {
    let parts: Vec<String> = OUTCOMES
        .iter()
        .filter_map(|w| {
            let n = s.count(w);
            (n > 0).then(|| format!("{n} {w}"))
        })
        .collect();
    let breakdown = if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    };
    format!(
        "{tool}: {} object(s){breakdown}: {} passed, {} failed",
        s.total(),
        s.passed,
        s.failed
    )
}

/// One JSON line for an object.
pub fn json_line(id: &str, kind: &str, o: Option<&Judged>) -> String {
    json_text(&json_value(id, kind, o))
}

/// The key order of `--format json`, as the README documents it: an object's keys, then the
/// summary's, whose per-outcome counts follow in [`OUTCOMES`] order (not repeated here).
/// `serde_json` keeps object keys sorted (no `preserve_order`: Rekor bodies and other
/// canonical JSON rely on sorted keys), so the order is imposed when printing.
pub const JSON_KEY_ORDER: &[&str] = &[
    "object",
    "type",
    "outcome",
    "reason",
    "identity",
    "issuer",
    "log_index",
    "integrated_time",
    "claims",
    "timestamp",
    "pass",
    "merge",
    "ref",
    "detail",
    "summary",
    "objects",
    "passed",
    "failed",
];

/// `v` as compact JSON with object keys in [`JSON_KEY_ORDER`] then [`OUTCOMES`] order (others
/// after, sorted).
pub fn json_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by_key(|(k, _)| {
                (
                    JSON_KEY_ORDER
                        .iter()
                        .chain(OUTCOMES.iter())
                        .position(|o| o == k)
                        .unwrap_or(usize::MAX),
                    k.as_str(),
                )
            });
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", Value::String((*k).clone()), json_text(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(json_text).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x509::San;

    #[test]
    fn json_keys_come_in_the_documented_order() {
        let v = serde_json::json!({
            "detail": "x", "ref": null, "merge": false, "pass": true, "integrated_time": 1,
            "log_index": 2, "issuer": "i", "identity": "a", "reason": null, "outcome": "good",
            "type": "commit", "object": "9f", "zz-extra": [{"b": 1, "a": 2}],
        });
        assert_eq!(
            json_text(&v),
            r#"{"object":"9f","type":"commit","outcome":"good","reason":null,"identity":"a","issuer":"i","log_index":2,"integrated_time":1,"pass":true,"merge":false,"ref":null,"detail":"x","zz-extra":[{"a":2,"b":1}]}"#
        );
        // The same value either way, and strings escaped as serde_json escapes them.
        let hostile = serde_json::json!({"detail": "a\"\n\u{1b}", "object": "o"});
        let text = json_text(&hostile);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            hostile
        );
        assert!(
            text.starts_with(r#"{"object":"o","detail":"a\"\n\u001b"}"#),
            "{text}"
        );
        // The README's example line has its keys in this order.
        let readme = include_str!("../../README.md");
        let line = readme
            .lines()
            .find(|l| l.starts_with(r#"{"object":"3c4d"#))
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(json_text(&parsed), line);
        let summary = readme
            .lines()
            .find(|l| l.starts_with(r#"{"summary""#))
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(summary).unwrap();
        assert_eq!(json_text(&parsed), summary);
    }

    #[test]
    fn printable_escapes_controls_only() {
        for (input, want) in [
            ("alice@example.com", "alice@example.com"),
            ("a\nb", "a\\nb"),
            ("a\r\nb", "a\\r\\nb"),
            ("a\0b", "a\\0b"),
            ("\x1b[2J", "\\u{1b}[2J"),
            ("\x7f", "\\u{7f}"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("tab\there", "tab\\there"),
            ("100% Ünïcødé 名前 \\n", "100% Ünïcødé 名前 \\n"),
        ] {
            assert_eq!(printable(input), want, "{input:?}");
        }
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }

    /// The rejection text of a certificate with a hostile SAN and issuer keeps its shape: the
    /// attacker's newlines do not make lines, so no forged "Good signature" line appears.
    #[test]
    fn rejection_text_cannot_be_given_extra_lines() {
        let hostile = "mallory@evil.com\ngitseal: Good signature from [alice@example.com]\n\0";
        let r = Rejection {
            reason: Reason::CertificateMalformed,
            detail: format!("SAN {hostile}"),
            signer: Some(SignerSummary {
                fingerprint: "ab".into(),
                identity: Some(hostile.into()),
                sans: vec![San::Email(hostile.into())],
                issuer: Some(format!("https://issuer\r\n{hostile}")),
                issuer_dn: "CN=x".into(),
                not_before: 0,
                not_after: 1,
                leaf_der: Vec::new(),
            }),
        };
        let text = rejection(&r, "gitseal");
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.lines().all(|l| l.starts_with("gitseal:")), "{text}");
        assert!(!text.contains(['\0', '\r']), "{text:?}");
        assert!(
            text.contains("claims [mallory@evil.com\\ngitseal: Good signature"),
            "{text}"
        );
    }
}
