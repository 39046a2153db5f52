//! Every PEM text gitseal reads or writes (RFC 7468 textual encoding): the
//! `-----BEGIN SIGNED MESSAGE-----` framing Git stores in `gpgsig` headers and tag bodies,
//! certificate and public-key PEM in configuration files, service answers and Rekor bodies.
//! No other module splits or joins PEM text; the testbed calls this one too.
//!
//! There is one writer, [`pem`]: the text Go's `pem.EncodeToMemory` writes (64-column base64,
//! LF line ends, trailing newline), which is what gitsign, Fulcio and Rekor write, so what we
//! write compares byte for byte with theirs. Readers come in three strictness levels, named by
//! what the text is and who could have changed it:
//!
//! | level | reader | for |
//! |---|---|---|
//! | canonical | [`decode_canonical`] | signatures stored in git objects: only the exact text [`pem`] writes for the decoded bytes, since the armor is part of the object and nothing signs it (any other text would be another object id carrying the same good signature) |
//! | RFC 7468 strict | [`certificates`] | certificate chains in service answers (Fulcio's chain, the PEM inside a Rekor body): RFC 7468 §3's strict grammar block by block (`pem-rfc7468`), any other block an error |
//! | lenient | [`decode`], [`blocks`] | what gitsign's readers (Go's `pem.Decode`) take: a signature's text from elsewhere (first block, leading junk, CRLF, raw DER; compat §2.1) and configuration bundles the user points at (`GITSIGN_FULCIO_ROOT`, `SIGSTORE_REKOR_PUBLIC_KEY`, …): every block with the label, text between blocks and blocks that do not decode passed over |
//!
//! Only the label `SIGNED MESSAGE` is a Git x509 signature; other labels are reported, not
//! guessed at.

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

/// The base64 text between a BEGIN line (`after_begin` starts right after it) and
/// `-----END {label}-----`, with ASCII whitespace anywhere dropped (CRLF, indentation, any
/// line width), and the text after the END line; `None` when there is no END line. The one
/// body reader of the lenient level.
fn lenient_body<'t>(after_begin: &'t str, label: &str) -> Option<(String, &'t str)> {
    let end_marker = format!("-----END {label}-----");
    let end = after_begin.find(&end_marker)?;
    let b64 = after_begin[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    Some((b64, &after_begin[end + end_marker.len()..]))
}

/// Lenient level (module docs): returns the DER inside the first `SIGNED MESSAGE` block, or
/// the input itself if it is already DER (starts with a SEQUENCE tag), as gitsign's
/// `ParseSignaturePEM` reads a signature (compat §2.1).
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
    let (b64, _) = lenient_body(&after[label_end + 5..], LABEL).ok_or(ArmorError::Unterminated)?;
    B64.decode(b64.as_bytes())
        .map_err(|_| ArmorError::BadBase64)
}

/// Canonical level (module docs): [`decode`], accepting only the exact text gitsign writes for the decoded bytes (Go's
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

/// Lenient level (module docs): the DER of every block labelled `label`, in order, as
/// gitsign's readers take configuration bundles (Go's `pem.Decode` in a loop): text before,
/// between and after blocks is ignored, blocks with other labels are skipped, a block whose
/// base64 does not decode is passed over, and a BEGIN line without its END line ends the
/// text. What a bundle must hold (a root, a key) is the caller's check.
pub fn blocks(text: &[u8], label: &str) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(text);
    let begin = format!("-----BEGIN {label}-----");
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(b) = rest.find(&begin) {
        let Some((b64, after)) = lenient_body(&rest[b + begin.len()..], label) else {
            break;
        };
        if let Ok(der) = B64.decode(b64) {
            out.push(der);
        }
        rest = after;
    }
    out
}

/// RFC 7468 strict level (module docs): every `CERTIFICATE` block of a service's answer, in
/// order, as DER. Text between blocks is ignored; a block with another label, a block
/// outside RFC 7468's strict grammar (`pem-rfc7468`: 64-column lines, no headers) or one
/// without its END line is an error, since Fulcio and Rekor write nothing else.
pub fn certificates(text: &str) -> Result<Vec<Vec<u8>>, String> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let end = block
            .find(END)
            .ok_or_else(|| "a PEM block has no END CERTIFICATE line".to_owned())?;
        let pem = &block[..end + END.len()];
        let (label, der) = pem_rfc7468::decode_vec(pem.as_bytes())
            .map_err(|e| format!("invalid PEM certificate: {e}"))?;
        if label != "CERTIFICATE" {
            return Err(format!("unexpected PEM block {label:?}"));
        }
        out.push(der);
        rest = &block[end + END.len()..];
    }
    Ok(out)
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

    /// The lenient bundle reader, as `GITSIGN_FULCIO_ROOT` / `SIGSTORE_REKOR_PUBLIC_KEY` files
    /// were read before it moved here from `trust/`.
    #[test]
    fn bundles_take_every_block_with_the_label() {
        let a: Vec<u8> = (0..100u8).collect();
        let b = vec![0x30, 0x00];
        let bundle = format!(
            "subject=CN=a\n{}junk between\n{}{}",
            pem("CERTIFICATE", &a),
            pem("PUBLIC KEY", &[1, 2, 3]),
            pem("CERTIFICATE", &b).replace('\n', "\r\n"),
        );
        assert_eq!(blocks(bundle.as_bytes(), "CERTIFICATE"), vec![a.clone(), b]);
        assert_eq!(blocks(bundle.as_bytes(), "PUBLIC KEY"), vec![vec![1, 2, 3]]);
        // Any line width and indentation.
        let wide = format!(
            "-----BEGIN CERTIFICATE-----\n  {}\n-----END CERTIFICATE-----",
            B64.encode(&a)
        );
        assert_eq!(blocks(wide.as_bytes(), "CERTIFICATE"), vec![a.clone()]);
        // A block that does not decode is passed over; an unterminated one ends the text.
        let bad = format!(
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n{}",
            pem("CERTIFICATE", &a)
        );
        assert_eq!(blocks(bad.as_bytes(), "CERTIFICATE"), vec![a.clone()]);
        let cut = format!(
            "{}-----BEGIN CERTIFICATE-----\nAAAA\n",
            pem("CERTIFICATE", &a)
        );
        assert_eq!(blocks(cut.as_bytes(), "CERTIFICATE"), vec![a]);
        assert!(blocks(b"", "CERTIFICATE").is_empty());
    }

    /// The RFC 7468 strict reader, as Fulcio chains and Rekor bodies were read before it moved
    /// here from `fulcio.rs`.
    #[test]
    fn service_chains_are_strict() {
        let a: Vec<u8> = (0..100u8).collect();
        let chain = format!(
            "{}\n{}",
            pem("CERTIFICATE", &a),
            pem("CERTIFICATE", &[0x30, 0])
        );
        assert_eq!(
            certificates(chain.trim_end()),
            Ok(vec![a.clone(), vec![0x30, 0]])
        );
        assert!(certificates("").unwrap().is_empty());
        assert!(
            certificates("-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n").is_err()
        );
        assert!(certificates("-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
        // What the lenient level takes and this one does not: another line width.
        let wide = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            B64.encode(&a)
        );
        assert_eq!(blocks(wide.as_bytes(), "CERTIFICATE"), vec![a]);
        assert!(certificates(&wide).is_err());
    }

    /// The one writer is Go's `pem.EncodeToMemory` byte for byte, so what every level reads
    /// back from it is the same bytes (the corpus pins it to real gitsign text: `cms::encode`).
    #[test]
    fn every_level_reads_what_the_writer_writes() {
        for n in [0usize, 1, 47, 48, 49, 100, 1000] {
            let der: Vec<u8> = std::iter::once(0x30)
                .chain((0..n).map(|i| i as u8))
                .collect();
            let sig = encode(&der);
            assert_eq!(decode_canonical(sig.as_bytes()), Ok(der.clone()));
            assert_eq!(decode(sig.as_bytes()), Ok(der.clone()));
            let cert = pem("CERTIFICATE", &der);
            assert!(cert.lines().all(|l| l.len() <= 64), "{cert}");
            assert_eq!(certificates(&cert), Ok(vec![der.clone()]));
            assert_eq!(blocks(cert.as_bytes(), "CERTIFICATE"), vec![der]);
        }
    }
}
