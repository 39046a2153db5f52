//! The command-line edge: parse arguments into plain data ([`commands`]), build a [`Plan`],
//! act, and render. Every command returns `Result<(), CommandError>` and [`exit_code`] is the
//! one mapping from that to the process's exit status; [`git_verify_report`] is the one mapping
//! from a verification outcome to git's status lines (its verdict goes through [`exit_code`]
//! too).
//!
//! Each command reads the git configuration once, at the start of its act phase (`git
//! --verify` starts the read first and overlaps it with work that needs no configuration),
//! and hands the [`GitConfig`] down as plain data: nothing below a command reads it again.
//!
//! This module owns process I/O (stdin, stdout, stderr, the status fd) and exit codes. It does
//! no cryptography and parses no CMS; those are `verify`'s.

mod bundle_cmd;
mod cache_cmd;
pub mod commands;
pub mod config_cmd;
mod doctor_cmd;
mod prereceive;
pub mod render;
mod setup_cmd;
pub mod sign_cmd;
mod trust_cmd;
mod verify_cmd;

use crate::config::{self, ConfigError, Env, GitConfig};
use crate::git::object::{self, Kind};
use crate::gpg_status::{Status, Trust};
use crate::policy::{Judged, TrustLevel};
use crate::verify::reason::Class;
use clap::Parser as _;
use commands::{Cli, Command, IdentityFlags};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) const TOOL: &str = "gitseal";

// The exit statuses, used by `exit_code` alone (and tests). 1 and 2 are kept apart so a
// script can tell "the signature is bad" from "you asked for something that is not there"
// (git's "unknown revision" is fatal too); git itself only looks at zero / non-zero.
/// A good signature / every object passing / a signature made.
const EXIT_OK: u8 = 0;
/// A signature that is not good (bad, unverifiable, untrusted signer), an object that does
/// not pass, signing that failed.
const EXIT_FAILED: u8 = 1;
/// Usage and configuration errors: nothing was verified or signed.
const EXIT_USAGE: u8 = 2;

/// What a human reads about a failed command: one line, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The line, without the `gitseal: ` prefix.
    pub text: String,
    /// A hint naming the setting or flag to look at (signing's errors have one each).
    pub hint: Option<&'static str>,
}

/// Why a command did not succeed. Every command returns `Result<(), CommandError>` and
/// [`exit_code`] alone turns that into an exit status.
///
/// The command has already shown the message where its user reads it (stderr; the terminal
/// and log file while signing; after the `ERRSIG` status line under git; before "push
/// rejected" in the hook); the error carries it for tests and callers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The command line asks for something that cannot be done or is not there: contradictory
    /// arguments, an unknown revision, no repository. Nothing was verified or signed.
    #[error("{}", .0.text)]
    Usage(Message),
    /// The configuration (git config, environment, trust root, policy file) is unusable.
    /// Nothing was verified or signed: a broken configuration never passes anything.
    #[error("{}", .0.text)]
    Config(Message),
    /// The command ran and the answer is no: a signature that is not good, an object that
    /// does not pass, a signature that could not be made or written.
    #[error("{}", .0.text)]
    Failed(Message),
}

impl CommandError {
    /// [`CommandError::Usage`] without a hint.
    pub fn usage(text: impl Into<String>) -> Self {
        Self::Usage(Message {
            text: text.into(),
            hint: None,
        })
    }

    /// [`CommandError::Config`] without a hint.
    pub fn config(text: impl Into<String>) -> Self {
        Self::Config(Message {
            text: text.into(),
            hint: None,
        })
    }

    /// [`CommandError::Failed`] without a hint.
    pub fn failed(text: impl Into<String>) -> Self {
        Self::Failed(Message {
            text: text.into(),
            hint: None,
        })
    }

    /// The same error with `hint`.
    #[must_use]
    pub fn with_hint(mut self, hint: &'static str) -> Self {
        match &mut self {
            Self::Usage(m) | Self::Config(m) | Self::Failed(m) => m.hint = Some(hint),
        }
        self
    }

    /// What is shown.
    pub fn message(&self) -> &Message {
        match self {
            Self::Usage(m) | Self::Config(m) | Self::Failed(m) => m,
        }
    }

    /// The lines shown for it: `gitseal: TEXT`, then `gitseal: hint: HINT` if there is one.
    pub fn lines(&self) -> Vec<String> {
        let m = self.message();
        let mut lines = vec![format!("{TOOL}: {}", m.text)];
        lines.extend(m.hint.map(|h| format!("{TOOL}: hint: {h}")));
        lines
    }
}

impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        Self::config(e.to_string())
    }
}

/// The exit status of a command's result: the one place exit codes are decided.
pub fn exit_code(result: &Result<(), CommandError>) -> u8 {
    match result {
        Ok(()) => EXIT_OK,
        Err(CommandError::Failed(_)) => EXIT_FAILED,
        Err(CommandError::Usage(_) | CommandError::Config(_)) => EXIT_USAGE,
    }
}

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
    Config {
        /// `--trusted-root`.
        trusted_root: Option<PathBuf>,
    },
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
    /// `gitseal completions SHELL`.
    Completions(clap_complete::Shell),
    /// `gitseal setup [--global]`.
    Setup {
        /// `--global`.
        global: bool,
    },
    /// `gitseal doctor [--offline]`.
    Doctor {
        /// `--offline`.
        offline: bool,
    },
    /// `gitseal cache status|clear`.
    Cache(commands::CacheCommand),
    /// `gitseal trust update|init|show`.
    Trust {
        /// The subcommand.
        command: commands::TrustCommand,
        /// `--trusted-root` (what `trust show` reports as the root in use).
        trusted_root: Option<PathBuf>,
    },
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
            Command::Completions(a) => Plan::Completions(a.shell),
            Command::Setup(a) => Plan::Setup { global: a.global },
            Command::Doctor(a) => Plan::Doctor { offline: a.offline },
            Command::Config => Plan::Config {
                trusted_root: cli.trusted_root,
            },
            Command::Cache(c) => Plan::Cache(c),
            Command::Trust(command) => Plan::Trust {
                command,
                trusted_root: cli.trusted_root,
            },
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
    ExitCode::from(exit_code(&parse_and_act(&args, env)))
}

/// Parse → plan → act. Argument errors are shown here (clap's own text where clap has one);
/// every command shows its own.
fn parse_and_act(args: &[OsString], env: &Env) -> Result<(), CommandError> {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // `--help` and `--version` are clap "errors" on stdout that succeed.
            return if e.use_stderr() {
                Err(CommandError::usage(e.to_string().trim_end()))
            } else {
                Ok(())
            };
        }
    };
    let plan = match plan(cli) {
        Ok(p) => p,
        Err(UsageError::UnrecognizedSubcommand(word)) => {
            match commands::unrecognized_word_error(args) {
                Some(e) => {
                    let _ = e.print();
                }
                None => eprint_line(&format!("error: unrecognized subcommand '{word}'")),
            }
            return Err(CommandError::usage(format!(
                "unrecognized subcommand '{word}'"
            )));
        }
        Err(e) => {
            let e = CommandError::usage(e.to_string());
            report(&e);
            return Err(e);
        }
    };
    execute(plan, env)
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

/// Shows `e` on stderr ([`CommandError::lines`]).
pub(crate) fn report(e: &CommandError) {
    for l in e.lines() {
        eprint_line(&l);
    }
}

/// Shows `result`'s error, if any, on stderr and passes it on.
pub(crate) fn reported<T>(result: Result<T, CommandError>) -> Result<T, CommandError> {
    if let Err(e) = &result {
        report(e);
    }
    result
}

/// The git configuration as `git config` sees it from the current directory: what each
/// command reads once, at the start of its act phase.
pub(crate) fn git_config(dir: &Path) -> Result<GitConfig, CommandError> {
    Ok(GitConfig::load(dir)?)
}

fn execute(plan: Plan, env: &Env) -> Result<(), CommandError> {
    match plan {
        Plan::Version => {
            let _ = writeln!(stdout(), "{TOOL} version {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Plan::Sign(args) => sign_cmd::run(&args, env),
        Plan::Config { trusted_root } => reported(config_cmd::run(trusted_root.as_deref(), env)),
        Plan::Completions(shell) => {
            let mut out = stdout().lock();
            clap_complete::generate(shell, &mut commands::command(), TOOL, &mut out);
            Ok(())
        }
        Plan::Setup { global } => reported(setup_cmd::run(global, env)),
        Plan::Doctor { offline } => reported(doctor_cmd::run(offline, env)),
        Plan::Cache(c) => reported(cache_cmd::run(c, env)),
        Plan::Trust {
            command,
            trusted_root,
        } => reported(trust_cmd::run(command, trusted_root.as_deref(), env)),
        Plan::Bundle {
            rev,
            bundle,
            artifact,
            trusted_root,
        } => reported(bundle_cmd::run(
            &rev,
            &bundle,
            &artifact,
            trusted_root.as_deref(),
            env,
        )),
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

/// What git is told about one signature: the status lines for the status fd, the verdict
/// (its exit status comes from [`exit_code`]) and the human text for stderr.
#[derive(Debug)]
pub struct GitVerifyReport {
    /// `[GNUPG:]` lines, in order.
    pub status_lines: Vec<String>,
    /// `Ok` for a good signature git may accept (`TRUST_FULLY` / `TRUST_UNDEFINED`).
    pub verdict: Result<(), CommandError>,
    /// What git shows the user.
    pub text: String,
}

/// The status lines, verdict and human text for one git-path outcome. This is the one
/// exhaustive mapping from outcomes to what git sees.
pub fn git_verify_report(outcome: &Judged) -> GitVerifyReport {
    let mut lines = vec![Status::NewSig.line()];
    match outcome {
        Judged::Verified(v) => {
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
            let text = render::verified_summary(v, TOOL);
            let (trust, verdict) = match v.trust.level {
                TrustLevel::Fully => (Trust::Fully, Ok(())),
                TrustLevel::Undefined => (Trust::Undefined, Ok(())),
                // A policy is configured and the signer is outside it: the signature is
                // genuine but not acceptable, so git must fail (a non-zero exit makes
                // verify-commit fail whatever gpg.minTrustLevel says).
                TrustLevel::Never => (
                    Trust::Never,
                    Err(CommandError::failed(format!(
                        "the signer is not allowed: {}",
                        v.trust.why
                    ))),
                ),
            };
            lines.push(Status::Trust(trust).line());
            GitVerifyReport {
                status_lines: lines,
                verdict,
                text,
            }
        }
        Judged::Rejected(r) => {
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
            GitVerifyReport {
                status_lines: lines,
                verdict: Err(CommandError::failed(format!(
                    "{} [{}]",
                    r.detail,
                    r.reason.code()
                ))),
                text: render::rejection(r, TOOL),
            }
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
) -> Result<(), CommandError> {
    let mut status = status_writer(status_fd);
    match git_verify_act(signature, data, trusted_root, env) {
        Ok(report) => {
            for l in &report.status_lines {
                let _ = writeln!(status, "{l}");
            }
            let _ = status.flush();
            eprint_line(report.text.trim_end());
            report.verdict
        }
        // Nothing was verified: git is told the signature cannot be checked.
        Err(e) => {
            let _ = Status::NewSig.write_to(&mut status);
            let _ = Status::ErrSig { keyid: "0", rc: 9 }.write_to(&mut status);
            report(&e);
            Err(e)
        }
    }
}

/// The hint under git for an unusable policy file: nothing is verified until it is fixed.
const POLICY_HINT: &str = "nothing can be verified until the policy file is fixed: it is named by \
     GITSEAL_POLICY or git config gitseal.policy; `gitseal config` shows which and checks it";
/// The hint under git for any other unusable configuration.
const CONFIG_HINT: &str = "`gitseal config` shows every setting, where it is set, and checks them";

/// Reads the signature and payload, reads the configuration (once, overlapped with the
/// configuration-free first pass) and checks the signature.
fn git_verify_act(
    signature: &Path,
    data: &DataSource,
    trusted_root: Option<&Path>,
    env: &Env,
) -> Result<GitVerifyReport, CommandError> {
    // `git config` is a process of its own, about a third of a `git verify-commit`: start it
    // first and do the configuration-free work while it runs.
    let dir = cwd();
    let pending_config = GitConfig::start(&dir);
    let sig = match std::fs::File::open(signature)
        .and_then(|f| read_bounded(f, object::MAX_SIGNATURE_BYTES))
    {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(CommandError::failed(format!(
                "the signature {} is larger than gitseal reads ({} bytes); refused",
                signature.display(),
                object::MAX_SIGNATURE_BYTES
            )));
        }
        Err(e) => {
            return Err(CommandError::failed(format!(
                "cannot read signature {}: {e}",
                signature.display()
            )));
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
            return Err(CommandError::failed(format!(
                "the signed object is larger than gitseal reads ({} bytes); refused",
                object::MAX_OBJECT_BYTES
            )));
        }
        Err(e) => {
            return Err(CommandError::failed(format!(
                "cannot read the payload: {e}"
            )));
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
    let speculative = speculative_inputs
        .load()
        .ok()
        .map(|trust| crate::check::lookup::first_pass(&payload, &sig, &trust));
    let git = pending_config.finish()?;
    // The same rules as `gitseal verify` (identity keys or the policy file; git names no ref,
    // so only rules not limited to refs apply), and the same Rekor lookup for online-mode
    // signatures (gitseal.offline / GITSEAL_OFFLINE turn it off).
    // git shows only what gitseal writes to stderr (`%GG`, `--show-signature`,
    // `verify-commit`); `%G?` is just `E`. So the message names the file and the setting.
    let checker = crate::check::Checker::from_config(
        &git,
        &dir,
        trusted_root,
        env,
        None,
        &crate::check::Options::default(),
    )
    .map_err(|e| {
        let hint = match e {
            crate::check::LoadError::Policy(_) => POLICY_HINT,
            _ => CONFIG_HINT,
        };
        CommandError::from(e).with_hint(hint)
    })?;
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
    Ok(git_verify_report(&outcome))
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

    /// Each spelling of each gpg flag git (gpg-interface.c) or a gpgsm-style caller may pass,
    /// on its own, sets that flag and nothing else.
    #[test]
    fn each_gpg_flag_form_sets_its_flag() {
        fn cli(args: &[&str]) -> Cli {
            let mut argv = vec!["gitseal"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).expect("clap accepts the flag")
        }
        type Check = fn(&Cli) -> bool;
        let forms: &[(&[&str], Check)] = &[
            (&["--status-fd=2"], |c| c.status_fd == Some(2)),
            (&["--status-fd", "3"], |c| c.status_fd == Some(3)),
            (&["-v"], |c| c.verify),
            (&["--verify"], |c| c.verify),
            (&["-s"], |c| c.sign),
            (&["--sign"], |c| c.sign),
            (&["-b"], |c| c.detach_sign),
            (&["--detach-sign"], |c| c.detach_sign),
            (&["--detached-sign"], |c| c.detach_sign),
            (&["-a"], |c| c.armor),
            (&["--armor"], |c| c.armor),
            (&["-u", "KEY"], |c| c.local_user.as_deref() == Some("KEY")),
            (&["-uKEY"], |c| c.local_user.as_deref() == Some("KEY")),
            (&["--local-user", "KEY"], |c| {
                c.local_user.as_deref() == Some("KEY")
            }),
            (&["--local-user=KEY"], |c| {
                c.local_user.as_deref() == Some("KEY")
            }),
            (&["--include-certs=-2"], |c| c.include_certs == Some(-2)),
            (&["--include-certs", "-1"], |c| c.include_certs == Some(-1)),
            (&["--include-certs", "3"], |c| c.include_certs == Some(3)),
            (&["--version"], |c| c.version),
        ];
        let set = |c: &Cli| {
            [
                c.status_fd.is_some(),
                c.verify,
                c.sign,
                c.detach_sign,
                c.armor,
                c.local_user.is_some(),
                c.include_certs.is_some(),
                c.version,
                !c.files.is_empty(),
            ]
            .into_iter()
            .filter(|x| *x)
            .count()
        };
        for (args, check) in forms {
            let c = cli(args);
            assert!(check(&c), "{args:?}");
            assert_eq!(set(&c), 1, "{args:?} sets more than its flag");
        }
        // git's bundle `-bsau KEY` is -b -s -a -u KEY.
        let c = cli(&["-bsau", "KEY"]);
        assert!(c.detach_sign && c.sign && c.armor);
        assert_eq!(c.local_user.as_deref(), Some("KEY"));
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
    fn exit_codes_come_from_the_kind_of_error() {
        assert_eq!(exit_code(&Ok(())), 0);
        assert_eq!(exit_code(&Err(CommandError::failed("bad signature"))), 1);
        assert_eq!(exit_code(&Err(CommandError::usage("unknown revision"))), 2);
        assert_eq!(
            exit_code(&Err(CommandError::config("bad gitseal.policy"))),
            2
        );
        // A configuration error converts to Config, whatever it is about.
        let e: CommandError = ConfigError::Git("no git".into()).into();
        assert!(matches!(e, CommandError::Config(_)), "{e:?}");
        assert_eq!(exit_code(&Err(e)), 2);
        // And clap agrees on usage errors.
        assert_eq!(
            clap_error(&["--frobnicate"]).exit_code(),
            i32::from(EXIT_USAGE)
        );
    }

    #[test]
    fn command_errors_render_as_one_line_and_a_hint() {
        let e = CommandError::failed("Fulcio failed: no");
        assert_eq!(e.lines(), ["gitseal: Fulcio failed: no"]);
        assert_eq!(e.to_string(), "Fulcio failed: no");
        let e = e.with_hint("check gitsign.fulcio");
        assert_eq!(
            e.lines(),
            [
                "gitseal: Fulcio failed: no",
                "gitseal: hint: check gitsign.fulcio"
            ]
        );
        assert!(matches!(e, CommandError::Failed(_)), "the kind is kept");
    }

    /// git's verdicts go through `exit_code` too: a good signature succeeds (whatever the
    /// trust level, unless a policy says never), anything else fails with status 1.
    #[test]
    fn git_verify_report_verdicts() {
        use crate::policy::Policy;
        use crate::verify::{Context, verify_detached};
        let raw = crate::cms::encode::tests::shared_vector("internal_e2e_testdata_offline.commit");
        let split = object::split_commit(&raw, object::HashKind::Sha1).unwrap();
        let trust = crate::trust::TrustRoot::public_good().unwrap();
        let check = |payload: &[u8], policy: &Policy| {
            let outcome = verify_detached(payload, &split.signature, &trust, &Context::default());
            git_verify_report(&crate::policy::judge(outcome, |leaf| {
                policy.decide(leaf, None)
            }))
        };
        let has =
            |r: &GitVerifyReport, status: &str| r.status_lines.iter().any(|l| l.contains(status));
        // No policy and no committer email to compare: trust undefined, git may accept.
        let r = check(&split.payload, &Policy::default());
        assert!(has(&r, "GOODSIG") && has(&r, "TRUST_UNDEFINED"), "{r:?}");
        assert_eq!(exit_code(&r.verdict), 0);
        // A policy the signer is outside: genuine but refused.
        let other = crate::policy::PolicyArgs {
            identities: vec!["someone-else@example.com".into()],
            issuers: vec!["https://accounts.google.com".into()],
            ..Default::default()
        }
        .build()
        .unwrap();
        let r = check(&split.payload, &other);
        assert!(has(&r, "GOODSIG") && has(&r, "TRUST_NEVER"), "{r:?}");
        assert!(matches!(r.verdict, Err(CommandError::Failed(_))), "{r:?}");
        assert_eq!(exit_code(&r.verdict), 1);
        // A changed payload: BADSIG, and the reason code in the verdict.
        let mut changed = split.payload.clone();
        *changed.last_mut().unwrap() ^= 1;
        let r = check(&changed, &Policy::default());
        assert!(has(&r, "BADSIG"), "{r:?}");
        assert_eq!(exit_code(&r.verdict), 1);
        assert!(
            r.verdict
                .unwrap_err()
                .to_string()
                .ends_with("[message-digest-mismatch]")
        );
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
