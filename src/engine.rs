//! The only module that talks to the Docker engine (through bollard).
//!
//! It must not import `stack`, `ops` or `tui`: those build on it.
