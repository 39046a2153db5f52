//! Transparency-log data: what a Rekor v1 entry is, how its canonical body is built, the
//! RFC 6962 Merkle proof check and the signed-note checkpoint.
//!
//! Everything here but [`client`] is pure (bytes in, values out) so it can be tested with
//! vectors and fuzzed: [`entry`] (entries and canonical bodies), [`merkle`] (RFC 6962/9162
//! inclusion proofs) and [`checkpoint`] (signed notes). [`client`] is the Rekor v1 HTTP API
//! (create, fetch, search, log info), over [`crate::transport`]; its answers are untrusted
//! input, read there by pure parsers. This module makes no trust decision: it never chooses
//! keys; `verify` decides what a proof means.

pub mod checkpoint;
pub mod client;
pub mod entry;
pub mod merkle;
pub mod v2;
