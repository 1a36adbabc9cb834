"""Create the `reps` and `ops` groups (see customers.roles)."""

from django.db import migrations

GROUPS = ("reps", "ops")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    # Only empty groups go: members would silently lose their role otherwise.
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=GROUPS, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("customers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
