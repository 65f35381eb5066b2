//! DG2 (ISO/IEC 19794-5 and 39794-5), the bare facial record and image header sniffing on
//! arbitrary bytes, raw and wrapped in the DG2 templates.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use document::{lds, tlv};
    let _ = lds::parse_dg2_all(data);
    let _ = lds::parse_face_record_19794(data);
    let _ = lds::image_dimensions(data);
    // 75 { 7F61 { 02 01 01, 7F60 { A1 {}, 5F2E/7F2E <data> } } }
    for bdb_tag in [0x5F2Eu32, 0x7F2E] {
        let mut bdb = data.to_vec();
        if bdb_tag == 0x5F2E && data.first() == Some(&0) {
            bdb.splice(0..1, b"FAC\0".iter().copied());
        }
        let bit = tlv::encode(0x7F60, &[tlv::encode(0xA1, &[]), tlv::encode(bdb_tag, &bdb)].concat());
        let group = tlv::encode(0x7F61, &[tlv::encode(0x02, &[1]), bit].concat());
        let _ = lds::parse_dg2_all(&tlv::encode(0x75, &group));
    }
});
