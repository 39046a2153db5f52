//! The testbed's Certificate Transparency log: it only signs SCTs (RFC 6962 §3.2).
//!
//! Owns the CT log key (ECDSA P-256, the only curve sigstore-python accepts for CT because SCTs
//! must be hashed with SHA-256) and the byte layout of an embedded SCT list, exactly as
//! `interop-peers.md` §2 spells it out:
//!
//! * signed data: `00 (v1) | 00 (certificate_timestamp) | timestamp_ms(8) | 00 01 (precert_entry)
//!   | issuer_key_hash(32) | len24 | precert TBS | 00 00 (no extensions)`;
//! * SCT: `00 | log_id(32) | timestamp_ms(8) | 00 00 | 04 03 (sha256, ecdsa) | len16 | DER sig`;
//! * list: `len16(list) | len16(sct) | sct`, which Fulcio wraps in an OCTET STRING inside the
//!   extension value of 1.3.6.1.4.1.11129.2.4.2.
//!
//! The issuer key hash is SHA-256 of the *issuing intermediate's* SubjectPublicKeyInfo. The log
//! does not keep a Merkle tree of certificates: nothing in gitseal or sigstore-python asks a CT
//! log for inclusion proofs.

use p256::ecdsa::signature::Signer;

/// Build the TLS-encoded `SignedCertificateTimestampList` for one precertificate.
///
/// With `corrupt`, the signature is made over different bytes, so the SCT parses but does not
/// verify (the `wrongSct` fault).
pub fn sct_list(
    ct_key: &p256::ecdsa::SigningKey,
    log_id: &[u8; 32],
    issuer_key_hash: &[u8; 32],
    precert_tbs: &[u8],
    timestamp_ms: u64,
    corrupt: bool,
) -> Result<Vec<u8>, String> {
    let tbs_len = u32::try_from(precert_tbs.len())
        .ok()
        .filter(|l| *l < (1 << 24))
        .ok_or("precertificate TBS too long for a 24-bit length")?;
    let mut signed = Vec::with_capacity(precert_tbs.len() + 64);
    signed.push(0); // sct_version v1
    signed.push(0); // signature_type certificate_timestamp
    signed.extend_from_slice(&timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes()); // LogEntryType precert_entry
    signed.extend_from_slice(issuer_key_hash);
    signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&0u16.to_be_bytes()); // CtExtensions: empty
    if corrupt {
        // Flip a bit inside the TBS copy: the signature is well-formed but over the wrong data.
        let i = signed.len() / 2;
        signed[i] ^= 0x01;
    }
    let sig: p256::ecdsa::DerSignature = ct_key.sign(&signed);
    let sig = sig.as_bytes();
    let sig_len = u16::try_from(sig.len()).map_err(|_| "SCT signature too long")?;

    let mut sct = Vec::with_capacity(sig.len() + 48);
    sct.push(0); // v1
    sct.extend_from_slice(log_id);
    sct.extend_from_slice(&timestamp_ms.to_be_bytes());
    sct.extend_from_slice(&0u16.to_be_bytes()); // extensions
    sct.push(4); // HashAlgorithm sha256
    sct.push(3); // SignatureAlgorithm ecdsa
    sct.extend_from_slice(&sig_len.to_be_bytes());
    sct.extend_from_slice(sig);

    let sct_len = u16::try_from(sct.len()).map_err(|_| "SCT too long")?;
    let mut list = Vec::with_capacity(sct.len() + 4);
    let list_len = sct_len.checked_add(2).ok_or("SCT too long")?;
    list.extend_from_slice(&list_len.to_be_bytes());
    list.extend_from_slice(&sct_len.to_be_bytes());
    list.extend_from_slice(&sct);
    Ok(list)
}
