"""kuajing (跨境): a cross-border marketplace for US small businesses selling to China."""

__version__ = "0.1.0"
