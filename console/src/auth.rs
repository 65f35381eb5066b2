//! Officers' accounts, roles and what each role may do, login sessions with their CSRF token,
//! and the login rate limit.
//!
//! Passwords are kept as argon2id PHC strings in a TOML users file; sessions live in memory
//! only (a restart logs everyone out). The session cookie is an opaque 256-bit random token;
//! every state-changing request must also carry the session's CSRF token in the
//! `X-CSRF-Token` header, which a cross-site page cannot read.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use gate::OfficerCommand;

use crate::ConsoleError;

/// An officer's role.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Supervises a bank of gates: releases, refers, acknowledges alarms, opens and closes lanes.
    Officer,
    /// An officer who may also reset a gate after an emergency.
    Supervisor,
    /// Maintains the gates: sees status and device health, commands nothing.
    Technician,
}

impl Role {
    /// All roles, for tests and the OpenAPI document.
    pub const ALL: [Role; 3] = [Role::Officer, Role::Supervisor, Role::Technician];

    /// The role's name as in the users file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Technician => "technician",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The permission table: which role may ask a gate for what.
///
/// Officers and supervisors release exits, refer travellers, and open or close lanes and take
/// a gate out of service (both are moves towards the safe side an officer on duty must be able
/// to make at once). Only a supervisor resets a gate after an emergency or fault. A technician
/// commands nothing.
pub fn may_command(role: Role, action: OfficerCommand) -> bool {
    match action {
        OfficerCommand::ReleaseExit
        | OfficerCommand::Refer
        | OfficerCommand::LaneOpen
        | OfficerCommand::LaneClose
        | OfficerCommand::OutOfService => matches!(role, Role::Officer | Role::Supervisor),
        OfficerCommand::Reset => role == Role::Supervisor,
    }
}

/// Officers and supervisors acknowledge alarms.
pub fn may_ack(role: Role) -> bool {
    matches!(role, Role::Officer | Role::Supervisor)
}

/// Officers and supervisors see the photos of the passage in progress; a technician has no
/// need for biometric data and gets none.
pub fn may_see_photos(role: Role) -> bool {
    matches!(role, Role::Officer | Role::Supervisor)
}

/// Officers and supervisors take referrals; the one who took a referral, and only they, then
/// sees its required action and the passage's DG1 ([`crate::link::GateLink::referral_detail`]).
/// A technician handles no traveller.
pub fn may_handle_referrals(role: Role) -> bool {
    matches!(role, Role::Officer | Role::Supervisor)
}

/// Whether the role sees why a traveller was referred and what officers wrote: officers and
/// supervisors do; a technician sees device and safety reasons only.
pub fn may_see_referral_reasons(role: Role) -> bool {
    matches!(role, Role::Officer | Role::Supervisor)
}

/// What a technician is shown instead of a reason about the traveller.
pub const WITHHELD_REASON: &str = "traveller_referred";

/// Removes from a JSON answer or event what `role` may not see: for a technician, every
/// `reason` that is about the traveller (anything but a device, door, lane or safety reason)
/// becomes [`WITHHELD_REASON`], and every `comment` becomes null.
pub fn redact_for(role: Role, v: &mut serde_json::Value) {
    if may_see_referral_reasons(role) {
        return;
    }
    use gate::ReasonCode::*;
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match (k.as_str(), &*x) {
                    ("comment", _) => *x = serde_json::Value::Null,
                    ("reason", serde_json::Value::String(r)) => {
                        let technical = matches!(
                            gate::ReasonCode::from_name(r),
                            Some(
                                DeviceFault
                                    | DoorFault
                                    | Tamper
                                    | FireAlarm
                                    | EmergencyButton
                                    | MainsLost
                                    | LaneClosed
                                    | OutOfService
                                    | Shutdown
                                    | Startup
                                    | Tailgating
                                    | WrongDirection
                                    | Loitering
                                    | ObjectLeft
                                    | PassageTimeout
                                    | TravellerLeft
                                    | ChipReadTimeout
                                    | CaptureTimeout
                                    | BorderDbUnavailable
                                    | BorderDbTimeout
                                    | EesUnavailable
                            )
                        );
                        if !technical {
                            *x = serde_json::Value::String(WITHHELD_REASON.into());
                        }
                    }
                    _ => redact_for(role, x),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| redact_for(role, x)),
        _ => {}
    }
}

/// One account in the users file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Officer id, as recorded in the audit trail.
    pub id: String,
    /// Role.
    pub role: Role,
    /// argon2 PHC string.
    pub password_hash: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    user: Vec<UserEntry>,
}

/// The accounts, by id.
#[derive(Debug, Default)]
pub struct Users {
    by_id: HashMap<String, UserEntry>,
}

/// A hash of a random password, verified against when the account does not exist, so that a
/// login takes as long for an unknown id as for a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_password()).unwrap_or_default())
}

impl Users {
    /// Parses a users file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: UsersFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut by_id = HashMap::new();
        for u in file.user {
            if !valid_id(&u.id) {
                return Err(format!(
                    "user id {:?}: use 1-64 ASCII letters, digits, '.', '-' or '_'",
                    u.id
                ));
            }
            if PasswordHash::new(&u.password_hash).is_err() {
                return Err(format!("user {}: password_hash is not a PHC string", u.id));
            }
            if by_id.insert(u.id.clone(), u).is_some() {
                return Err("a user id appears twice".into());
            }
        }
        Ok(Self { by_id })
    }

    /// Loads a users file, which nobody but its owner may write
    /// ([`audit::check_secret_file`]).
    pub fn load(path: &Path) -> Result<Self, ConsoleError> {
        audit::check_secret_file(path, audit::Exposure::NoForeignWrite).map_err(|reason| {
            ConsoleError::Users {
                path: path.to_path_buf(),
                reason,
            }
        })?;
        let text = std::fs::read_to_string(path).map_err(|e| ConsoleError::Users {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::parse(&text).map_err(|reason| ConsoleError::Users {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Whether an account has this id.
    pub fn exists(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Number of accounts.
    pub fn count(&self) -> usize {
        self.by_id.len()
    }

    /// Checks a password (argon2, slow on purpose: call from a blocking thread); the role on
    /// success.
    pub fn verify(&self, id: &str, password: &str) -> Option<Role> {
        self.verify_in(id, password, &mut Vec::new())
    }

    /// [`Users::verify`] with argon2's working memory in `memory`, which is grown to the
    /// hash's size and kept by the caller: a checking thread that reuses its buffer holds
    /// one hash's memory for good instead of asking the allocator for 19 MiB at every login
    /// (which glibc's per-thread arenas keep, several times over, once it is freed).
    pub fn verify_in(
        &self,
        id: &str,
        password: &str,
        memory: &mut Vec<argon2::Block>,
    ) -> Option<Role> {
        match self.by_id.get(id) {
            Some(u) => argon2_matches(&u.password_hash, password, memory).then_some(u.role),
            None => {
                let _ = argon2_matches(dummy_hash(), password, memory);
                None
            }
        }
    }
}

/// Most argon2 memory a stored hash may ask for, in KiB (blocks): 64 MiB, over three times
/// the default (19 MiB), so that a users file cannot make one login cost gigabytes.
pub const MAX_M_COST: u32 = 64 * 1024;

/// Whether `password` matches the argon2 PHC string `phc`, computed in `memory`.
fn argon2_matches(phc: &str, password: &str, memory: &mut Vec<argon2::Block>) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(alg), Ok(params)) = (
        argon2::Algorithm::try_from(hash.algorithm),
        argon2::Params::try_from(&hash),
    ) else {
        return false;
    };
    let Ok(version) = argon2::Version::try_from(hash.version.unwrap_or(0x13)) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut out = zeroize::Zeroizing::new(vec![0u8; expected.len()]);
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), argon2::Block::new());
    }
    let ctx = Argon2::new(alg, version, params.clone());
    let ok = ctx
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory[..params.block_count()],
        )
        .is_ok();
    ok && ct_eq(&out, expected)
}

/// An id is 1-64 of `[A-Za-z0-9._-]`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Appends (or replaces) an account in a users file's text; returns the new text.
pub fn upsert_user(text: &str, entry: UserEntry) -> Result<String, String> {
    let mut file: UsersFile = if text.trim().is_empty() {
        UsersFile::default()
    } else {
        toml::from_str(text).map_err(|e| e.message().to_string())?
    };
    file.user.retain(|u| u.id != entry.id);
    file.user.push(entry);
    let body = toml::to_string(&file).map_err(|e| e.to_string())?;
    Ok(format!(
        "# egate console accounts (argon2id hashes). Edit with `egate console adduser`.\n{body}"
    ))
}

/// A random token, 256 bits, base64url without padding.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A random password for the demo accounts: 16 characters, no look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

/// Constant-time comparison of two secrets.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in officer, as handlers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Officer id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// The session's CSRF token.
    pub csrf: String,
}

struct Session {
    officer: Officer,
    created: Instant,
    last_seen: Instant,
}

/// The live sessions, by cookie token.
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    lifetime: Duration,
    idle: Duration,
}

/// Sessions kept at most; the oldest is dropped beyond it.
const MAX_SESSIONS: usize = 1_000;

impl Sessions {
    /// Empty, with the given lifetime and idle timeout.
    pub fn new(lifetime: Duration, idle: Duration) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            lifetime,
            idle,
        }
    }

    /// Starts a session; returns the cookie token and the officer (with a fresh CSRF token).
    pub fn create(&self, id: &str, role: Role) -> (String, Officer) {
        let now = Instant::now();
        let token = random_token();
        let officer = Officer {
            id: id.to_string(),
            role,
            csrf: random_token(),
        };
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| self.alive(s, now));
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            token.clone(),
            Session {
                officer: officer.clone(),
                created: now,
                last_seen: now,
            },
        );
        (token, officer)
    }

    fn alive(&self, s: &Session, now: Instant) -> bool {
        now.duration_since(s.created) < self.lifetime && now.duration_since(s.last_seen) < self.idle
    }

    /// The session of a cookie token, refreshed (an officer's action); `None` if unknown or
    /// expired.
    pub fn get(&self, token: &str) -> Option<Officer> {
        self.lookup(token, true)
    }

    /// The session of a cookie token without refreshing it: what the page asks by itself
    /// (polls, the event stream) does not keep an idle session alive.
    pub fn peek(&self, token: &str) -> Option<Officer> {
        self.lookup(token, false)
    }

    fn lookup(&self, token: &str, refresh: bool) -> Option<Officer> {
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let alive = map.get(token).map(|s| self.alive(s, now))?;
        if !alive {
            map.remove(token);
            return None;
        }
        let s = map.get_mut(token)?;
        if refresh {
            s.last_seen = now;
        }
        Some(s.officer.clone())
    }

    /// Ends a session.
    pub fn remove(&self, token: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(token);
    }
}

/// Password checks run at once: argon2id with the default parameters holds about 19 MiB
/// while it runs, so a flood of logins may cost at most this many times that.
pub const PASSWORD_CHECKS: usize = 2;
/// Password checks waiting at most; a login beyond it is answered 503 at once.
const PASSWORD_QUEUE: usize = 16;

type CheckJob = (
    Arc<Users>,
    String,
    zeroize::Zeroizing<String>,
    tokio::sync::oneshot::Sender<Option<Role>>,
);

/// The password checks: a few threads of their own (not the async runtime's blocking pool,
/// which the lane's chip, borderdb and face jobs use) fed by a short queue.
pub struct PasswordChecker {
    tx: std::sync::mpsc::SyncSender<CheckJob>,
}

/// The password checks are all busy and their queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl PasswordChecker {
    /// Starts `threads` checking threads.
    pub fn new(threads: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<CheckJob>(PASSWORD_QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let _ = std::thread::Builder::new()
                .name(format!("egate-password-{i}"))
                .spawn(move || {
                    let mut memory = Vec::new();
                    loop {
                        let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok((users, id, pw, reply)) = job else {
                            return;
                        };
                        let _ = reply.send(users.verify_in(&id, &pw, &mut memory));
                    }
                });
        }
        Self { tx }
    }

    /// Checks a password; [`Busy`] when the queue is full.
    pub async fn check(
        &self,
        users: Arc<Users>,
        id: String,
        password: zeroize::Zeroizing<String>,
    ) -> Result<Option<Role>, Busy> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .try_send((users, id, password, reply))
            .map_err(|_| Busy)?;
        rx.await.map_err(|_| Busy)
    }
}

/// Failed-login counting per account and per client address.
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    max: usize,
    window: Duration,
}

/// Keys tracked at most (addresses and ids); beyond it, the stalest are forgotten.
const MAX_LIMITER_KEYS: usize = 10_000;

impl LoginLimiter {
    /// `max` failures per key within `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            max: max as usize,
            window,
        }
    }

    /// Whether any of the keys is locked out now; if so, the seconds until it is not.
    pub fn blocked(&self, keys: &[String]) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        self.blocked_in(&mut map, keys)
    }

    fn blocked_in(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        keys: &[String],
    ) -> Option<u64> {
        let now = Instant::now();
        let mut wait = None;
        for k in keys {
            if let Some(q) = map.get_mut(k) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    q.pop_front();
                }
                if q.len() >= self.max {
                    let until = q
                        .front()
                        .map(|t| self.window.saturating_sub(now.duration_since(*t)))
                        .unwrap_or_default();
                    let secs = until.as_secs().max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    /// Counts an attempt against every key before its password is checked, unless one of
    /// them is locked out (then the seconds until it is not): parallel attempts cannot
    /// all pass the check before the first failure is counted. A successful login takes the
    /// attempt back with [`LoginLimiter::succeed`].
    pub fn begin(&self, keys: &[String]) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(wait) = self.blocked_in(&mut map, keys) {
            return Err(wait);
        }
        self.fail_in(&mut map, keys);
        Ok(())
    }

    /// Records a failure against every key.
    pub fn fail(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        self.fail_in(&mut map, keys);
    }

    fn fail_in(&self, map: &mut HashMap<String, VecDeque<Instant>>, keys: &[String]) {
        let now = Instant::now();
        if map.len() >= MAX_LIMITER_KEYS {
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        for k in keys {
            let q = map.entry(k.clone()).or_default();
            q.push_back(now);
            while q.len() > self.max {
                q.pop_front();
            }
        }
    }

    /// After a successful login: clears the account's failures (`keys[0]`) and takes back the
    /// attempt [`LoginLimiter::begin`] counted against the other keys.
    pub fn succeed(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((account, rest)) = keys.split_first() {
            map.remove(account);
            for k in rest {
                if let Some(q) = map.get_mut(k) {
                    q.pop_back();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify_and_unknown_user() {
        let h = hash_password("correct horse").unwrap();
        let text = upsert_user(
            "",
            UserEntry {
                id: "o1".into(),
                role: Role::Officer,
                password_hash: h,
            },
        )
        .unwrap();
        let users = Users::parse(&text).unwrap();
        assert_eq!(users.verify("o1", "correct horse"), Some(Role::Officer));
        assert_eq!(users.verify("o1", "wrong"), None);
        assert_eq!(users.verify("nobody", "correct horse"), None);
    }

    #[test]
    fn bad_users_files_are_errors_not_panics() {
        for text in [
            "[[user]]\nid = \"a\"\nrole = \"king\"\npassword_hash = \"x\"\n",
            "[[user]]\nid = \"a b\"\nrole = \"officer\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA\"\n",
            "[[user]]\nid = \"a\"\nrole = \"officer\"\npassword_hash = \"plain\"\n",
            "nonsense = 1\n",
            "[[user]\n",
        ] {
            assert!(Users::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn permission_table() {
        use OfficerCommand::*;
        for a in [ReleaseExit, Refer, LaneOpen, LaneClose, OutOfService, Reset] {
            assert!(!may_command(Role::Technician, a));
            assert!(may_command(Role::Supervisor, a));
        }
        assert!(!may_command(Role::Officer, Reset));
        assert!(may_command(Role::Officer, ReleaseExit));
        assert!(!may_ack(Role::Technician));
        assert!(!may_see_photos(Role::Technician));
    }

    #[test]
    fn limiter_locks_after_max_failures_and_clears_on_success() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let keys = vec!["u:a".to_string(), "ip:1".to_string()];
        for _ in 0..3 {
            assert!(l.blocked(&keys).is_none());
            l.fail(&keys);
        }
        assert!(l.blocked(&keys).is_some());
        l.succeed(&keys[..1]);
        // The address is still locked.
        assert!(l.blocked(&keys).is_some());
        assert!(l.blocked(&["u:a".to_string()]).is_none());
    }

    #[test]
    fn attempts_count_before_the_check_so_parallel_ones_are_limited() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let keys = vec!["u:a".to_string(), "ip:1".to_string()];
        let passed = (0..50).filter(|_| l.begin(&keys).is_ok()).count();
        assert_eq!(passed, 3);
        assert!(l.begin(&keys).unwrap_err() >= 1);
    }

    #[tokio::test]
    async fn a_full_password_queue_answers_busy_at_once() {
        let users = Arc::new(Users::default());
        let c = Arc::new(PasswordChecker::new(1));
        let tasks: Vec<_> = (0..60)
            .map(|i| {
                let (c, users) = (Arc::clone(&c), Arc::clone(&users));
                tokio::spawn(async move {
                    c.check(users, format!("u{i}"), zeroize::Zeroizing::new("pw".into()))
                        .await
                })
            })
            .collect();
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Err(Busy) => busy += 1,
                Ok(r) => assert_eq!(r, None),
            }
        }
        assert!(busy >= 60 - PASSWORD_QUEUE - 1, "{busy}");
    }

    #[test]
    fn sessions_expire_when_idle() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_millis(1));
        let (tok, _) = s.create("o1", Role::Officer);
        std::thread::sleep(Duration::from_millis(5));
        assert!(s.get(&tok).is_none());
        let s = Sessions::new(Duration::from_secs(60), Duration::from_secs(60));
        let (tok, o) = s.create("o1", Role::Officer);
        assert_eq!(s.get(&tok), Some(o));
        s.remove(&tok);
        assert!(s.get(&tok).is_none());
    }
}
