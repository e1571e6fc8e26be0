//! Test certificates, generated once per test run with the `openssl` command line (no extra
//! crate needed; OpenSSL 3.0's `openssl ca` can back-date certificates for the expiry tests).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A certificate chain and its private key, PEM.
pub(crate) struct Identity {
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

pub(crate) struct Pki {
    /// The CA the tests trust.
    pub ca: Vec<u8>,
    /// Same CA certificate, DER.
    pub ca_der: Vec<u8>,
    /// An unrelated CA: stands in for Node's default roots, which do not know our test CA.
    pub other_ca: Vec<u8>,
    /// localhost + 127.0.0.1, signed by `ca`.
    pub server: Identity,
    /// `server` with the CA certificate appended to the chain.
    pub server_with_root: Identity,
    pub expired: Identity,
    pub not_yet_valid: Identity,
    /// Same names as `server`, but self-signed.
    pub self_signed: Identity,
    /// CN=localhost and no subjectAltName at all.
    pub cn_only: Identity,
    /// Client certificate (clientAuth) signed by `ca`, PKCS#8 EC key.
    pub client: Identity,
    /// The client key as SEC1 ("EC PRIVATE KEY").
    pub client_key_sec1: Vec<u8>,
    /// The client certificate and key as DER.
    pub client_der: Identity,
    /// The client key encrypted with a passphrase.
    pub client_key_encrypted: Vec<u8>,
    /// An RSA client with a PKCS#1 ("RSA PRIVATE KEY") key.
    pub client_rsa_pkcs1: Identity,
}

pub(crate) fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(generate)
}

fn generate() -> Pki {
    let dir = TempDir::new();
    let d = dir.path();
    fs::write(d.join("openssl.cnf"), config(d)).unwrap();
    fs::write(d.join("index.txt"), "").unwrap();
    fs::write(d.join("serial"), "01\n").unwrap();

    self_signed_cert(d, "ca", "ca_ext");
    self_signed_cert(d, "other_ca", "ca_ext");
    new_key_and_csr(d, "server", "localhost");
    sign(d, "server", "server", "server_ext", Dates::Valid);
    sign(d, "server", "expired", "server_ext", Dates::Past);
    sign(d, "server", "not_yet_valid", "server_ext", Dates::Future);
    sign(d, "server", "cn_only", "cn_only_ext", Dates::Valid);
    openssl(
        d,
        "req -x509 -config openssl.cnf -key server.key -out self_signed.pem -days 2 \
                -subj /CN=localhost -extensions server_ext",
    );
    new_key_and_csr(d, "client", "test-client");
    sign(d, "client", "client", "client_ext", Dates::Valid);
    openssl(d, "pkey -in client.key -traditional -out client.sec1.key");
    openssl(d, "pkey -in client.key -outform DER -out client.key.der");
    openssl(d, "x509 -in client.pem -outform DER -out client.der");
    openssl(d, "x509 -in ca.pem -outform DER -out ca.der");
    openssl(
        d,
        "pkey -in client.key -aes256 -passout pass:secret -out client.enc.key",
    );
    openssl(d, "genrsa -traditional -out client_rsa.key 2048");
    openssl(
        d,
        "req -new -config openssl.cnf -key client_rsa.key -out client_rsa.csr \
                -subj /CN=rsa-client",
    );
    sign(d, "client_rsa", "client_rsa", "client_ext", Dates::Valid);

    let read = |name: &str| fs::read(d.join(name)).unwrap();
    let identity = |cert: &str, key: &str| Identity {
        cert: read(cert),
        key: read(key),
    };
    let mut server_with_root = identity("server.pem", "server.key");
    server_with_root.cert.extend(read("ca.pem"));
    Pki {
        ca: read("ca.pem"),
        ca_der: read("ca.der"),
        other_ca: read("other_ca.pem"),
        server: identity("server.pem", "server.key"),
        server_with_root,
        expired: identity("expired.pem", "server.key"),
        not_yet_valid: identity("not_yet_valid.pem", "server.key"),
        self_signed: identity("self_signed.pem", "server.key"),
        cn_only: identity("cn_only.pem", "server.key"),
        client: identity("client.pem", "client.key"),
        client_key_sec1: read("client.sec1.key"),
        client_der: identity("client.der", "client.key.der"),
        client_key_encrypted: read("client.enc.key"),
        client_rsa_pkcs1: identity("client_rsa.pem", "client_rsa.key"),
    }
}

enum Dates {
    Valid,
    Past,
    Future,
}

const NEW_EC_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

fn self_signed_cert(dir: &Path, name: &str, extensions: &str) {
    openssl(
        dir,
        &format!(
            "req -x509 -config openssl.cnf {NEW_EC_KEY} -keyout {name}.key -out {name}.pem \
             -days 2 -subj /CN={name} -extensions {extensions}"
        ),
    );
}

fn new_key_and_csr(dir: &Path, name: &str, common_name: &str) {
    openssl(
        dir,
        &format!(
            "req -new -config openssl.cnf {NEW_EC_KEY} -keyout {name}.key -out {name}.csr \
             -subj /CN={common_name}"
        ),
    );
}

/// Signs `<csr>.csr` with the test CA into `<out>.pem`. `openssl ca` (unlike `openssl x509` in
/// OpenSSL 3.0) takes explicit start/end dates, which is how the expired certificate is made.
fn sign(dir: &Path, csr: &str, out: &str, extensions: &str, dates: Dates) {
    let dates = match dates {
        Dates::Valid => "-days 2",
        Dates::Past => "-startdate 20200101000000Z -enddate 20200102000000Z",
        Dates::Future => "-startdate 20990101000000Z -enddate 20990102000000Z",
    };
    openssl(
        dir,
        &format!(
            "ca -batch -notext -config openssl.cnf -cert ca.pem -keyfile ca.key -in {csr}.csr \
             -out {out}.pem -extensions {extensions} {dates}"
        ),
    );
}

/// Runs `openssl` with whitespace-separated arguments (none of ours contain spaces).
fn openssl(dir: &Path, args: &str) {
    let args: Vec<&str> = args.split_whitespace().collect();
    let output = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("the TLS tests need the `openssl` command line tool");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A self-contained OpenSSL config so the system's openssl.cnf cannot change what we generate.
fn config(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        r#"
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
default_ca = test_ca
[test_ca]
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any_policy
unique_subject = no
email_in_dn = no
[any_policy]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[cn_only_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
"#
    )
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("mqtt-napi-transport-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
