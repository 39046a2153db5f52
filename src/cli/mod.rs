//! The command-line edge: parse arguments into plain data ([`commands`]), build a [`Plan`],
//! act, and turn every outcome into status lines, messages and an exit code in one place
//! ([`git_verify_report`] and [`human_verify`]).
//!
//! This module owns process I/O (stdin, stdout, stderr, the status fd) and exit codes. It does
//! no cryptography and parses no CMS; those are `verify`'s.

mod bundle_cmd;
pub mod commands;
mod prereceive;
pub mod render;
pub mod sign_cmd;
mod verify_cmd;

use crate::config::{self, ConfigError, Env, GitConfig, PolicyArgs};
use crate::git::object::{self, Kind};
use crate::gpg_status::{Status, Trust};
use crate::trust::TrustRoot;
use crate::verify::Outcome;
use crate::verify::policy::{Policy, TrustLevel};
use crate::verify::reason::Class;
use clap::Parser as _;
use commands::{Cli, Command, IdentityFlags};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) const TOOL: &str = "gitseal";

/// Exit status for a good signature / all objects passing.
pub const EXIT_OK: u8 = 0;
/// Exit status for a signature that is not good (bad, unverifiable, untrusted signer).
pub const EXIT_FAILED: u8 = 1;
/// Exit status for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;

/// Where the payload comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

/// What to do, decided from the arguments before any I/O.
#[derive(Debug)]
pub enum Plan {
    /// git's `--verify SIGFILE DATA`.
    GitVerify {
        /// `--status-fd`.
        status_fd: Option<i32>,
        /// Signature file.
        signature: PathBuf,
        /// Payload.
        data: DataSource,
        /// `--trusted-root`.
        trusted_root: Option<PathBuf>,
    },
    /// git's `-bsau KEY`.
    Sign(sign_cmd::SignArgs),
    /// `gitseal config`.
    Config,
    /// `gitseal bundle`.
    Bundle {
        /// Revision or tag name.
        rev: String,
        /// Where the bundle goes.
        bundle: PathBuf,
        /// Where the artifact goes.
        artifact: PathBuf,
        /// `--trusted-root`.
        trusted_root: Option<PathBuf>,
    },
    /// `gitseal verify` / `verify-tag`.
    HumanVerify {
        /// Commits (`false`) or tags (`true`).
        tags: bool,
        /// Revisions or tag names.
        targets: Vec<String>,
        /// Flags.
        identity: IdentityFlags,
        /// `--trusted-root`.
        trusted_root: Option<PathBuf>,
        /// `--all`, `--tags`, `--walk`, `--ref` (defaults for `verify-tag`).
        range: Box<commands::RangeFlags>,
        /// `--offline`, `--no-cache`, `--policy`, `--jobs`.
        scale: Box<commands::ScaleFlags>,
    },
    /// `gitseal pre-receive`.
    PreReceive {
        /// `--offline`, `--no-cache`, `--policy`, `--jobs`.
        scale: commands::ScaleFlags,
        /// `--trusted-root`.
        trusted_root: Option<PathBuf>,
    },
    /// Print the version.
    Version,
}

/// A usage error (exit 2), in gitsign's words where gitsign has them (compat §1.2).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// Contradictory or incomplete gpg-style arguments.
    #[error("{0}")]
    Invalid(String),
    /// A word where only a subcommand can stand: FILE arguments are git's and come only with
    /// `--verify` or `--sign`. `run` reports it with clap's own message and tip.
    #[error("unrecognized subcommand '{0}'")]
    UnrecognizedSubcommand(String),
    /// Flags, but neither a subcommand nor a mode (`--verify`, `--sign`).
    #[error(
        "nothing to do: give a subcommand (verify, verify-tag, ...) or git's --verify / --sign \
         (see gitseal --help)"
    )]
    NothingToDo,
}

/// git's gpg-style flags present in `cli`, by name, for refusing them next to a subcommand.
fn gpg_flags(cli: &Cli) -> Vec<&'static str> {
    [
        (cli.status_fd.is_some(), "--status-fd"),
        (cli.verify, "--verify"),
        (cli.sign, "--sign"),
        (cli.detach_sign, "--detach-sign"),
        (cli.armor, "--armor"),
        (cli.local_user.is_some(), "--local-user"),
        (cli.include_certs.is_some(), "--include-certs"),
        (cli.version, "--version"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect()
}

/// Builds the plan from parsed arguments. Fails closed: every argument either selects what
/// happens or is an error — a typo never becomes "print help and exit 0", which a CI step
/// would take for success (issue 11, item 6).
pub fn plan(cli: Cli) -> Result<Plan, UsageError> {
    let signing = cli.sign || cli.detach_sign;
    let gpg = gpg_flags(&cli);
    // FILE words belong to git's `--verify SIGFILE DATA` and `--sign [FILE]`. Without a mode
    // the first one is a mistyped or unknown subcommand (`gitseal verfiy HEAD`).
    if !cli.verify
        && !signing
        && let Some(word) = cli.files.first()
    {
        return Err(UsageError::UnrecognizedSubcommand(word.clone()));
    }
    if let Some(cmd) = cli.command {
        // git never combines its flags with a subcommand; a command line that does is not
        // one gitseal can read unambiguously (`--verify version -`: a file or the command?).
        if let Some(flag) = gpg.first() {
            return Err(UsageError::Invalid(format!(
                "{flag} is one of git's gpg flags and cannot be combined with a subcommand"
            )));
        }
        return Ok(match cmd {
            Command::Verify(a) => Plan::HumanVerify {
                tags: false,
                targets: a.revs,
                identity: a.identity,
                trusted_root: cli.trusted_root,
                range: Box::new(a.range),
                scale: Box::new(a.scale),
            },
            Command::VerifyTag(a) => Plan::HumanVerify {
                tags: true,
                targets: a.tags,
                identity: a.identity,
                trusted_root: cli.trusted_root,
                range: Box::default(),
                scale: Box::new(a.scale),
            },
            Command::PreReceive(a) => Plan::PreReceive {
                scale: a.scale,
                trusted_root: cli.trusted_root,
            },
            Command::Version => Plan::Version,
            Command::Config => Plan::Config,
            Command::Bundle(a) => Plan::Bundle {
                rev: a.rev,
                bundle: a.bundle,
                artifact: a.artifact,
                trusted_root: cli.trusted_root,
            },
        });
    }
    if cli.version {
        return Ok(Plan::Version);
    }
    if cli.verify && cli.sign {
        return Err(UsageError::Invalid(
            "specify --help, --sign, or --verify".into(),
        ));
    }
    if cli.verify {
        if cli.detach_sign {
            return Err(UsageError::Invalid(
                "detach-sign cannot be specified for verification".into(),
            ));
        }
        if cli.armor {
            return Err(UsageError::Invalid(
                "armor cannot be specified for verification".into(),
            ));
        }
        let mut files = cli.files.into_iter();
        let (Some(signature), data, None) = (files.next(), files.next(), files.next()) else {
            return Err(UsageError::Invalid(
                "--verify needs SIGFILE and DATAFILE (or - for standard input)".into(),
            ));
        };
        let Some(data) = data else {
            return Err(UsageError::Invalid(
                "attached signatures are not supported: git passes SIGFILE and - (payload on stdin)"
                    .into(),
            ));
        };
        return Ok(Plan::GitVerify {
            status_fd: cli.status_fd,
            signature: PathBuf::from(signature),
            data: if data == "-" {
                DataSource::Stdin
            } else {
                DataSource::File(PathBuf::from(data))
            },
            trusted_root: cli.trusted_root,
        });
    }
    if signing {
        if cli.files.len() > 1 {
            return Err(UsageError::Invalid(
                "sign takes at most one file (default: standard input)".into(),
            ));
        }
        return Ok(Plan::Sign(sign_cmd::SignArgs {
            status_fd: cli.status_fd,
            include_certs: cli.include_certs,
            file: cli.files.into_iter().next(),
            trusted_root: cli.trusted_root,
        }));
    }
    // gitsign prints help and exits 0 here (compat §1.2); nothing asked for is not success.
    Err(UsageError::NothingToDo)
}

/// Runs gitseal with `args` (including argv\[0\]) and the process environment.
pub fn run(args: Vec<OsString>, env: &Env) -> ExitCode {
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let plan = match plan(cli) {
        Ok(p) => p,
        Err(UsageError::UnrecognizedSubcommand(word)) => {
            match commands::unrecognized_word_error(&args) {
                Some(e) => {
                    let _ = e.print();
                }
                None => eprint_line(&format!("error: unrecognized subcommand '{word}'")),
            }
            return ExitCode::from(EXIT_USAGE);
        }
        Err(e) => {
            eprint_line(&format!("{TOOL}: {e}"));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    ExitCode::from(execute(plan, env))
}

// The standard streams belong to `cli`: while git signs, stdout is the signature and nothing
// else may reach it (gitsign §11.5), and the status stream is one of them. `std::io::stdout`,
// `std::io::stderr` and the print macros are `disallowed-methods`/`-macros` elsewhere
// (scripts/clippy.toml); these two functions are the only ways out.

/// The process's standard output (signatures, `gitseal verify` reports, `--version`).
#[allow(clippy::disallowed_methods)] // cli owns the standard streams (above)
pub(crate) fn stdout() -> std::io::Stdout {
    std::io::stdout()
}

/// The process's standard error (messages git shows; the terminal fallback).
#[allow(clippy::disallowed_methods)] // cli owns the standard streams (above)
pub(crate) fn stderr() -> std::io::Stderr {
    std::io::stderr()
}

/// One line on stderr: every message gitseal prints for a human goes through here.
pub(crate) fn eprint_line(s: &str) {
    let _ = writeln!(stderr(), "{s}");
}

fn execute(plan: Plan, env: &Env) -> u8 {
    match plan {
        Plan::Version => {
            let _ = writeln!(stdout(), "{TOOL} version {}", env!("CARGO_PKG_VERSION"));
            EXIT_OK
        }
        Plan::Sign(args) => sign_cmd::run(&args, env),
        Plan::Config => sign_cmd::print_config(env),
        Plan::Bundle {
            rev,
            bundle,
            artifact,
            trusted_root,
        } => bundle_cmd::run(&rev, &bundle, &artifact, trusted_root.as_deref(), env),
        Plan::GitVerify {
            status_fd,
            signature,
            data,
            trusted_root,
        } => git_verify(status_fd, &signature, &data, trusted_root.as_deref(), env),
        Plan::HumanVerify {
            tags,
            targets,
            identity,
            trusted_root,
            range,
            scale,
        } => verify_cmd::human_verify(
            tags,
            &targets,
            &range,
            &scale,
            &identity,
            trusted_root.as_deref(),
            env,
        ),
        Plan::PreReceive {
            scale,
            trusted_root,
        } => prereceive::run(
            &scale,
            trusted_root.as_deref(),
            env,
            &mut std::io::stdin().lock(),
        ),
    }
}

/// Opens the status stream git asked for.
pub(crate) fn status_writer(fd: Option<i32>) -> Box<dyn Write> {
    match fd {
        Some(1) => Box::new(stdout()),
        Some(2) => Box::new(stderr()),
        // Other descriptors are inherited from git; /dev/fd/N reopens them without unsafe code.
        Some(n) if n > 2 => match std::fs::OpenOptions::new()
            .write(true)
            .open(format!("/dev/fd/{n}"))
        {
            Ok(f) => Box::new(f),
            Err(_) => Box::new(std::io::sink()),
        },
        _ => Box::new(std::io::sink()),
    }
}

pub(crate) fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

pub(crate) fn load_verify_config(
    trusted_root: Option<&Path>,
    env: &Env,
    flags: Option<PolicyArgs>,
) -> Result<(TrustRoot, Policy), ConfigError> {
    let git = GitConfig::load(&cwd())?;
    let trust = config::load_trust_root(trusted_root, env, &git)?;
    let args = match flags {
        Some(f) if !f.is_empty() => f,
        _ => PolicyArgs::from_git_config(&git),
    };
    Ok((trust, args.build()?))
}

/// The status lines, exit code and human text for one git-path outcome. This is the one
/// exhaustive mapping from outcomes to what git sees.
pub fn git_verify_report(outcome: &Outcome) -> (Vec<String>, u8, String) {
    let mut lines = vec![Status::NewSig.line()];
    match outcome {
        Outcome::Verified(v) => {
            let uid = render::uid(Some(&v.signer));
            let fpr = &v.signer.fingerprint;
            lines.push(
                Status::GoodSig {
                    keyid: fpr,
                    uid: &uid,
                }
                .line(),
            );
            lines.push(
                Status::ValidSig {
                    fpr,
                    time: v.tlog.integrated_time,
                }
                .line(),
            );
            let (trust, code) = match v.trust.level {
                TrustLevel::Fully => (Trust::Fully, EXIT_OK),
                TrustLevel::Undefined => (Trust::Undefined, EXIT_OK),
                // A policy is configured and the signer is outside it: the signature is
                // genuine but not acceptable, so git must fail (a non-zero exit makes
                // verify-commit fail whatever gpg.minTrustLevel says).
                TrustLevel::Never => (Trust::Never, EXIT_FAILED),
            };
            lines.push(Status::Trust(trust).line());
            (lines, code, render::verified_summary(v, TOOL))
        }
        Outcome::Rejected(r) => {
            let fpr = r
                .signer
                .as_ref()
                .map_or_else(|| "0".to_string(), |s| s.fingerprint.clone());
            let line = match r.reason.class() {
                Class::Bad => Status::BadSig {
                    keyid: &fpr,
                    uid: &render::uid(r.signer.as_ref()),
                }
                .line(),
                Class::CannotCheck => Status::ErrSig {
                    keyid: &fpr,
                    rc: if r.reason == crate::verify::reason::Reason::UnsupportedAlgorithm {
                        4
                    } else {
                        9
                    },
                }
                .line(),
            };
            lines.push(line);
            (lines, EXIT_FAILED, render::rejection(r, TOOL))
        }
    }
}

/// Reads all of `r` if it is at most `limit` bytes (`None` when it is longer: no more than
/// `limit + 1` bytes are ever read, so an endless or huge input costs nothing).
pub(crate) fn read_bounded(r: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= limit).then_some(buf))
}

fn git_verify(
    status_fd: Option<i32>,
    signature: &Path,
    data: &DataSource,
    trusted_root: Option<&Path>,
    env: &Env,
) -> u8 {
    // `git config` is a process of its own, about a third of a `git verify-commit`: start it
    // first and do the configuration-free work while it runs.
    let dir = cwd();
    let pending_config = GitConfig::start(&dir);
    let mut status = status_writer(status_fd);
    let fail_early = |status: &mut Box<dyn Write>, msg: String, code: u8| {
        let _ = Status::NewSig.write_to(status);
        let _ = Status::ErrSig { keyid: "0", rc: 9 }.write_to(status);
        eprint_line(&format!("{TOOL}: {msg}"));
        code
    };
    let sig = match std::fs::File::open(signature)
        .and_then(|f| read_bounded(f, object::MAX_SIGNATURE_BYTES))
    {
        Ok(Some(s)) => s,
        Ok(None) => {
            return fail_early(
                &mut status,
                format!(
                    "the signature {} is larger than gitseal reads ({} bytes); refused",
                    signature.display(),
                    object::MAX_SIGNATURE_BYTES
                ),
                EXIT_FAILED,
            );
        }
        Err(e) => {
            return fail_early(
                &mut status,
                format!("cannot read signature {}: {e}", signature.display()),
                EXIT_FAILED,
            );
        }
    };
    let read = match data {
        DataSource::Stdin => read_bounded(std::io::stdin().lock(), object::MAX_OBJECT_BYTES),
        DataSource::File(p) => {
            std::fs::File::open(p).and_then(|f| read_bounded(f, object::MAX_OBJECT_BYTES))
        }
    };
    let payload = match read {
        Ok(Some(p)) => p,
        Ok(None) => {
            return fail_early(
                &mut status,
                format!(
                    "the signed object is larger than gitseal reads ({} bytes); refused",
                    object::MAX_OBJECT_BYTES
                ),
                EXIT_FAILED,
            );
        }
        Err(e) => {
            return fail_early(
                &mut status,
                format!("cannot read the payload: {e}"),
                EXIT_FAILED,
            );
        }
    };
    // The pipeline's first pass needs only the trust root. Run it now, with the trust root
    // the environment alone selects, and keep it only if the configuration git reports
    // names the same trust-root files (`first_pass_applies`; the identity rules are applied
    // to it afterwards). Otherwise it is thrown away and the checker computes its own. It
    // never touches the network.
    let kind = Kind::of_payload(&payload);
    let speculative_inputs =
        config::TrustRootInputs::resolve(trusted_root, env, &GitConfig::default());
    let speculative = speculative_inputs.load().ok().map(|trust| {
        let email = kind.and_then(|k| object::signer_email(k, &payload));
        crate::online::first_pass(&payload, &sig, &trust, &Policy::default(), email.as_deref())
    });
    let git = match pending_config.finish() {
        Ok(g) => g,
        Err(e) => return fail_early(&mut status, e.to_string(), EXIT_USAGE),
    };
    // The same rules as `gitseal verify` (identity keys or the policy file; git names no ref,
    // so only rules not limited to refs apply), and the same Rekor lookup for online-mode
    // signatures (gitseal.offline / GITSEAL_OFFLINE turn it off).
    let checker = match verify_cmd::Checker::from_config(
        &git,
        &dir,
        trusted_root,
        env,
        None,
        &commands::ScaleFlags::default(),
    ) {
        Ok(c) => c,
        Err(e) => return fail_early(&mut status, e.to_string(), EXIT_USAGE),
    };
    let first = speculative.filter(|_| checker.first_pass_applies(&speculative_inputs));
    // Online mode logs the object id (compat §3.1): the id git gives the object it is
    // verifying is that of the signature inserted back into the payload, in the object
    // format the payload is written in.
    let hash = object::HashKind::of_payload(&payload).unwrap_or(object::HashKind::Sha1);
    let object_id =
        kind.map(|k| object::object_id(k, &object::signed_object(k, &payload, &sig, hash), hash));
    let outcome = checker.check_signature(
        kind,
        &payload,
        &sig,
        object_id.as_deref(),
        hash,
        None,
        first,
    );
    let (lines, code, text) = git_verify_report(&outcome);
    for l in lines {
        let _ = writeln!(status, "{l}");
    }
    let _ = status.flush();
    eprint_line(text.trim_end());
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(args: &[&str]) -> Result<Plan, UsageError> {
        let mut argv = vec!["gitseal"];
        argv.extend_from_slice(args);
        plan(Cli::try_parse_from(argv).expect("clap accepts the words"))
    }

    fn clap_error(args: &[&str]) -> clap::Error {
        let mut argv = vec!["gitseal"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).expect_err("clap refuses the words")
    }

    // git's own argv (gpg-interface.c: sign_buffer_x509 / verify_signed_buffer for x509 pass
    // exactly these) must keep working exactly.

    #[test]
    fn git_sign_argv_bundled_short_flags() {
        let p = plan_of(&["--status-fd=2", "-bsau", "alice@example.com"]).unwrap();
        assert!(
            matches!(p, Plan::Sign(ref a) if a.status_fd == Some(2) && a.file.is_none()),
            "{p:?}"
        );
    }

    #[test]
    fn git_sign_argv_separate_and_long_forms() {
        for args in [
            &["--status-fd", "2", "-b", "-s", "-a", "-u", "KEY"][..],
            &[
                "--status-fd=2",
                "--detach-sign",
                "--sign",
                "--armor",
                "--local-user=KEY",
            ],
            &["--status-fd=2", "--detached-sign", "--armor", "-u", "KEY"],
            &["--status-fd=2", "-bsau", "KEY", "--include-certs=-2"],
            &["--status-fd=2", "-bsau", "KEY", "--include-certs", "3"],
            &["-abu", "KEY"],
        ] {
            assert!(matches!(plan_of(args), Ok(Plan::Sign(_))), "{args:?}");
        }
        let p = plan_of(&["-bsau", "KEY", "--include-certs", "3"]).unwrap();
        assert!(matches!(p, Plan::Sign(ref a) if a.include_certs == Some(3)));
    }

    #[test]
    fn git_sign_of_a_file() {
        let p = plan_of(&["-bsau", "KEY", "payload.txt"]).unwrap();
        assert!(matches!(p, Plan::Sign(ref a) if a.file.as_deref() == Some("payload.txt")));
        assert!(matches!(
            plan_of(&["-bsau", "KEY", "a", "b"]),
            Err(UsageError::Invalid(_))
        ));
    }

    #[test]
    fn git_verify_argv() {
        let p = plan_of(&["--status-fd=1", "--verify", "/tmp/.git_vtag_tmpXYZ", "-"]).unwrap();
        assert!(
            matches!(p, Plan::GitVerify { status_fd: Some(1), ref signature, data: DataSource::Stdin, .. }
                if signature == Path::new("/tmp/.git_vtag_tmpXYZ")),
            "{p:?}"
        );
        let p = plan_of(&["-v", "sig", "data", "--status-fd", "3"]).unwrap();
        assert!(matches!(
            p,
            Plan::GitVerify {
                status_fd: Some(3),
                data: DataSource::File(_),
                ..
            }
        ));
        // A relative temporary file name that happens to be a subcommand's is no subcommand
        // once --verify is given: refused rather than guessed.
        let argv = ["gitseal", "--status-fd=1", "--verify", "config", "-"];
        assert!(Cli::try_parse_from(argv).map_or(true, |cli| plan(cli).is_err()));
        assert!(plan_of(&["--status-fd=1", "--verify", "verify", "-"]).is_err());
    }

    #[test]
    fn gitsign_argv_errors_are_kept() {
        for (args, want) in [
            (
                &["-s", "--verify", "x", "-"][..],
                "specify --help, --sign, or --verify",
            ),
            (
                &["--verify", "-b", "x", "-"],
                "detach-sign cannot be specified",
            ),
            (&["--verify", "-a", "x", "-"], "armor cannot be specified"),
            (&["--verify", "x"], "attached signatures are not supported"),
            (&["--verify"], "--verify needs SIGFILE and DATAFILE"),
        ] {
            let e = plan_of(args).unwrap_err();
            assert!(matches!(e, UsageError::Invalid(_)), "{args:?}: {e:?}");
            assert!(e.to_string().contains(want), "{args:?}: {e}");
        }
    }

    #[test]
    fn a_misspelt_subcommand_is_an_error_not_help() {
        for (args, word) in [
            (&["verfiy", "HEAD"][..], "verfiy"),
            (&["verify-tags", "v1"], "verify-tags"),
            (&["nonsense"], "nonsense"),
            (&["--trusted-root", "t.json", "verfiy"], "verfiy"),
            (&["-u", "KEY", "payload"], "payload"),
            (&["foo", "verify"], "foo"),
        ] {
            match plan_of(args) {
                Err(UsageError::UnrecognizedSubcommand(w)) => assert_eq!(w, word, "{args:?}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn clap_reports_the_stray_word_with_its_tip() {
        let e = commands::unrecognized_word_error(["gitseal", "verfiy", "HEAD"]).unwrap();
        assert_eq!(e.kind(), clap::error::ErrorKind::InvalidSubcommand);
        let text = e.to_string();
        assert!(text.contains("unrecognized subcommand 'verfiy'"), "{text}");
        // clap's tip ("some similar subcommands exist: 'version', 'verify-tag', 'verify'").
        assert!(text.contains("similar subcommand"), "{text}");
        assert!(text.contains("'verify'"), "{text}");
        assert_eq!(e.exit_code(), i32::from(EXIT_USAGE));
        let e = commands::unrecognized_word_error(["gitseal", "verify-tags", "v1"]).unwrap();
        assert!(e.to_string().contains("'verify-tag'"), "{e}");
        let e = commands::unrecognized_word_error(["gitseal", "zzzz"]).unwrap();
        assert!(
            e.to_string().contains("unrecognized subcommand 'zzzz'"),
            "{e}"
        );
        // A word after a root flag too.
        let e = commands::unrecognized_word_error(["gitseal", "--trusted-root", "t", "verfiy"])
            .unwrap();
        assert!(e.to_string().contains("'verfiy'"), "{e}");
    }

    #[test]
    fn subcommands_follow_root_flags() {
        // `--trusted-root` is global: before the subcommand it must still select it (it used
        // to turn `verify` into a FILE, then help and exit 0).
        let p = plan_of(&["--trusted-root", "t.json", "verify", "HEAD"]).unwrap();
        assert!(
            matches!(p, Plan::HumanVerify { tags: false, ref trusted_root, .. }
                if trusted_root.as_deref() == Some(Path::new("t.json"))),
            "{p:?}"
        );
    }

    #[test]
    fn gpg_flags_and_subcommands_do_not_mix() {
        for args in [
            &["--status-fd=1", "verify", "HEAD"][..],
            &["--verify", "verify"],
            &["-bsau", "KEY", "verify-tag", "v1"],
            &["--version", "config"],
            &["--include-certs", "1", "pre-receive"],
        ] {
            let e = plan_of(args).unwrap_err();
            assert!(
                e.to_string()
                    .contains("cannot be combined with a subcommand"),
                "{args:?}: {e}"
            );
        }
    }

    #[test]
    fn flags_without_a_mode_are_nothing_to_do() {
        for args in [
            &["--status-fd=1"][..],
            &["-a"],
            &["-u", "KEY"],
            &["--trusted-root", "t.json"],
        ] {
            assert!(
                matches!(plan_of(args), Err(UsageError::NothingToDo)),
                "{args:?}"
            );
        }
    }

    #[test]
    fn no_arguments_is_help_on_stderr_and_exit_2() {
        let e = clap_error(&[]);
        assert_eq!(
            e.kind(),
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        assert!(e.use_stderr());
        assert_eq!(e.exit_code(), i32::from(EXIT_USAGE));
    }

    #[test]
    fn help_and_version_succeed() {
        for args in [&["--help"][..], &["-h"], &["verify", "--help"], &["help"]] {
            let e = clap_error(args);
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayHelp, "{args:?}");
            assert_eq!(e.exit_code(), 0);
        }
        assert!(matches!(plan_of(&["--version"]), Ok(Plan::Version)));
        assert!(matches!(plan_of(&["version"]), Ok(Plan::Version)));
    }

    #[test]
    fn unknown_options_and_values_are_clap_errors() {
        for args in [
            &["verify", "--certificate-identiy", "x"][..],
            &["verify", "--format", "jsno"],
            &["verify", "--jobs", "0"],
            &["verify", "--trusted-root", ""],
            &["verify", "--policy", ""],
            &["--status-fd=one", "--verify", "s", "-"],
            &["--frobnicate"],
        ] {
            let e = clap_error(args);
            assert!(e.use_stderr(), "{args:?}");
            assert_eq!(e.exit_code(), i32::from(EXIT_USAGE), "{args:?}: {e}");
        }
    }
}
