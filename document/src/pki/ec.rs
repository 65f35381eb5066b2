//! ECDSA verification over any short-Weierstrass prime curve, named or given by explicit
//! parameters (RFC 3279 §2.3.5 / X9.62 `SpecifiedECDomain`).
//!
//! Why by hand: German CSCA keys (and many DS keys) carry *explicit* brainpool parameters,
//! which no RustCrypto curve crate accepts and OpenSSL 3 refuses. This is verification only:
//! every input is public, so variable-time big-integer arithmetic is acceptable here. Named
//! NIST P-256/P-384 keys go through the `p256`/`p384` crates instead (see `sig.rs`).
//! When the document-pace `ecc` module lands, this file should be switched to it.

use num_bigint::BigUint;
use num_traits::{One, Zero};

use super::asn1::{self, children, oid_string, read_tlv};
use super::PkiError;

/// Domain parameters of a prime-field curve `y² = x³ + ax + b`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curve {
    /// The curve's registered name when known (`"brainpoolP256r1"`), else `None`.
    pub name: Option<&'static str>,
    /// Field prime.
    pub p: BigUint,
    /// Coefficient a.
    pub a: BigUint,
    /// Coefficient b.
    pub b: BigUint,
    /// Base point x.
    pub gx: BigUint,
    /// Base point y.
    pub gy: BigUint,
    /// Order of the base point.
    pub n: BigUint,
}

/// An affine point, or the point at infinity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Point {
    /// The neutral element.
    Infinity,
    /// An affine point (x, y).
    Affine(BigUint, BigUint),
}

// (name, OID, p, a, b, Gx, Gy, n): RFC 5639 §3 (brainpool), SEC 2 / FIPS 186-4 (NIST).
type CurveRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const NAMED: &[CurveRow] = &[
    ("brainpoolP224r1", "1.3.36.3.3.2.8.1.1.5", "D7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF", "68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43", "2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B", "0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D", "58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD", "D7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F"),
    ("brainpoolP256r1", "1.3.36.3.3.2.8.1.1.7", "A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377", "7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9", "26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6", "8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262", "547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997", "A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
    ("brainpoolP320r1", "1.3.36.3.3.2.8.1.1.9", "D35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27", "3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4", "520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6", "43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E20611", "14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1", "D35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311"),
    ("brainpoolP384r1", "1.3.36.3.3.2.8.1.1.11", "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53", "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826", "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11", "1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E", "8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315", "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565"),
    ("brainpoolP512r1", "1.3.36.3.3.2.8.1.1.13", "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3", "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA", "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723", "81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822", "7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892", "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069"),
    ("secp192r1", "1.2.840.10045.3.1.1", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC", "64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1", "188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF1012", "07192B95FFC8DA78631011ED6B24CDD573F977A11E794811", "FFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831"),
    ("secp224r1", "1.3.132.0.33", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE", "B4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4", "B70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21", "BD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34", "FFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D"),
    ("secp256r1", "1.2.840.10045.3.1.7", "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC", "5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B", "6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296", "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5", "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"),
    ("secp384r1", "1.3.132.0.34", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFC", "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF", "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7", "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973"),
    ("secp521r1", "1.3.132.0.35", "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC", "51953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00", "C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66", "011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650", "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409"),
];

fn hex_int(s: &str) -> BigUint {
    // The table above is static and well-formed; a parse failure would be a typo caught by
    // the `named_curves_are_consistent` test, so fall back to zero rather than panic.
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default()
}

impl Curve {
    /// A named curve by its OID (dotted), if this module knows it.
    pub fn from_oid(oid: &str) -> Option<Curve> {
        NAMED.iter().find(|r| r.1 == oid).map(Self::from_row)
    }

    /// A named curve by name (`"brainpoolP256r1"`, `"secp256r1"`).
    pub fn by_name(name: &str) -> Option<Curve> {
        NAMED.iter().find(|r| r.0 == name).map(Self::from_row)
    }

    fn from_row(r: &CurveRow) -> Curve {
        Curve {
            name: Some(r.0),
            p: hex_int(r.2),
            a: hex_int(r.3),
            b: hex_int(r.4),
            gx: hex_int(r.5),
            gy: hex_int(r.6),
            n: hex_int(r.7),
        }
    }

    /// The OID of the named curve with these exact parameters, if any (explicit parameters
    /// that equal brainpoolP256r1 are recognised as such).
    pub fn known_oid(&self) -> Option<&'static str> {
        NAMED
            .iter()
            .find(|r| Self::from_row(r).same_params(self))
            .map(|r| r.1)
    }

    fn same_params(&self, other: &Curve) -> bool {
        self.p == other.p
            && self.a == other.a
            && self.b == other.b
            && self.gx == other.gx
            && self.gy == other.gy
            && self.n == other.n
    }

    /// Field size in bytes.
    pub fn field_len(&self) -> usize {
        usize::try_from(self.p.bits().div_ceil(8)).unwrap_or(0)
    }

    /// Order size in bytes.
    pub fn order_len(&self) -> usize {
        usize::try_from(self.n.bits().div_ceil(8)).unwrap_or(0)
    }

    /// Parses `ECParameters` (RFC 3279 §2.3.5): a `namedCurve` OID or `specifiedCurve`.
    pub fn from_parameters_der(der: &[u8]) -> Result<Curve, PkiError> {
        let (tlv, _) = read_tlv(der)?;
        match tlv.tag {
            asn1::OID => {
                let oid = oid_string(&tlv)?;
                Curve::from_oid(&oid).ok_or(PkiError::Unsupported("named curve not known"))
            }
            asn1::SEQUENCE => Self::from_specified(tlv.value),
            _ => Err(PkiError::Malformed("ECParameters")),
        }
    }

    fn from_specified(value: &[u8]) -> Result<Curve, PkiError> {
        // SpecifiedECDomain ::= SEQUENCE { version, fieldID, curve, base, order, cofactor OPTIONAL }
        let parts = children(value)?;
        if parts.len() < 5 {
            return Err(PkiError::Malformed("SpecifiedECDomain too short"));
        }
        let field = children(parts[1].value)?;
        if field.len() != 2 || oid_string(&field[0])? != "1.2.840.10045.1.1" {
            return Err(PkiError::Unsupported(
                "only prime-field curves are supported",
            ));
        }
        let p = BigUint::from_bytes_be(asn1::unsigned_integer(&field[1])?);
        let curve_parts = children(parts[2].value)?;
        if curve_parts.len() < 2
            || curve_parts[0].tag != asn1::OCTET_STRING
            || curve_parts[1].tag != asn1::OCTET_STRING
        {
            return Err(PkiError::Malformed("Curve"));
        }
        let a = BigUint::from_bytes_be(curve_parts[0].value);
        let b = BigUint::from_bytes_be(curve_parts[1].value);
        if parts[3].tag != asn1::OCTET_STRING {
            return Err(PkiError::Malformed("ECPoint base"));
        }
        let n = BigUint::from_bytes_be(asn1::unsigned_integer(&parts[4])?);
        if p.bits() < 64 || n.bits() < 64 || p.bits() > 1024 {
            return Err(PkiError::Unsupported("curve size out of range"));
        }
        let mut curve = Curve {
            name: None,
            p,
            a,
            b,
            gx: BigUint::zero(),
            gy: BigUint::zero(),
            n,
        };
        match curve.decode_point(parts[3].value)? {
            Point::Affine(x, y) => {
                curve.gx = x;
                curve.gy = y;
            }
            Point::Infinity => return Err(PkiError::Malformed("base point at infinity")),
        }
        if let Some(oid) = curve.known_oid() {
            curve.name = NAMED.iter().find(|r| r.1 == oid).map(|r| r.0);
        }
        Ok(curve)
    }

    /// Decodes an X9.62 / SEC1 §2.3.4 point (uncompressed `04‖x‖y`, or compressed `02/03‖x`
    /// when p ≡ 3 mod 4) and checks that it lies on the curve.
    pub fn decode_point(&self, bytes: &[u8]) -> Result<Point, PkiError> {
        let l = self.field_len();
        let pt = match bytes.first() {
            Some(0x04) if bytes.len() == 1 + 2 * l => Point::Affine(
                BigUint::from_bytes_be(&bytes[1..1 + l]),
                BigUint::from_bytes_be(&bytes[1 + l..]),
            ),
            Some(&prefix @ (0x02 | 0x03)) if bytes.len() == 1 + l => {
                let x = BigUint::from_bytes_be(&bytes[1..]);
                let rhs = self.rhs(&x);
                if &self.p % 4u32 != BigUint::from(3u32) {
                    return Err(PkiError::Unsupported(
                        "compressed point on a curve with p ≢ 3 mod 4",
                    ));
                }
                let e = (&self.p + 1u32) >> 2;
                let mut y = rhs.modpow(&e, &self.p);
                if (&y * &y) % &self.p != rhs {
                    return Err(PkiError::Malformed("compressed point not on curve"));
                }
                if y.bit(0) != (prefix == 0x03) {
                    y = &self.p - y;
                }
                Point::Affine(x, y)
            }
            _ => return Err(PkiError::Malformed("EC point encoding")),
        };
        if !self.is_on_curve(&pt) {
            return Err(PkiError::Malformed("EC point not on curve"));
        }
        Ok(pt)
    }

    fn rhs(&self, x: &BigUint) -> BigUint {
        (x * x % &self.p * x + &self.a * x + &self.b) % &self.p
    }

    /// Whether a point satisfies the curve equation (infinity counts as on the curve).
    pub fn is_on_curve(&self, pt: &Point) -> bool {
        match pt {
            Point::Infinity => true,
            Point::Affine(x, y) => x < &self.p && y < &self.p && (y * y) % &self.p == self.rhs(x),
        }
    }

    /// The base point.
    pub fn generator(&self) -> Point {
        Point::Affine(self.gx.clone(), self.gy.clone())
    }

    /// Encodes a point uncompressed (`04‖x‖y`).
    pub fn encode_point(&self, pt: &Point) -> Vec<u8> {
        match pt {
            Point::Infinity => vec![0],
            Point::Affine(x, y) => {
                let l = self.field_len();
                let mut out = vec![0x04];
                out.extend_from_slice(&pad(x, l));
                out.extend_from_slice(&pad(y, l));
                out
            }
        }
    }

    // --- Jacobian arithmetic (X, Y, Z) with x = X/Z², y = Y/Z³ ---

    fn sub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        ((a + &self.p) - (b % &self.p)) % &self.p
    }

    fn jdouble(&self, (x, y, z): &Jac) -> Jac {
        if z.is_zero() || y.is_zero() {
            return (BigUint::one(), BigUint::one(), BigUint::zero());
        }
        let p = &self.p;
        let yy = y * y % p;
        let s = (x * &yy % p) * 4u32 % p;
        let zz = z * z % p;
        let m = (x * x % p * 3u32 + &self.a * (&zz * &zz % p)) % p;
        let x3 = self.sub(&(&m * &m % p), &(&s * 2u32));
        let y3 = self.sub(&(&m * self.sub(&s, &x3) % p), &(&yy * &yy % p * 8u32));
        let z3 = y * z % p * 2u32 % p;
        (x3, y3, z3)
    }

    fn jadd(&self, a: &Jac, b: &Jac) -> Jac {
        if a.2.is_zero() {
            return b.clone();
        }
        if b.2.is_zero() {
            return a.clone();
        }
        let p = &self.p;
        let z1z1 = &a.2 * &a.2 % p;
        let z2z2 = &b.2 * &b.2 % p;
        let u1 = &a.0 * &z2z2 % p;
        let u2 = &b.0 * &z1z1 % p;
        let s1 = &a.1 * &b.2 % p * &z2z2 % p;
        let s2 = &b.1 * &a.2 % p * &z1z1 % p;
        let h = self.sub(&u2, &u1);
        let r = self.sub(&s2, &s1);
        if h.is_zero() {
            return if r.is_zero() {
                self.jdouble(a)
            } else {
                (BigUint::one(), BigUint::one(), BigUint::zero())
            };
        }
        let hh = &h * &h % p;
        let hhh = &hh * &h % p;
        let u1hh = &u1 * &hh % p;
        let x3 = self.sub(&self.sub(&(&r * &r % p), &hhh), &(&u1hh * 2u32));
        let y3 = self.sub(&(&r * self.sub(&u1hh, &x3) % p), &(&s1 * &hhh));
        let z3 = &h * &a.2 % p * &b.2 % p;
        (x3, y3, z3)
    }

    fn to_jac(pt: &Point) -> Jac {
        match pt {
            Point::Infinity => (BigUint::one(), BigUint::one(), BigUint::zero()),
            Point::Affine(x, y) => (x.clone(), y.clone(), BigUint::one()),
        }
    }

    fn to_affine(&self, (x, y, z): &Jac) -> Point {
        if z.is_zero() {
            return Point::Infinity;
        }
        let p = &self.p;
        let Some(zi) = z.modinv(p) else {
            return Point::Infinity;
        };
        let zi2 = &zi * &zi % p;
        Point::Affine(x * &zi2 % p, y * &zi2 % p * &zi % p)
    }

    /// `k·P`, double-and-add (variable time: public inputs only).
    pub fn mul(&self, k: &BigUint, pt: &Point) -> Point {
        let base = Self::to_jac(pt);
        let mut acc = Self::to_jac(&Point::Infinity);
        for i in (0..k.bits()).rev() {
            acc = self.jdouble(&acc);
            if k.bit(i) {
                acc = self.jadd(&acc, &base);
            }
        }
        self.to_affine(&acc)
    }

    /// `P + Q`.
    pub fn add(&self, a: &Point, b: &Point) -> Point {
        self.to_affine(&self.jadd(&Self::to_jac(a), &Self::to_jac(b)))
    }

    /// ECDSA verification (SEC1 v2 §4.1.4) of `(r, s)` over the message hash `digest` with
    /// public point `q`. Returns `true` only for a valid signature.
    pub fn ecdsa_verify(&self, q: &Point, digest: &[u8], r: &BigUint, s: &BigUint) -> bool {
        if r.is_zero() || s.is_zero() || r >= &self.n || s >= &self.n || *q == Point::Infinity {
            return false;
        }
        if !self.is_on_curve(q) {
            return false;
        }
        let e = self.hash_to_int(digest);
        let Some(w) = s.modinv(&self.n) else {
            return false;
        };
        let u1 = &e * &w % &self.n;
        let u2 = r * &w % &self.n;
        let sum = self.add(&self.mul(&u1, &self.generator()), &self.mul(&u2, q));
        match sum {
            Point::Infinity => false,
            Point::Affine(x, _) => (x % &self.n) == *r,
        }
    }

    /// SEC1 §4.1.3 step 5: the leftmost `bitlen(n)` bits of the hash as an integer.
    fn hash_to_int(&self, digest: &[u8]) -> BigUint {
        let e = BigUint::from_bytes_be(digest);
        let hash_bits = (digest.len() as u64) * 8;
        let n_bits = self.n.bits();
        if hash_bits > n_bits {
            e >> (hash_bits - n_bits)
        } else {
            e
        }
    }

    /// ECDSA signing with a caller-chosen nonce `k` (for tests and the simulator's
    /// chip-side Active Authentication; `k` must be secret and unique). `None` if `k` is
    /// unusable.
    pub fn ecdsa_sign_with_k(
        &self,
        d: &BigUint,
        digest: &[u8],
        k: &BigUint,
    ) -> Option<(BigUint, BigUint)> {
        let k = k % &self.n;
        if k.is_zero() {
            return None;
        }
        let Point::Affine(x, _) = self.mul(&k, &self.generator()) else {
            return None;
        };
        let r = x % &self.n;
        if r.is_zero() {
            return None;
        }
        let e = self.hash_to_int(digest);
        let s = k.modinv(&self.n)? * ((e + &r * d) % &self.n) % &self.n;
        if s.is_zero() {
            return None;
        }
        Some((r, s))
    }
}

type Jac = (BigUint, BigUint, BigUint);

/// Big-endian bytes of `v`, left-padded with zeros to `len`.
pub fn pad(v: &BigUint, len: usize) -> Vec<u8> {
    let b = v.to_bytes_be();
    if b.len() >= len {
        return b;
    }
    let mut out = vec![0u8; len - b.len()];
    out.extend_from_slice(&b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_curves_are_consistent() {
        for row in NAMED {
            let c = Curve::from_row(row);
            assert!(c.is_on_curve(&c.generator()), "{}", row.0);
            assert_eq!(c.mul(&c.n, &c.generator()), Point::Infinity, "{}", row.0);
        }
    }

    #[test]
    fn sign_then_verify_on_brainpool() {
        let c = Curve::by_name("brainpoolP256r1").unwrap();
        let d = BigUint::from(123_456_789u64);
        let q = c.mul(&d, &c.generator());
        let digest = [7u8; 32];
        let (r, s) = c
            .ecdsa_sign_with_k(&d, &digest, &BigUint::from(987_654_321u64))
            .unwrap();
        assert!(c.ecdsa_verify(&q, &digest, &r, &s));
        assert!(!c.ecdsa_verify(&q, &[8u8; 32], &r, &s));
        let enc = c.encode_point(&q);
        assert_eq!(c.decode_point(&enc).unwrap(), q);
    }
}
