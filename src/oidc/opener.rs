//! Opening the login page: the system browser (the `webbrowser` crate, `hardened`: only
//! http/https URLs) or the command configured in `gitsign.urlOpener` / `GITSIGN_URL_OPENER`.
//!
//! The command syntax is gitsign's (compat §5.4, `internal/fulcio/tokengetter.go`): CR/LF
//! rejected; shell-style word splitting where single or double quotes group text, backslashes
//! are literal and an unterminated quote is an error; each word is a template in which
//! `{{.URL}}` is replaced by the login URL; at least one word must reference it. The command is
//! executed directly, never through a shell, so shell metacharacters are inert.
//!
//! What this module must not do: let the child write to our stdout, which is the signature
//! stream while git signs (gitsign §11.5), or to our stderr, which git reads until every writer
//! has closed it. The child's stdout and stderr go to the terminal (`/dev/tty`, else nowhere),
//! as gitsign's do, and its stdin is closed. The child is not waited for: openers such as the headless-browser driver in
//! the e2e kit block until the callback page has loaded, which needs the loopback server to be
//! answering (`interactive`), so a thread reaps it instead.

use std::process::{Command, Stdio};

/// Why the login page could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenerError {
    /// The configured command contains a newline or carriage return.
    #[error("gitsign.urlOpener must not contain newline or carriage return characters")]
    NewlineInCommand,
    /// An unterminated quote.
    #[error("gitsign.urlOpener has an unterminated {0} quote")]
    UnterminatedQuote(char),
    /// Nothing to run.
    #[error("gitsign.urlOpener is empty")]
    Empty,
    /// No word references `{{.URL}}`.
    #[error("gitsign.urlOpener does not reference the {{{{.URL}}}} template argument")]
    NoUrlReference,
    /// A template action other than `{{.URL}}`.
    #[error(
        "gitsign.urlOpener uses an unsupported template action {0:?} (only {{{{.URL}}}} is available)"
    )]
    BadTemplate(String),
    /// The command could not be started.
    #[error("could not run the URL opener {program:?}: {reason}")]
    Spawn {
        /// argv\[0\].
        program: String,
        /// OS error.
        reason: String,
    },
    /// The system browser could not be started.
    #[error("could not open a browser: {0}")]
    Browser(String),
}

/// Something that shows the user a URL. Injected so tests can play the browser.
pub trait UrlOpener: Send + Sync {
    /// Opens `url`; returns once the opener has been started.
    fn open(&self, url: &str) -> Result<(), OpenerError>;
}

/// The desktop's default browser (`$BROWSER`, xdg-open, `open`, …) via the `webbrowser` crate,
/// with its output suppressed.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemBrowser;

impl UrlOpener for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), OpenerError> {
        let mut options = webbrowser::BrowserOptions::new();
        options.with_suppress_output(true);
        webbrowser::open_browser_with_options(webbrowser::Browser::Default, url, &options)
            .map_err(|e| OpenerError::Browser(e.to_string()))
    }
}

/// A parsed `gitsign.urlOpener` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOpener {
    words: Vec<String>,
}

/// The opener to use: the configured command when one is set, else the system browser.
pub fn from_config(url_opener: Option<&str>) -> Result<Box<dyn UrlOpener>, OpenerError> {
    match url_opener {
        Some(spec) if !spec.is_empty() => Ok(Box::new(CommandOpener::parse(spec)?)),
        _ => Ok(Box::new(SystemBrowser)),
    }
}

impl CommandOpener {
    /// Parses and validates the command (before any login starts, so a typo fails fast).
    pub fn parse(spec: &str) -> Result<Self, OpenerError> {
        if spec.contains(['\n', '\r']) {
            return Err(OpenerError::NewlineInCommand);
        }
        let words = split_command(spec)?;
        if words.is_empty() {
            return Err(OpenerError::Empty);
        }
        let opener = Self { words };
        let mut has_url = false;
        for w in &opener.words {
            render(w, "")?;
            has_url |= w.contains("{{");
        }
        if !has_url {
            return Err(OpenerError::NoUrlReference);
        }
        Ok(opener)
    }

    /// The argv for `url`.
    pub fn argv(&self, url: &str) -> Result<Vec<String>, OpenerError> {
        self.words.iter().map(|w| render(w, url)).collect()
    }
}

impl UrlOpener for CommandOpener {
    fn open(&self, url: &str) -> Result<(), OpenerError> {
        let argv = self.argv(url)?;
        let (program, args) = argv.split_first().ok_or(OpenerError::Empty)?;
        let spawn_err = |reason: String| OpenerError::Spawn {
            program: program.clone(),
            reason,
        };
        // The child's output goes to the terminal, as gitsign's does, and never to our
        // stdout or stderr: under git those are pipes git reads until every writer closes
        // them, so a browser the opener leaves running would hold `git commit -S` open.
        let terminal = || -> Stdio {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/tty")
                .map_or_else(|_| Stdio::null(), Stdio::from)
        };
        let (out, err) = (terminal(), terminal());
        // The URL opener is a program the user configured (gitsign.urlOpener): starting it is
        // this module's job, one of the two places gitseal starts a process (with `config`'s
        // `git config`; scripts/clippy.toml).
        #[allow(clippy::disallowed_methods)]
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| spawn_err(e.to_string()))?;
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        Ok(())
    }
}

/// gitsign's `splitCommand`: whitespace separates words; `'` or `"` group text (the other quote
/// is literal inside); quotes are removed; backslashes are literal.
pub fn split_command(s: &str) -> Result<Vec<String>, OpenerError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if matches!(c, ' ' | '\t' | '\n' | '\r') => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(OpenerError::UnterminatedQuote(q));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Renders one word: each `{{ .URL }}` action (whitespace inside the braces allowed) becomes
/// `url`; any other action is an error, like Go's `missingkey=error`.
fn render(word: &str, url: &str) -> Result<String, OpenerError> {
    let mut out = String::with_capacity(word.len() + url.len());
    let mut rest = word;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| OpenerError::BadTemplate(rest[start..].chars().take(40).collect()))?;
        let action = after[..end].trim();
        if action != ".URL" {
            return Err(OpenerError::BadTemplate(action.chars().take(40).collect()));
        }
        out.push_str(url);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_gitsign() {
        assert_eq!(
            split_command(r#"open -a "Google Chrome" {{.URL}}"#).unwrap(),
            vec!["open", "-a", "Google Chrome", "{{.URL}}"]
        );
        assert_eq!(
            split_command(r#"C:\tools\b.exe 'say "hi"' x"y z"w"#).unwrap(),
            vec![r"C:\tools\b.exe", r#"say "hi""#, "xy zw"]
        );
        assert_eq!(split_command("  ''  ").unwrap(), vec![""]);
        assert_eq!(
            split_command("a 'b").unwrap_err(),
            OpenerError::UnterminatedQuote('\'')
        );
    }

    #[test]
    fn validates_and_renders() {
        let o = CommandOpener::parse("firefox --new-window {{.URL}} '--x={{ .URL }}'").unwrap();
        assert_eq!(
            o.argv("http://h/a?b=c&d").unwrap(),
            vec![
                "firefox",
                "--new-window",
                "http://h/a?b=c&d",
                "--x=http://h/a?b=c&d"
            ]
        );
        // As in gitsign, words are split before templating: an unquoted `{{ .URL }}` breaks.
        assert!(matches!(
            CommandOpener::parse("firefox {{ .URL }}").unwrap_err(),
            OpenerError::BadTemplate(_)
        ));
        assert_eq!(
            CommandOpener::parse("firefox").unwrap_err(),
            OpenerError::NoUrlReference
        );
        assert_eq!(
            CommandOpener::parse("x {{.URL}}\ny").unwrap_err(),
            OpenerError::NewlineInCommand
        );
        assert!(matches!(
            CommandOpener::parse("x {{.Token}}").unwrap_err(),
            OpenerError::BadTemplate(_)
        ));
        assert!(matches!(
            CommandOpener::parse("x {{.URL").unwrap_err(),
            OpenerError::BadTemplate(_)
        ));
        assert_eq!(CommandOpener::parse("   ").unwrap_err(), OpenerError::Empty);
    }

    #[test]
    fn runs_without_a_shell_and_reports_missing_program() {
        let dir = std::env::temp_dir().join(format!("gitseal-opener-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("url.txt");
        // `sh -c` here only to write the file in the test; the opener itself runs argv directly,
        // so the `;` inside the URL stays inert.
        let spec = format!(
            "sh -c 'printf %s \"$1\" > {}' sh {{{{.URL}}}}",
            out.display()
        );
        let o = CommandOpener::parse(&spec).unwrap();
        let url = "http://localhost:1/auth?x=1;touch /tmp/pwned";
        o.open(url).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if let Ok(s) = std::fs::read_to_string(&out)
                && !s.is_empty()
            {
                assert_eq!(s, url);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "opener did not run");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&dir);

        let missing = CommandOpener::parse("/nonexistent/gitseal-opener {{.URL}}").unwrap();
        assert!(matches!(
            missing.open("http://x").unwrap_err(),
            OpenerError::Spawn { .. }
        ));
    }
}
