//! The `gitseal` binary: everything lives in the library (`gitseal::cli::run`).
fn main() -> std::process::ExitCode {
    gitseal::cli::run(
        std::env::args_os().collect(),
        &gitseal::config::Env::from_process(),
    )
}
