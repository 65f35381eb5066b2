//! A JPEG 2000 chip photo through the whole face match (issue #21): a simulator profile with
//! `face_format = "jpeg2000"` builds a document whose DG2 holds a JP2 portrait (ISO/IEC
//! 19794-5 image data type 1, ICAO Doc 9303-10 §4.7.2); the reader reads it from the virtual
//! chip after PACE/BAC; the DG2 is parsed, the JP2 decoded (OpenJPEG through OpenCV), and the
//! face compared at the shipped threshold for FMR 0.001 with live photos of the same person
//! (match) and of someone else (no match). All photos are test images, none a calibration one.
#![cfg(feature = "sim")]

use std::path::{Path, PathBuf};

use document::lds::{FaceEncoding, ImageFormat};
use document::mrz::Mrz;
use document::reader::{self, AccessKey, Chip, ReaderOptions};
use sim::chip::VirtualChip;
use sim::factory::{self, pki::TestPki, profile::Profile};
use sim::inprocess::InProcessCard;
use vision::verdict::Decision;
use vision::{compare_images, Calibration, FacePipeline, Matcher, MultiFace, VisionConfig};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vision/tests/data")
        .join(name)
}

#[test]
fn a_jpeg2000_chip_photo_is_read_decoded_and_matched() {
    // The chip photo: person_b_2.jpg re-encoded as JPEG 2000, named by a profile.
    let portrait = vision::read_photo(&data("person_b_2.jpg")).unwrap();
    let jp2 = vision::decode::encode_image(&portrait, ".jp2").unwrap();
    assert!(jp2.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n"), "a JP2 file");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("face.jp2"), &jp2).unwrap();
    let profile = Profile::parse(
        &format!(
            "[document]\nface = \"face.jp2\"\nface_format = \"jpeg2000\"\n\
             face_width = {}\nface_height = {}\n",
            portrait.width(),
            portrait.height()
        ),
        Some(dir.path()),
    )
    .expect("profile");
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    let doc = factory::build(&profile.document, &pki);

    // Read through the production reader from the virtual chip.
    let lines: Vec<&str> = doc.printed_mrz.lines().collect();
    let key = AccessKey::from(&Mrz::parse(&lines).unwrap());
    let card = InProcessCard::new(
        VirtualChip::new(doc.chip.clone()),
        sim::chip::LinkModel::TYPICAL,
    );
    let mut chip = Chip::new(card, ReaderOptions::default());
    let read = reader::read_with(&mut chip, &key).expect("chip read");
    let face = read.face().expect("DG2 face");
    assert_eq!(face.encoding, FaceEncoding::Iso19794_5);
    assert_eq!(face.format, ImageFormat::Jpeg2000);
    assert_eq!(
        &face.image[..],
        &jp2[..],
        "the JP2 comes off the chip unchanged"
    );

    let reference = vision::decode_photo(&face.image).expect("the JP2 decodes");
    assert_eq!(
        (reference.width(), reference.height()),
        (portrait.width(), portrait.height())
    );
    let mut pipeline = FacePipeline::new(&VisionConfig::default())
        .unwrap_or_else(|e| panic!("vision assets missing ({e}): run scripts/setup-models.sh"));
    let matcher = Matcher::from_calibration(&Calibration::shipped().unwrap(), 0.001).unwrap();
    for (live, want) in [
        ("person_b_1.jpg", Decision::Match),
        ("person_a_1.jpg", Decision::NoMatch),
    ] {
        let probe = vision::read_photo(&data(live)).unwrap();
        let c = compare_images(
            &mut pipeline,
            &probe,
            &reference,
            &matcher,
            MultiFace::Refuse,
        )
        .unwrap();
        assert_eq!(
            c.verdict.decision, want,
            "{live}: score {:?}",
            c.verdict.score
        );
    }
}
