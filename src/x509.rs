//! Facts about X.509 certificates that Sigstore verification needs: the exact TBS bytes, the
//! CA's signature, validity, SANs, Fulcio's OIDC-issuer and workflow extensions, key usage,
//! the embedded SCT list and the RFC 6962 precertificate TBS.
//!
//! Pure parsing over DER; it decides nothing about trust (that is `verify::chain`). Fulcio's
//! claim extensions (issuer, CI claims) are read by [`claims`].

pub mod claims;

use crate::oids;
use crate::pubkey::{Hash, KeyError, PublicKey};
use crate::tlv::{self, TlvError};
use const_oid::ObjectIdentifier as Oid;
use der::Decode as _;
use sha1::Sha1;
use sha2::Digest as _;
use x509_cert::ext::pkix::name::GeneralName;

/// Why a certificate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Not DER.
    #[error("malformed certificate: {0}")]
    Der(#[from] TlvError),
    /// Typed decoding failed.
    #[error("malformed certificate: {0}")]
    Decode(String),
    /// An extension gitseal needs is malformed.
    #[error("malformed certificate extension {0}")]
    Extension(String),
    /// Fulcio's claim extensions cannot be read ([`claims::parse`]).
    #[error("malformed certificate: {0}")]
    Claims(#[from] claims::ClaimsError),
    /// A SAN or the OIDC issuer holds a control character (see [`Cert::check_identity_text`]).
    /// The value is shown `{:?}`-escaped, so the message itself is always one printable line.
    #[error("malformed certificate: {field} {value:?} contains a control character")]
    ControlCharacter {
        /// Which text: `subjectAltName` or `OIDC issuer`.
        field: &'static str,
        /// The text as the certificate has it.
        value: String,
    },
}

/// A parsed certificate that keeps its received bytes.
#[derive(Debug, Clone)]
pub struct Cert {
    /// Full DER.
    pub der: Vec<u8>,
    /// Exact TBSCertificate DER, what the issuer signed.
    pub tbs_der: Vec<u8>,
    /// signatureAlgorithm of the issuer's signature.
    pub signature_algorithm: Oid,
    /// The issuer's signature (BIT STRING contents without the unused-bits octet).
    pub signature: Vec<u8>,
    /// Issuer Name DER.
    pub issuer_der: Vec<u8>,
    /// Subject Name DER.
    pub subject_der: Vec<u8>,
    /// Serial number INTEGER contents.
    pub serial: Vec<u8>,
    /// SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// The typed certificate.
    pub parsed: x509_cert::Certificate,
    /// The subject public key, parsed on first use and kept: a trust root's CA certificate
    /// signs every leaf of a batch, and its key is parsed once, not once per leaf.
    key: std::sync::OnceLock<Result<PublicKey, KeyError>>,
}

/// A subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// otherName 1.3.6.1.4.1.57264.1.7 (UTF8String).
    OtherName(String),
    /// dNSName.
    Dns(String),
}

impl San {
    /// The value as text.
    pub fn value(&self) -> &str {
        match self {
            Self::Email(s) | Self::Uri(s) | Self::OtherName(s) | Self::Dns(s) => s,
        }
    }
}

/// One Signed Certificate Timestamp (RFC 6962 §3.2), v1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the CT log key SPKI.
    pub log_id: [u8; 32],
    /// Milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// CtExtensions.
    pub extensions: Vec<u8>,
    /// TLS HashAlgorithm (4 = sha256).
    pub hash_algorithm: u8,
    /// TLS SignatureAlgorithm (3 = ecdsa).
    pub signature_algorithm: u8,
    /// DER signature.
    pub signature: Vec<u8>,
}

fn decode_err(e: impl std::fmt::Display) -> CertError {
    CertError::Decode(e.to_string())
}

impl Cert {
    /// Parses DER.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let parsed = x509_cert::Certificate::from_der(der).map_err(decode_err)?;
        let outer = tlv::read_only(der, 0x30)?;
        let parts = tlv::children(outer.value)?;
        let [tbs, alg, sig] = parts.as_slice() else {
            return Err(CertError::Decode(
                "certificate must have three fields".into(),
            ));
        };
        let alg_parts = tlv::children(alg.value)?;
        let signature_algorithm = alg_parts
            .first()
            .filter(|t| t.tag == 0x06)
            .and_then(|t| Oid::from_bytes(t.value).ok())
            .ok_or_else(|| CertError::Decode("bad signature algorithm".into()))?;
        let signature = match sig.value.split_first() {
            Some((0, rest)) if sig.tag == 0x03 => rest.to_vec(),
            _ => return Err(CertError::Decode("bad signature BIT STRING".into())),
        };
        let mut fields = tlv::children(tbs.value)?.into_iter();
        let mut next = || {
            fields
                .next()
                .ok_or_else(|| CertError::Decode("TBSCertificate is truncated".into()))
        };
        let mut serial = next()?;
        if serial.tag == 0xa0 {
            serial = next()?;
        }
        let _sig_alg = next()?;
        let issuer = next()?;
        let _validity = next()?;
        let subject = next()?;
        let spki = next()?;
        let validity = parsed.tbs_certificate().validity();
        let secs = |t: &x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs());
        Ok(Self {
            der: der.to_vec(),
            tbs_der: tbs.raw.to_vec(),
            signature_algorithm,
            signature,
            issuer_der: issuer.raw.to_vec(),
            subject_der: subject.raw.to_vec(),
            serial: serial.value.to_vec(),
            spki_der: spki.raw.to_vec(),
            not_before: secs(&validity.not_before).map_err(decode_err)?,
            not_after: secs(&validity.not_after).map_err(decode_err)?,
            parsed,
            key: std::sync::OnceLock::new(),
        })
    }

    /// Lower-hex SHA-1 of the DER: gitsign's key id and fingerprint (compat §1.5).
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha1::digest(&self.der))
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<&PublicKey, KeyError> {
        self.key
            .get_or_init(|| PublicKey::from_spki_der(&self.spki_der))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Checks that `issuer`'s key signed this certificate's TBS.
    pub fn verify_signed_by(&self, issuer: &Cert) -> Result<(), KeyError> {
        let hash = Hash::for_ecdsa_algorithm(self.signature_algorithm)
            .ok_or_else(|| KeyError::Unsupported(self.signature_algorithm.to_string()))?;
        issuer
            .public_key()?
            .verify(hash, &self.tbs_der, &self.signature)
    }

    /// Whether the validity period contains `t` (RFC 5280 §4.1.2.5: inclusive).
    pub fn valid_at(&self, t: i64) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// Whether subject and issuer are the same name (self-issued).
    pub fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// Extensions with the given OID: (critical, extnValue contents).
    pub fn extensions(&self, oid: Oid) -> Vec<(bool, &[u8])> {
        self.parsed
            .tbs_certificate()
            .extensions()
            .map(|exts| {
                exts.iter()
                    .filter(|e| e.extn_id == oid)
                    .map(|e| (e.critical, e.extn_value.as_bytes()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn single_extension(&self, oid: Oid) -> Result<Option<(bool, &[u8])>, CertError> {
        let found = self.extensions(oid);
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(CertError::Extension(format!("{oid} appears twice"))),
        }
    }

    /// Subject alternative names, in certificate order.
    pub fn sans(&self) -> Result<Vec<San>, CertError> {
        let Some((_, value)) = self.single_extension(oids::SUBJECT_ALT_NAME)? else {
            return Ok(Vec::new());
        };
        let names = x509_cert::ext::pkix::SubjectAltName::from_der(value)
            .map_err(|_| CertError::Extension("subjectAltName".into()))?;
        let mut out = Vec::new();
        for name in names.0 {
            match name {
                GeneralName::Rfc822Name(s) => out.push(San::Email(s.to_string())),
                GeneralName::UniformResourceIdentifier(s) => out.push(San::Uri(s.to_string())),
                GeneralName::DnsName(s) => out.push(San::Dns(s.to_string())),
                GeneralName::OtherName(o) if o.type_id == oids::FULCIO_OTHERNAME_SAN => {
                    // [0] EXPLICIT UTF8String inside the OtherName value.
                    let text = o
                        .value
                        .decode_as::<der::asn1::Utf8StringRef<'_>>()
                        .map(|s| s.to_string())
                        .or_else(|_| {
                            tlv::read_only(o.value.value(), 0x0c)
                                .map_err(|_| ())
                                .and_then(|t| String::from_utf8(t.value.to_vec()).map_err(|_| ()))
                        })
                        .map_err(|_| CertError::Extension("otherName SAN".into()))?;
                    out.push(San::OtherName(text));
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Refuses identity text no CA should certify: a SAN value or OIDC issuer containing a
    /// control character (C0, DEL or C1, [`char::is_control`]), and SAN or claim extensions
    /// that cannot be read (an issuer that is not UTF-8, two issuer extensions that disagree,
    /// a CI claim that is not a DER UTF8String: sigstore-go fails such a certificate too).
    ///
    /// No well-formed value contains one: an rfc822Name is an RFC 5321 §4.1.2 Mailbox, a URI
    /// (SAN or issuer) is RFC 3986 text where controls must be percent-encoded, a dNSName is
    /// RFC 1034 §3.5 preferred syntax (RFC 5280 §4.2.1.6), and Fulcio's otherName is a
    /// `user!domain` username. This text reaches git's status lines, pre-receive output and
    /// terminals, where a newline forges a line and a NUL hides the rest (issue 11), so a leaf
    /// carrying it is malformed rather than merely untrusted.
    pub fn check_identity_text(&self) -> Result<(), CertError> {
        let refuse = |field, value: &str| {
            if value.chars().any(char::is_control) {
                Err(CertError::ControlCharacter {
                    field,
                    value: value.to_string(),
                })
            } else {
                Ok(())
            }
        };
        for san in self.sans()? {
            refuse("subjectAltName", san.value())?;
        }
        if let Some(issuer) = self.oidc_issuer()? {
            refuse("OIDC issuer", &issuer)?;
        }
        Ok(())
    }

    /// The identity a Sigstore policy matches: the first URI SAN, else the first email, else
    /// the first otherName (sigstore-go `SummarizeCertificate` order, compat §4.4).
    pub fn sigstore_identity(&self) -> Result<Option<San>, CertError> {
        let sans = self.sans()?;
        let pick = |f: fn(&San) -> bool| sans.iter().find(|s| f(s)).cloned();
        Ok(pick(|s| matches!(s, San::Uri(_)))
            .or_else(|| pick(|s| matches!(s, San::Email(_))))
            .or_else(|| pick(|s| matches!(s, San::OtherName(_)))))
    }

    /// Every Fulcio claim the certificate carries, issuer included ([`claims::parse`]: both
    /// encodings, sigstore-go's rules). An unreadable claim extension is an error.
    pub fn claims(&self) -> Result<claims::Claims, CertError> {
        let exts = self
            .parsed
            .tbs_certificate()
            .extensions()
            .map(|e| e.as_slice())
            .unwrap_or_default();
        Ok(claims::parse(
            exts.iter().map(|e| (e.extn_id, e.extn_value.as_bytes())),
        )?)
    }

    /// The OIDC issuer: extension .1.8 (DER) when present, else .1.1 (raw). When both are
    /// present they must agree; a certificate that says two things is malformed. Any other
    /// unreadable claim extension is an error too ([`Cert::claims`]).
    pub fn oidc_issuer(&self) -> Result<Option<String>, CertError> {
        Ok(self.claims()?.issuer)
    }

    /// Whether extKeyUsage contains codeSigning.
    pub fn has_code_signing_eku(&self) -> Result<bool, CertError> {
        let Some((_, value)) = self.single_extension(oids::EXT_KEY_USAGE)? else {
            return Ok(false);
        };
        let eku = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(value)
            .map_err(|_| CertError::Extension("extKeyUsage".into()))?;
        Ok(eku.0.contains(&oids::KP_CODE_SIGNING))
    }

    /// Whether keyUsage is absent or includes digitalSignature.
    pub fn allows_digital_signature(&self) -> Result<bool, CertError> {
        let Some((_, value)) = self.single_extension(oids::KEY_USAGE)? else {
            return Ok(true);
        };
        let ku = x509_cert::ext::pkix::KeyUsage::from_der(value)
            .map_err(|_| CertError::Extension("keyUsage".into()))?;
        Ok(ku.digital_signature())
    }

    /// Whether basicConstraints marks this a CA.
    pub fn is_ca(&self) -> Result<bool, CertError> {
        let Some((_, value)) = self.single_extension(oids::BASIC_CONSTRAINTS)? else {
            return Ok(false);
        };
        let bc = x509_cert::ext::pkix::BasicConstraints::from_der(value)
            .map_err(|_| CertError::Extension("basicConstraints".into()))?;
        Ok(bc.ca)
    }

    /// Embedded SCTs (RFC 6962 §3.3), decoded from the TLS-encoded list.
    pub fn embedded_scts(&self) -> Result<Vec<Sct>, CertError> {
        let Some((_, value)) = self.single_extension(oids::CT_SCT_LIST)? else {
            return Ok(Vec::new());
        };
        let inner =
            tlv::read_only(value, 0x04).map_err(|_| CertError::Extension("SCT list".into()))?;
        parse_sct_list(inner.value).ok_or_else(|| CertError::Extension("SCT list".into()))
    }

    /// The TBS with the SCT-list extension removed and re-encoded: what the CT log signed
    /// (RFC 6962 §3.2 `PreCert.tbs_certificate`).
    pub fn precert_tbs(&self) -> Result<Vec<u8>, CertError> {
        let tbs = tlv::read_only(&self.tbs_der, 0x30)?;
        let mut body = Vec::with_capacity(tbs.value.len());
        for field in tlv::children(tbs.value)? {
            if field.tag != 0xa3 {
                body.extend_from_slice(field.raw);
                continue;
            }
            let seq = tlv::read_only(field.value, 0x30)?;
            let mut exts = Vec::new();
            for ext in tlv::children(seq.value)? {
                let first = tlv::children(ext.value)?.into_iter().next();
                let is_sct = first
                    .filter(|t| t.tag == 0x06)
                    .and_then(|t| Oid::from_bytes(t.value).ok())
                    == Some(oids::CT_SCT_LIST);
                if !is_sct {
                    exts.extend_from_slice(ext.raw);
                }
            }
            let mut seq_enc = tlv::header(0x30, exts.len());
            seq_enc.extend(exts);
            body.extend(tlv::header(0xa3, seq_enc.len()));
            body.extend(seq_enc);
        }
        let mut out = tlv::header(0x30, body.len());
        out.extend(body);
        Ok(out)
    }
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if buf.len() < n {
        return None;
    }
    let (a, b) = buf.split_at(n);
    *buf = b;
    Some(a)
}

fn take_u16_prefixed<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = take(buf, 2)?;
    take(buf, u16::from_be_bytes([len[0], len[1]]) as usize)
}

/// Parses a TLS `SignedCertificateTimestampList` (RFC 6962 §3.3). `None` on any malformation.
pub fn parse_sct_list(list: &[u8]) -> Option<Vec<Sct>> {
    let mut outer = list;
    let mut items = take_u16_prefixed(&mut outer)?;
    if !outer.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    while !items.is_empty() {
        let mut sct = take_u16_prefixed(&mut items)?;
        if take(&mut sct, 1)? != [0] {
            return None; // only v1 exists
        }
        let log_id = <[u8; 32]>::try_from(take(&mut sct, 32)?).ok()?;
        let ts = take(&mut sct, 8)?;
        let timestamp_ms = u64::from_be_bytes(ts.try_into().ok()?);
        let extensions = take_u16_prefixed(&mut sct)?.to_vec();
        let algs = take(&mut sct, 2)?;
        let signature = take_u16_prefixed(&mut sct)?.to_vec();
        if !sct.is_empty() {
            return None;
        }
        out.push(Sct {
            log_id,
            timestamp_ms,
            extensions,
            hash_algorithm: algs[0],
            signature_algorithm: algs[1],
            signature,
        });
    }
    Some(out)
}

/// The bytes an SCT signs for a precertificate entry (RFC 6962 §3.2 `digitally-signed`
/// struct): version, signature_type=certificate_timestamp, timestamp, entry_type=precert_entry,
/// issuer_key_hash, 24-bit-length TBS, 16-bit-length extensions.
pub fn sct_signed_data(sct: &Sct, issuer_key_hash: &[u8; 32], precert_tbs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(precert_tbs.len() + 64);
    out.push(0); // v1
    out.push(0); // certificate_timestamp
    out.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
    out.extend_from_slice(issuer_key_hash);
    let len = precert_tbs.len() as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(precert_tbs);
    out.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
    out.extend_from_slice(&sct.extensions);
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The CMS (DER) and leaf of a real gitsign offline-mode signature (gitsign's e2e vector).
    pub(crate) fn real_signature() -> (Vec<u8>, Cert) {
        let raw = crate::cms::encode::tests::shared_vector("internal_e2e_testdata_offline.commit");
        let split =
            crate::git::object::split_commit(&raw, crate::git::object::HashKind::Sha1).unwrap();
        let der = crate::armor::decode(&split.signature).unwrap();
        let cms = crate::cms::decode::parse(&der).unwrap();
        let leaf = cms
            .certificates
            .iter()
            .map(|c| Cert::from_der(c).unwrap())
            .find(|c| !c.is_ca().unwrap_or(true))
            .unwrap();
        (der, leaf)
    }

    /// `der` with every occurrence of `from` replaced by `to` (same length, so every DER
    /// length stays right; signatures break, which text checks do not look at).
    pub(crate) fn patch(der: &[u8], from: &str, to: &str) -> Vec<u8> {
        assert_eq!(from.len(), to.len());
        let (from, to) = (from.as_bytes(), to.as_bytes());
        let mut out = der.to_vec();
        let mut found = 0;
        let mut i = 0;
        while i + from.len() <= out.len() {
            if &out[i..i + from.len()] == from {
                out[i..i + from.len()].copy_from_slice(to);
                found += 1;
                i += from.len();
            } else {
                i += 1;
            }
        }
        assert!(found > 0, "{from:?} not found");
        out
    }

    /// Same length as `s`, with a newline, a NUL and an escape in it.
    pub(crate) fn hostile(s: &str) -> String {
        let mut b = s.as_bytes().to_vec();
        assert!(b.len() >= 6, "{s}");
        b[1] = b'\n';
        b[3] = 0;
        b[5] = 0x1b;
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn identity_text_with_control_characters_is_refused() {
        let (_, leaf) = real_signature();
        // Control: a real Fulcio leaf passes.
        leaf.check_identity_text().unwrap();
        let san = leaf.sans().unwrap()[0].value().to_string();
        let issuer = leaf.oidc_issuer().unwrap().unwrap();

        let bad_san = Cert::from_der(&patch(&leaf.der, &san, &hostile(&san))).unwrap();
        match bad_san.check_identity_text() {
            Err(e @ CertError::ControlCharacter { field, .. }) => {
                assert_eq!(field, "subjectAltName");
                // The message escapes what it quotes.
                assert!(!e.to_string().contains(['\n', '\0', '\x1b']), "{e}");
            }
            other => panic!("{other:?}"),
        }
        // The raw text stays readable for the rejection's summary.
        assert_eq!(bad_san.sans().unwrap()[0].value(), hostile(&san));

        // Both issuer extensions (.1.1 raw, .1.8 UTF8String) carry the same text.
        let bad_issuer = Cert::from_der(&patch(&leaf.der, &issuer, &hostile(&issuer))).unwrap();
        assert!(matches!(
            bad_issuer.check_identity_text(),
            Err(CertError::ControlCharacter {
                field: "OIDC issuer",
                ..
            })
        ));

        // DEL and a C1 control are refused as well; printable Unicode is not.
        for (s, refused) in [
            ("a\x7fb", true),
            ("a\u{85}b", true),
            ("名前@例え.jp", false),
        ] {
            assert_eq!(s.chars().any(char::is_control), refused, "{s:?}");
        }
    }

    #[test]
    fn unreadable_issuer_text_is_refused() {
        let (_, leaf) = real_signature();
        let issuer = leaf.oidc_issuer().unwrap().unwrap();
        // Invalid UTF-8 in the issuer: not a string at all.
        let mut der = leaf.der.clone();
        let at = der
            .windows(issuer.len())
            .position(|w| w == issuer.as_bytes())
            .unwrap();
        der[at] = 0xff;
        let cert = Cert::from_der(&der).unwrap();
        assert!(matches!(
            cert.check_identity_text(),
            Err(CertError::Claims(claims::ClaimsError::NotText { .. }))
        ));
    }

    /// A claim extension that is not a DER UTF8String makes the certificate malformed (as
    /// sigstore-go's `ParseExtensions` fails it), even where the other issuer extension holds.
    #[test]
    fn a_malformed_claim_extension_is_refused() {
        let (_, leaf) = real_signature();
        let issuer = leaf.oidc_issuer().unwrap().unwrap();
        leaf.claims().unwrap();
        // The .1.8 issuer's UTF8String (tag 0x0c) retagged PrintableString (0x13).
        let mut utf8 = vec![0x0c, u8::try_from(issuer.len()).unwrap()];
        utf8.extend_from_slice(issuer.as_bytes());
        let at = leaf
            .der
            .windows(utf8.len())
            .position(|w| w == utf8.as_slice())
            .unwrap();
        let mut der = leaf.der.clone();
        der[at] = 0x13;
        let cert = Cert::from_der(&der).unwrap();
        assert!(matches!(
            cert.check_identity_text(),
            Err(CertError::Claims(claims::ClaimsError::NotUtf8String { .. }))
        ));
        assert!(cert.claims().is_err());
        assert!(cert.oidc_issuer().is_err());
    }
}
