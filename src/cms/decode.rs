//! Strict DER decoding of a detached CMS SignedData into [`ParsedSignature`].
//!
//! The structure is walked with [`crate::tlv`] so that the signed attributes are kept exactly
//! as received (RFC 5652 §5.4: the signature covers their DER with the `[0] IMPLICIT` tag
//! replaced by SET, 0x31); elements are then decoded with the `cms`/`x509-cert` types. Any
//! deviation is an error, never a partial result. A fuzz target drives [`parse`].
//!
//! **One encoding per signature.** The ECDSA signature covers only the signed attributes, and
//! the Rekor entry covers only them, the signature value and the leaf; every other byte of the
//! CMS is free for anyone to change, and each change gives a different commit id that would
//! still verify. So beyond DER itself (minimal lengths and OIDs, DER SET OF order) the
//! decoder accepts only the RFC 5652 form gitsign has always written (compat §2.2, all 290
//! corpus signatures): versions consistent with the signer identifier (§5.1, §5.3),
//! `digestAlgorithms` exactly the signers' digest algorithms, no algorithm parameters, no
//! revocation information, no duplicate certificates, and no unsigned attribute except the
//! transparency-log entry (§2.4), itself in its one canonical protobuf or DER encoding.

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
    // X.690 §8.19.2: each subidentifier is encoded in the fewest possible octets, so an arc
    // never starts with the padding octet 0x80. Refused here whatever `const_oid` accepts,
    // so that one OID has one encoding.
    let padded = t
        .value
        .iter()
        .enumerate()
        .any(|(i, &b)| b == 0x80 && (i == 0 || t.value[i - 1] & 0x80 == 0));
    if padded {
        return Err(CmsError::Structure("non-minimal OBJECT IDENTIFIER"));
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

/// One SignerInfo, and the DER of its digestAlgorithm (which `digestAlgorithms` must repeat).
fn signer<'a>(t: &Tlv<'a>) -> Result<(Signer, &'a [u8]), CmsError> {
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
    // RFC 5652 §5.3: "If the SignerIdentifier is issuerAndSerialNumber, then the version MUST
    // be 1. If the SignerIdentifier is subjectKeyIdentifier, then the version MUST be 3."
    let want_version = match sid {
        SignerId::IssuerAndSerial { .. } => 1,
        SignerId::SubjectKeyId(_) => 3,
    };
    if version != want_version {
        return Err(CmsError::Structure(
            "SignerInfo version does not match its signer identifier (RFC 5652 §5.3)",
        ));
    }
    let digest_tlv = next("SignerInfo has no digestAlgorithm")?;
    let (digest_algorithm, digest_params) = algorithm(digest_tlv)?;
    // RFC 5754 §2 lets readers take SHA-2 identifiers with NULL parameters, but writers
    // "MUST generate SHA2 AlgorithmIdentifiers with absent parameters", and gitsign does
    // (compat §2.2). Accepting NULL too would give every signature a second encoding.
    if digest_params {
        return Err(CmsError::Structure(
            "the digest AlgorithmIdentifier carries parameters",
        ));
    }
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
    // RFC 5758 §3.2: for ecdsa-with-SHA224..512 "the encoding MUST omit the parameters field".
    if signature_algorithm_has_params && signature_algorithm.parent() == Some(ECDSA_WITH_SHA2) {
        return Err(CmsError::Structure(
            "the ECDSA signature AlgorithmIdentifier carries parameters (RFC 5758 §3.2)",
        ));
    }
    let sig = next("SignerInfo has no signature")?;
    if sig.tag != 0x04 {
        return Err(CmsError::Structure("signature is not an OCTET STRING"));
    }
    let unsigned_attrs = match it.next() {
        None => Vec::new(),
        Some(u) if u.tag == 0xa1 => unsigned_attributes(u.value)?,
        Some(_) => return Err(CmsError::Structure("unexpected field after the signature")),
    };
    if it.next().is_some() {
        return Err(CmsError::Structure("SignerInfo has trailing fields"));
    }
    let signer = Signer {
        version,
        sid,
        digest_algorithm,
        signed_attrs_der,
        signed_attrs,
        signature_algorithm,
        signature_algorithm_has_params,
        signature: sig.value.to_vec(),
        unsigned_attrs,
    };
    Ok((signer, digest_tlv.raw))
}

/// The `ecdsa-with-SHA2` arc, 1.2.840.10045.4.3 (RFC 5758 §3.2).
const ECDSA_WITH_SHA2: Oid = Oid::new_unwrap("1.2.840.10045.4.3");

/// X.690 §11.6: the elements of a DER SET OF appear in ascending order of their encodings
/// (compared as octet strings; two complete TLVs are never prefixes of one another, so plain
/// lexicographic order is that order). Strictly ascending also refuses repeated elements,
/// which no field gitsign writes ever has.
fn strictly_ascending(elements: &[Tlv<'_>]) -> bool {
    elements.windows(2).all(|w| w[0].raw < w[1].raw)
}

/// UnsignedAttributes (RFC 5652 §5.3: `SET SIZE (1..MAX) OF Attribute`), restricted to what
/// gitsign writes (compat §2.4): the transparency-log entry, one value per attribute, in DER
/// order. Nothing signs these bytes, so any other attribute would only be a way to give a
/// signature another encoding. The one exception is an RFC 3161 timestamp token
/// (`id-aa-timeStampToken`, RFC 3161 Appendix A), which gitsign writes when a TSA is
/// configured: refusing it would refuse genuine gitsign signatures. It must be one value that
/// is a ContentInfo of SignedData (the token's shape). A token present is verified
/// (`verify::timestamp`: trusted TSA, this signature, genTime inside the leaf's validity; in
/// one form, `tsa::token`), but nothing signs its presence: a genuine token can still be added
/// or stripped without changing the verdict — the one malleability left, as in gitsign.
/// `ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT ... }`
/// (RFC 5652 §3), in DER, and nothing after it.
fn is_signed_data_content_info(der: &[u8]) -> bool {
    let Ok(seq) = tlv::read_only(der, 0x30) else {
        return false;
    };
    let Ok(parts) = tlv::children(seq.value) else {
        return false;
    };
    matches!(parts.as_slice(), [oid, content]
        if oid.tag == 0x06 && oid.value == oids::SIGNED_DATA.as_bytes() && content.tag == 0xa0)
}

fn unsigned_attributes(contents: &[u8]) -> Result<Vec<Attribute>, CmsError> {
    let elements = tlv::children(contents)?;
    if elements.is_empty() {
        return Err(CmsError::Structure("unsignedAttrs is present but empty"));
    }
    if !strictly_ascending(&elements) {
        return Err(CmsError::Structure(
            "unsigned attributes are not in DER SET OF order",
        ));
    }
    let attrs = attributes(contents)?;
    for a in &attrs {
        if a.oid == oids::TIMESTAMP_TOKEN {
            let [token] = a.values.as_slice() else {
                return Err(CmsError::TlogAttributeCount(a.oid.to_string()));
            };
            if !is_signed_data_content_info(token) {
                return Err(CmsError::Element {
                    what: "unsigned attribute",
                    detail: format!(
                        "{} (RFC 3161 timestamp token) is not a ContentInfo of SignedData",
                        a.oid
                    ),
                });
            }
            continue;
        }
        if !a.oid.to_string().starts_with(oids::GITSIGN_TLOG_ARC) {
            return Err(CmsError::Element {
                what: "unsigned attribute",
                detail: format!(
                    "{} is not the transparency-log entry, the only unsigned attribute accepted",
                    a.oid
                ),
            });
        }
        if a.values.len() != 1 {
            return Err(CmsError::TlogAttributeCount(a.oid.to_string()));
        }
    }
    Ok(attrs)
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
    let version = small_int(next("SignedData has no version")?)?;
    let digest_set = next("SignedData has no digestAlgorithms")?;
    if digest_set.tag != 0x31 {
        return Err(CmsError::Structure("digestAlgorithms is not a SET"));
    }
    let digest_elements = tlv::children(digest_set.value)?;
    let digest_algorithms = digest_elements
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
        let elements = tlv::children(cur.value)?;
        // CertificateSet is a SET OF: DER order, and no certificate twice (the corpus's
        // leaf-plus-intermediate signatures are in that order).
        if !strictly_ascending(&elements) {
            return Err(CmsError::Structure(
                "certificates are repeated or not in DER SET OF order",
            ));
        }
        for c in elements {
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
        // gitsign never writes revocation information, nothing signs it, and a verifier of
        // 10-minute certificates has no use for it: present, it is only another encoding.
        return Err(CmsError::Structure(
            "SignedData carries revocation information (crls), which gitsign never writes",
        ));
    }
    if cur.tag != 0x31 {
        return Err(CmsError::Structure("signerInfos is not a SET"));
    }
    let parsed = tlv::children(cur.value)?
        .iter()
        .map(signer)
        .collect::<Result<Vec<_>, _>>()?;
    if it.next().is_some() {
        return Err(CmsError::Structure("SignedData has trailing fields"));
    }
    if parsed.is_empty() {
        return Err(CmsError::Structure("SignedData has no signers"));
    }
    // RFC 5652 §5.1: digestAlgorithms is "a collection of message digest algorithm
    // identifiers" of the signers. Exactly the distinct encodings the SignerInfos use, in DER
    // SET OF order: for gitsign's one signer, exactly its digestAlgorithm, byte for byte.
    let mut want: Vec<&[u8]> = parsed.iter().map(|(_, d)| *d).collect();
    want.sort_unstable();
    want.dedup();
    if digest_elements
        .iter()
        .map(|t| t.raw)
        .ne(want.iter().copied())
    {
        return Err(CmsError::Structure(
            "digestAlgorithms is not exactly the signers' digest algorithms",
        ));
    }
    let signers: Vec<Signer> = parsed.into_iter().map(|(s, _)| s).collect();
    // RFC 5652 §5.1 version rules. This decoder admits only X.509 certificates (no attribute
    // or `other` certificates) and no revocation information, so "version MUST be 5" and
    // "MUST be 4" cannot arise and the rule left is: 3 if "any SignerInfo structures are
    // version 3" or "encapContentInfo eContentType is other than id-data", else 1.
    let want_version = if signers.iter().any(|s| s.version == 3) || econtent_type != oids::DATA {
        3
    } else {
        1
    };
    if version != want_version {
        return Err(CmsError::Structure(
            "SignedData version is not the one RFC 5652 §5.1 requires",
        ));
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
            let entry = LogEntry::from_protobuf(value.value)?;
            // Protobuf has many encodings of one message (field order, unknown or repeated
            // fields, padded varints, a `canonicalized_body` gitsign clears, any kind
            // string). gitsign writes the deterministic proto3 encoding of exactly the fields
            // `to_protobuf` writes (compat §2.4; byte-identical on all 21 corpus entries), so
            // the bytes must be that re-encoding.
            if entry.to_protobuf() != value.value {
                return Err(CmsError::TlogEntry(EntryError::Invalid(
                    "protobuf encoding (not the canonical one gitsign writes)",
                )));
            }
            return Ok(Some((entry, TlogEncoding::Protobuf)));
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
    // One encoding per value, as Go's encoding/asn1 wrote them in c47e8bf5: non-negative
    // DER INTEGERs (X.690 §8.3.2: no redundant leading octet), hex as lower-case
    // PrintableString, the checkpoint as UTF8String.
    let int = |t: Tlv<'_>| -> Result<u64, CmsError> {
        let v = t.value;
        let redundant = v.len() > 1 && v[0] == 0 && v[1] & 0x80 == 0;
        if t.tag != 0x02 || v.is_empty() || v.len() > 8 || v[0] & 0x80 != 0 || redundant {
            return Err(CmsError::TlogEntry(EntryError::Invalid("integer field")));
        }
        Ok(v.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64))
    };
    let text = |t: Tlv<'_>, tag: u8| -> Result<String, CmsError> {
        if t.tag != tag {
            return Err(CmsError::TlogEntry(EntryError::Invalid("string field")));
        }
        String::from_utf8(t.value.to_vec())
            .map_err(|_| CmsError::TlogEntry(EntryError::Invalid("string field")))
    };
    let hex32 = |t: Tlv<'_>, what: &'static str| -> Result<[u8; 32], CmsError> {
        let s = text(t, 0x13)?;
        hex::decode(&s)
            .ok()
            .filter(|v| hex::encode(v) == s)
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
        .map(|h| hex32(h, "proof hash"))
        .collect::<Result<Vec<_>, _>>()?;
    let integrated_time = i64::try_from(int(field(0)?)?)
        .map_err(|_| CmsError::TlogEntry(EntryError::Invalid("integrated time")))?;
    Ok(LogEntry {
        log_index: int(field(2)?)?,
        log_id: hex32(field(1)?, "log id")?,
        kind: "hashedrekord".into(),
        version: "0.0.1".into(),
        integrated_time,
        signed_entry_timestamp: Some(set.value.to_vec()),
        inclusion_proof: Some(InclusionProof {
            log_index: int(field(8)?)?,
            root_hash: hex32(field(6)?, "root hash")?,
            tree_size: int(field(7)?)?,
            hashes,
            checkpoint: Some(text(field(4)?, 0x0c)?),
        }),
        body: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DER of the signature in the corpus object whose id starts with `prefix`
    /// (`../shared/corpus`, or `$GITSEAL_SHARED_DIR/corpus`).
    fn corpus_der(prefix: &str) -> Vec<u8> {
        let dir = std::env::var_os("GITSEAL_SHARED_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
            .join("corpus");
        let path = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .unwrap();
        let kind = if path.extension().unwrap() == "tag" {
            crate::git::object::Kind::Tag
        } else {
            crate::git::object::Kind::Commit
        };
        let raw = std::fs::read(&path).unwrap();
        let split =
            crate::git::object::split(kind, &raw, crate::git::object::HashKind::Sha1).unwrap();
        crate::armor::decode_canonical(&split.signature).unwrap()
    }

    /// dc68e8ce: the newest offline-mode commit (protobuf log entry).
    const OFFLINE: &str = "dc68e8ce";
    /// c47e8bf5: the early per-field log entry.
    const PER_FIELD: &str = "c47e8bf5";
    /// 0a6ecec6: online mode, leaf and intermediate in the certificate set.
    const TWO_CERTS: &str = "0a6ecec6";

    fn wrap(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = tlv::header(tag, body.len());
        v.extend_from_slice(body);
        v
    }

    /// Rebuilds the ContentInfo after `f` edits the SignedData fields (raw TLVs).
    fn edit_signed_data(der: &[u8], f: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
        let ci = tlv::read_only(der, 0x30).unwrap();
        let parts = tlv::children(ci.value).unwrap();
        let sd = tlv::read_only(parts[1].value, 0x30).unwrap();
        let mut fields: Vec<Vec<u8>> = tlv::children(sd.value)
            .unwrap()
            .iter()
            .map(|t| t.raw.to_vec())
            .collect();
        f(&mut fields);
        let content = wrap(0xa0, &wrap(0x30, &fields.concat()));
        wrap(0x30, &[parts[0].raw, &content].concat())
    }

    /// Rebuilds after `f` edits the SignedData fields and the single SignerInfo's fields.
    fn edit_both(
        der: &[u8],
        f: impl FnOnce(&mut Vec<Vec<u8>>),
        g: impl FnOnce(&mut Vec<Vec<u8>>),
    ) -> Vec<u8> {
        edit_signed_data(der, |fields| {
            f(fields);
            let set = fields.last_mut().unwrap();
            let set_tlv = tlv::read_only(set, 0x31).unwrap();
            let signer = tlv::read_only(set_tlv.value, 0x30).unwrap();
            let mut sf: Vec<Vec<u8>> = tlv::children(signer.value)
                .unwrap()
                .iter()
                .map(|t| t.raw.to_vec())
                .collect();
            g(&mut sf);
            *set = wrap(0x31, &wrap(0x30, &sf.concat()));
        })
    }

    fn edit_signer(der: &[u8], g: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
        edit_both(der, |_| {}, g)
    }

    /// Replaces the unsigned attributes' contents (the attributes, concatenated).
    fn with_unsigned(der: &[u8], attrs: &[Vec<u8>]) -> Vec<u8> {
        edit_signer(der, |sf| {
            assert_eq!(sf.last().unwrap()[0], 0xa1);
            *sf.last_mut().unwrap() = wrap(0xa1, &attrs.concat());
        })
    }

    fn unsigned_of(der: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        edit_signer(der, |sf| {
            let u = tlv::read_only(sf.last().unwrap(), 0xa1).unwrap();
            out = tlv::children(u.value)
                .unwrap()
                .iter()
                .map(|t| t.raw.to_vec())
                .collect();
        });
        out
    }

    fn attribute(oid: &str, values: &[Vec<u8>]) -> Vec<u8> {
        let oid = Oid::new_unwrap(oid);
        let oid = wrap(0x06, oid.as_bytes());
        wrap(0x30, &[oid, wrap(0x31, &values.concat())].concat())
    }

    const SHA256_ALG: &[u8] = &[
        0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
    ];
    const SHA256_NULL: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    ];
    const SHA384_ALG: &[u8] = &[
        0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
    ];

    fn structure_error(der: &[u8]) -> bool {
        matches!(parse(der), Err(CmsError::Structure(_)))
    }

    #[test]
    fn real_signatures_are_in_the_strict_form() {
        for prefix in [OFFLINE, PER_FIELD, TWO_CERTS] {
            let der = corpus_der(prefix);
            let cms = parse(&der).unwrap();
            assert_eq!(cms.digest_algorithms, vec![oids::SHA256], "{prefix}");
            assert_eq!(cms.signers[0].version, 1);
            // The edit helpers rebuild byte-identical DER, so each rejection below is its edit's.
            assert_eq!(edit_signer(&der, |_| {}), der);
        }
        assert_eq!(parse(&corpus_der(TWO_CERTS)).unwrap().certificates.len(), 2);
        let per_field = parse(&corpus_der(PER_FIELD)).unwrap();
        assert!(matches!(
            per_field.signers[0].tlog_entry(),
            Ok(Some((_, TlogEncoding::PerField)))
        ));
    }

    #[test]
    fn signed_data_version_must_be_the_rfc5652_one() {
        let der = corpus_der(OFFLINE);
        for v in [0u8, 2, 3, 4, 5] {
            let d = edit_signed_data(&der, |f| f[0] = vec![0x02, 0x01, v]);
            assert!(structure_error(&d), "SignedData version {v}");
        }
        // A padded INTEGER 1 is not DER either.
        let d = edit_signed_data(&der, |f| f[0] = vec![0x02, 0x02, 0x00, 0x01]);
        assert!(structure_error(&d));
    }

    #[test]
    fn signer_info_version_must_match_the_signer_identifier() {
        let der = corpus_der(OFFLINE);
        for v in [0u8, 2, 3, 4] {
            let d = edit_signer(&der, |sf| sf[0] = vec![0x02, 0x01, v]);
            assert!(structure_error(&d), "SignerInfo version {v}");
        }
        // subjectKeyIdentifier: version 3 in the SignerInfo and in the SignedData is the RFC's
        // consistent form (the verifier still refuses the choice); any other pairing is not.
        let ski = wrap(0x80, &[7u8; 20]);
        let consistent = edit_both(
            &der,
            |f| f[0] = vec![0x02, 0x01, 3],
            |sf| {
                sf[0] = vec![0x02, 0x01, 3];
                sf[1] = ski.clone();
            },
        );
        assert!(matches!(
            parse(&consistent).unwrap().signers[0].sid,
            SignerId::SubjectKeyId(_)
        ));
        let v1_signer = edit_both(
            &der,
            |f| f[0] = vec![0x02, 0x01, 3],
            |sf| sf[1] = ski.clone(),
        );
        assert!(structure_error(&v1_signer));
        let v1_data = edit_signer(&der, |sf| {
            sf[0] = vec![0x02, 0x01, 3];
            sf[1] = ski.clone();
        });
        assert!(structure_error(&v1_data));
    }

    #[test]
    fn digest_algorithms_must_be_exactly_the_signers() {
        let der = corpus_der(OFFLINE);
        let set = |algs: &[&[u8]]| wrap(0x31, &algs.concat());
        for (what, value) in [
            ("extra element", set(&[SHA256_ALG, SHA384_ALG])),
            ("different algorithm", set(&[SHA384_ALG])),
            ("NULL parameters", set(&[SHA256_NULL])),
            ("both parameter forms", set(&[SHA256_ALG, SHA256_NULL])),
            ("repeated", set(&[SHA256_ALG, SHA256_ALG])),
            ("empty", set(&[])),
        ] {
            let d = edit_signed_data(&der, |f| f[1] = value.clone());
            assert!(structure_error(&d), "{what}");
        }
        // Consistent with the signer, another algorithm parses (the verifier refuses SHA-384).
        let d = edit_both(
            &der,
            |f| f[1] = set(&[SHA384_ALG]),
            |sf| sf[2] = SHA384_ALG.to_vec(),
        );
        assert_eq!(
            parse(&d).unwrap().signers[0].digest_algorithm.to_string(),
            "2.16.840.1.101.3.4.2.2"
        );
    }

    #[test]
    fn algorithm_parameters_are_refused() {
        let der = corpus_der(OFFLINE);
        // NULL parameters on the SignerInfo digest, repeated in digestAlgorithms to match.
        let d = edit_both(
            &der,
            |f| f[1] = wrap(0x31, SHA256_NULL),
            |sf| sf[2] = SHA256_NULL.to_vec(),
        );
        assert!(structure_error(&d));
        // NULL parameters on ecdsa-with-SHA256.
        let d = edit_signer(&der, |sf| {
            assert_eq!(sf[4][..2], [0x30, 0x0a]);
            let mut alg = sf[4][2..].to_vec();
            alg.extend_from_slice(&[0x05, 0x00]);
            sf[4] = wrap(0x30, &alg);
        });
        assert!(structure_error(&d));
    }

    #[test]
    fn revocation_information_is_refused() {
        let der = corpus_der(OFFLINE);
        let d = edit_signed_data(&der, |f| {
            let n = f.len();
            f.insert(n - 1, vec![0xa1, 0x00]);
        });
        assert!(structure_error(&d));
    }

    #[test]
    fn certificates_appear_once_in_der_order() {
        let der = corpus_der(OFFLINE);
        let twice = edit_signed_data(&der, |f| {
            let certs = tlv::read_only(&f[3], 0xa0).unwrap().value.to_vec();
            f[3] = wrap(0xa0, &[certs.clone(), certs].concat());
        });
        assert!(structure_error(&twice));
        let two = corpus_der(TWO_CERTS);
        let swapped = edit_signed_data(&two, |f| {
            let certs = tlv::read_only(&f[3], 0xa0).unwrap();
            let c = tlv::children(certs.value).unwrap();
            f[3] = wrap(0xa0, &[c[1].raw, c[0].raw].concat());
        });
        assert!(structure_error(&swapped));
    }

    #[test]
    fn only_the_tlog_entry_is_an_unsigned_attribute() {
        let der = corpus_der(OFFLINE);
        let tlog = unsigned_of(&der);
        assert_eq!(tlog.len(), 1);
        assert!(parse(&with_unsigned(&der, &tlog)).is_ok());
        // An RFC 3161 token (unverified by gitseal) and an arbitrary attribute, each placed in
        // DER order so that only the attribute itself is at fault.
        for oid in ["1.2.840.113549.1.9.16.2.14", "1.2.3.4", "2.5.4.3"] {
            let extra = attribute(oid, &[vec![0x05, 0x00]]);
            let mut attrs = vec![extra, tlog[0].clone()];
            attrs.sort();
            let d = with_unsigned(&der, &attrs);
            assert!(
                matches!(parse(&d), Err(CmsError::Element { .. })),
                "{oid}: {:?}",
                parse(&d)
            );
        }
        // Present but empty.
        assert!(structure_error(&with_unsigned(&der, &[])));
        // The log entry with a second value.
        let value = {
            let a = tlv::read_only(&tlog[0], 0x30).unwrap();
            let parts = tlv::children(a.value).unwrap();
            tlv::children(parts[1].value).unwrap()[0].raw.to_vec()
        };
        let twice = attribute("1.3.6.1.4.1.57264.3.1", &[value.clone(), wrap(0x04, &[])]);
        assert!(matches!(
            parse(&with_unsigned(&der, &[twice])),
            Err(CmsError::TlogAttributeCount(_))
        ));
        // The per-field attributes out of DER order.
        let pf = corpus_der(PER_FIELD);
        let mut attrs = unsigned_of(&pf);
        attrs.reverse();
        assert!(structure_error(&with_unsigned(&pf, &attrs)));
    }

    #[test]
    fn object_identifiers_are_minimal() {
        let oid = |v: &[u8]| oid_of(&tlv::read_only(&wrap(0x06, v), 0x06).unwrap());
        assert!(oid(&[0x2a, 0x86, 0x48]).is_ok());
        assert!(
            oid(&[0x2a, 0x81, 0x80, 0x01]).is_ok(),
            "0x80 inside an arc is a digit"
        );
        assert!(oid(&[0x80, 0x2a]).is_err());
        assert!(oid(&[0x2a, 0x80, 0x86, 0x48]).is_err());
        // Through the decoder: id-data with a padded arc in encapContentInfo.
        let der = corpus_der(OFFLINE);
        let d = edit_signed_data(&der, |f| {
            let padded = [
                0x06, 0x0a, 0x2a, 0x80, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
            ];
            f[2] = wrap(0x30, &padded);
        });
        assert!(structure_error(&d));
    }

    /// The signer with its single tlog attribute value replaced by `value`.
    fn with_entry_value(der: &[u8], oid: &str, value: Vec<u8>) -> Signer {
        let mut signer = parse(der).unwrap().signers.remove(0);
        let a = signer
            .unsigned_attrs
            .iter_mut()
            .find(|a| a.oid.to_string() == oid)
            .unwrap();
        a.values = vec![value];
        signer
    }

    #[test]
    fn the_protobuf_entry_must_be_canonical() {
        let der = corpus_der(OFFLINE);
        let signer = parse(&der).unwrap().signers.remove(0);
        let (entry, _) = signer.tlog_entry().unwrap().unwrap();
        let canonical = entry.to_protobuf();
        let oid = "1.3.6.1.4.1.57264.3.1";
        assert!(
            with_entry_value(&der, oid, wrap(0x04, &canonical))
                .tlog_entry()
                .is_ok()
        );
        let mut unknown_field = canonical.clone();
        unknown_field.extend_from_slice(&[0x78, 0x01]); // field 15, varint 1
        let mut with_body = canonical.clone();
        with_body.extend_from_slice(&[0x3a, 0x02, b'{', b'}']); // field 7: canonicalized_body
        assert_eq!(canonical[0], 0x08, "field 1, log_index, comes first");
        // The index of the last byte of log_index's varint.
        let end = 1 + canonical[1..].iter().position(|b| b & 0x80 == 0).unwrap();
        let mut log_index_twice = canonical.clone();
        log_index_twice.extend_from_slice(&canonical[..=end]);
        let mut padded_varint = canonical.clone();
        padded_varint[end] |= 0x80;
        padded_varint.insert(end + 1, 0x00);
        for (what, bytes) in [
            ("unknown field", unknown_field),
            ("canonicalized body", with_body),
            ("padded varint", padded_varint),
            ("repeated field", log_index_twice),
        ] {
            let s = with_entry_value(&der, oid, wrap(0x04, &bytes));
            assert!(
                LogEntry::from_protobuf(&bytes).is_ok(),
                "{what}: a protobuf decoder accepts it"
            );
            assert!(
                matches!(s.tlog_entry(), Err(CmsError::TlogEntry(_))),
                "{what}"
            );
        }
    }

    #[test]
    fn per_field_values_have_one_encoding() {
        let der = corpus_der(PER_FIELD);
        let signer = parse(&der).unwrap().signers.remove(0);
        assert!(signer.tlog_entry().is_ok());
        let value = |n: u32| {
            let oid = format!("{}{n}", oids::GITSIGN_TLOG_ARC);
            let a = signer
                .unsigned_attrs
                .iter()
                .find(|a| a.oid.to_string() == oid)
                .unwrap();
            (oid, a.values[0].clone())
        };
        let retag = |v: &[u8], tag: u8| wrap(tag, tlv::read_only(v, v[0]).unwrap().value);
        let (log_id, v) = value(1);
        let upper = wrap(
            0x13,
            tlv::read_only(&v, 0x13)
                .unwrap()
                .value
                .to_ascii_uppercase()
                .as_slice(),
        );
        let (cp, cpv) = value(4);
        let (size, sv) = value(7);
        let padded = {
            let mut b = vec![0x00];
            b.extend_from_slice(tlv::read_only(&sv, 0x02).unwrap().value);
            wrap(0x02, &b)
        };
        for (what, oid, bad) in [
            ("upper-case hex", &log_id, upper),
            ("hex as UTF8String", &log_id, retag(&v, 0x0c)),
            ("checkpoint as PrintableString", &cp, retag(&cpv, 0x13)),
            ("padded INTEGER", &size, padded),
        ] {
            let s = with_entry_value(&der, oid, bad);
            assert!(s.tlog_entry().is_err(), "{what}");
        }
    }

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

    #[test]
    fn a_timestamp_token_must_look_like_one() {
        let oid = [&[0x06, 0x09][..], oids::SIGNED_DATA.as_bytes()].concat();
        let content = [0xa0, 0x02, 0x30, 0x00];
        let seq = |body: &[u8]| [&[0x30, body.len() as u8][..], body].concat();
        assert!(is_signed_data_content_info(&seq(
            &[&oid[..], &content].concat()
        )));
        for bad in [
            vec![0x05, 0x00],
            seq(&oid),
            seq(&[&oid[..], &content, &[0x05, 0x00]].concat()),
            [seq(&[&oid[..], &content].concat()), vec![0x00]].concat(),
            seq(&[&[0x06, 0x03, 0x55, 0x04, 0x03][..], &content].concat()),
        ] {
            assert!(!is_signed_data_content_info(&bad), "{bad:?}");
        }
    }
}
