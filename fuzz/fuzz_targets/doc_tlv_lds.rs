//! BER-TLV and the LDS parsers (EF.COM, DG1, DG7, DG11, DG12, EF.ATR/INFO) on arbitrary bytes:
//! they must return errors, never panic or loop.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use document::{lds, reader, tlv};
    let _ = tlv::validate_tree(data);
    let _ = tlv::find_deep(data, 0x5F1F);
    let _ = tlv::encoded_size(data);
    let _ = tlv::children(data);
    let _ = tlv::children_ber(data);
    let _ = lds::parse_com(data);
    let _ = lds::parse_dg1(data);
    let _ = lds::parse_dg7(data);
    let _ = lds::parse_dg11(data);
    let _ = lds::parse_dg12(data);
    let _ = reader::extended_length_info(data);
    let _ = reader::card_access_offers_pace(data);
    // Wrap the input in each data-group tag so the inner parsers are reached.
    for tag in [0x60u32, 0x61, 0x6B, 0x6C, 0x67] {
        let wrapped = tlv::encode(tag, data);
        let _ = lds::parse_com(&wrapped);
        let _ = lds::parse_dg1(&wrapped);
        let _ = lds::parse_dg7(&wrapped);
        let _ = lds::parse_dg11(&wrapped);
        let _ = lds::parse_dg12(&wrapped);
    }
});
