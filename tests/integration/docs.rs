//! What the documentation promises about the source tree, checked.
//!
//! The man pages in `man/` are generated from the CLI definition and the settings table, and
//! checked, by `docs_man.rs`. Regenerate with `GITSEAL_UPDATE_MAN=1 cargo test --test
//! integration docs`.
//! The edges of the process have one owner each (README, Development; `src/lib.rs`):
//! [`edges_are_banned_and_allowed_only_by_their_owners`].

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `scripts/clippy.toml` bans the environment, the wall clock, starting processes and the
/// standard streams, and the library allows them back only in their owners (README,
/// Development). Clippy enforces the ban; this enforces the exceptions: an
/// `#[allow(clippy::disallowed_methods)]` added anywhere else would quietly re-open an edge.
/// Owners have an exact count, so a second allow in an owner is a visible decision too.
#[test]
fn edges_are_banned_and_allowed_only_by_their_owners() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let conf: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("scripts/clippy.toml")).unwrap())
            .unwrap();
    let banned = |key: &str| -> Vec<String> {
        conf[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_string())
            .collect()
    };
    let methods = banned("disallowed-methods");
    for m in [
        "std::env::var",
        "std::env::var_os",
        "std::env::vars",
        "std::env::vars_os",
        "std::time::SystemTime::now",
        "std::process::Command::new",
        "std::io::stdout",
        "std::io::stderr",
    ] {
        assert!(methods.iter().any(|b| b == m), "{m} is not banned");
    }
    let macros = banned("disallowed-macros");
    for m in [
        "std::print",
        "std::println",
        "std::eprint",
        "std::eprintln",
        "std::dbg",
    ] {
        assert!(macros.iter().any(|b| b == m), "{m}! is not banned");
    }

    // File → number of allow attributes naming a disallowed-* lint.
    let owners: &[(&str, usize)] = &[
        ("src/config.rs", 2),              // Env::from_process; the `git config` process
        ("src/clock.rs", 1),               // SystemClock::now
        ("src/oidc/opener.rs", 1),         // the user's URL opener process
        ("src/oidc/ambient.rs", 1),        // `buildkite-agent oidc request-token` (issue 16)
        ("src/cli/mod.rs", 2),             // cli::stdout, cli::stderr
        ("src/lib.rs", 2),                 // unit tests (cfg(test)); the testbed module
        ("src/bin/gitseal-testbed.rs", 1), // the testbed program
    ];
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut found = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("src/testbed/") {
            continue; // exempt as a whole from src/lib.rs
        }
        let n = std::fs::read_to_string(f)
            .unwrap()
            .lines()
            // Any mention outside a comment is a lint attribute (`allow`, `expect`, on one
            // line or spread over several).
            .filter(|l| {
                !l.trim_start().starts_with("//")
                    && (l.contains("clippy::disallowed_methods")
                        || l.contains("clippy::disallowed_macros"))
            })
            .count();
        if n > 0 {
            found.push((rel, n));
        }
    }
    found.sort();
    let mut expected: Vec<(String, usize)> =
        owners.iter().map(|(f, n)| (f.to_string(), *n)).collect();
    expected.sort();
    assert_eq!(
        found, expected,
        "allows of clippy::disallowed_* in src/ differ from the owners in README, Development"
    );
}
