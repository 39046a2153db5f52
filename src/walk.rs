//! Which objects a verification covers: revision arguments as `git log` / `git show` take them
//! (`main`, `A..B`, `A...B`, `^X Y`, `X^!`, `--all`) and the commits a push introduces, turned
//! into a deterministic list of commits and annotated tags, read in-process with gix.
//!
//! This module owns revision resolution (gix's rev-spec parser), the commit walk and object
//! reading — including objects in a push's quarantine directory, which git names in
//! `GIT_OBJECT_DIRECTORY` / `GIT_ALTERNATE_OBJECT_DIRECTORIES` and gix does not read
//! (git-receive-pack(1) "QUARANTINE ENVIRONMENT"). It must not verify anything or print.
//!
//! The walk is git's `limit_list` (revision.c) over a [`CommitGraph`]: a priority queue by
//! committer date with insertion order breaking ties, uninteresting marks propagated to
//! ancestors (also to ancestors already emitted), and a stop once only uninteresting commits
//! are queued (after git's five commits of slop for clock skew). A commit that cannot be read is
//! reported as a [`Target`] with a problem instead of ending the walk, so a repository with
//! missing history (a shallow or partial copy, a corpus of loose objects) still gets an answer
//! for everything that is there.
//!
//! With nothing excluded (`main`, `--all`), no commit can become uninteresting later, so the
//! walk streams ([`walk_iter`]): each commit goes to verification as it is popped, and a
//! popped commit leaves only its id in a set (a DAG walk must know what it has seen). Memory
//! is then that set, never the objects, signatures or results. With
//! exclusions the walk must finish before anything is final, as git's `limit_list` does.

use crate::git::header;
use crate::git::object::RawObject;
use crate::git::object::{self, HashKind, Kind};
use gix::ObjectId;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
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

/// The header facts the walk needs from a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// `parent` ids in order.
    pub parents: Vec<ObjectId>,
    /// The committer time (Unix seconds; 0 when unreadable).
    pub time: i64,
}

/// Parents and committer time from a raw commit, as git's object parser reads them
/// ([`crate::git::header::links`]: only the `parent` lines right after `tree` are parents).
/// Pure.
pub fn commit_links(raw: &[u8]) -> Result<Links, String> {
    let l = header::links(raw).map_err(str::to_string)?;
    let parents = l
        .parents
        .iter()
        .map(|hex| ObjectId::from_hex(hex).map_err(|e| format!("bad parent id: {e}")))
        .collect::<Result<_, _>>()?;
    Ok(Links {
        parents,
        time: l.time,
    })
}

/// The `object` a raw tag points to (its first line, as git reads it). Pure.
pub fn tag_target(raw: &[u8]) -> Option<ObjectId> {
    header::tag_target(raw).and_then(|hex| ObjectId::from_hex(hex).ok())
}

/// Number of parents of a raw commit as git counts them (2 or more: a merge); 0 for a commit
/// git cannot parse. Pure.
pub fn parent_count(raw: &[u8]) -> usize {
    header::links(raw).map_or(0, |l| l.parents.len())
}

/// Where the walk reads commits from.
pub trait CommitGraph {
    /// The parents and committer time of `id`, or why it cannot be read.
    fn links(&self, id: &ObjectId) -> Result<Links, String>;
}

/// One commit the walk reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walked {
    /// The commit.
    pub id: ObjectId,
    /// Set when it could not be read.
    pub problem: Option<String>,
}

const UNINTERESTING: u8 = 1;
const POPPED: u8 = 2;
const BROKEN: u8 = 4;
/// git's `SLOP` (revision.c): keep popping this many commits after only uninteresting ones are
/// queued, in case committer dates are skewed.
const SLOP: u32 = 5;

struct Node {
    flags: u8,
    parents: Vec<ObjectId>,
}

struct Walk<'g> {
    graph: &'g dyn CommitGraph,
    nodes: HashMap<ObjectId, Node>,
    queue: BinaryHeap<(i64, Reverse<u64>, ObjectId)>,
    seq: u64,
    interesting_queued: usize,
    /// Commits the streaming walk has popped: only their ids are kept.
    popped: HashSet<ObjectId>,
    /// Commits to report, in order: unreadable ones as they are reached; in the buffered
    /// walk also every popped one (the streaming walk returns those directly).
    out: VecDeque<Walked>,
}

impl Walk<'_> {
    fn push(&mut self, id: ObjectId, uninteresting: bool) {
        if self.popped.contains(&id) {
            return;
        }
        if let Some(node) = self.nodes.get(&id) {
            if uninteresting && node.flags & UNINTERESTING == 0 {
                self.mark_uninteresting(id);
            }
            return;
        }
        let flag = if uninteresting { UNINTERESTING } else { 0 };
        match self.graph.links(&id) {
            Ok(links) => {
                self.nodes.insert(
                    id,
                    Node {
                        flags: flag,
                        parents: links.parents,
                    },
                );
                self.seq += 1;
                self.queue.push((links.time, Reverse(self.seq), id));
                if !uninteresting {
                    self.interesting_queued += 1;
                }
            }
            Err(problem) => {
                self.nodes.insert(
                    id,
                    Node {
                        flags: flag | BROKEN,
                        parents: Vec::new(),
                    },
                );
                if !uninteresting {
                    self.out.push_back(Walked {
                        id,
                        problem: Some(problem),
                    });
                }
            }
        }
    }

    /// git's `mark_parents_uninteresting`: the mark reaches everything already known below.
    fn mark_uninteresting(&mut self, id: ObjectId) {
        let mut stack = vec![id];
        while let Some(x) = stack.pop() {
            let Some(node) = self.nodes.get_mut(&x) else {
                continue;
            };
            if node.flags & UNINTERESTING != 0 {
                continue;
            }
            node.flags |= UNINTERESTING;
            if node.flags & POPPED != 0 {
                stack.extend(node.parents.iter().copied());
            } else if node.flags & BROKEN == 0 {
                // Still queued: its parents are marked when it is popped.
                self.interesting_queued = self.interesting_queued.saturating_sub(1);
            }
        }
    }

    fn run(mut self) -> Vec<Walked> {
        let mut slop = SLOP;
        while let Some((_, _, id)) = self.queue.pop() {
            let Some(node) = self.nodes.get_mut(&id) else {
                continue;
            };
            node.flags |= POPPED;
            let uninteresting = node.flags & UNINTERESTING != 0;
            let parents = node.parents.clone();
            if !uninteresting {
                self.interesting_queued = self.interesting_queued.saturating_sub(1);
                self.out.push_back(Walked { id, problem: None });
            }
            for p in parents {
                self.push(p, uninteresting);
            }
            if self.interesting_queued == 0 {
                slop -= 1;
                if slop == 0 {
                    break;
                }
            } else {
                slop = SLOP;
            }
        }
        let nodes = &self.nodes;
        self.out
            .into_iter()
            .filter(|w| {
                nodes
                    .get(&w.id)
                    .is_none_or(|n| n.flags & UNINTERESTING == 0)
            })
            .collect()
    }
}

/// The streaming walk ([`walk_iter`]): nothing is uninteresting, so every popped commit is
/// final at once, and its parents are never needed again.
impl Iterator for Walk<'_> {
    type Item = Walked;

    fn next(&mut self) -> Option<Walked> {
        if let Some(w) = self.out.pop_front() {
            return Some(w);
        }
        let (_, _, id) = self.queue.pop()?;
        let parents = self
            .nodes
            .remove(&id)
            .map(|n| n.parents)
            .unwrap_or_default();
        self.popped.insert(id);
        // Unreadable parents are queued in `out` after this commit, as `run` orders them.
        for p in parents {
            self.push(p, false);
        }
        Some(Walked { id, problem: None })
    }
}

fn new_walk(graph: &dyn CommitGraph) -> Walk<'_> {
    Walk {
        graph,
        nodes: HashMap::new(),
        queue: BinaryHeap::new(),
        seq: 0,
        interesting_queued: 0,
        popped: HashSet::new(),
        out: VecDeque::new(),
    }
}

/// Commits reachable from `include` and not from `exclude`, newest committer date first (ties
/// in the order commits were reached), as `git rev-list` lists them.
pub fn walk(graph: &dyn CommitGraph, include: &[ObjectId], exclude: &[ObjectId]) -> Vec<Walked> {
    if exclude.is_empty() {
        return walk_iter(graph, include).collect();
    }
    let mut w = new_walk(graph);
    for id in exclude {
        w.push(*id, true);
    }
    for id in include {
        w.push(*id, false);
    }
    w.run()
}

/// [`walk`] with nothing excluded, as an iterator: commits come out as the walk reaches
/// them, in the same order (module docs).
pub fn walk_iter<'g>(
    graph: &'g dyn CommitGraph,
    include: &[ObjectId],
) -> impl Iterator<Item = Walked> + 'g {
    let mut w = new_walk(graph);
    for id in include {
        w.push(*id, false);
    }
    w
}

/// How revision arguments are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct RevOptions {
    /// `--all`: every ref (and HEAD) is a positive revision.
    pub all: bool,
    /// `--tags`: annotated tags are verified too.
    pub tags: bool,
    /// `--walk`: bare revisions walk history like `git log` (without it they name single
    /// objects, as `git show` and `gitsign verify` take them, unless a range, a negation or
    /// `--all` asks for a walk).
    pub walk: bool,
}

/// The resolved meaning of the revision arguments. Pure data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Positive tips, in argument order.
    pub include: Vec<ObjectId>,
    /// Negative tips.
    pub exclude: Vec<ObjectId>,
    /// `A...B` pairs: both included, their merge bases excluded.
    pub symmetric: Vec<(ObjectId, ObjectId)>,
    /// `X^@`: the parents of X are positive tips.
    pub parents_of: Vec<ObjectId>,
    /// `X^!`: the parents of X are negative tips.
    pub exclude_parents_of: Vec<ObjectId>,
    /// Whether history is walked (anything but bare positive revisions, or `--all`/`--walk`).
    pub walk: bool,
}

/// Classifies parsed rev-specs (gix's [`gix::revision::plumbing::Spec`]). Pure.
pub fn classify(specs: &[gix::revision::plumbing::Spec], opts: RevOptions) -> Selection {
    use gix::revision::plumbing::Spec;
    let mut s = Selection {
        walk: opts.walk || opts.all,
        ..Selection::default()
    };
    for spec in specs {
        match *spec {
            Spec::Include(id) => s.include.push(id),
            Spec::Exclude(id) => {
                s.exclude.push(id);
                s.walk = true;
            }
            Spec::Range { from, to } => {
                s.exclude.push(from);
                s.include.push(to);
                s.walk = true;
            }
            Spec::Merge { theirs, ours } => {
                s.symmetric.push((theirs, ours));
                s.walk = true;
            }
            Spec::IncludeOnlyParents(id) => s.parents_of.push(id),
            Spec::ExcludeParents(id) => {
                s.include.push(id);
                s.exclude_parents_of.push(id);
                s.walk = true;
            }
        }
    }
    s
}

/// An object to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its id.
    pub id: ObjectId,
    /// Commit or tag.
    pub kind: Kind,
    /// Set when the walk could not read it.
    pub problem: Option<String>,
    /// For a tag object a ref `refs/tags/<name>` points at directly: `<name>`, which the tag
    /// must call itself (`git::header::tag_named`).
    pub stored_as: Option<String>,
}

/// A repository's objects, plus any extra object directories (a push's quarantine).
pub struct ObjectStore {
    repo: gix::Repository,
    extra: Vec<gix::odb::Handle>,
}

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

impl CommitGraph for ObjectStore {
    fn links(&self, id: &ObjectId) -> Result<Links, String> {
        match self.find(*id)? {
            Some((gix::object::Kind::Commit, data)) => {
                commit_links(&data).map_err(|e| format!("commit {id} cannot be parsed: {e}"))
            }
            Some((kind, _)) => Err(format!("{id} is a {kind}, not a commit")),
            None => Err(format!("commit {id} is missing from the repository")),
        }
    }
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
        let repo = gix::discover(dir).map_err(|e| WalkError::NotARepository(e.to_string()))?;
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
        Ok(Self { repo, extra })
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

    /// The kind and size of `id` from its header, without reading the object.
    fn header(&self, id: ObjectId) -> Result<Option<(gix::object::Kind, u64)>, String> {
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
    fn find(&self, id: ObjectId) -> Result<Option<(gix::object::Kind, Vec<u8>)>, String> {
        let Some((kind, size)) = self.header(id)? else {
            return Ok(None);
        };
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
        let kind = match self.header(*id)? {
            Some((gix::object::Kind::Commit, _)) => Kind::Commit,
            Some((gix::object::Kind::Tag, _)) => Kind::Tag,
            Some((kind, _)) => return Err(format!("{id} is a {kind}, not a commit or tag")),
            None => return Err(format!("object {id} is missing from the repository")),
        };
        match self.find(*id)? {
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

    fn resolve(&self, rev: &str) -> Result<gix::revision::plumbing::Spec, WalkError> {
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
        for id in ids.into_iter().flatten() {
            match self.find(id) {
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

    /// The objects `revs` select (module docs): commits in walk order (or argument order when
    /// nothing is walked), then, with `--tags`, annotated tags — those named, those `--all`
    /// reaches, and in a walk those whose commit is among the walked ones.
    pub fn select(&self, revs: &[String], opts: RevOptions) -> Result<Vec<Target>, WalkError> {
        self.select_iter(revs, opts).map(Iterator::collect)
    }

    /// [`ObjectStore::select`] as an iterator. A walk with nothing excluded and no `--tags`
    /// streams (module docs); otherwise the list is complete before the first item.
    pub fn select_iter<'s>(
        &'s self,
        revs: &[String],
        opts: RevOptions,
    ) -> Result<Box<dyn Iterator<Item = Target> + 's>, WalkError> {
        let specs = revs
            .iter()
            .map(|r| self.resolve(r))
            .collect::<Result<Vec<_>, _>>()?;
        let sel = classify(&specs, opts);
        let refs = if opts.all || opts.tags {
            self.refs()?
        } else {
            Vec::new()
        };
        let mut positive: Vec<ObjectId> = sel.include.clone();
        let mut negative: Vec<ObjectId> = sel.exclude.clone();
        for (a, b) in &sel.symmetric {
            positive.push(*a);
            positive.push(*b);
            let bases =
                self.repo
                    .merge_bases_many(*a, &[*b])
                    .map_err(|e| WalkError::MergeBase {
                        rev: format!("{a}...{b}"),
                        detail: e.to_string(),
                    })?;
            negative.extend(bases.into_iter().map(gix::Id::detach));
        }
        let parents_of = |ids: &[ObjectId]| -> Vec<ObjectId> {
            ids.iter()
                .flat_map(|id| self.links(id).map(|l| l.parents).unwrap_or_default())
                .collect()
        };
        positive.extend(parents_of(&sel.parents_of));
        negative.extend(parents_of(&sel.exclude_parents_of));
        if opts.all {
            positive.extend(refs.iter().map(|(_, id)| *id));
        }

        let mut named_tags = Vec::new();
        let mut include_commits = Vec::new();
        let mut problems = Vec::new();
        for id in &positive {
            match self.peel(*id) {
                Ok((commit, tags)) => {
                    if let Some(tag) = tags.first() {
                        named_tags.push(*tag);
                    }
                    include_commits.extend(commit);
                }
                Err(p) => problems.push(Walked {
                    id: *id,
                    problem: Some(p),
                }),
            }
        }
        let exclude_commits: Vec<ObjectId> = negative
            .iter()
            .filter_map(|id| self.peel(*id).ok().and_then(|(c, _)| c))
            .collect();

        if sel.walk && exclude_commits.is_empty() && !opts.tags {
            // Nothing can be taken back and no tag needs the walked set: stream. The few
            // unreadable arguments come first, as below, and are not repeated.
            let problem_ids: HashSet<ObjectId> = problems.iter().map(|w| w.id).collect();
            let walked =
                walk_iter(self, &include_commits).filter(move |w| !problem_ids.contains(&w.id));
            return Ok(Box::new(problems.into_iter().chain(walked).map(|w| {
                Target {
                    id: w.id,
                    kind: Kind::Commit,
                    problem: w.problem,
                    stored_as: None,
                }
            })));
        }
        let walked: Vec<Walked> = if sel.walk {
            walk(self, &include_commits, &exclude_commits)
        } else {
            include_commits
                .iter()
                .map(|id| Walked {
                    id: *id,
                    problem: None,
                })
                .collect()
        };
        let mut seen = HashSet::new();
        let mut targets: Vec<Target> = Vec::new();
        for w in problems.into_iter().chain(walked) {
            if seen.insert(w.id) {
                targets.push(Target {
                    id: w.id,
                    kind: Kind::Commit,
                    problem: w.problem,
                    stored_as: None,
                });
            }
        }
        if opts.tags {
            let mut tags = named_tags;
            if sel.walk {
                let walked: HashSet<ObjectId> = targets.iter().map(|t| t.id).collect();
                for (name, id) in &refs {
                    if !name.starts_with("refs/tags/") {
                        continue;
                    }
                    if let Ok((Some(commit), chain)) = self.peel(*id)
                        && let Some(tag) = chain.first()
                        && walked.contains(&commit)
                    {
                        tags.push(*tag);
                    }
                }
            }
            for t in tags {
                if seen.insert(t) {
                    targets.push(Target {
                        id: t,
                        kind: Kind::Tag,
                        problem: None,
                        stored_as: None,
                    });
                }
            }
        }
        Ok(Box::new(targets.into_iter()))
    }

    /// The refs that store an object id themselves (symbolic refs such as `HEAD` are left
    /// out: what they reach is reached by the ref they name), sorted by name, not peeled.
    pub fn direct_refs(&self) -> Result<Vec<(String, ObjectId)>, WalkError> {
        self.ref_list(false)
    }

    /// What moving a ref to `new` brings onto it, for a pre-receive hook: the commits
    /// reachable from `new` and from none of `known` (tips whose history is already accepted
    /// under rules at least as strict: git's `rev-list <new> --not <known>`), then every tag
    /// object on the chain from `new` (a signed outer tag vouches for nothing about an inner
    /// one), then, when the chain ends at a tree or blob, that object (never signed). When
    /// `ref_name` is `refs/tags/<name>`, the tag `new` names must call itself `<name>`
    /// ([`Target::stored_as`]).
    pub fn introduced(
        &self,
        new: ObjectId,
        known: &[ObjectId],
        ref_name: &str,
    ) -> Result<Vec<Target>, WalkError> {
        let known: Vec<ObjectId> = known
            .iter()
            .filter_map(|id| self.peel(*id).ok().and_then(|(c, _)| c))
            .collect();
        let (end, kind, tags) = match self.peel_chain(new) {
            Ok(p) => p,
            Err(p) => {
                return Ok(vec![Target {
                    id: new,
                    kind: Kind::Commit,
                    problem: Some(p),
                    stored_as: None,
                }]);
            }
        };
        let mut targets: Vec<Target> = match kind {
            Kind::Commit => walk(self, &[end], &known)
                .into_iter()
                .map(|w| Target {
                    id: w.id,
                    kind: Kind::Commit,
                    problem: w.problem,
                    stored_as: None,
                })
                .collect(),
            _ => vec![Target {
                id: end,
                kind,
                problem: None,
                stored_as: None,
            }],
        };
        let tag_ref = ref_name.strip_prefix("refs/tags/");
        targets.extend(tags.into_iter().enumerate().map(|(i, id)| Target {
            id,
            kind: Kind::Tag,
            problem: None,
            stored_as: tag_ref.filter(|_| i == 0).map(str::to_string),
        }));
        Ok(targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(HashMap<ObjectId, Links>);

    impl CommitGraph for Fake {
        fn links(&self, id: &ObjectId) -> Result<Links, String> {
            self.0
                .get(id)
                .cloned()
                .ok_or_else(|| format!("{id} missing"))
        }
    }

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    /// `edges`: (commit, time, parents).
    fn graph(edges: &[(u8, i64, &[u8])]) -> Fake {
        Fake(
            edges
                .iter()
                .map(|(c, t, ps)| {
                    (
                        id(*c),
                        Links {
                            parents: ps.iter().map(|p| id(*p)).collect(),
                            time: *t,
                        },
                    )
                })
                .collect(),
        )
    }

    fn ids(w: &[Walked]) -> Vec<ObjectId> {
        w.iter().map(|w| w.id).collect()
    }

    #[test]
    fn linear_range() {
        let g = graph(&[(1, 10, &[]), (2, 20, &[1]), (3, 30, &[2]), (4, 40, &[3])]);
        assert_eq!(ids(&walk(&g, &[id(4)], &[id(2)])), vec![id(4), id(3)]);
        assert_eq!(
            ids(&walk(&g, &[id(4)], &[])),
            vec![id(4), id(3), id(2), id(1)]
        );
        assert!(walk(&g, &[id(2)], &[id(4)]).is_empty());
    }

    #[test]
    fn merges_and_side_branches() {
        // 1 - 2 - 4 (merge of 2 and 3) - 5
        //  \- 3 -/
        let g = graph(&[
            (1, 10, &[]),
            (2, 20, &[1]),
            (3, 25, &[1]),
            (4, 30, &[2, 3]),
            (5, 40, &[4]),
        ]);
        assert_eq!(
            ids(&walk(&g, &[id(5)], &[id(2)])),
            vec![id(5), id(4), id(3)]
        );
        assert_eq!(
            ids(&walk(&g, &[id(5)], &[id(3)])),
            vec![id(5), id(4), id(2)]
        );
    }

    #[test]
    fn skewed_dates_still_exclude() {
        // 3's date is older than its parent's, so 2 is popped late; the mark must still
        // reach everything below the excluded tip.
        let g = graph(&[(1, 10, &[]), (2, 50, &[1]), (3, 5, &[2]), (4, 60, &[3])]);
        assert_eq!(ids(&walk(&g, &[id(4)], &[id(3)])), vec![id(4)]);
        let g = graph(&[(1, 100, &[]), (2, 20, &[1]), (3, 30, &[2]), (9, 40, &[1])]);
        assert_eq!(ids(&walk(&g, &[id(3)], &[id(9)])), vec![id(3), id(2)]);
        // 2 and 1 are emitted before the excluded tip (dated earlier than both) is popped;
        // the late mark takes them back out.
        let g = graph(&[(1, 10, &[]), (2, 50, &[1]), (4, 1, &[2]), (5, 60, &[2])]);
        assert_eq!(ids(&walk(&g, &[id(5)], &[id(4)])), vec![id(5)]);
    }

    #[test]
    fn missing_parents_are_reported_not_fatal() {
        let g = graph(&[(2, 20, &[1]), (3, 30, &[2])]);
        let w = walk(&g, &[id(3)], &[]);
        assert_eq!(ids(&w), vec![id(3), id(2), id(1)]);
        assert!(
            w[2].problem
                .as_deref()
                .is_some_and(|p| p.contains("missing"))
        );
        // A missing commit below an excluded tip is not reported.
        assert_eq!(ids(&walk(&g, &[id(3)], &[id(2)])), vec![id(3)]);
    }

    #[test]
    fn streaming_walk_matches_the_buffered_walk() {
        // Merges, equal dates (ties by reach order), a missing parent, several tips.
        let g = graph(&[
            (1, 10, &[]),
            (2, 20, &[1]),
            (3, 20, &[1, 7]),
            (4, 30, &[2, 3]),
            (5, 40, &[4]),
            (6, 35, &[3]),
        ]);
        for tips in [vec![id(5)], vec![id(5), id(6)], vec![id(6), id(9), id(5)]] {
            let streamed: Vec<Walked> = walk_iter(&g, &tips).collect();
            let mut buffered = new_walk(&g);
            for t in &tips {
                buffered.push(*t, false);
            }
            assert_eq!(streamed, buffered.run(), "tips {tips:?}");
        }
        // Popped commits keep only their id: memory is one set entry per commit.
        let mut w = new_walk(&g);
        w.push(id(5), false);
        let n = w.by_ref().count();
        assert_eq!(n, 6, "five commits reachable from 5 and the missing 7");
        assert_eq!(w.popped.len(), 5);
        assert!(
            w.nodes.values().all(|node| node.flags & BROKEN != 0),
            "only the missing 7"
        );
    }

    #[test]
    fn header_parsing() {
        let raw = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0101010101010101010101010101010101010101\nparent 0202020202020202020202020202020202020202\nauthor A <a@x> 5 +0000\ncommitter C <c@x> 1700000000 +0100\n\nparent ffffffffffffffffffffffffffffffffffffffff\n";
        let l = commit_links(raw).unwrap();
        assert_eq!(l.parents, vec![id(1), id(2)]);
        assert_eq!(l.time, 1_700_000_000);
        assert_eq!(parent_count(raw), 2);
        // A `parent` line after `committer` is no parent to git (commit.c), so no merge.
        let one = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 0101010101010101010101010101010101010101\nauthor A <a@x> 5 +0000\ncommitter C <c@x> 1 +0000\nparent 0202020202020202020202020202020202020202\n\n";
        assert_eq!(parent_count(one), 1);
        let tag =
            b"object 0303030303030303030303030303030303030303\ntype commit\ntag v\n\nobject x\n";
        assert_eq!(tag_target(tag), Some(id(3)));
    }

    #[test]
    fn classification() {
        use gix::revision::plumbing::Spec;
        let bare = classify(
            &[Spec::Include(id(1)), Spec::Include(id(2))],
            RevOptions::default(),
        );
        assert!(!bare.walk);
        assert_eq!(bare.include, vec![id(1), id(2)]);
        let range = classify(
            &[Spec::Range {
                from: id(1),
                to: id(2),
            }],
            RevOptions::default(),
        );
        assert!(range.walk);
        assert_eq!((range.include, range.exclude), (vec![id(2)], vec![id(1)]));
        let neg = classify(
            &[Spec::Exclude(id(1)), Spec::Include(id(2))],
            RevOptions::default(),
        );
        assert!(neg.walk);
        let all = classify(
            &[],
            RevOptions {
                all: true,
                ..RevOptions::default()
            },
        );
        assert!(all.walk);
        let bang = classify(&[Spec::ExcludeParents(id(3))], RevOptions::default());
        assert_eq!(bang.include, vec![id(3)]);
        assert_eq!(bang.exclude_parents_of, vec![id(3)]);
    }

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
