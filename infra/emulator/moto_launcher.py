#!/usr/bin/env python3
"""Starts moto server with fixes to its DynamoDB and SQS, keeping moto's semantics otherwise.

Written against moto 5.2.1 (pinned in infra/requirements.txt); the launcher refuses another
version, since it replaces one of moto's methods.

1. Every DynamoDB request runs under one lock. moto serves requests on threads, and its
   conditional writes and transactions check and write in separate steps, so two racing writers
   could both pass a version check, and a failed transaction restored whole tables from a copy
   taken before it started, erasing writes other requests made meanwhile (lost updates under load).
   DynamoDB makes each request atomic; the lock does the same here.
2. `TransactWriteItems` no longer deep-copies every table it touches (once per item) to roll back:
   it checks every condition first against the current items, answers
   `TransactionCanceledException` with nothing changed when one fails, and otherwise applies the
   writes, restoring only the items it touched if applying fails. Memory stays flat and a
   transaction's cost no longer grows with the table.

3. SQS sends no longer scan the whole queue (moto counted every message on each send), so a queue
   holding tens of thousands of messages fills in seconds, not hours.
4. A `Query` no longer sorts the whole table: moto listed and sorted every item of the table for
   every query, then kept the partition's. A query of the table now reads its partition alone; a
   query of an index still reads every item (moto keeps no index) but no longer sorts them first
   (its results are sorted afterwards by the index's keys, as before). Queries cost time in
   proportion to the partition, not the table, so a long run does not slow down as the table grows.
5. A table's stream keeps its newest records only (STREAM_RECORDS_KEPT), as DynamoDB keeps 24
   hours: moto kept every record of the table's life. Sequence numbers stay as they were (a read
   before the oldest kept record starts at the oldest kept). A shard iterator is forgotten once
   used (moto kept every iterator it ever handed out, each polling read adding one).
6. DynamoDB and SQS model instances are no longer kept for moto's dashboard. moto appends every
   model object it ever creates (every DynamoDB item version written, every stream record, every
   SQS message) to a list on its class, so its memory grew with every write, not with what it
   holds: in a soak, 47,200 item objects were alive for 5,400 items in the table. Other services'
   models stay tracked: they are few, moto reads S3's lists to close files when it resets, and the
   tests read sent mail from the dashboard (`/moto-api/data.json`), which no longer lists
   DynamoDB's and SQS's models.
7. Connections stay open between requests (HTTP/1.1 keep-alive), as AWS's endpoints keep them.
   werkzeug's development server answers every request with `Connection: close`, because an
   application that leaves part of a body unread would leave it in front of the next request; so
   every SDK call opened a TCP connection and tore it down, and the hub's CPU figures counted
   that. The launcher reads each request's declared body before moto sees it (moto reads it from
   memory), which makes keeping the connection safe; a chunked request still closes its
   connection. Answers are sent without Nagle's delay (TCP_NODELAY), or a kept connection would
   wait for the client's delayed acknowledgement on every answer.
8. SQS receives no longer scan the whole queue once per message received. For each message it
   hands out, moto checks the message's retention period through `get_queue_attributes`, which
   builds every attribute of the queue three times, counting every message (visible, delayed, in
   flight) each time: a receive of 10 from a queue holding n messages cost 30 scans of n, so
   draining a deep queue took time in proportion to n squared (a 1,000-event chaos run did not
   finish in 25 minutes, the emulator at 100 % CPU in these counts). The check now reads the
   queue's retention period itself; what a receive answers is unchanged. Listing a queue's
   visible messages reads the clock once, not twice per message, and a deleted message is found
   in one pass over the queue, not two.
9. DynamoDB answers that carry items are written as JSON directly. moto serialises every answer
   by walking the operation's output shape member by member, looking each value up through its
   attribute pickers; for item-bearing answers (a `Query` page, a `BatchGetItem`, an item returned
   by a write) that walk was about half the emulator's CPU in a soak. moto's result for these
   operations is already DynamoDB's JSON (binary values as bytes, written here in base64, as the
   shape walk writes them; absent members and members outside the output shape left out, as
   it leaves them out). Errors and every
   other operation still go through moto's serialiser.

Usage: moto_launcher.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
"""

from __future__ import annotations

import base64
import copy
import inspect
import sys
import threading
from typing import Any

PINNED_MOTO = "5.2.1"


def _check_version() -> None:
    import moto

    if moto.__version__ != PINNED_MOTO:
        sys.exit(
            f"moto_launcher: written against moto {PINNED_MOTO}, found {moto.__version__}; "
            "install infra/requirements.txt"
        )


# Held by every DynamoDB request (and by the census while it reads the tables).
DYNAMODB_LOCK = threading.RLock()


def _serialise_dynamodb() -> None:
    from moto.dynamodb.responses import DynamoHandler

    call_action = DynamoHandler.call_action

    def locked_call_action(self: Any) -> Any:
        with DYNAMODB_LOCK:
            return call_action(self)

    DynamoHandler.call_action = locked_call_action


def _item_key(backend: Any, table_name: str, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(table_name)
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression as condition_of
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.exceptions import MultipleTransactionsException

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen: set[tuple[str, str]] = set()
    planned: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = []
    errors: list[tuple[Any, Any, Any]] = []
    # Phase 1: shape checks, then every condition against the items as they are now.
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        original_item = None
        try:
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            key = _item_key(self, table_name, op_type, op)
            identity = (str(table_name), str(dict(sorted(key.items()))))
            if identity in seen:
                raise MultipleTransactionsException()
            seen.add(identity)
            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                check = condition_of(
                    condition,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                )
                if not check.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            planned.append((op_type, op, table_name, key))
            errors.append((None, None, None))
        except MockValidationException:
            raise  # nothing was written yet
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))
        except Exception as e:  # noqa: BLE001 - moto reports any other failure per item
            errors.append((type(e).__name__, str(e), original_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    # Phase 2: apply, snapshotting only the items touched, to restore them if applying fails.
    snapshots: list[tuple[str, dict[str, Any], Any]] = []
    try:
        for op_type, op, table_name, key in planned:
            if op_type == "ConditionCheck":
                continue
            before = self.get_item(table_name, key)
            attrs = copy.deepcopy(before.to_json()["Attributes"]) if before else None
            snapshots.append((table_name, key, attrs))
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(table_name, op["Item"])
            elif op_type == "Delete":
                self.delete_item(table_name, key)
            else:
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
    except Exception:
        for table_name, key, attrs in reversed(snapshots):
            if attrs is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, attrs)
        raise


def _item_level_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = _transact_write_items


def _constant_time_sqs_sends() -> None:
    """Sends no longer cost time in proportion to the queue's depth.

    moto's `send_message` reads `queue.attributes` (for `ContentBasedDeduplication`), a property
    that also counts every message in the queue (visible, delayed, in flight): each send scanned
    the whole queue, so filling a queue with 50,000 messages took hours. While a send runs, the
    property answers only what a send reads; `GetQueueAttributes` still gets every count.
    """
    from moto.sqs.models import Queue, SQSBackend

    full_attributes = Queue.attributes.fget
    sending = threading.local()

    def attributes(self: Any) -> dict[str, Any]:
        if getattr(sending, "active", False):
            flag = getattr(self, "content_based_deduplication", False)
            return {"ContentBasedDeduplication": str(flag).lower()}
        return full_attributes(self)

    send_message = SQSBackend.send_message

    def send_without_counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        sending.active = True
        try:
            return send_message(self, *args, **kwargs)
        finally:
            sending.active = False

    Queue.attributes = property(attributes)  # type: ignore[method-assign, assignment]
    SQSBackend.send_message = send_without_counting  # type: ignore[method-assign]


def _constant_time_sqs_receives() -> None:
    """A received message's retention check reads the one attribute it needs (change 8)."""
    from moto.core.utils import unix_time
    from moto.sqs.models import SQSBackend

    def is_message_valid_based_on_retention_period(
        self: Any, queue_name: str, message: Any
    ) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )

    from moto.core.utils import unix_time_millis
    from moto.sqs.exceptions import ReceiptHandleIsInvalid
    from moto.sqs.models import Queue

    def messages(self: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in self._messages if now > m.visible_at and now >= m.delayed_until]

    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # deleted already: moto answers success again
        for i, message in enumerate(self._messages):
            if message.had_receipt_handle(receipt_handle):
                break
        else:
            raise ReceiptHandleIsInvalid()
        del self._messages[i]
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)

    Queue.messages = property(messages)  # type: ignore[method-assign, assignment]
    Queue.delete_message = delete_message  # type: ignore[method-assign]


# DynamoDB operations whose answers are items (change 9).
_ITEM_ANSWERS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)


def _as_wire_json(value: Any) -> Any:
    """moto's DynamoDB result as it goes on the wire: no `None` members, bytes in base64."""
    if isinstance(value, dict):
        return {k: _as_wire_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_as_wire_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value


def _direct_item_answers() -> None:
    from moto.core.serialize import JSONSerializer

    serialize_result = JSONSerializer._serialize_result

    def direct(self: Any, resp: Any, result: Any) -> Any:
        operation = self.operation_model
        if (
            isinstance(result, dict)
            and operation.name in _ITEM_ANSWERS
            and operation.service_model.service_name == "dynamodb"
        ):
            members = operation.output_shape.members
            wire = _as_wire_json({k: v for k, v in result.items() if k in members})
            return self._serialized_result_to_response(resp, result, operation.output_shape, wire)
        return serialize_result(self, resp, result)

    JSONSerializer._serialize_result = direct  # type: ignore[method-assign]


def _partition_queries() -> None:
    """`Table.query` reads `all_items()`; while it runs, that answers only what it needs."""
    from moto.dynamodb.models.table import Table

    sorted_all_items = Table.all_items
    querying = threading.local()

    def all_items(self: Any) -> list[Any]:
        scope = getattr(querying, "scope", None)
        if scope is None:
            return sorted_all_items(self)
        hash_key, by_index = scope
        if by_index:
            # Every item, unsorted: the query sorts its matches by the index's keys.
            partitions = list(self.items.values())
        else:
            # The partition alone, in range-key order (the query keeps only its items anyway).
            partition = self.items.get(hash_key)
            partitions = [] if partition is None else [partition]
        if self.range_key_attr:
            items = [item for partition in partitions for item in partition.values()]
        else:
            items = partitions
        if not by_index and self.range_key_attr:
            items.sort(key=lambda item: item.range_key)
        return items

    query = Table.query
    signature = inspect.signature(query)

    def partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        querying.scope = (bound.get("hash_key"), bool(bound.get("index_name")))
        try:
            return query(self, *args, **kwargs)
        finally:
            querying.scope = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = partition_query  # type: ignore[method-assign]


STREAM_RECORDS_KEPT = 20_000


def _bounded_streams() -> None:
    from moto.dynamodb.models.table import StreamShard
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    add = StreamShard.add

    def add_and_trim(self: Any, old: Any, new: Any) -> None:
        add(self, old, new)
        surplus = len(self.items) - STREAM_RECORDS_KEPT
        if surplus > 0:
            del self.items[:surplus]
            self.starting_sequence_number += surplus

    def get_kept(self: Any, start: int, quantity: int) -> list[dict[str, Any]]:
        begin = max(start - self.starting_sequence_number, 0)
        return [i.to_json() for i in self.items[begin : begin + quantity]]

    def get_records_once(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
        return self.shard_iterators.pop(iterator_arn).get(limit)

    StreamShard.add = add_and_trim  # type: ignore[method-assign]
    StreamShard.get = get_kept  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = get_records_once  # type: ignore[method-assign]


UNTRACKED_SERVICES = ("moto.dynamodb.", "moto.dynamodbstreams.", "moto.sqs.")


def _untracked_models() -> None:
    from moto.core.common_models import BaseModel

    def untracked_new(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super(BaseModel, cls).__new__(cls)
        if not cls.__module__.startswith(UNTRACKED_SERVICES):
            cls.instances_tracked.append(instance)
        return instance

    BaseModel.__new__ = staticmethod(untracked_new)  # type: ignore[method-assign, assignment]


def _s3_complete_multipart_root() -> None:
    """`CompleteMultipartUpload` answers with the root element S3 uses.

    moto 5.2.1 serialises the answer as `<CompleteMultipartUploadResponse>`; S3 (and so the AWS
    SDKs, which refuse anything else) says `<CompleteMultipartUploadResult>`. The upload itself
    completed either way: only the element's name is put right.
    """
    from moto.s3.responses import S3Response

    key_response_post = S3Response._key_response_post

    def renamed(self: Any, *args: Any, **kwargs: Any) -> Any:
        answer = key_response_post(self, *args, **kwargs)
        if not (isinstance(answer, tuple) and len(answer) == 3):
            return answer
        status, headers, body = answer
        if isinstance(body, bytes):
            body = body.replace(b"CompleteMultipartUploadResponse", b"CompleteMultipartUploadResult")
        elif isinstance(body, str):
            body = body.replace("CompleteMultipartUploadResponse", "CompleteMultipartUploadResult")
        return status, headers, body

    S3Response._key_response_post = renamed  # type: ignore[method-assign]


def _deep_size(value: Any, seen: set[int]) -> int:
    """Bytes a Python value holds, its contents included (each object counted once)."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        size += sum(_deep_size(v, seen) for v in value)
    elif hasattr(value, "__dict__"):
        size += _deep_size(vars(value), seen)
    return size


def _sampled_size(values: list[Any], sample: int = 200) -> int:
    """The deep size of `values`, estimated from an evenly spread sample."""
    if not values:
        return 0
    step = max(len(values) // sample, 1)
    picked = values[::step]
    seen: set[int] = set()
    return sum(_deep_size(v, seen) for v in picked) * len(values) // len(picked)


def census() -> dict[str, Any]:
    """What the emulator holds, by service: counts and estimated bytes (for memory questions)."""
    import gc
    from collections import Counter

    from moto.dynamodb.models import dynamodb_backends
    from moto.logs.models import logs_backends
    from moto.s3.models import s3_backends
    from moto.sqs.models import sqs_backends

    def backends(bd: Any) -> list[Any]:
        return [b for regions in bd.values() for b in regions.values()]

    report: dict[str, Any] = {}
    with open("/proc/self/status") as status:
        report["rss_kib"] = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    tables = {}
    with DYNAMODB_LOCK:
        for backend in backends(dynamodb_backends):
            for name, table in backend.tables.items():
                items = [
                    item
                    for value in table.items.values()
                    for item in (value.values() if isinstance(value, dict) else [value])
                ]
                shard = table.stream_shard
                records = list(shard.items) if shard is not None else []
                tables[name] = {
                    "items": len(items),
                    "items_bytes": _sampled_size(items),
                    "stream_records": len(records),
                    "stream_bytes": _sampled_size(records),
                }
    report["dynamodb"] = tables
    queues = {}
    for backend in backends(sqs_backends):
        for name, queue in backend.queues.items():
            queues[name] = {
                "messages": len(queue._messages),
                "messages_bytes": _sampled_size(list(queue._messages)),
                "deleted_handles": len(queue.deleted_messages),
                "deleted_bytes": _sampled_size(list(queue.deleted_messages)),
            }
    report["sqs"] = queues
    events = [
        event
        for backend in backends(logs_backends)
        for group in backend.groups.values()
        for stream in group.streams.values()
        for event in stream.events
    ]
    report["logs"] = {"events": len(events), "bytes": _sampled_size(events)}
    objects = [
        key
        for backend in backends(s3_backends)
        for bucket in backend.buckets.values()
        for key in bucket.keys.values()
    ]
    report["s3"] = {"objects": len(objects), "bytes": sum(getattr(k, "size", 0) for k in objects)}
    from moto.dynamodb.models.dynamo_type import Item

    gc.collect()
    live = gc.get_objects()
    report["item_objects"] = sum(1 for o in live if isinstance(o, Item))
    report["gc_top"] = Counter(type(o).__name__ for o in live).most_common(15)
    return report


def _keep_alive_connections() -> None:
    import io
    import selectors
    import types

    from werkzeug import serving

    make_environ = serving.WSGIRequestHandler.make_environ
    send_header = serving.WSGIRequestHandler.send_header
    # Per connection (werkzeug serves each on a thread of its own): whether the request being
    # answered was read whole, so the connection can stay open.
    request = threading.local()

    def environ_with_body_read(self: Any) -> dict[str, Any]:
        environ = make_environ(self)
        request.read_whole = False
        if environ.get("wsgi.input_terminated"):
            return environ  # chunked: its end is the dechunker's to find; the connection closes
        try:
            size = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return environ
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(size) if size > 0 else b"")
        request.read_whole = True
        return environ

    def header_unless_closing(self: Any, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and getattr(request, "read_whole", False):
            return
        send_header(self, keyword, value)

    class DrainOnlyWhatWasNotRead(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
        """After answering, werkzeug reads whatever the client sent that the application did not
        (it closes every connection, so that can only be leftover body). On a kept connection it
        would be the next request, and nothing is left over: a request read whole drains nothing."""

        def select(self, timeout: float | None = None) -> list[Any]:
            if getattr(request, "read_whole", False):
                return []
            return super().select(timeout)

    # An answer goes out in two writes (head, then body). On a kept connection Nagle's algorithm
    # holds the body until the client acknowledges the head, which it delays (40 ms on Linux):
    # every call would take 40 ms more. Each write is sent at once, as a closing server's were.
    serving.WSGIRequestHandler.disable_nagle_algorithm = True
    serving.WSGIRequestHandler.make_environ = environ_with_body_read
    serving.WSGIRequestHandler.send_header = header_unless_closing
    serving.selectors = types.SimpleNamespace(  # type: ignore[assignment]
        DefaultSelector=DrainOnlyWhatWasNotRead, EVENT_READ=selectors.EVENT_READ
    )


def _census_on_signal() -> None:
    """With FAULTLINE_EMULATOR_CENSUS=<file>, SIGUSR1 writes `census()` there as JSON."""
    import json
    import os
    import signal

    path = os.environ.get("FAULTLINE_EMULATOR_CENSUS")
    if not path:
        return

    def write(_signum: int, _frame: Any) -> None:
        def run() -> None:
            # Written whole, then renamed: a reader never sees half a census.
            with open(f"{path}.part", "w") as out:
                json.dump(census(), out, indent=1, default=str)
            os.replace(f"{path}.part", path)

        threading.Thread(target=run, daemon=True).start()

    signal.signal(signal.SIGUSR1, write)


def main() -> None:
    _check_version()
    _untracked_models()
    _s3_complete_multipart_root()
    _serialise_dynamodb()
    _item_level_transactions()
    _constant_time_sqs_sends()
    _constant_time_sqs_receives()
    _direct_item_answers()
    _partition_queries()
    _bounded_streams()
    _keep_alive_connections()
    _census_on_signal()
    # One log line per request is noise on a long run (and the hub keeps stderr for start-up
    # failures): warnings and errors only.
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
