from sqlmodel import Session, col, select

from api.models import OutboxEvent
from api.services.outbox import publish, restaurant_channel


def test_each_channel_numbers_its_events_without_gaps(session: Session) -> None:
    first, second = restaurant_channel(1), restaurant_channel(2)
    publish(session, first, "ticket.created", {"ticket_id": 10})
    publish(session, second, "ticket.created", {"ticket_id": 11})
    publish(session, first, "ticket.accepted", {"ticket_id": 10})
    session.commit()

    events = session.exec(
        select(OutboxEvent)
        .where(col(OutboxEvent.channel).in_([first, second]))
        .order_by(col(OutboxEvent.id))
    ).all()
    assert [(e.channel, e.sequence, e.kind) for e in events] == [
        (first, 1, "ticket.created"),
        (second, 1, "ticket.created"),
        (first, 2, "ticket.accepted"),
    ]
    assert events[0].payload == {"ticket_id": 10}
    assert events[0].created_at.tzinfo is not None


def test_a_rolled_back_change_leaves_no_event_and_no_gap(session: Session) -> None:
    channel = restaurant_channel(3)
    publish(session, channel, "ticket.created", {})
    session.commit()
    with session.begin_nested():
        publish(session, channel, "ticket.lost", {})
        session.rollback()
    publish(session, channel, "ticket.accepted", {})
    session.commit()
    events = session.exec(select(OutboxEvent).where(OutboxEvent.channel == channel)).all()
    assert [(e.sequence, e.kind) for e in events] == [(1, "ticket.created"), (2, "ticket.accepted")]


def test_several_events_of_one_channel_in_one_call_keep_their_order(session: Session) -> None:
    from api.services.outbox import publish_all

    first, second = restaurant_channel(4), restaurant_channel(5)
    publish(session, first, "ticket.created", {})
    publish_all(
        session,
        [(second, "a", {}), (first, "b", {}), (first, "c", {}), (second, "d", {})],
    )
    session.commit()
    events = session.exec(
        select(OutboxEvent).where(col(OutboxEvent.channel).in_([first, second]))
    ).all()
    assert sorted((e.channel, e.sequence, e.kind) for e in events) == [
        (first, 1, "ticket.created"),
        (first, 2, "b"),
        (first, 3, "c"),
        (second, 1, "a"),
        (second, 2, "d"),
    ]
