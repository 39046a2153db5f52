//! The `-----BEGIN SIGNED MESSAGE-----` PEM framing Git stores in `gpgsig` headers and tag
//! bodies (RFC 7468 textual encoding; gitsign writes it with Go's `pem.EncodeToMemory`).
//!
//! Decoding follows gitsign's reader (compat §2.1): the first PEM block, leading junk skipped,
//! CRLF tolerated; a body that is not PEM at all is tried as raw DER. Only the label
//! `SIGNED MESSAGE` is a Git x509 signature; other labels are reported, not guessed at.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// The PEM label git's x509 format uses.
pub const LABEL: &str = "SIGNED MESSAGE";

/// Why a signature text could not be de-armored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArmorError {
    /// No PEM block and not DER either.
    #[error("the signature is neither PEM nor DER")]
    NotPem,
    /// A PEM block with another label (for example `PGP SIGNATURE` or `SSH SIGNATURE`).
    #[error("the signature is a `{0}` block, not `SIGNED MESSAGE`")]
    WrongLabel(String),
    /// A BEGIN line without its END line.
    #[error("the `SIGNED MESSAGE` block has no END line")]
    Unterminated,
    /// The body is not valid base64.
    #[error("the `SIGNED MESSAGE` block is not valid base64")]
    BadBase64,
    /// Readable, but not the one text gitsign writes for these bytes.
    #[error(
        "the signature text is not exactly the `SIGNED MESSAGE` block gitsign writes \
         (64-column base64, LF line ends, nothing before or after the block)"
    )]
    NotCanonical,
}

/// Returns the DER inside the first `SIGNED MESSAGE` block, or the input itself if it is
/// already DER (starts with a SEQUENCE tag).
pub fn decode(input: &[u8]) -> Result<Vec<u8>, ArmorError> {
    let text = String::from_utf8_lossy(input);
    let Some(begin) = text.find("-----BEGIN ") else {
        if input.first() == Some(&0x30) {
            return Ok(input.to_vec());
        }
        return Err(ArmorError::NotPem);
    };
    let after = &text[begin + "-----BEGIN ".len()..];
    let label_end = after.find("-----").ok_or(ArmorError::NotPem)?;
    let label = &after[..label_end];
    if label != LABEL {
        return Err(ArmorError::WrongLabel(label.chars().take(40).collect()));
    }
    let body_start = &after[label_end + 5..];
    let end_marker = format!("-----END {LABEL}-----");
    let end = body_start
        .find(&end_marker)
        .ok_or(ArmorError::Unterminated)?;
    let b64: String = body_start[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    B64.decode(b64.as_bytes())
        .map_err(|_| ArmorError::BadBase64)
}

/// [`decode`], accepting only the exact text gitsign writes for the decoded bytes (Go's
/// `pem.EncodeToMemory`, compat §2.1; all 290 corpus signatures): no headers, 64-column
/// base64, LF line ends, a final newline, nothing before or after the block. For signatures
/// stored in git objects: the armor is part of the commit or tag and nothing signs it, so
/// every variant `decode` tolerates (leading junk, CRLF, other line lengths, whitespace, raw
/// DER) would be another object id carrying the same good signature.
pub fn decode_canonical(input: &[u8]) -> Result<Vec<u8>, ArmorError> {
    let der = decode(input)?;
    if encode(&der).as_bytes() != input {
        return Err(ArmorError::NotCanonical);
    }
    Ok(der)
}

/// Armors DER as gitsign does: 64-column base64, LF line ends, trailing newline.
pub fn encode(der: &[u8]) -> String {
    pem(LABEL, der)
}

/// RFC 7468 text exactly as Go's `pem.EncodeToMemory` writes it (64-column base64, LF line
/// ends, trailing newline). Rekor bodies embed certificate PEM in this form, so it must match
/// byte for byte.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 32);
    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_crlf() {
        let der = vec![0x30, 0x03, 1, 2, 3];
        let pem = encode(&der);
        assert_eq!(decode(pem.as_bytes()).unwrap(), der);
        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(decode(format!("junk\r\n{crlf}").as_bytes()).unwrap(), der);
        assert_eq!(decode(&der).unwrap(), der);
    }

    #[test]
    fn other_labels_and_garbage() {
        assert_eq!(
            decode(b"-----BEGIN PGP SIGNATURE-----\nAAAA\n-----END PGP SIGNATURE-----\n"),
            Err(ArmorError::WrongLabel("PGP SIGNATURE".into()))
        );
        assert_eq!(decode(b"Usage: gitsign [flags]"), Err(ArmorError::NotPem));
        assert_eq!(
            decode(b"-----BEGIN SIGNED MESSAGE-----\nAAAA\n"),
            Err(ArmorError::Unterminated)
        );
        assert_eq!(
            decode(b"-----BEGIN SIGNED MESSAGE-----\n!!!\n-----END SIGNED MESSAGE-----\n"),
            Err(ArmorError::BadBase64)
        );
    }

    /// Every variant `decode` tolerates is refused by `decode_canonical` (issue 11, item 5).
    #[test]
    fn only_the_canonical_text_is_canonical() {
        let der: Vec<u8> = (0..100u8).collect(); // 100 bytes: two base64 lines, 64 + 72 chars
        let pem = encode(&der);
        assert_eq!(decode_canonical(pem.as_bytes()), Ok(der.clone()));
        let b64 = B64.encode(&der);
        let variants = [
            format!("junk\n{pem}"),
            format!("{pem}\n"),
            format!("{pem}trailer\n"),
            pem.trim_end().to_string(),
            pem.replace('\n', "\r\n"),
            format!("-----BEGIN SIGNED MESSAGE-----\n{b64}\n-----END SIGNED MESSAGE-----\n"),
            format!(
                "-----BEGIN SIGNED MESSAGE-----\n{}\n{}\n-----END SIGNED MESSAGE-----\n",
                &b64[..60],
                &b64[60..]
            ),
            pem.replacen('\n', "\n ", 2),
        ];
        for v in &variants {
            assert_eq!(decode(v.as_bytes()), Ok(der.clone()), "{v:?} decodes");
            assert_eq!(
                decode_canonical(v.as_bytes()),
                Err(ArmorError::NotCanonical),
                "{v:?}"
            );
        }
        let raw = [0x30, 0x03, 1, 2, 3];
        assert_eq!(decode_canonical(&raw), Err(ArmorError::NotCanonical));
        assert_eq!(
            decode_canonical(b"-----BEGIN PGP SIGNATURE-----\nAA==\n-----END PGP SIGNATURE-----\n"),
            Err(ArmorError::WrongLabel("PGP SIGNATURE".into()))
        );
    }
}
