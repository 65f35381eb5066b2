//! Smoke tests of each real dependency on this machine (issue #2, item 7): OpenCV decodes a
//! JPEG and a JPEG 2000 image from memory; ONNX Runtime loads the prepared YuNet and SFace
//! models and runs one inference each; the `pcsc` crate lists readers through pcscd and sees
//! the vpcd readers; tokio-serial exchanges bytes over a pty pair.
//!
//! Each fails with what to do when its part is missing (`scripts/setup.sh` installs and
//! starts everything); none is skipped.

use egate_tests::repo;

fn read(rel: &str) -> Vec<u8> {
    let p = repo().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn opencv_decodes_jpeg_and_jpeg2000_from_memory() {
    let jpeg = read("vision/tests/data/person_a_1.jpg");
    let f = vision::decode_image(&jpeg).expect("OpenCV decodes a JPEG from memory");
    // The size in the file's SOF0 header (`file` says 204x244), and a face YuNet finds.
    assert_eq!((f.width(), f.height()), (204, 244));
    let mut pipeline = pipeline();
    assert_eq!(pipeline.detect(&f).expect("YuNet runs").len(), 1);
    // The JMRTD specimen's DG2 holds a JPEG 2000 portrait.
    let dg2 = read("document/tests/data/jmrtd-bsi2008/Datagroup2.bin");
    let (format, bytes) = vision::locate_image(&dg2).expect("an image inside the DG2");
    assert!(
        matches!(
            format,
            vision::decode::ImageFormat::Jp2 | vision::decode::ImageFormat::J2k
        ),
        "{format:?}"
    );
    let f = vision::decode_image(bytes).expect("OpenCV decodes a JPEG 2000 image from memory");
    // The JP2 header's size (its 'ihdr' box says 413x531; the 19794-5 record says 337x449),
    // and the portrait holds one face.
    assert_eq!((f.width(), f.height()), (413, 531));
    assert_eq!(pipeline.detect(&f).expect("YuNet runs").len(), 1);
}

fn pipeline() -> vision::FacePipeline {
    let cfg = vision::VisionConfig::default();
    vision::FacePipeline::new(&cfg).unwrap_or_else(|e| {
        panic!("ONNX Runtime or the face models are missing ({e}): run scripts/setup.sh")
    })
}

#[test]
fn onnx_runtime_runs_yunet_and_sface() {
    let mut pipeline = pipeline();
    let frame = vision::decode_image(&read("vision/tests/data/person_b_1.jpg")).unwrap();
    // One YuNet inference …
    let faces = pipeline.detect(&frame).expect("YuNet runs");
    assert!(!faces.is_empty(), "YuNet finds the face");
    // … and one SFace inference on the aligned face.
    let crop = pipeline.align(&frame, &faces[0]).expect("alignment");
    let emb = pipeline.embed_aligned(&crop).expect("SFace runs");
    assert_eq!(emb.as_slice().len(), 128);
    let norm: f32 = emb.as_slice().iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (norm - 1.0).abs() < 1e-3,
        "embedding is L2-normalised: {norm}"
    );
}

#[test]
fn pcsc_lists_the_vpcd_readers() {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap_or_else(|e| {
        panic!(
            "cannot reach pcscd ({e}): run scripts/setup.sh, which starts it with the vpcd readers"
        )
    });
    let mut buf = vec![0u8; 4096];
    let readers: Vec<String> = ctx
        .list_readers(&mut buf)
        .expect("pcscd lists its readers")
        .map(|r| r.to_string_lossy().into_owned())
        .collect();
    assert!(
        readers.iter().any(|r| r.starts_with("Virtual PCD")),
        "no vpcd reader among {readers:?}: is vsmartcard-vpcd installed and pcscd started by scripts/pcscd.sh?"
    );
}

#[test]
fn tokio_serial_exchanges_bytes_over_a_pty_pair() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (mut a, mut b) = tokio_serial::SerialStream::pair().expect("a pty pair");
        a.write_all(b"\x01\x03\x00\x00\x00\x01\x84\x0a")
            .await
            .unwrap();
        let mut got = [0u8; 8];
        tokio::time::timeout(std::time::Duration::from_secs(5), b.read_exact(&mut got))
            .await
            .expect("bytes arrive")
            .unwrap();
        assert_eq!(&got, b"\x01\x03\x00\x00\x00\x01\x84\x0a");
        b.write_all(b"ok").await.unwrap();
        let mut back = [0u8; 2];
        a.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"ok");
    });
}
