"""Medical-safety text shown with every answer."""

from __future__ import annotations

DISCLAIMER = (
    "این پاسخ فقط برای آگاهی عمومی است و جای معاینه و تشخیص پزشک را نمی‌گیرد. "
    "در شرایط اورژانسی با ۱۱۵ تماس بگیرید."
)
