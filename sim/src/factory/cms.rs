//! CMS SignedData (RFC 5652 §5) as ICAO 9303-10 §4.6.2 and 9303-12 §8 use it: one signer
//! identified by issuer and serial number, signed attributes contentType, messageDigest and
//! signingTime, the signer's certificate included.

use sha2::{Digest, Sha256};

use super::pki::{Cert, ECDSA_SHA256, SHA256};
use super::DateTime;
use document::tlv::write as der;

/// Signs `content` of type `content_type` (dotted OID) and returns the ContentInfo DER.
pub fn signed_data(
    content_type: &str,
    content: &[u8],
    signer: &Cert,
    signing_time: DateTime,
) -> Vec<u8> {
    signed_data_with(content_type, content, signer, signing_time, false)
}

/// As [`signed_data`]; `break_signature` flips a bit of the signature (a broken SOD).
pub fn signed_data_with(
    content_type: &str,
    content: &[u8],
    signer: &Cert,
    signing_time: DateTime,
    break_signature: bool,
) -> Vec<u8> {
    let digest_alg = der::seq(&[&der::oid(SHA256)]);
    let attrs = [
        der::seq(&[
            &der::oid("1.2.840.113549.1.9.3"),
            &der::set_of(&[&der::oid(content_type)]),
        ]),
        der::seq(&[
            &der::oid("1.2.840.113549.1.9.4"),
            &der::set_of(&[&der::octets(&Sha256::digest(content))]),
        ]),
        der::seq(&[
            &der::oid("1.2.840.113549.1.9.5"),
            &der::set_of(&[&signing_time.der()]),
        ]),
    ];
    let attr_refs: Vec<&[u8]> = attrs.iter().map(|a| a.as_slice()).collect();
    // RFC 5652 §5.4: the signature covers the DER of the attributes as a SET OF.
    let signed_attrs_set = der::set_of(&attr_refs);
    let mut sig = signer.key.sign(&signed_attrs_set);
    if break_signature {
        if let Some(b) = sig.last_mut() {
            *b ^= 0x01;
        }
    }
    let mut implicit_attrs = signed_attrs_set.clone();
    implicit_attrs[0] = 0xA0;
    let signer_info = der::seq(&[
        &der::int(1),
        &der::seq(&[&signer.issuer, &der::int(signer.serial)]),
        &digest_alg,
        &implicit_attrs,
        &der::seq(&[&der::oid(ECDSA_SHA256)]),
        &der::octets(&sig),
    ]);
    let signed = der::seq(&[
        &der::int(3),
        &der::set_of(&[&digest_alg]),
        &der::seq(&[&der::oid(content_type), &der::ctx(0, &der::octets(content))]),
        &der::ctx(0, &signer.der),
        &der::set_of(&[&signer_info]),
    ]);
    der::seq(&[&der::oid("1.2.840.113549.1.7.2"), &der::ctx(0, &signed)])
}
