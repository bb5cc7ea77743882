/**
 * The process launcher, a small perl program run with `perl -e` (see launcher.ts for the Node
 * side). Node forking itself costs milliseconds of its main thread per task (fork copies the
 * page tables of everything resident); this process is a few MB, so its forks are cheap, and
 * the slow parts of starting a task (forking, creating the log file, exec) happen here and in
 * the forked children, off Node's main thread.
 *
 * It keeps a few idle children ("zygotes"), each already its own session and process group
 * leader, waiting on a pipe for a task: Node learns their pids ahead of time, so starting a task
 * is one write, with no wait for an answer. When none is idle Node asks for a fork and waits for
 * the pid (one round trip).
 *
 * Start-up: `perl -e SCRIPT <dir> <pool>`, `<dir>` a private empty folder. It makes two FIFOs
 * there, opens both read-write (so neither open waits for Node) and only then renames them to
 * `rep` and `req`, so once `req` exists Node can open both without ever blocking.
 *
 * Channels:
 * - `req` (Node -> launcher): frames of a 4-byte big-endian length, then NUL-separated fields:
 *   kind (`J` run on an idle zygote, `S` fork now and answer), the wanted number of idle
 *   zygotes, the task id, the zygote's pid (J), cwd, log file, header, command, then the
 *   environment as a change to the launcher's own (which Node chose when it started it): the
 *   number of names to remove, those names, then name, value, name, value... to set. Nothing
 *   is ever parsed as code: the fields go to chdir, open, write, %ENV and exec as data.
 * - `rep` (launcher -> Node, read synchronously by Node): the answer to an `S` frame, one line:
 *   `<id> <pid>[ <start time>]`, or `<id> E <hex message>` when it could not fork.
 * - stdout (launcher -> Node, read asynchronously), lines: `Z <pid> <start time>` a zygote is
 *   idle and ready (the start time as in /proc/<pid>/stat, empty without /proc);
 *   `D <pid>` an idle zygote died; `X <id> <raw wait status>[ <hex message>]` a task ended, the
 *   message saying why it failed before exec (status 127), or that its zygote died before the
 *   task reached it (the zygote's status: killed by a signal when Node stopped the task first).
 * - stdin: never written; EOF means Node is gone, and the launcher exits (idle zygotes then see
 *   EOF and exit; tasks' process groups are not touched: resuming the run deals with them).
 *
 * Before exec a task's process: opens the log for append as stdout and stderr, stdin from
 * /dev/null, writes the header, chdir, changes the environment as asked, and execs
 * `/bin/sh -c <command>` (signals as Node's spawn leaves them: default dispositions, none
 * blocked). Failures before exec, and zygotes' readiness, are reported through a pipe shared by
 * all children (one short write each, so atomic), which is read before a child's exit is
 * reported.
 *
 * The text must not contain a backquote or a dollar sign followed by a brace (it is a template
 * literal).
 */
export const LAUNCHER_SCRIPT = String.raw`
use strict;
# Only POSIX's XS functions, not POSIX.pm's export tables: a smaller process forks faster.
BEGIN { require XSLoader; eval { XSLoader::load('POSIX'); 1 } or require POSIX }
use Fcntl qw(O_RDONLY O_WRONLY O_RDWR O_APPEND O_CREAT O_NONBLOCK F_GETFL F_SETFL);
$0 = 'guild-launcher';
# A handler, not IGNORE: an ignored signal stays ignored across exec, a caught one does not.
$SIG{PIPE} = sub {};
my ($dir, $want) = @ARGV;
die "usage: guild-launcher <dir> [pool]\n" unless defined $dir;
$want = 2 unless defined $want && $want =~ /^\d+$/;
my %fifo;
for my $name ('rep', 'req') {
  POSIX::mkfifo("$dir/$name.new", 0600) or die "mkfifo: $!\n";
  sysopen(my $fh, "$dir/$name.new", O_RDWR) or die "open: $!\n";
  $fifo{$name} = $fh;
}
rename("$dir/rep.new", "$dir/rep") or die "rename: $!\n";
rename("$dir/req.new", "$dir/req") or die "rename: $!\n";
my ($req, $rep) = ($fifo{req}, $fifo{rep});
pipe(my $sigr, my $sigw) or die "pipe: $!\n";
pipe(my $str, my $stw) or die "pipe: $!\n";
sub nonblock { my $fh = shift; my $fl = fcntl($fh, F_GETFL, 0) or die "fcntl: $!\n"; fcntl($fh, F_SETFL, $fl | O_NONBLOCK) or die "fcntl: $!\n"; }
nonblock($_) for $sigr, $sigw, $str, \*STDOUT, \*STDIN;
$SIG{CHLD} = sub { syswrite($sigw, 'x') };

my (%task, %err, %forming, %idle, %start);
# Idle zygotes that died lately, with their wait status: Node may have handed one a task (a J
# request on its way) and stopped it before the J arrived; the task then ended as the zygote
# did, and says so. The last 64: a J follows its pick within moments.
my (%dead, @dead);
my ($in, $out, $stbuf) = ('', '', '');
my $rbits = '';
vec($rbits, $_, 1) = 1 for 0, fileno($req), fileno($sigr), fileno($str);

sub hex_of { return unpack('H*', $_[0]) }

# Zygotes' "ready" and children's failures before exec, written by them on the status pipe.
sub drain_status {
  while (1) {
    my $n = sysread($str, $stbuf, 65536, length $stbuf);
    last unless $n;
  }
  while ($stbuf =~ s/^(\d+) (R|E) ?([0-9a-f]*)\n//) {
    my ($pid, $what, $arg) = ($1, $2, $3);
    if ($what eq 'R') {
      if (my $jw = delete $forming{$pid}) {
        $idle{$pid} = $jw;
        $start{$pid} = $arg;
        $out .= "Z $pid $arg\n";
      }
    } else {
      $err{$pid} = $arg;
    }
  }
}

sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $status = $?;
    drain_status();
    my $e = delete $err{$pid};
    delete $start{$pid};
    if (defined(my $id = delete $task{$pid})) {
      $out .= defined $e ? "X $id $status $e\n" : "X $id $status\n";
    } elsif (delete $idle{$pid}) {
      $dead{$pid} = $status;
      push @dead, $pid;
      while (@dead > 64) {
        my $old = shift @dead;
        delete $dead{$old} unless grep { $_ == $old } @dead;
      }
      $out .= "D $pid\n";
    } else {
      delete $forming{$pid};
    }
  }
}

sub flush_out {
  while (length $out) {
    my $n = syswrite(STDOUT, $out);
    if (defined $n) { substr($out, 0, $n) = ''; next }
    last if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
    exit 0;
  }
}

sub reply {
  my $line = shift;
  while (length $line) {
    my $n = syswrite($rep, $line);
    if (defined $n) { substr($line, 0, $n) = ''; next }
    next if $!{EINTR};
    exit 0;
  }
}

sub read_exact {
  my ($fh, $len) = @_;
  my $buf = '';
  while (length($buf) < $len) {
    my $n = sysread($fh, $buf, $len - length($buf), length($buf));
    if (!defined $n) { next if $!{EINTR}; return undef }
    return undef if $n == 0;
  }
  return $buf;
}

# In a child: a failure before exec. Say why on the status pipe, and exit 127.
sub fail {
  syswrite($stw, "$$ E " . hex_of(substr($_[0], 0, 1500)) . "\n");
  POSIX::_exit(127);
}

# In a child: become the task. Never returns. As little as can be: every page perl writes here
# is a copy. Signals need nothing: the launcher catches (does not ignore) the ones it handles, so
# exec resets them, and fork leaves the mask as the main loop has it, empty.
sub run_job {
  my ($cwd, $log, $header, $cmd, $unset, @env) = @_;
  my $fd = POSIX::open($log, O_WRONLY | O_APPEND | O_CREAT, 0666);
  fail("cannot open its log file $log: $!") unless defined $fd;
  POSIX::dup2($fd, 1) if $fd != 1;
  POSIX::dup2($fd, 2) if $fd != 2;
  POSIX::close($fd) if $fd > 2;
  my $null = POSIX::open('/dev/null', O_RDONLY);
  fail("cannot open /dev/null: $!") unless defined $null;
  POSIX::dup2($null, 0) if $null != 0;
  POSIX::close($null) if $null > 2;
  POSIX::write(1, $header, length $header) if length $header;
  fail($!{ENOENT} ? "its working directory $cwd does not exist" : "cannot enter its working directory $cwd: $!") unless chdir($cwd);
  delete $ENV{$_} for splice(@env, 0, $unset =~ /^\d+$/ ? $unset : 0);
  for (my $i = 0; $i + 1 < @env; $i += 2) { $ENV{$env[$i]} = $env[$i + 1] }
  exec { '/bin/sh' } '/bin/sh', '-c', $cmd;
  fail("cannot run /bin/sh: $!");
}

sub run_frame {
  my (undef, undef, undef, undef, @job) = split(/\0/, $_[0], -1);
  run_job(@job);
}

# A zygote: its own session, nothing of the launcher's open, waiting for one task.
sub zygote {
  pipe(my $jr, my $jw) or return 0;
  my $pid = fork();
  return 0 unless defined $pid;
  if ($pid == 0) {
    close($jw);
    POSIX::setsid();
    my $null = POSIX::open('/dev/null', O_RDWR);
    if (defined $null) {
      POSIX::dup2($null, $_) for grep { $_ != $null } 0, 1, 2;
      POSIX::close($null) if $null > 2;
    }
    close($_) for $req, $rep, $sigr, $sigw, $str, values(%idle), values(%forming);
    # Its start time (as /proc/<pid>/stat has it), so that Node need not read it.
    my $start = '';
    if (open(my $st, '<', '/proc/self/stat')) {
      my $line = <$st>;
      close($st);
      $start = (split(' ', substr($line, rindex($line, ')') + 1)))[19] // '' if defined $line;
      $start = '' unless $start =~ /^\d+$/;
    }
    syswrite($stw, "$$ R $start\n");
    my $head = read_exact($jr, 4);
    POSIX::_exit(0) unless defined $head;
    my $frame = read_exact($jr, unpack('N', $head));
    POSIX::_exit(0) unless defined $frame;
    close($jr);
    run_frame($frame);
  }
  close($jr);
  $forming{$pid} = $jw;
  return 1;
}

sub short { return keys(%idle) + keys(%forming) < $want }

# J: hand the task to the idle zygote Node picked.
sub assign {
  my ($id, $zpid, $frame) = @_;
  my $jw = delete $idle{$zpid};
  delete $start{$zpid};
  unless ($jw) {
    my $status = delete $dead{$zpid} // 32512;
    $out .= "X $id $status " . hex_of("its process $zpid ended before the task was handed to it") . "\n";
    return;
  }
  $task{$zpid} = $id;
  my $data = pack('N', length $frame) . $frame;
  while (length $data) {
    my $n = syswrite($jw, $data);
    if (defined $n) { substr($data, 0, $n) = ''; next }
    next if $!{EINTR};
    last;
  }
  close($jw);
}

# S: a pid now. An idle zygote if there is one (Node drops it from its own list when it reads
# the answer, and ignores a late "Z" for it), else a fork, answered once the child leads its
# own session and process group.
sub direct {
  my ($id, $frame) = @_;
  my ($zpid) = keys %idle;
  if (defined $zpid) {
    my $start = $start{$zpid} // '';
    assign($id, $zpid, $frame);
    return reply("$id $zpid $start\n");
  }
  my ($rr, $rw);
  return reply("$id E " . hex_of("pipe: $!") . "\n") unless pipe($rr, $rw);
  my $pid = fork();
  unless (defined $pid) {
    my $e = "fork: $!";
    close($rr);
    close($rw);
    return reply("$id E " . hex_of($e) . "\n");
  }
  if ($pid == 0) {
    close($rr);
    POSIX::setsid();
    syswrite($rw, 'r');
    close($rw);
    run_frame($frame);
  }
  close($rw);
  while (1) { my $n = sysread($rr, my $b, 1); last if defined $n || !$!{EINTR} }
  close($rr);
  $task{$pid} = $id;
  reply("$id $pid\n");
}

sub requests {
  my $n = sysread($req, $in, 262144, length $in);
  return unless $n;
  while (length($in) >= 4) {
    my $len = unpack('N', $in);
    last if length($in) < 4 + $len;
    my $frame = substr($in, 4, $len);
    substr($in, 0, 4 + $len) = '';
    my ($kind, $w, $id, $zpid) = split(/\0/, $frame, 5);
    $want = $w if defined $w && $w =~ /^\d+$/ && $w <= 64;
    if ($kind eq 'J') { assign($id, $zpid, $frame) }
    elsif ($kind eq 'S') { direct($id, $frame) }
  }
}

# One zygote at a time between looks at the requests, so a request never waits for a batch;
# after a failed fork, wait a little before the next try.
my $pause = 0;
while (1) {
  reap();
  flush_out();
  my $r = $rbits;
  my $w;
  if (length $out) { $w = ''; vec($w, 1, 1) = 1 }
  # Perl runs a signal handler between its own steps, not in the signal: a SIGCHLD just before
  # select blocks writes to the self-pipe only after select returns. So while tasks run, select
  # never blocks for long, and a task's end is seen at most that late.
  my $n = select($r, $w, undef, short() ? $pause : %task ? 0.05 : undef);
  if ($n < 0) { next if $!{EINTR}; die "select: $!\n" }
  if ($n > 0) {
    if (vec($r, fileno($sigr), 1)) { sysread($sigr, my $junk, 4096) }
    drain_status() if vec($r, fileno($str), 1);
    requests() if vec($r, fileno($req), 1);
    if (vec($r, 0, 1)) {
      my $k = sysread(STDIN, my $junk, 4096);
      exit 0 if defined $k ? $k == 0 : !($!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR});
    }
  }
  # Report ended tasks before spending time on a fork: Node is waiting to start the next one.
  reap();
  flush_out();
  if (short() && ($n == 0 || $pause == 0)) { $pause = zygote() ? 0 : 0.1 }
}
`;
