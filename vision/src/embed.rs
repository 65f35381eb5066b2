//! Face embeddings: SFace's 128-d output, L2-normalised, compared by cosine similarity.

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of an SFace embedding.
pub const EMBEDDING_LEN: usize = 128;

/// An L2-normalised face embedding. Biometric data: zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Embedding {
    v: [f32; EMBEDDING_LEN],
}

impl Embedding {
    /// Normalises a raw model output. Returns `None` for a wrong length or a zero/NaN vector.
    pub fn from_raw(raw: &[f32]) -> Option<Self> {
        if raw.len() != EMBEDDING_LEN {
            return None;
        }
        let norm = raw.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= f32::EPSILON {
            return None;
        }
        let mut v = [0f32; EMBEDDING_LEN];
        for (o, x) in v.iter_mut().zip(raw) {
            *o = x / norm;
        }
        Some(Self { v })
    }

    /// Cosine similarity in [-1, 1] (a dot product of unit vectors).
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.v
            .iter()
            .zip(other.v.iter())
            .map(|(a, b)| a * b)
            .sum::<f32>()
            .clamp(-1.0, 1.0)
    }

    /// The unit vector (for tests and the dangerous debug dump; never log it).
    pub fn as_slice(&self) -> &[f32] {
        &self.v
    }
}

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Embedding(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_normalised_vectors() {
        let mut a = [0f32; 128];
        a[0] = 3.0;
        let mut b = [0f32; 128];
        b[0] = 1.0;
        b[1] = 1.0;
        let (a, b) = (
            Embedding::from_raw(&a).unwrap(),
            Embedding::from_raw(&b).unwrap(),
        );
        assert!((a.cosine(&b) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert!(Embedding::from_raw(&[0.0; 128]).is_none());
        assert!(Embedding::from_raw(&[1.0; 3]).is_none());
        assert_eq!(format!("{a:?}"), "Embedding(<redacted>)");
    }
}
