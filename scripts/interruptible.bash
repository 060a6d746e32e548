# Sourced by scripts/test and scripts/kick-stress, which set prog first
# (with or without set -e).
#
# An interrupted run (SIGINT, SIGTERM, SIGHUP to the script) ends with
# "$prog: interrupted" and status 128+signal (130, 143, 129): it neither
# goes on with the next step nor trusts the status the interrupted command
# made up (the ginkgo CLI, signalled, stops between suites and exits 0,
# "Test Suite Passed").
#
# run CMD... runs CMD (a command or a shell function) as a job with a
# process group of its own, stdin from /dev/null, and returns its status.
# A signal to the script is passed on to that whole group, so it reaches
# the program behind `go run` or `go tool` too (the go command ignores
# SIGINT and dies of SIGTERM without passing it on); the script then waits
# for the group to finish (at most 10 s, then SIGKILL), says so and exits.
# Commands that need the terminal (sudo asking for a password) are not run
# with run: Ctrl-C reaches them directly, and the script stops after them.

_job= _interrupted= _signal= _starting= _forwarded=
_on_signal() {
	_interrupted=$2 _signal=$1
	if [ -n "$_job" ]; then
		kill -s "$1" -- "-$_job" 2>/dev/null || true
		_forwarded=1
	elif [ -z "$_starting" ]; then
		echo "$prog: interrupted" >&2
		exit "$2"
	fi
}
trap '_on_signal INT 130' INT
trap '_on_signal TERM 143' TERM
trap '_on_signal HUP 129' HUP

run() {
	local rc i
	_starting=1 _forwarded=
	set -m # only to give the job its own process group
	# A job that is a shell function stops at the signal too, not after
	# the command that handled it (bash goes on when a child exits by
	# itself on SIGINT).
	{
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'exit 129' HUP
		"$@"
	} </dev/null &
	_job=$!
	set +m
	_starting=
	# A signal that came while the job was being started.
	if [ -n "$_interrupted" ] && [ -z "$_forwarded" ]; then
		kill -s "$_signal" -- "-$_job" 2>/dev/null || true
	fi
	while :; do
		rc=0
		wait "$_job" || rc=$?
		# wait returns early (status > 128) when a trapped signal comes;
		# the job then runs until it has handled it.
		if [ -n "$_interrupted" ] && kill -0 "$_job" 2>/dev/null; then
			continue
		fi
		break
	done
	if [ -n "$_interrupted" ]; then
		for i in $(seq 100); do
			kill -0 -- "-$_job" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$_job" 2>/dev/null || true
		_job=
		echo "$prog: interrupted" >&2
		exit "$_interrupted"
	fi
	_job=
	return "$rc"
}
