//! Helpers for the end-to-end tests in `tests/tests/`: locate the built `egate` binary,
//! start it on free ports and wait for readiness. The tests themselves live in `tests/tests/`.
