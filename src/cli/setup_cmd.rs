//! `gitseal setup [--global]`: writes the git configuration the README's Install section asks
//! for — `gpg.format = x509` and `gpg.x509.program` — into this repository's config (or the
//! global one), says what it changed, and changes nothing that is already right (a second run
//! says so). git itself writes its files (`config::run_git`); this module decides only the
//! values.
//!
//! The program is written as `gitseal` when `gitseal` on `PATH` is this very binary (so an
//! upgrade in place keeps working and the config is portable between machines), else as this
//! binary's absolute path (so git runs the gitseal that was set up, not another one or none).

use super::{CommandError, TOOL, cwd, stdout};
use crate::config::{self, Env};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The value for `gpg.x509.program`: `gitseal` if that is what `PATH` finds and it is `exe`,
/// else `exe`'s path.
pub fn program_value(exe: &Path, path_var: Option<&str>) -> String {
    let me = std::fs::canonicalize(exe).unwrap_or_else(|_| exe.to_path_buf());
    if let Some(found) = find_on_path(TOOL, path_var)
        && std::fs::canonicalize(&found).is_ok_and(|f| f == me)
    {
        return TOOL.to_string();
    }
    exe.display().to_string()
}

/// The first `name` in the directories of `PATH` that is a file (what a shell would run).
pub fn find_on_path(name: &str, path_var: Option<&str>) -> Option<PathBuf> {
    path_var?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Runs `gitseal setup`.
pub(super) fn run(global: bool, env: &Env) -> Result<(), CommandError> {
    let dir = cwd();
    let scope = if global { "--global" } else { "--local" };
    let exe = std::env::current_exe()
        .map_err(|e| CommandError::failed(format!("cannot find the path of this program: {e}")))?;
    let wanted = [
        ("gpg.format", "x509".to_string()),
        ("gpg.x509.program", program_value(&exe, env.get("PATH"))),
    ];
    let mut changes = Vec::new();
    for (key, value) in &wanted {
        let out = config::run_git(&dir, &["config", scope, "--get", key])?;
        let current = match out.status.code() {
            Some(0) => Some(String::from_utf8_lossy(&out.stdout).trim_end().to_string()),
            Some(1) => None,
            _ => {
                return Err(CommandError::usage(format!(
                    "git config {scope}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
                .with_hint("run gitseal setup inside a repository, or use --global"));
            }
        };
        if current.as_deref() == Some(value.as_str()) {
            continue;
        }
        let out = config::run_git(&dir, &["config", scope, key, value])?;
        if !out.status.success() {
            return Err(CommandError::config(format!(
                "git config {scope} {key}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        changes.push(format!(
            "{key}: {} -> {value}",
            current.as_deref().unwrap_or("(unset)")
        ));
    }
    let where_ = if global {
        "global git config"
    } else {
        "this repository's git config"
    };
    let mut o = stdout().lock();
    if changes.is_empty() {
        let _ = writeln!(
            o,
            "{TOOL} setup: nothing changed: {where_} already has gpg.format = x509 and \
             gpg.x509.program = {}",
            wanted[1].1
        );
    } else {
        let _ = writeln!(o, "{TOOL} setup: changed {where_}:");
        for c in &changes {
            let _ = writeln!(o, "  {c}");
        }
        let _ = writeln!(
            o,
            "{TOOL} setup: sign with `git commit -S` (or `git config{} commit.gpgsign true`); \
             `{TOOL} doctor` checks the rest",
            if global { " --global" } else { "" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_is_the_name_only_when_path_finds_this_binary() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let exe = bin.join(TOOL);
        std::fs::write(&exe, b"").unwrap();
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join(TOOL), b"").unwrap();
        let path = |dirs: &[&Path]| {
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(":")
        };
        assert_eq!(program_value(&exe, Some(&path(&[&bin]))), TOOL);
        // Another gitseal first on PATH: the absolute path, so git runs this one.
        let abs = exe.display().to_string();
        assert_eq!(program_value(&exe, Some(&path(&[&other, &bin]))), abs);
        assert_eq!(program_value(&exe, None), abs);
        assert_eq!(program_value(&exe, Some("")), abs);
    }
}
