//! The RFC 3161 timestamp a signature carries (`id-aa-timeStampToken`, compat §2.4, §10), as
//! evidence of the time of signing.
//!
//! A signature that carries a token must have a good one: the token verifies over this
//! signature against a TSA of the trust root ([`crate::tsa::token`]), its `genTime` (widened by
//! its accuracy) lies inside the leaf's validity, and the leaf chains to a Fulcio CA at
//! `genTime` (gitsign's legacy path: "verification time = genTime"; sigstore-go: the chain at
//! every verified time). With Rekor v1 both times are checked: the integrated time by
//! `verify::tlog`, this one here. Any failure is `timestamp-invalid` (BADSIG): the evidence is
//! present and wrong. A signature without a token is not judged here; for Rekor v2 entries,
//! which have no integrated time, its absence is the caller's `timestamp-missing`.
//!
//! Pure: no I/O, no clock.

use super::chain;
use super::reason::Reason;
use crate::cms::decode::Signer;
use crate::oids;
use crate::trust::TrustRoot;
use crate::tsa::TimestampVerified;
use crate::x509::Cert;

/// The timestamp token of `signer`, if any: the DER of the one value of the one
/// `id-aa-timeStampToken` attribute. Two such attributes are an error (gitsign reads the only
/// one, `GetOnlyAttributeValueBytes`).
pub fn token_of(signer: &Signer) -> Result<Option<&[u8]>, (Reason, String)> {
    let mut found = signer
        .unsigned_attrs
        .iter()
        .filter(|a| a.oid == oids::TIMESTAMP_TOKEN);
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(a), None) => match a.values.as_slice() {
            [v] => Ok(Some(v.as_slice())),
            _ => Err((
                Reason::TimestampInvalid,
                "the timestamp attribute must have exactly one value".into(),
            )),
        },
        (Some(_), Some(_)) => Err((
            Reason::TimestampInvalid,
            "the signature carries more than one timestamp attribute".into(),
        )),
    }
}

/// The trusted time of signing from the signer's RFC 3161 timestamp, or `None` when it carries
/// none (module docs). `leaf` is the signer's certificate, already found and its signature over
/// the signed attributes verified. The Rekor v2 path uses the returned `gen_time` as its time
/// of signing.
pub fn signing_time_from_tsa(
    signer: &Signer,
    leaf: &Cert,
    trust: &TrustRoot,
) -> Result<Option<TimestampVerified>, (Reason, String)> {
    let Some(token) = token_of(signer)? else {
        return Ok(None);
    };
    let ts = crate::tsa::verify_token(token, &signer.signature, trust)?;
    check_against_leaf(&ts, leaf, trust)?;
    Ok(Some(ts))
}

/// genTime inside the leaf's validity (accuracy-aware, as gitsign's `Before`/`After`), and the
/// leaf's chain to a Fulcio CA at genTime.
pub fn check_against_leaf(
    ts: &TimestampVerified,
    leaf: &Cert,
    trust: &TrustRoot,
) -> Result<(), (Reason, String)> {
    let (earliest, latest) = (
        ts.gen_time.saturating_sub(ts.accuracy_secs),
        ts.gen_time.saturating_add(ts.accuracy_secs),
    );
    if earliest < leaf.not_before || latest > leaf.not_after {
        return Err((
            Reason::TimestampInvalid,
            format!(
                "the timestamp's genTime {} (±{} s, TSA {}) is outside the certificate's validity \
                 {}..{}",
                ts.gen_time, ts.accuracy_secs, ts.tsa_uri, leaf.not_before, leaf.not_after
            ),
        ));
    }
    chain::verify(leaf, trust, ts.gen_time).map_err(|(r, d)| match r {
        // The chain itself is judged by its own reason elsewhere; here it failing at genTime
        // means the timestamp does not vouch for this certificate.
        Reason::ChainUntrusted => (
            Reason::TimestampInvalid,
            format!("at the timestamp's genTime {}: {d}", ts.gen_time),
        ),
        other => (other, d),
    })?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::cms::decode::Attribute;

    fn signer_with(attrs: Vec<Attribute>) -> Signer {
        Signer {
            version: 1,
            sid: crate::cms::decode::SignerId::SubjectKeyId(vec![]),
            digest_algorithm: oids::SHA256,
            signed_attrs_der: None,
            signed_attrs: vec![],
            signature_algorithm: oids::ECDSA_WITH_SHA256,
            signature_algorithm_has_params: false,
            signature: vec![1, 2, 3],
            unsigned_attrs: attrs,
        }
    }

    #[test]
    fn token_attribute_count() {
        let a = |values: Vec<Vec<u8>>| Attribute {
            oid: oids::TIMESTAMP_TOKEN,
            values,
        };
        assert_eq!(token_of(&signer_with(vec![])).unwrap(), None);
        assert_eq!(
            token_of(&signer_with(vec![a(vec![vec![0x30, 0]])])).unwrap(),
            Some(&[0x30, 0][..])
        );
        for bad in [
            vec![a(vec![vec![0x30, 0], vec![0x30, 1, 0]])],
            vec![a(vec![vec![0x30, 0]]), a(vec![vec![0x30, 1, 0]])],
        ] {
            assert_eq!(
                token_of(&signer_with(bad)).unwrap_err().0,
                Reason::TimestampInvalid
            );
        }
    }

    #[test]
    fn gen_time_must_lie_inside_the_leaf() {
        let k = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        let ca = p384::ecdsa::SigningKey::from_slice(&[9; 48]).unwrap();
        let leaf = Cert::from_der(&crate::fulcio::tests::fulcio_like_leaf(
            k.verifying_key(),
            &ca,
            "a@b.c",
        ))
        .unwrap();
        let ts = |gen_time, accuracy_secs| TimestampVerified {
            gen_time,
            accuracy_secs,
            tsa_uri: "tsa".into(),
            tsa_subject: "CN=tsa".into(),
            serial: "01".into(),
            policy: "1.2.3".into(),
            token_der: vec![],
        };
        let trust = TrustRoot::default();
        for (g, acc) in [
            (leaf.not_before - 1, 0),
            (leaf.not_after + 1, 0),
            (leaf.not_before, 1),
            (leaf.not_after, 1),
        ] {
            let (r, d) = check_against_leaf(&ts(g, acc), &leaf, &trust).unwrap_err();
            assert_eq!(r, Reason::TimestampInvalid);
            assert!(d.contains("outside the certificate's validity"), "{d}");
        }
        // Inside: the next check is the chain, which an empty trust root fails, at genTime.
        let (r, d) = check_against_leaf(&ts(leaf.not_before + 1, 0), &leaf, &trust).unwrap_err();
        assert_eq!(r, Reason::TimestampInvalid);
        assert!(d.contains("at the timestamp's genTime"), "{d}");
    }
}
