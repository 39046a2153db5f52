//! `gitseal doctor [--offline]`: is this machine and repository set up so that `git commit -S`
//! would sign with gitseal? One line per check — `ok`, `warn` or `FAIL`, what was found, and
//! for anything not ok, how to fix it — and exit status 0 only when no check failed (a
//! warning is something signing survives).
//!
//! Checks: git's version; `gpg.format` and `gpg.x509.program` (with the scope they come from,
//! and whether the program resolves to this binary); `commit.gpgsign` / `tag.gpgsign`;
//! `user.email` and the identity the last signed commit was signed as; the trust root (source,
//! age, and online whether Fulcio's and Rekor's keys are in it); reachability of Fulcio, Rekor and the OIDC issuer (short timeouts, no retries;
//! `--offline` skips them); how the login will happen (URL opener, system browser or device
//! flow); the credential cache; and, online, the system clock against Rekor's. It changes
//! nothing and never sends a credential: every request is an anonymous GET.

use super::{CommandError, cwd, stdout};
use crate::clock::Clock;
use crate::config::table::{self, Scopes};
use crate::config::{self, Env, GitConfig, SignSettings, TrustRootInputs};
use crate::transport::{HttpTransport, Request, Retry, Service, Transport, TransportConfig};
use crate::trust::TrustRoot;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fine.
    Ok,
    /// Signing works, but something is worth knowing.
    Warn,
    /// Signing would not work.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Verdict.
    pub level: Level,
    /// What was checked.
    pub name: &'static str,
    /// What was found.
    pub found: String,
    /// What to do (empty when ok).
    pub fix: String,
}

impl Check {
    fn ok(name: &'static str, found: impl Into<String>) -> Self {
        Self {
            level: Level::Ok,
            name,
            found: found.into(),
            fix: String::new(),
        }
    }
    fn warn(name: &'static str, found: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Warn,
            name,
            found: found.into(),
            fix: fix.into(),
        }
    }
    fn fail(name: &'static str, found: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            level: Level::Fail,
            name,
            found: found.into(),
            fix: fix.into(),
        }
    }

    /// `LEVEL  NAME: FOUND  (fix: FIX)`, one line (found text is made printable).
    pub fn line(&self) -> String {
        let level = match self.level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        let found = super::render::printable(&self.found);
        if self.fix.is_empty() {
            format!("{level}  {}: {found}", self.name)
        } else {
            format!("{level}  {}: {found} (fix: {})", self.name, self.fix)
        }
    }
}

/// The oldest git that knows `gpg.format = x509` (git 2.19, 2018).
const MIN_GIT: (u32, u32) = (2, 19);

/// `git version 2.39.2` → (2, 39).
pub fn parse_git_version(s: &str) -> Option<(u32, u32)> {
    let v = s.trim().strip_prefix("git version ")?;
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn git_version(dir: &Path) -> Check {
    const NAME: &str = "git";
    match config::run_git(dir, &["--version"]) {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).trim().to_string();
            match parse_git_version(&text) {
                Some(v) if v >= MIN_GIT => Check::ok(NAME, text),
                Some(_) => Check::fail(
                    NAME,
                    text,
                    format!("install git {}.{} or later", MIN_GIT.0, MIN_GIT.1),
                ),
                None => Check::warn(NAME, text, "could not read git's version"),
            }
        }
        Ok(o) => Check::fail(
            NAME,
            String::from_utf8_lossy(&o.stderr).trim().to_string(),
            "install git",
        ),
        Err(e) => Check::fail(NAME, e.to_string(), "install git and put it on PATH"),
    }
}

/// `global git config`, `local git config`, ...: where git found `key`.
fn scope_of(scopes: &Scopes, key: &str) -> String {
    match scopes.scope_of(key) {
        Some(scope) => format!("{scope} git config"),
        None => "git config".into(),
    }
}

fn gpg_format(git: &GitConfig, scopes: &Scopes) -> Check {
    const NAME: &str = "gpg.format";
    match git.get("gpg.format") {
        Some(v) if v.eq_ignore_ascii_case("x509") => {
            Check::ok(NAME, format!("x509 ({})", scope_of(scopes, "gpg.format")))
        }
        Some(v) => Check::fail(
            NAME,
            format!(
                "{v} ({}): git signs with another tool",
                scope_of(scopes, "gpg.format")
            ),
            "gitseal setup (or git config gpg.format x509)",
        ),
        None => Check::fail(
            NAME,
            "unset: git signs with gpg",
            "gitseal setup (or git config --global gpg.format x509)",
        ),
    }
}

/// Where `program` (a `gpg.x509.program` value) resolves: a path as given, a bare name on `PATH`.
fn resolve_program(
    program: &str,
    path_var: Option<&str>,
    dir: &Path,
) -> Option<std::path::PathBuf> {
    if program.contains('/') {
        let p = dir.join(program);
        return p.is_file().then_some(p);
    }
    super::setup_cmd::find_on_path(program, path_var)
}

fn x509_program(git: &GitConfig, scopes: &Scopes, env: &Env, dir: &Path, me: &Path) -> Check {
    const NAME: &str = "gpg.x509.program";
    let Some(program) = git.get("gpg.x509.program") else {
        return Check::fail(
            NAME,
            "unset: git runs gpgsm",
            "gitseal setup (or git config --global gpg.x509.program gitseal)",
        );
    };
    let scope = scope_of(scopes, "gpg.x509.program");
    let Some(found) = resolve_program(program, env.get("PATH"), dir) else {
        return Check::fail(
            NAME,
            format!("{program} ({scope}) is not found (not on PATH)"),
            format!(
                "gitseal setup (writes this binary's path, {}), or put gitseal on PATH",
                me.display()
            ),
        );
    };
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if canon(&found) == canon(me) {
        Check::ok(
            NAME,
            format!("{program} ({scope}) is this gitseal, {}", found.display()),
        )
    } else {
        Check::warn(
            NAME,
            format!(
                "{program} ({scope}) runs {}, not this gitseal ({})",
                found.display(),
                me.display()
            ),
            "gitseal setup, if git should run this one",
        )
    }
}

fn gpgsign(dir: &Path) -> Check {
    const NAME: &str = "commit.gpgsign / tag.gpgsign";
    let get = |key: &str| {
        config::run_git(dir, &["config", "--type=bool", "--get", key])
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "true")
            .unwrap_or(false)
    };
    match (get("commit.gpgsign"), get("tag.gpgsign")) {
        (true, true) => Check::ok(NAME, "every commit and annotated tag is signed"),
        (c, t) => Check::ok(
            NAME,
            format!(
                "commits {}, tags {}: sign with git commit -S / git tag -s, or set \
                 git config --global commit.gpgsign true (tag.gpgsign true)",
                if c { "always signed" } else { "signed with -S" },
                if t { "always signed" } else { "signed with -s" },
            ),
        ),
    }
}

fn user_email(git: &GitConfig) -> Check {
    const NAME: &str = "user.email";
    match git.get("user.email").filter(|e| !e.is_empty()) {
        Some(e) => Check::ok(
            NAME,
            format!("{e} (the certificate carries the identity you log in with)"),
        ),
        None => Check::fail(
            NAME,
            "unset: git refuses to commit",
            "git config --global user.email you@example.com",
        ),
    }
}

/// How many commits back `last_signer` looks for a signed one.
const LAST_SIGNED_DEPTH: &str = "20";

/// The identity the most recent signed commit on HEAD (of the last 20) was signed with, against
/// `user.email`: a mismatch means the login and the committer email disagree, which
/// `gitsign.matchCommitter` refuses and the committer rule of verification does not trust
/// fully. The signature is checked against `root`, offline; only who signed is used.
fn last_signer(dir: &Path, git: &GitConfig, root: Option<&TrustRoot>) -> Option<Check> {
    const NAME: &str = "last signature";
    let root = root?;
    let ids = config::run_git(dir, &["rev-list", "-n", LAST_SIGNED_DEPTH, "HEAD"]).ok()?;
    if !ids.status.success() {
        return None; // not in a repository, or no commit yet
    }
    let store = crate::git::repo::ObjectStore::open(dir, &[]).ok()?;
    let hash = store.hash_kind();
    for id in String::from_utf8_lossy(&ids.stdout).lines() {
        let Ok(oid) = gix::ObjectId::from_hex(id.as_bytes()) else {
            continue;
        };
        let Ok(raw) = store.read(&oid) else { continue };
        let Some(split) = crate::git::object::split_commit(&raw.data, hash) else {
            continue;
        };
        let signer = match crate::check::lookup::first_pass(&split.payload, &split.signature, root)
        {
            crate::verify::Outcome::Verified(v) => Some(v.signer),
            crate::verify::Outcome::Rejected(r) => r.signer,
        };
        let short = id.get(..12).unwrap_or(id);
        let emails: Vec<String> = signer
            .iter()
            .flat_map(|s| s.sans.iter())
            .filter_map(|s| match s {
                crate::x509::San::Email(e) => Some(e.clone()),
                _ => None,
            })
            .collect();
        let who = signer
            .as_ref()
            .and_then(|s| s.identity.clone())
            .unwrap_or_else(|| "an unreadable signature".into());
        let mine = git.get("user.email").unwrap_or_default();
        return Some(if emails.iter().any(|e| e.eq_ignore_ascii_case(mine)) {
            Check::ok(
                NAME,
                format!("commit {short} was signed as {who}, = user.email"),
            )
        } else {
            Check::warn(
                NAME,
                format!("commit {short} was signed as {who}, not user.email ({mine})"),
                "log in with the identity in user.email, or set user.email to the one you sign as",
            )
        });
    }
    Some(Check::ok(
        NAME,
        format!("no signed commit among the last {LAST_SIGNED_DEPTH} on HEAD"),
    ))
}

fn trust_root(inputs: &TrustRootInputs, clock: &dyn Clock) -> (Check, Option<TrustRoot>) {
    const NAME: &str = "trust root";
    match inputs.load() {
        Ok(root) => {
            // A TUF-refreshed root's age is its last refresh's (issue 14).
            let file = inputs
                .file
                .clone()
                .or_else(|| inputs.tuf_cache.as_ref().map(|d| d.join("refreshed.json")));
            let age = file
                .as_ref()
                .and_then(|f| std::fs::metadata(f).ok())
                .and_then(|m| m.modified().ok())
                .and_then(|m| clock.now().duration_since(m).ok())
                .map_or_else(
                    || "embedded in this build".to_string(),
                    |d| format!("file written {} day(s) ago", d.as_secs() / 86_400),
                );
            (
                Check::ok(NAME, format!("{} ({age})", root.source)),
                Some(root),
            )
        }
        Err(e) => (
            Check::fail(NAME, e.to_string(), table::TRUSTED_ROOT.check),
            None,
        ),
    }
}

fn transport() -> HttpTransport {
    HttpTransport::new(TransportConfig {
        connect_timeout: Duration::from_secs(3),
        timeout: Duration::from_secs(5),
        max_retries: 0,
        ..TransportConfig::default()
    })
}

fn get(
    t: &dyn Transport,
    service: Service,
    url: &str,
) -> Result<crate::transport::Response, String> {
    match t.send(&Request::get(service, url).retry(Retry::Never)) {
        Ok(r) if r.is_success() => Ok(r),
        Ok(r) => Err(format!("HTTP {} from {url}", r.status)),
        Err(e) => Err(e.to_string()),
    }
}

/// Fulcio is reachable, and its CA (`/api/v2/trustBundle`) is one the trust root trusts.
fn fulcio(t: &dyn Transport, url: &str, root: Option<&TrustRoot>) -> Vec<Check> {
    let bundle = crate::transport::join_url(url, "/api/v2/trustBundle");
    match get(t, Service::Fulcio, &bundle) {
        Err(e) => vec![Check::fail("Fulcio", e, table::FULCIO.check)],
        Ok(r) => {
            let mut out = vec![Check::ok("Fulcio", format!("{url} answers"))];
            if let Some(root) = root {
                // `{"chains": [{"certificates": [PEM, ...]}]}` (Fulcio v2 API).
                let pems: Vec<String> = r
                    .json::<serde_json::Value>()
                    .ok()
                    .and_then(|v| v.get("chains").and_then(|c| c.as_array()).cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| c.get("certificates").and_then(|c| c.as_array()))
                    .flatten()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect();
                let served: Vec<Vec<u8>> = pems
                    .iter()
                    .flat_map(|p| crate::armor::blocks(p.as_bytes(), "CERTIFICATE"))
                    .collect();
                let trusted = root
                    .certificate_authorities
                    .iter()
                    .flat_map(|ca| ca.chain.iter())
                    .any(|c| served.contains(&c.der));
                out.push(if trusted {
                    Check::ok("Fulcio in trust root", "Fulcio's CA is in the trust root")
                } else {
                    Check::fail(
                        "Fulcio in trust root",
                        format!(
                            "none of the {} certificate(s) {url} serves is in the trust root ({}): \
                             signatures it issues would not verify",
                            served.len(),
                            root.source
                        ),
                        format!(
                            "point the trust root at this Sigstore instance ({}), or {}",
                            table::TRUSTED_ROOT.names,
                            table::FULCIO.check
                        ),
                    )
                });
            }
            out
        }
    }
}

/// Rekor is reachable, its key is in the trust root, and the clock agrees with its `Date`.
fn rekor(t: &dyn Transport, url: &str, root: Option<&TrustRoot>, clock: &dyn Clock) -> Vec<Check> {
    let info = crate::transport::join_url(url, "/api/v1/log");
    let r = match get(t, Service::Rekor, &info) {
        Err(e) => return vec![Check::fail("Rekor", e, table::REKOR.check)],
        Ok(r) => r,
    };
    let mut out = vec![Check::ok("Rekor", format!("{url} answers"))];
    if let Some(root) = root {
        let key_url = crate::transport::join_url(url, "/api/v1/log/publicKey");
        out.push(match get(t, Service::Rekor, &key_url) {
            Err(e) => Check::warn("Rekor in trust root", e, table::REKOR.check),
            Ok(k) => {
                use sha2::Digest;
                let ids: Vec<[u8; 32]> = crate::armor::blocks(&k.body, "PUBLIC KEY")
                    .iter()
                    .map(|der| sha2::Sha256::digest(der).into())
                    .collect();
                if root.tlogs.iter().any(|l| ids.contains(&l.log_id)) {
                    Check::ok("Rekor in trust root", "Rekor's key is in the trust root")
                } else {
                    Check::fail(
                        "Rekor in trust root",
                        format!("{url}'s key is not in the trust root ({})", root.source),
                        format!(
                            "point the trust root at this Sigstore instance ({}), or {}",
                            table::TRUSTED_ROOT.names,
                            table::REKOR.check
                        ),
                    )
                }
            }
        });
    }
    out.push(match r.header("date").and_then(parse_http_date) {
        None => Check::warn(
            "clock",
            "Rekor sent no Date header to compare with",
            "none needed",
        ),
        Some(theirs) => {
            let skew = clock.unix_now() - theirs;
            if skew.abs() <= 60 {
                Check::ok("clock", format!("within {}s of Rekor's", skew.abs()))
            } else if skew.abs() <= 300 {
                Check::warn(
                    "clock",
                    format!("{skew:+}s from Rekor's"),
                    "synchronise the system clock (NTP)",
                )
            } else {
                Check::fail(
                    "clock",
                    format!("{skew:+}s from Rekor's: certificates last 10 minutes"),
                    "synchronise the system clock (NTP)",
                )
            }
        }
    });
    out
}

/// The TSA (`gitsign.timestampServerURL`) grants a timestamp over a probe, and its token
/// verifies against the trust root: what signing will need (issue 15).
fn tsa(url: &str, root: Option<&TrustRoot>) -> Check {
    const NAME: &str = "timestamp authority";
    let client = crate::tsa::TsaClient::new(std::sync::Arc::new(transport()), url);
    let probe = b"gitseal doctor";
    match client.timestamp(probe) {
        Err(e) => Check::fail(NAME, e.to_string(), table::TIMESTAMP_SERVER_URL.check),
        Ok(token) => match root.map(|r| crate::tsa::verify_token(&token, probe, r)) {
            Some(Err((r, d))) => Check::fail(
                NAME,
                format!("{d} [{}]", r.code()),
                concat!(
                    "use a TSA of the trust root, or name its chain: ",
                    "gitsign.timestampCertChain / GITSEAL_TIMESTAMP_CERT_CHAIN"
                ),
            ),
            Some(Ok(v)) => Check::ok(
                NAME,
                format!("{url} answers; its token verifies ({})", v.tsa_subject),
            ),
            None => Check::ok(NAME, format!("{url} answers")),
        },
    }
}

fn issuer(t: &dyn Transport, url: &str) -> Check {
    let discovery = format!(
        "{}/.well-known/openid-configuration",
        url.trim_end_matches('/')
    );
    match get(t, Service::OidcProvider, &discovery) {
        Ok(_) => Check::ok("OIDC issuer", format!("{url} answers")),
        Err(e) => Check::fail("OIDC issuer", e, table::ISSUER.check),
    }
}

fn login(s: &SignSettings, env: &Env) -> Check {
    const NAME: &str = "login";
    if !s.token_provider.is_empty() {
        return Check::ok(NAME, format!("token provider {}", s.token_provider));
    }
    if !s.url_opener.is_empty() {
        return Check::ok(NAME, format!("browser opened by {}", s.url_opener));
    }
    let display = ["DISPLAY", "WAYLAND_DISPLAY", "BROWSER"]
        .iter()
        .any(|v| env.get(v).is_some_and(|s| !s.is_empty()));
    if display || cfg!(target_os = "macos") || cfg!(windows) {
        Check::ok(
            NAME,
            "the system browser (unless a CI token is in the environment)",
        )
    } else {
        Check::ok(
            NAME,
            "device flow: no display here, so the code and URL are shown on the terminal",
        )
    }
}

/// Where an interactive or device login's certificate would be kept (README "Credential
/// cache"). Never a failure for signing: without a store each signature logs in.
fn credential_cache(git: &GitConfig, env: &Env) -> Check {
    const NAME: &str = "credential cache";
    use crate::credcache::{Backend, Mode};
    match Mode::resolve(git, env) {
        Err(e) => Check::fail(NAME, e.to_string(), table::CREDENTIAL_CACHE.check),
        Ok(Mode::Off) => Check::ok(NAME, "off: every signature logs in"),
        Ok(mode) => match Backend::open(mode, env) {
            Ok(b) => Check::ok(
                NAME,
                format!("{}: one login per certificate lifetime", b.name()),
            ),
            Err(why) => Check::warn(
                NAME,
                format!("{why}: every signature logs in"),
                "allow keyctl (kernel keyring), or set XDG_RUNTIME_DIR to a private directory",
            ),
        },
    }
}

/// Unix seconds of an RFC 9110 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut w = s.split_whitespace().skip(1);
    let (day, mon, year, time, zone) = (w.next()?, w.next()?, w.next()?, w.next()?, w.next()?);
    if zone != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = i64::try_from(MONTHS.iter().position(|x| *x == mon)?).ok()? + 1;
    let d: i64 = day.parse().ok()?;
    let y: i64 = year.parse().ok()?;
    let mut t = time.split(':').map(|x| x.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    let days = crate::clock::days_from_civil(y, m, d);
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Every check, in order.
pub fn checks(env: &Env, offline: bool, dir: &Path, me: &Path, clock: &dyn Clock) -> Vec<Check> {
    let mut out = vec![git_version(dir)];
    let (git, scopes) = match GitConfig::load_scoped(dir) {
        Ok(x) => x,
        Err(e) => {
            out.push(Check::fail(
                "git config",
                e.to_string(),
                "fix the git config file git names",
            ));
            return out;
        }
    };
    out.push(gpg_format(&git, &scopes));
    out.push(x509_program(&git, &scopes, env, dir, me));
    out.push(gpgsign(dir));
    out.push(user_email(&git));
    let settings = match SignSettings::resolve(&git, env) {
        Ok(s) => Some(s),
        Err(e) => {
            out.push(Check::fail(
                "settings",
                e.to_string(),
                "gitseal config shows where each setting is set",
            ));
            None
        }
    };
    let inputs = TrustRootInputs::resolve(None, env, &git);
    let (check, root) = trust_root(&inputs, clock);
    out.push(check);
    out.extend(last_signer(dir, &git, root.as_ref()));
    if let Some(s) = &settings {
        out.push(login(s, env));
    }
    out.push(credential_cache(&git, env));
    match (&settings, offline) {
        (_, true) => out.push(Check::ok(
            "network",
            "skipped (--offline): Fulcio, Rekor, the OIDC issuer and the clock are not checked",
        )),
        (None, false) => {}
        (Some(s), false) => {
            let t = transport();
            out.extend(fulcio(&t, &s.fulcio_url, root.as_ref()));
            out.extend(rekor(&t, &s.rekor_url, root.as_ref(), clock));
            if let Some(url) = &s.timestamp_server_url {
                out.push(tsa(url, root.as_ref()));
            }
            if s.token_provider.is_empty()
                || s.token_provider == "interactive"
                || s.token_provider == "device"
            {
                out.push(issuer(&t, &s.issuer));
            }
        }
    }
    out
}

/// Runs `gitseal doctor`.
pub(super) fn run(offline: bool, env: &Env) -> Result<(), CommandError> {
    let me = std::env::current_exe()
        .map_err(|e| CommandError::failed(format!("cannot find the path of this program: {e}")))?;
    let checks = checks(env, offline, &cwd(), &me, &crate::clock::SystemClock);
    let mut o = stdout().lock();
    for c in &checks {
        let _ = writeln!(o, "{}", c.line());
    }
    let failed = checks.iter().filter(|c| c.level == Level::Fail).count();
    if failed == 0 {
        let _ = writeln!(o, "gitseal doctor: signing should work");
        Ok(())
    } else {
        let _ = o.flush();
        Err(CommandError::failed(format!(
            "{failed} check(s) failed: signing would not work until they are fixed"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_versions() {
        assert_eq!(parse_git_version("git version 2.39.2\n"), Some((2, 39)));
        assert_eq!(
            parse_git_version("git version 2.45.1.windows.1"),
            Some((2, 45))
        );
        assert_eq!(parse_git_version("hg 6"), None);
        assert!(parse_git_version("git version 2.18.0").unwrap() < MIN_GIT);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Thu, 03 Dec 2026 11:05:00 GMT"),
            Some(1_796_295_900)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn lines_say_what_to_fix() {
        let c = Check::fail("gpg.format", "unset", "gitseal setup");
        assert_eq!(c.line(), "FAIL  gpg.format: unset (fix: gitseal setup)");
        assert_eq!(
            Check::ok("git", "git version 2.39.2").line(),
            "ok    git: git version 2.39.2"
        );
        assert!(Check::fail("x", "a\nb", "y").line().lines().count() == 1);
    }
}
