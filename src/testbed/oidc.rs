//! The testbed's OpenID Connect issuer (served under `/oidc`).
//!
//! Owns discovery (OpenID Connect Discovery 1.0 §4), the JWKS, the authorization-code flow with
//! mandatory PKCE S256 (RFC 6749 §4.1, RFC 7636, loopback redirects per RFC 8252 §7.3), the
//! device authorization grant (RFC 8628), ES256-signed ID tokens (RFC 7515/7518), minting tokens
//! directly for tests, and verifying tokens for the testbed's Fulcio.
//!
//! It approves the configured identity without a login page: `/oidc/auth` redirects straight back
//! to the client's loopback `redirect_uri` with `code`, `state` and `iss` (RFC 9207), or, with
//! `consent_page` on, first shows a consent page whose approve/deny form posts to
//! `/oidc/consent` (deny ends in `access_denied`, as a certified provider's cancel does); a device
//! grant is approved after a configured number of polls. `email`/`email_verified` are in the ID
//! token only when the `email` scope was requested (and `email_in_id_token` is on); device-flow
//! tokens never carry a `nonce`. It is at least as strict as a certified provider about
//! everything a client controls: only the configured `client_id`; `redirect_uri` must be a
//! loopback `http` URL (any port, RFC 8252 §7.3) or the OOB URN, and must match exactly at the
//! token endpoint; `code_challenge_method=S256` is required (plain and absent are refused);
//! codes are single-use (burnt by the first redemption attempt, RFC 6749 §4.1.2) and expire;
//! device polls that come faster than the interval get `slow_down` and a longer interval
//! (RFC 8628 §3.5). It never logs tokens, codes or keys.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use p256::ecdsa::signature::{Signer, Verifier};
use serde_json::{Map, Value, json};

use super::TestbedError;
use super::TokenRequest;
use super::crypto;
use super::http::{Request, Response, percent_encode};

/// The RFC 8252 out-of-band redirect gitsign falls back to when no browser opens.
const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Knobs for the issuer (from `TestbedConfig`).
#[derive(Clone, Debug)]
pub struct OidcSettings {
    pub client_id: String,
    pub token_lifetime: Duration,
    pub code_lifetime: Duration,
    pub device_interval: Duration,
    pub device_slow_down_increment: Duration,
    pub device_approve_after_polls: u32,
    pub device_code_lifetime: Duration,
    pub consent_page: bool,
    pub email_in_id_token: bool,
}

/// An authorization request that passed validation (waiting for consent, or turned into a code).
#[derive(Clone)]
struct Approved {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    state: Option<String>,
    email_scope: bool,
}

struct AuthCode {
    request: Approved,
    email: String,
    expires: Instant,
}

struct PendingConsent {
    request: Approved,
    expires: Instant,
}

struct DeviceGrant {
    client_id: String,
    email_scope: bool,
    challenge: Option<String>,
    expires: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    pending_polls: u32,
}

#[derive(Default)]
struct Grants {
    codes: HashMap<String, AuthCode>,
    consents: HashMap<String, PendingConsent>,
    devices: HashMap<String, DeviceGrant>,
}

/// The issuer.
pub struct Issuer {
    key: p256::ecdsa::SigningKey,
    kid: String,
    jwk: Value,
    url: String,
    settings: OidcSettings,
    identity: Mutex<String>,
    deny_device: Mutex<bool>,
    grants: Mutex<Grants>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The public JWK of a P-256 key and its RFC 7638 thumbprint (used as `kid`).
fn jwk_for(key: &p256::ecdsa::VerifyingKey) -> Result<(Value, String), TestbedError> {
    let point = key.to_sec1_point(false);
    let bytes = point.as_bytes();
    // Uncompressed SEC1: 0x04 ‖ X(32) ‖ Y(32).
    if bytes.len() != 65 {
        return Err(TestbedError::Crypto(
            "unexpected P-256 point encoding".into(),
        ));
    }
    let x = crypto::b64url(&bytes[1..33]);
    let y = crypto::b64url(&bytes[33..65]);
    // RFC 7638 §3.2: the required members, lexicographic order, no whitespace.
    let thumb_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = crypto::b64url(&crypto::sha256(thumb_input.as_bytes()));
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"});
    Ok((jwk, kid))
}

/// `sub` for an email identity: stable and opaque, like a provider's user id.
fn subject_for_email(email: &str) -> String {
    let h = crypto::sha256(format!("gitseal-testbed-user:{email}").as_bytes());
    crypto::b64url(&h[..18])
}

/// RFC 7636 §4.1: 43–128 characters from the unreserved set.
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.2 S256: the challenge is base64url(SHA-256(verifier)), 43 characters.
fn valid_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

fn s256(verifier: &str) -> String {
    crypto::b64url(&crypto::sha256(verifier.as_bytes()))
}

/// RFC 8252 §7.3 loopback redirect: `http://127.0.0.1:PORT/...`, `http://[::1]:PORT/...` or
/// `http://localhost:PORT/...` (gitsign listens on `localhost`), any port, no fragment, no
/// userinfo.
pub fn is_loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    if uri.contains('#') {
        return false;
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') {
        return false;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return false,
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = host == "127.0.0.1" || host == "::1" || host.eq_ignore_ascii_case("localhost");
    let port_ok = match port {
        None => true,
        Some(p) => !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok(),
    };
    host_ok && port_ok
}

fn form_get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn has_duplicates(params: &[(String, String)]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    params
        .iter()
        .find(|(k, _)| !seen.insert(k.as_str()))
        .map(|(k, _)| k.clone())
}

impl Issuer {
    /// An issuer at `url` signing with `key`.
    pub fn new(
        key: p256::ecdsa::SigningKey,
        url: String,
        identity: String,
        settings: OidcSettings,
    ) -> Result<Issuer, TestbedError> {
        let (jwk, kid) = jwk_for(key.verifying_key())?;
        Ok(Issuer {
            key,
            kid,
            jwk,
            url,
            settings,
            identity: Mutex::new(identity),
            deny_device: Mutex::new(false),
            grants: Mutex::new(Grants::default()),
        })
    }

    /// The issuer URL (`iss`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The identity the browser and device flows approve.
    pub fn identity(&self) -> String {
        lock(&self.identity).clone()
    }

    /// Change the approved identity.
    pub fn set_identity(&self, email: &str) {
        *lock(&self.identity) = email.to_owned();
    }

    /// Make pending device grants end in `access_denied` instead of approval.
    pub fn set_deny_device(&self, deny: bool) {
        *lock(&self.deny_device) = deny;
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        json!({"keys": [self.jwk.clone()]})
    }

    /// Sign `claims` as a compact JWS (ES256). With `foreign`, a throwaway key signs (same `kid`),
    /// so the token looks right but does not verify.
    fn sign_jwt(&self, claims: &Value, foreign: bool) -> Result<String, TestbedError> {
        let header = json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            crypto::b64url(header.to_string().as_bytes()),
            crypto::b64url(claims.to_string().as_bytes())
        );
        let other;
        let key = if foreign {
            other = crypto::new_p256()?;
            &other
        } else {
            &self.key
        };
        // JWS ES256 (RFC 7518 §3.4): the fixed 64-byte R ‖ S form, not DER.
        let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
        Ok(format!("{input}.{}", crypto::b64url(&sig.to_bytes())))
    }

    /// Mint an ID token as requested by a test.
    pub fn mint(&self, req: &TokenRequest) -> Result<String, TestbedError> {
        let now = crypto::now_unix();
        let iat = req.issued_at.unwrap_or(now);
        let exp = req
            .expires_at
            .unwrap_or(iat + self.settings.token_lifetime.as_secs());
        let mut claims = Map::new();
        claims.insert(
            "iss".into(),
            Value::String(req.issuer.clone().unwrap_or_else(|| self.url.clone())),
        );
        let sub = match (&req.subject, &req.email) {
            (Some(s), _) => s.clone(),
            (None, Some(e)) => subject_for_email(e),
            (None, None) => {
                return Err(TestbedError::Config(
                    "a token needs an email or a subject".into(),
                ));
            }
        };
        claims.insert("sub".into(), Value::String(sub));
        claims.insert(
            "aud".into(),
            Value::String(
                req.audience
                    .clone()
                    .unwrap_or_else(|| self.settings.client_id.clone()),
            ),
        );
        claims.insert("iat".into(), json!(iat));
        claims.insert("exp".into(), json!(exp));
        if let Some(nbf) = req.not_before {
            claims.insert("nbf".into(), json!(nbf));
        }
        if let Some(n) = &req.nonce {
            claims.insert("nonce".into(), Value::String(n.clone()));
        }
        if let Some(e) = &req.email {
            claims.insert("email".into(), Value::String(e.clone()));
            claims.insert(
                "email_verified".into(),
                Value::Bool(req.email_verified.unwrap_or(true)),
            );
        }
        for (k, v) in &req.claims {
            claims.insert(k.clone(), v.clone());
        }
        self.sign_jwt(&Value::Object(claims), req.untrusted_key)
    }

    /// Verify an ID token as Fulcio does: ES256 signature under the JWKS key, `iss` equal to
    /// this issuer, `aud` containing the client id, not expired, not used before `nbf`/`iat`
    /// (60 s leeway for clock skew on `nbf`/`iat` only). Returns the claims.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, String> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a compact JWS (three dot-separated parts)".into());
        };
        let header: Value = B64URL
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("JWS header is not base64url JSON")?;
        if header.get("alg").and_then(Value::as_str) != Some("ES256") {
            return Err("JWS alg is not ES256".into());
        }
        if let Some(kid) = header.get("kid").and_then(Value::as_str)
            && kid != self.kid
        {
            return Err(format!("unknown key id {kid:?}"));
        }
        let sig_bytes = B64URL
            .decode(s)
            .map_err(|_| "JWS signature is not base64url")?;
        let sig = p256::ecdsa::Signature::from_slice(&sig_bytes)
            .map_err(|_| "JWS signature is not a 64-byte ES256 signature")?;
        self.key
            .verifying_key()
            .verify(format!("{h}.{p}").as_bytes(), &sig)
            .map_err(|_| "ID token signature does not verify under the issuer's JWKS key")?;
        let claims: Map<String, Value> = B64URL
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("JWS payload is not base64url JSON")?;
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        if iss != self.url {
            return Err(format!("iss {iss:?} is not this issuer ({})", self.url));
        }
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => *a == self.settings.client_id,
            Some(Value::Array(list)) => list
                .iter()
                .any(|a| a.as_str() == Some(&self.settings.client_id)),
            _ => false,
        };
        if !aud_ok {
            return Err(format!(
                "aud does not contain {:?}",
                self.settings.client_id
            ));
        }
        let now = crypto::now_unix();
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or("exp missing")?;
        if exp <= now {
            return Err("token expired".into());
        }
        for claim in ["nbf", "iat"] {
            if let Some(t) = claims.get(claim).and_then(Value::as_u64)
                && t > now + 60
            {
                return Err(format!("token {claim} is in the future"));
            }
        }
        if claims.get("iat").and_then(Value::as_u64).is_none() {
            return Err("iat missing".into());
        }
        Ok(claims)
    }

    /// `GET /oidc/.well-known/openid-configuration`.
    pub fn discovery(&self) -> Response {
        let u = &self.url;
        Response::json(
            200,
            &json!({
                "issuer": u,
                "authorization_endpoint": format!("{u}/auth"),
                "token_endpoint": format!("{u}/token"),
                "jwks_uri": format!("{u}/keys"),
                "device_authorization_endpoint": format!("{u}/device/code"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "code_challenge_methods_supported": ["S256"],
                "authorization_response_iss_parameter_supported": true,
                "scopes_supported": ["openid", "email"],
                "grant_types_supported": ["authorization_code", DEVICE_GRANT],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
                "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email", "email_verified"],
            }),
        )
    }

    /// `GET /oidc/keys`.
    pub fn jwks_response(&self) -> Response {
        Response::json(200, &self.jwks())
    }

    /// `GET /oidc/auth` (RFC 6749 §4.1.1 with RFC 7636 §4.3).
    pub fn authorize(&self, req: &Request) -> Result<Response, TestbedError> {
        let q = &req.query;
        // RFC 6749 §3.1: parameters must not be repeated.
        if let Some(dup) = has_duplicates(q) {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                &format!("parameter {dup} is repeated"),
            ));
        }
        // Errors about the client or the redirect URI are shown, never redirected (§4.1.2.1).
        let client_id = form_get(q, "client_id").unwrap_or("");
        if client_id != self.settings.client_id {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                &format!("unknown client_id {client_id:?}"),
            ));
        }
        let Some(redirect_uri) = form_get(q, "redirect_uri") else {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                "redirect_uri is required",
            ));
        };
        if redirect_uri != OOB_REDIRECT && !is_loopback_redirect(redirect_uri) {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                "redirect_uri must be a loopback http URL (RFC 8252 §7.3)",
            ));
        }
        let state = form_get(q, "state");
        let fail = |error: &str, description: &str| -> Response {
            if redirect_uri == OOB_REDIRECT {
                return Response::oauth_error(400, error, description);
            }
            Response::redirect(&self.error_redirect(redirect_uri, state, error, description))
        };
        if form_get(q, "response_type") != Some("code") {
            return Ok(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        let scopes = form_get(q, "scope").unwrap_or("");
        if !scopes.split(' ').any(|s| s == "openid") {
            return Ok(fail("invalid_scope", "scope must include openid"));
        }
        let Some(challenge) = form_get(q, "code_challenge") else {
            return Ok(fail(
                "invalid_request",
                "PKCE is required: code_challenge missing",
            ));
        };
        if form_get(q, "code_challenge_method") != Some("S256") {
            return Ok(fail(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        if !valid_challenge(challenge) {
            return Ok(fail(
                "invalid_request",
                "code_challenge is not a base64url SHA-256 value",
            ));
        }
        let approved = Approved {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            challenge: challenge.to_owned(),
            nonce: form_get(q, "nonce").map(str::to_owned),
            state: state.map(str::to_owned),
            email_scope: scopes.split(' ').any(|s| s == "email"),
        };
        if self.settings.consent_page {
            return self.consent_page(approved);
        }
        self.issue_code(approved)
    }

    /// The redirect carrying an OAuth error, `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207).
    fn error_redirect(
        &self,
        redirect_uri: &str,
        state: Option<&str>,
        error: &str,
        description: &str,
    ) -> String {
        let mut params = vec![
            ("error", error.to_owned()),
            ("error_description", description.to_owned()),
        ];
        if let Some(s) = state {
            params.push(("state", s.to_owned()));
        }
        params.push(("iss", self.url.clone()));
        append_query(redirect_uri, &params)
    }

    /// The consent page: approve or deny, posted to `/oidc/consent` with a single-use
    /// interaction id (a certified provider shows one to native clients every time, RFC 8252
    /// §8.6).
    fn consent_page(&self, request: Approved) -> Result<Response, TestbedError> {
        let interaction = crypto::random_token(24)?;
        let client = html_escape(&request.client_id);
        let scopes = if request.email_scope {
            "openid email"
        } else {
            "openid"
        };
        lock(&self.grants).consents.insert(
            interaction.clone(),
            PendingConsent {
                request,
                expires: Instant::now() + self.settings.code_lifetime,
            },
        );
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize</title></head><body>\
             <h1>Authorize</h1><p>The application <strong>{client}</strong> asks to sign you in \
             (scopes: {scopes}).</p>\
             <form id=\"consent\" method=\"post\" action=\"{url}/consent\">\
             <input type=\"hidden\" name=\"interaction\" value=\"{interaction}\">\
             <button type=\"submit\" name=\"decision\" value=\"approve\">Continue</button> \
             <button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button>\
             </form></body></html>\n",
            url = html_escape(&self.url),
        );
        Ok(Response::new(200, "text/html; charset=utf-8", html)
            .with_header("Cache-Control", "no-store"))
    }

    /// `POST /oidc/consent`: the user's decision on a consent page.
    pub fn consent(&self, req: &Request) -> Result<Response, TestbedError> {
        let form = match req.form() {
            Ok(f) => f,
            Err(e) => return Ok(Response::oauth_error(400, "invalid_request", &e)),
        };
        let pending =
            form_get(&form, "interaction").and_then(|id| lock(&self.grants).consents.remove(id));
        let Some(pending) = pending else {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                "interaction is unknown, expired or already finished",
            ));
        };
        if Instant::now() > pending.expires {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                "interaction expired",
            ));
        }
        match form_get(&form, "decision") {
            Some("approve") => self.issue_code(pending.request),
            Some("deny") => Ok(Response::redirect(&self.error_redirect(
                &pending.request.redirect_uri,
                pending.request.state.as_deref(),
                "access_denied",
                "End-User aborted interaction",
            ))),
            _ => Ok(Response::oauth_error(
                400,
                "invalid_request",
                "decision must be approve or deny",
            )),
        }
    }

    /// Issues the authorization code for an approved request and sends the user back.
    fn issue_code(&self, request: Approved) -> Result<Response, TestbedError> {
        let code = crypto::random_token(32)?;
        let email = self.identity();
        let redirect_uri = request.redirect_uri.clone();
        let state = request.state.clone();
        lock(&self.grants).codes.insert(
            code.clone(),
            AuthCode {
                request,
                email,
                expires: Instant::now() + self.settings.code_lifetime,
            },
        );
        if redirect_uri == OOB_REDIRECT {
            // The OOB flow shows the code for the user to paste (gitsign reads it from the TTY).
            let html = format!(
                "<!doctype html><title>gitseal testbed</title><p>Paste this code into your terminal:</p><code id=\"code\">{code}</code>\n"
            );
            return Ok(Response::new(200, "text/html; charset=utf-8", html)
                .with_header("Cache-Control", "no-store"));
        }
        let mut params = vec![("code", code)];
        if let Some(s) = state {
            params.push(("state", s));
        }
        // RFC 9207: the authorization response names its issuer (a certified provider does).
        params.push(("iss", self.url.clone()));
        Ok(Response::redirect(&append_query(&redirect_uri, &params)))
    }

    /// Client authentication at the token endpoint (RFC 6749 §2.3.1): HTTP Basic or a
    /// `client_id` form field; the registered client is public, so a secret is not checked.
    fn authenticate_client(
        &self,
        req: &Request,
        form: &[(String, String)],
    ) -> Result<String, Response> {
        let mut from_basic = None;
        if let Some(auth) = req.header("authorization") {
            let Some(b) = auth
                .strip_prefix("Basic ")
                .or_else(|| auth.strip_prefix("basic "))
            else {
                return Err(Response::oauth_error(
                    401,
                    "invalid_client",
                    "unsupported Authorization scheme",
                ));
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| {
                    Response::oauth_error(401, "invalid_client", "malformed Basic credentials")
                })?;
            let (id, _secret) = decoded.split_once(':').unwrap_or((&decoded, ""));
            let id = super::http::percent_decode(id, true).map_err(|_| {
                Response::oauth_error(401, "invalid_client", "malformed Basic credentials")
            })?;
            from_basic = Some(id);
        }
        let from_form = form_get(form, "client_id").map(str::to_owned);
        let id = match (from_basic, from_form) {
            (Some(a), Some(b)) if a != b => {
                return Err(Response::oauth_error(
                    400,
                    "invalid_request",
                    "client_id in the form differs from the Basic credentials",
                ));
            }
            (Some(a), _) => a,
            (None, Some(b)) => b,
            (None, None) => {
                return Err(Response::oauth_error(
                    401,
                    "invalid_client",
                    "client authentication missing",
                ));
            }
        };
        if id != self.settings.client_id {
            return Err(Response::oauth_error(
                401,
                "invalid_client",
                &format!("unknown client_id {id:?}"),
            ));
        }
        Ok(id)
    }

    /// `POST /oidc/token`.
    pub fn token(&self, req: &Request) -> Result<Response, TestbedError> {
        let form = match req.form() {
            Ok(f) => f,
            Err(e) => return Ok(Response::oauth_error(400, "invalid_request", &e)),
        };
        if let Some(dup) = has_duplicates(&form) {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                &format!("parameter {dup} is repeated"),
            ));
        }
        let client_id = match self.authenticate_client(req, &form) {
            Ok(id) => id,
            Err(resp) => return Ok(resp),
        };
        match form_get(&form, "grant_type") {
            Some("authorization_code") => self.redeem_code(&form, &client_id),
            Some(DEVICE_GRANT) => self.poll_device(&form, &client_id),
            Some(other) => Ok(Response::oauth_error(
                400,
                "unsupported_grant_type",
                &format!("grant_type {other:?} is not supported"),
            )),
            None => Ok(Response::oauth_error(
                400,
                "invalid_request",
                "grant_type is required",
            )),
        }
    }

    /// The token response for `email`. The ID token carries `email`/`email_verified` only when
    /// the `email` scope was granted and the issuer is configured to put them there; its `sub`
    /// is the same either way.
    fn token_response(
        &self,
        email: &str,
        nonce: Option<&str>,
        email_scope: bool,
    ) -> Result<Response, TestbedError> {
        let mut req = if email_scope && self.settings.email_in_id_token {
            TokenRequest::email(email)
        } else {
            TokenRequest::subject(&subject_for_email(email))
        };
        req.nonce = nonce.map(str::to_owned);
        let id_token = self.mint(&req)?;
        let access_token = crypto::random_token(32)?;
        Ok(Response::json(
            200,
            &json!({
                "access_token": access_token,
                "token_type": "bearer",
                "expires_in": self.settings.token_lifetime.as_secs(),
                "id_token": id_token,
                "scope": if email_scope { "openid email" } else { "openid" },
            }),
        )
        .with_header("Cache-Control", "no-store")
        .with_header("Pragma", "no-cache"))
    }

    fn redeem_code(
        &self,
        form: &[(String, String)],
        client_id: &str,
    ) -> Result<Response, TestbedError> {
        let Some(code) = form_get(form, "code") else {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                "code is required",
            ));
        };
        // Single use: the first redemption attempt burns the code, whatever its outcome.
        let Some(grant) = lock(&self.grants).codes.remove(code) else {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "authorization code is unknown or was already used",
            ));
        };
        if Instant::now() > grant.expires {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "authorization code expired",
            ));
        }
        let AuthCode {
            request: grant,
            email,
            ..
        } = grant;
        if grant.client_id != client_id {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "authorization code was issued to another client",
            ));
        }
        if form_get(form, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "redirect_uri does not match the authorization request",
            ));
        }
        let Some(verifier) = form_get(form, "code_verifier") else {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "code_verifier is required (PKCE)",
            ));
        };
        if !valid_verifier(verifier) || s256(verifier) != grant.challenge {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "code_verifier does not match code_challenge",
            ));
        }
        self.token_response(&email, grant.nonce.as_deref(), grant.email_scope)
    }

    /// `POST /oidc/device/code` (RFC 8628 §3.1–3.2).
    pub fn device_authorization(&self, req: &Request) -> Result<Response, TestbedError> {
        let form = match req.form() {
            Ok(f) => f,
            Err(e) => return Ok(Response::oauth_error(400, "invalid_request", &e)),
        };
        let client_id = match self.authenticate_client(req, &form) {
            Ok(id) => id,
            Err(resp) => return Ok(resp),
        };
        let scopes = form_get(&form, "scope").unwrap_or("");
        if !scopes.split(' ').any(|s| s == "openid") {
            return Ok(Response::oauth_error(
                400,
                "invalid_scope",
                "scope must include openid",
            ));
        }
        let challenge = match (
            form_get(&form, "code_challenge"),
            form_get(&form, "code_challenge_method"),
        ) {
            (None, None) => None,
            (Some(c), Some("S256")) if valid_challenge(c) => Some(c.to_owned()),
            _ => {
                return Ok(Response::oauth_error(
                    400,
                    "invalid_request",
                    "PKCE for the device flow must be a valid S256 challenge",
                ));
            }
        };
        let device_code = crypto::random_token(32)?;
        let raw = crypto::random_bytes(8)?;
        // User codes from a 20-letter alphabet without vowels (RFC 8628 §6.1).
        const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
        let letters: String = raw
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
        lock(&self.grants).devices.insert(
            device_code.clone(),
            DeviceGrant {
                client_id,
                email_scope: scopes.split(' ').any(|s| s == "email"),
                challenge,
                expires: Instant::now() + self.settings.device_code_lifetime,
                interval: self.settings.device_interval,
                last_poll: None,
                pending_polls: 0,
            },
        );
        let interval_secs = self.settings.device_interval.as_secs_f64().ceil().max(1.0) as u64;
        Ok(Response::json(
            200,
            &json!({
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": format!("{}/device", self.url),
                "verification_uri_complete": format!("{}/device?user_code={user_code}", self.url),
                "expires_in": self.settings.device_code_lifetime.as_secs(),
                "interval": interval_secs,
            }),
        )
        .with_header("Cache-Control", "no-store"))
    }

    /// `GET /oidc/device`: nothing to do, approval is automatic.
    pub fn device_page(&self) -> Response {
        Response::new(
            200,
            "text/html; charset=utf-8",
            "<!doctype html><title>gitseal testbed</title><p>The testbed approves device codes by itself; keep polling.</p>\n",
        )
    }

    /// Device-code polling at the token endpoint (RFC 8628 §3.4–3.5).
    fn poll_device(
        &self,
        form: &[(String, String)],
        client_id: &str,
    ) -> Result<Response, TestbedError> {
        let Some(device_code) = form_get(form, "device_code") else {
            return Ok(Response::oauth_error(
                400,
                "invalid_request",
                "device_code is required",
            ));
        };
        let now = Instant::now();
        let deny = *lock(&self.deny_device);
        let mut grants = lock(&self.grants);
        let Some(grant) = grants.devices.get_mut(device_code) else {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "device_code is unknown or was already used",
            ));
        };
        if grant.client_id != client_id {
            return Ok(Response::oauth_error(
                400,
                "invalid_grant",
                "device_code was issued to another client",
            ));
        }
        if now > grant.expires {
            grants.devices.remove(device_code);
            return Ok(Response::oauth_error(
                400,
                "expired_token",
                "the device code expired",
            ));
        }
        if let Some(last) = grant.last_poll
            && now.duration_since(last) < grant.interval
        {
            // RFC 8628 §3.5: slow down, and the interval grows for all later requests.
            grant.interval += self.settings.device_slow_down_increment;
            grant.last_poll = Some(now);
            return Ok(Response::oauth_error(
                400,
                "slow_down",
                "polling faster than the interval",
            ));
        }
        grant.last_poll = Some(now);
        if grant.pending_polls < self.settings.device_approve_after_polls {
            grant.pending_polls += 1;
            return Ok(Response::oauth_error(
                400,
                "authorization_pending",
                "the user has not approved yet",
            ));
        }
        if deny {
            grants.devices.remove(device_code);
            return Ok(Response::oauth_error(
                400,
                "access_denied",
                "the user denied the request",
            ));
        }
        if let Some(challenge) = &grant.challenge {
            let ok = form_get(form, "code_verifier")
                .is_some_and(|v| valid_verifier(v) && s256(v) == *challenge);
            if !ok {
                grants.devices.remove(device_code);
                return Ok(Response::oauth_error(
                    400,
                    "invalid_grant",
                    "code_verifier does not match code_challenge",
                ));
            }
        }
        let email_scope = grant.email_scope;
        grants.devices.remove(device_code);
        drop(grants);
        // Device-flow ID tokens carry no nonce (a certified provider accepts one on the device
        // request but never echoes it).
        self.token_response(&self.identity(), None, email_scope)
    }
}

/// Escapes text for HTML element content and attribute values.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Append query parameters to a URL that may already have a query.
fn append_query(base: &str, params: &[(&str, String)]) -> String {
    let mut out = base.to_owned();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
        sep = '&';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects() {
        for ok in [
            "http://127.0.0.1:49152/auth/callback",
            "http://localhost:1/cb?x=1",
            "http://[::1]:8080/",
            "http://127.0.0.1/",
        ] {
            assert!(is_loopback_redirect(ok), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:1/cb",
            "http://example.com:1/cb",
            "http://127.0.0.1.example.com/cb",
            "http://user@127.0.0.1:1/cb",
            "http://127.0.0.1:1/cb#frag",
            "http://127.0.0.1:99999/cb",
            "http://localhost.evil/cb",
        ] {
            assert!(!is_loopback_redirect(bad), "{bad}");
        }
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
