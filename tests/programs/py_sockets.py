#!/usr/bin/env python3
"""Echo server and checking client in plain Python 3 (stdlib only, nothing of Weft).

  py_sockets.py server HOST PORT             selectors echo server (many clients)
  py_sockets.py client HOST PORT [BYTES]     selectors client: 4 connections at once
  py_sockets.py asyncio-server HOST PORT     asyncio.start_server echo server
  py_sockets.py asyncio-client HOST PORT [BYTES]  asyncio.open_connection client: 4 at once

Servers print "listening HOST PORT" (the actual port when PORT is 0) once
ready, serve TCP echo (a half-closed client gets the rest of its echo, then
EOF) until SIGTERM/SIGINT or EOF on stdin, and print a "done" line.
Clients open 4 connections at once, send BYTES (default 262144) of a distinct
pattern on each, interleaved, half-close, and check the echo byte for byte and
that EOF comes after exactly BYTES. Exit 0 only if everything matched;
otherwise a message on stderr and exit 1 (2 for bad arguments).
The pattern is tests/programs/prog_common.c's (stream 30 + connection index).
"""
import asyncio
import errno
import os
import selectors
import signal
import socket
import struct
import sys

CONNECTIONS = 4
CHUNK = 65536
WAIT_S = 30
MASK = (1 << 64) - 1


class Failure(Exception):
    pass


class Stop(Exception):
    pass


def pattern(stream, offset, n):
    """Bytes [offset, offset+n) of a pattern stream, as prog_common.c makes them."""
    if n == 0:
        return b""
    first, last = offset // 8, (offset + n - 1) // 8
    words = []
    for i in range(first, last + 1):
        x = ((i + 1) * 0x9E3779B97F4A7C15 + stream * 0xD6E8FEB86659FD93) & MASK
        x ^= x >> 29
        x = (x * 0xBF58476D1CE4E5B9) & MASK
        x ^= x >> 32
        words.append(x)
    raw = struct.pack("<%dQ" % len(words), *words)
    start = offset - first * 8
    return raw[start:start + n]


def address(host, port):
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM,
                                   flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
    except (socket.gaierror, ValueError) as e:
        print("py_sockets.py: bad address %s %s: %s" % (host, port, e), file=sys.stderr)
        sys.exit(2)
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def say(line):
    print(line, flush=True)


def check_echo(stream, received, data):
    want = pattern(stream, received, len(data))
    if data != want:
        bad = next(i for i in range(len(data)) if data[i] != want[i])
        raise Failure("connection %d: echoed byte %d is 0x%02x, sent 0x%02x"
                      % (stream - 30, received + bad, data[bad], want[bad]))


# ---- selectors ----------------------------------------------------------------

def on_term(signum, frame):
    raise Stop()


def selectors_server(host, port):
    family, sockaddr = address(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(sockaddr)
    listener.listen(128)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "listener")
    try:
        sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    except (PermissionError, OSError, ValueError):
        pass  # stdin is a file or /dev/null: only a signal ends the server
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    say("listening %s %d" % (host, listener.getsockname()[1]))
    clients = 0
    echoed = 0
    # Per connection: bytes received and not yet echoed, and whether it sent EOF.
    # While an echo is pending the server waits to write, not to read, so a slow
    # reader holds back only its own connection.
    state = {}
    try:
        while True:
            for key, events in sel.select():
                if key.data == "listener":
                    try:
                        conn, _ = listener.accept()
                    except BlockingIOError:
                        continue
                    conn.setblocking(False)
                    state[conn] = [b"", False]
                    sel.register(conn, selectors.EVENT_READ, "conn")
                    clients += 1
                elif key.data == "stdin":
                    if not os.read(key.fd, 256):
                        raise Stop()
                else:
                    conn = key.fileobj
                    st = state[conn]
                    try:
                        if st[0]:
                            n = conn.send(st[0])
                            st[0] = st[0][n:]
                            echoed += n
                        else:
                            data = conn.recv(CHUNK)
                            if not data:
                                st[1] = True
                            st[0] = data
                    except BlockingIOError:
                        continue
                    except OSError as e:
                        print("py_sockets.py: client dropped: %s" % e, file=sys.stderr)
                        st[0], st[1] = b"", True
                    if st[0]:
                        sel.modify(conn, selectors.EVENT_WRITE, "conn")
                    elif st[1]:
                        sel.unregister(conn)
                        conn.close()
                        del state[conn]
                    else:
                        sel.modify(conn, selectors.EVENT_READ, "conn")
    except Stop:
        pass
    for conn in state:
        conn.close()
    listener.close()
    say("py server done clients=%d bytes=%d" % (clients, echoed))
    return 0


def selectors_client(host, port, total):
    family, sockaddr = address(host, port)
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(CONNECTIONS):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex(sockaddr)
        if rc not in (0, errno.EINPROGRESS):
            raise Failure("connection %d: connect: %s" % (i, errno.errorcode.get(rc, rc)))
        c = {"i": i, "sock": s, "sent": 0, "received": 0, "connected": False, "done": False}
        conns.append(c)
        sel.register(s, selectors.EVENT_WRITE, c)
    left = CONNECTIONS
    while left:
        ready = sel.select(WAIT_S)
        if not ready:
            raise Failure("nothing happened for %d s; %d connections unfinished" % (WAIT_S, left))
        for key, events in ready:
            c = key.data
            s = c["sock"]
            stream = 30 + c["i"]
            if not c["connected"]:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise Failure("connection %d: connect failed: %s" % (c["i"], errno.errorcode.get(err, err)))
                c["connected"] = True
            if events & selectors.EVENT_WRITE and c["sent"] < total:
                try:
                    n = s.send(pattern(stream, c["sent"], min(CHUNK, total - c["sent"])))
                    c["sent"] += n
                except BlockingIOError:
                    pass
                if c["sent"] == total:
                    s.shutdown(socket.SHUT_WR)
            if events & selectors.EVENT_READ:
                try:
                    data = s.recv(CHUNK)
                except BlockingIOError:
                    data = None
                if data == b"":
                    if c["received"] != total:
                        raise Failure("connection %d: EOF after %d of %d bytes" % (c["i"], c["received"], total))
                    sel.unregister(s)
                    s.close()
                    left -= 1
                    say("conn %d ok bytes=%d" % (c["i"], total))
                    continue
                if data:
                    if c["received"] + len(data) > c["sent"]:
                        raise Failure("connection %d: more echoed than sent" % c["i"])
                    check_echo(stream, c["received"], data)
                    c["received"] += len(data)
            sel.modify(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if c["sent"] < total else 0), c)
    say("py client ok conns=%d bytes=%d" % (CONNECTIONS, total))
    return 0


# ---- asyncio ------------------------------------------------------------------

async def asyncio_server_main(host, port):
    family, sockaddr = address(host, port)
    counts = {"clients": 0, "bytes": 0}

    async def handle(reader, writer):
        counts["clients"] += 1
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
                counts["bytes"] += len(data)
        except OSError as e:
            print("py_sockets.py: client dropped: %s" % e, file=sys.stderr)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, sockaddr[0], sockaddr[1], family=family)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def on_stdin():
        if not os.read(sys.stdin.fileno(), 256):
            stop.set()
    try:
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    except (PermissionError, OSError, ValueError):
        pass  # stdin is a file or /dev/null: only a signal ends the server
    say("listening %s %d" % (host, server.sockets[0].getsockname()[1]))
    await stop.wait()
    server.close()
    await server.wait_closed()
    say("py asyncio-server done clients=%d bytes=%d" % (counts["clients"], counts["bytes"]))
    return 0


async def asyncio_one(i, family, sockaddr, total):
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(sockaddr[0], sockaddr[1], family=family), WAIT_S)
    stream = 30 + i

    async def send_all():
        for off in range(0, total, CHUNK):
            writer.write(pattern(stream, off, min(CHUNK, total - off)))
            await writer.drain()
        writer.write_eof()

    sender = asyncio.create_task(send_all())
    received = 0
    while True:
        data = await asyncio.wait_for(reader.read(CHUNK), WAIT_S)
        if not data:
            break
        check_echo(stream, received, data)
        received += len(data)
        if received > total:
            raise Failure("connection %d: more echoed than sent" % i)
    await sender
    writer.close()
    if received != total:
        raise Failure("connection %d: EOF after %d of %d bytes" % (i, received, total))
    say("conn %d ok bytes=%d" % (i, total))


async def asyncio_client_main(host, port, total):
    family, sockaddr = address(host, port)
    await asyncio.gather(*(asyncio_one(i, family, sockaddr, total) for i in range(CONNECTIONS)))
    say("py asyncio-client ok conns=%d bytes=%d" % (CONNECTIONS, total))
    return 0


def main(argv):
    modes = ("server", "client", "asyncio-server", "asyncio-client")
    if len(argv) not in (4, 5) or argv[1] not in modes or (len(argv) == 5 and argv[1].endswith("server")):
        print("usage: py_sockets.py {server|asyncio-server} HOST PORT\n"
              "       py_sockets.py {client|asyncio-client} HOST PORT [BYTES]", file=sys.stderr)
        return 2
    mode, host, port = argv[1], argv[2], argv[3]
    total = int(argv[4]) if len(argv) == 5 else 262144
    try:
        if mode == "server":
            return selectors_server(host, port)
        if mode == "client":
            return selectors_client(host, port, total)
        if mode == "asyncio-server":
            return asyncio.run(asyncio_server_main(host, port))
        return asyncio.run(asyncio_client_main(host, port, total))
    except (Failure, OSError, asyncio.TimeoutError) as e:
        print("py_sockets.py: %s: %s" % (mode, e or type(e).__name__), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
