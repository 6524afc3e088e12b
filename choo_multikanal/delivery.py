import datetime as dt
import logging
from collections import defaultdict

from trytond import config
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice

from . import providers as setup
from .distribution import (
    DistributionError, FinalError, InvalidDocument, Status,
    StatusReport, TransientError, document_key, fallback_channel, overdue,
    utc_now)
from .exceptions import DeliveryProviderError
from .party import CHANNELS
from .routing import Channel

logger = logging.getLogger(__name__)

STATES = [
    ('waiting', "Waiting"),
    ('queued', "Queued"),
    ('sent', "Sent"),
    ('delivered', "Delivered"),
    ('rejected', "Rejected"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ]
EVENTS = STATES[1:] + [
    ('retry', "Retry"),
    ('fallback', "Fallback"),
    ]
# How far a state is on the way, so that a late report moves none back
RANK = {
    'waiting': 0, 'queued': 1, 'sent': 2, 'delivered': 3, 'rejected': 3,
    'failed': 3, 'cancelled': 3}
# Statuses a provider reports after which the next channel is tried
REFUSED = {'rejected', 'failed'}
UNCONFIRMED = {'queued', 'sent'}
# Providers that confirm delivery: e-mail and print stay sent.
CONFIRMING = {setup.MULTIKANAL}


def options():
    "Return the options of the [choo_multikanal] section"
    if not config.has_section(setup.SECTION):
        return {}
    return {
        option: config.get(setup.SECTION, option)
        for option in config.options(setup.SECTION)}


def provider_of(providers, name):
    "Return the provider called name, or raise a user error on its options"
    try:
        return providers.get(name)
    except ValueError as error:
        raise DeliveryProviderError(gettext(
                'choo_multikanal.msg_delivery_provider_options',
                provider=name, section=setup.SECTION, error=str(error)))


def now():
    "Return the current time as Tryton stores it: naive, in UTC"
    return naive(utc_now())


def naive(moment):
    "Return the aware *moment* as a naive time in UTC"
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def aware(moment):
    "Return the naive UTC *moment* as an aware time"
    return moment.replace(tzinfo=dt.timezone.utc)


class Delivery(ModelSQL, ModelView):
    __name__ = 'choo.delivery'
    __string__ = "Delivery"

    invoice = fields.Many2One(
        'account.invoice', "Invoice", required=True, readonly=True,
        ondelete='CASCADE')
    base = fields.Char(
        "Base", required=True, readonly=True,
        help="The invoice's part of the idempotency keys.")
    channel = fields.Selection(
        CHANNELS, "Channel", required=True, readonly=True)
    key = fields.Char(
        "Key", required=True, readonly=True,
        help="The idempotency key the provider knows the document by.")
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    provider = fields.Char("Provider", readonly=True)
    reference = fields.Char("Provider Reference", readonly=True)
    attempts = fields.Integer("Attempts", required=True, readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    status_at = fields.DateTime("Status Time", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    tried = fields.Char(
        "Channels Tried", readonly=True,
        help="The channels tried for this document, in order.")
    events = fields.One2Many(
        'choo.delivery.event', 'delivery', "Events", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.key),
                'choo_multikanal.msg_delivery_key_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality())),
                Index(t, (t.invoice, Index.Range())),
                })
        cls._order.insert(0, ('id', 'DESC'))

    @classmethod
    def default_state(cls):
        return 'waiting'

    @classmethod
    def default_attempts(cls):
        return 0

    def get_rec_name(self, name):
        return self.key

    @classmethod
    def create_for(cls, invoices, round_=1, channels=None):
        "Create and return a delivery of each invoice by its channel"
        deliveries = []
        for invoice in invoices:
            channel = Channel((channels or {}).get(invoice.id)
                or invoice.delivery_channel)
            base = invoice._get_delivery_base()
            if round_ > 1:
                base = f'{base}.r{round_}'
            deliveries.append(cls(
                    invoice=invoice, base=base, channel=channel.value,
                    key=document_key(base, channel), tried=channel.value))
        cls.save(deliveries)
        return deliveries

    @classmethod
    def queue(cls, deliveries):
        "Queue the sending of the deliveries, one task per batch"
        size = setup.batch_size(options())
        for batch in grouped_slice(deliveries, size):
            cls.__queue__.send(list(batch))

    @classmethod
    def check_providers(cls, deliveries):
        "Check that a provider is configured for each delivery's channel"
        opts = options()
        for channel in sorted({d.channel for d in deliveries}):
            if setup.provider_name(Channel(channel), opts) is None:
                raise DeliveryProviderError(gettext(
                        'choo_multikanal.msg_delivery_no_provider',
                        channel=channel, section=setup.SECTION))

    @classmethod
    def send(cls, deliveries):
        "Submit the waiting deliveries to their providers, each key once"
        # A second worker on the same batch waits here, then skips it.
        cls.lock(deliveries)
        deliveries = [
            d for d in cls.browse(deliveries) if d.state == 'waiting']
        deliveries = cls._cancel_withdrawn(deliveries)
        opts = options()
        with setup.Providers(opts) as providers:
            # A fallback is sent at once, by the next channel.
            while deliveries:
                cls._send(deliveries, providers, opts)
                deliveries = [
                    d for d in cls.browse(deliveries)
                    if d.state == 'waiting' and not d.next_attempt]

    @classmethod
    def _cancel_withdrawn(cls, deliveries):
        "Cancel the deliveries of cancelled invoices; return the others"
        pool = Pool()
        Event = pool.get('choo.delivery.event')
        withdrawn = [d for d in deliveries if d.invoice.state == 'cancelled']
        events = []
        for delivery in withdrawn:
            delivery.state = 'cancelled'
            delivery.next_attempt = None
            delivery.status_at = now()
            events.append(delivery._event('cancelled', gettext(
                        'choo_multikanal.msg_delivery_invoice_cancelled')))
        cls.save(withdrawn)
        Event.save(events)
        return [d for d in deliveries if d not in withdrawn]

    @classmethod
    def _send(cls, deliveries, providers, opts):
        "Submit the deliveries once, read their statuses, move the refused"
        pool = Pool()
        Event = pool.get('choo.delivery.event')

        events = []
        groups = defaultdict(list)
        for delivery in deliveries:
            name = setup.provider_name(Channel(delivery.channel), opts)
            if name is None:
                events += delivery._fail(gettext(
                        'choo_multikanal.msg_delivery_no_provider',
                        channel=delivery.channel, section=setup.SECTION))
            else:
                delivery.provider = name
                groups[name].append(delivery)

        policy = setup.retry_policy(opts)
        for name, group in groups.items():
            provider = provider_of(providers, name)
            events += cls._submit(provider, name, group, policy)
        providers.flush()
        cls.save(deliveries)
        Event.save(events)

        for name, group in groups.items():
            keys = [d.key for d in group if d.state == 'queued']
            if keys:
                cls._follow(provider_of(providers, name), keys)
        cls._fall_back([d for d in deliveries if d.state == 'rejected'])

    @classmethod
    def _submit(cls, provider, name, deliveries, policy):
        "Submit the documents of the deliveries, return the events"
        ready, documents, events = cls._documents(deliveries)
        # SMTP answers one message at a time: a transient error then
        # leaves the messages before it sent and known.
        size = 1 if name == setup.SMTP else max(len(ready), 1)
        for start in range(0, len(ready), size):
            try:
                receipts = provider.submit(documents[start:start + size])
            except (TransientError, FinalError) as error:
                events += cls._failed_submission(
                    ready[start:], error, policy)
                logger.warning(
                    "%s: %d deliveries not submitted (%s)", name,
                    len(ready) - start, error.code)
                break
            for delivery, receipt in zip(ready[start:], receipts):
                events += delivery._receive(receipt)
        logger.info("%s: %d documents submitted", name, len(ready))
        return events

    @classmethod
    def _documents(cls, deliveries):
        "Return the deliveries ready, their documents and refusal events"
        ready, documents, events = [], [], []
        for delivery in deliveries:
            try:
                documents.append(delivery.get_document())
            except (InvalidDocument, UserError) as error:
                events += delivery._refuse(
                    getattr(error, 'message', None) or str(error))
            else:
                ready.append(delivery)
        return ready, documents, events

    @classmethod
    def _failed_submission(cls, deliveries, error, policy):
        "Postpone the deliveries after a transient error, else fail them"
        events = []
        for delivery in deliveries:
            if error.retryable:
                events += delivery._postpone(error, policy)
            else:
                events += delivery._fail(str(error))
        return events

    @classmethod
    def _follow(cls, provider, keys):
        "Apply the statuses the provider gives of the keys just submitted"
        try:
            page = provider.statuses(keys)
        except DistributionError as error:
            # The scheduled poll reads them later.
            logger.warning("statuses not read (%s)", error.code)
            return
        cls.apply_reports(page.reports)

    def get_document(self):
        "Return the distribution document of the delivery"
        return self.invoice._get_delivery_document(
            self.key, Channel(self.channel))

    def _event(self, status, message=None, at=None, reference=None):
        pool = Pool()
        Event = pool.get('choo.delivery.event')
        return Event(
            delivery=self, time=at or now(), status=status,
            channel=self.channel, message=message,
            reference=reference or self.reference)

    def _receive(self, receipt):
        "Take the provider's receipt; return the events"
        self.attempts += 1
        self.next_attempt = None
        if not receipt.accepted:
            return self._refuse(f"{receipt.reason}: {receipt.message}")
        self.reference = receipt.reference
        self.last_error = None
        if RANK[self.state] < RANK['queued']:
            self.state = 'queued'
            self.status_at = now()
        return []

    def _refuse(self, message):
        self.state = 'rejected'
        self.last_error = message
        self.status_at = now()
        return [self._event('rejected', message)]

    def _postpone(self, error, policy):
        self.attempts += 1
        self.last_error = str(error)
        retry_at = policy.next_attempt(
            self.attempts, utc_now(), error.retry_after)
        if retry_at is None:
            return self._fail(str(error))
        self.next_attempt = naive(retry_at)
        return [self._event('retry', str(error))]

    def _fail(self, message):
        self.state = 'failed'
        self.last_error = message
        self.next_attempt = None
        self.status_at = now()
        return [self._event('failed', message)]

    @classmethod
    def apply_reports(cls, reports):
        "Update the deliveries by the status changes of their keys"
        pool = Pool()
        Event = pool.get('choo.delivery.event')

        by_key = {}
        for keys in grouped_slice({r.key for r in reports}):
            by_key.update((d.key, d) for d in cls.search([
                        ('key', 'in', list(keys)),
                        ]))
        seen = {
            d.id: {(e.channel, e.status) for e in d.events}
            for d in by_key.values()}
        events, changed = [], set()
        for report in reports:
            delivery = by_key.get(report.key)
            if delivery is None:
                continue
            events += delivery._take(report, seen[delivery.id])
            changed.add(delivery)
        cls.save(list(changed))
        Event.save(events)
        cls._fall_back([d for d in changed if d.state in REFUSED])

    def _take(self, report, seen):
        "Take a status change of the delivery's key; return the events"
        status = report.status.value
        if (self.channel, status) in seen:
            return []
        seen.add((self.channel, status))
        if RANK[status] > RANK[self.state] or status in REFUSED:
            self.state = status
            self.status_at = naive(report.at)
            self.next_attempt = None
            if report.reference:
                self.reference = report.reference
            if status in REFUSED:
                self.last_error = report.reason
            elif status == 'delivered':
                self.last_error = None
        return [self._event(
                    status, report.reason, at=naive(report.at),
                    reference=report.reference)]

    @classmethod
    def _fall_back(cls, deliveries, reason=None):
        "Move the deliveries to their next channel; return those moved"
        pool = Pool()
        Event = pool.get('choo.delivery.event')
        events, moved = [], []
        for delivery in deliveries:
            event = delivery._next_channel(reason)
            if event:
                events.append(event)
                moved.append(delivery)
        cls.save(deliveries)
        Event.save(events)
        return moved

    def _next_channel(self, reason=None):
        "Move to the next channel not tried; return the fallback event"
        tried = [Channel(c) for c in (self.tried or '').split()]
        channel = fallback_channel(
            self.invoice._get_delivery_channels(), tried)
        if channel is None:
            return None
        previous = self.channel
        event = self._event('fallback', gettext(
                'choo_multikanal.msg_delivery_fallback',
                channel=previous, next=channel.value,
                reason=reason or self.last_error or ''))
        self.channel = channel.value
        self.key = document_key(self.base, channel)
        self.tried = ' '.join([c.value for c in tried] + [channel.value])
        self.state = 'waiting'
        self.reference = self.provider = None
        self.attempts = 0
        self.next_attempt = None
        return event

    @classmethod
    def retry_failed(cls, deliveries):
        "Send the failed deliveries again, the rejected by the next channel"
        pool = Pool()
        Event = pool.get('choo.delivery.event')
        failed = [d for d in deliveries if d.state == 'failed']
        events = [d._retry() for d in failed]
        cls.save(failed)
        Event.save(events)
        return cls._fall_back([d for d in deliveries if d.state == 'rejected'])

    def _retry(self):
        "Make the failed delivery wait for a new try by its channel"
        # The same key: a document the provider took is not sent twice.
        self.state = 'waiting'
        self.attempts = 0
        self.next_attempt = None
        return self._event('retry', gettext(
                'choo_multikanal.msg_delivery_retry', channel=self.channel))

    @classmethod
    def poll(cls):
        "Read the status changes at the providers and act on them"
        opts = options()
        names = {
            setup.provider_name(c, opts) for c in Channel} - {None}
        with setup.Providers(opts) as providers:
            for name in sorted(names):
                provider = provider_of(providers, name)
                try:
                    if name in CONFIRMING:
                        cls._poll_since(provider, name)
                    else:
                        cls._poll_keys(provider, name)
                except DistributionError as error:
                    # Read at the next poll; the sending goes on.
                    logger.warning(
                        "%s: statuses not read (%s)", name, error.code)
            cls._fall_back_overdue(providers, opts)

    @classmethod
    def _poll_since(cls, provider, name):
        "Read a provider's status changes after the cursor kept for it"
        pool = Pool()
        Cursor = pool.get('choo.delivery.cursor')
        cursor = Cursor.get(name)
        count = 0
        while True:
            page = provider.statuses(since=cursor.cursor)
            if page.reports:
                cls.apply_reports(page.reports)
                count += len(page.reports)
            changed = page.cursor != cursor.cursor
            cursor.cursor = page.cursor
            if not page.reports or not changed:
                break
        cursor.save()
        logger.info("%s: %d status changes read", name, count)

    @classmethod
    def _poll_keys(cls, provider, name):
        "Read the statuses of the documents a provider still holds"
        deliveries = cls.search([
                ('provider', '=', name),
                ('state', 'in', list(UNCONFIRMED)),
                ])
        for batch in grouped_slice(deliveries):
            page = provider.statuses([d.key for d in batch])
            cls.apply_reports(page.reports)

    @classmethod
    def _fall_back_overdue(cls, providers, opts):
        "Move to their next channel the deliveries unconfirmed too long"
        within = setup.confirm_within(opts)
        moment = utc_now()
        late = [
            d for d in cls.search([
                    ('provider', 'in', list(CONFIRMING)),
                    ('state', 'in', list(UNCONFIRMED)),
                    ('status_at', '<', naive(moment - within)),
                    ])
            if overdue(StatusReport(
                    d.key, Status(d.state), aware(d.status_at),
                    Channel(d.channel)), moment, within)]
        for delivery in late:
            if delivery.state == 'queued':
                delivery._cancel(provider_of(providers, delivery.provider))
        return cls._fall_back(late, gettext(
                'choo_multikanal.msg_delivery_overdue',
                hours=within.total_seconds() / 3600))

    def _cancel(self, provider):
        "Withdraw the document still queued at the provider, if it can be"
        try:
            provider.cancel(self.key)
        except DistributionError as error:
            logger.warning("a document not withdrawn (%s)", error.code)

    @classmethod
    def due(cls, domain=None):
        "Return the waiting deliveries whose attempt is due"
        return cls.search([
                ('state', '=', 'waiting'),
                ['OR',
                    ('next_attempt', '=', None),
                    ('next_attempt', '<=', now()),
                    ],
                *(domain or []),
                ], order=[('id', 'ASC')])

    @classmethod
    def run_scheduled(cls):
        "Poll the providers and queue the deliveries due"
        cls.poll()
        opts = options()
        due, skipped = [], 0
        for delivery in cls.due():
            if setup.provider_name(Channel(delivery.channel), opts):
                due.append(delivery)
            else:
                skipped += 1
        if skipped:
            logger.warning(
                "%d deliveries wait for a provider of their channel",
                skipped)
        cls.queue(due)


class DeliveryEvent(ModelSQL, ModelView):
    __name__ = 'choo.delivery.event'
    __string__ = "Delivery Event"

    delivery = fields.Many2One(
        'choo.delivery', "Delivery", required=True, readonly=True,
        ondelete='CASCADE')
    time = fields.DateTime("Time", required=True, readonly=True)
    status = fields.Selection(
        EVENTS, "Status", required=True, readonly=True, sort=False)
    channel = fields.Selection(CHANNELS, "Channel", readonly=True)
    message = fields.Text("Message", readonly=True)
    reference = fields.Char("Provider Reference", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.delivery, Index.Range())))
        cls._order = [('time', 'ASC'), ('id', 'ASC')]


class DeliveryCursor(ModelSQL):
    __name__ = 'choo.delivery.cursor'
    __string__ = "Delivery Status Cursor"

    provider = fields.Char("Provider", required=True, readonly=True)
    cursor = fields.Char("Cursor", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('provider_unique', Unique(t, t.provider),
                'choo_multikanal.msg_delivery_cursor_unique'),
            ]

    @classmethod
    def get(cls, provider):
        "Return the cursor of *provider*, locked for this transaction"
        cursors = cls.search([('provider', '=', provider)], limit=1)
        if not cursors:
            cursors = cls.create([{'provider': provider}])
        cls.lock(cursors)
        return cursors[0]
