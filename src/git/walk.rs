//! Which objects a verification covers: revision arguments as `git log` / `git show` take them
//! (`main`, `A..B`, `A...B`, `^X Y`, `X^!`, `--all`) and the commits a push introduces, turned
//! into a deterministic list of commits and annotated tags ([`ObjectStore::select`],
//! [`ObjectStore::introduced`]).
//!
//! This module owns revision classification and the commit walk. Objects, refs, peeling and
//! the resolution of one revision argument come from the repository reader
//! ([`crate::git::repo`]), header fields from [`crate::git::header`]; this module must not
//! read objects any other way, verify anything or print.
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
use crate::git::object::Kind;
use crate::git::repo::{ObjectStore, WalkError};
use gix::ObjectId;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

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

impl CommitGraph for ObjectStore {
    fn links(&self, id: &ObjectId) -> Result<Links, String> {
        // Kept: a walked commit is verified next (`ObjectStore::read` takes it).
        match self.find_and_keep(*id)? {
            Some((gix::object::Kind::Commit, data)) => {
                commit_links(&data).map_err(|e| format!("commit {id} cannot be parsed: {e}"))
            }
            Some((kind, _)) => Err(format!("{id} is a {kind}, not a commit")),
            None => Err(format!("commit {id} is missing from the repository")),
        }
    }
}

/// Selecting what to verify: the store's objects, walked.
impl ObjectStore {
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
            negative.extend(self.merge_bases(*a, *b)?);
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
    use crate::git::repo::tag_target;

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
}
