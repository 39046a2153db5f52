//! The repository reader: opening the repository containing a directory (gix), reading
//! commits and tags whole under the size limit ([`crate::git::object::MAX_OBJECT_BYTES`],
//! checked on the object's header before any of it is read), listing refs, peeling tag
//! chains, resolving one revision argument, and the extra object directories of a push's
//! quarantine, which git names in `GIT_OBJECT_DIRECTORY` / `GIT_ALTERNATE_OBJECT_DIRECTORIES`
//! and gix does not read (git-receive-pack(1) "QUARANTINE ENVIRONMENT"); also
//! [`repository_top`], the directory relative settings are anchored to.
//!
//! Objects are read through gix, except a loose object named on the command line, which is
//! read by [`read_loose`] (one open and read for its header and body, as git reads it); one
//! read per object: a commit or tag read before its verification is kept for it.
//!
//! It answers "what is in this repository"; which objects a verification covers (the
//! revision walk) is [`crate::git::walk`]'s job, and header fields are read by
//! [`crate::git::header`] only. It must not walk history, verify anything or print.

use crate::git::header;
use crate::git::object::RawObject;
use crate::git::object::{self, HashKind, Kind};
use gix::ObjectId;
use std::path::{Path, PathBuf};

/// Why revisions could not be resolved or the repository read.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// No repository at or above the directory.
    #[error("not in a git repository ({0})")]
    NotARepository(String),
    /// A revision does not resolve, or names an object this repository does not have
    /// (git: "fatal: ambiguous argument 'X': unknown revision"). A usage error, not a verdict.
    #[error("unknown revision {rev:?}: {detail}")]
    UnknownRevision {
        /// What was asked.
        rev: String,
        /// Why (gix's message, or the missing object).
        detail: String,
    },
    /// A revision names a tree or blob: nothing to verify (git: "object X is a tree, not a
    /// commit"), and verifying nothing must not pass.
    #[error("{rev:?} names a {kind}, not a commit or tag")]
    NotACommit {
        /// What was asked.
        rev: String,
        /// The object's kind.
        kind: String,
    },
    /// A name given to `verify-tag` is not an annotated tag.
    #[error("{0} is not an annotated tag")]
    NotAnnotatedTag(String),
    /// A revision argument names a path (`rev:path`), not a commit.
    #[error("{0:?} names a file, not a commit")]
    PathSpec(String),
    /// The references could not be listed.
    #[error("cannot list references: {0}")]
    Refs(String),
    /// Merge bases for `A...B` could not be computed.
    #[error("cannot compute the merge base for {rev:?}: {detail}")]
    MergeBase {
        /// The argument.
        rev: String,
        /// gix's message.
        detail: String,
    },
    /// An extra object directory could not be opened.
    #[error("cannot open object directory {path}: {detail}")]
    ObjectDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        detail: String,
    },
}

/// The `object` a raw tag points to (its first line, as git reads it). Pure.
pub fn tag_target(raw: &[u8]) -> Option<ObjectId> {
    header::tag_target(raw).and_then(|hex| ObjectId::from_hex(hex).ok())
}

/// A repository's objects, plus any extra object directories (a push's quarantine).
///
/// Used from one thread (`check::runner` reads on the caller's thread), hence the `RefCell`.
pub struct ObjectStore {
    repo: gix::Repository,
    extra: Vec<gix::odb::Handle>,
    /// Headers already read (kind, size). Resolving an argument, peeling it and reading it
    /// each asked for the header, and every header of a loose object is a file open, map and
    /// inflate: six opens per commit of the corpus before this memo (issue 18; one now, with
    /// `kept` and [`read_loose`]). Objects are immutable under their id, so a remembered
    /// header never goes stale.
    headers: std::cell::RefCell<std::collections::HashMap<ObjectId, (gix::object::Kind, u64)>>,
    /// Commits and tags read whole before they are verified (a named revision checked while
    /// resolving it, a commit read for its parents by a walk), kept until [`ObjectStore::read`]
    /// takes them: each object is read once, not twice. For loose objects the second read
    /// was a file open, map, inflate and unmap on the reading thread while the workers ran,
    /// and an unmap in a threaded process stops the other cores to flush their TLBs (issue
    /// 18). Bounded by [`KEPT_MAX_BYTES`]; past it, objects are simply read again.
    kept: std::cell::RefCell<Kept>,
}

/// Bodies read ahead, by id, and their total size.
#[derive(Default)]
struct Kept {
    bodies: std::collections::HashMap<ObjectId, (gix::object::Kind, Vec<u8>)>,
    bytes: usize,
}

/// At most this many bytes of bodies read ahead (about 2,800 commits of the corpus's size).
/// What a walk reads but never verifies (the excluded side of `A..B`) stays until the end,
/// so this is also the most memory the read-ahead can cost.
const KEPT_MAX_BYTES: usize = 8 << 20;

/// At most this many remembered headers (about 3 MB); the memo starts over when full, which
/// only costs the reads it saved.
const HEADER_MEMO_MAX: usize = 1 << 16;

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("git_dir", &self.repo.git_dir())
            .field("extra", &self.extra.len())
            .finish()
    }
}

/// The object directories git names for hooks during a push (`GIT_OBJECT_DIRECTORY`, then each
/// entry of the colon-separated `GIT_ALTERNATE_OBJECT_DIRECTORIES`). Pure.
pub fn extra_object_dirs(object_directory: Option<&str>, alternates: Option<&str>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = object_directory
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Some(alt) = alternates {
        dirs.extend(
            alt.split(':')
                .map(|s| s.trim_matches('"'))
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    dirs
}

/// Why gix could not resolve a revision: its top message is generic ("couldn't parse
/// revision, input=…"), the first cause says what is missing ("Reference "x" could not be
/// found", "An object prefixed … could not be found").
fn rev_parse_detail(e: &dyn std::error::Error) -> String {
    e.source()
        .map_or_else(|| e.to_string(), ToString::to_string)
}

/// The directory git runs commands, `gpg.x509.program` and hooks in for the repository
/// containing `dir`: the top of its work tree, or its git directory when it is bare
/// (githooks(5): "Before Git invokes a hook, it changes its working directory to either $GIT_DIR
/// in a bare repository or the root of the working tree in a non-bare repository"; git's
/// setup does the same for the commands that run gitseal). Relative paths in gitseal's
/// settings are anchored here, so they mean the same from any subdirectory and under git.
/// `None` outside a repository.
pub fn repository_top(dir: &Path) -> Option<PathBuf> {
    let repo = gix::discover(dir).ok()?;
    let top = repo.workdir().unwrap_or_else(|| repo.git_dir());
    // gix may answer relative to the process's directory (e.g. `.` for a bare repository
    // opened from its git directory); `absolute` anchors it there without touching symlinks.
    std::path::absolute(top).ok()
}

/// Where git keeps `id` as a loose object under `objects`: `xx/yyyy…` (gitrepository-layout(5)).
fn loose_path(objects: &Path, id: &ObjectId) -> PathBuf {
    let hex = id.to_hex().to_string();
    objects.join(&hex[..2]).join(&hex[2..])
}

/// A loose object's header `(kind, size)` and, when `want_body(kind)` and the size is within
/// [`object::MAX_OBJECT_BYTES`], its body; `None` when there is no such file. One open and
/// one read (gix maps each loose object, and reading header and body through it mapped and
/// inflated the file twice; issue 18).
///
/// As git reads it (object-file.c `unpack_loose_header`, `unpack_loose_rest`): a zlib stream
/// (RFC 1950) holding `<kind> <size>\0` and then exactly `size` bytes, ending right there with
/// nothing after it; anything else is an error ("corrupt loose object", "garbage at end of
/// loose object"). The file is read only up to what such a stream can take, and the body is
/// inflated only after the header said its size.
fn read_loose(
    path: &Path,
    want_body: impl Fn(gix::object::Kind) -> bool,
) -> Result<Option<LooseRead>, String> {
    use gix::zlib::{Inflate, Status};
    use std::io::Read as _;
    let corrupt = |why: &str| format!("corrupt loose object {}: {why}", path.display());
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let io = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    // Deflate adds 5 bytes per stored block of up to 64 KiB and zlib 6 of framing (RFC 1951
    // §3.2.4, RFC 1950 §2.2): no stream of an object within the limit is longer than this.
    let most = object::MAX_OBJECT_BYTES + object::MAX_OBJECT_BYTES / 1024 + 4096;
    // Sized from the file's length, so a whole commit is one read(2), not a doubling series.
    let len = file.metadata().map_err(io)?.len();
    let first = len.min(LOOSE_FIRST_READ);
    let mut input = Vec::with_capacity(first as usize);
    (&mut file)
        .take(first)
        .read_to_end(&mut input)
        .map_err(io)?;
    let mut inflate = Inflate::default();
    // "<kind> <size>\0": a kind of at most 6 letters and a u64 in decimal fit in 32 bytes.
    let mut head = [0u8; 32];
    let (status, head_in, head_out) = inflate
        .prefix(&input, &mut head)
        .map_err(|e| corrupt(&e.to_string()))?;
    if status == Status::BufError {
        return Err(corrupt("no header"));
    }
    let (kind, size, header_len) = gix::objs::decode::loose_header(&head[..head_out])
        .map_err(|e| corrupt(&format!("header: {e}")))?;
    if !want_body(kind) || size > object::MAX_OBJECT_BYTES {
        return Ok(Some(((kind, size), None)));
    }
    if len > first {
        if len > most {
            return Err(corrupt(
                "longer than any stream of an object within the limit",
            ));
        }
        input.reserve_exact((len - first) as usize);
    }
    // To the end of the file, whatever its length said (it may have grown), within `most`.
    let read = input.len() as u64;
    (&mut file)
        .take(most + 1 - read)
        .read_to_end(&mut input)
        .map_err(io)?;
    if input.len() as u64 > most {
        return Err(corrupt(
            "longer than any stream of an object within the limit",
        ));
    }
    let size = usize::try_from(size).map_err(|_| corrupt("size"))?;
    let mut body = vec![0u8; size];
    let held = &head[header_len..head_out];
    if held.len() > size {
        return Err(corrupt("longer than its header says"));
    }
    body[..held.len()].copy_from_slice(held);
    let (mut filled, mut used, mut ended) = (held.len(), head_in, status == Status::StreamEnd);
    while filled < size && !ended {
        let (status, n_in, n_out) = inflate
            .prefix(&input[used..], &mut body[filled..])
            .map_err(|e| corrupt(&e.to_string()))?;
        if n_in == 0 && n_out == 0 {
            break;
        }
        (filled, used, ended) = (filled + n_out, used + n_in, status == Status::StreamEnd);
    }
    if filled != size {
        return Err(corrupt("shorter than its header says"));
    }
    if !ended {
        // The body is complete: the stream must end here, without another byte of output.
        let mut more = [0u8; 1];
        let (status, n_in, n_out) = inflate
            .prefix(&input[used..], &mut more)
            .map_err(|e| corrupt(&e.to_string()))?;
        if n_out != 0 {
            return Err(corrupt("longer than its header says"));
        }
        (used, ended) = (used + n_in, status == Status::StreamEnd);
    }
    if !ended {
        return Err(corrupt("the stream does not end"));
    }
    if used != input.len() {
        return Err(corrupt("garbage after the stream"));
    }
    Ok(Some(((kind, size as u64), Some(body))))
}

/// What [`read_loose`] found: the header, and the body when it was read.
type LooseRead = ((gix::object::Kind, u64), Option<Vec<u8>>);

/// The first read of a loose file: a whole commit or tag of usual size, and always its header.
const LOOSE_FIRST_READ: u64 = 16 << 10;

impl ObjectStore {
    /// Opens the repository containing `dir`, with `extra_dirs` searched after its own objects.
    pub fn open(dir: &Path, extra_dirs: &[PathBuf]) -> Result<Self, WalkError> {
        let mut repo = gix::discover(dir).map_err(|e| WalkError::NotARepository(e.to_string()))?;
        // The object directory does not change while gitseal reads it (a verification, a
        // hook run), so a lookup that misses the packs (every loose object) must not rescan
        // objects/pack each time, which gix's default does: with loose objects that was one
        // directory scan per object (issue 18).
        repo.objects.refresh_never();
        let hash = repo.object_hash();
        let mut extra = Vec::new();
        for d in extra_dirs {
            // Relative paths are relative to the repository (git runs hooks there).
            let path = if d.is_relative() {
                dir.join(d)
            } else {
                d.clone()
            };
            if !path.is_dir() {
                continue;
            }
            extra.push(gix::odb::at(&path, hash).map_err(|e| WalkError::ObjectDir {
                path: path.clone(),
                detail: e.to_string(),
            })?);
        }
        Ok(Self {
            repo,
            extra,
            headers: Default::default(),
            kept: Default::default(),
        })
    }

    /// The repository's object format.
    pub fn hash_kind(&self) -> HashKind {
        match self.repo.object_hash() {
            gix::hash::Kind::Sha1 => HashKind::Sha1,
            _ => HashKind::Sha256,
        }
    }

    /// The repository's git directory.
    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// The kind and size of `id` from its header, without reading the object; remembered.
    fn header(&self, id: ObjectId) -> Result<Option<(gix::object::Kind, u64)>, String> {
        if let Some(h) = self.headers.borrow().get(&id) {
            return Ok(Some(*h));
        }
        let found = self.header_unmemoized(id)?;
        if let Some(h) = found {
            self.remember_header(id, h);
        }
        Ok(found)
    }

    fn remember_header(&self, id: ObjectId, header: (gix::object::Kind, u64)) {
        let mut memo = self.headers.borrow_mut();
        if memo.len() >= HEADER_MEMO_MAX {
            memo.clear();
        }
        memo.insert(id, header);
    }

    fn header_unmemoized(&self, id: ObjectId) -> Result<Option<(gix::object::Kind, u64)>, String> {
        match self.repo.try_find_header(id) {
            Ok(Some(h)) => return Ok(Some((h.kind(), h.size()))),
            Ok(None) => {}
            Err(e) => return Err(format!("cannot read object {id}: {e}")),
        }
        for handle in &self.extra {
            match gix::objs::FindHeader::try_header(handle, id.as_ref()) {
                Ok(Some(h)) => return Ok(Some((h.kind, h.size))),
                Ok(None) => {}
                Err(e) => return Err(format!("cannot read object {id}: {e}")),
            }
        }
        Ok(None)
    }

    /// Reads `id` whole, unless its header says it is larger than
    /// [`object::MAX_OBJECT_BYTES`]: then it is refused before any of it is read.
    pub(super) fn find(
        &self,
        id: ObjectId,
    ) -> Result<Option<(gix::object::Kind, Vec<u8>)>, String> {
        if let Some((kind, data)) = self.kept.borrow().bodies.get(&id) {
            return Ok(Some((*kind, data.clone())));
        }
        let Some(header) = self.header(id)? else {
            return Ok(None);
        };
        self.body(id, header)
    }

    /// [`ObjectStore::find`] for an object that is going to be verified: a copy of it is
    /// kept for [`ObjectStore::read`] (within [`KEPT_MAX_BYTES`]).
    pub(super) fn find_and_keep(
        &self,
        id: ObjectId,
    ) -> Result<Option<(gix::object::Kind, Vec<u8>)>, String> {
        // A copy already kept is found, and not kept twice (`keep`).
        let found = self.find(id)?;
        if let Some((kind @ (gix::object::Kind::Commit | gix::object::Kind::Tag), data)) = &found {
            self.keep(id, *kind, data.clone());
        }
        Ok(found)
    }

    /// Keeps a body read ahead, within [`KEPT_MAX_BYTES`].
    fn keep(&self, id: ObjectId, kind: gix::object::Kind, data: Vec<u8>) {
        let mut kept = self.kept.borrow_mut();
        if kept.bytes + data.len() <= KEPT_MAX_BYTES && !kept.bodies.contains_key(&id) {
            kept.bytes += data.len();
            kept.bodies.insert(id, (kind, data));
        }
    }

    /// The header of `id`; a commit or tag within the size limit is also read whole and kept
    /// (`kept`). A loose object is read once for both, by [`read_loose`]; anything else (a
    /// packed object, one in an alternate or a quarantine directory, a loose file that
    /// [`read_loose`] refuses) goes through gix as [`ObjectStore::header`] and
    /// [`ObjectStore::find_and_keep`] do, and gix reports its errors.
    fn probe(&self, id: ObjectId) -> Result<Option<(gix::object::Kind, u64)>, String> {
        let wanted =
            |k: gix::object::Kind| matches!(k, gix::object::Kind::Commit | gix::object::Kind::Tag);
        if !self.headers.borrow().contains_key(&id) {
            let path = loose_path(self.repo.objects.store_ref().path(), &id);
            if let Ok(Some((header, body))) = read_loose(&path, wanted) {
                self.remember_header(id, header);
                if let Some(body) = body {
                    self.keep(id, header.0, body);
                }
                return Ok(Some(header));
            }
        }
        let header = self.header(id)?;
        if let Some((kind, _)) = header
            && wanted(kind)
        {
            // An unreadable body is reported when the object is verified.
            let _ = self.find_and_keep(id);
        }
        Ok(header)
    }

    /// Takes `id` out of the bodies read ahead.
    fn take_kept(&self, id: &ObjectId) -> Option<(gix::object::Kind, Vec<u8>)> {
        let mut kept = self.kept.borrow_mut();
        let body = kept.bodies.remove(id)?;
        kept.bytes -= body.1.len();
        Some(body)
    }

    /// Reads `id`, whose header is `(kind, size)`, whole; refused unread over the limit.
    fn body(
        &self,
        id: ObjectId,
        (kind, size): (gix::object::Kind, u64),
    ) -> Result<Option<(gix::object::Kind, Vec<u8>)>, String> {
        if size > object::MAX_OBJECT_BYTES {
            return Err(format!(
                "{kind} {id} is {size} bytes, more than gitseal reads ({} bytes): refused \
                 unread",
                object::MAX_OBJECT_BYTES
            ));
        }
        match self.repo.try_find_object(id) {
            Ok(Some(o)) => return Ok(Some((o.kind, o.detach().data))),
            Ok(None) => {}
            Err(e) => return Err(format!("cannot read object {id}: {e}")),
        }
        for handle in &self.extra {
            let mut buf = Vec::new();
            match gix::objs::Find::try_find(handle, id.as_ref(), &mut buf) {
                Ok(Some(d)) => return Ok(Some((d.kind, d.data.to_vec()))),
                Ok(None) => {}
                Err(e) => return Err(format!("cannot read object {id}: {e}")),
            }
        }
        Ok(None)
    }

    /// Reads a commit or tag (the copy read ahead, when there is one: see `kept`).
    pub fn read(&self, id: &ObjectId) -> Result<RawObject, String> {
        let kind_of = |k: gix::object::Kind| match k {
            gix::object::Kind::Commit => Some(Kind::Commit),
            gix::object::Kind::Tag => Some(Kind::Tag),
            _ => None,
        };
        if let Some((k, data)) = self.take_kept(id)
            && let Some(kind) = kind_of(k)
        {
            return Ok(RawObject {
                id: id.to_string(),
                kind,
                data,
            });
        }
        let (kind, header) = match self.header(*id)? {
            Some(h @ (gix::object::Kind::Commit, _)) => (Kind::Commit, h),
            Some(h @ (gix::object::Kind::Tag, _)) => (Kind::Tag, h),
            Some((kind, _)) => return Err(format!("{id} is a {kind}, not a commit or tag")),
            None => return Err(format!("object {id} is missing from the repository")),
        };
        match self.body(*id, header)? {
            Some((_, data)) => Ok(RawObject {
                id: id.to_string(),
                kind,
                data,
            }),
            None => Err(format!("object {id} is missing from the repository")),
        }
    }

    /// `rev` as an object id when it is one written out in full: git takes a full-length hex
    /// name as the id itself without looking at refs or listing objects (sha1-name.c
    /// `get_oid_basic`: "len == hexsz && !get_oid_hex"), and so does gitseal, which spares
    /// gix's prefix search (a listing of the object's fan-out directory) for each id given.
    fn full_id(&self, rev: &str) -> Option<ObjectId> {
        let hex_len = self.repo.object_hash().len_in_hex();
        (rev.len() == hex_len && rev.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| ObjectId::from_hex(rev.as_bytes()).ok())
            .flatten()
    }

    /// Follows tags from `id`: the object at the end of the chain and its kind, and the tag
    /// objects passed on the way (outermost first). Only tags are read whole; the kind of the
    /// end comes from its header, so a ref to a huge blob costs nothing.
    pub fn peel_chain(&self, id: ObjectId) -> Result<(ObjectId, Kind, Vec<ObjectId>), String> {
        let mut tags = Vec::new();
        let mut cur = id;
        for _ in 0..32 {
            let kind = match self.header(cur)? {
                Some((gix::object::Kind::Tag, _)) => {
                    let data = match self.find(cur)? {
                        Some((_, data)) => data,
                        None => return Err(format!("object {cur} is missing from the repository")),
                    };
                    tags.push(cur);
                    cur = tag_target(&data).ok_or_else(|| format!("tag {cur} has no object"))?;
                    continue;
                }
                Some((gix::object::Kind::Commit, _)) => Kind::Commit,
                Some((gix::object::Kind::Tree, _)) => Kind::Tree,
                Some((gix::object::Kind::Blob, _)) => Kind::Blob,
                None => return Err(format!("object {cur} is missing from the repository")),
            };
            return Ok((cur, kind, tags));
        }
        Err(format!("tag chain from {id} is too long"))
    }

    /// [`ObjectStore::peel_chain`] for walks: the commit at the end (`None` when the chain
    /// ends at a tree or blob), and the tag objects passed on the way.
    pub fn peel(&self, id: ObjectId) -> Result<(Option<ObjectId>, Vec<ObjectId>), String> {
        let (end, kind, tags) = self.peel_chain(id)?;
        Ok(((kind == Kind::Commit).then_some(end), tags))
    }

    pub(super) fn resolve(&self, rev: &str) -> Result<gix::revision::plumbing::Spec, WalkError> {
        let spec = match self.full_id(rev) {
            Some(id) => gix::revision::plumbing::Spec::Include(id),
            None => {
                let spec = self
                    .repo
                    .rev_parse(rev)
                    .map_err(|e| WalkError::UnknownRevision {
                        rev: rev.into(),
                        detail: rev_parse_detail(&e),
                    })?;
                if spec.path_and_mode().is_some() {
                    return Err(WalkError::PathSpec(rev.into()));
                }
                spec.detach()
            }
        };
        // gix accepts some ids without looking them up (a ref to a missing object); an id the
        // repository does not have must not become an "error" verdict later (exit 1): the
        // argument is wrong, not a signature. Every id the spec names must exist and be a
        // commit or tag (a tree or blob selects nothing, and verifying nothing passes).
        use gix::revision::plumbing::Spec;
        let ids = match spec {
            Spec::Include(a)
            | Spec::Exclude(a)
            | Spec::IncludeOnlyParents(a)
            | Spec::ExcludeParents(a) => [Some(a), None],
            Spec::Range { from: a, to: b } | Spec::Merge { theirs: a, ours: b } => {
                [Some(a), Some(b)]
            }
        };
        // The header says which. A commit or tag is read whole now, while nothing else runs,
        // and kept for the verification (`kept`); a tree or blob is never read.
        for id in ids.into_iter().flatten() {
            match self.probe(id) {
                Ok(Some((gix::object::Kind::Commit | gix::object::Kind::Tag, _))) => {}
                Ok(Some((kind, _))) => {
                    return Err(WalkError::NotACommit {
                        rev: rev.into(),
                        kind: kind.to_string(),
                    });
                }
                Ok(None) => {
                    return Err(WalkError::UnknownRevision {
                        rev: rev.into(),
                        detail: format!("object {id} is not in this repository"),
                    });
                }
                // The object is there but unreadable (a corrupt pack): not the argument's
                // fault; the walk reports it as an `error` object, as before.
                Err(_) => {}
            }
        }
        Ok(spec)
    }

    /// Every reference (symbolic ones followed, tags not peeled) as `(name, id)`, sorted by
    /// name, then `HEAD` — the tips of `git log --all`.
    pub fn refs(&self) -> Result<Vec<(String, ObjectId)>, WalkError> {
        let mut out = self.ref_list(true)?;
        if let Ok(head) = self.repo.head_id() {
            out.push(("HEAD".into(), head.detach()));
        }
        Ok(out)
    }

    /// The references sorted by name, symbolic ones followed (`symbolic`) or left out. A
    /// broken loose ref is skipped, as git warns and goes on.
    fn ref_list(&self, symbolic: bool) -> Result<Vec<(String, ObjectId)>, WalkError> {
        let platform = self
            .repo
            .references()
            .map_err(|e| WalkError::Refs(e.to_string()))?;
        let mut out = Vec::new();
        for r in platform.all().map_err(|e| WalkError::Refs(e.to_string()))? {
            let Ok(mut r) = r else { continue };
            let name = r.name().as_bstr().to_string();
            if let Some(id) = r.target().try_id() {
                out.push((name, id.to_owned()));
            } else if symbolic && let Ok(id) = r.follow_to_object() {
                out.push((name, id.detach()));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The annotated tag object `refs/tags/<name>` points to (for `verify-tag`).
    pub fn tag_ref(&self, name: &str) -> Result<ObjectId, WalkError> {
        let full = format!("refs/tags/{name}");
        let unknown = |detail: String| WalkError::UnknownRevision {
            rev: name.into(),
            detail,
        };
        let mut r = self
            .repo
            .try_find_reference(full.as_str())
            .map_err(|e| unknown(e.to_string()))?
            .ok_or_else(|| unknown(format!("no tag {full}")))?;
        let id = r
            .follow_to_object()
            .map_err(|e| unknown(e.to_string()))?
            .detach();
        match self.find(id) {
            Ok(Some((gix::object::Kind::Tag, _))) => Ok(id),
            _ => Err(WalkError::NotAnnotatedTag(name.into())),
        }
    }

    /// The refs that store an object id themselves (symbolic refs such as `HEAD` are left
    /// out: what they reach is reached by the ref they name), sorted by name, not peeled.
    pub fn direct_refs(&self) -> Result<Vec<(String, ObjectId)>, WalkError> {
        self.ref_list(false)
    }

    /// The merge bases of `a` and `b` (gix's `merge_bases_many`, git's `merge-base --all`):
    /// what `A...B` excludes.
    pub(super) fn merge_bases(&self, a: ObjectId, b: ObjectId) -> Result<Vec<ObjectId>, WalkError> {
        let bases = self
            .repo
            .merge_bases_many(a, &[b])
            .map_err(|e| WalkError::MergeBase {
                rev: format!("{a}...{b}"),
                detail: e.to_string(),
            })?;
        Ok(bases.into_iter().map(gix::Id::detach).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantine_dirs() {
        assert_eq!(
            extra_object_dirs(Some("/r/objects/incoming-x"), Some("/r/objects:\"/o b\"")),
            vec![
                PathBuf::from("/r/objects/incoming-x"),
                PathBuf::from("/r/objects"),
                PathBuf::from("/o b")
            ]
        );
        assert!(extra_object_dirs(None, None).is_empty());
    }

    /// A zlib stream of `raw`, as git writes loose objects.
    fn deflate(raw: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut w =
            gix::zlib::stream::deflate::Write::new(Vec::new(), gix::zlib::Compression::BEST_SPEED);
        w.write_all(raw).unwrap();
        w.flush().unwrap();
        w.into_inner()
    }

    fn loose(dir: &Path, file: &[u8]) -> Result<Option<LooseRead>, String> {
        let path = dir.join("object");
        std::fs::write(&path, file).unwrap();
        read_loose(&path, |k| {
            matches!(k, gix::object::Kind::Commit | gix::object::Kind::Tag)
        })
    }

    /// Not compressible: a body whose stream is longer than the first read.
    fn noise(n: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn loose_objects_are_read_as_git_writes_them() {
        let tmp = tempfile::tempdir().unwrap();
        let commit = |kind, body: &[u8]| ((kind, body.len() as u64), Some(body.to_vec()));
        let small = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmessage\n";
        let mut file = format!("commit {}\0", small.len()).into_bytes();
        file.extend_from_slice(small);
        assert_eq!(
            loose(tmp.path(), &deflate(&file)),
            Ok(Some(commit(gix::object::Kind::Commit, small)))
        );
        // Larger than the first read, compressed: read to the end of the file.
        let big = noise(3 * LOOSE_FIRST_READ as usize);
        let mut file = format!("tag {}\0", big.len()).into_bytes();
        file.extend_from_slice(&big);
        let z = deflate(&file);
        assert!(z.len() as u64 > LOOSE_FIRST_READ);
        assert_eq!(
            loose(tmp.path(), &z),
            Ok(Some(commit(gix::object::Kind::Tag, &big)))
        );
        // An empty body.
        assert_eq!(
            loose(tmp.path(), &deflate(b"commit 0\0")),
            Ok(Some(commit(gix::object::Kind::Commit, b"")))
        );
        // No such file: not loose here (gix looks in the packs).
        assert_eq!(read_loose(&tmp.path().join("absent"), |_| true), Ok(None));
    }

    /// Trees, blobs and objects over the limit: the header only, the rest never inflated.
    #[test]
    fn loose_headers_alone_when_the_body_is_not_wanted() {
        let tmp = tempfile::tempdir().unwrap();
        let blob = noise(3 * LOOSE_FIRST_READ as usize);
        let mut file = format!("blob {}\0", blob.len()).into_bytes();
        file.extend_from_slice(&blob);
        assert_eq!(
            loose(tmp.path(), &deflate(&file)),
            Ok(Some(((gix::object::Kind::Blob, blob.len() as u64), None)))
        );
        // A commit whose header claims more than gitseal reads: refused later, from the header
        // (the body behind it is short: it is never looked at).
        let claim = object::MAX_OBJECT_BYTES + 1;
        let file = deflate(format!("commit {claim}\0short").as_bytes());
        assert_eq!(
            loose(tmp.path(), &file),
            Ok(Some(((gix::object::Kind::Commit, claim), None)))
        );
    }

    /// What git calls a corrupt loose object is refused (and left to gix, which reports it).
    #[test]
    fn corrupt_loose_objects_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let good = deflate(b"commit 5\0hello");
        let refused = |file: &[u8], why: &str| {
            let got = loose(tmp.path(), file);
            assert!(matches!(&got, Err(e) if e.contains(why)), "{why}: {got:?}");
        };
        let mut garbage = good.clone();
        garbage.push(0);
        refused(&garbage, "garbage after the stream");
        refused(&good[..good.len() - 2], "does not end");
        refused(&deflate(b"commit 6\0hello"), "shorter than its header says");
        refused(&deflate(b"commit 4\0hello"), "longer than its header says");
        refused(&deflate(b"commit 5 hello"), "header");
        refused(&deflate(b"socks 5\0hello"), "header");
        refused(b"not zlib at all", "corrupt loose object");
        refused(b"", "corrupt loose object");
        // The same body at more length than the header: caught within the first block too.
        let long = noise(100);
        let mut file = b"commit 50\0".to_vec();
        file.extend_from_slice(&long);
        refused(&deflate(&file), "longer than its header says");
    }

    /// A loose file longer than any stream of an object within the limit is refused from its
    /// length, before it is read (a commit header, then 17 MiB of anything).
    #[test]
    fn an_endless_loose_file_is_refused_unread() {
        let tmp = tempfile::tempdir().unwrap();
        let mut file = deflate(b"commit 5\0hello");
        file.resize(17 << 20, 0);
        let got = loose(tmp.path(), &file);
        assert!(
            matches!(&got, Err(e) if e.contains("longer than any stream")),
            "{got:?}"
        );
    }

    /// Bodies read ahead stay within their budget, each is kept once, and taking one frees
    /// its share; an object never kept is read from the repository as before.
    #[test]
    fn bodies_read_ahead_stay_within_the_budget() {
        let tmp = tempfile::tempdir().unwrap();
        let init = std::process::Command::new("git")
            .args(["init", "-q"])
            .arg(tmp.path())
            .status()
            .unwrap();
        assert!(init.success());
        let store = ObjectStore::open(tmp.path(), &[]).unwrap();
        let id = |n: u8| ObjectId::from_bytes_or_panic(&[n; 20]);
        let mib = vec![b'x'; 1 << 20];
        for n in 0..20 {
            store.keep(id(n), gix::object::Kind::Commit, mib.clone());
            assert!(store.kept.borrow().bytes <= KEPT_MAX_BYTES);
        }
        let kept = KEPT_MAX_BYTES / mib.len();
        assert_eq!(store.kept.borrow().bodies.len(), kept);
        store.keep(id(0), gix::object::Kind::Commit, b"other".to_vec());
        assert_eq!(store.kept.borrow().bodies[&id(0)].1, mib, "kept once");
        assert_eq!(store.take_kept(&id(0)).map(|b| b.1), Some(mib.clone()));
        assert_eq!(store.take_kept(&id(0)), None);
        store.keep(id(19), gix::object::Kind::Tag, mib.clone());
        assert_eq!(store.kept.borrow().bytes, KEPT_MAX_BYTES);
        assert!(
            store.read(&id(30)).is_err(),
            "never kept, not in the repository"
        );
    }

    /// Mutated loose files (bit flips, truncation, bytes added, deterministic): never a panic,
    /// and whatever is accepted is the original object, byte for byte (zlib's Adler-32 and
    /// the exact-length rules leave nothing else).
    #[test]
    fn mutated_loose_objects_never_read_as_another_object() {
        let tmp = tempfile::tempdir().unwrap();
        let body = [
            &b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"[..],
            &noise(300),
        ]
        .concat();
        let mut raw = format!("commit {}\0", body.len()).into_bytes();
        raw.extend_from_slice(&body);
        let good = deflate(&raw);
        let original = Some(((gix::object::Kind::Commit, body.len() as u64), Some(body)));
        assert_eq!(loose(tmp.path(), &good), Ok(original.clone()));
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n.max(1) as u64) as usize
        };
        let mut accepted = 0;
        for _ in 0..3000 {
            let mut m = good.clone();
            match next(3) {
                0 => {
                    let i = next(m.len());
                    m[i] ^= 1 << next(8);
                }
                1 => m.truncate(next(m.len())),
                _ => {
                    let i = next(m.len() + 1);
                    m.insert(i, next(256) as u8);
                }
            }
            if let Ok(Some(got)) = loose(tmp.path(), &m) {
                assert_eq!(Some(got), original, "mutation {m:02x?}");
                accepted += 1;
            }
        }
        assert!(accepted < 3000, "mutations must be refused");
    }
}
