//! A test PKI generated reproducibly from a seed: CSCA (old and new) with a link certificate,
//! Document Signers (valid, expired, revoked), a master-list signer, a CRL and a CSCA master
//! list; plus a rogue CSCA and DS for "unknown CSCA" documents. All keys are ECDSA P-256;
//! signatures are ECDSA with SHA-256 and a nonce derived from key and message (deterministic,
//! so the same seed gives byte-identical files). Certificate profile: ICAO 9303-12 §7.

use document::ecc::{self, Curve};
use num_bigint::BigUint;
use num_traits::Zero;
use sha2::{Digest, Sha256};

use super::DateTime;
use document::tlv::write as der;

/// ecdsa-with-SHA256 (RFC 5758 §3.2).
pub const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
/// id-sha256.
pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const P256_PARAM_ID: u32 = 12;

/// An ECDSA P-256 key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// Private scalar.
    pub private: BigUint,
    /// Uncompressed public point 04 || X || Y.
    pub public: Vec<u8>,
}

fn curve() -> &'static Curve {
    // Id 12 is in the standardized table; the table is checked by document's tests.
    ecc::standardized_curve(P256_PARAM_ID).expect("P-256 is a standardized curve")
}

/// A scalar in 1..n-1 derived from `material` with SHA-256 (rejection-free: reduce mod n-1).
pub fn derive_scalar(n: &BigUint, material: &[u8]) -> BigUint {
    let mut h = Sha256::digest(material).to_vec();
    h.extend_from_slice(&Sha256::digest(&h));
    (BigUint::from_bytes_be(&h) % (n - 1u8)) + 1u8
}

impl KeyPair {
    /// The key pair derived from `seed` and a `label` naming its role.
    pub fn derive(seed: &str, label: &str) -> Self {
        let c = curve();
        let private = derive_scalar(&c.n, format!("egate-sim|{seed}|{label}").as_bytes());
        let public = c
            .mul_g(&private)
            .map(|p| c.encode_point(&p))
            .unwrap_or_default();
        Self { private, public }
    }

    /// SubjectPublicKeyInfo with id-ecPublicKey and the named curve prime256v1 (RFC 5480).
    pub fn spki(&self) -> Vec<u8> {
        der::seq(&[
            &der::seq(&[
                &der::oid("1.2.840.10045.2.1"),
                &der::oid("1.2.840.10045.3.1.7"),
            ]),
            &der::bits(&self.public),
        ])
    }

    /// Subject key identifier: SHA-1-style 20 bytes (here the first 20 of SHA-256 of the key).
    pub fn key_id(&self) -> Vec<u8> {
        Sha256::digest(&self.public)[..20].to_vec()
    }

    /// ECDSA-SHA256 signature over `message`, DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let c = curve();
        let digest = Sha256::digest(message);
        let e = BigUint::from_bytes_be(&digest);
        let mut counter = 0u32;
        loop {
            let mut m = self.private.to_bytes_be();
            m.extend_from_slice(&digest);
            m.extend_from_slice(&counter.to_be_bytes());
            counter += 1;
            let k = derive_scalar(&c.n, &m);
            let Some(r_pt) = c.mul_g(&k) else { continue };
            let r = r_pt.x % &c.n;
            if r.is_zero() {
                continue;
            }
            let Some(kinv) = ecc::mod_inverse(&k, &c.n) else {
                continue;
            };
            let s = (kinv * ((&e + &r * &self.private) % &c.n)) % &c.n;
            if s.is_zero() {
                continue;
            }
            return der::seq(&[&der::uint(&r), &der::uint(&s)]);
        }
    }
}

/// An X.509 certificate with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    /// DER encoding.
    pub der: Vec<u8>,
    /// DER of the subject Name.
    pub subject: Vec<u8>,
    /// DER of the issuer Name.
    pub issuer: Vec<u8>,
    /// Serial number.
    pub serial: u64,
    /// The certified key pair.
    pub key: KeyPair,
}

/// A Name with country and common name (ICAO 9303-12 §7.1.1: C is mandatory).
pub fn name(country: &str, cn: &str) -> Vec<u8> {
    der::seq(&[
        &der::set_of(&[&der::seq(&[&der::oid("2.5.4.6"), &der::printable(country)])]),
        &der::set_of(&[&der::seq(&[&der::oid("2.5.4.3"), &der::utf8(cn)])]),
    ])
}

fn ext(oid: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    if critical {
        der::seq(&[&der::oid(oid), &der::boolean(true), &der::octets(value)])
    } else {
        der::seq(&[&der::oid(oid), &der::octets(value)])
    }
}

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// CSCA (self-signed or link): CA, keyCertSign + cRLSign.
    Csca,
    /// Document Signer or master-list signer: digitalSignature.
    Signer,
    /// Deviation List Signer (ICAO 9303-12 §10): digitalSignature and the extended key usage
    /// id-icao-DeviationListSigningKey.
    DeviationListSigner,
}

/// Issues a certificate for `key` named `subject`, signed by `issuer_key` named `issuer`.
#[allow(clippy::too_many_arguments)]
pub fn issue(
    serial: u64,
    subject: Vec<u8>,
    key: KeyPair,
    issuer: Vec<u8>,
    issuer_key: &KeyPair,
    not_before: DateTime,
    not_after: DateTime,
    role: Role,
) -> Cert {
    let alg = der::seq(&[&der::oid(ECDSA_SHA256)]);
    let mut exts = Vec::new();
    match role {
        Role::Csca => {
            exts.push(ext(
                "2.5.29.19",
                true,
                &der::seq(&[&der::boolean(true), &der::int(0)]),
            ));
            // keyCertSign (5) and cRLSign (6): bits 0000 0110, 1 unused bit.
            exts.push(ext("2.5.29.15", true, &der::encode(0x03, &[0x01, 0x06])));
        }
        Role::Signer | Role::DeviationListSigner => {
            // digitalSignature (0).
            exts.push(ext("2.5.29.15", true, &der::encode(0x03, &[0x07, 0x80])));
        }
    }
    if role == Role::DeviationListSigner {
        exts.push(ext(
            "2.5.29.37",
            false,
            &der::seq(&[&der::oid(super::deviation::DEVIATION_LIST_SIGNING_KEY)]),
        ));
    }
    exts.push(ext("2.5.29.14", false, &der::octets(&key.key_id())));
    exts.push(ext(
        "2.5.29.35",
        false,
        &der::seq(&[&der::encode(0x80, &issuer_key.key_id())]),
    ));
    let ext_refs: Vec<&[u8]> = exts.iter().map(|e| e.as_slice()).collect();
    let tbs = der::seq(&[
        &der::ctx(0, &der::int(2)),
        &der::int(serial),
        &alg,
        &issuer,
        &der::seq(&[&not_before.der(), &not_after.der()]),
        &subject,
        &key.spki(),
        &der::ctx(3, &der::seq(&ext_refs)),
    ]);
    let sig = issuer_key.sign(&tbs);
    Cert {
        der: der::seq(&[&tbs, &alg, &der::bits(&sig)]),
        subject,
        issuer,
        serial,
        key,
    }
}

/// A self-signed CSCA certificate for `key` named `name`.
fn self_signed(
    serial: u64,
    name: Vec<u8>,
    key: KeyPair,
    not_before: DateTime,
    not_after: DateTime,
) -> Cert {
    let issuer_key = key.clone();
    issue(
        serial,
        name.clone(),
        key,
        name,
        &issuer_key,
        not_before,
        not_after,
        Role::Csca,
    )
}

/// The test PKI of one country.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The two-letter country code in the certificates (ICAO 9303-12 §7.1.1).
    pub country: String,
    /// The old CSCA (self-signed).
    pub csca_old: Cert,
    /// The current CSCA (self-signed).
    pub csca: Cert,
    /// Link certificate: the current CSCA's key certified by the old CSCA.
    pub link: Cert,
    /// A valid Document Signer.
    pub ds: Cert,
    /// A Document Signer whose validity ended in 2012.
    pub ds_expired: Cert,
    /// A Document Signer listed on the CRL.
    pub ds_revoked: Cert,
    /// The master-list signer (issued by the current CSCA).
    pub ml_signer: Cert,
    /// The Deviation List Signer (issued by the current CSCA).
    pub dl_signer: Cert,
    /// A CSCA that is in no master list.
    pub rogue_csca: Cert,
    /// A Document Signer issued by the rogue CSCA.
    pub rogue_ds: Cert,
    /// The current CSCA's CRL, revoking `ds_revoked`.
    pub crl: Vec<u8>,
    /// CSCA master list (CMS SignedData, ICAO 9303-12 §8) with both CSCAs and the link.
    pub master_list: Vec<u8>,
}

impl TestPki {
    /// Generates the PKI for `country` (two letters) from `seed`; same inputs, same bytes.
    pub fn generate(seed: &str, country: &str) -> Self {
        let k = |label: &str| KeyPair::derive(seed, &format!("{country}|{label}"));
        let d = DateTime::date;
        let n_old = name(country, &format!("egate TEST CSCA {country} 2015"));
        let n_csca = name(country, &format!("egate TEST CSCA {country} 2020"));
        let csca_old = self_signed(
            1,
            n_old.clone(),
            k("csca-old"),
            d(2015, 1, 1),
            d(2035, 1, 1),
        );
        let csca = self_signed(2, n_csca.clone(), k("csca"), d(2020, 1, 1), d(2045, 1, 1));
        let link = issue(
            3,
            n_csca.clone(),
            k("csca"),
            n_old,
            &csca_old.key,
            d(2020, 1, 1),
            d(2035, 1, 1),
            Role::Csca,
        );
        // Serial, common name, key label and the years of validity (from January 1st).
        let signers = [
            (10, format!("egate TEST DS {country} 1"), "ds", 2024, 2040),
            (
                11,
                format!("egate TEST DS {country} 0"),
                "ds-expired",
                2010,
                2012,
            ),
            (
                12,
                format!("egate TEST DS {country} 2"),
                "ds-revoked",
                2024,
                2040,
            ),
            (
                20,
                format!("egate TEST Master List Signer {country}"),
                "mls",
                2024,
                2040,
            ),
        ];
        let [ds, ds_expired, ds_revoked, ml_signer] =
            signers.map(|(serial, cn, label, from, to)| {
                let (from, to) = (d(from, 1, 1), d(to, 1, 1));
                let subject = name(country, &cn);
                issue(
                    serial,
                    subject,
                    k(label),
                    n_csca.clone(),
                    &csca.key,
                    from,
                    to,
                    Role::Signer,
                )
            });
        let dl_signer = issue(
            21,
            name(
                country,
                &format!("egate TEST Deviation List Signer {country}"),
            ),
            k("dls"),
            n_csca.clone(),
            &csca.key,
            d(2024, 1, 1),
            d(2040, 1, 1),
            Role::DeviationListSigner,
        );
        let n_rogue = name(country, &format!("egate TEST rogue CSCA {country}"));
        let rogue_csca = self_signed(1, n_rogue, k("rogue-csca"), d(2020, 1, 1), d(2045, 1, 1));
        let rogue_ds = issue(
            10,
            name(country, &format!("egate TEST DS {country} 1")),
            k("rogue-ds"),
            rogue_csca.subject.clone(),
            &rogue_csca.key,
            d(2024, 1, 1),
            d(2040, 1, 1),
            Role::Signer,
        );
        let crl = crl(&csca, &[ds_revoked.serial], d(2026, 1, 1), d(2036, 1, 1));
        let ml_content = der::seq(&[
            &der::int(0),
            &der::set_of(&[&csca_old.der, &csca.der, &link.der]),
        ]);
        let master_list =
            super::cms::signed_data("2.23.136.1.1.2", &ml_content, &ml_signer, d(2026, 1, 1));
        Self {
            country: country.to_string(),
            csca_old,
            csca,
            link,
            ds,
            ds_expired,
            ds_revoked,
            ml_signer,
            dl_signer,
            rogue_csca,
            rogue_ds,
            crl,
            master_list,
        }
    }
}

impl TestPki {
    /// A newer CRL of the CSCA (thisUpdate 2026-02-01, nextUpdate 2036-01-01) that revokes the
    /// document signer `ds` as well as `ds_revoked`: `ds` signs every genuine document, so a
    /// gate that takes this CRL refers them all as `ds_revoked`.
    pub fn crl_revoking_ds(&self) -> Vec<u8> {
        crl(
            &self.csca,
            &[self.ds_revoked.serial, self.ds.serial],
            DateTime::date(2026, 2, 1),
            DateTime::date(2036, 1, 1),
        )
    }
}

/// A v2 CRL (RFC 5280 §5) by `issuer` revoking `serials`.
pub fn crl(issuer: &Cert, serials: &[u64], this: DateTime, next: DateTime) -> Vec<u8> {
    let alg = der::seq(&[&der::oid(ECDSA_SHA256)]);
    let revoked: Vec<Vec<u8>> = serials
        .iter()
        .map(|s| der::seq(&[&der::int(*s), &this.der()]))
        .collect();
    let refs: Vec<&[u8]> = revoked.iter().map(|r| r.as_slice()).collect();
    let exts = der::seq(&[
        &ext("2.5.29.20", false, &der::int(1)),
        &ext(
            "2.5.29.35",
            false,
            &der::seq(&[&der::encode(0x80, &issuer.key.key_id())]),
        ),
    ]);
    let tbs = der::seq(&[
        &der::int(1),
        &alg,
        &issuer.subject,
        &this.der(),
        &next.der(),
        &der::seq(&refs),
        &der::ctx(0, &exts),
    ]);
    let sig = issuer.key.sign(&tbs);
    der::seq(&[&tbs, &alg, &der::bits(&sig)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible() {
        let a = TestPki::generate("s", "UT");
        let b = TestPki::generate("s", "UT");
        assert_eq!(a.csca.der, b.csca.der);
        assert_eq!(a.master_list, b.master_list);
        assert_ne!(a.csca.der, TestPki::generate("t", "UT").csca.der);
    }
}
