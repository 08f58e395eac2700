//! The host inventory file: round trips, groups, and errors that name file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use capstan::ssh::Target;
use capstan::ssh::inventory::{HostEntry, Inventory, InventoryError};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/ssh/fixtures")
        .join(name)
}

/// A copy of a fixture in a temporary dir, so tests may write it.
fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.toml");
    std::fs::copy(fixture(name), &path).unwrap();
    (dir, path)
}

fn entry(target: &str, name: Option<&str>, groups: &[&str]) -> HostEntry {
    let target: Target = target.parse().unwrap();
    let groups = groups.iter().map(|group| group.to_string()).collect();
    HostEntry::from_target(&target, name.map(str::to_string), groups)
}

#[test]
fn added_hosts_are_listed_again_after_reloading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capstan").join("hosts.toml");

    let mut inventory = Inventory::load(&path).unwrap();
    assert!(
        inventory.hosts().is_empty(),
        "a missing file is an empty inventory"
    );
    inventory
        .add(entry("deploy@web1:22", None, &["web"]))
        .unwrap();
    inventory.add(entry("prod-db", Some("db"), &[])).unwrap();

    let reloaded = Inventory::load(&path).unwrap();
    assert_eq!(reloaded.hosts(), inventory.hosts());
    let web1 = reloaded.get("web1").unwrap();
    assert_eq!(web1.address.as_deref(), Some("web1"));
    assert_eq!(
        (web1.user.as_deref(), web1.port),
        (Some("deploy"), Some(22))
    );
    assert_eq!(
        reloaded.get("db").unwrap().alias.as_deref(),
        Some("prod-db")
    );
    assert_eq!(
        reloaded.target("web1").unwrap().to_string(),
        "deploy@web1:22"
    );
    assert_eq!(reloaded.target("db").unwrap().to_string(), "prod-db");
    assert_eq!(
        reloaded.target("root@other:2200").unwrap().to_string(),
        "root@other:2200"
    );
}

#[test]
fn adding_keeps_the_comments_of_an_existing_file() {
    let (_dir, path) = copy_of("inventory_valid.toml");

    let mut inventory = Inventory::load(&path).unwrap();
    inventory
        .add(entry("ops@198.51.100.3:2200", Some("web2"), &["web"]))
        .unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# Hosts for the person stack.\n"),
        "{text}"
    );
    let reloaded = Inventory::load(&path).unwrap();
    let web: Vec<&str> = reloaded
        .group("web")
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(web, ["web1", "web2"]);
}

#[test]
fn groups_select_their_hosts_in_file_order() {
    let inventory = Inventory::load(&fixture("inventory_valid.toml")).unwrap();

    let prod: Vec<&str> = inventory
        .group("prod")
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(prod, ["web1", "db"]);
    assert!(inventory.group("nothing").is_empty());
}

#[test]
fn a_malformed_inventory_names_the_file_and_line_and_is_not_overwritten() {
    let (_dir, path) = copy_of("inventory_malformed.toml");
    let before = std::fs::read(&path).unwrap();

    let err = Inventory::load(&path).unwrap_err();

    let InventoryError::Parse {
        path: named, line, ..
    } = &err
    else {
        panic!("expected a parse error, got {err}");
    };
    assert_eq!(named, &path);
    assert_eq!(*line, 4, "port = \"twenty-two\" is on line 4");
    assert!(err.to_string().contains("hosts.toml, line 4"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn unknown_keys_and_contradictory_entries_are_refused() {
    let err = Inventory::load(&fixture("inventory_unknown_key.toml")).unwrap_err();
    assert!(
        matches!(err, InventoryError::Parse { line: 4, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("pasword"), "{err}");

    let err = Inventory::load(&fixture("inventory_alias_and_address.toml")).unwrap_err();
    assert!(matches!(err, InventoryError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("not both"), "{err}");
}

#[test]
fn a_duplicate_or_badly_named_host_is_refused_and_the_file_stays_as_it_was() {
    let (_dir, path) = copy_of("inventory_valid.toml");
    let before = std::fs::read(&path).unwrap();
    let mut inventory = Inventory::load(&path).unwrap();

    let err = inventory
        .add(entry("other@web9", Some("web1"), &[]))
        .unwrap_err();
    assert!(
        err.to_string().contains("already in the inventory"),
        "{err}"
    );
    let err = inventory
        .add(entry("other@web9", Some("web 9"), &[]))
        .unwrap_err();
    assert!(err.to_string().contains("name may hold only"), "{err}");

    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(inventory.hosts().len(), 2);
}

#[test]
fn command_line_names_expand_hosts_groups_and_targets_once_each() {
    let inventory = Inventory::load(&fixture("inventory_valid.toml")).unwrap();
    let names: Vec<String> = ["db", "prod", "ops@192.0.2.99:2200"]
        .map(String::from)
        .to_vec();

    let expanded = inventory.expand(&names).unwrap();

    let shown: Vec<(&str, String)> = expanded
        .iter()
        .map(|(name, target)| (name.as_str(), target.to_string()))
        .collect();
    assert_eq!(
        shown,
        [
            ("db", "prod-db".to_string()),
            ("web1", "deploy@192.0.2.10:2222".to_string()),
            ("ops@192.0.2.99:2200", "ops@192.0.2.99:2200".to_string()),
        ]
    );
    assert!(inventory.expand(&["bad target:x".to_string()]).is_err());
}

/// An inventory at a temporary path holding `text`.
fn written(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn host_vars_are_written_and_read_back_and_command_line_vars_win_over_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts.toml");
    let mut inventory = Inventory::load(&path).unwrap();
    let mut web1 = entry("deploy@web1:22", None, &["web"]);
    web1.vars = vars(&[("listen_port", "18080"), ("server_name", "web1.example")]);
    inventory.add(web1).unwrap();
    inventory.add(entry("deploy@web2:22", None, &[])).unwrap();

    let reloaded = Inventory::load(&path).unwrap();
    let overrides = vars(&[("listen_port", "9090"), ("upstream", "127.0.0.1:8000")]);
    let for_web1 = reloaded.vars_for("web1", &[], &overrides).unwrap();
    let for_web2 = reloaded.vars_for("web2", &[], &BTreeMap::new()).unwrap();
    let for_other = reloaded.vars_for("root@other", &[], &overrides).unwrap();

    assert_eq!(reloaded.hosts(), inventory.hosts());
    assert_eq!(
        reloaded.get("web1").unwrap().vars,
        vars(&[("listen_port", "18080"), ("server_name", "web1.example")])
    );
    assert_eq!(
        for_web1,
        vars(&[
            ("listen_port", "9090"),
            ("server_name", "web1.example"),
            ("upstream", "127.0.0.1:8000")
        ]),
        "--var wins over the inventory's listen_port; the inventory's server_name stays"
    );
    assert!(for_web2.is_empty(), "{for_web2:?}");
    assert_eq!(
        for_other, overrides,
        "a host outside the inventory has only --vars"
    );
}

#[test]
fn a_host_var_that_is_not_a_string_is_refused_with_file_and_line() {
    let (_dir, path) =
        written("[[host]]\nname = \"web1\"\naddress = \"web1\"\nvars = { listen_port = 18080 }\n");

    let err = Inventory::load(&path).unwrap_err();

    assert!(
        matches!(err, InventoryError::Parse { line: 4, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("hosts.toml, line 4"), "{err}");
    assert!(err.to_string().contains("string"), "{err}");
}

#[test]
fn an_unknown_key_beside_host_vars_is_still_refused() {
    let (_dir, path) = written(
        "[[host]]\nname = \"web1\"\naddress = \"web1\"\nvars = { listen_port = \"80\" }\n\
         variables = { server_name = \"x\" }\n",
    );

    let err = Inventory::load(&path).unwrap_err();

    assert!(
        matches!(err, InventoryError::Parse { line: 5, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("variables"), "{err}");
}

#[test]
fn a_secret_in_the_inventory_is_refused_when_read_added_or_named_by_the_playbook() {
    let (_dir, path) = written(
        "# web hosts\n[[host]]\nname = \"web1\"\naddress = \"web1\"\n\n\
         [host.vars]\nserver_name = \"web1.example\"\ndb_password = \"hunter2\"\n",
    );
    let read = Inventory::load(&path).unwrap_err();

    let (_dir2, path2) = written("[[host]]\nname = \"web1\"\naddress = \"web1\"\n");
    let before = std::fs::read(&path2).unwrap();
    let mut inventory = Inventory::load(&path2).unwrap();
    let mut web2 = entry("deploy@web2:22", None, &[]);
    web2.vars = vars(&[("api_token", "abc")]);
    let added = inventory.add(web2).unwrap_err();

    let (_dir3, path3) =
        written("[[host]]\nname = \"web1\"\naddress = \"web1\"\nvars = { admin_key = \"abc\" }\n");
    let named = Inventory::load(&path3)
        .unwrap()
        .vars_for("web1", &["admin_key"], &BTreeMap::new())
        .unwrap_err();

    assert!(
        matches!(read, InventoryError::Parse { line: 6, .. }),
        "the [host.vars] table starts on line 6: {read}"
    );
    assert!(
        read.to_string().contains("--secret db_password=FILE"),
        "{read}"
    );
    assert!(
        !read.to_string().contains("hunter2"),
        "the secret's value is not repeated: {read}"
    );
    assert!(added.to_string().contains("api_token"), "{added}");
    assert_eq!(
        std::fs::read(&path2).unwrap(),
        before,
        "the file stays as it was"
    );
    assert!(named.to_string().contains("admin_key"), "{named}");
    assert!(named.to_string().contains("secret"), "{named}");
}

#[test]
fn a_host_var_with_a_bad_name_or_a_newline_in_its_value_is_refused() {
    let mut inventory =
        Inventory::load(&tempfile::tempdir().unwrap().path().join("h.toml")).unwrap();
    let mut bad_name = entry("deploy@web1:22", None, &[]);
    bad_name.vars = vars(&[("listen-port", "80")]);
    let mut bad_value = entry("deploy@web2:22", None, &[]);
    bad_value.vars = vars(&[("server_name", "web2\n  ProxyPass / http://evil/")]);

    let name_err = inventory.add(bad_name).unwrap_err();
    let value_err = inventory.add(bad_value).unwrap_err();

    assert!(name_err.to_string().contains("listen-port"), "{name_err}");
    assert!(
        value_err.to_string().contains("control character"),
        "{value_err}"
    );
    assert!(inventory.hosts().is_empty());
}
