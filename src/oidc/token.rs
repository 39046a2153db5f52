//! The OIDC identity token as a secret value, and its claims read *without* verification.
//!
//! [`IdentityToken`] keeps the raw JWT in a zeroize-on-drop buffer. It has a redacted `Debug`
//! and no `Display`, so it cannot reach a log line or stdout by accident (gitsign's
//! `debug token` and `version` print tokens; sigstore-rs's `IdentityToken` implements
//! `Display` — both are what this type exists to prevent). The only way to the raw text is
//! [`IdentityToken::expose_secret`], used when the token is sent to Fulcio.
//!
//! Claims are parsed unverified: Fulcio verifies the token itself; gitseal reads them only to
//! compute the proof-of-possession subject (compat §4.1) and for messages. Tokens from the
//! interactive and device flows are additionally verified against the provider's JWKS in
//! [`super::jwt`].

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::Value;
use zeroize::Zeroizing;

/// Why a string is not a usable JWT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three dot-separated base64url parts.
    #[error("the identity token is not a JWT (expected header.payload.signature)")]
    NotJwt,
    /// A part is not base64url or not JSON.
    #[error("the identity token's {0} is not base64url-encoded JSON")]
    BadPart(&'static str),
    /// A required claim is missing or has the wrong type.
    #[error("the identity token has no valid `{0}` claim")]
    MissingClaim(&'static str),
    /// `email` is present but the provider did not mark it verified (Fulcio would refuse it).
    #[error("the identity token's email {0} is not verified by the identity provider")]
    EmailNotVerified(String),
}

/// The claims gitseal reads. All unverified unless [`super::jwt::verify_id_token`] said
/// otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnverifiedClaims {
    /// `iss`.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `aud` (a string or an array in the JWT).
    pub audience: Vec<String>,
    /// `exp`, Unix seconds.
    pub expires_at: Option<i64>,
    /// `iat`, Unix seconds.
    pub issued_at: Option<i64>,
    /// `nbf`, Unix seconds.
    pub not_before: Option<i64>,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`: `true`, or the strings `"true"`/`"True"` (some providers send
    /// strings; gitsign and Fulcio accept those).
    pub email_verified: bool,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `azp`, the authorized party (OIDC Core §2): the client the token was issued to.
    pub authorized_party: Option<String>,
}

/// The decoded JOSE header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtHeader {
    /// `alg`.
    pub alg: String,
    /// `kid`.
    pub kid: Option<String>,
}

/// A raw OIDC identity token (a JWT) with its unverified claims.
pub struct IdentityToken {
    raw: Zeroizing<String>,
    header: JwtHeader,
    claims: UnverifiedClaims,
}

impl Clone for IdentityToken {
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
            header: self.header.clone(),
            claims: self.claims.clone(),
        }
    }
}

impl fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityToken")
            .field("issuer", &self.claims.issuer)
            .field("expires_at", &self.claims.expires_at)
            .field("raw", &"<redacted>")
            .finish()
    }
}

fn decode_part(part: &str, what: &'static str) -> Result<Value, TokenError> {
    // JWS compact serialization uses unpadded base64url (RFC 7515 §2); tolerate stray padding.
    let bytes = B64URL
        .decode(part.trim_end_matches('='))
        .map_err(|_| TokenError::BadPart(what))?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::BadPart(what))
}

fn int_claim(v: &Value, name: &str) -> Option<i64> {
    match v.get(name)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    }
}

impl IdentityToken {
    /// Parses a JWT (surrounding whitespace trimmed, as token files and env vars often end in
    /// a newline). The signature is not checked here.
    pub fn parse(raw: &str) -> Result<Self, TokenError> {
        let raw = Zeroizing::new(raw.trim().to_owned());
        let mut parts = raw.split('.');
        let (Some(h), Some(p), Some(_sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::NotJwt);
        };
        let header = decode_part(h, "header")?;
        let payload = decode_part(p, "payload")?;
        let header = JwtHeader {
            alg: header
                .get("alg")
                .and_then(Value::as_str)
                .ok_or(TokenError::MissingClaim("alg"))?
                .to_owned(),
            kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
        };
        let string = |name: &'static str| -> Result<String, TokenError> {
            payload
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(TokenError::MissingClaim(name))
        };
        let audience = match payload.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or(TokenError::MissingClaim("aud"))?,
            None => Vec::new(),
            Some(_) => return Err(TokenError::MissingClaim("aud")),
        };
        let email_verified = match payload.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "True",
            _ => false,
        };
        let claims = UnverifiedClaims {
            issuer: string("iss")?,
            subject: string("sub")?,
            audience,
            expires_at: int_claim(&payload, "exp"),
            issued_at: int_claim(&payload, "iat"),
            not_before: int_claim(&payload, "nbf"),
            email: payload
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
            email_verified,
            nonce: payload
                .get("nonce")
                .and_then(Value::as_str)
                .map(str::to_owned),
            authorized_party: payload
                .get("azp")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        Ok(Self {
            raw,
            header,
            claims,
        })
    }

    /// The raw JWT, for the one place that must send it (the Fulcio request). Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.raw
    }

    /// The unverified claims.
    pub fn claims(&self) -> &UnverifiedClaims {
        &self.claims
    }

    /// The JOSE header.
    pub fn header(&self) -> &JwtHeader {
        &self.header
    }

    /// `header.payload`, the bytes the JWS signature covers (RFC 7515 §5.2).
    pub(crate) fn signing_input(&self) -> &str {
        match self.raw.rfind('.') {
            Some(i) => &self.raw[..i],
            None => "",
        }
    }

    /// The decoded signature part.
    pub(crate) fn signature_bytes(&self) -> Option<Vec<u8>> {
        let sig = self.raw.rsplit('.').next()?;
        B64URL.decode(sig.trim_end_matches('=')).ok()
    }

    /// The subject whose signature proves key possession to Fulcio (compat §4.1, gitsign
    /// `pkg/fulcio`): the `email` claim when present — which must then be verified by the
    /// provider — else `sub`.
    pub fn fulcio_subject(&self) -> Result<String, TokenError> {
        match &self.claims.email {
            Some(email) if !self.claims.email_verified => {
                Err(TokenError::EmailNotVerified(email.clone()))
            }
            Some(email) => Ok(email.clone()),
            None => Ok(self.claims.subject.clone()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;

    /// An unsigned-looking JWT with the given payload (signature part is junk).
    pub(crate) fn fake_jwt(payload: &serde_json::Value) -> String {
        format!(
            "{}.{}.{}",
            B64URL.encode(br#"{"alg":"ES256","kid":"k1"}"#),
            B64URL.encode(serde_json::to_vec(payload).unwrap()),
            B64URL.encode(b"sig")
        )
    }

    #[test]
    fn parses_claims_and_redacts_debug() {
        let jwt = fake_jwt(&serde_json::json!({
            "iss": "https://oauth2.sigstore.dev/auth", "sub": "CgQxMjM0", "aud": ["sigstore", "x"],
            "exp": 1700000600, "iat": 1700000000, "email": "a@b.c", "email_verified": true,
            "nonce": "n1"
        }));
        let t = IdentityToken::parse(&format!("  {jwt}\n")).unwrap();
        assert_eq!(t.expose_secret(), jwt);
        assert_eq!(t.claims().audience, vec!["sigstore", "x"]);
        assert_eq!(t.claims().expires_at, Some(1700000600));
        assert_eq!(t.header().kid.as_deref(), Some("k1"));
        assert_eq!(t.fulcio_subject().unwrap(), "a@b.c");
        let dbg = format!("{t:?}");
        assert!(!dbg.contains(&jwt[..20]), "{dbg}");
        assert!(dbg.contains("redacted"));
        assert_eq!(t.signature_bytes().unwrap(), b"sig");
        assert_eq!(t.signing_input().matches('.').count(), 1);
    }

    #[test]
    fn fulcio_subject_rules() {
        let no_email =
            fake_jwt(&serde_json::json!({"iss": "i", "sub": "repo:o/r", "aud": "sigstore"}));
        assert_eq!(
            IdentityToken::parse(&no_email)
                .unwrap()
                .fulcio_subject()
                .unwrap(),
            "repo:o/r"
        );
        let unverified = fake_jwt(&serde_json::json!({"iss": "i", "sub": "s", "email": "a@b.c"}));
        assert_eq!(
            IdentityToken::parse(&unverified).unwrap().fulcio_subject(),
            Err(TokenError::EmailNotVerified("a@b.c".into()))
        );
        let string_true = fake_jwt(
            &serde_json::json!({"iss": "i", "sub": "s", "email": "a@b.c", "email_verified": "True"}),
        );
        assert_eq!(
            IdentityToken::parse(&string_true)
                .unwrap()
                .fulcio_subject()
                .unwrap(),
            "a@b.c"
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(IdentityToken::parse("abc").unwrap_err(), TokenError::NotJwt);
        assert_eq!(
            IdentityToken::parse("a.b.c.d").unwrap_err(),
            TokenError::NotJwt
        );
        assert_eq!(
            IdentityToken::parse("!!.e30.x").unwrap_err(),
            TokenError::BadPart("header")
        );
        let no_sub = fake_jwt(&serde_json::json!({"iss": "i"}));
        assert_eq!(
            IdentityToken::parse(&no_sub).unwrap_err(),
            TokenError::MissingClaim("sub")
        );
    }
}
