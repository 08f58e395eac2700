//! SSH: `~/.ssh/config` resolution and the inventory (fixture files), and connections to the
//! real OpenSSH server that `scripts/services/start-sshd.sh` starts on 127.0.0.1:2222: host key
//! verification, authentication, commands, sudo, and the `capstan hosts` commands.
//!
//! Every test works in its own temporary HOME; nothing reads the real `~/.ssh`.

#[path = "ssh/cli.rs"]
mod cli;
#[path = "ssh/config.rs"]
mod config;
#[path = "ssh/host_keys.rs"]
mod host_keys;
#[path = "ssh/inventory.rs"]
mod inventory;
#[path = "ssh/session.rs"]
mod session;
#[path = "ssh/support.rs"]
mod support;
