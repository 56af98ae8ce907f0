#!/usr/bin/env python3
"""A small OTLP/HTTP traces receiver for tests, on PyPI's opentelemetry-proto.

    otlp_receiver.py --port PORT --spans FILE --ready FILE [--refuse | --discard]

Accepts POST /v1/traces with an ExportTraceServiceRequest (application/x-protobuf, gzip or not),
decodes it and appends each span to FILE as one JSON line:

    {"trace_id", "span_id", "parent_span_id" (hex, "" for a root), "name", "kind" (SERVER, CLIENT,
     PRODUCER, CONSUMER, INTERNAL), "service" (the resource's service.name), "resource" (its
     attributes), "attributes", "status" (UNSET, OK, ERROR), "start_ns", "end_ns"}

then answers 200 with an empty ExportTraceServiceResponse. Anything else is a 404. With
--refuse it answers 503 to every export (an endpoint that is up but failing); with --discard
it answers 200 without decoding or writing anything (a receiver that costs the machine little,
for benchmarks).
Writes FILE given by --ready once it listens.
"""
import argparse
import gzip
import http.server
import json
import threading

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

KINDS = {v: k.replace("SPAN_KIND_", "") for k, v in trace_pb2.Span.SpanKind.items()}
STATUSES = {v: k.replace("STATUS_CODE_", "") for k, v in trace_pb2.Status.StatusCode.items()}


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def attributes(pairs):
    return {kv.key: value(kv.value) for kv in pairs}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--spans", required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--refuse", action="store_true")
    parser.add_argument("--discard", action="store_true")
    options = parser.parse_args()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body=b"", content_type="application/x-protobuf"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path != "/v1/traces":
                return self.answer(404, b"not found", "text/plain")
            if options.refuse:
                return self.answer(503, b"refusing", "text/plain")
            if options.discard:
                return self.answer(200, b"")
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            request = trace_service_pb2.ExportTraceServiceRequest()
            request.ParseFromString(body)
            lines = []
            for resource_spans in request.resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        lines.append(json.dumps({
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "name": span.name,
                            "kind": KINDS.get(span.kind, str(span.kind)),
                            "service": resource.get("service.name", ""),
                            "resource": resource,
                            "attributes": attributes(span.attributes),
                            "status": STATUSES.get(span.status.code, str(span.status.code)),
                            "start_ns": span.start_time_unix_nano,
                            "end_ns": span.end_time_unix_nano,
                        }, sort_keys=True))
            with lock, open(options.spans, "a") as out:
                for line in lines:
                    out.write(line + "\n")
            self.answer(200, trace_service_pb2.ExportTraceServiceResponse().SerializeToString())

    server = http.server.ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    with open(options.ready, "w") as ready:
        ready.write(str(options.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
