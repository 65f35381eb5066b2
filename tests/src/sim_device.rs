//! A stand-alone simulated device (`egate sim controller | scanner | display | passport`) as
//! a child process: wait for the line naming its pty, send commands on its standard input,
//! wait for answers and events on its standard output, close its input to stop it.

use std::io::Write;
use std::ops::Deref;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{egate_bin, LineLog};

/// How long a device may take to start on a loaded machine.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `egate sim ...` process whose stdout lines are collected in the background
/// (its [`LineLog`]).
pub struct SimDevice {
    /// The child process.
    pub child: Child,
    stdin: Option<ChildStdin>,
    out: LineLog,
    /// The pty path from the ready line (`controller: /dev/pts/N`); empty for a passport.
    pub path: String,
}

impl SimDevice {
    /// Starts `egate <args>` and waits for its ready line, the one starting with `ready`
    /// (`"controller: "`, `"scanner: "`, `"display: "`, or `"card inserted"` for a passport);
    /// what follows a `"<kind>: "` prefix is taken as the pty path.
    pub fn start(args: &[&str], ready: &str) -> SimDevice {
        let mut child = Command::new(egate_bin())
            .args(args)
            .env_remove("EGATE_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn egate");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut dev = SimDevice {
            stdin: child.stdin.take(),
            child,
            out: LineLog::read(stdout),
            path: String::new(),
        };
        let line = dev.wait_for(|l| l.starts_with(ready), ready, START_TIMEOUT);
        if ready.ends_with(": ") {
            dev.path = line[ready.len()..].trim().to_string();
        }
        dev
    }

    /// Writes one line to the device's standard input.
    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .expect("write to the device's stdin");
    }

    /// Sends a command and waits for its answer (`ok...` or `error: ...`); returns the
    /// answer and the non-event lines printed before it (a `state:` line).
    pub fn command(&mut self, line: &str) -> Result<Vec<String>, String> {
        self.send(line);
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let l = self.out.next_line(deadline, line);
            if l.starts_with("event: ") {
                continue;
            }
            if l == "ok" || l.starts_with("ok ") {
                out.push(l);
                return Ok(out);
            }
            if l.starts_with("error: ") {
                return Err(l);
            }
            out.push(l);
        }
    }

    /// Sends `state` to a controller and returns its `state:` line.
    pub fn state(&mut self) -> String {
        let lines = self.command("state").expect("state answers ok");
        lines
            .into_iter()
            .find(|l| l.starts_with("state: "))
            .expect("a state line")
    }

    /// Waits (up to `timeout`) for a new stdout line that satisfies `pred`; returns it.
    pub fn wait_for(
        &mut self,
        pred: impl Fn(&str) -> bool,
        what: &str,
        timeout: Duration,
    ) -> String {
        let mark = self.mark();
        self.out.wait_since(mark, pred, what, timeout)
    }

    /// Waits for a new stdout line equal to `line`.
    pub fn wait_line(&mut self, line: &str, timeout: Duration) -> String {
        self.wait_for(|l| l == line, line, timeout)
    }

    /// Where the log ends now, for [`SimDevice::wait_line_since`].
    pub fn mark(&self) -> usize {
        self.log.len()
    }

    /// Waits for a stdout line equal to `line` printed since `mark` (lines already read by
    /// [`SimDevice::command`] count), up to `timeout`.
    pub fn wait_line_since(&mut self, mark: usize, line: &str, timeout: Duration) -> String {
        self.out.wait_since(mark, |l| l == line, line, timeout)
    }

    /// Closes standard input (the device's end of input means quit).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for exit up to `timeout`; `None` if still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let st = crate::wait_child(&mut self.child, timeout);
        self.out.drain();
        st
    }
}

impl Deref for SimDevice {
    type Target = LineLog;

    fn deref(&self) -> &LineLog {
        &self.out
    }
}

impl Drop for SimDevice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
