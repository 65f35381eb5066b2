//! The face set of simulated travellers: identities with a chip portrait and live photos,
//! each live photo with its face found once and its bona fide presentation rendered once.
//! Shared by the real-time simulated bank (`egate run --sim`) and acceptance runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An identity of the face set: a chip photo and live images.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The label in `identities.txt`.
    pub label: String,
    /// The chip portrait: JPEG, width, height (made once at start).
    pub portrait: Arc<(Vec<u8>, u16, u16)>,
    /// The live image files.
    pub live: Vec<PathBuf>,
    /// The live images with their face, for the synthetic camera (none without the face
    /// models).
    pub faces: Vec<Arc<LivePhoto>>,
}

/// A live photo of an identity, its face, and its bona fide sequence (made once at start, so
/// that no traveller's arrival has to render one).
#[derive(Debug)]
pub struct LivePhoto {
    /// The photo.
    pub photo: vision::Frame,
    /// Its largest face.
    pub face: vision::Detection,
    /// A bona fide presentation (the face turning), [`PRESENTATION_FRAMES`] frames.
    pub bona_fide: Vec<vision::Frame>,
}

/// Frames of one synthetic presentation before the camera (looped).
pub const PRESENTATION_FRAMES: usize = 8;

/// Why a face set cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FacesError {
    /// `identities.txt` cannot be read.
    #[error("cannot read {path}: {error} (scripts/setup.sh installs the simulator's faces under $EGATE_ASSETS/faces)")]
    List {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// An image cannot be used.
    #[error("{0}")]
    Vision(#[from] vision::VisionError),
    /// Fewer than two usable identities.
    #[error("face folder {0}: need at least two identities with two images each")]
    TooFew(PathBuf),
}

/// Loads `identities.txt` ("file identity" per line) from the faces folder; identities with
/// at least two images qualify (one for the chip, the others for the camera). With a
/// detector, each live photo's face is found and its bona fide sequence rendered.
pub fn load_identities(
    dir: &Path,
    mut detector: Option<&mut vision::FacePipeline>,
) -> Result<Vec<Identity>, FacesError> {
    let list = dir.join("identities.txt");
    let text = std::fs::read_to_string(&list).map_err(|error| FacesError::List {
        path: list.clone(),
        error,
    })?;
    let mut by_id: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        if let (Some(file), Some(id)) = (parts.next(), parts.next()) {
            // Partly visible faces make poor chip photos; keep the set to whole faces.
            if !file.contains("partial") {
                by_id
                    .entry(id.to_string())
                    .or_default()
                    .push(dir.join(file));
            }
        }
    }
    let mut ids = Vec::new();
    for (label, mut files) in by_id.into_iter().filter(|(_, f)| f.len() >= 2) {
        let chip_photo = files.remove(0);
        let mut faces = Vec::new();
        if let Some(d) = detector.as_deref_mut() {
            for f in &files {
                let photo = vision::read_photo(f)?;
                let found = d.detect_photo(&photo)?;
                if let Some(face) = found.iter().max_by(|a, b| a.area().total_cmp(&b.area())) {
                    let bona_fide = vision::pad::synth::sequence(
                        vision::pad::synth::Kind::BonaFide,
                        &photo,
                        face,
                        PRESENTATION_FRAMES,
                        faces.len() as u64,
                    )?;
                    faces.push(Arc::new(LivePhoto {
                        photo,
                        face: *face,
                        bona_fide,
                    }));
                }
            }
        }
        ids.push(Identity {
            label,
            portrait: Arc::new(chip_portrait(&chip_photo)?),
            live: files,
            faces,
        });
    }
    if ids.len() < 2 {
        return Err(FacesError::TooFew(dir.to_path_buf()));
    }
    Ok(ids)
}

/// Longest side of a simulated chip photo: ICAO 9303-9 portraits are a few hundred pixels
/// and typically 15–20 KB, far below a camera photo.
const PORTRAIT_MAX_SIDE: u32 = 360;

/// A camera photo made into a chip portrait: area-resampled so its longest side is at most
/// [`PORTRAIT_MAX_SIDE`], JPEG-encoded. Returns the JPEG bytes, width and height.
pub fn chip_portrait(path: &Path) -> Result<(Vec<u8>, u16, u16), vision::VisionError> {
    let frame = vision::read_photo(path)?;
    let (w, h) = (frame.width(), frame.height());
    let k = w.max(h).div_ceil(PORTRAIT_MAX_SIDE).max(1);
    let (nw, nh) = ((w / k).max(1), (h / k).max(1));
    let small = frame.resize(nw, nh, vision::Interpolation::Area)?;
    let jpeg = vision::decode::encode_image(&small, ".jpg")?;
    Ok((jpeg, nw as u16, nh as u16))
}

/// The one document on the simulator's own borderdb (issuing state, number): every
/// "listed" traveller carries it.
pub const LISTED_DOCUMENT: (&str, &str) = ("D", "WANTED001");
