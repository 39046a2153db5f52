//! A malicious or slow Rekor (issue 11, item 4): the log's answers and its timing are the
//! attacker's. gitseal looks up online-mode signatures in the configured log, so whoever runs
//! (or sits in front of) that log chooses every byte and every delay of the answers. None of
//! them may crash the run, and none may make one object's lookup cost more than its time limit
//! (3 × `gitseal.httpTimeout`); a log that cannot be reached is reported at once, not after a
//! backoff series.
//!
//! Each test runs the real binary (`gitseal verify --format json`) on real online-mode
//! gitsign signatures from the shared corpus, with `GITSEAL_REKOR_URL` pointing at a scripted
//! log on 127.0.0.1 (a thread per connection, so a request it never answers blocks nothing
//! else) or at a closed port. The bounds on elapsed time are correctness bounds on a hang,
//! generous against a slow machine: the old code took many times longer.

use super::super::common::{TestRepo, corpus};
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the scripted log does with one request.
enum Answer {
    /// Answer at once.
    Now(u16, Vec<u8>),
    /// Answer after a delay.
    After(Duration, u16, Vec<u8>),
    /// Read the request, then hold the connection open without a byte of answer.
    Never,
}

fn json_answer(v: &Value) -> Answer {
    Answer::Now(200, serde_json::to_vec(v).unwrap())
}

/// A request as the scripted log saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
}

/// A Rekor on 127.0.0.1 answering from a closure, one thread per connection.
struct HostileLog {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl HostileLog {
    fn start(answer: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let answer = Arc::new(answer);
        let (seen2, stop2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (answer, seen, stop) = (answer.clone(), seen2.clone(), stop2.clone());
                std::thread::spawn(move || serve(stream, &*answer, &seen, &stop));
            }
        });
        Self { url, seen, stop }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for HostileLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn serve(
    stream: TcpStream,
    answer: &(dyn Fn(&Seen) -> Answer + Send + Sync),
    seen: &Mutex<Vec<Seen>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let req = Seen { method, path };
    seen.lock().unwrap().push(req.clone());
    let mut stream = reader.into_inner();
    let (status, body) = match answer(&req) {
        Answer::Now(status, body) => (status, body),
        Answer::After(delay, status, body) => {
            std::thread::sleep(delay);
            (status, body)
        }
        Answer::Never => {
            // Hold the connection until the test ends (bounded, so no thread outlives it
            // by long).
            let until = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// A repository holding the first `n` online-mode corpus commits; their ids.
fn online_commits(n: usize) -> (TestRepo, Vec<String>) {
    let repo = TestRepo::new();
    let ids = corpus()
        .into_iter()
        .filter(|o| o.mode == "online" && o.kind == "commit")
        .take(n)
        .map(|o| {
            assert_eq!(repo.write_object(&o.kind, &o.raw), o.sha);
            o.sha
        })
        .collect();
    (repo, ids)
}

/// `gitseal verify --format json --no-cache IDS` against the log at `rekor_url`, with extra
/// environment; the output and how long it took.
fn verify(
    repo: &TestRepo,
    rekor_url: &str,
    env: &[(&str, &str)],
    ids: &[String],
) -> (Output, Duration) {
    let mut cmd = repo.cmd(env!("CARGO_BIN_EXE_gitseal"));
    cmd.args(["verify", "--format", "json", "--no-cache"])
        .args(ids)
        .env("GITSEAL_REKOR_URL", rekor_url);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd.output().unwrap();
    (out, start.elapsed())
}

/// The per-object JSON lines, after checking the run itself survived: exit status 1 (objects
/// failed), not 101 (a panic), and one line per object plus the summary.
fn object_lines(out: &Output, ids: &[String]) -> Vec<Value> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let summary = lines.pop().expect("a summary line");
    assert!(summary.get("summary").is_some(), "{text}");
    assert_eq!(lines.len(), ids.len(), "{text}");
    for (l, id) in lines.iter().zip(ids) {
        assert_eq!(l["object"], id.as_str(), "{l}");
        assert_eq!(l["pass"], false, "{l}");
    }
    lines
}

fn detail(l: &Value) -> &str {
    l["detail"].as_str().unwrap_or_default()
}

/// The body of [`plausible_entry`].
const BODY: &[u8] = br#"{"apiVersion":"0.0.1","kind":"hashedrekord"}"#;

/// The UUID of [`plausible_entry`]: its body's RFC 6962 leaf hash, so the answer passes the
/// UUID and body-hash checks and the hostile field is what gets judged.
fn plausible_uuid() -> String {
    hex::encode(gitseal::rekor::merkle::leaf_hash(BODY))
}

/// A `LogEntryAnon` shaped like Rekor's, under [`plausible_uuid`] (no SET or proof that
/// would verify: it is about what parsing does with it).
fn plausible_entry() -> Value {
    use base64::Engine as _;
    json!({
        "body": base64::engine::general_purpose::STANDARD.encode(BODY),
        "integratedTime": 1681496844,
        "logID": "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d",
        "logIndex": 17974796,
        "verification": {
            "inclusionProof": {
                "checkpoint": "rekor.sigstore.dev - 2605736670972794746\n13811366\nAAAA\n\n",
                "hashes": ["0101010101010101010101010101010101010101010101010101010101010101"],
                "logIndex": 13811365,
                "rootHash": "0202020202020202020202020202020202020202020202020202020202020202",
                "treeSize": 13811366
            },
            "signedEntryTimestamp": "MEUCIQ=="
        }
    })
}

/// 32 distinct well-formed UUIDs (the most a lookup fetches).
fn thirty_two_uuids() -> Vec<String> {
    (0..32u8).map(|i| hex::encode([i; 32])).collect()
}

#[test]
fn non_ascii_entry_key_does_not_crash_the_run() {
    // The search names a real-looking UUID; the entry comes back under a key of 66 bytes
    // whose last 64 bytes start inside a character. gitseal used to slice that key at
    // `len - 64` to compare UUIDs and panicked: exit 101, every other object's verdict lost.
    let key = "€".repeat(22);
    let log = HostileLog::start(move |req| match req.method.as_str() {
        "POST" => json_answer(&json!([plausible_uuid()])),
        _ => json_answer(&json!({ key.clone(): plausible_entry() })),
    });
    let (repo, ids) = online_commits(2);
    let (out, _) = verify(&repo, &log.url, &[], &ids);
    for l in object_lines(&out, &ids) {
        assert_eq!(l["outcome"], "error", "{l}");
        assert_eq!(l["reason"], "tlog-lookup-failed", "{l}");
        assert!(detail(&l).contains("is not a Rekor entry UUID"), "{l}");
    }
    let fetched = format!("/api/v1/log/entries/{}", plausible_uuid());
    assert!(
        log.seen()
            .iter()
            .any(|r| r.method == "GET" && r.path == fetched),
        "the entry was fetched"
    );
}

#[test]
fn out_of_range_numbers_nesting_and_empty_answers_are_errors() {
    // Answers no Rekor sends, each where a parser could overflow, recurse or index: every one
    // is a `tlog-lookup-failed` for the object, never a crash and never a verdict about it.
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let with = |field: &str, value: Value| {
        let mut e = plausible_entry();
        e[field] = value;
        json!({ plausible_uuid(): e }).to_string()
    };
    let entry_answers: Vec<String> = vec![
        with("logIndex", json!(-1)),
        with("logIndex", json!(u64::MAX)),
        with("integratedTime", json!(1e300)),
        with("logIndex", json!(1)).replace(
            "\"logIndex\":1,",
            "\"logIndex\":340282366920938463463374607431768211456,",
        ),
        with(
            "verification",
            json!({ "inclusionProof": { "treeSize": -1 } }),
        ),
        // A field the parser quotes in its error: a megabyte of it, ending in a terminal
        // escape, used to be copied whole into the message.
        with(
            "logIndex",
            json!(format!("{}\u{1b}[2J", "A".repeat(1 << 20))),
        ),
        "{}".into(),
        "[]".into(),
        deep.clone(),
    ];
    let (repo, ids) = online_commits(1);
    for answer in &entry_answers {
        let body = answer.clone().into_bytes();
        let log = HostileLog::start(move |req| match req.method.as_str() {
            "POST" => json_answer(&json!([plausible_uuid()])),
            _ => Answer::Now(200, body.clone()),
        });
        let (out, _) = verify(&repo, &log.url, &[], &ids);
        let l = &object_lines(&out, &ids)[0];
        let what: String = answer.chars().take(80).collect();
        assert_eq!(l["reason"], "tlog-lookup-failed", "{what}: {l}");
        assert!(detail(l).len() < 2_000, "{what}: server text is excerpted");
        assert!(!detail(l).contains('\u{1b}'), "{what}: {l}");
    }
    // Search answers: deep nesting, strings that are not UUIDs (one non-ASCII), an object.
    for search in [deep, json!(["€".repeat(22)]).to_string(), "{}".into()] {
        let body = search.clone().into_bytes();
        let log = HostileLog::start(move |_| Answer::Now(200, body.clone()));
        let (out, _) = verify(&repo, &log.url, &[], &ids);
        let l = &object_lines(&out, &ids)[0];
        let what: String = search.chars().take(80).collect();
        assert_eq!(l["reason"], "tlog-lookup-failed", "{what}: {l}");
        assert!(detail(l).len() < 2_000, "{what}: server text is excerpted");
    }
}

#[test]
fn log_silent_after_the_search_costs_one_time_limit() {
    // The search is answered at once with 32 UUIDs; no fetch is ever answered. With a 1 s
    // request timeout each of the 32 fetches used to cost that second (32 s per object, 320 s
    // with the default 10 s); now the object's whole lookup stops at 3 × 1 s.
    let log = HostileLog::start(|req| match req.method.as_str() {
        "POST" => json_answer(&json!(thirty_two_uuids())),
        _ => Answer::Never,
    });
    let (repo, ids) = online_commits(1);
    let (out, took) = verify(&repo, &log.url, &[("GITSEAL_HTTP_TIMEOUT", "1")], &ids);
    let l = &object_lines(&out, &ids)[0];
    assert_eq!(l["outcome"], "error", "{l}");
    assert_eq!(l["reason"], "tlog-lookup-failed", "{l}");
    assert!(detail(l).contains("time limit of 3 s"), "{l}");
    assert!(took < Duration::from_secs(12), "took {took:?}");
    let fetches = log.seen().iter().filter(|r| r.method == "GET").count();
    assert!(
        fetches <= 4,
        "{fetches} fetches within a 3 s limit of 1 s requests"
    );
}

#[test]
fn log_answering_each_request_slowly_costs_one_time_limit() {
    // Every fetch is answered — after 800 ms, inside the 1 s request timeout, so no single
    // request ever times out. 32 of them took 26 s; the lookup's time limit ends it at 3 s.
    let log = HostileLog::start(|req| match req.method.as_str() {
        "POST" => json_answer(&json!(thirty_two_uuids())),
        _ => Answer::After(Duration::from_millis(800), 404, b"{\"code\":404}".to_vec()),
    });
    let (repo, ids) = online_commits(1);
    let (out, took) = verify(&repo, &log.url, &[("GITSEAL_HTTP_TIMEOUT", "1")], &ids);
    let l = &object_lines(&out, &ids)[0];
    assert_eq!(l["outcome"], "error", "{l}");
    assert_eq!(l["reason"], "tlog-lookup-failed", "{l}");
    assert!(detail(l).contains("time limit"), "{l}");
    assert!(took < Duration::from_secs(12), "took {took:?}");
    let fetches = log.seen().iter().filter(|r| r.method == "GET").count();
    assert!(fetches < 8, "{fetches} fetches");
}

#[test]
fn refused_connection_is_reported_at_once_not_retried() {
    // Nobody listens on the log's port: the host answers every connection with a refusal,
    // and asking again a second later gets the same. Each request used to be retried after
    // a 1 s backoff (several requests per object: about 3 s per object with no log at all).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (repo, ids) = online_commits(5);
    let (out, took) = verify(&repo, &url, &[], &ids);
    for l in object_lines(&out, &ids) {
        assert_eq!(l["outcome"], "error", "{l}");
        assert_eq!(l["reason"], "tlog-lookup-failed", "{l}");
        assert!(detail(&l).contains(&url), "{l}");
        assert!(detail(&l).contains("(1 attempts)"), "{l}");
    }
    assert!(took < Duration::from_secs(5), "took {took:?} for 5 objects");
}
