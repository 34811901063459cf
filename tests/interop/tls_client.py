"""A non-Rust gRPC client over TLS: Python's grpcio with the venue CA.

Usage: tls_client.py CA_PEM HOST:PORT TOKEN

Prints three lines, one per call:
  health SERVING|<status name>
  events <number of events>|<status code name>   (with the token)
  anonymous <status code name>                   (without a token)
Needs no generated stubs: the messages are built and read by hand.
"""

import sys

import grpc


def varint(data, pos):
    shift = value = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def fields(data):
    """(field number, wire type, value) of a protobuf message."""
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 2:
            size, pos = varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ValueError(f"wire type {wire} not expected here")
        yield number, wire, value


def main():
    ca_path, target, token = sys.argv[1:4]
    with open(ca_path, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    options = [("grpc.ssl_target_name_override", "localhost")]
    with grpc.secure_channel(target, credentials, options=options) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        reply = check(b"", timeout=10)
        status = dict((n, v) for n, _, v in fields(reply)).get(1, 0)
        print("health", {1: "SERVING", 2: "NOT_SERVING"}.get(status, status))

        list_events = channel.unary_unary("/expopass.v1.EventService/ListEvents")
        try:
            reply = list_events(
                b"", timeout=10, metadata=[("authorization", f"Bearer {token}")]
            )
            print("events", sum(1 for n, _, _ in fields(reply) if n == 1))
        except grpc.RpcError as e:
            print("events", e.code().name)

        try:
            list_events(b"", timeout=10)
            print("anonymous OK")
        except grpc.RpcError as e:
            print("anonymous", e.code().name)


if __name__ == "__main__":
    main()
