//! The face tests use no image the shipped threshold table was made from (issue #21): the
//! calibration images live in `tests/data/calibration/`, the table records their SHA-256, no
//! other image in the repository is one of them, and no code outside the calibration tooling
//! names that folder. See models/README.md for which images play which role.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use vision::calibrate::{image_digests, images_by_identity};
use vision::calibration::Calibration;

/// Image files the decoders read (vision::eval::is_image_name and the DG2 formats).
const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "jp2", "j2k", "bmp", "ppm"];
/// Text files that can hold a path a test reads.
const SOURCE_EXTENSIONS: [&str; 7] = ["rs", "py", "js", "mjs", "sh", "toml", "txt"];

fn calibration_dir() -> PathBuf {
    common::data().join("calibration")
}

/// Every file under the repository, without build output, VCS data and installed packages.
fn repository_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    ".git" | "target" | "node_modules" | "artifacts" | "test-artifacts"
                ) {
                    walk(&path, out);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&common::repo(), &mut out);
    out
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn shipped_images() -> BTreeSet<String> {
    let table = Calibration::shipped().expect("shipped table");
    assert!(
        !table.images.is_empty(),
        "models/sface-calibration.toml does not say which images it was made from"
    );
    table.images.into_iter().collect()
}

#[test]
fn the_shipped_table_was_made_from_exactly_the_calibration_folder() {
    let folder = images_by_identity(&calibration_dir()).expect("calibration folder");
    assert_eq!(folder.len(), 7, "{folder:?}");
    let digests: BTreeSet<String> = image_digests(&folder).unwrap().into_iter().collect();
    assert_eq!(
        digests,
        shipped_images(),
        "the table and tests/data/calibration/ disagree: regenerate the table (models/README.md)"
    );
}

#[test]
fn no_test_image_is_a_calibration_image() {
    let calibration = shipped_images();
    let calibration_dir = calibration_dir().canonicalize().unwrap();
    let mut checked = Vec::new();
    for path in repository_files() {
        if !IMAGE_EXTENSIONS.contains(&extension(&path).as_str())
            || path.canonicalize().unwrap().starts_with(&calibration_dir)
        {
            continue;
        }
        let digest = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
        assert!(
            !calibration.contains(&digest),
            "{} is one of the images the threshold was calibrated on",
            path.display()
        );
        checked.push(path);
    }
    // The labelled test images and the simulator's specimen face are among those checked.
    for (_, image) in common::labelled_images() {
        let image = image.canonicalize().unwrap();
        assert!(
            checked.iter().any(|p| p.canonicalize().unwrap() == image),
            "{} not checked",
            image.display()
        );
    }
    let specimen = common::repo().join("sim/data/specimen-face.jpg");
    assert!(checked
        .iter()
        .any(|p| p.ends_with("sim/data/specimen-face.jpg")));
    assert!(specimen.exists());
}

#[test]
fn no_code_reads_the_calibration_folder() {
    // Only this test, models/README.md (prose) and the table's own description name it: the
    // table is made by `egate vision eval --dir vision/tests/data/calibration --write-calibration`.
    let allowed = [
        common::repo().join("vision/tests/calibration_split.rs"),
        common::repo().join("models/sface-calibration.toml"),
    ]
    .map(|p| p.canonicalize().unwrap());
    let patterns = ["data/calibration", "join(\"calibration\")"];
    for path in repository_files() {
        if !SOURCE_EXTENSIONS.contains(&extension(&path).as_str())
            || allowed.contains(&path.canonicalize().unwrap())
        {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for pattern in patterns {
            assert!(
                !text.contains(pattern),
                "{} names the calibration images ({pattern}): tests must use the test images \
                 in vision/tests/data (identities.txt)",
                path.display()
            );
        }
    }
}

#[test]
fn the_test_images_share_no_file_with_the_calibration() {
    let test: BTreeSet<String> = image_digests(&common::labelled_images())
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(test.len(), 5);
    let calibration = shipped_images();
    let shared: Vec<_> = test.intersection(&calibration).collect();
    assert!(shared.is_empty(), "{shared:?}");
}
