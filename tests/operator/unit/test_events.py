"""Rollout Events are named after their transition, so a repeated transition (after a crash
between the Event and the status write) updates the same Event instead of adding one."""

from __future__ import annotations

from flaskops.events import event_body, event_name
from flaskops.rollout import Event, EventType

META = {"name": "orders", "namespace": "shop", "uid": "u-1"}
BODY = {"apiVersion": "flaskops.io/v1alpha1", "kind": "FlaskService", "metadata": META}
PROMOTED = {"rollout": {"stable": {"id": "r2"}, "canary": None, "step": 0}}


def test_the_same_transition_gets_the_same_name_whatever_its_message() -> None:
    first = Event(EventType.NORMAL, "Promoted", "successRate 99.1")
    again = Event(EventType.NORMAL, "Promoted", "successRate 98.7")
    assert event_name(META, first, PROMOTED) == event_name(META, again, PROMOTED)


def test_other_transitions_get_other_names() -> None:
    promoted = Event(EventType.NORMAL, "Promoted", "")
    names = {
        event_name(META, promoted, PROMOTED),
        event_name(META, promoted, {"rollout": {"stable": {"id": "r3"}}}),
        event_name(META, Event(EventType.WARNING, "RolledBack", ""), PROMOTED),
        event_name({**META, "uid": "u-2"}, promoted, PROMOTED),
    }
    assert len(names) == 4
    assert all(n.startswith("orders.") and len(n) <= 63 for n in names)


def test_the_event_points_at_its_flaskservice() -> None:
    body = event_body(BODY, Event(EventType.WARNING, "RolledBack", "x" * 5000), PROMOTED, 0.0)
    assert body["involvedObject"] == {
        "apiVersion": "flaskops.io/v1alpha1", "kind": "FlaskService",
        "name": "orders", "namespace": "shop", "uid": "u-1",
    }  # fmt: skip
    assert (body["type"], body["reason"], body["count"]) == ("Warning", "RolledBack", 1)
    assert len(body["message"]) == 1024


def test_two_events_of_one_second_keep_their_order() -> None:
    """The Promoted and PromotionComplete of one reconcile share a second: eventTime (what
    `kubectl get events --sort-by=.eventTime` sorts on) still orders them."""
    first = event_body(BODY, Event(EventType.NORMAL, "Promoted", ""), PROMOTED, 1.000001)
    second = event_body(BODY, Event(EventType.NORMAL, "PromotionComplete", ""), PROMOTED, 1.000002)
    assert first["firstTimestamp"] == second["firstTimestamp"]
    assert first["eventTime"] < second["eventTime"]
    assert first["eventTime"] == "1970-01-01T00:00:01.000001Z"
