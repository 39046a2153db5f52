//! Verifying an RFC 3161 timestamp token over a CMS signature, against the trust root's
//! timestamp authorities (`timestampAuthorities` of `trusted_root.json`).
//!
//! A token is a CMS `SignedData` (RFC 5652) whose content is a DER `TSTInfo` (RFC 3161 §2.4.2).
//! [`verify_token`] checks, in order:
//! 1. the token parses (DER, bounded size), content type `id-ct-TSTInfo`, eContent present,
//!    exactly one signer with signed attributes;
//! 2. the signed attributes bind the content: `contentType` = `id-ct-TSTInfo` and
//!    `messageDigest` = hash(eContent) (RFC 5652 §5.4, §11.1–11.2);
//! 3. `TSTInfo` version 1, message imprint = SHA-256 of the signature being timestamped
//!    (gitsign's request, compat §10), `genTime` well formed;
//! 4. the signer is the leaf of a TSA of the trust root (by issuer and serial, or key id) whose
//!    `validFor` contains `genTime`; the token's own certificates are never anchors;
//! 5. the ECDSA signature over the signed attributes verifies under that leaf's key;
//! 6. every certificate of the TSA's chain is valid at `genTime` (RFC 3161 §4.1: the token is
//!    judged at the time it states), CA certificates are CAs and each is signed by the next, the
//!    last by itself;
//! 7. the leaf's extended key usage is exactly `id-kp-timeStamping` and critical (RFC 3161 §2.3);
//! 8. the ESS `signingCertificate` or `signingCertificateV2` signed attribute, which RFC 3161
//!    §2.4.1 (and RFC 5816) requires, names that certificate by its hash.
//!
//! Pure: no I/O, no clock. Nothing here decides what the timestamp proves about the signer's
//! certificate: `verify::timestamp` does that (genTime inside the leaf's validity).

use const_oid::ObjectIdentifier as Oid;
use der::asn1::OctetString;
use der::{Decode as _, Encode as _};
use sha2::{Digest as _, Sha256};

use super::asn1::{TstInfo, gen_time_unix};
use crate::oids;
use crate::pubkey::Hash;
use crate::trust::{CertificateAuthority, TrustRoot};
use crate::verify::reason::Reason;
use crate::x509::Cert;

/// Tokens larger than this are not timestamps (a token with a two-certificate chain is ~2 KiB).
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// A timestamp that verified: what it proves, and who said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampVerified {
    /// `genTime`, Unix seconds (fraction dropped).
    pub gen_time: i64,
    /// `genTime` uncertainty from `accuracy`, rounded up to whole seconds (0 when absent).
    pub accuracy_secs: i64,
    /// The TSA's URI from the trust root.
    pub tsa_uri: String,
    /// Subject DN of the TSA's signing certificate.
    pub tsa_subject: String,
    /// The token's serial number (lower hex).
    pub serial: String,
    /// The TSA policy OID.
    pub policy: String,
    /// The token (`ContentInfo` DER) that verified, for export (`gitseal bundle`).
    pub token_der: Vec<u8>,
}

/// The parts of a token the checks need, decoded once.
#[derive(Debug, Clone)]
pub struct ParsedToken {
    /// The decoded TSTInfo.
    pub tst_info: TstInfo,
    /// `genTime`, Unix seconds.
    pub gen_time: i64,
    signer: cms::signed_data::SignerInfo,
    econtent: Vec<u8>,
    certificates: Vec<Vec<u8>>,
}

fn invalid(d: impl Into<String>) -> (Reason, String) {
    (Reason::TimestampInvalid, d.into())
}

/// Step 1: parses a TimeStampToken (`ContentInfo` of `SignedData` over `TSTInfo`).
pub fn parse_token(der: &[u8]) -> Result<ParsedToken, (Reason, String)> {
    if der.len() > MAX_TOKEN_BYTES {
        return Err(invalid(format!(
            "the timestamp token is {} bytes, more than {MAX_TOKEN_BYTES}",
            der.len()
        )));
    }
    let bad = |what: &str, e: der::Error| invalid(format!("the timestamp token's {what}: {e}"));
    let ci = cms::content_info::ContentInfo::from_der(der).map_err(|e| bad("ContentInfo", e))?;
    if ci.content_type != oids::SIGNED_DATA {
        return Err(invalid(format!(
            "the timestamp token's content type {} is not signedData",
            ci.content_type
        )));
    }
    let sd: cms::signed_data::SignedData =
        ci.content.decode_as().map_err(|e| bad("SignedData", e))?;
    if sd.encap_content_info.econtent_type != oids::CT_TST_INFO {
        return Err(invalid(format!(
            "the timestamp token's content {} is not a TSTInfo",
            sd.encap_content_info.econtent_type
        )));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| invalid("the timestamp token has no TSTInfo"))?
        .decode_as::<OctetString>()
        .map_err(|e| bad("eContent", e))?
        .into_bytes()
        .to_vec();
    let tst_info = TstInfo::from_der(&econtent).map_err(|e| bad("TSTInfo", e))?;
    let gen_time = gen_time_unix(&tst_info.gen_time)
        .ok_or_else(|| invalid("the timestamp's genTime is not a GeneralizedTime in UTC"))?;
    let [signer] = sd.signer_infos.0.as_slice() else {
        return Err(invalid(format!(
            "the timestamp token has {} signers, not one",
            sd.signer_infos.0.len()
        )));
    };
    // The token sits in the unsigned attributes, so its unsigned bytes are part of the commit
    // but covered by nothing: hold them to the one form RFC 5652 allows, so a token cannot be
    // re-encoded into another commit id that still verifies (as `cms::decode` does for the
    // signature itself). §5.1: version 3 (eContentType is not id-data); digestAlgorithms is
    // exactly the signer's; §5.3: SignerInfo version 1 for issuerAndSerialNumber, 3 for SKI.
    use cms::content_info::CmsVersion;
    use cms::signed_data::SignerIdentifier as S;
    if sd.version != CmsVersion::V3 {
        return Err(invalid(
            "the timestamp token's SignedData version is not 3 (RFC 5652 §5.1)",
        ));
    }
    if sd.digest_algorithms.as_slice() != [signer.digest_alg.clone()] {
        return Err(invalid(
            "the timestamp token's digestAlgorithms is not exactly its signer's (RFC 5652 §5.1)",
        ));
    }
    let want = match signer.sid {
        S::IssuerAndSerialNumber(_) => CmsVersion::V1,
        S::SubjectKeyIdentifier(_) => CmsVersion::V3,
    };
    if signer.version != want || signer.unsigned_attrs.is_some() || sd.crls.is_some() {
        return Err(invalid(
            "the timestamp token's SignerInfo version, unsigned attributes or crls are not \
             the form RFC 5652 §5.3 and RFC 3161 give",
        ));
    }
    let mut certificates = Vec::new();
    for c in sd.certificates.iter().flat_map(|s| s.0.iter()) {
        if let cms::cert::CertificateChoices::Certificate(c) = c {
            certificates.push(c.to_der().map_err(|e| bad("certificate", e))?);
        }
    }
    Ok(ParsedToken {
        tst_info,
        gen_time,
        signer: signer.clone(),
        econtent,
        certificates,
    })
}

fn hash_for_digest(oid: Oid) -> Option<Hash> {
    match oid {
        o if o == oids::SHA256 => Some(Hash::Sha256),
        o if o == oids::SHA384 => Some(Hash::Sha384),
        _ => None,
    }
}

/// The single value of a signed attribute.
fn single_attr(
    attrs: &cms::signed_data::SignedAttributes,
    oid: Oid,
) -> Result<&der::asn1::Any, (Reason, String)> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    match (found.next(), found.next()) {
        (Some(a), None) if a.values.len() == 1 => Ok(&a.values.as_slice()[0]),
        (None, _) => Err(invalid(format!(
            "the timestamp token's signed attributes lack {oid}"
        ))),
        _ => Err(invalid(format!(
            "the timestamp token's signed attribute {oid} is not single-valued"
        ))),
    }
}

/// Whether `leaf` is the certificate `sid` names.
fn names(sid: &cms::signed_data::SignerIdentifier, leaf: &Cert) -> bool {
    use cms::signed_data::SignerIdentifier as S;
    match sid {
        S::IssuerAndSerialNumber(ias) => {
            let tbs = leaf.parsed.tbs_certificate();
            &ias.issuer == tbs.issuer() && &ias.serial_number == tbs.serial_number()
        }
        S::SubjectKeyIdentifier(ski) => leaf
            .extensions(oids::SUBJECT_KEY_IDENTIFIER)
            .first()
            .and_then(|(_, v)| x509_cert::ext::pkix::SubjectKeyIdentifier::from_der(v).ok())
            .is_some_and(|own| own.0 == ski.0),
    }
}

/// RFC 3161 §2.3: "The corresponding certificate MUST contain only one instance of the extended
/// key usage field extension ... with KeyPurposeID having value id-kp-timeStamping. This
/// extension MUST be critical."
fn check_timestamping_eku(leaf: &Cert) -> Result<(), String> {
    let exts = leaf.extensions(oids::EXT_KEY_USAGE);
    let [(critical, value)] = exts.as_slice() else {
        return Err("the TSA certificate must carry exactly one extKeyUsage extension".into());
    };
    if !critical {
        return Err("the TSA certificate's extKeyUsage is not critical (RFC 3161 §2.3)".into());
    }
    let eku = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(value)
        .map_err(|_| "the TSA certificate's extKeyUsage is malformed".to_string())?;
    if eku.0.as_slice() != [oids::KP_TIME_STAMPING] {
        return Err(
            "the TSA certificate's extKeyUsage is not exactly timeStamping (RFC 3161 §2.3)".into(),
        );
    }
    Ok(())
}

/// Step 8: the first certificate the ESS attribute names is `leaf` (RFC 2634 §5.4: "The first
/// certificate identified in the sequence of certificate identifiers MUST be the certificate
/// used to verify the signature"). `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF
/// ESSCertIDv2, ... }`, `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT
/// sha256, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }` (RFC 5035 §4); V1's
/// `ESSCertID` has a SHA-1 `certHash` and no algorithm.
fn check_ess(
    attrs: &cms::signed_data::SignedAttributes,
    leaf: &Cert,
) -> Result<(), (Reason, String)> {
    use crate::tlv;
    let bad = |d: &str| invalid(format!("the timestamp token's ESS signingCertificate {d}"));
    let present = |oid| attrs.iter().any(|a| a.oid == oid);
    let (oid, v2) = if present(oids::SIGNING_CERTIFICATE_V2) {
        (oids::SIGNING_CERTIFICATE_V2, true)
    } else if present(oids::SIGNING_CERTIFICATE) {
        (oids::SIGNING_CERTIFICATE, false)
    } else {
        return Err(invalid(
            "the timestamp token names no signing certificate (ESS signingCertificate, \
             RFC 3161 §2.4.1)",
        ));
    };
    let der = single_attr(attrs, oid)?
        .to_der()
        .map_err(|_| bad("is not DER"))?;
    let outer = tlv::read_only(&der, 0x30).map_err(|_| bad("is malformed"))?;
    let certs = tlv::children(outer.value).map_err(|_| bad("is malformed"))?;
    let first = certs
        .first()
        .filter(|c| c.tag == 0x30)
        .ok_or_else(|| bad("lists no certificate"))?;
    let ids = tlv::children(first.value).map_err(|_| bad("is malformed"))?;
    let id = ids
        .first()
        .filter(|c| c.tag == 0x30)
        .ok_or_else(|| bad("lists no certificate"))?;
    let fields = tlv::children(id.value).map_err(|_| bad("is malformed"))?;
    let (hash, cert_hash) = match fields.as_slice() {
        [alg, h, ..] if v2 && alg.tag == 0x30 => {
            let oid = tlv::children(alg.value)
                .ok()
                .and_then(|p| {
                    p.first()
                        .filter(|t| t.tag == 0x06)
                        .map(|t| t.value.to_vec())
                })
                .and_then(|b| Oid::from_bytes(&b).ok())
                .ok_or_else(|| bad("has a malformed hash algorithm"))?;
            let hash = hash_for_digest(oid).ok_or_else(|| {
                (
                    Reason::UnsupportedAlgorithm,
                    format!("ESS certificate hash algorithm {oid}"),
                )
            })?;
            (Some(hash), h)
        }
        [h, ..] if v2 => (Some(Hash::Sha256), h),
        [h, ..] => (None, h),
        [] => return Err(bad("is malformed")),
    };
    if cert_hash.tag != 0x04 {
        return Err(bad("is malformed"));
    }
    let want = match hash {
        Some(h) => h.digest(&leaf.der),
        None => {
            use sha1::Digest as _;
            sha1::Sha1::digest(&leaf.der).to_vec()
        }
    };
    if cert_hash.value != want.as_slice() {
        return Err(bad("names another certificate than the TSA's"));
    }
    Ok(())
}

/// Step 6: the TSA's chain, leaf first, at `at`.
fn check_chain(chain: &[Cert], at: i64) -> Result<(), String> {
    for (j, cert) in chain.iter().enumerate() {
        if !cert.valid_at(at) {
            return Err(format!(
                "TSA certificate {} ({}) is not valid at genTime {at} (valid {}..{})",
                j + 1,
                cert.parsed.tbs_certificate().subject(),
                cert.not_before,
                cert.not_after
            ));
        }
        if j > 0 && !cert.is_ca().unwrap_or(false) {
            return Err(format!(
                "TSA chain certificate {} lacks basicConstraints CA",
                j + 1
            ));
        }
        let signer = chain.get(j + 1).unwrap_or(cert);
        if j + 1 == chain.len() && !cert.is_self_issued() {
            return Err("the TSA chain does not end in a self-signed root".into());
        }
        // A TSA's chain is the same for every token: its signatures are checked once per
        // process (the memo `verify::chain` keeps for trust-root CA certificates).
        crate::verify::chain::ca_signed_by(cert, signer)
            .map_err(|e| format!("TSA certificate {} signature: {e}", j + 1))?;
    }
    Ok(())
}

/// Verifies `token_der` as a timestamp over `signature` (the CMS SignerInfo.signature bytes)
/// against the timestamp authorities of `trust` (module docs, steps 1–7).
pub fn verify_token(
    token_der: &[u8],
    signature: &[u8],
    trust: &TrustRoot,
) -> Result<TimestampVerified, (Reason, String)> {
    let t = parse_token(token_der)?;
    let mut v = verify_parsed(&t, signature, &trust.timestamp_authorities)?;
    v.token_der = token_der.to_vec();
    Ok(v)
}

/// [`verify_token`] on an already parsed token, against an explicit TSA list.
pub fn verify_parsed(
    t: &ParsedToken,
    signature: &[u8],
    authorities: &[CertificateAuthority],
) -> Result<TimestampVerified, (Reason, String)> {
    // 2. The signed attributes bind the TSTInfo.
    let si = &t.signer;
    let hash = hash_for_digest(si.digest_alg.oid).ok_or_else(|| {
        (
            Reason::UnsupportedAlgorithm,
            format!("timestamp token digest algorithm {}", si.digest_alg.oid),
        )
    })?;
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| invalid("the timestamp token has no signed attributes"))?;
    let ct: Oid = single_attr(attrs, oids::CONTENT_TYPE)?
        .decode_as()
        .map_err(|e| invalid(format!("the timestamp token's contentType attribute: {e}")))?;
    if ct != oids::CT_TST_INFO {
        return Err(invalid(format!(
            "the timestamp token's contentType attribute is {ct}, not id-ct-TSTInfo"
        )));
    }
    let md: OctetString = single_attr(attrs, oids::MESSAGE_DIGEST)?
        .decode_as()
        .map_err(|e| {
            invalid(format!(
                "the timestamp token's messageDigest attribute: {e}"
            ))
        })?;
    if md.as_bytes() != hash.digest(&t.econtent).as_slice() {
        return Err(invalid(
            "the timestamp token's messageDigest does not match its TSTInfo",
        ));
    }

    // 3. TSTInfo: version, imprint.
    let info = &t.tst_info;
    if info.version != 1 {
        return Err(invalid(format!(
            "TSTInfo version {} is not 1",
            info.version
        )));
    }
    let mi = &info.message_imprint;
    if mi.hash_algorithm.oid != oids::SHA256 {
        return Err(invalid(format!(
            "the timestamp's message imprint uses {}, not SHA-256",
            mi.hash_algorithm.oid
        )));
    }
    if mi.hashed_message.as_bytes() != Sha256::digest(signature).as_slice() {
        return Err(invalid(
            "the timestamp's message imprint is not the SHA-256 of this signature",
        ));
    }

    // 4–7. The signer: a TSA of the trust root, valid at genTime.
    let signed = attrs
        .to_der()
        .map_err(|e| invalid(format!("the timestamp token's signed attributes: {e}")))?;
    let sig_alg = si.signature_algorithm.oid;
    let alg_ok = sig_alg == oids::EC_PUBLIC_KEY
        || crate::pubkey::Hash::for_ecdsa_algorithm(sig_alg).is_some_and(|h| h == hash);
    if !alg_ok {
        return Err((
            Reason::UnsupportedAlgorithm,
            format!("timestamp token signature algorithm {sig_alg}"),
        ));
    }
    let mut last = None;
    for tsa in authorities {
        let Some(leaf) = tsa.chain.first() else {
            continue;
        };
        if !names(&si.sid, leaf) {
            continue;
        }
        if !tsa.valid_for.contains(t.gen_time) {
            last = Some(format!(
                "the TSA {} was not valid at genTime {}",
                tsa.uri, t.gen_time
            ));
            continue;
        }
        let key = leaf.public_key().map_err(|e| {
            (
                Reason::UnsupportedAlgorithm,
                format!("TSA key of {}: {e}", tsa.uri),
            )
        })?;
        if let Err(e) = key.verify(hash, &signed, si.signature.as_bytes()) {
            last = Some(format!(
                "the timestamp token's signature does not verify under the key of TSA {}: {e}",
                tsa.uri
            ));
            continue;
        }
        // The token's certificates are never anchors, and nothing signs them: they may only be
        // copies of the TSA's chain (certReq TRUE gives the signing certificate).
        if let Some(c) = t
            .certificates
            .iter()
            .find(|c| !tsa.chain.iter().any(|k| &&k.der == c))
        {
            let who = Cert::from_der(c)
                .map(|c| c.parsed.tbs_certificate().subject().to_string())
                .unwrap_or_else(|_| "an unreadable certificate".into());
            return Err(invalid(format!(
                "the timestamp token carries {who}, which is not in the chain of TSA {}",
                tsa.uri
            )));
        }
        check_chain(&tsa.chain, t.gen_time).map_err(invalid)?;
        check_timestamping_eku(leaf).map_err(invalid)?;
        check_ess(attrs, leaf)?;
        return Ok(TimestampVerified {
            gen_time: t.gen_time,
            accuracy_secs: info.accuracy.as_ref().map_or(0, |a| a.ceil_seconds()),
            tsa_uri: tsa.uri.clone(),
            tsa_subject: leaf.parsed.tbs_certificate().subject().to_string(),
            serial: hex::encode(info.serial_number.as_bytes()),
            policy: info.policy.to_string(),
            token_der: Vec::new(),
        });
    }
    Err(invalid(last.unwrap_or_else(|| {
        let who = t
            .certificates
            .iter()
            .filter_map(|c| Cert::from_der(c).ok())
            .find(|c| names(&si.sid, c))
            .map(|c| c.parsed.tbs_certificate().subject().to_string())
            .unwrap_or_else(|| "a certificate the token does not carry".into());
        format!("the timestamp was signed by {who}, which is not a timestamp authority of the trust root")
    })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;

    // The end-to-end tests (a token from the testbed's TSA accepted, every fault rejected) are
    // in `crate::testbed::tsa::tests`, where tokens can be made; these cover parsing alone.

    pub(crate) fn check_chain_for_test(chain: &[Cert], at: i64) -> Result<(), String> {
        check_chain(chain, at)
    }

    pub(crate) fn check_eku_for_test(leaf: &Cert) -> Result<(), String> {
        check_timestamping_eku(leaf)
    }

    /// The public-good root's TSA (sigstore's timestamp.sigstore.dev) is read, and its
    /// certificates meet the rules the verifier applies: a gitsign timestamp from it can verify.
    #[test]
    fn public_good_tsa_meets_the_rules() {
        let root = TrustRoot::public_good().unwrap();
        let [tsa] = root.timestamp_authorities.as_slice() else {
            panic!("one TSA expected");
        };
        assert_eq!(tsa.uri, "https://timestamp.sigstore.dev/api/v1/timestamp");
        assert_eq!(tsa.chain.len(), 2);
        check_timestamping_eku(&tsa.chain[0]).unwrap();
        let start = tsa.valid_for.start.unwrap();
        check_chain(&tsa.chain, start + 86_400).unwrap();
    }

    /// Real tokens from Sigstore's staging TSA (timestamp.sigstage.dev, P-384, ecdsa-with-SHA256,
    /// imprint with NULL parameters, signingTime and signingCertificateV2 attributes, accuracy
    /// 1 s, a `tsa` name), from sigstore-conformance (`testdata/sigstage-timestamps.json` says
    /// which file): both verify against the staging trust root's TSA; the first lies inside the
    /// Fulcio leaf's validity, the second (a month later) does not, which conformance requires
    /// a verifier to refuse.
    #[test]
    fn real_sigstage_tokens() {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD as B64;
        let root = TrustRoot::from_json(
            include_bytes!("testdata/sigstage.trusted_root.json"),
            "sigstage",
        )
        .unwrap();
        let data: serde_json::Value =
            serde_json::from_slice(include_bytes!("testdata/sigstage-timestamps.json")).unwrap();
        let b = |v: &serde_json::Value| B64.decode(v.as_str().unwrap()).unwrap();
        let leaf = Cert::from_der(&b(&data["certificate"])).unwrap();
        let sig = b(&data["signature"]);
        let tokens: Vec<Vec<u8>> = data["signedTimestamps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let resp = super::super::asn1::TimeStampResp::from_der(&b(t)).unwrap();
                assert_eq!(resp.status.status.as_bytes(), [0]);
                resp.time_stamp_token.unwrap().to_der().unwrap()
            })
            .collect();
        let first = verify_token(&tokens[0], &sig, &root).unwrap();
        assert_eq!(first.gen_time, 1_749_729_740); // 2025-06-12T12:02:20Z
        assert_eq!(first.accuracy_secs, 1);
        assert_eq!(first.policy, "1.3.6.1.4.1.57264.2");
        assert_eq!(
            first.tsa_uri,
            "https://timestamp.sigstage.dev/api/v1/timestamp"
        );
        crate::verify::timestamp::check_against_leaf(&first, &leaf, &root).unwrap();
        let second = verify_token(&tokens[1], &sig, &root).unwrap();
        assert_eq!(second.gen_time, 1_752_575_611); // 2025-07-15T10:33:31Z
        let (r, d) =
            crate::verify::timestamp::check_against_leaf(&second, &leaf, &root).unwrap_err();
        assert_eq!(r, Reason::TimestampInvalid);
        assert!(d.contains("outside the certificate's validity"), "{d}");
        // Not for another signature, not under the public-good root (another TSA).
        assert!(verify_token(&tokens[0], b"other", &root).is_err());
        let pg = TrustRoot::public_good().unwrap();
        let (_, d) = verify_token(&tokens[0], &sig, &pg).unwrap_err();
        assert!(
            d.contains("does not verify") || d.contains("not a timestamp"),
            "{d}"
        );
    }

    #[test]
    fn garbage_and_oversize_are_timestamp_invalid() {
        for bytes in [&b""[..], b"\x30\x00", b"\x30\x03\x06\x01\x00", &[0x30; 10]] {
            let (r, _) = parse_token(bytes).unwrap_err();
            assert_eq!(r, Reason::TimestampInvalid);
        }
        let big = vec![0u8; MAX_TOKEN_BYTES + 1];
        assert!(parse_token(&big).unwrap_err().1.contains("bytes"));
    }
}
