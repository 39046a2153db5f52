//! The man pages in `man/`: `gitseal(1)`, one page per subcommand (`gitseal-verify(1)`, ...),
//! `gitseal-policy(5)` (the policy file) and `gitseal-config(7)` (every setting). They are
//! generated here from the clap definition (`cli::commands::command`, what `--help` shows) and
//! the settings table (`config::table`), so they cannot drift: [`man_pages_are_current`] fails
//! when a committed page differs from what this writes, [`man_pages_render_without_warnings`]
//! when `man` warns about one. Regenerate with
//! `GITSEAL_UPDATE_MAN=1 cargo test --locked --all-features --test integration docs` (this
//! module's name starts with `docs` so that filter finds it).
//!
//! The footer carries the package version and [`DATE`], a constant (not today's date), so the
//! pages are reproducible and this test is stable; bump it with the version.

use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};
use gitseal::config::table::{self, Affects};
use std::path::Path;

/// The date in every page's footer: the date of the version they describe.
const DATE: &str = "2026-12-03";
const MANUAL: &str = "gitseal Manual";

fn source() -> String {
    format!("gitseal {}", env!("CARGO_PKG_VERSION"))
}

/// `.SH NAME` followed by paragraphs.
fn section(r: &mut Roff, name: &str, paragraphs: &[&str]) {
    r.control("SH", [name]);
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            r.control("PP", []);
        }
        r.text([roman(*p)]);
    }
}

/// Tagged paragraphs: a bold tag, its text.
fn items(r: &mut Roff, items: &[(String, String)]) {
    for (tag, text) in items {
        r.control("TP", []);
        r.text([bold(tag.as_str())]);
        r.text([roman(text.as_str())]);
    }
}

/// An EXAMPLES section: (what it does, command lines).
fn examples(r: &mut Roff, examples: &[(&str, &[&str])]) {
    r.control("SH", ["EXAMPLES"]);
    for (i, (what, lines)) in examples.iter().enumerate() {
        if i > 0 {
            r.control("PP", []);
        }
        r.text([roman(*what)]);
        r.control("PP", []);
        r.control("RS", ["4"]);
        r.control("nf", []);
        for l in *lines {
            r.text([roman(*l)]);
        }
        r.control("fi", []);
        r.control("RE", []);
    }
}

fn see_also(r: &mut Roff, pages: &[&str]) {
    r.control("SH", ["SEE ALSO"]);
    let mut inl = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        let (name, sect) = p.split_once('(').unwrap();
        if i > 0 {
            inl.push(roman(", "));
        }
        inl.push(bold(name));
        inl.push(roman(format!("({sect}")));
    }
    r.text(inl);
}

/// The environment variables of the settings that change `affects` (and those of both).
fn environment(r: &mut Roff, filter: &dyn Fn(Affects) -> bool, intro: &str) {
    r.control("SH", ["ENVIRONMENT"]);
    r.text([roman(intro)]);
    let mut rows = Vec::new();
    for s in table::ALL.iter().filter(|s| filter(s.affects)) {
        if !s.env.is_empty() {
            rows.push((s.env.join(", "), format!("{} ({})", doc(s.doc), s.name)));
        }
    }
    items(r, &rows);
}

/// A doc comment gathered from `///` lines, as one line.
fn doc(d: &str) -> String {
    d.split_whitespace().collect::<Vec<_>>().join(" ")
}

const EXIT_VERIFY: &[(&str, &str)] = &[
    (
        "0",
        "Every object passes (a good signature the rules allow, or what the policy file lets pass unsigned).",
    ),
    (
        "1",
        "At least one object does not pass: a bad signature, one that cannot be checked, a signer the rules do not allow, or an unsigned object.",
    ),
    (
        "2",
        "A usage or configuration error (an unknown revision, an invalid policy file or trust root): nothing was verified.",
    ),
];

fn exit_status(r: &mut Roff, rows: &[(&str, &str)]) {
    r.control("SH", ["EXIT STATUS"]);
    items(
        r,
        &rows
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>(),
    );
}

const FILES_COMMON: &[(&str, &str)] = &[
    (
        "~/.gitconfig, .git/config",
        "git configuration: gpg.format, gpg.x509.program and the gitseal.* and gitsign.* settings (see gitseal-config(7)).",
    ),
    (
        "the policy file",
        "Named by --policy, GITSEAL_POLICY or gitseal.policy, for example .gitseal/policy.toml (see gitseal-policy(5)).",
    ),
    (
        "~/.cache/gitseal",
        "The cache of Rekor entries verified online ($XDG_CACHE_HOME/gitseal, or GITSEAL_CACHE_DIR).",
    ),
];

fn files(r: &mut Roff, extra: &[(&str, &str)]) {
    r.control("SH", ["FILES"]);
    items(
        r,
        &FILES_COMMON
            .iter()
            .chain(extra)
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>(),
    );
}

struct SubPage {
    exit: &'static [(&'static str, &'static str)],
    env: fn(Affects) -> bool,
    files: &'static [(&'static str, &'static str)],
    examples: &'static [(&'static str, &'static [&'static str])],
}

fn verify_side(a: Affects) -> bool {
    a != Affects::Sign
}
fn sign_side(a: Affects) -> bool {
    a != Affects::Verify
}
fn any(_: Affects) -> bool {
    true
}
fn none(_: Affects) -> bool {
    false
}

fn sub_page(name: &str) -> SubPage {
    match name {
        "verify" => SubPage {
            exit: EXIT_VERIFY,
            env: verify_side,
            files: &[],
            examples: &[
                (
                    "Verify HEAD, requiring a signer and issuer:",
                    &[
                        "gitseal verify HEAD --certificate-identity alice@example.com \\",
                        "    --certificate-oidc-issuer https://accounts.google.com",
                    ],
                ),
                (
                    "Verify everything main brings since v1.0, with the repository's policy file, as JSON:",
                    &["gitseal verify v1.0..main --policy .gitseal/policy.toml --format json"],
                ),
            ],
        },
        "verify-tag" => SubPage {
            exit: EXIT_VERIFY,
            env: verify_side,
            files: &[],
            examples: &[(
                "Verify a release tag:",
                &[
                    "gitseal verify-tag v1.0 --certificate-identity alice@example.com \\",
                    "    --certificate-oidc-issuer https://accounts.google.com",
                ],
            )],
        },
        "pre-receive" => SubPage {
            exit: &[
                ("0", "Every pushed ref passes: the push is accepted."),
                (
                    "1",
                    "Some object a ref would bring does not pass its ref's rules: the push is rejected.",
                ),
                (
                    "2",
                    "A usage or configuration error: the push is rejected, nothing was verified.",
                ),
            ],
            env: verify_side,
            files: &[(
                "hooks/pre-receive",
                "The hook that runs gitseal pre-receive on the server.",
            )],
            examples: &[(
                "A server's hooks/pre-receive:",
                &[
                    "#!/bin/sh",
                    "exec gitseal pre-receive --policy /etc/gitseal/policy.toml",
                ],
            )],
        },
        "bundle" => SubPage {
            exit: &[
                ("0", "The bundle and artifact were written."),
                (
                    "1",
                    "The signature does not verify, or cannot be exported (an online-mode signature has no embedded entry).",
                ),
                ("2", "A usage or configuration error (an unknown revision)."),
            ],
            env: verify_side,
            files: &[],
            examples: &[(
                "Export HEAD's signature for sigstore-python:",
                &["gitseal bundle HEAD --bundle commit.sigstore.json --artifact commit.artifact"],
            )],
        },
        "config" => SubPage {
            exit: &[
                (
                    "0",
                    "Every setting is usable: the signing settings, the trust root and the verification rules (the policy file is parsed and validated).",
                ),
                (
                    "2",
                    "A setting is unusable; the first problem is printed on standard error.",
                ),
            ],
            env: any,
            files: &[],
            examples: &[(
                "Show where each setting comes from, and check the policy file:",
                &["gitseal config"],
            )],
        },
        "setup" => SubPage {
            exit: &[
                (
                    "0",
                    "The git configuration is as gitseal needs it (changed, or already right).",
                ),
                (
                    "2",
                    "git could not read or write its configuration (for example setup without --global outside a repository).",
                ),
            ],
            env: none,
            files: &[],
            examples: &[(
                "Sign and verify with gitseal in every repository:",
                &[
                    "gitseal setup --global",
                    "git config --global commit.gpgsign true",
                ],
            )],
        },
        "completions" => SubPage {
            exit: &[("0", "The script was printed."), ("2", "An unknown shell.")],
            env: none,
            files: &[],
            examples: &[(
                "Install bash completions:",
                &["gitseal completions bash > ~/.local/share/bash-completion/completions/gitseal"],
            )],
        },
        "version" => SubPage {
            exit: &[("0", "Always.")],
            env: none,
            files: &[],
            examples: &[("Print the version:", &["gitseal version"])],
        },
        "doctor" => SubPage {
            exit: &[
                ("0", "Every check passed: signing would work."),
                ("1", "A check failed; its line says what to fix."),
                ("2", "A usage error."),
            ],
            env: any,
            files: &[],
            examples: &[(
                "Check this machine and repository, without the network:",
                &["gitseal doctor --offline"],
            )],
        },
        "cache" => SubPage {
            exit: &[
                (
                    "0",
                    "The status was printed, or every store gitseal can reach was cleared.",
                ),
                (
                    "2",
                    "A usage or configuration error (an unknown gitseal.credentialCache value).",
                ),
            ],
            env: sign_side,
            files: &[(
                "$XDG_RUNTIME_DIR/gitseal/",
                "The credential cache's file store, used only where the kernel keyring (macOS Keychain, Windows Credential Manager) is unavailable and the directory is private.",
            )],
            examples: &[
                (
                    "What is cached for this repository's identity, and until when:",
                    &["gitseal cache status"],
                ),
                (
                    "Forget the cached certificate (the next signature logs in again):",
                    &["gitseal cache clear"],
                ),
            ],
        },
        "trust" => SubPage {
            exit: &[
                ("0", "The trust root was refreshed (update, init) or shown."),
                (
                    "1",
                    "The repository's answer was refused (expired, rolled back, badly signed, too large, wrong hash); the last good trust root is kept.",
                ),
                (
                    "2",
                    "A usage or configuration error (a --root that is a URL or not a valid root).",
                ),
            ],
            env: any,
            files: &[(
                "$XDG_CACHE_HOME/gitseal/tuf/",
                "The TUF state: remote.json (the mirror trust init recorded) and, per repository, its trusted metadata, trusted_root.json, signing_config.v0.2.json and refreshed.json. TUF_ROOT replaces the directory.",
            )],
            examples: &[
                ("Refresh the trust root now:", &["gitseal trust update"]),
                (
                    "Use a private Sigstore's TUF repository, starting from a root.json checked out of band:",
                    &["gitseal trust init --mirror https://tuf.example.com --root root.json"],
                ),
                (
                    "What verification trusts, and since when:",
                    &["gitseal trust show"],
                ),
            ],
        },
        other => panic!("no man page text for subcommand {other}: add it to sub_page"),
    }
}

fn render_man(man: &Man, out: &mut Vec<u8>, options: bool) {
    man.render_title(out).unwrap();
    man.render_name_section(out).unwrap();
    man.render_synopsis_section(out).unwrap();
    man.render_description_section(out).unwrap();
    if options {
        man.render_options_section(out).unwrap();
    }
}

fn has_options(cmd: &clap::Command) -> bool {
    cmd.get_arguments().any(|a| !a.is_hide_set())
}

fn page(name: &'static str, section: &str) -> Man {
    Man::new(clap::Command::new(name))
        .title(name.to_string())
        .section(section)
        .date(DATE)
        .source(source())
        .manual(MANUAL)
}

/// Every page: (file name, contents).
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut root = gitseal::cli::commands::command();
    root.build();
    let subs: Vec<clap::Command> = root
        .get_subcommands()
        .filter(|s| s.get_name() != "help" && !s.is_hide_set())
        .cloned()
        .collect();
    let mut pages = Vec::new();

    // gitseal(1)
    let mut out = Vec::new();
    let man = Man::new(root.clone().after_help(""))
        .date(DATE)
        .source(source())
        .manual(MANUAL);
    render_man(&man, &mut out, true);
    let mut r = Roff::new();
    r.control("SH", ["SUBCOMMANDS"]);
    items(
        &mut r,
        &subs
            .iter()
            .map(|s| {
                (
                    format!("gitseal-{}(1)", s.get_name()),
                    s.get_about().map(|a| a.to_string()).unwrap_or_default(),
                )
            })
            .collect::<Vec<_>>(),
    );
    exit_status(
        &mut r,
        &[
            (
                "0",
                "A good signature (git's --verify), a signature made (--sign), or a subcommand that succeeded.",
            ),
            (
                "1",
                "A signature that is not good (bad, unverifiable, or a signer the rules do not allow), or signing that failed.",
            ),
            (
                "2",
                "A usage or configuration error: nothing was verified or signed.",
            ),
        ],
    );
    environment(
        &mut r,
        &any,
        "Every setting has a git config key or an environment variable, or both; a variable that is set wins over git config. gitseal-config(7) lists each with its default.",
    );
    files(
        &mut r,
        &[(
            "/dev/tty",
            "Where messages go while git signs (else standard error, and the log file if gitsign.logPath or GITSEAL_LOG is set): standard output carries only the signature.",
        )],
    );
    examples(
        &mut r,
        &[
            (
                "Configure git to sign and verify with gitseal:",
                &[
                    "gitseal setup --global",
                    "# or: git config --global gpg.format x509",
                    "#     git config --global gpg.x509.program gitseal",
                ],
            ),
            (
                "Sign and verify a commit:",
                &[
                    "git commit -S -m \"message\"",
                    "git verify-commit HEAD",
                    "git log --format='%h %G? %GS'",
                ],
            ),
        ],
    );
    let mut also: Vec<String> = subs
        .iter()
        .map(|s| format!("gitseal-{}(1)", s.get_name()))
        .collect();
    also.push("gitseal-policy(5)".into());
    also.push("gitseal-config(7)".into());
    see_also(&mut r, &also.iter().map(String::as_str).collect::<Vec<_>>());
    r.to_writer(&mut out).unwrap();
    pages.push(("gitseal.1".to_string(), out));

    // gitseal-SUB(1)
    for sub in &subs {
        let name = sub.get_name().to_string();
        let full = format!("gitseal-{name}");
        let cmd = sub
            .clone()
            // clap keeps names as `&'static str` (no `string` feature); a test may leak.
            .name(&*Box::leak(full.clone().into_boxed_str()))
            .bin_name(format!("gitseal {name}"));
        let man = Man::new(cmd.clone())
            .title(full.clone())
            .date(DATE)
            .source(source())
            .manual(MANUAL);
        let mut out = Vec::new();
        render_man(&man, &mut out, has_options(&cmd));
        let text = sub_page(&name);
        let mut r = Roff::new();
        exit_status(&mut r, text.exit);
        if (text.env)(Affects::Both) {
            environment(
                &mut r,
                &text.env,
                "A variable that is set wins over the git config key of the same setting (gitseal-config(7)).",
            );
        } else {
            section(
                &mut r,
                "ENVIRONMENT",
                &["No setting changes what this command does; PATH is searched as usual."],
            );
        }
        files(&mut r, text.files);
        examples(&mut r, text.examples);
        see_also(
            &mut r,
            &["gitseal(1)", "gitseal-config(7)", "gitseal-policy(5)"],
        );
        r.to_writer(&mut out).unwrap();
        pages.push((format!("{full}.1"), out));
    }
    pages.push(("gitseal-policy.5".to_string(), policy_page()));
    pages.push(("gitseal-config.7".to_string(), config_page()));
    pages
}

fn policy_page() -> Vec<u8> {
    let mut out = Vec::new();
    page("gitseal-policy", "5").render_title(&mut out).unwrap();
    let mut r = Roff::new();
    section(
        &mut r,
        "NAME",
        &["gitseal-policy - the gitseal verification policy file"],
    );
    section(
        &mut r,
        "SYNOPSIS",
        &[
            "A TOML file named by gitseal verify --policy FILE, the GITSEAL_POLICY variable or git config gitseal.policy (a relative path is relative to the top of the repository; ~/ is the home directory).",
        ],
    );
    section(
        &mut r,
        "DESCRIPTION",
        &[
            "The policy file says who may sign, optionally per ref, and whether unsigned and foreign-format (OpenPGP, SSH) objects pass. gitseal verify, gitseal verify-tag, gitseal pre-receive and git's own verification (git verify-commit, git log --show-signature) all apply it. An object signed with a good signature passes when an allow rule that applies to its ref admits the certificate: every constraint the rule sets must hold.",
            "Unknown keys, an allow rule without both an identity and an issuer constraint, empty values and invalid regular expressions are errors: the file is refused as a whole, nothing is verified, and the command exits with status 2 (gitseal config checks a file the same way).",
        ],
    );
    r.control("SH", ["KEYS"]);
    let mut keys: Vec<(String, String)> = [
        ("version", "Optional. The format version: 1, the only one there is. Any other number is refused, so a file written for a later format is never half-read."),
        ("unsigned", "\"reject\" (the default) or \"allow\": whether unsigned commits and tags pass."),
        ("foreign-format", "\"reject\" (the default) or \"allow\": whether objects signed with OpenPGP or SSH, which gitseal does not check, pass."),
        ("[merges]", "Optional table with unsigned and foreign-format keys for merge commits (two or more parents), for example a forge's merge button; each defaults to the top-level value."),
        ("[[allow]]", "An allow rule; there may be any number. Keys: name (for messages), identity and identity-regexp (the certificate's email or URI; a string or a list), issuer and issuer-regexp (the OIDC issuer; a string or a list), github (a table of GitHub workflow claims the certificate must carry), refs (full ref names the rule is limited to; * matches any run of characters). Regular expressions are unanchored, as cosign's."),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    keys.push((
        "github keys".into(),
        format!(
            "{}: each an exact value.",
            gitseal::policy::GithubClaim::ALL
                .iter()
                .map(|c| c.file_key())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ));
    items(&mut r, &keys);
    exit_status(
        &mut r,
        &[(
            "2",
            "Commands reading an invalid policy file exit with status 2 and verify nothing.",
        )],
    );
    section(
        &mut r,
        "ENVIRONMENT",
        &[
            "GITSEAL_POLICY names the file (it wins over git config gitseal.policy; --policy wins over both).",
        ],
    );
    r.control("SH", ["FILES"]);
    items(
        &mut r,
        &[(
            ".gitseal/policy.toml".into(),
            "A conventional place for a repository's policy file.".into(),
        )],
    );
    examples(
        &mut r,
        &[(
            "Maintainers anywhere, a release workflow on main and tags:",
            &[
                "version = 1",
                "unsigned = \"reject\"",
                "[merges]",
                "foreign-format = \"allow\"",
                "",
                "[[allow]]",
                "name = \"maintainers\"",
                "identity = [\"alice@example.com\", \"bob@example.com\"]",
                "issuer = \"https://accounts.google.com\"",
                "",
                "[[allow]]",
                "name = \"release bot\"",
                "identity-regexp = '^https://github\\.com/acme/app/'",
                "issuer = \"https://token.actions.githubusercontent.com\"",
                "github = { repository = \"acme/app\", trigger = \"push\" }",
                "refs = [\"refs/heads/main\", \"refs/tags/*\"]",
            ],
        )],
    );
    see_also(
        &mut r,
        &[
            "gitseal(1)",
            "gitseal-verify(1)",
            "gitseal-pre-receive(1)",
            "gitseal-config(7)",
        ],
    );
    r.to_writer(&mut out).unwrap();
    out
}

fn config_page() -> Vec<u8> {
    let mut out = Vec::new();
    page("gitseal-config", "7").render_title(&mut out).unwrap();
    let mut r = Roff::new();
    section(&mut r, "NAME", &["gitseal-config - every gitseal setting"]);
    section(
        &mut r,
        "DESCRIPTION",
        &[
            "Each setting is read from git config keys and environment variables. Precedence, lowest first: the default, then the git config keys in the order listed (gitsign.KEY, then gitseal.KEY), then the variables in the order listed (SIGSTORE_*, GITSIGN_*, GITSEAL_*); a variable counts only when it is set, and command-line flags win over everything. Every gitsign key and variable is honoured.",
            "gitseal config prints each setting's effective value and where it came from, and checks them.",
        ],
    );
    r.control("SH", ["SETTINGS"]);
    for s in table::ALL {
        r.control("TP", []);
        r.text([bold(s.name), roman(format!(" ({})", s.affects.word()))]);
        r.text([roman(doc(s.doc))]);
        let mut lines = Vec::new();
        if !s.git_keys.is_empty() {
            lines.push(format!("git config: {}", s.git_keys.join(", ")));
        }
        if !s.env.is_empty() {
            lines.push(format!("environment: {}", s.env.join(", ")));
        }
        lines.push(format!("default: {}", s.default));
        for l in lines {
            r.control("br", []);
            r.text([italic(l)]);
        }
    }
    exit_status(
        &mut r,
        &[(
            "2",
            "An invalid value makes every command exit with status 2, naming the key or variable it came from.",
        )],
    );
    environment(&mut r, &any, "Every variable above:");
    files(&mut r, &[]);
    examples(
        &mut r,
        &[
            (
                "Use a private Sigstore instance for this repository:",
                &[
                    "git config gitseal.fulcio https://fulcio.example.com",
                    "git config gitseal.rekor https://rekor.example.com",
                    "git config gitseal.trustedRoot /etc/sigstore/trusted_root.json",
                ],
            ),
            (
                "Require a signer in every verification of this repository:",
                &[
                    "git config gitseal.identity alice@example.com",
                    "git config gitseal.issuer https://accounts.google.com",
                ],
            ),
        ],
    );
    see_also(
        &mut r,
        &["gitseal(1)", "gitseal-config(1)", "gitseal-policy(5)"],
    );
    r.to_writer(&mut out).unwrap();
    out
}

fn man_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man")
}

#[test]
fn man_pages_are_current() {
    let dir = man_dir();
    let pages = pages();
    if std::env::var_os("GITSEAL_UPDATE_MAN").is_some() {
        for e in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        for (name, text) in &pages {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    let mut expected: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    expected.sort();
    assert_eq!(
        committed, expected,
        "man/ holds other pages than generated: run GITSEAL_UPDATE_MAN=1 cargo test --test integration docs"
    );
    for (name, text) in &pages {
        let on_disk = std::fs::read(dir.join(name)).unwrap_or_default();
        assert!(
            &on_disk == text,
            "man/{name} is stale: run GITSEAL_UPDATE_MAN=1 cargo test --test integration docs"
        );
    }
}

#[test]
fn man_pages_have_the_sections_and_refer_only_to_each_other() {
    let pages = pages();
    let names: Vec<String> = pages
        .iter()
        .map(|(n, _)| {
            let (stem, sect) = n.rsplit_once('.').unwrap();
            format!("{stem}({sect})")
        })
        .collect();
    let reference = regex::Regex::new(r"gitseal(?:\\-[a-z\\-]+)*\((\d)\)").unwrap();
    for (name, text) in &pages {
        let text = String::from_utf8_lossy(text);
        for s in ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"] {
            assert!(
                text.contains(&format!(".SH \"{s}\"")) || text.contains(&format!(".SH {s}")),
                "{name} has no {s}"
            );
        }
        assert!(!text.contains("EXTRA"), "{name} has an EXTRA section");
        assert!(
            text.lines().any(|l| l.starts_with(".TH ")
                && l.contains(&format!(
                    " {DATE} \"gitseal {}\"",
                    env!("CARGO_PKG_VERSION")
                ))),
            "{name}: no date and version in the footer"
        );
        for m in reference.find_iter(&text) {
            let r = m.as_str().replace("\\-", "-");
            assert!(
                names.contains(&r),
                "{name} refers to {r}, which does not exist"
            );
        }
    }
    assert!(names.contains(&"gitseal-verify(1)".to_string()));
    assert!(!names.contains(&"gitseal-help(1)".to_string()));
}

/// `man` itself must read every page without a warning (`man --warnings` turns on groff's).
#[test]
fn man_pages_render_without_warnings() {
    let man = std::process::Command::new("man").arg("--version").output();
    assert!(
        man.is_ok_and(|o| o.status.success()),
        "man is not installed: install man-db (.ci/run does)"
    );
    for (name, _) in pages() {
        let o = std::process::Command::new("man")
            .args(["--warnings", "-l"])
            .arg(man_dir().join(&name))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && err.trim().is_empty(),
            "man/{name}: {err}"
        );
        assert!(!o.stdout.is_empty(), "man/{name} rendered nothing");
    }
}
