"""`manage.py campaign load FILE` / `manage.py campaign dump SLUG`: the campaign JSON contract.

Load validates through the probe engine's parser (errors name the field),
refuses an empty legacy definition and, without `--confirm-legacy-change`, a
legacy change that would turn many legacy domains clean, and creates or updates
the campaign with that slug (the change recorded, tracker.services.campaigns);
dump writes the same JSON back, so a file in the contract's canonical form
survives a round trip unchanged.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from tracker.models import Campaign
from tracker.probe.campaign import CampaignError
from tracker.services.campaigns import ConfirmationNeeded, campaign_load


def _render(value, indent: int) -> str:
    if isinstance(value, dict) and value:
        inner = " " * (indent + 2)
        items = [f"{inner}{json.dumps(key)}: {_render(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return json.dumps(value, ensure_ascii=False)


def dumps(data: dict) -> str:
    """The canonical text form, as docs/campaign-file.md shows it: objects indented by two, lists on one line."""
    return _render(data, 0) + "\n"


class Command(BaseCommand):
    help = "Load a campaign from its JSON definition, or dump one as JSON."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        load = actions.add_parser("load", help="create or update a campaign from a JSON file ('-' for stdin)")
        load.add_argument("file")
        load.add_argument(
            "--confirm-legacy-change",
            action="store_true",
            help="store a legacy definition that would turn many legacy domains clean (see the warning)",
        )
        dump = actions.add_parser("dump", help="print a campaign as JSON")
        dump.add_argument("slug")

    def handle(self, *args, action, **options):
        if action == "load":
            self.load(options["file"], confirmed=options["confirm_legacy_change"])
        else:
            self.dump(options["slug"])

    def load(self, path: str, confirmed: bool = False) -> None:
        try:
            if path == "-":
                data = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: not valid JSON ({exc})") from None
        try:
            campaign, created = campaign_load(data, confirmed=confirmed)
        except CampaignError as exc:
            raise CommandError(f"{path}: {exc.field}: {exc.message}") from None
        except ConfirmationNeeded as exc:
            raise CommandError(
                f"{path}: legacy: {exc} Nothing was stored; check the file, then load it again with "
                "--confirm-legacy-change."
            ) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} campaign {campaign.slug!r} ({campaign.name}).")

    def dump(self, slug: str) -> None:
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"No campaign with slug {slug!r}.")
        try:
            data = campaign.to_contract()
        except CampaignError as exc:
            raise CommandError(f"Campaign {slug!r} is stored with invalid data: {exc}") from None
        self.stdout.write(dumps(data), ending="")
