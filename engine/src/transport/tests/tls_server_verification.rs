//! Server certificate verification: what is accepted, and the Node error codes for what is not.

use super::pki::pki;
use super::servers::{assert_round_trip, tls_connect, tls_echo_server, trusting, ServerSetup};
use crate::transport::{TlsOptions, TransportError};

async fn connect_error(opts: &TlsOptions, host: &str, port: u16) -> TransportError {
    match tls_connect(opts, host, port).await {
        Ok(_) => panic!("connection to {host}:{port} should have been rejected"),
        Err(err) => err,
    }
}

#[tokio::test]
async fn server_signed_by_ca_is_accepted_and_data_round_trips() {
    let port = tls_echo_server(ServerSetup::new(&pki().server)).await;
    let mut stream = tls_connect(&trusting(&pki().ca), "localhost", port)
        .await
        .unwrap();
    assert_round_trip(&mut stream).await;
}

#[tokio::test]
async fn ip_address_host_is_checked_against_ip_san() {
    let port = tls_echo_server(ServerSetup::new(&pki().server)).await;
    let mut stream = tls_connect(&trusting(&pki().ca), "127.0.0.1", port)
        .await
        .unwrap();
    assert_round_trip(&mut stream).await;
}

#[tokio::test]
async fn ca_may_be_given_as_der() {
    let port = tls_echo_server(ServerSetup::new(&pki().server)).await;
    let mut stream = tls_connect(&trusting(&pki().ca_der), "localhost", port)
        .await
        .unwrap();
    assert_round_trip(&mut stream).await;
}

#[tokio::test]
async fn default_roots_are_used_when_ca_is_empty() {
    let port = tls_echo_server(ServerSetup::new(&pki().server)).await;
    let opts = TlsOptions {
        default_roots: vec![pki().other_ca.clone(), pki().ca.clone()],
        ..TlsOptions::default()
    };
    let mut stream = tls_connect(&opts, "localhost", port).await.unwrap();
    assert_round_trip(&mut stream).await;
}

#[tokio::test]
async fn leaf_from_unknown_issuer_is_unable_to_verify_leaf_signature() {
    let port = tls_echo_server(ServerSetup::new(&pki().server)).await;
    // Like Node without `ca`: only the default roots, which do not know the test CA.
    let opts = TlsOptions {
        default_roots: vec![pki().other_ca.clone()],
        ..TlsOptions::default()
    };
    let err = connect_error(&opts, "localhost", port).await;
    assert_eq!(err.code(), Some("UNABLE_TO_VERIFY_LEAF_SIGNATURE"));
    assert_eq!(err.message(), "unable to verify the first certificate");
}

#[tokio::test]
async fn lone_self_signed_certificate_is_depth_zero_self_signed() {
    let port = tls_echo_server(ServerSetup::new(&pki().self_signed)).await;
    let err = connect_error(&trusting(&pki().ca), "localhost", port).await;
    assert_eq!(err.code(), Some("DEPTH_ZERO_SELF_SIGNED_CERT"));
    assert_eq!(err.message(), "self-signed certificate");
}

#[tokio::test]
async fn chain_ending_in_untrusted_root_is_self_signed_cert_in_chain() {
    let port = tls_echo_server(ServerSetup::new(&pki().server_with_root)).await;
    let err = connect_error(&trusting(&pki().other_ca), "localhost", port).await;
    assert_eq!(err.code(), Some("SELF_SIGNED_CERT_IN_CHAIN"));
}

#[tokio::test]
async fn wrong_servername_is_altname_invalid() {
    let port = tls_echo_server(ServerSetup::new(&pki().server)).await;
    let opts = TlsOptions {
        servername: Some("wrong.example".into()),
        ..trusting(&pki().ca)
    };
    let err = connect_error(&opts, "127.0.0.1", port).await;
    assert_eq!(err.code(), Some("ERR_TLS_CERT_ALTNAME_INVALID"));
    assert_eq!(
        err.message(),
        "Hostname/IP does not match certificate's altnames: \
         Host: wrong.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1"
    );
}

#[tokio::test]
async fn certificate_without_subject_alt_name_falls_back_to_the_cn_like_node() {
    let port = tls_echo_server(ServerSetup::new(&pki().cn_only)).await;
    let mut stream = tls_connect(&trusting(&pki().ca), "localhost", port)
        .await
        .unwrap();
    assert_round_trip(&mut stream).await;

    let opts = TlsOptions {
        servername: Some("other.example".into()),
        ..trusting(&pki().ca)
    };
    let err = connect_error(&opts, "127.0.0.1", port).await;
    assert_eq!(err.code(), Some("ERR_TLS_CERT_ALTNAME_INVALID"));
    assert_eq!(
        err.message(),
        "Hostname/IP does not match certificate's altnames: \
         Host: other.example. is not cert's CN: localhost"
    );
    // An IP host never matches a CN.
    let err = connect_error(&trusting(&pki().ca), "127.0.0.1", port).await;
    assert_eq!(
        err.message(),
        "Hostname/IP does not match certificate's altnames: \
         IP: 127.0.0.1 is not in the cert's list: "
    );
}

#[tokio::test]
async fn expired_certificate_is_cert_has_expired() {
    let port = tls_echo_server(ServerSetup::new(&pki().expired)).await;
    let err = connect_error(&trusting(&pki().ca), "localhost", port).await;
    assert_eq!(err.code(), Some("CERT_HAS_EXPIRED"));
    assert_eq!(err.message(), "certificate has expired");
}

#[tokio::test]
async fn future_certificate_is_cert_not_yet_valid() {
    let port = tls_echo_server(ServerSetup::new(&pki().not_yet_valid)).await;
    let err = connect_error(&trusting(&pki().ca), "localhost", port).await;
    assert_eq!(err.code(), Some("CERT_NOT_YET_VALID"));
}

#[tokio::test]
async fn reject_unauthorized_false_accepts_any_certificate_but_still_encrypts() {
    let opts = TlsOptions {
        reject_unauthorized: false,
        servername: Some("wrong.example".into()),
        ..TlsOptions::default()
    };
    for identity in [&pki().self_signed, &pki().expired, &pki().cn_only] {
        let port = tls_echo_server(ServerSetup::new(identity)).await;
        let mut stream = tls_connect(&opts, "127.0.0.1", port).await.unwrap();
        assert!(matches!(stream, crate::transport::Stream::Tls(_)));
        assert_round_trip(&mut stream).await;
    }
}

#[tokio::test]
async fn a_servername_that_is_no_host_name_matches_no_certificate() {
    // Even one listing the address connected to (127.0.0.1) as an IP SAN, as in Node.
    let port = tls_echo_server(ServerSetup::new(&pki().server)).await;
    let opts = TlsOptions {
        servername: Some("mqtt://localhost:1".into()),
        ..trusting(&pki().ca)
    };
    let err = connect_error(&opts, "127.0.0.1", port).await;
    assert_eq!(err.code(), Some("ERR_TLS_CERT_ALTNAME_INVALID"));

    let unverified = TlsOptions {
        reject_unauthorized: false,
        ..opts
    };
    let mut stream = tls_connect(&unverified, "127.0.0.1", port).await.unwrap();
    assert_round_trip(&mut stream).await;
}
