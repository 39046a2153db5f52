//! `gitseal --status-fd=2 -bsau KEY`: what git runs to sign a commit or tag.
//!
//! Contract with git (compat §1.1, §1.3): the payload arrives on stdin (or as the one file
//! argument); **stdout carries nothing but the armored signature**, ending in a newline; the
//! status fd gets `BEGIN_SIGNING` and, once the signature is written, `SIG_CREATED`; every human
//! message goes to the terminal (`/dev/tty`) or, without one, to stderr, and is also appended
//! to the log file when `GITSEAL_LOG`/`GITSIGN_LOG`/`gitsign.logPath` is set. Errors are one
//! line plus a hint naming the service and the setting, because git shows them under
//! "gpg failed to sign the data". A signature is written only after it passed gitseal's own
//! verifier.

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, TOOL, cwd, status_writer};
use crate::cms::encode::IncludeCerts;
use crate::config::{self, Env, GitConfig, SignSettings};
use crate::fulcio::FulcioClient;
use crate::gpg_status::Status;
use crate::oidc::{self, AmbientEnv, OidcContext, TokenSource, TokenSourceConfig};
use crate::rekor::client::RekorClient;
use crate::sign::{self, Candidate, Committer, OidcTokens, Services, SignRequest};
use crate::transport::{HttpTransport, TransportConfig};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Where human messages go while signing: the terminal (or stderr), plus the log file.
pub struct Terminal {
    primary: Box<dyn Write>,
    log: Option<std::fs::File>,
}

impl Terminal {
    /// Opens `/dev/tty` (falling back to stderr) and the optional log file (appended to; a
    /// log that cannot be opened is reported once and skipped).
    pub fn open(log_path: Option<&Path>) -> Self {
        let primary: Box<dyn Write> = match std::fs::OpenOptions::new().write(true).open("/dev/tty")
        {
            Ok(tty) => Box::new(tty),
            Err(_) => Box::new(super::stderr()),
        };
        let mut t = Self { primary, log: None };
        if let Some(p) = log_path {
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
            {
                Ok(f) => t.log = Some(f),
                Err(e) => {
                    let _ = writeln!(t, "{TOOL}: cannot open log file {}: {e}", p.display());
                }
            }
        }
        t
    }
}

impl Write for Terminal {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(log) = &mut self.log {
            let _ = log.write_all(buf);
        }
        self.primary.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(log) = &mut self.log {
            let _ = log.flush();
        }
        self.primary.flush()
    }
}

/// The signing invocation, as parsed.
#[derive(Debug, Clone)]
pub struct SignArgs {
    /// `--status-fd`.
    pub status_fd: Option<i32>,
    /// `--include-certs` (gpgsm: -2 all but the root, -1 all, 0 none, n up to n).
    pub include_certs: Option<i32>,
    /// One file to sign instead of stdin.
    pub file: Option<String>,
    /// `--trusted-root` for the self-check.
    pub trusted_root: Option<std::path::PathBuf>,
}

fn include_certs(n: Option<i32>) -> Result<IncludeCerts, String> {
    match n {
        None | Some(1) => Ok(IncludeCerts::LeafOnly),
        Some(0) => Err(
            "--include-certs 0 would leave out the signing certificate, which every verifier needs"
                .into(),
        ),
        Some(_) => Ok(IncludeCerts::LeafAndChain),
    }
}

/// Builds the token-source configuration; reads the client secret file if one is set.
fn token_config(s: &SignSettings, env: &Env) -> Result<(TokenSourceConfig, bool), String> {
    let client_secret = match &s.client_secret_file {
        None => None,
        Some(p) => Some(Zeroizing::new(
            std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read gitsign.clientSecretFile {}: {e}", p.display()))?
                .trim()
                .to_string(),
        )),
    };
    let mut cfg = TokenSourceConfig {
        provider: s.token_provider.clone(),
        issuer: s.issuer.clone(),
        client_id: s.client_id.clone(),
        client_secret,
        redirect_url: s.redirect_url.clone(),
        connector_id: s.connector_id.clone(),
        url_opener: s.url_opener.clone(),
        autoclose: s.autoclose,
        autoclose_timeout: s.autoclose_timeout,
        ambient: AmbientEnv::from_lookup(|k| env.get(k).map(str::to_string)),
        ..TokenSourceConfig::default()
    };
    if let Some(t) = env
        .get("GITSEAL_LOGIN_TIMEOUT")
        .and_then(|v| v.parse::<u64>().ok())
    {
        cfg.interactive_timeout = std::time::Duration::from_secs(t);
    }
    // No browser can open (no opener, no display, e.g. over SSH): use the device flow rather
    // than waiting two minutes for a callback that cannot come.
    let headless = env.get("DISPLAY").is_none_or(str::is_empty)
        && env.get("WAYLAND_DISPLAY").is_none_or(str::is_empty)
        && env.get("BROWSER").is_none_or(str::is_empty)
        && !cfg!(target_os = "macos")
        && !cfg!(windows);
    if cfg.provider.is_empty()
        && cfg.url_opener.is_empty()
        && headless
        && matches!(oidc::choose_source(&cfg), Ok(TokenSource::Interactive))
    {
        cfg.provider = "device".into();
        return Ok((cfg, true));
    }
    Ok((cfg, false))
}

/// Runs the signing flow; returns the exit code.
pub(super) fn run(args: &SignArgs, env: &Env) -> u8 {
    let mut status = status_writer(args.status_fd);
    let early_terminal = || Terminal::open(None);
    let git = match GitConfig::load(&cwd()) {
        Ok(g) => g,
        Err(e) => {
            let _ = writeln!(early_terminal(), "{TOOL}: {e}");
            return EXIT_USAGE;
        }
    };
    let settings = match SignSettings::resolve(&git, env) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(early_terminal(), "{TOOL}: {e}");
            return EXIT_USAGE;
        }
    };
    let mut terminal = Terminal::open(settings.log_path.as_deref());
    let fail = |terminal: &mut Terminal, msg: &str, hint: &str, code: u8| {
        let _ = writeln!(terminal, "{TOOL}: {msg}");
        let _ = writeln!(terminal, "{TOOL}: hint: {hint}");
        code
    };
    let include = match include_certs(args.include_certs) {
        Ok(i) => i,
        Err(e) => return fail(&mut terminal, &e, "leave --include-certs unset", EXIT_USAGE),
    };
    let trust = match config::load_trust_root(args.trusted_root.as_deref(), env, &git) {
        Ok(t) => t,
        Err(e) => {
            return fail(
                &mut terminal,
                &e.to_string(),
                "fix gitseal.trustedRoot / GITSEAL_TRUSTED_ROOT",
                EXIT_USAGE,
            );
        }
    };
    let token_cfg = match token_config(&settings, env) {
        Ok((c, fell_back)) => {
            if fell_back {
                let _ = writeln!(
                    terminal,
                    "{TOOL}: no browser can be opened here (no display, no gitsign.urlOpener); \
                     using the device flow"
                );
            }
            c
        }
        Err(e) => {
            return fail(
                &mut terminal,
                &e,
                "fix gitsign.clientSecretFile",
                EXIT_USAGE,
            );
        }
    };
    let mut payload = Vec::new();
    let read = match &args.file {
        Some(f) => std::fs::read(f).map(|d| payload = d),
        None => std::io::stdin().read_to_end(&mut payload).map(|_| ()),
    };
    if let Err(e) = read {
        return fail(
            &mut terminal,
            &format!("cannot read the data to sign: {e}"),
            "git passes the object on standard input",
            EXIT_FAILED,
        );
    }
    let _ = Status::BeginSigning.write_to(&mut status);

    let transport = Arc::new(HttpTransport::new(TransportConfig {
        timeout: settings.http_timeout,
        max_retries: settings.http_retries,
        ..TransportConfig::default()
    }));
    let fulcio = FulcioClient::new(settings.fulcio_url.clone(), transport.clone());
    let rekor = RekorClient::new(settings.rekor_url.clone(), transport.clone());
    let opener = match oidc::opener::from_config(Some(&settings.url_opener)) {
        Ok(o) => o,
        Err(e) => {
            return fail(
                &mut terminal,
                &e.to_string(),
                "fix gitsign.urlOpener",
                EXIT_USAGE,
            );
        }
    };
    let object_format = match crate::walk::ObjectStore::open(&cwd(), &[]) {
        Ok(r) => r.hash_kind(),
        Err(_) => crate::git::object::HashKind::Sha1,
    };
    let committer = Committer {
        name: &settings.committer_name,
        email: &settings.committer_email,
    };
    let request = SignRequest {
        payload: &payload,
        mode: settings.rekor_mode,
        object_format,
        include_certs: include,
        match_committer: settings.match_committer.then_some(committer),
    };
    // The two trust checks of the signing sequence (crate::sign's module docs), against the
    // trust root verification will use.
    let mut self_check = |c: &Candidate<'_>| sign::verify_candidate(c, &trust).map_err(Into::into);
    let clock = sign::SystemClock;
    let check_certificate = |chain: &crate::fulcio::FulcioChain| {
        sign::check_issued_certificate(chain, &trust, oidc::Clock::unix_now(&clock))
    };
    let result = {
        let mut tokens = OidcTokens {
            config: &token_cfg,
            context: OidcContext {
                transport: transport.as_ref(),
                terminal: &mut terminal,
                clock: &clock,
                opener: opener.as_ref(),
            },
        };
        let mut services = Services {
            tokens: &mut tokens,
            ca: &fulcio,
            log: &rekor,
            clock: &clock,
            certificate_check: Some(&check_certificate),
        };
        sign::sign(&request, &mut services, &mut self_check)
    };
    let out = match result {
        Ok(o) => o,
        Err(e) => {
            let msg = match e.service() {
                Some(s) => format!("{s:?} failed: {e}"),
                None => e.to_string(),
            };
            return fail(&mut terminal, &msg, e.hint(), EXIT_FAILED);
        }
    };
    // The signature first: only once git has it may SIG_CREATED claim it exists. A closed
    // stdout is an error, because then git has no signature.
    let mut stdout = super::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.armored.as_bytes())
        .and_then(|()| stdout.flush())
    {
        return fail(
            &mut terminal,
            &format!("cannot write the signature to git: {e}"),
            "git reads the signature from standard output",
            EXIT_FAILED,
        );
    }
    let _ = writeln!(
        terminal,
        "{TOOL}: tlog entry created with index: {}",
        out.log_entry.log_index
    );
    let sc = &out.sig_created;
    let _ = Status::SigCreated {
        detached: sc.detached,
        pk_algo: sc.pk_algo,
        hash_algo: sc.hash_algo,
        time: sc.timestamp,
        fpr: &sc.fingerprint,
    }
    .write_to(&mut status);
    let _ = status.flush();
    EXIT_OK
}

/// `gitseal config`: the effective signing and verification configuration, without secrets.
pub(super) fn print_config(env: &Env) -> u8 {
    let git = match GitConfig::load(&cwd()) {
        Ok(g) => g,
        Err(e) => {
            super::eprint_line(&format!("{TOOL}: {e}"));
            return EXIT_USAGE;
        }
    };
    let mut out = super::stdout().lock();
    match SignSettings::resolve(&git, env) {
        Ok(s) => {
            let _ = write!(out, "{}", s.describe());
        }
        Err(e) => {
            super::eprint_line(&format!("{TOOL}: {e}"));
            return EXIT_USAGE;
        }
    }
    match config::load_trust_root(None, env, &git) {
        Ok(t) => {
            let _ = writeln!(out, "trustedRoot = {}", t.source);
            EXIT_OK
        }
        Err(e) => {
            super::eprint_line(&format!("{TOOL}: {e}"));
            EXIT_USAGE
        }
    }
}
