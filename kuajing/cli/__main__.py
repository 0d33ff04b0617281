from kuajing.cli.main import app

app(prog_name="kuajing")
