//! The chip's file system: the master file with EF.CardAccess and EF.CardSecurity, and the
//! eMRTD application (LDS1) with EF.COM, EF.SOD and the data groups (ICAO 9303-10 §3.9–3.11).

/// AID of the LDS1 eMRTD application (ICAO 9303-10 §3.9.2).
pub const LDS1_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// The dedicated file an elementary file lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Df {
    /// The master file (3F00).
    Master,
    /// The eMRTD application DF (LDS1).
    Lds1,
}

/// Who may read a file (ICAO 9303-11 §4.2: only EF.CardAccess is readable before access
/// control; the LDS files need BAC or PACE; biometrics beyond the face need EAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessCondition {
    /// Readable at any time, also without secure messaging (EF.CardAccess, EF.ATR/INFO).
    Always,
    /// Readable only inside a secure-messaging session established by BAC or PACE.
    SecureMessaging,
    /// Readable only inside a session established by PACE (EF.CardSecurity).
    Pace,
    /// Never readable by this simulator (DG3/DG4 need Terminal Authentication, which it lacks).
    Never,
}

/// One elementary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The DF the file lives in.
    pub df: Df,
    /// File identifier.
    pub fid: u16,
    /// Short EF identifier (ISO/IEC 7816-4 §7.2.2), used by READ BINARY with P1 bit 8 set.
    pub sfi: Option<u8>,
    /// Who may read it.
    pub access: AccessCondition,
    /// The file's bytes.
    pub content: Vec<u8>,
}

/// FID and SFI of EF.CardAccess (ICAO 9303-10 §3.11.2).
pub const EF_CARD_ACCESS: (u16, u8) = (0x011C, 0x1C);
/// FID and SFI of EF.CardSecurity (ICAO 9303-10 §3.11.3).
pub const EF_CARD_SECURITY: (u16, u8) = (0x011D, 0x1D);
/// FID and SFI of EF.ATR/INFO (ICAO 9303-10 §3.11.4).
pub const EF_ATR_INFO: (u16, u8) = (0x2F01, 0x01);
/// FID and SFI of EF.COM (ICAO 9303-10 §4.6.1).
pub const EF_COM: (u16, u8) = (0x011E, 0x1E);
/// FID and SFI of EF.SOD (ICAO 9303-10 §4.6.2).
pub const EF_SOD: (u16, u8) = (0x011D, 0x1D);

/// FID and SFI of data group `n` (1..=16): 01nn and nn (ICAO 9303-10 §4.6.3).
pub fn data_group_ids(n: u8) -> (u16, u8) {
    (0x0100 | u16::from(n), n)
}

/// The set of files of one chip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSystem {
    files: Vec<File>,
}

impl FileSystem {
    /// An empty file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a file.
    pub fn put(&mut self, file: File) {
        self.files
            .retain(|f| !(f.df == file.df && f.fid == file.fid));
        self.files.push(file);
    }

    /// Adds EF.CardAccess, EF.CardSecurity, EF.COM, EF.SOD or DG `n` with the standard ids and
    /// access conditions.
    pub fn put_standard(&mut self, name: StandardFile, content: Vec<u8>) {
        let (df, (fid, sfi), access) = match name {
            StandardFile::CardAccess => (Df::Master, EF_CARD_ACCESS, AccessCondition::Always),
            StandardFile::CardSecurity => (Df::Master, EF_CARD_SECURITY, AccessCondition::Pace),
            StandardFile::AtrInfo => (Df::Master, EF_ATR_INFO, AccessCondition::Always),
            StandardFile::Com => (Df::Lds1, EF_COM, AccessCondition::SecureMessaging),
            StandardFile::Sod => (Df::Lds1, EF_SOD, AccessCondition::SecureMessaging),
            StandardFile::DataGroup(n) => {
                let access = if n == 3 || n == 4 {
                    AccessCondition::Never
                } else {
                    AccessCondition::SecureMessaging
                };
                (Df::Lds1, data_group_ids(n), access)
            }
        };
        self.put(File {
            df,
            fid,
            sfi: Some(sfi),
            access,
            content,
        });
    }

    /// The file with identifier `fid` in `df`.
    pub fn by_fid(&self, df: Df, fid: u16) -> Option<usize> {
        self.files.iter().position(|f| f.df == df && f.fid == fid)
    }

    /// The file with short identifier `sfi` in `df`.
    pub fn by_sfi(&self, df: Df, sfi: u8) -> Option<usize> {
        self.files
            .iter()
            .position(|f| f.df == df && f.sfi == Some(sfi))
    }

    /// The file at `index` (from [`Self::by_fid`] or [`Self::by_sfi`]).
    pub fn get(&self, index: usize) -> Option<&File> {
        self.files.get(index)
    }

    /// The content of a standard file, if present.
    pub fn content(&self, name: StandardFile) -> Option<&[u8]> {
        let (df, fid) = name.location();
        self.by_fid(df, fid)
            .and_then(|i| self.files.get(i))
            .map(|f| f.content.as_slice())
    }

    /// Mutable access to a standard file's content (for building bad documents).
    pub fn content_mut(&mut self, name: StandardFile) -> Option<&mut Vec<u8>> {
        let (df, fid) = name.location();
        let i = self.by_fid(df, fid)?;
        self.files.get_mut(i).map(|f| &mut f.content)
    }

    /// All files.
    pub fn files(&self) -> &[File] {
        &self.files
    }
}

/// The standard files of an eMRTD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardFile {
    /// EF.CardAccess (PACE parameters).
    CardAccess,
    /// EF.CardSecurity (signed security infos, for PACE-CAM and CA v2).
    CardSecurity,
    /// EF.ATR/INFO (extended length support, buffer sizes).
    AtrInfo,
    /// EF.COM (LDS version and data group list).
    Com,
    /// EF.SOD (document security object).
    Sod,
    /// Data group 1..=16.
    DataGroup(u8),
}

impl StandardFile {
    /// The DF the file lives in and its file identifier.
    fn location(self) -> (Df, u16) {
        match self {
            StandardFile::CardAccess => (Df::Master, EF_CARD_ACCESS.0),
            StandardFile::CardSecurity => (Df::Master, EF_CARD_SECURITY.0),
            StandardFile::AtrInfo => (Df::Master, EF_ATR_INFO.0),
            StandardFile::Com => (Df::Lds1, EF_COM.0),
            StandardFile::Sod => (Df::Lds1, EF_SOD.0),
            StandardFile::DataGroup(n) => (Df::Lds1, data_group_ids(n).0),
        }
    }
}
