# coSPEC egress relay (src-main/services/sandbox/egress-route.ts): forwards every TCP connection
# accepted on LISTEN_HOST:LISTEN_PORT to the run's proxy at TARGET (tcp:HOST:PORT in the relay
# container of the network shape, unix:/PATH inside the agent container of the socket shape), from
# one process with one select loop. socat's fork per connection cost a process start per request
# (6-17 ms on a busy machine, most of the added latency the issue caps at 5 ms); this costs nothing
# per request. perl-base is in every Debian image, so the sandbox needs no extra package for it.
# Run as: perl relay.pl LISTEN_HOST LISTEN_PORT TARGET
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(IPPROTO_TCP TCP_NODELAY SOCK_STREAM);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);

my ($host, $port, $target) = @ARGV;
die "usage: relay LISTEN_HOST LISTEN_PORT tcp:HOST:PORT|unix:/PATH\n" unless defined $target && $target =~ /^(tcp:.+:\d+|unix:.+)$/;
my $CHUNK = 131072;
# Stop reading a side while its peer has this much unwritten (backpressure, as a pipe would).
my $HIGH = 1 << 20;

my $listen = IO::Socket::INET->new(LocalAddr => $host, LocalPort => $port, Listen => 256, ReuseAddr => 1)
  or die "relay: cannot listen on $host:$port: $!\n";
$listen->blocking(0);

my $readers = IO::Select->new($listen);
my $writers = IO::Select->new();
my (%peer, %out, %eof);    # by fileno: the other socket, its pending output, whether it sent EOF

sub dial {
  return IO::Socket::UNIX->new(Peer => $1, Type => SOCK_STREAM) if $target =~ /^unix:(.+)$/;
  my ($h, $p) = $target =~ /^tcp:(.+):(\d+)$/;
  my $s = IO::Socket::INET->new(PeerAddr => $h, PeerPort => $p, Proto => 'tcp') or return;
  setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
  return $s;
}

sub close_pair {
  my ($s) = @_;
  my $fd0 = fileno $s;
  my @pair = ($s, defined $fd0 && $peer{$fd0} ? $peer{$fd0} : ());
  for my $x (@pair) {
    my $fd = fileno $x;
    next unless defined $fd;
    $readers->remove($x);
    $writers->remove($x);
    delete $peer{$fd};
    delete $out{$fd};
    delete $eof{$fd};
    close $x;
  }
}

# Writes what is pending for $s; false when the socket failed.
sub flush {
  my ($s) = @_;
  my $fd = fileno $s;
  while (length $out{$fd}) {
    my $n = syswrite($s, $out{$fd});
    if (!defined $n) {
      return 1 if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
      return 0;
    }
    substr($out{$fd}, 0, $n, '');
  }
  $writers->remove($s);
  # The source was paused while this side was full; read from it again.
  my $src = $peer{$fd};
  $readers->add($src) if $src && !$eof{ fileno $src } && !$readers->exists($src);
  shutdown($s, 1) if $src && $eof{ fileno $src };
  return 1;
}

$SIG{PIPE} = 'IGNORE';
while (1) {
  my ($r, $w) = IO::Select->select($readers, $writers, undef);
  for my $s (@{ $w // [] }) {
    next unless defined fileno $s;
    close_pair($s) unless flush($s);
  }
  for my $s (@{ $r // [] }) {
    if ($s == $listen) {
      while (my $c = $listen->accept) {
        my $u = dial();
        if (!$u) { close $c; next }
        $_->blocking(0) for $c, $u;
        setsockopt($c, IPPROTO_TCP, TCP_NODELAY, 1);
        $peer{ fileno $c } = $u;
        $peer{ fileno $u } = $c;
        $out{$_} = '' for fileno $c, fileno $u;
        $readers->add($c, $u);
      }
      next;
    }
    my $fd = fileno $s;
    next unless defined $fd && $peer{$fd};
    my $dst = $peer{$fd};
    my $n = sysread($s, my $data, $CHUNK);
    if (!defined $n) {
      next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
      close_pair($s);
      next;
    }
    if ($n == 0) {
      # Half-close: pass the EOF on once everything read so far is written.
      $eof{$fd} = 1;
      $readers->remove($s);
      shutdown($dst, 1) unless length $out{ fileno $dst };
      close_pair($s) if $eof{ fileno $dst };
      next;
    }
    $out{ fileno $dst } .= $data;
    if (!flush($dst)) { close_pair($s); next }
    if (length $out{ fileno $dst }) {
      $writers->add($dst);
      $readers->remove($s) if length $out{ fileno $dst } >= $HIGH;
    }
  }
}
