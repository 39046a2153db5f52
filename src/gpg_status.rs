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

fn date(t: i64) -> String {
    let days = t.div_euclid(86_400);
    // Civil-from-days (Howard Hinnant), proleptic Gregorian, UTC.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

impl Status<'_> {
    /// The line, without its trailing newline.
    pub fn line(&self) -> String {
        let body = match self {
            Self::NewSig => "NEWSIG".to_string(),
            Self::GoodSig { keyid, uid } => format!("GOODSIG {keyid} {uid}"),
            Self::BadSig { keyid, uid } => format!("BADSIG {keyid} {uid}"),
            Self::ErrSig { keyid, rc } => format!("ERRSIG {keyid} 19 8 00 0 {rc} {keyid}"),
            Self::ValidSig { fpr, time } => {
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
                "SIG_CREATED {} {pk_algo} {hash_algo} 00 {time} {fpr}",
                if *detached { 'D' } else { 'S' }
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
}
