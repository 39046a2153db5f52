//! The testbed's HTTP plumbing: a loopback listener, one thread per request, and small request
//! and response types the services work with.
//!
//! Owns binding (127.0.0.1 only), reading request bodies (bounded), query-string and
//! `application/x-www-form-urlencoded` decoding, the error-body shapes of each real service
//! (Rekor's go-swagger `{"code","message"}`, Fulcio's grpc-gateway `{"code","message","details"}`,
//! OAuth 2.0's `{"error","error_description"}` per RFC 6749 §5.2), and an orderly shutdown that
//! wakes hung or delayed handlers. Each request runs on its own thread so that a hung fault on
//! one endpoint never blocks the others. It knows nothing about Sigstore: routing lives in the
//! testbed's dispatcher, semantics in the service modules.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Largest request body the testbed reads (real Rekor and Fulcio cap bodies too).
const MAX_BODY: u64 = 4 * 1024 * 1024;

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Upper-case method name.
    pub method: String,
    /// Percent-decoded path without the query string.
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
}

impl Request {
    /// First header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// First query parameter with this name.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as an `application/x-www-form-urlencoded` form (RFC 6749 §4.1.3 requests).
    pub fn form(&self) -> Result<Vec<(String, String)>, String> {
        let ct = self.header("content-type").unwrap_or("");
        let media = ct.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(format!(
                "expected Content-Type application/x-www-form-urlencoded, got {ct:?}"
            ));
        }
        let text = std::str::from_utf8(&self.body).map_err(|_| "form body is not UTF-8")?;
        parse_urlencoded(text)
    }
}

/// A response to send.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a body and content type.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A JSON response.
    pub fn json(status: u16, v: &Value) -> Response {
        Response::new(status, "application/json", v.to_string())
    }

    /// Add a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A redirect (RFC 6749 §4.1.2 uses 302 Found).
    pub fn redirect(location: &str) -> Response {
        Response::new(302, "text/html; charset=utf-8", "")
            .with_header("Location", location)
            .with_header("Cache-Control", "no-store")
    }

    /// Rekor's error model (`#/definitions/Error` in Rekor's OpenAPI): `{"code":N,"message":"..."}`.
    pub fn rekor_error(status: u16, message: &str) -> Response {
        Response::json(status, &json!({"code": status, "message": message}))
    }

    /// Fulcio's errors come from grpc-gateway: the body is a `google.rpc.Status` with the gRPC
    /// code (3 = INVALID_ARGUMENT for a 400, 13 = INTERNAL for a 500), not the HTTP status.
    /// `reason` says what exactly was wrong; real Fulcio does not reveal it, so the testbed puts
    /// it in an `X-Testbed-Error` header and keeps the body exactly as Fulcio words it.
    pub fn fulcio_error(status: u16, message: &str, reason: &str) -> Response {
        let grpc_code = match status {
            400 => 3,
            401 => 16,
            403 => 7,
            404 => 5,
            409 => 6,
            429 => 8,
            501 => 12,
            503 => 14,
            504 => 4,
            _ => 13,
        };
        Response::json(
            status,
            &json!({"code": grpc_code, "message": message, "details": []}),
        )
        .with_header("X-Testbed-Error", &header_safe(reason))
    }

    /// An OAuth 2.0 error response (RFC 6749 §5.2; RFC 8628 §3.5 for the device-flow codes).
    pub fn oauth_error(status: u16, error: &str, description: &str) -> Response {
        Response::json(
            status,
            &json!({"error": error, "error_description": description}),
        )
        .with_header("Cache-Control", "no-store")
    }
}

/// Header values must be one line of visible ASCII.
fn header_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(500)
        .collect()
}

/// Decode `%XX` escapes; with `plus_is_space`, `+` becomes a space (form encoding).
pub fn percent_decode(s: &str, plus_is_space: bool) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad percent-escape in {s:?}"))?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("percent-decoded {s:?} is not UTF-8"))
}

/// Percent-encode everything except RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parse `a=b&c=d` (form or query), decoding `+` and `%XX`.
pub fn parse_urlencoded(s: &str) -> Result<Vec<(String, String)>, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

/// Wakes sleeping handlers when the testbed stops.
#[derive(Default)]
pub struct StopSignal {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl StopSignal {
    /// Mark stopped and wake every sleeper.
    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cv.notify_all();
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleep up to `d`; returns true if woken because the testbed stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            stopped = match self.cv.wait_timeout(stopped, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }
}

/// What a handler does with a request.
pub type Handler = dyn Fn(Request) -> Option<Response> + Send + Sync;

/// A running loopback HTTP server.
pub struct HttpServer {
    server: Arc<tiny_http::Server>,
    acceptor: Option<JoinHandle<()>>,
    stop: Arc<StopSignal>,
    active: Arc<AtomicUsize>,
    addr: SocketAddr,
}

impl HttpServer {
    /// Bind `127.0.0.1:port` (0 = any free port). Nothing is served until [`serve`](Self::serve).
    pub fn bind(port: u16, stop: Arc<StopSignal>) -> Result<HttpServer, String> {
        let server = tiny_http::Server::http(("127.0.0.1", port))
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or("listener has no IP address")?;
        Ok(HttpServer {
            server: Arc::new(server),
            acceptor: None,
            stop,
            active: Arc::new(AtomicUsize::new(0)),
            addr,
        })
    }

    /// Start answering requests with `handler`, one thread per request. A handler returning
    /// `None` gets the connection answered with an empty 500 by tiny_http (used only after a
    /// hang fault).
    pub fn serve(&mut self, handler: Arc<Handler>) -> Result<(), String> {
        let server = Arc::clone(&self.server);
        let stop = Arc::clone(&self.stop);
        let active = Arc::clone(&self.active);
        let h = std::thread::Builder::new()
            .name("testbed-accept".into())
            .spawn(move || accept_loop(&server, &stop, &active, &handler))
            .map_err(|e| format!("cannot spawn the accept thread: {e}"))?;
        self.acceptor = Some(h);
        Ok(())
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stop accepting, wake hung handlers and wait (briefly) for in-flight requests.
    pub fn shutdown(&mut self) {
        self.stop.stop();
        self.server.unblock();
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(
    server: &tiny_http::Server,
    stop: &StopSignal,
    active: &Arc<AtomicUsize>,
    handler: &Arc<Handler>,
) {
    loop {
        let Ok(rq) = server.recv() else {
            // `unblock()` (shutdown) or a listener error: either way, stop serving.
            return;
        };
        if stop.is_stopped() {
            let _ = rq.respond(tiny_http::Response::empty(503));
            return;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let handler = Arc::clone(handler);
        let active_for_worker = Arc::clone(active);
        let spawned = std::thread::Builder::new()
            .name("testbed-request".into())
            .spawn(move || {
                serve_one(rq, &handler);
                active_for_worker.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn serve_one(mut rq: tiny_http::Request, handler: &Arc<Handler>) {
    let url = rq.url().to_owned();
    let (raw_path, raw_query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let path = match percent_decode(raw_path, false) {
        Ok(p) => p,
        Err(e) => {
            let _ = respond(rq, Response::rekor_error(400, &e));
            return;
        }
    };
    let query = match parse_urlencoded(raw_query) {
        Ok(q) => q,
        Err(e) => {
            let _ = respond(rq, Response::rekor_error(400, &e));
            return;
        }
    };
    let headers = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    if rq
        .as_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .is_err()
    {
        let _ = respond(rq, Response::rekor_error(400, "cannot read request body"));
        return;
    }
    if body.len() as u64 > MAX_BODY {
        let _ = respond(rq, Response::rekor_error(413, "request body too large"));
        return;
    }
    let request = Request {
        method: rq.method().as_str().to_ascii_uppercase(),
        path,
        query,
        headers,
        body,
    };
    match handler(request) {
        Some(resp) => {
            let _ = respond(rq, resp);
        }
        None => drop(rq),
    }
}

fn respond(rq: tiny_http::Request, resp: Response) -> std::io::Result<()> {
    let mut out = tiny_http::Response::from_data(resp.body).with_status_code(resp.status);
    for (k, v) in &resp.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            out.add_header(h);
        }
    }
    rq.respond(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_queries() {
        let f = parse_urlencoded("a=b+c&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2Fcb&e")
            .expect("valid");
        assert_eq!(
            f,
            vec![
                ("a".into(), "b c".into()),
                ("redirect_uri".into(), "http://127.0.0.1:5/cb".into()),
                ("e".into(), String::new()),
            ]
        );
        assert!(parse_urlencoded("a=%zz").is_err());
        assert_eq!(percent_encode("a b/c~"), "a%20b%2Fc~");
    }
}
