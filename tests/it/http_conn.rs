//! Connection limits of the HTTP service: idle, slow-header and slow-body clients are cut
//! off, and SIGTERM ends `wenda serve` even with such clients connected.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use wenda::http::{ConnectionLimits, HttpOptions};

use super::common::{fixture_kb_path, wenda};
use super::http::Server;

/// Short limits, so that the tests are quick; generous next to the work a request does.
fn short() -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_millis(600),
        body_timeout: Duration::from_millis(600),
        idle_timeout: Duration::from_millis(900),
        ..ConnectionLimits::default()
    }
}

fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(server.addr).expect("connects");
    // A bound on the test itself: a server that never closes fails it, not hangs it.
    s.set_read_timeout(Some(Duration::from_secs(20))).ok();
    s
}

/// Reads until the server closes the connection; what it sent.
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

fn ask_request(message: &str) -> Vec<u8> {
    let body = serde_json::json!({ "message": message }).to_string();
    format!(
        "POST /ask HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn a_connection_that_sends_nothing_is_closed() {
    let server = Server::start_limited(HttpOptions::default(), short());
    let mut s = connect(&server);
    assert!(read_to_close(&mut s).is_empty());
}

#[test]
fn headers_sent_a_byte_at_a_time_do_not_hold_the_connection() {
    let server = Server::start_limited(HttpOptions::default(), short());
    let mut s = connect(&server);
    let started = Instant::now();
    // Each byte well inside the idle limit, the whole far beyond the header limit.
    let mut closed = false;
    for b in
        b"GET /health HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter()
    {
        if s.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if !closed {
        closed = read_to_close(&mut s).is_empty();
    }
    assert!(closed, "a slow client kept its connection");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the header limit never cut in"
    );
}

#[test]
fn a_body_that_never_arrives_is_answered_408_and_the_server_goes_on() {
    let server = Server::start_limited(HttpOptions::default(), short());
    let mut s = connect(&server);
    s.write_all(
        b"POST /ask HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"mes",
    )
    .expect("sends");
    let got = String::from_utf8_lossy(&read_to_close(&mut s)).into_owned();
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"code\":\"body_timeout\""), "{got}");

    // Others are served as before.
    let mut s = connect(&server);
    s.write_all(&ask_request("宽带怎么办理")).expect("sends");
    let mut reader = BufReader::new(s);
    let mut status = String::new();
    reader.read_line(&mut status).expect("an answer");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
}

#[test]
fn keep_alive_serves_several_requests_then_closes_when_idle() {
    let server = Server::start_limited(HttpOptions::default(), short());
    let mut s = connect(&server);
    for _ in 0..2 {
        s.write_all(&ask_request("宽带怎么办理")).expect("sends");
        // Read one whole response: headers, then content-length bytes.
        let mut reader = BufReader::new(s.try_clone().expect("clones"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("status");
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        let mut length = 0usize;
        loop {
            line.clear();
            reader.read_line(&mut line).expect("a header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("a length");
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).expect("the body");
        let reply: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(reply["decision"]["type"], "answer", "{reply}");
        // Short pauses inside the idle limit keep the connection.
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(read_to_close(&mut s).is_empty());
}

/// `kill -TERM pid`.
fn terminate(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn sigterm_ends_wenda_serve_with_idle_and_slow_clients_connected() {
    let mut child = wenda()
        .args(["serve", "--addr", "127.0.0.1:0", "--kb"])
        .arg(fixture_kb_path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wenda serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("wenda serve says where it listens")
            .expect("a line");
        if let Some(rest) = line.split("on http://").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .expect("an address")
                .to_string();
        }
    };
    // One idle client, one in the middle of its headers, one in the middle of its body.
    let idle = TcpStream::connect(&addr).expect("connects");
    let mut heads = TcpStream::connect(&addr).expect("connects");
    heads
        .write_all(b"GET /health HTTP/1.1\r\nX-A: ")
        .expect("sends");
    let mut body = TcpStream::connect(&addr).expect("connects");
    body.write_all(
        b"POST /ask HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{",
    )
    .expect("sends");
    std::thread::sleep(Duration::from_millis(200));
    terminate(child.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("wenda serve still ran a minute after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("stopped")),
        "no goodbye: {rest:?}"
    );
    drop((idle, heads, body));
}

#[test]
fn a_body_over_the_connection_cap_is_413_even_when_the_router_allows_more() {
    let server = Server::start_limited(
        HttpOptions {
            max_body_bytes: 1 << 20,
            ..HttpOptions::default()
        },
        ConnectionLimits {
            max_body_bytes: 1024,
            ..short()
        },
    );
    let mut s = connect(&server);
    s.write_all(&ask_request(&"宽".repeat(1000)))
        .expect("sends");
    let got = String::from_utf8_lossy(&read_to_close(&mut s)).into_owned();
    assert!(got.starts_with("HTTP/1.1 413"), "{got}");
    assert!(got.contains("\"code\":\"body_too_large\""), "{got}");
}
