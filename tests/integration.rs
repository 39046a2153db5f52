//! One integration-test binary; one module per area (ripgrep's layout).
mod integration {
    pub mod common;
    pub mod corpus;
}
