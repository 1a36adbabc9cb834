"""Who is who: sales reps, operations and admins.

Reps are users in the `reps` group, operations staff are in `ops`, admins are
superusers (and count as ops everywhere). The groups are created by a data
migration. Group names are read once per user object, so checking a role in a
loop or a template costs at most one query.
"""

REPS_GROUP = "reps"
OPS_GROUP = "ops"


def _group_names(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_tracker_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._tracker_group_names = cached
    return cached


def is_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def is_ops(user) -> bool:
    """Operations staff see every customer and edit campaigns; admins may too."""
    return is_admin(user) or (
        getattr(user, "is_authenticated", False) and user.is_active and OPS_GROUP in _group_names(user)
    )


def is_rep(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and REPS_GROUP in _group_names(user)
    )
