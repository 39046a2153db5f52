//! Commit and tag headers, read with git's own rules — the one header parser in gitseal.
//!
//! Two readings, because git itself has two:
//! * [`links`] and [`tag_target`] are what git's object parser takes from an object to walk
//!   history (`parse_commit_buffer` in commit.c, `parse_tag_buffer` in tag.c): the parents are
//!   the `parent` lines right after `tree` and no others; the commit date is the `committer`
//!   line right after `author`; a tag's object is its first line. A `parent` line anywhere
//!   else is not a parent, to git or to us.
//! * [`parse_commit`] and [`parse_tag`] judge a *signed* payload strictly: a signature vouches
//!   for the bytes, but people see what `git log` / `git show` print from them (pretty.c takes
//!   the *last* `committer` line, ref-filter.c the first). An object on which git's readers
//!   could disagree — duplicate or misplaced `tree`/`parent`/`author`/`committer`/`encoding`/
//!   `object`/`type`/`tag`/`tagger` headers, identities `git fsck` rejects (fsck.c
//!   `fsck_ident`), NUL bytes, unterminated headers — is refused as [`HeaderError`], so the
//!   identity gitseal checks is the only one any git command can show.
//!
//! Pure bytes in, values out; no allocation beyond the parent list; never a panic (a fuzz
//! target drives it). It must not read repositories (that is [`crate::git::repo`]).

use super::object::HashKind;

/// Why a payload is not a commit or tag git would read one way only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A NUL byte (fsck `NUL_IN_COMMIT` / `NUL_IN_HEADER`; git's C-string readers stop there, so
    /// what follows is signed but never shown).
    #[error("the object contains a NUL byte at offset {0}")]
    Nul(usize),
    /// The header is not terminated by a newline (fsck `UNTERMINATED_HEADER`).
    #[error("the object's header is not terminated")]
    Unterminated,
    /// A required header is missing or not where git requires it.
    #[error("expected a `{expected}` header on line {line}")]
    Expected {
        /// The header name.
        expected: &'static str,
        /// 1-based header line.
        line: usize,
    },
    /// A header git reads once appears again or out of place.
    #[error("a second or misplaced `{name}` header on line {line}")]
    Duplicate {
        /// The header name.
        name: &'static str,
        /// 1-based header line.
        line: usize,
    },
    /// An object id that is not lower-case hex of the repository's length.
    #[error("bad object id in the `{name}` header on line {line}")]
    BadId {
        /// The header name.
        name: &'static str,
        /// 1-based header line.
        line: usize,
    },
    /// An author, committer or tagger line `git fsck` rejects.
    #[error("bad `{name}` identity on line {line}: {why}")]
    BadIdent {
        /// The header name.
        name: &'static str,
        /// 1-based header line.
        line: usize,
        /// fsck's complaint.
        why: &'static str,
    },
    /// A line that is neither `name value` nor a continuation of a multi-line header.
    #[error("malformed header line {0}")]
    BadLine(usize),
    /// Text after the signature block, which git shows as part of the object although no
    /// signature covers it (`crate::git::object::signature_is_one_block`).
    #[error("text after the signature block (git shows it, no signature covers it)")]
    TextAfterSignature,
}

/// An identity line's parts (`Name <email> seconds ±hhmm`), as git's `split_ident_line`
/// splits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ident<'a> {
    /// The name, without the space before `<`.
    pub name: &'a [u8],
    /// Between `<` and `>`.
    pub email: &'a [u8],
    /// Unix seconds.
    pub time: i64,
}

impl Ident<'_> {
    /// The email as text (`None` when it is not UTF-8).
    pub fn email_str(&self) -> Option<&str> {
        std::str::from_utf8(self.email).ok()
    }
}

/// A commit payload's singleton headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitHeader<'a> {
    /// `tree` (hex).
    pub tree: &'a [u8],
    /// `parent` lines, in order (hex).
    pub parents: Vec<&'a [u8]>,
    /// `author`.
    pub author: Ident<'a>,
    /// `committer`.
    pub committer: Ident<'a>,
}

/// A tag payload's singleton headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagHeader<'a> {
    /// `object` (hex).
    pub object: &'a [u8],
    /// `type`.
    pub target_type: &'a [u8],
    /// `tag` (the tag's name).
    pub name: &'a [u8],
    /// `tagger` (absent in tags older than git 0.99.1).
    pub tagger: Option<Ident<'a>>,
}

/// The header lines (without their newline), checked for NUL and termination as fsck's
/// `verify_headers` does: the header ends at the first empty line, or at the end of an object
/// with no message, whose last line must then end in a newline.
fn header_lines(payload: &[u8]) -> Result<Vec<&[u8]>, HeaderError> {
    if let Some(at) = payload.iter().position(|&b| b == 0) {
        return Err(HeaderError::Nul(at));
    }
    let end = match payload.windows(2).position(|w| w == b"\n\n") {
        Some(p) => p + 1,
        None if payload.ends_with(b"\n") => payload.len(),
        None => return Err(HeaderError::Unterminated),
    };
    Ok(payload[..end]
        .strip_suffix(b"\n")
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .collect())
}

fn is_id(hex: &[u8], hash: HashKind) -> bool {
    let len = match hash {
        HashKind::Sha1 => 40,
        HashKind::Sha256 => 64,
    };
    hex.len() == len && hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `name value` → value, for a header named exactly `name`.
fn value<'a>(line: &'a [u8], name: &str) -> Option<&'a [u8]> {
    line.strip_prefix(name.as_bytes())?.strip_prefix(b" ")
}

/// An identity as `git fsck` accepts it (fsck.c `fsck_ident`): a name without `<` or `>`
/// followed by a space, `<email>` without `<`, a space, a decimal timestamp without zero
/// padding that fits a signed 64-bit time, a space and a `+hhmm`/`-hhmm` zone, and nothing
/// else.
pub fn parse_ident(v: &[u8]) -> Result<Ident<'_>, &'static str> {
    if v.first() == Some(&b'<') {
        return Err("missing name before email");
    }
    let lt = v
        .iter()
        .position(|&b| b == b'<' || b == b'>')
        .ok_or("missing email")?;
    if v[lt] == b'>' {
        return Err("bad name");
    }
    if lt == 0 || v[lt - 1] != b' ' {
        return Err("missing space before email");
    }
    let rest = &v[lt + 1..];
    let gt = rest
        .iter()
        .position(|&b| b == b'<' || b == b'>')
        .ok_or("bad email")?;
    if rest[gt] == b'<' {
        return Err("bad email");
    }
    let email = &rest[..gt];
    let date = rest[gt + 1..]
        .strip_prefix(b" ")
        .ok_or("missing space before date")?;
    let sp = date.iter().position(|&b| b == b' ').ok_or("bad date")?;
    let (secs, tz) = (&date[..sp], &date[sp + 1..]);
    if secs.is_empty() || !secs.iter().all(u8::is_ascii_digit) {
        return Err("bad date");
    }
    if secs.len() > 1 && secs[0] == b'0' {
        return Err("zero-padded date");
    }
    let time = std::str::from_utf8(secs)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or("date overflow")?;
    let tz_ok =
        tz.len() == 5 && matches!(tz[0], b'+' | b'-') && tz[1..].iter().all(u8::is_ascii_digit);
    if !tz_ok {
        return Err("bad time zone");
    }
    Ok(Ident {
        name: &v[..lt - 1],
        email,
        time,
    })
}

/// Headers git reads once; another occurrence anywhere is refused. (`encoding` is read with
/// `get_header`, which takes the first; `mergetag`, `gpgsig*` and unknown headers may repeat.)
const COMMIT_SINGLETONS: [&str; 5] = ["tree", "parent", "author", "committer", "encoding"];
const TAG_SINGLETONS: [&str; 4] = ["object", "type", "tag", "tagger"];

/// Checks the headers after the fixed ones: each is `name value` with a name that is not a
/// singleton, or a continuation line (one leading space) of a multi-line header such as
/// `mergetag` (never of a singleton, which git writes on one line). `first` is the 1-based
/// number of `rest[0]`; `continuable` says whether the line before `rest` may be continued.
fn check_rest(
    rest: &[&[u8]],
    first: usize,
    singletons: &[&'static str],
    mut continuable: bool,
) -> Result<(), HeaderError> {
    let mut seen_encoding = false;
    for (i, line) in rest.iter().enumerate() {
        let n = first + i;
        if line.first() == Some(&b' ') {
            if !continuable {
                return Err(HeaderError::BadLine(n));
            }
            continue;
        }
        let Some(sp) = line.iter().position(|&b| b == b' ') else {
            return Err(HeaderError::BadLine(n));
        };
        let name = &line[..sp];
        if name.is_empty() {
            return Err(HeaderError::BadLine(n));
        }
        if let Some(s) = singletons.iter().find(|s| s.as_bytes() == name) {
            // The commit's one `encoding` header may come here (git writes it after
            // `committer`); everything else in the list has its fixed place.
            if *s == "encoding" && !seen_encoding {
                seen_encoding = true;
                continuable = false;
                continue;
            }
            return Err(HeaderError::Duplicate { name: s, line: n });
        }
        continuable = true;
    }
    Ok(())
}

/// A signed commit payload, strictly (module docs). `hash` is the repository's object format.
pub fn parse_commit(payload: &[u8], hash: HashKind) -> Result<CommitHeader<'_>, HeaderError> {
    let lines = header_lines(payload)?;
    let mut it = lines.iter().copied().enumerate().peekable();
    let expected = |expected, line| HeaderError::Expected { expected, line };
    let (_, first) = it.next().ok_or(expected("tree", 1))?;
    let tree = value(first, "tree").ok_or(expected("tree", 1))?;
    if !is_id(tree, hash) {
        return Err(HeaderError::BadId {
            name: "tree",
            line: 1,
        });
    }
    let mut parents = Vec::new();
    while let Some((i, p)) = it.peek().and_then(|(i, l)| Some((*i, value(l, "parent")?))) {
        if !is_id(p, hash) {
            return Err(HeaderError::BadId {
                name: "parent",
                line: i + 1,
            });
        }
        parents.push(p);
        it.next();
    }
    let mut ident = |name: &'static str| -> Result<Ident<'_>, HeaderError> {
        let (i, line) = it.next().ok_or(expected(name, lines.len() + 1))?;
        let v = value(line, name).ok_or(expected(name, i + 1))?;
        parse_ident(v).map_err(|why| HeaderError::BadIdent {
            name,
            line: i + 1,
            why,
        })
    };
    let author = ident("author")?;
    let committer = ident("committer")?;
    let used = 2 + parents.len() + 1;
    check_rest(
        lines.get(used..).unwrap_or_default(),
        used + 1,
        &COMMIT_SINGLETONS,
        false,
    )?;
    Ok(CommitHeader {
        tree,
        parents,
        author,
        committer,
    })
}

/// A signed tag payload, strictly (module docs).
pub fn parse_tag(payload: &[u8], hash: HashKind) -> Result<TagHeader<'_>, HeaderError> {
    let lines = header_lines(payload)?;
    let get = |i: usize, name: &'static str| {
        lines
            .get(i)
            .and_then(|l| value(l, name))
            .ok_or(HeaderError::Expected {
                expected: name,
                line: i + 1,
            })
    };
    let object = get(0, "object")?;
    if !is_id(object, hash) {
        return Err(HeaderError::BadId {
            name: "object",
            line: 1,
        });
    }
    let target_type = get(1, "type")?;
    if !matches!(target_type, b"commit" | b"tree" | b"blob" | b"tag") {
        return Err(HeaderError::Expected {
            expected: "type",
            line: 2,
        });
    }
    let name = get(2, "tag")?;
    let tagger = match lines.get(3).and_then(|l| value(l, "tagger")) {
        Some(v) => Some(parse_ident(v).map_err(|why| HeaderError::BadIdent {
            name: "tagger",
            line: 4,
            why,
        })?),
        None => None,
    };
    let used = 3 + usize::from(tagger.is_some());
    check_rest(
        lines.get(used..).unwrap_or_default(),
        used + 1,
        &TAG_SINGLETONS,
        false,
    )?;
    Ok(TagHeader {
        object,
        target_type,
        name,
        tagger,
    })
}

/// The parents and commit date git's object parser takes from a raw commit to walk history
/// (commit.c `parse_commit_buffer`, `parse_commit_date`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links<'a> {
    /// The `parent` lines directly after `tree` (hex), in order.
    pub parents: Vec<&'a [u8]>,
    /// The time on the `committer` line directly after the `author` line; 0 when there is
    /// none, as git.
    pub time: i64,
}

/// [`Links`] of a raw commit, or why git would refuse to parse it ("bogus commit object",
/// "bad parents in commit"). Lenient where git is: anything after the parents but the date is
/// not looked at.
pub fn links(raw: &[u8]) -> Result<Links<'_>, &'static str> {
    let mut lines = raw.split(|&b| b == b'\n');
    let tree = lines.next().and_then(|l| value(l, "tree"));
    if !tree.is_some_and(|t| t.len() == 40 || t.len() == 64) {
        return Err("bogus commit object (no tree line)");
    }
    let mut parents = Vec::new();
    let mut next = lines.next();
    while let Some(p) = next.and_then(|l| value(l, "parent")) {
        if !(p.len() == 40 || p.len() == 64) || !p.iter().all(u8::is_ascii_hexdigit) {
            return Err("bad parents in commit");
        }
        parents.push(p);
        next = lines.next();
    }
    let time = match (next, lines.next()) {
        (Some(a), Some(c)) if a.starts_with(b"author") && c.starts_with(b"committer") => {
            // git walks back from the end of the line to the last `>` and reads the number
            // after it (parse_commit_date); a malformed date is 0.
            c.iter()
                .rposition(|&b| b == b'>')
                .and_then(|gt| {
                    let rest = &c[gt + 1..];
                    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
                    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
                })
                .unwrap_or(0)
        }
        _ => 0,
    };
    Ok(Links { parents, time })
}

/// The object a raw tag points to: its first line, as git's `parse_tag_buffer` reads it.
pub fn tag_target(raw: &[u8]) -> Option<&[u8]> {
    raw.split(|&b| b == b'\n')
        .next()
        .and_then(|l| value(l, "object"))
}

/// The name a raw tag gives itself (its `tag` line, the third, as git's `parse_tag_buffer`
/// reads it).
pub fn tag_name(raw: &[u8]) -> Option<&[u8]> {
    raw.split(|&b| b == b'\n')
        .nth(2)
        .and_then(|l| value(l, "tag"))
}

/// Whether a tag object stored as `refs/tags/<ref_tag>` names itself that. A signed tag is a
/// statement about one name ("this is v0.9"); stored under another (`refs/tags/v1.0`), `git
/// verify-tag v1.0` would vouch for it while `git show v1.0` says `tag v0.9`. git itself only
/// warns (`git describe`: "tag 'v0.9' is externally known as 'v1.0'").
pub fn tag_named(raw: &[u8], ref_tag: &str) -> bool {
    tag_name(raw) == Some(ref_tag.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    const P1: &str = "0101010101010101010101010101010101010101";
    const P2: &str = "0202020202020202020202020202020202020202";

    fn commit(headers: &str) -> Vec<u8> {
        format!("{headers}\nmessage\n").into_bytes()
    }

    fn ok_commit(headers: &str) -> CommitHeader<'static> {
        let raw: &'static [u8] = Box::leak(commit(headers).into_boxed_slice());
        parse_commit(raw, HashKind::Sha1).unwrap_or_else(|e| panic!("{headers:?}: {e}"))
    }

    fn bad_commit(headers: &str) -> HeaderError {
        let raw = commit(headers);
        parse_commit(&raw, HashKind::Sha1)
            .err()
            .unwrap_or_else(|| panic!("accepted {headers:?}"))
    }

    #[test]
    fn well_formed_commits() {
        let h = ok_commit(&format!(
            "tree {T}\nparent {P1}\nparent {P2}\nauthor A U <a@x> 5 +0000\ncommitter C O <c@x> 1700000000 -0130\nencoding ISO-8859-1\nmergetag object {P2}\n type commit\n tag v1\nchange-id abc\n"
        ));
        assert_eq!(h.parents.len(), 2);
        assert_eq!(h.author.email, b"a@x");
        assert_eq!(h.committer.email_str(), Some("c@x"));
        assert_eq!(h.committer.name, b"C O");
        assert_eq!(h.committer.time, 1_700_000_000);
        // Root commit, epoch 0, no message at all.
        let raw = format!("tree {T}\nauthor A <a@x> 0 +0000\ncommitter C <c@x> 0 +0000\n");
        assert!(parse_commit(raw.as_bytes(), HashKind::Sha1).is_ok());
    }

    #[test]
    fn ambiguous_commits_are_refused() {
        let base =
            format!("tree {T}\nparent {P1}\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000");
        for (extra, want) in [
            // Shown as the committer by `git log` (pretty.c takes the last one).
            ("committer Alice <alice@x> 1 +0000", "committer"),
            ("author Alice <alice@x> 1 +0000", "author"),
            // Not a parent to git, a "merge" to a reader that counts every `parent` line.
            (&*format!("parent {P2}"), "parent"),
            (&*format!("tree {T}"), "tree"),
        ] {
            let e = bad_commit(&format!("{base}\n{extra}\n"));
            assert!(
                matches!(e, HeaderError::Duplicate { name, .. } if name == want),
                "{extra}: {e}"
            );
        }
        assert!(matches!(
            bad_commit(&format!("{base}\nencoding a\nencoding b\n")),
            HeaderError::Duplicate {
                name: "encoding",
                ..
            }
        ));
        // Parents after author: misplaced.
        assert!(matches!(
            bad_commit(&format!(
                "tree {T}\nauthor A <a@x> 1 +0000\nparent {P1}\ncommitter C <c@x> 1 +0000\n"
            )),
            HeaderError::Expected {
                expected: "committer",
                ..
            }
        ));
        // A continuation of the committer line.
        assert_eq!(
            bad_commit(&format!("{base}\n <mallory@x>\n")),
            HeaderError::BadLine(5)
        );
        assert_eq!(
            bad_commit(&format!("{base}\nnospace\n")),
            HeaderError::BadLine(5)
        );
        // Upper-case or short ids.
        assert!(matches!(
            bad_commit(&format!("tree {}\n", T.to_uppercase())),
            HeaderError::BadId { name: "tree", .. }
        ));
        // NUL: git shows the message up to it.
        let mut raw = commit(&format!("{base}\n"));
        raw.extend_from_slice(b"shown\0hidden\n");
        assert!(matches!(
            parse_commit(&raw, HashKind::Sha1),
            Err(HeaderError::Nul(_))
        ));
        assert_eq!(
            parse_commit(format!("tree {T}").as_bytes(), HashKind::Sha1),
            Err(HeaderError::Unterminated)
        );
        // SHA-256 ids in a SHA-1 payload.
        assert!(matches!(
            parse_commit(
                format!("tree {}\n\n", "a".repeat(64)).as_bytes(),
                HashKind::Sha1
            ),
            Err(HeaderError::BadId { .. })
        ));
    }

    #[test]
    fn identities_follow_fsck() {
        assert!(parse_ident(b"A <a@x> 1 +0000").is_ok());
        assert!(
            parse_ident(b" <a@x> 1 +0000").is_ok(),
            "an empty name is allowed by fsck"
        );
        for (bad, why) in [
            ("<a@x> 1 +0000", "missing name before email"),
            ("A<a@x> 1 +0000", "missing space before email"),
            ("A > <a@x> 1 +0000", "bad name"),
            ("A <a<b@x> 1 +0000", "bad email"),
            ("A <a@x", "bad email"),
            ("A <a@x>1 +0000", "missing space before date"),
            ("A <a@x> 01 +0000", "zero-padded date"),
            ("A <a@x> 1x +0000", "bad date"),
            ("A <a@x> 99999999999999999999 +0000", "date overflow"),
            ("A <a@x> 1 0000", "bad time zone"),
            ("A <a@x> 1 +0000 x", "bad time zone"),
            ("A <a@x> <b@x> 1 +0000", "bad date"),
        ] {
            assert_eq!(parse_ident(bad.as_bytes()), Err(why), "{bad}");
        }
    }

    #[test]
    fn tags() {
        let good = format!("object {P1}\ntype commit\ntag v1\ntagger T <t@x> 1 +0000\n\nmsg\n");
        let h = parse_tag(good.as_bytes(), HashKind::Sha1).unwrap();
        assert_eq!(h.tagger.map(|t| t.email), Some(&b"t@x"[..]));
        assert_eq!(h.name, b"v1");
        let old = format!("object {P1}\ntype commit\ntag v0\n\nmsg\n");
        assert_eq!(
            parse_tag(old.as_bytes(), HashKind::Sha1).unwrap().tagger,
            None
        );
        for bad in [
            format!(
                "object {P1}\ntype commit\ntag v1\ntagger T <t@x> 1 +0000\ntagger M <m@x> 1 +0000\n\n"
            ),
            format!("object {P1}\ntype commit\ntag v1\ntagger T <t@x> 1 +0000\nobject {P2}\n\n"),
            format!("type commit\nobject {P1}\ntag v1\n\n"),
            format!("object {P1}\ntype bogus\ntag v1\n\n"),
            format!("object {P1}\ntype commit\ntag v1\ntagger T <t@x> 1\n\n"),
        ] {
            assert!(
                parse_tag(bad.as_bytes(), HashKind::Sha1).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn links_read_like_parse_commit_buffer() {
        let raw = format!(
            "tree {T}\nparent {P1}\nauthor A <a@x> 5 +0000\ncommitter C <c@x> 1700000000 +0100\nparent {P2}\n\nparent {P2}\n"
        );
        let l = links(raw.as_bytes()).unwrap();
        assert_eq!(l.parents, vec![P1.as_bytes()]);
        assert_eq!(l.time, 1_700_000_000);
        assert!(links(b"parent x\n").is_err());
        assert!(links(format!("tree {T}\nparent zz\n").as_bytes()).is_err());
        // The date is the line after author only.
        let late = format!("tree {T}\nauthor A <a@x> 5 +0000\nx y\ncommitter C <c@x> 9 +0000\n\n");
        assert_eq!(links(late.as_bytes()).unwrap().time, 0);
        assert_eq!(
            tag_target(format!("object {P1}\ntype commit\n").as_bytes()),
            Some(P1.as_bytes())
        );
        assert_eq!(
            tag_target(format!("type commit\nobject {P1}\n").as_bytes()),
            None
        );
    }
}
