//! Mutual TLS, ALPN, and how handshake failures caused by the server side surface.

use std::time::Duration;

use super::pki::{pki, Identity};
use super::servers::{
    assert_round_trip, first_read_error, scripted_server, tls_connect, tls_echo_server, trusting,
    ServerSetup,
};
use crate::transport::{Stream, TlsOptions};

fn mtls_server(tls12_only: bool) -> ServerSetup<'static> {
    ServerSetup {
        client_ca: Some(&pki().ca),
        tls12_only,
        ..ServerSetup::new(&pki().server)
    }
}

fn with_client(client: &Identity) -> TlsOptions {
    TlsOptions {
        cert: Some(client.cert.clone()),
        key: Some(client.key.clone()),
        ..trusting(&pki().ca)
    }
}

#[tokio::test]
async fn client_certificate_is_accepted_by_server_requiring_one() {
    let port = tls_echo_server(mtls_server(false)).await;
    let mut stream = tls_connect(&with_client(&pki().client), "localhost", port)
        .await
        .unwrap();
    assert_round_trip(&mut stream).await;
}

#[tokio::test]
async fn rsa_client_with_pkcs1_key_and_tls12() {
    let port = tls_echo_server(mtls_server(true)).await;
    let opts = with_client(&pki().client_rsa_pkcs1);
    let mut stream = tls_connect(&opts, "localhost", port).await.unwrap();
    assert_round_trip(&mut stream).await;
}

#[tokio::test]
async fn missing_client_certificate_tls13_fails_on_first_read() {
    let port = tls_echo_server(mtls_server(false)).await;
    // In TLS 1.3 the client finishes its handshake before the server checks the certificate.
    let mut stream = tls_connect(&trusting(&pki().ca), "localhost", port)
        .await
        .unwrap();
    let err = first_read_error(&mut stream).await;
    assert_eq!(
        err.code(),
        Some("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
    );
    assert_eq!(err.message(), "tlsv13 alert certificate required");
}

#[tokio::test]
async fn missing_client_certificate_tls12_fails_the_connect() {
    let port = tls_echo_server(mtls_server(true)).await;
    let err = tls_connect(&trusting(&pki().ca), "localhost", port)
        .await
        .unwrap_err();
    // rustls servers send certificate_required even in TLS 1.2; an OpenSSL broker (mosquitto)
    // sends handshake_failure, which maps to ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE.
    assert_eq!(
        err.code(),
        Some("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
    );
}

#[tokio::test]
async fn alpn_protocols_are_offered() {
    let port = tls_echo_server(ServerSetup {
        alpn: vec![b"mqtt".to_vec()],
        ..ServerSetup::new(&pki().server)
    })
    .await;
    let opts = TlsOptions {
        alpn: vec![b"mqtt".to_vec()],
        ..trusting(&pki().ca)
    };
    let stream = tls_connect(&opts, "localhost", port).await.unwrap();
    let Stream::Tls(tls) = &stream else {
        panic!("expected a TLS stream")
    };
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"mqtt"[..]));
}

#[tokio::test]
async fn plain_tcp_server_closing_during_handshake_is_econnreset() {
    let port = scripted_server(b"", false).await;
    let err = tls_connect(&trusting(&pki().ca), "localhost", port)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ECONNRESET"));
    assert_eq!(
        err.message(),
        "Client network socket disconnected before secure TLS connection was established"
    );
}

#[tokio::test]
async fn non_tls_reply_is_wrong_version_number() {
    // An MQTT CONNACK where a TLS ServerHello should be.
    let port = scripted_server(b"\x20\x02\x00\x00", true).await;
    let err = tls_connect(&trusting(&pki().ca), "localhost", port)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ERR_SSL_WRONG_VERSION_NUMBER"));
}

#[tokio::test]
async fn stalled_handshake_can_be_abandoned_by_a_timeout() {
    let port = scripted_server(b"", true).await;
    let opts = trusting(&pki().ca);
    let attempt = tls_connect(&opts, "localhost", port);
    let outcome = tokio::time::timeout(Duration::from_millis(200), attempt).await;
    assert!(outcome.is_err(), "the handshake should still be waiting");
}
