//! Passive authentication against a PKI generated inside the test: a CSCA, Document Signers,
//! CRLs, SODs and a CSCA master list, all built here with `p256` signatures over hand-encoded
//! DER. Covers what the public specimens cannot: a genuine chain to a CSCA, an expired DS, a
//! revoked DS, an unknown CSCA, a wrongly signed CRL and a master list round trip.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use document::mrz::MrzKey;
use document::pa::{verify_sod, CheckStatus, PaInput, PaOptions, PaOutcome, PaVerdict, Strictness};
use document::pki::{Certificate, CscaStore, MasterList, MasterListSignature, PkiError};
use document::tlv::write::{bits, encode, int, octets, oid, printable, seq, set_of as set};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    encode(u32::from(tag), value)
}
/// UTCTime for a year in 2000..2049 (Jan 1st, 00:00:00Z).
fn utc(year: u32) -> Vec<u8> {
    tlv(0x17, format!("{:02}0101000000Z", year - 2000).as_bytes())
}
fn name(country: &str, cn: &str) -> Vec<u8> {
    seq(&[
        &set(&[&seq(&[&oid("2.5.4.6"), &printable(country)])]),
        &set(&[&seq(&[&oid("2.5.4.3"), &printable(cn)])]),
    ])
}

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const LDS_SO: &str = "2.23.136.1.1.1";
const ML: &str = "2.23.136.1.1.2";

fn key(seed: u8) -> SigningKey {
    let mut b = [seed; 32];
    b[0] = 0x01; // keep the scalar below the P-256 order
    SigningKey::from_bytes(&b.into()).unwrap()
}
fn point(k: &SigningKey) -> Vec<u8> {
    k.verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}
fn ski(k: &SigningKey) -> Vec<u8> {
    Sha256::digest(point(k))[..20].to_vec()
}
fn sign(k: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let s: Signature = k.sign(msg);
    s.to_der().as_bytes().to_vec()
}

struct Issued {
    der: Vec<u8>,
}

/// A Document Signer or Master List Signer: its certificate, serial number and key.
struct Signer {
    der: Vec<u8>,
    serial: u64,
    key: SigningKey,
}

/// Issues a certificate for `subject_key` signed by `issuer_key`.
#[allow(clippy::too_many_arguments)]
fn issue(
    serial: u64,
    issuer: &[u8],
    issuer_key: &SigningKey,
    subject: &[u8],
    subject_key: &SigningKey,
    from: u32,
    to: u32,
    ca: bool,
) -> Issued {
    let alg = seq(&[&oid(ECDSA_SHA256)]);
    let spki = seq(&[
        &seq(&[&oid("1.2.840.10045.2.1"), &oid("1.2.840.10045.3.1.7")]),
        &bits(&point(subject_key)),
    ]);
    let mut exts = vec![
        seq(&[&oid("2.5.29.14"), &octets(&octets(&ski(subject_key)))]),
        seq(&[
            &oid("2.5.29.35"),
            &octets(&seq(&[&tlv(0x80, &ski(issuer_key))])),
        ]),
    ];
    if ca {
        exts.push(seq(&[
            &oid("2.5.29.19"),
            &tlv(0x01, &[0xFF]),
            &octets(&seq(&[&tlv(0x01, &[0xFF])])),
        ]));
    }
    let ext_refs: Vec<&[u8]> = exts.iter().map(|e| e.as_slice()).collect();
    let tbs = seq(&[
        &tlv(0xA0, &int(2)),
        &int(serial),
        &alg,
        issuer,
        &seq(&[&utc(from), &utc(to)]),
        subject,
        &spki,
        &tlv(0xA3, &seq(&ext_refs)),
    ]);
    let sig = sign(issuer_key, &tbs);
    Issued {
        der: seq(&[&tbs, &alg, &bits(&sig)]),
    }
}

fn crl(issuer: &[u8], issuer_key: &SigningKey, revoked: &[u64]) -> Vec<u8> {
    let alg = seq(&[&oid(ECDSA_SHA256)]);
    let entries: Vec<Vec<u8>> = revoked
        .iter()
        .map(|s| seq(&[&int(*s), &utc(2021)]))
        .collect();
    let refs: Vec<&[u8]> = entries.iter().map(|e| e.as_slice()).collect();
    let mut parts: Vec<Vec<u8>> = vec![int(1), alg.clone(), issuer.to_vec(), utc(2021), utc(2040)];
    if !refs.is_empty() {
        parts.push(seq(&refs));
    }
    let prefs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    let tbs = seq(&prefs);
    let sig = sign(issuer_key, &tbs);
    seq(&[&tbs, &alg, &bits(&sig)])
}

/// CMS SignedData with signed attributes (RFC 5652 §5), signed by `signer`.
fn signed_data(
    content_type: &str,
    content: &[u8],
    signer_issuer: &[u8],
    signer: &Signer,
    signing_time: Option<u32>,
) -> Vec<u8> {
    let digest = Sha256::digest(content).to_vec();
    let mut attrs = vec![
        seq(&[&oid("1.2.840.113549.1.9.3"), &set(&[&oid(content_type)])]),
        seq(&[&oid("1.2.840.113549.1.9.4"), &set(&[&octets(&digest)])]),
    ];
    if let Some(y) = signing_time {
        attrs.push(seq(&[&oid("1.2.840.113549.1.9.5"), &set(&[&utc(y)])]));
    }
    let arefs: Vec<&[u8]> = attrs.iter().map(|a| a.as_slice()).collect();
    let signed = set(&arefs);
    let sig = sign(&signer.key, &signed);
    let mut implicit = signed.clone();
    implicit[0] = 0xA0;
    let si = seq(&[
        &int(1),
        &seq(&[signer_issuer, &int(signer.serial)]),
        &seq(&[&oid(SHA256)]),
        &implicit,
        &seq(&[&oid(ECDSA_SHA256)]),
        &octets(&sig),
    ]);
    let sd = seq(&[
        &int(3),
        &set(&[&seq(&[&oid(SHA256)])]),
        &seq(&[&oid(content_type), &tlv(0xA0, &octets(content))]),
        &tlv(0xA0, &signer.der),
        &set(&[&si]),
    ]);
    seq(&[&oid("1.2.840.113549.1.7.2"), &tlv(0xA0, &sd)])
}

const MRZ: &str =
    "P<D<<ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C36D<<7408122F1204159ZE184226B<<<<<10";

fn dg1() -> Vec<u8> {
    tlv(0x61, &[&[0x5F, 0x1F, 0x58][..], MRZ.as_bytes()].concat())
}
fn dg2() -> Vec<u8> {
    tlv(0x75, &[0xA5u8; 200])
}

struct World {
    csca_name: Vec<u8>,
    csca_key: SigningKey,
    csca: Certificate,
}

/// A self-signed CSCA certificate, valid 2020 to 2045.
fn csca(serial: u64, name: &[u8], key: &SigningKey) -> Certificate {
    let der = issue(serial, name, key, name, key, 2020, 2045, true).der;
    Certificate::from_der(&der).unwrap()
}

impl World {
    /// A signer certified by the test CSCA from `from` to `to`.
    fn signer(&self, serial: u64, subject: &[u8], key: SigningKey, from: u32, to: u32) -> Signer {
        let cert = issue(
            serial,
            &self.csca_name,
            &self.csca_key,
            subject,
            &key,
            from,
            to,
            false,
        );
        Signer {
            der: cert.der,
            serial,
            key,
        }
    }
}

fn world() -> World {
    let csca_name = name("DE", "Test CSCA");
    let csca_key = key(1);
    World {
        csca: csca(1, &csca_name, &csca_key),
        csca_name,
        csca_key,
    }
}

struct Doc {
    sod: Vec<u8>,
    dgs: BTreeMap<u8, Vec<u8>>,
    ds_serial: u64,
}

fn document(
    w: &World,
    ds_from: u32,
    ds_to: u32,
    signing_time: Option<u32>,
    ds_country: &str,
) -> Doc {
    let ds = w.signer(
        0x0102_0304,
        &name(ds_country, "Test DS"),
        key(2),
        ds_from,
        ds_to,
    );
    let mut dgs = BTreeMap::new();
    dgs.insert(1u8, dg1());
    dgs.insert(2u8, dg2());
    let hashes: Vec<Vec<u8>> = dgs
        .iter()
        .map(|(n, b)| seq(&[&int(u64::from(*n)), &octets(&Sha256::digest(b))]))
        .collect();
    let hrefs: Vec<&[u8]> = hashes.iter().map(|h| h.as_slice()).collect();
    let lso = seq(&[&int(0), &seq(&[&oid(SHA256)]), &seq(&hrefs)]);
    let cms = signed_data(LDS_SO, &lso, &w.csca_name, &ds, signing_time);
    Doc {
        sod: tlv(0x77, &cms),
        dgs,
        ds_serial: ds.serial,
    }
}

fn at(year: u64) -> SystemTime {
    // Roughly mid-year; exact dates do not matter for these tests.
    UNIX_EPOCH + Duration::from_secs((year - 1970) * 365 * 86_400 + 180 * 86_400)
}

fn run(doc: &Doc, store: &CscaStore, now: SystemTime, strictness: Strictness) -> PaVerdict {
    let key = MrzKey::new("L898902C3", "740812", "120415").unwrap();
    let input = PaInput {
        sod: &doc.sod,
        data_groups: &doc.dgs,
        access_key: Some(&key),
    };
    verify_sod(&input, store, &PaOptions { now, strictness })
}

fn reason(v: &PaVerdict, name: &str) -> (CheckStatus, Option<&'static str>) {
    let c = v.check(name, None).unwrap_or_else(|| panic!("no {name}"));
    (c.status, c.reason)
}

/// A store holding `cscas` and, when `revoked` is given, a CRL of the test CSCA that lists
/// those serial numbers.
fn store(w: &World, cscas: &[&Certificate], revoked: Option<&[u64]>) -> CscaStore {
    let mut store = CscaStore::new();
    for c in cscas {
        store.add_certificate((*c).clone());
    }
    if let Some(serials) = revoked {
        store
            .add_crl(&crl(&w.csca_name, &w.csca_key, serials))
            .unwrap();
    }
    store
}

/// The DE document whose DS is valid 2021 to 2035, signed in 2022 and checked in 2024.
fn current_document(w: &World, ds_country: &str) -> Doc {
    document(w, 2021, 2035, Some(2022), ds_country)
}

#[test]
fn genuine_document_passes_strict_with_chain_and_crl() {
    let w = world();
    let doc = current_document(&w, "DE");
    let store = store(&w, &[&w.csca], Some(&[99]));
    let v = run(&doc, &store, at(2024), Strictness::Strict);
    assert!(
        v.checks.iter().all(|c| c.status == CheckStatus::Passed),
        "{:#?}",
        v.checks
    );
    assert_eq!(v.outcome, PaOutcome::Passed);
    assert_eq!(v.validity_time.source(), "signing_time");
    assert_eq!(v.csca.as_ref().unwrap().subject, "CN=Test CSCA,C=DE");
}

#[test]
fn expired_ds_fails_with_ds_expired() {
    let w = world();
    let store = store(&w, &[&w.csca], None);
    // No signingTime: validity is checked at "now" (2030), after the DS expired (2025).
    let doc = document(&w, 2021, 2025, None, "DE");
    let v = run(&doc, &store, at(2030), Strictness::Standard);
    assert_eq!(
        reason(&v, "ds_validity"),
        (CheckStatus::Failed, Some("ds_expired"))
    );
    assert_eq!(v.validity_time.source(), "now");
    assert_eq!(v.outcome, PaOutcome::Failed);
    // With a signingTime inside the DS validity the same document is fine in 2030.
    let doc = document(&w, 2021, 2025, Some(2022), "DE");
    let v = run(&doc, &store, at(2030), Strictness::Standard);
    assert_eq!(reason(&v, "ds_validity"), (CheckStatus::Passed, None));
    assert_eq!(v.outcome, PaOutcome::Passed, "{:#?}", v.checks);
}

/// Each case: the document's DS country, the store's CSCAs and CRL, and the check that fails
/// with its reason.
#[test]
fn failing_checks_and_their_reasons() {
    let w = world();
    let ds_serial = current_document(&w, "DE").ds_serial;
    let other = csca(5, &name("NL", "Other CSCA"), &key(3));
    // Same subject name, different key, no key identifiers pointing elsewhere: the
    // signature check is what rejects it. (Its SKI differs, so by key identifier it is not
    // even a candidate: the reason is csca_not_found.)
    let impostor = csca(1, &w.csca_name, &key(4));
    type Case<'a> = (
        &'a str,
        &'a [&'a Certificate],
        Option<&'a [u64]>,
        &'a str,
        &'a str,
    );
    let cases: [Case; 4] = [
        (
            "DE",
            &[&w.csca],
            Some(&[7, ds_serial]),
            "ds_revocation",
            "ds_revoked",
        ),
        ("DE", &[&other], None, "csca_chain", "csca_not_found"),
        ("DE", &[&impostor], None, "csca_chain", "csca_not_found"),
        (
            "FR",
            &[&w.csca],
            None,
            "issuing_state",
            "issuing_state_mismatch",
        ),
    ];
    for (country, cscas, crl, check, why) in cases {
        let doc = current_document(&w, country);
        let v = run(&doc, &store(&w, cscas, crl), at(2024), Strictness::Standard);
        assert_eq!(
            reason(&v, check),
            (CheckStatus::Failed, Some(why)),
            "{check} in {country}"
        );
        assert_eq!(v.outcome, PaOutcome::Failed, "{check} in {country}");
    }
}

#[test]
fn missing_crl_is_not_possible_and_only_strict_fails() {
    let w = world();
    let doc = current_document(&w, "DE");
    let store = store(&w, &[&w.csca], None);
    let v = run(&doc, &store, at(2024), Strictness::Standard);
    assert_eq!(
        reason(&v, "ds_revocation"),
        (CheckStatus::NotPossible, Some("crl_not_available"))
    );
    assert_eq!(v.outcome, PaOutcome::Passed);
    assert_eq!(
        run(&doc, &store, at(2024), Strictness::Strict).outcome,
        PaOutcome::Failed
    );
}

#[test]
fn crl_signed_by_a_stranger_is_refused() {
    let w = world();
    let mut store = store(&w, &[&w.csca], None);
    let forged = crl(&w.csca_name, &key(9), &[1]);
    // The issuer's name is known, so it is the signature that fails.
    assert_eq!(
        store.add_crl(&forged).unwrap_err(),
        PkiError::SignatureInvalid.in_field("CertificateList.signatureValue")
    );
    assert!(store.crls().is_empty());
}

#[test]
fn generated_master_list_round_trip() {
    let w = world();
    let signer = w.signer(77, &name("DE", "Master List Signer"), key(5), 2021, 2035);
    let content = seq(&[&int(0), &set(&[w.csca.der()])]);
    let ml_der = signed_data(ML, &content, &w.csca_name, &signer, None);
    let ml = MasterList::from_der(&ml_der).unwrap();
    assert_eq!(ml.certificates.len(), 1);
    assert!(matches!(
        ml.verify(std::slice::from_ref(&w.csca)),
        MasterListSignature::Verified { .. }
    ));
    let mut store = CscaStore::new();
    let (added, _) = store
        .add_master_list(&ml, std::slice::from_ref(&w.csca))
        .unwrap();
    assert_eq!(added, 1);
    // Tampered content: the messageDigest no longer matches.
    let mut bad = ml_der.clone();
    let pos = bad.windows(9).position(|win| win == &content[..9]).unwrap();
    bad[pos + content.len() - 3] ^= 0x01;
    let ml = MasterList::from_der(&bad).unwrap();
    assert!(matches!(
        ml.verify(std::slice::from_ref(&w.csca)),
        MasterListSignature::SignatureInvalid(_)
    ));
    // An empty store does not take an unverifiable list.
    // Doc 9303-12 §9: a master list is trusted only through a CSCA already trusted.
    assert!(matches!(
        CscaStore::new().add_master_list(&MasterList::from_der(&ml_der).unwrap(), &[]),
        Err(MasterListSignature::SignerNotTrusted(_))
    ));
}
