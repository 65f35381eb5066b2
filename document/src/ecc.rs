//! Prime-field elliptic-curve and finite-field Diffie-Hellman arithmetic for PACE and Chip
//! Authentication.
//!
//! Why by hand: PACE Generic Mapping needs the generator *replaced* at run time (Ĝ = s·G + H),
//! Integrated Mapping needs a point encoding onto the curve, and eMRTDs carry explicit domain
//! parameters (DG14, EF.CardSecurity). The RustCrypto curve crates fix the curve and the
//! generator at compile time and cover neither brainpool nor explicit parameters, so this module
//! implements short-Weierstrass arithmetic over `num-bigint`: Jacobian coordinates and a
//! fixed 4-bit window for scalar multiplication, full validation of every received point.
//!
//! Not constant time: a border-control terminal uses ephemeral keys once; the virtual chip is a
//! simulator. Do not reuse this module for long-term keys on a device an attacker can time.
//!
//! Standardized domain parameters: ICAO 9303-11 §9.5.1 (table of ids 0–2 and 8–18); RFC 5114
//! §2.1–2.3 for the MODP groups, RFC 5639 §3 for brainpool, FIPS 186 / SEC 2 for NIST curves.

pub mod mont;

use std::sync::OnceLock;

use num_bigint::{BigUint, RandBigInt};
use num_integer::Integer;
use num_traits::{One, Zero};
use zeroize::Zeroizing;

use mont::{Fe, MontField};

/// Errors from domain-parameter construction, point decoding and key agreement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EccError {
    /// The point encoding is not `04 || X || Y` (or a supported compressed form) of the right length.
    #[error("malformed point encoding")]
    MalformedPoint,
    /// A coordinate is not below the field prime.
    #[error("coordinate out of range")]
    CoordinateOutOfRange,
    /// The point does not satisfy the curve equation.
    #[error("point not on curve")]
    NotOnCurve,
    /// The result or the input is the point at infinity.
    #[error("point at infinity")]
    Infinity,
    /// A scalar is zero or not below the group order.
    #[error("scalar out of range")]
    ScalarOutOfRange,
    /// A DH public value is outside 2..p-2 or not in the prime-order subgroup.
    #[error("invalid DH public value")]
    InvalidDhPublic,
    /// Explicit domain parameters are inconsistent (e.g. the generator is not on the curve).
    #[error("invalid domain parameters: {0}")]
    InvalidParameters(&'static str),
    /// The standardized domain-parameter id is not in ICAO 9303-11 §9.5.1.
    #[error("unknown standardized domain parameter id {0}")]
    UnknownParameterId(u32),
    /// No square root exists / this field needs p ≡ 3 mod 4 for the requested operation.
    #[error("unsupported field for this operation")]
    UnsupportedField,
}

/// An affine point that is not the point at infinity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcPoint {
    /// Affine x coordinate, `< p`.
    pub x: BigUint,
    /// Affine y coordinate, `< p`.
    pub y: BigUint,
}

/// A short-Weierstrass curve y² = x³ + ax + b over GF(p) with a base point of prime order n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curve {
    /// Field prime.
    pub p: BigUint,
    /// Coefficient a.
    pub a: BigUint,
    /// Coefficient b.
    pub b: BigUint,
    /// Base point.
    pub g: EcPoint,
    /// Order of the base point.
    pub n: BigUint,
    /// Cofactor.
    pub h: BigUint,
    /// Name when standardized (e.g. "brainpoolP256r1").
    pub name: Option<&'static str>,
}

impl Curve {
    /// Builds a curve from explicit parameters and validates them: p odd and > 3, a, b, G's
    /// coordinates below p, G on the curve, n > 1, 4a³ + 27b² ≠ 0.
    pub fn new(
        p: BigUint,
        a: BigUint,
        b: BigUint,
        g: EcPoint,
        n: BigUint,
        h: BigUint,
    ) -> Result<Self, EccError> {
        if p <= BigUint::from(3u8) || p.is_even() {
            return Err(EccError::InvalidParameters("field prime"));
        }
        if a >= p || b >= p {
            return Err(EccError::InvalidParameters("coefficient not below p"));
        }
        if n <= BigUint::one() {
            return Err(EccError::InvalidParameters("order"));
        }
        let c = Curve {
            p,
            a,
            b,
            g,
            n,
            h,
            name: None,
        };
        let disc = (BigUint::from(4u8) * c.a.modpow(&BigUint::from(3u8), &c.p)
            + BigUint::from(27u8) * (&c.b * &c.b))
            % &c.p;
        if disc.is_zero() {
            return Err(EccError::InvalidParameters("singular curve"));
        }
        if c.g.x >= c.p || c.g.y >= c.p || !c.is_on_curve(&c.g) {
            return Err(EccError::InvalidParameters("generator not on curve"));
        }
        Ok(c)
    }

    /// Same curve with another base point (PACE mapping: Ĝ replaces G, n and h unchanged).
    pub fn with_generator(&self, g: EcPoint) -> Result<Self, EccError> {
        self.validate_point(&g)?;
        Ok(Self { g, ..self.clone() })
    }

    /// Length in bytes of a field element (and of each coordinate in an encoded point).
    pub fn field_len(&self) -> usize {
        byte_len(&self.p)
    }

    /// Length in bytes of the group order.
    pub fn order_len(&self) -> usize {
        byte_len(&self.n)
    }

    /// True when `pt` satisfies y² = x³ + ax + b (mod p) with both coordinates below p.
    pub fn is_on_curve(&self, pt: &EcPoint) -> bool {
        if pt.x >= self.p || pt.y >= self.p {
            return false;
        }
        let lhs = (&pt.y * &pt.y) % &self.p;
        let rhs = (&pt.x * &pt.x % &self.p * &pt.x + &self.a * &pt.x + &self.b) % &self.p;
        lhs == rhs
    }

    /// Checks a received point: coordinates in range and on the curve. (Infinity cannot be
    /// represented by [`EcPoint`]; its encoding `00` is rejected by [`Curve::decode_point`].)
    /// For cofactor-1 curves (all ICAO standardized curves) this also places it in the group.
    pub fn validate_point(&self, pt: &EcPoint) -> Result<(), EccError> {
        if pt.x >= self.p || pt.y >= self.p {
            return Err(EccError::CoordinateOutOfRange);
        }
        if !self.is_on_curve(pt) {
            return Err(EccError::NotOnCurve);
        }
        Ok(())
    }

    /// Uncompressed encoding `04 || X || Y`, coordinates left-padded to [`Curve::field_len`]
    /// (BSI TR-03111 §3.2.1, used for every PACE/CA public key).
    pub fn encode_point(&self, pt: &EcPoint) -> Vec<u8> {
        let l = self.field_len();
        let mut out = Vec::with_capacity(1 + 2 * l);
        out.push(0x04);
        out.extend_from_slice(&to_fixed(&pt.x, l));
        out.extend_from_slice(&to_fixed(&pt.y, l));
        out
    }

    /// Decodes and validates an encoded point: uncompressed `04 || X || Y`, or compressed
    /// `02/03 || X` when p ≡ 3 (mod 4). Rejects infinity (`00`), wrong lengths, coordinates ≥ p
    /// and points off the curve. Never panics.
    pub fn decode_point(&self, data: &[u8]) -> Result<EcPoint, EccError> {
        let l = self.field_len();
        match data.first() {
            None => Err(EccError::MalformedPoint),
            Some(0x00) => Err(EccError::Infinity),
            Some(0x04) if data.len() == 1 + 2 * l => {
                let pt = EcPoint {
                    x: BigUint::from_bytes_be(&data[1..1 + l]),
                    y: BigUint::from_bytes_be(&data[1 + l..]),
                };
                self.validate_point(&pt)?;
                Ok(pt)
            }
            Some(&t @ (0x02 | 0x03)) if data.len() == 1 + l => {
                let x = BigUint::from_bytes_be(&data[1..]);
                if x >= self.p {
                    return Err(EccError::CoordinateOutOfRange);
                }
                let rhs = (&x * &x % &self.p * &x + &self.a * &x + &self.b) % &self.p;
                let mut y = self.sqrt(&rhs).ok_or(EccError::NotOnCurve)?;
                if y.is_odd() != (t == 0x03) {
                    y = (&self.p - &y) % &self.p;
                }
                let pt = EcPoint { x, y };
                self.validate_point(&pt)?;
                Ok(pt)
            }
            _ => Err(EccError::MalformedPoint),
        }
    }

    /// Square root mod p for p ≡ 3 (mod 4); `None` when `v` is a non-residue or p ≢ 3 (mod 4).
    pub fn sqrt(&self, v: &BigUint) -> Option<BigUint> {
        if (&self.p % 4u8) != BigUint::from(3u8) {
            return None;
        }
        let e = (&self.p + 1u8) >> 2;
        let r = v.modpow(&e, &self.p);
        if (&r * &r) % &self.p == v % &self.p {
            Some(r)
        } else {
            None
        }
    }

    /// Checks 1 ≤ k < n.
    pub fn check_scalar(&self, k: &BigUint) -> Result<(), EccError> {
        if k.is_zero() || k >= &self.n {
            Err(EccError::ScalarOutOfRange)
        } else {
            Ok(())
        }
    }

    /// A uniformly random scalar in 1..n-1.
    pub fn random_scalar(&self) -> BigUint {
        let mut rng = rand::thread_rng();
        rng.gen_biguint_range(&BigUint::one(), &self.n)
    }

    /// k·G on this curve's base point. `None` is the point at infinity.
    pub fn mul_g(&self, k: &BigUint) -> Option<EcPoint> {
        self.mul(k, &self.g)
    }

    /// k·P with a fixed 4-bit window over Jacobian coordinates in Montgomery form
    /// ([`mont`]). `None` is infinity.
    pub fn mul(&self, k: &BigUint, pt: &EcPoint) -> Option<EcPoint> {
        if k.is_zero() {
            return None;
        }
        let f = MontField::new(&self.p)?;
        let a = f.from_big(&self.a, &self.p);
        let base = self.jac_from(&f, pt);
        // Table of 0·P..15·P.
        let mut table: Vec<Jac> = Vec::with_capacity(16);
        table.push(Jac::infinity());
        table.push(base);
        for i in 2..16 {
            let next = if i % 2 == 0 {
                jdouble(&f, &a, &table[i / 2])
            } else {
                jadd(&f, &a, &table[i - 1], &table[1])
            };
            table.push(next);
        }
        let bytes = k.to_bytes_be();
        let mut acc = Jac::infinity();
        for byte in bytes {
            for nibble in [byte >> 4, byte & 0x0f] {
                for _ in 0..4 {
                    acc = jdouble(&f, &a, &acc);
                }
                if nibble != 0 {
                    acc = jadd(&f, &a, &acc, &table[nibble as usize]);
                }
            }
        }
        self.to_affine(&f, &acc)
    }

    /// P + Q in affine terms. `None` is infinity.
    pub fn add(&self, p: &EcPoint, q: &EcPoint) -> Option<EcPoint> {
        let f = MontField::new(&self.p)?;
        let a = f.from_big(&self.a, &self.p);
        let r = jadd(&f, &a, &self.jac_from(&f, p), &self.jac_from(&f, q));
        self.to_affine(&f, &r)
    }

    /// −P.
    pub fn neg(&self, p: &EcPoint) -> EcPoint {
        EcPoint {
            x: p.x.clone(),
            y: (&self.p - &p.y) % &self.p,
        }
    }

    /// ECDH (ECKA-DH, BSI TR-03111 §4.3.1): x-coordinate of sk·PK, left-padded to the field
    /// length. The peer key is validated first; an infinity result is an error.
    pub fn agree(&self, sk: &BigUint, peer: &EcPoint) -> Result<Zeroizing<Vec<u8>>, EccError> {
        self.validate_point(peer)?;
        self.check_scalar(sk)?;
        let s = self.mul(sk, peer).ok_or(EccError::Infinity)?;
        Ok(Zeroizing::new(to_fixed(&s.x, self.field_len())))
    }

    fn jac_from(&self, f: &MontField, p: &EcPoint) -> Jac {
        Jac {
            x: f.from_big(&p.x, &self.p),
            y: f.from_big(&p.y, &self.p),
            z: f.from_big(&BigUint::one(), &self.p),
        }
    }

    fn to_affine(&self, f: &MontField, q: &Jac) -> Option<EcPoint> {
        if f.is_zero(&q.z) {
            return None;
        }
        let z = f.to_big(&q.z);
        let zinv = mod_inverse(&z, &self.p)?;
        let zinv2 = (&zinv * &zinv) % &self.p;
        let zinv3 = (&zinv2 * &zinv) % &self.p;
        Some(EcPoint {
            x: (f.to_big(&q.x) * zinv2) % &self.p,
            y: (f.to_big(&q.y) * zinv3) % &self.p,
        })
    }
}

/// Jacobian point (X, Y, Z), Montgomery form: x = X/Z², y = Y/Z³; Z = 0 is infinity.
#[derive(Clone)]
struct Jac {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl Jac {
    fn infinity() -> Self {
        Jac {
            x: [0; mont::MAX_LIMBS],
            y: [0; mont::MAX_LIMBS],
            z: [0; mont::MAX_LIMBS],
        }
    }
}

/// Doubling with general a: S = 4XY², M = 3X² + aZ⁴, X' = M² − 2S, Y' = M(S − X') − 8Y⁴,
/// Z' = 2YZ.
fn jdouble(f: &MontField, a: &Fe, q: &Jac) -> Jac {
    if f.is_zero(&q.z) || f.is_zero(&q.y) {
        return Jac::infinity();
    }
    let xx = f.mul(&q.x, &q.x);
    let yy = f.mul(&q.y, &q.y);
    let yyyy = f.mul(&yy, &yy);
    let zz = f.mul(&q.z, &q.z);
    let xyy = f.mul(&q.x, &yy);
    let s2 = f.add(&xyy, &xyy);
    let s = f.add(&s2, &s2);
    let m = f.add(&f.add(&f.add(&xx, &xx), &xx), &f.mul(a, &f.mul(&zz, &zz)));
    let x3 = f.sub(&f.mul(&m, &m), &f.add(&s, &s));
    let y2 = f.add(&yyyy, &yyyy);
    let y4 = f.add(&y2, &y2);
    let y8 = f.add(&y4, &y4);
    let y3 = f.sub(&f.mul(&m, &f.sub(&s, &x3)), &y8);
    let yz = f.mul(&q.y, &q.z);
    Jac {
        x: x3,
        y: y3,
        z: f.add(&yz, &yz),
    }
}

/// Addition of two Jacobian points (doubling when they are equal).
fn jadd(f: &MontField, a: &Fe, p1: &Jac, p2: &Jac) -> Jac {
    if f.is_zero(&p1.z) {
        return p2.clone();
    }
    if f.is_zero(&p2.z) {
        return p1.clone();
    }
    let z1z1 = f.mul(&p1.z, &p1.z);
    let z2z2 = f.mul(&p2.z, &p2.z);
    let u1 = f.mul(&p1.x, &z2z2);
    let u2 = f.mul(&p2.x, &z1z1);
    let s1 = f.mul(&f.mul(&p1.y, &p2.z), &z2z2);
    let s2 = f.mul(&f.mul(&p2.y, &p1.z), &z1z1);
    if u1 == u2 {
        return if s1 == s2 {
            jdouble(f, a, p1)
        } else {
            Jac::infinity()
        };
    }
    let h = f.sub(&u2, &u1);
    let r = f.sub(&s2, &s1);
    let hh = f.mul(&h, &h);
    let hhh = f.mul(&hh, &h);
    let v = f.mul(&u1, &hh);
    let x3 = f.sub(&f.sub(&f.mul(&r, &r), &hhh), &f.add(&v, &v));
    let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.mul(&s1, &hhh));
    let z3 = f.mul(&f.mul(&p1.z, &p2.z), &h);
    Jac {
        x: x3,
        y: y3,
        z: z3,
    }
}

/// Modular inverse via Fermat-free extended Euclid; `None` when not invertible.
pub fn mod_inverse(a: &BigUint, m: &BigUint) -> Option<BigUint> {
    use num_bigint::BigInt;
    if m.is_zero() {
        return None;
    }
    let a = BigInt::from(a % m);
    let m_i = BigInt::from(m.clone());
    let e = a.extended_gcd(&m_i);
    if !e.gcd.is_one() {
        return None;
    }
    let x = ((e.x % &m_i) + &m_i) % &m_i;
    x.to_biguint()
}

/// Bytes needed for the unsigned value `v` (the length of a modulus or an order).
fn byte_len(v: &BigUint) -> usize {
    (v.bits() as usize).div_ceil(8)
}

/// Big-endian bytes of `v` left-padded with zeros to `len` (longer values keep their length).
pub fn to_fixed(v: &BigUint, len: usize) -> Vec<u8> {
    let b = v.to_bytes_be();
    if b.len() >= len {
        return if v.is_zero() { vec![0; len] } else { b };
    }
    let mut out = vec![0u8; len - b.len()];
    out.extend_from_slice(&b);
    out
}

/// A finite-field Diffie-Hellman group: p, g and (when known) the subgroup order q.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhGroup {
    /// Prime modulus.
    pub p: BigUint,
    /// Generator.
    pub g: BigUint,
    /// Order of g (RFC 5114 groups publish it); `None` for PKCS #3 parameters without it.
    pub q: Option<BigUint>,
    /// Name when standardized.
    pub name: Option<&'static str>,
}

impl DhGroup {
    /// Builds and sanity-checks a group (p odd > 3, 1 < g < p−1).
    pub fn new(p: BigUint, g: BigUint, q: Option<BigUint>) -> Result<Self, EccError> {
        if p <= BigUint::from(3u8) || p.is_even() {
            return Err(EccError::InvalidParameters("DH modulus"));
        }
        if g <= BigUint::one() || g >= &p - 1u8 {
            return Err(EccError::InvalidParameters("DH generator"));
        }
        Ok(DhGroup {
            p,
            g,
            q,
            name: None,
        })
    }

    /// Same group with another generator (PACE-GM DH: ĝ = g^s·h).
    pub fn with_generator(&self, g: BigUint) -> Result<Self, EccError> {
        if g <= BigUint::one() || g >= &self.p - 1u8 {
            return Err(EccError::InvalidDhPublic);
        }
        Ok(Self { g, ..self.clone() })
    }

    /// Length of p in bytes; public values and shared secrets are padded to it.
    pub fn len(&self) -> usize {
        byte_len(&self.p)
    }

    /// Always false (a group has a modulus); present for clippy's `len` convention.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// A random private exponent: below q when q is known, else 256 random bits.
    pub fn random_private(&self) -> BigUint {
        let mut rng = rand::thread_rng();
        match &self.q {
            Some(q) => rng.gen_biguint_range(&BigUint::one(), q),
            None => rng.gen_biguint(256) | BigUint::one(),
        }
    }

    /// g^x mod p.
    pub fn public(&self, x: &BigUint) -> BigUint {
        self.g.modpow(x, &self.p)
    }

    /// Validates a received public value: 1 < y < p−1 and, when q is known, y^q ≡ 1 (mod p).
    pub fn validate_public(&self, y: &BigUint) -> Result<(), EccError> {
        if y <= &BigUint::one() || y >= &(&self.p - 1u8) {
            return Err(EccError::InvalidDhPublic);
        }
        if let Some(q) = &self.q {
            if !y.modpow(q, &self.p).is_one() {
                return Err(EccError::InvalidDhPublic);
            }
        }
        Ok(())
    }

    /// DH key agreement (PKCS #3): y^x mod p, left-padded to the length of p.
    pub fn agree(&self, x: &BigUint, y: &BigUint) -> Result<Zeroizing<Vec<u8>>, EccError> {
        self.validate_public(y)?;
        let k = y.modpow(x, &self.p);
        if k <= BigUint::one() {
            return Err(EccError::InvalidDhPublic);
        }
        Ok(Zeroizing::new(to_fixed(&k, self.len())))
    }
}

/// Domain parameters of a key-agreement algorithm: an EC curve or a DH group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainParams {
    /// Finite-field Diffie-Hellman.
    Dh(DhGroup),
    /// Elliptic-curve Diffie-Hellman.
    Ec(Curve),
}

impl DomainParams {
    /// The ICAO standardized domain parameters for `id` (9303-11 §9.5.1): 0–2 DH, 8–18 EC.
    pub fn standardized(id: u32) -> Result<Self, EccError> {
        standardized(id).cloned()
    }
}

fn hex_big(s: &str) -> BigUint {
    // Constants are compile-time literals checked by the unit tests below.
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default()
}

struct EcConst {
    name: &'static str,
    p: &'static str,
    a: &'static str,
    b: &'static str,
    gx: &'static str,
    gy: &'static str,
    n: &'static str,
}

// ICAO 9303-11 §9.5.1, Table of standardized domain parameters (ids 8–18). Values from
// SEC 2 / FIPS 186-4 (NIST) and RFC 5639 §3 (brainpool), cofactor 1 for all of them.
const EC_CONSTS: [(u32, EcConst); 11] = [
    (8, EcConst { name: "P-192", p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF", a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC", b: "64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1", gx: "188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF1012", gy: "07192B95FFC8DA78631011ED6B24CDD573F977A11E794811", n: "FFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831" }),
    (9, EcConst { name: "brainpoolP192r1", p: "C302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297", a: "6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF", b: "469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9", gx: "C0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD6", gy: "14B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F", n: "C302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1" }),
    (10, EcConst { name: "P-224", p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001", a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE", b: "B4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4", gx: "B70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21", gy: "BD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34", n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D" }),
    (11, EcConst { name: "brainpoolP224r1", p: "D7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF", a: "68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43", b: "2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B", gx: "0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D", gy: "58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD", n: "D7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F" }),
    (12, EcConst { name: "P-256", p: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF", a: "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC", b: "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B", gx: "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296", gy: "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5", n: "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551" }),
    (13, EcConst { name: "brainpoolP256r1", p: "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377", a: "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9", b: "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6", gx: "8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262", gy: "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997", n: "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7" }),
    (14, EcConst { name: "brainpoolP320r1", p: "D35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27", a: "3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4", b: "520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6", gx: "43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E20611", gy: "14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1", n: "D35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311" }),
    (15, EcConst { name: "P-384", p: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF", a: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC", b: "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF", gx: "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7", gy: "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F", n: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973" }),
    (16, EcConst { name: "brainpoolP384r1", p: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53", a: "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826", b: "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11", gx: "1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E", gy: "8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315", n: "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565" }),
    (17, EcConst { name: "brainpoolP512r1", p: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3", a: "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA", b: "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723", gx: "81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822", gy: "7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892", n: "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069" }),
    (18, EcConst { name: "P-521", p: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", a: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC", b: "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00", gx: "00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66", gy: "011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650", n: "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409" }),
];

struct DhConst {
    name: &'static str,
    p: &'static str,
    g: &'static str,
    q: &'static str,
}

// ICAO 9303-11 §9.5.1 ids 0–2 = RFC 5114 §2.1, §2.2, §2.3.
const DH_CONSTS: [(u32, DhConst); 3] = [
    (0, DhConst { name: "RFC 5114 1024-bit MODP, 160-bit subgroup", p: "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D189838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A73724EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708DF1FB2BC2E4A4371", g: "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24855E6EEB22B3B2E5", q: "F518AA8781A8DF278ABA4E7D64B7CB9D49462353" }),
    (1, DhConst { name: "RFC 5114 2048-bit MODP, 224-bit subgroup", p: "AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DBAF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8D91E8FEF55B7394B7AD5B7D0B6C12207C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708B3BF8A317091883681286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A07415987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8BE60E69CC928B2B9C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71CF9DE5384E71B81C0AC4DFFE0C10E64F", g: "AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024AF4D027275AC1348BB8A762D0521BC98AE247150422EA1ED409939D54DA7460CDB5F6C6B250717CBEF180EB34118E98D119529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8ACB70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381B539CCE3409D13CD566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC017981BC087F2A7065B384B890D3191F2BFA", q: "801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB" }),
    (2, DhConst { name: "RFC 5114 2048-bit MODP, 256-bit subgroup", p: "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8EF6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597", g: "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0ADB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659", q: "8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3" }),
];

/// The ICAO standardized parameter ids, in table order (9303-11 §9.5.1).
pub const STANDARDIZED_IDS: [u32; 14] = [0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];

/// Borrowed standardized domain parameters, built once and cached.
pub fn standardized(id: u32) -> Result<&'static DomainParams, EccError> {
    static CACHE: OnceLock<Vec<(u32, DomainParams)>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        let mut v = Vec::new();
        for (id, c) in DH_CONSTS.iter() {
            v.push((
                *id,
                DomainParams::Dh(DhGroup {
                    p: hex_big(c.p),
                    g: hex_big(c.g),
                    q: Some(hex_big(c.q)),
                    name: Some(c.name),
                }),
            ));
        }
        for (id, c) in EC_CONSTS.iter() {
            v.push((
                *id,
                DomainParams::Ec(Curve {
                    p: hex_big(c.p),
                    a: hex_big(c.a),
                    b: hex_big(c.b),
                    g: EcPoint {
                        x: hex_big(c.gx),
                        y: hex_big(c.gy),
                    },
                    n: hex_big(c.n),
                    h: BigUint::one(),
                    name: Some(c.name),
                }),
            ));
        }
        v
    });
    all.iter()
        .find(|(i, _)| *i == id)
        .map(|(_, d)| d)
        .ok_or(EccError::UnknownParameterId(id))
}

/// Shortcut: the standardized curve with `id`, or an error when `id` is a DH group or unknown.
pub fn standardized_curve(id: u32) -> Result<&'static Curve, EccError> {
    match standardized(id)? {
        DomainParams::Ec(c) => Ok(c),
        DomainParams::Dh(_) => Err(EccError::UnknownParameterId(id)),
    }
}

/// Shortcut: the standardized DH group with `id`.
pub fn standardized_dh(id: u32) -> Result<&'static DhGroup, EccError> {
    match standardized(id)? {
        DomainParams::Dh(g) => Ok(g),
        DomainParams::Ec(_) => Err(EccError::UnknownParameterId(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardized_curves_are_consistent() {
        for id in STANDARDIZED_IDS {
            match standardized(id).unwrap() {
                DomainParams::Ec(c) => {
                    // Re-validate through the explicit-parameter constructor.
                    Curve::new(
                        c.p.clone(),
                        c.a.clone(),
                        c.b.clone(),
                        c.g.clone(),
                        c.n.clone(),
                        c.h.clone(),
                    )
                    .unwrap();
                    // n·G = infinity, (n-1)·G = -G.
                    assert!(c.mul_g(&c.n).is_none(), "id {id}");
                    let m = c.mul_g(&(&c.n - 1u8)).unwrap();
                    assert_eq!(m, c.neg(&c.g), "id {id}");
                }
                DomainParams::Dh(g) => {
                    let q = g.q.clone().unwrap();
                    assert!(g.g.modpow(&q, &g.p).is_one(), "id {id}");
                }
            }
        }
        assert!(standardized(3).is_err());
        assert!(standardized(19).is_err());
    }

    #[test]
    fn point_roundtrip_and_rejections() {
        let c = standardized_curve(13).unwrap();
        let k = c.random_scalar();
        let p = c.mul_g(&k).unwrap();
        let enc = c.encode_point(&p);
        assert_eq!(c.decode_point(&enc).unwrap(), p);
        // Compressed form.
        let mut comp = vec![if p.y.is_odd() { 3 } else { 2 }];
        comp.extend_from_slice(&enc[1..33]);
        assert_eq!(c.decode_point(&comp).unwrap(), p);
        // Off curve.
        let mut bad = enc.clone();
        bad[64] ^= 1;
        assert_eq!(c.decode_point(&bad), Err(EccError::NotOnCurve));
        // Infinity, wrong length, x >= p.
        assert_eq!(c.decode_point(&[0]), Err(EccError::Infinity));
        assert_eq!(c.decode_point(&enc[..64]), Err(EccError::MalformedPoint));
        let mut big = vec![4u8];
        big.extend_from_slice(&[0xFF; 64]);
        assert_eq!(c.decode_point(&big), Err(EccError::CoordinateOutOfRange));
        assert_eq!(
            c.check_scalar(&BigUint::zero()),
            Err(EccError::ScalarOutOfRange)
        );
        assert_eq!(c.check_scalar(&c.n), Err(EccError::ScalarOutOfRange));
    }

    #[test]
    fn ecdh_agrees() {
        for id in 8..=18 {
            let c = standardized_curve(id).unwrap();
            let (a, b) = (c.random_scalar(), c.random_scalar());
            let (pa, pb) = (c.mul_g(&a).unwrap(), c.mul_g(&b).unwrap());
            assert_eq!(*c.agree(&a, &pb).unwrap(), *c.agree(&b, &pa).unwrap());
        }
    }

    #[test]
    fn dh_agrees_and_rejects() {
        let g = standardized_dh(0).unwrap();
        let (a, b) = (g.random_private(), g.random_private());
        let (ya, yb) = (g.public(&a), g.public(&b));
        assert_eq!(*g.agree(&a, &yb).unwrap(), *g.agree(&b, &ya).unwrap());
        assert_eq!(
            g.validate_public(&BigUint::one()),
            Err(EccError::InvalidDhPublic)
        );
        assert_eq!(
            g.validate_public(&(&g.p - 1u8)),
            Err(EccError::InvalidDhPublic)
        );
        // Not in the q-subgroup.
        assert_eq!(
            g.validate_public(&BigUint::from(2u8)),
            Err(EccError::InvalidDhPublic)
        );
    }

    proptest::proptest! {
        #[test]
        fn decode_point_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..140)) {
            let c = standardized_curve(13).unwrap();
            let _ = c.decode_point(&data);
            let c = standardized_curve(18).unwrap();
            let _ = c.decode_point(&data);
        }
    }
}
