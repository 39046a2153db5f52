//! The RFC 3161 ASN.1 types gitseal reads and writes, as `der` 0.8 derives: `TimeStampReq`,
//! `MessageImprint`, `TimeStampResp`, `PKIStatusInfo`, `TSTInfo`, `Accuracy` (RFC 3161 §2.4.1,
//! §2.4.2). `crates.md` rules out `x509-tsp` (old der/cms generation); these few structures are
//! all a client needs.
//!
//! Decoding is DER only (the `der` crate's rules: minimal lengths, definite lengths, DER SET
//! order). gitsign runs a BER→DER normaliser over the reply before parsing (its
//! `timestamp.ParseResponse`); gitseal does not: every TSA Sigstore users meet (sigstore's
//! timestamp-authority, OpenSSL, the testbed) answers in DER, the token is stored as received,
//! and a BER reply is refused with a clear error rather than re-encoded (README "Timestamps").
//! `genTime` is kept as its raw `GeneralizedTime` because RFC 3161 §2.4.2 allows fractional
//! seconds, which the RFC 5280 profile of `der::asn1::GeneralizedTime` refuses; [`gen_time_unix`]
//! reads it. Pure: no I/O.

use der::asn1::{Any, Int, ObjectIdentifier, OctetString, Uint};
use der::{Sequence, Tag, Tagged as _};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extensions;

fn default_false() -> bool {
    false
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    /// The hash algorithm (gitsign: SHA-256, parameters absent).
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The hash of the timestamped data (here: of the CMS SignerInfo.signature).
    pub hashed_message: OctetString,
}

/// `TimeStampReq` (RFC 3161 §2.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    /// `v1(1)`.
    pub version: u8,
    /// What is timestamped.
    pub message_imprint: MessageImprint,
    /// `reqPolicy TSAPolicyId OPTIONAL` (gitsign: absent).
    #[asn1(optional = "true")]
    pub req_policy: Option<ObjectIdentifier>,
    /// `nonce INTEGER OPTIONAL` (gitsign: 16 random bytes, positive).
    #[asn1(optional = "true")]
    pub nonce: Option<Uint>,
    /// `certReq BOOLEAN DEFAULT FALSE` (gitsign: TRUE, so the token carries the TSA's cert).
    #[asn1(default = "default_false")]
    pub cert_req: bool,
    /// `extensions [0] IMPLICIT Extensions OPTIONAL` (gitsign: absent).
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// `PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL,
/// failInfo PKIFailureInfo OPTIONAL }`; the two optional fields are kept raw (only shown).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo {
    /// 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4 revocationWarning,
    /// 5 revocationNotification.
    pub status: Int,
    /// `PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String`.
    #[asn1(optional = "true")]
    pub status_string: Option<Vec<String>>,
    /// `PKIFailureInfo ::= BIT STRING`.
    #[asn1(optional = "true")]
    pub fail_info: Option<der::asn1::BitString>,
}

/// `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }`;
/// the token (a CMS `ContentInfo`) is kept as received.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp {
    /// The TSA's verdict.
    pub status: PkiStatusInfo,
    /// `TimeStampToken ::= ContentInfo`.
    #[asn1(optional = "true")]
    pub time_stamp_token: Option<Any>,
}

/// `Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL,
/// micros [1] INTEGER (1..999) OPTIONAL }`.
#[derive(Clone, Debug, Default, Eq, PartialEq, Sequence)]
pub struct Accuracy {
    /// Whole seconds.
    #[asn1(optional = "true")]
    pub seconds: Option<u32>,
    /// Milliseconds.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    /// Microseconds.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

impl Accuracy {
    /// The accuracy rounded up to whole seconds (what gitseal's second-precision time checks
    /// widen `genTime` by).
    pub fn ceil_seconds(&self) -> i64 {
        let sub = u64::from(self.millis.unwrap_or(0)) * 1000 + u64::from(self.micros.unwrap_or(0));
        i64::from(self.seconds.unwrap_or(0)) + i64::from(sub > 0) * (sub.div_ceil(1_000_000) as i64)
    }
}

/// `TSTInfo` (RFC 3161 §2.4.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    /// `v1(1)`.
    pub version: u8,
    /// `TSAPolicyId`.
    pub policy: ObjectIdentifier,
    /// Must equal the request's.
    pub message_imprint: MessageImprint,
    /// Up to 160 bits.
    pub serial_number: Int,
    /// `GeneralizedTime`, possibly with fractional seconds: see [`gen_time_unix`].
    pub gen_time: Any,
    /// Optional accuracy.
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    /// `ordering BOOLEAN DEFAULT FALSE`.
    #[asn1(default = "default_false")]
    pub ordering: bool,
    /// Must echo the request's nonce.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// `tsa [0] GeneralName OPTIONAL` (explicit: GeneralName is a CHOICE).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<Any>,
    /// `extensions [1] IMPLICIT Extensions OPTIONAL`.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// `genTime` as Unix seconds (fraction dropped). RFC 3161 §2.4.2: `YYYYMMDDhhmmss[.s...]Z`,
/// "Z" mandatory, the fraction without trailing zeros (and without a lone dot).
pub fn gen_time_unix(gen_time: &Any) -> Option<i64> {
    if gen_time.tag() != Tag::GeneralizedTime {
        return None;
    }
    let s = std::str::from_utf8(gen_time.value()).ok()?;
    let body = s.strip_suffix('Z')?;
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if let Some(f) = frac
        && (f.is_empty() || f.ends_with('0') || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<u16>().ok();
    let dt = der::DateTime::new(
        n(0..4)?,
        u8::try_from(n(4..6)?).ok()?,
        u8::try_from(n(6..8)?).ok()?,
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(10..12)?).ok()?,
        u8::try_from(n(12..14)?).ok()?,
    )
    .ok()?;
    i64::try_from(dt.unix_duration().as_secs()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode as _, Encode as _};

    fn gt(s: &str) -> Any {
        Any::new(Tag::GeneralizedTime, s.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn gen_time_forms() {
        assert_eq!(gen_time_unix(&gt("19700101000000Z")), Some(0));
        assert_eq!(gen_time_unix(&gt("20250101000000.5Z")), Some(1735689600));
        assert_eq!(gen_time_unix(&gt("20250101000000.123Z")), Some(1735689600));
        for bad in [
            "20250101000000",
            "20250101000000.Z",
            "20250101000000.50Z",
            "2025010100000Z",
            "20251301000000Z",
            "20250101000000+0100",
        ] {
            assert_eq!(gen_time_unix(&gt(bad)), None, "{bad}");
        }
        let utc = Any::new(Tag::UtcTime, b"250101000000Z".to_vec()).unwrap();
        assert_eq!(gen_time_unix(&utc), None);
    }

    #[test]
    fn accuracy_rounds_up() {
        let a = |s, m, u| Accuracy {
            seconds: s,
            millis: m,
            micros: u,
        };
        assert_eq!(a(None, None, None).ceil_seconds(), 0);
        assert_eq!(a(Some(2), None, None).ceil_seconds(), 2);
        assert_eq!(a(Some(1), Some(1), None).ceil_seconds(), 2);
        assert_eq!(a(None, None, Some(1)).ceil_seconds(), 1);
    }

    #[test]
    fn request_round_trips_with_cert_req_encoded() {
        let req = TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: crate::oids::SHA256,
                    parameters: None,
                },
                hashed_message: OctetString::new(vec![7; 32]).unwrap(),
            },
            req_policy: None,
            nonce: Some(Uint::new(&[0x80; 16]).unwrap()),
            cert_req: true,
            extensions: None,
        };
        let der = req.to_der().unwrap();
        assert_eq!(TimeStampReq::from_der(&der).unwrap(), req);
        // BOOLEAN TRUE at the end (DEFAULT FALSE, so present only because it is TRUE).
        assert_eq!(&der[der.len() - 3..], &[0x01, 0x01, 0xff]);
    }
}
