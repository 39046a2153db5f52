//! Building the detached CMS `SignedData` (RFC 5652) exactly in gitsign's layout (compat §2.2),
//! so that every gitsign-compatible verifier reads it and the Rekor artifact is identical.
//!
//! ```text
//! ContentInfo { id-signedData, [0] SignedData {
//!   version 1, digestAlgorithms { sha256 (no NULL params) },
//!   encapContentInfo { id-data }                       -- detached: no eContent
//!   certificates [0] { leaf }                          -- or leaf + chain (IncludeCerts)
//!   signerInfos { SignerInfo {
//!     version 1, sid IssuerAndSerialNumber(leaf), digestAlgorithm sha256,
//!     signedAttrs [0] { contentType id-data, signingTime UTCTime, messageDigest sha256(payload) },
//!     signatureAlgorithm ecdsa-with-SHA256 (no params),
//!     signature ECDSA-P256(SHA-256(DER(SET OF signedAttrs))),
//!     unsignedAttrs [1] { … DER-sorted, e.g. 1.3.6.1.4.1.57264.3.1 } } } } }
//! ```
//!
//! The signature covers the signed attributes re-encoded with the universal SET tag 0x31
//! (RFC 5652 §5.4); those same bytes are "the artifact" Rekor logs in offline mode (compat §2.3),
//! available from [`signed_attributes_der`]. Signed attributes are in DER SET OF order, which for
//! these three is contentType, signingTime, messageDigest — gitsign's order.
//!
//! The types are the `cms` 0.3 / `der` 0.8 values themselves (the `cms` builder feature is off:
//! it pulls RSA and AES). This module is pure bytes: no I/O, no clock (the signing time is an
//! argument), no trust decisions.

use std::time::{Duration, SystemTime};

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos, UnsignedAttributes,
};
use der::asn1::{Any, GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode as _, Encode as _};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::time::Time;

use crate::oids;
use crate::rekor::entry::LogEntry;

/// Why a signature could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsEncodeError {
    /// A certificate does not parse.
    #[error("certificate {index} is not valid DER: {reason}")]
    BadCertificate {
        /// 0 = leaf.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The signing time cannot be represented (before 1970 or after 9999).
    #[error("the signing time is out of range")]
    BadTime,
    /// DER encoding failed (a bug or an absurd input size).
    #[error("DER encoding failed: {0}")]
    Der(String),
    /// The ECDSA signer failed.
    #[error("ECDSA signing failed")]
    Signing,
}

fn der_err(e: der::Error) -> CmsEncodeError {
    CmsEncodeError::Der(e.to_string())
}

/// Which certificates the `certificates` field carries (gpgsm's `--include-certs`). gitsign
/// always writes the leaf only (its flag is parsed and ignored, §11.3); verifiers take the
/// intermediates from the trust root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IncludeCerts {
    /// Just the Fulcio leaf (gitsign's output).
    #[default]
    LeafOnly,
    /// The leaf and the chain Fulcio returned.
    LeafAndChain,
}

fn alg(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    // Parameters ABSENT, not NULL: RFC 5754 §2 for SHA-2, RFC 5758 §3.2 for ECDSA.
    AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, CmsEncodeError> {
    let mut values = SetOfVec::new();
    values.insert(value).map_err(der_err)?;
    Ok(Attribute { oid, values })
}

/// RFC 5652 §11.3 / RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise, whole
/// seconds (as Go's `asn1` package writes it).
pub fn signing_time_value(t: SystemTime) -> Result<Time, CmsEncodeError> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| CmsEncodeError::BadTime)?
        .as_secs();
    let dt = der::DateTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|_| CmsEncodeError::BadTime)?;
    if (1950..2050).contains(&dt.year()) {
        Ok(Time::UtcTime(
            UtcTime::from_date_time(dt).map_err(|_| CmsEncodeError::BadTime)?,
        ))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    }
}

/// The three signed attributes gitsign writes, in DER order: contentType (id-data),
/// signingTime, messageDigest.
pub fn build_signed_attributes(
    content_digest: &[u8; 32],
    signing_time: SystemTime,
) -> Result<SignedAttributes, CmsEncodeError> {
    let attrs = vec![
        attribute(
            oids::CONTENT_TYPE,
            Any::encode_from(&oids::DATA).map_err(der_err)?,
        )?,
        attribute(
            oids::SIGNING_TIME,
            Any::encode_from(&signing_time_value(signing_time)?).map_err(der_err)?,
        )?,
        attribute(
            oids::MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(content_digest.to_vec()).map_err(der_err)?)
                .map_err(der_err)?,
        )?,
    ];
    // DER SET OF order; for these three it is the order above (asserted in tests).
    SetOfVec::try_from(attrs).map_err(der_err)
}

/// The signed attributes as `SET OF Attribute` DER (tag 0x31): what the signature covers and
/// what offline-mode Rekor entries log (compat §2.3).
pub fn signed_attributes_der(signer_info: &SignerInfo) -> Result<Vec<u8>, CmsEncodeError> {
    match &signer_info.signed_attrs {
        Some(attrs) => attrs.to_der().map_err(der_err),
        None => Err(CmsEncodeError::Der(
            "the signer info has no signed attributes".into(),
        )),
    }
}

/// A detached gitsign-layout signature under construction: signed, and open for unsigned
/// attributes (the Rekor entry) until encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetachedSignature {
    signed_data: SignedData,
}

impl DetachedSignature {
    /// Signs: builds the signed attributes over `content_digest` (SHA-256 of the payload) and
    /// `signing_time`, signs their SET DER with `key` (ECDSA P-256 / SHA-256), and assembles the
    /// SignedData around `leaf_der` (plus `chain_der` if `include` says so).
    pub fn sign(
        content_digest: &[u8; 32],
        signing_time: SystemTime,
        leaf_der: &[u8],
        chain_der: &[Vec<u8>],
        include: IncludeCerts,
        key: &p256::ecdsa::SigningKey,
    ) -> Result<Self, CmsEncodeError> {
        use p256::ecdsa::signature::Signer as _;
        let attrs = build_signed_attributes(content_digest, signing_time)?;
        let to_sign = attrs.to_der().map_err(der_err)?;
        let sig: p256::ecdsa::Signature = key
            .try_sign(&to_sign)
            .map_err(|_| CmsEncodeError::Signing)?;
        Self::assemble(
            leaf_der,
            chain_der,
            include,
            attrs,
            &sig.to_der().to_bytes(),
        )
    }

    /// Assembles a SignedData from already-made parts (no key involved). `signature` is the DER
    /// ECDSA signature over the SET DER of `signed_attrs`.
    pub fn assemble(
        leaf_der: &[u8],
        chain_der: &[Vec<u8>],
        include: IncludeCerts,
        signed_attrs: SignedAttributes,
        signature: &[u8],
    ) -> Result<Self, CmsEncodeError> {
        let leaf = Certificate::from_der(leaf_der).map_err(|e| CmsEncodeError::BadCertificate {
            index: 0,
            reason: e.to_string(),
        })?;
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate().issuer().clone(),
            serial_number: leaf.tbs_certificate().serial_number().clone(),
        });
        let mut certs = vec![CertificateChoices::Certificate(leaf)];
        if include == IncludeCerts::LeafAndChain {
            for (i, der) in chain_der.iter().enumerate() {
                let c = Certificate::from_der(der).map_err(|e| CmsEncodeError::BadCertificate {
                    index: i + 1,
                    reason: e.to_string(),
                })?;
                certs.push(CertificateChoices::Certificate(c));
            }
        }
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid,
            digest_alg: alg(oids::SHA256),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: alg(oids::ECDSA_WITH_SHA256),
            signature: OctetString::new(signature.to_vec()).map_err(der_err)?,
            unsigned_attrs: None,
        };
        let mut digest_algorithms = SetOfVec::new();
        digest_algorithms
            .insert(alg(oids::SHA256))
            .map_err(der_err)?;
        let signed_data = SignedData {
            version: CmsVersion::V1,
            digest_algorithms,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: oids::DATA,
                econtent: None,
            },
            certificates: Some(CertificateSet::try_from(certs).map_err(der_err)?),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer_info]).map_err(der_err)?,
        };
        Ok(Self { signed_data })
    }

    /// The single SignerInfo.
    pub fn signer_info(&self) -> Result<&SignerInfo, CmsEncodeError> {
        self.signed_data
            .signer_infos
            .0
            .as_slice()
            .first()
            .ok_or_else(|| CmsEncodeError::Der("no signer info".into()))
    }

    /// The SignedData value.
    pub fn signed_data(&self) -> &SignedData {
        &self.signed_data
    }

    /// The signed attributes' SET DER (the offline-mode Rekor artifact).
    pub fn signed_attributes_der(&self) -> Result<Vec<u8>, CmsEncodeError> {
        signed_attributes_der(self.signer_info()?)
    }

    /// The DER ECDSA signature bytes (what Rekor's `signature.content` carries).
    pub fn signature(&self) -> Result<Vec<u8>, CmsEncodeError> {
        Ok(self.signer_info()?.signature.as_bytes().to_vec())
    }

    /// Adds an unsigned attribute with one value (kept in DER SET OF order, as Go's `asn1:"set"`
    /// writes them, compat §2.4).
    pub fn add_unsigned_attribute(
        &mut self,
        oid: ObjectIdentifier,
        value: Any,
    ) -> Result<(), CmsEncodeError> {
        let attr = attribute(oid, value)?;
        let mut infos: Vec<SignerInfo> = self.signed_data.signer_infos.0.clone().into_vec();
        let si = infos
            .first_mut()
            .ok_or_else(|| CmsEncodeError::Der("no signer info".into()))?;
        let mut unsigned: UnsignedAttributes = si.unsigned_attrs.take().unwrap_or_default();
        unsigned.insert(attr).map_err(der_err)?;
        si.unsigned_attrs = Some(unsigned);
        self.signed_data.signer_infos = SignerInfos::try_from(infos).map_err(der_err)?;
        Ok(())
    }

    /// Embeds a Rekor entry the way gitsign's offline mode does: unsigned attribute
    /// 1.3.6.1.4.1.57264.3.1 = OCTET STRING of the `TransparencyLogEntry` protobuf, canonical body
    /// cleared.
    pub fn set_tlog_entry(&mut self, entry: &LogEntry) -> Result<(), CmsEncodeError> {
        let value = Any::encode_from(&OctetString::new(entry.to_protobuf()).map_err(der_err)?)
            .map_err(der_err)?;
        self.add_unsigned_attribute(oids::GITSIGN_TLOG_ENTRY, value)
    }

    /// The ContentInfo DER.
    pub fn to_der(&self) -> Result<Vec<u8>, CmsEncodeError> {
        let ci = ContentInfo {
            content_type: oids::SIGNED_DATA,
            content: Any::encode_from(&self.signed_data).map_err(der_err)?,
        };
        ci.to_der().map_err(der_err)
    }

    /// The armored form git stores (`-----BEGIN SIGNED MESSAGE-----`, 64 columns, LF, trailing
    /// newline).
    pub fn to_pem(&self) -> Result<String, CmsEncodeError> {
        Ok(crate::armor::encode(&self.to_der()?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use crate::fulcio::tests::{fulcio_like_leaf, test_cert};
    use p256::ecdsa::SigningKey;
    use p256::elliptic_curve::Generate as _;
    use sha2::{Digest as _, Sha256};

    fn openssl_verifies(der: &[u8], payload: &[u8]) -> (bool, String) {
        let dir = std::env::temp_dir().join(format!(
            "gitseal-cms-{}-{}",
            std::process::id(),
            hex::encode(&Sha256::digest(der)[..6])
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sig.der"), der).unwrap();
        std::fs::write(dir.join("payload"), payload).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["cms", "-verify", "-binary", "-inform", "DER", "-noverify"])
            .arg("-in")
            .arg(dir.join("sig.der"))
            .arg("-content")
            .arg(dir.join("payload"))
            .args(["-out", "/dev/null"])
            .output()
            .expect("openssl is installed");
        let _ = std::fs::remove_dir_all(&dir);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[test]
    fn openssl_accepts_our_signature_and_rejects_tampering() {
        let key = SigningKey::try_generate().unwrap();
        let leaf = test_cert(&key, "gitseal test signer");
        let payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b.c> 1 +0000\ncommitter A <a@b.c> 1 +0000\n\nmsg\n";
        let digest: [u8; 32] = Sha256::digest(payload).into();
        let mut sig = DetachedSignature::sign(
            &digest,
            SystemTime::now(),
            &leaf,
            &[],
            IncludeCerts::LeafOnly,
            &key,
        )
        .unwrap();
        // With a Rekor attribute too: unsigned attributes do not affect the signature.
        sig.set_tlog_entry(&sample_entry()).unwrap();
        let der = sig.to_der().unwrap();
        let (ok, err) = openssl_verifies(&der, payload);
        assert!(ok, "openssl: {err}");
        assert!(err.contains("Verification successful"), "{err}");
        let (ok, _) = openssl_verifies(&der, b"tampered");
        assert!(!ok);

        // PEM armor: gitsign's framing.
        let pem = sig.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN SIGNED MESSAGE-----\n"));
        assert!(pem.ends_with("\n-----END SIGNED MESSAGE-----\n"));
        assert!(pem.lines().skip(1).all(|l| l.len() <= 64));
        assert_eq!(crate::armor::decode(pem.as_bytes()).unwrap(), der);
    }

    #[test]
    fn signature_covers_the_set_tagged_attributes() {
        use p256::ecdsa::signature::Verifier as _;
        let key = SigningKey::try_generate().unwrap();
        let leaf = test_cert(&key, "signer");
        let sig = DetachedSignature::sign(
            &[7; 32],
            SystemTime::UNIX_EPOCH + Duration::from_secs(1681496843),
            &leaf,
            &[],
            IncludeCerts::LeafOnly,
            &key,
        )
        .unwrap();
        let a = sig.signed_attributes_der().unwrap();
        assert_eq!(a[0], 0x31);
        let s = p256::ecdsa::DerSignature::from_bytes(&sig.signature().unwrap()).unwrap();
        key.verifying_key().verify(&a, &s).unwrap();
        // Attribute order and the exact signingTime encoding.
        let attrs = sig.signer_info().unwrap().signed_attrs.clone().unwrap();
        let oids: Vec<_> = attrs.iter().map(|x| x.oid).collect();
        assert_eq!(
            oids,
            [oids::CONTENT_TYPE, oids::SIGNING_TIME, oids::MESSAGE_DIGEST]
        );
        let t = attrs.as_slice()[1].values.as_slice()[0].to_der().unwrap();
        assert_eq!(&t[..2], &[0x17, 13]);
        assert_eq!(&t[2..], b"230414182723Z");
    }

    #[test]
    fn generalized_time_outside_1950_2049() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(2_556_143_999 + 10); // 2051
        assert!(matches!(
            signing_time_value(t).unwrap(),
            Time::GeneralTime(_)
        ));
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(2_524_607_999); // 2049-12-31
        assert!(matches!(signing_time_value(t).unwrap(), Time::UtcTime(_)));
    }

    #[test]
    fn include_certs_option() {
        let key = SigningKey::try_generate().unwrap();
        let ca = p384::ecdsa::SigningKey::try_generate().unwrap();
        let leaf = fulcio_like_leaf(key.verifying_key(), &ca, "a@b.c");
        let inter = test_cert(&SigningKey::try_generate().unwrap(), "inter");
        let count = |inc| {
            DetachedSignature::sign(
                &[0; 32],
                SystemTime::now(),
                &leaf,
                std::slice::from_ref(&inter),
                inc,
                &key,
            )
            .unwrap()
            .signed_data()
            .certificates
            .as_ref()
            .unwrap()
            .0
            .len()
        };
        assert_eq!(count(IncludeCerts::LeafOnly), 1);
        assert_eq!(count(IncludeCerts::LeafAndChain), 2);
    }

    fn sample_entry() -> LogEntry {
        LogEntry {
            log_index: 5,
            log_id: [1; 32],
            kind: "hashedrekord".into(),
            version: "0.0.1".into(),
            integrated_time: 1700000000,
            signed_entry_timestamp: Some(vec![0x30, 0x00]),
            inclusion_proof: None,
            body: None,
        }
    }

    /// A file from the shared gitsign vectors (`../shared/vectors`, or
    /// `$GITSEAL_SHARED_DIR/vectors`), as the integration tests find the corpus.
    pub(crate) fn shared_vector(name: &str) -> Vec<u8> {
        let dir = std::env::var_os("GITSEAL_SHARED_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
        let path = dir.join("vectors").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Rebuilding a real gitsign offline-mode signature from its parts reproduces it byte for
    /// byte: same structure, attribute order, encodings, and unsigned attribute.
    #[test]
    fn reproduces_a_real_gitsign_signature_byte_for_byte() {
        for file in [
            "internal_rekor_oid_testdata_commit.txt",
            "internal_e2e_testdata_offline.commit",
        ] {
            let raw = shared_vector(file);
            let split =
                crate::git::object::split_commit(&raw, crate::git::object::HashKind::Sha1).unwrap();
            let (payload, armored) = (split.payload, String::from_utf8(split.signature).unwrap());
            let real = crate::armor::decode(armored.as_bytes()).unwrap();
            let ci = ContentInfo::from_der(&real).unwrap();
            let sd: SignedData = ci.content.decode_as().unwrap();
            let si = &sd.signer_infos.0.as_slice()[0];
            let leaf = match &sd.certificates.as_ref().unwrap().0.as_slice()[0] {
                CertificateChoices::Certificate(c) => c.to_der().unwrap(),
                CertificateChoices::Other(_) => unreachable!(),
            };
            let real_attrs = si.signed_attrs.clone().unwrap();
            let time_any = &real_attrs.as_slice()[1].values.as_slice()[0];
            let time: Time = time_any.decode_as().unwrap();
            let digest: [u8; 32] = Sha256::digest(&payload).into();

            // Our signed attributes from (digest, time) equal the real ones.
            let ours = build_signed_attributes(&digest, time.to_system_time()).unwrap();
            assert_eq!(
                ours.to_der().unwrap(),
                real_attrs.to_der().unwrap(),
                "{file}"
            );

            // The whole signature, with the real ECDSA value and the real Rekor entry put back.
            let mut rebuilt = DetachedSignature::assemble(
                &leaf,
                &[],
                IncludeCerts::LeafOnly,
                ours,
                si.signature.as_bytes(),
            )
            .unwrap();
            let tlog = &si.unsigned_attrs.as_ref().unwrap().as_slice()[0];
            assert_eq!(tlog.oid, oids::GITSIGN_TLOG_ENTRY);
            let proto: OctetString = tlog.values.as_slice()[0].decode_as().unwrap();
            let entry = LogEntry::from_protobuf(proto.as_bytes()).unwrap();
            rebuilt.set_tlog_entry(&entry).unwrap();
            assert_eq!(rebuilt.to_der().unwrap(), real, "{file}");
            // And its PEM is what git stored.
            assert_eq!(rebuilt.to_pem().unwrap(), armored, "{file}");
        }
    }
}
