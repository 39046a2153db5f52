//! Strict DER decoding of a detached CMS SignedData into [`ParsedSignature`].
//!
//! The structure is walked with [`crate::tlv`] so that the signed attributes are kept exactly
//! as received (RFC 5652 §5.4: the signature covers their DER with the `[0] IMPLICIT` tag
//! replaced by SET, 0x31); elements are then decoded with the `cms`/`x509-cert` types. Any
//! deviation is an error, never a partial result. A fuzz target drives [`parse`].

use crate::oids;
use crate::rekor::entry::{EntryError, InclusionProof, LogEntry};
use crate::tlv::{self, Tlv, TlvError};
use const_oid::ObjectIdentifier as Oid;
use der::Decode as _;

/// Signatures larger than this are not Sigstore signatures (real ones are ~3–5 KiB).
pub const MAX_SIGNATURE_BYTES: usize = 256 * 1024;

/// Why bytes are not a usable CMS signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    /// Not DER, truncated or with trailing data.
    #[error("malformed CMS: {0}")]
    Der(#[from] TlvError),
    /// A structural rule of RFC 5652 is broken.
    #[error("malformed CMS: {0}")]
    Structure(&'static str),
    /// An element failed typed decoding.
    #[error("malformed CMS {what}: {detail}")]
    Element {
        /// Which element.
        what: &'static str,
        /// Decoder message.
        detail: String,
    },
    /// ContentInfo is not signedData.
    #[error("CMS content type {0} is not signedData")]
    NotSignedData(String),
    /// Too large to be a signature.
    #[error("the signature is {0} bytes, more than any Sigstore signature")]
    TooLarge(usize),
    /// The embedded transparency-log entry is broken.
    #[error("the embedded transparency-log entry is unusable: {0}")]
    TlogEntry(#[from] EntryError),
    /// A transparency-log attribute appears more than once or with several values.
    #[error("the transparency-log attribute {0} must appear once with one value")]
    TlogAttributeCount(String),
}

/// How the signer identifies its certificate (RFC 5652 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerId {
    /// `IssuerAndSerialNumber`: issuer Name DER and serial INTEGER contents.
    IssuerAndSerial {
        /// DER of the issuer Name.
        issuer_der: Vec<u8>,
        /// Contents octets of the serial INTEGER.
        serial: Vec<u8>,
    },
    /// `[0] SubjectKeyIdentifier`.
    SubjectKeyId(Vec<u8>),
}

/// One attribute: its type and the raw DER of each value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// attrType.
    pub oid: Oid,
    /// Each AttributeValue's full DER.
    pub values: Vec<Vec<u8>>,
}

/// Where the embedded log entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlogEncoding {
    /// Current gitsign: one protobuf attribute 1.3.6.1.4.1.57264.3.1.
    Protobuf,
    /// The early per-field encoding 1.3.6.1.4.1.57264.3.0–3.8.
    PerField,
}

/// One SignerInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// CMSVersion (1 for IssuerAndSerialNumber, 3 for SKI).
    pub version: u8,
    /// Certificate reference.
    pub sid: SignerId,
    /// digestAlgorithm OID.
    pub digest_algorithm: Oid,
    /// The signed attributes re-tagged as SET OF (0x31), exactly as received otherwise: what
    /// the signature covers and what Rekor logs in offline mode (compat §2.3).
    pub signed_attrs_der: Option<Vec<u8>>,
    /// Signed attributes, in wire order.
    pub signed_attrs: Vec<Attribute>,
    /// signatureAlgorithm OID.
    pub signature_algorithm: Oid,
    /// Whether the signature AlgorithmIdentifier carried parameters (it must not for ECDSA).
    pub signature_algorithm_has_params: bool,
    /// The signature value (DER ECDSA for Sigstore).
    pub signature: Vec<u8>,
    /// Unsigned attributes, in wire order.
    pub unsigned_attrs: Vec<Attribute>,
}

/// A decoded detached SignedData.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignature {
    /// digestAlgorithms.
    pub digest_algorithms: Vec<Oid>,
    /// encapContentInfo eContentType.
    pub econtent_type: Oid,
    /// True when eContent is absent (detached).
    pub detached: bool,
    /// Each certificate's DER, in wire order.
    pub certificates: Vec<Vec<u8>>,
    /// SignerInfos, in wire order.
    pub signers: Vec<Signer>,
}

fn oid_of(t: &Tlv<'_>) -> Result<Oid, CmsError> {
    if t.tag != 0x06 {
        return Err(CmsError::Structure("expected an OBJECT IDENTIFIER"));
    }
    Oid::from_bytes(t.value).map_err(|_| CmsError::Structure("invalid OBJECT IDENTIFIER"))
}

/// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }.
fn algorithm(t: &Tlv<'_>) -> Result<(Oid, bool), CmsError> {
    if t.tag != 0x30 {
        return Err(CmsError::Structure("expected an AlgorithmIdentifier"));
    }
    let parts = tlv::children(t.value)?;
    let first = parts
        .first()
        .ok_or(CmsError::Structure("empty AlgorithmIdentifier"))?;
    if parts.len() > 2 {
        return Err(CmsError::Structure("AlgorithmIdentifier has extra fields"));
    }
    Ok((oid_of(first)?, parts.len() == 2))
}

fn small_int(t: &Tlv<'_>) -> Result<u8, CmsError> {
    match (t.tag, t.value) {
        (0x02, [v]) if *v < 0x80 => Ok(*v),
        _ => Err(CmsError::Structure("expected a small INTEGER version")),
    }
}

fn attributes(contents: &[u8]) -> Result<Vec<Attribute>, CmsError> {
    tlv::children(contents)?
        .iter()
        .map(|a| {
            if a.tag != 0x30 {
                return Err(CmsError::Structure("attribute is not a SEQUENCE"));
            }
            let parts = tlv::children(a.value)?;
            let [oid, set] = parts.as_slice() else {
                return Err(CmsError::Structure("attribute must be (type, values)"));
            };
            if set.tag != 0x31 {
                return Err(CmsError::Structure("attribute values are not a SET"));
            }
            Ok(Attribute {
                oid: oid_of(oid)?,
                values: tlv::children(set.value)?
                    .iter()
                    .map(|v| v.raw.to_vec())
                    .collect(),
            })
        })
        .collect()
}

fn signer(t: &Tlv<'_>) -> Result<Signer, CmsError> {
    if t.tag != 0x30 {
        return Err(CmsError::Structure("SignerInfo is not a SEQUENCE"));
    }
    let parts = tlv::children(t.value)?;
    let mut it = parts.iter().peekable();
    let mut next = |what: &'static str| it.next().ok_or(CmsError::Structure(what));
    let version = small_int(next("SignerInfo has no version")?)?;
    let sid_tlv = next("SignerInfo has no sid")?;
    let sid = match sid_tlv.tag {
        0x30 => {
            let p = tlv::children(sid_tlv.value)?;
            let [issuer, serial] = p.as_slice() else {
                return Err(CmsError::Structure(
                    "IssuerAndSerialNumber needs two fields",
                ));
            };
            if issuer.tag != 0x30 || serial.tag != 0x02 {
                return Err(CmsError::Structure("IssuerAndSerialNumber is malformed"));
            }
            SignerId::IssuerAndSerial {
                issuer_der: issuer.raw.to_vec(),
                serial: serial.value.to_vec(),
            }
        }
        0x80 => SignerId::SubjectKeyId(sid_tlv.value.to_vec()),
        _ => return Err(CmsError::Structure("unknown SignerIdentifier choice")),
    };
    let (digest_algorithm, _) = algorithm(next("SignerInfo has no digestAlgorithm")?)?;
    let mut cur = next("SignerInfo is truncated")?;
    let (signed_attrs_der, signed_attrs) = if cur.tag == 0xa0 {
        let mut set = tlv::header(0x31, cur.value.len());
        set.extend_from_slice(cur.value);
        let attrs = attributes(cur.value)?;
        cur = next("SignerInfo has no signatureAlgorithm")?;
        (Some(set), attrs)
    } else {
        (None, Vec::new())
    };
    let (signature_algorithm, signature_algorithm_has_params) = algorithm(cur)?;
    let sig = next("SignerInfo has no signature")?;
    if sig.tag != 0x04 {
        return Err(CmsError::Structure("signature is not an OCTET STRING"));
    }
    let unsigned_attrs = match it.next() {
        None => Vec::new(),
        Some(u) if u.tag == 0xa1 => attributes(u.value)?,
        Some(_) => return Err(CmsError::Structure("unexpected field after the signature")),
    };
    if it.next().is_some() {
        return Err(CmsError::Structure("SignerInfo has trailing fields"));
    }
    Ok(Signer {
        version,
        sid,
        digest_algorithm,
        signed_attrs_der,
        signed_attrs,
        signature_algorithm,
        signature_algorithm_has_params,
        signature: sig.value.to_vec(),
        unsigned_attrs,
    })
}

/// Parses DER bytes of a ContentInfo holding SignedData (RFC 5652 §3, §5.1).
pub fn parse(der: &[u8]) -> Result<ParsedSignature, CmsError> {
    if der.len() > MAX_SIGNATURE_BYTES {
        return Err(CmsError::TooLarge(der.len()));
    }
    let ci = tlv::read_only(der, 0x30)?;
    let ci_parts = tlv::children(ci.value)?;
    let [ct, content] = ci_parts.as_slice() else {
        return Err(CmsError::Structure(
            "ContentInfo must be (contentType, [0] content)",
        ));
    };
    let content_type = oid_of(ct)?;
    if content_type != oids::SIGNED_DATA {
        return Err(CmsError::NotSignedData(content_type.to_string()));
    }
    if content.tag != 0xa0 {
        return Err(CmsError::Structure(
            "ContentInfo content is not [0] EXPLICIT",
        ));
    }
    let sd = tlv::read_only(content.value, 0x30)?;
    let parts = tlv::children(sd.value)?;
    let mut it = parts.iter();
    let mut next = |what: &'static str| it.next().ok_or(CmsError::Structure(what));
    let _version = small_int(next("SignedData has no version")?)?;
    let digest_set = next("SignedData has no digestAlgorithms")?;
    if digest_set.tag != 0x31 {
        return Err(CmsError::Structure("digestAlgorithms is not a SET"));
    }
    let digest_algorithms = tlv::children(digest_set.value)?
        .iter()
        .map(|a| algorithm(a).map(|(o, _)| o))
        .collect::<Result<_, _>>()?;
    let eci = next("SignedData has no encapContentInfo")?;
    if eci.tag != 0x30 {
        return Err(CmsError::Structure("encapContentInfo is not a SEQUENCE"));
    }
    let eci_parts = tlv::children(eci.value)?;
    let econtent_type = oid_of(
        eci_parts
            .first()
            .ok_or(CmsError::Structure("encapContentInfo has no type"))?,
    )?;
    let detached = match eci_parts.len() {
        1 => true,
        2 => false,
        _ => return Err(CmsError::Structure("encapContentInfo has extra fields")),
    };
    let mut cur = next("SignedData has no signerInfos")?;
    let mut certificates = Vec::new();
    if cur.tag == 0xa0 {
        for c in tlv::children(cur.value)? {
            if c.tag != 0x30 {
                return Err(CmsError::Structure("only X.509 certificates are supported"));
            }
            // Typed decode to reject garbage early; the raw bytes are what we keep.
            x509_cert::Certificate::from_der(c.raw).map_err(|e| CmsError::Element {
                what: "certificate",
                detail: e.to_string(),
            })?;
            certificates.push(c.raw.to_vec());
        }
        cur = next("SignedData has no signerInfos")?;
    }
    if cur.tag == 0xa1 {
        // CRLs are never used by Sigstore; accepted and ignored like gitsign does.
        cur = next("SignedData has no signerInfos")?;
    }
    if cur.tag != 0x31 {
        return Err(CmsError::Structure("signerInfos is not a SET"));
    }
    let signers = tlv::children(cur.value)?
        .iter()
        .map(signer)
        .collect::<Result<Vec<_>, _>>()?;
    if it.next().is_some() {
        return Err(CmsError::Structure("SignedData has trailing fields"));
    }
    if signers.is_empty() {
        return Err(CmsError::Structure("SignedData has no signers"));
    }
    Ok(ParsedSignature {
        digest_algorithms,
        econtent_type,
        detached,
        certificates,
        signers,
    })
}

impl Signer {
    /// The single value of a signed attribute, or `None` if absent; several values or several
    /// attributes of that type are an error (RFC 5652 §11: single-valued).
    pub fn single_signed_attr(&self, oid: Oid) -> Result<Option<&[u8]>, CmsError> {
        let mut found = self.signed_attrs.iter().filter(|a| a.oid == oid);
        let Some(a) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() || a.values.len() != 1 {
            return Err(CmsError::Structure(
                "a signed attribute must be single-valued",
            ));
        }
        Ok(Some(a.values[0].as_slice()))
    }

    /// The messageDigest attribute's OCTET STRING contents.
    pub fn message_digest(&self) -> Result<Option<Vec<u8>>, CmsError> {
        match self.single_signed_attr(oids::MESSAGE_DIGEST)? {
            None => Ok(None),
            Some(v) => Ok(Some(tlv::read_only(v, 0x04)?.value.to_vec())),
        }
    }

    /// The contentType attribute's OID.
    pub fn content_type(&self) -> Result<Option<Oid>, CmsError> {
        match self.single_signed_attr(oids::CONTENT_TYPE)? {
            None => Ok(None),
            Some(v) => Ok(Some(oid_of(&tlv::read_only(v, 0x06)?)?)),
        }
    }

    /// The (untrusted) signingTime as Unix seconds, if present and well-formed.
    pub fn signing_time(&self) -> Option<i64> {
        let v = self.single_signed_attr(oids::SIGNING_TIME).ok()??;
        let t = x509_cert::time::Time::from_der(v).ok()?;
        i64::try_from(t.to_unix_duration().as_secs()).ok()
    }

    /// The transparency-log entry embedded as unsigned attribute(s), if any.
    ///
    /// Current gitsign writes one 57264.3.1 attribute holding a protobuf; one early build wrote
    /// one attribute per field (57264.3.0–3.8). Both are decoded deliberately; anything
    /// ambiguous (duplicates, several values, a mix) is an error, never a guess.
    pub fn tlog_entry(&self) -> Result<Option<(LogEntry, TlogEncoding)>, CmsError> {
        let arc: Vec<&Attribute> = self
            .unsigned_attrs
            .iter()
            .filter(|a| a.oid.to_string().starts_with(oids::GITSIGN_TLOG_ARC))
            .collect();
        if arc.is_empty() {
            return Ok(None);
        }
        for a in &arc {
            if a.values.len() != 1 || arc.iter().filter(|b| b.oid == a.oid).count() != 1 {
                return Err(CmsError::TlogAttributeCount(a.oid.to_string()));
            }
        }
        if arc.len() == 1 && arc[0].oid == oids::GITSIGN_TLOG_ENTRY {
            let value = tlv::read_only(&arc[0].values[0], 0x04)?;
            return Ok(Some((
                LogEntry::from_protobuf(value.value)?,
                TlogEncoding::Protobuf,
            )));
        }
        per_field_entry(&arc).map(|e| Some((e, TlogEncoding::PerField)))
    }
}

/// Decodes the early per-field encoding. Field meanings were established from corpus object
/// c47e8bf5 and confirmed by its SET, inclusion proof and checkpoint verifying:
/// 3.0 integratedTime, 3.1 logID (hex), 3.2 logIndex (global), 3.3 SET, 3.4 checkpoint,
/// 3.5 audit path (hex strings), 3.6 root hash (hex), 3.7 tree size, 3.8 proof index.
fn per_field_entry(arc: &[&Attribute]) -> Result<LogEntry, CmsError> {
    let field = |n: u32| -> Result<Tlv<'_>, CmsError> {
        let oid = format!("{}{n}", oids::GITSIGN_TLOG_ARC);
        let a = arc
            .iter()
            .find(|a| a.oid.to_string() == oid)
            .ok_or(CmsError::TlogEntry(EntryError::Missing(
                "per-field attribute",
            )))?;
        Ok(tlv::read(&a.values[0])?.0)
    };
    if arc.len() != 9 {
        return Err(CmsError::TlogEntry(EntryError::Invalid(
            "per-field attribute set",
        )));
    }
    let int = |t: Tlv<'_>| -> Result<u64, CmsError> {
        if t.tag != 0x02 || t.value.is_empty() || t.value.len() > 8 || t.value[0] & 0x80 != 0 {
            return Err(CmsError::TlogEntry(EntryError::Invalid("integer field")));
        }
        Ok(t.value.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
    };
    let text = |t: Tlv<'_>| -> Result<String, CmsError> {
        if !matches!(t.tag, 0x0c | 0x13 | 0x16) {
            return Err(CmsError::TlogEntry(EntryError::Invalid("string field")));
        }
        String::from_utf8(t.value.to_vec())
            .map_err(|_| CmsError::TlogEntry(EntryError::Invalid("string field")))
    };
    let hex32 = |s: String, what: &'static str| -> Result<[u8; 32], CmsError> {
        hex::decode(s)
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or(CmsError::TlogEntry(EntryError::Invalid(what)))
    };
    let set = field(3)?;
    if set.tag != 0x04 {
        return Err(CmsError::TlogEntry(EntryError::Invalid(
            "signed entry timestamp",
        )));
    }
    let path = field(5)?;
    if path.tag != 0x30 {
        return Err(CmsError::TlogEntry(EntryError::Invalid("audit path")));
    }
    let hashes = tlv::children(path.value)?
        .into_iter()
        .map(|h| hex32(text(h)?, "proof hash"))
        .collect::<Result<Vec<_>, _>>()?;
    let integrated_time = i64::try_from(int(field(0)?)?)
        .map_err(|_| CmsError::TlogEntry(EntryError::Invalid("integrated time")))?;
    Ok(LogEntry {
        log_index: int(field(2)?)?,
        log_id: hex32(text(field(1)?)?, "log id")?,
        kind: "hashedrekord".into(),
        version: "0.0.1".into(),
        integrated_time,
        signed_entry_timestamp: Some(set.value.to_vec()),
        inclusion_proof: Some(InclusionProof {
            log_index: int(field(8)?)?,
            root_hash: hex32(text(field(6)?)?, "root hash")?,
            tree_size: int(field(7)?)?,
            hashes,
            checkpoint: Some(text(field(4)?)?),
        }),
        body: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x00",
            b"\x30\x03\x06\x01\x00",
            b"hello",
        ] {
            assert!(parse(input).is_err(), "{input:?}");
        }
    }
}
