//! The emulator keeps connections open between requests (HTTP/1.1 keep-alive), as AWS's endpoints
//! do, and a request's body is read whole before the next request on the connection is parsed.

use faultline_emulator::shared_emulator;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Reads one response (head and `Content-Length` body) off `reader`: its status line, its
/// headers (lower-cased) and its body.
async fn response(reader: &mut BufReader<TcpStream>) -> (String, Vec<String>, String) {
    let mut status = String::new();
    reader.read_line(&mut status).await.expect("status line");
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.expect("header");
        if line.trim().is_empty() {
            break;
        }
        headers.push(line.trim().to_lowercase());
    }
    let length: usize = headers
        .iter()
        .find_map(|h| h.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("a content length");
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.expect("body");
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn dynamodb_request(host: &str, target: &str, body: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-amz-json-1.0\r\n\
         x-amz-target: DynamoDB_20120810.{target}\r\n\
         authorization: AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn one_connection_serves_request_after_request() {
    let endpoint = shared_emulator();
    let host = endpoint.trim_start_matches("http://");
    let mut connection = BufReader::new(TcpStream::connect(host).await.expect("connect"));

    // A request moto refuses before reading its body, then one it serves, on the same connection.
    let unread = r#"{"TableName": "no-such-table", "Key": {"pk": {"S": "x"}}}"#;
    for (target, body, expected) in [
        ("GetItem", unread, "ResourceNotFoundException"),
        ("ListTables", "{}", "TableNames"),
        ("ListTables", "{}", "TableNames"),
    ] {
        let request = dynamodb_request(host, target, body);
        connection
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .expect("send");
        let (status, headers, body) = response(&mut connection).await;
        assert!(status.starts_with("HTTP/1.1 "), "{status}");
        assert!(body.contains(expected), "{target}: {status} {body}");
        assert!(
            !headers.iter().any(|h| h == "connection: close"),
            "{target} closed the connection: {headers:?}"
        );
    }
}
