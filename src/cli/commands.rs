//! The command-line definition (clap): git's gpgsm-compatible flags and the human
//! subcommands. It is also the source of `man/gitseal.1`. Parsing only; no I/O.

use crate::policy::{GithubClaim, PolicyArgs, PolicySource};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Keyless Git signing and verification with Sigstore; a drop-in for gitsign.
///
/// Git runs gitseal as its `gpg.x509.program`: `gitseal --status-fd=1 --verify SIGFILE -` to
/// verify and `gitseal --status-fd=2 -bsau KEY` to sign. People run the subcommands.
///
/// Anything else is a usage error (exit 2): an unknown subcommand or option, FILE arguments
/// without --verify or --sign, git's flags combined with a subcommand, and no arguments at all.
// Not `args_conflicts_with_subcommands`: with it, any flag before a word (even the global
// `--trusted-root`) turned a subcommand name into a FILE, and a FILE without a mode printed
// help and exited 0, so `gitseal --trusted-root T verify` verified nothing and "passed".
// Subcommands are now recognized after any flag, and `cli::plan` refuses git's gpg flags
// next to a subcommand and FILE words without a mode (`unrecognized_word_error`).
#[derive(Debug, Parser)]
#[command(
    name = "gitseal",
    disable_version_flag = true,
    arg_required_else_help = true,
    after_help = "Configure git: git config gpg.format x509 && git config gpg.x509.program gitseal"
)]
pub struct Cli {
    /// Write gpg status lines to this file descriptor (1 = stdout, 2 = stderr).
    #[arg(long, value_name = "FD", allow_negative_numbers = true)]
    pub status_fd: Option<i32>,
    /// Verify SIGFILE over DATAFILE (or `-` for standard input), like gpgsm.
    #[arg(short = 'v', long)]
    pub verify: bool,
    /// Sign standard input (or FILE).
    #[arg(short = 's', long)]
    pub sign: bool,
    /// Make a detached signature.
    #[arg(short = 'b', long, visible_alias = "detached-sign")]
    pub detach_sign: bool,
    /// ASCII-armor the signature (PEM `SIGNED MESSAGE`).
    #[arg(short = 'a', long)]
    pub armor: bool,
    /// The signing key git names (accepted; the identity comes from the OIDC login).
    #[arg(short = 'u', long, value_name = "KEY")]
    pub local_user: Option<String>,
    /// gpgsm's --include-certs: how many certificates of the chain to embed.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub include_certs: Option<i32>,
    /// Use this Sigstore trusted_root.json instead of the embedded public-good root.
    #[arg(long, value_name = "FILE", global = true)]
    pub trusted_root: Option<PathBuf>,
    /// Print the version and exit.
    #[arg(long)]
    pub version: bool,
    /// SIGFILE and DATAFILE with --verify; FILE (default standard input) with --sign. Not
    /// accepted otherwise: a word that is not a subcommand is an error.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// A human subcommand.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Human subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify the signatures of commits (default HEAD).
    Verify(VerifyArgs),
    /// Verify the signatures of annotated tags.
    VerifyTag(VerifyTagArgs),
    /// Print the version.
    Version,
    /// Print every setting that changes signing or verification, where it came from, and check them.
    ///
    /// One line per setting: NAME = VALUE [SOURCE; sign|verify|sign+verify], where SOURCE is
    /// default, a git config key and its scope, or an environment variable. Then the checks
    /// signing and verification make before they start: the signing settings, the trust root,
    /// and the verification rules (the policy file is parsed and validated). No secret is shown.
    Config,
    /// Export a signature as a Sigstore bundle v0.3 for cosign or sigstore-python.
    Bundle(BundleArgs),
    /// Verify what a push brings onto each ref, under that ref's rules (pre-receive hook input on stdin).
    PreReceive(PreReceiveArgs),
    /// Show or clear the cached signing certificate of this repository's configuration.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(CompletionsArgs),
    /// Configure git to sign and verify with gitseal (gpg.format, gpg.x509.program).
    Setup(SetupArgs),
    /// Check that signing would work here: git, its config, the trust root, the services.
    Doctor(DoctorArgs),
    /// Keep the trust root current through a TUF repository (Sigstore's, or a private one).
    #[command(subcommand)]
    Trust(TrustCommand),
}

/// `gitseal trust`: the TUF repository the trust root comes from.
#[derive(Debug, Clone, Subcommand)]
pub enum TrustCommand {
    /// Refresh the trust root from the configured TUF repository now (exit 1 if the
    /// repository's answer is refused; the last good trust root is kept).
    Update,
    /// Point gitseal at a TUF repository and refresh from it (gitsign's `initialize`).
    Init(TrustInitArgs),
    /// Show the repository, its root version, when it was refreshed, and the trust root in
    /// use: CAs, transparency logs, CT logs and timestamp authorities with their validity.
    Show(TrustShowArgs),
}

/// `gitseal trust init`.
#[derive(Debug, Clone, Args)]
pub struct TrustInitArgs {
    /// The TUF repository's URL (https://, or http:// to a loopback host).
    #[arg(long, value_name = "URL", default_value = crate::tuf::cache::DEFAULT_MIRROR)]
    pub mirror: String,
    /// The repository's root.json, a file checked out of band (never fetched: trusting a
    /// root downloaded from the repository it vouches for would be trust on first use).
    /// Optional for the public-good repository, whose root is embedded.
    #[arg(long, value_name = "FILE")]
    pub root: Option<String>,
}

/// `gitseal trust show`.
#[derive(Debug, Clone, Args)]
pub struct TrustShowArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// `gitseal doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Do not contact Fulcio, Rekor or the OIDC issuer (and do not compare the clock).
    #[arg(long)]
    pub offline: bool,
}

/// `gitseal completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: clap_complete::Shell,
}

/// `gitseal setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Write your global git config (~/.gitconfig) instead of this repository's.
    #[arg(long)]
    pub global: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// gitsign's summary lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Identity policy flags (cosign / gitsign names).
#[derive(Debug, Clone, Args, Default)]
pub struct IdentityFlags {
    /// Required certificate identity (email or URI SAN); repeatable.
    #[arg(long, value_name = "ID")]
    pub certificate_identity: Vec<String>,
    /// Regular expression the identity must match (unanchored, as cosign); repeatable.
    #[arg(long, value_name = "REGEX")]
    pub certificate_identity_regexp: Vec<String>,
    /// Required OIDC issuer; repeatable.
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Vec<String>,
    /// Regular expression the OIDC issuer must match; repeatable.
    #[arg(long, value_name = "REGEX")]
    pub certificate_oidc_issuer_regexp: Vec<String>,
    /// `--certificate-github-workflow-*`, `--certificate-claim[-regexp]` (boxed: `cli::Plan`
    /// stays small).
    #[command(flatten)]
    pub claims: Box<ClaimFlags>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Certificate claim rules: cosign's GitHub workflow flags, and any claim by its Sigstore
/// name (issue 16), any forge.
#[derive(Debug, Clone, Args, Default)]
pub struct ClaimFlags {
    /// Required GitHub workflow trigger claim.
    #[arg(long, value_name = "VALUE")]
    pub certificate_github_workflow_trigger: Option<String>,
    /// Required GitHub workflow SHA claim.
    #[arg(long, value_name = "VALUE")]
    pub certificate_github_workflow_sha: Option<String>,
    /// Required GitHub workflow name claim.
    #[arg(long, value_name = "VALUE")]
    pub certificate_github_workflow_name: Option<String>,
    /// Required GitHub workflow repository claim.
    #[arg(long, value_name = "VALUE")]
    pub certificate_github_workflow_repository: Option<String>,
    /// Required GitHub workflow ref claim.
    #[arg(long, value_name = "VALUE")]
    pub certificate_github_workflow_ref: Option<String>,
    /// Required certificate claim by its Sigstore name, e.g. source-repository-ref=refs/heads/main
    /// or runner-environment=gitlab-hosted (exact); repeatable, all must hold.
    #[arg(long, value_name = "NAME=VALUE")]
    pub certificate_claim: Vec<String>,
    /// Regular expression a certificate claim must match (unanchored, as cosign), e.g.
    /// source-repository-ref='^refs/tags/v'; repeatable, all must hold.
    #[arg(long, value_name = "NAME=REGEX")]
    pub certificate_claim_regexp: Vec<String>,
}

/// `gitseal verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Revisions and ranges as `git log` takes them (`main`, `A..B`, `A...B`, `^X Y`, `X^!`;
    /// default HEAD). Bare revisions alone name single objects, as `git show` and `gitsign
    /// verify` take them; a range, a negation, `--all` or `--walk` walks history.
    #[arg(value_name = "REV")]
    pub revs: Vec<String>,
    /// Which objects.
    #[command(flatten)]
    pub range: RangeFlags,
    /// Lookups, cache, policy file, parallelism.
    #[command(flatten)]
    pub scale: ScaleFlags,
    /// Identity policy and output.
    #[command(flatten)]
    pub identity: IdentityFlags,
}

/// Which objects `gitseal verify` covers.
#[derive(Debug, Clone, Args, Default)]
pub struct RangeFlags {
    /// Walk from every ref (and HEAD), like `git log --all`.
    #[arg(long)]
    pub all: bool,
    /// Also verify annotated tags: those named, and those on the commits verified.
    #[arg(long)]
    pub tags: bool,
    /// Walk history from bare revisions too (`gitseal verify --walk main`: all of main).
    #[arg(long)]
    pub walk: bool,
    /// The ref the objects are for, as a full name (e.g. refs/heads/main): policy rules
    /// limited to refs apply only when it matches.
    #[arg(long = "ref", value_name = "REF", value_parser = full_ref_name)]
    pub ref_name: Option<String>,
}

/// `--ref` takes a full ref name: policy `refs` patterns are full names, so a short `main`
/// (or a typo of `refs/`) would silently match no ref-limited rule.
fn full_ref_name(s: &str) -> Result<String, String> {
    if s.starts_with("refs/") && s.len() > "refs/".len() {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a full ref name: use refs/heads/{s} or refs/tags/{s}"
        ))
    }
}

/// Online lookups, the entry cache, the policy file and parallelism.
#[derive(Debug, Clone, Args, Default)]
pub struct ScaleFlags {
    /// No network: online-mode signatures are reported as unverifiable-offline (unless their
    /// entry is in the cache).
    #[arg(long)]
    pub offline: bool,
    /// Neither read nor write the cache of verified Rekor entries.
    #[arg(long)]
    pub no_cache: bool,
    /// The policy file (TOML); overrides git config gitseal.policy and GITSEAL_POLICY.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Verify with this many threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
}

impl ScaleFlags {
    /// What these flags say about building a [`crate::check::Checker`] (`--jobs` is the
    /// runner's: [`crate::check::jobs`]).
    pub fn options(&self) -> crate::check::Options {
        crate::check::Options {
            policy: self.policy.clone(),
            offline: self.offline,
            no_cache: self.no_cache,
        }
    }
}

/// `gitseal cache`: the credential cache entry for the identity the current configuration
/// signs as (Fulcio URL, OIDC issuer, client id, connector id, user.email).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum CacheCommand {
    /// For whom a certificate is cached, its issuer, until when, and where (never the key).
    Status,
    /// Delete the cached certificate and key: the next signature logs in again.
    Clear,
}

/// `gitseal pre-receive`.
#[derive(Debug, Args)]
pub struct PreReceiveArgs {
    /// Lookups, cache, policy file, parallelism.
    #[command(flatten)]
    pub scale: ScaleFlags,
}

/// `gitseal bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The commit (or annotated tag name) whose signature to export.
    #[arg(value_name = "REV", default_value = "HEAD")]
    pub rev: String,
    /// Write the bundle (JSON) here.
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// Write the signed artifact (the CMS signed attributes) here.
    #[arg(long, value_name = "FILE")]
    pub artifact: PathBuf,
}

/// `gitseal verify-tag`.
#[derive(Debug, Args)]
pub struct VerifyTagArgs {
    /// Tag names.
    #[arg(value_name = "TAG", required = true)]
    pub tags: Vec<String>,
    /// Lookups, cache, policy file, parallelism.
    #[command(flatten)]
    pub scale: ScaleFlags,
    /// Identity policy and output.
    #[command(flatten)]
    pub identity: IdentityFlags,
}

impl IdentityFlags {
    /// The policy values the flags give.
    pub fn policy_args(&self) -> PolicyArgs {
        // Each flag is `--certificate-github-workflow-<GithubClaim::flag_name>` (a unit test in
        // `policy::claims` holds them equal).
        let mut github = Vec::new();
        for (claim, v) in [
            (
                GithubClaim::Trigger,
                &self.claims.certificate_github_workflow_trigger,
            ),
            (
                GithubClaim::Sha,
                &self.claims.certificate_github_workflow_sha,
            ),
            (
                GithubClaim::Name,
                &self.claims.certificate_github_workflow_name,
            ),
            (
                GithubClaim::Repository,
                &self.claims.certificate_github_workflow_repository,
            ),
            (
                GithubClaim::Ref,
                &self.claims.certificate_github_workflow_ref,
            ),
        ] {
            if let Some(v) = v {
                github.push((claim, v.clone()));
            }
        }
        PolicyArgs {
            source: PolicySource::Flags,
            identities: self.certificate_identity.clone(),
            identity_regexps: self.certificate_identity_regexp.clone(),
            issuers: self.certificate_oidc_issuer.clone(),
            issuer_regexps: self.certificate_oidc_issuer_regexp.clone(),
            github,
            claims: self.claims.certificate_claim.clone(),
            claim_regexps: self.claims.certificate_claim_regexp.clone(),
        }
    }
}

/// The clap command, for the man page and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// clap's own error for `args` whose FILE words came without --verify or --sign (`cli::plan`
/// refuses them): the same command with FILE turned into a hidden option, so that clap meets
/// the first stray word where only a subcommand can stand and reports it exactly as for any
/// command without positionals — "unrecognized subcommand 'verfiy'", with its "a similar
/// subcommand exists: 'verify'" tip when one is close. `None` if that parse succeeds (it
/// cannot when `plan` found a stray word).
pub fn unrecognized_word_error<I, T>(args: I) -> Option<clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    command()
        .mut_arg("files", |a| a.long("files").hide(true))
        .try_get_matches_from(args)
        .err()
}
