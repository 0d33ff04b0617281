"""`kuajing payments …`: the providers' bills against the books."""

import typer

app = typer.Typer(help="Payments through Alipay and WeChat Pay.", no_args_is_help=True)
