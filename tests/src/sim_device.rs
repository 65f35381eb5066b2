//! A stand-alone simulated device (`egate sim controller | scanner | display | passport`) as
//! a child process: wait for the line naming its pty, send commands on its standard input,
//! wait for answers and events on its standard output, close its input to stop it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::egate_bin;

/// How long a device may take to start on a loaded machine.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `egate sim ...` process whose stdout lines are collected in the background.
pub struct SimDevice {
    /// The child process.
    pub child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    /// Every stdout line seen so far.
    pub log: Vec<String>,
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
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut dev = SimDevice {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            log: Vec::new(),
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
            let l = self.next_line(deadline, line);
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

    fn next_line(&mut self, deadline: Instant, what: &str) -> String {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(l) => {
                self.log.push(l.clone());
                l
            }
            Err(_) => panic!(
                "no line for {what:?} in time; stdout so far:\n{}",
                self.log.join("\n")
            ),
        }
    }

    /// Waits (up to `timeout`) for a new stdout line that satisfies `pred`; returns it.
    pub fn wait_for(
        &mut self,
        pred: impl Fn(&str) -> bool,
        what: &str,
        timeout: Duration,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let l = self.next_line(deadline, what);
            if pred(&l) {
                return l;
            }
        }
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
        if let Some(l) = self
            .log
            .get(mark..)
            .and_then(|ls| ls.iter().find(|l| *l == line))
        {
            return l.clone();
        }
        self.wait_line(line, timeout)
    }

    /// Closes standard input (the device's end of input means quit).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for exit up to `timeout`; `None` if still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let st = crate::wait_child(&mut self.child, timeout);
        self.log.extend(self.lines.try_iter());
        st
    }
}

impl Drop for SimDevice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
