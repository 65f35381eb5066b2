//! Synthetic presentations for tests of the PAD code paths — **not** evidence of accuracy.
//!
//! No attack images ship in any package the project may use, so the tests, the simulator and
//! the demonstration of `egate vision pad` make their own from a real photograph of a face:
//!
//! - [`Kind::BonaFide`]: the photo mapped onto a depth model of a head (an ellipsoid with a
//!   nose) that turns left and right and nods, rendered by OpenCV `remap`: non-rigid image
//!   motion with parallax, as a face in front of a camera has.
//! - [`Kind::Print`]: the still photo with a 45° halftone dot screen, on white paper, held in
//!   front of a grey background and moved as a plane (tilted, turned, shifted).
//! - [`Kind::ScreenReplay`]: a bona fide clip shown on a screen — a pixel grid, a black
//!   bezel — and the screen moved as a plane.
//! - [`Kind::PlanarPhoto`]: the plain photo moved as a plane (no texture, no border): only
//!   the geometry can tell.
//!
//! For the active challenge ([`super::challenge`]): a [`Follower`] is a bona fide traveller
//! rendered frame by frame on the same head model, who turns or steps closer as the display
//! asks (after a reaction of a few frames), and sways as [`Kind::BonaFide`] does when
//! nothing is asked; [`on_screen`] shows any clip on a screen moved as a plane — a replay,
//! which does not follow the prompts of the capture it is shown to.
//!
//! Frames are 640×480 BGR with the face about 170 pixels wide. Real prints and screens seen
//! by a real camera blur, reflect and alias in ways this does not model.

use opencv::core::{self, Mat, Point2f, Rect, Scalar, Size, Vector, CV_32FC1, CV_64F, CV_8UC3};
use opencv::imgproc;
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::detect::Detection;
use crate::error::Result;
use crate::frame::Frame;

/// What a synthetic sequence presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A live face turning and nodding.
    BonaFide,
    /// A halftone print on paper, moved as a plane.
    Print,
    /// A screen replaying a clip of the face, moved as a plane.
    ScreenReplay,
    /// The plain photo moved as a plane.
    PlanarPhoto,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [
        Kind::BonaFide,
        Kind::Print,
        Kind::ScreenReplay,
        Kind::PlanarPhoto,
    ];

    /// The folder name used by `egate vision pad` (ISO/IEC 30107-3 layout).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BonaFide => "bona_fide",
            Self::Print => "print",
            Self::ScreenReplay => "screen_replay",
            Self::PlanarPhoto => "planar_photo",
        }
    }
}

/// Canvas size of the synthetic camera.
pub const WIDTH: i32 = 640;
/// Canvas height.
pub const HEIGHT: i32 = 480;
/// Face width in the synthetic camera, pixels.
const FACE_W: f32 = 170.0;

/// A small deterministic generator (xorshift64*), so a seed gives the same sequence.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Uniform in [-1, 1).
    fn sym(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        (x as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// The photo as the synthetic camera sees it (face centred, [`FACE_W`] wide) and where the
/// face is in it.
fn camera_view(photo: &Frame, face: &Detection) -> Result<(Mat, Detection)> {
    let [x, y, w, h] = face.bbox;
    let s = FACE_W / w.max(1.0);
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let (tx, ty) = (WIDTH as f32 / 2.0 - s * cx, HEIGHT as f32 / 2.0 - s * cy);
    let m = Mat::from_slice_2d(&[[s as f64, 0.0, tx as f64], [0.0, s as f64, ty as f64]])?;
    let mut out = Mat::default();
    imgproc::warp_affine(
        photo.mat(),
        &mut out,
        &m,
        Size::new(WIDTH, HEIGHT),
        imgproc::INTER_AREA,
        core::BORDER_REPLICATE,
        Scalar::all(0.0),
    )?;
    let map = |p: [f32; 2]| [s * p[0] + tx, s * p[1] + ty];
    let moved = Detection {
        bbox: [s * x + tx, s * y + ty, s * w, s * h],
        landmarks: face.landmarks.map(map),
        score: face.score,
    };
    Ok((out, moved))
}

/// `n` frames of `kind` made from `photo`, whose face the detector found at `face`.
pub fn sequence(
    kind: Kind,
    photo: &Frame,
    face: &Detection,
    n: usize,
    seed: u64,
) -> Result<Vec<Frame>> {
    let (view, f) = camera_view(photo, face)?;
    let mut rng = Rng::new(seed ^ kind as u64);
    let phase = rng.sym() * std::f64::consts::PI;
    let mut out = Vec::with_capacity(n);
    match kind {
        Kind::BonaFide => {
            let depth = Depth::new(&f)?;
            for k in 0..n {
                out.push(Frame::from_mat(head_pose(
                    &view, &depth, k, n, phase, &mut rng,
                )?)?);
            }
        }
        Kind::Print => {
            let paper = print_object(&view)?;
            for k in 0..n {
                out.push(Frame::from_mat(planar(
                    &paper, k, n, phase, &mut rng, 110.0,
                )?)?);
            }
        }
        Kind::ScreenReplay => {
            let depth = Depth::new(&f)?;
            let grid = pixel_grid()?;
            for k in 0..n {
                let content = head_pose(&view, &depth, k, n, phase, &mut rng)?;
                let screen = screen_object(&content, &grid)?;
                out.push(Frame::from_mat(planar(
                    &screen, k, n, phase, &mut rng, 140.0,
                )?)?);
            }
        }
        Kind::PlanarPhoto => {
            for k in 0..n {
                out.push(Frame::from_mat(planar(
                    &view, k, n, phase, &mut rng, 90.0,
                )?)?);
            }
        }
    }
    Ok(out)
}

/// The head's pose in a frame of a [`Follower`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadPose {
    /// Turn, degrees; positive to the subject's left (the image's right, the camera not
    /// mirrored).
    pub yaw_deg: f64,
    /// Nod, degrees; positive down.
    pub pitch_deg: f64,
    /// Size against the rest position (above 1: closer to the camera).
    pub scale: f64,
}

impl HeadPose {
    /// Facing the camera at the rest distance.
    pub const REST: HeadPose = HeadPose {
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        scale: 1.0,
    };
}

/// How far a [`Follower`] turns for a turn prompt, degrees.
pub const FOLLOW_YAW_DEG: f64 = 35.0;
/// How much closer a [`Follower`] steps for "step closer" (face size ratio).
pub const FOLLOW_CLOSER: f64 = 1.4;

/// A synthetic bona fide traveller who follows the challenge prompts: the photo on the
/// head model, posed frame by frame. Time is counted in frames: `reaction` frames after a
/// new prompt the head starts to move, at most 10° or 10 % of its size per frame. With no
/// prompt the head sways (±`sway_deg` of yaw, half as much pitch, over 8 frames) around
/// where it is.
pub struct Follower {
    view: Mat,
    depth: Depth,
    centre: (f64, f64),
    rng: Rng,
    phase: f64,
    /// Frames between a new prompt and the first movement.
    pub reaction: usize,
    /// Amplitude of the sway with no prompt, degrees.
    pub sway_deg: f64,
    pose: HeadPose,
    prompt: Option<super::challenge::Action>,
    since: usize,
    k: usize,
}

impl Follower {
    /// A traveller whose face is `photo`, found at `face`; `seed` varies the sway's phase
    /// and the small shifts of a hand-held head.
    pub fn new(photo: &Frame, face: &Detection, seed: u64) -> Result<Self> {
        let (view, f) = camera_view(photo, face)?;
        let mut rng = Rng::new(seed ^ 0xF0110);
        let phase = rng.sym() * std::f64::consts::PI;
        let [x, y, w, h] = f.bbox.map(f64::from);
        Ok(Self {
            depth: Depth::new(&f)?,
            view,
            centre: (x + w / 2.0, y + h / 2.0),
            rng,
            phase,
            reaction: 2,
            sway_deg: 18.0,
            pose: HeadPose::REST,
            prompt: None,
            since: 0,
            k: 0,
        })
    }

    /// The pose of the last frame.
    pub fn pose(&self) -> HeadPose {
        self.pose
    }

    /// The next frame, while the display asks for `prompt` (`None`: nothing asked).
    pub fn next_frame(&mut self, prompt: Option<super::challenge::Action>) -> Result<Frame> {
        use super::challenge::Action;
        if prompt != self.prompt {
            self.prompt = prompt;
            self.since = 0;
        }
        let t = self.k as f64 / 8.0 * 2.0 * std::f64::consts::PI;
        let target = match prompt {
            _ if self.since < self.reaction && prompt.is_some() => self.pose,
            Some(Action::TurnLeft) => HeadPose {
                yaw_deg: FOLLOW_YAW_DEG,
                pitch_deg: 0.0,
                ..self.pose
            },
            Some(Action::TurnRight) => HeadPose {
                yaw_deg: -FOLLOW_YAW_DEG,
                pitch_deg: 0.0,
                ..self.pose
            },
            Some(Action::StepCloser) => HeadPose {
                yaw_deg: 0.0,
                pitch_deg: 0.0,
                scale: FOLLOW_CLOSER,
            },
            None => HeadPose {
                yaw_deg: self.sway_deg * (t + self.phase).sin(),
                pitch_deg: self.sway_deg * 0.4 * (2.0 * t + self.phase).sin(),
                scale: self.pose.scale,
            },
        };
        let towards = |from: f64, to: f64, step: f64| from + (to - from).clamp(-step, step);
        self.pose = HeadPose {
            yaw_deg: towards(self.pose.yaw_deg, target.yaw_deg, 10.0),
            pitch_deg: towards(self.pose.pitch_deg, target.pitch_deg, 10.0),
            scale: towards(self.pose.scale, target.scale, 0.1),
        };
        self.since += 1;
        self.k += 1;
        let turned = render_pose(
            &self.view,
            &self.depth,
            self.pose.yaw_deg.to_radians(),
            self.pose.pitch_deg.to_radians(),
            &mut self.rng,
        )?;
        let s = self.pose.scale;
        if (s - 1.0).abs() < 1e-6 {
            return Frame::from_mat(turned);
        }
        let (cx, cy) = self.centre;
        let m = Mat::from_slice_2d(&[[s, 0.0, cx * (1.0 - s)], [0.0, s, cy * (1.0 - s)]])?;
        let mut out = Mat::default();
        imgproc::warp_affine(
            &turned,
            &mut out,
            &m,
            Size::new(WIDTH, HEIGHT),
            imgproc::INTER_LINEAR,
            core::BORDER_REPLICATE,
            Scalar::all(0.0),
        )?;
        Frame::from_mat(out)
    }
}

/// `clip` shown on a screen (pixel grid, black bezel) that is moved as a plane: a replay.
/// `seed` varies the screen's motion.
pub fn on_screen(clip: &[Frame], seed: u64) -> Result<Vec<Frame>> {
    let mut rng = Rng::new(seed ^ Kind::ScreenReplay as u64);
    let phase = rng.sym() * std::f64::consts::PI;
    let grid = pixel_grid()?;
    let n = clip.len();
    clip.iter()
        .enumerate()
        .map(|(k, f)| {
            let screen = screen_object(f.mat(), &grid)?;
            Frame::from_mat(planar(&screen, k, n, phase, &mut rng, 140.0)?)
        })
        .collect()
}

/// The pixel grid and the head's depth over it, computed once per sequence.
struct Depth {
    /// x of every pixel (CV_32F).
    x: Mat,
    /// y of every pixel.
    y: Mat,
    /// Depth z(x, y): an ellipsoid over the face box plus a nose bump at the nose landmark.
    z: Mat,
}

impl Depth {
    fn new(f: &Detection) -> Result<Self> {
        let [x, y, w, h] = f.bbox.map(|v| v as f64);
        let (cx, cy) = (x + w / 2.0, y + h / 2.0);
        let (a, b) = (0.5 * w, 0.58 * h);
        let iod = f.inter_eye_distance().max(1.0) as f64;
        let (nx, ny) = (f.landmarks[2][0] as f64, f.landmarks[2][1] as f64);
        let (nose_h, nose_s2) = (0.5 * iod, 2.0 * (0.28 * iod).powi(2));
        let new = || Mat::new_rows_cols_with_default(HEIGHT, WIDTH, CV_32FC1, Scalar::all(0.0));
        let (mut gx, mut gy, mut gz) = (new()?, new()?, new()?);
        {
            let (xs, ys, zs) = (
                gx.data_typed_mut::<f32>()?,
                gy.data_typed_mut::<f32>()?,
                gz.data_typed_mut::<f32>()?,
            );
            for py in 0..HEIGHT as usize {
                for px in 0..WIDTH as usize {
                    let (xf, yf) = (px as f64, py as f64);
                    let (u, v) = ((xf - cx) / a, (yf - cy) / b);
                    let mut z = a * (1.0 - u * u - v * v).max(0.0).sqrt();
                    let d2 = (xf - nx).powi(2) + (yf - ny).powi(2);
                    z += nose_h * (-d2 / nose_s2).exp();
                    let i = py * WIDTH as usize + px;
                    xs[i] = xf as f32;
                    ys[i] = yf as f32;
                    zs[i] = z as f32;
                }
            }
        }
        Ok(Self {
            x: gx,
            y: gy,
            z: gz,
        })
    }
}

/// The face mapped onto a turning head: a turn by yaw θ and pitch φ moves each point of depth
/// z by z·sin θ, z·sin φ (orthographic, small angles), and OpenCV `remap` renders it.
fn head_pose(
    view: &Mat,
    depth: &Depth,
    k: usize,
    n: usize,
    phase: f64,
    rng: &mut Rng,
) -> Result<Mat> {
    let t = k as f64 / n.max(1) as f64 * 2.0 * std::f64::consts::PI;
    let yaw = (18.0f64).to_radians() * (t + phase).sin();
    let pitch = (7.0f64).to_radians() * (2.0 * t + phase).sin();
    render_pose(view, depth, yaw, pitch, rng)
}

/// The face on the head model turned by `yaw` and nodded by `pitch` (radians), shifted by a
/// pixel or two as a head held still is.
fn render_pose(view: &Mat, depth: &Depth, yaw: f64, pitch: f64, rng: &mut Rng) -> Result<Mat> {
    let (shift_x, shift_y) = (2.0 * rng.sym(), 2.0 * rng.sym());
    let mut map_x = Mat::default();
    let mut map_y = Mat::default();
    core::add_weighted(
        &depth.x,
        1.0,
        &depth.z,
        -yaw.sin(),
        -shift_x,
        &mut map_x,
        -1,
    )?;
    core::add_weighted(
        &depth.y,
        1.0,
        &depth.z,
        -pitch.sin(),
        -shift_y,
        &mut map_y,
        -1,
    )?;
    let mut out = Mat::default();
    imgproc::remap(
        view,
        &mut out,
        &map_x,
        &map_y,
        imgproc::INTER_LINEAR,
        core::BORDER_REPLICATE,
        Scalar::all(0.0),
    )?;
    Ok(out)
}

/// The photo printed: a 45° halftone dot screen (period 5 pixels), on white paper.
fn print_object(view: &Mat) -> Result<Mat> {
    let mut paper = Mat::new_rows_cols_with_default(HEIGHT, WIDTH, CV_8UC3, Scalar::all(245.0))?;
    let margin = 26;
    let inner = Rect::new(margin, margin, WIDTH - 2 * margin, HEIGHT - 2 * margin);
    let mut small = Mat::default();
    imgproc::resize(
        view,
        &mut small,
        inner.size(),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )?;
    {
        let data = small.data_bytes_mut()?;
        let (w, h) = (inner.width as usize, inner.height as usize);
        let p = 5.0f64;
        for y in 0..h {
            for x in 0..w {
                let tau = 2.0 * std::f64::consts::PI / p;
                let t = ((tau * x as f64).cos() * (tau * y as f64).cos() + 1.0) / 2.0;
                let k = 0.62 + 0.38 * t;
                for c in 0..3 {
                    let i = (y * w + x) * 3 + c;
                    data[i] = (data[i] as f64 * k).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    let mut roi = Mat::roi_mut(&mut paper, inner)?;
    small.copy_to(&mut roi)?;
    Ok(paper)
}

/// The screen's inner area.
fn screen_area() -> Rect {
    let bezel = 30;
    Rect::new(bezel, bezel, WIDTH - 2 * bezel, HEIGHT - 2 * bezel)
}

/// A display's pixel grid as a gain (255 = 1): one dark row and column every 3 pixels.
fn pixel_grid() -> Result<Mat> {
    let inner = screen_area();
    let mut grid =
        Mat::new_rows_cols_with_default(inner.height, inner.width, CV_8UC3, Scalar::all(255.0))?;
    let data = grid.data_bytes_mut()?;
    let w = inner.width as usize;
    for (i, v) in data.iter_mut().enumerate() {
        let (x, y) = ((i / 3) % w, (i / 3) / w);
        if x % 3 == 0 || y % 3 == 0 {
            *v = 173;
        }
    }
    Ok(grid)
}

/// A frame shown on a screen: the pixel grid inside a black bezel.
fn screen_object(content: &Mat, grid: &Mat) -> Result<Mat> {
    let mut screen = Mat::new_rows_cols_with_default(HEIGHT, WIDTH, CV_8UC3, Scalar::all(12.0))?;
    let inner = screen_area();
    let mut small = Mat::default();
    imgproc::resize(
        content,
        &mut small,
        inner.size(),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )?;
    let mut lit = Mat::default();
    core::multiply(&small, grid, &mut lit, 1.0 / 255.0, -1)?;
    let mut roi = Mat::roi_mut(&mut screen, inner)?;
    lit.copy_to(&mut roi)?;
    Ok(screen)
}

/// `object` (a plane the size of the canvas) turned, tilted, rolled and shifted in front of
/// a plain background of grey `background`, by OpenCV `warpPerspective`.
fn planar(
    object: &Mat,
    k: usize,
    n: usize,
    phase: f64,
    rng: &mut Rng,
    background: f64,
) -> Result<Mat> {
    let t = k as f64 / n.max(1) as f64 * 2.0 * std::f64::consts::PI;
    let yaw = (26.0f64).to_radians() * (t + phase).sin();
    let pitch = (12.0f64).to_radians() * (2.0 * t + phase).cos();
    let roll = (4.0f64).to_radians() * (t + 2.0 * phase).sin();
    let (shift_x, shift_y) = (10.0 * rng.sym(), 8.0 * rng.sym());
    let (w, h) = (WIDTH as f64, HEIGHT as f64);
    let f = 1.6 * w;
    let (cy_, sy_) = (yaw.cos(), yaw.sin());
    let (cp, sp) = (pitch.cos(), pitch.sin());
    let (cr, sr) = (roll.cos(), roll.sin());
    let project = |x: f64, y: f64| -> Point2f {
        // Rz(roll) · Rx(pitch) · Ry(yaw) applied to (x, y, 0), then the pinhole at distance f.
        let (x1, y1, z1) = (cy_ * x, y, -sy_ * x);
        let (x2, y2, z2) = (x1, cp * y1 - sp * z1, sp * y1 + cp * z1);
        let (x3, y3) = (cr * x2 - sr * y2, sr * x2 + cr * y2);
        let z = f + z2;
        // Shrunk a little so the turned plane stays mostly inside the canvas.
        let s = 0.86 * f / z;
        Point2f::new(
            (w / 2.0 + s * x3 + shift_x) as f32,
            (h / 2.0 + s * y3 + shift_y) as f32,
        )
    };
    let src: Vector<Point2f> = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
        .iter()
        .map(|&(x, y)| Point2f::new(x as f32, y as f32))
        .collect();
    let dst: Vector<Point2f> = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
        .iter()
        .map(|&(x, y)| project(x - w / 2.0, y - h / 2.0))
        .collect();
    let hmat = imgproc::get_perspective_transform(&src, &dst, core::DECOMP_LU)?;
    debug_assert_eq!(hmat.typ(), CV_64F);
    let mut out = Mat::new_rows_cols_with_default(HEIGHT, WIDTH, CV_8UC3, Scalar::all(background))?;
    imgproc::warp_perspective(
        object,
        &mut out,
        &hmat,
        Size::new(WIDTH, HEIGHT),
        imgproc::INTER_LINEAR,
        core::BORDER_TRANSPARENT,
        Scalar::all(0.0),
    )?;
    Ok(out)
}
