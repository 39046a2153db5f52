//! Every file under `tests/integration/` is compiled in. With `autotests = false` and one
//! integration binary (`tests/integration.rs`, ripgrep's layout), a test file is only built if
//! some module declares it: a file nobody declares is never compiled and never runs, and
//! nothing says so. This guard walks the directory (subdirectories too) and checks each `.rs`
//! file is declared by its parent: `tests/integration.rs` for the top level, `D/mod.rs` for a
//! subdirectory `D` (which must itself be declared).

use std::collections::BTreeSet;
use std::path::Path;

/// The module names a file declares with `mod NAME;` (any visibility, any attributes before).
fn declared(file: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub ")
                .or_else(|| line.strip_prefix("pub(crate) "))
                .or_else(|| line.strip_prefix("pub(super) "))
                .unwrap_or(line);
            let name = rest.strip_prefix("mod ")?.strip_suffix(';')?.trim();
            Some(name.to_owned())
        })
        .collect()
}

/// The files and directories of `dir` that `parent` fails to declare, as paths.
fn undeclared(dir: &Path, parent: &Path) -> Vec<String> {
    let names = declared(parent);
    let mut missing = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !names.contains(&stem) {
                missing.push(format!(
                    "{}/ (not declared in {})",
                    path.display(),
                    parent.display()
                ));
            }
            let module = path.join("mod.rs");
            let module = if module.exists() {
                module
            } else {
                path.with_extension("rs")
            };
            missing.extend(undeclared(&path, &module));
        } else if path.extension().is_some_and(|e| e == "rs")
            && stem != "mod"
            // `D.rs` beside `D/` is the directory's module file, checked as such above.
            && !path.with_extension("").is_dir()
            && !names.contains(&stem)
        {
            missing.push(format!(
                "{} (not declared in {})",
                path.display(),
                parent.display()
            ));
        }
    }
    missing
}

#[test]
fn every_test_file_is_declared() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let missing = undeclared(&tests.join("integration"), &tests.join("integration.rs"));
    assert!(
        missing.is_empty(),
        "test files that are never compiled (declare them with `pub mod NAME;`):\n{}",
        missing.join("\n")
    );
}

/// The guard itself finds an undeclared file, in a directory and in a subdirectory.
#[test]
fn the_guard_sees_an_undeclared_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("integration/sub")).unwrap();
    std::fs::write(
        root.join("integration.rs"),
        "mod integration {\n    pub mod a;\n    #[cfg(test)]\n    pub mod sub;\n}\n",
    )
    .unwrap();
    std::fs::write(root.join("integration/a.rs"), "").unwrap();
    std::fs::write(root.join("integration/b.rs"), "").unwrap();
    std::fs::write(root.join("integration/sub/mod.rs"), "mod c;\n").unwrap();
    std::fs::write(root.join("integration/sub/c.rs"), "").unwrap();
    std::fs::write(root.join("integration/sub/d.rs"), "").unwrap();
    let missing = undeclared(&root.join("integration"), &root.join("integration.rs"));
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing[0].contains("integration/b.rs"), "{missing:?}");
    assert!(missing[1].contains("sub/d.rs"), "{missing:?}");
}
