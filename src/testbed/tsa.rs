//! The testbed's RFC 3161 timestamp authority, at sigstore timestamp-authority's paths:
//! `POST /api/v1/timestamp` (`application/timestamp-query` → `application/timestamp-reply`) and
//! `GET /api/v1/timestamp/certchain` (the chain as PEM, leaf first).
//!
//! Owns the TSA's keys and certificates (a P-384 root and a P-256 signing certificate whose only
//! extended key usage is a critical `timeStamping`, RFC 3161 §2.3; made once per testbed
//! directory, listed in the trusted root's `timestampAuthorities`), and the token it issues: a
//! CMS `SignedData` (RFC 5652) over a DER `TSTInfo` (RFC 3161 §2.4.2), signed attributes
//! `contentType`, `messageDigest` and ESS `signingCertificateV2` (RFC 5816, which `openssl ts
//! -verify` requires), `genTime` in whole seconds, the request's nonce echoed, the signing
//! certificate included when `certReq` is TRUE.
//!
//! The DER is written here by hand from the RFCs rather than with gitseal's `tsa` types, so that
//! the client and verifier are tested against an independent encoder (and `openssl ts` checks
//! this one). Faults (`faults.rs`): wrong imprint, wrong nonce, PKIStatus 1 or 2, a token from
//! an unknown TSA (a second, untrusted chain made at start), a genTime an hour late, an ESS
//! attribute naming another certificate.

use std::str::FromStr;
use std::time::Duration;

use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{OctetString, Uint};
use der::{Decode, Encode, Sequence};
use p256::ecdsa::signature::Signer as _;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use super::TestbedError;
use super::crypto;
// Only the TLV framing is shared; each structure is written here from the RFCs (above).
use super::faults::Fault;
use super::fulcio::{CertSpec, ca_extensions, der_err, ext, random_serial, ski_of, time_at};
use super::http::{Request, Response};
use super::store::Store;
use crate::tlv::encode as tlv;

/// The TSA's RFC 3161 endpoint path (sigstore timestamp-authority's).
pub const TIMESTAMP_PATH: &str = "/api/v1/timestamp";
/// Where the chain is served as PEM.
pub const CERTCHAIN_PATH: &str = "/api/v1/timestamp/certchain";
/// Subject of the TSA root.
pub const ROOT_SUBJECT: &str = "CN=gitseal-testbed-tsa-root,O=gitseal-testbed";
/// Subject of the TSA signing certificate.
pub const LEAF_SUBJECT: &str = "CN=gitseal-testbed-tsa,O=gitseal-testbed";
/// Organization and common name of the root, for the trusted root's `subject`.
pub const ROOT_COMMON_NAME: &str = "gitseal-testbed-tsa-root";

const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// RFC 5035 `id-aa-signingCertificateV2`.
const OID_SIGNING_CERT_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// RFC 5280 `id-kp-timeStamping`.
const OID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// The TSA policy: OpenSSL's example `tsa_policy1` (openssl.cnf), nothing more meaningful.
const POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.3.4.1");

/// The request as RFC 3161 §2.4.1 defines it (decoded independently of `crate::tsa`).
#[derive(Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    req_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    nonce: Option<der::asn1::Int>,
    #[asn1(optional = "true")]
    cert_req: Option<bool>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<x509_cert::ext::Extensions>,
}

#[derive(Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// One signing identity: key, its certificate, and the chain above it.
struct Signer {
    key: p256::ecdsa::SigningKey,
    leaf: Certificate,
    leaf_der: Vec<u8>,
    root_der: Vec<u8>,
}

/// The TSA.
pub struct Tsa {
    trusted: Signer,
    /// Same profile, different root: not in any trust root (`unknownTsa`).
    rogue: Signer,
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn der_of<T: Encode>(v: &T) -> Result<Vec<u8>, TestbedError> {
    v.to_der().map_err(der_err)
}

/// `AlgorithmIdentifier` with parameters absent (RFC 5754 §2, RFC 5758 §3.2).
fn alg(oid: ObjectIdentifier) -> Result<Vec<u8>, TestbedError> {
    Ok(seq(&[&der_of(&oid)?]))
}

fn make_chain(
    root_key: &p384::ecdsa::SigningKey,
    leaf_key: &p256::ecdsa::SigningKey,
    created_at: u64,
    root_subject: &str,
    leaf_subject: &str,
) -> Result<(Vec<u8>, Vec<u8>), TestbedError> {
    let validity = Validity::new(
        time_at(created_at.saturating_sub(86_400))?,
        time_at(created_at + 10 * 365 * 86_400)?,
    );
    let root_name = Name::from_str(root_subject).map_err(der_err)?;
    let leaf_name = Name::from_str(leaf_subject).map_err(der_err)?;
    let root_spki =
        SubjectPublicKeyInfoOwned::from_key(root_key.verifying_key()).map_err(der_err)?;
    let leaf_spki =
        SubjectPublicKeyInfoOwned::from_key(leaf_key.verifying_key()).map_err(der_err)?;
    let root_ski = ski_of(&root_spki);
    let build = |subject: &Name,
                 spki: &SubjectPublicKeyInfoOwned,
                 exts: Vec<x509_cert::ext::Extension>|
     -> Result<Certificate, TestbedError> {
        CertSpec {
            subject: subject.clone(),
            issuer: root_name.clone(),
            serial: random_serial()?,
            validity,
            spki: spki.clone(),
            exts: &exts,
        }
        .sign(root_key)
    };
    let root = build(
        &root_name,
        &root_spki,
        ca_extensions(&root_ski, 0)?.to_vec(),
    )?;
    let leaf = build(
        &leaf_name,
        &leaf_spki,
        vec![
            ext(
                KeyUsage::OID,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            )?,
            // RFC 3161 §2.3: exactly timeStamping, critical.
            ext(
                ExtendedKeyUsage::OID,
                true,
                &ExtendedKeyUsage(vec![OID_KP_TIME_STAMPING]),
            )?,
            ext(
                SubjectKeyIdentifier::OID,
                false,
                &SubjectKeyIdentifier(OctetString::new(ski_of(&leaf_spki)).map_err(der_err)?),
            )?,
            ext(
                AuthorityKeyIdentifier::OID,
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(root_ski).map_err(der_err)?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?,
        ],
    )?;
    Ok((der_of(&leaf)?, der_of(&root)?))
}

impl Signer {
    fn new(
        key: p256::ecdsa::SigningKey,
        leaf_der: Vec<u8>,
        root_der: Vec<u8>,
    ) -> Result<Signer, TestbedError> {
        Ok(Signer {
            key,
            leaf: Certificate::from_der(&leaf_der).map_err(der_err)?,
            leaf_der,
            root_der,
        })
    }
}

/// What the reply carries, after faults.
struct Issue<'a> {
    status: u8,
    imprint: Vec<u8>,
    hashed_message: Vec<u8>,
    nonce: Option<Vec<u8>>,
    cert_req: bool,
    gen_time: u64,
    signer: &'a Signer,
    wrong_ess: bool,
}

impl Tsa {
    /// Loads the TSA's keys and chain from the testbed directory, or makes them; the rogue chain
    /// is made fresh each start.
    pub fn load_or_create(store: &Store, created_at: u64) -> Result<Tsa, TestbedError> {
        let (root_key, root_new) = store.p384_key("tsa-root")?;
        let (leaf_key, leaf_new) = store.p256_key("tsa")?;
        let (leaf_der, root_der) = match store.read_optional("tsa-chain.pem")? {
            Some(pem) if !root_new && !leaf_new => {
                let blocks = crate::armor::blocks(pem.as_bytes(), "CERTIFICATE");
                match <[Vec<u8>; 2]>::try_from(blocks) {
                    Ok([l, r]) => (l, r),
                    Err(_) => {
                        return Err(TestbedError::State(
                            "tsa-chain.pem must hold the leaf and the root".into(),
                        ));
                    }
                }
            }
            _ => {
                let (l, r) =
                    make_chain(&root_key, &leaf_key, created_at, ROOT_SUBJECT, LEAF_SUBJECT)?;
                let pem = format!(
                    "{}{}",
                    crate::armor::pem("CERTIFICATE", &l),
                    crate::armor::pem("CERTIFICATE", &r)
                );
                store.write("tsa-chain.pem", pem.as_bytes())?;
                (l, r)
            }
        };
        let rogue_root = crypto::new_p384()?;
        let rogue_key = crypto::new_p256()?;
        let (rl, rr) = make_chain(
            &rogue_root,
            &rogue_key,
            created_at,
            "CN=unknown-tsa-root,O=elsewhere",
            "CN=unknown-tsa,O=elsewhere",
        )?;
        Ok(Tsa {
            trusted: Signer::new(leaf_key, leaf_der, root_der)?,
            rogue: Signer::new(rogue_key, rl, rr)?,
        })
    }

    /// The signing certificate (DER).
    pub fn leaf_der(&self) -> &[u8] {
        &self.trusted.leaf_der
    }

    /// The root (DER).
    pub fn root_der(&self) -> &[u8] {
        &self.trusted.root_der
    }

    /// The chain as PEM, leaf first (what `GET /api/v1/timestamp/certchain` serves).
    pub fn chain_pem(&self) -> String {
        format!(
            "{}{}",
            crate::armor::pem("CERTIFICATE", &self.trusted.leaf_der),
            crate::armor::pem("CERTIFICATE", &self.trusted.root_der)
        )
    }

    /// `GET /api/v1/timestamp/certchain`.
    pub fn certchain_response(&self) -> Response {
        Response::new(200, "application/pem-certificate-chain", self.chain_pem())
    }

    /// `POST /api/v1/timestamp`.
    pub fn timestamp(&self, req: &Request, faults: &[Fault]) -> Result<Response, TestbedError> {
        let media = req
            .header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media != "application/timestamp-query" {
            return Ok(Response::rekor_error(
                400,
                "Content-Type must be application/timestamp-query",
            ));
        }
        let Ok(q) = TimeStampReq::from_der(&req.body) else {
            return Ok(reply(&rejection(2, "badDataFormat")?));
        };
        let _ = (&q.req_policy, &q.extensions);
        if q.version != 1
            || q.message_imprint.hash_algorithm.oid != OID_SHA256
            || q.message_imprint.hashed_message.as_bytes().len() != 32
        {
            return Ok(reply(&rejection(2, "badAlg")?));
        }
        let now = crypto::now_unix();
        let mut issue = Issue {
            status: 0,
            imprint: der_of(&q.message_imprint.hash_algorithm)?,
            hashed_message: q.message_imprint.hashed_message.as_bytes().to_vec(),
            nonce: q.nonce.as_ref().map(der_of).transpose()?,
            cert_req: q.cert_req.unwrap_or(false),
            gen_time: now,
            signer: &self.trusted,
            wrong_ess: false,
        };
        for f in faults {
            match f {
                Fault::TsaWrongImprint => issue.hashed_message[0] ^= 0x01,
                Fault::TsaWrongNonce => {
                    issue.nonce = Some(der_of(
                        &Uint::new(&crypto::random_bytes(16)?).map_err(der_err)?,
                    )?)
                }
                Fault::TsaGrantedWithMods => issue.status = 1,
                Fault::TsaRejection => {
                    return Ok(reply(&rejection(2, "rejected by the gitseal testbed")?));
                }
                Fault::TsaUnknown => issue.signer = &self.rogue,
                Fault::TsaLateGenTime => issue.gen_time = now + 3600,
                Fault::TsaWrongSigningCertificate => issue.wrong_ess = true,
                _ => {}
            }
        }
        let token = self.token(&issue)?;
        let status = seq(&[&tlv(0x02, &[issue.status])]);
        Ok(reply(&seq(&[&status, &token])))
    }

    fn token(&self, i: &Issue<'_>) -> Result<Vec<u8>, TestbedError> {
        let s = i.signer;
        let gen_time =
            der::DateTime::from_unix_duration(Duration::from_secs(i.gen_time)).map_err(der_err)?;
        let gen_time = der_of(&der::asn1::GeneralizedTime::from_date_time(gen_time))?;
        let mut serial = crypto::random_bytes(16)?;
        serial[0] &= 0x7f;
        serial[0] |= 0x01;
        let imprint = seq(&[&i.imprint, &tlv(0x04, &i.hashed_message)]);
        let mut fields: Vec<Vec<u8>> = vec![
            tlv(0x02, &[1]),
            der_of(&POLICY)?,
            imprint,
            tlv(0x02, &serial),
            gen_time,
        ];
        if let Some(n) = &i.nonce {
            fields.push(n.clone());
        }
        let tst_info = tlv(0x30, &fields.concat());

        // Signed attributes, DER SET OF order (X.690 §11.6).
        let attr = |oid: ObjectIdentifier, value: Vec<u8>| -> Result<Vec<u8>, TestbedError> {
            Ok(seq(&[&der_of(&oid)?, &tlv(0x31, &value)]))
        };
        let cert_hash = if i.wrong_ess {
            Sha256::digest(&s.root_der)
        } else {
            Sha256::digest(&s.leaf_der)
        };
        // SigningCertificateV2 { certs { ESSCertIDv2 { certHash } } } (hashAlgorithm DEFAULT sha256).
        let ess = seq(&[&seq(&[&seq(&[&tlv(0x04, &cert_hash)])])]);
        let mut attrs = [
            attr(OID_CONTENT_TYPE, der_of(&OID_TST_INFO)?)?,
            attr(OID_MESSAGE_DIGEST, tlv(0x04, &Sha256::digest(&tst_info)))?,
            attr(OID_SIGNING_CERT_V2, ess)?,
        ];
        attrs.sort();
        let attrs = attrs.concat();
        let sig: p256::ecdsa::Signature = s.key.sign(&tlv(0x31, &attrs));
        let tbs = s.leaf.tbs_certificate();
        let sid = seq(&[&der_of(tbs.issuer())?, &der_of(tbs.serial_number())?]);
        let signer_info = seq(&[
            &tlv(0x02, &[1]),
            &sid,
            &alg(OID_SHA256)?,
            &tlv(0xa0, &attrs),
            &alg(OID_ECDSA_SHA256)?,
            &tlv(0x04, sig.to_der().as_bytes()),
        ]);
        let econtent = seq(&[&der_of(&OID_TST_INFO)?, &tlv(0xa0, &tlv(0x04, &tst_info))]);
        let mut sd: Vec<Vec<u8>> = vec![tlv(0x02, &[3]), tlv(0x31, &alg(OID_SHA256)?), econtent];
        if i.cert_req {
            sd.push(tlv(0xa0, &s.leaf_der));
        }
        sd.push(tlv(0x31, &signer_info));
        let signed_data = tlv(0x30, &sd.concat());
        Ok(seq(&[&der_of(&OID_SIGNED_DATA)?, &tlv(0xa0, &signed_data)]))
    }
}

/// A `TimeStampResp` without a token: `status`, a statusString.
fn rejection(status: u8, text: &str) -> Result<Vec<u8>, TestbedError> {
    let text = tlv(0x0c, text.as_bytes());
    Ok(seq(&[&seq(&[&tlv(0x02, &[status]), &seq(&[&text])])]))
}

fn reply(body: &[u8]) -> Response {
    Response::new(200, "application/timestamp-reply", body.to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::trust::{CertificateAuthority, TrustRoot, Validity};
    use crate::tsa::client::{TsaError, parse_response, request_with_nonce};
    use crate::tsa::token::verify_token;
    use crate::verify::reason::Reason;
    use crate::x509::Cert;

    struct Fixture {
        dir: std::path::PathBuf,
        tsa: Tsa,
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn fixture() -> Fixture {
        let dir = std::env::temp_dir().join(format!(
            "gitseal-tsa-{}-{}",
            std::process::id(),
            hex::encode(crypto::random_bytes(6).unwrap())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir).unwrap();
        let tsa = Tsa::load_or_create(&store, crypto::now_unix()).unwrap();
        Fixture { dir, tsa }
    }

    fn trust(tsa: &Tsa) -> TrustRoot {
        TrustRoot {
            timestamp_authorities: vec![CertificateAuthority {
                uri: "http://127.0.0.1/api/v1/timestamp".into(),
                chain: vec![
                    Cert::from_der(tsa.leaf_der()).unwrap(),
                    Cert::from_der(tsa.root_der()).unwrap(),
                ],
                valid_for: Validity::default(),
            }],
            ..TrustRoot::default()
        }
    }

    fn http(body: Vec<u8>) -> Request {
        Request {
            method: "POST".into(),
            path: TIMESTAMP_PATH.into(),
            query: vec![],
            headers: vec![("content-type".into(), "application/timestamp-query".into())],
            body,
        }
    }

    /// Asks the TSA (with `faults`) to timestamp `sig`; the reply after the client's checks.
    fn ask(tsa: &Tsa, sig: &[u8], faults: &[Fault]) -> Result<Vec<u8>, TsaError> {
        let req = request_with_nonce(sig, &[0x9c; 16]).unwrap();
        let resp = tsa.timestamp(&http(req.der.clone()), faults).unwrap();
        assert_eq!(resp.status, 200);
        parse_response(&resp.body, &req)
    }

    #[test]
    fn a_granted_token_verifies_and_every_fault_is_caught() {
        let f = fixture();
        let sig = b"the CMS signature value";
        let token = ask(&f.tsa, sig, &[]).unwrap();
        let v = verify_token(&token, sig, &trust(&f.tsa)).unwrap();
        assert!((v.gen_time - crypto::now_unix() as i64).abs() < 60);
        assert!(v.tsa_subject.contains("gitseal-testbed-tsa"), "{v:?}");
        assert_eq!(v.policy, "1.2.3.4.1");

        // The token is for this signature only.
        let (r, d) = verify_token(&token, b"another signature", &trust(&f.tsa)).unwrap_err();
        assert_eq!(r, Reason::TimestampInvalid);
        assert!(d.contains("imprint"), "{d}");
        // No TSA in the trust root.
        let (r, d) = verify_token(&token, sig, &TrustRoot::default()).unwrap_err();
        assert_eq!(r, Reason::TimestampInvalid);
        assert!(d.contains("not a timestamp authority"), "{d}");
        // A TSA not valid at genTime.
        let mut t = trust(&f.tsa);
        t.timestamp_authorities[0].valid_for = Validity {
            start: Some(0),
            end: Some(1),
        };
        assert!(
            verify_token(&token, sig, &t)
                .unwrap_err()
                .1
                .contains("not valid at genTime")
        );
        // Any flipped byte of the token fails: signed bytes by the signature, unsigned ones
        // (versions, digestAlgorithms, the certificate copy) by the one-form rules.
        for i in 0..token.len() {
            let mut bad = token.clone();
            bad[i] ^= 0x04;
            assert!(
                verify_token(&bad, sig, &trust(&f.tsa)).is_err(),
                "flipping byte {i} still verified"
            );
        }

        // Faults, as the client sees them.
        assert!(matches!(
            ask(&f.tsa, sig, &[Fault::TsaWrongImprint]),
            Err(TsaError::Mismatch(m)) if m.contains("imprint")
        ));
        assert!(matches!(
            ask(&f.tsa, sig, &[Fault::TsaWrongNonce]),
            Err(TsaError::Mismatch(m)) if m.contains("nonce")
        ));
        assert!(matches!(
            ask(&f.tsa, sig, &[Fault::TsaGrantedWithMods]),
            Err(TsaError::NotGranted { status, .. }) if status == "1"
        ));
        assert!(matches!(
            ask(&f.tsa, sig, &[Fault::TsaRejection]),
            Err(TsaError::NotGranted { status, .. }) if status == "2"
        ));
        let rogue = ask(&f.tsa, sig, &[Fault::TsaUnknown]).unwrap();
        let (r, d) = verify_token(&rogue, sig, &trust(&f.tsa)).unwrap_err();
        assert_eq!(r, Reason::TimestampInvalid);
        assert!(
            d.contains("unknown-tsa") && d.contains("not a timestamp authority"),
            "{d}"
        );
        let ess = ask(&f.tsa, sig, &[Fault::TsaWrongSigningCertificate]).unwrap();
        let (r, d) = verify_token(&ess, sig, &trust(&f.tsa)).unwrap_err();
        assert_eq!(r, Reason::TimestampInvalid);
        assert!(d.contains("ESS signingCertificate names another"), "{d}");
        let late = ask(&f.tsa, sig, &[Fault::TsaLateGenTime]).unwrap();
        let v = verify_token(&late, sig, &trust(&f.tsa)).unwrap();
        assert!(v.gen_time > crypto::now_unix() as i64 + 3000);
    }

    #[test]
    fn tsa_certificate_rules() {
        let f = fixture();
        let leaf = Cert::from_der(f.tsa.leaf_der()).unwrap();
        let root = Cert::from_der(f.tsa.root_der()).unwrap();
        // The chain holds now, not in ten years and a day, not without its root, not with the
        // leaf as a root.
        let now = crypto::now_unix() as i64;
        crate::tsa::token::tests::check_chain_for_test(&[leaf.clone(), root.clone()], now).unwrap();
        assert!(
            crate::tsa::token::tests::check_chain_for_test(
                &[leaf.clone(), root.clone()],
                now + 11 * 365 * 86_400
            )
            .is_err()
        );
        assert!(
            crate::tsa::token::tests::check_chain_for_test(std::slice::from_ref(&leaf), now)
                .is_err()
        );
        // EKU: a Fulcio leaf (codeSigning, non-critical) is no TSA.
        crate::tsa::token::tests::check_eku_for_test(&leaf).unwrap();
        let k = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        let ca = p384::ecdsa::SigningKey::from_slice(&[9; 48]).unwrap();
        let fulcio = Cert::from_der(&crate::fulcio::tests::fulcio_like_leaf(
            k.verifying_key(),
            &ca,
            "a@b.c",
        ))
        .unwrap();
        assert!(crate::tsa::token::tests::check_eku_for_test(&fulcio).is_err());
        assert!(crate::tsa::token::tests::check_eku_for_test(&root).is_err());
    }

    /// `openssl ts -verify` (an independent RFC 3161 implementation) accepts the token against
    /// the TSA chain, and refuses it for another imprint.
    #[test]
    fn openssl_ts_verifies_the_token() {
        let f = fixture();
        let sig = b"signature bytes";
        let token = ask(&f.tsa, sig, &[]).unwrap();
        let p = |n: &str| f.dir.join(n);
        std::fs::write(p("token.der"), &token).unwrap();
        std::fs::write(
            p("root.pem"),
            crate::armor::pem("CERTIFICATE", f.tsa.root_der()),
        )
        .unwrap();
        std::fs::write(
            p("leaf.pem"),
            crate::armor::pem("CERTIFICATE", f.tsa.leaf_der()),
        )
        .unwrap();
        let run = |digest: &str| {
            std::process::Command::new("openssl")
                .args(["ts", "-verify", "-token_in", "-digest", digest, "-in"])
                .arg(p("token.der"))
                .arg("-CAfile")
                .arg(p("root.pem"))
                .arg("-untrusted")
                .arg(p("leaf.pem"))
                .output()
                .expect("openssl is installed")
        };
        let out = run(&hex::encode(Sha256::digest(sig)));
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.contains("Verification: OK"),
            "{text}"
        );
        let out = run(&hex::encode(Sha256::digest(b"other")));
        assert!(!out.status.success());
    }
}
