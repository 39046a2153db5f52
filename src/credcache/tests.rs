//! Unit tests of the credential cache: keying, the entry format, every refusal of [`check`],
//! the setting, the file fallback's directory rules and the lock. The trust-root positive path
//! and the kernel keyring run end to end in tests/integration/credential_cache.rs.

use super::*;
use crate::fulcio::tests::fulcio_like_leaf;
use p256::elliptic_curve::Generate as _;
use std::path::PathBuf;

const EMAIL: &str = "dev@example.test";

fn id<'a>(fulcio: &'a str, email: &'a str) -> Identity<'a> {
    Identity {
        fulcio_url: fulcio,
        issuer: "https://issuer.example",
        client_id: "sigstore",
        connector_id: "",
        email,
    }
}

#[test]
fn every_identity_field_changes_the_key() {
    let base = id("https://fulcio.example", EMAIL);
    let k = CacheKey::new(&base);
    assert_eq!(k, CacheKey::new(&base), "stable");
    assert_eq!(k.hex().len(), 64);
    let variants = [
        Identity {
            fulcio_url: "https://fulcio.other",
            ..base
        },
        Identity {
            issuer: "https://issuer.other",
            ..base
        },
        Identity {
            client_id: "other",
            ..base
        },
        Identity {
            connector_id: "github",
            ..base
        },
        Identity {
            email: "other@example.test",
            ..base
        },
    ];
    for v in variants {
        assert_ne!(CacheKey::new(&v), k, "{v:?}");
    }
    // Length prefixes: moving bytes between fields gives another key.
    let a = Identity {
        client_id: "ab",
        connector_id: "c",
        ..base
    };
    let b = Identity {
        client_id: "a",
        connector_id: "bc",
        ..base
    };
    assert_ne!(CacheKey::new(&a), CacheKey::new(&b));
}

fn ca() -> p384::ecdsa::SigningKey {
    p384::ecdsa::SigningKey::try_generate().unwrap()
}

#[test]
fn entries_round_trip_and_hostile_bytes_are_refused() {
    let key = SigningKey::try_generate().unwrap();
    let leaf = fulcio_like_leaf(key.verifying_key(), &ca(), EMAIL);
    let bytes = encode(&key, &leaf).unwrap();
    assert!(bytes.len() <= MAX_ENTRY, "{}", bytes.len());
    let back = decode(&bytes).unwrap();
    assert_eq!(back.key.to_bytes(), key.to_bytes());
    assert_eq!(back.leaf_der, leaf);
    // The Debug form never shows the key.
    assert!(format!("{back:?}").contains("redacted"));

    let malformed = |b: &[u8]| matches!(decode(b), Err(Refusal::Malformed(_)));
    assert!(malformed(b""));
    assert!(malformed(b"not an entry"));
    assert!(malformed(&bytes[..bytes.len() - 1]), "truncated");
    let mut trailing = bytes.to_vec();
    trailing.push(0);
    assert!(malformed(&trailing), "trailing bytes");
    let mut long = bytes.to_vec();
    long.resize(MAX_ENTRY + 1, 0);
    assert!(malformed(&long), "oversized");
    // A key part that is not PKCS#8 P-256.
    let mut junk_key = MAGIC.to_vec();
    junk_key.extend_from_slice(&[0, 3, 1, 2, 3, 0, 1, 0]);
    assert!(malformed(&junk_key));
}

#[test]
fn check_refuses_another_key_another_email_expiry_and_another_ca() {
    let key = SigningKey::try_generate().unwrap();
    let leaf_der = fulcio_like_leaf(key.verifying_key(), &ca(), EMAIL);
    let leaf = Cert::from_der(&leaf_der).unwrap();
    let trust = TrustRoot::public_good().unwrap();
    let now = leaf.not_before + 60;
    let cred = |k: &SigningKey| Credential {
        key: k.clone(),
        leaf_der: leaf_der.clone(),
    };

    // Wrong key: the leaf is another key's.
    let other = SigningKey::try_generate().unwrap();
    assert_eq!(
        check(cred(&other), &trust, EMAIL, now).err(),
        Some(Refusal::WrongKey)
    );
    // Another email (case does not matter, the address does).
    let e = check(cred(&key), &trust, "eve@example.test", now).err();
    assert!(matches!(e, Some(Refusal::OtherIdentity { .. })), "{e:?}");
    let e = check(cred(&key), &trust, "", now).err();
    assert!(matches!(e, Some(Refusal::OtherIdentity { .. })), "{e:?}");
    // Expired, and within MIN_REMAINING of the end.
    for t in [leaf.not_after + 1, leaf.not_after - MIN_REMAINING + 1] {
        let e = check(cred(&key), &trust, EMAIL, t).err();
        assert!(matches!(e, Some(Refusal::Expiring { .. })), "{t}: {e:?}");
    }
    assert_eq!(
        check(
            cred(&key),
            &trust,
            EMAIL,
            leaf.not_before - crate::sign::CLOCK_SKEW - 1
        )
        .err(),
        Some(Refusal::NotYetValid)
    );
    // Everything else right, but the CA is not the trust root's.
    let e = check(cred(&key), &trust, &EMAIL.to_uppercase(), now).err();
    match e {
        Some(Refusal::Untrusted(d)) => assert!(d.contains("[chain-untrusted]"), "{d}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn utc_text_is_rfc3339() {
    assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
    assert_eq!(utc_text(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(utc_text(1_796_294_820), "2026-12-03T10:47:00Z");
    assert_eq!(utc_text(-1), "1969-12-31T23:59:59Z");
}

#[test]
fn remaining_is_said_in_minutes_or_seconds() {
    assert_eq!(remaining_text(7 * 60 + 59), "7 min");
    assert_eq!(remaining_text(60), "1 min");
    assert_eq!(remaining_text(45), "45 s");
    assert_eq!(remaining_text(-5), "0 s");
}

fn git(pairs: &[(&str, &str)]) -> GitConfig {
    let mut z = Vec::new();
    for (k, v) in pairs {
        z.extend_from_slice(format!("{k}\n{v}\0").as_bytes());
    }
    GitConfig::parse_z(&z)
}

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

#[test]
fn the_setting_and_gitsigns_variable() {
    let none = git(&[]);
    assert_eq!(Mode::resolve(&none, &env(&[])).unwrap(), Mode::Auto);
    let off = git(&[("gitseal.credentialcache", "false")]);
    assert_eq!(Mode::resolve(&off, &env(&[])).unwrap(), Mode::Off);
    assert_eq!(
        Mode::resolve(&none, &env(&[("GITSEAL_CREDENTIAL_CACHE", "0")])).unwrap(),
        Mode::Off
    );
    // gitsign's variable holds a socket path: any value means "cache", and it overrides git
    // config like every GITSIGN_* variable...
    assert_eq!(
        Mode::resolve(
            &off,
            &env(&[("GITSIGN_CREDENTIAL_CACHE", "/run/user/1/cache.sock")])
        )
        .unwrap(),
        Mode::Auto
    );
    // ...and gitseal's own variable wins over it.
    assert_eq!(
        Mode::resolve(
            &none,
            &env(&[
                ("GITSIGN_CREDENTIAL_CACHE", "/x.sock"),
                ("GITSEAL_CREDENTIAL_CACHE", "off")
            ])
        )
        .unwrap(),
        Mode::Off
    );
    for (v, want) in [
        ("file", Mode::File),
        ("KEYRING", Mode::Keyring),
        ("yes", Mode::Auto),
    ] {
        assert_eq!(
            Mode::resolve(&none, &env(&[("GITSEAL_CREDENTIAL_CACHE", v)])).unwrap(),
            want
        );
    }
    let e = Mode::resolve(&git(&[("gitseal.credentialcache", "maybe")]), &env(&[])).unwrap_err();
    assert!(e.to_string().contains("gitseal.credentialCache"), "{e}");
}

#[cfg(unix)]
#[test]
fn file_store_needs_a_private_runtime_dir_outside_home() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let run_s = run.to_str().unwrap();
    let e = |pairs: &[(&str, &str)]| FileStore::open(&env(pairs)).err().unwrap_or_default();

    assert!(e(&[]).contains("not set"));
    assert!(e(&[("XDG_RUNTIME_DIR", "relative/dir")]).contains("not absolute"));
    assert!(
        e(&[
            ("XDG_RUNTIME_DIR", run_s),
            ("HOME", tmp.path().to_str().unwrap())
        ])
        .contains("under HOME")
    );
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(e(&[("XDG_RUNTIME_DIR", run_s)]).contains("open to others"));
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();

    let store = FileStore::open(&env(&[("XDG_RUNTIME_DIR", run_s)])).unwrap();
    let backend = Backend::File(store);
    let key = CacheKey::new(&id("https://f", EMAIL));
    assert_eq!(backend.get(&key).unwrap(), None);
    backend.put(&key, b"entry", 600).unwrap();
    assert_eq!(backend.get(&key).unwrap().unwrap().as_slice(), b"entry");
    let Backend::File(f) = &backend else {
        unreachable!()
    };
    let path = f.dir().join(format!("cred-{}", key.hex()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(f.dir()).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // An entry others could have read (or written) is not trusted.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(backend.get(&key).is_err());
    backend.delete(&key).unwrap();
    backend.delete(&key).unwrap();
    assert_eq!(backend.get(&key).unwrap(), None);
    assert!(backend.put(&key, &[0; MAX_ENTRY + 1], 600).is_err());
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(f.dir()).unwrap().collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn the_lock_is_exclusive_until_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Some(tmp.path().join("locks"));
    let key = CacheKey::new(&id("https://f", EMAIL));
    let clock = crate::clock::SystemClock;
    let held = Lock::acquire(&dir, &key, &clock).unwrap();
    // Another open file description (as another process has) cannot take it meanwhile.
    let other = std::fs::OpenOptions::new()
        .write(true)
        .open(tmp.path().join("locks").join(format!("lock-{}", key.hex())))
        .unwrap();
    assert!(matches!(
        other.try_lock(),
        Err(std::fs::TryLockError::WouldBlock)
    ));
    drop(held);
    assert!(other.try_lock().is_ok());
    other.unlock().unwrap();
    // No directory: signing goes on without a lock.
    assert!(Lock::acquire(&None, &key, &clock).is_none());
}

#[cfg(target_os = "linux")]
#[test]
fn lock_dir_prefers_the_private_runtime_dir_then_the_cache_dir() {
    use std::os::unix::fs::PermissionsExt as _;
    // The kernel keyring works on this machine and in CI: the keyutils backend runs for real.
    let keyring = || Backend::Keyring(Keyring::open().expect("kernel keyring"));
    let e = env(&[("HOME", "/home/u")]);
    assert_eq!(
        store::lock_dir(&keyring(), &e),
        Some(PathBuf::from("/home/u/.cache/gitseal/locks"))
    );
    let e = env(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/c")]);
    assert_eq!(
        store::lock_dir(&keyring(), &e),
        Some(PathBuf::from("/c/gitseal/locks"))
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let e = env(&[
        ("HOME", "/home/u"),
        ("XDG_RUNTIME_DIR", tmp.path().to_str().unwrap()),
    ]);
    assert_eq!(
        store::lock_dir(&keyring(), &e),
        Some(tmp.path().join("gitseal"))
    );
    assert_eq!(store::lock_dir(&keyring(), &env(&[])), None);
}

/// A terminal sink the test can read.
#[derive(Clone, Default)]
struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

#[cfg(unix)]
#[test]
fn the_cache_stores_only_the_committers_certificate_and_refuses_what_does_not_verify() {
    use crate::sign::CredentialCache as _;
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let env = env(&[("XDG_RUNTIME_DIR", tmp.path().to_str().unwrap())]);
    let trust = TrustRoot::public_good().unwrap();
    let clock = crate::clock::SystemClock;
    let ident = id("https://fulcio.example", EMAIL);
    let key = CacheKey::new(&ident);
    let ca = ca();
    let sink = Sink::default();
    let open = || {
        Cache::open(
            Mode::File,
            &ident,
            &env,
            &trust,
            &clock,
            Box::new(sink.clone()),
        )
        .unwrap()
    };
    let chain = |k: &SigningKey, email: &str| FulcioChain {
        leaf_der: fulcio_like_leaf(k.verifying_key(), &ca, email),
        chain_der: vec![],
        detached_sct: None,
    };
    let signing_key = SigningKey::try_generate().unwrap();

    // Another identity's certificate is not stored.
    let mut cache = open();
    assert!(cache.backend().name().starts_with("file "));
    cache.store(&signing_key, &chain(&signing_key, "eve@example.test"));
    assert!(cache.backend().get(&key).unwrap().is_none());
    assert!(
        sink.text()
            .contains("the certificate was not cached (the certificate is for eve@example.test"),
        "{}",
        sink.text()
    );
    // Nor a certificate of another key.
    let other = SigningKey::try_generate().unwrap();
    cache.store(&signing_key, &chain(&other, EMAIL));
    assert!(cache.backend().get(&key).unwrap().is_none());
    drop(cache);

    // The committer's is stored; read back, it is refused (its CA is not the trust root's)
    // and deleted.
    let mut cache = open();
    cache.store(&signing_key, &chain(&signing_key, EMAIL));
    assert!(cache.backend().get(&key).unwrap().is_some());
    drop(cache);
    let mut cache = open();
    assert!(cache.load().is_none());
    assert!(
        sink.text().contains(
            "the cached certificate was not used: the certificate does not verify against the trust root"
        ),
        "{}",
        sink.text()
    );
    assert!(cache.backend().get(&key).unwrap().is_none());
    // No user.email: no cache at all, with the reason.
    let no_email = id("https://fulcio.example", "");
    let e = Cache::open(
        Mode::File,
        &no_email,
        &env,
        &trust,
        &clock,
        Box::new(sink.clone()),
    )
    .err()
    .unwrap();
    assert!(e.contains("user.email is not set"), "{e}");
}
