//! gitseal: keyless Git signing and verification with Sigstore, a drop-in for gitsign.
//!
//! The library holds everything; `src/main.rs` only calls [`cli::run`]. One module per concept:
//!
//! | module | owns |
//! |---|---|
//! | [`cli`] | argument parsing (git's gpg-style argv and the human subcommands), plans, the one place that turns outcomes into status lines, messages and exit codes |
//! | [`config`] | git config + environment → effective configuration (gitsign's keys and ours) |
//! | [`gpg_status`] | the `[GNUPG:]` status-line protocol git reads |
//! | [`armor`] | the `SIGNED MESSAGE` PEM framing |
//! | [`bundle`] | Sigstore bundle v0.3 export for independent verifiers |
//! | [`cms`] | RFC 5652 SignedData decoding (and encoding) in gitsign's layout |
//! | [`oids`] | every object identifier we read or write |
//! | [`git`] | splitting commit/tag objects into payload and signature exactly as git does; object ids |
//! | [`trust`] | the Sigstore trust root (Fulcio CAs, Rekor keys, CT log keys) |
//! | [`rekor`] | transparency-log data: canonical bodies, entries, Merkle proofs, checkpoints |
//! | [`transport`] | the HTTP client (timeouts, retries, size limits); the only module that opens sockets to services |
//! | [`fulcio`] | Fulcio certificate requests |
//! | [`oidc`] | getting an OIDC identity token (ambient CI, browser with PKCE, device code) |
//! | [`sign`] | the signing sequence |
//! | [`pubkey`] | ECDSA P-256/P-384 verifying keys |
//! | [`tlv`] | raw DER slices where signatures cover received bytes |
//! | [`x509`] | facts about certificates: raw TBS, SANs, Fulcio extensions, fingerprints |
//! | [`verify`] | the verification pipeline, typed evidence, reasons and identity policy |
//! | [`online`] | Rekor lookups for online-mode signatures and the on-disk cache of verified entries |
//! | [`walk`] | reading repositories in-process (gix): revision arguments and pushes → the commits and tags to verify |
//! | [`policy_file`] | the TOML policy file: allow rules per ref, unsigned and foreign-format objects |
#![forbid(unsafe_code)]

pub mod armor;
pub mod bundle;
pub mod cli;
pub mod clock;
pub mod cms;
pub mod config;
pub mod fulcio;
pub mod git;
pub mod gpg_status;
pub mod oidc;
pub mod oids;
pub mod online;
pub mod policy_file;
pub mod pubkey;
pub mod rekor;
pub mod sign;
pub mod tlv;
pub mod transport;
pub mod trust;
pub mod verify;
pub mod walk;
pub mod x509;

#[cfg(feature = "testbed")]
pub mod testbed;
