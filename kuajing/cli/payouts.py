"""`kuajing payouts …`: paying sellers in dollars."""

import typer

app = typer.Typer(help="Seller payouts in US dollars.", no_args_is_help=True)
