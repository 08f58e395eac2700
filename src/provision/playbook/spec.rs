//! The parameters of each step kind, as written in a playbook.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSpec {
    pub names: Vec<String>,
    #[serde(default)]
    pub state: PackageState,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageState {
    #[default]
    Installed,
    Absent,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub dest: String,
    /// Literal content (a template string itself); only for `file`.
    pub content: Option<String>,
    /// Template file name, looked up in the template directories; only for `template`.
    pub src: Option<String>,
    #[serde(default = "root")]
    pub owner: String,
    #[serde(default = "root")]
    pub group: String,
    #[serde(default = "default_mode")]
    pub mode: String,
    /// The server's own config test, run after the file is in place; on failure the previous
    /// file is put back (or the new one removed) and the step fails with the test's message.
    pub validate: Option<String>,
}

fn root() -> String {
    "root".to_string()
}

fn default_mode() -> String {
    "0644".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BooleanSpec {
    pub name: String,
    pub value: bool,
    /// Also set the value kept across reboots (`setsebool -P`); default true.
    #[serde(default = "yes")]
    pub persistent: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallSpec {
    /// A firewalld service name ("http").
    pub service: Option<String>,
    /// A port with protocol ("8080/tcp").
    pub port: Option<String>,
    pub zone: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub name: String,
    pub state: Option<ServiceState>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceState {
    Started,
    Stopped,
    Restarted,
    Reloaded,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    pub run: String,
    /// Skip the command when this path exists on the host.
    pub creates: Option<String>,
    /// Skip the command when this shell command succeeds on the host.
    pub unless: Option<String>,
    /// False for a command that only checks (a config test): it runs in check mode too and
    /// reports ok or failed, never changed. Default true.
    #[serde(default = "yes")]
    pub changes: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheckSpec {
    /// Fetched on the host itself (with curl).
    pub url: String,
    #[serde(default = "ok_status")]
    pub status: u16,
    pub contains: Option<String>,
    #[serde(default = "ten")]
    pub retries: u32,
    #[serde(default = "half_second")]
    pub delay_ms: u64,
}

fn ok_status() -> u16 {
    200
}

fn ten() -> u32 {
    10
}

fn half_second() -> u64 {
    500
}
