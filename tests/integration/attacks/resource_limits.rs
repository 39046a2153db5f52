//! Attack tests: see `attacks/mod.rs`.
