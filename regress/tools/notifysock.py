#!/usr/bin/env python3
# notifysock.py PATH - stand in for systemd's notification socket: print
# every datagram received on the unix socket PATH, one line each, with
# newlines inside a message shown as " | ".
import os, socket, sys
path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
while True:
    data = s.recv(4096)
    print(data.decode(errors="replace").replace("\n", " | "), flush=True)
