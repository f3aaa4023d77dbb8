"""Glossary: every term in Korean and English with the synonyms textbooks use, where the app
shows it, and the papers behind the course."""
from ui import glossary_view

glossary_view.render()
