//! Does the server certificate name the host we connected to? Node's `tls.checkServerIdentity`
//! rules (RFC 6125 with Node's choices), because MQTT.js on Node is what our verdicts must equal:
//!
//! - an IP-address host must be one of the certificate's IP subjectAltNames (never the CN);
//! - a DNS host is matched against the DNS subjectAltNames; only when there are none does the
//!   subject CN stand in (the classic `openssl x509 -req` recipe makes such certificates);
//! - a wildcard is one `*` in the leftmost label, not in an A-label (`xn--`), never `*.tld`;
//! - comparison is ASCII case-insensitive and ignores one trailing dot.
//!
//! The rejection carries Node's `ERR_TLS_CERT_ALTNAME_INVALID` and message.

use std::net::IpAddr;

use openssl::nid::Nid;
use openssl::x509::X509Ref;
use tokio_rustls::rustls::pki_types::ServerName;

use super::tls_verify::CertRejection;

/// The names a certificate presents, as Node reads them.
#[derive(Debug, Default)]
struct PresentedNames {
    dns: Vec<String>,
    ips: Vec<IpAddr>,
    /// Node's `cert.subjectaltname` string ("DNS:a, IP Address:1.2.3.4"), used in its messages.
    alt_names_text: String,
    common_names: Vec<String>,
}

impl PresentedNames {
    fn of(cert: &X509Ref) -> Self {
        let mut names = Self::default();
        let mut texts = Vec::new();
        for alt in cert.subject_alt_names().iter().flatten() {
            if let Some(dns) = alt.dnsname() {
                names.dns.push(dns.to_string());
                texts.push(format!("DNS:{dns}"));
            } else if let Some(ip) = alt.ipaddress().and_then(ip_from_bytes) {
                names.ips.push(ip);
                texts.push(format!("IP Address:{ip}"));
            } else if let Some(uri) = alt.uri() {
                texts.push(format!("URI:{uri}"));
            } else if let Some(email) = alt.email() {
                texts.push(format!("email:{email}"));
            }
        }
        names.alt_names_text = texts.join(", ");
        names.common_names = cert
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .filter_map(|entry| entry.data().to_string().ok())
            .collect();
        names
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// `Ok(())` when `cert` is valid for `server_name` by Node's rules.
pub(crate) fn check_server_identity(
    server_name: &ServerName<'_>,
    cert: &X509Ref,
) -> Result<(), CertRejection> {
    let names = PresentedNames::of(cert);
    let reason = match server_name {
        ServerName::IpAddress(ip) => {
            let ip = IpAddr::from(*ip);
            if names.ips.contains(&ip) {
                return Ok(());
            }
            let list: Vec<String> = names.ips.iter().map(IpAddr::to_string).collect();
            format!("IP: {ip} is not in the cert's list: {}", list.join(", "))
        }
        ServerName::DnsName(dns) => {
            let host = dns.as_ref().strip_suffix('.').unwrap_or(dns.as_ref());
            let host_labels = split_name(host);
            let matches = |pattern: &String| name_matches(&host_labels, pattern);
            if !names.dns.is_empty() {
                if names.dns.iter().any(matches) {
                    return Ok(());
                }
                format!(
                    "Host: {host}. is not in the cert's altnames: {}",
                    names.alt_names_text
                )
            } else if !names.common_names.is_empty() {
                if names.common_names.iter().any(matches) {
                    return Ok(());
                }
                format!(
                    "Host: {host}. is not cert's CN: {}",
                    names.common_names.join(",")
                )
            } else {
                "Cert does not contain a DNS name".to_string()
            }
        }
        // rustls has no other kind of server name today; refuse rather than guess.
        _ => "Cert does not contain a DNS name".to_string(),
    };
    Err(CertRejection {
        code: "ERR_TLS_CERT_ALTNAME_INVALID",
        message: format!("Hostname/IP does not match certificate's altnames: {reason}"),
    })
}

/// Lower-cased (ASCII only, as Node: locale-independent) labels, without one trailing dot.
fn split_name(name: &str) -> Vec<String> {
    name.strip_suffix('.')
        .unwrap_or(name)
        .to_ascii_lowercase()
        .split('.')
        .map(str::to_string)
        .collect()
}

fn name_matches(host_labels: &[String], pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern_labels = split_name(pattern);
    if pattern_labels.len() != host_labels.len() || pattern_labels.iter().any(String::is_empty) {
        return false;
    }
    // Non-ASCII, control characters and blanks never match (no IDNA normalisation is attempted).
    let printable_ascii =
        |label: &String| label.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    if !pattern_labels.iter().all(printable_ascii) {
        return false;
    }
    // All labels but the leftmost must be equal.
    if pattern_labels[1..] != host_labels[1..] {
        return false;
    }
    let host_first = &host_labels[0];
    let pattern_first = &pattern_labels[0];
    let pieces: Vec<&str> = pattern_first.split('*').collect();
    if pieces.len() == 1 || pattern_first.contains("xn--") {
        return host_first == pattern_first;
    }
    // One wildcard at most, and never directly under a top-level domain.
    if pieces.len() > 2 || pattern_labels.len() <= 2 {
        return false;
    }
    let (prefix, suffix) = (pieces[0], pieces[1]);
    prefix.len() + suffix.len() <= host_first.len()
        && host_first.starts_with(prefix)
        && host_first.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(host: &str, pattern: &str) -> bool {
        name_matches(&split_name(host), pattern)
    }

    #[test]
    fn exact_names_match_case_insensitively_and_ignore_a_trailing_dot() {
        assert!(matches("Broker.Example.COM", "broker.example.com"));
        assert!(matches("broker.example.com.", "broker.example.com"));
        assert!(!matches("broker.example.com", "other.example.com"));
        assert!(!matches("broker.example.com", ""));
        assert!(!matches("broker.example.com", "bad..com"));
    }

    #[test]
    fn wildcard_covers_one_leftmost_label_only() {
        assert!(matches("a.example.com", "*.example.com"));
        assert!(!matches("a.b.example.com", "*.example.com"));
        assert!(!matches("example.com", "*.example.com"));
        assert!(!matches("example.com", "*.com"));
        assert!(matches("mqtt-1.example.com", "mqtt-*.example.com"));
        assert!(!matches("web.example.com", "mqtt-*.example.com"));
        assert!(!matches("a.example.com", "*.*.com"));
        assert!(!matches("xn--a.example.com", "xn--*.example.com"));
    }

    #[test]
    fn non_ascii_patterns_never_match() {
        assert!(!matches("ä.example.com", "ä.example.com"));
    }
}
