"""`kuajing ledger …`: the books for an accountant."""

import typer

app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
