# coSPEC: passing a file descriptor over a unix socket (SCM_RIGHTS), for the egress listener's
# hand-off (src-main/services/sandbox/listener-handoff.ts). perl-base has no sendmsg or recvmsg, so
# they are made with syscall(2) on the two 64-bit architectures the sandbox runs on, whose struct
# msghdr and cmsghdr share one layout; anywhere else fd_pass_supported() is false and callers keep
# their fallback. This text is put in front of relay.pl and handoff.pl when either is run.
use strict;
use warnings;
use Config;
use Socket qw(SOL_SOCKET);

my ($FD_PASS_SENDMSG, $FD_PASS_RECVMSG) =
  $Config{archname} =~ /^x86_64-/ ? (46, 47) : $Config{archname} =~ /^aarch64-/ ? (211, 212) : ();
my $SCM_RIGHTS = 1;
my $MSG_CMSG_CLOEXEC = 0x40000000;
# struct msghdr: name, namelen, iov, iovlen, control, controllen, flags.
my $MSGHDR = 'QLx4QQQQlx4';
# CMSG_LEN(sizeof(int)) and CMSG_SPACE(sizeof(int)) on these architectures.
my ($CMSG_LEN_FD, $CMSG_SPACE_FD) = (20, 24);

sub fd_pass_supported { return defined $FD_PASS_SENDMSG && ($Config{ptrsize} // 0) == 8 }

# The address of a string's buffer. The caller keeps the string alive and unchanged until the
# syscall returns; vec() first makes it a buffer of its own (no copy-on-write sharing).
sub fd_pass_address {
  vec($_[0], 0, 8) = vec($_[0], 0, 8);
  return unpack('Q', pack('P', $_[0]));
}

# Sends $data (at least one byte) with $fd attached on the connected unix socket $sock_fd; the
# bytes sent, or undef with $! set.
sub send_fd {
  my ($sock_fd, $data, $fd) = @_;
  my $payload = "$data";
  my $control = pack('QiiiI', $CMSG_LEN_FD, SOL_SOCKET, $SCM_RIGHTS, $fd, 0);
  my $iov = pack('QQ', fd_pass_address($payload), length $payload);
  my $msg = pack($MSGHDR, 0, 0, fd_pass_address($iov), 1, fd_pass_address($control), length $control, 0);
  my $n = syscall($FD_PASS_SENDMSG, $sock_fd, $msg, 0);
  return $n < 0 ? undef : $n;
}

# Receives up to $max bytes from the unix socket $sock_fd and the descriptors attached to them
# (close-on-exec): (bytes, [descriptors], whether the kernel dropped some that did not fit). The
# buffer holds two, so a sender attaching more than one is seen (and refused by the caller).
# Returns an empty list on error, with $! set.
sub recv_fd {
  my ($sock_fd, $max) = @_;
  my $buf = "\0" x $max;
  my $control = "\0" x ($CMSG_SPACE_FD + 8);
  my $iov = pack('QQ', fd_pass_address($buf), $max);
  my $msg = pack($MSGHDR, 0, 0, fd_pass_address($iov), 1, fd_pass_address($control), length $control, 0);
  my $n = syscall($FD_PASS_RECVMSG, $sock_fd, $msg, $MSG_CMSG_CLOEXEC);
  return () if $n < 0;
  my (undef, undef, undef, undef, undef, $control_len, $flags) = unpack($MSGHDR, $msg);
  my @fds;
  if ($control_len >= 16) {
    my ($len, $level, $type) = unpack('Qii', $control);
    @fds = unpack('I*', substr($control, 16, $len - 16)) if $level == SOL_SOCKET && $type == $SCM_RIGHTS && $len > 16 && $len <= $control_len;
  }
  # MSG_CTRUNC (8): the kernel closed descriptors that did not fit.
  return (substr($buf, 0, $n), \@fds, $flags & 8 ? 1 : 0);
}
