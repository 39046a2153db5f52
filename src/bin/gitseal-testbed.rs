//! `gitseal-testbed`: the local Sigstore testbed (OIDC issuer, Fulcio, CT log, Rekor) as a
//! program, for demos and scripts.
//!
//! * `serve --dir DIR [--identity EMAIL] [--port N] [--trust-issuer URL[,CLIENT_ID[,TYPE]]]…
//!   [--no-consent] [--tls]` starts the testbed on 127.0.0.1 (over HTTPS with `--tls`, its CA in
//!   `DIR/tls-ca.pem`), prints its URLs, writes the trust files and
//!   `DIR/env` (shell `export` lines pointing gitseal at it), and runs until killed
//!   (SIGINT/SIGTERM; the log is durable after every append) or, with `--stop-on-stdin-eof`,
//!   until its standard input closes. Its issuer shows a consent page (as a certified provider
//!   does) unless `--no-consent`; `--trust-issuer` adds an issuer to Fulcio's `OIDCIssuers`.
//! * `open-url [--deny] [--verbose] [--ca-file PEM] URL` completes a browser login without a
//!   human: it fetches the authorization URL, approves (or denies) the testbed's consent page if
//!   one is shown, and
//!   follows the redirect to the loopback callback (this is what `GITSEAL_URL_OPENER` runs).
//!   It is silent on success unless `--verbose`; failures are always reported.
//! * `mint-token --dir DIR (--email E | --subject URI | --ci gitlab|github|buildkite --project P --ref R
//!   [--runner gitlab-hosted|self-hosted]) [...]` prints an ID token from a running testbed; with
//!   `--ci`, one with the claims that forge's tokens carry, which the testbed's Fulcio maps to
//!   certificate extensions as Fulcio does.
//! * `fault --dir DIR ...` sets, lists or clears fault switches of a running testbed.
//! * `tuf --dir DIR (show | publish | rotate-root | expire ROLE | rollback ROLE |
//!   rotate-fulcio-ca | tamper-target NAME | endless-timestamp [--bytes N])` drives the TUF repository a running testbed publishes at `{base}/tuf/`
//!   (its first root is `DIR/tuf-root.json`): rotate the root key, expire or roll back a role,
//!   publish fresh versions, or rotate Fulcio's CA through a new `trusted_root.json` target.
//!
//! This binary only wires the `gitseal::testbed` library to a command line; it never talks to
//! anything but 127.0.0.1 and never prints tokens except the one `mint-token` was asked for.

// A program of its own (it wires the testbed to a command line): it prints its URLs and
// reads the clock, which scripts/clippy.toml reserves to gitseal's owners inside the library.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use gitseal::testbed::{OidcIssuerConfig, Testbed, TestbedConfig, TokenRequest};
use serde_json::{Map, Value, json};

#[derive(Parser)]
#[command(
    name = "gitseal-testbed",
    version,
    about = "A local Sigstore (OIDC issuer, Fulcio, CT log, Rekor) on 127.0.0.1 for tests and demos",
    after_help = "The testbed also publishes its trust as a TUF repository at {base}/tuf/ \
(targets trusted_root.json and signing_config.v0.2.json; first root in DIR/tuf-root.json); \
`gitseal-testbed tuf` switches it."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the testbed until killed.
    Serve {
        /// Directory for keys, the log and the trust files (created if missing; reused as is).
        #[arg(long)]
        dir: PathBuf,
        /// The email address the browser and device flows approve.
        #[arg(long)]
        identity: Option<String>,
        /// Port on 127.0.0.1 (0 = any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Minimum seconds between device-flow polls.
        #[arg(long)]
        device_interval: Option<u64>,
        /// Also trust this OIDC issuer (Fulcio `OIDCIssuers` entry): URL[,CLIENT_ID[,TYPE]],
        /// client id `sigstore` and type `email` by default; loopback URLs only. Repeatable.
        #[arg(long = "trust-issuer", value_name = "URL[,CLIENT_ID[,TYPE]]")]
        trust_issuers: Vec<String>,
        /// Redirect straight back from /oidc/auth instead of showing a consent page.
        #[arg(long)]
        no_consent: bool,
        /// Serve every service over HTTPS with a certificate from the testbed's own CA,
        /// written as DIR/tls-ca.pem (DIR/env trusts it through GITSEAL_CA_BUNDLE).
        #[arg(long)]
        tls: bool,
        /// Stop when standard input reaches end of file.
        #[arg(long)]
        stop_on_stdin_eof: bool,
    },
    /// Complete a browser login: fetch URL, follow its redirect to the loopback callback.
    OpenUrl {
        /// Press "Cancel" on the consent page (the login ends in access_denied).
        #[arg(long)]
        deny: bool,
        /// Say how the login ended on stderr (otherwise silent on success, like a browser:
        /// the line would land in the output of whatever ran the opener, e.g. `git commit`).
        #[arg(long)]
        verbose: bool,
        /// Trust this PEM CA for https:// URLs (the testbed's DIR/tls-ca.pem).
        #[arg(long, value_name = "PEM")]
        ca_file: Option<PathBuf>,
        /// The authorization URL.
        url: String,
    },
    /// Print an ID token minted by a running testbed.
    MintToken {
        /// The testbed directory (its `testbed.json` says where the testbed listens).
        #[arg(long)]
        dir: PathBuf,
        /// Email identity (`email_verified: true`).
        #[arg(long, conflicts_with = "subject")]
        email: Option<String>,
        /// URI subject (CI-style identity).
        #[arg(long)]
        subject: Option<String>,
        /// Extra claim NAME=VALUE (repeatable).
        #[arg(long = "claim", value_name = "NAME=VALUE")]
        claims: Vec<String>,
        /// A CI token with the claims that forge's real tokens carry (`gitlab`: GitLab CI
        /// `id_tokens`; `github`: GitHub Actions; `buildkite`: a Buildkite job, --project
        /// ORG/PIPELINE), for --project at --ref; replaces --subject.
        #[arg(long, value_name = "FORGE", requires_all = ["project", "git_ref"], conflicts_with_all = ["email", "subject"])]
        ci: Option<String>,
        /// `group/name` (GitLab), `owner/name` (GitHub) or `org/pipeline` (Buildkite), with --ci.
        #[arg(long, requires = "ci")]
        project: Option<String>,
        /// The full ref the pipeline runs on (refs/heads/main, refs/tags/v1), with --ci.
        #[arg(long = "ref", requires = "ci")]
        git_ref: Option<String>,
        /// GitLab runner environment (`gitlab-hosted` or `self-hosted`), with --ci gitlab.
        #[arg(long, default_value = "gitlab-hosted")]
        runner: String,
        /// Audience (default: the client id).
        #[arg(long)]
        audience: Option<String>,
        /// Lifetime in seconds.
        #[arg(long)]
        expires_in: Option<u64>,
    },
    /// Set, list or clear fault switches of a running testbed.
    Fault {
        /// The testbed directory.
        #[arg(long)]
        dir: PathBuf,
        /// Endpoint name, e.g. rekor.createEntry (see the library docs for the list).
        #[arg(long)]
        endpoint: Option<String>,
        /// Fault name, e.g. status, hang, delay, malformedJson, wrongSct, missingSct,
        /// notForCodeSigning, wrongSetKey; for tsa.timestamp: wrongImprint, wrongNonce,
        /// grantedWithMods, rejection, unknownTsa, lateGenTime, wrongSigningCertificate.
        #[arg(long)]
        fault: Option<String>,
        /// HTTP status for `status`.
        #[arg(long)]
        status: Option<u16>,
        /// Milliseconds for `delay`.
        #[arg(long)]
        delay_ms: Option<u64>,
        /// Apply to this many requests (default: sticky).
        #[arg(long)]
        times: Option<u32>,
        /// Clear faults (all, or those of --endpoint).
        #[arg(long)]
        clear: bool,
    },
    /// Drive the TUF repository of a running testbed ({base}/tuf/, first root DIR/tuf-root.json).
    Tuf {
        /// The testbed directory.
        #[arg(long)]
        dir: PathBuf,
        #[command(subcommand)]
        action: TufCmd,
    },
}

#[derive(Subcommand)]
enum TufCmd {
    /// Print the current and highest versions of every role.
    Show,
    /// Publish fresh, good targets, snapshot and timestamp versions (and root, if expired).
    Publish,
    /// Rotate the root key: a new root version signed by the old and the new key.
    RotateRoot,
    /// Publish a validly signed version of ROLE that expired an hour ago.
    Expire {
        /// root, targets, snapshot or timestamp.
        role: String,
    },
    /// Roll ROLE back to its previous version (timestamp, snapshot or targets).
    Rollback {
        /// timestamp, snapshot or targets.
        role: String,
    },
    /// Rotate Fulcio's CA: a new trusted_root.json target lists the old CA (ended) and the new
    /// one, then Fulcio issues from the new CA.
    RotateFulcioCa,
    /// Serve other bytes for target NAME (its length and hash no longer match).
    TamperTarget {
        /// trusted_root.json or signing_config.v0.2.json.
        name: String,
    },
    /// Pad timestamp.json with whitespace to BYTES (endless data).
    EndlessTimestamp {
        /// The size to serve.
        #[arg(long, default_value_t = 4 * 1024 * 1024)]
        bytes: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Serve {
            dir,
            identity,
            port,
            device_interval,
            trust_issuers,
            no_consent,
            tls,
            stop_on_stdin_eof,
        } => serve(
            dir,
            identity,
            port,
            device_interval,
            &trust_issuers,
            (no_consent, tls),
            stop_on_stdin_eof,
        ),
        Cmd::OpenUrl {
            deny,
            verbose,
            ca_file,
            url,
        } => open_url(&url, deny, verbose, ca_file.as_deref()),
        Cmd::MintToken {
            dir,
            email,
            subject,
            claims,
            ci,
            project,
            git_ref,
            runner,
            audience,
            expires_in,
        } => ci_token(ci.as_deref(), project, git_ref, &runner).and_then(|ci| {
            let (subject, ci_claims) = match ci {
                Some((s, c)) => (Some(s), c),
                None => (subject, Map::new()),
            };
            mint_token(
                &dir, email, subject, &ci_claims, &claims, audience, expires_in,
            )
        }),
        Cmd::Fault {
            dir,
            endpoint,
            fault,
            status,
            delay_ms,
            times,
            clear,
        } => set_fault(&dir, endpoint, fault, status, delay_ms, times, clear),
        Cmd::Tuf { dir, action } => tuf(&dir, action),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitseal-testbed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn out(line: &str) -> Result<(), String> {
    let mut o = std::io::stdout().lock();
    writeln!(o, "{line}")
        .and_then(|()| o.flush())
        .map_err(|e| format!("stdout: {e}"))
}

/// The `GITSEAL_URL_OPENER` command: this executable's `open-url`. gitsign-style openers are
/// split on whitespace with `"` grouping, so a path with spaces is double-quoted.
fn opener_command(ca_file: Option<&Path>) -> Result<String, String> {
    let quote = |path: &Path| {
        let p = path.display().to_string();
        if p.contains('"') || p.contains('\n') {
            return Err(format!("path {p:?} cannot be quoted for an opener"));
        }
        Ok(if p.contains(char::is_whitespace) || p.contains('\'') {
            format!("\"{p}\"")
        } else {
            p
        })
    };
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    let exe = quote(&exe)?;
    match ca_file {
        Some(ca) => Ok(format!(
            "{exe} open-url --ca-file {} {{{{.URL}}}}",
            quote(ca)?
        )),
        None => Ok(format!("{exe} open-url {{{{.URL}}}}")),
    }
}

fn serve(
    dir: PathBuf,
    identity: Option<String>,
    port: u16,
    device_interval: Option<u64>,
    trust_issuers: &[String],
    (no_consent, tls): (bool, bool),
    stop_on_stdin_eof: bool,
) -> Result<(), String> {
    let extra_issuers = trust_issuers
        .iter()
        .map(|s| OidcIssuerConfig::parse_cli(s).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut config = TestbedConfig {
        dir: Some(dir),
        port,
        extra_issuers,
        consent_page: !no_consent,
        tls,
        ..TestbedConfig::default()
    };
    if let Some(id) = identity {
        config.identity = id;
    }
    if let Some(s) = device_interval {
        config.device_interval = Duration::from_secs(s);
    }
    let config_issuers = config.extra_issuers.clone();
    let testbed = Testbed::start(config).map_err(|e| e.to_string())?;
    let env = testbed
        .write_env_file(&opener_command(testbed.tls_ca_path().as_deref())?)
        .map_err(|e| e.to_string())?;
    out(&format!("fulcio: {}", testbed.fulcio_url()))?;
    out(&format!("rekor: {}", testbed.rekor_url()))?;
    out(&format!("issuer: {}", testbed.issuer_url()))?;
    out(&format!("identity: {}", testbed.identity()))?;
    for i in &config_issuers {
        out(&format!(
            "trusted issuer: {} (client {}, type {})",
            i.issuer_url,
            i.client_id,
            i.issuer_type.as_str()
        ))?;
    }
    out(&format!(
        "trusted_root: {}",
        testbed.trusted_root_path().display()
    ))?;
    out(&format!("tuf: {}", testbed.tuf_url()))?;
    out(&format!("tuf_root: {}", testbed.tuf_root_path().display()))?;
    if let Some(ca) = testbed.tls_ca_path() {
        out(&format!("tls_ca: {}", ca.display()))?;
    }
    out(&format!("env: {}", env.display()))?;
    if stop_on_stdin_eof {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        testbed.stop();
        return Ok(());
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// An HTTP client; with `ca_file`, https:// is verified against that PEM CA alone (the
/// testbed's own), otherwise against the built-in roots.
fn agent(ca_file: Option<&Path>) -> Result<ureq::Agent, String> {
    let mut tls = ureq::tls::TlsConfig::builder()
        .unversioned_rustls_crypto_provider(gitseal::net::tls::crypto_provider());
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let certs: Vec<_> = gitseal::armor::blocks(&pem, "CERTIFICATE")
            .iter()
            .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
            .collect();
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    Ok(ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .tls_config(tls.build())
        .build()
        .new_agent())
}

/// Only ever follow a redirect back to this machine (RFC 8252 loopback redirect), over
/// http:// or (the testbed's `--tls`) https://.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.starts_with("127.0.0.1") || host.starts_with("[::1]") || host.starts_with("localhost")
}

/// One answer: status, `Location`, body text.
type Answer = (u16, Option<String>, String);

fn answer(
    r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    what: &str,
) -> Result<Answer, String> {
    let mut resp = r.map_err(|e| format!("{what}: {e}"))?;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    Ok((status, location, body))
}

/// The value of the first `name="…" value="…"`-style attribute pair in `html` (the testbed's
/// own consent page, whose markup this program knows).
fn attr_after<'a>(html: &'a str, marker: &str, attr: &str) -> Option<&'a str> {
    let rest = &html[html.find(marker)? + marker.len()..];
    let key = format!("{attr}=\"");
    let rest = &rest[rest.find(&key)? + key.len()..];
    rest.split('"').next()
}

fn open_url(url: &str, deny: bool, verbose: bool, ca_file: Option<&Path>) -> Result<(), String> {
    if !is_loopback_http(url) {
        return Err(format!("refusing to open {url}: not a loopback http URL"));
    }
    let agent = agent(ca_file)?;
    let (mut status, mut location, mut body) =
        answer(agent.get(url).call(), "GET authorization URL")?;
    if status == 200 && body.contains("<form id=\"consent\"") {
        // The consent page: approve (or deny) as a user would.
        let action = attr_after(&body, "<form id=\"consent\"", "action")
            .ok_or("consent page without a form action")?
            .replace("&amp;", "&");
        let interaction = attr_after(&body, "name=\"interaction\"", "value")
            .ok_or("consent page without an interaction id")?
            .to_owned();
        if !is_loopback_http(&action) {
            return Err(format!("refusing to post the consent form to {action}"));
        }
        let decision = if deny { "deny" } else { "approve" };
        (status, location, body) = answer(
            agent.post(&action).send_form([
                ("interaction", interaction.as_str()),
                ("decision", decision),
            ]),
            "POST consent",
        )?;
    }
    if (300..400).contains(&status) {
        let location = location.ok_or("redirect without Location")?;
        if !is_loopback_http(&location) {
            return Err(format!("refusing to follow redirect to {location}"));
        }
        let (cb_status, _, _) = answer(agent.get(&location).call(), "GET loopback callback")?;
        if cb_status >= 400 {
            return Err(format!("the loopback callback answered {cb_status}"));
        }
        let what = if deny {
            "login denied"
        } else {
            "login completed"
        };
        if verbose {
            eprintln!("gitseal-testbed: {what} (callback answered {cb_status})");
        }
        return Ok(());
    }
    if status == 200 {
        // The out-of-band page shows the code for the user to paste.
        if let Some(code) = body
            .split("<code id=\"code\">")
            .nth(1)
            .and_then(|r| r.split("</code>").next())
        {
            return out(code);
        }
    }
    Err(format!("authorization endpoint answered {status}: {body}"))
}

fn base_url(dir: &Path) -> Result<String, String> {
    let path = dir.join("testbed.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (is the testbed running?)", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v.get("fulcioUrl")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{} has no fulcioUrl", path.display()))
}

/// A call to a running testbed's admin API; a `--tls` testbed's CA is `DIR/tls-ca.pem`.
fn admin_call(dir: &Path, method: &str, url: &str, body: Option<&Value>) -> Result<Value, String> {
    let ca = dir.join("tls-ca.pem");
    let agent = agent(url.starts_with("https://").then_some(ca.as_path()))?;
    let resp = match (method, body) {
        ("POST", Some(b)) => agent.post(url).send_json(b),
        ("DELETE", _) => agent.delete(url).call(),
        _ => agent.get(url).call(),
    };
    let mut resp = resp.map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    if status != 200 {
        return Err(format!("{method} {url} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))
}

/// A CI token's `sub` and other claims.
type CiToken = (String, Map<String, Value>);

/// The subject and claims of a `--ci` token (`None` without `--ci`).
fn ci_token(
    ci: Option<&str>,
    project: Option<String>,
    git_ref: Option<String>,
    runner: &str,
) -> Result<Option<CiToken>, String> {
    let Some(forge) = ci else {
        return Ok(None);
    };
    let (Some(project), Some(git_ref)) = (project, git_ref) else {
        return Err("--ci needs --project and --ref".into());
    };
    let req = match forge {
        "gitlab" => TokenRequest::gitlab_pipeline(&project, &git_ref, runner),
        "github" => TokenRequest::github_workflow(
            &project,
            "release.yml",
            &git_ref,
            "0123456789abcdef0123456789abcdef01234567",
        ),
        "buildkite" => {
            let (org, pipeline) = project
                .split_once('/')
                .ok_or("--ci buildkite takes --project ORGANIZATION/PIPELINE")?;
            TokenRequest::buildkite_job(org, pipeline, &git_ref)
        }
        other => return Err(format!("--ci {other:?}: use gitlab, github or buildkite")),
    };
    let subject = req.subject.ok_or("no subject")?;
    Ok(Some((subject, req.claims)))
}

fn mint_token(
    dir: &Path,
    email: Option<String>,
    subject: Option<String>,
    ci_claims: &Map<String, Value>,
    claims: &[String],
    audience: Option<String>,
    expires_in: Option<u64>,
) -> Result<(), String> {
    if email.is_none() && subject.is_none() {
        return Err("give --email, --subject or --ci".into());
    }
    let mut extra = ci_claims.clone();
    for c in claims {
        let (k, v) = c
            .split_once('=')
            .ok_or_else(|| format!("--claim {c:?} is not NAME=VALUE"))?;
        extra.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    let mut req = json!({"claims": extra});
    if let Some(m) = req.as_object_mut() {
        if let Some(e) = email {
            m.insert("email".into(), Value::String(e));
        }
        if let Some(s) = subject {
            m.insert("subject".into(), Value::String(s));
        }
        if let Some(a) = audience {
            m.insert("audience".into(), Value::String(a));
        }
        if let Some(secs) = expires_in {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            m.insert("expiresAt".into(), json!(now + secs));
        }
    }
    let url = format!("{}/__testbed/token", base_url(dir)?);
    let v = admin_call(dir, "POST", &url, Some(&req))?;
    let token = v
        .get("idToken")
        .and_then(Value::as_str)
        .ok_or("no idToken in the answer")?;
    out(token)
}

fn set_fault(
    dir: &Path,
    endpoint: Option<String>,
    fault: Option<String>,
    status: Option<u16>,
    delay_ms: Option<u64>,
    times: Option<u32>,
    clear: bool,
) -> Result<(), String> {
    let base = format!("{}/__testbed/faults", base_url(dir)?);
    let v = if clear {
        let url = match &endpoint {
            Some(e) => format!("{base}?endpoint={e}"),
            None => base,
        };
        admin_call(dir, "DELETE", &url, None)?
    } else if let (Some(endpoint), Some(fault)) = (endpoint, fault) {
        let mut spec = json!({"endpoint": endpoint, "fault": fault});
        if let Some(m) = spec.as_object_mut() {
            if let Some(s) = status {
                m.insert("status".into(), json!(s));
            }
            if let Some(d) = delay_ms {
                m.insert("delayMs".into(), json!(d));
            }
            if let Some(t) = times {
                m.insert("times".into(), json!(t));
            }
        }
        admin_call(dir, "POST", &base, Some(&spec))?
    } else {
        admin_call(dir, "GET", &base, None)?
    };
    out(&serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?)
}

fn tuf(dir: &Path, action: TufCmd) -> Result<(), String> {
    let url = format!("{}/__testbed/tuf", base_url(dir)?);
    let body = match action {
        TufCmd::Show => None,
        TufCmd::Publish => Some(json!({"action": "publish"})),
        TufCmd::RotateRoot => Some(json!({"action": "rotateRoot"})),
        TufCmd::Expire { role } => Some(json!({"action": "expire", "role": role})),
        TufCmd::Rollback { role } => Some(json!({"action": "rollback", "role": role})),
        TufCmd::RotateFulcioCa => Some(json!({"action": "rotateFulcioCa"})),
        TufCmd::TamperTarget { name } => Some(json!({"action": "tamperTarget", "target": name})),
        TufCmd::EndlessTimestamp { bytes } => {
            Some(json!({"action": "endlessTimestamp", "bytes": bytes}))
        }
    };
    let v = match &body {
        Some(b) => admin_call(dir, "POST", &url, Some(b))?,
        None => admin_call(dir, "GET", &url, None)?,
    };
    out(&serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?)
}
