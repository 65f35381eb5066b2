//! SecurityInfos (EF.CardAccess, DG14, EF.CardSecurity) and EC point decoding on arbitrary
//! input: parsing, resolving the PACE parameters and re-encoding must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use document::secinfo::SecurityInfos;
    for parsed in [
        SecurityInfos::parse(data),
        SecurityInfos::parse_card_security_unverified(data),
    ]
    .into_iter()
    .flatten()
    {
        for info in parsed.pace_infos() {
            let _ = parsed.resolve_pace_parameters(info);
        }
        let _ = document::ca::select(&parsed);
        let _ = SecurityInfos::parse(&parsed.to_der());
    }
    if let Ok(c) = document::ecc::standardized_curve(13) {
        let _ = c.decode_point(data);
    }
});
