//! Frames: an owned BGR image whose pixels are zeroized when it is dropped.
//!
//! Every image the pipeline handles (camera frames, decoded chip photos, the 640×640 letterbox,
//! the 112×112 aligned crop) lives in a [`Frame`]. Dropping a frame overwrites its pixel buffer
//! with zeros before OpenCV frees it.
//!
//! What this does *not* cover, stated plainly: OpenCV may keep copies we cannot reach —
//! a `VideoCapture` backend's internal ring buffers (V4L2 mmap buffers, FFmpeg's decoder
//! state), `imdecode`'s internal decoder buffers, and allocator free lists holding pages of
//! intermediate results inside OpenCV functions (e.g. inside `resize` or `warpAffine`).
//! ONNX Runtime likewise keeps intermediate activations in its arena. These are overwritten by
//! the next frame in practice but are not wiped on purpose.

use opencv::core::{
    Mat, MatTraitConst, MatTraitConstManual, MatTraitManual, Scalar, Size, CV_8UC3,
};
use opencv::imgproc;
use opencv::prelude::*;
use zeroize::Zeroize;

use crate::error::{Result, VisionError};

/// How [`Frame::resize`] computes each pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    /// The average of the source pixels each one covers (a box filter): the one to shrink
    /// with, free of aliasing.
    Area,
    /// Bilinear, as the face detector's letterbox expects (YuNet's preprocessing).
    Bilinear,
}

/// An 8-bit, 3-channel BGR image owned by the pipeline; zeroized on drop.
pub struct Frame {
    mat: Mat,
}

impl Frame {
    /// Wraps an OpenCV image, converting gray, BGRA and 16-bit images to 8-bit BGR.
    /// The frame takes ownership: the `Mat`'s pixels are zeroized when the frame is dropped.
    pub fn from_mat(mat: Mat) -> Result<Self> {
        if mat.empty() || mat.rows() <= 0 || mat.cols() <= 0 {
            return Err(VisionError::NotAnImage("empty image".into()));
        }
        let mut mat = mat;
        if mat.depth() != opencv::core::CV_8U {
            let mut conv = Mat::default();
            // 16-bit to 8-bit: scale 1/256; float images assumed 0..1.
            let alpha = match mat.depth() {
                opencv::core::CV_16U | opencv::core::CV_16S => 1.0 / 256.0,
                opencv::core::CV_32F | opencv::core::CV_64F => 255.0,
                _ => 1.0,
            };
            mat.convert_to(&mut conv, opencv::core::CV_8U, alpha, 0.0)?;
            wipe(&mut mat);
            mat = conv;
        }
        let code = match mat.channels() {
            3 => None,
            1 => Some(imgproc::COLOR_GRAY2BGR),
            4 => Some(imgproc::COLOR_BGRA2BGR),
            n => {
                wipe(&mut mat);
                return Err(VisionError::NotAnImage(format!("{n} channels")));
            }
        };
        if let Some(code) = code {
            let mut bgr = Mat::default();
            imgproc::cvt_color_def(&mat, &mut bgr, code)?;
            wipe(&mut mat);
            mat = bgr;
        }
        if !mat.is_continuous() {
            let copy = mat.try_clone()?;
            wipe(&mut mat);
            mat = copy;
        }
        Ok(Self { mat })
    }

    /// Copies packed BGR pixels (`width * height * 3` bytes) into a new frame.
    pub fn from_bgr(width: u32, height: u32, bgr: &[u8]) -> Result<Self> {
        let (w, h) = (width as i32, height as i32);
        if w <= 0 || h <= 0 || bgr.len() != (width as usize) * (height as usize) * 3 {
            return Err(VisionError::NotAnImage(format!(
                "{} bytes is not {width}×{height} BGR",
                bgr.len()
            )));
        }
        let mut mat = Mat::new_rows_cols_with_default(h, w, CV_8UC3, Scalar::all(0.0))?;
        mat.data_bytes_mut()?.copy_from_slice(bgr);
        Ok(Self { mat })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.mat.cols().max(0) as u32
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.mat.rows().max(0) as u32
    }

    /// The OpenCV image (8-bit BGR, continuous).
    pub fn mat(&self) -> &Mat {
        &self.mat
    }

    /// The packed BGR pixels.
    pub fn bgr(&self) -> &[u8] {
        self.mat.data_bytes().unwrap_or(&[])
    }

    /// A copy scaled to `width` × `height` with OpenCV `imgproc::resize`: the one resizer of
    /// the workspace.
    pub fn resize(&self, width: u32, height: u32, how: Interpolation) -> Result<Self> {
        let (w, h) = (width as i32, height as i32);
        if w <= 0 || h <= 0 {
            return Err(VisionError::NotAnImage(format!(
                "cannot resize to {width}×{height}"
            )));
        }
        let flag = match how {
            Interpolation::Area => imgproc::INTER_AREA,
            Interpolation::Bilinear => imgproc::INTER_LINEAR,
        };
        let mut out = Mat::default();
        imgproc::resize(&self.mat, &mut out, Size::new(w, h), 0.0, 0.0, flag)?;
        Self::from_mat(out)
    }

    /// A deep copy (its own buffer, zeroized on its own drop).
    pub fn try_clone(&self) -> Result<Self> {
        Ok(Self {
            mat: self.mat.try_clone()?,
        })
    }
}

impl std::fmt::Debug for Frame {
    // Never print pixels.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({}×{})", self.width(), self.height())
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        wipe(&mut self.mat);
    }
}

/// Overwrites a `Mat`'s pixels with zeros (best effort; see the module docs).
pub(crate) fn wipe(mat: &mut Mat) {
    if mat.empty() {
        return;
    }
    if mat.is_continuous() {
        if let Ok(bytes) = mat.data_bytes_mut() {
            bytes.zeroize();
            return;
        }
    }
    let _ = mat.set_to_def(&Scalar::all(0.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_resize_averages_the_pixels_it_covers() {
        // 4×2 → 2×1: each output pixel is the mean of a 2×2 block.
        let mut bgr = Vec::new();
        for v in [0u8, 40, 100, 200, 80, 120, 100, 200] {
            bgr.extend_from_slice(&[v, v, v]);
        }
        let frame = Frame::from_bgr(4, 2, &bgr).unwrap();
        let small = frame.resize(2, 1, Interpolation::Area).unwrap();
        assert_eq!((small.width(), small.height()), (2, 1));
        assert_eq!(small.bgr(), [60, 60, 60, 150, 150, 150]);
        assert!(frame.resize(0, 1, Interpolation::Bilinear).is_err());
    }
}
