#!/usr/bin/env python3
"""Serves a channel directory over loopback HTTP for tests and benchmarks.

usage: serve_channel.py ROOT LOG PORT_FILE

Listens on 127.0.0.1 on a free port (port 0), writes the port to PORT_FILE once it
listens (atomically), and appends the path of every request to LOG.
"""
import functools
import http.server
import os
import sys

root, log, port_file = sys.argv[1:4]


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        with open(log, "a") as out:
            out.write(self.path + "\n")


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 refuses a client's parallel connections
    daemon_threads = True


server = Server(("127.0.0.1", 0), functools.partial(Handler, directory=root))
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
