//! Every object identifier gitseal reads or writes, each with where it is defined.
//!
//! One place, so a typo cannot make two modules disagree about what an OID means.

use const_oid::ObjectIdentifier as Oid;

/// RFC 5652 §5.1 `id-signedData`.
pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// RFC 5652 §4 `id-data`.
pub const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// RFC 5652 §11.1 `contentType` attribute.
pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// RFC 5652 §11.2 `messageDigest` attribute.
pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// RFC 5652 §11.3 `signingTime` attribute (untrusted: the signer's clock).
pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
/// RFC 3161 `id-aa-timeStampToken` unsigned attribute.
pub const TIMESTAMP_TOKEN: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// NIST SHA-256.
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// RFC 5758 `ecdsa-with-SHA256`.
pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// RFC 5758 `ecdsa-with-SHA384`.
pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
/// RFC 5480 `id-ecPublicKey`.
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// RFC 5480 `secp256r1`.
pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
/// RFC 5480 `secp384r1`.
pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
/// RFC 5280 `id-kp-codeSigning`.
pub const KP_CODE_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.3");
/// RFC 5280 extension `subjectAltName`.
pub const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
/// RFC 5280 extension `keyUsage`.
pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
/// RFC 5280 extension `extKeyUsage`.
pub const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
/// RFC 5280 extension `basicConstraints`.
pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
/// RFC 6962 §3.3 embedded SCT list extension.
pub const CT_SCT_LIST: Oid = Oid::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// RFC 6962 §3.1 precertificate poison extension.
pub const CT_POISON: Oid = Oid::new_unwrap("1.3.6.1.4.1.11129.2.4.3");

/// Fulcio 1.3.6.1.4.1.57264.1.1: OIDC issuer, raw string bytes (deprecated but still issued;
/// the one sigstore-python and cosign read). Fulcio `docs/oid-info.md`.
pub const FULCIO_ISSUER_V1: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// Fulcio .1.2: GitHub workflow trigger (raw).
pub const FULCIO_GITHUB_WORKFLOW_TRIGGER: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.2");
/// Fulcio .1.3: GitHub workflow SHA (raw).
pub const FULCIO_GITHUB_WORKFLOW_SHA: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.3");
/// Fulcio .1.4: GitHub workflow name (raw).
pub const FULCIO_GITHUB_WORKFLOW_NAME: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.4");
/// Fulcio .1.5: GitHub workflow repository (raw).
pub const FULCIO_GITHUB_WORKFLOW_REPOSITORY: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.5");
/// Fulcio .1.6: GitHub workflow ref (raw).
pub const FULCIO_GITHUB_WORKFLOW_REF: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.6");
/// Fulcio .1.7: OtherName SAN type (UTF8String username).
pub const FULCIO_OTHERNAME_SAN: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.7");
/// Fulcio .1.8: OIDC issuer (V2), DER UTF8String.
pub const FULCIO_ISSUER_V2: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.8");

// Fulcio .1.9–.1.22: the CI claims of `docs/oid-info.md`, each a DER UTF8String (sigstore-go
// `pkg/fulcio/certificate/extensions.go`, a copy of Fulcio's `pkg/certificate/extensions.go`).
/// Fulcio .1.9: Build Signer URI (DER UTF8String).
pub const FULCIO_BUILD_SIGNER_URI: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.9");
/// Fulcio .1.10: Build Signer Digest (DER UTF8String).
pub const FULCIO_BUILD_SIGNER_DIGEST: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.10");
/// Fulcio .1.11: Runner Environment (DER UTF8String).
pub const FULCIO_RUNNER_ENVIRONMENT: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.11");
/// Fulcio .1.12: Source Repository URI (DER UTF8String).
pub const FULCIO_SOURCE_REPOSITORY_URI: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.12");
/// Fulcio .1.13: Source Repository Digest (DER UTF8String).
pub const FULCIO_SOURCE_REPOSITORY_DIGEST: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.13");
/// Fulcio .1.14: Source Repository Ref (DER UTF8String).
pub const FULCIO_SOURCE_REPOSITORY_REF: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.14");
/// Fulcio .1.15: Source Repository Identifier (DER UTF8String).
pub const FULCIO_SOURCE_REPOSITORY_IDENTIFIER: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.15");
/// Fulcio .1.16: Source Repository Owner URI (DER UTF8String).
pub const FULCIO_SOURCE_REPOSITORY_OWNER_URI: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.16");
/// Fulcio .1.17: Source Repository Owner Identifier (DER UTF8String).
pub const FULCIO_SOURCE_REPOSITORY_OWNER_IDENTIFIER: Oid =
    Oid::new_unwrap("1.3.6.1.4.1.57264.1.17");
/// Fulcio .1.18: Build Config URI (DER UTF8String).
pub const FULCIO_BUILD_CONFIG_URI: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.18");
/// Fulcio .1.19: Build Config Digest (DER UTF8String).
pub const FULCIO_BUILD_CONFIG_DIGEST: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.19");
/// Fulcio .1.20: Build Trigger (DER UTF8String).
pub const FULCIO_BUILD_TRIGGER: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.20");
/// Fulcio .1.21: Run Invocation URI (DER UTF8String).
pub const FULCIO_RUN_INVOCATION_URI: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.21");
/// Fulcio .1.22: Source Repository Visibility At Signing (DER UTF8String).
pub const FULCIO_SOURCE_REPOSITORY_VISIBILITY_AT_SIGNING: Oid =
    Oid::new_unwrap("1.3.6.1.4.1.57264.1.22");

/// gitsign's unsigned attribute: the Rekor `TransparencyLogEntry` protobuf (compat §2.4).
pub const GITSIGN_TLOG_ENTRY: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.3.1");
/// Arc of the early per-field encoding 1.3.6.1.4.1.57264.3.0–3.8 (corpus object c47e8bf5).
pub const GITSIGN_TLOG_ARC: &str = "1.3.6.1.4.1.57264.3.";

/// RFC 5280 `id-kp-timeStamping`: the one extended key usage of a TSA certificate (RFC 3161 §2.3).
pub const KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
/// RFC 3161 §2.4.2 `id-ct-TSTInfo`: the eContentType of a timestamp token.
pub const CT_TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// RFC 5754 `id-sha384`.
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
/// RFC 2634 §5.4 `id-aa-signingCertificate` (ESSCertID, SHA-1): names a TSA's certificate.
pub const SIGNING_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// RFC 5035 §3 `id-aa-signingCertificateV2` (ESSCertIDv2, SHA-256 by default).
pub const SIGNING_CERTIFICATE_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// RFC 5280 extension `subjectKeyIdentifier` (a CMS signer may be named by it, RFC 5652 §5.3).
pub const SUBJECT_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.14");
