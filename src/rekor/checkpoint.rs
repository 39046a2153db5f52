//! Signed checkpoints: the C2SP signed-note format Rekor v1 uses for its tree heads.
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root hash>\n[other lines\n]
//! \n
//! — <name> <base64(4-byte key hint ‖ signature)>\n
//! ```
//! The signature covers the note text up to and including the newline before the blank line.
//! The key hint is the first four bytes of the log ID (compat §3.6). This module only parses;
//! `verify` checks signatures with keys from the trust root.
//!
//! Only the note text is signed: the signature line itself is not, so every freedom the
//! format leaves there would give an embedded entry, and the commit that carries it, another
//! encoding that still verifies. [`Checkpoint::parse`] therefore accepts exactly what Rekor
//! writes (rekor `pkg/util` `CreateAndSignCheckpoint`): one signature line, named with the
//! origin's log name (see [`Checkpoint::log_name`]), ending in the newline the C2SP
//! signed-note spec requires ("a text ending in a newline, followed by a blank line, followed
//! by one or more signature lines ending in a newline"; Rekor writes one). Base64 is
//! canonical (padding required, no stray bits), as the `STANDARD` engine enforces.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// Why a checkpoint could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// No blank line separates the note text from its signatures.
    #[error("the checkpoint has no blank line before its signatures")]
    NoSeparator,
    /// The note text lacks an origin, a size or a root line.
    #[error("the checkpoint text is missing its {0} line")]
    MissingLine(&'static str),
    /// The size line is not a decimal number.
    #[error("the checkpoint tree size is not a number")]
    BadSize,
    /// The root line is not base64 of 32 bytes.
    #[error("the checkpoint root hash is not base64 of a SHA-256 hash")]
    BadRoot,
    /// A signature line does not have the `— name base64` shape.
    #[error("a checkpoint signature line is malformed")]
    BadSignatureLine,
    /// There is no signature at all.
    #[error("the checkpoint carries no signature")]
    NoSignature,
    /// More than one signature line: Rekor signs its checkpoints once.
    #[error("the checkpoint carries {0} signature lines; Rekor writes exactly one")]
    SignatureCount(usize),
    /// The signature block does not end with a newline (C2SP signed-note).
    #[error("the checkpoint's signature line does not end with a newline")]
    Unterminated,
    /// The signature line names another key than the origin's log.
    #[error("the checkpoint is signed as `{name}`, but its origin's log name is `{expected}`")]
    NameMismatch {
        /// The name on the signature line (at most 64 characters of it).
        name: String,
        /// The log name the origin line gives.
        expected: String,
    },
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer name (no spaces).
    pub name: String,
    /// First four bytes of the key's log ID.
    pub key_hint: [u8; 4],
    /// The signature bytes (DER ECDSA for Rekor v1).
    pub signature: Vec<u8>,
}

/// A parsed signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The exact bytes the signatures cover.
    pub signed_text: String,
    /// The origin line (log identity).
    pub origin: String,
    /// Tree size.
    pub tree_size: u64,
    /// Root hash.
    pub root_hash: [u8; 32],
    /// Lines after the root (e.g. `Timestamp: …`).
    pub extra_lines: Vec<String>,
    /// Signature lines.
    pub signatures: Vec<NoteSignature>,
}

impl Checkpoint {
    /// Parses a signed note.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let sep = text.find("\n\n").ok_or(CheckpointError::NoSeparator)?;
        let signed_text = &text[..=sep];
        let sig_part = &text[sep + 2..];
        let mut lines = signed_text[..signed_text.len() - 1].split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or(CheckpointError::MissingLine("origin"))?;
        let size = lines.next().ok_or(CheckpointError::MissingLine("size"))?;
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CheckpointError::BadSize);
        }
        let tree_size = size.parse::<u64>().map_err(|_| CheckpointError::BadSize)?;
        let root = lines
            .next()
            .ok_or(CheckpointError::MissingLine("root hash"))?;
        let root_hash = B64
            .decode(root)
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or(CheckpointError::BadRoot)?;
        let extra_lines = lines.map(str::to_owned).collect();
        if !sig_part.is_empty() && !sig_part.ends_with('\n') {
            return Err(CheckpointError::Unterminated);
        }
        let mut signatures = Vec::new();
        for line in sig_part.split_terminator('\n') {
            // "— " is U+2014 EM DASH followed by a space.
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or(CheckpointError::BadSignatureLine)?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or(CheckpointError::BadSignatureLine)?;
            let raw = B64
                .decode(b64)
                .map_err(|_| CheckpointError::BadSignatureLine)?;
            // C2SP signed-note: a key name is non-empty, without spaces or '+'.
            let bad_name =
                name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '+');
            if bad_name || raw.len() < 5 {
                return Err(CheckpointError::BadSignatureLine);
            }
            let mut key_hint = [0u8; 4];
            key_hint.copy_from_slice(&raw[..4]);
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hint,
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(CheckpointError::NoSignature);
        }
        if signatures.len() != 1 {
            return Err(CheckpointError::SignatureCount(signatures.len()));
        }
        let cp = Self {
            signed_text: signed_text.to_owned(),
            origin: origin.to_owned(),
            tree_size,
            root_hash,
            extra_lines,
            signatures,
        };
        let expected = cp.log_name();
        if let Some(other) = cp.signatures.iter().find(|s| s.name != expected) {
            return Err(CheckpointError::NameMismatch {
                name: other.name.chars().take(64).collect(),
                expected: expected.chars().take(64).collect(),
            });
        }
        Ok(cp)
    }

    /// The key name the log signs this checkpoint with, derived from the origin line. Rekor v1
    /// writes the origin `<hostname> - <tree id>` and signs as `<hostname>` (rekor `pkg/util`
    /// `CreateAndSignCheckpoint`: origin `fmt.Sprintf("%s - %d", hostname, treeID)`, signature
    /// name `hostname`; every corpus checkpoint and the testbed's have this form). A C2SP
    /// tlog-checkpoint log (Rekor v2) signs with the origin itself. Either way one origin
    /// admits exactly one name: names cannot contain spaces, and only an origin with the
    /// Rekor v1 ` - <digits>` suffix has any.
    pub fn log_name(&self) -> &str {
        match self.origin.rsplit_once(" - ") {
            Some((host, tree)) if !tree.is_empty() && tree.bytes().all(|b| b.is_ascii_digit()) => {
                host
            }
            _ => &self.origin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "rekor.sigstore.dev - 2605736670972794746\n6821830\nQqIx4tKMMyNlKU2qR+ppY5PoGsnVerjqkftzx0H8kVI=\nTimestamp: 1673483618000000000\n\n\u{2014} rekor.sigstore.dev wNI9ajBFAiEA\n";

    #[test]
    fn parses_a_note() {
        let c = Checkpoint::parse(REAL).unwrap();
        assert_eq!(c.origin, "rekor.sigstore.dev - 2605736670972794746");
        assert_eq!(c.tree_size, 6821830);
        assert_eq!(c.extra_lines, vec!["Timestamp: 1673483618000000000"]);
        assert_eq!(c.signatures[0].key_hint, [0xc0, 0xd2, 0x3d, 0x6a]);
        assert!(c.signed_text.ends_with("000\n"));
    }

    #[test]
    fn malformed_notes_are_errors() {
        assert_eq!(
            Checkpoint::parse("a\n1\n"),
            Err(CheckpointError::NoSeparator)
        );
        assert_eq!(
            Checkpoint::parse("a\nx\nAA==\n\n"),
            Err(CheckpointError::BadSize)
        );
        assert_eq!(
            Checkpoint::parse("a\n1\nAA==\n\n"),
            Err(CheckpointError::BadRoot)
        );
        assert_eq!(
            Checkpoint::parse("a\n1\nQqIx4tKMMyNlKU2qR+ppY5PoGsnVerjqkftzx0H8kVI=\n\n"),
            Err(CheckpointError::NoSignature)
        );
        assert_eq!(
            Checkpoint::parse(
                "a\n1\nQqIx4tKMMyNlKU2qR+ppY5PoGsnVerjqkftzx0H8kVI=\n\n- x AAAAAAA=\n"
            ),
            Err(CheckpointError::BadSignatureLine)
        );
    }

    /// Each freedom of the unsigned signature line, applied to a real checkpoint: all
    /// refused, so an embedded entry has one accepted encoding (issue 11, item 5).
    #[test]
    fn only_what_rekor_writes_is_accepted() {
        let body = REAL.split("\n\n").next().unwrap();
        let sig = "wNI9ajBFAiEA";
        let note = |tail: &str| format!("{body}\n\n{tail}");
        assert!(Checkpoint::parse(&note(&format!("\u{2014} rekor.sigstore.dev {sig}\n"))).is_ok());
        // Another key name, a longer or shorter one, the whole origin: not the log's name.
        for name in [
            "rekor.sigstore.dew",
            "rekor.sigstore.dev.",
            "rekor.sigstore",
            "Rekor.sigstore.dev",
        ] {
            assert_eq!(
                Checkpoint::parse(&note(&format!("\u{2014} {name} {sig}\n"))),
                Err(CheckpointError::NameMismatch {
                    name: name.into(),
                    expected: "rekor.sigstore.dev".into()
                }),
                "{name}"
            );
        }
        // Names the spec forbids, and the origin itself (it has spaces).
        for name in [
            "rekor+sigstore.dev",
            "rekor.sigstore.dev - 2605736670972794746",
        ] {
            assert_eq!(
                Checkpoint::parse(&note(&format!("\u{2014} {name} {sig}\n"))),
                Err(CheckpointError::BadSignatureLine),
                "{name}"
            );
        }
        // A second signature line, even a copy of the first.
        let line = format!("\u{2014} rekor.sigstore.dev {sig}\n");
        assert_eq!(
            Checkpoint::parse(&note(&format!("{line}{line}"))),
            Err(CheckpointError::SignatureCount(2))
        );
        // No final newline; an extra blank line at the end.
        assert_eq!(
            Checkpoint::parse(&note(line.trim_end_matches('\n'))),
            Err(CheckpointError::Unterminated)
        );
        assert_eq!(
            Checkpoint::parse(&note(&format!("{line}\n"))),
            Err(CheckpointError::BadSignatureLine)
        );
        // Base64 with stray low bits decodes to the same bytes as the canonical text: refused
        // (the `STANDARD` engine's check, pinned here because this module relies on it).
        assert_eq!(
            Checkpoint::parse(&note("\u{2014} rekor.sigstore.dev wNI9ajBFAiE=\n"))
                .map(|c| c.signatures[0].signature.len()),
            Ok(4)
        );
        assert_eq!(
            Checkpoint::parse(&note("\u{2014} rekor.sigstore.dev wNI9ajBFAiF=\n")),
            Err(CheckpointError::BadSignatureLine)
        );
    }

    #[test]
    fn log_names() {
        let with_origin = |origin: &str| Checkpoint {
            signed_text: String::new(),
            origin: origin.into(),
            tree_size: 0,
            root_hash: [0; 32],
            extra_lines: Vec::new(),
            signatures: Vec::new(),
        };
        for (origin, name) in [
            (
                "rekor.sigstore.dev - 1193050959916656506",
                "rekor.sigstore.dev",
            ),
            ("gitseal-testbed - 42", "gitseal-testbed"),
            (
                "log2025-1.rekor.sigstore.dev",
                "log2025-1.rekor.sigstore.dev",
            ),
            ("rekor.sigstore.dev - x1", "rekor.sigstore.dev - x1"),
            ("rekor.sigstore.dev - ", "rekor.sigstore.dev - "),
        ] {
            assert_eq!(with_origin(origin).log_name(), name, "{origin}");
        }
    }
}
