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
            if name.is_empty() || raw.len() < 5 {
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
        Ok(Self {
            signed_text: signed_text.to_owned(),
            origin: origin.to_owned(),
            tree_size,
            root_hash,
            extra_lines,
            signatures,
        })
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
}
