//! Transparency-log data: what a Rekor v1 entry is, how its canonical body is built, the
//! RFC 6962 Merkle proof check and the signed-note checkpoint.
//!
//! Everything here is pure (bytes in, values out) so it can be tested with vectors and fuzzed.
//! This module makes no trust decision: it never chooses keys and never talks to the network;
//! `verify` decides what a proof means, and the HTTP client lives elsewhere.

pub mod checkpoint;
pub mod client;
pub mod entry;
pub mod merkle;
