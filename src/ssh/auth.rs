//! Public key authentication: keys held by ssh-agent first, then key files (`IdentityFile`
//! from `~/.ssh/config`, then `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`). RSA keys sign with
//! rsa-sha2-512/256 when the server supports them. An encrypted key asks a [`PassphrasePrompt`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use russh::client::{AuthResult, Handle, Handler};
use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg};

use super::known_hosts::fingerprint;
use super::{Destination, SshEnv, SshError};

/// How many times a wrong passphrase may be typed for one key.
const PASSPHRASE_ATTEMPTS: u32 = 3;

/// The default key files, tried after those named in `~/.ssh/config`.
const DEFAULT_KEYS: [&str; 3] = ["id_ed25519", "id_ecdsa", "id_rsa"];

/// Asks the user for the passphrase of an encrypted key.
///
/// The CLI uses [`TerminalPrompt`]; the dashboard supplies one that shows a dialog.
pub trait PassphrasePrompt: Send + Sync {
    /// The passphrase for the key file `key`, `attempt` counting from 1; `None` skips the key.
    fn passphrase<'a>(&'a self, key: &'a Path, attempt: u32) -> BoxFuture<'a, Option<String>>;
}

/// Reads passphrases on the controlling terminal, without echo.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalPrompt;

impl PassphrasePrompt for TerminalPrompt {
    fn passphrase<'a>(&'a self, key: &'a Path, attempt: u32) -> BoxFuture<'a, Option<String>> {
        let prompt = match attempt {
            1 => format!("Enter passphrase for key {}: ", key.display()),
            _ => format!(
                "Wrong passphrase. Enter passphrase for key {}: ",
                key.display()
            ),
        };
        Box::pin(async move {
            let answer = tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt));
            match answer.await {
                Ok(Ok(passphrase)) if !passphrase.is_empty() => Some(passphrase),
                _ => None,
            }
        })
    }
}

/// Authenticates `handle` as `dest.user`, trying the agent, then the key files.
pub(crate) async fn authenticate<H: Handler>(
    handle: &mut Handle<H>,
    dest: &Destination,
    env: &SshEnv,
    prompt: Option<&dyn PassphrasePrompt>,
) -> Result<(), SshError> {
    let mut auth = Auth {
        handle,
        dest,
        tried: Vec::new(),
        rsa_hash: None,
    };

    if let Some(socket) = &env.agent_socket {
        if auth.with_agent(socket).await? {
            return Ok(());
        }
    }

    for file in key_files(dest, env) {
        if auth.with_file(&file, prompt).await? {
            return Ok(());
        }
    }

    Err(SshError::AuthFailed {
        host: dest.name.clone(),
        user: dest.user.clone(),
        tried: match auth.tried.is_empty() {
            true => vec!["no agent and no key file".to_string()],
            false => auth.tried,
        },
    })
}

/// The key files to try, in order, without duplicates, existing ones only.
fn key_files(dest: &Destination, env: &SshEnv) -> Vec<PathBuf> {
    let ssh_dir = env.home.join(".ssh");
    let mut files: Vec<PathBuf> = Vec::new();
    let candidates = dest
        .identity_files
        .iter()
        .cloned()
        .chain(DEFAULT_KEYS.iter().map(|name| ssh_dir.join(name)));
    for file in candidates {
        if file.is_file() && !files.contains(&file) {
            files.push(file);
        }
    }
    files
}

struct Auth<'a, H: Handler> {
    handle: &'a mut Handle<H>,
    dest: &'a Destination,
    /// What was offered, for the error message.
    tried: Vec<String>,
    /// The server's best RSA signature hash, asked once, only when an RSA key comes up.
    rsa_hash: Option<Option<HashAlg>>,
}

impl<H: Handler> Auth<'_, H> {
    async fn rsa_hash(&mut self) -> Result<Option<HashAlg>, SshError> {
        if let Some(hash) = self.rsa_hash {
            return Ok(hash);
        }
        let hash = self
            .handle
            .best_supported_rsa_hash()
            .await
            .map_err(|source| self.protocol(source))?
            .flatten();
        self.rsa_hash = Some(hash);
        Ok(hash)
    }

    fn protocol(&self, source: russh::Error) -> SshError {
        SshError::Protocol {
            host: self.dest.name.clone(),
            source,
        }
    }

    /// Offers each key the agent holds; true once one is accepted.
    async fn with_agent(&mut self, socket: &Path) -> Result<bool, SshError> {
        let mut agent = match AgentClient::connect_uds(socket).await {
            Ok(agent) => agent,
            Err(err) => {
                self.tried.push(format!(
                    "ssh-agent at {} unreachable: {err}",
                    socket.display()
                ));
                return Ok(false);
            }
        };
        let identities = match agent.request_identities().await {
            Ok(identities) => identities,
            Err(err) => {
                self.tried
                    .push(format!("ssh-agent would not list keys: {err}"));
                return Ok(false);
            }
        };

        for identity in identities {
            let AgentIdentity::PublicKey { key, comment } = identity else {
                continue;
            };
            let hash = match key.algorithm().is_rsa() {
                true => self.rsa_hash().await?,
                false => None,
            };
            self.tried
                .push(format!("agent key {} ({comment})", fingerprint(&key)));
            let user = self.dest.user.clone();
            match self
                .handle
                .authenticate_publickey_with(user, key, hash, &mut agent)
                .await
            {
                Ok(AuthResult::Success) => return Ok(true),
                Ok(AuthResult::Failure { .. }) => {}
                Err(err) => self.tried.push(format!("ssh-agent failed to sign: {err}")),
            }
        }
        Ok(false)
    }

    /// Offers the key in `file`, asking for its passphrase when it is encrypted.
    async fn with_file(
        &mut self,
        file: &Path,
        prompt: Option<&dyn PassphrasePrompt>,
    ) -> Result<bool, SshError> {
        let Some(key) = self.load_key(file, prompt).await else {
            return Ok(false);
        };
        let hash = match key.algorithm().is_rsa() {
            true => self.rsa_hash().await?,
            false => None,
        };

        self.tried.push(format!("key file {}", file.display()));
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        let result = self
            .handle
            .authenticate_publickey(self.dest.user.clone(), key)
            .await
            .map_err(|source| self.protocol(source))?;
        Ok(result.success())
    }

    /// Reads a private key; `None` (with a note in `tried`) when it cannot be used.
    async fn load_key(
        &mut self,
        file: &Path,
        prompt: Option<&dyn PassphrasePrompt>,
    ) -> Option<PrivateKey> {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(err) => {
                self.tried
                    .push(format!("key file {} unreadable: {err}", file.display()));
                return None;
            }
        };
        match russh::keys::decode_secret_key(&text, None) {
            Ok(key) => return Some(key),
            Err(russh::keys::Error::KeyIsEncrypted) => {}
            Err(err) => {
                self.tried
                    .push(format!("key file {} unusable: {err}", file.display()));
                return None;
            }
        }

        let Some(prompt) = prompt else {
            self.tried.push(format!(
                "key file {} is encrypted (no prompt)",
                file.display()
            ));
            return None;
        };
        for attempt in 1..=PASSPHRASE_ATTEMPTS {
            let passphrase = prompt.passphrase(file, attempt).await?;
            if let Ok(key) = russh::keys::decode_secret_key(&text, Some(&passphrase)) {
                return Some(key);
            }
        }
        self.tried
            .push(format!("key file {}: wrong passphrase", file.display()));
        None
    }
}
