//! `gitseal config`: every setting that changes signing or verification ([`config::table`]),
//! its effective value and where it came from (default, which git config key in which scope,
//! which environment variable), then the same checks signing and verification make before they
//! start: the signing settings, the trust root, and the verification rules (the policy file it
//! names, or the identity keys). Anything unusable is a configuration error (exit 2). The
//! signing services (Fulcio, Rekor, OIDC issuer, TSA) are shown with where each URL came from:
//! the setting's name, `signing config (FILE)`, or `default`.
//!
//! It shows no secret: the client secret file's path is shown, never its contents, and tokens
//! are not settings.

use super::{CommandError, cwd, stdout};
use crate::config::table::{self, Setting};
use crate::config::{Env, GitConfig, SignSettings, service_urls};
use std::io::Write;

/// One line per setting: `NAME = VALUE  [SOURCE; AFFECTS]`.
pub fn describe(git: &GitConfig, env: &Env, scopes: &table::Scopes) -> String {
    describe_with(git, env, scopes, None)
}

/// [`describe`], with the Fulcio, Rekor and issuer lines showing the signing config's URL (and
/// `signing config (FILE)` as the source) where no setting names one.
fn describe_with(
    git: &GitConfig,
    env: &Env,
    scopes: &table::Scopes,
    urls: Option<&service_urls::ServiceUrls>,
) -> String {
    let width = table::ALL.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for s in table::ALL {
        let from_config = urls.and_then(|u| {
            let url = match s.name {
                n if n == table::FULCIO.name => &u.fulcio,
                n if n == table::REKOR.name => &u.rekor,
                n if n == table::ISSUER.name => &u.issuer,
                _ => return None,
            };
            matches!(url.source, service_urls::UrlSource::SigningConfig(_)).then_some(url)
        });
        match from_config {
            Some(u) => out.push_str(&format!(
                "{:width$} = {}  [{}; {}]",
                s.name,
                super::render::printable(&hide_userinfo(&u.url)),
                u.source,
                s.affects.word()
            )),
            None => out.push_str(&line(s, width, git, env, scopes)),
        }
        out.push('\n');
    }
    out
}

fn line(s: &Setting, width: usize, git: &GitConfig, env: &Env, scopes: &table::Scopes) -> String {
    let source = s.source(git, env, scopes);
    let values = s.values(git, env);
    let value = if matches!(source, table::Source::Default) {
        s.default.to_string()
    } else if values.iter().all(String::is_empty) {
        "(set but empty)".to_string()
    } else {
        values
            .iter()
            .map(|v| {
                // Only URLs have userinfo: an email identity is not one.
                let url_like = v.contains("://") || s.name.ends_with("_proxy");
                let v = if url_like {
                    hide_userinfo(v)
                } else {
                    v.clone()
                };
                super::render::printable(&v).into_owned()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{:width$} = {value}  [{source}; {}]",
        s.name,
        s.affects.word()
    )
}

/// `v` with any URL userinfo (`user:password@` in a proxy or service URL) replaced by
/// `***@`: a password in a proxy setting is a secret, and `gitseal config` shows none.
fn hide_userinfo(v: &str) -> String {
    let start = v.find("://").map_or(0, |i| i + 3);
    let authority_end = v[start..]
        .find(['/', '?', '#'])
        .map_or(v.len(), |i| start + i);
    match v[start..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &v[..start], &v[start + at + 1..]),
        None => v.to_string(),
    }
}

/// Runs `gitseal config`.
/// `--trusted-root`, when given, replaces the trustedRoot setting (as for every command).
pub(super) fn run(trusted_root: Option<&std::path::Path>, env: &Env) -> Result<(), CommandError> {
    let dir = cwd();
    let (git, scopes) = GitConfig::load_scoped(&dir)?;
    let mut out = stdout().lock();
    // The URLs signing would use; an unusable trust config is reported by the checks below.
    let now = crate::clock::Clock::unix_now(&crate::clock::SystemClock);
    let urls = service_urls::signing_config_from_settings(&git, env)
        .and_then(|known| service_urls::resolve(&git, env, known.as_ref(), now))
        .ok();
    let _ = write!(out, "{}", describe_with(&git, env, &scopes, urls.as_ref()));
    let _ = out.flush();
    // The checks signing and verification make before they start, in that order; the first
    // failure is the answer (exit 2), named as signing or verification would name it.
    SignSettings::resolve(&git, env)?;
    // Where signing's service URLs come from (a setting, the signing config, the default).
    let known = service_urls::signing_config_from_settings(&git, env)?;
    let urls = service_urls::resolve(&git, env, known.as_ref(), now)?;
    let _ = write!(out, "signing services:\n{}", service_urls::describe(&urls));
    let checker = crate::check::Checker::from_config(
        &git,
        &dir,
        trusted_root,
        env,
        None,
        &crate::check::Options {
            offline: true,
            ..Default::default()
        },
    )?;
    let trust = crate::config::load_trust_root(trusted_root, env, &git)?;
    let _ = writeln!(out, "trust root: {}", trust.source);
    let _ = writeln!(out, "verification rules: {}", rules(checker.rules()));
    Ok(())
}

/// What decides who may sign, in words.
fn rules(r: &crate::check::Rules) -> String {
    match r {
        crate::check::Rules::File(f) => format!(
            "the policy file (valid; {} allow rule(s) apply outside ref-limited ones)",
            f.applicable_indices(None).len()
        ),
        crate::check::Rules::Flags(p) if p.identities.is_empty() && p.issuers.is_empty() => {
            "no policy: a good signature from the committer's email is trusted fully, any \
             other good signature is \"trust undefined\""
                .into()
        }
        crate::check::Rules::Flags(_) => {
            "the gitseal.identity* / gitseal.issuer* keys (valid)".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_not_shown() {
        let git = GitConfig::from_pairs(&[]);
        let env = Env::from_pairs([
            (
                "https_proxy".to_string(),
                "http://bob:hunter2@proxy.corp:3128".to_string(),
            ),
            (
                "ALL_PROXY".to_string(),
                "carol:s3cret@10.0.0.1:1080/x@y".to_string(),
            ),
        ]);
        let text = describe(&git, &env, &table::Scopes::default());
        assert!(
            !text.contains("hunter2") && !text.contains("s3cret"),
            "{text}"
        );
        assert!(text.contains("http://***@proxy.corp:3128"), "{text}");
        assert!(text.contains("***@10.0.0.1:1080/x@y"), "{text}");
        assert_eq!(
            hide_userinfo("https://fulcio.example/a@b"),
            "https://fulcio.example/a@b"
        );
    }

    #[test]
    fn every_setting_is_shown_with_its_source() {
        let git = GitConfig::from_pairs(&[
            ("gitseal.identity", "a@x"),
            ("gitseal.identity", "b@x"),
            ("gitseal.offline", "true"),
        ]);
        let (_, scopes) = table::Scopes::parse_z(
            b"global\0gitseal.identity\na@x\0local\0gitseal.identity\nb@x\0local\0gitseal.offline\ntrue\0",
        );
        let env = Env::from_pairs([("GITSEAL_POLICY".to_string(), "p.toml".to_string())]);
        let text = describe(&git, &env, &scopes);
        assert_eq!(text.lines().count(), table::ALL.len());
        let find = |name: &str| {
            text.lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
                .to_string()
        };
        assert!(
            find("identity").contains("= a@x, b@x  [git config gitseal.identity (local); verify]"),
            "{text}"
        );
        assert!(find("offline").contains("= true  [git config gitseal.offline (local)"));
        assert!(find("policy").contains("= p.toml  [environment GITSEAL_POLICY; verify]"));
        assert!(find("fulcio").contains("= https://fulcio.sigstore.dev  [default; sign]"));
        // Without them, the same lines say default.
        let plain = describe(&GitConfig::default(), &Env::default(), &scopes);
        assert_ne!(plain, text);
        assert!(plain.contains("[default; verify]"));
    }
}
