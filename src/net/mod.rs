//! What the network needs from configuration, decided before any socket is opened: which URLs
//! may be used at all ([`https`]: HTTPS only, loopback excepted).
//!
//! Every decision here is a pure function of plain data (a URL, a [`crate::config::Env`], a
//! [`crate::config::GitConfig`], file contents) so it is unit-tested as a table. This module
//! never opens a socket: [`crate::transport`] is the one place that does, and it asks here
//! first.

pub mod https;
