# lib-slurm.sh - a private single-node Slurm for one e2e test (sourced).
# From Debian's slurmctld, slurmd, slurm-client and munge: a munge key
# and munged (as user munge) on a socket in a temp dir, a slurm.conf made
# here (ProctrackType linuxproc, TaskPlugin none, no cgroup plugins,
# free private ports, state, spool, pid and log files in the temp dir),
# then slurmctld and slurmd. SLURM_CONF points sbatch/squeue/scancel (and
# kflake, which runs them) at it. The host's own Slurm, if any, is never
# touched.

# slurm_start: 0 when the node is idle and takes jobs; else prints why.
slurm_start() {
	SLURM_TMP=$(mktemp -d /tmp/kflake-slurm.XXXXXX)
	chmod 755 "$SLURM_TMP"
	m=$SLURM_TMP/munge
	mkdir -p "$m" "$SLURM_TMP/state" "$SLURM_TMP/spool" "$SLURM_TMP/log"
	chown munge:munge "$m"
	chmod 711 "$m"	# munged: the socket's directory must be searchable
	dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 2>/dev/null
	chown munge:munge "$m/munge.key"
	chmod 400 "$m/munge.key"
	runuser -u munge -- munged --key-file="$m/munge.key" \
		--socket="$m/munge.sock" --pid-file="$m/munged.pid" \
		--log-file="$m/munged.log" --seed-file="$m/munged.seed" ||
		{ echo "munged did not start: $(cat "$m/munged.log" 2>/dev/null)"; return 1; }
	p1=$(free_port) p2=$(free_port)
	cat > "$SLURM_TMP/slurm.conf" <<CONF
ClusterName=kflake-e2e
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$p1
SlurmdPort=$p2
AuthType=auth/munge
AuthInfo=socket=$m/munge.sock
CredType=cred/munge
StateSaveLocation=$SLURM_TMP/state
SlurmdSpoolDir=$SLURM_TMP/spool
SlurmctldPidFile=$SLURM_TMP/slurmctld.pid
SlurmdPidFile=$SLURM_TMP/slurmd.pid
SlurmctldLogFile=$SLURM_TMP/log/slurmctld.log
SlurmdLogFile=$SLURM_TMP/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
PartitionName=e2e Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
	export SLURM_CONF="$SLURM_TMP/slurm.conf"
	slurmctld -f "$SLURM_CONF" || { echo "slurmctld did not start"; slurm_logs; return 1; }
	slurmd -f "$SLURM_CONF" -N localhost || { echo "slurmd did not start"; slurm_logs; return 1; }
	i=0
	while [ $i -lt 60 ]; do
		[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	echo "the Slurm node did not become idle: $(sinfo 2>&1)"
	slurm_logs
	return 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

slurm_logs() {
	for f in "$SLURM_TMP"/log/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
	done
}

# slurm_stop: cancel what is left, wait for it, stop the daemons and
# wait until they are gone (SIGKILL after 10 s), clean up. 1 when a
# daemon had to be killed or a job would not end.
slurm_stop() {
	[ -n "${SLURM_TMP:-}" ] || return 0
	ret=0
	scancel -u "$(id -un)" 2>/dev/null
	i=0
	while [ -n "$(squeue -h 2>/dev/null)" ]; do
		[ $i -lt 60 ] || { echo "slurm_stop: jobs did not end: $(squeue 2>&1)"; ret=1; break; }
		sleep 0.5
		i=$((i + 1))
	done
	pids=
	for f in slurmd.pid slurmctld.pid munge/munged.pid; do
		[ -s "$SLURM_TMP/$f" ] && pids="$pids $(cat "$SLURM_TMP/$f")"
	done
	[ -n "$pids" ] && kill $pids 2>/dev/null
	i=0
	while :; do
		left=
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && left="$left $p"
		done
		[ -n "$left" ] || break
		if [ $i -ge 50 ]; then
			echo "slurm_stop: still running after 10 s, killed:$left"
			kill -9 $left 2>/dev/null
			ret=1
			break
		fi
		sleep 0.2
		i=$((i + 1))
	done
	rm -rf "$SLURM_TMP"
	SLURM_TMP=
	return $ret
}
