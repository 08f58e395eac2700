//! `capstan logs SERVICE` on the real engine: what a container wrote as one line comes out as
//! one line, however long.

use super::stack_support::TestStack;

/// The length of the long line: longer than three of the 16 KiB pieces Docker cuts lines into.
const LONG: usize = 60_000;

/// A service that prints one line of [`LONG`] `x`s and then `after`; perl (in the slim image)
/// answers the readiness check.
fn long_liner(name: &str) -> String {
    format!(
        r#"
        [services.{name}]
        image = "debian:bookworm-slim"
        command = ["perl", "-MIO::Socket::INET", "-e", '''
            $| = 1;
            print "x" x {LONG}, "\n";
            print "after\n";
            my $server = IO::Socket::INET->new(LocalPort => 8000, Listen => 5, ReuseAddr => 1)
                or die "listen: $!";
            while (my $client = $server->accept) {{
                <$client>;
                print $client "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
                close $client;
            }}
        ''']
        stop_grace_secs = 1
        ready = {{ http = {{ port = 8000, paths = ["/"] }}, timeout_secs = 10 }}
        "#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_prints_a_60000_byte_line_as_one_line_not_as_16_kib_pieces() {
    // Regression: a 60,000-character request line came out as 4 lines of ~16 KiB.
    let file = format!("name = \"unused\"\n{}", long_liner("long"));
    let stack = TestStack::new("long-line", Some(&file));
    let up = stack.capstan(&["up"]).await;
    assert!(up.ok, "up failed:\n{}", up.output);

    let logs = stack.capstan(&["logs", "long"]).await;

    assert!(logs.ok, "logs failed:\n{}", logs.output);
    let lengths: Vec<usize> = logs.stdout.lines().map(str::len).collect();
    assert_eq!(lengths, [LONG, "after".len()], "{}", logs.stderr);
    assert!(logs.stdout.starts_with(&"x".repeat(LONG)));
}
