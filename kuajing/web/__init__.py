"""The web pages: server-rendered with Jinja2, Chinese for buyers, every asset served by the app."""
