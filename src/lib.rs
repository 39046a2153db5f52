//! gitseal: keyless Git signing and verification with Sigstore, a drop-in for gitsign.
//!
//! The library holds everything; `src/main.rs` only calls [`cli::run`]. One module per concept:
//!
//! | module | owns |
//! |---|---|
//! | [`cli`] | argument parsing (git's gpg-style argv and the human subcommands), plans, reading git config once per command, the one place that turns outcomes into status lines ([`cli::git_verify_report`]) and command errors into exit codes ([`cli::exit_code`]) |
//! | [`config`] | git config + environment → effective configuration (gitsign's keys and ours); the one reader of the process environment ([`config::Env`]) |
//! | [`clock`] | the wall clock: the one place that asks the system what time it is ([`clock::SystemClock`]; tests inject a [`clock::Clock`]) |
//! | [`gpg_status`] | the `[GNUPG:]` status-line protocol git reads |
//! | [`armor`] | every PEM text read or written (signature framing, certificate and key PEM, the testbed's too): the one writer (Go's `pem.EncodeToMemory` form) and three named reading levels — canonical for signatures in git objects, RFC 7468 strict for service answers, lenient (gitsign's readers) for configuration bundles |
//! | [`bundle`] | Sigstore bundle v0.3 export for independent verifiers |
//! | [`cms`] | RFC 5652 SignedData decoding (and encoding) in gitsign's layout |
//! | [`oids`] | every object identifier we read or write |
//! | [`git`] | git objects and history: the one commit/tag header parser, with git's rules ([`git::header`]); splitting commit/tag objects into payload and signature exactly as git does, object ids ([`git::object`]); the repository reader (gix): objects under the size limit, refs, peeling, a push's quarantine, the top directory relative settings are anchored to ([`git::repo`]); revision arguments and pushes → the commits and tags to verify, git's `limit_list` walk ([`git::walk`]) |
//! | [`trust`] | the Sigstore trust root (Fulcio CAs, Rekor keys, CT log keys) |
//! | [`tuf`] | keeping the trust root current: the TUF client (spec §5) over the one HTTP client, and the last good state on disk ([`tuf::cache`]) |
//! | [`rekor`] | transparency-log data: canonical bodies, entries, Merkle proofs, checkpoints; the Rekor v1 HTTP client ([`rekor::client`]) |
//! | [`net`] | network rules decided before a socket opens: HTTPS only ([`net::https`]), TLS trust anchors ([`net::tls`]: OS store, `SSL_CERT_FILE`/`SSL_CERT_DIR`, `gitseal.caBundle`), proxies with curl's rules ([`net::proxy`]) |
//! | [`transport`] | the HTTP client (timeouts, retries, size limits); the only module that opens sockets to services |
//! | [`fulcio`] | Fulcio certificate requests |
//! | [`oidc`] | getting an OIDC identity token (ambient CI, browser with PKCE, device code); starting the user's URL opener ([`oidc::opener`]) |
//! | [`sign`] | the signing sequence, and its two trust checks: the certificate Fulcio issued ([`sign::check_issued_certificate`]) and the finished signature ([`sign::verify_candidate`]); `gitsign.matchCommitter` is decided in [`policy::committer`] |
//! | [`credcache`] | the signing credential cache (issue 12): an interactive or device login's ephemeral key + Fulcio leaf in the OS secret store (or a private runtime-directory file), keyed by who the certificate speaks for and checked before every reuse |
//! | [`pubkey`] | ECDSA P-256/P-384 verifying keys |
//! | [`tlv`] | raw DER slices where signatures cover received bytes |
//! | [`x509`] | facts about certificates: raw TBS, SANs, Fulcio extensions, fingerprints |
//! | [`verify`] | the verification pipeline, policy-free: typed, sealed evidence ([`verify::Verified`] carries the leaf it proved; no trust level) and reasons |
//! | [`check`] | **judging one repository object**, as a library a forge or CI tool can call: [`check::Checker`] (trust root + [`check::Rules`] + lookup; [`check::Checker::check_signature`] for one signature, [`check::Checker::check`] for one object read from a repository, deciding whether it passes); what was found ([`check::report`]: [`check::Verdict`], [`check::Report`] with its outcome word, reason code and JSON, [`check::Summary`]); many objects on all cores in a deterministic order ([`check::runner`]); Rekor lookups for online-mode signatures ([`check::lookup`]) and the on-disk cache of verified entries ([`check::cache`]) |
//! | [`policy`] | **the trust decision**, made once on verification's evidence for git's path, `gitseal verify` and pre-receive ([`policy::judge`] → [`policy::Judged`]): who may sign and at which trust level ([`policy::Policy::decide`], the committer rule); at signing time, whether the certificate Fulcio issued is the configured committer's (`gitsign.matchCommitter`, [`policy::committer::matches`]); identity matchers; the GitHub claims as an enum ([`policy::GithubClaim`]); identity flags / git config → a policy ([`policy::PolicyArgs::build`]); the TOML policy file with its per-ref allow rules, unsigned and foreign-format objects ([`policy::file`]) |
//!
//! The edges of the process each have one owner, and `scripts/clippy.toml` refuses them
//! anywhere else (`disallowed-methods`/`-macros`; `scripts/test` runs clippy with it): the
//! environment is read by [`config::Env::from_process`], the wall clock by [`clock`], processes
//! are started by [`config`] (`git config`) and [`oidc::opener`] (the URL opener), and the
//! standard streams are written by [`cli`] only. The `testbed` feature and tests are exempt.
#![forbid(unsafe_code)]
// Unit tests may read the environment and the clock, run git and openssl, and print: the
// edges scripts/clippy.toml gives one owner each are checked in the library proper (clippy
// `--all-targets` lints it once without `cfg(test)`).
#![cfg_attr(test, allow(clippy::disallowed_methods, clippy::disallowed_macros))]

pub mod armor;
pub mod bundle;
pub mod check;
pub mod cli;
pub mod clock;
pub mod cms;
pub mod config;
pub mod credcache;
pub mod fulcio;
pub mod git;
pub mod gpg_status;
pub mod net;
pub mod oidc;
pub mod oids;
pub mod policy;
pub mod pubkey;
pub mod rekor;
pub mod sign;
pub mod tlv;
pub mod transport;
pub mod trust;
pub mod tsa;
pub mod tuf;
pub mod verify;
pub mod x509;

// The testbed is the server side, a separate program in all but crate: it owns its own edges
// (clock, environment, printing), and none of them is gitseal's.
#[cfg(feature = "testbed")]
#[allow(clippy::disallowed_methods, clippy::disallowed_macros)]
pub mod testbed;
