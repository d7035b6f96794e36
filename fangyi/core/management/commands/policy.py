"""`fangyi policy`: the policy versions, and a new one without SQL.

    fangyi policy                          every version, the one in force today marked
    fangyi policy show [CODE]              every value of a version (default: today's)
    fangyi policy add CODE --name NAME --from YYYY-MM-DD [--base CODE] [--notes TEXT] \\
        --set name=value [--set name=value ...]   a new version (core.policy_versions)
    fangyi policy withdraw CODE            take back a version that has not started

Exit code 0 when done, 1 with what is wrong on stderr (nothing saved).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.models import Policy
from fangyi.core.policy import policy_in_force, values_of
from fangyi.core.policy_versions import (
    FIELDS,
    differences,
    policy_version_add,
    policy_version_withdraw,
)


class Command(BaseCommand):
    help = "List the policy versions, show one, or add a new one (name=value changes)."
    # Said in the site's language (Chinese) unless a caller chose one: Django's commands
    # otherwise speak untranslated English.
    leave_locale_alone = True

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action")
        show = sub.add_parser("show", help="every value of a version (default: today's)")
        show.add_argument("code", nargs="?", default="")
        add = sub.add_parser("add", help="a new version from a day on, with changed values")
        add.add_argument("code", help="the new version's code, e.g. pingshan-2020-03")
        add.add_argument(
            "--set", dest="changes", action="append", default=[], metavar="name=value",
            help="a value changed, e.g. --set fever_threshold=37.5 (as many as needed)",
        )  # fmt: skip
        add.add_argument("--name", required=True, help="its name, e.g. 坪山 2020年3月")
        add.add_argument(
            "--from", dest="effective_from", required=True, help="first day, YYYY-MM-DD"
        )
        add.add_argument("--base", default="", help="the version to start from (default: "
                         "the one in force on that day)")  # fmt: skip
        add.add_argument("--notes", default="", help="why: the notice or rule it follows")
        withdraw = sub.add_parser("withdraw", help="take back a version that has not started")
        withdraw.add_argument("code")

    def handle(self, *args, action=None, **options):
        if action == "show":
            return self._show(options["code"])
        if action == "add":
            return self._add(options)
        if action == "withdraw":
            return self._withdraw(options["code"])
        return self._list()

    def _withdraw(self, code: str) -> None:
        try:
            policy_version_withdraw(code=code)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            _("Policy version %(code)s is withdrawn: it will not come into force.") % {"code": code}
        )

    def _list(self) -> None:
        today = policy_in_force(timezone.localdate())
        for policy in Policy.objects.order_by("effective_from", "id"):
            mark = "*" if policy.pk == today.pk else " "
            changed = ", ".join(
                f"{name}={value}" for name, (_default, value) in differences(policy).items()
            )
            self.stdout.write(
                f"{mark} {policy.code:<24} {policy.effective_from:%Y-%m-%d}  {policy.name}"
                + (f"  ({changed})" if changed else "")
            )
        self.stdout.write(_("* in force today"))

    def _show(self, code: str) -> None:
        policy = (
            Policy.objects.filter(code=code).first()
            if code
            else policy_in_force(timezone.localdate())
        )
        if policy is None:
            raise CommandError(_("No policy version has the code %(code)s.") % {"code": code})
        values = values_of(policy)
        self.stdout.write(f"{policy.code}  {policy.effective_from:%Y-%m-%d}  {policy.name}")
        if policy.notes:
            self.stdout.write(policy.notes)
        for name in FIELDS:
            self.stdout.write(f"  {name} = {getattr(values, name)}")

    def _add(self, options) -> None:
        changes: dict[str, str] = {}
        for change in options["changes"]:
            name, sep, value = change.partition("=")
            if not sep or not name.strip():
                raise CommandError(
                    _("Write each change as name=value, e.g. fever_threshold=37.5; got “%(text)s”.")
                    % {"text": change}
                )
            changes[name.strip()] = value
        try:
            effective_from = dt.date.fromisoformat(options["effective_from"])
        except ValueError:
            raise CommandError(
                _("--from must be a date as YYYY-MM-DD, e.g. 2020-03-01; got “%(text)s”.")
                % {"text": options["effective_from"]}
            ) from None
        try:
            policy = policy_version_add(
                code=options["code"], name=options["name"], effective_from=effective_from,
                changes=changes, base=options["base"], notes=options["notes"],
            )  # fmt: skip
        except ValidationError as error:
            lines = [f"{field}: {message}" for field, messages in error.message_dict.items()
                     for message in messages]  # fmt: skip
            raise CommandError(_("Nothing saved.") + "\n" + "\n".join(lines)) from None
        self.stdout.write(
            _("Policy version %(code)s is in force from %(day)s.")
            % {"code": policy.code, "day": f"{policy.effective_from:%Y-%m-%d}"}
        )
        for name, (_default, value) in differences(policy).items():
            self.stdout.write(f"  {name} = {value}")
