//! One SSH connection to one host, verified and authenticated, that runs many commands.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client::{self, Handle};
use russh::keys::{Algorithm, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect, Preferred};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::auth::{PassphrasePrompt, authenticate};
use super::known_hosts::{self, KnownHosts, Verdict, fingerprint};
use super::quote::quote;
use super::{Destination, SshEnv, SshError};

/// What to do with a host key that no known-hosts file records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NewHostKey {
    /// Refuse with [`SshError::HostKeyUnknown`], which carries the key's fingerprint.
    #[default]
    Refuse,
    /// Accept any new key and record it (the CLI's `--accept-new-host-key`).
    Accept,
    /// Accept and record the new key only if its fingerprint is this one (`SHA256:...`): the
    /// dashboard's "yes" to the exact key it showed.
    AcceptFingerprint(String),
}

/// How to connect.
#[derive(Clone)]
pub struct ConnectOptions {
    pub new_host_key: NewHostKey,
    /// Limit for TCP connect, key exchange and (without a passphrase prompt) authentication.
    pub connect_timeout: Duration,
    /// Limit for each command; [`Session::set_command_timeout`] changes it later.
    pub command_timeout: Duration,
    /// Asked for the passphrase of an encrypted key; without it encrypted keys are skipped.
    /// With it, authentication has no time limit of its own (the user may take a while; the
    /// server's `LoginGraceTime` still bounds it).
    pub passphrase_prompt: Option<Arc<dyn PassphrasePrompt>>,
}

impl Default for ConnectOptions {
    fn default() -> ConnectOptions {
        ConnectOptions {
            new_host_key: NewHostKey::Refuse,
            connect_timeout: Duration::from_secs(15),
            command_timeout: Duration::from_secs(600),
            passphrase_prompt: None,
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("new_host_key", &self.new_host_key)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("passphrase_prompt", &self.passphrase_prompt.is_some())
            .finish()
    }
}

/// The host key a session verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyInfo {
    /// The key's algorithm, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// `SHA256:` and unpadded base64, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// True when the key was new and has just been recorded in Capstan's known-hosts file.
    pub newly_recorded: bool,
}

/// How long each phase of connecting took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectTimings {
    pub tcp: Duration,
    /// Key exchange and host key verification.
    pub handshake: Duration,
    pub auth: Duration,
}

/// The result of a command that ran to completion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub status: u32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// Stdout as text, invalid UTF-8 replaced.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stderr as text, invalid UTF-8 replaced.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// An authenticated connection to one host. Commands run on channels of this one connection,
/// one after the other or concurrently (`exec` takes `&self`).
pub struct Session {
    handle: Handle<Verifier>,
    dest: Destination,
    host_key: HostKeyInfo,
    timings: ConnectTimings,
    command_timeout: Duration,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("dest", &self.dest)
            .field("host_key", &self.host_key)
            .finish()
    }
}

impl Session {
    /// Connects to `dest`, verifies its host key against `env`'s known-hosts files, and
    /// authenticates (agent, then key files).
    ///
    /// Errors: [`SshError::HostKeyUnknown`] (unless `options` accepts it),
    /// [`SshError::HostKeyChanged`] (always), [`SshError::AuthFailed`], [`SshError::Connect`],
    /// [`SshError::Timeout`].
    pub async fn connect(
        dest: &Destination,
        env: &SshEnv,
        options: &ConnectOptions,
    ) -> Result<Session, SshError> {
        let name = dest.name.clone();
        let timed_out = |what| SshError::Timeout {
            host: name.clone(),
            what,
            after: options.connect_timeout,
        };
        let known = KnownHosts::load(&[&env.user_known_hosts, &env.capstan_known_hosts])?;
        let config = Arc::new(client_config(&known, &dest.host_name, dest.port));

        let started = Instant::now();
        let address = (dest.host_name.as_str(), dest.port);
        let stream = timeout(options.connect_timeout, TcpStream::connect(address))
            .await
            .map_err(|_| timed_out("connecting"))?
            .map_err(|source| SshError::Connect {
                host: dest.name.clone(),
                port: dest.port,
                source,
            })?;
        let tcp = started.elapsed();

        let seen = Arc::new(Mutex::new(None));
        let verifier = Verifier {
            name: dest.name.clone(),
            host: dest.host_name.clone(),
            port: dest.port,
            known,
            own_file: env.capstan_known_hosts.clone(),
            policy: options.new_host_key.clone(),
            seen: Arc::clone(&seen),
        };
        let remaining = options.connect_timeout.saturating_sub(tcp);
        let started = Instant::now();
        let mut handle = timeout(remaining, client::connect_stream(config, stream, verifier))
            .await
            .map_err(|_| timed_out("the ssh handshake"))?
            .map_err(|err| err.into_ssh(&dest.name))?;
        let handshake = started.elapsed();
        let host_key = take(&seen).ok_or_else(|| SshError::HostKeyRefused {
            host: dest.name.clone(),
            reason: "the handshake ended without a host key to verify".to_string(),
        })?;

        let started = Instant::now();
        let prompt = options.passphrase_prompt.as_deref();
        let auth = authenticate(&mut handle, dest, env, prompt);
        match prompt {
            Some(_) => auth.await?,
            None => {
                let remaining = remaining.saturating_sub(handshake);
                timeout(remaining, auth)
                    .await
                    .map_err(|_| timed_out("authentication"))??
            }
        }
        let auth = started.elapsed();

        Ok(Session {
            handle,
            dest: dest.clone(),
            host_key,
            timings: ConnectTimings {
                tcp,
                handshake,
                auth,
            },
            command_timeout: options.command_timeout,
        })
    }

    /// Where this session is connected, and as whom.
    pub fn destination(&self) -> &Destination {
        &self.dest
    }

    /// The host key that was verified (or newly accepted) for this session.
    pub fn host_key(&self) -> &HostKeyInfo {
        &self.host_key
    }

    pub fn timings(&self) -> ConnectTimings {
        self.timings
    }

    /// Whether commands already run as root (the login user is `root`).
    pub fn is_root(&self) -> bool {
        self.dest.user == "root"
    }

    /// Sets the limit for each later command.
    pub fn set_command_timeout(&mut self, limit: Duration) {
        self.command_timeout = limit;
    }

    /// Runs `command` through the login user's shell, feeding it `stdin` (then end of file;
    /// no stdin is an empty one), and collects its exit status and output.
    ///
    /// A non-zero exit status is not an error. Errors: [`SshError::Timeout`] past the command
    /// timeout (the channel is dropped; the remote process gets end of file and a closed
    /// channel, not a signal), [`SshError::NoExitStatus`] when killed by a signal.
    pub async fn exec(&self, command: &str, stdin: Option<&[u8]>) -> Result<Output, SshError> {
        let limit = self.command_timeout;
        match timeout(limit, self.run(command, stdin.unwrap_or_default())).await {
            Ok(result) => result,
            Err(_) => Err(SshError::Timeout {
                host: self.dest.name.clone(),
                what: "a command",
                after: limit,
            }),
        }
    }

    /// Runs `command` as root: as is when the login user is root, otherwise as
    /// `sudo -n -- sh -c '<command>'`.
    ///
    /// Errors as [`Session::exec`], plus [`SshError::SudoNeedsPassword`] when sudo wants a
    /// password (sudo never waits for one here) and [`SshError::SudoDenied`] when the user may
    /// not use sudo.
    pub async fn exec_as_root(
        &self,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<Output, SshError> {
        if self.is_root() {
            return self.exec(command, stdin).await;
        }

        let output = self.exec(&sudo_command(command), stdin).await?;
        if output.status == 1 {
            let stderr = output.stderr_text();
            let sudo_line = stderr.lines().find(|line| line.starts_with("sudo: "));
            if let Some(line) = sudo_line {
                let host = self.dest.name.clone();
                let user = self.dest.user.clone();
                if line.contains("a password is required")
                    || line.contains("a terminal is required")
                {
                    return Err(SshError::SudoNeedsPassword { host, user });
                }
                if line.contains("not in the sudoers file") || line.contains("not allowed to") {
                    let message = line.trim_start_matches("sudo: ").to_string();
                    return Err(SshError::SudoDenied {
                        host,
                        user,
                        message,
                    });
                }
            }
        }
        Ok(output)
    }

    /// Closes the connection politely.
    pub async fn close(self) -> Result<(), SshError> {
        self.handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await
            .map_err(|source| SshError::Protocol {
                host: self.dest.name.clone(),
                source,
            })
    }

    async fn run(&self, command: &str, stdin: &[u8]) -> Result<Output, SshError> {
        let protocol = |source| SshError::Protocol {
            host: self.dest.name.clone(),
            source,
        };
        let channel = self.handle.channel_open_session().await.map_err(protocol)?;
        channel.exec(true, command).await.map_err(protocol)?;

        // Write stdin while reading output, so neither side can stall the other.
        let (mut reader, writer) = channel.split();
        let write = async {
            if !stdin.is_empty() {
                writer.data(stdin).await?;
            }
            writer.eof().await
        };
        let read = async {
            let mut output = Output::default();
            let mut status = None;
            let mut signal = None;
            while let Some(message) = reader.wait().await {
                match message {
                    ChannelMsg::Data { data } => output.stdout.extend_from_slice(&data),
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        output.stderr.extend_from_slice(&data)
                    }
                    ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                    ChannelMsg::ExitSignal { signal_name, .. } => {
                        signal = Some(format!("{signal_name:?}"))
                    }
                    ChannelMsg::Failure => signal = Some("exec refused by the server".into()),
                    _ => {}
                }
            }
            (output, status, signal)
        };
        let (written, (mut output, status, signal)) = tokio::join!(write, read);

        let Some(status) = status else {
            return Err(SshError::NoExitStatus {
                host: self.dest.name.clone(),
                signal,
            });
        };
        // The process may exit without reading its stdin; that is its business, not an error.
        if let Err(err) = written {
            tracing::debug!(host = %self.dest.name, "stdin not fully sent: {err}");
        }
        output.status = status;
        Ok(output)
    }
}

/// `sudo -n -- sh -c '<command>'`: non-interactive sudo around one shell command.
pub(crate) fn sudo_command(command: &str) -> String {
    format!("sudo -n -- sh -c {}", quote(command))
}

/// The client configuration: host key algorithms of keys already recorded for the host come
/// first, so a server with several host keys presents the one we can verify.
fn client_config(known: &KnownHosts, host: &str, port: u16) -> client::Config {
    let recorded: Vec<Algorithm> = known
        .keys_for(host, port)
        .iter()
        .map(|key| key.algorithm())
        .collect();
    let same_kind = |a: &Algorithm, b: &Algorithm| {
        a == b || matches!((a, b), (Algorithm::Rsa { .. }, Algorithm::Rsa { .. }))
    };
    let mut keys = Preferred::DEFAULT.key.to_vec();
    keys.sort_by_key(|alg| !recorded.iter().any(|rec| same_kind(rec, alg)));

    client::Config {
        preferred: Preferred {
            key: Cow::Owned(keys),
            ..Preferred::DEFAULT
        },
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 4,
        nodelay: true,
        ..client::Config::default()
    }
}

fn take(seen: &Mutex<Option<HostKeyInfo>>) -> Option<HostKeyInfo> {
    match seen.lock() {
        Ok(mut guard) => guard.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    }
}

/// Verifies the server's host key during the handshake.
struct Verifier {
    /// The host as named, for messages.
    name: String,
    /// The host name known_hosts is searched for, and the port.
    host: String,
    port: u16,
    known: KnownHosts,
    own_file: PathBuf,
    policy: NewHostKey,
    /// The verified key, for the session; also answers re-exchanges of the same key.
    seen: Arc<Mutex<Option<HostKeyInfo>>>,
}

/// Why the handshake stopped: the protocol, or our verdict on the key.
#[derive(Debug)]
enum HandlerError {
    Protocol(russh::Error),
    Refused(SshError),
}

impl From<russh::Error> for HandlerError {
    fn from(err: russh::Error) -> HandlerError {
        HandlerError::Protocol(err)
    }
}

impl HandlerError {
    fn into_ssh(self, host: &str) -> SshError {
        match self {
            HandlerError::Refused(err) => err,
            HandlerError::Protocol(source) => SshError::Protocol {
                host: host.to_string(),
                source,
            },
        }
    }
}

impl Verifier {
    fn verify(&mut self, key: &PublicKey) -> Result<HostKeyInfo, SshError> {
        let key_type = key.algorithm().to_string();
        let found = fingerprint(key);
        let info = |newly_recorded| HostKeyInfo {
            key_type: key_type.clone(),
            fingerprint: found.clone(),
            newly_recorded,
        };

        match self.known.check(&self.host, self.port, key) {
            Verdict::Known => Ok(info(false)),
            Verdict::Revoked { at } => Err(SshError::HostKeyRefused {
                host: self.name.clone(),
                reason: format!("{key_type} {found} is marked @revoked at {at}"),
            }),
            Verdict::Changed { recorded } => {
                let (expected, recorded_at) = recorded.into_iter().next().unwrap_or_default();
                Err(SshError::HostKeyChanged {
                    host: self.name.clone(),
                    expected,
                    found: format!("{key_type} {found}"),
                    recorded_at,
                })
            }
            Verdict::Unknown => {
                let accepted = match &self.policy {
                    NewHostKey::Refuse => false,
                    NewHostKey::Accept => true,
                    NewHostKey::AcceptFingerprint(wanted) => *wanted == found,
                };
                if !accepted {
                    return Err(SshError::HostKeyUnknown {
                        host: self.name.clone(),
                        key_type,
                        fingerprint: found,
                    });
                }
                known_hosts::append(&self.own_file, &self.host, self.port, key).map_err(
                    |source| SshError::KnownHosts {
                        path: self.own_file.clone(),
                        source,
                    },
                )?;
                tracing::info!(host = %self.name, %found, "accepted and recorded a new host key");
                self.known
                    .remember(&self.host, self.port, key, &self.own_file);
                Ok(info(true))
            }
        }
    }
}

impl client::Handler for Verifier {
    type Error = HandlerError;

    async fn check_server_key(
        &mut self,
        offered: &PublicKeyOrCertificate,
    ) -> Result<bool, HandlerError> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = offered else {
            return Err(HandlerError::Refused(SshError::HostKeyRefused {
                host: self.name.clone(),
                reason: "it presented a certificate; Capstan verifies plain host keys".into(),
            }));
        };

        let info = self.verify(key).map_err(HandlerError::Refused)?;
        let mut seen = match self.seen.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A re-exchange later in the session keeps the first answer ("newly recorded").
        if seen.is_none() {
            *seen = Some(info);
        }
        Ok(true)
    }
}
