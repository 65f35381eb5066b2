//! The border databases's parsers of outside data on arbitrary bytes: the list file (never a panic;
//! a bad line it reports lies within the file), the endpoint's answer body (never a panic)
//! and query normalisation (never a panic; `Debug` of a query shows no field).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|&b| b == b'\n').count();
    match borderdb::list_file::validate(data) {
        Ok(entries) => assert!(entries <= lines),
        Err((line, _)) => assert!((1..=lines).contains(&line)),
    }

    let _ = borderdb::endpoint::parse_answer(data);

    if let Ok(text) = std::str::from_utf8(data) {
        let mut fields = text.splitn(4, '|');
        if let (
            Some(document_code),
            Some(issuing_state),
            Some(document_number),
            Some(nationality),
        ) = (fields.next(), fields.next(), fields.next(), fields.next())
        {
            let fields = borderdb::QueryFields {
                document_code,
                issuing_state,
                document_number,
                nationality,
            };
            if let Ok(query) = borderdb::Query::new(fields) {
                assert_eq!(format!("{query:?}"), "Query { <redacted> }");
            }
        }
    }
});
