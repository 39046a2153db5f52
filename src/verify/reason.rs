//! Why a signature was not accepted: one enum with stable kebab-case codes.
//!
//! The code is part of the interface (JSON output, tests, hook messages): never rename one.
//! Each reason has a fixed class: [`Class::Bad`] means the signature, chain or log proof is
//! *wrong* (git BADSIG); [`Class::CannotCheck`] means it could not be checked at all (git
//! ERRSIG). The class is a property of the reason, not of the call site, so the status-line
//! mapping in `cli` stays one exhaustive match.

/// git's view of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Evidence is present and wrong: BADSIG.
    Bad,
    /// Evidence is missing or in a form gitseal cannot check: ERRSIG.
    CannotCheck,
}

macro_rules! reasons {
    ($($variant:ident => $code:literal, $class:ident, $text:literal;)*) => {
        /// A stable reason code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $(#[doc = $text] $variant,)*
        }

        impl Reason {
            /// Every reason, for documentation and uniqueness tests.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)*];

            /// The stable code.
            pub fn code(self) -> &'static str {
                match self { $(Reason::$variant => $code,)* }
            }

            /// BADSIG or ERRSIG.
            pub fn class(self) -> Class {
                match self { $(Reason::$variant => Class::$class,)* }
            }

            /// One line for humans.
            pub fn description(self) -> &'static str {
                match self { $(Reason::$variant => $text,)* }
            }
        }
    };
}

reasons! {
    SignatureMalformed => "signature-malformed", CannotCheck,
        "the signature is not a well-formed CMS SignedData";
    UnsupportedSignatureFormat => "unsupported-signature-format", CannotCheck,
        "the signature is not an x509 (SIGNED MESSAGE) signature";
    SignatureNotDetached => "signature-not-detached", CannotCheck,
        "the CMS carries its content; git signatures are detached";
    MultipleSigners => "multiple-signers", CannotCheck,
        "the CMS has more than one signer; Sigstore signatures have exactly one";
    UnsupportedAlgorithm => "unsupported-algorithm", CannotCheck,
        "a digest, signature or key algorithm gitseal does not support";
    CertificateMissing => "certificate-missing", CannotCheck,
        "the signer's certificate is not in the signature";
    CertificateMalformed => "certificate-malformed", Bad,
        "the signer's certificate cannot be read";
    SignedAttributesMissing => "signed-attributes-missing", Bad,
        "the signature has no signed attributes to bind it to the payload";
    ContentTypeMismatch => "content-type-mismatch", Bad,
        "the contentType attribute does not match the signed content type";
    MessageDigestMismatch => "message-digest-mismatch", Bad,
        "the payload is not what was signed (messageDigest differs)";
    SignatureInvalid => "signature-invalid", Bad,
        "the ECDSA signature over the signed attributes does not verify";
    ChainUntrusted => "chain-untrusted", Bad,
        "the certificate does not chain to a trusted Fulcio CA at the signing time";
    CertificateNotForCodeSigning => "certificate-not-for-code-signing", Bad,
        "the certificate lacks the codeSigning or digitalSignature usage";
    SctMissing => "sct-missing", Bad,
        "the certificate carries no embedded SCT";
    SctInvalid => "sct-invalid", Bad,
        "no embedded SCT verifies under a trusted CT log key";
    TlogEntryMalformed => "tlog-entry-malformed", Bad,
        "the embedded transparency-log entry cannot be decoded";
    TlogEntryMismatch => "tlog-entry-mismatch", Bad,
        "the transparency-log entry is not about this signature";
    TlogUnknownLog => "tlog-unknown-log", CannotCheck,
        "the entry's log is not in the trust root (or not valid then)";
    SetMissing => "set-missing", CannotCheck,
        "the log entry has no signed entry timestamp, so there is no trusted signing time";
    SetInvalid => "set-invalid", Bad,
        "the signed entry timestamp does not verify";
    InclusionProofMissing => "inclusion-proof-missing", CannotCheck,
        "the log entry has no inclusion proof";
    InclusionProofInvalid => "inclusion-proof-invalid", Bad,
        "the Merkle inclusion proof does not lead to its root";
    CheckpointMissing => "checkpoint-missing", CannotCheck,
        "the inclusion proof has no signed checkpoint";
    CheckpointInvalid => "checkpoint-invalid", Bad,
        "the checkpoint is malformed, not signed by the log, or not for this proof";
    IntegratedTimeOutsideValidity => "integrated-time-outside-validity", Bad,
        "the log integrated the entry outside the certificate's validity";
    TlogLookupRequired => "tlog-lookup-required", CannotCheck,
        "an online-mode signature: its log entry must be looked up in Rekor";
    IdentityMismatch => "identity-mismatch", Bad,
        "the signer's identity or issuer is not one the policy allows";
    TlogEntryNotFound => "tlog-entry-not-found", CannotCheck,
        "the transparency log has no entry for this online-mode signature";
    TlogLookupFailed => "tlog-lookup-failed", CannotCheck,
        "the transparency log could not be searched for this online-mode signature";
    ObjectMalformed => "object-malformed", Bad,
        "the commit or tag is one git could show differently from what was signed";
    TagNameMismatch => "tag-name-mismatch", Bad,
        "the signed tag calls itself by another name than the ref it is stored as";
    TimestampInvalid => "timestamp-invalid", Bad,
        "the RFC 3161 timestamp does not verify, is not from a trusted TSA, or is not for this signature or certificate";
    TimestampMissing => "timestamp-missing", CannotCheck,
        "a Rekor v2 signature carries no trusted RFC 3161 timestamp, so there is no trusted signing time";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.code()), "duplicate {}", r.code());
            assert!(
                r.code()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-')
            );
        }
    }
}
