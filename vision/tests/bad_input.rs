//! Bad input gives a clear verdict or error, never a panic: not an image, no face, many
//! faces, a tiny face, a truncated JPEG 2000, a DG2 wrapper.

mod common;

use opencv::core::{self, Mat, Rect, Scalar, Vector};
use opencv::imgcodecs;
use opencv::imgproc;
use opencv::prelude::*;
use vision::{
    compare_images, decode_photo, read_photo, Decision, Frame, Interpolation, Matcher, MultiFace,
    VisionError,
};

fn face(name: &str) -> Frame {
    read_photo(&common::data().join(name)).expect("test image")
}

fn encode(frame: &Frame, ext: &str) -> Vec<u8> {
    vision::decode::encode_image(frame, ext).expect("encode")
}

fn scaled(frame: &Frame, f: f64) -> Frame {
    let side = |n: u32| ((f64::from(n) * f).round() as u32).max(1);
    frame
        .resize(
            side(frame.width()),
            side(frame.height()),
            Interpolation::Area,
        )
        .unwrap()
}

/// Four faces of three people side by side on one canvas (test images only).
fn group_photo() -> Frame {
    let names = [
        "person_a_2.jpg",
        "person_b_1.jpg",
        "impostor_1.jpg",
        "person_b_2.jpg",
    ];
    let side = 300;
    let mut canvas =
        Mat::new_rows_cols_with_default(side, side * 4, core::CV_8UC3, Scalar::all(128.0)).unwrap();
    for (i, n) in names.iter().enumerate() {
        let f = face(n);
        let s = side as f64 / f.width().max(f.height()) as f64;
        let small = scaled(&f, s);
        let (w, h) = (small.width() as i32, small.height() as i32);
        let mut roi = Mat::roi_mut(&mut canvas, Rect::new(i as i32 * side, 0, w, h)).unwrap();
        small.mat().copy_to(&mut roi).unwrap();
    }
    Frame::from_mat(canvas).unwrap()
}

fn blank() -> Frame {
    let mut m = Mat::new_rows_cols_with_default(480, 640, core::CV_8UC3, Scalar::all(0.0)).unwrap();
    // A gradient, so it is not trivially empty.
    for y in 0..480 {
        imgproc::line(
            &mut m,
            core::Point::new(0, y),
            core::Point::new(639, y),
            Scalar::all((y / 2) as f64),
            1,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
    }
    Frame::from_mat(m).unwrap()
}

#[test]
fn not_an_image_is_a_clear_error() {
    for bytes in [
        &b"just some text"[..],
        &[][..],
        &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16][..],
    ] {
        match decode_photo(bytes) {
            Err(e) => {
                assert_eq!(e.kind(), vision::ErrorKind::Input, "{e}");
                assert!(!e.to_string().is_empty());
            }
            Ok(f) => panic!("decoded garbage into {f:?}"),
        }
    }
}

#[test]
fn truncated_jpeg2000_is_an_error_not_a_panic() {
    let jp2 = encode(&face("person_a_1.jpg"), ".jp2");
    assert!(
        jp2.starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20]),
        "a JP2 file"
    );
    // The whole file decodes.
    let whole = decode_photo(&jp2).expect("full JP2 decodes");
    assert_eq!(whole.width(), 204);
    // Cut at many places: each gives an error or (when the codestream is progressive enough) a
    // degraded image — never a panic or abort.
    let mut errors = 0;
    for cut in [8, 40, 100, jp2.len() / 4, jp2.len() / 2, jp2.len() - 10] {
        match decode_photo(&jp2[..cut]) {
            Err(e) => {
                errors += 1;
                assert!(
                    matches!(
                        e,
                        VisionError::NotAnImage(_) | VisionError::NoImageInContainer
                    ),
                    "{e}"
                );
            }
            // A degraded image is still the whole picture, not a fragment of it.
            Ok(f) => assert_eq!((f.width(), f.height()), (whole.width(), whole.height())),
        }
    }
    assert!(errors >= 3, "short truncations must be errors");
}

#[test]
fn dg2_wrapper_is_found_and_decoded() {
    // A minimal DG2-like TLV prefix (tags 75 / 7F61 / 5F2E with ISO 19794-5 'FAC' header)
    // followed by a JPEG 2000 and a JPEG: the locator takes the first image.
    let jpeg = encode(&face("person_a_1.jpg"), ".jpg");
    let mut dg2 = vec![
        0x75, 0x82, 0x40, 0x00, 0x7F, 0x61, 0x82, 0x3F, 0x00, 0x5F, 0x2E,
    ];
    dg2.extend_from_slice(b"FAC\x00010\x00");
    dg2.extend_from_slice(&[0u8; 32]);
    dg2.extend_from_slice(&jpeg);
    let f = decode_photo(&dg2).expect("JPEG inside DG2");
    assert_eq!((f.width(), f.height()), (204, 244));
    // A DG2 holding nothing decodable.
    assert!(matches!(
        decode_photo(&dg2[..40]),
        Err(VisionError::NoImageInContainer)
    ));
}

#[test]
fn no_face_many_faces_tiny_face_are_verdicts() {
    let mut p = common::pipeline();
    let m = Matcher::with_threshold(0.4);
    let reference = face("person_a_2.jpg");

    let c = compare_images(&mut p, &blank(), &reference, &m, MultiFace::Refuse).unwrap();
    assert_eq!(c.verdict.decision, Decision::NoFace);
    assert_eq!(c.verdict.score, None);

    let c = compare_images(&mut p, &reference, &blank(), &m, MultiFace::Refuse).unwrap();
    assert_eq!(c.verdict.decision, Decision::NoReferenceFace);

    let group = group_photo();
    let c = compare_images(&mut p, &group, &reference, &m, MultiFace::Refuse).unwrap();
    assert!(
        c.probe.faces >= 3,
        "found {} faces in the group",
        c.probe.faces
    );
    assert_eq!(c.verdict.decision, Decision::MultipleFaces);

    // A tiny face: a 24-pixel-wide copy of a portrait in a large blank frame.
    let tiny = scaled(&face("person_b_1.jpg"), 24.0 / 716.0);
    let mut canvas = blank();
    {
        let mut mat = canvas.mat().try_clone().unwrap();
        let mut roi = Mat::roi_mut(
            &mut mat,
            Rect::new(300, 200, tiny.width() as i32, tiny.height() as i32),
        )
        .unwrap();
        tiny.mat().copy_to(&mut roi).unwrap();
        canvas = Frame::from_mat(mat).unwrap();
    }
    let c = compare_images(&mut p, &canvas, &reference, &m, MultiFace::Refuse).unwrap();
    match c.verdict.decision {
        // Too small to detect at all, or detected with guidance to step closer; either way
        // no match is claimed.
        Decision::NoFace => {}
        Decision::NoMatch => assert!(c.verdict.guidance.contains(&vision::Guidance::StepCloser)),
        d => panic!("tiny face gave {d:?}"),
    }
}

#[test]
fn frame_buffers_are_checked() {
    for bad in [
        Frame::from_bgr(2, 2, &[0; 11]),
        Frame::from_bgr(0, 2, &[]),
        Frame::from_mat(Mat::default()),
    ] {
        let e = bad.expect_err("refused");
        assert_eq!(e.kind(), vision::ErrorKind::Input, "{e}");
    }
    let f = Frame::from_bgr(2, 1, &[1, 2, 3, 4, 5, 6]).unwrap();
    assert_eq!(f.bgr(), &[1, 2, 3, 4, 5, 6]);
    let _ = Vector::<u8>::new();
    let _ = imgcodecs::IMREAD_COLOR;
}
