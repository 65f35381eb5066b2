//! Frame sources: OpenCV VideoCapture on an image sequence and on a video file, replay
//! looping, and a clear error for a source that does not exist.

mod common;

use opencv::core::Size;
use opencv::prelude::*;
use opencv::videoio::{VideoWriter, VideoWriterTrait};
use vision::{CameraConfig, CameraSource, FrameSource, ReplaySource};

fn portrait() -> vision::Frame {
    vision::read_photo(&common::data().join("person_a_1.jpg")).unwrap()
}

#[test]
fn image_sequence_through_videocapture() {
    let dir = tempfile::tempdir().unwrap();
    let png = vision::decode::encode_image(&portrait(), ".png").unwrap();
    for i in 0..3 {
        std::fs::write(dir.path().join(format!("frame_{i:03}.png")), &png).unwrap();
    }
    let cfg = CameraConfig {
        source: dir.path().join("frame_%03d.png").display().to_string(),
        ..CameraConfig::default()
    };
    let mut src = CameraSource::open(&cfg).expect("image sequence opens");
    let mut n = 0;
    while let Some(f) = src.next_frame().unwrap() {
        assert_eq!((f.width(), f.height()), (204, 244));
        n += 1;
    }
    assert_eq!(n, 3);
    assert!(src.describe().contains("frame_%03d.png"));
}

#[test]
fn mjpeg_video_file_through_videocapture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.avi");
    let frame = portrait();
    let fourcc = VideoWriter::fourcc('M', 'J', 'P', 'G').unwrap();
    let mut w = VideoWriter::new(
        path.to_str().unwrap(),
        fourcc,
        10.0,
        Size::new(frame.width() as i32, frame.height() as i32),
        true,
    )
    .unwrap();
    assert!(w.is_opened().unwrap(), "OpenCV can write MJPEG AVI");
    for _ in 0..4 {
        w.write(frame.mat()).unwrap();
    }
    w.release().unwrap();
    let mut src = CameraSource::open(&CameraConfig {
        source: path.display().to_string(),
        ..CameraConfig::default()
    })
    .expect("video file opens");
    let mut n = 0;
    while let Some(f) = src.next_frame().unwrap() {
        assert_eq!(f.width(), 204);
        n += 1;
    }
    assert_eq!(n, 4);
}

#[test]
fn missing_source_is_a_device_error() {
    let e = CameraSource::open(&CameraConfig {
        source: "/nonexistent/clip.avi".into(),
        ..CameraConfig::default()
    })
    .err()
    .expect("must fail");
    assert_eq!(e.kind(), vision::ErrorKind::Device);
}

#[test]
fn replay_loops_or_ends() {
    let mut once = ReplaySource::new(vec![portrait(), portrait()], false);
    assert!(once.next_frame().unwrap().is_some());
    assert!(once.next_frame().unwrap().is_some());
    assert!(once.next_frame().unwrap().is_none());
    let mut looping = ReplaySource::new(vec![portrait()], true);
    for _ in 0..5 {
        assert!(looping.next_frame().unwrap().is_some());
    }
    assert!(ReplaySource::new(Vec::new(), true)
        .next_frame()
        .unwrap()
        .is_none());
}
