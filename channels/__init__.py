"""Transports behind small interfaces chosen by configuration (SMS, provider webhooks).

The domain never imports a transport's client library directly; it asks this package to send.
"""
