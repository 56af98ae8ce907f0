#!/usr/bin/env python3
"""Confirmed, persistent publishes/s of Python's pika, the counterpart of `emporium bench amqp`.

scripts/bench-amqp runs it from a venv with pika installed. Same options and the same JSON line
as `emporium bench amqp`:

    bench-amqp-pika.py --url URL --messages N --size BYTES --in-flight K [--mode window|batch]
                       [--queue-type classic|quorum]

--in-flight 1 publishes one at a time with BlockingConnection after confirm_delivery() (each
basic_publish waits for its confirm). A larger window uses SelectConnection with an
ack_nack_callback: `window` keeps up to K messages unconfirmed, topping up as confirms arrive;
`batch` publishes K, waits until all K are confirmed, then publishes the next K.

Publishes to a durable queue declared for the run (a warm-up of a tenth as many messages, at most
2000, is purged first), checks the queue holds every message, and deletes the queue. cpu_seconds
is the CPU time (user and system) the process spent while it published.
"""

import argparse
import json
import sys
import time
import uuid

import pika
from pika.spec import Basic


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/%2F")
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--mode", choices=["window", "batch"], default="window")
    parser.add_argument("--queue-type", choices=["classic", "quorum"], default="classic")
    arguments = parser.parse_args()
    if arguments.messages <= 0 or arguments.in_flight <= 0 or arguments.size < 0:
        parser.error("--messages and --in-flight must be positive, --size not negative")
    return arguments


def connection_parameters(url):
    # pika reads an empty vhost path ("amqp://host:port/") as the vhost "", not "/".
    if url.endswith("/"):
        url += "%2F"
    return pika.URLParameters(url)


def queue_arguments(queue_type):
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else None


def warm_up_count(arguments):
    return min(max(arguments.messages // 10, arguments.in_flight), 2000)


def one_at_a_time(arguments, queue, body, properties):
    """BlockingConnection in confirm mode: each basic_publish returns once the broker confirms it."""
    connection = pika.BlockingConnection(connection_parameters(arguments.url))
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True, arguments=queue_arguments(arguments.queue_type))
        try:
            channel.confirm_delivery()
            for _ in range(warm_up_count(arguments)):
                channel.basic_publish(exchange="", routing_key=queue, body=body, properties=properties)
            channel.queue_purge(queue)
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(arguments.messages):
                channel.basic_publish(exchange="", routing_key=queue, body=body, properties=properties)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            stored = channel.queue_declare(queue=queue, passive=True).method.message_count
        finally:
            channel.queue_delete(queue)
    finally:
        connection.close()
    return seconds, cpu_seconds, stored


class WindowedPublisher:
    """SelectConnection publisher keeping up to K confirms outstanding (window) or K per batch."""

    def __init__(self, arguments, queue, body, properties):
        self.arguments = arguments
        self.queue = queue
        self.body = body
        self.properties = properties
        self.channel = None
        self.error = None
        self.seconds = None
        self.cpu_seconds = None
        self.stored = None
        self.phase_target = 0
        self.sent = 0
        self.next_tag = 1
        self.unconfirmed = set()
        self.on_phase_done = None
        self.started = 0.0
        self.cpu_started = 0.0
        self.connection = pika.SelectConnection(
            connection_parameters(arguments.url),
            on_open_callback=self.on_connection_open,
            on_open_error_callback=self.on_connection_error,
            on_close_callback=self.on_connection_closed,
        )

    def run(self):
        self.connection.ioloop.start()
        if self.error:
            raise RuntimeError(self.error)
        return self.seconds, self.cpu_seconds, self.stored

    def fail(self, reason):
        if self.error is None:
            self.error = reason
        if self.connection.is_open:
            self.connection.close()

    def on_connection_error(self, _connection, error):
        self.error = f"cannot connect: {error}"
        self.connection.ioloop.stop()

    def on_connection_closed(self, _connection, reason):
        if self.seconds is None and self.error is None:
            self.error = f"connection closed: {reason}"
        self.connection.ioloop.stop()

    def on_connection_open(self, connection):
        connection.channel(on_open_callback=self.on_channel_open)

    def on_channel_open(self, channel):
        self.channel = channel
        channel.add_on_close_callback(self.on_channel_closed)
        channel.queue_declare(
            queue=self.queue, durable=True, arguments=queue_arguments(self.arguments.queue_type),
            callback=lambda _frame: channel.confirm_delivery(self.on_confirm, callback=self.on_confirm_select_ok),
        )

    def on_channel_closed(self, _channel, reason):
        if self.stored is None:  # closed before the run finished
            self.fail(f"channel closed: {reason}")

    def on_confirm_select_ok(self, _frame):
        self.start_phase(warm_up_count(self.arguments), self.after_warm_up)

    def after_warm_up(self):
        self.channel.queue_purge(self.queue, callback=lambda _frame: self.start_measured())

    def start_measured(self):
        self.started, self.cpu_started = time.perf_counter(), time.process_time()
        self.start_phase(self.arguments.messages, self.after_measured)

    def after_measured(self):
        self.seconds = time.perf_counter() - self.started
        self.cpu_seconds = time.process_time() - self.cpu_started
        self.channel.queue_declare(queue=self.queue, passive=True, callback=self.on_counted)

    def on_counted(self, frame):
        self.stored = frame.method.message_count
        self.channel.queue_delete(self.queue, callback=lambda _frame: self.connection.close())

    def start_phase(self, count, on_done):
        self.phase_target = count
        self.sent = 0
        self.on_phase_done = on_done
        self.top_up()

    def top_up(self):
        window = self.arguments.in_flight
        if self.arguments.mode == "batch" and self.unconfirmed:
            return  # a batch: wait until every message of the last one is confirmed
        while len(self.unconfirmed) < window and self.sent < self.phase_target:
            self.channel.basic_publish(exchange="", routing_key=self.queue, body=self.body, properties=self.properties)
            self.unconfirmed.add(self.next_tag)
            self.next_tag += 1
            self.sent += 1

    def on_confirm(self, frame):
        method = frame.method
        if isinstance(method, Basic.Nack):
            self.fail(f"broker nacked delivery tag {method.delivery_tag}")
            return
        if method.multiple:
            self.unconfirmed = {tag for tag in self.unconfirmed if tag > method.delivery_tag}
        else:
            self.unconfirmed.discard(method.delivery_tag)
        if self.sent == self.phase_target and not self.unconfirmed:
            self.on_phase_done()
        else:
            self.top_up()


def main():
    arguments = parse_arguments()
    queue = f"pika.bench.amqp.{uuid.uuid4()}"
    body = b"x" * arguments.size
    properties = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
    if arguments.in_flight == 1:
        seconds, cpu_seconds, stored = one_at_a_time(arguments, queue, body, properties)
    else:
        seconds, cpu_seconds, stored = WindowedPublisher(arguments, queue, body, properties).run()
    if stored != arguments.messages:
        sys.exit(f"the queue holds {stored} messages after {arguments.messages} confirmed publishes")
    print(json.dumps({
        "client": "pika",
        "cpu_seconds": cpu_seconds,
        "in_flight": arguments.in_flight,
        "messages": arguments.messages,
        "mode": "one-at-a-time" if arguments.in_flight == 1 else arguments.mode,
        "msgs_per_s": arguments.messages / seconds,
        "queue_type": arguments.queue_type,
        "seconds": seconds,
        "size": arguments.size,
    }, sort_keys=True, separators=(",", ":")))


if __name__ == "__main__":
    main()
