//! One integration-test binary; one module per area (ripgrep's layout).
// Test helpers report failure by panicking; tests run git, read the environment and the clock
// (scripts/clippy.toml reserves those to their owners inside the library only).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::disallowed_macros
)]
mod integration {
    pub mod attacks;
    pub mod ci_claims;
    pub mod common;
    pub mod corpus;
    pub mod credential_cache;
    pub mod docs;
    pub mod docs_man;
    pub mod fuzz;
    pub mod git_verify;
    pub mod network;
    pub mod newcomer;
    pub mod oidc_e2e;
    pub mod rekor_v2;
    pub mod scale;
    pub mod sign_clients;
    pub mod sign_e2e;
    pub mod signing;
    pub mod tamper;
    pub mod testbed;
    pub mod timestamps;
    pub mod trust_config;
    pub mod tuf;
    pub mod tuf_testbed;
    pub mod vectors;
    pub mod wiring;
}
