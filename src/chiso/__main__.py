from chiso.cli.main import app

app()
