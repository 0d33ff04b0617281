"""A person's details as someone who must not see them whole sees them: enough to recognise an
order (the surname, the phone's ends, the city), never enough to reach the person."""


def mask_name(name: str) -> str:
    """李娜 -> 李*, Anna Li -> A*******: the first character, the length kept."""
    return name[:1] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """13800138000 -> 138****8000"""
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_address(address: str) -> str:
    """The first six characters (province and city), the rest starred."""
    return address[:6] + "*" * max(len(address) - 6, 0)
