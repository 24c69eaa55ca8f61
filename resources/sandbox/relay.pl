# coSPEC egress relay (src-main/services/sandbox/egress-route.ts): forwards every TCP connection
# accepted on LISTEN_HOST:LISTEN_PORT to the run's proxy at TARGET (tcp:HOST:PORT in the relay
# container of the network shape, unix:/PATH inside the agent container of the socket shape), from
# one process with one select loop. socat's fork per connection cost a process start per request
# (6-17 ms on a busy machine, most of the added latency the issue caps at 5 ms); this costs nothing
# per request. perl-base is in every Debian image, so the sandbox needs no extra package for it.
# Bytes move with splice(2) through a pipe per direction where the kernel has it (x86_64, aarch64),
# never entering this process: a read/write copy loop cost about as much CPU per byte as the
# proxy itself (bench/sandbox.ts has the figures). Elsewhere, or if splice fails its self-test, the
# copy loop below does the same job.
# With --hand-off unix:/PATH it first offers its listening socket to the app (fd-pass.pl, put in
# front of this text, sends it; src-main/services/sandbox/listener-handoff.ts takes it): when the
# app takes it, the proxy accepts the agent's connections itself, in this network namespace, and
# this relay exits, a hop fewer for every byte. Refused, unanswered or unsupported, it relays.
# With --detach it returns once the listener is ready (handed off or relayed here, in a child), so
# whoever started it knows the port works before anything else runs.
# Run as: perl relay.pl [--hand-off unix:/PATH] [--detach] LISTEN_HOST LISTEN_PORT TARGET
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(IPPROTO_TCP TCP_NODELAY SOCK_STREAM AF_UNIX PF_UNSPEC);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use Config;

my ($handoff, $detach);
while (@ARGV && $ARGV[0] =~ /^--/) {
  my $opt = shift @ARGV;
  if ($opt eq '--hand-off' && @ARGV && $ARGV[0] =~ /^unix:(.+)$/) { $handoff = $1; shift @ARGV }
  elsif ($opt eq '--detach') { $detach = 1 }
  else { die "relay: unknown option $opt\n" }
}
my ($host, $port, $target) = @ARGV;
die "usage: relay [--hand-off unix:/PATH] [--detach] LISTEN_HOST LISTEN_PORT tcp:HOST:PORT|unix:/PATH\n"
  unless defined $target && $target =~ /^(tcp:.+:\d+|unix:.+)$/;
my $CHUNK = 131072;
# Stop reading a side while its peer has this much unwritten (backpressure, as a pipe would).
my $HIGH = 1 << 20;

# splice(2): the syscall's number on the architectures this runs on; SPLICE_F_MOVE | SPLICE_F_NONBLOCK.
my $SYS_SPLICE = $Config{archname} =~ /^x86_64-/ ? 275 : $Config{archname} =~ /^aarch64-/ ? 76 : undef;
my $SPLICE_FLAGS = 1 | 2;
my $F_SETPIPE_SZ = 1031;
my $PIPE_BYTES = 1 << 18;
sub splice_fd {
  my $n = syscall($SYS_SPLICE, $_[0], 0, $_[1], 0, $_[2], $SPLICE_FLAGS);
  return $n < 0 ? undef : $n;
}
# Whether splice works here (a seccomp profile or an old kernel may refuse it): one byte, socket to pipe to socket.
sub splice_works {
  # COSPEC_RELAY_COPY=1 forces the copy loop (its tests).
  return 0 if !defined $SYS_SPLICE || $ENV{COSPEC_RELAY_COPY};
  socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or return 0;
  socketpair(my $c, my $d, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or return 0;
  pipe(my $r, my $w) or return 0;
  syswrite($a, 'x') == 1 or return 0;
  my $in = eval { splice_fd(fileno $b, fileno $w, 1) } // 0;
  my $out = $in == 1 ? (eval { splice_fd(fileno $r, fileno $c, 1) } // 0) : 0;
  my $got = '';
  return $out == 1 && sysread($d, $got, 1) == 1 && $got eq 'x';
}
my $SPLICE = splice_works();

my $listen = IO::Socket::INET->new(LocalAddr => $host, LocalPort => $port, Listen => 256, ReuseAddr => 1)
  or die "relay: cannot listen on $host:$port: $!\n";

# Offers the listening socket to the app; true when the app took it. Bounded: a broker that does
# not answer within 5 s is taken as a refusal.
sub hand_off {
  return 0 unless fd_pass_supported();
  my $u = IO::Socket::UNIX->new(Peer => $handoff, Type => SOCK_STREAM) or return 0;
  defined send_fd(fileno $u, 'L', fileno $listen) or return 0;
  my $answer = '';
  my $ready = IO::Select->new($u);
  return 0 unless $ready->can_read(5);
  return (sysread($u, $answer, 1) // 0) == 1 && $answer eq '1';
}
exit 0 if defined $handoff && hand_off();
if ($detach) {
  my $pid = fork() // die "relay: cannot fork: $!\n";
  exit 0 if $pid;
  open(STDIN, '<', '/dev/null');
}
$listen->blocking(0);

my $readers = IO::Select->new($listen);
my $writers = IO::Select->new();
my (%peer, %out, %eof);    # by fileno: the other socket, its pending output, whether it sent EOF
# Splice mode, by fileno of the source: its pipe [read end, write end] and the bytes waiting in it.
my (%pipe, %pend);

# Bytes read from $src_fd and not yet written to its peer.
sub pending {
  my ($src_fd) = @_;
  return $SPLICE ? $pend{$src_fd} // 0 : length($out{ fileno $peer{$src_fd} } // '');
}

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
    delete $pend{$fd};
    close $_ for @{ delete $pipe{$fd} // [] };
    close $x;
  }
}

# Writes what is pending for $s; false when the socket failed.
sub flush {
  my ($s) = @_;
  my $fd = fileno $s;
  my $src = $peer{$fd};
  if ($SPLICE) {
    my $sfd = fileno $src;
    while ($pend{$sfd}) {
      my $n = splice_fd(fileno $pipe{$sfd}[0], $fd, $pend{$sfd});
      if (!defined $n) {
        return 1 if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        return 0;
      }
      $pend{$sfd} -= $n;
    }
  }
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
  $readers->add($src) if $src && !$eof{ fileno $src } && !$readers->exists($src);
  if ($src && $eof{ fileno $src }) {
    shutdown($s, 1);
    close_pair($s) if finished($s);
  }
  return 1;
}

# Both sides sent EOF and everything each sent was written to the other: the pair can go. Closing
# earlier cut off the tail of an answer still queued for a client that had half-closed first.
sub finished {
  my ($s) = @_;
  my $fd = fileno $s;
  return 0 unless defined $fd && $peer{$fd};
  my $other = fileno $peer{$fd};
  return $eof{$fd} && $eof{$other} && !pending($fd) && !pending($other);
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
        if ($SPLICE) {
          my $piped = 1;
          for my $x ($c, $u) {
            if (!pipe(my $pr, my $pw)) { $piped = 0; last }
            else {
              # A bigger pipe moves more per call; refused (the user's pipe quota) it keeps the default.
              fcntl($pw, $F_SETPIPE_SZ, $PIPE_BYTES);
              $pipe{ fileno $x } = [$pr, $pw];
              $pend{ fileno $x } = 0;
            }
          }
          if (!$piped) { close_pair($c); next }
        }
        $readers->add($c, $u);
      }
      next;
    }
    my $fd = fileno $s;
    next unless defined $fd && $peer{$fd};
    my $dst = $peer{$fd};
    if ($SPLICE) {
      # Only read while the pipe is empty: what it holds is the backpressure.
      my $n = splice_fd($fd, fileno $pipe{$fd}[1], $PIPE_BYTES);
      if (!defined $n) {
        next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
        close_pair($s);
        next;
      }
      if ($n > 0) {
        $pend{$fd} = $n;
        if (!flush($dst)) { close_pair($s); next }
        if ($pend{$fd}) { $writers->add($dst); $readers->remove($s) }
        next;
      }
    }
    my $n = $SPLICE ? 0 : sysread($s, my $data, $CHUNK);
    if (!defined $n) {
      next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
      close_pair($s);
      next;
    }
    if ($n == 0) {
      # Half-close: pass the EOF on once everything read so far is written.
      $eof{$fd} = 1;
      $readers->remove($s);
      shutdown($dst, 1) unless pending($fd);
      close_pair($s) if finished($s);
      next;
    }
    $out{ fileno $dst } .= $data;
    if (!flush($dst)) { close_pair($s); next }
    next unless defined fileno $dst;
    if (length $out{ fileno $dst }) {
      $writers->add($dst);
      $readers->remove($s) if length $out{ fileno $dst } >= $HIGH;
    }
  }
}
