//! Just enough DER to read a certificate's issuer and subject names. Used only to classify an
//! untrusted chain the way OpenSSL does (is this certificate self-signed?); it is never used to
//! decide whether a certificate is trusted, so a parse failure simply means "don't know".

/// One DER element: its tag, its contents, and everything after it.
struct Element<'a> {
    tag: u8,
    contents: &'a [u8],
    rest: &'a [u8],
}

fn read_element(input: &[u8]) -> Option<Element<'_>> {
    let (&tag, after_tag) = input.split_first()?;
    let (&first_len, after_len) = after_tag.split_first()?;
    let (len, body) = if first_len < 0x80 {
        (usize::from(first_len), after_len)
    } else {
        // Long form: the low bits say how many length bytes follow. Certificates never need more
        // than four; refusing more keeps the arithmetic from overflowing.
        let count = usize::from(first_len & 0x7f);
        if count == 0 || count > 4 || after_len.len() < count {
            return None;
        }
        let (len_bytes, body) = after_len.split_at(count);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte));
        (len, body)
    };
    if body.len() < len {
        return None;
    }
    let (contents, rest) = body.split_at(len);
    Some(Element {
        tag,
        contents,
        rest,
    })
}

const SEQUENCE: u8 = 0x30;
/// `[0] EXPLICIT Version` at the start of TBSCertificate (absent for v1 certificates).
const VERSION_TAG: u8 = 0xa0;

/// The encoded issuer and subject `Name`s of an X.509 certificate.
pub(crate) fn issuer_and_subject(cert_der: &[u8]) -> Option<(&[u8], &[u8])> {
    let certificate = read_element(cert_der).filter(|e| e.tag == SEQUENCE)?;
    let tbs = read_element(certificate.contents).filter(|e| e.tag == SEQUENCE)?;
    // TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
    //                               validity, subject, ... }
    let mut field = read_element(tbs.contents)?;
    if field.tag == VERSION_TAG {
        field = read_element(field.rest)?;
    }
    let signature_algorithm = read_element(field.rest)?;
    let issuer = read_element(signature_algorithm.rest)?;
    let validity = read_element(issuer.rest)?;
    let subject = read_element(validity.rest)?;
    Some((issuer.contents, subject.contents))
}

/// Self-issued (issuer == subject) is what OpenSSL checks to call a certificate "self-signed".
pub(crate) fn is_self_issued(cert_der: &[u8]) -> bool {
    matches!(issuer_and_subject(cert_der), Some((issuer, subject)) if issuer == subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal certificate-shaped structure: SEQ { SEQ { [0]{INT 2}, INT 1, SEQ{}, issuer,
    /// SEQ{}, subject } } with one-byte names. Real certificates are covered by the TLS tests.
    fn fake_cert(issuer: u8, subject: u8, with_version: bool) -> Vec<u8> {
        let mut tbs = Vec::new();
        if with_version {
            tbs.extend([0xa0, 0x03, 0x02, 0x01, 0x02]);
        }
        tbs.extend([0x02, 0x01, 0x01, 0x30, 0x00]);
        tbs.extend([0x30, 0x01, issuer, 0x30, 0x00, 0x30, 0x01, subject]);
        let mut tbs_seq = vec![0x30, tbs.len() as u8];
        tbs_seq.extend(tbs);
        let mut cert = vec![0x30, tbs_seq.len() as u8];
        cert.extend(tbs_seq);
        cert
    }

    #[test]
    fn reads_issuer_and_subject() {
        let cert = fake_cert(7, 9, true);
        assert_eq!(issuer_and_subject(&cert), Some((&[7u8][..], &[9u8][..])));
        assert!(!is_self_issued(&cert));
        assert!(is_self_issued(&fake_cert(5, 5, false)));
    }

    #[test]
    fn long_form_lengths() {
        let mut input = vec![0x04, 0x82, 0x01, 0x00];
        input.extend(std::iter::repeat_n(0u8, 256));
        let element = read_element(&input).unwrap();
        assert_eq!(element.contents.len(), 256);
        assert!(element.rest.is_empty());
    }

    #[test]
    fn truncated_or_garbage_input_is_not_self_issued() {
        let cert = fake_cert(5, 5, true);
        for cut in 0..cert.len() {
            assert!(!is_self_issued(&cert[..cut]), "cut at {cut}");
        }
        assert!(!is_self_issued(&[0x30, 0x85, 1, 2, 3, 4, 5]));
        assert!(!is_self_issued(b"not a certificate"));
    }
}
