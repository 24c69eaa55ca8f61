# coSPEC egress tunnel, relay side (tunnel shape, src-main/services/sandbox/egress-tunnel.ts): for an
# engine on another machine, which cannot reach the proxy in the app. Listens on LISTEN_HOST:PORT
# (the run's internal network, where only the agent's container is) and carries every accepted
# connection over this process's stdin/stdout, which the app holds through the engine API (attached:
# this is the relay container's main process), to the proxy in the app. The relay container itself
# has no network but that internal one.
#
# Frames, both ways: type (1 byte), connection id (u32 BE), length (u32 BE), payload.
#   O open (relay -> app)   D data   E end of data (half-close)   W window: the receiver wrote
#   `length` more bytes of that connection (no payload)   C closed: the sender's side is gone; the
#   receiver delivers what it already has, then closes its side too.
# Each side sends at most $WINDOW unacknowledged bytes per connection, so one slow reader cannot
# make the other side buffer without bound, and a busy connection does not stall the others.
# Bytes are copied as little as perl allows: a data frame from the app is written to its client
# straight out of the input buffer as it arrives (not once whole, not through a per-frame string),
# a client's bytes are read straight into the output buffer behind a header filled in afterwards,
# and window frames wait until they cover an eighth of the window. Copying each frame into a string
# of its own, joining, and a window frame per read cost more CPU than the reads (bench/sandbox.ts).
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
my $HEADER = 9;
my $WINDOW = 4 << 20;
# Bytes written to a client before they are acknowledged: each window frame crosses the engine's
# attach stream (several processes), so one per read of stdin cost more than the reads themselves.
# Below the window, so a sender that has used it all always hears back.
my $ACK_MIN = $WINDOW >> 3;
# Stop reading clients while this much waits for stdout (the app reads it as fast as it can).
my $STDOUT_HIGH = 8 << 20;

my $listen = IO::Socket::INET->new(LocalAddr => $host, LocalPort => $port, Listen => 256, ReuseAddr => 1)
  or die "tunnel: cannot listen on $host:$port: $!\n";
$listen->blocking(0);
STDIN->blocking(0);
STDOUT->blocking(0);
binmode STDIN;
binmode STDOUT;
# Bigger pipes let each read and write move more while the other end is busy; refused (not a pipe,
# or over the user's pipe quota), they keep their size.
my $F_SETPIPE_SZ = 1031;
fcntl($_, $F_SETPIPE_SZ, 1 << 20) for \*STDIN, \*STDOUT;

my $readers = IO::Select->new($listen, \*STDIN);
my $writers = IO::Select->new();
my $next_id = 1;
my ($in, $to_app) = ('', '');
# How much of $to_app was written already: cut off only once it is most of the string, since a cut
# string moves its rest back to the start on the next append.
my $to_app_pos = 0;
sub to_app_pending { length($to_app) - $to_app_pos }
my $NUL_HEADER = "\0" x $HEADER;
# The frame being read from the app whose payload has not all arrived: its type, id and bytes left.
my ($cur_type, $cur_id, $cur_left) = ('', 0, 0);
# Per connection id: socket, bytes waiting for the client, credit to send to the app, EOF flags,
# bytes written to the client not yet acknowledged to the app.
my (%sock, %id_of, %out, %credit, %eof_from_client, %eof_from_app, %ack);

sub frame { my ($type, $id) = @_; $to_app .= pack('A1NN', $type, $id, 0) }
# Acknowledgements gather until they are worth a frame; a connection that ends needs none.
sub send_acks {
  for my $id (keys %ack) {
    next if $ack{$id} < $ACK_MIN;
    $to_app .= pack('A1NN', 'W', $id, delete $ack{$id});
  }
}

sub want_read {
  my ($id) = @_;
  my $s = $sock{$id} or return;
  if (!$eof_from_client{$id} && $credit{$id} > 0 && to_app_pending() < $STDOUT_HIGH) { $readers->add($s) unless $readers->exists($s) }
  else { $readers->remove($s) }
}

sub drop {
  my ($id, $tell) = @_;
  my $s = delete $sock{$id} or return;
  $readers->remove($s);
  $writers->remove($s);
  delete $id_of{ fileno $s } if defined fileno $s;
  close $s;
  delete @{$_}{$id} for \%out, \%credit, \%eof_from_client, \%eof_from_app, \%ack;
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
  $ack{$id} += $written if $written;
  if (length $out{$id}) { $writers->add($s) }
  else {
    $writers->remove($s);
    shutdown($s, 1) if $eof_from_app{$id};
    maybe_finish($id);
  }
}

# $len bytes of a data frame for $id, at $off in $in: written to the client at once when nothing
# waits before them, and only what the socket does not take is copied to wait in $out{$id}.
sub deliver {
  my ($id, $off, $len) = @_;
  my $s = $sock{$id} or return;
  if (!length $out{$id}) {
    my $n = syswrite($s, $in, $len, $off);
    if (!defined $n) {
      if ($! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR) { $n = 0 }
      else { drop($id, 1); return }
    }
    $ack{$id} += $n if $n;
    ($off, $len) = ($off + $n, $len - $n);
  }
  return unless $len;
  $out{$id} .= substr($in, $off, $len);
  $writers->add($s);
}

# Frames without payload from the app (a payload on them is skipped).
sub on_frame {
  my ($type, $id) = @_;
  return unless $sock{$id};
  if ($type eq 'E') { $eof_from_app{$id} = 1; flush_client($id) }
  elsif ($type eq 'C') {
    # The proxy's side is gone: deliver what it sent, then close; the client's further bytes have nowhere to go.
    ($eof_from_app{$id}, $eof_from_client{$id}) = (1, 1);
    want_read($id);
    flush_client($id);
  }
}

# Reads what the client of $id sent into a data frame, or notes its end.
sub read_client {
  my ($id) = @_;
  my $s = $sock{$id} or return;
  my $max = $credit{$id} < $CHUNK ? $credit{$id} : $CHUNK;
  return if $max <= 0;
  # Read straight into the output behind room for the header, which is filled in once the length is known.
  my $at = length $to_app;
  $to_app .= $NUL_HEADER;
  my $n = sysread($s, $to_app, $max, $at + $HEADER);
  if (!defined $n || $n == 0) {
    substr($to_app, $at) = '';
    if (!defined $n) {
      return if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
      drop($id, 1);
      return;
    }
    $eof_from_client{$id} = 1;
    frame('E', $id);
    want_read($id);
    maybe_finish($id);
    return;
  }
  substr($to_app, $at, $HEADER) = pack('A1NN', 'D', $id, $n);
  $credit{$id} -= $n;
  want_read($id);
}

$SIG{PIPE} = 'IGNORE';
while (1) {
  send_acks();
  if (to_app_pending()) { $writers->add(\*STDOUT) } else { $writers->remove(\*STDOUT) }
  my ($r, $w) = IO::Select->select($readers, $writers, undef);
  for my $h (@{ $w // [] }) {
    if ($h == \*STDOUT) {
      my $n = syswrite(STDOUT, $to_app, to_app_pending(), $to_app_pos);
      if (!defined $n) { next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR; exit 0 }
      $to_app_pos += $n;
      if ($to_app_pos == length $to_app) { ($to_app, $to_app_pos) = ('', 0) }
      elsif ($to_app_pos > (1 << 20) && $to_app_pos > to_app_pending()) { substr($to_app, 0, $to_app_pos, ''); $to_app_pos = 0 }
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
        # A client speaks first (its CONNECT or request is usually there already): read it now, so
        # the open frame and the first bytes cross the engine as one message instead of two.
        read_client($id);
        want_read($id);
      }
      next;
    }
    if ($h == \*STDIN) {
      my $n = sysread(STDIN, $in, 1 << 20, length $in);
      if (!defined $n) { next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR; exit 0 }
      exit 0 if $n == 0;    # the app is gone: so is every connection
      my $pos = 0;
      while (1) {
        my $avail = length($in) - $pos;
        if ($cur_left) {
          last unless $avail;
          my $take = $avail < $cur_left ? $avail : $cur_left;
          deliver($cur_id, $pos, $take) if $cur_type eq 'D';
          ($pos, $cur_left) = ($pos + $take, $cur_left - $take);
          next if $cur_left;
          on_frame($cur_type, $cur_id) if $cur_type ne 'D';
          next;
        }
        last if $avail < $HEADER;
        my ($type, $id, $len) = unpack("\@$pos A1NN", $in);
        $pos += $HEADER;
        if ($type eq 'W') { next unless $sock{$id}; $credit{$id} += $len; want_read($id); next }
        ($cur_type, $cur_id, $cur_left) = ($type, $id, $len);
        on_frame($type, $id) if !$len && $type ne 'D';
      }
      # What is left is at most part of a header: everything else was delivered or copied out.
      substr($in, 0, $pos, '');
      next;
    }
    my $fd = fileno $h;
    next unless defined $fd;
    my $id = $id_of{$fd} // next;
    read_client($id);
  }
}
