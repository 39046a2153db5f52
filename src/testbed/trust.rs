//! Trust material a client needs to verify what the testbed issued and logged.
//!
//! Owns the three JSON documents in the exact shapes sigstore-python 4.5.1 accepts
//! (interop-peers §1.2, Gotchas G8–G9): `trusted_root.json` (mediaType
//! `application/vnd.dev.sigstore.trustedroot+json;version=0.1`; certificate chain intermediate
//! first, root last; tlog and ctlog keys as DER SubjectPublicKeyInfo with
//! `PKIX_ECDSA_P256_SHA_256` and `logId.keyId` = SHA-256 of that DER), `signing_config.json`
//! (`application/vnd.dev.sigstore.signingconfig.v0.2+json`) and `client_trust_config.json`
//! (`application/vnd.dev.sigstore.clienttrustconfig.v0.1+json`, both of the above inside).
//! Every `validFor.start` is a day before the testbed's keys were made, so it is in the past for
//! any entry the testbed ever logs. Byte values are standard base64 with padding; there are no
//! integers, so the uint64-as-string rule never comes up. It only formats; the keys come from the
//! services.

use serde_json::{Value, json};

use super::TestbedError;
use super::crypto;
use super::fulcio::{ROOT_COMMON_NAME, ROOT_ORGANIZATION};

/// Inputs for the documents.
pub struct TrustInputs<'a> {
    pub fulcio_url: &'a str,
    pub rekor_url: &'a str,
    pub issuer_url: &'a str,
    pub ct_url: &'a str,
    pub root_der: &'a [u8],
    pub intermediate_der: &'a [u8],
    pub rekor_spki: &'a [u8],
    pub rekor_v2_spki: &'a [u8],
    pub rekor_v2_log_id: &'a [u8; 32],
    pub ct_spki: &'a [u8],
    pub valid_from_unix: u64,
    /// The TSA's RFC 3161 endpoint URL.
    pub tsa_url: &'a str,
    /// The TSA chain, signing certificate first, root last.
    pub tsa_chain_der: &'a [&'a [u8]],
}

/// The generated documents, as pretty-printed JSON text.
pub struct TrustDocs {
    pub trusted_root: Value,
    pub signing_config: Value,
    pub client_trust_config: Value,
}

fn log_key(url: &str, spki: &[u8], start: &str) -> Value {
    json!({
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": crypto::b64(spki),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": start},
        },
        "logId": {"keyId": crypto::b64(&crypto::key_id(spki))},
    })
}

/// Build the documents.
pub fn documents(i: &TrustInputs<'_>) -> Result<TrustDocs, TestbedError> {
    let start = crypto::rfc3339(i.valid_from_unix)?;
    let trusted_root = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        // The Rekor v1 log first: sigstore-python's verifier takes `tlogs[0]` as its log.
        "tlogs": [
            log_key(i.rekor_url, i.rekor_spki, &start),
            json!({
                "baseUrl": i.rekor_url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": crypto::b64(i.rekor_v2_spki),
                    "keyDetails": "PKIX_ED25519",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": crypto::b64(i.rekor_v2_log_id)},
            }),
        ],
        "certificateAuthorities": [{
            "subject": {"organization": ROOT_ORGANIZATION, "commonName": ROOT_COMMON_NAME},
            "uri": i.fulcio_url,
            "certChain": {"certificates": [
                {"rawBytes": crypto::b64(i.intermediate_der)},
                {"rawBytes": crypto::b64(i.root_der)},
            ]},
            "validFor": {"start": start},
        }],
        "ctlogs": [log_key(i.ct_url, i.ct_spki, &start)],
        "timestampAuthorities": [{
            "subject": {"organization": ROOT_ORGANIZATION, "commonName": super::tsa::ROOT_COMMON_NAME},
            "uri": i.tsa_url,
            "certChain": {"certificates": i.tsa_chain_der.iter().map(|c| json!({"rawBytes": crypto::b64(c)})).collect::<Vec<_>>()},
            "validFor": {"start": start},
        }],
    });
    let service = |url: &str| json!({"url": url, "majorApiVersion": 1, "validFor": {"start": start}, "operator": "gitseal-testbed"});
    let signing_config = json!({
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": [service(i.fulcio_url)],
        "oidcUrls": [service(i.issuer_url)],
        // The v2 log under an operator of its own: clients that keep one log per operator
        // and the highest API version (sigstore-python) and pick ANY one still sign to v1,
        // the log whose entries verify without a timestamp authority.
        "rekorTlogUrls": [
            service(i.rekor_url),
            json!({"url": i.rekor_url, "majorApiVersion": 2, "validFor": {"start": start}, "operator": "gitseal-testbed-v2"}),
        ],
        "tsaUrls": [service(i.tsa_url)],
        "rekorTlogConfig": {"selector": "ANY"},
        "tsaConfig": {"selector": "ANY"},
    });
    let client_trust_config = json!({
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": trusted_root,
        "signingConfig": signing_config,
    });
    Ok(TrustDocs {
        trusted_root,
        signing_config,
        client_trust_config,
    })
}
