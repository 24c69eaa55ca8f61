# coSPEC egress listener hand-off, the host's end (src-main/services/sandbox/listener-handoff.ts
# starts it; fd-pass.pl is put in front of this text). The relay in a run's container offers its
# listening socket over SOCKET_PATH (relay.pl --hand-off); this checks it is what the app expects,
# a TCP socket listening on LISTEN_HOST:LISTEN_PORT, and passes it on to the app over the Node IPC
# channel the app opened as this process's NODE_CHANNEL_FD (a "net.Server" handle message, which
# Node turns into a listening net.Server). Node cannot receive a descriptor on any other socket,
# and the packaged app cannot start a Node helper, hence perl. The app's answer ("taken" or
# "refused") goes back to the relay. One offer is taken, from whoever connects first; the socket
# is removed once it has connected, and this process exits after that one offer.
# Everything that arrives on SOCKET_PATH comes from inside a sandbox: bounded in time and size,
# checked before it reaches the app. The app checks the handle again when it arrives.
# Run as: perl -e PROGRAM -- SOCKET_PATH LISTEN_HOST LISTEN_PORT
use strict;
use warnings;
use IO::Handle;
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM SOL_SOCKET SO_TYPE SO_ACCEPTCONN AF_INET inet_aton sockaddr_family unpack_sockaddr_in);

my ($path, $want_host, $want_port) = @ARGV;
die "usage: handoff SOCKET_PATH LISTEN_HOST LISTEN_PORT\n" unless defined $want_port && $want_port =~ /^\d+$/;
my $ipc_fd = $ENV{NODE_CHANNEL_FD} // '';
die "handoff: no IPC channel from the app\n" unless $ipc_fd =~ /^\d+$/;
open(my $ipc, '+<&=', $ipc_fd) or die "handoff: IPC channel: $!\n";
$ipc->autoflush(1);
$SIG{PIPE} = 'IGNORE';

sub tell_app { syswrite($ipc, $_[0] . "\n") }

die "handoff: descriptors cannot be passed on this architecture\n" unless fd_pass_supported();
unlink $path;
my $server = IO::Socket::UNIX->new(Local => $path, Type => SOCK_STREAM, Listen => 1)
  or die "handoff: cannot listen on $path: $!\n";
# The agent's uid inside the container must connect; the run's folder keeps other host users out.
chmod 0666, $path;
tell_app('{"cospec":"listening"}');

# Until the relay connects, or the app goes away (its end of the channel closes).
my $waiting = IO::Select->new($server, $ipc);
my $conn;
until ($conn) {
  for my $ready ($waiting->can_read) {
    if ($ready == $ipc) { exit 0 if !sysread($ipc, my $ignored, 4096) }
    else { $conn = $server->accept }
  }
}
close $server;
unlink $path;

sub refuse {
  my ($reason) = @_;
  syswrite($conn, '0');
  $reason =~ s/[^\x20-\x7e]/?/g;
  tell_app(qq({"cospec":"refused","reason":"$reason"}));
  exit 0;
}

refuse('the relay sent nothing within 5 s') unless IO::Select->new($conn)->can_read(5);
my ($data, $fds, $truncated) = recv_fd(fileno $conn, 16);
refuse("the offer could not be read: $!") unless defined $data;
refuse('the offer did not carry exactly one descriptor') if $truncated || @$fds != 1 || $data ne 'L';
my $fd = $fds->[0];
open(my $offered, '+<&=', $fd) or refuse("the descriptor cannot be opened: $!");
my $type = getsockopt($offered, SOL_SOCKET, SO_TYPE);
my $listening = getsockopt($offered, SOL_SOCKET, SO_ACCEPTCONN);
my $name = getsockname($offered);
refuse('the descriptor is not a listening TCP socket')
  unless defined $type && unpack('i', $type) == SOCK_STREAM
  && defined $listening && unpack('i', $listening) == 1
  && defined $name && sockaddr_family($name) == AF_INET;
my ($port, $addr) = unpack_sockaddr_in($name);
refuse("the socket listens on another address (port $port)")
  unless $port == $want_port && $addr eq (inet_aton($want_host) // '');

defined send_fd($ipc_fd, '{"cmd":"NODE_HANDLE","type":"net.Server","msg":{"cospec":"egress-listener"}}' . "\n", $fd)
  or refuse("the descriptor could not be passed to the app: $!");
close $offered;

# The app answers after checking the handle; Node's own acknowledgement comes first.
my ($answer, $verdict) = ('', '');
my $deadline = time + 10;
while (!$verdict && time < $deadline && length $answer < 65536) {
  last unless IO::Select->new($ipc)->can_read($deadline - time);
  last unless sysread($ipc, $answer, 4096, length $answer);
  $verdict = $1 if $answer =~ /(?:^|\n)\{"cospec":"(taken|refused)"\}\n/;
}
syswrite($conn, $verdict eq 'taken' ? '1' : '0');
exit 0;
