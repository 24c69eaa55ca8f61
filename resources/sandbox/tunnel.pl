# coSPEC egress tunnel, relay side (tunnel shape, src-main/services/sandbox/egress-tunnel.ts): for an
# engine on another machine, which cannot reach the proxy in the app. Listens on LISTEN_HOST:PORT
# (the run's internal network, where only the agent's container is) and carries every accepted
# connection over this process's stdin/stdout, which the app holds through the engine API (an exec
# stream), to the proxy in the app. The relay container itself has no network but that internal one.
#
# Frames, both ways: type (1 byte), connection id (u32 BE), length (u32 BE), payload.
#   O open (relay -> app)   D data   E end of data (half-close)   W window: the receiver wrote
#   `length` more bytes of that connection (no payload)   C closed: the sender's side is gone; the
#   receiver delivers what it already has, then closes its side too.
# Each side sends at most $WINDOW unacknowledged bytes per connection, so one slow reader cannot
# make the other side buffer without bound, and a busy connection does not stall the others.
# Run as: perl tunnel.pl LISTEN_HOST LISTEN_PORT
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use IO::Handle;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Errno qw(EAGAIN EWOULDBLOCK EINTR);

my ($host, $port) = @ARGV;
die "usage: tunnel LISTEN_HOST LISTEN_PORT\n" unless defined $port;
my $CHUNK  = 262144;
my $WINDOW = 4 << 20;
# Stop reading clients while this much waits for stdout (the app reads it as fast as it can).
my $STDOUT_HIGH = 8 << 20;

my $listen = IO::Socket::INET->new(LocalAddr => $host, LocalPort => $port, Listen => 256, ReuseAddr => 1)
  or die "tunnel: cannot listen on $host:$port: $!\n";
$listen->blocking(0);
STDIN->blocking(0);
STDOUT->blocking(0);
binmode STDIN;
binmode STDOUT;

my $readers = IO::Select->new($listen, \*STDIN);
my $writers = IO::Select->new();
my $next_id = 1;
my ($in, $to_app) = ('', '');
# Per connection id: socket, bytes waiting for the client, credit to send to the app, EOF flags.
my (%sock, %id_of, %out, %credit, %eof_from_client, %eof_from_app);

sub frame { my ($type, $id, $payload) = @_; $payload //= ''; $to_app .= pack('A1NN', $type, $id, length $payload) . $payload }
sub frame_window { my ($id, $n) = @_; $to_app .= pack('A1NN', 'W', $id, $n) }

sub want_read {
  my ($id) = @_;
  my $s = $sock{$id} or return;
  if (!$eof_from_client{$id} && $credit{$id} > 0 && length $to_app < $STDOUT_HIGH) { $readers->add($s) unless $readers->exists($s) }
  else { $readers->remove($s) }
}

sub drop {
  my ($id, $tell) = @_;
  my $s = delete $sock{$id} or return;
  $readers->remove($s);
  $writers->remove($s);
  delete $id_of{ fileno $s } if defined fileno $s;
  close $s;
  delete @{$_}{$id} for \%out, \%credit, \%eof_from_client, \%eof_from_app;
  frame('C', $id) if $tell;
}

sub maybe_finish {
  my ($id) = @_;
  drop($id, 1) if $eof_from_client{$id} && $eof_from_app{$id} && !length $out{$id};
}

sub flush_client {
  my ($id) = @_;
  my $s = $sock{$id} or return;
  my $written = 0;
  while (length $out{$id}) {
    my $n = syswrite($s, $out{$id});
    if (!defined $n) {
      last if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
      drop($id, 1);
      return;
    }
    substr($out{$id}, 0, $n, '');
    $written += $n;
  }
  frame_window($id, $written) if $written;
  if (length $out{$id}) { $writers->add($s) }
  else {
    $writers->remove($s);
    shutdown($s, 1) if $eof_from_app{$id};
    maybe_finish($id);
  }
}

sub on_frame {
  my ($type, $id, $payload) = @_;
  return unless $sock{$id};
  if ($type eq 'D') { $out{$id} .= $payload; flush_client($id) }
  elsif ($type eq 'E') { $eof_from_app{$id} = 1; flush_client($id) }
  elsif ($type eq 'C') {
    # The proxy's side is gone: deliver what it sent, then close; the client's further bytes have nowhere to go.
    ($eof_from_app{$id}, $eof_from_client{$id}) = (1, 1);
    want_read($id);
    flush_client($id);
  }
}

$SIG{PIPE} = 'IGNORE';
while (1) {
  if (length $to_app) { $writers->add(\*STDOUT) } else { $writers->remove(\*STDOUT) }
  my ($r, $w) = IO::Select->select($readers, $writers, undef);
  for my $h (@{ $w // [] }) {
    if ($h == \*STDOUT) {
      my $n = syswrite(STDOUT, $to_app);
      if (!defined $n) { next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR; exit 0 }
      substr($to_app, 0, $n, '');
      want_read($_) for keys %sock;
      next;
    }
    my $fd = fileno $h;    # undefined when an earlier event of this round closed it
    next unless defined $fd;
    my $id = $id_of{$fd} // next;
    flush_client($id);
  }
  for my $h (@{ $r // [] }) {
    if ($h == $listen) {
      while (my $c = $listen->accept) {
        $c->blocking(0);
        setsockopt($c, IPPROTO_TCP, TCP_NODELAY, 1);
        my $id = $next_id++;
        $sock{$id} = $c;
        $id_of{ fileno $c } = $id;
        ($out{$id}, $credit{$id}, $eof_from_client{$id}, $eof_from_app{$id}) = ('', $WINDOW, 0, 0);
        frame('O', $id);
        want_read($id);
      }
      next;
    }
    if ($h == \*STDIN) {
      my $n = sysread(STDIN, my $data, 1 << 20);
      if (!defined $n) { next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR; exit 0 }
      exit 0 if $n == 0;    # the app is gone: so is every connection
      $in .= $data;
      while (length $in >= 9) {
        my ($type, $id, $len) = unpack('A1NN', $in);
        if ($type eq 'W') { substr($in, 0, 9, ''); next unless $sock{$id}; $credit{$id} += $len; want_read($id); next }
        last if length $in < 9 + $len;
        my $payload = substr($in, 9, $len);
        substr($in, 0, 9 + $len, '');
        on_frame($type, $id, $payload);
      }
      next;
    }
    my $fd = fileno $h;
    next unless defined $fd;
    my $id = $id_of{$fd} // next;
    my $max = $credit{$id} < $CHUNK ? $credit{$id} : $CHUNK;
    next if $max <= 0;
    my $n = sysread($h, my $data, $max);
    if (!defined $n) {
      next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
      drop($id, 1);
      next;
    }
    if ($n == 0) {
      $eof_from_client{$id} = 1;
      frame('E', $id);
      want_read($id);
      maybe_finish($id);
      next;
    }
    $credit{$id} -= $n;
    frame('D', $id, $data);
    want_read($id);
  }
}
