//! `TlsConnectorConfig::new`: which options are accepted, and that bad ones are named.

use super::pki::pki;
use super::servers::trusting;
use crate::transport::{TlsConnectorConfig, TlsOptions, TransportError};

fn config_error(opts: &TlsOptions) -> TransportError {
    match TlsConnectorConfig::new(opts, "localhost") {
        Ok(_) => panic!("options should have been rejected"),
        Err(err) => err,
    }
}

fn assert_names_option(err: &TransportError, option: &str) {
    assert_eq!(err.code(), Some("ERR_INVALID_ARG_VALUE"));
    let prefix = format!("Invalid TLS option `{option}`:");
    assert!(err.message().starts_with(&prefix), "{}", err.message());
}

#[test]
fn garbage_ca_is_rejected_naming_ca() {
    for garbage in [
        &b"not a certificate"[..],
        b"",
        b"-----BEGIN CERTIFICATE-----\n!!!\n",
    ] {
        let err = config_error(&trusting(garbage));
        assert_names_option(&err, "ca");
    }
}

/// The first `lines` lines of a PEM file, as a file cut short in a copy would be.
fn truncated(pem: &[u8], lines: usize) -> Vec<u8> {
    let text = String::from_utf8(pem.to_vec()).unwrap();
    let mut cut: Vec<&str> = text.lines().take(lines).collect();
    cut.push("");
    cut.join("\n").into_bytes()
}

#[test]
fn truncated_pem_is_described_in_words_naming_the_option() {
    let cert = truncated(&pki().client.cert, 3);
    let key = truncated(&pki().client.key, 2);
    let cases = [
        ("ca", trusting(&truncated(&pki().ca, 3))),
        (
            "cert",
            TlsOptions {
                cert: Some(cert),
                key: Some(pki().client.key.clone()),
                ..trusting(&pki().ca)
            },
        ),
        (
            "key",
            TlsOptions {
                cert: Some(pki().client.cert.clone()),
                key: Some(key),
                ..trusting(&pki().ca)
            },
        ),
    ];
    for (option, opts) in cases {
        let err = config_error(&opts);
        assert_names_option(&err, option);
        let message = err.message();
        assert!(message.contains("truncated"), "{message}");
        assert!(message.contains("-----END "), "{message}");
        // Not the parser's debug form, a list of byte values ("[45, 45, ...]").
        assert!(!message.contains("[45, "), "{message}");
    }
}

#[test]
fn ca_with_a_bad_entry_names_the_entry() {
    let opts = TlsOptions {
        ca: vec![pki().ca.clone(), b"junk".to_vec()],
        ..TlsOptions::default()
    };
    assert_names_option(&config_error(&opts), "ca[1]");
}

#[test]
fn pem_key_instead_of_ca_is_rejected() {
    assert_names_option(&config_error(&trusting(&pki().client.key)), "ca");
}

#[test]
fn no_trust_anchors_at_all_is_an_error_when_verifying() {
    assert_names_option(&config_error(&TlsOptions::default()), "ca");
    let unverified = TlsOptions {
        reject_unauthorized: false,
        ..TlsOptions::default()
    };
    assert!(TlsConnectorConfig::new(&unverified, "localhost").is_ok());
}

#[test]
fn client_key_formats_pkcs8_sec1_pkcs1_and_der_are_accepted() {
    let client = &pki().client;
    let keys = [
        (&client.cert, &client.key),
        (&client.cert, &pki().client_key_sec1),
        (&pki().client_rsa_pkcs1.cert, &pki().client_rsa_pkcs1.key),
        (&pki().client_der.cert, &pki().client_der.key),
    ];
    for (cert, key) in keys {
        let opts = TlsOptions {
            cert: Some(cert.clone()),
            key: Some(key.clone()),
            ..trusting(&pki().ca)
        };
        if let Err(err) = TlsConnectorConfig::new(&opts, "localhost") {
            panic!("{err}");
        }
    }
}

#[test]
fn cert_without_key_and_key_without_cert_name_the_missing_one() {
    let client = &pki().client;
    let cert_only = TlsOptions {
        cert: Some(client.cert.clone()),
        ..trusting(&pki().ca)
    };
    assert_names_option(&config_error(&cert_only), "key");
    let key_only = TlsOptions {
        key: Some(client.key.clone()),
        ..trusting(&pki().ca)
    };
    assert_names_option(&config_error(&key_only), "cert");
}

#[test]
fn key_not_matching_cert_is_rejected_naming_key() {
    let opts = TlsOptions {
        cert: Some(pki().client.cert.clone()),
        key: Some(pki().server.key.clone()),
        ..trusting(&pki().ca)
    };
    let err = config_error(&opts);
    assert_names_option(&err, "key");
    assert!(
        err.message().contains("does not match"),
        "{}",
        err.message()
    );
}

#[test]
fn encrypted_or_garbage_key_is_rejected_naming_key() {
    for key in [
        &pki().client_key_encrypted,
        &b"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n".to_vec(),
        &b"\x30\x03junk".to_vec(),
    ] {
        let opts = TlsOptions {
            cert: Some(pki().client.cert.clone()),
            key: Some(key.clone()),
            ..trusting(&pki().ca)
        };
        assert_names_option(&config_error(&opts), "key");
    }
}

#[test]
fn garbage_cert_is_rejected_naming_cert() {
    let opts = TlsOptions {
        cert: Some(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec()),
        key: Some(pki().client.key.clone()),
        ..trusting(&pki().ca)
    };
    assert_names_option(&config_error(&opts), "cert");
}

#[test]
fn a_servername_that_is_no_host_name_is_not_an_option_error() {
    // Node takes any string; no certificate can match it (checked when connecting).
    let opts = TlsOptions {
        servername: Some("not a host name".into()),
        ..trusting(&pki().ca)
    };
    let config = TlsConnectorConfig::new(&opts, "localhost").unwrap();
    assert!(config.server_name().is_none());
}

#[test]
fn server_name_defaults_to_host_and_accepts_bracketed_ipv6() {
    let config = TlsConnectorConfig::new(&trusting(&pki().ca), "[::1]").unwrap();
    assert_eq!(config.server_name().unwrap().to_str(), "::1");
    let config = TlsConnectorConfig::new(&trusting(&pki().ca), "broker.example").unwrap();
    assert_eq!(config.server_name().unwrap().to_str(), "broker.example");
}

#[test]
fn a_host_that_is_no_dns_name_is_not_an_option_error() {
    // Node looks it up (ENOTFOUND) rather than refusing it up front.
    let config = TlsConnectorConfig::new(&trusting(&pki().ca), "mqtt://localhost:8993").unwrap();
    assert!(config.server_name().is_none());
}
