//! The browser test's fixtures: a real `capstan serve` on the test MariaDB, a real chromedriver
//! with headless Debian Chromium, and explicit waits with deadlines.
//!
//! Every process started here is killed when its guard drops, on success and on failure alike.
//! Files (logs, the password file, Chromium's profile, a screenshot on failure) live in one
//! scratch folder, kept and named in the error when the test fails.

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use mysql_async::prelude::Queryable as _;
use serde_json::json;

/// The env variable `scripts/test` sets to the test MariaDB's URL.
pub const MYSQL_ENV: &str = "CAPSTAN_TEST_MYSQL";

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a page element may take to reach the state a step waits for.
pub const UI_DEADLINE: Duration = Duration::from_secs(15);

/// Where the test MariaDB is, from [`MYSQL_ENV`].
///
/// Panics with the way out when the variable is missing: the test must not pass silently
/// without its database.
pub fn mysql_from_env() -> mysql_async::Opts {
    let Ok(url) = std::env::var(MYSQL_ENV) else {
        panic!("{MYSQL_ENV} is not set: run scripts/test, which starts the test MariaDB");
    };
    match mysql_async::Opts::from_url(&url) {
        Ok(opts) => opts,
        Err(err) => panic!("{MYSQL_ENV} is not a mysql:// URL ({err}); run scripts/test"),
    }
}

/// A port nobody listens on right now (the OS picks it; a tiny race with other processes
/// remains until our child binds it).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("failed to find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A child process in its own process group, killed with its whole group on drop.
pub struct Process {
    name: &'static str,
    child: Child,
}

impl Process {
    fn spawn(name: &'static str, command: &mut Command, log: &Path) -> anyhow::Result<Self> {
        let out =
            File::create(log).with_context(|| format!("failed to create {}", log.display()))?;
        let err = out.try_clone()?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .with_context(|| format!("failed to start {name}"))?;
        Ok(Self { name, child })
    }

    /// Fails when the process already exited, naming how.
    fn check_running(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => bail!("{} exited early ({status})", self.name),
            Err(err) => bail!("cannot tell whether {} runs: {err}", self.name),
        }
    }
}

impl Process {
    /// Kills the whole process group; the child stays unreaped (its pid reserved) until drop.
    fn kill(&self) {
        // The group id is the child's pid (process_group(0)); Chromium's helpers are in it too.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `capstan serve` with the API and static roles, on its own database.
pub struct Serve {
    pub base_url: String,
    pub log: PathBuf,
    process: Process,
}

impl Serve {
    /// Starts the binary under test and waits until `/api/ready` answers 200.
    pub async fn start(
        scratch: &Path,
        mysql: &mysql_async::Opts,
        database: &str,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let password_file = scratch.join("db-password");
        write_secret(&password_file, mysql.pass().unwrap_or_default())?;
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/web");
        let log = scratch.join("serve.log");

        let mut command = Command::new(env!("CARGO_BIN_EXE_capstan"));
        command
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--api")
            .arg("--static")
            .arg(&assets)
            .args(["--db-host", mysql.ip_or_hostname()])
            .args(["--db-port", &mysql.tcp_port().to_string()])
            .args(["--db-user", mysql.user().unwrap_or("root")])
            .arg("--db-password-file")
            .arg(&password_file)
            .args(["--db-name", database])
            .args(["--log-format", "text"])
            .env("RUST_LOG", "info");
        let process = Process::spawn("capstan serve", &mut command, &log)?;
        let mut serve = Self {
            base_url: format!("http://127.0.0.1:{port}"),
            log,
            process,
        };

        let http = reqwest::Client::new();
        let ready = format!("{}/api/ready", serve.base_url);
        let waited = wait_until(
            "capstan serve to answer /api/ready",
            Duration::from_secs(60),
            || {
                let request = http.get(&ready).send();
                let running = serve.process.check_running();
                async move {
                    running?;
                    match request.await {
                        Ok(response) if response.status().is_success() => Ok(Some(())),
                        Ok(response) => Err(anyhow::anyhow!("answered {}", response.status())),
                        Err(err) => Err(anyhow::anyhow!("{err}")),
                    }
                }
            },
        )
        .await;
        waited.with_context(|| format!("serve log:\n{}", tail(&serve.log, 30)))?;
        Ok(serve)
    }
}

impl Serve {
    /// Kills the server now, to see how the page copes without it.
    pub fn stop(&self) {
        self.process.kill();
    }
}

/// Drops the test's database; a failure here only leaves an empty test schema behind.
pub async fn drop_database(mysql: &mysql_async::Opts, database: &str) -> anyhow::Result<()> {
    let mut conn = mysql_async::Conn::new(mysql.clone())
        .await
        .context("failed to connect to the test MariaDB to drop the test database")?;
    conn.query_drop(format!("DROP DATABASE IF EXISTS `{database}`"))
        .await
        .with_context(|| format!("failed to drop database {database}"))?;
    conn.disconnect().await?;
    Ok(())
}

/// A running chromedriver and the headless Chromium session it drives.
pub struct Browser {
    pub client: Client,
    _driver: Process,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a fresh headless Chromium profile.
    pub async fn start(scratch: &Path) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(CHROMEDRIVER);
        command.arg(format!("--port={port}"));
        let mut driver = Process::spawn("chromedriver", &mut command, &scratch.join("driver.log"))?;

        let http = reqwest::Client::new();
        let status = format!("http://127.0.0.1:{port}/status");
        wait_until(
            "chromedriver to report ready",
            Duration::from_secs(20),
            || {
                let request = http.get(&status).send();
                let running = driver.check_running();
                async move {
                    running?;
                    let body: serde_json::Value = request.await?.json().await?;
                    match body["value"]["ready"].as_bool() {
                        Some(true) => Ok(Some(())),
                        _ => Err(anyhow::anyhow!("status says {body}")),
                    }
                }
            },
        )
        .await?;

        let profile = scratch.join("chromium-profile");
        let options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::rustls()
            .context("failed to set up the WebDriver HTTP client (rustls needs ca-certificates)")?
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .with_context(|| format!("chromedriver could not start Chromium ({CHROMIUM})"))?;
        Ok(Self {
            client,
            _driver: driver,
        })
    }
}

/// Polls `probe` every 50 ms until it yields a value or `deadline` passes.
///
/// `Ok(None)` and `Err` both mean "not yet"; on timeout the error names `what` and the last
/// observation, so a failure says what the page (or process) looked like.
pub async fn wait_until<T, F, Fut>(
    what: &str,
    deadline: Duration,
    mut probe: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let started = Instant::now();
    let mut last = String::from("nothing observed yet");
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(err) => last = format!("{err:#}"),
        }
        if started.elapsed() >= deadline {
            bail!("timed out after {deadline:?} waiting for {what}; last: {last}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the element `css` is displayed, and returns it.
pub async fn visible(client: &Client, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
    wait_until(&format!("{css} to be visible"), UI_DEADLINE, || async {
        let element = client.find(Locator::Css(css)).await?;
        if element.is_displayed().await? {
            Ok(Some(element))
        } else {
            Err(anyhow::anyhow!("{css} is on the page but hidden"))
        }
    })
    .await
}

/// Waits until the element `css` is displayed with exactly `expected` as its text.
pub async fn text_is(client: &Client, css: &str, expected: &str) -> anyhow::Result<()> {
    wait_until(
        &format!("{css} to read {expected:?}"),
        UI_DEADLINE,
        || async {
            let element = client.find(Locator::Css(css)).await?;
            let text = element.text().await?;
            if text == expected {
                Ok(Some(()))
            } else {
                Err(anyhow::anyhow!("{css} reads {text:?}"))
            }
        },
    )
    .await
}

/// Waits until no element matches `css` or none of them is displayed.
pub async fn gone(client: &Client, css: &str) -> anyhow::Result<()> {
    wait_until(&format!("{css} to disappear"), UI_DEADLINE, || async {
        for element in client.find_all(Locator::Css(css)).await? {
            if element.is_displayed().await? {
                return Ok(None);
            }
        }
        Ok(Some(()))
    })
    .await
}

/// Presses and releases one key on whatever has the focus (`fantoccini::key::Key` for specials).
pub async fn press(client: &Client, key: char) -> anyhow::Result<()> {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client
        .perform_actions(keys)
        .await
        .with_context(|| format!("failed to press {key:?}"))
}

/// Waits until the element with this id has the focus.
pub async fn focused(client: &Client, id: &str) -> anyhow::Result<()> {
    wait_until(&format!("#{id} to have the focus"), UI_DEADLINE, || async {
        let active = client.active_element().await?;
        let active_id = active.attr("id").await?.unwrap_or_default();
        if active_id == id {
            Ok(Some(()))
        } else {
            Err(anyhow::anyhow!("the focus is on #{active_id}"))
        }
    })
    .await
}

/// Replaces an input's value the way a person does: select all, then type.
pub async fn retype(client: &Client, css: &str, text: &str) -> anyhow::Result<()> {
    let input = visible(client, css).await?;
    input
        .clear()
        .await
        .with_context(|| format!("failed to clear {css}"))?;
    input
        .send_keys(text)
        .await
        .with_context(|| format!("failed to type into {css}"))?;
    Ok(())
}

/// The last `lines` lines of a log file, for failure messages.
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(text) = std::fs::read_to_string(path) else {
        return format!("({} could not be read)", path.display());
    };
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn write_secret(path: &Path, secret: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("failed to create {}", path.display()))?;
    file.write_all(secret.as_bytes())
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}
