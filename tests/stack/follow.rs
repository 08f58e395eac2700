//! `capstan logs SERVICE -f` on the real engine: started on a stopped service it shows the last
//! lines, then keeps following across a `docker start` and a `docker restart` of the service's
//! container, without losing or repeating a line.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::ChildStdout;

use super::stack_support::TestStack;

/// Reads lines until one contains `text`; fails naming what was read when it does not come.
async fn read_until(lines: &mut Lines<BufReader<ChildStdout>>, seen: &mut Vec<String>, text: &str) {
    let wait = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("stdout reads") {
            let found = line.contains(text);
            seen.push(line);
            if found {
                return true;
            }
        }
        false
    });
    let found = wait.await.unwrap_or(false);
    assert!(
        found,
        "`{text}` never came; read so far:\n{}",
        seen.join("\n")
    );
}

fn docker(args: &[&str]) {
    let status = std::process::Command::new("docker")
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("docker runs");
    assert!(status.success(), "docker {args:?} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_of_a_stopped_service_shows_its_tail_then_continues_across_start_and_restart() {
    // Each run of the container numbers its lines; `boot` marks each start. Perl (in the
    // slim image) answers the readiness check.
    let file = r#"
        name = "unused"
        [services.talker]
        image = "debian:bookworm-slim"
        command = ["perl", "-MIO::Socket::INET", "-e", '''
            $| = 1;
            my $run = int(rand(1e9));
            print "boot $run\n";
            if (fork) {
                for (my $i = 1; ; $i++) {
                    print "tick $i $run\n";
                    select(undef, undef, undef, 0.1);
                }
            }
            my $server = IO::Socket::INET->new(LocalPort => 8000, Listen => 5, ReuseAddr => 1)
                or die "listen: $!";
            while (my $client = $server->accept) {
                <$client>;
                print $client "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
                close $client;
            }
        ''']
        stop_grace_secs = 1
        ready = { http = { port = 8000, paths = ["/"] }, timeout_secs = 10 }
    "#;
    let stack = TestStack::new("follow", Some(file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);
    let container = stack
        .running_container("talker")
        .await
        .expect("talker runs");

    docker(&["stop", "--time", "1", &container]);

    // Following a stopped service shows its last lines, then waits for it to start.
    let mut child = stack
        .command(&["logs", "talker", "-f", "--tail", "1000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("capstan logs -f starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();

    read_until(&mut lines, &mut seen, "tick 5 ").await;
    docker(&["start", &container]);
    read_until(&mut lines, &mut seen, "tick 5 ").await;
    docker(&["restart", "--time", "1", &container]);
    read_until(&mut lines, &mut seen, "tick 5 ").await;
    let _ = child.kill().await;

    let boots = seen.iter().filter(|line| line.starts_with("boot ")).count();
    assert_eq!(boots, 3, "one boot per start:\n{}", seen.join("\n"));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        seen.len(),
        "no line twice:\n{}",
        seen.join("\n")
    );
    // Within each run the ticks count up by one: no line was lost at a restart.
    let mut expected = 1;
    for line in &seen {
        if line.starts_with("boot ") {
            expected = 1;
        } else if let Some(n) = line.split(' ').nth(1).and_then(|n| n.parse::<u32>().ok()) {
            assert_eq!(
                n,
                expected,
                "a line is missing before {line}:\n{}",
                seen.join("\n")
            );
            expected += 1;
        }
    }
}
