//! The repository reader: opening the repository containing a directory (gix), reading
//! commits and tags whole under the size limit ([`crate::git::object::MAX_OBJECT_BYTES`],
//! checked on the object's header before any of it is read), listing refs, peeling tag
//! chains, resolving one revision argument, and the extra object directories of a push's
//! quarantine, which git names in `GIT_OBJECT_DIRECTORY` / `GIT_ALTERNATE_OBJECT_DIRECTORIES`
//! and gix does not read (git-receive-pack(1) "QUARANTINE ENVIRONMENT"); also
//! [`repository_top`], the directory relative settings are anchored to.
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
    /// inflate: six opens per commit of the corpus before this memo, two after (issue 18).
    /// Objects are immutable under their id, so a remembered header never goes stale.
    headers: std::cell::RefCell<std::collections::HashMap<ObjectId, (gix::object::Kind, u64)>>,
}

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
            let mut memo = self.headers.borrow_mut();
            if memo.len() >= HEADER_MEMO_MAX {
                memo.clear();
            }
            memo.insert(id, h);
        }
        Ok(found)
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
        let Some(header) = self.header(id)? else {
            return Ok(None);
        };
        self.body(id, header)
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

    /// Reads a commit or tag.
    pub fn read(&self, id: &ObjectId) -> Result<RawObject, String> {
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
        let spec = spec.detach();
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
        // The header says which; the object itself is read once, later, by whoever needs it.
        for id in ids.into_iter().flatten() {
            match self.header(id) {
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
}
