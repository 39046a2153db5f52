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

use super::{CommandError, TOOL, cwd, git_config, status_writer};
use crate::cms::encode::IncludeCerts;
use crate::config::{self, Env, GitConfig, SignSettings};
use crate::credcache;
use crate::fulcio::FulcioClient;
use crate::gpg_status::Status;
use crate::oidc::{self, AmbientEnv, OidcContext, TokenSource, TokenSourceConfig};
use crate::policy::committer::Committer;
use crate::rekor::client::RekorClient;
use crate::sign::{self, OidcTokens, Services, SignOutput, SignRequest};
use crate::transport::{HttpTransport, TransportConfig};
use crate::trust::TrustRoot;
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
    /// log that cannot be opened is reported once and skipped). With no terminal and no log
    /// file, `no_terminal_log` is used (`config::no_terminal_log_path`): git shows stderr only
    /// when signing fails.
    pub fn open(log_path: Option<&Path>, no_terminal_log: Option<&Path>) -> Self {
        let (primary, log_path): (Box<dyn Write>, _) =
            match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
                Ok(tty) => (Box::new(tty), log_path),
                Err(_) => {
                    let fallback = log_path.is_none().then_some(no_terminal_log).flatten();
                    if let Some(dir) = fallback.and_then(Path::parent) {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    (Box::new(super::stderr()), log_path.or(fallback))
                }
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

/// What signing will do, decided from the arguments and the configuration before any service
/// is contacted.
struct SignPlan {
    settings: SignSettings,
    include: IncludeCerts,
    trust: TrustRoot,
    token: TokenSourceConfig,
    /// The token source fell back to the device flow (no browser can open here).
    device_fallback: bool,
    /// The credential cache (issue 12): only for interactive and device logins, never for
    /// ambient CI tokens (each CI job signs fresh).
    cache_mode: credcache::Mode,
}

/// The clients signing talks to, built from the plan.
struct Wiring {
    transport: Arc<HttpTransport>,
    fulcio: FulcioClient,
    rekor: RekorClient,
    /// `gitsign.timestampServerURL`, when set.
    tsa: Option<crate::tsa::TsaClient>,
    /// The Rekor v2 client, with `gitsign.rekorVersion=2` (then used instead of `rekor`).
    rekor_v2: Option<crate::rekor::v2::client::RekorV2Client>,
    opener: Box<dyn oidc::opener::UrlOpener>,
}

/// Runs the signing flow: plan → wire → sign → emit. Configuration problems found before the
/// log file is known go to the terminal alone; every later message also goes to the log.
pub(super) fn run(args: &SignArgs, env: &Env) -> Result<(), CommandError> {
    let mut status = status_writer(args.status_fd);
    let (git, settings) = match settings(env) {
        Ok(x) => x,
        Err(e) => {
            report(&mut Terminal::open(None, None), &e);
            return Err(e);
        }
    };
    let no_terminal_log = config::no_terminal_log_path(env);
    let mut terminal = Terminal::open(settings.log_path.as_deref(), no_terminal_log.as_deref());
    refresh_trust(args, &git, &settings, env, &mut terminal);
    let result = plan(args, &git, settings, env).and_then(|plan| {
        if plan.device_fallback {
            let _ = writeln!(
                terminal,
                "{TOOL}: no browser can be opened here (no display, no gitsign.urlOpener); \
                 using the device flow"
            );
        }
        let payload = read_payload(args)?;
        let _ = Status::BeginSigning.write_to(&mut status);
        let wiring = wire(&plan)?;
        let out = sign_payload(&plan, &wiring, &payload, &mut terminal, env)?;
        emit(&out, &mut terminal, &mut status)
    });
    if let Err(e) = &result {
        report(&mut terminal, e);
    }
    result
}

/// Issue 14: before the plan loads the trust root, refresh it from the TUF repository when
/// the last refresh is older than a day ([`crate::tuf::refresh_if_stale`]: 5 s at most, one
/// line on failure, then the last good root). Not when a trust root file or trust config is
/// configured, and not when no refresh was ever made (`tuf::refresh_if_stale`).
fn refresh_trust(
    args: &SignArgs,
    git: &GitConfig,
    settings: &SignSettings,
    env: &Env,
    terminal: &mut Terminal,
) {
    let inputs = config::TrustRootInputs::resolve(None, env, git);
    // Trust from a file or a client trust config: no TUF repository is in use.
    if args.trusted_root.is_some() || inputs.file.is_some() || inputs.trust_config.is_some() {
        return;
    }
    let now = crate::clock::Clock::unix_now(&crate::clock::SystemClock);
    let config = TransportConfig {
        net: settings.net.clone(),
        ..TransportConfig::default()
    };
    if let Some(line) =
        crate::tuf::refresh_if_stale(git, env, now, config, std::time::Duration::from_secs(5))
    {
        let _ = writeln!(terminal, "{TOOL}: {line}");
    }
}

/// Shows `e` (and its hint) on the signing terminal.
fn report(terminal: &mut Terminal, e: &CommandError) {
    for l in e.lines() {
        let _ = writeln!(terminal, "{l}");
    }
}

/// The git configuration, read once, and the signing settings resolved from it.
fn settings(env: &Env) -> Result<(GitConfig, SignSettings), CommandError> {
    let git = git_config(&cwd())?;
    let settings = SignSettings::resolve(&git, env)?;
    Ok((git, settings))
}

/// Plan: `--include-certs`, the trust root for the checks, the token source.
fn plan(
    args: &SignArgs,
    git: &GitConfig,
    settings: SignSettings,
    env: &Env,
) -> Result<SignPlan, CommandError> {
    let include = include_certs(args.include_certs)
        .map_err(|e| CommandError::usage(e).with_hint("leave --include-certs unset"))?;
    let trust = config::load_trust_root(args.trusted_root.as_deref(), env, git).map_err(|e| {
        CommandError::config(e.to_string())
            .with_hint("fix gitseal.trustedRoot / GITSEAL_TRUSTED_ROOT")
    })?;
    let (token, device_fallback) = token_config(&settings, env)
        .map_err(|e| CommandError::config(e).with_hint("fix gitsign.clientSecretFile"))?;
    let cache_mode = credcache::Mode::resolve(git, env).map_err(|e| {
        CommandError::config(e.to_string())
            .with_hint("set gitseal.credentialCache to true, false, keyring or file")
    })?;
    let cache_mode = match oidc::choose_source(&token) {
        Ok(TokenSource::Interactive | TokenSource::Device) => cache_mode,
        _ => credcache::Mode::Off,
    };
    Ok(SignPlan {
        settings,
        include,
        trust,
        token,
        device_fallback,
        cache_mode,
    })
}

/// The data to sign: the file argument, else standard input (what git passes).
fn read_payload(args: &SignArgs) -> Result<Vec<u8>, CommandError> {
    let mut payload = Vec::new();
    let read = match &args.file {
        Some(f) => std::fs::read(f).map(|d| payload = d),
        None => std::io::stdin().read_to_end(&mut payload).map(|_| ()),
    };
    read.map_err(|e| {
        CommandError::failed(format!("cannot read the data to sign: {e}"))
            .with_hint("git passes the object on standard input")
    })?;
    Ok(payload)
}

/// Wire: one HTTP transport (timeouts, retries) shared by Fulcio, Rekor and the OIDC flows,
/// and the URL opener.
fn wire(plan: &SignPlan) -> Result<Wiring, CommandError> {
    let s = &plan.settings;
    let transport = Arc::new(HttpTransport::new(TransportConfig {
        timeout: s.http_timeout,
        max_retries: s.http_retries,
        net: s.net.clone(),
        ..TransportConfig::default()
    }));
    let opener = oidc::opener::from_config(Some(&s.url_opener))
        .map_err(|e| CommandError::config(e.to_string()).with_hint("fix gitsign.urlOpener"))?;
    Ok(Wiring {
        fulcio: FulcioClient::new(s.fulcio_url.clone(), transport.clone()),
        rekor: RekorClient::new(s.rekor_url.clone(), transport.clone()),
        tsa: s
            .timestamp_server_url
            .as_ref()
            .map(|u| crate::tsa::TsaClient::new(transport.clone(), u.clone())),
        rekor_v2: (s.rekor_version == 2).then(|| {
            crate::rekor::v2::client::RekorV2Client::new(s.rekor_url.clone(), transport.clone())
        }),
        transport,
        opener,
    })
}

/// Sign: the signing sequence ([`sign::sign`]) with the certificate check and the
/// verify-before-emit check of [`crate::sign`] against the plan's trust root.
fn sign_payload(
    plan: &SignPlan,
    wiring: &Wiring,
    payload: &[u8],
    terminal: &mut Terminal,
    env: &Env,
) -> Result<SignOutput, CommandError> {
    let s = &plan.settings;
    // Online mode predicts the object id, in the repository's object format.
    let object_format = match crate::git::repo::ObjectStore::open(&cwd(), &[]) {
        Ok(r) => r.hash_kind(),
        Err(_) => crate::git::object::HashKind::Sha1,
    };
    let committer = Committer {
        name: &s.committer_name,
        email: &s.committer_email,
    };
    let request = SignRequest {
        payload,
        mode: s.rekor_mode,
        object_format,
        include_certs: plan.include,
        match_committer: s.match_committer.then_some(committer),
    };
    let clock = sign::SystemClock;
    let check_certificate = |chain: &crate::fulcio::FulcioChain| {
        sign::check_issued_certificate(chain, &plan.trust, oidc::Clock::unix_now(&clock))
    };
    let mut self_check =
        |c: &sign::Candidate<'_>| sign::verify_candidate(c, &plan.trust).map_err(Into::into);
    let check_timestamp = |token: &[u8], sig: &[u8], leaf: &[u8]| {
        sign::check_timestamp(token, sig, leaf, &plan.trust)
    };
    let timestamps = wiring.tsa.as_ref().map(|tsa| sign::Timestamping {
        tsa,
        check: &check_timestamp,
    });
    let mut cache = open_cache(plan, env, &clock, terminal);
    let mut tokens = OidcTokens {
        config: &plan.token,
        context: OidcContext {
            transport: wiring.transport.as_ref(),
            terminal,
            clock: &clock,
            opener: wiring.opener.as_ref(),
        },
    };
    let mut services = Services {
        tokens: &mut tokens,
        ca: &wiring.fulcio,
        log: match &wiring.rekor_v2 {
            Some(v2) => v2,
            None => &wiring.rekor,
        },
        clock: &clock,
        certificate_check: Some(&check_certificate),
        timestamps,
    };
    let cache = cache.as_mut().map(|c| c as &mut dyn sign::CredentialCache);
    sign::sign_with_cache(&request, &mut services, cache, &mut self_check).map_err(|e| {
        let msg = match e.service() {
            Some(s) => format!("{s:?} failed: {e}"),
            None => e.to_string(),
        };
        CommandError::failed(msg).with_hint(e.hint())
    })
}

/// The credential cache for this signature, or `None` with one line saying why (a cache that
/// cannot be used means a login, never a failure to sign). Its messages go to the terminal
/// and the log, like every other signing message.
fn open_cache<'a>(
    plan: &'a SignPlan,
    env: &Env,
    clock: &'a dyn crate::clock::Clock,
    terminal: &mut Terminal,
) -> Option<credcache::Cache<'a>> {
    if plan.cache_mode == credcache::Mode::Off {
        return None;
    }
    let s = &plan.settings;
    let id = credcache::Identity {
        fulcio_url: &s.fulcio_url,
        issuer: &s.issuer,
        client_id: &s.client_id,
        connector_id: &s.connector_id,
        email: &s.committer_email,
    };
    let no_terminal_log = config::no_terminal_log_path(env);
    let sink = Box::new(Terminal::open(
        s.log_path.as_deref(),
        no_terminal_log.as_deref(),
    ));
    match credcache::Cache::open(plan.cache_mode, &id, env, &plan.trust, clock, sink) {
        Ok(c) => Some(c),
        Err(why) => {
            let _ = writeln!(
                terminal,
                "{TOOL}: not caching the signing certificate: {why}; logging in for each signature"
            );
            None
        }
    }
}

/// Emit: the signature on stdout, then the log index on the terminal and `SIG_CREATED`.
fn emit(
    out: &SignOutput,
    terminal: &mut Terminal,
    status: &mut Box<dyn Write>,
) -> Result<(), CommandError> {
    // The signature first: only once git has it may SIG_CREATED claim it exists. A closed
    // stdout is an error, because then git has no signature.
    let mut stdout = super::stdout().lock();
    stdout
        .write_all(out.armored.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            CommandError::failed(format!("cannot write the signature to git: {e}"))
                .with_hint("git reads the signature from standard output")
        })?;
    let _ = writeln!(
        terminal,
        "{TOOL}: tlog entry created with index: {}",
        out.log_entry.log_index
    );
    if let Some(t) = &out.timestamp {
        let _ = writeln!(
            terminal,
            "{TOOL}: timestamped by {} at genTime {}",
            t.tsa_uri, t.gen_time
        );
    }
    let sc = &out.sig_created;
    let _ = Status::SigCreated {
        detached: sc.detached,
        pk_algo: sc.pk_algo,
        hash_algo: sc.hash_algo,
        time: sc.timestamp,
        fpr: &sc.fingerprint,
    }
    .write_to(status);
    let _ = status.flush();
    Ok(())
}
