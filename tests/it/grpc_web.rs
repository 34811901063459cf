//! gRPC-Web on the same port as gRPC, as a browser sends it: HTTP/1.1,
//! `application/grpc-web+proto`, messages and trailers in the body.

use expopass::proto::pb;
use prost::Message as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::TestApp;

/// One gRPC-Web frame: flag, big-endian length, payload.
fn frame(flag: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![flag];
    out.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// What came back: the HTTP status line and headers, the messages, and
/// the trailers (lower-cased names).
struct WebAnswer {
    head: String,
    messages: Vec<Vec<u8>>,
    trailers: Vec<(String, String)>,
}

impl WebAnswer {
    fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Undoes HTTP/1.1 chunked transfer encoding.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = usize::from_str_radix(
            std::str::from_utf8(&body[..line_end])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap();
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// One gRPC-Web call over a fresh HTTP/1.1 connection.
async fn call(app: &TestApp, path: &str, token: Option<&str>, message: &[u8]) -> WebAnswer {
    let body = frame(0, message);
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\ncontent-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\naccept: application/grpc-web+proto\r\ncontent-length: {}\r\nconnection: close\r\n",
        app.addr,
        body.len()
    );
    if let Some(token) = token {
        request.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let raw = &answer[split + 4..];
    let payload = if head.to_lowercase().contains("transfer-encoding: chunked") {
        dechunk(raw)
    } else {
        raw.to_vec()
    };
    let (mut messages, mut trailers) = (Vec::new(), Vec::new());
    let mut rest = payload.as_slice();
    while rest.len() >= 5 {
        let flag = rest[0];
        let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        let data = &rest[5..5 + len];
        if flag & 0x80 == 0 {
            messages.push(data.to_vec());
        } else {
            for line in String::from_utf8_lossy(data).split("\r\n") {
                if let Some((name, value)) = line.split_once(':') {
                    trailers.push((name.trim().to_lowercase(), value.trim().to_owned()));
                }
            }
        }
        rest = &rest[5 + len..];
    }
    WebAnswer {
        head,
        messages,
        trailers,
    }
}

#[tokio::test]
async fn a_browser_call_over_http1_gets_the_same_answer_as_grpc() {
    let app = TestApp::start().await;
    app.event("WEB-1").await;
    let answer = call(
        &app,
        "/expopass.v1.EventService/ListEvents",
        Some(&app.admin_token),
        &pb::ListEventsRequest {}.encode_to_vec(),
    )
    .await;
    assert!(answer.head.starts_with("HTTP/1.1 200"), "{}", answer.head);
    assert!(
        answer
            .head
            .to_lowercase()
            .contains("content-type: application/grpc-web+proto"),
        "{}",
        answer.head
    );
    assert!(
        answer.head.to_lowercase().contains("x-request-id: "),
        "{}",
        answer.head
    );
    assert_eq!(answer.trailer("grpc-status"), Some("0"));
    assert_eq!(answer.messages.len(), 1);
    let events = pb::ListEventsResponse::decode(answer.messages[0].as_slice()).unwrap();
    assert!(
        events.events.iter().any(|e| e.code == "WEB-1"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_browser_call_without_a_token_is_refused_with_a_reason_in_the_trailers() {
    let app = TestApp::start().await;
    let answer = call(
        &app,
        "/expopass.v1.EventService/ListEvents",
        None,
        &pb::ListEventsRequest {}.encode_to_vec(),
    )
    .await;
    assert!(answer.head.starts_with("HTTP/1.1 200"), "{}", answer.head);
    // A trailers-only answer: the status comes in the headers.
    let head = answer.head.to_lowercase();
    let status = answer
        .trailer("grpc-status")
        .map(str::to_owned)
        .or_else(|| {
            head.lines()
                .find_map(|l| l.strip_prefix("grpc-status: ").map(str::to_owned))
        });
    assert_eq!(status.as_deref(), Some("16"), "{}", answer.head);
    assert!(
        answer.trailer("grpc-status-details-bin").is_some()
            || head.contains("grpc-status-details-bin: "),
        "the ErrorInfo travels too: {}",
        answer.head
    );
    assert!(answer.messages.is_empty());
}
