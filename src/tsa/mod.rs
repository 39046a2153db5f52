//! RFC 3161 timestamps: the request gitsign sends and the checks on the reply ([`client`]),
//! the ASN.1 structures ([`asn1`]), and verification of a token over a CMS signature against
//! the trust root's timestamp authorities ([`token`]).
//!
//! A timestamp token proves that a signature existed at `genTime`, signed by a TSA the trust
//! root names (`timestampAuthorities`). gitsign stores it in the CMS as the unsigned attribute
//! `id-aa-timeStampToken` (compat §2.4, §10); Rekor v2 entries carry no integrated time, so for
//! them it is the only trusted time of signing. This module owns the wire format and the token
//! checks; it does not decide what a signature's verdict is (`verify::timestamp`), never reads
//! configuration, and opens no socket itself (HTTP goes through [`crate::transport`]).

pub mod asn1;
pub mod client;
pub mod token;

pub use client::{TsaClient, TsaError};
pub use token::{TimestampVerified, verify_token};
