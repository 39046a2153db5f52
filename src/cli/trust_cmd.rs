//! `gitseal trust update`, `gitseal trust init` and `gitseal trust show` (issue 14): refresh
//! the trust root from the configured TUF repository, point gitseal at a repository, and show
//! what verification will use. The TUF work is [`crate::tuf`]'s; this module resolves the
//! settings, prints, and turns refusals into one-line command errors (exit 1: the
//! repository's answer was refused; exit 2: the configuration or the root file given is
//! unusable).

use super::{CommandError, cwd, git_config};
use crate::cli::commands::{Format, TrustCommand, TrustInitArgs};
use crate::clock::{Clock as _, SystemClock};
use crate::config::{Env, GitConfig, TrustRootInputs};
use crate::credcache::utc_text;
use crate::transport::TransportConfig;
use crate::tuf::cache::{self, Repository};
use crate::tuf::{self, UpdateError};
use std::io::Write;

/// Runs `gitseal trust <command>`; `cli::execute` reports the error.
/// `trusted_root` is `--trusted-root`, which only `show` reads (a refresh is about the TUF
/// repository whatever file verification is told to use).
pub(super) fn run(
    command: TrustCommand,
    trusted_root: Option<&std::path::Path>,
    env: &Env,
) -> Result<(), CommandError> {
    let git = git_config(&cwd())?;
    match command {
        TrustCommand::Update => update(&git, env),
        TrustCommand::Init(a) => init(&a, &git, env),
        TrustCommand::Show(a) => show(a.format, trusted_root, &git, env),
    }
}

/// One line: a refusal's text never carries a server's line breaks to the terminal.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn repository(git: &GitConfig, env: &Env) -> Result<Repository, CommandError> {
    Repository::resolve(git, env).map_err(|e| CommandError::config(one_line(&e.to_string())))
}

fn fetcher(git: &GitConfig, env: &Env) -> Result<tuf::fetch::HttpFetcher, CommandError> {
    let http = crate::config::Http::resolve(git, env, crate::config::Http::VERIFICATION)?;
    let net = crate::net::NetSettings::resolve(git, env)?;
    Ok(tuf::fetch::HttpFetcher {
        config: TransportConfig {
            timeout: http.timeout,
            max_retries: http.retries,
            net,
            ..TransportConfig::default()
        },
        deadline: None,
    })
}

/// What the last good state is, for a refusal's message.
fn last_good(repo: &Repository) -> String {
    match repo
        .dir()
        .and_then(|d| cache::load(&d).ok())
        .and_then(|s| s.record)
    {
        Some(r) => format!(
            "keeping the last good trust root (refreshed {}, root v{})",
            utc_text(r.refreshed),
            r.versions[0]
        ),
        None if repo.is_public_good() => "keeping the embedded public-good trust root".to_string(),
        None => "no trust root from this repository yet".to_string(),
    }
}

fn refused(e: &UpdateError, repo: &Repository) -> CommandError {
    match e {
        UpdateError::Refused { .. } => {
            CommandError::failed(one_line(&format!("{e}; {}", last_good(repo))))
        }
        UpdateError::Cache(_) | UpdateError::Root { .. } => {
            CommandError::config(one_line(&e.to_string()))
        }
    }
}

fn print_updated(u: &tuf::Updated, repo: &Repository) {
    let mut out = super::stdout().lock();
    let [r, t, s, g] = u.record.versions;
    let _ = writeln!(
        out,
        "trust root updated from {}: root v{r}, timestamp v{t}, snapshot v{s}, targets v{g}",
        repo.mirror
    );
    let _ = writeln!(
        out,
        "targets: {}",
        if u.fetched.is_empty() {
            "unchanged".to_string()
        } else {
            format!("fetched {}", u.fetched.join(", "))
        }
    );
    let _ = match (u.stored, repo.dir()) {
        (true, Some(d)) => writeln!(out, "stored in {}", d.display()),
        _ => writeln!(
            out,
            "not stored: no cache ({} or no home directory)",
            crate::config::table::TUF_NO_CACHE.names
        ),
    };
}

fn update(git: &GitConfig, env: &Env) -> Result<(), CommandError> {
    let repo = repository(git, env)?;
    let f = fetcher(git, env)?;
    let now = SystemClock.unix_now();
    let u = tuf::update(&repo, now, &f, None).map_err(|e| refused(&e, &repo))?;
    print_updated(&u, &repo);
    Ok(())
}

fn init(a: &TrustInitArgs, git: &GitConfig, env: &Env) -> Result<(), CommandError> {
    let mirror = a.mirror.trim().trim_end_matches('/').to_string();
    cache::check_mirror(&mirror).map_err(|d| CommandError::usage(format!("--mirror: {d}")))?;
    let root = match a.root.as_deref() {
        Some(r) if r.contains("://") => {
            return Err(CommandError::usage(
                "--root must be a file: gitseal does not fetch the first root of a repository \
                 from the network (that would trust whatever answers first); get root.json \
                 from the repository's operators, check it, and pass the file",
            ));
        }
        Some(path) => std::fs::read(path)
            .map_err(|e| CommandError::config(format!("cannot read --root {path}: {e}")))?,
        None if mirror == cache::DEFAULT_MIRROR => tuf::PUBLIC_GOOD_ROOT.as_bytes().to_vec(),
        None => {
            return Err(CommandError::usage(format!(
                "--root FILE is required for {mirror}: only the public-good repository's root is embedded"
            )));
        }
    };
    tuf::client::load_trusted_root(&root).map_err(|e| {
        CommandError::config(one_line(&format!("--root is not a usable TUF root: {e}")))
    })?;
    let configured = repository(git, env)?;
    let base = configured.base.clone().ok_or_else(|| {
        CommandError::config("no TUF directory: set TUF_ROOT, XDG_CACHE_HOME or HOME")
    })?;
    let repo = Repository {
        mirror: mirror.clone(),
        mirror_source: "gitseal trust init".into(),
        no_cache: false,
        ..configured.clone()
    };
    let f = fetcher(git, env)?;
    let now = SystemClock.unix_now();
    let u = tuf::update(&repo, now, &f, Some(root)).map_err(|e| refused(&e, &repo))?;
    cache::write_remote(&base, &mirror)
        .map_err(|e| CommandError::failed(one_line(&e.to_string())))?;
    print_updated(&u, &repo);
    if configured.mirror_source != "default"
        && !configured.mirror_source.ends_with("remote.json")
        && configured.mirror != mirror
    {
        super::eprint_line(&format!(
            "gitseal: note: {} names {}, which wins over what init recorded",
            configured.mirror_source, configured.mirror
        ));
    }
    Ok(())
}

/// A `validFor` as text (RFC 3339 UTC, `(open)` for a missing bound).
fn window(v: &crate::trust::Validity) -> String {
    let at = |t: Option<i64>| t.map_or_else(|| "(open)".to_string(), crate::credcache::utc_text);
    match (v.start, v.end) {
        (None, None) => "always".into(),
        (s, e) => format!("{} .. {}", at(s), at(e)),
    }
}

fn show(
    format: Format,
    trusted_root: Option<&std::path::Path>,
    git: &GitConfig,
    env: &Env,
) -> Result<(), CommandError> {
    let repo = repository(git, env)?;
    let inputs = TrustRootInputs::resolve(trusted_root, env, git);
    let state = repo.dir().and_then(|d| cache::load(&d).ok());
    let record = state.as_ref().and_then(|s| s.record.clone());
    // The trust root verification uses, loaded by the one loader verification uses (so a
    // trust config, the TUF cache and the PEM overrides count exactly as they do there).
    let root = inputs
        .load()
        .map_err(|e| CommandError::config(one_line(&e.to_string())))?;
    let source = match (&inputs.file, &inputs.trust_config, &inputs.tuf_cache) {
        (Some(p), _, _) => format!(
            "{} (gitseal.trustedRoot / GITSEAL_TRUSTED_ROOT / --trusted-root)",
            p.display()
        ),
        (None, Some(p), _) => format!(
            "the trustedRoot of {} (gitseal.trustConfig / GITSEAL_TRUST_CONFIG)",
            p.display()
        ),
        (None, None, Some(_)) => format!("{} from the TUF repository", cache::TRUSTED_ROOT),
        (None, None, None) => "embedded public-good trusted root".to_string(),
    };
    let cas = |list: &[crate::trust::CertificateAuthority]| -> Vec<(String, String)> {
        list.iter()
            .map(|ca| (ca.uri.clone(), window(&ca.valid_for)))
            .collect()
    };
    let logs = |list: &[crate::trust::LogKey]| -> Vec<(String, String)> {
        list.iter()
            .map(|l| {
                (
                    format!("{} ({})", l.base_url, l.key_details),
                    window(&l.valid_for),
                )
            })
            .collect()
    };
    let sections = [
        (
            "certificate authorities",
            cas(&root.certificate_authorities),
        ),
        ("transparency logs", logs(&root.tlogs)),
        ("CT logs", logs(&root.ctlogs)),
        ("timestamp authorities", cas(&root.timestamp_authorities)),
    ];
    let overrides: Vec<&str> = [
        (
            inputs.fulcio_pem.is_some(),
            "Fulcio CAs replaced by gitsign.fulcioRoot / SIGSTORE_ROOT_FILE / GITSIGN_FULCIO_ROOT",
        ),
        (
            inputs.rekor_keys.is_some(),
            "Rekor keys replaced by SIGSTORE_REKOR_PUBLIC_KEY",
        ),
        (
            inputs.ct_keys.is_some(),
            "CT log keys replaced by SIGSTORE_CT_LOG_PUBLIC_KEY_FILE",
        ),
        (
            inputs.tsa_chain.is_some(),
            "timestamp authorities replaced by gitsign.timestampCertChain",
        ),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect();
    let signing_config = state
        .as_ref()
        .is_some_and(|s| s.targets.contains_key(cache::SIGNING_CONFIG));
    let mut out = super::stdout().lock();
    if format == Format::Json {
        let sec = |v: &[(String, String)]| -> Vec<serde_json::Value> {
            v.iter()
                .map(|(n, w)| serde_json::json!({"name": n, "valid": w}))
                .collect()
        };
        let j = serde_json::json!({
            "repository": repo.mirror,
            "repository_source": repo.mirror_source,
            "cache": repo.dir().map(|d| d.display().to_string()),
            "refreshed": record.as_ref().map(|r| utc_text(r.refreshed)),
            "root_version": record.as_ref().map(|r| r.versions[0]),
            "versions": record.as_ref().map(|r| serde_json::json!({
                "root": r.versions[0], "timestamp": r.versions[1],
                "snapshot": r.versions[2], "targets": r.versions[3],
                "timestamp_expires": r.timestamp_expires,
            })),
            "signing_config": signing_config,
            "trust_root": source,
            "overrides": overrides,
            "certificate_authorities": sec(&sections[0].1),
            "tlogs": sec(&sections[1].1),
            "ctlogs": sec(&sections[2].1),
            "timestamp_authorities": sec(&sections[3].1),
        });
        let _ = writeln!(out, "{j}");
        return Ok(());
    }
    // The human form reaches a terminal: names, windows and versions come from files and
    // metadata, so control characters are escaped (`render::printable`).
    let p = |s: &str| super::render::printable(s).into_owned();
    let _ = writeln!(
        out,
        "repository: {} ({})",
        p(&repo.mirror),
        p(&repo.mirror_source)
    );
    let _ = writeln!(
        out,
        "cache: {}",
        repo.dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "off".into())
    );
    let _ = match &record {
        Some(r) => writeln!(
            out,
            "refreshed: {} (root v{}, timestamp v{} expiring {}, snapshot v{}, targets v{})",
            utc_text(r.refreshed),
            r.versions[0],
            r.versions[1],
            p(&r.timestamp_expires.to_string()),
            r.versions[2],
            r.versions[3]
        ),
        None => writeln!(out, "refreshed: never (gitseal trust update)"),
    };
    let _ = writeln!(
        out,
        "signing config: {}",
        if signing_config {
            "from the repository"
        } else {
            "none"
        }
    );
    let _ = writeln!(out, "trust root in use: {}", p(&source));
    for o in &overrides {
        let _ = writeln!(out, "  {o}");
    }
    for (title, items) in &sections {
        let _ = writeln!(out, "{title}: {}", items.len());
        for (n, w) in items {
            let _ = writeln!(out, "  {}  valid {}", p(n), p(w));
        }
    }
    Ok(())
}
