//! Which proxy a request goes through, with curl's rules (the ones users know from every other
//! tool), as a pure function of the proxy variables and the URL ([`ProxyEnv::proxy_for`]).
//!
//! - `https://` URLs: `https_proxy`, else `HTTPS_PROXY`; `http://` URLs: `http_proxy` only —
//!   never `HTTP_PROXY`, which a CGI program would take from a request's `Proxy:` header
//!   ("httpoxy", as curl documents); then `all_proxy`, else `ALL_PROXY`, for either. Lower case
//!   wins over upper case, and an empty value counts as unset.
//! - A proxy URL is `http://`, `https://` (TLS to the proxy), `socks4://`, `socks4a://`,
//!   `socks5://` (the name is resolved here) or `socks5h://` (the proxy resolves it); without a
//!   scheme it is `http://`, as in curl. Another scheme is a configuration error naming the
//!   variable.
//! - `no_proxy`, else `NO_PROXY`: entries separated by commas (or spaces), each trimmed; `*`
//!   alone bypasses the proxy for every host; a name matches itself and its subdomains, with
//!   or without a leading dot (`example.com` and `.example.com` both match `example.com` and
//!   `a.example.com`, never `badexample.com`); an IP address matches itself and a CIDR range
//!   (`10.0.0.0/8`, `fd00::/8`) the addresses in it; `host:port` (`[v6]:port`) matches that
//!   port only. Names compare case-insensitively, without a trailing dot. No name is resolved
//!   to match an address range (as curl).
//! - Loopback hosts are proxied like any other unless `no_proxy` names them (curl does so too).
//!
//! git's `http.proxy` is not read: it configures how git reaches its remotes, while gitseal
//! talks to Sigstore services and identity providers, for which the environment is what every
//! other client (curl, cosign, gitsign) reads; gitsign ignores it as well.
//!
//! This module decides; [`crate::transport`] applies the decision to each request.

use std::net::IpAddr;

use crate::config::{ConfigError, Env};

/// The proxy variables in force, read from the environment and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// For `http://` URLs (`http_proxy`).
    http: Option<String>,
    /// For `https://` URLs (`https_proxy` / `HTTPS_PROXY`).
    https: Option<String>,
    /// For either, when the scheme's own is unset (`all_proxy` / `ALL_PROXY`).
    all: Option<String>,
    /// `no_proxy` / `NO_PROXY`, parsed.
    no_proxy: Vec<NoProxy>,
}

/// One `NO_PROXY` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NoProxy {
    /// `*`.
    All,
    /// A host name (lower case, no leading or trailing dot) and its subdomains.
    Domain(String, Option<u16>),
    /// An address range (a single address is a /32 or /128).
    Net(IpAddr, u8, Option<u16>),
}

/// The value of the set, non-empty variable of `setting` with the highest precedence (the
/// table lists them lowest first: lower case wins, as in curl), with its name.
fn first_set<'a>(
    env: &'a Env,
    setting: &crate::config::table::Setting,
) -> Option<(&'static str, &'a str)> {
    setting
        .env
        .iter()
        .rev()
        .find_map(|n| env.get(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
}

impl ProxyEnv {
    /// Reads the variables (module docs). A proxy URL with an unknown scheme, or one ureq
    /// cannot use, is an error naming the variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        use crate::config::table::{self, Setting};
        let proxy = |setting: &Setting| -> Result<Option<String>, ConfigError> {
            let Some((name, value)) = first_set(env, setting) else {
                return Ok(None);
            };
            let value = value.trim();
            let url = if value.contains("://") {
                value.to_owned()
            } else {
                format!("http://{value}")
            };
            let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
            let known = ["http", "https", "socks4", "socks4a", "socks5", "socks5h"];
            if !known.contains(&scheme.as_str()) || ureq::Proxy::new(&url).is_err() {
                return Err(ConfigError::Invalid {
                    key: name.into(),
                    detail: format!(
                        "{:?} is not a usable proxy URL (expected http://, https://, socks4://, socks4a://, socks5:// or socks5h://HOST[:PORT])",
                        crate::transport::redact_url(&url)
                    ),
                });
            }
            Ok(Some(url))
        };
        let no_proxy = first_set(env, &table::NO_PROXY)
            .map(|(_, v)| parse_no_proxy(v))
            .unwrap_or_default();
        Ok(Self {
            http: proxy(&table::HTTP_PROXY)?,
            https: proxy(&table::HTTPS_PROXY)?,
            all: proxy(&table::ALL_PROXY)?,
            no_proxy,
        })
    }

    /// The proxy URL for a request to `url`, or `None` to connect directly.
    pub fn proxy_for(&self, url: &str) -> Option<&str> {
        let (scheme, rest) = url.split_once("://")?;
        let per_scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => &self.https,
            "http" => &self.http,
            _ => return None,
        };
        let proxy = per_scheme.as_ref().or(self.all.as_ref())?;
        let host = super::https::host_of(rest);
        let port = port_of(rest, host).unwrap_or(if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        });
        if self.no_proxy.iter().any(|e| e.matches(host, port)) {
            return None;
        }
        Some(proxy)
    }
}

/// The explicit port after `host` in an authority-first URL remainder, if any.
fn port_of(rest: &str, host: &str) -> Option<u16> {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    hostport.strip_prefix(host)?.strip_prefix(':')?.parse().ok()
}

/// Parses a `NO_PROXY` value (module docs); unparseable entries are ignored, as curl does.
fn parse_no_proxy(value: &str) -> Vec<NoProxy> {
    value
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .filter_map(parse_entry)
        .collect()
}

fn parse_entry(entry: &str) -> Option<NoProxy> {
    if entry == "*" {
        return Some(NoProxy::All);
    }
    // `[v6]`, `[v6]:port`, `[v6]/len`; bare IPv6 (several colons) has no port.
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let (suffix, port) = match after.strip_prefix(':') {
            Some(p) => ("", Some(p.parse().ok()?)),
            None => (after, None),
        };
        (format!("{h}{suffix}"), port)
    } else if entry.matches(':').count() == 1 {
        let (h, p) = entry.split_once(':')?;
        (h.to_owned(), Some(p.parse().ok()?))
    } else {
        (entry.to_owned(), None)
    };
    let (addr, len) = match host.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (host.as_str(), None),
    };
    if let Ok(ip) = addr.parse::<IpAddr>() {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max)?,
            None => max,
        };
        return Some(NoProxy::Net(ip, len, port));
    }
    if len.is_some() {
        return None;
    }
    let name = host.trim_start_matches("*.").trim_start_matches('.');
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    (!name.is_empty()).then_some(NoProxy::Domain(name, port))
}

impl NoProxy {
    fn matches(&self, host: &str, port: u16) -> bool {
        let port_ok = |p: &Option<u16>| p.is_none_or(|p| p == port);
        match self {
            NoProxy::All => true,
            NoProxy::Domain(name, p) => {
                let h = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
                port_ok(p)
                    && (h == *name
                        || h.strip_suffix(name.as_str())
                            .is_some_and(|head| head.ends_with('.')))
            }
            NoProxy::Net(net, len, p) => {
                let literal = host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(host);
                port_ok(p)
                    && literal
                        .parse::<IpAddr>()
                        .is_ok_and(|ip| in_range(ip, *net, *len))
            }
        }
    }
}

/// Whether `ip` is in `net`/`len` (same address family only).
fn in_range(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    let (a, b, bits) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
        _ => return false,
    };
    let shift = bits - u32::from(len);
    if shift >= 128 {
        return true;
    }
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn decide(vars: &[(&str, &str)], url: &str) -> Option<String> {
        ProxyEnv::from_env(&env(vars))
            .unwrap()
            .proxy_for(url)
            .map(str::to_owned)
    }

    const P: &str = "http://proxy.corp:3128";
    const Q: &str = "http://other.corp:8080";

    #[test]
    fn per_scheme_variables_with_curls_precedence() {
        let https = "https://fulcio.example/api";
        let http = "http://127.0.0.1:5555/api";
        for (vars, url, want) in [
            (&[][..], https, None),
            (&[("HTTPS_PROXY", P)], https, Some(P)),
            (&[("https_proxy", P), ("HTTPS_PROXY", Q)], https, Some(P)),
            (&[("https_proxy", ""), ("HTTPS_PROXY", Q)], https, Some(Q)),
            (&[("HTTPS_PROXY", P)], http, None),
            (&[("http_proxy", P)], http, Some(P)),
            (&[("http_proxy", P)], https, None),
            // httpoxy: upper-case HTTP_PROXY is never read.
            (&[("HTTP_PROXY", P)], http, None),
            (&[("HTTP_PROXY", P)], https, None),
            // ALL_PROXY for whatever has no scheme proxy.
            (&[("ALL_PROXY", P)], https, Some(P)),
            (&[("all_proxy", P), ("ALL_PROXY", Q)], http, Some(P)),
            (&[("ALL_PROXY", Q), ("HTTPS_PROXY", P)], https, Some(P)),
            (&[("ALL_PROXY", Q), ("HTTPS_PROXY", P)], http, Some(Q)),
            // A scheme-less proxy is http://.
            (&[("HTTPS_PROXY", "proxy.corp:3128")], https, Some(P)),
            (
                &[("HTTPS_PROXY", "socks5h://127.0.0.1:1080")],
                https,
                Some("socks5h://127.0.0.1:1080"),
            ),
        ] {
            assert_eq!(decide(vars, url).as_deref(), want, "{vars:?} {url}");
        }
    }

    #[test]
    fn no_proxy_entries() {
        for (no_proxy, url, bypass) in [
            ("*", "https://anything.example", true),
            ("localhost, .corp", "https://rekor.corp/x", true),
            (" localhost ,  .corp ", "https://a.b.corp:8443/", true),
            ("corp", "https://rekor.corp", true),
            ("corp", "https://corp", true),
            (".corp", "https://corp", true),
            ("corp", "https://badcorp", false),
            ("rekor.corp", "https://x.rekor.corp", true),
            ("rekor.corp", "https://rekor.corp.evil", false),
            ("REKOR.Corp.", "https://rekor.CORP./", true),
            ("*.corp", "https://a.corp", true),
            ("example.com:8443", "https://example.com:8443/", true),
            ("example.com:8443", "https://example.com/", false),
            ("example.com:443", "https://example.com/", true),
            ("10.0.0.0/8", "https://10.20.30.40/", true),
            ("10.0.0.0/8", "https://11.0.0.1/", false),
            ("192.168.1.7", "https://192.168.1.7:9/", true),
            ("192.168.1.7", "https://192.168.1.8/", false),
            ("127.0.0.1", "http://127.0.0.1:5555/", true),
            ("0.0.0.0/0", "https://8.8.8.8", true),
            ("0.0.0.0/0", "https://[::1]", false),
            ("fd00::/8", "https://[fd12::1]:443/", true),
            ("fd00::/8", "https://[fe80::1]/", false),
            ("::1", "https://[::1]:8080/", true),
            ("[::1]", "https://[::1]/", true),
            ("[::1]:8080", "https://[::1]:8080/", true),
            ("[::1]:8080", "https://[::1]:9090/", false),
            ("10.0.0.0/8", "https://10.example/", false),
            ("localhost", "https://user@localhost:1/", true),
            ("a.example b.example", "https://b.example", true),
            ("", "https://b.example", false),
            ("bogus/8, 1.2.3.4/99", "https://1.2.3.4", false),
        ] {
            let got = decide(
                &[
                    ("HTTPS_PROXY", P),
                    ("http_proxy", P),
                    ("NO_PROXY", no_proxy),
                ],
                url,
            );
            assert_eq!(got.is_none(), bypass, "NO_PROXY={no_proxy:?} {url}");
        }
        // Lower case wins; loopback is proxied unless listed (curl).
        let vars = [
            ("HTTPS_PROXY", P),
            ("no_proxy", "a.example"),
            ("NO_PROXY", "*"),
        ];
        assert_eq!(decide(&vars, "https://b.example").as_deref(), Some(P));
        assert_eq!(
            decide(&[("http_proxy", P)], "http://127.0.0.1:1/").as_deref(),
            Some(P)
        );
    }

    #[test]
    fn unusable_proxy_urls_are_errors_naming_the_variable() {
        for (name, value) in [
            ("HTTPS_PROXY", "ftp://proxy.corp"),
            ("all_proxy", "gopher://x"),
            ("http_proxy", "http://[::1"),
        ] {
            let e = ProxyEnv::from_env(&env(&[(name, value)])).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!("invalid {name}: ")),
                "{e}"
            );
        }
        // Credentials in a proxy URL never reach the message.
        let e = ProxyEnv::from_env(&env(&[("HTTPS_PROXY", "ftp://u:secret@p")])).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
