"""Stand-ins for the network in inner pytest runs."""

# An inner run's conftest: stand-ins for connect and getaddrinfo, in place before the
# cassette opens so that its guard wraps them (even a broken guard sends nothing); put back
# when the inner session ends (it runs in the outer one's process), which fails if anything
# reached them.
STAND_IN_CONFTEST = """
import socket

reached = []
real = socket.socket.connect, socket.getaddrinfo


def refuse(sock, address):
    reached.append(address)
    raise ConnectionRefusedError(111, "stand-in")


def resolve(host, port, *args, **kwargs):
    reached.append(host)
    raise socket.gaierror(-2, "stand-in")


socket.socket.connect, socket.getaddrinfo = refuse, resolve


def pytest_unconfigure(config):
    socket.socket.connect, socket.getaddrinfo = real
    assert reached == [], reached
"""
