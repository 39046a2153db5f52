//! Splitting raw commit and tag objects into (payload, signature), byte for byte as git does.
//!
//! * Commits: git's `parse_buffer_signed_by_header` (commit.c). The signature is the value of
//!   the `gpgsig` header (SHA-1 repositories) or `gpgsig-sha256` (SHA-256 repositories) with
//!   its continuation lines (one leading space removed); the payload is the object without
//!   those lines and without the other algorithm's signature header.
//! * Tags: git's `parse_signed_buffer` (gpg-interface.c): the signature starts at the *last*
//!   line that begins a known signature armor, and runs to the end.
//!
//! Pure bytes in, bytes out: no repository access, never a panic (a fuzz target drives it).
//! The headers themselves are read by [`header`], the one parser of commit and tag headers.

use super::header::{self, HeaderError};

/// The largest commit or tag gitseal reads: 16 MiB. git sets no limit, but a signed object
/// is written by a person or a tool (the largest of the 290 real gitsign objects in the
/// project's corpus is under 20 KiB), and anything read whole is memory an attacker chooses:
/// a pushed 69 MB commit must not cost hundreds of MB. Larger objects are refused (never
/// passed) before they are read.
pub const MAX_OBJECT_BYTES: u64 = 16 << 20;

/// The largest signature gitseal reads: 256 KiB. A gitsign signature with its certificate
/// chain and embedded log entry is about 3.5 KiB (the corpus's largest is 3.3 KiB).
pub const MAX_SIGNATURE_BYTES: u64 = 256 << 10;

/// Object kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A commit.
    Commit,
    /// An annotated tag.
    Tag,
    /// A tree: never signed; a ref may still point at one (directly or through tags).
    Tree,
    /// A blob: never signed, as a tree.
    Blob,
}

impl Kind {
    /// The kind of a signed payload (a commit or tag without its signature), from its first
    /// header: `tree` starts a commit, `object` a tag (gitformat-signature(5)). Pure.
    pub fn of_payload(payload: &[u8]) -> Option<Self> {
        if payload.starts_with(b"tree ") {
            Some(Self::Commit)
        } else if payload.starts_with(b"object ") {
            Some(Self::Tag)
        } else {
            None
        }
    }

    /// git's type name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Commit => "commit",
            Self::Tag => "tag",
            Self::Tree => "tree",
            Self::Blob => "blob",
        }
    }
}

/// The repository's object hash, which selects the commit signature header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// SHA-1 repositories: `gpgsig`.
    Sha1,
    /// SHA-256 repositories: `gpgsig-sha256`.
    Sha256,
}

impl HashKind {
    /// The object format a commit or tag payload is written in, read from the length of the
    /// object id on its first line (`tree <id>` / `object <id>`): 40 hex digits for SHA-1, 64
    /// for SHA-256 (gitformat-signature(5); hash-function-transition.txt). `None` for anything
    /// else. Pure: git's `--verify` path learns the format without opening the repository.
    pub fn of_payload(payload: &[u8]) -> Option<Self> {
        let first = payload.split(|&b| b == b'\n').next()?;
        let id = first
            .strip_prefix(b"tree ")
            .or_else(|| first.strip_prefix(b"object "))?;
        if !id.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        match id.len() {
            40 => Some(Self::Sha1),
            64 => Some(Self::Sha256),
            _ => None,
        }
    }
}

/// The signature formats git recognises by their first line (gpg-interface.c `sigs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureFormat {
    /// `-----BEGIN SIGNED MESSAGE-----`: x509 (gitsign, gpgsm, gitseal).
    X509,
    /// `-----BEGIN PGP SIGNATURE-----` or `-----BEGIN PGP MESSAGE-----`.
    OpenPgp,
    /// `-----BEGIN SSH SIGNATURE-----`.
    Ssh,
    /// Anything else (for example gitsign's help text, which appears in real history).
    Unknown,
}

const MARKERS: &[(&[u8], SignatureFormat)] = &[
    (b"-----BEGIN PGP SIGNATURE-----", SignatureFormat::OpenPgp),
    (b"-----BEGIN PGP MESSAGE-----", SignatureFormat::OpenPgp),
    (b"-----BEGIN SIGNED MESSAGE-----", SignatureFormat::X509),
    (b"-----BEGIN SSH SIGNATURE-----", SignatureFormat::Ssh),
];

/// The format a signature's text announces.
pub fn signature_format(sig: &[u8]) -> SignatureFormat {
    MARKERS
        .iter()
        .find(|(m, _)| sig.starts_with(m))
        .map_or(SignatureFormat::Unknown, |(_, f)| *f)
}

/// An object read from a repository for verification.
#[derive(Debug, Clone)]
pub struct RawObject {
    /// Hex object id.
    pub id: String,
    /// Commit or tag.
    pub kind: Kind,
    /// The raw object bytes (without the `<type> <len>\0` header).
    pub data: Vec<u8>,
}

/// A signed object split for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The bytes the signature covers.
    pub payload: Vec<u8>,
    /// The signature text.
    pub signature: Vec<u8>,
}

fn lines(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    buf.split_inclusive(|&b| b == b'\n')
}

/// Splits a commit. `None` when it carries no signature for this hash kind.
pub fn split_commit(raw: &[u8], hash: HashKind) -> Option<Split> {
    let header: &[u8] = match hash {
        HashKind::Sha1 => b"gpgsig",
        HashKind::Sha256 => b"gpgsig-sha256",
    };
    let mut payload = Vec::with_capacity(raw.len());
    let mut signature = Vec::new();
    let (mut in_sig, mut saw, mut other) = (false, false, false);
    let mut consumed = 0;
    for line in lines(raw) {
        consumed += line.len();
        let sig: Option<&[u8]> = if in_sig && line.first() == Some(&b' ') {
            Some(&line[1..])
        } else if line.starts_with(header) && line.get(header.len()) == Some(&b' ') {
            other = false;
            Some(&line[header.len() + 1..])
        } else {
            if line.starts_with(b"gpgsig") {
                other = true;
            } else if other && line.first() != Some(&b' ') {
                other = false;
            }
            None
        };
        if let Some(s) = sig {
            signature.extend_from_slice(s);
            saw = true;
            in_sig = true;
        } else {
            if line.first() == Some(&b'\n') {
                // End of headers: the rest (the message) is payload verbatim.
                payload.extend_from_slice(line);
                payload.extend_from_slice(&raw[consumed..]);
                break;
            }
            if !other {
                payload.extend_from_slice(line);
            }
            in_sig = false;
        }
    }
    saw.then_some(Split { payload, signature })
}

/// Splits a tag at its in-body signature. `None` when it has none.
pub fn split_tag(raw: &[u8]) -> Option<Split> {
    let mut offset = 0;
    let mut found = None;
    for line in lines(raw) {
        if MARKERS.iter().any(|(m, _)| line.starts_with(m)) {
            found = Some(offset);
        }
        offset += line.len();
    }
    let at = found?;
    Some(Split {
        payload: raw[..at].to_vec(),
        signature: raw[at..].to_vec(),
    })
}

/// Splits an object of any kind (trees and blobs carry no signature).
pub fn split(kind: Kind, raw: &[u8], hash: HashKind) -> Option<Split> {
    match kind {
        Kind::Commit => split_commit(raw, hash),
        Kind::Tag => split_tag(raw),
        Kind::Tree | Kind::Blob => None,
    }
}

/// The email of the committer (commit) or tagger (tag) of a signed payload, used by the
/// default trust rule. `None` when the payload is not one git reads one way only
/// ([`check_signed`] says why) or the email is not UTF-8: an identity that `git log` could show
/// differently is never matched.
pub fn signer_email(kind: Kind, payload: &[u8]) -> Option<String> {
    let hash = HashKind::of_payload(payload)?;
    let ident = match kind {
        Kind::Commit => header::parse_commit(payload, hash).ok()?.committer,
        Kind::Tag => header::parse_tag(payload, hash).ok()?.tagger?,
        Kind::Tree | Kind::Blob => return None,
    };
    ident.email_str().map(str::to_string)
}

/// The x509 signature text git stores must be one `SIGNED MESSAGE` block and nothing more: a
/// tag's signature runs to the end of the object (gpg-interface.c `parse_signed_buffer`), and
/// a commit's `gpgsig` value to the end of its continuation lines, so text after the END line
/// is shown by `git show` / `git log` as if it were covered, while the CMS ignores it.
/// Checks that after the END line there is at most one line ending.
pub fn signature_is_one_block(signature: &[u8]) -> bool {
    const END: &[u8] = b"-----END SIGNED MESSAGE-----";
    let Some(at) = signature.windows(END.len()).position(|w| w == END) else {
        // No END line: the armor decoder reports it.
        return true;
    };
    matches!(&signature[at + END.len()..], b"" | b"\n" | b"\r\n")
}

/// Whether a signed commit or tag is one git reads one way only (module docs of
/// [`header`]), with nothing after its signature block. The checker refuses anything else as
/// `object-malformed` before looking at the signature.
pub fn check_signed(kind: Kind, payload: &[u8], signature: &[u8]) -> Result<(), HeaderError> {
    let expected = match kind {
        Kind::Commit => "tree",
        Kind::Tag => "object",
        // Never signed: nothing git would show differently.
        Kind::Tree | Kind::Blob => return Ok(()),
    };
    let hash = HashKind::of_payload(payload).ok_or(HeaderError::Expected { expected, line: 1 })?;
    match kind {
        Kind::Commit => header::parse_commit(payload, hash).map(drop)?,
        _ => header::parse_tag(payload, hash).map(drop)?,
    }
    if !signature_is_one_block(signature) {
        return Err(HeaderError::TextAfterSignature);
    }
    Ok(())
}

/// The raw object git writes when it stores `signature` over `payload` (compat §3.1):
/// commits get a `gpgsig` (or `gpgsig-sha256`) header after the last header line, the
/// signature's lines after the first prefixed by one space and its final newline dropped
/// (git `add_header_signature`); tags get the signature appended to the body (so would
/// trees and blobs, which git never signs).
pub fn signed_object(kind: Kind, payload: &[u8], signature: &[u8], hash: HashKind) -> Vec<u8> {
    match kind {
        Kind::Tag | Kind::Tree | Kind::Blob => [payload, signature].concat(),
        Kind::Commit => {
            let header_end = payload
                .windows(2)
                .position(|w| w == b"\n\n")
                .map_or(payload.len(), |p| p + 1);
            let name: &[u8] = match hash {
                HashKind::Sha1 => b"gpgsig",
                HashKind::Sha256 => b"gpgsig-sha256",
            };
            let sig = signature.strip_suffix(b"\n").unwrap_or(signature);
            let mut out = Vec::with_capacity(payload.len() + signature.len() + 64);
            out.extend_from_slice(&payload[..header_end]);
            out.extend_from_slice(name);
            out.push(b' ');
            for (i, line) in sig.split(|&b| b == b'\n').enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(line);
                out.push(b'\n');
            }
            out.extend_from_slice(&payload[header_end..]);
            out
        }
    }
}

/// The object id (lower hex) of raw object bytes: the hash of `"<type> <len>\0" ‖ raw`.
pub fn object_id(kind: Kind, raw: &[u8], hash: HashKind) -> String {
    use sha2::Digest as _;
    let header = format!("{} {}\0", kind.name(), raw.len());
    match hash {
        HashKind::Sha1 => {
            let mut h = sha1::Sha1::new();
            h.update(header.as_bytes());
            h.update(raw);
            hex::encode(h.finalize())
        }
        HashKind::Sha256 => {
            let mut h = sha2::Sha256::new();
            h.update(header.as_bytes());
            h.update(raw);
            hex::encode(h.finalize())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_format_from_payload() {
        let sha1 = format!("tree {}\nauthor A <a@x> 1 +0000\n\nm\n", "a".repeat(40));
        let sha256 = format!("object {}\ntype commit\n", "0".repeat(64));
        assert_eq!(HashKind::of_payload(sha1.as_bytes()), Some(HashKind::Sha1));
        assert_eq!(
            HashKind::of_payload(sha256.as_bytes()),
            Some(HashKind::Sha256)
        );
        assert_eq!(Kind::of_payload(sha1.as_bytes()), Some(Kind::Commit));
        assert_eq!(Kind::of_payload(sha256.as_bytes()), Some(Kind::Tag));
        assert_eq!(Kind::of_payload(b"parent x\n"), None);
        for bad in [
            format!("tree {}\n", "a".repeat(41)),
            format!("tree {}\n", "A".repeat(40)),
            format!("parent {}\n", "a".repeat(40)),
            String::new(),
        ] {
            assert_eq!(HashKind::of_payload(bad.as_bytes()), None, "{bad:?}");
        }
    }

    const COMMIT: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0202020202020202020202020202020202020202\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\ngpgsig -----BEGIN SIGNED MESSAGE-----\n AAAA\n -----END SIGNED MESSAGE-----\n\nmsg\n\nbody\n";

    #[test]
    fn commit_split_matches_git() {
        let s = split_commit(COMMIT, HashKind::Sha1).unwrap();
        assert_eq!(
            s.payload,
            b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0202020202020202020202020202020202020202\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\n\nmsg\n\nbody\n"
        );
        assert_eq!(
            s.signature,
            b"-----BEGIN SIGNED MESSAGE-----\nAAAA\n-----END SIGNED MESSAGE-----\n"
        );
        assert_eq!(
            signer_email(Kind::Commit, &s.payload).as_deref(),
            Some("c@x")
        );
        assert!(split_commit(COMMIT, HashKind::Sha256).is_none());
    }

    #[test]
    fn other_algorithm_header_is_dropped_from_payload() {
        let raw = b"tree 1\ngpgsig-sha256 X\n Y\ngpgsig S\n T\ncommitter C <c@x> 1 +0000\n\nm";
        let s = split_commit(raw, HashKind::Sha1).unwrap();
        assert_eq!(s.payload, b"tree 1\ncommitter C <c@x> 1 +0000\n\nm");
        assert_eq!(s.signature, b"S\nT\n");
        let s = split_commit(raw, HashKind::Sha256).unwrap();
        assert_eq!(s.signature, b"X\nY\n");
        assert_eq!(s.payload, b"tree 1\ncommitter C <c@x> 1 +0000\n\nm");
    }

    #[test]
    fn message_lines_that_look_like_headers_stay() {
        let raw = b"tree 1\n\ngpgsig not a header\n";
        assert!(split_commit(raw, HashKind::Sha1).is_none());
    }

    #[test]
    fn signed_object_round_trips_the_split() {
        let s = split_commit(COMMIT, HashKind::Sha1).unwrap();
        assert_eq!(
            signed_object(Kind::Commit, &s.payload, &s.signature, HashKind::Sha1),
            COMMIT
        );
    }

    #[test]
    fn only_one_signature_block_is_signed() {
        let s = split_commit(COMMIT, HashKind::Sha1).unwrap();
        assert_eq!(check_signed(Kind::Commit, &s.payload, &s.signature), Ok(()));
        // A second gpgsig header: git concatenates the values, and shows the second block.
        let twice = [&s.signature[..], &s.signature[..]].concat();
        assert_eq!(
            check_signed(Kind::Commit, &s.payload, &twice),
            Err(HeaderError::TextAfterSignature)
        );
        for tail in [&b""[..], b"\n", b"\r\n"] {
            let sig = [
                &b"-----BEGIN SIGNED MESSAGE-----\nAA\n-----END SIGNED MESSAGE-----"[..],
                tail,
            ]
            .concat();
            assert!(signature_is_one_block(&sig));
        }
        assert!(!signature_is_one_block(
            b"-----BEGIN SIGNED MESSAGE-----\nAA\n-----END SIGNED MESSAGE-----\nApproved by Alice\n"
        ));
        // The committer rule never sees an identity git could show differently.
        let dup = [
            &s.payload[..s.payload.len() - 11],
            b"committer M <m@x> 1 +0000\n\nmsg\n\nbody\n",
        ]
        .concat();
        assert_eq!(signer_email(Kind::Commit, &dup), None);
        assert!(check_signed(Kind::Commit, &dup, &s.signature).is_err());
    }

    #[test]
    fn tag_split_uses_last_marker() {
        let raw = b"object 0202020202020202020202020202020202020202\ntype commit\ntag v\ntagger T <t@x> 1 +0000\n\nmsg\n-----BEGIN PGP SIGNATURE-----\nquoted\n-----BEGIN SIGNED MESSAGE-----\nAA\n-----END SIGNED MESSAGE-----\n";
        let s = split_tag(raw).unwrap();
        assert!(s.signature.starts_with(b"-----BEGIN SIGNED MESSAGE-----"));
        assert!(s.payload.ends_with(b"quoted\n"));
        assert_eq!(signer_email(Kind::Tag, &s.payload).as_deref(), Some("t@x"));
        assert!(split_tag(b"object 1\n\nno sig\n").is_none());
    }
}
