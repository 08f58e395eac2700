//! Host key verification against the real test sshd.

use std::process::Command;

use capstan::ssh::{NewHostKey, SshError};

use crate::support::{Sandbox, connect_with, new_key, ssh_keygen_fingerprint, sshd};

#[tokio::test]
async fn an_unknown_host_key_is_refused_with_the_fingerprint_ssh_keygen_shows() {
    let sshd = sshd();
    let sandbox = Sandbox::new();

    let err = connect_with(&sandbox, &sshd, NewHostKey::Refuse)
        .await
        .unwrap_err();

    let SshError::HostKeyUnknown {
        key_type,
        fingerprint,
        ..
    } = &err
    else {
        panic!("expected HostKeyUnknown, got {err}");
    };
    assert_eq!(key_type, "ssh-ed25519");
    assert_eq!(fingerprint, &ssh_keygen_fingerprint(&sshd.host_key_pub));
    assert!(err.to_string().contains(fingerprint.as_str()), "{err}");
    assert!(
        !sandbox.env.capstan_known_hosts.exists(),
        "nothing is recorded without a yes"
    );
}

#[tokio::test]
async fn an_unknown_host_key_accepted_explicitly_is_recorded_and_then_known() {
    let sshd = sshd();
    let sandbox = Sandbox::new();

    let session = connect_with(&sandbox, &sshd, NewHostKey::Accept)
        .await
        .unwrap();
    assert!(session.host_key().newly_recorded);
    session.close().await.unwrap();

    let recorded = std::fs::read_to_string(&sandbox.env.capstan_known_hosts).unwrap();
    assert!(
        recorded.starts_with("[127.0.0.1]:2222 ssh-ed25519 "),
        "{recorded}"
    );
    let again = connect_with(&sandbox, &sshd, NewHostKey::Refuse)
        .await
        .unwrap();
    assert!(!again.host_key().newly_recorded);
    assert_eq!(
        again.host_key().fingerprint,
        ssh_keygen_fingerprint(&sshd.host_key_pub)
    );
}

#[tokio::test]
async fn accepting_one_fingerprint_does_not_accept_a_different_key() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    let other = new_key(sandbox.dir.path(), "other", "");
    let other_fingerprint = ssh_keygen_fingerprint(&other.with_extension("pub"));

    let err = connect_with(
        &sandbox,
        &sshd,
        NewHostKey::AcceptFingerprint(other_fingerprint),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SshError::HostKeyUnknown { .. }), "{err}");

    let shown = ssh_keygen_fingerprint(&sshd.host_key_pub);
    let session = connect_with(&sandbox, &sshd, NewHostKey::AcceptFingerprint(shown)).await;
    assert!(session.unwrap().host_key().newly_recorded);
}

#[tokio::test]
async fn a_changed_host_key_is_refused_with_both_fingerprints_even_when_accepting_new_keys() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    let impostor = new_key(sandbox.dir.path(), "recorded_host_key", "");
    let recorded_pub = std::fs::read_to_string(impostor.with_extension("pub")).unwrap();
    let known_hosts = sandbox.home().join(".ssh/known_hosts");
    std::fs::write(&known_hosts, format!("[127.0.0.1]:2222 {recorded_pub}")).unwrap();

    let err = connect_with(&sandbox, &sshd, NewHostKey::Accept)
        .await
        .unwrap_err();

    let SshError::HostKeyChanged {
        expected,
        found,
        recorded_at,
        ..
    } = &err
    else {
        panic!("expected HostKeyChanged, got {err}");
    };
    let recorded = ssh_keygen_fingerprint(&impostor.with_extension("pub"));
    let offered = ssh_keygen_fingerprint(&sshd.host_key_pub);
    assert!(expected.contains(&recorded), "{expected}");
    assert!(found.contains(&offered), "{found}");
    assert!(recorded_at.ends_with(".ssh/known_hosts:1"), "{recorded_at}");
    let message = err.to_string();
    assert!(
        message.contains(&recorded) && message.contains(&offered),
        "{message}"
    );
    assert!(
        !sandbox.env.capstan_known_hosts.exists(),
        "the offered key is not recorded"
    );
}

#[tokio::test]
async fn a_hashed_known_hosts_entry_made_by_ssh_keygen_is_matched() {
    let sshd = sshd();
    let sandbox = Sandbox::new();
    let host_key = std::fs::read_to_string(&sshd.host_key_pub).unwrap();
    let known_hosts = sandbox.home().join(".ssh/known_hosts");
    std::fs::write(&known_hosts, format!("[127.0.0.1]:2222 {host_key}")).unwrap();
    let status = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&known_hosts)
        .status();
    assert!(status.unwrap().success(), "ssh-keygen -H hashes the file");
    let hashed = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(
        hashed.starts_with("|1|") && !hashed.contains("127.0.0.1"),
        "{hashed}"
    );

    let session = connect_with(&sandbox, &sshd, NewHostKey::Refuse)
        .await
        .unwrap();

    assert!(!session.host_key().newly_recorded);
}
