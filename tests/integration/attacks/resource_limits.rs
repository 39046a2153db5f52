//! Oversize input (issue 11, item 8): a signature or object larger than gitseal reads is
//! refused with a clear message before it is read whole (limits in `git::object`).

use crate::integration::common::TestRepo;
use gitseal::git::object::{MAX_OBJECT_BYTES, MAX_SIGNATURE_BYTES};
use std::io::Write;
use std::process::Stdio;

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// git's `--verify` path with an endless payload on standard input: gitseal stops reading
/// after the limit and says so; the writer sees the pipe closed long before it is done.
#[test]
fn endless_payload_on_stdin_is_refused_unread() {
    let repo = TestRepo::new();
    let sig = repo.path().join("sig");
    std::fs::write(
        &sig,
        "-----BEGIN SIGNED MESSAGE-----\nMAA=\n-----END SIGNED MESSAGE-----\n",
    )
    .unwrap();
    let mut child = repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .args(["--status-fd=1", "--verify", sig.to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Eight times the limit; stop at the first write error (the reader has gone).
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'x'; 1 << 20];
        let mut written = 0u64;
        while written < 8 * MAX_OBJECT_BYTES {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
            written += chunk.len() as u64;
        }
        written
    });
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("[GNUPG:] ERRSIG"), "{all}");
    assert!(!all.contains("GOODSIG"), "{all}");
    assert!(all.contains("larger than gitseal reads"), "{all}");
    assert!(
        written < 8 * MAX_OBJECT_BYTES,
        "gitseal read all {written} bytes"
    );
}

/// An oversize signature file is refused by its size.
#[test]
fn oversize_signature_is_refused() {
    let repo = TestRepo::new();
    let sig = repo.path().join("sig");
    let mut body = b"-----BEGIN SIGNED MESSAGE-----\n".to_vec();
    body.resize(MAX_SIGNATURE_BYTES as usize + 1024, b'A');
    std::fs::write(&sig, body).unwrap();
    let payload = repo.path().join("payload");
    std::fs::write(&payload, "tree x\n\n").unwrap();
    let out = repo.gitseal(&[
        "--status-fd=1",
        "--verify",
        sig.to_str().unwrap(),
        payload.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("signature"), "{}", text(&out));
    assert!(
        text(&out).contains("larger than gitseal reads"),
        "{}",
        text(&out)
    );
}

/// A stored commit larger than the limit is refused from its header, in `gitseal verify` and
/// in the pre-receive hook, without being inflated.
#[test]
fn oversize_commit_object_is_refused() {
    let repo = TestRepo::new();
    let tree = repo.write_object("tree", b"");
    let mut raw =
        format!("tree {tree}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\n").into_bytes();
    raw.resize(MAX_OBJECT_BYTES as usize + 1, b'm');
    let id = repo.write_object("commit", &raw);
    let out = repo.gitseal(&["verify", "--offline", &id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("more than gitseal reads"),
        "{}",
        text(&out)
    );
    let zero = "0".repeat(40);
    let mut hook = repo
        .cmd(env!("CARGO_BIN_EXE_gitseal"))
        .args(["pre-receive", "--offline"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    hook.stdin
        .take()
        .unwrap()
        .write_all(format!("{zero} {id} refs/heads/main\n").as_bytes())
        .unwrap();
    let out = hook.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("more than gitseal reads"),
        "{}",
        text(&out)
    );
}
