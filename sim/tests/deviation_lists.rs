//! ICAO deviation lists (Doc 9303-12 §10) through the production reader against the virtual
//! chip, in process: lists generated and signed within the factory's test PKI, verified into
//! the CSCA store, matched against what the read established and applied under the gate's
//! deviation policy (`document::deviation`).
//!
//! 9303-12 §10 says a deviation list is signed by a Deviation List Signer issued by the
//! state's CSCA, and that each deviation names the documents it concerns; the tests below
//! hold the reader to both, and give for each rule the input that would slip past it.

use std::time::{Duration, SystemTime};

use document::deviation::{DeviationEffect, DeviationPolicy};
use document::mrz::Mrz;
use document::pa::{CheckStatus, PaOptions};
use document::pki::{Certificate, CscaStore, DeviationType, MasterList, PkiError};
use document::reader::{self, AccessKey, Chip, ReaderOptions, Verification};
use sim::chip::VirtualChip;
use sim::factory::deviation::{Description, Deviation, Documents, Dsc};
use sim::factory::pki::{issue, name, KeyPair, Role, TestPki};
use sim::factory::{self, DateTime, Defect, Document, DocumentSpec};
use sim::inprocess::InProcessCard;

/// A fixed "now" inside every genuine certificate's validity (2026-09).
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

fn pki() -> TestPki {
    TestPki::generate("egate-test-pki", "DE")
}

/// The store a gate has: the master list verified against the CSCA, the CRL, and `lists`.
fn store(pki: &TestPki, lists: &[Vec<u8>]) -> CscaStore {
    let mut s = CscaStore::new();
    let csca = Certificate::from_der(&pki.csca.der).unwrap();
    let ml = MasterList::from_der(&pki.master_list).unwrap();
    s.add_master_list(&ml, &[csca]).unwrap();
    s.add_crl(&pki.crl).unwrap();
    for l in lists {
        s.add_deviation_list(l, now()).unwrap();
    }
    s
}

fn document(defect: Option<Defect>, pki: &TestPki) -> Document {
    let mut spec = DocumentSpec::specimen();
    if let Some(d) = defect {
        spec.set_defect(d);
    }
    factory::build(&spec, pki)
}

/// Reads `doc` with the production reader and verifies it against `store` under `policy`.
fn verify(doc: &Document, store: &CscaStore, policy: DeviationPolicy) -> Verification {
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let mrz = Mrz::parse(&lines).unwrap();
    let card = InProcessCard::new(
        VirtualChip::new(doc.chip.clone()),
        sim::chip::LinkModel::INSTANT,
    );
    let mut chip = Chip::new(card, ReaderOptions::default());
    let read = reader::read_with(&mut chip, &AccessKey::from(&mrz)).unwrap();
    read.verify(Some(&mrz.key()), store, &PaOptions::new(now()), policy)
}

fn by_ds(pki: &TestPki, descriptions: Vec<Description>) -> Deviation {
    Deviation {
        documents: Documents {
            dsc: Some(Dsc::IssuerSerial(pki.ds.clone())),
            ..Documents::default()
        },
        descriptions,
    }
}

const DEFAULT: DeviationPolicy = DeviationPolicy {
    excuse_essential: false,
};
const OPT_IN: DeviationPolicy = DeviationPolicy {
    excuse_essential: true,
};

#[test]
fn a_declared_wrong_dg11_hash_is_excused_and_recorded() {
    let pki = pki();
    let doc = document(Some(Defect::Dg11HashWrong), &pki);
    // Without a list: DG11's hash fails, and so does passive authentication.
    let v = verify(&doc, &store(&pki, &[]), DEFAULT);
    assert!(!v.pa.passed());
    assert_eq!(v.pa.reasons(), ["dg_hash_mismatch"]);
    assert!(v.deviations.is_empty());
    // The issuer's list declares it, for the documents of its Document Signer.
    let list = pki.deviation_list(&[by_ds(&pki, vec![Description::dg_hash_wrong(11)])]);
    let v = verify(&doc, &store(&pki, &[list]), DEFAULT);
    assert!(v.pa.passed(), "{:?}", v.pa.checks);
    let dg11 = v.pa.check("dg_hash", Some(11)).unwrap();
    assert_eq!(dg11.status, CheckStatus::Excused);
    assert!(
        dg11.detail.contains("dg_hash_wrong DG11"),
        "{}",
        dg11.detail
    );
    assert_eq!(v.deviations.len(), 1);
    let u = &v.deviations[0];
    assert_eq!(u.kind, DeviationType::DgHashWrong);
    assert_eq!(u.effect, DeviationEffect::Excused);
    assert_eq!(u.parameter, "DG11");
    assert_eq!(u.check.as_deref(), Some("dg_hash:11"));
    assert_eq!(u.country, "DE");
    assert_eq!(u.matched_on, ["dsc"]);
    // Nothing else moved: the chip still proves itself.
    assert!(v.chip.passed(), "{:?}", v.chip.reason);
}

#[test]
fn each_dsc_identifier_matches_the_signer_and_only_it() {
    let pki = pki();
    let doc = document(Some(Defect::Dg11HashWrong), &pki);
    for dsc in [
        Dsc::IssuerSerial(pki.ds.clone()),
        Dsc::SubjectKeyId(pki.ds.clone()),
        Dsc::Digest(pki.ds.clone()),
    ] {
        let list = pki.deviation_list(&[Deviation {
            documents: Documents {
                dsc: Some(dsc.clone()),
                ..Documents::default()
            },
            descriptions: vec![Description::dg_hash_wrong(11)],
        }]);
        let v = verify(&doc, &store(&pki, &[list]), DEFAULT);
        assert!(v.pa.passed(), "{dsc:?}");
        // The same identifier of another Document Signer of the same CSCA does not match.
        let other = match dsc {
            Dsc::IssuerSerial(_) => Dsc::IssuerSerial(pki.ds_revoked.clone()),
            Dsc::SubjectKeyId(_) => Dsc::SubjectKeyId(pki.ds_revoked.clone()),
            Dsc::Digest(_) => Dsc::Digest(pki.ds_revoked.clone()),
        };
        let list = pki.deviation_list(&[Deviation {
            documents: Documents {
                dsc: Some(other),
                ..Documents::default()
            },
            descriptions: vec![Description::dg_hash_wrong(11)],
        }]);
        let v = verify(&doc, &store(&pki, &[list]), DEFAULT);
        assert!(!v.pa.passed());
        assert!(v.deviations.is_empty(), "{:?}", v.deviations);
    }
}

#[test]
fn document_type_number_and_issue_period_must_all_hold() {
    let pki = pki();
    let doc = document(Some(Defect::Dg11HashWrong), &pki);
    // The specimen: passport `P<`, number L898902C3, issued 2024-04-16 (DG12).
    let with = |documents: Documents| {
        let list = pki.deviation_list(&[Deviation {
            documents,
            descriptions: vec![Description::dg_hash_wrong(11)],
        }]);
        verify(&doc, &store(&pki, &[list]), DEFAULT)
    };
    let v = with(Documents {
        document_type: Some("P<".into()),
        numbers: vec!["X1234567".into(), "L898902C3".into()],
        issued: Some((DateTime::date(2024, 4, 1), DateTime::date(2024, 4, 16))),
        ..Documents::default()
    });
    assert!(v.pa.passed(), "{:?}", v.deviations);
    assert_eq!(
        v.deviations[0].matched_on,
        ["document_type", "document_number", "issue_date"]
    );
    // One criterion off, and the deviation concerns another document.
    for documents in [
        Documents {
            document_type: Some("I<".into()),
            ..Documents::default()
        },
        Documents {
            document_type: Some("P<".into()),
            numbers: vec!["L898902C4".into()],
            ..Documents::default()
        },
        Documents {
            document_type: Some("P<".into()),
            issued: Some((DateTime::date(2024, 4, 17), DateTime::date(2025, 1, 1))),
            ..Documents::default()
        },
    ] {
        let v = with(documents.clone());
        assert!(!v.pa.passed(), "{documents:?}");
        assert!(v.deviations.is_empty());
    }
}

#[test]
fn an_unknown_date_of_issue_never_matches() {
    let pki = pki();
    // A document without DG12: its date of issue is unknown, so no issue period covers it.
    let mut spec = DocumentSpec::specimen();
    spec.dg11_dg12 = false;
    spec.set_defect(Defect::BrokenSodSignature);
    let doc = factory::build(&spec, &pki);
    let list = pki.deviation_list(&[Deviation {
        documents: Documents {
            issued: Some((DateTime::date(2000, 1, 1), DateTime::date(2099, 12, 31))),
            ..Documents::default()
        },
        descriptions: vec![Description::sod_signature_wrong()],
    }]);
    let v = verify(&doc, &store(&pki, &[list]), OPT_IN);
    assert!(v.deviations.is_empty());
    assert!(!v.pa.passed());
}

#[test]
fn a_compromised_aa_key_turns_a_passing_aa_into_a_referral() {
    let pki = pki();
    let list = pki.deviation_list(&[by_ds(&pki, vec![Description::aa_key_compromised()])]);
    let lists = store(&pki, &[list]);
    // The specimen offers AA and CA: AA now fails while CA passes, which refers.
    let doc = document(None, &pki);
    assert!(verify(&doc, &store(&pki, &[]), DEFAULT).chip.passed());
    let v = verify(&doc, &lists, DEFAULT);
    assert!(!v.chip.passed());
    assert_eq!(v.chip.reason, Some("chip_auth_inconsistent"));
    let aa = v.chip.check("active_authentication").unwrap();
    assert!(aa.detail.contains("aa_key_compromised"), "{}", aa.detail);
    assert_eq!(v.deviations[0].effect, DeviationEffect::Tightened);
    // Even with the opt-in, which concerns excusing only.
    assert!(!verify(&doc, &lists, OPT_IN).chip.passed());
    // A chip with AA only: AA was its only proof, and now it is none.
    let mut spec = DocumentSpec::specimen();
    spec.chip_auth = false;
    spec.pace.clear();
    let doc = factory::build(&spec, &pki);
    let v = verify(&doc, &lists, DEFAULT);
    assert_eq!(v.chip.reason, Some("aa_failed"));
    assert!(v.pa.passed());
}

#[test]
fn essential_checks_are_excused_only_with_the_opt_in() {
    let pki = pki();
    for (defect, description, check) in [
        (
            Defect::TamperedDg1,
            Description::dg_hash_wrong(1),
            "dg_hash:1",
        ),
        (
            Defect::TamperedDg2,
            Description::dg_hash_wrong(2),
            "dg_hash:2",
        ),
        (
            Defect::BrokenSodSignature,
            Description::sod_signature_wrong(),
            "sod_signature",
        ),
    ] {
        let doc = document(Some(defect), &pki);
        let lists = store(
            &pki,
            &[pki.deviation_list(&[by_ds(&pki, vec![description])])],
        );
        let v = verify(&doc, &lists, DEFAULT);
        assert!(!v.pa.passed(), "{defect:?} passed without the opt-in");
        assert_eq!(v.deviations[0].effect, DeviationEffect::NotExcused);
        assert_eq!(v.deviations[0].check.as_deref(), Some(check));
        let v = verify(&doc, &lists, OPT_IN);
        assert!(v.pa.passed(), "{defect:?}: {:?}", v.pa.reasons());
        assert_eq!(v.deviations[0].effect, DeviationEffect::Excused);
    }
}

#[test]
fn a_declared_inconsistent_ef_com_does_not_let_a_hiding_clone_through() {
    let pki = pki();
    // The clone hides DG14 and DG15 and rewrites EF.COM; excusing the EF.COM comparison
    // leaves what the signed SOD demands: DG14/DG15 unreadable refers.
    let doc = document(Some(Defect::CloneHidingDg14Dg15), &pki);
    let list = pki.deviation_list(&[by_ds(&pki, vec![Description::com_inconsistent()])]);
    let v = verify(&doc, &store(&pki, &[list]), OPT_IN);
    assert_eq!(v.deviations[0].effect, DeviationEffect::Excused);
    assert_eq!(
        v.chip.check("com_sod").unwrap().status,
        CheckStatus::Excused
    );
    assert!(!v.chip.passed());
    assert_eq!(v.chip.reason, Some("dg_unreadable"));
}

#[test]
fn a_list_speaks_only_for_its_own_country() {
    let de = pki();
    let ut = TestPki::generate("egate-test-pki", "UT");
    // UT's genuine Deviation List Signer declares DG11 wrong, naming the DE signer's
    // documents: it has no say over them.
    let list = ut.deviation_list(&[by_ds(&de, vec![Description::dg_hash_wrong(11)])]);
    let mut lists = store(&de, &[]);
    let csca = Certificate::from_der(&ut.csca.der).unwrap();
    lists.add_certificate(csca);
    lists.add_deviation_list(&list, now()).unwrap();
    let v = verify(&document(Some(Defect::Dg11HashWrong), &de), &lists, DEFAULT);
    assert!(v.deviations.is_empty());
    assert!(!v.pa.passed());
}

fn refused(pki: &TestPki, bytes: &[u8]) -> String {
    let mut s = store(pki, &[]);
    match s.add_deviation_list(bytes, now()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn tampered_and_untrusted_lists_are_refused_with_the_field() {
    let pki = pki();
    let good = pki.deviation_list(&[by_ds(&pki, vec![Description::dg_hash_wrong(11)])]);
    // Tampered: DG11 becomes DG12 after signing (the INTEGER is the parameter's last byte).
    let mut tampered = good.clone();
    let at = tampered
        .windows(5)
        .position(|w| w == [0xA0, 0x03, 0x02, 0x01, 11])
        .unwrap();
    tampered[at + 4] = 12;
    let e = refused(&pki, &tampered);
    assert!(e.contains("messageDigest"), "{e}");
    // Signed by a Deviation List Signer of a CSCA the gate does not trust.
    let rogue = issue(
        30,
        name("DE", "egate TEST rogue Deviation List Signer"),
        KeyPair::derive("egate-test-pki", "rogue-dls"),
        pki.rogue_csca.subject.clone(),
        &pki.rogue_csca.key,
        DateTime::date(2024, 1, 1),
        DateTime::date(2040, 1, 1),
        Role::DeviationListSigner,
    );
    let list = sim::factory::deviation::signed_by(
        &[by_ds(&pki, vec![Description::dg_hash_wrong(11)])],
        &rogue,
    );
    let e = refused(&pki, &list);
    assert!(
        e.contains("deviation list signer") && e.contains("no trusted CSCA"),
        "{e}"
    );
    // Signed by the state's own Document Signer, which is no Deviation List Signer: a DS
    // key must not be able to excuse its own documents.
    let list = sim::factory::deviation::signed_by(
        &[by_ds(&pki, vec![Description::dg_hash_wrong(11)])],
        &pki.ds,
    );
    let e = refused(&pki, &list);
    assert!(e.contains("extKeyUsage"), "{e}");
    // A master list is no deviation list.
    let e = refused(&pki, &pki.master_list);
    assert!(e.contains("eContentType"), "{e}");
}

#[test]
fn a_malformed_field_is_named() {
    let pki = pki();
    // DGHashWrong with data group 99.
    let list = pki.deviation_list(&[by_ds(&pki, vec![Description::new("2.2", Some(99))])]);
    let mut s = store(&pki, &[]);
    let e = s.add_deviation_list(&list, now()).unwrap_err();
    assert!(matches!(e, PkiError::InPath { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "DeviationList.deviations[0].descriptions[0].parameters: malformed: value out of range"
    );
}

/// Writes the seed corpus of the fuzz target `pki_deviation` (run with `--ignored`): lists
/// of every shape the parser knows, under the test PKI of seed "egate-sim" (the fuzz
/// target's anchor).
#[test]
#[ignore = "writes fuzz/corpus/pki_deviation"]
fn write_fuzz_seeds() {
    let pki = TestPki::generate("egate-sim", "DE");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/pki_deviation");
    std::fs::create_dir_all(&dir).unwrap();
    let every = Documents {
        document_type: Some("P<".into()),
        dsc: Some(Dsc::IssuerSerial(pki.ds.clone())),
        issued: Some((DateTime::date(2024, 1, 1), DateTime::date(2024, 12, 31))),
        numbers: vec!["L898902C3".into(), "C01X00T47".into()],
    };
    let mut cert_field = Description::new("1.1", None);
    cert_field.parameter = Some(document::tlv::write::oid("2.5.29.35"));
    let mut texted = Description::new("3.2", Some(4));
    texted.text = Some("check digit of the document number".into());
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("sample.dl", pki.sample_deviation_list()),
        (
            "every-criterion.dl",
            pki.deviation_list(&[Deviation {
                documents: every,
                descriptions: vec![
                    Description::dg_hash_wrong(11),
                    Description::com_inconsistent(),
                ],
            }]),
        ),
        (
            "ski-digest-aa.dl",
            pki.deviation_list(&[
                Deviation {
                    documents: Documents {
                        dsc: Some(Dsc::SubjectKeyId(pki.ds.clone())),
                        ..Documents::default()
                    },
                    descriptions: vec![Description::aa_key_compromised()],
                },
                Deviation {
                    documents: Documents {
                        dsc: Some(Dsc::Digest(pki.ds.clone())),
                        ..Documents::default()
                    },
                    descriptions: vec![Description::sod_signature_wrong()],
                },
            ]),
        ),
        (
            "every-parameter.dl",
            pki.deviation_list(&[Deviation {
                documents: Documents {
                    document_type: Some("I<".into()),
                    ..Documents::default()
                },
                descriptions: vec![
                    cert_field,
                    Description::new("1.2", Some(5)),
                    Description::new("2.1", Some(12)),
                    Description::new("3.1", Some(6)),
                    texted,
                    Description::new("4", None),
                    Description::new("5", Some(1)),
                ],
            }]),
        ),
        (
            "signed-by-ds.dl",
            sim::factory::deviation::signed_by(
                &[by_ds(&pki, vec![Description::dg_hash_wrong(11)])],
                &pki.ds,
            ),
        ),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
