//! SSH connections to hosts (russh): targets and `~/.ssh/config`, the host inventory, host key
//! verification against known_hosts, agent and key authentication, and command execution (as
//! the login user, or as root through `sudo -n`).
//!
//! Owns everything between "a host name" and "the output of a command on it". Must not import
//! `stack`, `engine`, `ops`, `provision`, `tui` or `cli`: those sit above it.
//!
//! The usual path: [`SshEnv::discover`], then [`Destination::resolve`] for a [`Target`] (or an
//! inventory name through [`inventory::Inventory::target`]), then [`Session::connect`], then
//! [`Session::exec`] / [`Session::exec_as_root`] as many times as needed on that one connection.

mod auth;
mod config;
pub mod inventory;
mod known_hosts;
mod pattern;
mod quote;
mod session;
mod target;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

pub use auth::{PassphrasePrompt, TerminalPrompt};
pub use config::{HostConfig, read_host_config};
pub use known_hosts::{KnownHosts, fingerprint};
pub use quote::quote;
pub use session::{ConnectOptions, ConnectTimings, HostKeyInfo, NewHostKey, Output, Session};
pub use target::{Destination, Target};

/// Where SSH looks for the user's files, and who the local user is.
///
/// Everything SSH reads from the environment goes through this value, so tests and the dashboard
/// can point it elsewhere without touching process-wide variables.
#[derive(Debug, Clone)]
pub struct SshEnv {
    /// The user's home: `~` in `~/.ssh/config` and in `IdentityFile` values.
    pub home: PathBuf,
    /// The OpenSSH client configuration (`~/.ssh/config`); a missing file is an empty one.
    pub ssh_config: PathBuf,
    /// The OpenSSH known-hosts file (`~/.ssh/known_hosts`), read only.
    pub user_known_hosts: PathBuf,
    /// Capstan's own known-hosts file: read, and where accepted keys are recorded.
    pub capstan_known_hosts: PathBuf,
    /// The ssh-agent socket (`SSH_AUTH_SOCK`), tried first when set.
    pub agent_socket: Option<PathBuf>,
    /// The local user name, the login user when neither the target nor the config names one.
    pub local_user: Option<String>,
}

impl SshEnv {
    /// The environment of the current process: `$HOME/.ssh`, Capstan's config dir,
    /// `SSH_AUTH_SOCK`, `USER` (or `LOGNAME`).
    pub fn discover() -> anyhow::Result<SshEnv> {
        let home = directories::BaseDirs::new()
            .map(|dirs| dirs.home_dir().to_path_buf())
            .context("no home directory found: set HOME")?;
        let paths = crate::config::Paths::discover()?;
        let agent_socket = std::env::var_os("SSH_AUTH_SOCK")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        let local_user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|user| !user.is_empty());

        Ok(SshEnv::with_home(
            home,
            paths.config.join("known_hosts"),
            agent_socket,
            local_user,
        ))
    }

    /// An environment rooted at `home` (`home/.ssh/config`, `home/.ssh/known_hosts`).
    pub fn with_home(
        home: PathBuf,
        capstan_known_hosts: PathBuf,
        agent_socket: Option<PathBuf>,
        local_user: Option<String>,
    ) -> SshEnv {
        SshEnv {
            ssh_config: home.join(".ssh").join("config"),
            user_known_hosts: home.join(".ssh").join("known_hosts"),
            home,
            capstan_known_hosts,
            agent_socket,
            local_user,
        }
    }
}

/// What can go wrong between a host name and a command's output.
///
/// Messages name the host; none contains a command line, since commands may carry secrets.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// The target string is not `[user@]host[:port]`.
    #[error("bad host target {target:?}: {reason}")]
    Target { target: String, reason: String },

    /// `~/.ssh/config` (or a file it includes) cannot be read or has a bad value.
    #[error("ssh config {}, line {line}: {message}", path.display())]
    Config {
        path: PathBuf,
        line: usize,
        message: String,
    },

    /// No user was given for the host, and the local user name is unknown.
    #[error("no login user for {host}: give user@{host}, or set User in ~/.ssh/config")]
    NoUser { host: String },

    /// The TCP connection could not be made.
    #[error("cannot connect to {host} port {port}: {source}")]
    Connect {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },

    /// Connecting or a command took longer than allowed.
    #[error("{what} on {host} timed out after {}s", after.as_secs_f32())]
    Timeout {
        host: String,
        what: &'static str,
        after: Duration,
    },

    /// The host's key is in no known-hosts file; it needs an explicit yes.
    #[error(
        "the host key of {host} is not known: {key_type} {fingerprint}; check it and accept it \
         with --accept-new-host-key"
    )]
    HostKeyUnknown {
        host: String,
        key_type: String,
        fingerprint: String,
    },

    /// The host offered a key different from the recorded one. Always refused.
    #[error(
        "the host key of {host} has changed: recorded {expected} ({recorded_at}), offered {found}; \
         refusing to connect (if the change is expected, remove the old key from that file)"
    )]
    HostKeyChanged {
        host: String,
        expected: String,
        found: String,
        recorded_at: String,
    },

    /// The host offered a key that is marked `@revoked`, or a certificate. Always refused.
    #[error("the host key of {host} is refused: {reason}")]
    HostKeyRefused { host: String, reason: String },

    /// A known-hosts file could not be read or written.
    #[error("known-hosts file {}: {source}", path.display())]
    KnownHosts {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Every authentication method was refused; `tried` lists what was offered.
    #[error("authentication as {user} on {host} failed; tried: {}", tried.join("; "))]
    AuthFailed {
        host: String,
        user: String,
        tried: Vec<String>,
    },

    /// `sudo -n` wants a password: the login user has no passwordless sudo.
    #[error(
        "sudo on {host} needs a password for {user}; Capstan runs sudo -n: give {user} NOPASSWD \
         in sudoers, or log in as root"
    )]
    SudoNeedsPassword { host: String, user: String },

    /// sudo refuses the login user altogether.
    #[error("sudo on {host} refuses {user}: {message}")]
    SudoDenied {
        host: String,
        user: String,
        message: String,
    },

    /// A command ended without an exit status (killed by a signal, or the channel closed).
    #[error("a command on {host} ended without exit status{}", signal_suffix(.signal))]
    NoExitStatus {
        host: String,
        signal: Option<String>,
    },

    /// The SSH protocol failed (key exchange, channel, disconnect).
    #[error("ssh with {host} failed: {source}")]
    Protocol {
        host: String,
        #[source]
        source: russh::Error,
    },
}

fn signal_suffix(signal: &Option<String>) -> String {
    match signal {
        Some(signal) => format!(" (signal {signal})"),
        None => String::new(),
    }
}
