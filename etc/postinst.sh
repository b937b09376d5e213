#!/bin/sh
# postinst.sh SYSUSERSDIR TMPFILESDIR - after make install into /, as
# root: create the users (sysusers.d) and the directories (tmpfiles.d)
# the daemons need, and tell systemd about the new units.  Nothing is
# started: the configuration and the secrets come first (topshctl check).
set -e
sysusers=$1/topsh.conf
tmpfiles=$2/topsh.conf

if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers "$sysusers"
else
	# no systemd: the same users with shadow's tools
	getent group docker >/dev/null 2>&1 || groupadd --system docker
	for u in topsh-gateway topsh-proxy topsh-policy topsh-sandbox \
	    topsh-egress; do
		id "$u" >/dev/null 2>&1 || useradd --system --user-group \
		    --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin "$u"
	done
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create "$tmpfiles"
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
fi
echo "topsh installed; next: edit /etc/topsh/topsh.conf, put the secrets in /etc/topsh/secrets, run topshctl check"
