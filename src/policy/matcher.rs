//! String rules for identities and issuers: exact, or an unanchored regular expression as Go's
//! `regexp.MatchString`, which cosign's `--certificate-identity-regexp` uses (compat §6.5).

use regex::Regex;

/// A string rule.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Exact equality.
    Exact(String),
    /// Unanchored regular expression.
    Regexp(Regex),
}

impl Matcher {
    /// Builds a regexp matcher; the error is the regex crate's message.
    pub fn regexp(pattern: &str) -> Result<Self, String> {
        Regex::new(pattern)
            .map(Self::Regexp)
            .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(s) => s == value,
            Self::Regexp(r) => r.is_match(value),
        }
    }

    /// The rule as messages show it: a quoted value, or `/regexp/`.
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Exact(s) => format!("{s:?}"),
            Self::Regexp(r) => format!("/{}/", r.as_str()),
        }
    }
}
