//! Plain TCP (and Unix socket) connects and their Node-style errors.

use super::servers::{assert_round_trip, closed_port, tcp_echo_server, timed_connect};
use crate::transport::{Endpoint, Stream};

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: host.to_string(),
        port,
        proxy: None,
    }
}

#[tokio::test]
async fn tcp_connects_with_nodelay_and_round_trips() {
    let port = tcp_echo_server().await;
    let mut stream = timed_connect(&tcp("localhost", port)).await.unwrap();
    let Stream::Tcp(socket) = &stream else {
        panic!("expected a TCP stream")
    };
    assert!(socket.nodelay().unwrap());
    assert_round_trip(&mut stream).await;
}

#[tokio::test]
async fn closed_port_is_econnrefused() {
    let port = closed_port().await;
    let err = timed_connect(&tcp("127.0.0.1", port)).await.unwrap_err();
    assert_eq!(err.code(), Some("ECONNREFUSED"));
    assert_eq!(
        err.message(),
        format!("connect ECONNREFUSED 127.0.0.1:{port}")
    );
}

#[tokio::test]
async fn unresolvable_host_is_getaddrinfo_error() {
    // `.invalid` never resolves (RFC 2606); without network DNS the resolver may say EAI_AGAIN.
    let err = timed_connect(&tcp("no-such-host.invalid", 1883))
        .await
        .unwrap_err();
    let code = err.code().unwrap().to_string();
    assert!(code == "ENOTFOUND" || code == "EAI_AGAIN", "{code}");
    assert_eq!(
        err.message(),
        format!("getaddrinfo {code} no-such-host.invalid")
    );
}

#[cfg(unix)]
#[tokio::test]
async fn unix_socket_round_trips_and_missing_path_is_enoent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let path =
        std::env::temp_dir().join(format!("mqtt-napi-transport-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let n = socket.read(&mut buf).await.unwrap();
        socket.write_all(&buf[..n]).await.unwrap();
    });
    let mut stream = timed_connect(&Endpoint::Unix { path: path.clone() })
        .await
        .unwrap();
    assert_round_trip(&mut stream).await;
    std::fs::remove_file(&path).unwrap();

    let err = timed_connect(&Endpoint::Unix { path: path.clone() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ENOENT"));
    assert_eq!(err.message(), format!("connect ENOENT {}", path.display()));
}
