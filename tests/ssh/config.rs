//! `~/.ssh/config` resolution, from fixture files.

use std::path::{Path, PathBuf};

use capstan::ssh::{Destination, SshEnv, SshError, Target, read_host_config};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ssh/fixtures")
}

/// An environment whose `~/.ssh/config` is the fixture `name`, with HOME = /home/me.
fn env_with(name: &str) -> SshEnv {
    let mut env = SshEnv::with_home("/home/me".into(), "/nonexistent".into(), None, None);
    env.ssh_config = fixtures().join(name);
    env.local_user = Some("me".into());
    env
}

fn resolve(config: &str, target: &str) -> Destination {
    let target: Target = target.parse().unwrap();
    Destination::resolve(&target, &env_with(config)).unwrap()
}

#[test]
fn an_alias_takes_hostname_user_and_keys_from_the_first_matching_blocks() {
    let dest = resolve("config_basic", "web1");

    assert_eq!(dest.name, "web1");
    assert_eq!(dest.host_name, "web1.example.com");
    assert_eq!(
        dest.user, "deploy",
        "the first User wins over Host * below it"
    );
    assert_eq!(dest.port, 22);
    assert_eq!(
        dest.identity_files,
        [
            PathBuf::from("/home/me/.ssh/id_global"),
            PathBuf::from("/home/me/.ssh/id_shared")
        ]
    );
}

#[test]
fn port_and_identity_files_accumulate_in_file_order() {
    let dest = resolve("config_basic", "db");

    assert_eq!(dest.host_name, "10.0.0.5");
    assert_eq!(dest.port, 2200);
    assert_eq!(dest.user, "fallback");
    assert_eq!(
        dest.identity_files,
        [
            PathBuf::from("/home/me/.ssh/id_global"),
            PathBuf::from("/home/me/.ssh/db_key"),
            PathBuf::from("/home/me/.ssh/id_shared"),
        ]
    );
}

#[test]
fn wildcard_blocks_match_and_a_negated_pattern_excludes_its_host() {
    let api = resolve("config_basic", "api.example.com");
    assert_eq!(api.user, "ops");
    assert_eq!(api.host_name, "api.example.com");
    assert_eq!(
        api.identity_files[1],
        PathBuf::from("/home/me/.ssh/keys for ops/api.example.com"),
        "a quoted IdentityFile keeps its space and expands %r and %h"
    );

    let bastion = resolve("config_basic", "bastion.example.com");
    assert_eq!(bastion.user, "fallback");
}

#[test]
fn user_and_port_in_the_target_win_over_the_config() {
    let dest = resolve("config_basic", "root@db:22");

    assert_eq!(dest.host_name, "10.0.0.5");
    assert_eq!(dest.user, "root");
    assert_eq!(dest.port, 22);
}

#[test]
fn a_host_in_no_block_is_used_as_written_with_the_local_user_when_config_has_none() {
    let dest = resolve("config_bad_port", "198.51.100.1");
    assert_eq!(dest.host_name, "198.51.100.1");
    assert_eq!(dest.user, "me");
    assert_eq!(dest.port, 22);

    let dest = resolve("no-such-config", "web9:2222");
    assert_eq!((dest.host_name.as_str(), dest.port), ("web9", 2222));
}

#[test]
fn a_bad_port_in_the_config_names_the_file_and_line() {
    let target: Target = "web1".parse().unwrap();
    let err = Destination::resolve(&target, &env_with("config_bad_port")).unwrap_err();

    let SshError::Config {
        path,
        line,
        message,
    } = &err
    else {
        panic!("expected a config error, got {err}");
    };
    assert!(path.ends_with("config_bad_port"));
    assert_eq!(*line, 3);
    assert!(message.contains("twenty-two"), "{message}");
}

#[test]
fn include_globs_are_read_relative_to_the_ssh_dir_and_match_originalhost_applies() {
    let ssh_dir = fixtures().join("include");
    let config = ssh_dir.join("config");

    let prod = read_host_config(&config, &ssh_dir, "prod").unwrap();
    assert_eq!(prod.host_name.as_deref(), Some("198.51.100.10"));
    assert_eq!(prod.port, Some(2022));
    assert_eq!(prod.user.as_deref(), Some("everyone"));

    let stage = read_host_config(&config, &ssh_dir, "stage").unwrap();
    assert_eq!(stage.host_name.as_deref(), Some("192.0.2.7"));
    assert_eq!(stage.user.as_deref(), Some("stager"));
}
