//! The testbed's TUF repository (`{base}/tuf/`), checked with an independent TUF client:
//! python-tuf's `ngclient.Updater` (from the peers venv `scripts/install-peers` makes), unchanged.
//! It must refresh, download `trusted_root.json` and `signing_config.v0.2.json` with the hashes
//! of the files the testbed wrote, follow a root rotation, see a Fulcio CA rotation, and refuse
//! every switch that breaks the repository (expired roles, rolled-back versions): python-tuf's
//! refusal is the proof that each switch does what it says.
#![cfg(feature = "testbed")]
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gitseal::testbed::tuf::Role;
use gitseal::testbed::{Testbed, TestbedConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Refresh with python-tuf, download both targets, print one JSON line: the targets' SHA-256,
/// the root version reached, or the exception python-tuf raised.
const REFRESH_PY: &str = r#"
import hashlib, json, os, shutil, sys
from tuf.ngclient import Updater

meta_dir, url, root_path, target_dir = sys.argv[1:5]
os.makedirs(meta_dir, exist_ok=True)
os.makedirs(target_dir, exist_ok=True)
if not os.path.exists(os.path.join(meta_dir, "root.json")):
    shutil.copy(root_path, os.path.join(meta_dir, "root.json"))
try:
    u = Updater(metadata_dir=meta_dir, metadata_base_url=url + "/",
                target_dir=target_dir, target_base_url=url + "/targets/", bootstrap=None)
    u.refresh()
    out = {}
    for name in ["trusted_root.json", "signing_config.v0.2.json"]:
        info = u.get_targetinfo(name)
        if info is None:
            raise LookupError("no target " + name)
        path = u.download_target(info, filepath=os.path.join(target_dir, name))
        with open(path, "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(meta_dir, "root.json"), "rb") as f:
        root_version = json.load(f)["signed"]["version"]
    print(json.dumps({"ok": True, "targets": out, "rootVersion": root_version}))
except Exception as e:
    print(json.dumps({"ok": False, "error": type(e).__name__, "message": str(e)}))
"#;

fn python() -> PathBuf {
    let cli = super::common::sigstore_python();
    cli.parent().expect("venv bin").join("python")
}

fn quick() -> TestbedConfig {
    TestbedConfig {
        hang_limit: Duration::from_secs(10),
        ..TestbedConfig::default()
    }
}

/// A python-tuf client with its own metadata directory (kept between refreshes, as a real
/// client's is).
struct Client {
    work: tempfile::TempDir,
    root: PathBuf,
}

impl Client {
    fn new(root: &Path) -> Client {
        let work = tempfile::tempdir().expect("tempdir");
        std::fs::write(work.path().join("refresh.py"), REFRESH_PY).expect("script");
        Client {
            work,
            root: root.to_owned(),
        }
    }

    fn refresh(&self, tb: &Testbed) -> Value {
        self.refresh_url(&tb.tuf_url())
    }

    fn refresh_url(&self, url: &str) -> Value {
        let out = Command::new(python())
            .arg(self.work.path().join("refresh.py"))
            .arg(self.work.path().join("metadata"))
            .arg(url)
            .arg(&self.root)
            .arg(self.work.path().join("targets"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.work.path())
            .output()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line).unwrap_or_else(|e| {
            panic!(
                "python-tuf printed no result ({e}): {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    fn refresh_ok(&self, tb: &Testbed) -> Value {
        let r = self.refresh(tb);
        assert_eq!(r["ok"], true, "python-tuf must accept the repository: {r}");
        r
    }

    fn refused(&self, tb: &Testbed, error: &str) {
        let r = self.refresh(tb);
        assert_eq!(r["ok"], false, "python-tuf must refuse: {r}");
        assert_eq!(r["error"], error, "{r}");
    }
}

fn sha256_file(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}

fn assert_targets_are_the_files(tb: &Testbed, r: &Value) {
    assert_eq!(
        r["targets"]["trusted_root.json"],
        sha256_file(tb.trusted_root_path()),
        "{r}"
    );
    assert_eq!(
        r["targets"]["signing_config.v0.2.json"],
        sha256_file(tb.signing_config_path()),
        "{r}"
    );
}

#[test]
fn python_tuf_refreshes_from_the_testbed_repository() {
    let tb = Testbed::start(quick()).expect("testbed");
    assert!(tb.tuf_root_path().exists(), "DIR/tuf-root.json is written");
    let client = Client::new(&tb.tuf_root_path());
    let r = client.refresh_ok(&tb);
    assert_targets_are_the_files(&tb, &r);
    assert_eq!(r["rootVersion"], 1);
    // Consistent snapshots: versioned metadata and hash-prefixed targets, as the spec names them.
    let v = tb.tuf().versions();
    for name in [
        "1.root.json".to_owned(),
        format!("{}.targets.json", v.targets),
        format!("{}.snapshot.json", v.snapshot),
        "timestamp.json".to_owned(),
        format!(
            "targets/{}.trusted_root.json",
            sha256_file(tb.trusted_root_path())
        ),
    ] {
        let url = format!("{}/{name}", tb.tuf_url());
        let mut resp = ureq::get(&url).call().expect("served");
        assert_eq!(resp.status().as_u16(), 200, "{url}");
        let _ = resp.body_mut().read_to_vec();
    }
    for bad in [
        "../state/tuf.json",
        "nope.json",
        ".hidden",
        "targets/../1.root.json",
    ] {
        let url = format!("{}/{bad}", tb.tuf_url());
        let status = match ureq::get(&url).call() {
            Ok(r) => r.status().as_u16(),
            Err(ureq::Error::StatusCode(s)) => s,
            Err(e) => panic!("{url}: {e}"),
        };
        assert_eq!(status, 404, "{url}");
    }

    // A second refresh with the same metadata directory is a no-op that still succeeds.
    client.refresh_ok(&tb);
}

#[test]
fn python_tuf_follows_a_root_rotation() {
    let tb = Testbed::start(quick()).expect("testbed");
    let before = Client::new(&tb.tuf_root_path());
    before.refresh_ok(&tb);
    tb.tuf().rotate_root().expect("rotates");
    tb.tuf().rotate_root().expect("rotates again");
    // A client that had version 1 walks 1 → 2 → 3, each signed by the previous and the new key.
    let r = before.refresh_ok(&tb);
    assert_eq!(r["rootVersion"], 3, "{r}");
    assert_targets_are_the_files(&tb, &r);
    // So does a new client given the first root.
    let fresh = Client::new(&tb.tuf_root_path());
    assert_eq!(fresh.refresh_ok(&tb)["rootVersion"], 3);
    // The first root is still what DIR/tuf-root.json holds.
    let root: Value =
        serde_json::from_slice(&std::fs::read(tb.tuf_root_path()).expect("read")).expect("json");
    assert_eq!(root["signed"]["version"], 1);
}

#[test]
fn python_tuf_refuses_expired_roles() {
    let tb = Testbed::start(quick()).expect("testbed");
    for role in [Role::Timestamp, Role::Snapshot, Role::Targets, Role::Root] {
        tb.tuf().expire(role).expect("expires");
        let client = Client::new(&tb.tuf_root_path());
        client.refused(&tb, "ExpiredMetadataError");
        // Publishing fresh versions repairs the repository.
        tb.tuf().publish().expect("publishes");
        client.refresh_ok(&tb);
    }
}

#[test]
fn python_tuf_refuses_rolled_back_versions() {
    let tb = Testbed::start(quick()).expect("testbed");
    // Nothing to roll back to yet.
    assert!(tb.tuf().rollback(Role::Timestamp).is_err());
    assert!(tb.tuf().rollback(Role::Root).is_err());
    for role in [Role::Timestamp, Role::Snapshot, Role::Targets] {
        let client = Client::new(&tb.tuf_root_path());
        tb.tuf().publish().expect("publishes");
        client.refresh_ok(&tb);
        tb.tuf().rollback(role).expect("rolls back");
        client.refused(&tb, "BadVersionNumberError");
        // A client that never saw the newer version has nothing to compare with: a rollback
        // is only detectable against what a client already trusts (TUF §5.4.3, §5.5.5).
        Client::new(&tb.tuf_root_path()).refresh_ok(&tb);
        tb.tuf().publish().expect("publishes");
        client.refresh_ok(&tb);
    }
}

#[test]
fn python_tuf_sees_a_fulcio_ca_rotation() {
    let mut tb = Testbed::start(quick()).expect("testbed");
    let client = Client::new(&tb.tuf_root_path());
    let before = client.refresh_ok(&tb);
    let old_intermediate = tb.trust().fulcio_intermediate_pem.clone();
    tb.rotate_fulcio_ca().expect("rotates");
    let after = client.refresh_ok(&tb);
    assert_ne!(
        before["targets"]["trusted_root.json"],
        after["targets"]["trusted_root.json"]
    );
    assert_targets_are_the_files(&tb, &after);
    // The published root keeps the old CA (now ended) and adds the new one.
    let root: Value = serde_json::from_str(
        &std::fs::read_to_string(client.work.path().join("targets/trusted_root.json"))
            .expect("downloaded"),
    )
    .expect("json");
    let cas = root["certificateAuthorities"].as_array().expect("CAs");
    assert_eq!(cas.len(), 2, "{root}");
    assert!(cas[0]["validFor"]["end"].is_string());
    assert!(cas[1]["validFor"].get("end").is_none());
    // Fulcio now issues from the new CA: its trust bundle is the new chain.
    let mut resp = ureq::get(&format!("{}/api/v2/trustBundle", tb.base_url()))
        .call()
        .expect("trust bundle");
    let bundle: Value = resp.body_mut().read_json().expect("json");
    let served = bundle["chains"][0]["certificates"][0]
        .as_str()
        .expect("pem")
        .to_owned();
    assert_eq!(served, tb.trust().fulcio_intermediate_pem);
    assert_ne!(served, old_intermediate);
    let new_chain = cas[1]["certChain"]["certificates"][0]["rawBytes"]
        .as_str()
        .expect("b64");
    let pem_body: String = served.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(pem_body, new_chain);
}

#[test]
fn a_restart_publishes_forward_never_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = TestbedConfig {
        dir: Some(dir.path().to_owned()),
        ..quick()
    };
    let tb = Testbed::start(config.clone()).expect("first start");
    let root_path = tb.tuf_root_path();
    let client = Client::new(&root_path);
    client.refresh_ok(&tb);
    tb.tuf().rotate_root().expect("rotates");
    let first = tb.tuf().versions();
    drop(tb);
    // A new port means new URLs in trusted_root.json: a new targets version, same keys.
    let tb = Testbed::start(config).expect("restart");
    let second = tb.tuf().versions();
    assert!(second.targets > first.targets, "{first:?} → {second:?}");
    assert!(second.timestamp > first.timestamp);
    assert_eq!(second.root, first.root);
    let r = client.refresh_ok(&tb);
    assert_eq!(r["rootVersion"], 2);
    assert_targets_are_the_files(&tb, &r);
}

#[test]
fn tuf_switches_over_the_admin_api() {
    let tb = Testbed::start(quick()).expect("testbed");
    let url = format!("{}/__testbed/tuf", tb.base_url());
    let post = |body: &str| -> (u16, String) {
        match ureq::post(&url)
            .header("Content-Type", "application/json")
            .send(body)
        {
            Ok(mut r) => (
                r.status().as_u16(),
                r.body_mut().read_to_string().unwrap_or_default(),
            ),
            Err(ureq::Error::StatusCode(s)) => (s, String::new()),
            Err(e) => panic!("{e}"),
        }
    };
    let (status, body) = post(r#"{"action":"expire","role":"timestamp"}"#);
    assert_eq!(status, 200, "{body}");
    Client::new(&tb.tuf_root_path()).refused(&tb, "ExpiredMetadataError");
    assert_eq!(post(r#"{"action":"publish"}"#).0, 200);
    assert_eq!(post(r#"{"action":"rotateRoot"}"#).0, 200);
    assert_eq!(
        Client::new(&tb.tuf_root_path()).refresh_ok(&tb)["rootVersion"],
        2
    );
    for bad in [
        r#"{"action":"expire"}"#,
        r#"{"action":"expire","role":"mirror"}"#,
        r#"{"action":"explode"}"#,
        r#"{"action":"publish","extra":1}"#,
        r#"{"action":"rollback","role":"root"}"#,
    ] {
        assert_eq!(post(bad).0, 400, "{bad}");
    }
}

#[test]
fn gitseal_testbed_tuf_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = env!("CARGO_BIN_EXE_gitseal-testbed");
    let mut server = Command::new(exe)
        .args(["serve", "--stop-on-stdin-eof", "--dir"])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let env = dir.path().join("env");
    let t0 = std::time::Instant::now();
    while !env.exists() && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let info: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("testbed.json")).expect("testbed.json"),
    )
    .expect("json");
    let url = info["tufUrl"].as_str().expect("tufUrl").to_owned();
    assert_eq!(
        info["tufRoot"].as_str(),
        Some(dir.path().join("tuf-root.json").to_str().expect("utf-8"))
    );
    let tuf = |args: &[&str]| {
        Command::new(exe)
            .arg("tuf")
            .arg("--dir")
            .arg(dir.path())
            .args(args)
            .output()
            .expect("runs")
    };
    let client = Client::new(&dir.path().join("tuf-root.json"));
    assert_eq!(client.refresh_url(&url)["ok"], true);
    let out = tuf(&["expire", "snapshot"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = Client::new(&dir.path().join("tuf-root.json")).refresh_url(&url);
    assert_eq!(r["error"], "ExpiredMetadataError", "{r}");
    assert!(tuf(&["publish"]).status.success());
    assert!(
        tuf(&["tamper-target", "trusted_root.json"])
            .status
            .success()
    );
    let r = Client::new(&dir.path().join("tuf-root.json")).refresh_url(&url);
    assert_eq!(r["error"], "LengthOrHashMismatchError", "{r}");
    assert!(
        tuf(&["endless-timestamp", "--bytes", "100000"])
            .status
            .success()
    );
    let r = Client::new(&dir.path().join("tuf-root.json")).refresh_url(&url);
    assert_eq!(r["error"], "DownloadLengthMismatchError", "{r}");
    assert!(tuf(&["publish"]).status.success());
    assert!(tuf(&["rotate-root"]).status.success());
    let shown = tuf(&["show"]);
    let v: Value = serde_json::from_slice(&shown.stdout).expect("show prints JSON");
    assert_eq!(v["root"], 2, "{v}");
    assert_eq!(client.refresh_url(&url)["rootVersion"], 2);
    let bad = tuf(&["rollback", "root"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("root cannot be rolled back"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    drop(server.stdin.take());
    let _ = server.wait();
}

#[test]
fn python_tuf_refuses_a_tampered_target_and_endless_metadata() {
    let tb = Testbed::start(quick()).expect("testbed");
    for target in ["trusted_root.json", "signing_config.v0.2.json"] {
        tb.tuf().tamper_target(target).expect("tampers");
        Client::new(&tb.tuf_root_path()).refused(&tb, "LengthOrHashMismatchError");
        tb.tuf().publish().expect("publishes");
        Client::new(&tb.tuf_root_path()).refresh_ok(&tb);
    }
    assert!(tb.tuf().tamper_target("root.json").is_err());
    // python-tuf stops reading timestamp.json at 16 KiB.
    tb.tuf().endless_timestamp(1024 * 1024).expect("pads");
    Client::new(&tb.tuf_root_path()).refused(&tb, "DownloadLengthMismatchError");
    tb.tuf().publish().expect("publishes");
    Client::new(&tb.tuf_root_path()).refresh_ok(&tb);
    assert!(
        tb.tuf()
            .endless_timestamp(gitseal::testbed::tuf::ENDLESS_MAX_BYTES + 1)
            .is_err()
    );
}

#[test]
fn a_fulcio_ca_rotation_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = TestbedConfig {
        dir: Some(dir.path().to_owned()),
        ..quick()
    };
    let mut tb = Testbed::start(config.clone()).expect("first start");
    tb.rotate_fulcio_ca().expect("rotates");
    tb.rotate_fulcio_ca().expect("rotates again");
    let rotated = tb.trust().fulcio_intermediate_pem.clone();
    let client = Client::new(&tb.tuf_root_path());
    client.refresh_ok(&tb);
    drop(tb);
    let tb = Testbed::start(config).expect("restart");
    // Fulcio still issues from the newest CA, and the published root keeps all three windows.
    assert_eq!(tb.trust().fulcio_intermediate_pem, rotated);
    let mut resp = ureq::get(&format!("{}/api/v2/trustBundle", tb.base_url()))
        .call()
        .expect("trust bundle");
    let bundle: Value = resp.body_mut().read_json().expect("json");
    assert_eq!(bundle["chains"][0]["certificates"][0], rotated.as_str());
    let r = client.refresh_ok(&tb);
    assert_targets_are_the_files(&tb, &r);
    let root: Value = serde_json::from_str(tb.trusted_root_json()).expect("json");
    let cas = root["certificateAuthorities"].as_array().expect("CAs");
    assert_eq!(cas.len(), 3, "{root}");
    assert!(cas[0]["validFor"]["end"].is_string() && cas[1]["validFor"]["end"].is_string());
    assert!(cas[2]["validFor"].get("end").is_none());
    let client_config: Value =
        serde_json::from_slice(&std::fs::read(tb.client_trust_config_path()).expect("read"))
            .expect("json");
    assert_eq!(client_config["trustedRoot"], root);
}

#[test]
fn the_tuf_endpoint_takes_the_testbeds_faults() {
    use gitseal::testbed::{Endpoint, Fault};
    let tb = Testbed::start(quick()).expect("testbed");
    let client = Client::new(&tb.tuf_root_path());
    tb.faults()
        .set(Endpoint::TufMetadata, Fault::Status(503))
        .expect("applies");
    let r = client.refresh(&tb);
    assert_eq!(r["ok"], false, "{r}");
    assert!(
        r["message"].as_str().is_some_and(|m| m.contains("503")),
        "{r}"
    );
    tb.faults().clear(Endpoint::TufMetadata);
    // The first two requests (the 404 for 2.root.json, then timestamp.json) come back cut
    // short.
    tb.faults()
        .add(Endpoint::TufMetadata, Fault::MalformedJson, Some(2))
        .expect("applies");
    let r = client.refresh(&tb);
    assert_eq!(r["ok"], false, "{r}");
    client.refresh_ok(&tb);
    assert!(tb.faults().hits(Endpoint::TufMetadata) >= 3);
    assert!(
        tb.faults()
            .set(Endpoint::TufMetadata, Fault::WrongSct)
            .is_err()
    );
}
