"""Komek's language understanding: language identification, normalisation, Uzbek
transliteration, intent classification with calibrated outcomes, Rasa interoperability
and grouping of unanswered questions. See docs/nlu.md.

Import what you need from the modules (`nlu.classifier`, `nlu.langid`, `nlu.translit`, ...):
this package imports nothing heavy by itself.
"""
