# The log writer of the benchmarks (scripts/bench-logs, scripts/bench-dashboard-logs), run by
# the perl of debian:bookworm-slim: perl -e "$(cat scripts/bench-writer.pl)" RATE [PORT]
#
# Writes lines to stdout as fast as it can (RATE 0) or at RATE lines a second. There is no
# Time::HiRes in the base image, so the clock is /proc/uptime (10 ms steps). About one line in
# 100 is an ERROR, one in 37 a JSON warning, the rest access-log-like INFO lines of ~75 bytes;
# every line carries its number as id=N ("id":N in JSON). With PORT, a second process answers
# HTTP there (a stack's readiness check).
my ($rate, $port) = @ARGV;
if ($port && fork) {
	require IO::Socket::INET;
	my $server = IO::Socket::INET->new(LocalPort => $port, Listen => 5, ReuseAddr => 1)
		or die "listen: $!";
	while (my $client = $server->accept) {
		<$client>;
		print $client "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
		close $client;
	}
	exit;
}
$| = 0;
my @paths = ("/api/people", "/api/people/7", "/api/ready", "/", "/static/app.js");
sub uptime { open(my $f, "<", "/proc/uptime") or die; my $l = <$f>; close $f; (split / /, $l)[0] }
my $start = uptime();
my $i = 0;
while (1) {
	if ($rate > 0 && $i >= (uptime() - $start) * $rate) {
		$| = 1; $| = 0;
		select(undef, undef, undef, 0.002);
		next;
	}
	for (1 .. 100) {
		$i++;
		if ($i % 100 == 0) {
			print "ERROR api request id=$i failed: pool timed out after 5000 ms status=503\n";
		} elsif ($i % 37 == 0) {
			print "{\"level\":\"warn\",\"msg\":\"slow query\",\"id\":$i,\"latency_ms\":912}\n";
		} else {
			printf "INFO api request id=%d method=GET path=%s status=200 latency_ms=%d\n",
				$i, $paths[$i % 5], $i % 97;
		}
	}
}
