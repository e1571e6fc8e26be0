//! Connects through SOCKS proxies: an in-process SOCKS5 server that records what it was asked
//! and forwards to the echo server, scripted proxies for the failure replies.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::servers::{
    assert_round_trip, closed_port, scripted_server, tcp_echo_server, timed_connect,
};
use crate::transport::{Endpoint, SocksCredentials, SocksProxy, SocksVersion, Stream};

fn proxy(version: SocksVersion, remote_dns: bool, port: u16) -> SocksProxy {
    SocksProxy {
        version,
        remote_dns,
        host: "127.0.0.1".into(),
        port,
        credentials: None,
        timeout: Duration::from_secs(5),
    }
}

fn through(proxy: SocksProxy, host: &str, port: u16) -> Endpoint {
    Endpoint::Tcp {
        host: host.into(),
        port,
        proxy: Some(Arc::new(proxy)),
    }
}

/// A SOCKS5 server (no authentication, CONNECT to an IPv4 address or a name that resolves to
/// 127.0.0.1) that forwards to `127.0.0.1:<requested port>`. Records the requested host.
async fn recording_socks5() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut greeting = [0u8; 3];
                client.read_exact(&mut greeting).await.unwrap();
                client.write_all(&[5, 0]).await.unwrap();
                let mut head = [0u8; 4];
                client.read_exact(&mut head).await.unwrap();
                let host = match head[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        client.read_exact(&mut ip).await.unwrap();
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let len = client.read_u8().await.unwrap();
                        let mut name = vec![0u8; len as usize];
                        client.read_exact(&mut name).await.unwrap();
                        String::from_utf8(name).unwrap()
                    }
                    other => panic!("address type {other}"),
                };
                let port = client.read_u16().await.unwrap();
                record.lock().unwrap().push(host);
                let mut upstream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                client
                    .write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (port, asked)
}

#[tokio::test]
async fn socks5_hands_back_a_plain_tcp_stream_to_the_destination() {
    let echo = tcp_echo_server().await;
    let (proxy_port, asked) = recording_socks5().await;
    let endpoint = through(
        proxy(SocksVersion::V5, false, proxy_port),
        "127.0.0.1",
        echo,
    );
    let mut stream = timed_connect(&endpoint).await.unwrap();
    assert!(matches!(stream, Stream::Tcp(_)));
    assert_round_trip(&mut stream).await;
    assert_eq!(*asked.lock().unwrap(), ["127.0.0.1"]);
}

#[tokio::test]
async fn socks5_resolves_locally_and_socks5h_lets_the_proxy_resolve() {
    let echo = tcp_echo_server().await;
    let (proxy_port, asked) = recording_socks5().await;
    for remote_dns in [false, true] {
        let endpoint = through(
            proxy(SocksVersion::V5, remote_dns, proxy_port),
            "localhost",
            echo,
        );
        let mut stream = timed_connect(&endpoint).await.unwrap();
        assert_round_trip(&mut stream).await;
    }
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 2);
    assert!(asked[0].parse::<std::net::IpAddr>().is_ok(), "{asked:?}");
    assert_eq!(asked[1], "localhost");
}

#[tokio::test]
async fn unreachable_proxy_is_code_socks_with_the_connect_details() {
    let port = closed_port().await;
    let err = timed_connect(&through(
        proxy(SocksVersion::V5, false, port),
        "127.0.0.1",
        1883,
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), Some("SOCKS"));
    assert_eq!(
        err.message(),
        format!("SOCKS5 proxy 127.0.0.1:{port} unreachable: connect ECONNREFUSED 127.0.0.1:{port}")
    );
    let info = err.syscall_info().unwrap();
    assert_eq!((info.syscall, info.port), ("connect", Some(port)));
}

#[tokio::test]
async fn each_reply_code_has_its_own_words() {
    let cases: [(&'static [u8], SocksVersion, &str); 4] = [
        (
            &[5, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0],
            SocksVersion::V5,
            "connection not allowed by ruleset (reply 0x02)",
        ),
        (
            &[5, 0, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0],
            SocksVersion::V5,
            "network unreachable (reply 0x03)",
        ),
        (
            &[5, 0, 5, 6, 0, 1, 0, 0, 0, 0, 0, 0],
            SocksVersion::V5,
            "TTL expired (reply 0x06)",
        ),
        (
            &[0, 0x5b, 0, 0, 0, 0, 0, 0],
            SocksVersion::V4,
            "request rejected or failed (reply 0x5b)",
        ),
    ];
    for (reply, version, words) in cases {
        let port = scripted_server(reply, true).await;
        let err = timed_connect(&through(proxy(version, false, port), "127.0.0.1", 1883))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("SOCKS"));
        assert!(
            err.message().ends_with(&format!(
                "rejected the connection to 127.0.0.1:1883: {words}"
            )),
            "{}",
            err.message()
        );
    }
}

#[tokio::test]
async fn a_proxy_asking_for_a_password_we_lack_says_so() {
    // Method 0xff: none of the offered methods is acceptable.
    let port = scripted_server(&[5, 0xff], true).await;
    let err = timed_connect(&through(
        proxy(SocksVersion::V5, false, port),
        "127.0.0.1",
        1883,
    ))
    .await
    .unwrap_err();
    assert_eq!(
        err.message(),
        format!("SOCKS5 proxy 127.0.0.1:{port} requires authentication: put username:password in the socksProxy URL")
    );
}

#[tokio::test]
async fn a_silent_proxy_times_out_after_the_socks_timeout() {
    let port = scripted_server(b"", true).await;
    let mut silent = proxy(SocksVersion::V5, false, port);
    silent.timeout = Duration::from_millis(100);
    let started = std::time::Instant::now();
    let err = timed_connect(&through(silent, "127.0.0.1", 1883))
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(err.code(), Some("SOCKS"));
    assert!(
        err.message().contains("within 100 ms (socksTimeout)"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_proxy_closing_mid_handshake_is_an_error_not_a_hang() {
    let port = scripted_server(&[5], false).await;
    let err = timed_connect(&through(
        proxy(SocksVersion::V5, false, port),
        "127.0.0.1",
        1883,
    ))
    .await
    .unwrap_err();
    assert!(
        err.message()
            .ends_with("closed the connection during the handshake"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn an_oversized_socks4a_request_is_refused_not_a_panic() {
    let port = scripted_server(b"", true).await;
    let mut socks4a = proxy(SocksVersion::V4, true, port);
    socks4a.credentials = Some(SocksCredentials {
        username: "u".repeat(255),
        password: String::new(),
    });
    let host = format!("{}.example", "h".repeat(245));
    let err = timed_connect(&through(socks4a, &host, 1883))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SOCKS"));
    assert!(
        err.message().contains("too long for a SOCKS4 request"),
        "{}",
        err.message()
    );
}
