from luoshi.supervision.selectors import unread_count


def inbox(request):
    """The number of unread messages for the top bar, counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": lambda: unread_count(user)}
