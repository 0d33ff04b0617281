"""Providers' daily bills as they download them, written from the documented layouts (see
kuajing/payment/bills.py): Alipay's 业务明细 CSV with its '#' lines and its values' trailing
tabs, WeChat Pay's trade bill with its backticks and summary block."""

from datetime import date, timedelta

ALIPAY_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
    "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
    "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)
WECHATPAY_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
WECHATPAY_SUMMARY = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)


def alipay_row(
    trade_no: str,
    out_trade_no: str,
    amount: str,
    *,
    kind: str = "交易",
    at: str = "2026-11-11 10:00:05",
    fee: str = "0.00",
    request_no: str = "",
) -> str:
    """One 业务明细 line: `amount` in yuan as a positive number (a refund row prints it negative)."""
    signed = f"-{amount}" if kind == "退款" else amount
    return ",".join(
        [
            f"{trade_no}\t",
            f"{out_trade_no}\t",
            f"{kind}\t",
            "跨境订单",
            "2026-11-11 10:00:00",
            at,
            "\t",
            "\t",
            "\t",
            "\t",
            "*明(138****0000)\t",
            signed,
            signed,
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "",
            "0.00\t",
            "0.00",
            f"{request_no}\t",
            fee,
            "0.00",
            "葡萄酒",
        ]
    )


def alipay_bill(day: date, rows: list[str], *, encoding: str = "gbk", header: str = ALIPAY_HEADER) -> bytes:
    """The 业务明细 CSV of `day`, GBK as Alipay writes it."""
    after = day + timedelta(days=1)
    lines = [
        "#支付宝业务明细查询",
        "#账号：[20880000000000000156]",
        f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{after:%Y年%m月%d日} 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        header,
        *rows,
        "#-----------------------------------------业务明细列表结束------------------------------------",
        f"#交易合计：{len(rows)}笔，商家实收共0.00元，商家优惠共0.00元",
        "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元",
        f"#导出时间：[{after:%Y年%m月%d日} 10:20:36]",
    ]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def wechatpay_row(
    transaction_id: str,
    out_trade_no: str,
    amount: str,
    *,
    status: str = "SUCCESS",
    at: str = "2026-11-11 10:00:05",
    fee: str = "0.00000",
    refund_id: str = "",
    out_refund_no: str = "",
) -> str:
    """One detail line, each value after a backtick: a payment of `amount` yuan, or (status
    REFUND) a refund of `amount` of that payment (its fee printed negative)."""
    refund = status == "REFUND"
    values = [
        at,
        "wx8888888888888888",
        "1900000109",
        "0",
        "",
        transaction_id,
        out_trade_no,
        "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "NATIVE",
        status,
        "OTHERS",
        "CNY",
        "0.00" if refund else amount,
        "0.00",
        refund_id,
        out_refund_no,
        amount if refund else "0.00",
        "0.00",
        "ORIGINAL" if refund else "",
        "SUCCESS" if refund else "",
        "葡萄酒",
        "",
        f"-{fee}" if refund else fee,
        "0.60%",
        "0.00" if refund else amount,
        amount if refund else "0.00",
        "",
    ]
    return ",".join(f"`{value}" for value in values)


def wechatpay_bill(rows: list[str], *, encoding: str = "utf-8", header: str = WECHATPAY_HEADER) -> bytes:
    """The trade bill (bill_type ALL) as GET /v3/bill/tradebill's download_url answers it."""
    summary = ",".join(
        f"`{value}" for value in (len(rows), "0.00", "0.00", "0.00", "0.00000", "0.00", "0.00")
    )
    return ("\r\n".join([header, *rows, WECHATPAY_SUMMARY, summary]) + "\r\n").encode(encoding)


SETTLEMENT_HEADER = (
    "Partner_transaction_id|Transaction_id|Amount|Rmb_amount|Fee|Settlement|Rmb_settlement|Currency|"
    "Rate|Payment_time|Settlement_time|Type|Status|Remarks"
)


def settlement_row(
    reference: str,
    trade_no: str,
    *,
    amount: str,
    rmb: str,
    fee: str,
    settled: str,
    rate: str,
    kind: str = "P",
    currency: str = "USD",
    settled_at: str = "2025-11-13 16:50:00",
) -> str:
    """One line of Alipay's cross-border settlement file (docs.antom.com, "Settlement file",
    SFTP variant): unsigned amounts, Type P or R, Status L."""
    rmb_settlement = f"{float(settled) * float(rate):.2f}"
    return "|".join(
        [
            reference,
            trade_no,
            amount,
            rmb,
            fee,
            settled,
            rmb_settlement,
            currency,
            rate,
            "2025-11-11 10:00:05",
            settled_at,
            kind,
            "L",
            "",
        ]
    )


def settlement_file(rows: list[str], *, header: str = SETTLEMENT_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")
