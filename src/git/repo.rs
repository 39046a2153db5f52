//! Reading objects and revisions from a repository in-process with gix (no `git` process per
//! object). Returns raw object bytes; splitting them is [`super::object`]'s job.

use super::object::{HashKind, Kind};
use std::path::Path;

/// Why a repository or revision could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No repository at or above the directory.
    #[error("not in a git repository ({0})")]
    NotARepository(String),
    /// The revision does not resolve.
    #[error("unknown revision {rev:?}: {detail}")]
    UnknownRevision {
        /// What was asked.
        rev: String,
        /// gix's message.
        detail: String,
    },
    /// `verify-tag` on something that is not an annotated tag.
    #[error("{0} is not an annotated tag")]
    NotAnnotatedTag(String),
    /// An object could not be read.
    #[error("cannot read object {id}: {detail}")]
    Object {
        /// Object id.
        id: String,
        /// gix's message.
        detail: String,
    },
}

/// An object read for verification.
#[derive(Debug, Clone)]
pub struct RawObject {
    /// Hex object id.
    pub id: String,
    /// Commit or tag.
    pub kind: Kind,
    /// The raw object bytes (without the `<type> <len>\0` header).
    pub data: Vec<u8>,
}

/// An open repository.
pub struct Repo {
    repo: gix::Repository,
}

impl Repo {
    /// Finds the repository containing `dir` (like git does).
    pub fn discover(dir: &Path) -> Result<Self, RepoError> {
        gix::discover(dir)
            .map(|repo| Self { repo })
            .map_err(|e| RepoError::NotARepository(e.to_string()))
    }

    /// The repository's object format.
    pub fn hash_kind(&self) -> HashKind {
        match self.repo.object_hash() {
            gix::hash::Kind::Sha1 => HashKind::Sha1,
            _ => HashKind::Sha256,
        }
    }

    fn read(&self, id: gix::ObjectId) -> Result<RawObject, RepoError> {
        let obj = self.repo.find_object(id).map_err(|e| RepoError::Object {
            id: id.to_string(),
            detail: e.to_string(),
        })?;
        let kind = match obj.kind {
            gix::object::Kind::Commit => Kind::Commit,
            gix::object::Kind::Tag => Kind::Tag,
            other => {
                return Err(RepoError::Object {
                    id: id.to_string(),
                    detail: format!("is a {other}, not a commit or tag"),
                });
            }
        };
        Ok(RawObject {
            id: id.to_string(),
            kind,
            data: obj.data.clone(),
        })
    }

    /// Resolves a revision to a commit (annotated tags are peeled) and reads it.
    pub fn commit(&self, rev: &str) -> Result<RawObject, RepoError> {
        let unknown = |detail: String| RepoError::UnknownRevision {
            rev: rev.into(),
            detail,
        };
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|e| unknown(e.to_string()))?;
        let commit = id
            .object()
            .map_err(|e| unknown(e.to_string()))?
            .peel_to_kind(gix::object::Kind::Commit)
            .map_err(|e| unknown(e.to_string()))?;
        self.read(commit.id)
    }

    /// Reads the annotated tag object `refs/tags/<name>` (not peeled).
    pub fn tag(&self, name: &str) -> Result<RawObject, RepoError> {
        let full = format!("refs/tags/{name}");
        let reference =
            self.repo
                .find_reference(full.as_str())
                .map_err(|e| RepoError::UnknownRevision {
                    rev: name.into(),
                    detail: e.to_string(),
                })?;
        let id = reference
            .target()
            .try_id()
            .map(|id| id.to_owned())
            .ok_or_else(|| RepoError::NotAnnotatedTag(name.into()))?;
        let obj = self.read(id)?;
        if obj.kind != Kind::Tag {
            return Err(RepoError::NotAnnotatedTag(name.into()));
        }
        Ok(obj)
    }
}
