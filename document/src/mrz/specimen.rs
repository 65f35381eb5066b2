//! The MRZs of the public ICAO specimen documents ("UTOPIA / ERIKSSON ANNA MARIA"), for
//! tests, simulators and demonstrations. They belong to no one.

/// ICAO 9303-4 Appendix A: the TD3 specimen passport.
pub const TD3: [&str; 2] = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
];

/// ICAO 9303-5 Appendix A: the TD1 specimen card.
pub const TD1: [&str; 3] = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
];
