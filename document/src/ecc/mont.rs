//! Montgomery arithmetic on fixed arrays of 64-bit limbs for the field GF(p) of a curve.
//! Used by the Jacobian scalar multiplication in [`super`]: a
//! `num-bigint` multiplication followed by a division for every reduction was ten times slower.
//! Primes up to 576 bits (P-521 included); CIOS multiplication (Koç, Acar, Kaliski 1996).

// Limb loops index two or three arrays in step; iterator chains would hide the carries.
#![allow(clippy::needless_range_loop)]

use num_bigint::BigUint;
use num_traits::Zero;

/// Maximum number of limbs (9 × 64 = 576 bits ≥ 521).
pub const MAX_LIMBS: usize = 9;

/// A field element in Montgomery form, little-endian limbs (only the first `n` are used).
pub type Fe = [u64; MAX_LIMBS];

/// Montgomery context for an odd prime p < 2^(64·n).
#[derive(Clone)]
pub struct MontField {
    p: Fe,
    n: usize,
    pinv: u64,
    r2: Fe,
}

fn to_limbs(x: &BigUint) -> Fe {
    let mut out = [0u64; MAX_LIMBS];
    for (i, d) in x.iter_u64_digits().take(MAX_LIMBS).enumerate() {
        out[i] = d;
    }
    out
}

impl MontField {
    /// Context for `p`; `None` when p is even or wider than 576 bits.
    pub fn new(p: &BigUint) -> Option<Self> {
        if p.is_zero() || !p.bit(0) || p.bits() as usize > 64 * MAX_LIMBS {
            return None;
        }
        let n = (p.bits() as usize).div_ceil(64);
        let pl = to_limbs(p);
        // -p⁻¹ mod 2^64 by Newton iteration.
        let mut inv: u64 = 1;
        for _ in 0..7 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(pl[0].wrapping_mul(inv)));
        }
        let r2 = (BigUint::from(1u8) << (128 * n)) % p;
        Some(MontField {
            p: pl,
            n,
            pinv: inv.wrapping_neg(),
            r2: to_limbs(&r2),
        })
    }

    fn geq_p(&self, a: &Fe) -> bool {
        for i in (0..self.n).rev() {
            if a[i] != self.p[i] {
                return a[i] > self.p[i];
            }
        }
        true
    }

    fn sub_p(&self, a: &mut Fe) {
        let mut borrow = 0u64;
        for i in 0..self.n {
            let (d1, b1) = a[i].overflowing_sub(self.p[i]);
            let (d2, b2) = d1.overflowing_sub(borrow);
            a[i] = d2;
            borrow = u64::from(b1 || b2);
        }
    }

    /// a·b·R⁻¹ mod p (CIOS).
    pub fn mul(&self, a: &Fe, b: &Fe) -> Fe {
        let n = self.n;
        let mut t = [0u64; MAX_LIMBS + 2];
        for &bi in b.iter().take(n) {
            let mut c: u128 = 0;
            for j in 0..n {
                let s = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + c;
                t[j] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[n]) + c;
            t[n] = s as u64;
            t[n + 1] = (s >> 64) as u64;
            let m = t[0].wrapping_mul(self.pinv);
            let s = u128::from(t[0]) + u128::from(m) * u128::from(self.p[0]);
            let mut c = s >> 64;
            for j in 1..n {
                let s = u128::from(t[j]) + u128::from(m) * u128::from(self.p[j]) + c;
                t[j - 1] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[n]) + c;
            t[n - 1] = s as u64;
            t[n] = t[n + 1] + (s >> 64) as u64;
        }
        let mut out = [0u64; MAX_LIMBS];
        out[..n].copy_from_slice(&t[..n]);
        if t[n] != 0 || self.geq_p(&out) {
            self.sub_p(&mut out);
        }
        out
    }

    /// a + b mod p.
    pub fn add(&self, a: &Fe, b: &Fe) -> Fe {
        let mut out = [0u64; MAX_LIMBS];
        let mut carry = 0u64;
        for i in 0..self.n {
            let (s1, c1) = a[i].overflowing_add(b[i]);
            let (s2, c2) = s1.overflowing_add(carry);
            out[i] = s2;
            carry = u64::from(c1 || c2);
        }
        if carry != 0 || self.geq_p(&out) {
            self.sub_p(&mut out);
        }
        out
    }

    /// a − b mod p.
    pub fn sub(&self, a: &Fe, b: &Fe) -> Fe {
        let mut out = [0u64; MAX_LIMBS];
        let mut borrow = 0u64;
        for i in 0..self.n {
            let (d1, b1) = a[i].overflowing_sub(b[i]);
            let (d2, b2) = d1.overflowing_sub(borrow);
            out[i] = d2;
            borrow = u64::from(b1 || b2);
        }
        if borrow != 0 {
            let mut carry = 0u64;
            for i in 0..self.n {
                let (s1, c1) = out[i].overflowing_add(self.p[i]);
                let (s2, c2) = s1.overflowing_add(carry);
                out[i] = s2;
                carry = u64::from(c1 || c2);
            }
        }
        out
    }

    /// Into Montgomery form (x is reduced mod p first).
    pub fn from_big(&self, x: &BigUint, p: &BigUint) -> Fe {
        let x = to_limbs(&(x % p));
        self.mul(&x, &self.r2)
    }

    /// Out of Montgomery form.
    pub fn to_big(&self, a: &Fe) -> BigUint {
        let mut one = [0u64; MAX_LIMBS];
        one[0] = 1;
        let v = self.mul(a, &one);
        let mut bytes = Vec::with_capacity(8 * self.n);
        for limb in v.iter().take(self.n) {
            bytes.extend_from_slice(&limb.to_le_bytes());
        }
        BigUint::from_bytes_le(&bytes)
    }

    /// True for the zero element.
    pub fn is_zero(&self, a: &Fe) -> bool {
        a.iter().take(self.n).all(|x| *x == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::RandBigInt;

    #[test]
    fn matches_biguint() {
        let mut rng = rand::thread_rng();
        for id in 8..=18 {
            let c = crate::ecc::standardized_curve(id).unwrap();
            let f = MontField::new(&c.p).unwrap();
            for _ in 0..50 {
                let a = rng.gen_biguint_below(&c.p);
                let b = rng.gen_biguint_below(&c.p);
                let (ma, mb) = (f.from_big(&a, &c.p), f.from_big(&b, &c.p));
                assert_eq!(f.to_big(&f.mul(&ma, &mb)), (&a * &b) % &c.p);
                assert_eq!(f.to_big(&f.add(&ma, &mb)), (&a + &b) % &c.p);
                assert_eq!(f.to_big(&f.sub(&ma, &mb)), (&a + &c.p - &b) % &c.p);
            }
        }
    }
}
