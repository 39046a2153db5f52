//! RFC 5652 Cryptographic Message Syntax, in the shape gitsign writes (compat §2.2).
//!
//! [`decode`] turns signature bytes into a [`decode::ParsedSignature`] that keeps the exact
//! received bytes wherever a signature covers them; [`encode`] builds gitsign-compatible
//! SignedData. Neither checks signatures or trust: that is `verify`.

pub mod decode;
pub mod encode;
