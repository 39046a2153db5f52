//! ID-token verification for the tokens gitseal obtains itself (interactive and device flows):
//! the JWS signature against the provider's JWKS (RFC 7515, RFC 7517) and the OIDC Core §3.1.3.7
//! claim checks — `iss` equals the discovered issuer, `aud` contains our client id (and, when it
//! lists several audiences, `azp` is our client id), `exp` has not passed (small leeway), `nbf`
//! has been reached, and `nonce` equals the one we sent when we sent one (device-flow tokens
//! carry none).
//!
//! Supported algorithms: ES256 (P-256, `p256`) and RS256 (PKCS#1 v1.5 with SHA-256 on `aws-lc-rs`,
//! already compiled for TLS: `RSA_PKCS1_2048_8192_SHA256`, so keys under 2048 bits are refused,
//! as NIST SP 800-131A has required since 2014). `none`, HMAC and everything else are refused.
//! `at_hash` is not checked: gitseal never uses the access token.
//!
//! This is a second line of defence, as in gitsign (go-oidc): Fulcio verifies the token itself.
//! Ambient CI tokens are passed through unverified, as gitsign does.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Deserialize;

use super::token::IdentityToken;

/// Seconds of clock skew tolerated on `exp` and `nbf` (go-oidc allows none on `exp`, but a
/// laptop clock a little fast should not break a login; Fulcio re-checks anyway).
pub const DEFAULT_LEEWAY_SECS: i64 = 60;

/// Why an ID token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// The header names an algorithm we do not accept.
    #[error(
        "the ID token is signed with unsupported algorithm {0:?} (ES256 and RS256 are supported)"
    )]
    UnsupportedAlgorithm(String),
    /// No JWKS key fits the header's `kid`/algorithm.
    #[error("no key in the provider's JWKS matches the ID token (kid {kid:?}, alg {alg})")]
    NoMatchingKey {
        /// `kid` from the header.
        kid: Option<String>,
        /// `alg` from the header.
        alg: String,
    },
    /// A JWK could not be turned into a public key.
    #[error("the provider's JWKS key {kid:?} is malformed: {reason}")]
    BadKey {
        /// Its `kid`.
        kid: Option<String>,
        /// Why.
        reason: &'static str,
    },
    /// The signature did not verify.
    #[error("the ID token's signature does not verify against the provider's keys")]
    BadSignature,
    /// `iss` differs from the discovered issuer.
    #[error("the ID token was issued by {got:?}, expected {expected:?}")]
    WrongIssuer {
        /// Expected issuer.
        expected: String,
        /// Token issuer.
        got: String,
    },
    /// `aud` does not contain our client id.
    #[error("the ID token is not meant for client {client_id:?} (audience {audience:?})")]
    WrongAudience {
        /// Our client id.
        client_id: String,
        /// Token audience.
        audience: Vec<String>,
    },
    /// Several audiences, and `azp` is missing or not our client id (OIDC Core §3.1.3.7
    /// items 4-5): the token was issued to another party that merely lists us.
    #[error(
        "the ID token has several audiences {audience:?} and its authorized party (azp) is {azp:?}, not client {client_id:?}"
    )]
    WrongAuthorizedParty {
        /// Our client id.
        client_id: String,
        /// Token audience.
        audience: Vec<String>,
        /// Token `azp`.
        azp: Option<String>,
    },
    /// `exp` is missing or past.
    #[error("the ID token has expired (or carries no expiry)")]
    Expired,
    /// `nbf` is in the future.
    #[error("the ID token is not valid yet")]
    NotYetValid,
    /// `nonce` differs from (or lacks) the one we sent.
    #[error("the ID token's nonce does not match the login request")]
    NonceMismatch,
}

/// A JSON Web Key (RFC 7517 §4, RFC 7518 §6), only the members we read.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    /// `kty`: `EC` or `RSA`.
    pub kty: String,
    /// `kid`.
    #[serde(default)]
    pub kid: Option<String>,
    /// `alg`, when the provider pins one.
    #[serde(default)]
    pub alg: Option<String>,
    /// `use`: must be `sig` when present.
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    /// EC curve.
    #[serde(default)]
    pub crv: Option<String>,
    /// EC x coordinate (base64url).
    #[serde(default)]
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    #[serde(default)]
    pub y: Option<String>,
    /// RSA modulus (base64url).
    #[serde(default)]
    pub n: Option<String>,
    /// RSA exponent (base64url).
    #[serde(default)]
    pub e: Option<String>,
}

/// A JWK Set.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, Default)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// What the token must say.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    /// The issuer from discovery (exact string match).
    pub issuer: &'a str,
    /// Our OAuth client id; must be in `aud`.
    pub client_id: &'a str,
    /// The nonce we sent, if any.
    pub nonce: Option<&'a str>,
    /// Current Unix time.
    pub now: i64,
    /// Tolerated skew in seconds.
    pub leeway: i64,
}

fn b64(s: &Option<String>, kid: &Option<String>, what: &'static str) -> Result<Vec<u8>, JwtError> {
    let s = s.as_deref().ok_or(JwtError::BadKey {
        kid: kid.clone(),
        reason: what,
    })?;
    B64URL
        .decode(s.trim_end_matches('='))
        .map_err(|_| JwtError::BadKey {
            kid: kid.clone(),
            reason: what,
        })
}

fn verify_es256(jwk: &Jwk, input: &[u8], sig: &[u8]) -> Result<(), JwtError> {
    use p256::ecdsa::signature::Verifier as _;
    if jwk.crv.as_deref() != Some("P-256") {
        return Err(JwtError::BadKey {
            kid: jwk.kid.clone(),
            reason: "EC key is not on P-256",
        });
    }
    let x = b64(&jwk.x, &jwk.kid, "missing or invalid x")?;
    let y = b64(&jwk.y, &jwk.kid, "missing or invalid y")?;
    if x.len() != 32 || y.len() != 32 {
        return Err(JwtError::BadKey {
            kid: jwk.kid.clone(),
            reason: "EC coordinates are not 32 bytes",
        });
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| JwtError::BadKey {
        kid: jwk.kid.clone(),
        reason: "EC point is not on the curve",
    })?;
    // JWS ES256 signatures are the fixed-size R ‖ S (RFC 7518 §3.4), not DER.
    let sig = p256::ecdsa::Signature::from_slice(sig).map_err(|_| JwtError::BadSignature)?;
    key.verify(input, &sig).map_err(|_| JwtError::BadSignature)
}

fn verify_rs256(jwk: &Jwk, input: &[u8], sig: &[u8]) -> Result<(), JwtError> {
    let n = b64(&jwk.n, &jwk.kid, "missing or invalid n")?;
    let e = b64(&jwk.e, &jwk.kid, "missing or invalid e")?;
    rs256_verify(&n, &e, input, sig).map_err(|e| match e {
        JwtError::BadKey { reason, .. } => JwtError::BadKey {
            kid: jwk.kid.clone(),
            reason,
        },
        other => other,
    })
}

/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) over `input` with the public key
/// (`n`, `e`: big-endian, as in a JWK). The modulus must be 2048 to 8192 bits (RFC 7518 §3.3:
/// "2048 bits or larger MUST be used"); aws-lc also refuses even or tiny exponents. Shared with
/// the testbed's Fulcio, which verifies federated tokens the same way.
pub fn rs256_verify(n: &[u8], e: &[u8], input: &[u8], sig: &[u8]) -> Result<(), JwtError> {
    // A JWK modulus is minimal (RFC 7518 §6.3.1.1) but some providers pad it; aws-lc wants it
    // without leading zero bytes.
    let first = n.iter().position(|&b| b != 0).unwrap_or(n.len());
    let n = &n[first..];
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if bits < 2048 {
        return Err(JwtError::BadKey {
            kid: None,
            reason: "RSA key is smaller than 2048 bits",
        });
    }
    aws_lc_rs::signature::RsaPublicKeyComponents { n, e }
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            input,
            sig,
        )
        .map_err(|_| JwtError::BadSignature)
}

/// Checks the signature of `token` with the JWKS and then its claims.
pub fn verify_id_token(
    token: &IdentityToken,
    jwks: &Jwks,
    expected: &Expected<'_>,
) -> Result<(), JwtError> {
    let header = token.header();
    let kty = match header.alg.as_str() {
        "ES256" => "EC",
        "RS256" => "RSA",
        other => return Err(JwtError::UnsupportedAlgorithm(other.to_owned())),
    };
    let candidates: Vec<&Jwk> = jwks
        .keys
        .iter()
        .filter(|k| k.kty == kty)
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == header.alg))
        .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
        .filter(|k| match (&header.kid, &k.kid) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        })
        .collect();
    if candidates.is_empty() {
        return Err(JwtError::NoMatchingKey {
            kid: header.kid.clone(),
            alg: header.alg.clone(),
        });
    }
    let sig = token.signature_bytes().ok_or(JwtError::BadSignature)?;
    let input = token.signing_input().as_bytes();
    let mut last = JwtError::BadSignature;
    let mut verified = false;
    for jwk in candidates {
        let r = if kty == "EC" {
            verify_es256(jwk, input, &sig)
        } else {
            verify_rs256(jwk, input, &sig)
        };
        match r {
            Ok(()) => {
                verified = true;
                break;
            }
            Err(e) => last = e,
        }
    }
    if !verified {
        return Err(last);
    }
    check_claims(token, expected)
}

/// The OIDC Core §3.1.3.7 claim checks alone (the signature already verified).
pub fn check_claims(token: &IdentityToken, expected: &Expected<'_>) -> Result<(), JwtError> {
    let c = token.claims();
    if c.issuer != expected.issuer {
        return Err(JwtError::WrongIssuer {
            expected: expected.issuer.to_owned(),
            got: c.issuer.clone(),
        });
    }
    if !c.audience.iter().any(|a| a == expected.client_id) {
        return Err(JwtError::WrongAudience {
            client_id: expected.client_id.to_owned(),
            audience: c.audience.clone(),
        });
    }
    // OIDC Core §3.1.3.7: with several audiences the Client SHOULD verify that an azp claim
    // is present, and if it is, it MUST be our client id. gitseal requires both: a token
    // minted for another client that also names ours is not our login.
    if c.audience.len() > 1 && c.authorized_party.as_deref() != Some(expected.client_id) {
        return Err(JwtError::WrongAuthorizedParty {
            client_id: expected.client_id.to_owned(),
            audience: c.audience.clone(),
            azp: c.authorized_party.clone(),
        });
    }
    if let Some(azp) = &c.authorized_party
        && azp != expected.client_id
    {
        return Err(JwtError::WrongAuthorizedParty {
            client_id: expected.client_id.to_owned(),
            audience: c.audience.clone(),
            azp: Some(azp.clone()),
        });
    }
    match c.expires_at {
        Some(exp) if expected.now <= exp.saturating_add(expected.leeway) => {}
        _ => return Err(JwtError::Expired),
    }
    if let Some(nbf) = c.not_before
        && expected.now.saturating_add(expected.leeway) < nbf
    {
        return Err(JwtError::NotYetValid);
    }
    if let Some(want) = expected.nonce
        && c.nonce.as_deref() != Some(want)
    {
        return Err(JwtError::NonceMismatch);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer as _;
    use p256::elliptic_curve::Generate as _;

    /// An ES256 test issuer: signs JWTs and exposes its JWK.
    pub(crate) struct TestSigner {
        key: p256::ecdsa::SigningKey,
        pub kid: String,
    }

    impl TestSigner {
        pub(crate) fn new(kid: &str) -> Self {
            Self {
                key: p256::ecdsa::SigningKey::try_generate().unwrap(),
                kid: kid.into(),
            }
        }

        pub(crate) fn jwk(&self) -> serde_json::Value {
            let point = self.key.verifying_key().to_sec1_point(false);
            let bytes = point.as_bytes();
            serde_json::json!({
                "kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
                "x": B64URL.encode(&bytes[1..33]), "y": B64URL.encode(&bytes[33..65]),
            })
        }

        pub(crate) fn sign(&self, claims: &serde_json::Value) -> String {
            let header = serde_json::json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"});
            let input = format!(
                "{}.{}",
                B64URL.encode(serde_json::to_vec(&header).unwrap()),
                B64URL.encode(serde_json::to_vec(claims).unwrap())
            );
            let sig: p256::ecdsa::Signature = self.key.sign(input.as_bytes());
            format!("{input}.{}", B64URL.encode(sig.to_bytes()))
        }
    }

    fn expected<'a>(issuer: &'a str, nonce: Option<&'a str>, now: i64) -> Expected<'a> {
        Expected {
            issuer,
            client_id: "sigstore",
            nonce,
            now,
            leeway: DEFAULT_LEEWAY_SECS,
        }
    }

    #[test]
    fn es256_round_trip_and_claim_checks() {
        let s = TestSigner::new("k1");
        let jwks: Jwks = serde_json::from_value(serde_json::json!({"keys": [s.jwk()]})).unwrap();
        let claims = serde_json::json!({"iss": "https://iss", "sub": "s", "aud": "sigstore",
            "exp": 1000, "nbf": 400, "nonce": "n"});
        let t = IdentityToken::parse(&s.sign(&claims)).unwrap();
        verify_id_token(&t, &jwks, &expected("https://iss", Some("n"), 500)).unwrap();
        // Within leeway after exp, and device-flow style (no nonce expected).
        verify_id_token(&t, &jwks, &expected("https://iss", None, 1050)).unwrap();
        assert_eq!(
            verify_id_token(&t, &jwks, &expected("https://iss", None, 1100)),
            Err(JwtError::Expired)
        );
        assert_eq!(
            verify_id_token(&t, &jwks, &expected("https://iss", None, 300)),
            Err(JwtError::NotYetValid)
        );
        assert_eq!(
            verify_id_token(&t, &jwks, &expected("https://iss", Some("other"), 500)),
            Err(JwtError::NonceMismatch)
        );
        assert!(matches!(
            verify_id_token(&t, &jwks, &expected("https://iss/", None, 500)),
            Err(JwtError::WrongIssuer { .. })
        ));
        let mut e = expected("https://iss", None, 500);
        e.client_id = "other";
        assert!(matches!(
            verify_id_token(&t, &jwks, &e),
            Err(JwtError::WrongAudience { .. })
        ));
    }

    #[test]
    fn wrong_key_or_tampering_fails() {
        let s = TestSigner::new("k1");
        let other = TestSigner::new("k1");
        let jwks: Jwks =
            serde_json::from_value(serde_json::json!({"keys": [other.jwk()]})).unwrap();
        let claims = serde_json::json!({"iss": "i", "sub": "s", "aud": "sigstore", "exp": 1000});
        let t = IdentityToken::parse(&s.sign(&claims)).unwrap();
        assert_eq!(
            verify_id_token(&t, &jwks, &expected("i", None, 500)),
            Err(JwtError::BadSignature)
        );
        // Payload swapped under a valid signature.
        let good = s.sign(&claims);
        let forged_payload =
            B64URL.encode(br#"{"iss":"i","sub":"attacker","aud":"sigstore","exp":1000}"#);
        let parts: Vec<&str> = good.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        let jwks: Jwks = serde_json::from_value(serde_json::json!({"keys": [s.jwk()]})).unwrap();
        let t = IdentityToken::parse(&forged).unwrap();
        assert_eq!(
            verify_id_token(&t, &jwks, &expected("i", None, 500)),
            Err(JwtError::BadSignature)
        );
        // Unknown kid.
        let s2 = TestSigner::new("k2");
        let t = IdentityToken::parse(&s2.sign(&claims)).unwrap();
        assert!(matches!(
            verify_id_token(&t, &jwks, &expected("i", None, 500)),
            Err(JwtError::NoMatchingKey { .. })
        ));
    }

    #[test]
    fn alg_none_and_hmac_are_refused() {
        for alg in ["none", "HS256", "ES384"] {
            let jwt = format!(
                "{}.{}.",
                B64URL.encode(format!(r#"{{"alg":"{alg}"}}"#)),
                B64URL.encode(br#"{"iss":"i","sub":"s","aud":"sigstore","exp":1000}"#)
            );
            let t = IdentityToken::parse(&jwt).unwrap();
            assert_eq!(
                verify_id_token(&t, &Jwks::default(), &expected("i", None, 500)),
                Err(JwtError::UnsupportedAlgorithm(alg.into()))
            );
        }
    }

    #[test]
    fn several_audiences_need_azp_to_be_us() {
        let s = TestSigner::new("k1");
        let jwks: Jwks = serde_json::from_value(serde_json::json!({"keys": [s.jwk()]})).unwrap();
        let check = |claims: serde_json::Value| {
            let t = IdentityToken::parse(&s.sign(&claims)).unwrap();
            verify_id_token(&t, &jwks, &expected("i", None, 500))
        };
        let base = |aud: serde_json::Value| serde_json::json!({"iss": "i", "sub": "s", "aud": aud, "exp": 1000});
        // One audience: azp optional, but when present it must be us.
        assert_eq!(check(base("sigstore".into())), Ok(()));
        let mut c = base("sigstore".into());
        c["azp"] = "sigstore".into();
        assert_eq!(check(c.clone()), Ok(()));
        c["azp"] = "other-client".into();
        assert!(matches!(
            check(c),
            Err(JwtError::WrongAuthorizedParty { .. })
        ));
        // Several audiences: refused without azp, or with someone else's.
        let several = base(serde_json::json!(["other-client", "sigstore"]));
        assert_eq!(
            check(several.clone()),
            Err(JwtError::WrongAuthorizedParty {
                client_id: "sigstore".into(),
                audience: vec!["other-client".into(), "sigstore".into()],
                azp: None,
            })
        );
        let mut c = several.clone();
        c["azp"] = "other-client".into();
        let e = check(c).unwrap_err();
        assert!(e.to_string().contains("azp"), "{e}");
        let mut c = several;
        c["azp"] = "sigstore".into();
        assert_eq!(check(c), Ok(()));
    }

    /// A 1024-bit RS256 key and a token it signed (`openssl genrsa 1024`, `openssl dgst
    /// -sha256 -sign`): the signature is valid, the key too small.
    const RS1024_N: &str = "4Ok2plpMJBUvmOLGCa_9Jb6VpzG6RnZjcY6HkruX8Qg3QsFZ9RmZcoXj53w4-N7vFVQYxktKsb02Dtfctbty2h1HE_Ip_HvneL73FVRhnA1UO3auB5x4Xaa4tEynAbmxMDQpnM2uyBs8BQxgVW_4933KIfUXuXJArBx4nHHPctc";
    const RS1024_JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNtYWxsIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lzcyIsInN1YiI6InMiLCJhdWQiOiJzaWdzdG9yZSIsImV4cCI6MTAwMH0.SZsCRv52sAK54G8iyOXLWvX_YHbddpaUM64bwcyLNmX8cPaAuZk55bJYUqetH6ss4H61tXej2fIoNY5DfDPRJN8tdci1O_qn9JLFFLLa0YepGAsk5o1rjTpWZueSxQS8U0-Fikgbqt4Is1EWF3kglowTTVROgSCCbd6_ZyFRi0g";

    #[test]
    fn rs256_keys_under_2048_bits_are_refused() {
        let jwks: Jwks = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "small", "alg": "RS256", "n": RS1024_N, "e": "AQAB"}
        ]}))
        .unwrap();
        let t = IdentityToken::parse(RS1024_JWT).unwrap();
        assert_eq!(
            verify_id_token(&t, &jwks, &expected("https://iss", None, 500)),
            Err(JwtError::BadKey {
                kid: Some("small".into()),
                reason: "RSA key is smaller than 2048 bits"
            })
        );
        // Leading zero bytes do not make a small key look big, nor a good one fail.
        let n = B64URL.decode(RS1024_N).unwrap();
        let mut padded = vec![0u8; 200];
        padded.extend_from_slice(&n);
        assert!(matches!(
            rs256_verify(&padded, &[1, 0, 1], b"x", &[0; 128]),
            Err(JwtError::BadKey { .. })
        ));
        let mut padded = vec![0u8; 3];
        padded.extend_from_slice(&B64URL.decode(RS_N).unwrap());
        let input = RS_JWT.rsplit_once('.').unwrap().0;
        let sig = B64URL.decode(RS_JWT.rsplit_once('.').unwrap().1).unwrap();
        assert_eq!(
            rs256_verify(&padded, &[1, 0, 1], input.as_bytes(), &sig),
            Ok(())
        );
        // The right key with an even exponent is not a key (aws-lc refuses it).
        assert_eq!(
            rs256_verify(&padded, &[1, 0, 0], input.as_bytes(), &sig),
            Err(JwtError::BadSignature)
        );
    }

    /// RS256 vector made with `openssl genrsa 2048` + `openssl dgst -sha256 -sign` (the same
    /// shape the oidc-provider e2e issuer produces).
    const RS_N: &str = "wD9ehbr3PJsUlgYdaOEeTTn0f9SO5RDQ48yiibsyrqJ2p0zBE710-GwXbDxJOkSxBN8PX_U4LsWIvFh_Xiwp3e1CJzddxSOv1qmsaOABiu-4oSbJeVcny3rwzi5JlnTzAAC8rVQMfaUFEDTdfinu1AVP8budmv1cQw9edIesq_Drs4nBmbWsd6lKybV-4W1A1auyFiH1if1ftneYo5etEe88GlQD_420G9l7xGBPmAT9NmyBOz60geVtzzCCS-86Nbn-NBkKU7vR0RxA4GkoeIaW19DNSZNbjKaGGpMEDni12P0P15gXmus73xGKudv5US3xhixDeKFcs2Y-yEZO_w";
    const RS_JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6InJzMjU2LWUyZSIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjkiLCJzdWIiOiJlMmVAZXhhbXBsZS50ZXN0IiwiYXVkIjoic2lnc3RvcmUiLCJleHAiOjE3MDAwMDA2MDAsImlhdCI6MTcwMDAwMDAwMCwibm9uY2UiOiJhYmMiLCJlbWFpbCI6ImUyZUBleGFtcGxlLnRlc3QiLCJlbWFpbF92ZXJpZmllZCI6dHJ1ZX0.eeVrRqMpIJbj5VzcOfPN1eTnJoHqyY35CU03OJoET46sF6SpTP6W95SgiinITsa3MFr5zP2QWKVvPCLHgXG1vUObQu3iC94P-d0lb2q6FzQKf3-A5ccsWqdpfz3OaEaCbxFL5nGM-1e_y5JMjKCAbFBXbnoFViQqWvUzUwaU6NVOvt6Q1RH4-SWLFsapU4sQw684rSc_u6MZfwvpDQc6lD5vKuLrUltKJ2og_tIzeMO-nNANEf3JF3dMaHKGzEWk029JVkOtDE4IqvJ_E3k9AMDNaOgPfdzRXyweW2o0RP6fU-r3OdmkwHm_iCxsD6QIWBLsuIv_vFIn1ykYnKngPQ";

    #[test]
    fn rs256_vector_verifies() {
        let jwks: Jwks = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "rs256-e2e", "alg": "RS256", "use": "sig", "n": RS_N, "e": "AQAB"}
        ]}))
        .unwrap();
        let t = IdentityToken::parse(RS_JWT).unwrap();
        verify_id_token(
            &t,
            &jwks,
            &expected("http://127.0.0.1:9", Some("abc"), 1700000100),
        )
        .unwrap();
        // One flipped signature bit.
        let mut bad = RS_JWT.as_bytes().to_vec();
        let i = bad.len() - 20;
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        let t = IdentityToken::parse(&bad).unwrap();
        assert_eq!(
            verify_id_token(&t, &jwks, &expected("http://127.0.0.1:9", None, 1700000100)),
            Err(JwtError::BadSignature)
        );
    }
}
