//! `capstan hosts` as a user runs it: HOME and the XDG dirs point into a temporary dir.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{Sandbox, ssh_keygen_fingerprint, sshd};

fn capstan(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_capstan"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("the capstan binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn hosts_add_then_list_shows_the_host_in_text_and_json() {
    let sandbox = Sandbox::new();
    let home = sandbox.home();

    let added = capstan(
        home,
        &["hosts", "add", "deploy@web1:2222", "--group", "web"],
    );
    let listed = capstan(home, &["hosts", "list"]);
    let json = capstan(home, &["hosts", "list", "--json"]);
    let duplicate = capstan(home, &["hosts", "add", "deploy@web1:22"]);
    let read_only = capstan(home, &["hosts", "add", "deploy@web2", "--read-only"]);

    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(
        text(&listed.stdout).contains("deploy@web1:2222"),
        "{}",
        text(&listed.stdout)
    );
    let hosts: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(hosts[0]["name"], "web1");
    assert_eq!(hosts[0]["port"], 2222);
    assert_eq!(hosts[0]["groups"][0], "web");
    assert!(!duplicate.status.success());
    assert!(text(&duplicate.stderr).contains("already in the inventory"));
    assert!(home.join(".config/capstan/hosts.toml").is_file());
    assert!(!read_only.status.success());
    assert!(!text(&capstan(home, &["hosts", "list"]).stdout).contains("web2"));
}

#[test]
fn hosts_list_reports_a_malformed_inventory_with_its_line() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join(".config/capstan");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hosts.toml"),
        "[[host]]\nname = \"a\"\naddress = [\n",
    )
    .unwrap();

    let listed = capstan(sandbox.home(), &["hosts", "list"]);

    assert!(!listed.status.success());
    assert!(
        text(&listed.stderr).contains("hosts.toml, line"),
        "{}",
        text(&listed.stderr)
    );
}

#[test]
fn hosts_check_needs_an_explicit_yes_for_a_new_key_then_passes_every_step() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    let home = sandbox.home();
    let config = format!(
        "Host testbox\n  HostName {}\n  Port {}\n  User {}\n  IdentityFile {}\n",
        sshd.host,
        sshd.port,
        sshd.user,
        sshd.key.display()
    );
    std::fs::write(home.join(".ssh/config"), config).unwrap();
    let added = capstan(home, &["hosts", "add", "testbox"]);
    assert!(added.status.success(), "{}", text(&added.stderr));

    let refused = capstan(home, &["hosts", "check", "testbox"]);
    let accepted = capstan(
        home,
        &["hosts", "check", "testbox", "--accept-new-host-key"],
    );
    let again = capstan(home, &["hosts", "check", "testbox", "--json"]);

    let fingerprint = ssh_keygen_fingerprint(&sshd.host_key_pub);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stdout).contains(&fingerprint),
        "{}",
        text(&refused.stdout)
    );
    assert!(accepted.status.success(), "{}", text(&accepted.stdout));
    assert!(text(&accepted.stdout).contains("(new, recorded)"));
    let report: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["connect", "host key", "login", "sudo"]);
}

#[test]
fn hosts_add_with_vars_lists_them_and_refuses_a_secret_or_a_malformed_var() {
    let sandbox = Sandbox::new();
    let home = sandbox.home();

    let added = capstan(
        home,
        &[
            "hosts",
            "add",
            "deploy@web1:2222",
            "--var",
            "listen_port=18080",
            "--var",
            "server_name=web1.example",
        ],
    );
    let listed = capstan(home, &["hosts", "list"]);
    let json = capstan(home, &["hosts", "list", "--json"]);
    let secret = capstan(
        home,
        &[
            "hosts",
            "add",
            "deploy@web2",
            "--var",
            "db_password=hunter2",
        ],
    );
    let malformed = capstan(
        home,
        &["hosts", "add", "deploy@web3", "--var", "listen_port"],
    );

    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(
        text(&listed.stdout).contains("listen_port=18080 server_name=web1.example"),
        "{}",
        text(&listed.stdout)
    );
    let hosts: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(hosts[0]["vars"]["listen_port"], "18080");
    assert!(!secret.status.success());
    assert!(
        text(&secret.stderr).contains("--secret db_password=FILE"),
        "{}",
        text(&secret.stderr)
    );
    assert!(!malformed.status.success());
    assert!(
        text(&malformed.stderr).contains("expected NAME=VALUE"),
        "{}",
        text(&malformed.stderr)
    );
    let inventory = std::fs::read_to_string(home.join(".config/capstan/hosts.toml")).unwrap();
    assert!(!inventory.contains("hunter2"), "{inventory}");
    assert!(!inventory.contains("web3"), "{inventory}");
}
