"""`manage.py sweep`: start a sweep (all domains, a recheck, one domain or customer), or resume one.

manage.py sweep [--campaign SLUG]                       every domain, queued on the workers
manage.py sweep --domain acme.example --sync            re-check one domain here and now
manage.py sweep --customer ACC-1001                     every domain of one customer
manage.py sweep --recheck                               legacy and inconclusive domains only
manage.py sweep --resume SWEEP_ID [--sync]              re-queue chunks whose worker was lost
"""

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer, Domain
from tracker.models import Campaign, Sweep
from tracker.probe.domains import DomainNameError, normalize_domain
from tracker.services.enqueue import BrokerUnavailable
from tracker.services.sweeps import sweep_recheck, sweep_resume, sweep_run_sync, sweep_start


class Command(BaseCommand):
    help = "Sweep a campaign's domains (queued on Celery workers, or here with --sync)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", help="campaign slug (default: the only active campaign)")
        parser.add_argument("--domain", action="append", default=[], help="a domain (repeatable)")
        parser.add_argument("--customer", action="append", default=[], help="a customer's account id")
        parser.add_argument("--recheck", action="store_true", help="only legacy and inconclusive domains")
        parser.add_argument("--resume", type=int, metavar="SWEEP_ID", help="re-queue unfinished chunks")
        parser.add_argument("--sync", action="store_true", help="run here instead of on the workers")

    def handle(self, *args, **options):
        try:
            return self.run(options)
        except BrokerUnavailable as exc:
            # Nothing was saved or changed: a non-zero exit with the sentence that says why.
            raise CommandError(str(exc)) from exc

    def run(self, options):
        if options["resume"]:
            return self.resume(options["resume"], options["sync"])
        campaign = self.campaign(options["campaign"])
        enqueue = not options["sync"]
        if options["domain"] or options["customer"]:
            domains, label = self.domains(options["domain"], options["customer"])
            sweep = sweep_start(campaign, domains, label=label, enqueue=enqueue)
        elif options["recheck"]:
            sweep = sweep_recheck(campaign, enqueue=enqueue)
        else:
            sweep = sweep_start(campaign, label="manage.py sweep", enqueue=enqueue)
        if options["sync"]:
            sweep_run_sync(sweep)
            self.report(sweep)
        else:
            self.stdout.write(f"sweep {sweep.pk} queued: {sweep.total} domains in {sweep.chunk_count} chunks")

    def campaign(self, slug: str | None) -> Campaign:
        if slug:
            try:
                return Campaign.objects.get(slug=slug)
            except Campaign.DoesNotExist:
                raise CommandError(f"no campaign {slug!r}") from None
        active = list(Campaign.objects.filter(active=True)[:2])
        if len(active) != 1:
            raise CommandError("name the campaign with --campaign SLUG")
        return active[0]

    def domains(self, names: list[str], accounts: list[str]) -> tuple[list[Domain], str]:
        found: list[Domain] = []
        for name in names:
            try:
                found.append(Domain.objects.get(name=normalize_domain(name)))
            except (Domain.DoesNotExist, DomainNameError):
                raise CommandError(f"no domain {name!r}") from None
        for account in accounts:
            customer = Customer.objects.filter(account_id=account).first()
            if customer is None:
                raise CommandError(f"no customer with account id {account!r}")
            found.extend(customer.domains.all())
        label = ", ".join([*names, *(f"customer {a}" for a in accounts)])
        return found, label

    def resume(self, sweep_id: int, sync: bool) -> None:
        sweep = Sweep.objects.filter(pk=sweep_id).first()
        if sweep is None:
            raise CommandError(f"no sweep {sweep_id}")
        missing = sweep.domain_ids_never_checked()
        self.stdout.write(f"sweep {sweep.pk}: {len(missing)} of {sweep.total} domains never checked")
        count = sweep_resume(sweep, enqueue=not sync)
        if sync:
            sweep_run_sync(sweep)
            self.report(sweep)
        else:
            self.stdout.write(f"{count} chunks queued again")

    def report(self, sweep: Sweep) -> None:
        sweep.refresh_from_db()
        self.stdout.write(
            f"sweep {sweep.pk} {sweep.status}: {sweep.done}/{sweep.total} checked, "
            f"{sweep.legacy_count} legacy, {sweep.clean_count} clean, "
            f"{sweep.inconclusive_count} inconclusive, {sweep.unregistered_count} unregistered"
        )
        never = sweep.domains_never_checked()
        if never:
            self.stdout.write(f"never checked: {', '.join(d.name for d in never[:50])}")
        if sweep.alert:
            self.stderr.write(f"ALERT: {sweep.alert}")
