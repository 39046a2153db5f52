//! The `[GNUPG:]` status-line protocol git reads from `gpg.x509.program` (GnuPG `doc/DETAILS`,
//! "Format of the --status-fd output"; git `gpg-interface.c`).
//!
//! What git relies on (compat §1.1, interop-peers §5):
//! * verify: `GOODSIG` must not be the first line (git searches for `"\n[GNUPG:] GOODSIG "`),
//!   so `NEWSIG` comes first; exactly one of GOODSIG/BADSIG/ERRSIG/EXP*/REV*; a `TRUST_*`
//!   line gives `%G?=G` only for FULLY/ULTIMATE. A GOODSIG whose uid is empty makes git skip
//!   the next line (gitsign's bug), so the uid is never empty here.
//! * sign: `SIG_CREATED ` at the start of a line of the status stream; `BEGIN_SIGNING` first
//!   so it is never the first line (git < 2.36).
//!
//! This module only formats lines; what to emit is decided by `cli` from a verify outcome.
//!
//! **Escaping.** Every string argument is percent-escaped here, as GnuPG escapes status
//! arguments (`doc/DETAILS`, "Format of the status codes"; `g10/cpr.c`
//! `write_status_text_and_buffer`): `%`, every byte below 0x20 and DEL become `%XX`
//! (uppercase hex). A user id (`GOODSIG`/`BADSIG`) keeps its spaces, as gpg writes it
//! (`mainproc.c` passes wrap = -1); a key id or fingerprint is one token, so a space in it is
//! escaped too. The uid is certificate text an attacker chose: unescaped, a newline in it
//! starts a forged `[GNUPG:] TRUST_FULLY` line, and a NUL ends git's reading of the status
//! (`gpg-interface.c` walks it as a C string) before the real `TRUST_` line. Callers pass raw
//! text and cannot forget to escape it.

use std::borrow::Cow;
use std::io::Write;

const PREFIX: &str = "[GNUPG:] ";

/// gpg trust levels as status keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// `TRUST_FULLY`.
    Fully,
    /// `TRUST_UNDEFINED`.
    Undefined,
    /// `TRUST_NEVER`.
    Never,
}

/// One status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<'a> {
    /// `NEWSIG`: a signature starts.
    NewSig,
    /// `GOODSIG <keyid> <uid>`.
    GoodSig {
        /// Key id (certificate fingerprint).
        keyid: &'a str,
        /// User id text: who signed.
        uid: &'a str,
    },
    /// `BADSIG <keyid> <uid>`.
    BadSig {
        /// Key id.
        keyid: &'a str,
        /// User id text.
        uid: &'a str,
    },
    /// `ERRSIG <keyid> <pkalgo> <hashalgo> <class> <time> <rc> <fpr>`.
    ErrSig {
        /// Key id, or `0` when unknown.
        keyid: &'a str,
        /// DETAILS rc: 4 = unknown algorithm, 9 = missing public key/evidence.
        rc: u8,
    },
    /// `VALIDSIG <fpr> <date> <timestamp> 0 0 0 <pkalgo> <hashalgo> 00 <primary fpr>`.
    ValidSig {
        /// Fingerprint.
        fpr: &'a str,
        /// Trusted signing time (Unix seconds).
        time: i64,
    },
    /// `TRUST_<LEVEL> 0 shell`.
    Trust(Trust),
    /// `BEGIN_SIGNING`.
    BeginSigning,
    /// `SIG_CREATED <D|S> <pkalgo> <hashalgo> 00 <time> <fpr>`.
    SigCreated {
        /// Detached.
        detached: bool,
        /// OpenPGP public-key algorithm id (19 = ECDSA).
        pk_algo: u8,
        /// OpenPGP hash id (8 = SHA-256, 9 = SHA-384).
        hash_algo: u8,
        /// Unix seconds.
        time: i64,
        /// Fingerprint.
        fpr: &'a str,
    },
}

/// GnuPG's status-argument escaping: `%`, bytes below 0x20 (with `keep_spaces: false`, also
/// the space 0x20) and DEL (0x7F) become `%XX` with uppercase hex; every other byte, including
/// all of UTF-8 above 0x7F, is kept (DETAILS "Format of the status codes": "all strings are
/// percent-escaped"; `write_status_text_and_buffer` escapes `*s == '%' || *s <= lower_limit ||
/// *s == 127`, `lower_limit` being the space unless wrap is -1). Decoding `%XX` gives back the
/// input exactly. Pure.
pub fn percent_escape(s: &str, keep_spaces: bool) -> Cow<'_, str> {
    let escaped = |b: u8| b == b'%' || b < 0x20 || b == 0x7f || (b == b' ' && !keep_spaces);
    if !s.bytes().any(escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match u8::try_from(c) {
            Ok(b) if escaped(b) => out.push_str(&format!("%{b:02X}")),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A user id: free text, spaces kept.
fn uid(s: &str) -> Cow<'_, str> {
    percent_escape(s, true)
}

/// A key id or fingerprint: one space-separated token.
fn token(s: &str) -> Cow<'_, str> {
    percent_escape(s, false)
}

fn date(t: i64) -> String {
    let (y, m, d) = crate::clock::civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

impl Status<'_> {
    /// The line, without its trailing newline. String arguments are escaped (module docs), so
    /// the line never contains a newline, a carriage return or a NUL.
    pub fn line(&self) -> String {
        let body = match self {
            Self::NewSig => "NEWSIG".to_string(),
            Self::GoodSig { keyid, uid: u } => format!("GOODSIG {} {}", token(keyid), uid(u)),
            Self::BadSig { keyid, uid: u } => format!("BADSIG {} {}", token(keyid), uid(u)),
            Self::ErrSig { keyid, rc } => {
                let keyid = token(keyid);
                format!("ERRSIG {keyid} 19 8 00 0 {rc} {keyid}")
            }
            Self::ValidSig { fpr, time } => {
                let fpr = token(fpr);
                format!("VALIDSIG {fpr} {} {time} 0 0 0 19 8 00 {fpr}", date(*time))
            }
            Self::Trust(t) => match t {
                Trust::Fully => "TRUST_FULLY 0 shell".to_string(),
                Trust::Undefined => "TRUST_UNDEFINED 0 shell".to_string(),
                Trust::Never => "TRUST_NEVER 0 shell".to_string(),
            },
            Self::BeginSigning => "BEGIN_SIGNING".to_string(),
            Self::SigCreated {
                detached,
                pk_algo,
                hash_algo,
                time,
                fpr,
            } => format!(
                "SIG_CREATED {} {pk_algo} {hash_algo} 00 {time} {}",
                if *detached { 'D' } else { 'S' },
                token(fpr)
            ),
        };
        format!("{PREFIX}{body}")
    }

    /// Writes the line and a newline.
    pub fn write_to(&self, w: &mut dyn Write) -> std::io::Result<()> {
        writeln!(w, "{}", self.line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_gnupg_details() {
        assert_eq!(Status::NewSig.line(), "[GNUPG:] NEWSIG");
        assert_eq!(
            Status::GoodSig {
                keyid: "ab",
                uid: "a@b"
            }
            .line(),
            "[GNUPG:] GOODSIG ab a@b"
        );
        assert_eq!(
            Status::Trust(Trust::Fully).line(),
            "[GNUPG:] TRUST_FULLY 0 shell"
        );
        assert_eq!(
            Status::ValidSig {
                fpr: "ab",
                time: 1681496844
            }
            .line(),
            "[GNUPG:] VALIDSIG ab 2023-04-14 1681496844 0 0 0 19 8 00 ab"
        );
        assert_eq!(
            Status::SigCreated {
                detached: true,
                pk_algo: 19,
                hash_algo: 9,
                time: 5,
                fpr: "f"
            }
            .line(),
            "[GNUPG:] SIG_CREATED D 19 9 00 5 f"
        );
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
    }

    #[test]
    fn percent_escape_vectors() {
        for (input, keep, want) in [
            ("alice@example.com", true, "alice@example.com"),
            ("100%", true, "100%25"),
            ("a\nb", true, "a%0Ab"),
            ("a\rb", true, "a%0Db"),
            ("a\0b", true, "a%00b"),
            ("\x1b[31m", true, "%1B[31m"),
            ("\x7f", true, "%7F"),
            ("\t\x01\x1f", true, "%09%01%1F"),
            ("a b", true, "a b"),
            ("a b", false, "a%20b"),
            // UTF-8 (and C1 controls, which are two bytes >= 0x80) is kept, as gpg keeps it.
            ("Ünïcødé 名前 \u{85}", true, "Ünïcødé 名前 \u{85}"),
            ("%0A", true, "%250A"),
            ("", true, ""),
        ] {
            assert_eq!(percent_escape(input, keep), want, "{input:?}");
        }
        // Nothing to escape: no allocation.
        assert!(matches!(
            percent_escape("alice@example.com", true),
            Cow::Borrowed(_)
        ));
    }

    /// The forged-trust-line attack: whatever the uid holds, the GOODSIG/BADSIG line stays one
    /// line, keeps no NUL, and nothing after the prefix starts a status line.
    #[test]
    fn uid_cannot_forge_a_status_line() {
        let hostile = "mallory@evil.com\n[GNUPG:] TRUST_FULLY 0 shell\n\0 (x\r\n[GNUPG:] GOODSIG)";
        for line in [
            Status::GoodSig {
                keyid: "ab",
                uid: hostile,
            }
            .line(),
            Status::BadSig {
                keyid: "ab",
                uid: hostile,
            }
            .line(),
        ] {
            assert!(!line.contains(['\n', '\r', '\0']), "{line:?}");
            assert_eq!(line.matches("[GNUPG:] ").count(), 3, "{line:?}");
            assert!(line.starts_with("[GNUPG:] "));
            assert!(
                line.ends_with(
                    " ab mallory@evil.com%0A[GNUPG:] TRUST_FULLY 0 shell%0A%00 (x%0D%0A[GNUPG:] GOODSIG)"
                ),
                "{line:?}"
            );
            let mut buf = Vec::new();
            Status::GoodSig {
                keyid: "ab",
                uid: hostile,
            }
            .write_to(&mut buf)
            .unwrap();
            assert_eq!(buf.iter().filter(|b| **b == b'\n').count(), 1);
        }
        // A key id cannot smuggle a uid or a line either.
        assert_eq!(
            Status::ErrSig {
                keyid: "a b\n",
                rc: 9
            }
            .line(),
            "[GNUPG:] ERRSIG a%20b%0A 19 8 00 0 9 a%20b%0A"
        );
    }
}
