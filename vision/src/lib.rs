//! Faces: frame sources, detection, alignment, embedding, 1:1 matching, quality and liveness.
//!
//! Contract: given frames and a chip photo, produce a face verdict with score, threshold and
//! reason; biometric buffers are zeroized after use. (Not built yet: issue #5.)
