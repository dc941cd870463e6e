#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tiny TCP/UDP listener and client for the meshinit namespace tests.

  mitool.py listen LABEL PORT [--udp] [--ready FILE] [--bind ADDR ...]
                   [--transparent] [--uid U --gid G]
      Accept on PORT (0.0.0.0 and [::] by default). For every connection
      (or datagram) read one line and answer one line:
        label=LABEL src=IP:PORT srcip=IP dst=IP:PORT orig=IP:PORT|none
        proxy=-|HDR
      src is the client as seen here, dst the local address of the socket,
      orig the conntrack original destination (SO_ORIGINAL_DST or
      IP6T_SO_ORIGINAL_DST), proxy the PROXY protocol v1 header if the
      client sent one (HAProxy 'send-proxy'). Spaces in HDR become '_'.
      Writes FILE once every socket listens.

  mitool.py connect HOST PORT [--udp] [--src ADDR] [--timeout SEC]
      Send one line, print the answer. Errors print one line and exit:
        ERR refused (exit 2), ERR timeout (exit 3), ERR other:... (exit 4).
"""
import argparse
import errno
import os
import socket
import struct
import sys
import threading

SO_ORIGINAL_DST = 80       # linux/netfilter_ipv4.h
IP6T_SO_ORIGINAL_DST = 80  # linux/netfilter_ipv6/ip6_tables.h
IP_FREEBIND = 15           # linux/in.h
IPV6_FREEBIND = 78         # linux/in6.h
IP_TRANSPARENT = 19        # linux/in.h
IP_PKTINFO = 8             # linux/in.h
IPV6_RECVPKTINFO = 49      # linux/in6.h
IPV6_PKTINFO = 50          # linux/in6.h
IPV6_TRANSPARENT = 75      # linux/in6.h


def fmt(addr):
    host, port = addr[0], addr[1]
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


def orig_dst(sock):
    try:
        if sock.family == socket.AF_INET:
            raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
            port = struct.unpack("!H", raw[2:4])[0]
            return fmt((socket.inet_ntop(socket.AF_INET, raw[4:8]), port))
        raw = sock.getsockopt(socket.IPPROTO_IPV6, IP6T_SO_ORIGINAL_DST, 28)
        port = struct.unpack("!H", raw[2:4])[0]
        return fmt((socket.inet_ntop(socket.AF_INET6, raw[8:24]), port))
    except OSError:
        return "none"


def answer(label, src, dst, orig, proxy):
    srcip = src.rsplit(":", 1)[0].strip("[]")
    return "label=%s src=%s srcip=%s dst=%s orig=%s proxy=%s\n" % (
        label, src, srcip, dst, orig, proxy)


def serve_tcp(lsock, label):
    while True:
        conn, peer = lsock.accept()
        threading.Thread(target=handle_tcp, args=(conn, peer, label),
                         daemon=True).start()


def handle_tcp(conn, peer, label):
    try:
        conn.settimeout(10)
        f = conn.makefile("rb")
        line = f.readline()
        proxy = "-"
        if line.startswith(b"PROXY "):
            proxy = line.decode().strip().replace(" ", "_")
            line = f.readline()
        msg = answer(label, fmt(peer), fmt(conn.getsockname()),
                     orig_dst(conn), proxy)
        conn.sendall(msg.encode())
    except OSError:
        pass
    finally:
        conn.close()


def pktinfo_dst(sock, ancdata):
    """The datagram's destination address, from IP(V6)_PKTINFO."""
    for level, typ, data in ancdata:
        if level == socket.SOL_IP and typ == IP_PKTINFO:
            return socket.inet_ntop(socket.AF_INET, data[8:12])
        if level == socket.IPPROTO_IPV6 and typ == IPV6_PKTINFO:
            return socket.inet_ntop(socket.AF_INET6, data[0:16])
    return None


def serve_udp(sock, label):
    port = sock.getsockname()[1]
    while True:
        data, anc, _, peer = sock.recvmsg(2048, 256)
        dst = pktinfo_dst(sock, anc)
        local = (dst, port) if dst else sock.getsockname()
        # a UDP socket has no conntrack original destination to ask for
        msg = answer(label, fmt(peer), fmt(local), "none", "-")
        try:
            # reply from the address the datagram was sent to, so that
            # conntrack (reverse NAT) and the connected client accept it
            if dst and sock.family == socket.AF_INET:
                info = struct.pack("=I4s4s", 0, socket.inet_pton(
                    socket.AF_INET, dst), b"\0" * 4)
                sock.sendmsg([msg.encode()],
                             [(socket.SOL_IP, IP_PKTINFO, info)], 0, peer)
            elif dst:
                info = socket.inet_pton(socket.AF_INET6, dst) + \
                    struct.pack("=I", 0)
                sock.sendmsg([msg.encode()],
                             [(socket.IPPROTO_IPV6, IPV6_PKTINFO, info)], 0,
                             peer)
            else:
                sock.sendto(msg.encode(), peer)
        except OSError:
            pass


def listen(args):
    binds = args.bind or ["0.0.0.0", "::"]
    ready = open(args.ready, "w") if args.ready else None
    if args.uid is not None:
        # before the sockets exist: skuid/skgid match the socket's creator
        os.setgroups([])
        os.setresgid(args.gid, args.gid, args.gid)
        os.setresuid(args.uid, args.uid, args.uid)
    threads = []
    for addr in binds:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        typ = socket.SOCK_DGRAM if args.udp else socket.SOCK_STREAM
        s = socket.socket(fam, typ)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if args.transparent:
            # TPROXY delivers connections for foreign addresses
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
            else:
                s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # replies leave from the datagram's destination, which on an AnyIP
        # host is local by route only: FREEBIND allows that source
        if args.udp and fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
        elif args.udp:
            s.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
            s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        s.bind((addr, args.port))
        if args.udp:
            t = threading.Thread(target=serve_udp, args=(s, args.label))
        else:
            s.listen(64)
            t = threading.Thread(target=serve_tcp, args=(s, args.label))
        t.daemon = True
        threads.append(t)
    for t in threads:
        t.start()
    if ready:
        ready.write("%d\n" % os.getpid())
        ready.close()
    for t in threads:
        t.join()


def connect(args):
    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    typ = socket.SOCK_DGRAM if args.udp else socket.SOCK_STREAM
    s = socket.socket(fam, typ)
    s.settimeout(args.timeout)
    try:
        if args.src:
            # ::6 is not a local address: bind it anyway, as Envoy does
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
            else:
                s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
            s.bind((args.src, 0))
        s.connect((args.host, args.port))
        s.sendall(b"hello\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        if not buf:
            print("ERR other:empty-answer")
            return 4
        sys.stdout.write(buf.decode())
        return 0
    except socket.timeout:
        print("ERR timeout")
        return 3
    except ConnectionRefusedError:
        print("ERR refused")
        return 2
    except OSError as e:
        if e.errno == errno.ECONNREFUSED:
            print("ERR refused")
            return 2
        print("ERR other:%s" % errno.errorcode.get(e.errno, e.errno))
        return 4
    finally:
        s.close()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("listen")
    lp.add_argument("label")
    lp.add_argument("port", type=int)
    lp.add_argument("--udp", action="store_true")
    lp.add_argument("--ready")
    lp.add_argument("--bind", action="append")
    lp.add_argument("--transparent", action="store_true")
    lp.add_argument("--uid", type=int)
    lp.add_argument("--gid", type=int)
    cp = sub.add_parser("connect")
    cp.add_argument("host")
    cp.add_argument("port", type=int)
    cp.add_argument("--udp", action="store_true")
    cp.add_argument("--src")
    cp.add_argument("--timeout", type=float, default=5.0)
    args = p.parse_args()
    if args.cmd == "listen":
        listen(args)
        return 0
    return connect(args)


if __name__ == "__main__":
    sys.exit(main())
