//! `gitsign.matchCommitter`, the signing-time identity rule (compat §6.7; gitsign's
//! `internal/signature/sign.go` `matchSAN`): the certificate Fulcio issued must name the
//! committer configured in git (`user.name` / `user.email`), or nothing is signed or logged.
//!
//! The decision lives here with the other trust decisions; [`crate::sign`] only calls
//! [`matches_der`] on the leaf Fulcio returned. Its rule is gitsign's, kept deliberately apart
//! from the verification-time committer rule ([`super::Policy::decide`]): it compares with
//! the values git config holds, exactly (gitsign compares with `==`), and a SAN URI may match
//! `user.name` (for workload identities such as GitHub Actions, whose SAN is a URI).

use crate::x509::{Cert, San};

/// The committer identity from git config (`user.name`, `user.email`; compat §6.7: from git
/// config, not from `GIT_COMMITTER_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committer<'a> {
    /// `user.name`.
    pub name: &'a str,
    /// `user.email`.
    pub email: &'a str,
}

/// The certificate names someone else. The message is gitsign's, word for word (compat §6.7),
/// so that scripts and people who know gitsign's refusal recognise it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "gitsign.matchCommitter: certificate identity does not match config - want {name} <{email}>, got email: [{}],uri: [{}]",
    .cert_emails.join(" "),
    .cert_uris.join(" ")
)]
pub struct Mismatch {
    /// `user.name`.
    pub name: String,
    /// `user.email`.
    pub email: String,
    /// SAN emails in the certificate.
    pub cert_emails: Vec<String>,
    /// SAN URIs in the certificate.
    pub cert_uris: Vec<String>,
}

/// Passes when a SAN email equals `committer.email` or a SAN URI equals `committer.name`
/// (exact, case-sensitive comparison, as gitsign's `matchSAN`). Other SAN kinds never match.
pub fn matches(leaf: &Cert, committer: Committer<'_>) -> Result<(), Mismatch> {
    // A SAN extension that cannot be read names nobody, so it matches no committer.
    let sans = leaf.sans().unwrap_or_default();
    let mut emails = Vec::new();
    let mut uris = Vec::new();
    for san in sans {
        match san {
            San::Email(e) => emails.push(e),
            San::Uri(u) => uris.push(u),
            San::OtherName(_) | San::Dns(_) => {}
        }
    }
    decide(emails, uris, committer)
}

/// [`matches`] on a certificate's DER, as signing holds it. A certificate that cannot be
/// parsed names nobody: it is refused, with empty SAN lists in the message.
pub fn matches_der(leaf_der: &[u8], committer: Committer<'_>) -> Result<(), Mismatch> {
    match Cert::from_der(leaf_der) {
        Ok(leaf) => matches(&leaf, committer),
        Err(_) => decide(Vec::new(), Vec::new(), committer),
    }
}

fn decide(emails: Vec<String>, uris: Vec<String>, c: Committer<'_>) -> Result<(), Mismatch> {
    if emails.iter().any(|e| e == c.email) || uris.iter().any(|u| u == c.name) {
        return Ok(());
    }
    Err(Mismatch {
        name: c.name.to_owned(),
        email: c.email.to_owned(),
        cert_emails: emails,
        cert_uris: uris,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::fulcio::tests::fulcio_like_leaf_with_sans;
    use der::asn1::Ia5String;
    use p256::elliptic_curve::Generate as _;
    use x509_cert::ext::pkix::name::GeneralName;

    fn leaf(sans: &[GeneralName]) -> Cert {
        let key = p256::ecdsa::SigningKey::try_generate().unwrap();
        let ca = p384::ecdsa::SigningKey::try_generate().unwrap();
        Cert::from_der(&fulcio_like_leaf_with_sans(key.verifying_key(), &ca, sans)).unwrap()
    }

    fn email(s: &str) -> GeneralName {
        GeneralName::Rfc822Name(Ia5String::new(s).unwrap())
    }

    fn uri(s: &str) -> GeneralName {
        GeneralName::UniformResourceIdentifier(Ia5String::new(s).unwrap())
    }

    const WORKFLOW: &str = "https://github.com/o/r/.github/workflows/ci.yml@refs/heads/main";

    fn who<'a>(name: &'a str, email: &'a str) -> Committer<'a> {
        Committer { name, email }
    }

    #[test]
    fn an_email_san_matches_user_email_exactly() {
        let l = leaf(&[email("dev@example.test")]);
        assert_eq!(matches(&l, who("Dev", "dev@example.test")), Ok(()));
        // Exact, as gitsign's `==`: no case folding, no match on the name.
        let e = matches(&l, who("dev@example.test", "Dev@example.test")).unwrap_err();
        assert_eq!(e.cert_emails, vec!["dev@example.test".to_string()]);
        assert!(matches(&l, who("Dev", "other@example.test")).is_err());
    }

    #[test]
    fn a_uri_san_matches_user_name() {
        let l = leaf(&[uri(WORKFLOW)]);
        assert_eq!(matches(&l, who(WORKFLOW, "ci@example.test")), Ok(()));
        // A URI never matches the email, and an email SAN never matches the name.
        assert!(matches(&l, who("ci", WORKFLOW)).is_err());
        let l = leaf(&[email("dev@example.test")]);
        assert!(matches(&l, who("dev@example.test", "x@example.test")).is_err());
    }

    #[test]
    fn any_of_several_sans_may_match_and_other_kinds_never_do() {
        let dns = GeneralName::DnsName(Ia5String::new("example.test").unwrap());
        let l = leaf(&[
            dns,
            email("a@example.test"),
            email("b@example.test"),
            uri("u:1"),
        ]);
        assert_eq!(matches(&l, who("x", "b@example.test")), Ok(()));
        assert_eq!(matches(&l, who("u:1", "x")), Ok(()));
        assert!(matches(&l, who("example.test", "example.test")).is_err());
    }

    #[test]
    fn the_refusal_is_gitsigns_message() {
        let l = leaf(&[email("a@example.test"), email("b@example.test"), uri("u:1")]);
        let e = matches(&l, who("Other", "other@example.test")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gitsign.matchCommitter: certificate identity does not match config - want Other <other@example.test>, got email: [a@example.test b@example.test],uri: [u:1]"
        );
        let e = matches(&leaf(&[]), who("N", "n@example.test")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gitsign.matchCommitter: certificate identity does not match config - want N <n@example.test>, got email: [],uri: []"
        );
    }

    #[test]
    fn an_unreadable_certificate_matches_nobody() {
        let e = matches_der(b"not a certificate", who("", "")).unwrap_err();
        assert!(e.cert_emails.is_empty() && e.cert_uris.is_empty());
        let key = p256::ecdsa::SigningKey::try_generate().unwrap();
        let ca = p384::ecdsa::SigningKey::try_generate().unwrap();
        let der = fulcio_like_leaf_with_sans(key.verifying_key(), &ca, &[email("d@e.test")]);
        assert_eq!(matches_der(&der, who("D", "d@e.test")), Ok(()));
    }
}
