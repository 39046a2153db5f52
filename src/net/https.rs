//! The HTTPS-only rule: every URL gitseal sends a request to (Fulcio, Rekor, the OIDC
//! issuer and the endpoints its discovery document names, a CI system's token URL) must be
//! `https://`, except on a loopback host, where `http://` is allowed (a local testbed, the
//! OAuth redirect listener: RFC 8252 §8.3 permits plain HTTP only there).
//!
//! Why: these requests carry bearer tokens (the OIDC ID token to Fulcio, the CI's request
//! token, OAuth codes and client secrets) and the answers decide what is signed; on plain HTTP
//! anyone on the path reads the token and forges the answer. gitsign uses whatever URL it is
//! given; gitseal refuses before any connection is made ([`check`] is called by
//! `config` for the configured URLs, so a bad setting is a configuration error naming it, and
//! by `transport` for every request, which covers URLs learnt at run time).
//!
//! It owns the decision only; it never connects or resolves names (`localhost` is recognised
//! by name, not by asking a resolver).

use std::net::IpAddr;

/// Why a URL may not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    /// `http://` to a host that is not loopback.
    #[error(
        "plain http:// to {host} is refused: tokens and signing requests go over https:// only (http:// is allowed for loopback hosts: localhost, 127.0.0.0/8, ::1)"
    )]
    PlainHttp {
        /// The host as written in the URL.
        host: String,
    },
}

/// Checks `url` against the HTTPS-only rule. URLs that are not `http://` pass here (other
/// schemes are refused by the transport as invalid; an `https://` URL is what we want).
pub fn check(url: &str) -> Result<(), UrlRefused> {
    let Some(rest) = strip_scheme(url, "http") else {
        return Ok(());
    };
    let host = host_of(rest);
    if is_loopback_host(host) {
        Ok(())
    } else {
        Err(UrlRefused::PlainHttp {
            host: host.chars().take(200).collect(),
        })
    }
}

/// `rest` after `scheme://` (scheme compared case-insensitively), if `url` has that scheme.
fn strip_scheme<'a>(url: &'a str, scheme: &str) -> Option<&'a str> {
    let (s, rest) = url.trim_start().split_once("://")?;
    s.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// The host of an authority-first URL remainder (`user@host:port/path` → `host`; IPv6
/// literals keep their brackets).
pub(crate) fn host_of(rest: &str) -> &str {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if hostport.starts_with('[') {
        return hostport.find(']').map_or(hostport, |i| &hostport[..=i]);
    }
    hostport.split_once(':').map_or(hostport, |(h, _)| h)
}

/// Whether `host` (as written in a URL: IPv6 in brackets) is a loopback host: the name
/// `localhost` (RFC 6761 §6.3, with or without the trailing dot, any case), an address in
/// 127.0.0.0/8, or `::1` (also `::ffff:127.x.y.z`, which is the same IPv4 address).
pub fn is_loopback_host(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match literal.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_allowed_anything_else_refused() {
        for ok in [
            "https://fulcio.sigstore.dev",
            "HTTPS://Rekor.example/api",
            "http://127.0.0.1:8080/api",
            "http://127.255.0.9/",
            "http://localhost:3000",
            "http://LOCALHOST./x",
            "http://[::1]:9000/",
            "http://[::ffff:127.0.0.1]/",
            "http://user:pw@127.0.0.1:1/",
            "file:///etc/passwd", // not ours to judge here: the transport rejects the scheme
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for (bad, host) in [
            ("http://fulcio.example", "fulcio.example"),
            ("HTTP://rekor.example:80/api", "rekor.example"),
            ("http://10.0.0.1/", "10.0.0.1"),
            ("http://128.0.0.1/", "128.0.0.1"),
            ("http://[::2]/", "[::2]"),
            ("http://localhost.evil.example/", "localhost.evil.example"),
            ("http://127.0.0.1.nip.io/", "127.0.0.1.nip.io"),
            ("http://127.0.0.1@evil.example/", "evil.example"),
            ("http://evil.example#@127.0.0.1/", "evil.example"),
            ("http://evil.example?@127.0.0.1/", "evil.example"),
            (" http://evil.example", "evil.example"),
        ] {
            assert_eq!(
                check(bad),
                Err(UrlRefused::PlainHttp { host: host.into() }),
                "{bad}"
            );
        }
    }

    #[test]
    fn message_says_what_is_allowed() {
        let e = check("http://fulcio.example/").unwrap_err().to_string();
        assert!(
            e.contains("fulcio.example") && e.contains("https://"),
            "{e}"
        );
        assert!(e.contains("loopback"), "{e}");
    }
}
