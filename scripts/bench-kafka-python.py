#!/usr/bin/env python3
"""acks=all produced records/s of confluent-kafka (librdkafka) and kafka-python against a broker,
with the same record count, value size and idempotence as `emporium bench kafka`. One JSON line
per client. Used by scripts/bench-kafka; run with the venv python that kafka.sh prepares."""
import json
import sys
import time
import uuid


def confluent(bootstrap, records, size):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    topic = f"emporium.bench.ck.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 5})
    value = b"x" * size
    failures = []

    def run(count):
        start = time.perf_counter()
        for i in range(count):
            while True:
                try:
                    producer.produce(topic, key=f"k{i % 64}".encode(), value=value,
                                     on_delivery=lambda err, _: err and failures.append(err))
                    break
                except BufferError:
                    producer.poll(0.01)
            producer.poll(0)
        producer.flush(120)
        return time.perf_counter() - start

    run(max(100, records // 10))
    seconds = run(records)
    if failures:
        raise SystemExit(f"confluent-kafka: {len(failures)} deliveries failed: {failures[0]}")
    return seconds


def kafka_python(bootstrap, records, size):
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic
    topic = f"emporium.bench.kp.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    value = b"x" * size

    def run(count):
        start = time.perf_counter()
        futures = [producer.send(topic, key=f"k{i % 64}".encode(), value=value) for i in range(count)]
        producer.flush(120)
        for future in futures:
            future.get(timeout=120)
        return time.perf_counter() - start

    run(max(100, records // 10))
    return run(records)


def main():
    bootstrap, records, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for name, bench in [("confluent-kafka", confluent), ("kafka-python", kafka_python)]:
        try:
            seconds = bench(bootstrap, records, size)
            print(json.dumps({"client": name, "records": records, "valueBytes": size, "recordsPerSecond": records / seconds}), flush=True)
        except ImportError as error:
            print(json.dumps({"client": name, "skipped": str(error)}), flush=True)


if __name__ == "__main__":
    main()
