//! Rekor v2 (rekor-tiles): the tile-based transparency log of Sigstore since 2025.
//!
//! What differs from Rekor v1 (`super::entry`, `super::client`) and lives here:
//! * [`entry`]: the `hashedrekord` v0.0.2 canonical body rekor-tiles stores (RFC 8785 JSON of
//!   the protojson `dev.sigstore.rekor.v2.Entry`), the `CreateEntryRequest` JSON, and the
//!   `TransparencyLogEntry` protojson answer, read into the crate's one [`LogEntry`] value;
//! * [`note`]: checkpoints as C2SP signed notes signed by the log's key (Ed25519 or ECDSA),
//!   named with the log's origin, which Sigstore derives from the trust root's `baseUrl`;
//! * [`tiles`]: C2SP tlog-tiles paths and Merkle hashes read from tiles;
//! * [`client`]: `POST /api/v2/log/entries` over [`crate::transport`].
//!
//! There is no signed entry timestamp and no integrated time in v2: the time of signing comes
//! from an RFC 3161 timestamp, which is not this module's business. Everything but [`client`]
//! is pure; nothing here decides trust (`verify::tlog_v2` does).
//!
//! [`LogEntry`]: crate::rekor::entry::LogEntry

pub mod client;
pub mod entry;
pub mod note;
pub mod tiles;
