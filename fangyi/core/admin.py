"""What the apps' admin pages share."""


class ReadOnly:
    """Records of what happened, or kept by the system: nobody adds, edits or deletes them
    in the admin (the purge removes them when their period ends)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
