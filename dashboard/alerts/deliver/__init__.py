"""Delivery of an alert message: e-mail over SMTP (smtp.py), a JSON webhook (webhook.py), the Atom feed (atom.py).

Each takes a rendered message (dashboard/alerts/message.py) and raises `DeliveryError` with a short reason when
the receiver did not take it; retries and the record of each attempt are state.py's.
"""
