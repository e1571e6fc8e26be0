//! End-to-end transport tests against in-process servers on 127.0.0.1, with certificates made
//! by the `openssl` command line at test time.

mod pki;
mod servers;

mod socks;
mod tcp;
mod tls_client_auth;
mod tls_options;
mod tls_server_verification;
