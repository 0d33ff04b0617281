"""Steps a buyer takes in the browser that several page tests share."""


def place_at_checkout(page) -> None:
    """On the checkout page: the address typed in, the risk notice accepted, the order placed."""
    for label, typed in (
        ("收货人", "李娜"), ("手机号码", "13800138000"), ("省份", "上海市"), ("城市", "上海市"),
        ("区县", "浦东新区"), ("详细地址", "世纪大道 100 号"),
    ):  # fmt: skip
        page.get_by_label(label).fill(typed)
    page.get_by_label("我已阅读并同意《跨境电商消费风险告知》。").check()
    page.get_by_role("button", name="提交订单").click()
