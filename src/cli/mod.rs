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
    /// Print help (gitsign does this with no mode flag).
    Help,
}

/// A usage error, in gitsign's words where gitsign has them (compat §1.2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

/// Builds the plan from parsed arguments.
pub fn plan(cli: Cli) -> Result<Plan, UsageError> {
    if let Some(cmd) = cli.command {
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
    let signing = cli.sign || cli.detach_sign;
    if cli.verify && cli.sign {
        return Err(UsageError("specify --help, --sign, or --verify".into()));
    }
    if cli.verify {
        if cli.detach_sign {
            return Err(UsageError(
                "detach-sign cannot be specified for verification".into(),
            ));
        }
        if cli.armor {
            return Err(UsageError(
                "armor cannot be specified for verification".into(),
            ));
        }
        let mut files = cli.files.into_iter();
        let (Some(signature), data, None) = (files.next(), files.next(), files.next()) else {
            return Err(UsageError(
                "--verify needs SIGFILE and DATAFILE (or - for standard input)".into(),
            ));
        };
        let Some(data) = data else {
            return Err(UsageError(
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
            return Err(UsageError(
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
    Ok(Plan::Help)
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
        Err(e) => {
            eprint_line(&format!("{TOOL}: {e}"));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    ExitCode::from(execute(plan, env))
}

#[allow(clippy::print_stderr)]
pub(crate) fn eprint_line(s: &str) {
    let _ = writeln!(std::io::stderr(), "{s}");
}

fn execute(plan: Plan, env: &Env) -> u8 {
    match plan {
        Plan::Version => {
            let _ = writeln!(
                std::io::stdout(),
                "{TOOL} version {}",
                env!("CARGO_PKG_VERSION")
            );
            EXIT_OK
        }
        Plan::Help => {
            let _ = writeln!(std::io::stdout(), "{}", commands::command().render_help());
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
        Some(1) => Box::new(std::io::stdout()),
        Some(2) => Box::new(std::io::stderr()),
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
