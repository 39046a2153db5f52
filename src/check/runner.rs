//! Judging many objects: [`run_parallel`] reads each object on the caller's thread (the
//! repository handle is not shared), verifies on worker threads and hands back reports in the
//! items' order, whatever the thread timing (the worker that finishes the next report in
//! order emits it); [`jobs`] is the default thread count.

use super::Checker;
use super::report::Report;
use crate::git::object::{Kind, RawObject};
use crate::git::repo::ObjectStore;
use crate::git::walk::Target;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One unit of work: an object and the ref it is judged for.
pub type Item = (Target, Option<String>);

/// Reads each item's object (on this thread: the repository handle is not shared), verifies
/// on `jobs` threads, and calls `emit` with every report in the items' order, as soon as all
/// earlier ones are done. Items are taken from `items` only as workers free up (a bounded
/// queue), so a streamed walk is never held in memory whole.
///
/// The worker that completes the next report in order emits it (and any finished ones after
/// it), under one lock: no thread of its own for printing, which on two cores cost a context
/// switch per report (issue 18).
pub fn run_parallel<F>(
    items: impl IntoIterator<Item = Item>,
    store: &ObjectStore,
    checker: &Checker,
    jobs: usize,
    emit: F,
) where
    F: FnMut(&Report) + Send,
{
    use std::sync::mpsc;
    let hash = store.hash_kind();
    let jobs = jobs.max(1);
    type Work = (usize, Target, Option<String>, Result<RawObject, String>);
    let (work_tx, work_rx) = mpsc::sync_channel::<Work>(jobs * 4);
    let work_rx = Mutex::new(work_rx);
    // At most this many items between being read and being emitted: one slow item (a Rekor
    // lookup) must not let the reports after it pile up without bound. A token is sent for
    // each item read and taken back for each report emitted.
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(jobs * 64);
    let order = Mutex::new(InOrder {
        pending: BTreeMap::new(),
        next: 0,
        emit,
        tokens: token_rx,
    });
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let (work_rx, order) = (&work_rx, &order);
            s.spawn(move || {
                loop {
                    let next = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    let Ok((i, target, ref_name, object)) = next else {
                        break;
                    };
                    let report = checker.check(&target, object, hash, ref_name.as_deref());
                    let mut order = match order.lock() {
                        Ok(o) => o,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    order.done(i, report);
                }
            });
        }
        for (i, (target, ref_name)) in items.into_iter().enumerate() {
            if token_tx.send(()).is_err() {
                break;
            }
            let object = match (&target.problem, target.kind) {
                (Some(p), _) => Err(p.clone()),
                // Trees and blobs are judged by kind alone (Checker::check); never read.
                (None, Kind::Tree | Kind::Blob) => Ok(RawObject {
                    id: target.id.to_string(),
                    kind: target.kind,
                    data: Vec::new(),
                }),
                (None, _) => store.read(&target.id),
            };
            if work_tx.send((i, target, ref_name, object)).is_err() {
                break;
            }
        }
        drop(work_tx);
    });
}

/// Reports finished out of order, waiting for the ones before them.
struct InOrder<F> {
    pending: BTreeMap<usize, Report>,
    next: usize,
    emit: F,
    tokens: std::sync::mpsc::Receiver<()>,
}

impl<F: FnMut(&Report)> InOrder<F> {
    /// Item `i` is done: emits it and every finished report after it, in order.
    fn done(&mut self, i: usize, report: Report) {
        self.pending.insert(i, report);
        while let Some(r) = self.pending.remove(&self.next) {
            (self.emit)(&r);
            let _ = self.tokens.try_recv();
            self.next += 1;
        }
    }
}

/// The thread count: `requested` (`--jobs`), else every core.
pub fn jobs(requested: Option<std::num::NonZeroUsize>) -> usize {
    requested
        .map(std::num::NonZeroUsize::get)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(std::num::NonZeroUsize::get)
                .unwrap_or(1)
        })
}
