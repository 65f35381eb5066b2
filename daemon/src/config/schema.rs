//! The schema every config file is read against: the annotated default and the tables whose
//! keys the file names. Kept apart from the `Config` type so that the config fuzz target
//! (`fuzz/fuzz_targets/config_file.rs`) reads files against the very same schema.

/// The annotated default configuration, as kept in the repository: `config/egate.toml`, then
/// the `[vision]` and `[borderdb]` sections kept beside their types in `vision/vision.toml`
/// and `borderdb/borderdb.toml`.
pub const DEFAULT_CONFIG: &str = concat!(
    include_str!("../../../config/egate.toml"),
    include_str!("../../../config/devices.toml"),
    "\n",
    include_str!("../../../vision/vision.toml"),
    "\n",
    include_str!("../../../borderdb/borderdb.toml")
);

/// Tables of the configuration whose keys are names the file chooses (each value of the
/// type of the default's first value).
pub const FREE_TABLES: [&str; 1] = ["eligibility.groups"];
